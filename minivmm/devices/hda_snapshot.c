/* The HD Audio controller's snapshot (one function saves and restores), its bus ops and its statistics line. */
#include <minivmm/console.h>
#include <minivmm/snapshot.h>
#include <devices/hda.h>

const struct bus_ops hda_bus_ops = {"hda", hda_access};

static void snap_stream(struct hda_stream *sd, struct snap *s)
{
    uint32_t *words[] = {&sd->ctl, &sd->lpib, &sd->cbl, &sd->bdpl, &sd->bdpu, &sd->bdl_off};
    for (unsigned i = 0; i < ARRAY_SIZE(words); i++)
        snap_u32(s, words[i]);
    snap_u8(s, &sd->sts);
    snap_u8(s, &sd->lvi);
    snap_u8(s, &sd->bdl_idx);
    snap_u16(s, &sd->fifow);
    snap_u16(s, &sd->fmt);
    snap_u64(s, &sd->last);
    snap_u64(s, &sd->frac);
}

static void snap_codec(struct hda_codec *c, struct snap *s)
{
    snap_u16(s, &c->fmt);
    snap_u8(s, &c->stream);
    snap_bytes(s, c->amp, sizeof(c->amp));
    snap_u8(s, &c->pin_ctl);
    snap_u8(s, &c->eapd);
    snap_bytes(s, c->power, sizeof(c->power));
}

/* What the model itself keeps true (struct hda's comment). Addresses, sizes
 * and formats may hold anything a guest can write: the model checks them
 * where it uses them, and so may a snapshot. */
static bool consistent(const struct hda *h)
{
    const struct hda_stream *sd = &h->sd;
    const struct hda_codec *c = &h->codec;
    bool ok = !(h->gctl & ~(HDA_GCTL_CRST | HDA_GCTL_UNSOL)) &&
              !(h->intctl & ~(HDA_INT_GIE | HDA_INT_CIE | HDA_INT_SIE0));
    ok = ok && !(sd->ctl & ~HDA_SD_CTL_MASK) && !(sd->sts & ~(HDA_SD_STS_W1C | HDA_SD_STS_FIFORDY));
    ok = ok && !(sd->bdpl & HDA_BDL_ALIGN) && !(h->corb_lbase & HDA_BDL_ALIGN) &&
         !(h->rirb_lbase & HDA_BDL_ALIGN);
    ok = ok && c->power[0] < 4 && c->power[1] < 4 && c->power[2] < 4 && c->eapd < 8;
    return ok && h->irq_level == hda_irq_pending(h);
}

/* The timer is armed exactly while the stream runs; its deadline is on the
 * guest counter, which a snapshot carries on (CNTVOFF), so it stands. */
static void snap_timer(struct hda *h, struct snap *s)
{
    uint64_t deadline = h->timer.armed ? h->timer.deadline : 0;
    snap_u64(s, &deadline);
    if (s->dir != SNAP_RESTORE || s->failed || !h->vm)
        return;
    if (h->sd.ctl & HDA_SD_CTL_RUN)
        dev_timer_arm(h->vm, &h->timer, deadline);
    else
        dev_timer_cancel(h->vm, &h->timer);
}

/* Registers, ring pointers, the stream's position and pacing, the codec and
 * the interrupt level; the backend is wiring and the statistics are the
 * VMM's, so a restore leaves both. The caller drives the interrupt line. */
void hda_snapshot(struct hda *h, struct snap *s)
{
    uint32_t *words[] = {&h->gctl,       &h->intctl,     &h->ssync,      &h->corb_lbase,
                         &h->corb_ubase, &h->rirb_lbase, &h->rirb_ubase, &h->icoi,
                         &h->irii,       &h->dplbase,    &h->dpubase};
    uint8_t *bytes[] = {&h->corbwp,  &h->corbrp,  &h->corbctl, &h->corbsts,   &h->rirbwp,
                        &h->rintcnt, &h->rirbctl, &h->rirbsts, &h->rirb_count};
    uint16_t *halves[] = {&h->wakeen, &h->statests, &h->gsts, &h->icis};
    for (unsigned i = 0; i < ARRAY_SIZE(words); i++)
        snap_u32(s, words[i]);
    for (unsigned i = 0; i < ARRAY_SIZE(bytes); i++)
        snap_u8(s, bytes[i]);
    for (unsigned i = 0; i < ARRAY_SIZE(halves); i++)
        snap_u16(s, halves[i]);
    snap_u64(s, &h->wall_base);
    snap_bool(s, &h->corbrp_rst);
    snap_stream(&h->sd, s);
    snap_codec(&h->codec, s);
    snap_bool(s, &h->irq_level);
    snap_check(s, consistent(h));
    snap_timer(h, s);
}

void hda_print_stats(const struct hda *h)
{
    const struct hda_stats *st = &h->stats;
    printk(
        "minivmm: hda: %llu verbs (%llu unknown, %llu to no codec), %llu bytes played, %llu muted; refused: "
        "%llu ring, %llu descriptor (%llu above 4 GiB), %llu position buffer, %llu without bus master; %llu "
        "ticks late\n",
        (unsigned long long)st->verbs, (unsigned long long)st->verbs_unknown,
        (unsigned long long)st->verbs_no_codec, (unsigned long long)st->bytes_played,
        (unsigned long long)st->bytes_muted, (unsigned long long)st->ring_errors,
        (unsigned long long)st->desc_errors, (unsigned long long)st->high_dma,
        (unsigned long long)st->posbuf_errors, (unsigned long long)st->no_master,
        (unsigned long long)st->late_ticks);
}
