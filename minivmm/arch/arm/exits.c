/* Exit dispatch for ARMv7: one handler per HSR exception class, in a table; a trace line per exit on demand. */
#include <minivmm/arch_exit.h>
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>
#include <arch/cache_sw.h>
#include <arch/hsr.h>
#include <arch/mmio_emul.h>
#include <arch/stage2.h>
#include <arch/traps.h>

typedef enum exit_action (*ec_handler)(struct vcpu *v, uint32_t hsr);

/* HVC carries minivmm's own calls and PSCI (Linux's "hvc" conduit), told
 * apart by the SMCCC owner field. Its return address is already the next
 * instruction. */
static enum exit_action handle_hvc(struct vcpu *v, uint32_t hsr)
{
    (void)hsr;
    if (SMCCC_OWNER(vcpu_hc_arg(v, 0)) == SMCCC_OWNER_STANDARD) {
        vcpu_hc_ret(v, psci_call(v));
        return EXIT_RESUME;
    }
    return hypercall_dispatch(v);
}

#define ISS_CM    (1u << 8) /* a cache maintenance operation by address */
#define ISS_S1PTW (1u << 7) /* the guest's own table walk faulted, not its access */

/* A stage-2 data abort is a device access when a device claims the IPA (lab 3);
 * anything else is the guest touching memory it does not have (lab 2). A
 * stage-1 table walk that reaches a device's IPA is not an access to the
 * device (HPFAR holds the table entry's address): the guest gets an abort. */
static enum exit_action handle_dabt(struct vcpu *v, uint32_t hsr)
{
    uint32_t iss = hsr_iss(hsr);
    if (vm_has(v->vm, VM_F_DEVICES) && !(iss & ISS_S1PTW)) {
        uint32_t ipa = s2_fault_ipa(v->arch.hpfar, v->arch.hdfar);
        if ((iss & ISS_CM) && mmio_find(&v->vm->mmio, ipa, 1)) {
            arm_advance_pc(&v->arch.regs, HSR_IL); /* cleaning a device's "cache line": nothing to do */
            return EXIT_RESUME;
        }
        enum exit_action a = mmio_handle_abort(v, hsr, ipa);
        if (a != EXIT_UNHANDLED)
            return a;
    }
    return handle_dabt_low(v, hsr);
}

/* WFI sleeps until the guest has an interrupt to take, once it has a GIC (lab 4). */
static enum exit_action handle_wfx_sleep(struct vcpu *v, uint32_t hsr)
{
    enum exit_action a = handle_wfx(v, hsr);
    if (a == EXIT_RESUME && vm_has(v->vm, VM_F_IRQS) && !(hsr_iss(hsr) & 1))
        arch_wait_for_interrupt(v->vm);
    return a;
}

/* A trapped MRC/MCR: set/way cache maintenance (HCR.TSW) is the framework's,
 * everything else (the CRn=0 ID registers, ACTLR) is lab 1's. */
static enum exit_action handle_cp15(struct vcpu *v, uint32_t hsr)
{
    if (cache_sw_is_op(hsr))
        return handle_cache_sw(v, hsr);
    return handle_cp15_32(v, hsr);
}

/* MRRC/MCRR of a trapped 64-bit CP15 register: with lab 4, the physical timer's
 * CNTP_CVAL (CNTHCTL.PL1PCEN = 0). The guest has no physical timer: undefined. */
static enum exit_action handle_cp15_64(struct vcpu *v, uint32_t hsr)
{
    if (trace_exits)
        printk("  64-bit CP15 access (opc1 %u, CRm %u): undefined instruction injected\n",
               (hsr_iss(hsr) >> 16) & 0xf, (hsr_iss(hsr) >> 1) & 0xf);
    inject_undef(v);
    return EXIT_RESUME;
}

/* MRC/MCR of a debug register (HDCR.TDA). minivmm offers the guest no debug
 * hardware: DBGDIDR reads as 0, "no debug architecture", which is all Linux
 * asks before leaving breakpoints alone. Any other debug register is not
 * emulated: the exit stays unhandled (and visible) like any unknown class. */
#define ISS_CP_READ     1u
#define ISS_CP_REG_MASK 0x000ffc1eu /* Opc2, Opc1, CRn, CRm: which register */
#define ISS_DBGDIDR     0u          /* MRC p14, 0, Rt, c0, c0, 0 */

static enum exit_action handle_cp14(struct vcpu *v, uint32_t hsr)
{
    uint32_t iss = hsr_iss(hsr), rt = (iss >> 5) & 0xf;
    if (!(iss & ISS_CP_READ) || (iss & ISS_CP_REG_MASK) != ISS_DBGDIDR)
        return EXIT_UNHANDLED;
    if (trace_exits)
        printk("  DBGDIDR read: 0 (no debug architecture)\n");
    if (rt != 15)
        *arm_reg(&v->arch.regs, rt) = 0;
    arm_advance_pc(&v->arch.regs, hsr);
    return EXIT_RESUME;
}

