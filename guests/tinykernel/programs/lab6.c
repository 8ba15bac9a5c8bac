/* Lab 6 test programs: the HD Audio controller's reset, codec verbs through CORB/RIRB and the immediate interface, a tone played through output stream 0, IOC interrupts, a restart. */
#include "../hda.h"
#include "../kernel.h"
#include "../timer.h"
#include "../tone.h"

#define SECONDS_FRAMES(ms) (HDA_RATE / 1000 * (ms)) /* frames in ms milliseconds */
#define TONE_FRAMES SECONDS_FRAMES(500)             /* every tone: 0.5 s (the grader's expect_wav) */
#define STREAM_TAG 1

/* The controller found, placed and reset. */
static int open_reset(const char *t, uint16_t *statests)
{
    const char *why = hda_open();
    CHECK(t, !why, "%s", why);
    why = hda_reset(statests);
    CHECK(t, !why, "%s", why);
    return 0;
}

/* ---- Reset. */
PROGRAM(lab6_reset, "lab6-reset", "lab 6: find the HDA controller, reset it, see codec 0 in STATESTS")
{
    const char *t = "lab6-reset";
    uint16_t statests;
    const char *why = hda_open();
    CHECK(t, !why, "%s", why);
    uint16_t gcap = hda_rd16(HDA_GCAP);
    uint8_t vmaj = hda_rd8(HDA_VMAJ), vmin = hda_rd8(HDA_VMIN);
    kprintf("lab6-reset: 8086:2668 class %06x at 00:%02x.%u, BAR0 at %#x, GCAP %#x, version %u.%u\n",
            (unsigned)hda_fn.class, PCI_DEV(hda_fn.bdf), PCI_FN(hda_fn.bdf), (unsigned)hda_base, gcap, vmaj,
            vmin);
    CHECK(t, gcap == 0x1000, "GCAP reads %#x, expected 0x1000 (1 output stream, no input, no 64-bit)", gcap);
    CHECK(t, vmaj == 1 && vmin == 0, "the version reads %u.%u, expected 1.0", vmaj, vmin);
    CHECK(t, hda_rd32(HDA_GCAP) == ((uint32_t)vmaj << 24 | (uint32_t)vmin << 16 | gcap),
          "a 32-bit read of GCAP, VMIN and VMAJ disagrees with the narrow reads");
    /* What a reset must clear: registers written before it. */
    hda_wr32(HDA_GCTL, HDA_GCTL_CRST);
    hda_wr32(HDA_INTCTL, HDA_INT_GIE | HDA_INT_SIS0);
    hda_wr32(HDA_CORBLBASE, 0x40001000u);
    why = hda_reset(&statests);
    CHECK(t, !why, "%s", why);
    kprintf("lab6-reset: out of reset, STATESTS %#x\n", statests);
    CHECK(t, statests == 1, "STATESTS reads %#x after the reset, expected 0x1 (codec 0 alone)", statests);
    CHECK(t, hda_rd32(HDA_INTCTL) == 0 && hda_rd32(HDA_CORBLBASE) == 0,
          "INTCTL (%#x) or CORBLBASE (%#x) kept a value written before the reset",
          (unsigned)hda_rd32(HDA_INTCTL), (unsigned)hda_rd32(HDA_CORBLBASE));
    hda_wr16(HDA_STATESTS, 0);
    CHECK(t, hda_rd16(HDA_STATESTS) == 1, "writing 0 to STATESTS changed it (it is write-1-to-clear)");
    hda_wr16(HDA_STATESTS, 1);
    CHECK(t, hda_rd16(HDA_STATESTS) == 0, "STATESTS reads %#x after 1 was written to bit 0",
          hda_rd16(HDA_STATESTS));
    test_pass(t);
    return 0;
}

