/* Lab 1 student file: PSCI calls (over SMC or HVC) for a single-vCPU guest. */
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>
#include <arch/traps.h>

/*
 * The PSCI function number is in r0, its arguments in r1-r3. Return the value
 * for r0: PSCI_VERSION -> 1.0; PSCI_FEATURES(fn) -> 0 for a function you
 * implement, NOT_SUPPORTED otherwise; SYSTEM_OFF ends the VM with status 0
 * (vm_power_off, which prints "minivmm: guest called PSCI SYSTEM_OFF");
 * SYSTEM_RESET asks for a reboot (vm_request_reset); everything else ->
 * NOT_SUPPORTED.
 */
uint32_t psci_call(struct vcpu *v)
{
    (void)v;
    MV_TODO(1, "Task 3: PSCI");
}

/* EC 0x13: a trapped SMC. Where does ELR_hyp point for a trap, as opposed to HVC? */
enum exit_action handle_smc(struct vcpu *v, uint32_t hsr)
{
    (void)v;
    (void)hsr;
    MV_TODO(1, "Task 3: PSCI");
}
