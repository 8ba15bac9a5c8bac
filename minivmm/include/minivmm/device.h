/* The device registry: each device type declares itself once; a board description says which devices a VM has, where, and wired to what. */
#ifndef MINIVMM_DEVICE_H
#define MINIVMM_DEVICE_H

#include "bus.h"
#include "mmio.h"
#include "types.h"

struct vm;
struct device;
struct snap;
struct pci_ident;

/* An interrupt line from a device to the guest's interrupt controller,
 * given to the device when it is created (wiring, never snapshot state). A
 * line with no set function goes nowhere (no interrupt controller yet). */
struct irq_line {
    void (*set)(void *ctx, unsigned irq, bool level);
    void *ctx;
    unsigned irq;
};

static inline void irq_line_set(const struct irq_line *l, bool level)
{
    if (l->set)
        l->set(l->ctx, l->irq, level);
}

/* Where a board puts one device: one row of the board's table. */
struct board_slot {
    const char *type;        /* the device type's name */
    uint32_t base, size;     /* its MMIO window; on PCI, base is its device number on bus 0 */
    int irq;                 /* its interrupt (the guest's interrupt ID), or -1 */
    const char *dt_name;     /* its device-tree node ("pl011" gives pl011@9000000), or NULL when
                                the architecture writes the node itself */
    const char *compatible;  /* the node's "compatible": one string, or several NUL-separated */
    uint32_t compatible_len; /* bytes of compatible when it lists several (sizeof the literal), else 0 */
    uint32_t needs;          /* VM_F_* features without which the board leaves the device out */
    const void *params;      /* what its type needs to know of the board (struct pci_host_params), or NULL */
    bool pci;                /* a PCI function behind the VM's host bridge, not an MMIO region */
};

/* A machine: its devices, in the order they are created, reset and listed. */
struct board {
    const char *name;
    const struct board_slot *slots;
    unsigned count;
};

/* One kind of device. Its state (all the guest can observe, what a snapshot
 * holds) is made by create; wiring (backends, interrupt lines, callbacks)
 * is kept apart from it, in the device or in fields the snapshot skips. */
struct device_type {
    const char *name;
    uint32_t snap_version; /* the format version of its snapshot section */
    /* Make the instance's state and wire it to d->vm; the state, or NULL if
     * it cannot be made. The device is reset afterwards. */
    void *(*create)(struct device *d);
    void (*reset)(struct device *d);
    /* How the bus reaches it (state is the dev it is called with): an access
     * function, or a read/write pair (lab 3's form, one call less on every
     * access). Set one of the two. */
    const struct bus_ops *ops;
    const struct mmio_ops *rw;
    /* Save or restore the state, field by field (snapshot.h). */
    void (*snapshot)(void *state, struct snap *s);
    /* Its part of the statistics at the end, or NULL. */
    void (*print_stats)(const struct device *d);
    /* A PCI device: its header's identity and BARs (every BAR reaches ops). */
    const struct pci_ident *pci;
};

/* A device instance in a VM. */
struct device {
    const struct device_type *type;
    const struct board_slot *slot;
    struct vm *vm;
    struct irq_line irq; /* its slot's line, wired by the architecture */
    void *state;
};

/* Declare a device type: DEVICE_TYPE(pl011) = { "pl011", ... };. Types
 * collect themselves in the device_types section, as tinykernel's programs
 * do, so adding a device adds a file and a board row, nothing else. */
#define DEVICE_TYPE(id) \
    const struct device_type id##_device_type __attribute__((section("device_types"), used, aligned(4)))

/* The registered type called name, or NULL. */
const struct device_type *device_type_find(const char *name);
/* Every registered type, for listings. */
const struct device_type *device_types_begin(void);
const struct device_type *device_types_end(void);

/* Create the devices of board that the VM's features allow, on its MMIO
 * bus or its PCI bus (whose host bridge must come earlier on the board). 0, or -1 with the reason in err (an unknown type, a refused region,
 * no memory); on -1 the VM is left with the devices made so far. */
int vm_create_devices(struct vm *vm, const struct board *board, char *err, size_t errlen);
/* Reset every device (a guest reset, a failed restore). */
void vm_reset_devices(struct vm *vm);
/* The VM's first device of the type called name, or NULL. */
struct device *vm_find_device(const struct vm *vm, const char *name);
/* Every device's part of the statistics. */
void vm_print_device_stats(const struct vm *vm);

#endif
