/* Lab 5 student file: a PCI function's configuration space: the header's registers, read-only bits, and BAR sizing. */
#include <devices/pci.h>

const bool lab5_pci_enabled = true;

void pci_cfg_reset(struct pci_cfg *c, const struct pci_ident *id)
{
    *c = (struct pci_cfg){.id = id};
}

/* A BAR as it reads: the address bits written, the type bits fixed. */
static uint32_t bar_value(const struct pci_cfg *c, unsigned n)
{
    const struct pci_bar_info *b = &c->id->bar[n];
    if (!b->size)
        return 0; /* no BAR: reads 0, and writing all ones reads back 0 */
    return c->bar[n] | (b->io ? PCI_BAR_IO : 0);
}

/* The aligned dword at reg as the header holds it. Header type 0 (one
 * function), no BIST, no capabilities, no expansion ROM. */
static uint32_t dword(const struct pci_cfg *c, unsigned reg)
{
    const struct pci_ident *id = c->id;
    if (reg >= PCI_BAR0 && reg < PCI_BAR0 + 4 * PCI_NUM_BARS)
        return bar_value(c, (reg - PCI_BAR0) / 4);
    switch (reg) {
    case PCI_VENDOR_ID: return id->vendor | (uint32_t)id->device << 16;
    case PCI_COMMAND: return c->command | (uint32_t)(c->intx ? PCI_STATUS_INTX : 0) << 16;
    case PCI_CLASS_REVISION: return id->revision | id->class_code << 8;
    case PCI_CACHE_LINE: return c->cache_line | (uint32_t)c->latency << 8;
    case PCI_SUBSYS_VENDOR: return id->subsys_vendor | (uint32_t)id->subsys << 16;
    case PCI_INT_LINE: return c->int_line | (uint32_t)id->int_pin << 8;
    default: return 0;
    }
}

static uint32_t width_mask(unsigned width)
{
    return width >= 4 ? ~0u : (1u << (8 * width)) - 1;
}

uint32_t pci_cfg_read(const struct pci_cfg *c, unsigned reg, unsigned width)
{
    return (dword(c, reg & ~3u) >> (8 * (reg & 3))) & width_mask(width);
}

/* A BAR keeps the address bits its size allows: the low log2(size) bits
 * (the type bits among them) read back as the device fixes them. */
static void write_bar(struct pci_cfg *c, unsigned n, uint32_t val)
{
    uint32_t size = c->id->bar[n].size;
    c->bar[n] = size ? val & ~(size - 1) : 0;
}

/* A narrow write changes only its bytes of the dword: merge it into the
 * dword as it reads, then store what is writable. */
void pci_cfg_write(struct pci_cfg *c, unsigned reg, unsigned width, uint32_t val)
{
    unsigned base = reg & ~3u, shift = 8 * (reg & 3);
    uint32_t mask = width_mask(width) << shift;
    uint32_t v = (dword(c, base) & ~mask) | ((val << shift) & mask);
    if (base >= PCI_BAR0 && base < PCI_BAR0 + 4 * PCI_NUM_BARS) {
        write_bar(c, (base - PCI_BAR0) / 4, v);
        return;
    }
    switch (base) {
    case PCI_COMMAND: /* STATUS, the upper half, has no bits a write changes */
        c->command = (uint16_t)(v & PCI_CMD_WRITABLE);
        break;
    case PCI_CACHE_LINE:
        c->cache_line = (uint8_t)v;
        c->latency = (uint8_t)(v >> 8);
        break;
    case PCI_INT_LINE: c->int_line = (uint8_t)v; break;
    default: /* read-only or unimplemented */ break;
    }
}

bool pci_bar_decodes(const struct pci_cfg *c, unsigned n, uint32_t *base)
{
    if (n >= PCI_NUM_BARS || !c->id->bar[n].size)
        return false;
    if (!(c->command & (c->id->bar[n].io ? PCI_CMD_IO : PCI_CMD_MEM)))
        return false;
    *base = c->bar[n];
    return true;
}
