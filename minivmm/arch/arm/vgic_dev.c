/* The guest's GIC distributor as a registered device: its wiring to the vCPU, its reset with the CPU interface and timer, its snapshot. */
#include <minivmm/alloc.h>
#include <minivmm/device.h>
#include <minivmm/mmio.h>
#include <minivmm/snapshot.h>
#include <minivmm/vm.h>
#include <arch/gic.h>
#include <arch/traps.h>
#include <arch/vgic.h>

/* The vGIC's VM: its callbacks' context (wiring, set at creation). */
static struct vm *vm_of(struct vgic *g)
{
    return g->ctx;
}

/* The guest completed a level-sensitive interrupt: sample its source again. */
static void vgic_eoi(void *ctx, unsigned intid)
{
    struct vm *vm = ctx;
    if (intid == IRQ_VTIMER)
        vtimer_completed(vm->arch.vgic);
}

/* A write to the distributor may change what the list registers should hold. */
static enum bus_result gicd_access(void *dev, struct bus_req *r)
{
    if (r->write)
        vm_of(dev)->arch.vgic_dirty = true;
    return mmio_rw_access(r, dev, vgicd_read, vgicd_write);
}

static const struct bus_ops gicd_ops = {"gic", gicd_access};

/* The state is the device's; the ARM VM keeps a pointer to it, since the
 * interrupt path reads it around every guest entry (hyp.c, virq.c). */
static void *gicd_create(struct device *d)
{
    struct vgic *g = mv_calloc(1, sizeof(*g));
    if (g) {
        g->ctx = d->vm;
        d->vm->arch.vgic = g;
    }
    return g;
}

/* A rebooted guest starts with the timer's PPI unmasked and its CPU
 * interface clean, whatever the previous run left (the timer itself is the
 * vCPU's: arch_vcpu_init turns it off). */
static void gicd_reset(struct device *d)
{
    struct vm *vm = d->vm;
    vm->arch.vgic_dirty = true;
    vm->arch.vgic->eoi = vgic_eoi;
    vm->arch.vgic->ctx = vm;
    vgic_init(vm->arch.vgic);
    gich_reset();
    guest_vtimer_write(&(struct guest_vtimer){0});
    gic_set_enabled(IRQ_VTIMER, true);
}

static void irq_snap(struct snap *s, struct vgic_irq *q, unsigned intid, const struct vgic *g)
{
    snap_bool(s, &q->enabled);
    snap_bool(s, &q->pending);
    snap_bool(s, &q->level);
    snap_bool(s, &q->active);
    snap_bool(s, &q->edge);
    snap_i8(s, &q->lr);
    snap_bool(s, &q->lr_latched);
    snap_u8(s, &q->priority);
    snap_u8(s, &q->target);
    /* An interrupt said to sit in a list register must be the one that LR holds
     * (an empty LR holds none: not interrupt 0, whose VID bits are also 0). */
    snap_check(s, q->lr == -1 || (q->lr >= 0 && q->lr < VGIC_NR_LRS && g->lr[q->lr] &&
                                  (g->lr[q->lr] & LR_VID_MASK) == intid));
}

/* An LR in use must hold one of the guest's interrupts (no HW bit: a guest
 * EOI would deactivate a physical interrupt), pending or active, and that
 * interrupt must say it sits there: the vGIC indexes irq[] by the LR's VID. */
static bool lr_ok(const struct vgic *g, unsigned i)
{
    uint32_t lr = g->lr[i], vid = lr & LR_VID_MASK;
    if (!lr)
        return true;
    return vid < VGIC_NR_IRQS && !(lr >> 31) && (lr & (LR_PENDING | LR_ACTIVE)) &&
           g->irq[vid].lr == (int8_t)i;
}

/* Only the maintenance interrupts minivmm asks for. */
#define GICH_HCR_KNOWN (GICH_HCR_EN | GICH_HCR_UIE)

/* The distributor's model, the list registers and GICH_HCR as minivmm last
 * wrote them, and the guest CPU interface's VMCR and APR from the hardware. */
static void gicd_snapshot(void *state, struct snap *s)
{
    struct vgic *g = state;
    uint32_t vmcr = 0, apr = 0;
    if (s->dir == SNAP_SAVE)
        gich_read_cpuif(&vmcr, &apr);
    snap_bool(s, &g->enabled);
    snap_u32s(s, g->lr, VGIC_NR_LRS);
    snap_u32(s, &g->hcr);
    snap_u32(s, &vmcr);
    snap_u32(s, &apr);
    snap_u64(s, &g->injected);
    for (unsigned i = 0; i < VGIC_NR_IRQS && !s->failed; i++)
        irq_snap(s, &g->irq[i], i, g);
    snap_check(s, !(g->hcr & ~GICH_HCR_KNOWN));
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        snap_check(s, lr_ok(g, i));
    if (s->dir != SNAP_RESTORE || s->failed)
        return;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        gich_write_lr(i, g->lr[i]);
    gich_write_hcr(g->hcr);
    gich_write_cpuif(vmcr, apr);
    /* The timer's PPI stays masked at the board while its line is up (vtimer_fire). */
    gic_set_enabled(IRQ_VTIMER, !g->irq[IRQ_VTIMER].level);
    vm_of(g)->arch.vgic_dirty = true;
}

DEVICE_TYPE(gicd) = {
    .name = "gicd",
    .snap_version = 1,
    .create = gicd_create,
    .reset = gicd_reset,
    .ops = &gicd_ops,
    .snapshot = gicd_snapshot,
};
