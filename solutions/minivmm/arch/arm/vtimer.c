/* Lab 4 reference: the virtual timer's interrupt: the physical PPI masked while the guest handles it. */
#include <arch/vgic.h>

#define CNTHCTL_PL1PCTEN (1u << 0) /* PL1 may read the physical counter */
#define CNTHCTL_PL1PCEN  (1u << 1) /* PL1 may use the physical timer: not given to the guest */

uint32_t vtimer_cnthctl(void)
{
    return CNTHCTL_PL1PCTEN;
}

/* The PPI is level-sensitive and stays asserted until the guest reprograms
 * its timer: masked, so that the guest can run its handler. */
void vtimer_fire(struct vgic *g)
{
    gic_set_enabled(IRQ_VTIMER, false);
    vgic_set_level(g, IRQ_VTIMER, true);
}

void vtimer_completed(struct vgic *g)
{
    vgic_set_level(g, IRQ_VTIMER, false);
    gic_set_enabled(IRQ_VTIMER, true);
}
