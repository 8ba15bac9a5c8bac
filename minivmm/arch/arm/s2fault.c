/* Lab 2 student file: stage-2 faults: a guest access the tables refuse becomes an abort injected into the guest. */
#include <minivmm/panic.h>
#include <arch/hsr.h>
#include <arch/stage2.h>
#include <arch/traps.h>

/* The faulting IPA from HPFAR (IPA[39:12] in bits 31:4) and the guest's FAR (B4.1.70). */
uint32_t s2_fault_ipa(uint32_t hpfar, uint32_t far)
{
    (void)hpfar;
    (void)far;
    MV_TODO(2, "Task 4: stage-2 faults");
}

/*
 * The DFSR/IFSR value the guest sees: short-descriptor format, or long-descriptor
 * (LPAE bit 9 set) when the guest's TTBCR.EAE is 1. A permission fault (status
 * 0x0f in both formats) for a refused access to memory the guest has; a
 * synchronous external abort (0x08 short, 0x10 long) for an address with
 * nothing behind it. WnR (bit 11) for writes.
 */
uint32_t s2_guest_fsr(bool lpae, bool permission, bool write)
{
    (void)lpae;
    (void)permission;
    (void)write;
    MV_TODO(2, "Task 4: stage-2 faults");
}

/* EC 0x24: inject a data abort at the guest's faulting address (HDFAR). */
enum exit_action handle_dabt_low(struct vcpu *v, uint32_t hsr)
{
    (void)v;
    (void)hsr;
    MV_TODO(2, "Task 4: stage-2 faults");
}

/* EC 0x20: inject a prefetch abort at the guest's faulting address (HIFAR). */
enum exit_action handle_iabt_low(struct vcpu *v, uint32_t hsr)
{
    (void)v;
    (void)hsr;
    MV_TODO(2, "Task 4: stage-2 faults");
}
