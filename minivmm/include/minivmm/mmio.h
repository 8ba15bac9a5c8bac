/* The MMIO bus: devices claim guest-physical (IPA) regions; an access there becomes a call to the device. */
#ifndef MINIVMM_MMIO_H
#define MINIVMM_MMIO_H

#include "types.h"

/* What every device offers the bus. off is the byte offset into the device's
 * region, width is 1, 2 or 4 bytes. A callback returns false for an access the
 * device refuses (a bus error): the guest then takes an external abort. */
struct mmio_ops {
    const char *name;
    const char *compatible; /* the guest device tree's "compatible", or NULL for no node */
    bool (*read)(void *dev, uint32_t off, unsigned width, uint32_t *val);
    bool (*write)(void *dev, uint32_t off, unsigned width, uint32_t val);
    /* Bytes of compatible when it lists several NUL-separated strings
     * (sizeof the literal); 0 for a single string. */
    uint32_t compatible_len;
};

struct mmio_region {
    uint32_t base, size;
    const struct mmio_ops *ops;
    void *dev;
    uint64_t reads, writes; /* accesses so far, for the statistics */
};

#define MMIO_REGIONS_MAX 16

struct mmio_bus {
    struct mmio_region regions[MMIO_REGIONS_MAX];
    unsigned count;
    unsigned last;   /* index of the region hit last: tried first next time */
};

/* Claim [base, base + size) for a device. 0, or -1 if the range is empty, wraps,
 * overlaps a region already claimed, or the bus is full. */
int mmio_register(struct mmio_bus *bus, uint32_t base, uint32_t size, const struct mmio_ops *ops,
                  void *dev);
/* The region holding all of [ipa, ipa + len), or NULL. */
struct mmio_region *mmio_find(struct mmio_bus *bus, uint32_t ipa, uint32_t len);
/* One access of width bytes at ipa; false if no device is there or the device refuses it. */
bool mmio_bus_read(struct mmio_bus *bus, uint32_t ipa, unsigned width, uint32_t *val);
bool mmio_bus_write(struct mmio_bus *bus, uint32_t ipa, unsigned width, uint32_t val);
/* Print one line per region with its access counts. */
void mmio_print_stats(const struct mmio_bus *bus);

#endif
