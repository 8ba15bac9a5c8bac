/* Unit tests of the host NIC (minivmm/backend/virtio_net.c and net_test.c) against a fake virtio-net device (fake_virtio.c). */
#include <stdio.h>
#include <string.h>
#include <minivmm/host_virtio.h>
#include <minivmm/netdev.h>
#include <minivmm/vm.h>
#include "fake_virtio.h"
#include "host_stubs.h"
#include "suites.h"

#define NET_HDR_OLD 10u
#define NET_HDR_V1  12u
#define RX_BUFS     32u /* the driver's receive buffers with QEMU's 256-entry queues */

static struct vm vm;
static char err[256];
static uint8_t got[2048]; /* the last frame the card received */
static unsigned got_len, got_n;

static void card_rx(void *ctx, const uint8_t *frame, unsigned len)
{
    (void)ctx;
    memcpy(got, frame, len);
    got_len = len;
    got_n++;
}

/* netdev_init with net=mode, the card attached; the device as plugged (or not) before. */
static int init(uint8_t mode)
{
    vm = (struct vm){.net_mode = mode, .mac = {NETDEV_MAC_DEFAULT}};
    got_n = 0;
    strcpy(err, "(err not set)");
    netdev_attach(&(struct netdev_client){card_rx, NULL});
    console_reset();
    return netdev_init(&vm, err, sizeof(err));
}

/* A device of that transport version (0: none), then netdev_init. */
static int start(uint32_t version, uint8_t mode)
{
    if (version)
        fake_virtio_plug(version);
    else
        fake_virtio = (struct fake_virtio){0};
    return init(mode);
}

static uint16_t avail_idx(unsigned q)
{
    const volatile uint16_t *avail = fake_virtio_ptr(fake_virtio.q[q].avail);
    return avail[1];
}

/* A frame of len bytes: broadcast, from 02:00:00:00:00:01, then a pattern seeded by tag. */
static const uint8_t *frame(unsigned len, uint8_t tag)
{
    static uint8_t f[2048];
    memset(f, 0xff, 6);
    memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
    for (unsigned i = 12; i < len; i++)
        f[i] = (uint8_t)(i * 7 + tag);
    return f;
}

static const char *stats(void)
{
    console_reset();
    netdev_print_stats();
    return console_buf;
}

START_TEST(test_no_device)
{
    ck_assert_int_eq(start(0, NET_AUTO), 0);
    ck_assert(!netdev_link());
    ck_assert(!netdev_send(frame(60, 0), 60));
    ck_assert_ptr_nonnull(strstr(stats(), "dropped: sent without a link 1"));
    ck_assert_int_eq(start(0, NET_NONE), 0);
    ck_assert(!netdev_link());
    ck_assert_str_eq(stats(), ""); /* never had a NIC, nothing sent: silent */
    ck_assert_int_eq(start(0, NET_VIRTIO), -1);
    ck_assert_ptr_nonnull(strstr(err, "net=virtio: QEMU has no virtio-net device"));
    ck_assert_ptr_nonnull(strstr(err, "-device virtio-net-device"));
    /* net=none leaves a device alone. */
    ck_assert_int_eq(start(1, NET_NONE), 0);
    ck_assert(!netdev_link());
    ck_assert_uint_eq(fake_virtio.status, 0);
}
END_TEST

START_TEST(test_legacy_setup)
{
    ck_assert_int_eq(start(1, NET_AUTO), 0);
    ck_assert(netdev_link());
    ck_assert_uint_eq(fake_virtio.status, 1 | 2 | 4); /* ACK, DRIVER, DRIVER_OK */
    ck_assert_uint_eq(fake_virtio.drv_features, 0);   /* no MAC, no mergeable buffers, no offloads */
    ck_assert_uint_eq(fake_virtio.page_size, 4096);
    for (unsigned q = 0; q < 2; q++) {
        ck_assert_uint_eq(fake_virtio.q[q].num, 64);
        ck_assert_uint_eq(fake_virtio.q[q].align, 4096);
        ck_assert_uint_ne(fake_virtio.q[q].pfn, 0);
    }
    ck_assert_uint_ne(fake_virtio.q[0].pfn, fake_virtio.q[1].pfn);
    ck_assert_uint_eq(avail_idx(0), RX_BUFS); /* the receive ring full */
    ck_assert_uint_eq(avail_idx(1), 0);
    ck_assert_uint_ge(fake_virtio.q[0].notifies, 1);
    ck_assert_uint_eq(fake_virtio.irq_id, 48 + FAKE_VIRTIO_SLOT);
    ck_assert_uint_eq(fake_virtio.bad_accesses, 0);
    ck_assert_ptr_nonnull(
        strstr(console_buf, "virtio-net at 0x0a003e00 (virtio-mmio version 1, interrupt 79)"));
    ck_assert_ptr_nonnull(strstr(console_buf, "guest MAC 52:54:00:12:34:56"));
}
END_TEST

