/* tinykernel's test tone: sine samples from a 32-bit phase with integer arithmetic only (quarter-wave symmetry, a fifth-order polynomial, a slow amplitude ramp).
 *
 * grader/wavcheck.py regenerates the same samples to compare a WAV with, bit for bit:
 * keep the two in step. Every intermediate value is non-negative, so C's shifts and
 * Python's agree. */
#include "tone.h"

/* sin(pi/2 t) ~ A t - B t^3 + C t^5 for t in [0, 1], coefficients in Q16 (Taylor's). */
#define TONE_A 102944u /* pi/2 */
#define TONE_B 42334u  /* (pi/2)^3 / 6 */
#define TONE_C 5223u   /* (pi/2)^5 / 120 */

uint32_t tone_step(unsigned hz) { return (uint32_t)(((uint64_t)hz << 32) / TONE_RATE); }

int16_t tone_sample(uint32_t phase, uint32_t amp)
{
    uint32_t quadrant = phase >> 30;
    uint64_t t = (phase >> 14) & 0xffff; /* position in the quadrant, Q16 */
    if (quadrant & 1)
        t = 0x10000 - t; /* falling quarter: mirrored */
    uint64_t t2 = t * t >> 16, t3 = t2 * t >> 16, t5 = t3 * t2 >> 16;
    uint64_t y = (TONE_A * t + TONE_C * t5 - TONE_B * t3) >> 16; /* sin, Q16 */
    int32_t s = (int32_t)(y * amp >> 16);
    return (int16_t)(quadrant & 2 ? -s : s);
}

void tone_fill(int16_t *dst, uint32_t frames, uint32_t first, unsigned hz)
{
    uint32_t step = tone_step(hz), phase = first * step;
    for (uint32_t i = 0; i < frames; i++, phase += step) {
        int16_t s = tone_sample(phase, TONE_AMPLITUDE + (((first + i) >> 3) & 4095));
        dst[2 * i] = s;
        dst[2 * i + 1] = (int16_t)-s;
    }
}
