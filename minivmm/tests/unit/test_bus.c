/* Unit tests of the generic bus (minivmm/core/bus.c): three-valued accesses, widths, claiming, removing and moving regions, statistics, a port-I/O bus. */
#include <string.h>
#include <minivmm/bus.h>
#include "host_stubs.h"
#include "suites.h"

/* A device written against bus_ops: it answers whatever the test tells it to,
 * reads return a fixed value, and it records the last request it saw. */
struct knob {
    enum bus_result answer;
    struct bus_req last;
    int calls;
};

#define KNOB_READ 0xcafef00du

static enum bus_result knob_access(void *dev, struct bus_req *req)
{
    struct knob *k = dev;
    if (!req->write)
        req->val = KNOB_READ;
    k->last = *req;
    k->calls++;
    return k->answer;
}

static const struct bus_ops knob_ops = {"knob", knob_access};
static const struct bus_ops no_access_ops = {"broken", NULL};

static struct bus_req rd(uint8_t width)
{
    return (struct bus_req){.width = width, .write = false, .val = 0x5a5a5a5au};
}

static struct bus_req wr(uint8_t width, uint32_t val)
{
    return (struct bus_req){.width = width, .write = true, .val = val};
}

/* Every one of the three results reaches the caller, with the offset relative to the region. */
START_TEST(test_three_results)
{
    struct bus b = {0};
    struct knob k = {0};
    ck_assert_int_eq(bus_add(&b, 0x10000, 0x1000, &knob_ops, &k), 0);

    struct bus_req r = rd(4);
    k.answer = BUS_OK;
    ck_assert_int_eq(bus_access(&b, 0x10ff0, &r), BUS_OK);
    ck_assert_uint_eq(r.val, KNOB_READ);
    ck_assert_uint_eq(r.off, 0xff0);
    ck_assert_uint_eq(k.last.off, 0xff0);
    ck_assert_uint_eq(k.last.width, 4);
    ck_assert(!k.last.write);

    r = wr(2, 0x1234);
    k.answer = BUS_NOT_MINE;
    ck_assert_int_eq(bus_access(&b, 0x10002, &r), BUS_NOT_MINE);
    ck_assert_uint_eq(k.last.off, 2);
    ck_assert(k.last.write);

    r = rd(1);
    k.answer = BUS_ERROR;
    ck_assert_int_eq(bus_access(&b, 0x10000, &r), BUS_ERROR);
    ck_assert_uint_eq(k.last.off, 0);
    ck_assert_uint_eq(k.last.width, 1);
    ck_assert_int_eq(k.calls, 3);
}
END_TEST

/* A write reaches the device masked to its width; a read passes the device's value on. */
START_TEST(test_write_masked)
{
    struct bus b = {0};
    struct knob k = {0};
    bus_add(&b, 0x2000, 0x100, &knob_ops, &k);
    struct bus_req r = wr(1, 0x12345678u);
    ck_assert_int_eq(bus_access(&b, 0x2010, &r), BUS_OK);
    ck_assert_uint_eq(k.last.val, 0x78);
    r = wr(2, 0x12345678u);
    ck_assert_int_eq(bus_access(&b, 0x2010, &r), BUS_OK);
    ck_assert_uint_eq(k.last.val, 0x5678);
    r = wr(4, 0x12345678u);
    ck_assert_int_eq(bus_access(&b, 0x2010, &r), BUS_OK);
    ck_assert_uint_eq(k.last.val, 0x12345678u);
    r = wr(1, 0xffffff00u);
    ck_assert_int_eq(bus_access(&b, 0x20ff, &r), BUS_OK);
    ck_assert_uint_eq(k.last.val, 0);
    ck_assert_uint_eq(k.last.off, 0xff);
}
END_TEST

