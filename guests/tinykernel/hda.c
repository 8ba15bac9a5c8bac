/* tinykernel's Intel HD Audio driver: find and reset the controller, verbs through CORB/RIRB and the immediate interface, codec discovery, output stream 0, double-buffered playback.
 *
 * Modelled on the HDA 1.0a specification and on what Linux's snd-hda-intel does. The
 * controller talks to its codecs through two rings in guest memory: software queues
 * 32-bit verbs in the CORB and moves CORBWP, the controller sends them and writes each
 * codec's response into the RIRB, moving RIRBWP. The immediate interface (ICOI, IRII,
 * ICIS) sends one verb without the rings. An output stream plays a cyclic buffer of CBL
 * bytes described by a buffer descriptor list (BDL) of LVI + 1 entries; LPIB says how
 * far into it the stream is, and an entry with IOC raises SD STS.BCIS when done. Samples
 * reach the codec's DAC only if the stream number in SD CTL is the DAC's stream tag and
 * the two formats agree; the pin passes them on with its OUT enable set. */
#include <minivmm/console.h>
#include "hda.h"
#include "kernel.h"
#include "timer.h"
#include "tone.h"

uint32_t hda_base;
struct pci_fn hda_fn;
struct hda_irqs hda_irqs;
uint32_t hda_corb[256] __attribute__((aligned(128)));
uint32_t hda_rirb[512] __attribute__((aligned(128)));
struct hda_bdle hda_bdl[256] __attribute__((aligned(128)));
volatile uint32_t hda_posbuf[32] __attribute__((aligned(128)));
static int16_t buffer[HDA_MAX_ENTRIES * HDA_MAX_ENTRY_BYTES / 2] __attribute__((aligned(128)));
static uint16_t rirb_rp; /* the last RIRB entry read */

#define TIMEOUT_MS 100

uint64_t hda_ms(unsigned ms) { return (uint64_t)cntfrq() / 1000 * ms; }

/* Wait until (read(reg) & mask) == want, at most TIMEOUT_MS. */
static bool wait_bits(unsigned reg, unsigned width, uint32_t mask, uint32_t want)
{
    uint64_t end = cntvct() + hda_ms(TIMEOUT_MS);
    for (;;) {
        uint32_t v = width == 8 ? hda_rd8(reg) : width == 16 ? hda_rd16(reg) : hda_rd32(reg);
        if ((v & mask) == want)
            return true;
        if (cntvct() > end)
            return false;
    }
}

const char *hda_open(void)
{
    if (!pci_init())
        return "no pci-host-ecam-generic node in the device tree: the PCI host bridge is off";
    if (!pci_find(HDA_VENDOR, HDA_DEVICE, &hda_fn))
        return "no 8086:2668 (HD Audio) on PCI bus 0";
    if (hda_fn.class >> 8 != HDA_CLASS)
        return "the 8086:2668 function's class is not 0403xx (HD Audio)";
    struct pci_bar b = pci_bar_size(hda_fn.bdf, 0);
    if (b.io || (b.readback & 0x6) || b.size < HDA_BAR_SIZE)
        return "BAR0 is not a 32-bit memory BAR of at least 0x4000 bytes";
    pci_assign_mem(hda_fn.bdf, 0, HDA_MMIO);
    pci_write16(hda_fn.bdf, PCI_COMMAND, pci_read16(hda_fn.bdf, PCI_COMMAND) | PCI_COMMAND_MASTER);
    if ((pci_read32(hda_fn.bdf, PCI_BAR0) & ~0xfu) != HDA_MMIO)
        return "BAR0 does not keep the address written to it";
    hda_base = HDA_MMIO;
    return NULL;
}

