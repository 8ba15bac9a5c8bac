/* Lab 6 student file, Task 1: the command rings (CORB out to the codec, RIRB back) and the immediate command interface. */
#include <minivmm/panic.h>
#include <devices/hda.h>

/* TODO: every ring register (0x40-0x6b) back to 0. */
void hda_rings_reset(struct hda *h)
{
    (void)h;
    MV_TODO(6, "Task 1: the command rings");
}

/* TODO: each register's value; CORBSIZE and RIRBSIZE read HDA_RING_SIZE,
 * CORBRP shows its reset bit as the guest last wrote it. */
uint32_t hda_rings_read(struct hda *h, unsigned reg)
{
    (void)h;
    (void)reg;
    MV_TODO(6, "Task 1: the command rings");
}

/* TODO: store the writable bits (bases 128-byte aligned; CORBWP and RINTCNT
 * 8 bits; the status bits write-1-to-clear; CORBRP's and RIRBWP's reset
 * bits), then send what the CORB holds between CORBRP and CORBWP while
 * CORBCTL.RUN and RIRBCTL.DMAEN are both set: each command to
 * hda_codec_verb, each response into the RIRB (RIRBWP moves first), RINTFL
 * after RINTCNT responses and after the last one. Rings above 4 GiB or not
 * wholly in guest RAM (hda_dma) are refused: CORBSTS.CMEI, the CORB stops.
 * ICIS.ICB sends ICOI at once: IRII and IRV if a codec answered. */
void hda_rings_write(struct hda *h, unsigned reg, uint32_t val, uint32_t mask)
{
    (void)h;
    (void)reg;
    (void)val;
    (void)mask;
    MV_TODO(6, "Task 1: the command rings");
}
