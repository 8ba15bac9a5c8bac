/* minivmm's own IDT: an exception in the VMM is a panic that names it (and ends QEMU with status 70). */
#include <minivmm/console.h>
#include <minivmm/hostfs.h>
#include <minivmm/panic.h>
#include <arch/svm.h>

/* What vectors.S pushed, lowest address first. */
struct x86_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

struct idt_gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
};

static struct idt_gate idt[32] __attribute__((aligned(16)));
extern const uint64_t isr_table[32];
extern const struct x86_frame *x86_fault_frame;

static const char *const names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM no FPU",
    "#DF double fault",
    "coprocessor overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization",
    "#CP control protection",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved",
};

const char *x86_exception_name(unsigned vector)
{
    return vector < 32 ? names[vector] : "not an exception";
}

void idt_init(void)
{
    for (unsigned i = 0; i < 32; i++) {
        uint64_t a = isr_table[i];
        idt[i] = (struct idt_gate){.off0 = (uint16_t)a,
                                   .sel = 0x08,
                                   .type = 0x8e, /* present 64-bit interrupt gate */
                                   .off1 = (uint16_t)(a >> 16),
                                   .off2 = (uint32_t)(a >> 32)};
    }
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) d = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(d));
}

void x86_dump_frame(const struct x86_frame *f)
{
    printk("host: rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)f->rax,
           (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    printk("host: rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n", (unsigned long long)f->rsi,
           (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->rsp);
    printk("host: rip %016llx rflags %08llx cs %04llx ss %04llx\n", (unsigned long long)f->rip,
           (unsigned long long)f->rflags, (unsigned long long)f->cs, (unsigned long long)f->ss);
}

void x86_exception(const struct x86_frame *f);
void x86_exception(const struct x86_frame *f)
{
    static bool nested;
    if (nested) { /* the panic itself faulted: say the least, and stop */
        printk("\nminivmm PANIC: CPU exception %llu at rip %#llx while reporting one\n",
               (unsigned long long)f->vector, (unsigned long long)f->rip);
        host_exit(MV_EXIT_PANIC);
    }
    nested = true;
    x86_fault_frame = f;
    uint64_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    panic("CPU exception %llu (%s) in minivmm at rip %#llx, error code %#llx, cr2 %#llx",
          (unsigned long long)f->vector, x86_exception_name((unsigned)f->vector), (unsigned long long)f->rip,
          (unsigned long long)f->error, (unsigned long long)cr2);
}
