/* Unit tests of the NE2000's snapshot and statistics (framework code, minivmm/devices/ne2000_snapshot.c), on state filled in by hand: they run on the skeleton build too (lab 5's model is tested in labs/lab5-pci/tests/unit/test_ne2000.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/snapshot.h>
#include <devices/ne2000.h>
#include "host_stubs.h"
#include "snaptest.h"
#include "suites.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* ------------------------------------------------------------ the snapshot ---------- */

#define SNAP_PAYLOAD (13 + 3 * 2 + 6 + 8 + 3 + 1 + NE2000_PROM_SIZE + NE2000_RAM_SIZE)

static uint8_t sbuf[SNAP_HEADER_SIZE + SNAP_PAYLOAD + 64], sbuf2[sizeof(sbuf)];
static char err[256];
static int ctx_a, ctx_b;

static void fake_send(void *ctx, const uint8_t *frame, unsigned len)
{
    (void)ctx;
    (void)frame;
    (void)len;
}

static void fake_irq(void *ctx, bool level)
{
    (void)ctx;
    (void)level;
}

/* A card in the middle of things, filled in by hand (no lab code runs): every field varied. */
static void snap_fill(struct ne2000 *n)
{
    memset(n, 0, sizeof(*n));
    n->cr = 0x62;
    n->pstart = 0x4c;
    n->pstop = 0x80;
    n->bnry = 0x55;
    n->curr = 0x57;
    n->tpsr = 0x40;
    n->tbcr = 0x05ea;
    n->rsar = 0x5604;
    n->rbcr = 0x0123;
    n->isr = NE_ISR_PRX | NE_ISR_RDC;
    n->imr = 0x3f;
    n->tsr = NE_TSR_PTX;
    n->rsr = NE_RSR_PRX | NE_RSR_PHY;
    n->rcr = NE_RCR_AB | NE_RCR_AM;
    n->tcr = 0x02;
    n->dcr = 0x49;
    memcpy(n->par, MAC, 6);
    for (unsigned i = 0; i < 8; i++)
        n->mar[i] = (uint8_t)(1u << i);
    n->cntr[0] = 1;
    n->cntr[1] = 2;
    n->cntr[2] = NE2000_TALLY_LIMIT;
    n->irq_level = true;
    for (unsigned i = 0; i < 6; i++)
        n->prom[2 * i] = n->prom[2 * i + 1] = MAC[i];
    memset(n->prom + 28, NE2000_PROM_SIG, 4);
    for (unsigned i = 0; i < NE2000_RAM_SIZE; i++)
        n->ram[i] = (uint8_t)(i * 31 + (i >> 8));
    n->backend = (struct ne2000_backend){fake_send, fake_irq, &ctx_a};
    n->stats.tx_frames = 7;
}

static void snap_fn_ne2000(void *obj, struct snap *s)
{
    ne2000_snapshot(obj, s);
}

static uint32_t save(uint8_t *b, const struct ne2000 *n)
{
    return snaptest_save(b, sizeof(sbuf), "ne2000", NE2000_SNAP_VERSION, snap_fn_ne2000, n);
}

static int restore(const uint8_t *b, uint32_t len, struct ne2000 *n)
{
    return snaptest_restore(b, len, NE2000_SNAP_VERSION, snap_fn_ne2000, n, err, sizeof(err));
}

static struct ne2000 *snap_a, *snap_b;

static void snap_setup(void)
{
    snap_a = malloc(sizeof(*snap_a));
    snap_b = malloc(sizeof(*snap_b));
    ck_assert(snap_a && snap_b);
    snap_fill(snap_a);
    memset(snap_b, 0, sizeof(*snap_b));
    snap_b->backend = (struct ne2000_backend){NULL, fake_irq, &ctx_b};
    snap_b->stats.rx_frames = 99;
}

static void snap_teardown(void)
{
    free(snap_a);
    free(snap_b);
}

START_TEST(test_snapshot_round_trip)
{
    uint32_t len = save(sbuf, snap_a);
    ck_assert_uint_eq(len, SNAP_HEADER_SIZE + SNAP_PAYLOAD);
    ck_assert_msg(restore(sbuf, len, snap_b) == 0, "%s", err);
    memset(sbuf2, 0x5a, sizeof(sbuf2));
    ck_assert_uint_eq(save(sbuf2, snap_b), len);
    ck_assert_mem_eq(sbuf, sbuf2, len);
    /* Every guest-visible field came back; wiring and statistics were left alone. */
    ck_assert_uint_eq(snap_b->cr, 0x62);
    ck_assert_uint_eq(snap_b->curr, 0x57);
    ck_assert_uint_eq(snap_b->tbcr, 0x05ea);
    ck_assert_uint_eq(snap_b->rsar, 0x5604);
    ck_assert_uint_eq(snap_b->rbcr, 0x0123);
    ck_assert_mem_eq(snap_b->mar, snap_a->mar, 8);
    ck_assert_mem_eq(snap_b->cntr, snap_a->cntr, 3);
    ck_assert(snap_b->irq_level);
    ck_assert_mem_eq(snap_b->prom, snap_a->prom, NE2000_PROM_SIZE);
    ck_assert_mem_eq(snap_b->ram, snap_a->ram, NE2000_RAM_SIZE);
    ck_assert_ptr_null(snap_b->backend.send);
    ck_assert_ptr_eq(snap_b->backend.ctx, &ctx_b);
    ck_assert_uint_eq(snap_b->stats.rx_frames, 99);
    ck_assert_uint_eq(snap_b->stats.tx_frames, 0);
    /* What a guest may write to the page and count registers is taken as it is. */
    snap_a->pstart = 0xff;
    snap_a->pstop = 0;
    snap_a->bnry = 0xc0;
    snap_a->curr = 0xff;
    snap_a->tpsr = 0xff;
    snap_a->rsar = snap_a->rbcr = snap_a->tbcr = 0xffff;
    snap_a->cr = 0xe1;
    snap_a->isr = 0xff;
    snap_a->imr = 0;
    snap_a->irq_level = false;
    len = save(sbuf, snap_a);
    ck_assert_msg(restore(sbuf, len, snap_b) == 0, "%s", err);
    ck_assert_uint_eq(save(sbuf2, snap_b), len);
    ck_assert_mem_eq(sbuf, sbuf2, len);
}
END_TEST