/* Widths other than 1, 2 and 4 are bus errors that never reach the device, claimed or not. */
START_TEST(test_bad_widths)
{
    static const uint8_t widths[] = {0, 3, 5, 8, 255};
    struct bus b = {0};
    struct knob k = {.answer = BUS_OK};
    bus_add(&b, 0x1000, 0x1000, &knob_ops, &k);
    for (unsigned i = 0; i < ARRAY_SIZE(widths); i++) {
        struct bus_req r = rd(widths[i]);
        ck_assert_int_eq(bus_access(&b, 0x1000, &r), BUS_ERROR);
        ck_assert_uint_eq(r.val, 0x5a5a5a5au);
        r = wr(widths[i], 1);
        ck_assert_int_eq(bus_access(&b, 0x1004, &r), BUS_ERROR);
        r = rd(widths[i]);
        ck_assert_int_eq(bus_access(&b, 0x9000, &r), BUS_ERROR); /* unclaimed too */
    }
    ck_assert_int_eq(k.calls, 0);
    ck_assert_uint_eq(b.regions[0].reads, 0);
    ck_assert_uint_eq(b.regions[0].writes, 0);
}
END_TEST

/* Nobody claims it: NOT_MINE, including an access that runs past a region's end. */
START_TEST(test_unclaimed)
{
    struct bus b = {0};
    struct knob k = {.answer = BUS_OK};
    struct bus_req r = rd(4);
    ck_assert_int_eq(bus_access(&b, 0x1000, &r), BUS_NOT_MINE); /* an empty bus */
    bus_add(&b, 0x1000, 0x100, &knob_ops, &k);
    r = rd(4);
    ck_assert_int_eq(bus_access(&b, 0x0ffc, &r), BUS_NOT_MINE);
    r = rd(4);
    ck_assert_int_eq(bus_access(&b, 0x10fe, &r), BUS_NOT_MINE); /* half in, half out */
    r = rd(1);
    ck_assert_int_eq(bus_access(&b, 0x1100, &r), BUS_NOT_MINE);
    r = wr(4, 0);
    ck_assert_int_eq(bus_access(&b, 0xfffffffeu, &r), BUS_NOT_MINE); /* wraps */
    ck_assert_int_eq(k.calls, 0);
    r = rd(1);
    ck_assert_int_eq(bus_access(&b, 0x10ff, &r), BUS_OK);
    ck_assert_int_eq(k.calls, 1);
}
END_TEST

/* bus_add refuses empty, wrapping and 4 GiB-ending ranges, overlaps, and missing ops; nothing is added then. */
START_TEST(test_add_refused)
{
    struct bus b = {0};
    struct knob k = {0};
    ck_assert_int_eq(bus_add(&b, 0x1000, 0x1000, &knob_ops, &k), 0);
    ck_assert_int_eq(bus_add(&b, 0x3000, 0, &knob_ops, &k), -1);                /* empty */
    ck_assert_int_eq(bus_add(&b, 0xfffff000u, 0x2000, &knob_ops, &k), -1);      /* wraps */
    ck_assert_int_eq(bus_add(&b, 0xfffff000u, 0x1000, &knob_ops, &k), -1);      /* ends exactly at 4 GiB */
    ck_assert_int_eq(bus_add(&b, 0x80000000u, 0x80000000u, &knob_ops, &k), -1); /* ditto, half the space */
    ck_assert_int_eq(bus_add(&b, 0xffffffffu, 1, &knob_ops, &k), -1);           /* the last byte */
    ck_assert_int_eq(bus_add(&b, 0x0fff, 2, &knob_ops, &k), -1);                /* overlaps the start */
    ck_assert_int_eq(bus_add(&b, 0x1fff, 1, &knob_ops, &k), -1);                /* overlaps the end */
    ck_assert_int_eq(bus_add(&b, 0x0000, 0x10000, &knob_ops, &k), -1);          /* covers it */
    ck_assert_int_eq(bus_add(&b, 0x1800, 0x10, &knob_ops, &k), -1);             /* inside it */
    ck_assert_int_eq(bus_add(&b, 0x4000, 0x10, NULL, &k), -1);
    ck_assert_int_eq(bus_add(&b, 0x4000, 0x10, &no_access_ops, &k), -1);
    ck_assert_uint_eq(b.count, 1);
    ck_assert_int_eq(bus_add(&b, 0xffffe000u, 0x1000, &knob_ops, &k), 0); /* one page short of the top */
    ck_assert_int_eq(bus_add(&b, 0x0fff, 1, &knob_ops, &k), 0);           /* adjacent below */
    ck_assert_int_eq(bus_add(&b, 0x2000, 1, &knob_ops, &k), 0);           /* adjacent above */
    ck_assert_uint_eq(b.count, 4);
    ck_assert_uint_eq(bus_find(&b, 0xffffeffcu, 4)->base, 0xffffe000u);
}
END_TEST