START_TEST(test_v2_setup)
{
    ck_assert_int_eq(start(2, NET_VIRTIO), 0);
    ck_assert(netdev_link());
    ck_assert_uint_eq(fake_virtio.status, 1 | 2 | 8 | 4);    /* FEATURES_OK too */
    ck_assert_uint_eq(fake_virtio.drv_features, 1ull << 32); /* VERSION_1 alone */
    ck_assert_uint_eq(fake_virtio.q[0].ready, 1);
    ck_assert_uint_eq(fake_virtio.q[1].ready, 1);
    ck_assert_uint_eq(fake_virtio.q[0].desc % 4096, 0);
    ck_assert_uint_eq(fake_virtio.bad_accesses, 0);
    ck_assert_uint_eq(avail_idx(0), RX_BUFS);
}
END_TEST

START_TEST(test_setup_refused)
{
    /* A version 2 device that does not offer VERSION_1. */
    fake_virtio_plug(2);
    fake_virtio.dev_features &= ~(1ull << 32);
    ck_assert_int_eq(init(NET_AUTO), -1);
    ck_assert_ptr_nonnull(strstr(err, "VIRTIO_F_VERSION_1"));
    ck_assert(!netdev_link());
    /* A device whose queues have no room for a descriptor pair. */
    fake_virtio_plug(1);
    fake_virtio.queue_num_max = 1;
    ck_assert_int_eq(init(NET_AUTO), -1);
    ck_assert_ptr_nonnull(strstr(err, "virtqueue 0 is missing"));
    ck_assert_uint_eq(fake_virtio.status, 128); /* FAILED */
    /* The port cannot give the interrupt. */
    fake_virtio_plug(1);
    fake_virtio.refuse_irq = true;
    ck_assert_int_eq(init(NET_VIRTIO), -1);
    ck_assert_ptr_nonnull(strstr(err, "interrupt"));
    ck_assert(!netdev_link());
}
END_TEST

START_TEST(test_small_queues)
{
    fake_virtio_plug(1);
    fake_virtio.queue_num_max = 12; /* not a power of two: 8 descriptors, 4 frames */
    ck_assert_int_eq(init(NET_AUTO), 0);
    ck_assert_uint_eq(fake_virtio.q[0].num, 8);
    ck_assert_uint_eq(avail_idx(0), 4);
    for (int i = 0; i < 4; i++)
        ck_assert(netdev_send(frame(60, 0), 60));
    ck_assert(!netdev_send(frame(60, 0), 60));
}
END_TEST

/* One frame out, as the device sees it: a zero header of the version's size, then the bytes. */
static void check_send(uint32_t version, unsigned hdr)
{
    uint8_t buf[2048];
    size_t total;
    ck_assert_int_eq(start(version, NET_VIRTIO), 0);
    ck_assert(netdev_send(frame(60, 3), 60));
    ck_assert_uint_eq(fake_virtio.q[1].notifies, 1);
    int head = fake_vq_pop(1, buf, sizeof(buf), &total);
    ck_assert_int_ge(head, 0);
    ck_assert_uint_eq(total, hdr + 60);
    for (unsigned i = 0; i < hdr; i++)
        ck_assert_uint_eq(buf[i], 0);
    ck_assert_mem_eq(buf + hdr, frame(60, 3), 60);
    ck_assert_int_eq(fake_vq_pop(1, NULL, 0, NULL), -1);
}

START_TEST(test_send_legacy)
{
    check_send(1, NET_HDR_OLD);
}
END_TEST

START_TEST(test_send_v2)
{
    check_send(2, NET_HDR_V1);
}
END_TEST

