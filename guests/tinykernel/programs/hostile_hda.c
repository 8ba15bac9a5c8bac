/* Hostile guests for lab 6 (integration tests of the reference, not graded): BDL, buffer, CORB, RIRB and position buffer addresses outside RAM or over the controller's own BAR, lengths nobody should give, a verb storm; then normal playback. */
#include "../hda.h"
#include "../kernel.h"
#include "../timer.h"

#define RAM_END 0x44000000u /* minivmm's default 64 MiB of guest RAM at 0x40000000 */
#define OUTSIDE 0x50000000u /* nothing there: past RAM, below nothing */
#define CBL_MARK 0x1230u

static struct hda_bdle bdl[256] __attribute__((aligned(128)));
static uint8_t pcm[4 * 4096] __attribute__((aligned(128)));

/* ---- Output stream 0 with hostile descriptors. */

struct stream_case {
    const char *what;
    uint32_t bdpl; /* 0: the program's BDL */
    unsigned lvi;
    uint32_t cbl;
    uint16_t fmt;     /* 0: 48 kHz 16-bit stereo */
    uint32_t addr[4]; /* the BDL's first entries: 0 leaves the program's buffer */
    uint32_t len[4];
    uint32_t dpl; /* the position buffer (0: off) */
};

#define PCM(i) ((uint32_t)pcm + (i)*4096u)
#define BAR(off) (HDA_MMIO + (off))

static const struct stream_case streams[] = {
    {"the BDL outside RAM", OUTSIDE, 3, 16384, 0, {0}, {4096, 4096, 4096, 4096}, 0},
    {"the BDL over the controller's own BAR", HDA_MMIO, 3, 16384, 0, {0}, {4096, 4096, 4096, 4096}, 0},
    {"the BDL over the GIC", 0x08000000u, 3, 16384, 0, {0}, {4096, 4096, 4096, 4096}, 0},
    {"the BDL at the end of RAM, LVI 255", RAM_END - 32, 255, 8192, 0, {0}, {4096, 4096}, 0},
    {"LVI 255 with a 4-entry BDL", 0, 255, 16384, 0, {0}, {4096, 4096, 4096, 4096}, 0},
    {"LVI 0 (a one-entry BDL)", 0, 0, 4096, 0, {0}, {4096}, 0},
    {"buffers over the controller's own BAR (CVE-2021-3611)",
     0,
     3,
     4 * 256,
     0,
     {BAR(0x80), BAR(0x40), BAR(0), BAR(0x3f80)},
     {256, 256, 256, 256},
     0},
    {"buffers outside RAM and across 4 GiB",
     0,
     3,
     3 * 4096 + 256,
     0,
     {OUTSIDE, 0xffffff80u, 0, RAM_END - 128},
     {4096, 256, 4096, 4096},
     0},
    {"zero-length entries, CBL 0", 0, 3, 0, 0, {0}, {0, 0, 0, 0}, 0},
    {"zero-length entries, CBL 16384", 0, 3, 16384, 0, {0}, {0, 0, 0, 0}, 0},
    {"a huge entry", 0, 3, 16384, 0, {0}, {4096, 0xffffffffu, 4096, 0x80000000u}, 0},
    {"CBL 0 with valid entries", 0, 3, 0, 0, {0}, {4096, 4096, 4096, 4096}, 0},
    {"CBL past the entries' sum", 0, 3, 0xfffffff0u, 0, {0}, {4096, 4096, 4096, 4096}, 0},
    {"CBL short of the entries' sum", 0, 3, 128, 0, {0}, {4096, 4096, 4096, 4096}, 0},
    {"odd entry lengths", 0, 3, 1 + 3 + 5 + 127, 0, {0}, {1, 3, 5, 127}, 0},
    {"an odd format (8 channels, 32 bits, 192 kHz)", 0, 3, 16384, 0x4847, {0}, {4096, 4096, 4096, 4096}, 0},
    {"format 0xffff", 0, 3, 16384, 0xffff, {0}, {4096, 4096, 4096, 4096}, 0},
    {"the position buffer over the controller's own BAR",
     0,
     3,
     16384,
     0,
     {0},
     {4096, 4096, 4096, 4096},
     BAR(0x80) | 1},
    {"the position buffer outside RAM", 0, 3, 16384, 0, {0}, {4096, 4096, 4096, 4096}, 0xfffffff8u | 1},
};

