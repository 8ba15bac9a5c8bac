/* AMD SVM: the VMCB (AMD64 APM volume 2, appendix B), its intercept bits and exit codes. */
#ifndef ARCH_SVM_H
#define ARCH_SVM_H

#include <minivmm/types.h>

struct vmcb_seg {
    uint16_t selector;
    uint16_t attrib; /* descriptor bits 40-47 and 52-55, packed */
    uint32_t limit;  /* in bytes */
    uint64_t base;
};

struct vmcb_control {              /* offset */
    uint32_t intercept_cr;         /* 0x000: reads (bits 0-15), writes (16-31) */
    uint32_t intercept_dr;         /* 0x004 */
    uint32_t intercept_exceptions; /* 0x008: one bit per vector */
    uint32_t intercept_misc1;      /* 0x00c: INTERCEPT_* below */
    uint32_t intercept_misc2;      /* 0x010: INTERCEPT2_* below */
    uint32_t intercept_misc3;      /* 0x014 */
    uint8_t reserved1[0x3c - 0x18];
    uint16_t pause_filter_thresh; /* 0x03c */
    uint16_t pause_filter_count;  /* 0x03e */
    uint64_t iopm_base_pa;        /* 0x040 */
    uint64_t msrpm_base_pa;       /* 0x048 */
    uint64_t tsc_offset;          /* 0x050 */
    uint32_t asid;                /* 0x058 */
    uint8_t tlb_control;          /* 0x05c */
    uint8_t reserved2[3];
    uint64_t int_ctl;        /* 0x060: V_TPR, V_IRQ, V_INTR_MASKING... */
    uint64_t int_state;      /* 0x068: interrupt shadow */
    uint64_t exit_code;      /* 0x070 */
    uint64_t exit_info1;     /* 0x078 */
    uint64_t exit_info2;     /* 0x080 */
    uint64_t exit_int_info;  /* 0x088 */
    uint64_t nested_ctl;     /* 0x090: bit 0 enables nested paging */
    uint64_t avic_vapic_bar; /* 0x098 */
    uint64_t ghcb_pa;        /* 0x0a0 */
    uint64_t event_inj;      /* 0x0a8 */
    uint64_t nested_cr3;     /* 0x0b0 */
    uint64_t virt_ext;       /* 0x0b8 */
    uint32_t clean;          /* 0x0c0 */
    uint32_t reserved3;
    uint64_t next_rip;      /* 0x0c8 (not saved by QEMU's TCG: no nRIP) */
    uint8_t insn_len;       /* 0x0d0 */
    uint8_t insn_bytes[15]; /* 0x0d1 */
    uint8_t reserved4[0x400 - 0xe0];
};

struct vmcb_save {        /* offset from the VMCB's start */
    struct vmcb_seg es;   /* 0x400 */
    struct vmcb_seg cs;   /* 0x410 */
    struct vmcb_seg ss;   /* 0x420 */
    struct vmcb_seg ds;   /* 0x430 */
    struct vmcb_seg fs;   /* 0x440 */
    struct vmcb_seg gs;   /* 0x450 */
    struct vmcb_seg gdtr; /* 0x460 */
    struct vmcb_seg ldtr; /* 0x470 */
    struct vmcb_seg idtr; /* 0x480 */
    struct vmcb_seg tr;   /* 0x490 */
    uint8_t reserved1[0x4cb - 0x4a0];
    uint8_t cpl; /* 0x4cb */
    uint32_t reserved2;
    uint64_t efer; /* 0x4d0 */
    uint8_t reserved3[0x548 - 0x4d8];
    uint64_t cr4;    /* 0x548 */
    uint64_t cr3;    /* 0x550 */
    uint64_t cr0;    /* 0x558 */
    uint64_t dr7;    /* 0x560 */
    uint64_t dr6;    /* 0x568 */
    uint64_t rflags; /* 0x570 */
    uint64_t rip;    /* 0x578 */
    uint8_t reserved4[0x5d8 - 0x580];
    uint64_t rsp; /* 0x5d8 */
    uint8_t reserved5[0x5f8 - 0x5e0];
    uint64_t rax; /* 0x5f8 */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t cr2; /* 0x640 */
    uint8_t reserved6[0x668 - 0x648];
    uint64_t g_pat; /* 0x668 */
};

