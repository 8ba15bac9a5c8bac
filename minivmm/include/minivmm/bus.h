/* One bus interface for every address space a guest reaches: MMIO, port I/O, and later PCI BARs. */
#ifndef MINIVMM_BUS_H
#define MINIVMM_BUS_H

#include "types.h"

/* One guest access, as every device sees it: the offset into the device's
 * region, the width (1, 2 or 4 bytes), the direction and the value (written,
 * or filled in by a read). */
struct bus_req {
    uint32_t off;
    uint8_t width;
    bool write;
    uint32_t val;
};

/* What came of an access. NOT_MINE lets a device decline an access it does
 * not decode (a PCI function whose decoding is off, an unassigned port): the
 * caller then treats the address as unclaimed. ERROR is a bus error: the
 * guest takes an external abort (ARM) or reads all ones (x86 port I/O). */
enum bus_result {
    BUS_OK = 0,
    BUS_NOT_MINE,
    BUS_ERROR,
};

/* What a device offers any bus. */
struct bus_ops {
    const char *name; /* for the statistics */
    enum bus_result (*access)(void *dev, struct bus_req *req);
};

struct mmio_ops;

/* A claimed range [base, base + size). A device written as a read/write pair
 * (struct mmio_ops, lab 3's devices) sits behind rw, with ops NULL. */
struct bus_region {
    uint32_t base, size;
    const struct bus_ops *ops;
    const struct mmio_ops *rw;
    void *dev;
    uint64_t reads, writes; /* accesses so far, for the statistics */
};

/* A bus: its regions in a heap array that grows as devices arrive, so a
 * PCI bus with many BARs never hits a fixed cap. Zeroed is empty. */
struct bus {
    struct bus_region *regions;
    unsigned count, cap;
    unsigned last; /* index of the region hit last: tried first next time */
};

/* Claim [base, base + size) for dev. 0, or -1 if the range is empty, wraps
 * around 4 GiB, overlaps a region already claimed, ops is NULL, or the heap
 * is out of memory. */
int bus_add(struct bus *b, uint32_t base, uint32_t size, const struct bus_ops *ops, void *dev);
/* Give up the region that starts at base: 0, or -1 if there is none. */
int bus_remove(struct bus *b, uint32_t base);
/* Move the region at old_base to new_base (a PCI BAR the guest programs):
 * 0, or -1 (nothing changed) if there is none or the new range is refused. */
int bus_move(struct bus *b, uint32_t old_base, uint32_t new_base);
/* The region holding all of [addr, addr + len), or NULL. */
struct bus_region *bus_find(struct bus *b, uint32_t addr, uint32_t len);
/* One access at addr (req->width, req->write, req->val set by the caller):
 * the owning device's answer, or BUS_NOT_MINE if nobody claims all of it. A
 * width other than 1, 2 or 4 is a BUS_ERROR. A value written is masked to
 * the width; a device answers a read with the register's low bits. */
enum bus_result bus_access(struct bus *b, uint32_t addr, struct bus_req *req);
/* Print one line per region (prefix, name, range, access counts). */
void bus_print_stats(const struct bus *b, const char *prefix);

#endif
