/* The saved guest state of an x86 (AMD SVM) vCPU: the general registers VMRUN does not keep, and the last exit. */
#ifndef ARCH_REGS_H
#define ARCH_REGS_H

/* Byte offsets into struct x86_gprs, used by svm_switch.S. */
#define GPRS_RAX 0
#define GPRS_RBX 8
#define GPRS_RCX 16
#define GPRS_RDX 24
#define GPRS_RSI 32
#define GPRS_RDI 40
#define GPRS_RBP 48
#define GPRS_R8  56
#define GPRS_R9  64
#define GPRS_R10 72
#define GPRS_R11 80
#define GPRS_R12 88
#define GPRS_R13 96
#define GPRS_R14 104
#define GPRS_R15 112

#ifndef __ASSEMBLER__
#include <minivmm/types.h>

/* The guest's general registers but RSP (RAX, RSP, RIP and RFLAGS live in the VMCB
 * while the guest runs; arch_vcpu_enter copies RAX and RIP in and out). */
struct x86_gprs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vmcb;

/* The architecture's part of a vCPU. */
struct arch_vcpu {
    struct x86_gprs regs;
    uint64_t rip;      /* where the guest resumes (written to the VMCB at each entry) */
    struct vmcb *vmcb; /* the guest's control and save areas (host-physical = virtual) */
    uint64_t exitcode; /* the last #VMEXIT's EXITCODE, EXITINFO1/2 and EXITINTINFO */
    uint64_t exitinfo1, exitinfo2, exitintinfo;
};

/* Hypercall argument i (0 = function number, in EAX; then EBX, ECX, EDX) and the result (EAX). */
static inline uint32_t arch_hc_arg(const struct arch_vcpu *a, int i)
{
    switch (i) {
    case 0: return (uint32_t)a->regs.rax;
    case 1: return (uint32_t)a->regs.rbx;
    case 2: return (uint32_t)a->regs.rcx;
    default: return (uint32_t)a->regs.rdx;
    }
}
static inline void arch_hc_set_ret(struct arch_vcpu *a, uint32_t v)
{
    a->regs.rax = v;
}
static inline uint32_t arch_pc(const struct arch_vcpu *a)
{
    return (uint32_t)a->rip;
}
#endif

#endif
