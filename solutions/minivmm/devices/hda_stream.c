/* Lab 6 student file, Task 3: output stream 0: its descriptor registers and the BDL DMA engine, paced at the stream's sample rate on the guest's clock. */
#include <devices/hda.h>

#define PERIODS_PER_S 1000u /* a period: 1 ms of guest time, or less when a BDL entry ends sooner */
#define CATCH_UP_DIV  20u   /* a period at most 50 ms late is caught up; beyond that, time is skipped */

/* One BDL entry as the guest wrote it. */
struct bdle {
    uint32_t addr, len;
    bool ioc, high; /* high: the address's upper half is not 0 */
};

void hda_stream_reset(struct hda *h)
{
    if (h->vm)
        dev_timer_cancel(h->vm, &h->timer);
    h->sd = (struct hda_stream){.fifow = 4};
}

/* The stream stops with DESE: a BDL, buffer or format it cannot use. */
static void desc_error(struct hda *h, bool high)
{
    h->stats.desc_errors++;
    h->stats.high_dma += high;
    h->sd.sts = (uint8_t)((h->sd.sts | HDA_SD_STS_DESE) & ~HDA_SD_STS_FIFORDY);
    h->sd.ctl &= ~HDA_SD_CTL_RUN;
    if (h->vm)
        dev_timer_cancel(h->vm, &h->timer);
}

/* Entry idx of the BDL: false if it lies outside guest RAM, above 4 GiB, or is empty. */
static bool fetch(struct hda *h, unsigned idx, struct bdle *e)
{
    uint64_t at = (uint64_t)h->sd.bdpl + (uint64_t)idx * HDA_BDLE_SIZE;
    const uint8_t *p = NULL;
    e->high = h->sd.bdpu != 0;
    if (!e->high && at + HDA_BDLE_SIZE <= 0x100000000ull)
        p = hda_dma(h, (uint32_t)at, HDA_BDLE_SIZE);
    if (!p)
        return false;
    e->addr = hda_le32(p);
    e->high = hda_le32(p + 4) != 0;
    e->len = hda_le32(p + 8);
    e->ioc = hda_le32(p + 12) & 1u;
    return !e->high && e->len != 0;
}

/* The DMA position buffer, if enabled: stream 0's LPIB at its first word. */
static void write_posbuf(struct hda *h)
{
    if (!(h->dplbase & HDA_DPLBASE_EN))
        return;
    uint8_t *p = h->dpubase ? NULL : hda_dma(h, h->dplbase & ~(uint32_t)HDA_BDL_ALIGN, 8);
    if (!p) {
        h->stats.posbuf_errors++;
        h->stats.high_dma += h->dpubase != 0;
        return;
    }
    hda_put_le32(p, h->sd.lpib);
}

/* Samples reach the DAC only when the stream number is its tag and the formats agree. */
static void output(struct hda *h, const uint8_t *src, uint32_t n)
{
    unsigned tag = (h->sd.ctl & HDA_SD_CTL_STRM) >> 20;
    if (!hda_codec_routes(&h->codec, tag, h->sd.fmt)) {
        h->stats.bytes_muted += n;
        return;
    }
    h->stats.bytes_played += n;
    if (h->backend.play)
        h->backend.play(h->backend.ctx, h->sd.fmt, src, n);
}

static void next_entry(struct hda *h, bool ioc)
{
    struct hda_stream *sd = &h->sd;
    sd->bdl_off = 0;
    sd->bdl_idx = sd->bdl_idx >= sd->lvi ? 0 : (uint8_t)(sd->bdl_idx + 1);
    if (ioc)
        sd->sts |= HDA_SD_STS_BCIS;
}

/* Move bytes from the BDL's buffers to the DAC, entry by entry: LPIB wraps at
 * CBL, the BDL after entry LVI. Every buffer piece is checked before it is read. */
static void transfer(struct hda *h, uint32_t bytes)
{
    struct hda_stream *sd = &h->sd;
    while (bytes && (sd->ctl & HDA_SD_CTL_RUN)) {
        struct bdle e;
        if (!fetch(h, sd->bdl_idx, &e)) {
            desc_error(h, e.high);
            return;
        }
        if (sd->bdl_off >= e.len) { /* the guest shortened the entry: it is done */
            next_entry(h, false);
            continue;
        }
        uint32_t n = e.len - sd->bdl_off < bytes ? e.len - sd->bdl_off : bytes;
        bool wraps = (uint64_t)e.addr + sd->bdl_off + n > 0x100000000ull;
        const uint8_t *src = wraps ? NULL : hda_dma(h, e.addr + sd->bdl_off, n);
        if (!src) {
            desc_error(h, false);
            return;
        }
        output(h, src, n);
        sd->bdl_off += n;
        sd->lpib = (uint32_t)(((uint64_t)sd->lpib + n) % sd->cbl);
        bytes -= n;
        if (sd->bdl_off == e.len)
            next_entry(h, e.ioc);
    }
}

/* The next period: 1 ms on, or when the current entry ends if that is sooner. */
static void arm(struct hda *h, const struct hda_pcm *p)
{
    struct hda_stream *sd = &h->sd;
    uint64_t freq = dev_timer_freq(), unit = p->rate_den * freq;
    uint64_t period = freq / PERIODS_PER_S ? freq / PERIODS_PER_S : 1, ticks = period;
    struct bdle e;
    if (fetch(h, sd->bdl_idx, &e) && e.len > sd->bdl_off) {
        uint64_t frames = (e.len - sd->bdl_off + p->frame - 1) / p->frame;
        if (frames <= period * p->rate_num / unit + 1) /* small enough not to overflow below */
            ticks = (frames * unit - sd->frac + p->rate_num - 1) / p->rate_num;
    }
    ticks = ticks < 1 ? 1 : ticks > period ? period : ticks;
    dev_timer_arm(h->vm, &h->timer, sd->last + ticks);
}

