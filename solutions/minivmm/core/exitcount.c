/* Lab 0 reference: the MV_HC_EXIT_COUNT hypercall, which tells the guest how often it has exited. */
#include <minivmm/hypercall_abi.h>
#include <minivmm/labs.h>
#include <minivmm/panic.h>

uint32_t hc_exit_count(struct vcpu *v, uint32_t ec)
{
    if (ec >= EXIT_CLASSES)
        return (uint32_t)MV_HC_EINVAL;
    uint64_t n = stats_exit_count(&v->stats, ec);
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n; /* saturate rather than wrap */
}
