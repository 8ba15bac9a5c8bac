/* Network benchmark (make bench): frames per second the NE2000 sends and receives, and instructions per frame, from the virtual counter.
 *
 * Under -icount shift=0 each instruction (guest or VMM) is 1 ns of virtual
 * time, so instructions = ticks * 1e9 / CNTFRQ; without -icount the same
 * lines give frames per second of guest time. Lines: "BENCH net-<what>
 * <instructions x 100 per frame> <frames per second>". */
#include <string.h>
#include "../kernel.h"
#include "../ne2000.h"
#include "../net.h"
#include "../sha256.h"
#include "../timer.h"

#define TX_FRAMES 500
#define TX_LEN 1514
#define ETHERTYPE 0x88b5 /* IEEE 802 local experimental, as lab5-tx */

static void report(const char *what, unsigned frames, uint64_t ticks)
{
    uint64_t ns = ticks * 1000000000ull / cntfrq();
    uint64_t per_frame_x100 = ns * 100 / frames;
    uint64_t fps = ticks ? (uint64_t)frames * cntfrq() / ticks : 0;
    kprintf("BENCH net-%s %u %u\n", what, (unsigned)per_frame_x100, (unsigned)fps);
}

/* Full-size broadcast frames, back to back: each written by remote DMA and sent. */
static uint64_t transmit(void)
{
    static uint8_t f[TX_LEN];
    memset(f, 0xff, 6);
    memcpy(f + 6, net_mac, 6);
    f[12] = ETHERTYPE >> 8;
    f[13] = ETHERTYPE & 0xff;
    for (unsigned i = 14; i < TX_LEN; i++)
        f[i] = (uint8_t)i;
    uint64_t start = cntvct();
    for (unsigned i = 0; i < TX_FRAMES; i++)
        if (!ne_transmit(f, sizeof(f)))
            return 0;
    return cntvct() - start;
}

PROGRAM(bench_net, "bench-net",
        "make bench: NE2000 frames per second sent and received, instructions per frame")
{
    const char *t = "bench-net", *why = net_open(NE_RX_START, NE_RX_STOP);
    CHECK(t, !why, "%s", why);
    uint64_t ticks = transmit();
    CHECK(t, ticks, "the card did not take a frame");
    report("tx", TX_FRAMES, ticks);
    /* Receiving: a TFTP read of 1 MiB, 2,049 data frames (each answered by an ACK). */
    struct sha256 s;
    size_t size = 0;
    unsigned before = ne_stats.rx_frames;
    uint64_t start = cntvct();
    sha256_init(&s);
    why = tftp_get(NET_GATEWAY, "big.bin", &s, &size);
    CHECK(t, !why, "big.bin: %s", why);
    report("rx", ne_stats.rx_frames - before, cntvct() - start);
    test_pass(t);
    return 0;
}
