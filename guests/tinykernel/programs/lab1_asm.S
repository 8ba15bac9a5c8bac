/* Lab 1 test helpers that need exact instructions: Thumb traps, an IT block, and an HVC whose return address is known. */
    .syntax unified
    .arch armv7-a
    .arch_extension virt
    .arch_extension sec

/* uint32_t tk_inject(uint32_t kind, uint32_t addr, uint32_t status, uint32_t *ret):
 * MV_HC_TEST_INJECT; *ret = the HVC's return address, where the exception is taken. */
    .arm
    .global tk_inject
tk_inject:
    push    {r4, lr}
    mov     r12, r3
    mov     r3, r2
    mov     r2, r1
    mov     r1, r0
    ldr     r0, =0x86000005
    adr     r4, 1f
    str     r4, [r12]
    hvc     #0
1:  pop     {r4, pc}

/* uint32_t thumb_traps(void): in Thumb state, a 16-bit WFI, a 32-bit WFI.W, a 32-bit
 * HVC (MV_HC_NOP), then a trapped MRC (ACTLR) inside an ITE block. Returns 0 if
 * the instruction after the MRC in the IT block was (correctly) skipped, 1 if it ran,
 * so a VMM that steps the PC but not ITSTATE is caught. (Not a WFI there: QEMU 7.2
 * reports a WFI trapped in an IT block with ITSTATE already advanced.) */
    .thumb
    .thumb_func
    .global thumb_traps
thumb_traps:
    push    {r4, lr}
    wfi
    wfi.w
    ldr     r0, =0x86000000
    hvc     #0
    movs    r1, #0
    cmp     r0, r0
    ite     eq
    mrceq   p15, 0, r2, c1, c0, 1   @ ACTLR, trapped by HCR.TAC
    movne   r1, #1
    nop                             @ a stale IT block would swallow this slot, not the next
    mov     r0, r1
    pop     {r4, pc}

/* uint32_t actlr_into_many(void): read ACTLR into r0, r7, r12 and lr; return 0 if all agree. */
    .arm
    .global actlr_into_many
actlr_into_many:
    push    {r4-r7, lr}
    mrc     p15, 0, r0, c1, c0, 1
    mrc     p15, 0, r7, c1, c0, 1
    mrc     p15, 0, r12, c1, c0, 1
    mrc     p15, 0, lr, c1, c0, 1
    eor     r1, r0, r7
    eor     r2, r0, r12
    eor     r3, r0, lr
    orr     r0, r1, r2
    orr     r0, r0, r3
    pop     {r4-r7, pc}
