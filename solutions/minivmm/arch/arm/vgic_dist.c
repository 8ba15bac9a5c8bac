/* Lab 4 reference: the guest's GICv2 distributor: per-interrupt state and its registers, as an MMIO device. */
#include <minivmm/string.h>
#include <arch/vgic.h>

const bool lab4_vgic_enabled = true;

void vgic_init(struct vgic *g)
{
    void (*eoi)(void *, unsigned) = g->eoi;
    void *ctx = g->ctx;
    memset(g, 0, sizeof(*g));
    g->eoi = eoi;
    g->ctx = ctx;
    for (unsigned i = 0; i < VGIC_NR_IRQS; i++) {
        g->irq[i].lr = -1;
        g->irq[i].edge = i < 16; /* SGIs are edge-triggered; PPIs and SPIs start level */
        g->irq[i].target = 1;
    }
}

static bool sgi(unsigned id)
{
    return id < 16;
}

/* What the guest's ISPENDR shows: latched, or the line of a level interrupt, or in an LR as pending. */
static bool is_pending(const struct vgic *g, unsigned id)
{
    const struct vgic_irq *q = &g->irq[id];
    if (q->lr >= 0) /* in an LR: its state there, or pending again since (latched) */
        return (g->lr[q->lr] & LR_PENDING) || q->pending;
    return q->pending || (!q->edge && q->level);
}

static bool is_active(const struct vgic *g, unsigned id)
{
    const struct vgic_irq *q = &g->irq[id];
    if (q->lr >= 0)
        return (g->lr[q->lr] & LR_ACTIVE) != 0;
    return q->active;
}

/* One bit per interrupt, 32 per register: read the bitmap of a predicate. */
static uint32_t bitmap(const struct vgic *g, uint32_t word, bool (*bit)(const struct vgic *, unsigned))
{
    uint32_t v = 0;
    for (unsigned b = 0; b < 32; b++)
        if (bit(g, word * 32 + b))
            v |= 1u << b;
    return v;
}

static bool is_enabled(const struct vgic *g, unsigned id)
{
    return sgi(id) || g->irq[id].enabled;
}

/* Take an interrupt out of its list register (its state goes back to the
 * distributor); the next flush places whatever should be there. */
static void unlist(struct vgic *g, unsigned id)
{
    struct vgic_irq *q = &g->irq[id];
    if (q->lr < 0)
        return;
    uint32_t lr = g->lr[q->lr];
    q->active = (lr & LR_ACTIVE) != 0;
    if (q->lr_latched && (lr & LR_PENDING))
        q->pending = true;
    g->lr[q->lr] = 0;
    gich_write_lr((unsigned)q->lr, 0);
    q->lr = -1;
}

/* Change the state bits of the LR holding id. An LR left with neither
 * pending nor active is free again: the interrupt is complete, as if the
 * guest had deactivated it (a level-sensitive source is sampled again). */
static void lr_edit(struct vgic *g, unsigned id, uint32_t clear, uint32_t set)
{
    struct vgic_irq *q = &g->irq[id];
    unsigned i = (unsigned)q->lr;
    uint32_t lr = (g->lr[i] & ~clear) | set;
    if (!(lr & (LR_PENDING | LR_ACTIVE)))
        lr = 0;
    g->lr[i] = lr;
    gich_write_lr(i, lr);
    if (lr)
        return;
    q->lr = -1;
    q->active = false;
    if (!q->edge && g->eoi)
        g->eoi(g->ctx, id);
}

/* Make id pending. Already pending in its LR: nothing more (pending is one
 * state, not a count). Active in its LR: latched, and delivered again once the
 * guest completes it (the flush asks for an EOI maintenance interrupt). */
static void make_pending(struct vgic *g, unsigned id)
{
    struct vgic_irq *q = &g->irq[id];
    if (q->lr >= 0 && (g->lr[q->lr] & LR_PENDING))
        return;
    q->pending = true;
}

/* Withdraw an interrupt that is only pending in its LR (disabled, or the
 * distributor turned off): the guest must not take it now. */
static void withdraw(struct vgic *g, unsigned id)
{
    struct vgic_irq *q = &g->irq[id];
    if (q->lr >= 0 && (g->lr[q->lr] >> LR_STATE_SHIFT & 3) == 1)
        unlist(g, id);
}

