/* The HD Audio controller's framework side: BAR0's register map and global registers, controller reset, the interrupt output, stream formats, DMA. */
#include <minivmm/string.h>
#include <minivmm/vm.h>
#include <devices/hda.h>

/* Which model owns a register. */
enum hda_owner { OWN_GLOBAL, OWN_RINGS, OWN_STREAM, OWN_ALIAS };

struct hda_reg {
    uint16_t off;
    uint8_t size;
    uint8_t owner;
};

/* BAR0's registers (HDA 1.0a, table 3-1): every byte not listed reads 0 and ignores writes. */
static const struct hda_reg regs[] = {
    {HDA_GCAP, 2, OWN_GLOBAL},
    {HDA_VMIN, 1, OWN_GLOBAL},
    {HDA_VMAJ, 1, OWN_GLOBAL},
    {HDA_OUTPAY, 2, OWN_GLOBAL},
    {HDA_INPAY, 2, OWN_GLOBAL},
    {HDA_GCTL, 4, OWN_GLOBAL},
    {HDA_WAKEEN, 2, OWN_GLOBAL},
    {HDA_STATESTS, 2, OWN_GLOBAL},
    {HDA_GSTS, 2, OWN_GLOBAL},
    {HDA_INTCTL, 4, OWN_GLOBAL},
    {HDA_INTSTS, 4, OWN_GLOBAL},
    {HDA_WALCLK, 4, OWN_GLOBAL},
    {HDA_SSYNC, 4, OWN_GLOBAL},
    {HDA_CORBLBASE, 4, OWN_RINGS},
    {HDA_CORBUBASE, 4, OWN_RINGS},
    {HDA_CORBWP, 2, OWN_RINGS},
    {HDA_CORBRP, 2, OWN_RINGS},
    {HDA_CORBCTL, 1, OWN_RINGS},
    {HDA_CORBSTS, 1, OWN_RINGS},
    {HDA_CORBSIZE, 1, OWN_RINGS},
    {HDA_RIRBLBASE, 4, OWN_RINGS},
    {HDA_RIRBUBASE, 4, OWN_RINGS},
    {HDA_RIRBWP, 2, OWN_RINGS},
    {HDA_RINTCNT, 2, OWN_RINGS},
    {HDA_RIRBCTL, 1, OWN_RINGS},
    {HDA_RIRBSTS, 1, OWN_RINGS},
    {HDA_RIRBSIZE, 1, OWN_RINGS},
    {HDA_ICOI, 4, OWN_RINGS},
    {HDA_IRII, 4, OWN_RINGS},
    {HDA_ICIS, 2, OWN_RINGS},
    {HDA_DPLBASE, 4, OWN_GLOBAL},
    {HDA_DPUBASE, 4, OWN_GLOBAL},
    {HDA_SD0 + HDA_SD_CTL, 3, OWN_STREAM},
    {HDA_SD0 + HDA_SD_STS, 1, OWN_STREAM},
    {HDA_SD0 + HDA_SD_LPIB, 4, OWN_STREAM},
    {HDA_SD0 + HDA_SD_CBL, 4, OWN_STREAM},
    {HDA_SD0 + HDA_SD_LVI, 2, OWN_STREAM},
    {HDA_SD0 + HDA_SD_FIFOW, 2, OWN_STREAM},
    {HDA_SD0 + HDA_SD_FIFOS, 2, OWN_STREAM},
    {HDA_SD0 + HDA_SD_FMT, 2, OWN_STREAM},
    {HDA_SD0 + HDA_SD_BDPL, 4, OWN_STREAM},
    {HDA_SD0 + HDA_SD_BDPU, 4, OWN_STREAM},
    {HDA_SD0_ALIAS + HDA_SD_LPIB, 4, OWN_ALIAS},
};

uint32_t hda_le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void hda_put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void *hda_dma(struct hda *h, uint32_t addr, uint32_t len)
{
    return h->backend.dma ? h->backend.dma(h->backend.ctx, addr, len) : NULL;
}

/* CIS: the RIRB's and CORB's status bits and codec wake events, each behind its enable. */
static bool cis(const struct hda *h)
{
    return ((h->rirbsts & HDA_RIRBSTS_RINTFL) && (h->rirbctl & HDA_RIRBCTL_RINTCTL)) ||
           ((h->rirbsts & HDA_RIRBSTS_OIS) && (h->rirbctl & HDA_RIRBCTL_OIC)) ||
           ((h->corbsts & HDA_CORBSTS_CMEI) && (h->corbctl & HDA_CORBCTL_CMEIE)) || (h->statests & h->wakeen);
}

