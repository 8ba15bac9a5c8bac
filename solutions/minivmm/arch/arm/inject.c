/* Lab 1 reference: inject undefined-instruction, data-abort and prefetch-abort exceptions into the guest. */
#include <arch/traps.h>

#define VEC_UNDEF 0x04
#define VEC_PABT  0x0c
#define VEC_DABT  0x10

struct exc {
    uint32_t mode, vector;
    uint32_t lr_arm, lr_thumb; /* link offset from the faulting instruction (ARM ARM table B1-7) */
    bool mask_async;           /* CPSR.A set on entry: aborts, not undefined */
};

static const struct exc UNDEF = {PSR_MODE_UND, VEC_UNDEF, 4, 2, false};
static const struct exc PABT = {PSR_MODE_ABT, VEC_PABT, 4, 4, true};
static const struct exc DABT = {PSR_MODE_ABT, VEC_DABT, 8, 8, true};

/* Take exception e at the guest's current PC, as the CPU would (ARM ARM B1.8.3). */
static void take(struct vcpu *v, const struct exc *e)
{
    struct arm_regs *r = &v->arch.regs;
    uint32_t sctlr = guest_cp15_read(G_SCTLR);
    uint32_t old = r->cpsr;
    *arm_spsr(r, e->mode) = old;
    *arm_lr(r, e->mode) = r->pc + ((old & PSR_T) ? e->lr_thumb : e->lr_arm);
    uint32_t cpsr = (old & ~(PSR_MODE_MASK | PSR_T | PSR_E | PSR_IT_MASK | PSR_J)) | e->mode | PSR_I;
    if (e->mask_async)
        cpsr |= PSR_A;
    if (sctlr & SCTLR_TE)
        cpsr |= PSR_T;
    if (sctlr & SCTLR_EE)
        cpsr |= PSR_E;
    r->cpsr = cpsr;
    uint32_t base = (sctlr & SCTLR_V) ? 0xffff0000u : guest_cp15_read(G_VBAR);
    r->pc = base + e->vector;
}

void inject_undef(struct vcpu *v)
{
    take(v, &UNDEF);
}

void inject_dabt(struct vcpu *v, uint32_t addr, uint32_t fsr)
{
    guest_cp15_write(G_DFAR, addr);
    guest_cp15_write(G_DFSR, fsr);
    take(v, &DABT);
}

void inject_pabt(struct vcpu *v, uint32_t addr, uint32_t fsr)
{
    guest_cp15_write(G_IFAR, addr);
    guest_cp15_write(G_IFSR, fsr);
    take(v, &PABT);
}
