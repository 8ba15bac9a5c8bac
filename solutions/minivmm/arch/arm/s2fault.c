/* Lab 2 reference: stage-2 faults: a guest access the tables refuse becomes an abort injected into the guest. */
#include <minivmm/console.h>
#include <arch/hsr.h>
#include <arch/stage2.h>
#include <arch/traps.h>

#define ISS_WNR        (1u << 6) /* data abort caused by a write */
#define ISS_FSC(iss)   (0x3f & (iss))
#define FSC_PERMISSION 0x0c /* 0b0011LL: permission fault at level LL */

/* HPFAR holds IPA[39:12] in bits 31:4; the page offset comes from the guest's own FAR. */
uint32_t s2_fault_ipa(uint32_t hpfar, uint32_t far)
{
    return (hpfar & 0xfffffff0u) << 8 | (far & 0xfffu);
}

/* The fault status the guest sees, in the format its own translation regime uses
 * (TTBCR.EAE): a permission fault for a refused access to memory the guest has,
 * a synchronous external abort for an address where it has nothing. */
uint32_t s2_guest_fsr(bool lpae, bool permission, bool write)
{
    uint32_t fsr;
    if (lpae)
        fsr = (1u << 9) | (permission ? 0x0fu : 0x10u); /* LPAE; permission L3 / external */
    else
        fsr = permission ? 0x0fu : 0x08u;  /* permission (page) / external */
    return write ? fsr | (1u << 11) : fsr; /* WnR */
}

static bool guest_lpae(void)
{
    return guest_cp15_read(G_TTBCR) & TTBCR_EAE;
}

enum exit_action handle_dabt_low(struct vcpu *v, uint32_t hsr)
{
    uint32_t iss = hsr_iss(hsr);
    bool permission = (ISS_FSC(iss) & 0x3c) == FSC_PERMISSION;
    uint32_t ipa = s2_fault_ipa(v->arch.hpfar, v->arch.hdfar);
    if (trace_exits)
        printk("  stage-2 %s fault at IPA %#x (VA %#x): data abort injected\n",
               permission ? "permission" : "translation", ipa, v->arch.hdfar);
    inject_dabt(v, v->arch.hdfar, s2_guest_fsr(guest_lpae(), permission, iss & ISS_WNR));
    return EXIT_RESUME;
}

enum exit_action handle_iabt_low(struct vcpu *v, uint32_t hsr)
{
    bool permission = (ISS_FSC(hsr_iss(hsr)) & 0x3c) == FSC_PERMISSION;
    if (trace_exits)
        printk("  stage-2 %s fault fetching IPA %#x (VA %#x): prefetch abort injected\n",
               permission ? "permission" : "translation", s2_fault_ipa(v->arch.hpfar, v->arch.hifar),
               v->arch.hifar);
    inject_pabt(v, v->arch.hifar, s2_guest_fsr(guest_lpae(), permission, false));
    return EXIT_RESUME;
}