/* SIS0: stream 0's status bits, each behind its CTL enable. */
static bool sis0(const struct hda *h)
{
    uint32_t en = (h->sd.ctl & HDA_SD_CTL_IOCE ? HDA_SD_STS_BCIS : 0) |
                  (h->sd.ctl & HDA_SD_CTL_FEIE ? HDA_SD_STS_FIFOE : 0) |
                  (h->sd.ctl & HDA_SD_CTL_DEIE ? HDA_SD_STS_DESE : 0);
    return (h->sd.sts & en) != 0;
}

uint32_t hda_intsts(const struct hda *h)
{
    uint32_t v = (cis(h) ? HDA_INT_CIE : 0) | (sis0(h) ? HDA_INT_SIE0 : 0);
    return v ? v | HDA_INT_GIE : 0;
}

bool hda_irq_pending(const struct hda *h)
{
    return (h->intctl & HDA_INT_GIE) && (hda_intsts(h) & h->intctl & (HDA_INT_CIE | HDA_INT_SIE0));
}

void hda_update_irq(struct hda *h)
{
    bool level = hda_irq_pending(h);
    if (level != h->irq_level && h->backend.irq)
        h->backend.irq(h->backend.ctx, level);
    h->irq_level = level;
}

/* FMT: BASE bit 14 (48/44.1 kHz), MULT 13:11 (x1-x4), DIV 10:8 (/1-/8), BITS 6:4, CHAN 3:0. */
bool hda_fmt_decode(uint16_t fmt, struct hda_pcm *p)
{
    static const uint8_t bits[] = {8, 16, 20, 24, 32}, container[] = {1, 2, 4, 4, 4};
    unsigned mult = (fmt >> 11) & 7u, b = (fmt >> 4) & 7u;
    if ((fmt & 0x8000u) || mult > 3 || b >= sizeof(bits))
        return false;
    p->rate_num = (fmt & 0x4000u ? 44100u : 48000u) * (mult + 1);
    p->rate_den = ((fmt >> 8) & 7u) + 1;
    p->bits = bits[b];
    p->container = container[b];
    p->channels = (fmt & 0xfu) + 1;
    p->frame = p->container * p->channels;
    return true;
}

/* WALCLK: the guest counter since the controller left reset, at 24 MHz, without overflow. */
static uint32_t wallclk(const struct hda *h)
{
    uint64_t f = dev_timer_freq(), t = h->vm ? dev_timer_now(h->vm) - h->wall_base : 0;
    return f ? (uint32_t)(t / f * HDA_WALLCLK_HZ + t % f * HDA_WALLCLK_HZ / f) : 0;
}

static uint32_t global_read(const struct hda *h, unsigned reg)
{
    switch (reg) {
    case HDA_GCAP: return HDA_GCAP_VAL;
    case HDA_VMIN: return HDA_VMIN_VAL;
    case HDA_VMAJ: return HDA_VMAJ_VAL;
    case HDA_OUTPAY: return HDA_OUTPAY_VAL;
    case HDA_INPAY: return HDA_INPAY_VAL;
    case HDA_GCTL: return h->gctl;
    case HDA_WAKEEN: return h->wakeen;
    case HDA_STATESTS: return h->statests;
    case HDA_GSTS: return h->gsts;
    case HDA_INTCTL: return h->intctl;
    case HDA_INTSTS: return hda_intsts(h);
    case HDA_WALCLK: return wallclk(h);
    case HDA_SSYNC: return h->ssync;
    case HDA_DPLBASE: return h->dplbase;
    case HDA_DPUBASE: return h->dpubase;
    default: return 0;
    }
}

/* Everything but GCTL and the resume-well registers (WAKEEN, STATESTS) to its reset value. */
static void controller_reset(struct hda *h)
{
    if (h->vm)
        dev_timer_cancel(h->vm, &h->timer);
    h->gsts = 0;
    h->intctl = h->ssync = h->dplbase = h->dpubase = 0;
    h->wall_base = h->vm ? dev_timer_now(h->vm) : 0;
    hda_rings_reset(h);
    hda_stream_reset(h);
    hda_codec_reset(&h->codec);
}

/* CRST: 0 holds the controller in reset; 1 brings the link up, and codec 0 reports itself. */
static void write_gctl(struct hda *h, uint32_t val, uint32_t mask)
{
    uint32_t keep = HDA_GCTL_CRST | HDA_GCTL_UNSOL;
    bool was_up = h->gctl & HDA_GCTL_CRST;
    h->gctl = (h->gctl & ~(mask & keep)) | (val & mask & keep);
    if (!(h->gctl & HDA_GCTL_CRST)) {
        controller_reset(h);
        h->gctl = 0;
    } else if (!was_up) {
        h->statests |= 1u;
        h->wall_base = h->vm ? dev_timer_now(h->vm) : 0;
    }
    if (val & mask & HDA_GCTL_FCNTRL) /* nothing is in flight: the flush is done at once */
        h->gsts |= HDA_GSTS_FSTS;
}

