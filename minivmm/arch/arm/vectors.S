/* The Hyp vector table and the world switch: guest_enter() loads a guest register file and erets; a trap saves it back. */
#include <arch/regs.h>

    .syntax unified
    .arch armv7-a
    .arch_extension virt
    .arm

/* The banked registers of the guest's other modes, with their offsets in struct arm_regs. */
.macro for_each_banked op
    \op SP_svc, REGS_SP_SVC
    \op LR_svc, REGS_LR_SVC
    \op SPSR_svc, REGS_SPSR_SVC
    \op SP_abt, REGS_SP_ABT
    \op LR_abt, REGS_LR_ABT
    \op SPSR_abt, REGS_SPSR_ABT
    \op SP_und, REGS_SP_UND
    \op LR_und, REGS_LR_UND
    \op SPSR_und, REGS_SPSR_UND
    \op SP_irq, REGS_SP_IRQ
    \op LR_irq, REGS_LR_IRQ
    \op SPSR_irq, REGS_SPSR_IRQ
    \op r8_fiq, REGS_R8_FIQ
    \op r9_fiq, REGS_R8_FIQ + 4
    \op r10_fiq, REGS_R8_FIQ + 8
    \op r11_fiq, REGS_R8_FIQ + 12
    \op r12_fiq, REGS_R8_FIQ + 16
    \op SP_fiq, REGS_SP_FIQ
    \op LR_fiq, REGS_LR_FIQ
    \op SPSR_fiq, REGS_SPSR_FIQ
    \op SP_usr, REGS_SP_USR
.endm

/* r0 = struct arm_regs *, r2 = scratch */
.macro save_one reg, off
    mrs     r2, \reg
    str     r2, [r0, #\off]
.endm
.macro load_one reg, off
    ldr     r1, [r0, #\off]
    msr     \reg, r1
.endm

    .section .text.vectors, "ax"
    .align 5
    .global hyp_vectors
hyp_vectors:
    b       hyp_fault_reset         @ 0x00 reset
    b       hyp_fault_undef         @ 0x04 undefined instruction in Hyp mode
    b       hyp_fault_svc           @ 0x08 SVC/HVC in Hyp mode
    b       hyp_fault_pabt          @ 0x0c prefetch abort in Hyp mode
    b       hyp_fault_dabt          @ 0x10 data abort in Hyp mode
    b       hyp_trap                @ 0x14 Hyp trap: an exit from the guest
    b       hyp_irq                 @ 0x18 IRQ
    b       hyp_fiq                 @ 0x1c FIQ

/* A fault in the VMM itself: hand the saved registers to hyp_fault() (never returns). */
.macro fault_entry name, kind
\name:
    push    {r0-r12, lr}
    mov     r0, #\kind
    mov     r1, sp
    bl      hyp_fault
.endm
    fault_entry hyp_fault_reset, 0
    fault_entry hyp_fault_undef, 1
    fault_entry hyp_fault_svc, 2
    fault_entry hyp_fault_pabt, 3
    fault_entry hyp_fault_dabt, 4

hyp_trap:
    push    {r0, r1}
    mov     r1, #EXIT_KIND_TRAP
    b       guest_exit
hyp_irq:
    push    {r0, r1}
    mov     r1, #EXIT_KIND_IRQ
    b       guest_exit
hyp_fiq:
    push    {r0, r1}
    mov     r1, #EXIT_KIND_FIQ
    b       guest_exit

/* int guest_enter(struct arm_regs *regs) */
    .text
    .global guest_enter
guest_enter:
    push    {r4-r12, lr}            @ the VMM's callee-saved registers
    push    {r0}                    @ regs, found again by guest_exit
    for_each_banked load_one
    ldr     r1, [r0, #REGS_PC]
    msr     ELR_hyp, r1
    ldr     r1, [r0, #REGS_CPSR]
    msr     spsr_cxsf, r1           @ SPSR_hyp: write the current SPSR, never "SPSR_hyp"
    ldr     lr, [r0, #REGS_LR_USR]
    ldm     r0, {r0-r12}
    eret

/* Stack on entry: guest r0, guest r1, regs pointer, then guest_enter's frame. r1 = exit kind. */
guest_exit:
    ldr     r0, [sp, #8]
    add     r0, r0, #8
    stm     r0, {r2-r12}            @ guest r2-r12
    sub     r0, r0, #8
    pop     {r2, r3}
    stm     r0, {r2, r3}            @ guest r0, r1
    str     lr, [r0, #REGS_LR_USR]
    for_each_banked save_one
    mrs     r2, ELR_hyp
    str     r2, [r0, #REGS_PC]
    mrs     r2, spsr
    str     r2, [r0, #REGS_CPSR]
    mov     r0, r1
    add     sp, sp, #4              @ drop the regs pointer
    pop     {r4-r12, pc}
