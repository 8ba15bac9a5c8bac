/* x86 (AMD SVM) exit classes as the core counts them: the sparse VMCB exit codes mapped to compact classes. */
#ifndef ARCH_EXIT_CLASS_H
#define ARCH_EXIT_CLASS_H

#include <minivmm/types.h>

/* The classes (arch_exit_name names them; svm_exit_class() in exits.c maps an EXITCODE to one).
 * A guest may use these numbers with MV_HC_EXIT_COUNT. */
enum x86_exit_class {
    X86_EXIT_OTHER = 0,     /* an exit code without a class of its own (the code is in the report) */
    X86_EXIT_EXCP = 1,      /* an intercepted exception, 0x40-0x5f (the vector is EXITCODE - 0x40) */
    X86_EXIT_NMI = 2,       /* 0x61 */
    X86_EXIT_CPUID = 3,     /* 0x72 */
    X86_EXIT_HLT = 4,       /* 0x78 */
    X86_EXIT_IOIO = 5,      /* 0x7b: IN, OUT, INS, OUTS (the I/O permission map is all ones) */
    X86_EXIT_MSR = 6,       /* 0x7c: RDMSR, WRMSR (the MSR permission map is all ones) */
    X86_EXIT_SHUTDOWN = 7,  /* 0x7f: a triple fault */
    X86_EXIT_VMRUN = 8,     /* 0x80 */
    X86_EXIT_VMMCALL = 9,   /* 0x81: minivmm's hypercalls */
    X86_EXIT_SVM_INSN = 10, /* 0x82-0x86: VMLOAD, VMSAVE, STGI, CLGI, SKINIT */
    X86_EXIT_NPF = 11,      /* 0x400: a nested page fault */
    X86_EXIT_INVALID = 12,  /* -1: VMRUN refused the VMCB's guest state */
};

#define ARCH_EXIT_CLASSES 13                /* the classes the core counts one by one */
#define EXIT_CLASSES      ARCH_EXIT_CLASSES /* lab 0's name for it */
#define ARCH_EXIT_IRQ     ARCH_EXIT_CLASSES /* a physical interrupt (exit code 0x60; counted apart) */

#endif