START_TEST(test_send_lengths)
{
    uint8_t out[2048];
    ck_assert_int_eq(start(1, NET_VIRTIO), 0);
    ck_assert(!netdev_send(frame(13, 0), 13));
    ck_assert(!netdev_send(frame(1515, 0), 1515));
    ck_assert(netdev_send(frame(14, 1), 14));
    ck_assert(netdev_send(frame(1514, 2), 1514));
    ck_assert_int_eq(fake_virtio_sent(out, sizeof(out)), 14);
    ck_assert_int_eq(fake_virtio_sent(out, sizeof(out)), 1514);
    ck_assert_mem_eq(out, frame(1514, 2), 1514);
    ck_assert_ptr_nonnull(strstr(stats(), "sent 2 frames (1528 bytes)"));
    ck_assert_ptr_nonnull(strstr(console_buf, "dropped: sent with a bad length 2\r\n"));
}
END_TEST

/* 32 frames in flight fill the ring; one more is dropped, and once the
 * device has sent one, its slot is reclaimed before the next send. */
START_TEST(test_tx_ring_full)
{
    uint8_t out[2048];
    ck_assert_int_eq(start(1, NET_VIRTIO), 0);
    for (unsigned i = 0; i < 32; i++)
        ck_assert_msg(netdev_send(frame(100, (uint8_t)i), 100), "frame %u", i);
    ck_assert(!netdev_send(frame(100, 99), 100));
    ck_assert_int_eq(fake_virtio_sent(out, sizeof(out)), 100);
    ck_assert_mem_eq(out, frame(100, 0), 100);
    ck_assert(netdev_send(frame(100, 77), 100));
    ck_assert(!netdev_send(frame(100, 78), 100));
    ck_assert_ptr_nonnull(strstr(stats(), "sent with the TX ring full 2"));
    /* The device sends the rest in order; many more rounds wrap the ring. */
    for (unsigned i = 1; i < 32; i++) {
        ck_assert_int_eq(fake_virtio_sent(out, sizeof(out)), 100);
        ck_assert_mem_eq(out, frame(100, (uint8_t)i), 100);
    }
    ck_assert_int_eq(fake_virtio_sent(out, sizeof(out)), 100);
    ck_assert_mem_eq(out, frame(100, 77), 100);
    for (unsigned i = 0; i < 500; i++) {
        ck_assert(netdev_send(frame(60 + i % 900, (uint8_t)i), 60 + i % 900));
        ck_assert_int_eq(fake_virtio_sent(out, sizeof(out)), (int)(60 + i % 900));
        ck_assert_mem_eq(out, frame(60 + i % 900, (uint8_t)i), 60 + i % 900);
    }
}
END_TEST

/* The end of minivmm waits for the device to take every frame, boundedly:
 * at once when it has, 200 ms of host time at most when it never does. */
START_TEST(test_flush)
{
    uint8_t out[2048];
    ck_assert_int_eq(start(1, NET_VIRTIO), 0);
    for (unsigned i = 0; i < 3; i++)
        ck_assert(netdev_send(frame(100, (uint8_t)i), 100));
    uint64_t t0 = host_usecs();
    netdev_flush(); /* the device sends nothing: the wait ends by its bound */
    uint64_t waited = host_usecs() - t0;
    ck_assert_uint_ge(waited, 200000);
    ck_assert_uint_lt(waited, 201000);
    for (unsigned i = 0; i < 3; i++) { /* nothing lost by waiting */
        ck_assert_int_eq(fake_virtio_sent(out, sizeof(out)), 100);
        ck_assert_mem_eq(out, frame(100, (uint8_t)i), 100);
    }
    t0 = host_usecs();
    netdev_flush(); /* all taken: no wait */
    ck_assert_uint_lt(host_usecs() - t0, 100);
    ck_assert_int_eq(start(0, NET_AUTO), 0);
    netdev_flush(); /* no link: nothing to wait for */
}
END_TEST

/* Frames in, through the interrupt: delivered whole, the interrupt
 * acknowledged, each buffer given back, over many turns of the ring. */
static void check_receive(uint32_t version)
{
    ck_assert_int_eq(start(version, NET_VIRTIO), 0);
    for (unsigned i = 0; i < 300; i++) {
        unsigned len = 14 + i * 5 % 1501;
        ck_assert(fake_virtio_receive(frame(len, (uint8_t)i), len, 0));
        fake_virtio_interrupt();
        ck_assert_uint_eq(fake_virtio.irq_status, 0);
        ck_assert_uint_eq(got_n, i + 1);
        ck_assert_uint_eq(got_len, len);
        ck_assert_mem_eq(got, frame(len, (uint8_t)i), len);
        ck_assert_uint_eq(avail_idx(0), (uint16_t)(RX_BUFS + i + 1));
    }
    ck_assert_ptr_nonnull(strstr(stats(), "received 300 frames"));
    ck_assert_ptr_nonnull(strstr(console_buf, "dropped: none"));
}

