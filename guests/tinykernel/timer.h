/* tinykernel's access to the ARM generic timer: the counter, its frequency, and the virtual timer's registers. */
#ifndef TK_TIMER_H
#define TK_TIMER_H

#include <stdint.h>

#define CNTV_CTL_ENABLE 1u /* CNTV_CTL: enabled, interrupt not masked */

/* The virtual count (CNTVCT); the ISB keeps it from being read early. */
static inline uint64_t cntvct(void)
{
    uint32_t lo, hi;
    __asm__ volatile("isb\n\tmrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline uint32_t cntfrq(void)
{
    uint32_t f;
    __asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(f));
    return f;
}

/* The virtual timer fires when CNTVCT reaches this value. */
static inline void cntv_set_cval(uint64_t v)
{
    __asm__ volatile("mcrr p15, 3, %0, %1, c14\n\tisb" ::"r"((uint32_t)v), "r"((uint32_t)(v >> 32)));
}

static inline void cntv_set_ctl(uint32_t ctl)
{
    __asm__ volatile("mcr p15, 0, %0, c14, c3, 1\n\tisb" ::"r"(ctl));
}

#endif
