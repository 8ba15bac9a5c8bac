/* Lab 1 reference: trapped WFI and WFE. */
#include <arch/hsr.h>
#include <arch/traps.h>

/* Without virtual interrupts yet (lab 4) there is nothing to wait for: a WFI
 * may complete at any time architecturally, so the vCPU simply goes on. What
 * matters is that it exits instead of spinning on the host CPU, and that it
 * resumes after the instruction. */
enum exit_action handle_wfx(struct vcpu *v, uint32_t hsr)
{
    arm_advance_pc(&v->arch.regs, hsr);
    return EXIT_RESUME;
}
