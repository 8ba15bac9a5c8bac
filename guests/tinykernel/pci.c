/* tinykernel's PCI: configuration space through the ECAM, bus enumeration, BAR sizing and assignment.
 *
 * The ECAM maps every function's 4 KiB of configuration space into memory:
 * bus << 20 | device << 15 | function << 12 | register. Nobody assigns BARs
 * before tinykernel runs (there is no firmware): a driver sizes its BAR,
 * places it in the I/O window (or a memory BAR in the memory window) and turns
 * decoding on, as Linux does. */
#include "kernel.h"
#include "pci.h"

/* The virt board routes INTA-INTD of device d, pin p (1 = INTA) to SPI
 * PCI_SPI_BASE + (d + p - 1) % 4, the swizzle of QEMU's interrupt-map. */
#define PCI_SPI_BASE 3
#define GIC_SPI0 32 /* interrupt ID of SPI 0 */

uint32_t pci_ecam;

bool pci_init(void)
{
    pci_ecam = fdt_device(boot_dtb, "pci-host-ecam-generic");
    return pci_ecam != 0;
}

static uint32_t cfg(pci_bdf f, unsigned reg)
{
    return pci_ecam + ((uint32_t)PCI_BUS(f) << 20 | PCI_DEV(f) << 15 | PCI_FN(f) << 12 | (reg & 0xfff));
}

uint32_t pci_read32(pci_bdf f, unsigned reg) { return mmio_read32(cfg(f, reg & ~3u)); }
uint16_t pci_read16(pci_bdf f, unsigned reg) { return (uint16_t)mmio_read16(cfg(f, reg & ~1u)); }
uint8_t pci_read8(pci_bdf f, unsigned reg) { return (uint8_t)mmio_read8(cfg(f, reg)); }
void pci_write32(pci_bdf f, unsigned reg, uint32_t v) { mmio_write32(cfg(f, reg & ~3u), v); }
void pci_write16(pci_bdf f, unsigned reg, uint16_t v) { mmio_write16(cfg(f, reg & ~1u), v); }

/* Function f, if something answers there. */
static bool probe(pci_bdf f, struct pci_fn *out)
{
    uint32_t id = pci_read32(f, PCI_VENDOR_ID);
    if ((id & 0xffff) == PCI_NO_DEVICE)
        return false;
    out->bdf = f;
    out->vendor = (uint16_t)id;
    out->device = (uint16_t)(id >> 16);
    out->class = pci_read32(f, PCI_CLASS_REVISION) >> 8;
    return true;
}

unsigned pci_scan(unsigned bus, struct pci_fn *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned dev = 0; dev < 32 && n < max; dev++) {
        if (!probe(PCI_BDF(bus, dev, 0), &out[n]))
            continue;
        n++;
        bool multi = pci_read8(PCI_BDF(bus, dev, 0), PCI_HEADER_TYPE) & PCI_HEADER_MULTI;
        for (unsigned fn = 1; multi && fn < 8 && n < max; fn++)
            n += probe(PCI_BDF(bus, dev, fn), &out[n]);
    }
    return n;
}

bool pci_find(uint16_t vendor, uint16_t device, struct pci_fn *out)
{
    struct pci_fn fns[32];
    unsigned n = pci_scan(0, fns, 32);
    for (unsigned i = 0; i < n; i++)
        if (fns[i].vendor == vendor && fns[i].device == device) {
            *out = fns[i];
            return true;
        }
    return false;
}

/* The size is the lowest address bit the BAR keeps after all ones were
 * written; the bits below it read 0 (besides the type bits). An I/O BAR may
 * decode only 16 bits, so its upper half can read 0. */
struct pci_bar pci_bar_size(pci_bdf f, unsigned n)
{
    unsigned reg = PCI_BAR0 + 4 * n;
    uint16_t cmd = pci_read16(f, PCI_COMMAND);
    uint32_t old = pci_read32(f, reg);
    pci_write16(f, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    pci_write32(f, reg, 0xffffffffu);
    struct pci_bar b = {.readback = pci_read32(f, reg)};
    pci_write32(f, reg, old);
    pci_write16(f, PCI_COMMAND, cmd);
    b.io = b.readback & PCI_BAR_IO;
    uint32_t addr = b.readback & (b.io ? ~0x3u : ~0xfu);
    b.size = addr & -addr; /* lowest set bit; 0 if none */
    return b;
}

void pci_assign_io(pci_bdf f, unsigned n, uint16_t port)
{
    uint16_t cmd = pci_read16(f, PCI_COMMAND);
    pci_write16(f, PCI_COMMAND, cmd & ~PCI_COMMAND_IO); /* no decoding while the BAR moves */
    pci_write32(f, PCI_BAR0 + 4 * n, port);
    pci_write16(f, PCI_COMMAND, cmd | PCI_COMMAND_IO);
}

void pci_assign_mem(pci_bdf f, unsigned n, uint32_t addr)
{
    uint16_t cmd = pci_read16(f, PCI_COMMAND);
    pci_write16(f, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
    pci_write32(f, PCI_BAR0 + 4 * n, addr);
    pci_write16(f, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
}

unsigned pci_irq(pci_bdf f)
{
    unsigned pin = pci_read8(f, PCI_INTERRUPT_PIN);
    if (pin < 1 || pin > 4)
        return 0;
    return GIC_SPI0 + PCI_SPI_BASE + (PCI_DEV(f) + pin - 1) % 4;
}