static void global_write(struct hda *h, unsigned reg, uint32_t val, uint32_t mask)
{
    uint32_t m = val & mask;
    switch (reg) {
    case HDA_GCTL: write_gctl(h, val, mask); break;
    case HDA_WAKEEN: h->wakeen = (uint16_t)((h->wakeen & ~mask) | (m & 0x7fffu)); break;
    case HDA_STATESTS: h->statests &= (uint16_t)~m; break;
    case HDA_GSTS: h->gsts &= (uint16_t)~m; break;
    case HDA_INTCTL:
        h->intctl = (h->intctl & ~mask) | (m & (HDA_INT_GIE | HDA_INT_CIE | HDA_INT_SIE0));
        break;
    case HDA_SSYNC: h->ssync = (h->ssync & ~mask) | (m & 1u); break;
    case HDA_DPLBASE: h->dplbase = (h->dplbase & ~mask) | (m & ~(uint32_t)(HDA_BDL_ALIGN - 1u)); break;
    case HDA_DPUBASE: h->dpubase = (h->dpubase & ~mask) | m; break;
    default: break;
    }
}

static uint32_t reg_read(struct hda *h, const struct hda_reg *r)
{
    switch (r->owner) {
    case OWN_RINGS: return hda_rings_read(h, r->off);
    case OWN_STREAM: return hda_stream_read(h, r->off - HDA_SD0);
    case OWN_ALIAS: return hda_stream_read(h, HDA_SD_LPIB);
    default: return global_read(h, r->off);
    }
}

/* While the controller is in reset only GCTL takes writes (HDA 1.0a, 3.3.7). */
static void reg_write(struct hda *h, const struct hda_reg *r, uint32_t val, uint32_t mask)
{
    if (!(h->gctl & HDA_GCTL_CRST) && r->off != HDA_GCTL)
        return;
    switch (r->owner) {
    case OWN_RINGS: hda_rings_write(h, r->off, val, mask); break;
    case OWN_STREAM: hda_stream_write(h, r->off - HDA_SD0, val, mask); break;
    case OWN_ALIAS: break;
    default: global_write(h, r->off, val, mask); break;
    }
    hda_update_irq(h);
}

/* The bytes [off, off + width) that r covers: its shift and byte mask, or false. */
static bool overlap(const struct hda_reg *r, uint32_t off, unsigned width, int *shift, uint32_t *mask)
{
    if (off >= r->off + r->size || off + width <= r->off)
        return false;
    *shift = 8 * ((int)r->off - (int)off); /* where the register's bit 0 lies in the access */
    uint32_t m = r->size == 4 ? ~0u : (1u << (8 * r->size)) - 1;
    uint32_t amask = width == 4 ? ~0u : (1u << (8 * width)) - 1;
    *mask = m & (*shift >= 0 ? amask >> *shift : amask << -*shift); /* the register's bits accessed */
    return true;
}

/* An access touches each register it overlaps once: a 32-bit access to 0x4c
 * reads or writes CORBCTL, CORBSTS and CORBSIZE together, a byte access to
 * SD CTL's byte 2 writes only those bits of CTL. */
enum bus_result hda_access(void *dev, struct bus_req *req)
{
    struct hda *h = dev;
    unsigned w = req->width;
    if (req->off >= HDA_MMIO_SIZE || w > HDA_MMIO_SIZE - req->off)
        return BUS_NOT_MINE;
    uint32_t out = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(regs) && !(req->off % w); i++) {
        int sh;
        uint32_t m;
        if (!overlap(&regs[i], req->off, w, &sh, &m))
            continue;
        if (req->write)
            reg_write(h, &regs[i], sh >= 0 ? req->val >> sh : req->val << -sh, m);
        else {
            uint32_t v = reg_read(h, &regs[i]) & m;
            out |= sh >= 0 ? v << sh : v >> -sh;
        }
    }
    if (!req->write)
        req->val = w == 4 ? out : out & ((1u << (8 * w)) - 1);
    return BUS_OK;
}

static void timer_fire(struct dev_timer *t, uint64_t now)
{
    struct hda *h = t->ctx;
    hda_stream_period(h, now);
}

void hda_reset(struct hda *h, struct vm *vm, const struct hda_backend *b)
{
    if (h->vm)
        dev_timer_cancel(h->vm, &h->timer);
    memset(h, 0, sizeof(*h));
    h->vm = vm;
    h->timer = (struct dev_timer){.fire = timer_fire, .ctx = h};
    if (b)
        h->backend = *b;
    controller_reset(h);
}
