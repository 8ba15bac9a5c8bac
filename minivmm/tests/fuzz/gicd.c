/* Fuzzes the vGIC distributor (lab 4) and its list-register refill, in turns of the run loop. */
/* The code: the reference vgic_dist.c, vgic_lr.c, vtimer.c; arch/arm/vgic_dev.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arch/regs.h>
#include <arch/vgic.h>
#include "host_stubs.h"
#include "fuzz.h"

static struct vm vm;

static struct vgic *gic(void)
{
    return vm.arch.vgic;
}

/* lab 4's "deliverable" (vgic_lr.c), restated: the distributor on, the
 * interrupt enabled (SGIs always are), pending, not active, in no LR. */
static bool deliverable(const struct vgic *g, unsigned id)
{
    const struct vgic_irq *q = &g->irq[id];
    return g->enabled && (id < 16 || q->enabled) && (q->pending || (!q->edge && q->level)) && !q->active &&
           q->lr < 0;
}

/* Before entering the guest (virq.c's arch_vgic_enter): the refill, when
 * something changed. Then no interrupt may wait for an LR that is free, and
 * GICH_HCR asks for an underflow interrupt exactly when one waits. */
static void enter(void)
{
    if (!vm.arch.vgic_dirty)
        return;
    vm.arch.vgic_dirty = false;
    vgic_flush_lrs(gic());
    fuzz_check_vgic(gic());
    const struct vgic *g = gic();
    bool free_lr = false, waiting = false;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        free_lr |= !(g->lr[i] >> LR_STATE_SHIFT & 3);
    for (unsigned id = 0; id < VGIC_NR_IRQS; id++)
        waiting |= deliverable(g, id);
    FUZZ_CHECK(!(free_lr && waiting), "an interrupt waits while an LR is free");
    FUZZ_CHECK(!!(g->hcr & GICH_HCR_UIE) == waiting, "GICH_HCR %#x while %s waits", g->hcr,
               waiting ? "an interrupt" : "nothing");
}

/* The guest runs: it acknowledges pending interrupts (pending -> active) and
 * completes active ones (active -> invalid, or pending again), which is all
 * a GICv2 CPU interface does to list registers. */
static void guest_runs(struct fdp *f)
{
    for (unsigned n = fdp_pick(f, 4); n; n--) {
        unsigned i = fdp_pick(f, VGIC_NR_LRS);
        uint32_t lr = host_gich_lr[i], state = lr >> LR_STATE_SHIFT & 3;
        if (state == 1)
            lr = (lr & ~(3u << LR_STATE_SHIFT)) | LR_ACTIVE;
        else if (state >= 2)
            lr = (lr & ~(3u << LR_STATE_SHIFT)) | (state == 3 ? LR_PENDING : 0);
        host_gich_lr[i] = lr;
    }
}

/* The exit (hyp.c's sync_lrs): read back the LRs, if any is in use. */
static void exit_guest(bool irq)
{
    const uint32_t *lr = gic()->lr;
    uint32_t before[VGIC_NR_LRS];
    if (irq)
        vm.arch.vgic_dirty = true;
    if (!(lr[0] | lr[1] | lr[2] | lr[3]))
        return;
    memcpy(before, lr, sizeof(before));
    vgic_sync_lrs(gic());
    if (memcmp(before, lr, sizeof(before)))
        vm.arch.vgic_dirty = true;
    fuzz_check_vgic(gic());
}

/* Distributor offsets: mostly its registers' (a driver's), some anywhere in
 * its 4 KiB or just past it, some misaligned. */
static uint32_t offset(struct fdp *f)
{
    static const uint16_t regs[] = {
        GICD_CTLR,        GICD_TYPER,         GICD_IIDR,          GICD_ISENABLER,   GICD_ISENABLER + 4,
        GICD_ICENABLER,   GICD_ICENABLER + 4, GICD_ISPENDR,       GICD_ISPENDR + 4, GICD_ICPENDR,
        GICD_ICPENDR + 4, GICD_ISACTIVER,     GICD_ISACTIVER + 4, GICD_ICACTIVER,   GICD_ICACTIVER + 4,
        GICD_IPRIORITYR,  GICD_ITARGETSR,     GICD_ICFGR,         GICD_SGIR,        GICD_CPENDSGIR,
        GICD_SPENDSGIR,   GICD_PIDR2,
    };
    uint8_t how = fdp_u8(f);
    if (how < 160)
        return regs[how % ARRAY_SIZE(regs)];
    if (how < 224) /* one of the byte-per-interrupt or per-SGI registers, any byte */
        return (how & 1 ? GICD_IPRIORITYR : how & 2 ? GICD_ITARGETSR : GICD_CPENDSGIR) + fdp_u8(f) % 0x48;
    return fdp_u16(f) % (GICD_SIZE + 8);
}

/* Input: a program of run-loop turns. Each turn enters the guest (refilling
 * the LRs if needed), lets it acknowledge and complete interrupts (a count,
 * then an LR for each), takes an exit, then handles one event (a byte: bit 7
 * makes the exit a physical interrupt; the rest picks): a guest access to the
 * distributor (offset, width, value), a device's line (ID, level), the
 * maintenance interrupt, the virtual timer's interrupt, or the guest stopping
 * its timer. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t widths[] = {1, 2, 4, 3};
    struct fdp f = fdp_make(data, size);
    fuzz_host_reset();
    fuzz_vm_make(&vm, FUZZ_ALL_FEATURES);
    uint32_t base = fuzz_device(&vm, "gicd")->slot->base;
    for (unsigned turns = 0; !fdp_empty(&f) && turns < 256; turns++) {
        enter();
        guest_runs(&f);
        uint8_t op = fdp_u8(&f);
        unsigned event = op & 0x7f;
        exit_guest((op & 0x80) || (event >= 100 && event < 120)); /* a trap, or a physical interrupt */
        if (event < 80) {                                         /* the guest's access */
            uint32_t off = offset(&f);
            struct bus_req r = {.width = widths[fdp_pick(&f, 4)], .write = op & 1, .val = fdp_u32(&f)};
            enum bus_result res = bus_access(&vm.mmio.bus, base + off, &r);
            bool fits = r.width != 3 && off + r.width <= GICD_SIZE;
            FUZZ_CHECK((res == BUS_OK) == fits, "an access of width %u at %#x: bus result %d", r.width, off,
                       res);
            if (fits && !r.write && r.width < 4)
                FUZZ_CHECK(r.val >> (8 * r.width) == 0, "a %u-byte read gives %#x", r.width, r.val);
        } else if (event < 100) { /* a device's line (board.c's vgic_line): SPIs, PPIs, IDs past the last */
            vgic_set_level(gic(), fdp_u8(&f) % (VGIC_NR_IRQS + 8), fdp_bool(&f));
            vm.arch.vgic_dirty = true;
        } else if (event < 110) { /* the interrupt was the maintenance interrupt (virq.c) */
            vgic_sync_lrs(gic());
            vgic_flush_lrs(gic());
        } else if (event < 120) { /* ... the virtual timer's PPI */
            vtimer_fire(gic());
        } else if (gic()->irq[IRQ_VTIMER].level) { /* the guest stopped its timer (virq.c's resample) */
            vtimer_completed(gic());
            vm.arch.vgic_dirty = true;
        }
        fuzz_check_vgic(gic());
    }
    fuzz_snapshot_round_trip(&vm);
    fuzz_vm_free(&vm);
    return 0;
}
