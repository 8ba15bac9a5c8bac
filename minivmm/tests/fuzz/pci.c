/* Fuzzes the PCI host bridge (lab 5): configuration accesses through ECAM and accesses to its I/O and memory windows. */
/* The code: the reference pci_cfg.c; devices/pci_host.c and the devices behind it on arch_board. */
#include <string.h>
#include <minivmm/arch.h>
#include <devices/pci.h>
#include "host_stubs.h"
#include "fuzz.h"

static struct vm vm;

/* Every BAR on a window's bus sits inside its window, where its function's
 * header says, with its kind of decoding on; no two overlap (the bus refuses
 * that itself). */
static void check_bars(const struct pci_host *h)
{
    for (unsigned d = 0; d < PCI_MAX_DEVS; d++) {
        const struct pci_fn *f = &h->fn[d];
        for (unsigned n = 0; f->present && n < PCI_NUM_BARS; n++) {
            if (!f->mapped[n])
                continue;
            const struct pci_bar_info *b = &f->cfg.id->bar[n];
            uint32_t base, lo = b->io ? 0 : h->p->mem_cpu, len = b->io ? h->p->io_size : h->p->mem_size;
            FUZZ_CHECK(pci_bar_decodes(&f->cfg, n, &base) && base == f->at[n],
                       "device %u BAR %u on the bus at %#x, not where its header says", d, n, f->at[n]);
            FUZZ_CHECK(f->at[n] >= lo && f->at[n] - lo + b->size <= len,
                       "device %u BAR %u at %#x leaves its window", d, n, f->at[n]);
        }
    }
}

/* A configuration address: mostly an attached device's header registers
 * (and BARs), sometimes any device, function, bus or register. */
static uint32_t ecam_offset(struct fdp *f)
{
    static const uint8_t regs[] = {PCI_VENDOR_ID,  PCI_COMMAND, PCI_STATUS,   PCI_CLASS_REVISION,
                                   PCI_CACHE_LINE, PCI_BAR0,    PCI_BAR0 + 4, PCI_BAR0 + 8,
                                   PCI_BAR0 + 20,  PCI_INT_LINE};
    uint8_t how = fdp_u8(f);
    if (how < 200) {
        unsigned dev = how & 1 ? 1 : fdp_pick(f, PCI_MAX_DEVS);
        return dev << 15 | (regs[fdp_pick(f, sizeof(regs))] + (how >> 6 & 3));
    }
    return fdp_u32(f) & 0xffffffu;
}

/* Input: up to 512 operations, each a byte (which: ECAM, I/O window,
 * memory window; bit 7 a write), a width index (1, 2, 4 or 3 bytes), an
 * offset and a value. The target's checks: every access in a region is
 * answered, reads give no bits past their width, the BARs stay in their
 * windows, and the state reached survives a snapshot round trip. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t widths[] = {1, 2, 4, 3};
    struct fdp f = fdp_make(data, size);
    fuzz_host_reset();
    fuzz_vm_make(&vm, FUZZ_ALL_FEATURES | VM_F_PCI);
    const struct pci_host *h = vm.pci;
    uint32_t ecam = fuzz_device(&vm, "pci-host")->slot->base;
    for (unsigned ops = 0; !fdp_empty(&f) && ops < 512; ops++) {
        uint8_t op = fdp_u8(&f), which = op & 0x7f;
        struct bus_req r = {.width = widths[fdp_pick(&f, 4)], .write = op >> 7};
        uint32_t addr = which < 64    ? ecam + ecam_offset(&f)
                        : which < 100 ? h->p->io_cpu + fdp_u16(&f) % h->p->io_size
                                      : h->p->mem_cpu + fdp_u32(&f) % h->p->mem_size;
        r.val = fdp_u32(&f);
        enum bus_result res = bus_access(&vm.mmio.bus, addr, &r);
        if (r.width == 3) {
            FUZZ_CHECK(res == BUS_ERROR, "a 3-byte access at %#x: bus result %d", addr, res);
            continue;
        }
        if (!bus_find(&vm.mmio.bus, addr, r.width)) /* across a window's end: nobody's */
            continue;
        FUZZ_CHECK(res == BUS_OK, "an access of width %u at %#x: bus result %d", r.width, addr, res);
        if (!r.write && r.width < 4)
            FUZZ_CHECK(r.val >> (8 * r.width) == 0, "a %u-byte read at %#x gives %#x", r.width, addr, r.val);
        check_bars(h);
    }
    fuzz_snapshot_round_trip(&vm);
    fuzz_vm_free(&vm);
    return 0;
}
