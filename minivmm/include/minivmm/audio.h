/* The host's audio output: what an emulated sound card plays goes to a WAV file (audio=), or is counted and dropped. */
#ifndef MINIVMM_AUDIO_H
#define MINIVMM_AUDIO_H

#include "types.h"

/* PCM as the file stores it: little-endian signed samples in containers of
 * bits (8: unsigned, as WAV wants; 16 or 32), channels interleaved. */
struct audio_format {
    uint32_t rate; /* frames per second */
    uint16_t bits; /* 8, 16 or 32 */
    uint16_t channels;
};

/* What the backend counts. */
struct audio_stats {
    uint64_t written;   /* bytes of samples in the file */
    uint64_t discarded; /* bytes played with no file (no audio=) */
    uint64_t refused;   /* bytes in a format other than the file's first (one console line) */
    uint64_t errors;    /* host writes that failed: the file stops growing */
};

/* audio=: create the host file (replacing one there). 0, or -1 with the
 * reason in err. The header is written with the first samples: their format
 * is the file's; the sizes in it are fixed by audio_flush. */
int audio_open(const char *path, char *err, size_t errlen);
/* Samples a device played (len bytes, the bytes valid during the call only).
 * True if they went to the file; false if dropped (no file, another format,
 * a failed write): counted, never blocks. */
bool audio_play(const struct audio_format *f, const void *data, uint32_t len);
/* Write what is buffered and fix the header's sizes: minivmm is about to end.
 * Idempotent; nothing without a file. */
void audio_flush(void);
/* Close the file without flushing and forget the counts (host tests). */
void audio_close(void);
const struct audio_stats *audio_get_stats(void);
void audio_print_stats(void); /* "minivmm: audio: ..." */

#endif
