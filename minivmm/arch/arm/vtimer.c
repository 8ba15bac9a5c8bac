/* Lab 4 student file: the virtual timer's interrupt: the physical PPI masked while the guest handles it. */
#include <minivmm/panic.h>
#include <arch/vgic.h>

uint32_t vtimer_cnthctl(void)
{
    MV_TODO(4, "Task 3: the virtual timer");
}

void vtimer_fire(struct vgic *g)
{
    (void)g;
    MV_TODO(4, "Task 3: the virtual timer");
}

void vtimer_completed(struct vgic *g)
{
    (void)g;
    MV_TODO(4, "Task 3: the virtual timer");
}
