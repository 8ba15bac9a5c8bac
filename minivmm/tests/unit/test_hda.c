/* Unit tests of the HD Audio controller's framework code (hda_snapshot.c, the register map in hda_dev.c) and the WAV writer (backend/wav.c), on state filled in by hand: they run on the skeleton build too (lab 6's model is tested in labs/lab6-hda/tests/unit/test_hda.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/audio.h>
#include <minivmm/cmdline.h>
#include <minivmm/snapshot.h>
#include <minivmm/vm.h>
#include <devices/hda.h>
#include "host_stubs.h"
#include "snaptest.h"
#include "suites.h"

static uint8_t sbuf[1024], sbuf2[1024];
static char err[256];
static struct vm vm;

/* A controller in the middle of playing, filled in by hand (no lab code runs). */
static void snap_fill(struct hda *h)
{
    memset(h, 0, sizeof(*h));
    h->vm = &vm;
    h->gctl = HDA_GCTL_CRST;
    h->wakeen = 1;
    h->intctl = HDA_INT_GIE | HDA_INT_SIE0;
    h->wall_base = 12345;
    h->corb_lbase = 0x40001000;
    h->rirb_lbase = 0x40002000;
    h->corbwp = h->corbrp = 7;
    h->corbctl = HDA_CORBCTL_RUN;
    h->rirbwp = 7;
    h->rintcnt = 1;
    h->rirbctl = HDA_RIRBCTL_DMAEN;
    h->icoi = 0x000f0000;
    h->irii = HDA_CODEC_ID;
    h->icis = HDA_ICIS_IRV;
    h->dplbase = 0x40003801;
    h->sd = (struct hda_stream){.ctl = HDA_SD_CTL_RUN | HDA_SD_CTL_IOCE | 0x100000,
                                .sts = HDA_SD_STS_FIFORDY,
                                .lvi = 3,
                                .fifow = 4,
                                .fmt = 0x11,
                                .lpib = 1000,
                                .cbl = 3840,
                                .bdpl = 0x40003000,
                                .bdl_idx = 1,
                                .bdl_off = 40,
                                .last = 5000,
                                .frac = 77};
    h->codec = (struct hda_codec){0x11, 0x10, {0x4a, 0x4a}, 0x40, 0, {0, 0, 0}};
    h->timer.deadline = 0;
    dev_timer_arm(&vm, &h->timer, 67500);
}

static void snap_fn_hda(void *obj, struct snap *s)
{
    hda_snapshot(obj, s);
}

START_TEST(test_snapshot_round_trip)
{
    struct hda *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    snap_fill(a);
    uint32_t len = snaptest_save(sbuf, sizeof(sbuf), "hda", HDA_SNAP_VERSION, snap_fn_hda, a);
    dev_timers_clear(&vm);
    b->vm = &vm;
    ck_assert_int_eq(snaptest_restore(sbuf, len, HDA_SNAP_VERSION, snap_fn_hda, b, err, sizeof(err)), 0);
    ck_assert(b->timer.armed && b->timer.deadline == 67500); /* the timer re-armed */
    ck_assert_uint_eq(b->sd.lpib, 1000);
    ck_assert_uint_eq(b->sd.frac, 77);
    ck_assert_uint_eq(b->codec.stream, 0x10);
    ck_assert_uint_eq(snaptest_save(sbuf2, sizeof(sbuf2), "hda", HDA_SNAP_VERSION, snap_fn_hda, b), len);
    ck_assert(!memcmp(sbuf, sbuf2, len));
    /* a state the model cannot reach: refused */
    dev_timers_clear(&vm);
    a->sd.ctl |= 0x8000;
    len = snaptest_save(sbuf, sizeof(sbuf), "hda", HDA_SNAP_VERSION, snap_fn_hda, a);
    ck_assert_int_eq(snaptest_restore(sbuf, len, HDA_SNAP_VERSION, snap_fn_hda, b, err, sizeof(err)), -1);
    a->sd.ctl &= ~0x8000u;
    a->irq_level = true; /* INTSTS says otherwise */
    len = snaptest_save(sbuf, sizeof(sbuf), "hda", HDA_SNAP_VERSION, snap_fn_hda, a);
    ck_assert_int_eq(snaptest_restore(sbuf, len, HDA_SNAP_VERSION, snap_fn_hda, b, err, sizeof(err)), -1);
    dev_timers_clear(&vm);
    free(a);
    free(b);
}
END_TEST

