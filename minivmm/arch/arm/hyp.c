/* ARMv7 Hyp-mode set-up and guest entry: configure traps, enter the guest, say what kind of exit came back. */
#include <minivmm/arch.h>
#include <minivmm/arch_exit.h>
#include <minivmm/alloc.h>
#include <minivmm/console.h>
#include <minivmm/hostfs.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>
#include <arch/hsr.h>
#include <arch/sysreg.h>
#include <arch/stage2.h>
#include <arch/traps.h>
#include <arch/vgic.h>

#define CHECK_OFF(field, off) _Static_assert(offsetof(struct arm_regs, field) == (off), #field)
CHECK_OFF(r, REGS_R0);
CHECK_OFF(sp_usr, REGS_SP_USR);
CHECK_OFF(lr_usr, REGS_LR_USR);
CHECK_OFF(pc, REGS_PC);
CHECK_OFF(cpsr, REGS_CPSR);
CHECK_OFF(sp_svc, REGS_SP_SVC);
CHECK_OFF(spsr_svc, REGS_SPSR_SVC);
CHECK_OFF(sp_abt, REGS_SP_ABT);
CHECK_OFF(sp_und, REGS_SP_UND);
CHECK_OFF(sp_irq, REGS_SP_IRQ);
CHECK_OFF(spsr_irq, REGS_SPSR_IRQ);
CHECK_OFF(r8_fiq, REGS_R8_FIQ);
CHECK_OFF(sp_fiq, REGS_SP_FIQ);
CHECK_OFF(lr_fiq, REGS_LR_FIQ);
CHECK_OFF(spsr_fiq, REGS_SPSR_FIQ);
_Static_assert(sizeof(struct arm_regs) == REGS_SIZE, "struct arm_regs size");

extern char __vmm_start[], __vmm_end[], __heap_start[], __heap_end[];

/* Traps every guest gets from the framework: SMC (PSCI), WFI/WFE, ACTLR (HCR.TAC),
 * every CRn=0 CP15 register (HSTR.T0; QEMU 7.2 does not implement HCR.TID3 for
 * ARMv7 CPUs) and the IMPLEMENTATION DEFINED CRn=15 space (HSTR.T15: a guest must
 * not reach the host core's own configuration), all for lab 1; debug-register
 * accesses (HDCR.TDA: exits.c answers DBGDIDR only); and set/way cache
 * maintenance (HCR.TSW), which the framework does safely (cache_sw.c). */
#define GUEST_HCR  (HCR_TSC | HCR_TWI | HCR_TWE | HCR_TAC | HCR_TSW)
#define HSTR_T0    (1u << 0)
#define HSTR_T15   (1u << 15)
#define GUEST_HSTR (HSTR_T0 | HSTR_T15)
/* PMU accesses trap too (HDCR.TPM/TPMCR): no lab emulates a PMU, and a guest
 * must not program the host's counters. */
#define GUEST_HDCR     (HDCR_TDA | HDCR_TDOSA | HDCR_TDRA | HDCR_TPM | HDCR_TPMCR)
#define HDCR_HPMN_MASK 0x1fu

/* idregs=native (what Linux runs with): HSTR.T0 off, so the guest reads the
 * CRn=0 registers without an exit. Linux reads CTR for every cache
 * maintenance by address (80,000 exits in one boot); MIDR and MPIDR still
 * come from the view (VPIDR, VMPIDR), the others are the CPU's own (ID_PFR1
 * then shows the Virtualization and Security Extensions), and CSSELR is the
 * guest's, in the CPU. T15 stays: the host core's configuration is never the
 * guest's to see. */
static uint32_t guest_hstr(const struct vm *vm)
{
    return vm->idregs_native ? GUEST_HSTR & ~HSTR_T0 : GUEST_HSTR;
}

/* Called by boot.S, before any Hyp register is touched, when QEMU did not start us in Hyp mode. */
void arch_wrong_mode(uint32_t mode) NORETURN;
void arch_wrong_mode(uint32_t mode)
{
    printk("minivmm: started in mode %#x, not Hyp (0x1a): run QEMU with "
           "-M virt,virtualization=on\n",
           mode);
    host_exit(MV_EXIT_PANIC);
}

void arch_init(void)
{
    heap_init(__heap_start, (size_t)(__heap_end - __heap_start));
}

void arch_vmm_range(uint32_t *start, uint32_t *end)
{
    *start = (uint32_t)(uintptr_t)__vmm_start;
    *end = (uint32_t)(uintptr_t)__vmm_end;
}

/* The guest's PL1 registers live in the CPU: keep their values from the first
 * boot, and put them back on a reset, so a rebooted guest starts as the first
 * one did (MMU off, its vectors, no stale translations). */
static void reset_guest_cp15(struct arch_vcpu *a)
{
    _Static_assert(G_CP15_COUNT <= ARRAY_SIZE(a->cp15_at_boot), "cp15_at_boot is too small");
    if (!a->cp15_saved) {
        for (int i = 0; i < G_CP15_COUNT; i++)
            a->cp15_at_boot[i] = guest_cp15_read((enum guest_cp15)i);
        a->cp15_saved = true;
        return;
    }
    for (int i = 0; i < G_CP15_COUNT; i++)
        guest_cp15_write((enum guest_cp15)i, a->cp15_at_boot[i]);
    dsb();
    tlbi_allnsnh();
    __asm__ volatile("mcr p15, 0, %0, c7, c5, 0" ::"r"(0) : "memory"); /* ICIALLU */
    dsb();
    isb();
}

