/* The x86 exit table: EXITCODEs mapped to compact classes, one handler per class, traces and reports. */
#include <minivmm/arch.h>
#include <minivmm/arch_exit.h>
#include <minivmm/bus.h>
#include <minivmm/console.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>
#include <arch/svm.h>
#include <arch/x86.h>

#define X86_UD    6
#define X86_GP    13
#define RFLAGS_IF (1u << 9)

static const char *const class_names[ARCH_EXIT_CLASSES] = {
    [X86_EXIT_OTHER] = "OTHER",     [X86_EXIT_EXCP] = "EXCP",         [X86_EXIT_NMI] = "NMI",
    [X86_EXIT_CPUID] = "CPUID",     [X86_EXIT_HLT] = "HLT",           [X86_EXIT_IOIO] = "IOIO",
    [X86_EXIT_MSR] = "MSR",         [X86_EXIT_SHUTDOWN] = "SHUTDOWN", [X86_EXIT_VMRUN] = "VMRUN",
    [X86_EXIT_VMMCALL] = "VMMCALL", [X86_EXIT_SVM_INSN] = "SVM_INSN", [X86_EXIT_NPF] = "NPF",
    [X86_EXIT_INVALID] = "INVALID",
};

uint32_t svm_exit_class(uint64_t code)
{
    if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32)
        return X86_EXIT_EXCP;
    if (code >= SVM_EXIT_VMLOAD && code <= SVM_EXIT_SKINIT)
        return X86_EXIT_SVM_INSN;
    switch (code) {
    case SVM_EXIT_INTR: return ARCH_EXIT_IRQ;
    case SVM_EXIT_NMI: return X86_EXIT_NMI;
    case SVM_EXIT_CPUID: return X86_EXIT_CPUID;
    case SVM_EXIT_HLT: return X86_EXIT_HLT;
    case SVM_EXIT_IOIO: return X86_EXIT_IOIO;
    case SVM_EXIT_MSR: return X86_EXIT_MSR;
    case SVM_EXIT_SHUTDOWN: return X86_EXIT_SHUTDOWN;
    case SVM_EXIT_VMRUN: return X86_EXIT_VMRUN;
    case SVM_EXIT_VMMCALL: return X86_EXIT_VMMCALL;
    case SVM_EXIT_NPF: return X86_EXIT_NPF;
    case SVM_EXIT_INVALID: return X86_EXIT_INVALID;
    default: return X86_EXIT_OTHER;
    }
}

const char *arch_exit_name(uint32_t cls)
{
    if (cls == ARCH_EXIT_IRQ)
        return "IRQ";
    return cls < ARCH_EXIT_CLASSES ? class_names[cls] : "RESERVED";
}

void arch_trace_exit(const struct vcpu *v, uint32_t cls)
{
    printk("[exit %llu] %-8s code=%#llx rip=%08x info1=%#llx info2=%#llx\n",
           (unsigned long long)v->stats.total, arch_exit_name(cls), (unsigned long long)v->arch.exitcode,
           arch_pc(&v->arch), (unsigned long long)v->arch.exitinfo1, (unsigned long long)v->arch.exitinfo2);
}

/* VMMCALL (0f 01 d9): TCG saves no next RIP, and the instruction has one form. */
static enum exit_action vmmcall_exit(struct vcpu *v)
{
    v->arch.rip += 3;
    return hypercall_dispatch(v);
}

/* CPUID (0f a2): the host's answer, without SVM (the guest cannot nest) and with the
 * hypervisor bit set. */
static enum exit_action cpuid_exit(struct vcpu *v)
{
    struct x86_gprs *g = &v->arch.regs;
    uint32_t leaf = (uint32_t)g->rax, r[4];
    cpuid(leaf, (uint32_t)g->rcx, r);
    if (leaf == 1)
        r[2] |= 1u << 31;
    else if (leaf == 0x80000001u)
        r[2] &= ~(1u << 2);
    else if (leaf == 0x8000000au)
        r[0] = r[1] = r[2] = r[3] = 0;
    g->rax = r[0];
    g->rbx = r[1];
    g->rcx = r[2];
    g->rdx = r[3];
    v->arch.rip += 2;
    return EXIT_RESUME;
}

/* HLT with interrupts off stops the guest for good: the machine is switched off. With
 * interrupts on it would wait for one, and this board has none yet. */
static enum exit_action hlt_exit(struct vcpu *v)
{
    if (!(v->arch.vmcb->save.rflags & RFLAGS_IF)) {
        printk("minivmm: guest halted with interrupts off at %#x: powering off\n", arch_pc(&v->arch));
        vmm_exit(MV_EXIT_OK);
    }
    printk(
        "minivmm: the guest waits for an interrupt (HLT with interrupts on), but this board has none yet\n");
    return EXIT_UNHANDLED;
}

/* IN and OUT (EXITINFO1: port in bits 31:16, size in 6:4, string 2, IN 0; EXITINFO2: the next
 * RIP). A port nobody claims on the port-I/O bus reads all ones and ignores writes, as on a PC. */
