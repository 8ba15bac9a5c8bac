/* Pseudo-random numbers for tinykernel's hostile-guest tests: xorshift32, seeded from the run's nonce. */
#include "kernel.h"

static uint32_t state = 1;

void rng_seed(uint32_t seed) { state = seed | 1; /* xorshift never leaves zero */ }

uint32_t rng(void)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}