struct vmcb {
    struct vmcb_control control;
    struct vmcb_save save;
    uint8_t reserved[0x1000 - 0x670];
} __attribute__((aligned(4096)));

_Static_assert(__builtin_offsetof(struct vmcb, control.iopm_base_pa) == 0x040, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, control.exit_code) == 0x070, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, control.nested_cr3) == 0x0b0, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, control.insn_bytes) == 0x0d1, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save) == 0x400, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cpl) == 0x4cb, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4d0, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rip) == 0x578, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5d8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5f8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB layout");
_Static_assert(sizeof(struct vmcb) == 0x1000, "VMCB layout");

/* intercept_misc1 */
#define INTERCEPT_INTR     (1u << 0)
#define INTERCEPT_NMI      (1u << 1)
#define INTERCEPT_CPUID    (1u << 18)
#define INTERCEPT_HLT      (1u << 24)
#define INTERCEPT_IOIO     (1u << 27)
#define INTERCEPT_MSR      (1u << 28)
#define INTERCEPT_SHUTDOWN (1u << 31)
/* intercept_misc2 */
#define INTERCEPT2_VMRUN   (1u << 0) /* VMRUN refuses a VMCB without it */
#define INTERCEPT2_VMMCALL (1u << 1)
#define INTERCEPT2_SVM_ALL 0x7fu /* VMRUN, VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, SKINIT */

/* Exit codes (EXITCODE). */
#define SVM_EXIT_EXCP_BASE 0x040u
#define SVM_EXIT_INTR      0x060u
#define SVM_EXIT_NMI       0x061u
#define SVM_EXIT_CPUID     0x072u
#define SVM_EXIT_HLT       0x078u
#define SVM_EXIT_IOIO      0x07bu
#define SVM_EXIT_MSR       0x07cu
#define SVM_EXIT_SHUTDOWN  0x07fu
#define SVM_EXIT_VMRUN     0x080u
#define SVM_EXIT_VMMCALL   0x081u
#define SVM_EXIT_VMLOAD    0x082u
#define SVM_EXIT_SKINIT    0x086u
#define SVM_EXIT_NPF       0x400u
#define SVM_EXIT_INVALID   ((uint64_t)-1)

#define NESTED_CTL_NP_ENABLE  1u
#define TLB_CONTROL_FLUSH_ALL 1u

/* The world switch (svm_switch.S): load the guest's general registers from gprs, VMRUN the
 * VMCB at host-physical vmcb_pa, and save them back at the #VMEXIT. */
struct x86_gprs;
void svm_vmrun(uint64_t vmcb_pa, struct x86_gprs *gprs);

/* SVM on this CPU (svm.c): checks CPUID for SVM and nested paging, sets EFER.SVME and VM_HSAVE_PA. */
void svm_init(void);
/* Make the guest take exception vector (with error code error if has_error) at its RIP (svm.c). */
struct vcpu;
void svm_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error);
/* The compact class (<arch/exit_class.h>) of an EXITCODE (exits.c). */
uint32_t svm_exit_class(uint64_t code);
/* An exception vector's name, "#UD invalid opcode" (idt.c). */
const char *x86_exception_name(unsigned vector);
/* The nested page tables of vm's RAM (npt.c). */
struct vm;
void npt_build(struct vm *vm);
/* The host-physical address behind guest-physical gpa, or -1 (npt.c). */
int npt_translate(const struct vm *vm, uint64_t gpa, uint64_t *hpa);

#endif