/* ---- Codec discovery: the same checks through either path. */
static int check_codec(const char *t, const struct hda_codec *c)
{
    kprintf("codec 0: vendor %08x, root nodes %u-%u, AFG %u (type %#x) nodes %u-%u, DAC %u (caps %#x), "
            "pin %u (caps %#x, pin caps %#x), connections %u: [%u]\n",
            (unsigned)c->vendor, (unsigned)(c->root_nodes >> 16 & 0xff),
            (unsigned)((c->root_nodes >> 16 & 0xff) + (c->root_nodes & 0xff) - 1), c->afg,
            (unsigned)c->fg_type, (unsigned)(c->afg_nodes >> 16 & 0xff),
            (unsigned)((c->afg_nodes >> 16 & 0xff) + (c->afg_nodes & 0xff) - 1), c->dac,
            (unsigned)c->dac_wcap, c->pin, (unsigned)c->pin_wcap, (unsigned)c->pincap, (unsigned)c->connlen,
            (unsigned)(c->conn0 & 0xff));
    CHECK(t, (c->root_nodes & 0x00ff00ff) == 0x00010001,
          "the root's subordinate nodes are %#x, expected 1 node from NID 1", (unsigned)c->root_nodes);
    CHECK(t, c->afg == 1 && (c->fg_type & 0xff) == 1, "NID 1 is not an audio function group (type %#x)",
          (unsigned)c->fg_type);
    CHECK(t, (c->afg_nodes & 0x00ff00ff) == 0x00020002,
          "the AFG's subordinate nodes are %#x, expected NIDs 2-3", (unsigned)c->afg_nodes);
    CHECK(t, c->dac == 2 && c->pin == 3, "the audio output is NID %u and the pin NID %u, expected 2 and 3",
          c->dac, c->pin);
    CHECK(t, c->pincap & 0x10, "the pin's capabilities (%#x) lack output", (unsigned)c->pincap);
    CHECK(t, (c->connlen & 0x7f) == 1 && (c->conn0 & 0xff) == 2,
          "the pin's connection list (length %#x, first entries %#x) is not [2]", (unsigned)c->connlen,
          (unsigned)c->conn0);
    return 0;
}

/* n Get Parameter verbs to the root and the AFG, for a batch. */
static void param_batch(uint32_t *verbs, unsigned n)
{
    static const uint8_t pars[] = {HDA_PAR_VENDOR, HDA_PAR_NODES, HDA_PAR_FG_TYPE, HDA_PAR_NODES};
    for (unsigned i = 0; i < n; i++)
        verbs[i] = HDA_VERB(i % 4 < 2 ? 0 : 1, HDA_GET_PARAM, pars[i % 4]);
}

#define RINTCNT 4

/* RINTCNT responses set RIRBSTS.RINTFL and INTSTS.CIS (with RINTCTL on); RIRBSTS is write-1-to-clear. */
static int rintcnt(const char *t, const struct hda_codec *c)
{
    uint32_t verbs[RINTCNT], resp[RINTCNT];
    hda_wr8(HDA_RIRBSTS, HDA_RIRBSTS_RINTFL | HDA_RIRBSTS_RIRBOIS);
    CHECK(t, !(hda_rd8(HDA_RIRBSTS) & HDA_RIRBSTS_RINTFL),
          "RIRBSTS.RINTFL stays set after 1 was written to it");
    param_batch(verbs, RINTCNT);
    const char *why = hda_corb_send(verbs, RINTCNT, resp, false);
    CHECK(t, !why, "a batch of %u verbs: %s", RINTCNT, why);
    CHECK(t, resp[0] == c->vendor && resp[1] == c->root_nodes && resp[3] == c->afg_nodes,
          "a batch of %u verbs got responses %#x %#x %#x %#x, out of order?", RINTCNT, (unsigned)resp[0],
          (unsigned)resp[1], (unsigned)resp[2], (unsigned)resp[3]);
    CHECK(t, (hda_rd16(HDA_CORBRP) & 0xff) == (hda_rd16(HDA_CORBWP) & 0xff),
          "CORBRP %u did not reach CORBWP %u", hda_rd16(HDA_CORBRP), hda_rd16(HDA_CORBWP));
    uint8_t sts = hda_rd8(HDA_RIRBSTS);
    uint32_t intsts = hda_rd32(HDA_INTSTS);
    kprintf("lab6-corb: RINTCNT %u: after %u responses RIRBSTS %#x, INTSTS %#x\n", RINTCNT, RINTCNT, sts,
            (unsigned)intsts);
    CHECK(t, sts & HDA_RIRBSTS_RINTFL, "RIRBSTS.RINTFL is clear after RINTCNT (%u) responses", RINTCNT);
    CHECK(t, intsts & HDA_INT_CIS, "INTSTS.CIS is clear while RIRBSTS.RINTFL is set");
    hda_wr8(HDA_RIRBSTS, 0);
    CHECK(t, hda_rd8(HDA_RIRBSTS) & HDA_RIRBSTS_RINTFL, "writing 0 to RIRBSTS cleared RINTFL");
    hda_wr8(HDA_RIRBSTS, HDA_RIRBSTS_RINTFL);
    CHECK(t, !(hda_rd8(HDA_RIRBSTS) & HDA_RIRBSTS_RINTFL),
          "RIRBSTS.RINTFL stays set after 1 was written to it");
    CHECK(t, !(hda_rd32(HDA_INTSTS) & HDA_INT_CIS), "INTSTS.CIS stays set after RIRBSTS was cleared");
    return 0;
}

