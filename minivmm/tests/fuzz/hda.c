/* Fuzzes the HD Audio controller (lab 6): accesses to its BAR interleaved with guest time passing and guest RAM written, then a snapshot round trip. */
/* The code: the reference hda_rings.c, hda_stream.c, hda_codec.c; devices/hda_dev.c and hda_snapshot.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/snapshot.h>
#include <devices/hda.h>
#include "host_stubs.h"
#include "fuzz.h"

#define RAM_BASE 0x40000000u
#define RAM_SIZE (256u << 10) /* small, so that guest values land in it often */

static struct vm vm;
static uint8_t *ram;

/* What the backend saw: every DMA inside RAM, the interrupt level, the bytes played. */
struct wire {
    bool level;
    uint64_t played;
};

static void *wire_dma(void *ctx, uint32_t addr, uint32_t len)
{
    (void)ctx;
    uint8_t *p = vm_ipa_ptr(&vm, addr, len);
    FUZZ_CHECK(!p || (p >= ram && p + len <= ram + RAM_SIZE), "DMA of %u bytes at %#x outside RAM", len,
               addr);
    return p;
}

static void wire_irq(void *ctx, bool level)
{
    struct wire *w = ctx;
    FUZZ_CHECK(level != w->level, "the interrupt output told %d twice", level);
    w->level = level;
}

static void wire_play(void *ctx, uint16_t fmt, const uint8_t *data, uint32_t len)
{
    struct wire *w = ctx;
    struct hda_pcm p;
    FUZZ_CHECK(hda_fmt_decode(fmt, &p), "format %#x played", fmt);
    FUZZ_CHECK(data >= ram && data + len <= ram + RAM_SIZE, "%u bytes played from outside RAM", len);
    w->played += len;
}

/* What the model keeps true after every operation. */
static void check(const struct hda *h, const struct wire *w)
{
    FUZZ_CHECK(h->irq_level == hda_irq_pending(h) && w->level == h->irq_level, "output %d, told %d",
               h->irq_level, w->level);
    FUZZ_CHECK(!!(h->sd.ctl & HDA_SD_CTL_RUN) == h->timer.armed, "CTL %#x, timer %s", h->sd.ctl,
               h->timer.armed ? "armed" : "off");
    FUZZ_CHECK(!h->sd.cbl || !(h->sd.ctl & HDA_SD_CTL_RUN) || h->sd.lpib < h->sd.cbl, "LPIB %#x, CBL %#x",
               h->sd.lpib, h->sd.cbl);
    FUZZ_CHECK(h->stats.bytes_played == w->played, "played %llu, counted %llu", (unsigned long long)w->played,
               (unsigned long long)h->stats.bytes_played);
    FUZZ_CHECK(!(h->gctl & HDA_GCTL_CRST) ? !h->intctl && !h->sd.ctl && !h->corbctl : true,
               "a register kept its value in reset");
}

/* Offsets: one of the registers (mostly), or anywhere in the BAR and past it. */
static uint32_t offset(struct fdp *f, unsigned width)
{
    static const uint16_t hot[] = {
        HDA_GCTL,   HDA_STATESTS, HDA_INTCTL,    HDA_INTSTS,  HDA_CORBLBASE, HDA_CORBUBASE, HDA_CORBWP,
        HDA_CORBRP, HDA_CORBCTL,  HDA_RIRBLBASE, HDA_RIRBWP,  HDA_RINTCNT,   HDA_RIRBCTL,   HDA_RIRBSTS,
        HDA_ICOI,   HDA_ICIS,     HDA_DPLBASE,   HDA_DPUBASE, 0x80,          0x82,          0x83,
        0x84,       0x88,         0x8c,          0x92,        0x98,          0x9c,          0x2084};
    uint8_t how = fdp_u8(f);
    uint32_t off = how < 224 ? hot[how % ARRAY_SIZE(hot)] : fdp_u16(f) % (HDA_MMIO_SIZE + 8);
    return off & ~(uint32_t)(width - 1);
}

static void bar_access(struct hda *h, struct fdp *f, bool write, unsigned width)
{
    uint32_t off = offset(f, width);
    struct bus_req r = {.off = off, .width = (uint8_t)width, .write = write};
    if (write)
        r.val = fdp_uint(f, width);
    enum bus_result res = hda_access(h, &r);
    FUZZ_CHECK(res == (off + width <= HDA_MMIO_SIZE ? BUS_OK : BUS_NOT_MINE), "access at %#x: %d", off, res);
    if (!write && width < 4)
        FUZZ_CHECK(r.val >> (8 * width) == 0, "a %u-byte read at %#x gives %#x", width, off, r.val);
}

static void snap_fn_hda(void *obj, struct snap *s)
{
    hda_snapshot(obj, s);
}

/* The oracle of minivmm's snapshot: what a guest reached saves, restores into a fresh controller, saves the same. */
static void round_trip(struct hda *h)
{
    static uint8_t a[1024], b[1024];
    struct snap_writer w;
    snap_writer_init(&w, a, sizeof(a));
    FUZZ_CHECK(!snap_write_section(&w, "hda", HDA_SNAP_VERSION, snap_fn_hda, h),
               "the controller does not save");
    struct snap_reader r;
    struct snap_section sec;
    char err[160];
    snap_reader_init(&r, a, w.len);
    FUZZ_CHECK(snap_next_section(&r, &sec, err, sizeof(err)) == 1, "%s", err);
    dev_timers_clear(&vm);
    struct hda *fresh = calloc(1, sizeof(*fresh));
    FUZZ_CHECK(fresh, "out of memory");
    fresh->vm = &vm;
    FUZZ_CHECK(!snap_restore_section(&sec, HDA_SNAP_VERSION, snap_fn_hda, fresh, err, sizeof(err)),
               "a state the guest reached is refused: %s", err);
    uint32_t len = w.len;
    snap_writer_init(&w, b, sizeof(b));
    snap_write_section(&w, "hda", HDA_SNAP_VERSION, snap_fn_hda, fresh);
    FUZZ_CHECK(w.len == len && !memcmp(a, b, len), "the restored controller saves differently");
    dev_timers_clear(&vm);
    free(fresh);
}

