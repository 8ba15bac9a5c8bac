/* Hyp Syndrome Register (HSR) fields and exception classes (ARM ARM B3.13.6). */
#ifndef ARCH_HSR_H
#define ARCH_HSR_H

#include <minivmm/types.h>

#define HSR_EC_SHIFT 26
#define HSR_IL       (1u << 25) /* 1: trapped instruction was 32 bits */
#define HSR_ISS_MASK 0x01ffffffu

/* HSR.EC values (ARM ARM table B3-27). */
/* clang-format off */
enum hsr_ec {
    EC_UNKNOWN     = 0x00,
    EC_WFI_WFE     = 0x01,
    EC_CP15_32     = 0x03,
    EC_CP15_64     = 0x04,
    EC_CP14_32     = 0x05,
    EC_CP14_LDC    = 0x06,
    EC_CP_ACCESS   = 0x07,  /* HCPTR-trapped CP0-CP13 (VFP/NEON) */
    EC_CP10_ID     = 0x08,
    EC_JAZELLE     = 0x09,
    EC_BXJ         = 0x0a,
    EC_CP14_64     = 0x0c,
    EC_HVC         = 0x12,
    EC_SMC         = 0x13,
    EC_IABT_LOW    = 0x20,  /* prefetch abort from the guest (stage 2) */
    EC_IABT_HYP    = 0x21,
    EC_DABT_LOW    = 0x24,  /* data abort from the guest (stage 2) */
    EC_DABT_HYP    = 0x25,
};
/* clang-format on */

static inline uint32_t hsr_ec(uint32_t hsr) { return hsr >> HSR_EC_SHIFT; }
static inline uint32_t hsr_iss(uint32_t hsr) { return hsr & HSR_ISS_MASK; }
/* Length in bytes of the trapped instruction. */
static inline uint32_t hsr_insn_len(uint32_t hsr) { return (hsr & HSR_IL) ? 4 : 2; }

/* Did the trapped instruction pass its condition check? An implementation may trap
 * a conditional instruction that fails it (ARM ARM B3.13.6: HSR.CV/COND, for the
 * classes below 0x10); with CV clear, a Thumb instruction's condition comes from
 * ITSTATE. Such an instruction must do nothing but be stepped over. */
static inline bool hsr_cond_passed(uint32_t hsr, uint32_t cpsr)
{
    /* Bit n of cc_map[cond] is set when cond holds for flags NZCV == n. */
    static const uint16_t cc_map[16] = {
        0xF0F0, 0x0F0F, 0xCCCC, 0x3333, 0xFF00, 0x00FF, 0xAAAA, 0x5555, /* EQ NE CS CC MI PL VS VC */
        0x0C0C, 0xF3F3, 0xAA55, 0x55AA, 0x0A05, 0xF5FA, 0xFFFF, 0xFFFF, /* HI LS GE LT GT LE AL -- */
    };
    uint32_t cond;
    if (hsr_ec(hsr) >= 0x10)
        return true;
    if (hsr & (1u << 24)) {
        cond = (hsr >> 20) & 0xf;
    } else {
        uint32_t it = ((cpsr >> 25) & 0x3) | ((cpsr >> 8) & 0xfc);
        if (!it)
            return true;
        cond = it >> 4;
    }
    return (cc_map[cond] >> (cpsr >> 28)) & 1;
}

const char *exit_class_name(uint32_t ec); /* the port's arch_exit_name */

#endif