static enum exit_action ioio_exit(struct vcpu *v)
{
    uint64_t info = v->arch.exitinfo1;
    if (info & (1u << 2)) {
        printk("minivmm: string port I/O (INS/OUTS) is not emulated yet\n");
        return EXIT_UNHANDLED;
    }
    struct bus_req req = {.width = info & (1u << 4) ? 1 : info & (1u << 5) ? 2 : 4, .write = !(info & 1)};
    uint32_t mask = req.width == 4 ? 0xffffffffu : (1u << (req.width * 8)) - 1;
    if (req.write)
        req.val = (uint32_t)v->arch.regs.rax & mask;
    if (bus_access(&v->vm->pio, (uint32_t)(info >> 16) & 0xffff, &req) != BUS_OK)
        req.val = 0xffffffffu;
    if (!req.write)
        v->arch.regs.rax = (v->arch.regs.rax & ~(uint64_t)mask) | (req.val & mask);
    v->arch.rip = v->arch.exitinfo2;
    return EXIT_RESUME;
}

/* RDMSR, WRMSR: no MSR is the guest's yet, so each takes #GP(0), as an unknown MSR does. */
static enum exit_action msr_exit(struct vcpu *v)
{
    svm_inject_exception(v, X86_GP, true, 0);
    return EXIT_RESUME;
}

/* VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT: the guest has no SVM (CPUID says so): #UD. */
static enum exit_action svm_insn_exit(struct vcpu *v)
{
    svm_inject_exception(v, X86_UD, false, 0);
    return EXIT_RESUME;
}

static enum exit_action resume(struct vcpu *v)
{
    (void)v;
    return EXIT_RESUME;
}

static enum exit_action shutdown_exit(struct vcpu *v)
{
    printk("minivmm: the guest shut down (a triple fault)\n");
    (void)v;
    return EXIT_UNHANDLED;
}

static enum exit_action npf_exit(struct vcpu *v)
{
    v->vm->arch.npf_count++;
    return EXIT_UNHANDLED; /* nothing but guest RAM is mapped, and all of it is */
}

typedef enum exit_action (*exit_handler)(struct vcpu *v);
static const exit_handler handlers[ARCH_EXIT_CLASSES] = {
    [X86_EXIT_NMI] = resume,          [X86_EXIT_CPUID] = cpuid_exit,     [X86_EXIT_HLT] = hlt_exit,
    [X86_EXIT_IOIO] = ioio_exit,      [X86_EXIT_MSR] = msr_exit,         [X86_EXIT_SHUTDOWN] = shutdown_exit,
    [X86_EXIT_VMRUN] = svm_insn_exit, [X86_EXIT_VMMCALL] = vmmcall_exit, [X86_EXIT_SVM_INSN] = svm_insn_exit,
    [X86_EXIT_NPF] = npf_exit,
};

enum exit_action arch_handle_exit(struct vcpu *v, uint32_t cls)
{
    if (cls == ARCH_EXIT_IRQ)
        return EXIT_RESUME; /* minivmm takes no interrupts yet: nothing is pending */
    exit_handler h = cls < ARCH_EXIT_CLASSES ? handlers[cls] : NULL;
    return h ? h(v) : EXIT_UNHANDLED;
}

void arch_report_unhandled(const struct vcpu *v)
{
    const struct arch_vcpu *a = &v->arch;
    uint32_t cls = svm_exit_class(a->exitcode);
    printk("\nminivmm: unhandled guest exit: class %u (%s) at rip %08x, exit code %#llx, EXITINFO1 %#llx, "
           "EXITINFO2 %#llx\n",
           cls, arch_exit_name(cls), arch_pc(a), (unsigned long long)a->exitcode,
           (unsigned long long)a->exitinfo1, (unsigned long long)a->exitinfo2);
    if (cls == X86_EXIT_EXCP)
        printk("minivmm: the guest took exception %u (%s)\n", (unsigned)(a->exitcode - SVM_EXIT_EXCP_BASE),
               x86_exception_name((unsigned)(a->exitcode - SVM_EXIT_EXCP_BASE)));
    else if (cls == X86_EXIT_NPF)
        printk("minivmm: nested page fault at guest-physical %#llx: outside guest RAM (%#x-%#x)\n",
               (unsigned long long)a->exitinfo2, v->vm->ram_ipa, v->vm->ram_ipa + v->vm->ram_size - 1);
    else if (cls == X86_EXIT_INVALID)
        printk("minivmm: VMRUN refused the guest state in the VMCB (VMEXIT_INVALID)\n");
    vcpu_dump(v);
}

void vcpu_dump(const struct vcpu *v)
{
    const struct x86_gprs *g = &v->arch.regs;
    const struct vmcb_save *s = v->arch.vmcb ? &v->arch.vmcb->save : NULL;
    printk("guest: eax %08llx ebx %08llx ecx %08llx edx %08llx\n", (unsigned long long)g->rax,
           (unsigned long long)g->rbx, (unsigned long long)g->rcx, (unsigned long long)g->rdx);
    printk("guest: esi %08llx edi %08llx ebp %08llx esp %08llx\n", (unsigned long long)g->rsi,
           (unsigned long long)g->rdi, (unsigned long long)g->rbp, (unsigned long long)(s ? s->rsp : 0));
    if (s)
        printk("guest: eip %08llx eflags %08llx cr0 %08llx cr3 %08llx cr4 %08llx efer %08llx\n",
               (unsigned long long)v->arch.rip, (unsigned long long)s->rflags, (unsigned long long)s->cr0,
               (unsigned long long)s->cr3, (unsigned long long)s->cr4, (unsigned long long)s->efer);
}

int arch_inject_fault(struct vcpu *v, uint32_t kind, uint32_t addr, uint32_t status)
{
    (void)addr;
    (void)status;
    if (kind != MV_FAULT_UNDEF)
        return -1;
    svm_inject_exception(v, X86_UD, false, 0);
    return 0;
}