/* What a run of 5 ms showed. */
struct seen {
    uint32_t lpib_max;
    uint8_t sts;    /* every STS bit seen */
    bool self_stop; /* RUN read 0 before it was cleared */
};

static void fill_bdl(const struct stream_case *c, struct hda_bdle *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        b[i] = (struct hda_bdle){c->addr[i] ? c->addr[i] : PCM(i), 0, c->len[i], 1};
}

static const char *run_stream(const struct stream_case *c, struct seen *s)
{
    *s = (struct seen){0};
    fill_bdl(c, bdl, 4);
    if (c->bdpl == RAM_END - 32)
        fill_bdl(c, (struct hda_bdle *)(RAM_END - 32), 2);
    hda_wr32(HDA_DPLBASE, c->dpl);
    hda_stream_setup((const struct hda_bdle *)(c->bdpl ? c->bdpl : (uint32_t)bdl), c->lvi, c->cbl,
                     c->fmt ? c->fmt : HDA_FMT_48K_16_STEREO, 1, HDA_SD_IOCE | HDA_SD_DEIE);
    hda_stream_run(HDA_SD_IOCE | HDA_SD_DEIE);
    for (uint64_t end = cntvct() + hda_ms(5); cntvct() < end;) {
        uint32_t lpib = hda_rd32(HDA_SD0 + HDA_SD_LPIB);
        if (lpib > s->lpib_max)
            s->lpib_max = lpib;
        s->sts |= hda_rd8(HDA_SD0 + HDA_SD_STS);
        s->self_stop |= !(hda_rd8(HDA_SD0 + HDA_SD_CTL) & HDA_SD_RUN);
    }
    const char *why = hda_stream_stop();
    if (!why)
        why = hda_stream_reset();
    hda_wr32(HDA_DPLBASE, 0);
    return why;
}

static int abuse_streams(const char *t)
{
    for (unsigned i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
        const struct stream_case *c = &streams[i];
        struct seen s;
        const char *why = run_stream(c, &s);
        kprintf("hostile-hda: %s: LPIB up to %#x, STS %#x%s%s, %s\n", c->what, (unsigned)s.lpib_max, s.sts,
                s.sts & HDA_SD_DESE ? " (DESE)" : "", s.self_stop ? ", the stream stopped itself" : "",
                why ? why : "stopped and reset");
        CHECK(t, !why, "%s: %s", c->what, why);
        CHECK(t, hda_rd16(HDA_GCAP) == 0x1000, "%s: GCAP reads %#x afterwards", c->what, hda_rd16(HDA_GCAP));
        CHECK(t, c->cbl == 0 || s.lpib_max <= c->cbl, "%s: LPIB %#x past CBL %#x", c->what,
              (unsigned)s.lpib_max, (unsigned)c->cbl);
    }
    hda_wr32(HDA_SD0 + HDA_SD_BDPL, 0x40001001u);
    CHECK(t, hda_rd32(HDA_SD0 + HDA_SD_BDPL) == 0x40001000u,
          "BDPL reads %#x after 0x40001001 (bits 6:0 are 0)", (unsigned)hda_rd32(HDA_SD0 + HDA_SD_BDPL));
    return 0;
}

/* ---- The rings. */

/* The rings, stopped, at corb and rirb (raw addresses), pointers reset, then running. */
static void rings_at(uint32_t corb, uint32_t rirb, uint16_t rintcnt)
{
    hda_rings_stop();
    hda_wr32(HDA_CORBLBASE, corb);
    hda_wr32(HDA_RIRBLBASE, rirb);
    hda_wr16(HDA_CORBRP, HDA_CORBRP_RST);
    hda_wr16(HDA_CORBRP, 0);
    hda_wr16(HDA_CORBWP, 0);
    hda_wr16(HDA_RIRBWP, HDA_RIRBWP_RST);
    hda_wr16(HDA_RINTCNT, rintcnt);
    hda_wr8(HDA_RIRBCTL, HDA_RIRBCTL_DMAEN | HDA_RIRBCTL_RINTCTL);
    hda_wr8(HDA_CORBCTL, HDA_CORBCTL_RUN);
}