/* Apply a write-1-to-act register to every set bit. */
static void for_bits(struct vgic *g, uint32_t word, uint32_t v, void (*act)(struct vgic *, unsigned))
{
    for (unsigned b = 0; b < 32; b++)
        if (v & (1u << b))
            act(g, word * 32 + b);
}

static void set_enable(struct vgic *g, unsigned id)
{
    g->irq[id].enabled = true;
}
static void clear_enable(struct vgic *g, unsigned id)
{
    if (sgi(id))
        return; /* SGIs stay enabled (RAO/WI, as on GIC-400) */
    g->irq[id].enabled = false;
    withdraw(g, id);
}
static void set_pending(struct vgic *g, unsigned id)
{
    if (!sgi(id)) /* SGIs are made pending through GICD_SGIR / SPENDSGIR */
        make_pending(g, id);
}
static void clear_pending(struct vgic *g, unsigned id)
{
    g->irq[id].pending = false;
    if (g->irq[id].lr >= 0)
        lr_edit(g, id, LR_PENDING, 0);
}
static void set_active(struct vgic *g, unsigned id)
{
    if (g->irq[id].lr >= 0)
        lr_edit(g, id, 0, LR_ACTIVE);
    else
        g->irq[id].active = true;
}
static void clear_active(struct vgic *g, unsigned id)
{
    if (g->irq[id].lr >= 0)
        lr_edit(g, id, LR_ACTIVE, 0);
    else
        g->irq[id].active = false;
}

/* GICD_SGIR: TargetListFilter 25:24 (0 list, 1 all others, 2 self), CPUTargetList 23:16, ID 3:0. */
static void write_sgir(struct vgic *g, uint32_t v)
{
    unsigned filter = (v >> 24) & 3, list = (v >> 16) & 0xff;
    bool to_self = filter == 2 || (filter == 0 && (list & 1));
    if (to_self)
        make_pending(g, v & 0xf);
}

static uint32_t read_bytes(const struct vgic *g, uint32_t off, uint32_t base, bool prio)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++) {
        unsigned id = off - base + i;
        v |= (uint32_t)(prio ? g->irq[id].priority : g->irq[id].target) << (8 * i);
    }
    return v;
}

static uint32_t read_icfgr(const struct vgic *g, uint32_t word)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 16; i++)
        if (g->irq[word * 16 + i].edge)
            v |= 2u << (2 * i);
    return v;
}

static uint32_t read_word(struct vgic *g, uint32_t off)
{
    if (off == GICD_CTLR)
        return g->enabled;
    if (off == GICD_TYPER)
        return (VGIC_NR_IRQS / 32) - 1;
    if (off == GICD_IIDR)
        return GICD_IIDR_VALUE;
    if (off == GICD_PIDR2)
        return 0x2b;
    uint32_t w = (off & 0x7f) / 4;
    if (off >= GICD_ISENABLER && off < GICD_ISENABLER + 0x100 && w < 2)
        return bitmap(g, w, is_enabled); /* ISENABLER and ICENABLER read alike */
    if (off >= GICD_ISPENDR && off < GICD_ISPENDR + 0x100 && w < 2)
        return bitmap(g, w, is_pending);
    if (off >= GICD_ISACTIVER && off < GICD_ISACTIVER + 0x100 && w < 2)
        return bitmap(g, w, is_active);
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + VGIC_NR_IRQS)
        return read_bytes(g, off, GICD_IPRIORITYR, true);
    if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + VGIC_NR_IRQS)
        return read_bytes(g, off, GICD_ITARGETSR, false);
    if (off >= GICD_ICFGR && off < GICD_ICFGR + VGIC_NR_IRQS / 4)
        return read_icfgr(g, (off - GICD_ICFGR) / 4);
    if (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16) {
        uint32_t v = 0; /* one byte per SGI, one bit per requesting CPU: CPU 0 */
        for (unsigned i = 0; i < 4; i++)
            if (is_pending(g, (off & 0xf) + i))
                v |= 1u << (8 * i);
        return v;
    }
    return 0; /* reserved and unimplemented registers read as zero */
}