/* Discovery through send (via: its name), the codec checked, then made ready for the stream. */
static int discover(const char *t, hda_send_fn send, const char *via, struct hda_codec *c)
{
    const char *why = hda_discover(send, c);
    CHECK(t, !why, "discovery through %s: %s", via, why);
    if (check_codec(t, c))
        return 1;
    why = hda_codec_play(send, c, STREAM_TAG, HDA_FMT_48K_16_STEREO);
    CHECK(t, !why, "%s", why);
    return 0;
}

PROGRAM(lab6_corb, "lab6-corb", "lab 6: codec discovery through the CORB and RIRB rings, RINTCNT and RIRBSTS")
{
    const char *t = "lab6-corb";
    uint16_t statests;
    struct hda_codec c;
    if (open_reset(t, &statests))
        return 1;
    const char *why = hda_rings_start(RINTCNT);
    CHECK(t, !why, "%s", why);
    CHECK(t, hda_rd8(HDA_CORBSIZE) == (0x40 | HDA_RING_256) && hda_rd8(HDA_RIRBSIZE) == (0x40 | HDA_RING_256),
          "CORBSIZE %#x RIRBSIZE %#x, expected 0x42 (256 entries, the only size offered)",
          hda_rd8(HDA_CORBSIZE), hda_rd8(HDA_RIRBSIZE));
    if (discover(t, hda_verb, "CORB/RIRB", &c) || rintcnt(t, &c))
        return 1;
    why = hda_rings_stop();
    CHECK(t, !why, "%s", why);
    test_pass(t);
    return 0;
}

PROGRAM(lab6_immediate, "lab6-immediate", "lab 6: codec discovery through the immediate command interface")
{
    const char *t = "lab6-immediate";
    uint16_t statests;
    struct hda_codec c;
    if (open_reset(t, &statests))
        return 1;
    CHECK(t, !(hda_rd16(HDA_ICIS) & (HDA_ICIS_ICB | HDA_ICIS_IRV)), "ICIS reads %#x after the reset",
          hda_rd16(HDA_ICIS));
    if (discover(t, hda_verb_imm, "ICOI/IRII/ICIS", &c))
        return 1;
    CHECK(t, hda_rd16(HDA_RIRBWP) == 0, "RIRBWP moved (%u): an immediate command's response went to the RIRB",
          hda_rd16(HDA_RIRBWP));
    test_pass(t);
    return 0;
}

/* ---- Playback. */

/* The controller reset, the codec ready for the stream, interrupts on if intctl (INTCTL's
 * value) is not 0, p's tone playing. */
static int start_tone(const char *t, struct hda_play *p, uint32_t intctl)
{
    uint16_t statests;
    struct hda_codec c;
    if (open_reset(t, &statests))
        return 1;
    const char *why = hda_rings_start(1);
    CHECK(t, !why, "%s", why);
    why = hda_discover(hda_verb, &c);
    CHECK(t, !why, "%s", why);
    why = hda_codec_play(hda_verb, &c, p->tag, HDA_FMT_48K_16_STEREO);
    CHECK(t, !why, "%s", why);
    if (intctl) {
        why = hda_irq_attach(intctl);
        CHECK(t, !why, "%s", why);
    }
    why = hda_play_start(p);
    CHECK(t, !why, "%s", why);
    return 0;
}

