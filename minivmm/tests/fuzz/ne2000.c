/* Fuzzes the NE2000 (lab 5): accesses to its I/O BAR interleaved with frames from the network, then a snapshot round trip. */
/* The code: the reference ne2000.c and ne2000_ring.c; devices/ne2000_snapshot.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/snapshot.h>
#include <devices/ne2000.h>
#include "host_stubs.h"
#include "fuzz.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
#define FRAME_BUF 2048u /* what a frame from the network lies in: a length past it must not be read */

/* What the backend saw: the interrupt level it was told, and the frames sent. */
struct wire {
    struct ne2000 *n;
    bool level;
    uint64_t sent;
};

static void wire_send(void *ctx, const uint8_t *frame, unsigned len)
{
    struct wire *w = ctx;
    const uint8_t *ram = w->n->ram;
    FUZZ_CHECK(frame >= ram && frame <= ram + NE2000_RAM_SIZE &&
                   len <= NE2000_RAM_SIZE - (size_t)(frame - ram),
               "a frame of %u bytes sent from outside the RAM", len);
    FUZZ_CHECK(len >= NE2000_MIN_FRAME && len <= NE2000_MAX_FRAME, "a frame of %u bytes sent", len);
    w->sent++;
}

static void wire_irq(void *ctx, bool level)
{
    struct wire *w = ctx;
    FUZZ_CHECK(level != w->level, "the interrupt output told %d twice", level);
    w->level = level;
}

/* What the model keeps true after every access and every frame. */
static void check(const struct ne2000 *n, const struct wire *w, const uint8_t *prom)
{
    bool level = (n->isr & n->imr & NE_ISR_IRQ_MASK) != 0;
    FUZZ_CHECK(n->irq_level == level && w->level == level, "output %d, told %d, ISR %#x IMR %#x",
               n->irq_level, w->level, n->isr, n->imr);
    FUZZ_CHECK(!(n->cr & NE_CR_TXP), "CR %#x keeps TXP", n->cr);
    FUZZ_CHECK(!(n->cr & NE_CR_STP) == !(n->isr & NE_ISR_RST), "CR %#x with ISR %#x", n->cr, n->isr);
    for (unsigned i = 0; i < 3; i++)
        FUZZ_CHECK(n->cntr[i] <= NE2000_TALLY_LIMIT, "CNTR%u is %#x", i, n->cntr[i]);
    FUZZ_CHECK(!memcmp(n->prom, prom, NE2000_PROM_SIZE), "the PROM changed");
    FUZZ_CHECK(n->stats.tx_frames == w->sent, "%llu frames counted as sent, %llu sent",
               (unsigned long long)n->stats.tx_frames, (unsigned long long)w->sent);
}

/* Offsets: the registers, the data port and the reset port, or anywhere up to past the BAR. */
static uint32_t offset(struct fdp *f)
{
    uint8_t how = fdp_u8(f);
    if (how < 240)
        return how % 18 < 16 ? how % 18 : (how % 18 == 16 ? NE2000_DATA : NE2000_RESET);
    return fdp_u8(f) % (NE2000_IO_SIZE + 8);
}

static void bar_access(struct ne2000 *n, struct fdp *f, bool write, unsigned width)
{
    uint32_t off = offset(f);
    struct bus_req r = {.off = off, .width = (uint8_t)width, .write = write};
    if (write)
        r.val = fdp_uint(f, width);
    enum bus_result res = ne2000_access(n, &r);
    FUZZ_CHECK(res == (off < NE2000_IO_SIZE ? BUS_OK : BUS_NOT_MINE), "access at %#x: %d", off, res);
    if (!write && width < 4)
        FUZZ_CHECK(r.val >> (8 * width) == 0, "a %u-byte read at %#x gives %#x", width, off, r.val);
}

/* The frame's bytes as the ring holds them from addr on (wrapping at PSTOP), then zeros to 60. */
static void check_stored(const struct ne2000 *n, uint32_t addr, const uint8_t *frame, unsigned len)
{
    uint32_t start = (uint32_t)n->pstart << 8, stop = (uint32_t)n->pstop << 8;
    unsigned size = len < NE2000_PAD_FRAME ? NE2000_PAD_FRAME : len;
    for (unsigned i = 0; i < size; i++) {
        if (addr == stop)
            addr = start;
        uint8_t want = i < len ? frame[i] : 0;
        FUZZ_CHECK(n->ram[addr - NE2000_RAM_START] == want, "ring byte %u of a %u-byte frame", i, len);
        addr++;
    }
}