static void spin_ms(unsigned ms)
{
    for (uint64_t end = cntvct() + hda_ms(ms); cntvct() < end;)
        (void)hda_rd16(HDA_RIRBWP);
}

/* Verbs nobody should send, queued 255 at a time without waiting for the responses:
 * random codecs, NIDs and verbs, from the run's nonce. */
static void verb_storm(unsigned rounds)
{
    for (unsigned r = 0; r < rounds; r++) {
        unsigned wp = hda_rd16(HDA_CORBWP) & 0xff;
        for (unsigned i = 1; i < 256; i++)
            hda_corb[(wp + i) & 0xff] = rng();
        hda_wr16(HDA_CORBWP, (uint16_t)((wp + 255) & 0xff));
        if (r % 4 == 3)
            hda_wr8(HDA_RIRBSTS, HDA_RIRBSTS_RINTFL | HDA_RIRBSTS_RIRBOIS);
    }
    for (unsigned i = 0; i < 2000; i++) { /* the immediate interface, never waited for */
        hda_wr32(HDA_ICOI, rng());
        hda_wr16(HDA_ICIS, (uint16_t)(HDA_ICIS_ICB | (i & 1 ? HDA_ICIS_IRV : 0)));
    }
}

static int abuse_rings(const char *t)
{
    hda_wr8(HDA_SD0 + HDA_SD_CTL, 0);
    hda_wr32(HDA_SD0 + HDA_SD_CBL, CBL_MARK);
    static const struct {
        const char *what;
        uint32_t corb, rirb;
        uint16_t rintcnt;
    } rings[] = {
        {"CORB and RIRB outside RAM", OUTSIDE, OUTSIDE + 0x1000, 1},
        {"the RIRB over the controller's own BAR (CVE-2021-3611)", (uint32_t)hda_corb, BAR(0x80), 1},
        {"the CORB over the controller's own BAR", BAR(0), (uint32_t)hda_rirb, 1},
        {"the RIRB across the end of RAM", (uint32_t)hda_corb, RAM_END - 1024, 1},
        {"RINTCNT 0 (256)", (uint32_t)hda_corb, (uint32_t)hda_rirb, 0},
        {"RINTCNT 0xffff", (uint32_t)hda_corb, (uint32_t)hda_rirb, 0xffff},
    };
    for (unsigned i = 0; i < sizeof(rings) / sizeof(rings[0]); i++) {
        rings_at(rings[i].corb, rings[i].rirb, rings[i].rintcnt);
        verb_storm(8);
        spin_ms(2);
        kprintf("hostile-hda: %s, 2040 verbs: CORBRP %u RIRBWP %u RIRBSTS %#x\n", rings[i].what,
                hda_rd16(HDA_CORBRP), hda_rd16(HDA_RIRBWP), hda_rd8(HDA_RIRBSTS));
        CHECK(t, hda_rd32(HDA_SD0 + HDA_SD_CBL) == CBL_MARK,
              "%s: SD0 CBL reads %#x, not %#x: DMA wrote into the controller's registers", rings[i].what,
              (unsigned)hda_rd32(HDA_SD0 + HDA_SD_CBL), CBL_MARK);
        CHECK(t, canary_intact(), "%s: guest RAM changed", rings[i].what);
    }
    rings_at((uint32_t)hda_corb, (uint32_t)hda_rirb, 1);
    hda_wr16(HDA_CORBWP, 0xffff);
    CHECK(t, hda_rd16(HDA_CORBWP) <= 0xff, "CORBWP reads %#x after 0xffff (bits 15:8 are reserved)",
          hda_rd16(HDA_CORBWP));
    spin_ms(2);
    for (unsigned size = 0; size < 4; size++) {
        hda_rings_stop();
        hda_wr8(HDA_CORBSIZE, (uint8_t)size);
        hda_wr8(HDA_RIRBSIZE, (uint8_t)size);
        CHECK(t, (hda_rd8(HDA_CORBSIZE) & 3) == HDA_RING_256 && (hda_rd8(HDA_RIRBSIZE) & 3) == HDA_RING_256,
              "CORBSIZE/RIRBSIZE took size %u: only 256 entries are offered", size);
    }
    rings_at((uint32_t)hda_corb, (uint32_t)hda_rirb, 1);
    for (unsigned i = 0; i < 100; i++) { /* pointer resets while verbs run */
        verb_storm(1);
        hda_wr16(HDA_RIRBWP, HDA_RIRBWP_RST);
        hda_wr16(HDA_CORBRP, HDA_CORBRP_RST);
        hda_wr16(HDA_CORBRP, 0);
    }
    kprintf("hostile-hda: CORBWP past 255, ring sizes, pointer resets under a verb storm: survived\n");
    return 0;
}