/* Saved from a card in a state the model never reaches: the restore refuses it. */
static void corrupt(unsigned what)
{
    struct ne2000 *a = snap_a;
    switch (what) {
    case 0: a->cr |= NE_CR_TXP; break;   /* a transmit left pending */
    case 1: a->isr |= NE_ISR_RST; break; /* RST on a running card */
    case 2: a->cr |= NE_CR_STP; break;   /* stopped without RST */
    case 3: a->irq_level = false; break; /* the output disagrees with ISR & IMR */
    case 4: a->imr = 0; break;           /* ... the other way round */
    case 5: a->imr |= 0x80; break;       /* bits the registers do not keep */
    case 6: a->rcr = 0x40; break;
    case 7: a->tcr = 0x20; break;
    case 8: a->dcr = 0x80; break;
    case 9: a->cntr[1] = NE2000_TALLY_LIMIT + 1; break; /* past saturation */
    case 10: a->prom[1] ^= 1; break;                    /* a PROM byte not doubled */
    case 11: a->prom[12] = a->prom[13] = 1; break;      /* past the MAC */
    case 12: a->prom[30] = a->prom[31] = 0x58; break;   /* the signature */
    }
}

START_TEST(test_snapshot_refused)
{
    for (unsigned what = 0; what <= 12; what++) {
        snap_fill(snap_a);
        corrupt(what);
        uint32_t len = save(sbuf, snap_a);
        ck_assert_msg(restore(sbuf, len, snap_b) == -1, "corruption %u restored", what);
        ck_assert_msg(strstr(err, "section 'ne2000'") && strstr(err, "out of range"), "%u: %s", what, err);
    }
}
END_TEST

/* A section cut short, one byte too long, or of another version: refused. */
START_TEST(test_snapshot_bad_section)
{
    uint32_t len = save(sbuf, snap_a);
    sbuf[SNAP_NAME_MAX + 4] = (uint8_t)(SNAP_PAYLOAD - 1); /* the length field, low byte */
    ck_assert_int_eq(restore(sbuf, len - 1, snap_b), -1);
    ck_assert_msg(strstr(err, "truncated"), "%s", err);
    len = save(sbuf, snap_a);
    sbuf[SNAP_NAME_MAX + 4]++;
    sbuf[len] = 0;
    ck_assert_int_eq(restore(sbuf, len + 1, snap_b), -1);
    ck_assert_msg(strstr(err, "unread"), "%s", err);
    len = save(sbuf, snap_a);
    ck_assert_int_eq(
        snaptest_restore(sbuf, len, NE2000_SNAP_VERSION + 1, snap_fn_ne2000, snap_b, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "version"), "%s", err);
}
END_TEST

START_TEST(test_print_stats)
{
    snap_a->stats = (struct ne2000_stats){.tx_frames = 3,
                                          .tx_errors = 1,
                                          .rx_frames = 12,
                                          .rx_dropped = 9,
                                          .rx_stopped = 1,
                                          .rx_filtered = 5,
                                          .rx_missed = 2,
                                          .rx_bad_length = 1};
    console_reset();
    ne2000_print_stats(snap_a);
    ck_assert_str_eq(console_buf,
                     "minivmm: ne2000: 3 frames sent, 12 received, 9 dropped (1 stopped, 5 filtered, "
                     "2 missed, 1 bad length), 1 not sent\r\n"); /* the console ends lines with CR LF */
}
END_TEST

static TCase *tcase(const char *name, void (*setup)(void), void (*teardown)(void))
{
    TCase *c = tcase_create(name);
    tcase_add_checked_fixture(c, setup, teardown);
    return c;
}

Suite *ne2000_suite(void)
{
    Suite *s = suite_create("ne2000");
    TCase *c = tcase("ne2000_snapshot", snap_setup, snap_teardown);
    tcase_add_test(c, test_snapshot_round_trip);
    tcase_add_test(c, test_snapshot_refused);
    tcase_add_test(c, test_snapshot_bad_section);
    tcase_add_test(c, test_print_stats);
    suite_add_tcase(s, c);
    return s;
}
