/* tinykernel's test tone: a sine of integer arithmetic only, so that the grader (grader/wavcheck.py) makes the very same samples. */
#ifndef TK_TONE_H
#define TK_TONE_H

#include <stdint.h>

#define TONE_RATE 48000
/* The amplitude of frame n: TONE_AMPLITUDE + ((n >> 3) & 4095), a slow ramp (one step every
 * 8 frames, 0.68 s to wrap) that makes every frame of a second different from the frames
 * one or more periods away: a dropped or repeated buffer shows, whatever its length. */
#define TONE_AMPLITUDE 12288

/* The phase step of hz at TONE_RATE: floor(hz * 2^32 / TONE_RATE). */
uint32_t tone_step(unsigned hz);
/* The sample at phase (2^32 is one period) with amplitude amp (below 2^15). */
int16_t tone_sample(uint32_t phase, uint32_t amp);
/* Frames first..first+frames-1 of the hz tone as 16-bit stereo: left sample s, right -s,
 * s of frame n = tone_sample(n * tone_step(hz) mod 2^32, TONE_AMPLITUDE + ((n >> 3) & 4095)). */
void tone_fill(int16_t *dst, uint32_t frames, uint32_t first, unsigned hz);

#endif
