/* The ARM port's part of snapshot files: its architecture id, the physical counter as the snapshot's clock, and CNTVOFF moved so that the guest's virtual count does not jump. */
#include <minivmm/snapshot_file.h>
#include <arch/regs.h>
#include <arch/traps.h>

uint32_t arch_snapshot_id(void)
{
    return SNAPFILE_ARCH_ARM;
}

/* CNTPCT: the guest's virtual count is this less CNTVOFF. */
uint64_t arch_snapshot_clock(void)
{
    uint32_t lo, hi;
    __asm__ volatile("isb\n\tmrrc p15, 0, %0, %1, c14" : "=r"(lo), "=r"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* The guest's timer registers live in the CPU between exits: read, move
 * CNTVOFF, write back (CNTV_CVAL is in virtual time and stays). The vCPU's
 * copy follows, so that a snapshot saved next agrees with the CPU. */
void arch_vcpu_clock_shift(struct vcpu *v, uint64_t ticks)
{
    guest_vtimer_read(&v->arch.vtimer);
    v->arch.vtimer.voff += ticks;
    guest_vtimer_write(&v->arch.vtimer);
}
