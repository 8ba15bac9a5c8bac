/* Lab 1 student file: inject undefined-instruction, data-abort and prefetch-abort exceptions into the guest. */
#include <minivmm/panic.h>
#include <arch/traps.h>

/*
 * Make the guest take the exception at its current PC exactly as the CPU would
 * (ARM ARM B1.8.3 and table B1-7): the new mode's SPSR and LR, the new CPSR
 * (mode, masks, T from SCTLR.TE, E from SCTLR.EE, IT cleared), and the PC at
 * the guest's vector (VBAR, or 0xffff0000 when SCTLR.V is set). Aborts also
 * set the guest's fault status and address registers (guest_cp15_write).
 */
void inject_undef(struct vcpu *v)
{
    (void)v;
    MV_TODO(1, "Task 5: injecting exceptions");
}

void inject_dabt(struct vcpu *v, uint32_t addr, uint32_t fsr)
{
    (void)v;
    (void)addr;
    (void)fsr;
    MV_TODO(1, "Task 5: injecting exceptions");
}

void inject_pabt(struct vcpu *v, uint32_t addr, uint32_t fsr)
{
    (void)v;
    (void)addr;
    (void)fsr;
    MV_TODO(1, "Task 5: injecting exceptions");
}
