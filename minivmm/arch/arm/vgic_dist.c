/* Lab 4 student file: the guest's GICv2 distributor: per-interrupt state and its registers, as an MMIO device. */
#include <minivmm/panic.h>
#include <arch/vgic.h>

/* Set this to true when Task 1 and Task 2 work: minivmm then gives the guest a
 * GIC (this distributor, and the board's virtual CPU interface as its GICC),
 * routes physical interrupts to itself (HCR.IMO) and delivers the guest's. */
const bool lab4_vgic_enabled = false;

void vgic_init(struct vgic *g)
{
    (void)g;
    MV_TODO(4, "Task 1: the distributor");
}

bool vgicd_read(void *dev, uint32_t off, unsigned width, uint32_t *val)
{
    (void)dev;
    (void)off;
    (void)width;
    (void)val;
    MV_TODO(4, "Task 1: the distributor");
}

bool vgicd_write(void *dev, uint32_t off, unsigned width, uint32_t val)
{
    (void)dev;
    (void)off;
    (void)width;
    (void)val;
    MV_TODO(4, "Task 1: the distributor");
}

void vgic_set_level(struct vgic *g, unsigned intid, bool level)
{
    (void)g;
    (void)intid;
    (void)level;
    MV_TODO(4, "Task 1: the distributor");
}

bool vgic_has_pending(const struct vgic *g)
{
    (void)g;
    MV_TODO(4, "Task 1: the distributor");
}
