/* Lab 5 student file: a PCI function's configuration space: the header's registers, read-only bits, and BAR sizing. */
#include <minivmm/panic.h>
#include <devices/pci.h>

/* Set to true when Task 1 is done: minivmm then gives the guest its PCI bus. */
const bool lab5_pci_enabled = false;

void pci_cfg_reset(struct pci_cfg *c, const struct pci_ident *id)
{
    (void)c;
    (void)id;
    MV_TODO(5, "Task 1: configuration space");
}

uint32_t pci_cfg_read(const struct pci_cfg *c, unsigned reg, unsigned width)
{
    (void)c;
    (void)reg;
    (void)width;
    MV_TODO(5, "Task 1: configuration space");
}

void pci_cfg_write(struct pci_cfg *c, unsigned reg, unsigned width, uint32_t val)
{
    (void)c;
    (void)reg;
    (void)width;
    (void)val;
    MV_TODO(5, "Task 1: configuration space");
}

bool pci_bar_decodes(const struct pci_cfg *c, unsigned n, uint32_t *base)
{
    (void)c;
    (void)n;
    (void)base;
    MV_TODO(5, "Task 1: configuration space");
}