/* The global registers in reset need no lab code: GCAP, the version, the rest 0. */
START_TEST(test_register_map)
{
    struct hda *h = calloc(1, sizeof(*h));
    struct bus_req r = {.off = HDA_GCAP, .width = 4};
    ck_assert_int_eq(hda_access(h, &r), BUS_OK);
    ck_assert_uint_eq(r.val, 0x01001000);
    r = (struct bus_req){.off = HDA_VMAJ, .width = 1};
    hda_access(h, &r);
    ck_assert_uint_eq(r.val, 1);
    r = (struct bus_req){.off = HDA_INTCTL, .width = 4, .write = true, .val = ~0u};
    hda_access(h, &r); /* in reset: ignored */
    ck_assert_uint_eq(h->intctl, 0);
    r = (struct bus_req){.off = HDA_MMIO_SIZE - 2, .width = 4};
    ck_assert_int_eq(hda_access(h, &r), BUS_NOT_MINE);
    struct hda_pcm p;
    ck_assert(hda_fmt_decode(0x4b31, &p)); /* 44.1 kHz x2 / 4, 24 bits, 2 channels */
    ck_assert_uint_eq(p.rate_num, 88200);
    ck_assert_uint_eq(p.rate_den, 4);
    ck_assert_uint_eq(p.frame, 8);
    ck_assert(!hda_fmt_decode(0x8011, &p)); /* non-PCM */
    ck_assert(!hda_fmt_decode(0x2011, &p)); /* MULT reserved */
    ck_assert(!hda_fmt_decode(0x0051, &p)); /* BITS reserved */
    free(h);
}
END_TEST

static long read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    long n = (long)fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

START_TEST(test_wav_writer)
{
    char path[] = "/tmp/minivmm-wav-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    static uint8_t samples[20000], file[32768];
    for (unsigned i = 0; i < sizeof(samples); i++)
        samples[i] = (uint8_t)(i * 7);
    const struct audio_format cd = {48000, 16, 2}, other = {44100, 16, 2};
    ck_assert_int_eq(audio_open(path, err, sizeof(err)), 0);
    ck_assert(audio_play(&cd, samples, 12000));
    ck_assert(!audio_play(&other, samples, 100)); /* another format: refused, one line */
    ck_assert(strstr(console_buf, "44100 Hz"));
    ck_assert(audio_play(&cd, samples + 12000, 8000));
    audio_flush();
    audio_flush(); /* idempotent */
    long n = read_file(path, file, sizeof(file));
    ck_assert_int_eq(n, 44 + 20000);
    ck_assert(!memcmp(file, "RIFF", 4) && !memcmp(file + 8, "WAVEfmt ", 8) && !memcmp(file + 36, "data", 4));
    ck_assert_uint_eq(le32(file + 4), 36 + 20000);
    ck_assert_uint_eq(le32(file + 24), 48000);
    ck_assert_uint_eq(le32(file + 28), 48000 * 4);
    ck_assert_uint_eq(le32(file + 40), 20000);
    ck_assert(!memcmp(file + 44, samples, 20000));
    ck_assert_uint_eq(audio_get_stats()->refused, 100);
    audio_close();
    /* no file: discarded and counted */
    ck_assert(!audio_play(&cd, samples, 64));
    ck_assert_uint_eq(audio_get_stats()->discarded, 64);
    /* nothing played: a valid empty file */
    ck_assert_int_eq(audio_open(path, err, sizeof(err)), 0);
    audio_flush();
    ck_assert_int_eq(read_file(path, file, sizeof(file)), 44);
    ck_assert_uint_eq(le32(file + 40), 0);
    audio_close();
    unlink(path);
}
END_TEST

START_TEST(test_audio_option)
{
    struct vmm_options o;
    ck_assert_int_eq(cmdline_parse("minivmm audio=out.wav guest.elf", &o, err, sizeof(err)), 0);
    ck_assert_str_eq(o.audio, "out.wav");
    ck_assert_int_eq(cmdline_parse("minivmm audio=guest.elf guest.elf", &o, err, sizeof(err)), -1);
    ck_assert_int_eq(cmdline_parse("minivmm guest.elf", &o, err, sizeof(err)), 0);
    ck_assert_str_eq(o.audio, "");
}
END_TEST

Suite *hda_suite(void)
{
    Suite *s = suite_create("hda");
    TCase *tc = tcase_create("hda");
    tcase_add_test(tc, test_snapshot_round_trip);
    tcase_add_test(tc, test_register_map);
    tcase_add_test(tc, test_wav_writer);
    tcase_add_test(tc, test_audio_option);
    suite_add_tcase(s, tc);
    return s;
}