bool vgicd_read(void *dev, uint32_t off, unsigned width, uint32_t *val)
{
    uint32_t v = read_word(dev, off & ~3u) >> (8 * (off & 3));
    *val = width == 4 ? v : v & ((1u << (8 * width)) - 1);
    return true;
}

static void write_bytes(struct vgic *g, uint32_t off, unsigned width, uint32_t v, bool prio)
{
    uint32_t base = prio ? GICD_IPRIORITYR : GICD_ITARGETSR;
    for (unsigned i = 0; i < width; i++) {
        unsigned id = off - base + i;
        if (id >= VGIC_NR_IRQS)
            break; /* an unaligned write running past the last ID */
        uint8_t b = (uint8_t)(v >> (8 * i));
        if (prio) {
            g->irq[id].priority = b & VGIC_PRIO_MASK;
            withdraw(g, id); /* waiting in an LR at its old priority: placed again at the new one */
        } else if (id >= 32)
            g->irq[id].target = b & 1; /* SGI/PPI targets are read-only; one CPU */
    }
}

static void write_icfgr(struct vgic *g, uint32_t word, uint32_t v)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned id = word * 16 + i;
        if (id >= 32) /* SGIs are edge and PPIs level, read-only */
            g->irq[id].edge = (v >> (2 * i + 1)) & 1;
    }
}

static void write_word(struct vgic *g, uint32_t off, uint32_t v)
{
    uint32_t w = (off & 0x7f) / 4;
    if (off == GICD_CTLR) {
        g->enabled = v & 1;
        for (unsigned id = 0; id < VGIC_NR_IRQS && !g->enabled; id++)
            withdraw(g, id);
    } else if (off == GICD_SGIR)
        write_sgir(g, v);
    else if (w >= 2)
        return; /* registers of interrupt IDs above 63: not implemented */
    else if (off >= GICD_ISENABLER && off < GICD_ICENABLER)
        for_bits(g, w, v, set_enable);
    else if (off >= GICD_ICENABLER && off < GICD_ISPENDR)
        for_bits(g, w, v, clear_enable);
    else if (off >= GICD_ISPENDR && off < GICD_ICPENDR)
        for_bits(g, w, v, set_pending);
    else if (off >= GICD_ICPENDR && off < GICD_ISACTIVER)
        for_bits(g, w, v, clear_pending);
    else if (off >= GICD_ISACTIVER && off < GICD_ICACTIVER)
        for_bits(g, w, v, set_active);
    else if (off >= GICD_ICACTIVER && off < GICD_ICACTIVER + 0x80)
        for_bits(g, w, v, clear_active);
}

bool vgicd_write(void *dev, uint32_t off, unsigned width, uint32_t val)
{
    struct vgic *g = dev;
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + VGIC_NR_IRQS)
        write_bytes(g, off, width, val, true); /* byte-accessible */
    else if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + VGIC_NR_IRQS)
        write_bytes(g, off, width, val, false);
    else if (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16)
        for (unsigned i = 0; i < width; i++) {
            unsigned id = (off & 0xf) + i;
            if (id >= 16 || !((val >> (8 * i)) & 1))
                continue;
            if (off < GICD_SPENDSGIR)
                clear_pending(g, id);
            else
                make_pending(g, id);
        }
    else if (width == 4 && !(off & 3) && off >= GICD_ICFGR && off < GICD_ICFGR + VGIC_NR_IRQS / 4)
        write_icfgr(g, (off - GICD_ICFGR) / 4, val);
    else if (width == 4 && !(off & 3))
        write_word(g, off, val);
    return true; /* narrow writes to word registers, and reserved space, are ignored */
}

void vgic_set_level(struct vgic *g, unsigned intid, bool level)
{
    if (intid >= VGIC_NR_IRQS || sgi(intid))
        return;
    struct vgic_irq *q = &g->irq[intid];
    if (q->edge && level && !q->level)
        make_pending(g, intid); /* a rising edge */
    q->level = level;
    if (!q->edge && !level && !q->lr_latched)
        withdraw(g, intid); /* a level interrupt stops being pending when its line drops */
}

bool vgic_has_pending(const struct vgic *g)
{
    if (!g->enabled)
        return false;
    for (unsigned i = 0; i < VGIC_NR_IRQS; i++)
        if (is_enabled(g, i) && is_pending(g, i))
            return true;
    return false;
}
