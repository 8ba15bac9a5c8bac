/* The generic timer as the device timers see it: the guest's virtual count, and the Hyp physical timer (CNTHP) as their alarm. */
#include <minivmm/arch.h>

#define CNTHP_CTL_ENABLE 1u

/* CNTVCT read in Hyp mode is CNTPCT less the loaded CNTVOFF: while a VM's
 * vCPU is loaded (one vCPU, always), exactly what its guest reads. */
uint64_t arch_guest_counter(void)
{
    uint32_t lo, hi;
    __asm__ volatile("isb\n\tmrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi)); /* CNTVCT */
    return (uint64_t)hi << 32 | lo;
}

uint64_t arch_counter_freq(void)
{
    uint32_t freq;
    __asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(freq)); /* CNTFRQ */
    return freq ? freq : 62500000u;                              /* QEMU virt's, if firmware left it 0 */
}

static uint64_t cntvoff(void)
{
    uint32_t lo, hi;
    __asm__ volatile("mrrc p15, 4, %0, %1, c14" : "=r"(lo), "=r"(hi));
    return (uint64_t)hi << 32 | lo;
}

static void write_ctl(uint32_t ctl)
{
    __asm__ volatile("mcr p15, 4, %0, c14, c2, 1\n\tisb" ::"r"(ctl) : "memory"); /* CNTHP_CTL */
}

/* CNTHP compares with the physical count: the deadline moves by CNTVOFF.
 * Its interrupt is a level that stays up while the count is past CVAL, so
 * the handler switches it off (arch_handle_irqs) until the next deadline. */
void arch_timer_deadline(uint64_t deadline)
{
    if (deadline == UINT64_MAX) {
        write_ctl(0);
        return;
    }
    uint64_t off = cntvoff(), cval = deadline + off;
    if (cval < deadline) /* past the end of the count: never */
        cval = UINT64_MAX;
    __asm__ volatile("mcrr p15, 6, %0, %1, c14" ::"r"((uint32_t)cval),
                     "r"((uint32_t)(cval >> 32))); /* CNTHP_CVAL */
    write_ctl(CNTHP_CTL_ENABLE);
}
