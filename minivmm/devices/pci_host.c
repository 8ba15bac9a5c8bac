/* The PCI host bridge (pci-host-ecam-generic): ECAM configuration space, the I/O and memory windows, and each BAR placed on them as the guest programs it. */
#include <minivmm/alloc.h>
#include <minivmm/console.h>
#include <minivmm/device.h>
#include <minivmm/snapshot.h>
#include <minivmm/vm.h>
#include <devices/pci.h>

/* ECAM: bus in bits 27:20, device 19:15, function 14:12, register 11:0. */
#define ECAM_BUS(off) ((off) >> 20)
#define ECAM_DEV(off) (((off) >> 15) & 31u)
#define ECAM_FN(off)  (((off) >> 12) & 7u)
#define ECAM_REG(off) ((off)&0xfffu)

static uint32_t all_ones(unsigned width)
{
    return width >= 4 ? ~0u : (1u << (8 * width)) - 1;
}

/* The function an ECAM offset names, or NULL: only bus 0, function 0 of an
 * attached device exists. */
static struct pci_fn *fn_at(struct pci_host *h, uint32_t off)
{
    struct pci_fn *f = &h->fn[ECAM_DEV(off)];
    if (ECAM_BUS(off) != 0 || ECAM_FN(off) != 0 || !f->present)
        return NULL;
    return f;
}

/* The function's INTx pin to the interrupt controller: what its device
 * drives, unless COMMAND.INTX_OFF holds it low. */
static void drive_intx(struct pci_fn *f)
{
    irq_line_set(&f->irq, f->cfg.intx && !(f->cfg.command & PCI_CMD_INTX_OFF));
}

static void intx_set(void *ctx, unsigned irq, bool level)
{
    struct pci_fn *f = ctx;
    (void)irq;
    f->cfg.intx = level;
    drive_intx(f);
}

/* A configuration access. An absent function reads all ones (the bus's
 * master abort: how enumeration sees an empty slot) and ignores writes; so
 * does a misaligned access. Beyond the 256-byte header reads 0. */
static enum bus_result ecam_access(void *state, struct bus_req *req)
{
    struct pci_host *h = state;
    struct pci_fn *f = fn_at(h, req->off);
    unsigned reg = ECAM_REG(req->off);
    bool valid = f && !(reg & (req->width - 1u));
    if (!req->write) {
        h->cfg_reads++;
        req->val = !valid               ? all_ones(req->width)
                   : reg < PCI_CFG_SIZE ? pci_cfg_read(&f->cfg, reg, req->width)
                                        : 0;
        return BUS_OK;
    }
    h->cfg_writes++;
    if (valid && reg < PCI_CFG_SIZE) {
        pci_cfg_write(&f->cfg, reg, req->width, req->val);
        pci_host_sync(h); /* a BAR or COMMAND may have changed what decodes where */
        drive_intx(f);
    }
    return BUS_OK;
}

/* A window access goes to whichever BAR claims it; nobody: a master abort,
 * which reads all ones and drops writes (no bus error for the guest). */
static enum bus_result window(struct pci_host *h, struct bus *b, uint32_t addr, struct bus_req *req)
{
    enum bus_result r = bus_access(b, addr, req);
    if (r != BUS_NOT_MINE)
        return r;
    h->master_aborts++;
    if (!req->write)
        req->val = all_ones(req->width);
    return BUS_OK;
}

static enum bus_result io_access(void *state, struct bus_req *req)
{
    struct pci_host *h = state;
    return window(h, &h->io, req->off, req);
}

static enum bus_result mem_access(void *state, struct bus_req *req)
{
    struct pci_host *h = state;
    return window(h, &h->mem, h->p->mem_cpu + req->off, req);
}

static const struct bus_ops ecam_ops = {"pci-ecam", ecam_access};
static const struct bus_ops io_ops = {"pci-io", io_access};
static const struct bus_ops mem_ops = {"pci-mem", mem_access};

/* Does [base, base + size) lie inside the BAR's window? A BAR anywhere else
 * (over RAM, the GIC, the VMM, half outside, wrapping) is left off the bus:
 * the guest can only ever place device registers inside the windows. */
static bool in_window(const struct pci_host *h, bool io, uint32_t base, uint32_t size)
{
    uint32_t lo = io ? 0 : h->p->mem_cpu, len = io ? h->p->io_size : h->p->mem_size;
    return base >= lo && base - lo <= len && size <= len - (base - lo);
}

static bool bar_wanted(const struct pci_host *h, const struct pci_fn *f, unsigned n, uint32_t *base)
{
    const struct pci_bar_info *b = &f->cfg.id->bar[n];
    return pci_bar_decodes(&f->cfg, n, base) && in_window(h, b->io, *base, b->size);
}

/* Two passes: first every BAR that moved or stopped decoding leaves its bus,
 * so that a BAR moving into a place just given up finds it free; then every
 * BAR that should decode and does not is added. One that overlaps another
 * stays off (the guest's error) and is counted. */
