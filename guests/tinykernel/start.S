/* tinykernel entry and exception vectors: set up mode stacks, clear .bss, call kmain(dtb) in SVC mode. */
    .syntax unified
    .arch armv7-a
    .arm

    .section .text.boot, "ax"
    .global _start
_start:
    /* Boot protocol: SVC mode, r0 = 0, r1 = ~0, r2 = device tree. */
    mov     r4, r2
    cps     #0x17                   @ ABT
    ldr     sp, =__abt_stack_top
    cps     #0x1b                   @ UND
    ldr     sp, =__und_stack_top
    cps     #0x12                   @ IRQ
    ldr     sp, =__irq_stack_top
    cps     #0x13                   @ SVC
    ldr     sp, =__svc_stack_top
    ldr     r0, =vectors
    mcr     p15, 0, r0, c12, c0, 0  @ VBAR
    isb
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
1:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     1b
    mov     r0, r4
    bl      kmain
2:  b       2b

/* Every exception saves r0-r12, lr and spsr (a 64-byte frame: 60 used, 4 of
 * padding to keep the stack 8-byte aligned for C), then calls trap_entry(kind, frame). */
.macro vec kind
    .align 5
    sub     sp, sp, #12
    push    {r0-r12}
    str     lr, [sp, #52]
    mrs     r0, spsr
    str     r0, [sp, #56]
    mov     r0, #\kind
    mov     r1, sp
    bl      trap_entry              @ returns the address to resume at in r0
    str     r0, [sp, #52]
    ldr     r0, [sp, #56]
    msr     spsr_cxsf, r0
    pop     {r0-r12}
    ldr     lr, [sp]
    add     sp, sp, #12
    movs    pc, lr
.endm

    .align 5
vectors:
    b       _start                  @ reset
    b       vec_und
    b       vec_svc
    b       vec_pabt
    b       vec_dabt
    b       .                       @ unused
    b       vec_irq
    b       vec_fiq
vec_und:  vec 1
vec_svc:  vec 2
vec_pabt: vec 3
vec_dabt: vec 4
vec_irq:  vec 6
vec_fiq:  vec 7