/* A frame from the network: to the card's PAR, broadcast, multicast or anywhere, of any length. */
static void receive(struct ne2000 *n, struct fdp *f, uint8_t *frame, uint8_t *before)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    size_t got;
    memset(frame, 0, FRAME_BUF);
    switch (fdp_pick(f, 4)) {
    case 0: memcpy(frame, n->par, 6); break;
    case 1: memcpy(frame, bcast, 6); break;
    case 2:
        memcpy(frame, "\x01\x00\x5e", 3);
        memcpy(frame + 3, fdp_bytes(f, 3, &got), got);
        break;
    default: memcpy(frame, fdp_bytes(f, 6, &got), got);
    }
    uint16_t l = fdp_u16(f);
    unsigned len = l & 0x8000 ? 0x80000000u | l : l % FRAME_BUF;
    if (len <= FRAME_BUF && len > 6)
        memcpy(frame + 6, fdp_bytes(f, len - 6, &got), got);
    uint8_t curr = n->curr;
    uint64_t frames = n->stats.rx_frames, dropped = n->stats.rx_dropped;
    memcpy(before, n->ram, NE2000_RAM_SIZE);
    bool took = ne2000_receive(n, frame, len);
    FUZZ_CHECK(n->stats.rx_frames + n->stats.rx_dropped == frames + dropped + 1, "a frame counted %s",
               "twice or not at all");
    if (!took) {
        FUZZ_CHECK(n->curr == curr && !memcmp(before, n->ram, NE2000_RAM_SIZE),
                   "a dropped frame of %u bytes changed the ring", len);
        return;
    }
    FUZZ_CHECK(len >= NE2000_MIN_FRAME && len <= NE2000_MAX_FRAME, "a frame of %u bytes taken", len);
    unsigned size = len < NE2000_PAD_FRAME ? NE2000_PAD_FRAME : len;
    const uint8_t *h = n->ram + (((uint32_t)curr << 8) - NE2000_RAM_START);
    FUZZ_CHECK(curr >= n->pstart && curr < n->pstop && n->pstart >= NE2000_FIRST_PAGE &&
                   n->pstop <= NE2000_END_PAGE,
               "a frame taken into page %#x of the ring %#x-%#x", curr, n->pstart, n->pstop);
    FUZZ_CHECK(h[0] & NE_RSR_PRX && h[1] == n->curr && (unsigned)(h[2] | h[3] << 8) == size + NE2000_HDR_SIZE,
               "header %02x %02x %02x %02x for %u bytes, CURR now %#x", h[0], h[1], h[2], h[3], len, n->curr);
    check_stored(n, ((uint32_t)curr << 8) + NE2000_HDR_SIZE, frame, len);
    /* Nothing else changed: the bytes outside the frame's span are as they were. */
    uint32_t start = (uint32_t)n->pstart << 8, stop = (uint32_t)n->pstop << 8, at = (uint32_t)curr << 8;
    for (unsigned i = 0; i < size + NE2000_HDR_SIZE; i++, at++) {
        if (at == stop)
            at = start;
        before[at - NE2000_RAM_START] = n->ram[at - NE2000_RAM_START];
    }
    FUZZ_CHECK(!memcmp(before, n->ram, NE2000_RAM_SIZE), "a frame changed RAM outside its span");
}

/* Linux's NS8390_init and open: a ring at 0x4c-0x7f, started, broadcast taken. */
static void linux_init(struct ne2000 *n)
{
    static const uint8_t seq[][2] = {
        {NE_CR, 0x21},  {NE_DCR, 0x49},  {NE_RBCR0, 0},     {NE_RBCR1, 0},   {NE_RCR, 0x20},
        {NE_TCR, 0x02}, {NE_TPSR, 0x40}, {NE_PSTART, 0x4c}, {NE_BNRY, 0x7f}, {NE_PSTOP, 0x80},
        {NE_ISR, 0xff}, {NE_IMR, 0},     {NE_CR, 0x61},     {NE_CURR, 0x4c}, {NE_CR, 0x21},
        {NE_ISR, 0xff}, {NE_IMR, 0x3f},  {NE_CR, 0x22},     {NE_TCR, 0},     {NE_RCR, 0x04},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(seq); i++) {
        struct bus_req r = {.off = seq[i][0], .width = 1, .write = true, .val = seq[i][1]};
        ne2000_access(n, &r);
        if (i == 13) /* PAR0-5 on page 1, with CURR */
            for (unsigned b = 0; b < 6; b++) {
                r = (struct bus_req){.off = NE_PAR0 + b, .width = 1, .write = true, .val = MAC[b]};
                ne2000_access(n, &r);
            }
    }
}

static void snap_fn_ne2000(void *obj, struct snap *s)
{
    ne2000_snapshot(obj, s);
}