/* Linux's bring-up: the link, both rings in RAM, a stream of 4 x 960 bytes playing to the DAC. */
static void linux_init(struct hda *h)
{
    static const uint32_t seq[][3] = {
        {HDA_GCTL, 4, 0},
        {HDA_GCTL, 4, 1},
        {HDA_CORBLBASE, 4, RAM_BASE + 0x1000},
        {HDA_CORBRP, 2, 0x8000},
        {HDA_CORBRP, 2, 0},
        {HDA_RIRBLBASE, 4, RAM_BASE + 0x2000},
        {HDA_RIRBWP, 2, 0x8000},
        {HDA_RINTCNT, 2, 1},
        {HDA_RIRBCTL, 1, 3},
        {HDA_CORBCTL, 1, 2},
        {HDA_INTCTL, 4, 0xc0000001},
        {HDA_ICOI, 4, 0x00220011},
        {HDA_ICIS, 2, 1},
        {HDA_ICOI, 4, 0x00270610},
        {HDA_ICIS, 2, 1},
        {0x98, 4, RAM_BASE + 0x3000},
        {0x88, 4, 3840},
        {0x8c, 2, 3},
        {0x92, 2, 0x11},
        {HDA_DPLBASE, 4, RAM_BASE + 0x3801},
        {0x80, 4, 0x100016},
    };
    for (unsigned i = 0; i < 4; i++) {
        uint8_t *e = ram + 0x3000 + 16 * i;
        hda_put_le32(e, RAM_BASE + 0x10000 + 960 * i);
        hda_put_le32(e + 4, 0);
        hda_put_le32(e + 8, 960);
        hda_put_le32(e + 12, 1);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(seq); i++) {
        struct bus_req r = {.off = seq[i][0], .width = (uint8_t)seq[i][1], .write = true, .val = seq[i][2]};
        hda_access(h, &r);
    }
}

/*
 * Input: a program, one operation after another, each a byte k (mod 16) and its operands:
 *   0-9    an access to the BAR: a write if k is odd; 1, 2, 4, 1 or 4 bytes wide (k / 2); an
 *          offset byte (below 224: one of the registers; else a 16-bit offset, anywhere up to
 *          8 past the BAR); a value of the access's width if it writes
 *   10, 11 time passes: a 16-bit count of 10-us steps (k 11: of 1-ms steps), timers run
 *   12     Linux's bring-up: link, rings, codec routed, stream 0 playing
 *   13     a 32-bit word into guest RAM: a 16-bit word offset, the value (a CORB or BDL entry)
 *   14     a CORB entry: a byte index and a 32-bit command, then CORBWP moved to it
 *   15     the controller reset through GCTL
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t widths[] = {1, 2, 4, 1, 4};
    struct fdp f = fdp_make(data, size);
    struct wire w = {0};
    fuzz_host_reset();
    memset(&vm, 0, sizeof(vm));
    ram = calloc(1, RAM_SIZE);
    struct hda *h = calloc(1, sizeof(*h));
    FUZZ_CHECK(ram && h, "out of memory");
    vm.ram_ipa = RAM_BASE;
    vm.ram_size = RAM_SIZE;
    vm.ram_host = ram;
    host_guest_counter = 1;
    struct hda_backend be = {wire_dma, wire_irq, wire_play, &w};
    hda_reset(h, &vm, &be);
    for (unsigned ops = 0; !fdp_empty(&f) && ops < 512; ops++) {
        unsigned k = fdp_u8(&f) % 16;
        if (k < 10) {
            bar_access(h, &f, k & 1, widths[k / 2]);
        } else if (k < 12) {
            unsigned steps = fdp_u16(&f) % 2000, step = k == 10 ? 625 : 62500;
            for (unsigned i = 0; i < steps; i++) {
                host_guest_counter += step;
                dev_timers_run(&vm);
            }
        } else if (k == 12) {
            linux_init(h);
        } else if (k == 13) {
            uint32_t at = 4u * (fdp_u16(&f) % (RAM_SIZE / 4));
            hda_put_le32(ram + at, fdp_u32(&f));
        } else if (k == 14) {
            uint8_t i = fdp_u8(&f);
            hda_put_le32(ram + 0x1000 + 4u * i, fdp_u32(&f));
            struct bus_req r = {.off = HDA_CORBWP, .width = 2, .write = true, .val = i};
            hda_access(h, &r);
        } else {
            struct bus_req r = {.off = HDA_GCTL, .width = 4, .write = true, .val = 0};
            hda_access(h, &r);
        }
        check(h, &w);
    }
    round_trip(h);
    if (fuzz_verbose)
        fprintf(stderr, "hda: %llu verbs, %llu bytes played, %llu muted, %llu descriptor errors\n",
                (unsigned long long)h->stats.verbs, (unsigned long long)h->stats.bytes_played,
                (unsigned long long)h->stats.bytes_muted, (unsigned long long)h->stats.desc_errors);
    dev_timers_clear(&vm);
    free(h);
    free(ram);
    return 0;
}
