/* The guest-physical (MMIO) bus, and lab 3's read/write-pair device interface on top of the generic bus. */
#ifndef MINIVMM_MMIO_H
#define MINIVMM_MMIO_H

#include "bus.h"
#include "types.h"

/* A device written as a read and a write callback (lab 3's PL011, the vGIC
 * distributor). off is the byte offset into the device's region, width is 1,
 * 2 or 4 bytes. A callback returns false for an access the device refuses (a
 * bus error): the guest then takes an external abort. The board description
 * (not these ops) says which device-tree node a device gets: the two
 * compatible fields are not read by minivmm and stay only so that lab 3
 * files written for earlier versions keep compiling. */
struct mmio_ops {
    const char *name;
    const char *compatible; /* not used: see above */
    bool (*read)(void *dev, uint32_t off, unsigned width, uint32_t *val);
    bool (*write)(void *dev, uint32_t off, unsigned width, uint32_t val);
    uint32_t compatible_len; /* not used */
};

typedef bool (*mmio_read_fn)(void *dev, uint32_t off, unsigned width, uint32_t *val);
typedef bool (*mmio_write_fn)(void *dev, uint32_t off, unsigned width, uint32_t val);

/* A bus access served by a read/write pair: false from either is a bus error. */
static inline enum bus_result mmio_rw_access(struct bus_req *r, void *dev, mmio_read_fn rd, mmio_write_fn wr)
{
    if (r->write)
        return wr && wr(dev, r->off, r->width, r->val) ? BUS_OK : BUS_ERROR;
    return rd && rd(dev, r->off, r->width, &r->val) ? BUS_OK : BUS_ERROR;
}

#define mmio_region bus_region

/* The MMIO bus: a bus of IPA regions. */
struct mmio_bus {
    struct bus bus;
};

/* Claim [base, base + size) for a read/write-pair device. 0, or -1 if the
 * range is empty, wraps, overlaps a region already claimed, or ops is NULL. */
int mmio_register(struct mmio_bus *bus, uint32_t base, uint32_t size, const struct mmio_ops *ops, void *dev);
/* The region holding all of [ipa, ipa + len), or NULL. */
static inline struct mmio_region *mmio_find(struct mmio_bus *bus, uint32_t ipa, uint32_t len)
{
    return bus_find(&bus->bus, ipa, len);
}
/* One access of width bytes at ipa; false if no device is there or the device refuses it. */
bool mmio_bus_read(struct mmio_bus *bus, uint32_t ipa, unsigned width, uint32_t *val);
bool mmio_bus_write(struct mmio_bus *bus, uint32_t ipa, unsigned width, uint32_t val);
/* Print one line per region with its access counts. */
void mmio_print_stats(const struct mmio_bus *bus);

#endif
