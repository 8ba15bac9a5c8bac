/* Lab 1 reference: PSCI calls (over SMC or HVC) for a single-vCPU guest. */
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>
#include <arch/traps.h>

/* The functions this VMM implements, for PSCI_FEATURES. */
static const uint32_t implemented[] = {PSCI_VERSION, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET,
                                       PSCI_FEATURES};

static uint32_t features(uint32_t fn)
{
    for (unsigned i = 0; i < ARRAY_SIZE(implemented); i++)
        if (implemented[i] == fn)
            return PSCI_RET_SUCCESS;
    return (uint32_t)PSCI_RET_NOT_SUPPORTED;
}

uint32_t psci_call(struct vcpu *v)
{
    uint32_t fn = vcpu_hc_arg(v, 0);
    switch (fn) {
    case PSCI_VERSION:
        return PSCI_VERSION_1_0;
    case PSCI_FEATURES:
        return features(vcpu_hc_arg(v, 1));
    case PSCI_SYSTEM_OFF:
        printk("minivmm: guest called PSCI SYSTEM_OFF\n");
        vmm_exit(MV_EXIT_OK);
    case PSCI_SYSTEM_RESET:
        vm_request_reset(v->vm);
        return PSCI_RET_SUCCESS;
    default: /* CPU_ON and friends wait for SMP guests */
        return (uint32_t)PSCI_RET_NOT_SUPPORTED;
    }
}

enum exit_action handle_smc(struct vcpu *v, uint32_t hsr)
{
    /* A trapped SMC leaves ELR_hyp at the SMC itself: step over it. */
    vcpu_hc_ret(v, psci_call(v));
    arm_advance_pc(&v->arch.regs, hsr);
    return EXIT_RESUME;
}