/* The oracle of minivmm's snapshot: what a guest reached saves, restores into a fresh card, saves the same. */
static void round_trip(struct ne2000 *n)
{
    static uint8_t a[SNAP_HEADER_SIZE + sizeof(struct ne2000)], b[sizeof(a)];
    struct snap_writer w;
    snap_writer_init(&w, a, sizeof(a));
    FUZZ_CHECK(!snap_write_section(&w, "ne2000", NE2000_SNAP_VERSION, snap_fn_ne2000, n),
               "the card does not save");
    struct snap_reader r;
    struct snap_section sec;
    char err[160];
    snap_reader_init(&r, a, w.len);
    FUZZ_CHECK(snap_next_section(&r, &sec, err, sizeof(err)) == 1, "%s", err);
    struct ne2000 *fresh = calloc(1, sizeof(*fresh));
    FUZZ_CHECK(fresh, "out of memory");
    FUZZ_CHECK(!snap_restore_section(&sec, NE2000_SNAP_VERSION, snap_fn_ne2000, fresh, err, sizeof(err)),
               "a state the guest reached is refused: %s", err);
    uint32_t len = w.len;
    snap_writer_init(&w, b, sizeof(b));
    snap_write_section(&w, "ne2000", NE2000_SNAP_VERSION, snap_fn_ne2000, fresh);
    FUZZ_CHECK(w.len == len && !memcmp(a, b, len), "the restored card saves differently");
    free(fresh);
}

/*
 * Input: a program, one operation after another, each a byte k (mod 16) and its operands:
 *   0-9    an access through the BAR: a write if k is odd; 1, 2, 4, 1 or 1 bytes wide
 *          (k / 2); an offset byte (below 240: one of the 16 registers, the data port,
 *          the reset port; else another byte, anywhere up to 8 past the BAR); a value
 *          of the access's width if it writes
 *   10, 11 a frame from the network: a byte for its destination (the PAR, broadcast,
 *          01:00:5e and 3 bytes, or 6 bytes), a 16-bit length (bit 15: 2 GiB more,
 *          never to be read; else modulo 2048), the bytes after the destination
 *   12     Linux's ring set-up (NS8390_init), the card started
 *   13     a transmit: TPSR, a 16-bit TBCR, CR = 0x26
 *   14, 15 a read of the reset port
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t widths[] = {1, 2, 4, 1, 1};
    struct fdp f = fdp_make(data, size);
    struct wire w = {0};
    struct ne2000 *n = malloc(sizeof(*n)); /* its RAM last: ASan sees a write past it */
    uint8_t *frame = malloc(FRAME_BUF), *before = malloc(NE2000_RAM_SIZE), prom[NE2000_PROM_SIZE];
    FUZZ_CHECK(n && frame && before, "out of memory");
    fuzz_host_reset();
    w.n = n;
    struct ne2000_backend be = {wire_send, wire_irq, &w};
    ne2000_reset(n, MAC, &be);
    memcpy(prom, n->prom, sizeof(prom));
    for (unsigned ops = 0; !fdp_empty(&f) && ops < 512; ops++) {
        unsigned k = fdp_u8(&f) % 16;
        if (k < 10) {
            bar_access(n, &f, k & 1, widths[k / 2]);
        } else if (k < 12) {
            receive(n, &f, frame, before);
        } else if (k == 12) {
            linux_init(n);
        } else if (k == 13) {
            uint8_t tpsr = fdp_u8(&f);
            uint16_t tbcr = fdp_u16(&f);
            uint8_t regs[][2] = {
                {NE_TPSR, tpsr}, {NE_TBCR0, (uint8_t)tbcr}, {NE_TBCR1, tbcr >> 8}, {NE_CR, 0x26}};
            for (unsigned i = 0; i < ARRAY_SIZE(regs); i++) {
                struct bus_req r = {.off = regs[i][0], .width = 1, .write = true, .val = regs[i][1]};
                ne2000_access(n, &r);
            }
        } else {
            struct bus_req r = {.off = NE2000_RESET, .width = 1};
            ne2000_access(n, &r);
            FUZZ_CHECK(n->cr == NE_CR_RESET_VAL && n->isr == NE_ISR_RST && !n->imr, "the reset port: CR %#x",
                       n->cr);
        }
        check(n, &w, prom);
    }
    round_trip(n);
    if (fuzz_verbose) /* what a seed reached */
        fprintf(stderr,
                "ne2000: %llu sent, %llu not; %llu received, %llu dropped (%llu stopped, %llu filtered, "
                "%llu missed, %llu bad length)\n",
                (unsigned long long)n->stats.tx_frames, (unsigned long long)n->stats.tx_errors,
                (unsigned long long)n->stats.rx_frames, (unsigned long long)n->stats.rx_dropped,
                (unsigned long long)n->stats.rx_stopped, (unsigned long long)n->stats.rx_filtered,
                (unsigned long long)n->stats.rx_missed, (unsigned long long)n->stats.rx_bad_length);
    free(before);
    free(frame);
    free(n);
    return 0;
}
