/* Guest register access by number: r13/r14 (and r8-r12 in FIQ mode) depend on the guest's mode. */
#include <arch/regs.h>

/* Register n (0-14) as seen in the given mode. */
static uint32_t *banked(struct arm_regs *r, uint32_t mode, unsigned n)
{
    if (mode == PSR_MODE_FIQ && n >= 8)
        return n < 13 ? &r->r8_fiq[n - 8] : n == 13 ? &r->sp_fiq : &r->lr_fiq;
    if (n < 13)
        return &r->r[n];
    switch (mode) {
    case PSR_MODE_SVC: return n == 13 ? &r->sp_svc : &r->lr_svc;
    case PSR_MODE_ABT: return n == 13 ? &r->sp_abt : &r->lr_abt;
    case PSR_MODE_UND: return n == 13 ? &r->sp_und : &r->lr_und;
    case PSR_MODE_IRQ: return n == 13 ? &r->sp_irq : &r->lr_irq;
    default: return n == 13 ? &r->sp_usr : &r->lr_usr; /* usr, sys */
    }
}

uint32_t *arm_reg(struct arm_regs *r, unsigned n)
{
    return n >= 15 ? &r->pc : banked(r, r->cpsr & PSR_MODE_MASK, n);
}

uint32_t *arm_lr(struct arm_regs *r, uint32_t mode)
{
    return banked(r, mode, 14);
}

uint32_t *arm_spsr(struct arm_regs *r, uint32_t mode)
{
    switch (mode) {
    case PSR_MODE_SVC: return &r->spsr_svc;
    case PSR_MODE_ABT: return &r->spsr_abt;
    case PSR_MODE_UND: return &r->spsr_und;
    case PSR_MODE_IRQ: return &r->spsr_irq;
    case PSR_MODE_FIQ: return &r->spsr_fiq;
    default: return NULL; /* usr and sys have no SPSR */
    }
}