START_TEST(test_remove)
{
    struct bus b = {0};
    struct knob k[3] = {{0}};
    for (unsigned i = 0; i < 3; i++)
        ck_assert_int_eq(bus_add(&b, 0x1000 * (i + 1), 0x100, &knob_ops, &k[i]), 0);
    ck_assert_ptr_eq(bus_find(&b, 0x2000, 4)->dev, &k[1]); /* the one hit last */
    ck_assert_int_eq(bus_remove(&b, 0x2000), 0);
    ck_assert_uint_eq(b.count, 2);
    struct bus_req r = rd(4);
    ck_assert_int_eq(bus_access(&b, 0x2000, &r), BUS_NOT_MINE);
    ck_assert_ptr_null(bus_find(&b, 0x2000, 1));
    ck_assert_int_eq(bus_remove(&b, 0x2000), -1); /* twice */
    ck_assert_int_eq(bus_remove(&b, 0x1004), -1); /* not a region's base */
    ck_assert_int_eq(bus_remove(&b, 0x5000), -1);
    ck_assert_ptr_eq(bus_find(&b, 0x1000, 4)->dev, &k[0]);
    ck_assert_ptr_eq(bus_find(&b, 0x30fc, 4)->dev, &k[2]);
    r = rd(4);
    ck_assert_int_eq(bus_access(&b, 0x3000, &r), BUS_OK);
    ck_assert_int_eq(k[2].calls, 1);
    ck_assert_int_eq(bus_add(&b, 0x2000, 0x100, &knob_ops, &k[1]), 0); /* the range is free again */
    ck_assert_ptr_eq(bus_find(&b, 0x2000, 4)->dev, &k[1]);
    ck_assert_int_eq(bus_remove(&b, 0x1000), 0);
    ck_assert_int_eq(bus_remove(&b, 0x3000), 0);
    ck_assert_int_eq(bus_remove(&b, 0x2000), 0);
    ck_assert_uint_eq(b.count, 0);
    ck_assert_int_eq(bus_remove(&b, 0x2000), -1);
    r = rd(4);
    ck_assert_int_eq(bus_access(&b, 0x3000, &r), BUS_NOT_MINE);
}
END_TEST

/* Removing from a table that grew past its first allocation keeps every other region findable. */
START_TEST(test_remove_many)
{
    struct bus b = {0};
    struct knob k[40] = {{0}};
    for (unsigned i = 0; i < 40; i++)
        ck_assert_int_eq(bus_add(&b, 0x10000 * i, 0x10, &knob_ops, &k[i]), 0);
    for (unsigned i = 0; i < 40; i += 3)
        ck_assert_int_eq(bus_remove(&b, 0x10000 * i), 0);
    for (unsigned i = 0; i < 40; i++) {
        struct bus_region *r = bus_find(&b, 0x10000 * i + 8, 8);
        if (i % 3 == 0)
            ck_assert_ptr_null(r);
        else
            ck_assert_msg(r && r->dev == &k[i], "region %u lost", i);
    }
    ck_assert_uint_eq(b.count, 40 - 14);
}
END_TEST

/* Removing the regions hit last: the search that starts from the last hit still finds every other one. */
START_TEST(test_remove_last_hit)
{
    struct bus b = {0};
    struct knob k[4] = {{0}};
    for (unsigned i = 0; i < 4; i++)
        bus_add(&b, 0x1000 * (i + 1), 0x100, &knob_ops, &k[i]);
    ck_assert_ptr_eq(bus_find(&b, 0x4000, 1)->dev, &k[3]);
    ck_assert_int_eq(bus_remove(&b, 0x3000), 0);
    ck_assert_int_eq(bus_remove(&b, 0x4000), 0);
    ck_assert_ptr_null(bus_find(&b, 0x4000, 1)); /* not even a stale copy past the end of the table */
    ck_assert_ptr_null(bus_find(&b, 0x3000, 1));
    struct bus_req r = rd(1);
    ck_assert_int_eq(bus_access(&b, 0x4000, &r), BUS_NOT_MINE);
    ck_assert_int_eq(k[3].calls, 0);
    ck_assert_ptr_eq(bus_find(&b, 0x2000, 1)->dev, &k[1]);
    ck_assert_ptr_eq(bus_find(&b, 0x1000, 1)->dev, &k[0]);
}
END_TEST

