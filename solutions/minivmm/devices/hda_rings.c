/* Lab 6 student file, Task 1: the command rings (CORB out to the codec, RIRB back) and the immediate command interface. */
#include <devices/hda.h>

#define CORB_BYTES (HDA_RING_ENTRIES * 4u)
#define RIRB_BYTES (HDA_RING_ENTRIES * 8u)

void hda_rings_reset(struct hda *h)
{
    h->corb_lbase = h->corb_ubase = h->rirb_lbase = h->rirb_ubase = 0;
    h->corbwp = h->corbrp = h->corbctl = h->corbsts = 0;
    h->corbrp_rst = false;
    h->rirbwp = h->rintcnt = h->rirbctl = h->rirbsts = h->rirb_count = 0;
    h->icoi = h->irii = 0;
    h->icis = 0;
}

/* A ring the engine cannot use (above 4 GiB or outside guest RAM): CMEI,
 * and the CORB stops until the guest sets it up again. */
static void ring_error(struct hda *h, bool high)
{
    h->stats.ring_errors++;
    h->stats.high_dma += high;
    h->corbsts |= HDA_CORBSTS_CMEI;
    h->corbctl &= (uint8_t)~HDA_CORBCTL_RUN;
}

/* One response into the RIRB: RINTFL after RINTCNT of them (0 means 256). */
static void respond(struct hda *h, uint8_t *rirb, uint32_t resp, uint32_t cmd)
{
    h->rirbwp = (uint8_t)(h->rirbwp + 1);
    hda_put_le32(rirb + 8u * h->rirbwp, resp);
    hda_put_le32(rirb + 8u * h->rirbwp + 4, HDA_CMD_CAD(cmd)); /* solicited, from codec CAd */
    if (++h->rirb_count == h->rintcnt) {                       /* a count of 0 wraps at 256 */
        h->rirbsts |= HDA_RIRBSTS_RINTFL;
        h->rirb_count = 0;
    }
}

/* Send every command between CORBRP and CORBWP, while both engines run. The
 * codec answers at once, so the link then has an empty response slot: the
 * RIRB interrupt comes after the last response even before RINTCNT. */
static void corb_run(struct hda *h)
{
    if (!(h->corbctl & HDA_CORBCTL_RUN) || !(h->rirbctl & HDA_RIRBCTL_DMAEN) || h->corbrp == h->corbwp)
        return;
    const uint8_t *corb = h->corb_ubase ? NULL : hda_dma(h, h->corb_lbase, CORB_BYTES);
    uint8_t *rirb = h->rirb_ubase ? NULL : hda_dma(h, h->rirb_lbase, RIRB_BYTES);
    if (!corb || !rirb) {
        ring_error(h, h->corb_ubase || h->rirb_ubase);
        return;
    }
    bool any = false;
    while (h->corbrp != h->corbwp) { /* at most 255 commands: CORBWP is 8 bits */
        h->corbrp = (uint8_t)(h->corbrp + 1);
        uint32_t cmd = hda_le32(corb + 4u * h->corbrp), resp;
        if (hda_codec_verb(h, cmd, &resp)) {
            respond(h, rirb, resp, cmd);
            any = true;
        }
    }
    if (any) {
        h->rirbsts |= HDA_RIRBSTS_RINTFL;
        h->rirb_count = 0;
    }
}

/* ICIS: writing ICB sends ICOI now; IRV is set only if a codec answered. */
static void write_icis(struct hda *h, uint32_t val, uint32_t mask)
{
    uint32_t m = val & mask;
    h->icis &= (uint16_t) ~(m & HDA_ICIS_IRV);
    if (m & HDA_ICIS_ICB && hda_codec_verb(h, h->icoi, &h->irii))
        h->icis |= HDA_ICIS_IRV;
}

