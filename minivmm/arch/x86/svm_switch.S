/* The world switch: svm_vmrun(vmcb_pa, gprs). VMRUN keeps RAX, RSP, RIP and RFLAGS in the VMCB
 * and the host's in VM_HSAVE_PA; the other general registers are the guest's own while it runs,
 * so they are loaded from *gprs before VMRUN and stored back after the #VMEXIT. */
#include <arch/regs.h>

    .section .text
    .globl svm_vmrun
svm_vmrun:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    push %rsi /* gprs, for after the exit */
    mov %rdi, %rax
    mov GPRS_RBX(%rsi), %rbx
    mov GPRS_RCX(%rsi), %rcx
    mov GPRS_RDX(%rsi), %rdx
    mov GPRS_RDI(%rsi), %rdi
    mov GPRS_RBP(%rsi), %rbp
    mov GPRS_R8(%rsi), %r8
    mov GPRS_R9(%rsi), %r9
    mov GPRS_R10(%rsi), %r10
    mov GPRS_R11(%rsi), %r11
    mov GPRS_R12(%rsi), %r12
    mov GPRS_R13(%rsi), %r13
    mov GPRS_R14(%rsi), %r14
    mov GPRS_R15(%rsi), %r15
    mov GPRS_RSI(%rsi), %rsi
    clgi
    vmrun %rax
    /* #VMEXIT: RAX and RSP are the host's again (the VMCB's address, this stack) */
    mov (%rsp), %rax
    mov %rbx, GPRS_RBX(%rax)
    mov %rcx, GPRS_RCX(%rax)
    mov %rdx, GPRS_RDX(%rax)
    mov %rsi, GPRS_RSI(%rax)
    mov %rdi, GPRS_RDI(%rax)
    mov %rbp, GPRS_RBP(%rax)
    mov %r8, GPRS_R8(%rax)
    mov %r9, GPRS_R9(%rax)
    mov %r10, GPRS_R10(%rax)
    mov %r11, GPRS_R11(%rax)
    mov %r12, GPRS_R12(%rax)
    mov %r13, GPRS_R13(%rax)
    mov %r14, GPRS_R14(%rax)
    mov %r15, GPRS_R15(%rax)
    stgi
    pop %rsi
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret
