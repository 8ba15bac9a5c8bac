/* The generic bus: a growable table of claimed address ranges, searched on each emulated access. */
#include <minivmm/alloc.h>
#include <minivmm/console.h>
#include <minivmm/mmio.h>
#include <minivmm/string.h>

static bool overlaps(const struct bus_region *r, uint32_t base, uint32_t size)
{
    return base < r->base + r->size && r->base < base + size;
}

/* Can [base, base + size) be claimed, ignoring region `skip` (a region being moved)? */
static bool range_free(const struct bus *b, uint32_t base, uint32_t size, const struct bus_region *skip)
{
    if (!size || base + size <= base) /* empty, or wraps around 4 GiB (or ends exactly there) */
        return false;
    for (unsigned i = 0; i < b->count; i++)
        if (&b->regions[i] != skip && overlaps(&b->regions[i], base, size))
            return false;
    return true;
}

/* Room for one more region: double the table (it starts at 8). */
static bool grow(struct bus *b)
{
    if (b->count < b->cap)
        return true;
    unsigned cap = b->cap ? 2 * b->cap : 8;
    struct bus_region *r = mv_calloc(cap, sizeof(*r));
    if (!r)
        return false;
    if (b->count)
        memcpy(r, b->regions, b->count * sizeof(*r));
    mv_free(b->regions);
    b->regions = r;
    b->cap = cap;
    return true;
}

static int add_region(struct bus *b, const struct bus_region *nr)
{
    if (!range_free(b, nr->base, nr->size, NULL) || !grow(b))
        return -1;
    b->regions[b->count++] = *nr;
    return 0;
}

int bus_add(struct bus *b, uint32_t base, uint32_t size, const struct bus_ops *ops, void *dev)
{
    if (!ops || !ops->access)
        return -1;
    return add_region(b, &(struct bus_region){.base = base, .size = size, .ops = ops, .dev = dev});
}

int mmio_register(struct mmio_bus *bus, uint32_t base, uint32_t size, const struct mmio_ops *ops, void *dev)
{
    if (!ops)
        return -1;
    return add_region(&bus->bus, &(struct bus_region){.base = base, .size = size, .rw = ops, .dev = dev});
}

static struct bus_region *region_at(struct bus *b, uint32_t base)
{
    for (unsigned i = 0; i < b->count; i++)
        if (b->regions[i].base == base)
            return &b->regions[i];
    return NULL;
}

int bus_remove(struct bus *b, uint32_t base)
{
    struct bus_region *r = region_at(b, base);
    if (!r)
        return -1;
    unsigned i = (unsigned)(r - b->regions);
    memmove(r, r + 1, (b->count - i - 1) * sizeof(*r));
    b->count--;
    b->last = 0;
    return 0;
}

int bus_move(struct bus *b, uint32_t old_base, uint32_t new_base)
{
    struct bus_region *r = region_at(b, old_base);
    if (!r || !range_free(b, new_base, r->size, r))
        return -1;
    r->base = new_base;
    return 0;
}

/* A linear search: a VM has a handful of devices, and the last one hit is
 * almost always the next one, so it is tried first. */
static inline __attribute__((always_inline)) struct bus_region *find(struct bus *b, uint32_t addr,
                                                                     uint32_t len)
{
    if (!len || addr + len < addr)
        return NULL;
    for (unsigned n = 0, i = b->last; n < b->count; n++, i = i + 1 < b->count ? i + 1 : 0) {
        struct bus_region *r = &b->regions[i];
        if (addr - r->base < r->size && addr - r->base + len <= r->size) {
            b->last = i;
            return r;
        }
    }
    return NULL;
}

struct bus_region *bus_find(struct bus *b, uint32_t addr, uint32_t len)
{
    return find(b, addr, len);
}

/* Inline in the three callers: every emulated access comes through here. */
static inline __attribute__((always_inline)) enum bus_result access(struct bus *b, uint32_t addr,
                                                                    struct bus_req *req)
{
    unsigned w = req->width;
    if (w != 1 && w != 2 && w != 4)
        return BUS_ERROR;
    struct bus_region *r = find(b, addr, w);
    if (!r)
        return BUS_NOT_MINE;
    req->off = addr - r->base;
    if (req->write) {
        r->writes++;
        req->val &= w == 4 ? ~0u : (1u << (w * 8)) - 1;
    } else {
        r->reads++;
    }
    return r->rw ? mmio_rw_access(req, r->dev, r->rw->read, r->rw->write) : r->ops->access(r->dev, req);
}

enum bus_result bus_access(struct bus *b, uint32_t addr, struct bus_req *req)
{
    return access(b, addr, req);
}

bool mmio_bus_read(struct mmio_bus *bus, uint32_t ipa, unsigned width, uint32_t *val)
{
    struct bus_req req = {.width = (uint8_t)width, .write = false};
    if (width > 4 || access(&bus->bus, ipa, &req) != BUS_OK)
        return false;
    *val = req.val;
    return true;
}

bool mmio_bus_write(struct mmio_bus *bus, uint32_t ipa, unsigned width, uint32_t val)
{
    struct bus_req req = {.width = (uint8_t)width, .write = true, .val = val};
    return width <= 4 && access(&bus->bus, ipa, &req) == BUS_OK;
}

void bus_print_stats(const struct bus *b, const char *prefix)
{
    for (unsigned i = 0; i < b->count; i++) {
        const struct bus_region *r = &b->regions[i];
        printk("%s%-12s %08x-%08x: %llu reads, %llu writes\n", prefix, r->rw ? r->rw->name : r->ops->name,
               r->base, r->base + r->size - 1, (unsigned long long)r->reads, (unsigned long long)r->writes);
    }
}

void mmio_print_stats(const struct mmio_bus *bus)
{
    bus_print_stats(&bus->bus, "minivmm:   ");
}
