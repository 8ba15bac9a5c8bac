/* Lab 1 (traps and hypercalls): the ARMv7 trap handlers students write, and the state they use. */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include <minivmm/exit.h>
#include <minivmm/vcpu.h>

/* ---- PSCI (Arm DEN 0022), SMC32 function numbers and return values. */
#define PSCI_VERSION           0x84000000u
#define PSCI_CPU_SUSPEND       0x84000001u
#define PSCI_CPU_OFF           0x84000002u
#define PSCI_CPU_ON            0x84000003u
#define PSCI_AFFINITY_INFO     0x84000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF        0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES          0x8400000au
#define PSCI_VERSION_1_0       0x00010000u
#define PSCI_RET_SUCCESS       0
#define PSCI_RET_NOT_SUPPORTED (-1)
/* SMCCC owner field (bits 29:24) of a function number: 4 = standard secure service (PSCI). */
#define SMCCC_OWNER(fn)      (((fn) >> 24) & 0x3f)
#define SMCCC_OWNER_STANDARD 4

/* One trapped MCR/MRC, decoded from the HSR (ARM ARM B3.13.6, ISS for EC 0x03). */
struct cp15_access {
    uint8_t opc1, crn, crm, opc2;
    uint8_t rt; /* guest register number 0-14 */
    bool read;  /* MRC (register <- CP15) */
};

/* The guest's own PL1 registers that injection reads and writes. */
/* clang-format off */
enum guest_cp15 {
    G_SCTLR, G_VBAR, G_DFSR, G_DFAR, G_IFSR, G_IFAR, G_TTBCR,
    G_TTBR0, G_TTBR1, G_DACR, G_PRRR, G_NMRR, G_CPACR,         /* for a reset (low words) */
    G_CONTEXTIDR, G_TPIDRURW, G_TPIDRURO, G_TPIDRPRW, G_PAR,
    G_CP15_COUNT
};
/* clang-format on */
uint32_t guest_cp15_read(enum guest_cp15 r);
void guest_cp15_write(enum guest_cp15 r, uint32_t v);

/* The guest's virtual timer (struct guest_vtimer, arch/regs.h), in the CPU while the guest runs. */
void guest_vtimer_read(struct guest_vtimer *t);
void guest_vtimer_write(const struct guest_vtimer *t);
/* The guest's VFP/NEON registers (vfp.c), also live in the CPU. */
#define FPEXC_EN (1u << 30)
void guest_vfp_read(struct guest_vfp *f);
void guest_vfp_write(const struct guest_vfp *f);

#define SCTLR_V     (1u << 13) /* high vectors at 0xffff0000 */
#define SCTLR_TE    (1u << 30) /* exceptions taken in Thumb state */
#define SCTLR_EE    (1u << 25) /* big-endian exceptions */
#define TTBCR_EAE   (1u << 31) /* the guest uses the long-descriptor (LPAE) format, also for DFSR/IFSR */
#define PSR_E       (1u << 9)
#define PSR_IT_MASK 0x0600fc00u /* IT[1:0] in bits 26:25, IT[7:2] in bits 15:10 */

/* ---- Framework: the host CPU's values (host_ids.c), and the guest's view of them
 * (cp15_view.c): the same, except that ID_PFR1 hides the Virtualization and
 * Security Extensions (a guest must not try to become a hypervisor itself) and
 * MPIDR describes the guest's single vCPU. */
#define GUEST_MPIDR 0x80000000u /* multiprocessing format, affinity 0 */
void host_cp15_read(struct cp15_view *host);
void cp15_view_init(struct cp15_view *view, const struct cp15_view *host);
#define ID_PFR1_SECURITY_MASK 0x000000f0u
#define ID_PFR1_VIRT_MASK     0x0000f000u

/* ---- Lab 1 student functions. */
/* pc.c: step the guest past the trapped instruction (HSR.IL), keeping Thumb IT state right. */
void arm_advance_pc(struct arm_regs *r, uint32_t hsr);
/* wfx.c: EC 0x01, a trapped WFI or WFE. */
enum exit_action handle_wfx(struct vcpu *v, uint32_t hsr);
/* psci.c: answer the PSCI call in r0-r3; returns the value for r0. */
uint32_t psci_call(struct vcpu *v);
/* psci.c: EC 0x13, a trapped SMC: a PSCI call. */
enum exit_action handle_smc(struct vcpu *v, uint32_t hsr);
/* cp15.c: EC 0x03, a trapped MRC/MCR: decode it, then emulate it from v->arch.cp15. */
void cp15_decode(uint32_t hsr, struct cp15_access *a);
enum exit_action handle_cp15_32(struct vcpu *v, uint32_t hsr);
/* inject.c: deliver an exception to the guest as the hardware would. */
void inject_undef(struct vcpu *v);
void inject_dabt(struct vcpu *v, uint32_t addr, uint32_t fsr);
void inject_pabt(struct vcpu *v, uint32_t addr, uint32_t fsr);

#endif
