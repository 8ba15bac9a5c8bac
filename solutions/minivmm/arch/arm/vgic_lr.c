/* Lab 4 reference: deliver the guest's interrupts through the list registers, by priority, and take back what it completed. */
#include <arch/vgic.h>

static bool deliverable(const struct vgic *g, unsigned id)
{
    const struct vgic_irq *q = &g->irq[id];
    bool pending = q->pending || (!q->edge && q->level);
    return g->enabled && (id < 16 || q->enabled) && pending && !q->active && q->lr < 0;
}

/* The deliverable interrupt with the highest priority (lowest value; ties: lowest ID), or -1. */
static int best_waiting(const struct vgic *g)
{
    int best = -1;
    for (unsigned id = 0; id < VGIC_NR_IRQS; id++)
        if (deliverable(g, id) && (best < 0 || g->irq[id].priority < g->irq[best].priority))
            best = (int)id;
    return best;
}

static int free_lr(const struct vgic *g)
{
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        if (!(g->lr[i] >> LR_STATE_SHIFT & 3))
            return (int)i;
    return -1;
}

/* The LR holding a merely pending interrupt of lower priority than prio, or -1. */
static int evictable_lr(const struct vgic *g, uint8_t prio)
{
    int worst = -1;
    uint8_t worst_prio = prio;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++) {
        uint32_t lr = g->lr[i];
        uint8_t p = (uint8_t)(((lr >> LR_PRIO_SHIFT) & 0x1f) << 3);
        if ((lr >> LR_STATE_SHIFT & 3) == 1 && p > worst_prio) {
            worst = (int)i;
            worst_prio = p;
        }
    }
    return worst;
}

static void place(struct vgic *g, unsigned id, unsigned i)
{
    struct vgic_irq *q = &g->irq[id];
    uint32_t lr = id | (uint32_t)(q->priority >> 3) << LR_PRIO_SHIFT | LR_PENDING;
    if (!q->edge)
        lr |= LR_EOI; /* its line must be sampled again when the guest is done */
    q->lr_latched = q->pending;
    q->pending = false; /* the pending state now lives in the LR */
    q->lr = (int8_t)i;
    g->lr[i] = lr;
    gich_write_lr(i, lr);
    g->injected++;
}

/* Put an evicted interrupt back in the distributor as pending. */
static void evict(struct vgic *g, unsigned i)
{
    unsigned id = g->lr[i] & LR_VID_MASK;
    g->irq[id].pending = g->irq[id].lr_latched; /* a level line stays as it is */
    g->irq[id].lr = -1;
    g->lr[i] = 0;
    gich_write_lr(i, 0);
}

/* An interrupt pending again while the guest still handles it (active in its
 * LR): ask for a maintenance interrupt when the guest completes it, so that
 * it is delivered again then and not at some later, unrelated exit. */
static void notify_on_completion(struct vgic *g)
{
    for (unsigned i = 0; i < VGIC_NR_LRS; i++) {
        uint32_t lr = g->lr[i];
        if (lr && !(lr & LR_EOI) && g->irq[lr & LR_VID_MASK].pending) {
            g->lr[i] = lr | LR_EOI;
            gich_write_lr(i, g->lr[i]);
        }
    }
}

void vgic_flush_lrs(struct vgic *g)
{
    int id;
    bool waiting = false;
    notify_on_completion(g);
    while ((id = best_waiting(g)) >= 0) {
        int i = free_lr(g);
        if (i < 0 && (i = evictable_lr(g, g->irq[id].priority)) >= 0)
            evict(g, (unsigned)i);
        if (i < 0) {
            waiting = true; /* every LR holds something at least as urgent */
            break;
        }
        place(g, (unsigned)id, (unsigned)i);
    }
    uint32_t hcr = GICH_HCR_EN | (waiting ? GICH_HCR_UIE : 0);
    if (hcr != g->hcr) {
        g->hcr = hcr;
        gich_write_hcr(hcr);
    }
}

void vgic_sync_lrs(struct vgic *g)
{
    for (unsigned i = 0; i < VGIC_NR_LRS; i++) {
        if (!g->lr[i])
            continue;
        uint32_t lr = gich_read_lr(i);
        unsigned id = g->lr[i] & LR_VID_MASK;
        if (lr >> LR_STATE_SHIFT & 3) {
            g->lr[i] = lr; /* still pending or active: the guest has not finished it */
            continue;
        }
        struct vgic_irq *q = &g->irq[id]; /* invalid: the guest completed it */
        q->lr = -1;
        q->active = false;
        g->lr[i] = 0;
        gich_write_lr(i, 0); /* clears its EISR bit: the EOI maintenance interrupt ends */
        if (!q->edge && g->eoi)
            g->eoi(g->ctx, id);
    }
}
