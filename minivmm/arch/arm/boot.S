/* Entry point: QEMU starts minivmm here in Hyp mode with the MMU off; set up a stack and call vmm_main. */
    .syntax unified
    .arch armv7-a
    .arch_extension virt
    .arm

    .section .text.boot, "ax"
    .global _start
_start:
    ldr     sp, =__stack_top
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
1:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     1b
    /* Anything but Hyp mode (QEMU without virtualization=on) cannot run a VMM;
     * say so before touching a Hyp register, which would be UNDEFINED there. */
    mrs     r0, cpsr
    and     r0, r0, #0x1f
    cmp     r0, #0x1a
    blne    arch_wrong_mode
    /* Exceptions taken to Hyp mode go to our vectors, in ARM state (HSCTLR.TE = 0),
     * with alignment checking off (HSCTLR.A = 0) and the instruction cache on. */
    ldr     r0, =hyp_vectors
    mcr     p15, 4, r0, c12, c0, 0          @ HVBAR
    mrc     p15, 4, r0, c1, c0, 0           @ HSCTLR
    bic     r0, r0, #(1 << 30)              @ TE
    bic     r0, r0, #(1 << 1)               @ A
    orr     r0, r0, #(1 << 12)              @ I
    mcr     p15, 4, r0, c1, c0, 0
    isb
    bl      vmm_main
2:  b       2b