START_TEST(test_receive_legacy)
{
    check_receive(1);
}
END_TEST

START_TEST(test_receive_v2)
{
    check_receive(2);
}
END_TEST

/* Several frames before one interrupt: all delivered by the one poll. */
START_TEST(test_receive_burst)
{
    ck_assert_int_eq(start(1, NET_VIRTIO), 0);
    for (unsigned i = 0; i < RX_BUFS; i++)
        ck_assert(fake_virtio_receive(frame(64, (uint8_t)i), 64, 0));
    ck_assert(!fake_virtio_receive(frame(64, 0), 64, 0)); /* the ring is empty now */
    fake_virtio_interrupt();
    ck_assert_uint_eq(got_n, RX_BUFS);
    ck_assert_mem_eq(got, frame(64, RX_BUFS - 1), 64);
    ck_assert_uint_eq(avail_idx(0), 2 * RX_BUFS);
    ck_assert(fake_virtio_receive(frame(64, 1), 64, 0));
}
END_TEST

/* Lengths from the device that no frame can have: dropped and counted,
 * never delivered, the buffer given back all the same. */
START_TEST(test_receive_bad_lengths)
{
    ck_assert_int_eq(start(1, NET_VIRTIO), 0);
    static const uint32_t used[] = {
        NET_HDR_OLD + 13,   /* a runt */
        NET_HDR_OLD + 1515, /* longer than Ethernet's 1514 */
        3000,               /* more than the buffer the device was given */
        5,                  /* not even the header */
        0xffffffffu,
    };
    for (unsigned i = 0; i < ARRAY_SIZE(used); i++) {
        ck_assert(fake_virtio_receive(frame(60, 0), 60, used[i]));
        fake_virtio_interrupt();
        ck_assert_msg(got_n == 0, "used length %u delivered", used[i]);
    }
    ck_assert_uint_eq(avail_idx(0), RX_BUFS + ARRAY_SIZE(used));
    ck_assert_ptr_nonnull(strstr(stats(), "dropped: received with a bad length 5\r\n"));
    ck_assert(fake_virtio_receive(frame(60, 4), 60, 0));
    fake_virtio_interrupt();
    ck_assert_uint_eq(got_n, 1);
}
END_TEST

START_TEST(test_receive_no_card)
{
    ck_assert_int_eq(start(1, NET_VIRTIO), 0);
    netdev_attach(NULL);
    ck_assert(fake_virtio_receive(frame(60, 0), 60, 0));
    fake_virtio_interrupt();
    ck_assert_uint_eq(got_n, 0);
    ck_assert_uint_eq(avail_idx(0), RX_BUFS + 1);
    ck_assert_ptr_nonnull(strstr(stats(), "received with no card attached 1"));
}
END_TEST

/* Used entries that name no buffer the device holds (the second half of a
 * pair, beyond the ring, a buffer already returned in the same batch):
 * counted and skipped. */
START_TEST(test_bad_used_entries)
{
    ck_assert_int_eq(start(1, NET_VIRTIO), 0);
    int head = fake_vq_pop(0, NULL, 0, NULL);
    ck_assert_int_eq(head, 0);
    fake_vq_push(0, 1, 70);
    fake_vq_push(0, 200, 70);
    fake_vq_push(0, (uint32_t)head, NET_HDR_OLD + 60);
    fake_vq_push(0, (uint32_t)head, NET_HDR_OLD + 60); /* again */
    fake_virtio_interrupt();
    ck_assert_uint_eq(avail_idx(0), RX_BUFS + 1);
    ck_assert_uint_eq(got_n, 1);
    ck_assert_ptr_nonnull(strstr(stats(), "minivmm: net: 3 device errors"));
    ck_assert(netdev_link());
    ck_assert(fake_virtio_receive(frame(60, 5), 60, 0));
    fake_virtio_interrupt();
    ck_assert_uint_eq(got_n, 2);
    ck_assert_mem_eq(got, frame(60, 5), 60);
}
END_TEST

