/* Lab 3 test helpers: load/store forms that reach a device without a syndrome (ISV = 0), in A32 and T32.
 *
 * Each case takes r0 = io, a uint32_t[5]: io[0] is the base address, io[1..4]
 * the values r2-r5 start with. The case does one load/store with base r0 and
 * leaves the base register's final value in io[0] and r2-r5 in io[1..4]. */
    .syntax unified
    .text

    .macro CASE name, isa
    .global \name
    .type \name, %function
    .if \isa == 1
    .thumb
    .thumb_func
    .else
    .arm
    .endif
    .balign 4
\name:
    push {r4-r8, lr}
    mov r8, r0
    add r1, r8, #4
    ldm r1, {r2-r5}
    ldr r0, [r8]
    .endm

    .macro END
    str r0, [r8]
    add r1, r8, #4
    stm r1, {r2-r5}
    pop {r4-r8, pc}
    .endm

/* ---- A32 */
CASE tk_a_ldr_post, 0
    ldr r2, [r0], #4
END
CASE tk_a_str_pre_wb, 0
    str r2, [r0, #8]!
END
CASE tk_a_ldr_reg_neg_wb, 0
    mov r1, #1
    ldr r2, [r0, -r1, lsl #2]!
END
CASE tk_a_ldrd, 0
    ldrd r2, r3, [r0]
END
CASE tk_a_strd, 0
    strd r4, r5, [r0, #8]
END
CASE tk_a_ldrsh_post, 0
    ldrsh r2, [r0], #2
END
CASE tk_a_ldrsb_pre_wb, 0
    ldrsb r3, [r0, #1]!
END
CASE tk_a_ldmia_wb, 0
    ldmia r0!, {r2-r5}
END
CASE tk_a_stmdb_wb, 0
    stmdb r0!, {r2, r3}
END
CASE tk_a_ldmib, 0
    ldmib r0, {r2, r3}
END
CASE tk_a_stmda, 0
    stmda r0, {r4, r5}
END
CASE tk_a_str_reg_lsr_wb, 0
    mov r1, #0x40
    str r2, [r0, r1, lsr #4]!
END

/* ---- T32 (16-bit and 32-bit encodings) */
CASE tk_t_ldmia16, 1
    ldmia r0!, {r2, r3}
END
CASE tk_t_stmia16, 1
    stmia r0!, {r2, r3}
END
CASE tk_t_ldrd, 1
    ldrd r2, r3, [r0, #8]
END
CASE tk_t_ldr_post, 1
    ldr.w r2, [r0], #4
END
CASE tk_t_ldrh_pre_wb, 1
    ldrh r2, [r0, #2]!
END
CASE tk_t_ldmdb_wb, 1
    ldmdb r0!, {r2, r3}
END
CASE tk_t_strd_neg_wb, 1
    strd r4, r5, [r0, #-8]!
END

/* uint32_t tk_thumb_ldrb(uint32_t addr, uint32_t *marker): a 16-bit Thumb LDRB
 * (ISV set, IL = 0); *marker = 1 only if the VMM resumed the guest exactly one
 * halfword later. */
    .global tk_thumb_ldrb
    .type tk_thumb_ldrb, %function
    .thumb
    .thumb_func
    .balign 4
tk_thumb_ldrb:
    movs r2, #0
    ldrb r0, [r0]
    movs r2, #1
    str r2, [r1]
    bx lr

/* uint32_t tk_ldr_lr(uint32_t addr): a load into the banked LR (lr_svc). */
    .global tk_ldr_lr
    .type tk_ldr_lr, %function
    .arm
    .balign 4
tk_ldr_lr:
    push {r4, lr}
    ldr lr, [r0]
    mov r0, lr
    pop {r4, pc}
