/* Benchmark program: instructions per operation, with and without an exit, from the virtual counter.
 *
 * Under QEMU's -icount shift=0 every executed instruction (guest or VMM) advances
 * virtual time by 1 ns, and the virtual counter ticks at CNTFRQ, so
 * instructions = ticks * 1e9 / CNTFRQ. Each line: "BENCH <name> <insns x 100 per op>". */
#include "../hvc.h"
#include "../kernel.h"
#include "../timer.h"

#define ROUNDS 2000u

__attribute__((noinline)) static uint32_t plain_call(uint32_t x)
{
    __asm__ volatile("" ::: "memory");
    return x;
}

static void op_call(void) { plain_call(0); }
static void op_hvc(void) { hvc1(MV_HC_NOP, 0); }
static void op_wfi(void) { __asm__ volatile("wfi"); }
static void op_undef(void) /* CBAR: trapped by HSTR.T15, answered with an undefined instruction */
{
    uint32_t v;
    __asm__ volatile("mrc p15, 4, %0, c15, c0, 0" : "=r"(v));
}

static void op_s2fault(void) /* the VMM's own memory: a stage-2 fault, injected as a data abort */
{
    (void)*(volatile uint32_t *)0x50000000u;
}

/* Lab 3: the same loads from RAM and from the test device (ISV set for LDR,
 * clear for LDRD, which the VMM fetches and decodes). */
static volatile uint32_t ram_words[2];
static uint32_t testdev_base;

static void op_ram_ldr(void) { (void)ram_words[0]; }
static void op_mmio_ldr(void) { (void)*(volatile uint32_t *)testdev_base; }
static void ldrd_from(uint32_t addr)
{
    __asm__ volatile("ldrd r2, r3, [%0]" ::"r"(addr) : "r2", "r3", "memory");
}
static void op_ram_ldrd(void) { ldrd_from((uint32_t)(uintptr_t)ram_words); }
static void op_mmio_ldrd(void) { ldrd_from(testdev_base); }

/* Lab 4: from the virtual timer's deadline to the guest's handler, in
 * instructions (the VMM takes the physical PPI, masks it and injects it). */
static volatile uint64_t irq_seen_at;

static void timer_irq(unsigned id)
{
    (void)id;
    irq_seen_at = cntvct();
    cntv_set_ctl(0);
}

static uint32_t virq_latency(void)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < 200; i++) {
        uint64_t deadline = cntvct() + 2000;
        irq_seen_at = 0;
        cntv_set_cval(deadline);
        cntv_set_ctl(CNTV_CTL_ENABLE);
        while (!irq_seen_at)
            ;
        total += irq_seen_at - deadline;
    }
    return (uint32_t)(total * 100000000000ull / cntfrq() / 200);
}

static uint32_t skip_fault(int kind, struct trap_frame *f)
{
    if (kind == 1)
        return f->lr; /* undefined instruction: the next one */
    if (kind == 4)
        return f->lr - 4; /* data abort: skip the access */
    return 0;
}

/* Instructions x 100 per call of op, the loop's own cost included. */
static uint32_t measure(void (*op)(void))
{
    uint64_t t0 = cntvct();
    for (uint32_t i = 0; i < ROUNDS; i++)
        op();
    uint64_t ticks = cntvct() - t0;
    return (uint32_t)(ticks * 100000000000ull / cntfrq() / ROUNDS);
}

PROGRAM(bench, "bench", "instructions per exit round trip, next to a plain function call")
{
    trap_hook = skip_fault;
    kprintf("BENCH call %u\n", (unsigned)measure(op_call));
    kprintf("BENCH hvc %u\n", (unsigned)measure(op_hvc));
    kprintf("BENCH wfi %u\n", (unsigned)measure(op_wfi));
    kprintf("BENCH undef %u\n", (unsigned)measure(op_undef));
    kprintf("BENCH s2fault %u\n", (unsigned)measure(op_s2fault));
    testdev_base = fdt_device(boot_dtb, "minivmm,testdev");
    if (testdev_base) { /* lab 3 */
        kprintf("BENCH ram_ldr %u\n", (unsigned)measure(op_ram_ldr));
        kprintf("BENCH ram_ldrd %u\n", (unsigned)measure(op_ram_ldrd));
        kprintf("BENCH mmio_isv %u\n", (unsigned)measure(op_mmio_ldr));
        kprintf("BENCH mmio_decode %u\n", (unsigned)measure(op_mmio_ldrd));
    }
    trap_hook = 0;
    if (gic_init()) { /* lab 4: takes over the IRQ exception (no abort hook any more) */
        gic_enable(27, 0xa0, timer_irq);
        irq_on();
        kprintf("BENCH virq %u\n", (unsigned)virq_latency());
        irq_off();
        trap_hook = 0;
    }
    return 0;
}