/* Exactly one region holds [base, base + size), starting at base, for dev. */
static void assert_at(struct bus *b, uint32_t base, uint32_t size, void *dev)
{
    struct bus_region *r = bus_find(b, base, size);
    ck_assert_msg(r != NULL, "nothing at %#x", base);
    ck_assert_uint_eq(r->base, base);
    ck_assert_uint_eq(r->size, size);
    ck_assert_ptr_eq(r->dev, dev);
}

START_TEST(test_move)
{
    struct bus b = {0};
    struct knob a = {.answer = BUS_OK}, c = {.answer = BUS_OK};
    bus_add(&b, 0x1000, 0x1000, &knob_ops, &a);
    bus_add(&b, 0x4000, 0x1000, &knob_ops, &c);
    ck_assert_int_eq(bus_move(&b, 0x1000, 0x8000), 0);
    assert_at(&b, 0x8000, 0x1000, &a);
    ck_assert_ptr_null(bus_find(&b, 0x1000, 1));
    struct bus_req r = rd(4);
    ck_assert_int_eq(bus_access(&b, 0x8ffc, &r), BUS_OK);
    ck_assert_uint_eq(a.last.off, 0xffc);
    r = rd(4);
    ck_assert_int_eq(bus_access(&b, 0x1000, &r), BUS_NOT_MINE);

    /* Onto a range that overlaps its own old one: allowed. */
    ck_assert_int_eq(bus_move(&b, 0x8000, 0x8800), 0);
    assert_at(&b, 0x8800, 0x1000, &a);
    ck_assert_int_eq(bus_move(&b, 0x8800, 0x8000), 0);
    assert_at(&b, 0x8000, 0x1000, &a);

    /* Refused: nothing changes. */
    ck_assert_int_eq(bus_move(&b, 0x8000, 0x4800), -1);      /* overlaps c */
    ck_assert_int_eq(bus_move(&b, 0x8000, 0x3001), -1);      /* overlaps c's first byte */
    ck_assert_int_eq(bus_move(&b, 0x8000, 0xfffff800u), -1); /* wraps past 4 GiB */
    ck_assert_int_eq(bus_move(&b, 0x8000, 0xfffff000u), -1); /* ends exactly at 4 GiB */
    ck_assert_int_eq(bus_move(&b, 0x8004, 0x10000), -1);     /* not a region's base */
    ck_assert_int_eq(bus_move(&b, 0x1000, 0x10000), -1);     /* nothing there any more */
    ck_assert_uint_eq(b.count, 2);
    assert_at(&b, 0x8000, 0x1000, &a);
    assert_at(&b, 0x4000, 0x1000, &c);
    ck_assert_ptr_null(bus_find(&b, 0x10000, 1));
    ck_assert_ptr_null(bus_find(&b, 0xfffff000u, 1));
    ck_assert_int_eq(bus_move(&b, 0x8000, 0x3000), 0); /* adjacent to c: fine */
    assert_at(&b, 0x3000, 0x1000, &a);
    assert_at(&b, 0x4000, 0x1000, &c);
}
END_TEST