uint32_t hda_rings_read(struct hda *h, unsigned reg)
{
    switch (reg) {
    case HDA_CORBLBASE: return h->corb_lbase;
    case HDA_CORBUBASE: return h->corb_ubase;
    case HDA_CORBWP: return h->corbwp;
    case HDA_CORBRP: return h->corbrp | (h->corbrp_rst ? HDA_CORBRP_RST : 0);
    case HDA_CORBCTL: return h->corbctl;
    case HDA_CORBSTS: return h->corbsts;
    case HDA_CORBSIZE:
    case HDA_RIRBSIZE: return HDA_RING_SIZE;
    case HDA_RIRBLBASE: return h->rirb_lbase;
    case HDA_RIRBUBASE: return h->rirb_ubase;
    case HDA_RIRBWP: return h->rirbwp;
    case HDA_RINTCNT: return h->rintcnt;
    case HDA_RIRBCTL: return h->rirbctl;
    case HDA_RIRBSTS: return h->rirbsts;
    case HDA_ICOI: return h->icoi;
    case HDA_IRII: return h->irii;
    case HDA_ICIS: return h->icis;
    default: return 0;
    }
}

/* New bits: val where mask is set, old ones elsewhere, then only keep's. */
static uint32_t merge(uint32_t old, uint32_t val, uint32_t mask, uint32_t keep)
{
    return ((old & ~mask) | (val & mask)) & keep;
}

/* CORBRP: only the reset bit is written; while it is set, RP reads 0. */
static void write_corbrp(struct hda *h, uint32_t val, uint32_t mask)
{
    if (!(mask & HDA_CORBRP_RST))
        return;
    h->corbrp_rst = val & HDA_CORBRP_RST;
    if (h->corbrp_rst)
        h->corbrp = 0;
}

static void write_ring_ctl(struct hda *h, unsigned reg, uint32_t val, uint32_t mask)
{
    if (reg == HDA_CORBCTL)
        h->corbctl = (uint8_t)merge(h->corbctl, val, mask, HDA_CORBCTL_RUN | HDA_CORBCTL_CMEIE);
    else if (reg == HDA_CORBSTS)
        h->corbsts &= (uint8_t) ~(val & mask & HDA_CORBSTS_CMEI);
    else if (reg == HDA_RIRBCTL)
        h->rirbctl = (uint8_t)merge(h->rirbctl, val, mask, 7u);
    else if (reg == HDA_RIRBSTS)
        h->rirbsts &= (uint8_t) ~(val & mask & (HDA_RIRBSTS_RINTFL | HDA_RIRBSTS_OIS));
    corb_run(h);
}

void hda_rings_write(struct hda *h, unsigned reg, uint32_t val, uint32_t mask)
{
    uint32_t aligned = ~(uint32_t)HDA_BDL_ALIGN;
    switch (reg) {
    case HDA_CORBLBASE: h->corb_lbase = merge(h->corb_lbase, val, mask, aligned); break;
    case HDA_CORBUBASE: h->corb_ubase = merge(h->corb_ubase, val, mask, ~0u); break;
    case HDA_RIRBLBASE: h->rirb_lbase = merge(h->rirb_lbase, val, mask, aligned); break;
    case HDA_RIRBUBASE: h->rirb_ubase = merge(h->rirb_ubase, val, mask, ~0u); break;
    case HDA_CORBWP:
        h->corbwp = (uint8_t)merge(h->corbwp, val, mask, 0xffu);
        corb_run(h);
        break;
    case HDA_CORBRP: write_corbrp(h, val, mask); break;
    case HDA_RIRBWP:
        if (val & mask & HDA_RIRBWP_RST)
            h->rirbwp = 0;
        break;
    case HDA_RINTCNT: h->rintcnt = (uint8_t)merge(h->rintcnt, val, mask, 0xffu); break;
    case HDA_ICOI: h->icoi = merge(h->icoi, val, mask, ~0u); break;
    case HDA_ICIS: write_icis(h, val, mask); break;
    default: write_ring_ctl(h, reg, val, mask); break; /* CORBSIZE and RIRBSIZE take only 256 entries */
    }
}