/* Indexed by HSR.EC. A NULL entry is an exit class minivmm does not handle. */
/* clang-format off */
static const ec_handler ec_handlers[EXIT_CLASSES] = {
    [EC_WFI_WFE] = handle_wfx_sleep, /* lab 1 (lab 4: the sleep) */
    [EC_CP15_32] = handle_cp15,    /* lab 1, and set/way maintenance */
    [EC_CP15_64] = handle_cp15_64,
    [EC_CP14_32] = handle_cp14,
    [EC_HVC] = handle_hvc,
    [EC_SMC] = handle_smc,        /* lab 1 */
    [EC_IABT_LOW] = handle_iabt_low, /* lab 2 */
    [EC_DABT_LOW] = handle_dabt,  /* labs 2 and 3 */
};
/* clang-format on */

/* clang-format off */
static const char *const ec_names[EXIT_CLASSES] = {
    [EC_UNKNOWN] = "UNKNOWN",     [EC_WFI_WFE] = "WFI/WFE",   [EC_CP15_32] = "CP15_32",
    [EC_CP15_64] = "CP15_64",     [EC_CP14_32] = "CP14_32",   [EC_CP14_LDC] = "CP14_LDC",
    [EC_CP_ACCESS] = "CP_ACCESS", [EC_CP10_ID] = "CP10_ID",   [EC_JAZELLE] = "JAZELLE",
    [EC_BXJ] = "BXJ",             [EC_CP14_64] = "CP14_64",   [EC_HVC] = "HVC",
    [EC_SMC] = "SMC",             [EC_IABT_LOW] = "IABT_LOW", [EC_IABT_HYP] = "IABT_HYP",
    [EC_DABT_LOW] = "DABT_LOW",   [EC_DABT_HYP] = "DABT_HYP",
};
/* clang-format on */

const char *exit_class_name(uint32_t ec)
{
    if (ec < EXIT_CLASSES && ec_names[ec])
        return ec_names[ec];
    return "RESERVED";
}

const char *arch_exit_name(uint32_t cls)
{
    return cls == ARCH_EXIT_IRQ ? "IRQ" : exit_class_name(cls);
}

void arch_trace_exit(const struct vcpu *v, uint32_t cls)
{
    if (cls == ARCH_EXIT_IRQ)
        printk("[exit %llu] IRQ      pc=%08x\n", (unsigned long long)v->stats.total, v->arch.regs.pc);
    else
        printk("[exit %llu] %-8s ec=%#04x pc=%08x hsr=%08x\n", (unsigned long long)v->stats.total,
               exit_class_name(cls), cls, v->arch.regs.pc, v->arch.hsr);
}

/* A physical interrupt while the guest ran: lab 4's to take. Before lab 4,
 * minivmm leaves the host's interrupts off, so one arriving is a VMM bug. */
static enum exit_action __attribute__((noinline)) irq_exit(struct vcpu *v)
{
    if (v->arch.exit_kind != EXIT_KIND_IRQ || !vm_has(v->vm, VM_F_IRQS))
        panic("physical %s while the guest ran: no interrupt handling before lab 4",
              v->arch.exit_kind == EXIT_KIND_FIQ ? "FIQ" : "IRQ");
    arch_handle_irqs(v->vm);
    return EXIT_RESUME;
}

/* A trapped instruction whose condition failed: stepped over, if some lab
 * handles its class (an unhandled class stays unhandled). */
static enum exit_action __attribute__((noinline)) cond_failed(struct vcpu *v, uint32_t cls)
{
    if (!ec_handlers[cls])
        return EXIT_UNHANDLED;
    arm_advance_pc(&v->arch.regs, v->arch.hsr);
    return EXIT_RESUME;
}

/* A trap: its handler from the table by HSR.EC (cls, below 64). The table
 * is read last, so that the common path (a handler) is a tail call. */
enum exit_action arch_handle_exit(struct vcpu *v, uint32_t cls)
{
    if (cls == ARCH_EXIT_IRQ)
        return irq_exit(v);
    cls &= EXIT_CLASSES - 1;
    uint32_t hsr = v->arch.hsr;
    if (!hsr_cond_passed(hsr, v->arch.regs.cpsr))
        return cond_failed(v, cls);
    ec_handler h = ec_handlers[cls];
    return h ? h(v, hsr) : EXIT_UNHANDLED;
}

void arch_report_unhandled(const struct vcpu *v)
{
    uint32_t hsr = v->arch.hsr, ec = hsr_ec(hsr);
    printk("\nminivmm: unhandled guest exit: class %#x (%s) at pc %08x, HSR %08x (ISS %#x, IL %u)\n", ec,
           exit_class_name(ec), v->arch.regs.pc, hsr, hsr_iss(hsr), hsr_insn_len(hsr) * 8);
    vcpu_dump(v);
}
