/* Lab 1 student file: trapped WFI and WFE. */
#include <minivmm/panic.h>
#include <arch/hsr.h>
#include <arch/traps.h>

/*
 * EC 0x01: the guest executed WFI or WFE (HCR.TWI/TWE trap them). Treat it as
 * idle: the vCPU must continue after the instruction, and must not spin.
 */
enum exit_action handle_wfx(struct vcpu *v, uint32_t hsr)
{
    (void)v;
    (void)hsr;
    MV_TODO(1, "Task 2: WFI and WFE");
}