/* A used index further ahead than the ring is long: the NIC stops. */
START_TEST(test_used_index_jump)
{
    ck_assert_int_eq(start(1, NET_VIRTIO), 0);
    volatile uint16_t *used = fake_virtio_ptr(fake_virtio.q[0].used);
    used[1] = 100;
    fake_virtio.irq_status = 1;
    fake_virtio_interrupt();
    ck_assert(!netdev_link());
    ck_assert_uint_eq(fake_virtio.status & 128, 128);
    ck_assert_uint_eq(got_n, 0);
    ck_assert_ptr_nonnull(strstr(console_buf, "host NIC stopped"));
    ck_assert(!netdev_send(frame(60, 0), 60));
    ck_assert_ptr_nonnull(strstr(stats(), "dropped: sent without a link 1\r\n"));
    ck_assert_ptr_nonnull(strstr(console_buf, "minivmm: net: 1 device errors"));
}
END_TEST

/* Slirp's part of net-test=on: an ARP request for 10.0.2.2 gets the reply
 * from 52:55:0a:00:02:02, put in the receive ring at once. */
static unsigned arp_requests;
static void answer_arp(unsigned queue)
{
    uint8_t req[2048];
    int n = queue == 1 ? fake_virtio_sent(req, sizeof(req)) : -1;
    if (n < 42 || req[12] != 0x08 || req[13] != 0x06 || req[21] != 1 ||
        memcmp(req + 38, "\x0a\x00\x02\x02", 4))
        return;
    arp_requests++;
    uint8_t rep[64] = {0};
    static const uint8_t gw[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
    memcpy(rep, req + 6, 6);
    memcpy(rep + 6, gw, 6);
    memcpy(rep + 12, req + 12, 8);
    rep[21] = 2;
    memcpy(rep + 22, gw, 6);
    memcpy(rep + 28, req + 38, 4);
    memcpy(rep + 32, req + 22, 10); /* the asker's MAC and IP */
    fake_virtio_receive(rep, sizeof(rep), 0);
}

START_TEST(test_selftest)
{
    static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    ck_assert_int_eq(start(1, NET_VIRTIO), 0);
    fake_virtio.on_notify = answer_arp;
    console_reset();
    ck_assert_int_eq(netdev_selftest(mac, err, sizeof(err)), 0);
    ck_assert_uint_eq(arp_requests, 1);
    ck_assert_ptr_nonnull(strstr(console_buf, "ARP reply: 10.0.2.2 is at 52:55:0a:00:02:02"));
    /* The test's client is gone: the card's frames are dropped until one attaches. */
    ck_assert(fake_virtio_receive(frame(60, 0), 60, 0));
    fake_virtio_interrupt();
    ck_assert_uint_eq(got_n, 0);
    /* Nobody answers; no link at all. */
    fake_virtio.on_notify = NULL;
    ck_assert_int_eq(netdev_selftest(mac, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "no ARP reply from 10.0.2.2"));
    ck_assert_int_eq(start(0, NET_AUTO), 0);
    ck_assert_int_eq(netdev_selftest(mac, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "no host NIC"));
}
END_TEST

Suite *netdev_suite(void)
{
    Suite *s = suite_create("netdev");
    TCase *tc = tcase_create("setup");
    tcase_add_test(tc, test_no_device);
    tcase_add_test(tc, test_legacy_setup);
    tcase_add_test(tc, test_v2_setup);
    tcase_add_test(tc, test_setup_refused);
    tcase_add_test(tc, test_small_queues);
    suite_add_tcase(s, tc);
    tc = tcase_create("rings");
    tcase_add_test(tc, test_send_legacy);
    tcase_add_test(tc, test_send_v2);
    tcase_add_test(tc, test_send_lengths);
    tcase_add_test(tc, test_tx_ring_full);
    tcase_add_test(tc, test_flush);
    tcase_add_test(tc, test_receive_legacy);
    tcase_add_test(tc, test_receive_v2);
    tcase_add_test(tc, test_receive_burst);
    tcase_add_test(tc, test_receive_bad_lengths);
    tcase_add_test(tc, test_receive_no_card);
    tcase_add_test(tc, test_bad_used_entries);
    tcase_add_test(tc, test_used_index_jump);
    tcase_add_test(tc, test_selftest);
    suite_add_tcase(s, tc);
    return s;
}
