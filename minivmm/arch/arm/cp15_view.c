/* The guest's view of the CP15 ID registers: the host's values, with what a guest must not use hidden or replaced. */
#include <arch/traps.h>

void cp15_view_init(struct cp15_view *view, const struct cp15_view *host)
{
    *view = *host;
    view->id_pfr1 &= ~(ID_PFR1_VIRT_MASK | ID_PFR1_SECURITY_MASK);
    view->mpidr = GUEST_MPIDR;
    view->csselr = 0;
}
