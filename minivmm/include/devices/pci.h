/* Lab 5: PCI: a function's configuration space (header type 0), its BARs, and the host bridge that puts them on the buses. */
#ifndef DEVICES_PCI_H
#define DEVICES_PCI_H

#include <minivmm/bus.h>
#include <minivmm/device.h>
#include <minivmm/types.h>

/* Configuration-space registers of a type-0 header (PCI Local Bus 3.0, 6.1). */
#define PCI_VENDOR_ID      0x00 /* 16 bits */
#define PCI_DEVICE_ID      0x02 /* 16 bits */
#define PCI_COMMAND        0x04 /* 16 bits */
#define PCI_STATUS         0x06 /* 16 bits */
#define PCI_CLASS_REVISION 0x08 /* revision in bits 7:0, class code in 31:8 */
#define PCI_CACHE_LINE     0x0c /* 8 bits; latency timer at 0x0d, header type at 0x0e, BIST at 0x0f */
#define PCI_LATENCY        0x0d
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10 /* six 32-bit BARs, 0x10-0x27 */
#define PCI_SUBSYS_VENDOR  0x2c /* 16 bits; subsystem id at 0x2e */
#define PCI_ROM_BAR        0x30 /* no expansion ROM: reads 0 */
#define PCI_CAP_PTR        0x34 /* no capabilities: reads 0 */
#define PCI_INT_LINE       0x3c /* 8 bits, read/write, the OS's note; pin at 0x3d (read-only) */
#define PCI_INT_PIN        0x3d
#define PCI_CFG_SIZE       256 /* conventional PCI: ECAM's 4 KiB per function beyond this reads 0 */
#define PCI_NUM_BARS       6

/* COMMAND bits a function implements; every other bit reads 0. */
#define PCI_CMD_IO       (1u << 0)  /* decode its I/O BARs */
#define PCI_CMD_MEM      (1u << 1)  /* decode its memory BARs */
#define PCI_CMD_MASTER   (1u << 2)  /* may master DMA (HD-Audio, lab 6) */
#define PCI_CMD_INTX_OFF (1u << 10) /* its INTx output is held low */
#define PCI_CMD_WRITABLE (PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF)
#define PCI_STATUS_INTX  (1u << 3) /* the function's INTx is asserted (read-only) */

/* BAR low bits (read-only). */
#define PCI_BAR_IO       0x1u /* bit 0: an I/O BAR; bit 1 reserved */
#define PCI_BAR_IO_MASK  0x3u
#define PCI_BAR_MEM_MASK 0xfu /* memory: bit 0 = 0, type (bits 2:1) 0 = 32-bit, bit 3 prefetchable */

/* What a BAR is, fixed by the device's design. */
struct pci_bar_info {
    uint32_t size; /* a power of two (I/O at least 4, memory at least 16), or 0 for no BAR */
    bool io;       /* an I/O BAR, else a 32-bit non-prefetchable memory BAR */
};

/* The read-only part of a function's header: what the device is. */
struct pci_ident {
    uint16_t vendor, device;
    uint32_t class_code; /* base class << 16 | subclass << 8 | programming interface */
    uint8_t revision;
    uint16_t subsys_vendor, subsys;
    uint8_t int_pin; /* 1 = INTA .. 4 = INTD, 0 = no interrupt */
    struct pci_bar_info bar[PCI_NUM_BARS];
};

/* A function's configuration state: what the guest wrote (a snapshot holds
 * it); the ident is wiring. */
struct pci_cfg {
    const struct pci_ident *id;
    uint16_t command;
    uint32_t bar[PCI_NUM_BARS]; /* the address bits only: low (type) bits come from id */
    uint8_t int_line, cache_line, latency;
    bool intx; /* the device's interrupt output, for STATUS.INTX (set by the host bridge) */
};

/* ---- Lab 5 student functions (devices/pci_cfg.c). */
extern const bool lab5_pci_enabled; /* false in the skeleton: no PCI bus for the guest */
/* Power-on state: decoding off, BARs and interrupt line 0. */
void pci_cfg_reset(struct pci_cfg *c, const struct pci_ident *id);
/* A configuration read of width 1, 2 or 4 at reg (reg % width == 0, reg < PCI_CFG_SIZE):
 * the value, as the bytes of the header hold it (little-endian). Registers
 * a function does not implement read 0. */
uint32_t pci_cfg_read(const struct pci_cfg *c, unsigned reg, unsigned width);
/* A configuration write, same rules: read-only bits keep their value; a BAR
 * keeps only the address bits its size allows (so writing all ones and
 * reading back tells the size). */
void pci_cfg_write(struct pci_cfg *c, unsigned reg, unsigned width, uint32_t val);
/* Where BAR n answers now: true with its base (an I/O port or a memory
 * address) when the BAR exists and COMMAND enables its kind of decoding. */
bool pci_bar_decodes(const struct pci_cfg *c, unsigned n, uint32_t *base);

/* ---- The host bridge (devices/pci_host.c, framework). */
#define PCI_MAX_DEVS 32 /* devices on bus 0; one function each */

/* Where a board puts the host bridge's windows (its slot's params). The
 * ECAM is the slot's own region; buses other than 0 are empty. */
struct pci_host_params {
    uint32_t io_cpu, io_size;   /* the I/O window: PCI port p at CPU address io_cpu + p */
    uint32_t mem_cpu, mem_size; /* the memory window: PCI address = CPU address */
    uint8_t last_bus;           /* the ECAM covers buses 0..last_bus (1 MiB each) */
};

/* One function on bus 0. */
struct pci_fn {
    struct pci_cfg cfg;
    const struct bus_ops *ops; /* the device's BAR access (every BAR), wiring */
    void *dev;
    struct irq_line irq; /* its INTx pin's line to the interrupt controller, wiring */
    bool present;
    bool mapped[PCI_NUM_BARS]; /* derived from cfg: which BARs sit on a window's bus, and where */
    uint32_t at[PCI_NUM_BARS];
};

struct pci_host {
    const struct pci_host_params *p;
    struct bus io, mem; /* what the windows reach: ports and PCI memory addresses */
    struct pci_fn fn[PCI_MAX_DEVS];
    uint64_t cfg_reads, cfg_writes;
    uint64_t bars_refused; /* times a decoding BAR was left off its bus: outside its window or over another */
    uint64_t master_aborts; /* window accesses nobody claimed: read all ones */
};

/* Put a device at dev (0..31) on bus 0 of h: 0, or -1 if that slot is taken
 * or out of range. irq comes in as the line from the device's INTx pin to the
 * interrupt controller and goes out as the line the device drives: through
 * the function, which shows it in STATUS and masks it with COMMAND. */
int pci_host_attach(struct pci_host *h, unsigned dev, const struct pci_ident *id, const struct bus_ops *ops,
                    void *state, struct irq_line *irq);
/* Device dev drives its INTx pin to level: STATUS.INTX shows it, and the
 * line to the interrupt controller follows unless COMMAND.INTX_OFF masks it. */
void pci_host_set_intx(struct pci_host *h, unsigned dev, bool level);
/* Bring every BAR's place on the window buses in line with the configuration state. */
void pci_host_sync(struct pci_host *h);

/* The interrupt line of device dev's pin (1..4) on a board whose first
 * INTx line is base: the swizzle QEMU's virt board uses (and its device
 * tree's interrupt-map describes). A macro: board tables use it. */
#define PCI_INTX_LINE(base, dev, pin) ((base) + ((dev) + (pin)-1u) % 4u)

#endif