/* ---- Afterwards: the controller works. */

static int works_again(const char *t)
{
    uint16_t statests;
    struct hda_codec c;
    const char *why = hda_reset(&statests);
    CHECK(t, !why, "after the abuse: %s", why);
    CHECK(t, (why = hda_rings_start(1)) == NULL, "after the abuse: %s", why);
    CHECK(t, (why = hda_discover(hda_verb, &c)) == NULL, "after the abuse: %s", why);
    CHECK(t, c.dac == 2 && c.pin == 3, "after the abuse, discovery finds DAC %u and pin %u", c.dac, c.pin);
    CHECK(t, (why = hda_discover(hda_verb_imm, &c)) == NULL, "after the abuse: %s", why);
    CHECK(t, (why = hda_codec_play(hda_verb, &c, 1, HDA_FMT_48K_16_STEREO)) == NULL, "after the abuse: %s",
          why);
    struct hda_play p = {.hz = 440, .entries = 4, .entry_frames = 1024, .ioc_mask = 0xf, .tag = 1};
    CHECK(t, (why = hda_play_start(&p)) == NULL, "after the abuse: %s", why);
    CHECK(t, (why = hda_play_until(&p, HDA_RATE / 10)) == NULL, "after the abuse: %s", why);
    CHECK(t, (why = hda_play_stop(&p)) == NULL, "after the abuse: %s", why);
    uint8_t sts = hda_rd8(HDA_SD0 + HDA_SD_STS);
    CHECK(t, !(sts & (HDA_SD_DESE | HDA_SD_FIFOE)), "after the abuse, normal playback gives STS %#x", sts);
    kprintf("hostile-hda: afterwards: reset, discovery, %u frames of a tone played\n",
            (unsigned)(p.played / HDA_FRAME));
    return 0;
}

PROGRAM(
    hostile_hda, "hostile-hda",
    "HDA abuse: BDL, buffers, rings and position buffer outside RAM or over the BAR, odd lengths, a verb storm")
{
    const char *t = "hostile-hda", *why;
    uint16_t statests;
    struct hda_codec c;
    canary_set();
    rng_seed(nonce_value() | 1);
    CHECK(t, (why = hda_open()) == NULL, "%s", why);
    CHECK(t, (why = hda_reset(&statests)) == NULL, "%s", why);
    CHECK(t, (why = hda_rings_start(1)) == NULL, "%s", why);
    CHECK(t, (why = hda_discover(hda_verb, &c)) == NULL, "%s", why);
    CHECK(t, (why = hda_codec_play(hda_verb, &c, 1, HDA_FMT_48K_16_STEREO)) == NULL, "%s", why);
    if (abuse_streams(t) || abuse_rings(t) || works_again(t))
        return 1;
    CHECK(t, canary_intact(), "guest RAM changed under the abuse");
    kprintf("hostile-hda: the controller works again; guest RAM intact\n");
    test_pass(t);
    return 0;
}
