/* Unit-test helpers for a whole ARM register file (shared by the lab test suites). */
#include <check.h>
#include <string.h>
#include "regfile.h"

/* struct arm_regs is 37 words; each gets a name for the failure messages. */
#define NREGWORDS 37
_Static_assert(sizeof(struct arm_regs) == NREGWORDS * sizeof(uint32_t), "arm_regs layout changed");
/* clang-format off */
static const char *const reg_names[NREGWORDS] = {
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
    "sp_usr", "lr_usr", "pc", "cpsr",
    "sp_svc", "lr_svc", "spsr_svc", "sp_abt", "lr_abt", "spsr_abt",
    "sp_und", "lr_und", "spsr_und", "sp_irq", "lr_irq", "spsr_irq",
    "r8_fiq", "r9_fiq", "r10_fiq", "r11_fiq", "r12_fiq", "sp_fiq", "lr_fiq", "spsr_fiq",
};
/* clang-format on */

void regfile_fill(struct arm_regs *r, uint32_t cpsr, uint32_t pc)
{
    uint32_t w[NREGWORDS];
    for (unsigned i = 0; i < NREGWORDS; i++)
        w[i] = 0x5e000000u + i * 0x00010101u;
    memcpy(r, w, sizeof(w));
    r->cpsr = cpsr;
    r->pc = pc;
}

void regfile_check(const struct arm_regs *got, const struct arm_regs *want, const char *ctx)
{
    uint32_t g[NREGWORDS], w[NREGWORDS];
    memcpy(g, got, sizeof(g));
    memcpy(w, want, sizeof(w));
    for (unsigned i = 0; i < NREGWORDS; i++)
        ck_assert_msg(g[i] == w[i], "%sregister %s is %#010x, want %#010x", ctx, reg_names[i], g[i], w[i]);
}