/* RUN set: the format, CBL and BDL address must be usable, else DESE at once. */
static void start(struct hda *h)
{
    struct hda_stream *sd = &h->sd;
    struct hda_pcm p;
    if (!h->vm || !hda_fmt_decode(sd->fmt, &p) || !sd->cbl || sd->bdpu) {
        desc_error(h, sd->bdpu != 0);
        return;
    }
    if (sd->bdl_idx > sd->lvi) { /* LVI lowered while stopped */
        sd->bdl_idx = 0;
        sd->bdl_off = 0;
    }
    sd->sts |= HDA_SD_STS_FIFORDY;
    sd->last = dev_timer_now(h->vm);
    sd->frac = 0;
    arm(h, &p);
}

static void stop(struct hda *h)
{
    h->sd.sts &= (uint8_t)~HDA_SD_STS_FIFORDY;
    if (h->vm)
        dev_timer_cancel(h->vm, &h->timer);
}

void hda_stream_period(struct hda *h, uint64_t now)
{
    struct hda_stream *sd = &h->sd;
    struct hda_pcm p;
    if (!(sd->ctl & HDA_SD_CTL_RUN) || !h->vm || !hda_fmt_decode(sd->fmt, &p))
        return;
    uint64_t freq = dev_timer_freq(), dt = now > sd->last ? now - sd->last : 0, most = freq / CATCH_UP_DIV;
    if (dt > most) {
        h->stats.late_ticks += dt - most;
        dt = most;
    }
    sd->last = now;
    sd->frac += dt * p.rate_num;
    uint64_t unit = p.rate_den * freq, frames = sd->frac / unit;
    sd->frac %= unit;
    transfer(h, (uint32_t)(frames * p.frame));
    if (sd->ctl & HDA_SD_CTL_RUN)
        arm(h, &p);
    write_posbuf(h);
    hda_update_irq(h);
}

/* SRST holds the stream in reset (every register at its reset value);
 * RUN starts and stops the DMA engine where it is. */
static void write_ctl(struct hda *h, uint32_t val, uint32_t mask)
{
    struct hda_stream *sd = &h->sd;
    uint32_t old = sd->ctl, now = ((old & ~mask) | (val & mask)) & HDA_SD_CTL_MASK;
    if (now & HDA_SD_CTL_SRST) {
        hda_stream_reset(h);
        sd->ctl = HDA_SD_CTL_SRST;
        write_posbuf(h);
        return;
    }
    sd->ctl = now;
    if ((now & HDA_SD_CTL_RUN) && !(old & HDA_SD_CTL_RUN))
        start(h);
    else if (!(now & HDA_SD_CTL_RUN) && (old & HDA_SD_CTL_RUN))
        stop(h);
}

uint32_t hda_stream_read(struct hda *h, unsigned reg)
{
    const struct hda_stream *sd = &h->sd;
    switch (reg) {
    case HDA_SD_CTL: return sd->ctl;
    case HDA_SD_STS: return sd->sts;
    case HDA_SD_LPIB: return sd->lpib;
    case HDA_SD_CBL: return sd->cbl;
    case HDA_SD_LVI: return sd->lvi;
    case HDA_SD_FIFOW: return sd->fifow;
    case HDA_SD_FIFOS: return HDA_FIFOS_VAL;
    case HDA_SD_FMT: return sd->fmt;
    case HDA_SD_BDPL: return sd->bdpl;
    case HDA_SD_BDPU: return sd->bdpu;
    default: return 0;
    }
}

/* The buffer's shape (CBL, LVI, FMT, the BDL's address) is fixed while the
 * stream runs or is held in reset: those writes are ignored then. */
void hda_stream_write(struct hda *h, unsigned reg, uint32_t val, uint32_t mask)
{
    struct hda_stream *sd = &h->sd;
    uint32_t m = val & mask;
    if (reg == HDA_SD_CTL) {
        write_ctl(h, val, mask);
        return;
    }
    if (reg == HDA_SD_STS) {
        sd->sts &= (uint8_t) ~(m & HDA_SD_STS_W1C);
        return;
    }
    if (sd->ctl & (HDA_SD_CTL_RUN | HDA_SD_CTL_SRST))
        return;
    switch (reg) {
    case HDA_SD_CBL: sd->cbl = (sd->cbl & ~mask) | m; break;
    case HDA_SD_LVI: sd->lvi = (uint8_t)((sd->lvi & ~mask) | (m & 0xffu)); break;
    case HDA_SD_FIFOW: sd->fifow = (uint16_t)((sd->fifow & ~mask) | (m & 7u)); break;
    case HDA_SD_FMT: sd->fmt = (uint16_t)((sd->fmt & ~mask) | (m & HDA_SD_FMT_MASK)); break;
    case HDA_SD_BDPL: sd->bdpl = (sd->bdpl & ~mask) | (m & ~(uint32_t)HDA_BDL_ALIGN); break;
    case HDA_SD_BDPU: sd->bdpu = (sd->bdpu & ~mask) | m; break;
    default: break;
    }
}
