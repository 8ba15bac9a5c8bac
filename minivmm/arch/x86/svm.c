/* SVM: turning it on, the guest's VMCB (32-bit protected mode, flat, paging off, behind nested
 * paging) with its intercepts and permission maps, and one entry into the guest. */
#include <minivmm/arch.h>
#include <minivmm/arch_exit.h>
#include <minivmm/console.h>
#include <minivmm/hostfs.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>
#include <arch/svm.h>
#include <arch/x86.h>

static uint8_t hsave[4096] __attribute__((aligned(4096)));
static struct vmcb guest_vmcb;
static uint8_t iopm[3 * 4096] __attribute__((aligned(4096)));  /* one bit per port: all intercepted */
static uint8_t msrpm[2 * 4096] __attribute__((aligned(4096))); /* two bits per MSR: all intercepted */

void svm_init(void)
{
    uint32_t r[4];
    cpuid(0x80000000u, 0, r);
    bool svm = false, npt = false;
    if (r[0] >= 0x8000000au) {
        cpuid(0x80000001u, 0, r);
        svm = r[2] & (1u << 2);
        cpuid(0x8000000au, 0, r);
        npt = r[3] & 1u;
    }
    if (!svm || !npt) {
        printk("minivmm: this CPU has no AMD SVM%s: run QEMU with -cpu qemu64,+svm,+npt\n",
               svm ? " nested paging" : "");
        host_exit(MV_EXIT_PANIC);
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        printk("minivmm: SVM is disabled (VM_CR.SVMDIS)\n");
        host_exit(MV_EXIT_PANIC);
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)hsave);
}

static struct vmcb_seg flat(uint16_t sel, uint16_t attrib)
{
    return (struct vmcb_seg){.selector = sel, .attrib = attrib, .limit = 0xffffffffu, .base = 0};
}

/* The boot protocol (docs/architecture/porting.rst): 32-bit protected mode, flat 4 GiB code (0x08)
 * and data (0x10) segments, paging and interrupts off, EIP = the ELF entry, EBX = the device
 * tree's guest-physical address (as ARM's r2), every other register 0. */
void arch_vcpu_init(struct vcpu *v, uint32_t entry, uint32_t dtb)
{
    struct vmcb *vmcb = &guest_vmcb;
    struct vmcb_control *c = &vmcb->control;
    struct vmcb_save *s = &vmcb->save;
    memset(vmcb, 0, sizeof(*vmcb));
    memset(iopm, 0xff, sizeof(iopm));
    memset(msrpm, 0xff, sizeof(msrpm));
    c->intercept_exceptions =
        0xffffffffu; /* the guest has no IDT yet: every exception is minivmm's to report */
    c->intercept_misc1 =
        INTERCEPT_NMI | INTERCEPT_CPUID | INTERCEPT_HLT | INTERCEPT_IOIO | INTERCEPT_MSR | INTERCEPT_SHUTDOWN;
    c->intercept_misc2 = INTERCEPT2_SVM_ALL;
    c->iopm_base_pa = (uint64_t)(uintptr_t)iopm;
    c->msrpm_base_pa = (uint64_t)(uintptr_t)msrpm;
    c->asid = GUEST_ASID;
    c->tlb_control = TLB_CONTROL_FLUSH_ALL;
    c->int_ctl = 1u << 24; /* V_INTR_MASKING: the guest's IF masks only virtual interrupts */
    c->nested_ctl = NESTED_CTL_NP_ENABLE;
    c->nested_cr3 = (uint64_t)(uintptr_t)v->vm->arch.npt_pml4;

    s->cs = flat(0x08, 0xc9b); /* present, DPL 0, code exec/read accessed, 32-bit, 4 KiB granules */
    s->ds = s->es = s->ss = s->fs = s->gs = flat(0x10, 0xc93);
    s->ldtr = (struct vmcb_seg){0};
    s->tr = (struct vmcb_seg){.attrib = 0x8b, .limit = 0x67}; /* a busy 32-bit TSS, as after reset */
    s->cpl = 0;
    s->efer = EFER_SVME; /* VMRUN refuses a guest without it */
    s->cr0 = 0x11;       /* PE, ET */
    s->dr6 = 0xffff0ff0u;
    s->dr7 = 0x400;
    s->rflags = 0x2;
    s->g_pat = 0x0007040600070406ull;

    memset(&v->arch, 0, sizeof(v->arch));
    v->arch.vmcb = vmcb;
    v->arch.rip = entry;
    v->arch.regs.rbx = dtb;
}

uint32_t arch_vcpu_enter(struct vcpu *v)
{
    struct arch_vcpu *a = &v->arch;
    struct vmcb *vmcb = a->vmcb;
    vmcb->save.rip = a->rip;
    vmcb->save.rax = a->regs.rax;
    svm_vmrun((uint64_t)(uintptr_t)vmcb, &a->regs);
    a->rip = vmcb->save.rip;
    a->regs.rax = vmcb->save.rax;
    a->exitcode = vmcb->control.exit_code;
    a->exitinfo1 = vmcb->control.exit_info1;
    a->exitinfo2 = vmcb->control.exit_info2;
    a->exitintinfo = vmcb->control.exit_int_info;
    vmcb->control.tlb_control = 0;
    return svm_exit_class(a->exitcode);
}

void svm_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error)
{
    v->arch.vmcb->control.event_inj = vector | (3u << 8) /* exception */ | (has_error ? 1u << 11 : 0) |
                                      (1u << 31) /* valid */ | ((uint64_t)error << 32);
}