void pci_host_sync(struct pci_host *h)
{
    for (unsigned d = 0; d < PCI_MAX_DEVS; d++) {
        struct pci_fn *f = &h->fn[d];
        for (unsigned n = 0; f->present && n < PCI_NUM_BARS; n++) {
            uint32_t base;
            if (f->mapped[n] && (!bar_wanted(h, f, n, &base) || base != f->at[n])) {
                bus_remove(f->cfg.id->bar[n].io ? &h->io : &h->mem, f->at[n]);
                f->mapped[n] = false;
            }
        }
    }
    for (unsigned d = 0; d < PCI_MAX_DEVS; d++) {
        struct pci_fn *f = &h->fn[d];
        for (unsigned n = 0; f->present && n < PCI_NUM_BARS; n++) {
            uint32_t base;
            if (f->mapped[n] || !pci_bar_decodes(&f->cfg, n, &base))
                continue;
            const struct pci_bar_info *b = &f->cfg.id->bar[n];
            if (!in_window(h, b->io, base, b->size) ||
                bus_add(b->io ? &h->io : &h->mem, base, b->size, f->ops, f->dev)) {
                h->bars_refused++;
                continue;
            }
            f->mapped[n] = true;
            f->at[n] = base;
        }
    }
}

int pci_host_attach(struct pci_host *h, unsigned dev, const struct pci_ident *id, const struct bus_ops *ops,
                    void *state, struct irq_line *irq)
{
    if (dev >= PCI_MAX_DEVS || h->fn[dev].present || !id || !ops || !ops->access)
        return -1;
    struct pci_fn *f = &h->fn[dev];
    *f = (struct pci_fn){.ops = ops, .dev = state, .present = true, .irq = *irq};
    pci_cfg_reset(&f->cfg, id);
    *irq = (struct irq_line){intx_set, f, irq->irq};
    return 0;
}

/* The bridge and its two windows; the ECAM is the slot's own region. */
static void *host_create(struct device *d)
{
    const struct pci_host_params *p = d->slot->params;
    struct pci_host *h = mv_calloc(1, sizeof(*h));
    if (!h || !p)
        return NULL;
    h->p = p;
    if (bus_add(&d->vm->mmio.bus, p->io_cpu, p->io_size, &io_ops, h) ||
        bus_add(&d->vm->mmio.bus, p->mem_cpu, p->mem_size, &mem_ops, h))
        return NULL;
    d->vm->pci = h;
    return h;
}

/* Every function as at power-on: decoding off, so every BAR leaves its bus. */
static void host_reset(struct device *d)
{
    struct pci_host *h = d->state;
    for (unsigned i = 0; i < PCI_MAX_DEVS; i++) {
        struct pci_fn *f = &h->fn[i];
        if (!f->present)
            continue;
        pci_cfg_reset(&f->cfg, f->cfg.id);
        drive_intx(f);
    }
    pci_host_sync(h);
}

/* What the guest wrote into each function's header; where the BARs sit on
 * the buses follows from it, so a restore places them again. */
static void host_snapshot(void *state, struct snap *s)
{
    struct pci_host *h = state;
    for (unsigned i = 0; i < PCI_MAX_DEVS; i++) {
        struct pci_cfg *c = &h->fn[i].cfg;
        if (!h->fn[i].present)
            continue;
        snap_u16(s, &c->command);
        snap_u32s(s, c->bar, PCI_NUM_BARS);
        snap_u8(s, &c->int_line);
        snap_u8(s, &c->cache_line);
        snap_u8(s, &c->latency);
        snap_bool(s, &c->intx);
        snap_check(s, !(c->command & ~PCI_CMD_WRITABLE));
        for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
            uint32_t size = c->id->bar[n].size;
            snap_check(s, size ? !(c->bar[n] & (size - 1)) : !c->bar[n]);
        }
    }
    if (s->dir != SNAP_RESTORE || s->failed)
        return;
    pci_host_sync(h);
    for (unsigned i = 0; i < PCI_MAX_DEVS; i++)
        if (h->fn[i].present)
            drive_intx(&h->fn[i]);
}

static void host_stats(const struct device *d)
{
    const struct pci_host *h = d->state;
    printk("minivmm: PCI: %llu config reads, %llu config writes, %llu BARs refused, %llu master aborts\n",
           (unsigned long long)h->cfg_reads, (unsigned long long)h->cfg_writes,
           (unsigned long long)h->bars_refused, (unsigned long long)h->master_aborts);
    bus_print_stats(&h->io, "minivmm:   port ");
    bus_print_stats(&h->mem, "minivmm:   mem  ");
}

DEVICE_TYPE(pci_host) = {
    .name = "pci-host",
    .snap_version = 1,
    .create = host_create,
    .reset = host_reset,
    .ops = &ecam_ops,
    .snapshot = host_snapshot,
    .print_stats = host_stats,
};