/* Play until frames frames (from p->first) have played, then stop; no stream error on the way. */
static int play_stop(const char *t, struct hda_play *p, uint32_t frames)
{
    const char *why = hda_play_until(p, frames);
    CHECK(t, !why, "%s", why);
    why = hda_play_stop(p);
    CHECK(t, !why, "%s", why);
    uint8_t sts = hda_rd8(HDA_SD0 + HDA_SD_STS);
    CHECK(t, !(sts & (HDA_SD_DESE | HDA_SD_FIFOE)), "SD0 STS %#x: a descriptor or FIFO error", sts);
    return 0;
}

static void report(const char *t, const struct hda_play *p)
{
    uint32_t cbl = p->entries * p->entry_frames * HDA_FRAME;
    kprintf("%s: %u Hz: frames %u-%u played, %u entries of %u frames (CBL %u, %u wraps), LPIB read %u times, "
            "moved %u times, max %u; position buffer max %u\n",
            t, p->hz, (unsigned)p->first, (unsigned)(p->first + p->played / HDA_FRAME - 1), p->entries,
            (unsigned)p->entry_frames, (unsigned)cbl, (unsigned)(p->played / cbl), p->lpib_reads,
            p->lpib_moves, (unsigned)p->lpib_max, (unsigned)p->posbuf_max);
}

/* Frames played, and not more than 1% too many (what the WAV's duration check allows). */
static int check_played(const char *t, const struct hda_play *p, uint32_t frames)
{
    uint32_t got = p->played / HDA_FRAME;
    CHECK(t, got >= frames && got - frames < TONE_FRAMES / 100,
          "%u frames played, expected %u (the stream went on after RUN was cleared?)", (unsigned)got,
          (unsigned)frames);
    return 0;
}

static int tone(const char *t, unsigned hz)
{
    struct hda_play p = {.hz = hz, .entries = 4, .entry_frames = 1024, .ioc_mask = 0xf, .tag = STREAM_TAG};
    if (start_tone(t, &p, 0) || play_stop(t, &p, TONE_FRAMES))
        return 1;
    report(t, &p);
    if (check_played(t, &p, TONE_FRAMES))
        return 1;
    test_pass(t);
    return 0;
}

PROGRAM(lab6_tone, "lab6-tone", "lab 6: 0.5 s of a 440 Hz tone, 48 kHz 16-bit stereo, through a 4-entry BDL")
{
    return tone("lab6-tone", 440);
}

PROGRAM(lab6_tone1k, "lab6-tone1k",
        "lab 6: 0.5 s of a 1 kHz tone, 48 kHz 16-bit stereo, through a 4-entry BDL")
{
    return tone("lab6-tone1k", 1000);
}

/* A few exits: time for the VMM to deliver an interrupt. */
static void settle(void)
{
    for (int i = 0; i < 32; i++)
        (void)hda_rd32(HDA_INTSTS);
}

#define IOC_MASK 0x3d /* 6 entries, all but entry 1 with IOC */