const char *hda_reset(uint16_t *statests)
{
    hda_wr32(HDA_GCTL, hda_rd32(HDA_GCTL) & ~HDA_GCTL_CRST);
    if (!wait_bits(HDA_GCTL, 32, HDA_GCTL_CRST, 0))
        return "GCTL.CRST does not read 0 within 100 ms of writing 0 (entering reset)";
    hda_wr32(HDA_GCTL, hda_rd32(HDA_GCTL) | HDA_GCTL_CRST);
    if (!wait_bits(HDA_GCTL, 32, HDA_GCTL_CRST, HDA_GCTL_CRST))
        return "GCTL.CRST does not read 1 within 100 ms of writing 1 (leaving reset)";
    if (!wait_bits(HDA_STATESTS, 16, 1, 1))
        return "STATESTS does not show codec 0 within 100 ms of leaving reset";
    *statests = hda_rd16(HDA_STATESTS);
    return NULL;
}

/* ---- The rings. */

const char *hda_rings_stop(void)
{
    hda_wr8(HDA_CORBCTL, 0);
    hda_wr8(HDA_RIRBCTL, 0);
    if (!wait_bits(HDA_CORBCTL, 8, HDA_CORBCTL_RUN, 0))
        return "CORBCTL.CORBRUN does not read 0 after it was cleared";
    if (!wait_bits(HDA_RIRBCTL, 8, HDA_RIRBCTL_DMAEN, 0))
        return "RIRBCTL.RIRBDMAEN does not read 0 after it was cleared";
    return NULL;
}

const char *hda_rings_start(uint16_t rintcnt)
{
    const char *why = hda_rings_stop();
    if (why)
        return why;
    if (!(hda_rd8(HDA_CORBSIZE) & 0x40) || !(hda_rd8(HDA_RIRBSIZE) & 0x40))
        return "CORBSIZE or RIRBSIZE does not offer 256 entries";
    hda_wr8(HDA_CORBSIZE, HDA_RING_256);
    hda_wr8(HDA_RIRBSIZE, HDA_RING_256);
    hda_wr32(HDA_CORBLBASE, (uint32_t)hda_corb);
    hda_wr32(HDA_CORBUBASE, 0);
    hda_wr32(HDA_RIRBLBASE, (uint32_t)hda_rirb);
    hda_wr32(HDA_RIRBUBASE, 0);
    /* CORBRP: set the reset bit, see it read 1, clear it, see it read 0 (spec 4.4.1.3). */
    hda_wr16(HDA_CORBRP, HDA_CORBRP_RST);
    if (!wait_bits(HDA_CORBRP, 16, HDA_CORBRP_RST, HDA_CORBRP_RST))
        return "CORBRP's reset bit does not read 1 after it was set";
    hda_wr16(HDA_CORBRP, 0);
    if (!wait_bits(HDA_CORBRP, 16, 0xffff, 0))
        return "CORBRP does not read 0 after its reset";
    hda_wr16(HDA_CORBWP, 0);
    hda_wr16(HDA_RIRBWP, HDA_RIRBWP_RST);
    if (hda_rd16(HDA_RIRBWP) != 0)
        return "RIRBWP does not read 0 after its reset";
    rirb_rp = 0;
    hda_wr16(HDA_RINTCNT, rintcnt);
    hda_wr8(HDA_RIRBSTS, HDA_RIRBSTS_RINTFL | HDA_RIRBSTS_RIRBOIS);
    hda_wr8(HDA_RIRBCTL, HDA_RIRBCTL_DMAEN | HDA_RIRBCTL_RINTCTL);
    hda_wr8(HDA_CORBCTL, HDA_CORBCTL_RUN);
    if (!wait_bits(HDA_CORBCTL, 8, HDA_CORBCTL_RUN, HDA_CORBCTL_RUN))
        return "CORBCTL.CORBRUN does not read 1 after it was set";
    return NULL;
}

