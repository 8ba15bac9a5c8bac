/* Lab 1 reference: PSCI calls (over SMC or HVC) for a single-vCPU guest. */
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>
#include <arch/traps.h>

static uint32_t psci_version(struct vcpu *v)
{
    (void)v;
    return PSCI_VERSION_1_0;
}

static uint32_t psci_features(struct vcpu *v);

static uint32_t psci_system_off(struct vcpu *v)
{
    vm_power_off(v->vm); /* says so, prints the exit statistics, ends with status 0 */
}

static uint32_t psci_system_reset(struct vcpu *v)
{
    vm_request_reset(v->vm); /* done by the run loop once this exit is over */
    return PSCI_RET_SUCCESS;
}

/* The functions this VMM implements; everything else (CPU_ON and friends wait
 * for SMP guests) is NOT_SUPPORTED. */
static const struct {
    uint32_t fn;
    uint32_t (*call)(struct vcpu *v);
} calls[] = {
    {PSCI_VERSION, psci_version},
    {PSCI_FEATURES, psci_features},
    {PSCI_SYSTEM_OFF, psci_system_off},
    {PSCI_SYSTEM_RESET, psci_system_reset},
};

static int find(uint32_t fn)
{
    for (unsigned i = 0; i < ARRAY_SIZE(calls); i++)
        if (calls[i].fn == fn)
            return (int)i;
    return -1;
}

static uint32_t psci_features(struct vcpu *v)
{
    return find(vcpu_hc_arg(v, 1)) >= 0 ? PSCI_RET_SUCCESS : (uint32_t)PSCI_RET_NOT_SUPPORTED;
}

uint32_t psci_call(struct vcpu *v)
{
    int i = find(vcpu_hc_arg(v, 0));
    return i >= 0 ? calls[i].call(v) : (uint32_t)PSCI_RET_NOT_SUPPORTED;
}

enum exit_action handle_smc(struct vcpu *v, uint32_t hsr)
{
    /* A trapped SMC leaves ELR_hyp at the SMC itself: step over it. */
    vcpu_hc_ret(v, psci_call(v));
    arm_advance_pc(&v->arch.regs, hsr);
    return EXIT_RESUME;
}
