/* The saved guest register file of an ARMv7 vCPU, shared by the world switch (assembly) and C. */
#ifndef ARCH_REGS_H
#define ARCH_REGS_H

/* Byte offsets into struct arm_regs, used by vectors.S. Keep in step with the
 * struct below: static assertions in hyp.c check every one. */
#define REGS_R0       0
#define REGS_SP_USR   52
#define REGS_LR_USR   56
#define REGS_PC       60
#define REGS_CPSR     64
#define REGS_SP_SVC   68
#define REGS_LR_SVC   72
#define REGS_SPSR_SVC 76
#define REGS_SP_ABT   80
#define REGS_LR_ABT   84
#define REGS_SPSR_ABT 88
#define REGS_SP_UND   92
#define REGS_LR_UND   96
#define REGS_SPSR_UND 100
#define REGS_SP_IRQ   104
#define REGS_LR_IRQ   108
#define REGS_SPSR_IRQ 112
#define REGS_R8_FIQ   116
#define REGS_SP_FIQ   136
#define REGS_LR_FIQ   140
#define REGS_SPSR_FIQ 144
#define REGS_SIZE     148

/* Why guest_enter() returned. */
#define EXIT_KIND_TRAP 1 /* Hyp trap vector: HSR says why */
#define EXIT_KIND_IRQ  2 /* a physical IRQ while the guest ran */
#define EXIT_KIND_FIQ  3

/* CPSR fields. */
#define PSR_MODE_MASK 0x1f
#define PSR_MODE_USR  0x10
#define PSR_MODE_FIQ  0x11
#define PSR_MODE_IRQ  0x12
#define PSR_MODE_SVC  0x13
#define PSR_MODE_ABT  0x17
#define PSR_MODE_HYP  0x1a
#define PSR_MODE_UND  0x1b
#define PSR_MODE_SYS  0x1f
#define PSR_T         (1u << 5)
#define PSR_F         (1u << 6)
#define PSR_I         (1u << 7)
#define PSR_A         (1u << 8)
#define PSR_J         (1u << 24) /* Jazelle state (with T: ThumbEE); cleared on exception entry */

#ifndef __ASSEMBLER__
#include <minivmm/types.h>

struct arm_regs {
    uint32_t r[13];          /* r0-r12 (r8-r12 of every mode but FIQ, which has r8_fiq[]) */
    uint32_t sp_usr, lr_usr; /* User/System r13, r14 */
    uint32_t pc;             /* where the guest resumes (ELR_hyp) */
    uint32_t cpsr;           /* the guest's CPSR (SPSR_hyp at the exit) */
    uint32_t sp_svc, lr_svc, spsr_svc;
    uint32_t sp_abt, lr_abt, spsr_abt;
    uint32_t sp_und, lr_und, spsr_und;
    uint32_t sp_irq, lr_irq, spsr_irq;
    uint32_t r8_fiq[5], sp_fiq, lr_fiq, spsr_fiq;
};

/* What the guest reads from the trapped CP15 registers: every CRn=0 register
 * (identification and cache geometry, trapped by HSTR.T0) and ACTLR (HCR.TAC). */
#define CCSIDR_COUNT 14 /* CSSELR values 0-13: levels 1-7, data/unified and instruction */
struct cp15_view {
    uint32_t midr, ctr, tcmtr, tlbtr, mpidr, revidr;
    uint32_t id_pfr0, id_pfr1, id_dfr0, id_afr0;
    uint32_t id_mmfr[4];
    uint32_t id_isar[6];
    uint32_t clidr, aidr;
    uint32_t ccsidr[CCSIDR_COUNT]; /* indexed by CSSELR */
    uint32_t csselr;               /* the guest's own cache-size selection (read/write) */
    uint32_t actlr;
};

/* The guest's virtual timer, which lives in the CPU while the guest runs. */
struct guest_vtimer {
    uint32_t ctl;  /* CNTV_CTL: ENABLE, IMASK (ISTATUS is read-only) */
    uint64_t cval; /* CNTV_CVAL: the compare value */
    uint64_t voff; /* CNTVOFF: virtual count = physical count - voff */
};

/* The guest's VFP/NEON registers, which it owns (minivmm never uses them). */
#define VFP_DREGS 32
struct guest_vfp {
    uint64_t d[VFP_DREGS];
    uint32_t fpscr;
    uint32_t fpexc; /* only EN (bit 30) is the guest's to set: no VFP exceptions on this CPU */
};

/* The architecture's part of a vCPU. */
struct arch_vcpu {
    struct arm_regs regs;
    struct cp15_view cp15;     /* what trapped CP15 reads return (lab 1) */
    uint32_t cp15_at_boot[32]; /* the guest's own CP15 registers at first boot (enum guest_cp15) */
    bool cp15_saved;
    bool idregs_native; /* the VM's idregs=native: CSSELR lives in the CPU, not in the view (hyp.c) */
    /* The guest's own CP15 registers and virtual timer live in the CPU while
     * it runs; a snapshot copies them here first (vcpu_snapshot.c), so that
     * all of the vCPU's state can be reached in memory. */
    uint32_t cp15_live[32]; /* enum guest_cp15 */
    struct guest_vtimer vtimer;
    struct guest_vfp vfp;
    uint32_t hsr; /* syndrome of the last trap */
    uint32_t hdfar, hifar, hpfar;
    uint8_t exit_kind; /* EXIT_KIND_IRQ or _FIQ, for an ARCH_EXIT_IRQ exit */
};

/* Enter the guest with this register file; returns an EXIT_KIND_* when it
 * traps, with the guest's registers saved back into *regs (vectors.S). */
int guest_enter(struct arm_regs *regs);

/* Guest register n (0-15) as the guest's current mode sees it (banked r13/r14,
 * FIQ's r8-r12); the SPSR and LR of a given mode (NULL SPSR for usr/sys). */
uint32_t *arm_reg(struct arm_regs *r, unsigned n);
uint32_t *arm_spsr(struct arm_regs *r, uint32_t mode);
uint32_t *arm_lr(struct arm_regs *r, uint32_t mode);

/* Hypercall argument i (0 = function number) and the result register. */
static inline uint32_t arch_hc_arg(const struct arch_vcpu *a, int i) { return a->regs.r[i]; }
static inline void arch_hc_set_ret(struct arch_vcpu *a, uint32_t v) { a->regs.r[0] = v; }
static inline uint32_t arch_pc(const struct arch_vcpu *a) { return a->regs.pc; }
#endif

#endif