const char *hda_corb_send(const uint32_t *verbs, unsigned n, uint32_t *resp, bool ack)
{
    static char why[96];
    if (n == 0 || n > 255)
        return "hda_corb_send: 1 to 255 verbs at a time";
    unsigned wp = hda_rd16(HDA_CORBWP) & 0xff;
    for (unsigned i = 0; i < n; i++)
        hda_corb[(wp + 1 + i) & 0xff] = verbs[i];
    hda_wr16(HDA_CORBWP, (uint16_t)((wp + n) & 0xff));
    uint16_t want = (uint16_t)((rirb_rp + n) & 0xff);
    uint64_t end = cntvct() + hda_ms(TIMEOUT_MS);
    while ((hda_rd16(HDA_RIRBWP) & 0xff) != want) {
        if (ack && (hda_rd8(HDA_RIRBSTS) & HDA_RIRBSTS_RINTFL))
            hda_wr8(HDA_RIRBSTS,
                    HDA_RIRBSTS_RINTFL); /* as an interrupt handler would: a controller may wait for it */
        if (cntvct() > end) {
            mv_snprintf(why, sizeof(why),
                        "%u verb(s) queued, RIRBWP %u after 100 ms, expected %u (CORBRP %u)", n,
                        hda_rd16(HDA_RIRBWP), want, hda_rd16(HDA_CORBRP));
            return why;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        rirb_rp = (rirb_rp + 1) & 0xff;
        if (hda_rirb[2 * rirb_rp + 1] & 0x10)
            return "an unsolicited response came in the RIRB";
        if ((hda_rirb[2 * rirb_rp + 1] & 0xf) != (verbs[i] >> 28))
            return "a response in the RIRB names another codec than its verb";
        resp[i] = hda_rirb[2 * rirb_rp];
    }
    return NULL;
}

const char *hda_verb(uint32_t verb, uint32_t *resp) { return hda_corb_send(&verb, 1, resp, true); }

const char *hda_verb_imm(uint32_t verb, uint32_t *resp)
{
    if (!wait_bits(HDA_ICIS, 16, HDA_ICIS_ICB, 0))
        return "ICIS.ICB stays set: the immediate interface is busy";
    hda_wr16(HDA_ICIS, HDA_ICIS_IRV); /* an old response's IRV, cleared */
    hda_wr32(HDA_ICOI, verb);
    hda_wr16(HDA_ICIS, HDA_ICIS_ICB);
    if (!wait_bits(HDA_ICIS, 16, HDA_ICIS_ICB | HDA_ICIS_IRV, HDA_ICIS_IRV))
        return "no ICIS.IRV (with ICB clear) within 100 ms of an immediate command";
    *resp = hda_rd32(HDA_IRII);
    hda_wr16(HDA_ICIS, HDA_ICIS_IRV);
    if (hda_rd16(HDA_ICIS) & HDA_ICIS_IRV)
        return "ICIS.IRV stays set after 1 was written to it";
    return NULL;
}

/* ---- The codec. */

static const char *param(hda_send_fn send, unsigned nid, unsigned par, uint32_t *v)
{
    return send(HDA_VERB(nid, HDA_GET_PARAM, par), v);
}

/* The first widget of type type among the AFG's nodes, and its capabilities. */
static unsigned find_widget(hda_send_fn send, const struct hda_codec *c, unsigned type, uint32_t *wcap,
                            const char **why)
{
    unsigned start = (c->afg_nodes >> 16) & 0xff, n = c->afg_nodes & 0xff;
    for (unsigned nid = start; nid < start + n; nid++) {
        if ((*why = param(send, nid, HDA_PAR_WCAP, wcap)) != NULL)
            return 0;
        if (HDA_WTYPE(*wcap) == type)
            return nid;
    }
    return 0;
}

const char *hda_discover(hda_send_fn send, struct hda_codec *c)
{
    const char *why;
    *c = (struct hda_codec){0};
    if ((why = param(send, 0, HDA_PAR_VENDOR, &c->vendor)) ||
        (why = param(send, 0, HDA_PAR_NODES, &c->root_nodes)))
        return why;
    if (c->vendor == 0 || c->vendor == 0xffffffffu)
        return "the root node's vendor ID reads 0 or all ones";
    unsigned start = (c->root_nodes >> 16) & 0xff, n = c->root_nodes & 0xff;
    for (unsigned nid = start; nid < start + n && !c->afg; nid++) {
        if ((why = param(send, nid, HDA_PAR_FG_TYPE, &c->fg_type)))
            return why;
        if ((c->fg_type & 0xff) == 1)
            c->afg = nid;
    }
    if (!c->afg)
        return "no audio function group among the root's subordinate nodes";
    if ((why = param(send, c->afg, HDA_PAR_NODES, &c->afg_nodes)))
        return why;
    c->dac = find_widget(send, c, HDA_WTYPE_OUT, &c->dac_wcap, &why);
    if (why)
        return why;
    c->pin = find_widget(send, c, HDA_WTYPE_PIN, &c->pin_wcap, &why);
    if (why)
        return why;
    if (!c->dac || !c->pin)
        return "the audio function group has no audio output or no pin complex";
    if ((why = param(send, c->pin, HDA_PAR_PINCAP, &c->pincap)) ||
        (why = param(send, c->pin, HDA_PAR_CONNLEN, &c->connlen)) ||
        (why = send(HDA_VERB(c->pin, HDA_GET_CONN, 0), &c->conn0)))
        return why;
    return NULL;
}

const char *hda_codec_play(hda_send_fn send, const struct hda_codec *c, unsigned tag, uint16_t fmt)
{
    const uint32_t verbs[] = {
        HDA_VERB(c->afg, HDA_SET_POWER, 0), /* D0 */
        HDA_VERB(c->dac, HDA_SET_POWER, 0),
        HDA_VERB4(c->dac, HDA_SET_FMT, fmt),
        HDA_VERB(c->dac, HDA_SET_STREAM, tag << 4),    /* channel 0 first */
        HDA_VERB4(c->dac, HDA_SET_AMP, 0xb000 | 0x7f), /* output, left and right, unmuted, gain up */
        HDA_VERB(c->pin, HDA_SET_POWER, 0),
        HDA_VERB(c->pin, 0x701, 0), /* connection select: the DAC */
        HDA_VERB(c->pin, HDA_SET_PIN, HDA_PIN_OUT),
    };
    const char *why;
    uint32_t r;
    for (unsigned i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if ((why = send(verbs[i], &r)))
            return why;
    if ((why = send(HDA_VERB(c->dac, HDA_GET_FMT, 0), &r)))
        return why;
    if ((r & 0xffff) != fmt)
        return "the DAC's converter format does not read back what was set";
    if ((why = send(HDA_VERB(c->dac, HDA_GET_STREAM, 0), &r)))
        return why;
    if ((r & 0xff) != (tag << 4))
        return "the DAC's stream and channel do not read back what was set";
    if ((why = send(HDA_VERB(c->pin, HDA_GET_PIN, 0), &r)))
        return why;
    if (!(r & HDA_PIN_OUT))
        return "the pin's widget control does not read back OUT enable";
    return NULL;
}

/* ---- Output stream 0. */

const char *hda_stream_reset(void)
{
    hda_wr8(HDA_SD0 + HDA_SD_CTL, HDA_SD_SRST);
    if (!wait_bits(HDA_SD0 + HDA_SD_CTL, 8, HDA_SD_SRST, HDA_SD_SRST))
        return "SD0 CTL.SRST does not read 1 within 100 ms of writing 1";
    hda_wr8(HDA_SD0 + HDA_SD_CTL, 0);
    if (!wait_bits(HDA_SD0 + HDA_SD_CTL, 8, HDA_SD_SRST, 0))
        return "SD0 CTL.SRST does not read 0 within 100 ms of writing 0";
    return NULL;
}

const char *hda_stream_stop(void)
{
    hda_wr8(HDA_SD0 + HDA_SD_CTL, hda_rd8(HDA_SD0 + HDA_SD_CTL) & ~HDA_SD_RUN);
    if (!wait_bits(HDA_SD0 + HDA_SD_CTL, 8, HDA_SD_RUN, 0))
        return "SD0 CTL.RUN does not read 0 within 100 ms of writing 0";
    return NULL;
}

void hda_stream_setup(const struct hda_bdle *bdl, unsigned lvi, uint32_t cbl, uint16_t fmt, unsigned tag,
                      uint8_t ctl_bits)
{
    hda_wr32(HDA_SD0 + HDA_SD_BDPL, (uint32_t)bdl);
    hda_wr32(HDA_SD0 + HDA_SD_BDPU, 0);
    hda_wr32(HDA_SD0 + HDA_SD_CBL, cbl);
    hda_wr16(HDA_SD0 + HDA_SD_LVI, (uint16_t)lvi);
    hda_wr16(HDA_SD0 + HDA_SD_FMT, fmt);
    hda_wr8(HDA_SD0 + HDA_SD_CTL2, (uint8_t)(tag << 4));
    hda_wr8(HDA_SD0 + HDA_SD_STS, HDA_SD_BCIS | HDA_SD_FIFOE | HDA_SD_DESE);
    hda_wr8(HDA_SD0 + HDA_SD_CTL, ctl_bits & ~HDA_SD_RUN);
}

void hda_stream_run(uint8_t ctl_bits) { hda_wr8(HDA_SD0 + HDA_SD_CTL, ctl_bits | HDA_SD_RUN); }

/* ---- Interrupts. */

static void hda_irq(unsigned id)
{
    uint32_t sts = hda_rd32(HDA_INTSTS);
    hda_irqs.irqs++;
    hda_irqs.id = id;
    hda_irqs.intsts = sts;
    if (sts & HDA_INT_SIS0) {
        uint8_t s = hda_rd8(HDA_SD0 + HDA_SD_STS);
        hda_irqs.ioc += !!(s & HDA_SD_BCIS);
        hda_irqs.desc_err += !!(s & HDA_SD_DESE);
        hda_irqs.fifo_err += !!(s & HDA_SD_FIFOE);
        hda_wr8(HDA_SD0 + HDA_SD_STS, s & (HDA_SD_BCIS | HDA_SD_FIFOE | HDA_SD_DESE));
    }
    if (sts & HDA_INT_CIS) { /* the RIRB's interrupt */
        hda_irqs.rirb++;
        hda_wr8(HDA_RIRBSTS, HDA_RIRBSTS_RINTFL | HDA_RIRBSTS_RIRBOIS);
    }
}

const char *hda_irq_attach(uint32_t intctl)
{
    unsigned id = pci_irq(hda_fn.bdf);
    if (!id)
        return "the function has no interrupt pin";
    if (!gic_init())
        return "no arm,cortex-a15-gic node in the device tree: lab 4's GIC is off";
    hda_irqs = (struct hda_irqs){0};
    gic_enable(id, 0x80, hda_irq);
    hda_wr32(HDA_INTCTL, intctl);
    irq_on();
    return NULL;
}

/* ---- Playback of the test tone. */

static uint32_t entry_bytes(const struct hda_play *p) { return p->entry_frames * HDA_FRAME; }

static void fill_segment(struct hda_play *p)
{
    uint32_t e = p->filled % p->entries;
    tone_fill(buffer + e * entry_bytes(p) / 2, p->entry_frames, p->first + p->filled * p->entry_frames,
              p->hz);
    p->filled++;
}

const char *hda_play_start(struct hda_play *p)
{
    if (p->entries < 2 || p->entries > HDA_MAX_ENTRIES || !p->entry_frames ||
        entry_bytes(p) > HDA_MAX_ENTRY_BYTES || entry_bytes(p) % 128)
        return "hda_play: 2 to 8 entries of up to 4096 bytes, each a multiple of 128";
    const char *why = hda_stream_reset();
    if (why)
        return why;
    p->played = p->filled = p->lpib_max = p->posbuf_max = 0;
    p->lpib_moves = p->lpib_reads = p->bad_lpib = p->posbuf_moves = 0;
    for (unsigned i = 0; i < p->entries; i++) {
        hda_bdl[i] = (struct hda_bdle){(uint32_t)buffer + i * entry_bytes(p), 0, entry_bytes(p),
                                       (p->ioc_mask >> i) & 1};
        fill_segment(p);
    }
    hda_posbuf[0] = 0;
    hda_wr32(HDA_DPUBASE, 0);
    hda_wr32(HDA_DPLBASE, (uint32_t)hda_posbuf | HDA_DPLBASE_ENABLE);
    hda_stream_setup(hda_bdl, p->entries - 1, p->entries * entry_bytes(p), HDA_FMT_48K_16_STEREO, p->tag,
                     HDA_SD_IOCE | HDA_SD_DEIE);
    hda_stream_run(HDA_SD_IOCE | HDA_SD_DEIE);
    return NULL;
}

/* Read LPIB (and the position buffer), and count the bytes played: the value that LPIB
 * gives modulo CBL, in [played, played + CBL). */
static void poll(struct hda_play *p)
{
    uint32_t cbl = p->entries * entry_bytes(p), lpib = hda_rd32(HDA_SD0 + HDA_SD_LPIB);
    p->lpib_reads++;
    if (lpib > cbl) {
        p->bad_lpib++;
        return;
    }
    uint32_t pos = p->played - p->played % cbl + lpib % cbl;
    if (pos < p->played)
        pos += cbl;
    p->lpib_moves += pos != p->played;
    p->played = pos;
    if (lpib > p->lpib_max)
        p->lpib_max = lpib;
    uint32_t dp = hda_posbuf[0];
    p->posbuf_moves += dp != p->posbuf_max && dp != 0;
    if (dp > p->posbuf_max)
        p->posbuf_max = dp;
}

const char *hda_play_until(struct hda_play *p, uint32_t frames)
{
    static char why[128];
    uint64_t stall = hda_ms(50), last = cntvct();
    uint32_t target = frames * HDA_FRAME;
    while (p->played < target) {
        uint32_t before = p->played;
        poll(p);
        if (p->bad_lpib) {
            mv_snprintf(why, sizeof(why), "LPIB read %#x, past CBL %#x",
                        (unsigned)hda_rd32(HDA_SD0 + HDA_SD_LPIB), (unsigned)(p->entries * entry_bytes(p)));
            return why;
        }
        while ((p->filled - p->entries + 1) * entry_bytes(p) <= p->played)
            fill_segment(p); /* the entry the stream left: the segment after the ones queued */
        if (p->played != before)
            last = cntvct();
        else if (cntvct() - last > stall) {
            mv_snprintf(why, sizeof(why), "the stream stalled: LPIB stays at %#x for 50 ms (CTL %#x STS %#x)",
                        (unsigned)hda_rd32(HDA_SD0 + HDA_SD_LPIB), (unsigned)hda_rd32(HDA_SD0) & 0xffffff,
                        hda_rd8(HDA_SD0 + HDA_SD_STS));
            return why;
        }
    }
    return NULL;
}

const char *hda_play_stop(struct hda_play *p)
{
    const char *why = hda_stream_stop();
    poll(p);
    return why;
}

unsigned hda_play_completed(const struct hda_play *p) { return p->played / entry_bytes(p); }

unsigned hda_play_iocs(const struct hda_play *p)
{
    unsigned n = 0, done = hda_play_completed(p);
    for (unsigned g = 0; g < done; g++)
        n += (p->ioc_mask >> (g % p->entries)) & 1;
    return n;
}