PROGRAM(lab6_ioc, "lab6-ioc",
        "lab 6: IOC interrupts through the GIC, one per BDL entry with IOC; LPIB within CBL")
{
    const char *t = "lab6-ioc";
    struct hda_play p = {
        .hz = 440, .entries = 6, .entry_frames = 512, .ioc_mask = IOC_MASK, .tag = STREAM_TAG};
    uint32_t cbl = p.entries * p.entry_frames * HDA_FRAME;
    if (start_tone(t, &p, HDA_INT_GIE | HDA_INT_SIS0) || play_stop(t, &p, TONE_FRAMES))
        return 1;
    settle();
    irq_off();
    report(t, &p);
    unsigned want = hda_play_iocs(&p), id = pci_irq(hda_fn.bdf);
    kprintf("lab6-ioc: %u entries completed, %u with IOC; %u interrupts at GIC ID %u (expected %u), %u IOC\n",
            hda_play_completed(&p), want, hda_irqs.irqs, hda_irqs.id, id, hda_irqs.ioc);
    if (check_played(t, &p, TONE_FRAMES))
        return 1;
    CHECK(t, hda_irqs.irqs > 0, "no interrupt came for %u completed entries with IOC", want);
    CHECK(t, hda_irqs.id == id, "the interrupts came at GIC ID %u, not %u (INTA's swizzle)", hda_irqs.id, id);
    CHECK(t, hda_irqs.ioc == want,
          "%u IOC interrupts, expected %u (one per completed entry with IOC: mask %#x)", hda_irqs.ioc, want,
          IOC_MASK);
    CHECK(t, hda_irqs.irqs == hda_irqs.ioc, "%u interrupts, of which %u for IOC", hda_irqs.irqs,
          hda_irqs.ioc);
    CHECK(t, !hda_irqs.desc_err && !hda_irqs.fifo_err, "%u descriptor and %u FIFO errors", hda_irqs.desc_err,
          hda_irqs.fifo_err);
    CHECK(t, p.lpib_moves >= 2 * hda_play_completed(&p), "LPIB moved %u times in %u entries", p.lpib_moves,
          hda_play_completed(&p));
    CHECK(t, p.lpib_max <= cbl && p.lpib_max >= cbl - p.entry_frames * HDA_FRAME,
          "LPIB's largest value was %u, CBL %u (it must reach the last entry and stay within CBL)",
          (unsigned)p.lpib_max, (unsigned)cbl);
    CHECK(t, p.posbuf_moves > 0 && p.posbuf_max <= cbl,
          "the DMA position buffer moved %u times, max %u (CBL %u)", p.posbuf_moves, (unsigned)p.posbuf_max,
          (unsigned)cbl);
    CHECK(t, !(hda_rd32(HDA_INTSTS) & HDA_INT_SIS0), "INTSTS.SIS0 stays set after SD0 STS was cleared");
    test_pass(t);
    return 0;
}

#define PART1_FRAMES (TONE_FRAMES / 2 + 300) /* mid-entry: 12300 = 12 x 1024 + 12 */

PROGRAM(lab6_restart, "lab6-restart",
        "lab 6: stop the stream mid-entry, reset it, start it again where it stopped")
{
    const char *t = "lab6-restart";
    struct hda_play p = {.hz = 440, .entries = 4, .entry_frames = 1024, .ioc_mask = 0xf, .tag = STREAM_TAG};
    if (start_tone(t, &p, 0) || play_stop(t, &p, PART1_FRAMES))
        return 1;
    report(t, &p);
    uint32_t lpib = hda_rd32(HDA_SD0 + HDA_SD_LPIB), part1 = p.played / HDA_FRAME;
    for (uint64_t end = cntvct() + hda_ms(5); cntvct() < end;)
        CHECK(t, hda_rd32(HDA_SD0 + HDA_SD_LPIB) == lpib, "LPIB moves (from %#x) with RUN clear",
              (unsigned)lpib);
    CHECK(t, lpib % (p.entry_frames * HDA_FRAME), "stopped at LPIB %#x: not mid-entry", (unsigned)lpib);
    const char *why = hda_stream_reset();
    CHECK(t, !why, "%s", why);
    CHECK(t, hda_rd32(HDA_SD0 + HDA_SD_LPIB) == 0, "LPIB reads %#x after the stream reset, expected 0",
          (unsigned)hda_rd32(HDA_SD0 + HDA_SD_LPIB));
    CHECK(t, (hda_rd32(HDA_SD0) & 0xffffff) == 0, "SD0 CTL reads %#x after the stream reset, expected 0",
          (unsigned)hda_rd32(HDA_SD0) & 0xffffff);
    kprintf("lab6-restart: stopped after %u frames at LPIB %#x; stream reset; going on from frame %u\n",
            (unsigned)part1, (unsigned)lpib, (unsigned)part1);
    p.first = part1;
    why = hda_play_start(&p);
    CHECK(t, !why, "%s", why);
    if (play_stop(t, &p, TONE_FRAMES - part1))
        return 1;
    report(t, &p);
    if (check_played(t, &p, TONE_FRAMES - part1))
        return 1;
    test_pass(t);
    return 0;
}
