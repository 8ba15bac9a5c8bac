/* Lab 0 student file: the MV_HC_EXIT_COUNT hypercall, which tells the guest how often it has exited. */
#include <minivmm/hypercall_abi.h>
#include <minivmm/labs.h>
#include <minivmm/panic.h>

/*
 * Return the number of exits of class `ec` that vCPU `v` has taken so far,
 * counting the hypercall being handled now. If `ec` is not an exit class
 * (0 to EXIT_CLASSES - 1), return MV_HC_EINVAL instead.
 *
 * Hints: the counters live in v->stats (minivmm/include/minivmm/stats.h);
 * a guest register is 32 bits wide, a counter is 64.
 */
uint32_t hc_exit_count(struct vcpu *v, uint32_t ec)
{
    (void)v;
    (void)ec;
    MV_TODO(0, "Task: the exit-count hypercall");
}
