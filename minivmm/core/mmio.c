/* The MMIO bus: a small table of claimed IPA regions, searched on each emulated access. */
#include <minivmm/console.h>
#include <minivmm/mmio.h>

static bool overlaps(const struct mmio_region *r, uint32_t base, uint32_t size)
{
    return base < r->base + r->size && r->base < base + size;
}

int mmio_register(struct mmio_bus *bus, uint32_t base, uint32_t size, const struct mmio_ops *ops,
                  void *dev)
{
    if (!size || base + size < base || bus->count == MMIO_REGIONS_MAX || !ops)
        return -1;
    for (unsigned i = 0; i < bus->count; i++)
        if (overlaps(&bus->regions[i], base, size))
            return -1;
    bus->regions[bus->count++] = (struct mmio_region){ base, size, ops, dev, 0, 0 };
    return 0;
}

/* A linear search: a VM has a handful of devices, and the last one hit is
 * almost always the next one, so it is tried first. */
struct mmio_region *mmio_find(struct mmio_bus *bus, uint32_t ipa, uint32_t len)
{
    if (!len || ipa + len < ipa)
        return NULL;
    for (unsigned n = 0; n < bus->count; n++) {
        unsigned i = (bus->last + n) % bus->count;
        struct mmio_region *r = &bus->regions[i];
        if (ipa >= r->base && ipa + len <= r->base + r->size) {
            bus->last = i;
            return r;
        }
    }
    return NULL;
}

static bool width_ok(unsigned width)
{
    return width == 1 || width == 2 || width == 4;
}

bool mmio_bus_read(struct mmio_bus *bus, uint32_t ipa, unsigned width, uint32_t *val)
{
    struct mmio_region *r = width_ok(width) ? mmio_find(bus, ipa, width) : NULL;
    if (!r || !r->ops->read)
        return false;
    r->reads++;
    return r->ops->read(r->dev, ipa - r->base, width, val);
}

bool mmio_bus_write(struct mmio_bus *bus, uint32_t ipa, unsigned width, uint32_t val)
{
    struct mmio_region *r = width_ok(width) ? mmio_find(bus, ipa, width) : NULL;
    if (!r || !r->ops->write)
        return false;
    r->writes++;
    if (width < 4)
        val &= (1u << (width * 8)) - 1;
    return r->ops->write(r->dev, ipa - r->base, width, val);
}

void mmio_print_stats(const struct mmio_bus *bus)
{
    for (unsigned i = 0; i < bus->count; i++) {
        const struct mmio_region *r = &bus->regions[i];
        printk("minivmm:   %-12s %08x-%08x: %llu reads, %llu writes\n", r->ops->name, r->base,
               r->base + r->size - 1, (unsigned long long)r->reads, (unsigned long long)r->writes);
    }
}
