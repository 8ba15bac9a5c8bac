/* vcpu_dump: print an ARMv7 guest's register file and last syndrome (for panics and unhandled exits). */
#include <minivmm/console.h>
#include <minivmm/vcpu.h>

static const char *mode_name(uint32_t cpsr)
{
    switch (cpsr & PSR_MODE_MASK) {
    case PSR_MODE_USR: return "usr";
    case PSR_MODE_FIQ: return "fiq";
    case PSR_MODE_IRQ: return "irq";
    case PSR_MODE_SVC: return "svc";
    case PSR_MODE_ABT: return "abt";
    case PSR_MODE_UND: return "und";
    case PSR_MODE_SYS: return "sys";
    default: return "???";
    }
}

void vcpu_dump(const struct vcpu *v)
{
    const struct arm_regs *r = &v->arch.regs;
    printk("guest state (vcpu %u):\n", v->id);
    for (int i = 0; i < 13; i++)
        printk("  r%-2d %08x%s", i, r->r[i], i % 4 == 3 ? "\n" : "");
    printk("\n  pc  %08x  cpsr %08x (%s%s)\n", r->pc, r->cpsr, mode_name(r->cpsr),
           r->cpsr & PSR_T ? ", Thumb" : "");
    printk("  usr sp %08x lr %08x | svc sp %08x lr %08x spsr %08x\n", r->sp_usr, r->lr_usr, r->sp_svc,
           r->lr_svc, r->spsr_svc);
    printk("  abt sp %08x lr %08x | und sp %08x lr %08x | irq sp %08x lr %08x\n", r->sp_abt, r->lr_abt,
           r->sp_und, r->lr_und, r->sp_irq, r->lr_irq);
    printk("  last exit: HSR %08x HDFAR %08x HIFAR %08x HPFAR %08x\n", v->arch.hsr, v->arch.hdfar,
           v->arch.hifar, v->arch.hpfar);
}
