/* The HD Audio controller as a registered PCI device: QEMU's intel-hda identity, its memory BAR, DMA into guest RAM only, samples to the host's audio output. */
#include <minivmm/alloc.h>
#include <minivmm/audio.h>
#include <minivmm/device.h>
#include <minivmm/snapshot.h>
#include <minivmm/vm.h>
#include <devices/hda.h>
#include <devices/pci.h>

/* What QEMU's intel-hda (ICH6) shows and snd-hda-intel binds to: 8086:2668,
 * revision 1, class 0403 (HD Audio), QEMU's default subsystem (1af4:1100),
 * INTA, one 32-bit memory BAR of 16 KiB. */
static const struct pci_ident ich6_hda = {
    .vendor = 0x8086,
    .device = 0x2668,
    .class_code = 0x040300,
    .revision = 1,
    .subsys_vendor = 0x1af4,
    .subsys = 0x1100,
    .int_pin = 1,
    .bar = {{HDA_MMIO_SIZE, false}},
};

/* DMA reaches guest RAM through vm_ipa_ptr only, and only with bus mastering
 * on: never the VMM, never a device's registers (the re-entry of QEMU's
 * CVE-2021-3611 cannot happen here). */
static void *hda_ram(void *ctx, uint32_t addr, uint32_t len)
{
    struct device *d = ctx;
    struct hda *h = d->state;
    const struct pci_cfg *cfg = d->vm->pci ? &d->vm->pci->fn[d->slot->base].cfg : NULL;
    if (!cfg || !(cfg->command & PCI_CMD_MASTER)) {
        h->stats.no_master++;
        return NULL;
    }
    return vm_ipa_ptr(d->vm, addr, len);
}

static void hda_irq(void *ctx, bool level)
{
    struct device *d = ctx;
    irq_line_set(&d->irq, level);
}

/* The DAC's samples to the host's audio output, in its file's terms: 20- and
 * 24-bit samples sit in 32-bit containers, most significant bits first. */
static void hda_play(void *ctx, uint16_t fmt, const uint8_t *data, uint32_t len)
{
    struct hda_pcm p;
    (void)ctx;
    if (!hda_fmt_decode(fmt, &p))
        return;
    struct audio_format f = {p.rate_num / p.rate_den, (uint16_t)(8 * p.container), (uint16_t)p.channels};
    audio_play(&f, data, len);
}

static void *hda_create(struct device *d)
{
    (void)d;
    return mv_calloc(1, sizeof(struct hda));
}

/* Power-on state; the model leaves its output low without saying so, so the line drops here. */
static void hda_dev_reset(struct device *d)
{
    struct hda_backend b = {hda_ram, hda_irq, hda_play, d};
    hda_reset(d->state, d->vm, &b);
    hda_irq(d, false);
}

/* A restore brings back the output's level, not the wire: drive it. */
static void hda_dev_snapshot(void *state, struct snap *s)
{
    struct hda *h = state;
    hda_snapshot(h, s);
    if (s->dir == SNAP_RESTORE && !s->failed && h->backend.irq)
        h->backend.irq(h->backend.ctx, h->irq_level);
}

static void hda_dev_stats(const struct device *d)
{
    hda_print_stats(d->state);
    audio_print_stats();
}

DEVICE_TYPE(hda) = {
    .name = "hda",
    .snap_version = HDA_SNAP_VERSION,
    .create = hda_create,
    .reset = hda_dev_reset,
    .ops = &hda_bus_ops,
    .snapshot = hda_dev_snapshot,
    .print_stats = hda_dev_stats,
    .pci = &ich6_hda,
};
