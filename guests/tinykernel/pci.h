/* tinykernel's PCI: configuration space through the ECAM, bus enumeration, BAR sizing and assignment, port I/O. */
#ifndef TK_PCI_H
#define TK_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "mmio.h"

/* The virt board's PCI windows (QEMU's virt with highmem=off, mirrored by minivmm):
 * PCI port p answers at CPU address PCI_IO_WINDOW + p. */
#define PCI_IO_WINDOW 0x3eff0000u
#define PCI_IO_SIZE 0x10000u
/* ... and the memory window: memory BARs are placed at CPU (= bus) addresses in it. */
#define PCI_MEM_WINDOW 0x10000000u
#define PCI_MEM_SIZE 0x2eff0000u

/* A function's address: bus, device (slot) and function, as Linux's devfn. */
typedef uint16_t pci_bdf;
#define PCI_BDF(bus, dev, fn) ((pci_bdf)((bus) << 8 | (dev) << 3 | (fn)))
#define PCI_BUS(bdf) ((unsigned)(bdf) >> 8)
#define PCI_DEV(bdf) (((unsigned)(bdf) >> 3) & 31)
#define PCI_FN(bdf) (((unsigned)(bdf)) & 7)

/* Type 0 configuration header registers. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REVISION 0x08 /* class << 8 | revision */
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004 /* the function may start DMA (bus master) */
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT 0x0008 /* the function asserts its INTx (whether or not it is disabled) */
#define PCI_HEADER_MULTI 0x80       /* HEADER_TYPE bit 7: a multi-function device */
#define PCI_BAR_IO 0x1              /* BAR bit 0: an I/O BAR */
#define PCI_NO_DEVICE 0xffff        /* vendor ID of an absent function (the read of nothing is all ones) */

/* One function found by pci_scan. */
struct pci_fn {
    pci_bdf bdf;
    uint16_t vendor, device;
    uint32_t class; /* base class << 16 | subclass << 8 | programming interface */
};

/* A BAR sized by pci_bar_size: what it read after all ones were written, and what that means. */
struct pci_bar {
    uint32_t readback;
    uint32_t size; /* 0: the BAR is not implemented */
    bool io;
};

/* Find the host bridge (compatible "pci-host-ecam-generic") in the device tree. */
bool pci_init(void);
extern uint32_t pci_ecam; /* CPU address of the ECAM, 0 before pci_init */

uint32_t pci_read32(pci_bdf f, unsigned reg);
uint16_t pci_read16(pci_bdf f, unsigned reg);
uint8_t pci_read8(pci_bdf f, unsigned reg);
void pci_write32(pci_bdf f, unsigned reg, uint32_t v);
void pci_write16(pci_bdf f, unsigned reg, uint16_t v);

/* Every function on bus (functions 1-7 only of multi-function devices); how many, up to max in out. */
unsigned pci_scan(unsigned bus, struct pci_fn *out, unsigned max);
/* The first function on bus 0 with this vendor and device ID. */
bool pci_find(uint16_t vendor, uint16_t device, struct pci_fn *out);
/* Size BAR n with decoding off (write all ones, read back, restore). */
struct pci_bar pci_bar_size(pci_bdf f, unsigned n);
/* Place I/O BAR n at port, then let the function decode I/O. */
void pci_assign_io(pci_bdf f, unsigned n, uint16_t port);
/* Place 32-bit memory BAR n at addr (in the memory window, aligned to its size), then let the function decode memory. */
void pci_assign_mem(pci_bdf f, unsigned n, uint32_t addr);
/* The GIC interrupt ID of the function's INTx pin (the virt board's interrupt-map), 0 if it has none. */
unsigned pci_irq(pci_bdf f);

/* Port I/O through the I/O window, with Linux's names. */
static inline uint8_t inb(uint16_t port) { return (uint8_t)mmio_read8(PCI_IO_WINDOW + port); }
static inline uint16_t inw(uint16_t port) { return (uint16_t)mmio_read16(PCI_IO_WINDOW + port); }
static inline uint32_t inl(uint16_t port) { return mmio_read32(PCI_IO_WINDOW + port); }
static inline void outb(uint8_t v, uint16_t port) { mmio_write8(PCI_IO_WINDOW + port, v); }
static inline void outw(uint16_t v, uint16_t port) { mmio_write16(PCI_IO_WINDOW + port, v); }
static inline void outl(uint32_t v, uint16_t port) { mmio_write32(PCI_IO_WINDOW + port, v); }

#endif
