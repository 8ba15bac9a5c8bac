/* The WAV file behind audio=: a RIFF header made from the first samples' format, samples appended as they play, the sizes fixed when minivmm ends. */
#include <minivmm/audio.h>
#include <minivmm/console.h>
#include <minivmm/hostfs.h>
#include <minivmm/string.h>

#define WAV_HEADER 44u
#define WAV_BUF    8192u /* samples gathered per host write: a semihosting call costs a trap into QEMU */
#define WAV_MAX    0xfff00000u /* RIFF sizes are 32-bit: the file stops growing short of 4 GiB */

/* One file per minivmm run: the backend's state, as the host NIC's is. */
static struct {
    int fd; /* -1: no file */
    bool have_format, header_written, warned;
    struct audio_format fmt;
    uint32_t data_len; /* bytes of samples written to the file */
    uint32_t buffered;
    uint8_t buf[WAV_BUF];
    struct audio_stats stats;
} wav = {.fd = -1};

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

/* The canonical 44-byte header: RIFF, a PCM "fmt " chunk, the "data" chunk's header. */
static void make_header(uint8_t *h, const struct audio_format *f, uint32_t data_len)
{
    uint32_t block = (uint32_t)f->channels * (f->bits / 8u);
    memcpy(h, "RIFF", 4);
    put32(h + 4, WAV_HEADER - 8 + data_len);
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, 1); /* PCM */
    put16(h + 22, f->channels);
    put32(h + 24, f->rate);
    put32(h + 28, f->rate * block);
    put16(h + 32, block);
    put16(h + 34, f->bits);
    memcpy(h + 36, "data", 4);
    put32(h + 40, data_len);
}

int audio_open(const char *path, char *err, size_t errlen)
{
    audio_close();
    wav.fd = hostfs_create(path);
    if (wav.fd < 0) {
        mv_snprintf(err, errlen, "cannot create the host file '%s'", path);
        return -1;
    }
    return 0;
}

/* A failed host write: the file keeps what it has, later samples are dropped. */
static bool host_write(const void *data, uint32_t len)
{
    if (wav.fd >= 0 && hostfs_write(wav.fd, data, len) == 0)
        return true;
    wav.stats.errors++;
    return false;
}

static void drain(void)
{
    if (wav.buffered && host_write(wav.buf, wav.buffered))
        wav.data_len += wav.buffered;
    wav.buffered = 0;
}

static bool same_format(const struct audio_format *a, const struct audio_format *b)
{
    return a->rate == b->rate && a->bits == b->bits && a->channels == b->channels;
}

/* The first format decides the file's; a later different one is refused, with one line. */
static bool take_format(const struct audio_format *f)
{
    if (!wav.have_format) {
        uint8_t h[WAV_HEADER];
        wav.fmt = *f;
        wav.have_format = true;
        make_header(h, f, 0);
        wav.header_written = host_write(h, sizeof(h));
    }
    if (same_format(f, &wav.fmt))
        return wav.header_written;
    if (!wav.warned)
        printk(
            "minivmm: audio: %u Hz, %u bits, %u channels refused: the file is %u Hz, %u bits, %u channels\n",
            f->rate, f->bits, f->channels, wav.fmt.rate, wav.fmt.bits, wav.fmt.channels);
    wav.warned = true;
    return false;
}

/* WAV's 8-bit samples are unsigned, HD Audio's signed. */
static void append(const uint8_t *data, uint32_t len, bool flip)
{
    while (len) {
        uint32_t n = WAV_BUF - wav.buffered < len ? WAV_BUF - wav.buffered : len;
        memcpy(wav.buf + wav.buffered, data, n);
        for (uint32_t i = 0; flip && i < n; i++)
            wav.buf[wav.buffered + i] ^= 0x80;
        wav.buffered += n;
        data += n;
        len -= n;
        if (wav.buffered == WAV_BUF)
            drain();
    }
}

bool audio_play(const struct audio_format *f, const void *data, uint32_t len)
{
    if (wav.fd < 0) {
        wav.stats.discarded += len;
        return false;
    }
    bool full = len > WAV_MAX - wav.data_len - wav.buffered;
    if (!take_format(f) || full) {
        wav.stats.refused += len;
        return false;
    }
    append(data, len, f->bits == 8);
    wav.stats.written += len;
    return true;
}

void audio_flush(void)
{
    if (wav.fd < 0)
        return;
    if (!wav.have_format) /* nothing played: an empty file of the commonest format */
        take_format(&(struct audio_format){48000, 16, 2});
    drain();
    uint8_t h[WAV_HEADER];
    make_header(h, &wav.fmt, wav.data_len);
    if (hostfs_seek(wav.fd, 0) || !host_write(h, sizeof(h)) || hostfs_seek(wav.fd, WAV_HEADER + wav.data_len))
        wav.stats.errors++;
}

void audio_close(void)
{
    if (wav.fd >= 0)
        hostfs_close(wav.fd);
    memset(&wav, 0, sizeof(wav));
    wav.fd = -1;
}

const struct audio_stats *audio_get_stats(void)
{
    return &wav.stats;
}

void audio_print_stats(void)
{
    const struct audio_stats *s = &wav.stats;
    printk(
        "minivmm: audio: %llu bytes written, %llu discarded (no audio=), %llu refused (format), %llu write "
        "errors\n",
        (unsigned long long)s->written, (unsigned long long)s->discarded, (unsigned long long)s->refused,
        (unsigned long long)s->errors);
}
