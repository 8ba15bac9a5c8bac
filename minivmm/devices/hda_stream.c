/* Lab 6 student file, Task 3: output stream 0: its descriptor registers and the BDL DMA engine, paced at the stream's sample rate on the guest's clock. */
#include <minivmm/panic.h>
#include <devices/hda.h>

/* TODO: cancel the stream's timer; every descriptor register 0 but FIFOW (4). */
void hda_stream_reset(struct hda *h)
{
    (void)h;
    MV_TODO(6, "Task 3: the output stream");
}

/* TODO: each descriptor register's value (FIFOS reads HDA_FIFOS_VAL). */
uint32_t hda_stream_read(struct hda *h, unsigned reg)
{
    (void)h;
    (void)reg;
    MV_TODO(6, "Task 3: the output stream");
}

/* TODO: CTL: SRST resets the stream and holds it; RUN 0 -> 1 checks the
 * format, CBL and BDPU (else STS.DESE and the stream stays stopped), sets
 * FIFORDY and arms the timer (dev_timer_arm) for the first period; RUN
 * 1 -> 0 cancels it. STS: write 1 to clear. CBL, LVI, FMT, BDPL, BDPU:
 * ignored while the stream runs or is in reset. */
void hda_stream_write(struct hda *h, unsigned reg, uint32_t val, uint32_t mask)
{
    (void)h;
    (void)reg;
    (void)val;
    (void)mask;
    MV_TODO(6, "Task 3: the output stream");
}

/* TODO: the frames the stream owes since its last period at its rate
 * (hda_fmt_decode) on the guest counter, copied from the BDL's buffers
 * (every entry and every buffer piece checked with hda_dma; a refusal is
 * DESE and the stream stops) to the backend's play when hda_codec_routes
 * says so (else counted as muted); LPIB wraps at CBL, the BDL after LVI; an
 * entry done with IOC sets STS.BCIS; then the position buffer, the
 * interrupt (hda_update_irq) and the next period. */
void hda_stream_period(struct hda *h, uint64_t now)
{
    (void)h;
    (void)now;
    MV_TODO(6, "Task 3: the output stream");
}