/* Counts per region: a read or write that reaches the device counts; refused widths and unclaimed addresses do not. */
START_TEST(test_statistics)
{
    struct bus b = {0};
    struct knob a = {.answer = BUS_OK}, c = {.answer = BUS_ERROR};
    bus_add(&b, 0x1000, 0x1000, &knob_ops, &a);
    bus_add(&b, 0x9000, 0x100, &knob_ops, &c);
    for (int i = 0; i < 3; i++) {
        struct bus_req r = rd(4);
        bus_access(&b, 0x1000 + 4 * i, &r);
    }
    struct bus_req r = wr(1, 7);
    bus_access(&b, 0x1001, &r);
    r = wr(2, 7);
    bus_access(&b, 0x9002, &r);
    r = rd(3);
    bus_access(&b, 0x1000, &r);
    r = rd(4);
    bus_access(&b, 0x5000, &r);
    ck_assert_uint_eq(b.regions[0].reads, 3);
    ck_assert_uint_eq(b.regions[0].writes, 1);
    ck_assert_uint_eq(b.regions[1].reads, 0);
    ck_assert_uint_eq(b.regions[1].writes, 1);
    console_reset();
    bus_print_stats(&b, "T: ");
    ck_assert_msg(strstr(console_buf, "T: knob         00001000-00001fff: 3 reads, 1 writes") != NULL, "%s",
                  console_buf);
    ck_assert_msg(strstr(console_buf, "T: knob         00009000-000090ff: 0 reads, 1 writes") != NULL, "%s",
                  console_buf);
}
END_TEST

/* A port-I/O bus is a plain struct bus: 1-byte ports side by side, each its own region. */
START_TEST(test_port_io)
{
    struct bus pio = {0};
    struct knob kbd = {.answer = BUS_OK}, ctl = {.answer = BUS_OK}, uart = {.answer = BUS_OK};
    ck_assert_int_eq(bus_add(&pio, 0x60, 1, &knob_ops, &kbd), 0);
    ck_assert_int_eq(bus_add(&pio, 0x64, 1, &knob_ops, &ctl), 0);
    ck_assert_int_eq(bus_add(&pio, 0x3f8, 8, &knob_ops, &uart), 0);
    ck_assert_int_eq(bus_add(&pio, 0x3ff, 1, &knob_ops, &kbd), -1); /* the UART's last port */
    ck_assert_int_eq(bus_add(&pio, 0x61, 1, &knob_ops, &kbd), 0);   /* right after 0x60 */

    struct bus_req r = wr(1, 0x1ed);
    ck_assert_int_eq(bus_access(&pio, 0x64, &r), BUS_OK);
    ck_assert_int_eq(ctl.calls, 1);
    ck_assert_uint_eq(ctl.last.off, 0);
    ck_assert_uint_eq(ctl.last.val, 0xed);
    r = rd(1);
    ck_assert_int_eq(bus_access(&pio, 0x60, &r), BUS_OK);
    ck_assert_int_eq(kbd.calls, 1);
    r = rd(2);
    ck_assert_int_eq(bus_access(&pio, 0x60, &r), BUS_NOT_MINE); /* spans two ports: nobody's */
    r = rd(1);
    ck_assert_int_eq(bus_access(&pio, 0x62, &r), BUS_NOT_MINE);
    r = wr(1, 'A');
    ck_assert_int_eq(bus_access(&pio, 0x3fd, &r), BUS_OK);
    ck_assert_uint_eq(uart.last.off, 5);
    ck_assert_uint_eq(uart.last.val, 'A');
    r = rd(4);
    ck_assert_int_eq(bus_access(&pio, 0x3fc, &r), BUS_OK);
    ck_assert_uint_eq(uart.last.off, 4);
    ck_assert_int_eq(kbd.calls, 1);
    ck_assert_uint_eq(pio.count, 4);
}
END_TEST

Suite *bus_suite(void)
{
    Suite *s = suite_create("bus");
    TCase *c = tcase_create("regions");
    tcase_add_test(c, test_three_results);
    tcase_add_test(c, test_write_masked);
    tcase_add_test(c, test_bad_widths);
    tcase_add_test(c, test_unclaimed);
    tcase_add_test(c, test_add_refused);
    tcase_add_test(c, test_remove);
    tcase_add_test(c, test_remove_many);
    tcase_add_test(c, test_remove_last_hit);
    tcase_add_test(c, test_move);
    tcase_add_test(c, test_statistics);
    tcase_add_test(c, test_port_io);
    suite_add_tcase(s, c);
    return s;
}
