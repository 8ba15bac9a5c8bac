/* Unit tests of the MMIO bus (minivmm/core/mmio.c) and minivmm's test device (minivmm/devices/testdev.c). */
#include <string.h>
#include <minivmm/mmio.h>
#include <devices/testdev.h>
#include "suites.h"

/* A device that records its last access and answers reads with a fixed value. */
struct probe {
    uint32_t off, width, val;
    bool write, refuse;
    int calls;
};

static bool probe_read(void *dev, uint32_t off, unsigned width, uint32_t *val)
{
    struct probe *p = dev;
    *p = (struct probe){off, width, 0, false, p->refuse, p->calls + 1};
    *val = 0xa1b2c3d4u;
    return !p->refuse;
}

static bool probe_write(void *dev, uint32_t off, unsigned width, uint32_t val)
{
    struct probe *p = dev;
    *p = (struct probe){off, width, val, true, p->refuse, p->calls + 1};
    return !p->refuse;
}

static const struct mmio_ops probe_ops = {"probe", NULL, probe_read, probe_write, 0};

START_TEST(test_register_overlaps)
{
    struct mmio_bus bus = {0};
    struct probe a = {0};
    ck_assert_int_eq(mmio_register(&bus, 0x1000, 0x1000, &probe_ops, &a), 0);
    ck_assert_int_eq(mmio_register(&bus, 0x1fff, 0x10, &probe_ops, &a), -1);        /* overlaps the end */
    ck_assert_int_eq(mmio_register(&bus, 0x0800, 0x0801, &probe_ops, &a), -1);      /* overlaps the start */
    ck_assert_int_eq(mmio_register(&bus, 0x0800, 0x0800, &probe_ops, &a), 0);       /* just below */
    ck_assert_int_eq(mmio_register(&bus, 0x2000, 0, &probe_ops, &a), -1);           /* empty */
    ck_assert_int_eq(mmio_register(&bus, 0xfffff000u, 0x2000, &probe_ops, &a), -1); /* wraps */
    ck_assert_int_eq(mmio_register(&bus, 0x3000, 0x10, NULL, &a), -1);
    ck_assert_uint_eq(bus.bus.count, 2);
}
END_TEST

/* No fixed cap: the table grows (a PCI bus with many BARs), and every region stays findable. */
START_TEST(test_register_many)
{
    struct mmio_bus bus = {0};
    struct probe p[100];
    for (unsigned i = 0; i < 100; i++)
        ck_assert_int_eq(mmio_register(&bus, i * 0x1000, 0x1000, &probe_ops, &p[i]), 0);
    ck_assert_uint_eq(bus.bus.count, 100);
    for (unsigned i = 0; i < 100; i++)
        ck_assert_ptr_eq(mmio_find(&bus, i * 0x1000 + 0xffc, 4)->dev, &p[i]);
    ck_assert_int_eq(mmio_register(&bus, 99 * 0x1000, 0x10, &probe_ops, NULL), -1); /* still checked */
}
END_TEST

START_TEST(test_find)
{
    struct mmio_bus bus = {0};
    struct probe a = {0}, b = {0};
    mmio_register(&bus, 0x1000, 0x100, &probe_ops, &a);
    mmio_register(&bus, 0x2000, 0x100, &probe_ops, &b);
    ck_assert_ptr_eq(mmio_find(&bus, 0x1000, 4)->dev, &a);
    ck_assert_ptr_eq(mmio_find(&bus, 0x20fc, 4)->dev, &b);
    ck_assert_ptr_eq(mmio_find(&bus, 0x10fc, 4)->dev, &a); /* after a hit on b: a is still found */
    ck_assert_ptr_null(mmio_find(&bus, 0x10fe, 4));        /* runs past the end */
    ck_assert_ptr_null(mmio_find(&bus, 0x0fff, 1));
    ck_assert_ptr_null(mmio_find(&bus, 0x1100, 1));
    ck_assert_ptr_null(mmio_find(&bus, 0x1000, 0));
    ck_assert_ptr_null(mmio_find(&bus, 0xfffffffeu, 4)); /* wraps */
}
END_TEST

START_TEST(test_bus_access)
{
    struct mmio_bus bus = {0};
    struct probe a = {0};
    uint32_t v = 0;
    mmio_register(&bus, 0x1000, 0x100, &probe_ops, &a);
    ck_assert(mmio_bus_read(&bus, 0x1010, 2, &v));
    ck_assert_uint_eq(a.off, 0x10);
    ck_assert_uint_eq(a.width, 2);
    ck_assert_uint_eq(v, 0xa1b2c3d4u); /* the bus passes the device's value on; the CPU side narrows it */
    ck_assert(mmio_bus_write(&bus, 0x1020, 1, 0x12345678u));
    ck_assert(a.write);
    ck_assert_uint_eq(a.val, 0x78); /* a narrow write reaches the device truncated */
    ck_assert(mmio_bus_write(&bus, 0x1020, 4, 0x12345678u));
    ck_assert_uint_eq(a.val, 0x12345678u);
    ck_assert(!mmio_bus_read(&bus, 0x1010, 3, &v)); /* no 3-byte accesses */
    ck_assert(!mmio_bus_read(&bus, 0x3000, 4, &v)); /* nobody there */
    a.refuse = true;
    ck_assert(!mmio_bus_write(&bus, 0x1000, 4, 1));
    ck_assert_int_eq(a.calls, 4);
    ck_assert_uint_eq(bus.bus.regions[0].reads, 1);
    ck_assert_uint_eq(bus.bus.regions[0].writes, 3);
}
END_TEST

START_TEST(test_testdev)
{
    struct testdev t = {0};
    uint32_t v;
    ck_assert(testdev_ops.write(&t, 0x10, 4, 0x80818283u));
    ck_assert(testdev_ops.read(&t, TESTDEV_LAST, 4, &v));
    ck_assert_uint_eq(v, 1u << 31 | 4u << 16 | 0x10);
    ck_assert(testdev_ops.read(&t, 0x13, 1, &v));
    ck_assert_uint_eq(v, 0x80);
    ck_assert(testdev_ops.read(&t, 0x12, 2, &v));
    ck_assert_uint_eq(v, 0x8081);
    ck_assert(testdev_ops.read(&t, TESTDEV_LAST, 4, &v));
    ck_assert_uint_eq(v, 2u << 16 | 0x12);
    ck_assert(testdev_ops.read(&t, TESTDEV_COUNT, 4, &v));
    ck_assert_uint_eq(v, 3);
    ck_assert(testdev_ops.read(&t, 0xfe, 4, &v)); /* the end of scratch: the rest reads as zero */
    ck_assert(!testdev_ops.read(&t, TESTDEV_REFUSE, 4, &v));
    ck_assert(!testdev_ops.write(&t, TESTDEV_REFUSE + 8, 1, 0));
}
END_TEST

Suite *mmio_suite(void)
{
    Suite *s = suite_create("mmio");
    TCase *c = tcase_create("bus");
    tcase_add_test(c, test_register_overlaps);
    tcase_add_test(c, test_register_many);
    tcase_add_test(c, test_find);
    tcase_add_test(c, test_bus_access);
    tcase_add_test(c, test_testdev);
    suite_add_tcase(s, c);
    return s;
}