/* Linux's ARM boot protocol, which tinykernel follows too: SVC mode with
 * interrupts masked, r0 = 0, r1 = ~0 (no machine number), r2 = the DTB. */
void arch_vcpu_init(struct vcpu *v, uint32_t entry, uint32_t dtb)
{
    struct arm_regs *r = &v->arch.regs;
    memset(r, 0, sizeof(*r));
    r->r[1] = ~0u;
    r->r[2] = dtb;
    r->pc = entry;
    r->cpsr = PSR_MODE_SVC | PSR_A | PSR_I | PSR_F;
    reset_guest_cp15(&v->arch);
    struct cp15_view host;
    host_cp15_read(&host);
    cp15_view_init(&v->arch.cp15, &host);
    bool irqs = vm_has(v->vm, VM_F_IRQS);
    write_hcr(GUEST_HCR | (irqs ? HCR_IMO : 0)); /* lab 4: IRQs come to minivmm */
    if (irqs) {
        write_cnthctl(vtimer_cnthctl());
        guest_vtimer_write(&(struct guest_vtimer){0}); /* off; CNTVOFF = 0: virtual = physical count */
    }
    if (vm_has(v->vm, VM_F_STAGE2))
        s2_enable(&v->vm->arch.s2, v->vm->arch.vmid);
    write_hdcr((read_hdcr() & HDCR_HPMN_MASK) | GUEST_HDCR); /* HPMN: as reset left it */
    write_hcptr(0); /* no coprocessor traps: the guest owns VFP/NEON (the VMM never uses it) */
    isb();
    guest_vfp_write(&(struct guest_vfp){0}); /* as after a real reset: the unit off, its registers clear */
    write_hstr(guest_hstr(v->vm));
    v->arch.idregs_native = v->vm->idregs_native;
    if (v->arch.idregs_native)
        write_csselr(v->arch.cp15.csselr); /* the view's reset value, now the CPU's */
    write_vpidr(v->arch.cp15.midr);
    write_vmpidr(v->arch.cp15.mpidr);
    isb();
}

/* Save the syndrome registers of this exit for handlers and reports. */
static void read_syndrome(struct vcpu *v)
{
    v->arch.hsr = read_hsr();
    v->arch.hdfar = read_hdfar();
    v->arch.hifar = read_hifar();
    v->arch.hpfar = read_hpfar();
}

/* After an exit, read back the list registers. If the guest completed an
 * interrupt (or this is an interrupt exit), the LRs may need refilling: a
 * level-sensitive line still high, or interrupts waiting for a free LR. */
_Static_assert(VGIC_NR_LRS == 4, "sync_lrs tests four list registers at once");
static void sync_lrs(struct vm *vm, int kind)
{
    const uint32_t *lr = vm->arch.vgic->lr;
    uint32_t before[VGIC_NR_LRS];
    bool changed = false;
    if (kind == EXIT_KIND_IRQ)
        vm->arch.vgic_dirty = true;
    if (!(lr[0] | lr[1] | lr[2] | lr[3])) /* no LR in use: nothing to read back */
        return;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++) /* word loops: this runs on every exit */
        before[i] = lr[i];
    vgic_sync_lrs(vm->arch.vgic);
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        changed |= before[i] != lr[i];
    if (changed)
        vm->arch.vgic_dirty = true;
}

/* Not a trap: a physical IRQ or FIQ; the handler checks which (exits.c). */
static uint32_t __attribute__((noinline)) interrupt_exit(struct vcpu *v, int kind)
{
    v->arch.exit_kind = (uint8_t)kind;
    return ARCH_EXIT_IRQ;
}

/* One guest run: the list registers filled before, read back after (lab 4),
 * and the syndrome of a trap saved for its handler. */
uint32_t arch_vcpu_enter(struct vcpu *v)
{
    struct vm *vm = v->vm;
    bool irqs = vm_has(vm, VM_F_IRQS);
    if (irqs)
        arch_vgic_enter(vm);
    int kind = guest_enter(&v->arch.regs);
    if (irqs)
        sync_lrs(vm, kind);
    if (kind != EXIT_KIND_TRAP)
        return interrupt_exit(v, kind);
    read_syndrome(v);
    return hsr_ec(v->arch.hsr);
}

void arch_dump_host(const void *caller)
{
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    printk("host state: panic called from %p, sp %#x\n"
           "  HSCTLR %#x HCR %#x HDCR %#x HVBAR %#x\n",
           caller, sp, read_hsctlr(), read_hcr(), read_hdcr(), read_hvbar());
}

static const char *const fault_names[] = {
    "reset", "undefined instruction", "SVC/HVC", "prefetch abort", "data abort",
};

/* A fault taken in Hyp mode: a VMM bug. regs = r0-r12, lr as pushed by vectors.S. */
void hyp_fault(int kind, const uint32_t *regs) NORETURN;
void hyp_fault(int kind, const uint32_t *regs)
{
    uint32_t elr;
    __asm__ volatile("mrs %0, ELR_hyp" : "=r"(elr));
    printk("\nminivmm: %s in the hypervisor itself at pc %#x\n"
           "  HSR %#x HDFAR %#x HIFAR %#x\n",
           fault_names[kind], elr, read_hsr(), read_hdfar(), read_hifar());
    for (int i = 0; i < 13; i++)
        printk("  r%-2d %08x%s", i, regs[i], i % 4 == 3 ? "\n" : "");
    printk("  lr  %08x\n", regs[13]);
    panic("hypervisor fault");
}
