/* minivmm's MMIO test device (framework, not a lab): lets lab 3's guest tests check each access's width and data. */
#include <minivmm/alloc.h>
#include <minivmm/device.h>
#include <minivmm/snapshot.h>
#include <devices/testdev.h>

static void record(struct testdev *t, uint32_t off, unsigned width, bool write)
{
    if (off >= TESTDEV_LAST && off < TESTDEV_REFUSE)
        return;
    t->last = (write ? 1u << 31 : 0) | width << 16 | (off & 0xfff);
    t->count++;
}

static bool testdev_read(void *dev, uint32_t off, unsigned width, uint32_t *val)
{
    struct testdev *t = dev;
    record(t, off, width, false);
    if (off >= TESTDEV_REFUSE)
        return false;
    *val = 0;
    if (off < TESTDEV_SCRATCH_SIZE) {
        for (unsigned i = 0; i < width && off + i < TESTDEV_SCRATCH_SIZE; i++)
            *val |= (uint32_t)t->scratch[off + i] << (8 * i);
    } else if (off == TESTDEV_LAST) {
        *val = t->last;
    } else if (off == TESTDEV_COUNT) {
        *val = t->count;
    }
    return true;
}

static bool testdev_write(void *dev, uint32_t off, unsigned width, uint32_t val)
{
    struct testdev *t = dev;
    record(t, off, width, true);
    if (off >= TESTDEV_REFUSE)
        return false;
    for (unsigned i = 0; i < width && off + i < TESTDEV_SCRATCH_SIZE; i++)
        t->scratch[off + i] = (uint8_t)(val >> (8 * i));
    return true;
}

const struct mmio_ops testdev_ops = {"testdev", NULL, testdev_read, testdev_write, 0};

static void *testdev_create(struct device *d)
{
    (void)d;
    return mv_calloc(1, sizeof(struct testdev));
}

static void testdev_reset(struct device *d)
{
    *(struct testdev *)d->state = (struct testdev){0};
}

static void testdev_snapshot(void *state, struct snap *s)
{
    struct testdev *t = state;
    snap_bytes(s, t->scratch, sizeof(t->scratch));
    snap_u32(s, &t->last);
    snap_u32(s, &t->count);
}

DEVICE_TYPE(testdev) = {
    .name = "testdev",
    .snap_version = 1,
    .create = testdev_create,
    .reset = testdev_reset,
    .rw = &testdev_ops,
    .snapshot = testdev_snapshot,
};
