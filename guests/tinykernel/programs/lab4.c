/* Lab 4 test programs: the virtual timer's rate, priority order beyond the list registers, SGIs, masking, and a UART interrupt. */
#include "../hvc.h"
#include "../kernel.h"
#include "../mmio.h"
#include "../timer.h"

#define GICD_CTLR 0x000
#define GICD_ISPENDR 0x200
#define GICD_SGIR 0xf00
#define GICD_SPENDSGIR 0xf20
#define GICC_PMR 0x04
#define GICC_IAR 0x0c
#define IRQ_VTIMER 27
#define IRQ_UART 33

static int need_gic(const char *t)
{
    if (!gic_init()) {
        test_fail(t, "no arm,cortex-a15-gic node in the device tree: lab 4's GIC is off");
        return 1;
    }
    return 0;
}

/* Interrupts taken, in order, by every handler here. */
static volatile unsigned taken_n;
static volatile uint32_t taken[16];

static void record(unsigned id)
{
    if (taken_n < 16)
        taken[taken_n] = id;
    taken_n++;
}

/* Let the VMM run its delivery a few times (each hypercall is an exit and an entry). */
static void settle(void)
{
    for (int i = 0; i < 8; i++)
        hvc1(MV_HC_NOP, 0);
}

/* ---- The virtual timer. */
#define TICKS 10
static uint64_t period, deadline, tick_at[TICKS];

static void timer_tick(unsigned id)
{
    record(id);
    if (taken_n <= TICKS)
        tick_at[taken_n - 1] = cntvct();
    deadline += period;
    cntv_set_cval(deadline); /* drift-free: the next deadline is one period after the last */
}

PROGRAM(lab4_timer, "lab4-timer", "lab 4: the virtual timer interrupts at the programmed rate")
{
    const char *t = "lab4-timer";
    uint32_t frq;
    if (need_gic(t))
        return 1;
    frq = cntfrq();
    period = frq / 1000; /* 1 ms */
    gic_enable(IRQ_VTIMER, 0xa0, timer_tick);
    deadline = cntvct() + period;
    cntv_set_cval(deadline);
    cntv_set_ctl(CNTV_CTL_ENABLE);
    irq_on();
    while (taken_n < TICKS)
        __asm__ volatile("wfi");
    irq_off();
    cntv_set_ctl(0);
    for (unsigned i = 0; i < TICKS; i++)
        CHECK(t, taken[i] == IRQ_VTIMER, "interrupt %u was ID %u, not the virtual timer (27)", i,
              (unsigned)taken[i]);
    uint64_t span = tick_at[TICKS - 1] - tick_at[0], want = (TICKS - 1) * period;
    CHECK(t, span >= want - want / 50 && span <= want + want / 50,
          "%u ticks took %u counter ticks, expected %u (+-2%%)", TICKS - 1, (unsigned)span, (unsigned)want);
    kprintf("lab4-timer: %u ticks of %u counts (1 ms at %u Hz)\n", TICKS, (unsigned)period, (unsigned)frq);
    test_pass(t);
    return 0;
}

/* ---- More pending interrupts than list registers, delivered by priority. */
PROGRAM(lab4_priority, "lab4-priority",
        "lab 4: six pending SPIs, four list registers: all delivered, by priority")
{
    const char *t = "lab4-priority";
    static const uint8_t prio[6] = {0x80, 0x20, 0xa0, 0x40, 0x10, 0x60}; /* SPIs 40-45 */
    static const uint32_t order[6] = {44, 41, 43, 45, 40, 42};
    if (need_gic(t))
        return 1;
    irq_off();
    for (unsigned i = 0; i < 6; i++) {
        gic_enable(40 + i, prio[i], record);
        mmio_write32(gicd_base + GICD_ISPENDR + 4, 1u << (8 + i)); /* SPIs 40-45: ISPENDR1 bits 8-13 */
    }
    settle();
    CHECK(t, taken_n == 0, "an interrupt was taken while the CPU masked them");
    irq_on();
    settle();
    irq_off();
    CHECK(t, taken_n == 6, "%u interrupts taken, expected 6", taken_n);
    for (unsigned i = 0; i < 6; i++)
        CHECK(t, taken[i] == order[i], "interrupt %u taken was %u, expected %u (priority order)", i,
              (unsigned)taken[i], (unsigned)order[i]);
    CHECK(t, (mmio_read32(gicc_base + GICC_IAR) & 0x3ff) == 1023, "nothing pending, yet IAR is not 1023");
    test_pass(t);
    return 0;
}

/* ---- Software-generated interrupts to the guest's own CPU. */
PROGRAM(lab4_sgi, "lab4-sgi", "lab 4: SGIs to self (by filter and by target list) arrive; to others do not")
{
    const char *t = "lab4-sgi";
    if (need_gic(t))
        return 1;
    for (unsigned id = 0; id < 16; id++)
        gic_enable(id, 0x80, record);
    irq_off();
    mmio_write32(gicd_base + GICD_SGIR, 2u << 24 | 5); /* to self */
    settle();
    CHECK(t, mmio_read32(gicd_base + GICD_SPENDSGIR + 4) & 1u << 8, "SGI 5 is not pending in SPENDSGIR");
    irq_on();
    settle();
    mmio_write32(gicd_base + GICD_SGIR, 0u << 24 | 1u << 16 | 7); /* target list: CPU 0 */
    settle();
    mmio_write32(gicd_base + GICD_SGIR, 1u << 24 | 9); /* all but self: nobody */
    settle();
    irq_off();
    CHECK(t, taken_n == 2, "%u SGIs taken, expected 2", taken_n);
    CHECK(t, taken[0] == 5 && taken[1] == 7, "SGIs taken: %u, %u; expected 5, 7", (unsigned)taken[0],
          (unsigned)taken[1]);
    test_pass(t);
    return 0;
}

/* ---- Enable, the distributor switch and the priority mask hold interrupts back. */
PROGRAM(lab4_mask, "lab4-mask",
        "lab 4: disabled, distributor off and priority-masked interrupts wait; then arrive")
{
    const char *t = "lab4-mask";
    if (need_gic(t))
        return 1;
    CHECK(t, (mmio_read32(gicc_base + GICC_IAR) & 0x3ff) == 1023, "nothing pending, yet IAR is not 1023");
    gic_enable(50, 0x80, record);
    gic_disable(50);
    mmio_write32(gicd_base + GICD_ISPENDR + 4, 1u << 18); /* SPI 50 pending, disabled */
    irq_on();
    settle();
    CHECK(t, taken_n == 0, "a disabled interrupt was delivered");
    gic_enable(50, 0x80, record);
    settle();
    CHECK(t, taken_n == 1 && taken[0] == 50, "the interrupt was not delivered once enabled");
    mmio_write32(gicd_base + GICD_CTLR, 0);
    mmio_write32(gicd_base + GICD_ISPENDR + 4, 1u << 18);
    settle();
    CHECK(t, taken_n == 1, "delivered with the distributor off");
    mmio_write32(gicd_base + GICD_CTLR, 1);
    settle();
    CHECK(t, taken_n == 2, "not delivered when the distributor came back on");
    mmio_write32(gicc_base + GICC_PMR, 0x40); /* mask priority 0x80 */
    mmio_write32(gicd_base + GICD_ISPENDR + 4, 1u << 18);
    settle();
    CHECK(t, taken_n == 2, "delivered through a priority mask of 0x40");
    mmio_write32(gicc_base + GICC_PMR, 0xf0);
    settle();
    irq_off();
    CHECK(t, taken_n == 3, "not delivered once the priority mask was raised");
    test_pass(t);
    return 0;
}

/* ---- A receive interrupt from the guest's PL011: echo what the grader types. */
static volatile int got = -1;

static void uart_rx_irq(unsigned id)
{
    (void)id;
    while (!(mmio_read32(uart_base + 0x18) & 0x10)) /* FR.RXFE clear */
        got = (int)(mmio_read32(uart_base) & 0xff);
    mmio_write32(uart_base + 0x44, 0x50); /* ICR: RX, RT */
}

PROGRAM(lab4_uart_irq, "lab4-uart-irq", "lab 4: the PL011's receive interrupt wakes the guest, which echoes")
{
    const char *t = "lab4-uart-irq";
    if (need_gic(t))
        return 1;
    CHECK(t, uart_base, "no PL011 in the device tree: lab 3's devices are off");
    gic_enable(IRQ_UART, 0x80, uart_rx_irq);
    mmio_write32(uart_base + 0x38, 0x50); /* IMSC: RX, RT */
    kprintf("lab4-uart-irq: type a character\n");
    irq_on();
    while (got < 0)
        __asm__ volatile("wfi");
    irq_off();
    kprintf("lab4-uart-irq: echo '%c'\n", got);
    CHECK(t, got == 'x', "received %#x, the grader typed 'x'", (unsigned)got);
    test_pass(t);
    return 0;
}

/* ---- A hostile guest: random writes all over the distributor (IDs beyond
 * the 64 it has included), random SGIs, pending and active bits, with
 * interrupts on. The VMM must keep delivering and keep running. Not graded:
 * an integration test of the reference. */
static void count_irq(unsigned id)
{
    (void)id;
    taken_n++;
}

PROGRAM(hostile_gic, "hostile-gic", "random distributor writes and SGIs: the VMM must survive")
{
    const char *t = "hostile-gic";
    if (need_gic(t))
        return 1;
    rng_seed(nonce_value());
    for (unsigned id = 0; id < 64; id++)
        gic_enable(id, (uint8_t)(rng() & 0xf0), count_irq);
    irq_on();
    for (int i = 0; i < 3000; i++) {
        uint32_t off = rng() % 0x1000, v = rng();
        if (off < 4)
            continue; /* keep the distributor on (CTLR), so that interrupts keep flowing */
        switch (rng() % 4) {
        case 0: mmio_write32(gicd_base + (off & ~3u), v); break;
        case 1: mmio_write8(gicd_base + off, (uint8_t)v); break;
        case 2: (void)mmio_read32(gicd_base + (off & ~3u)); break;
        default: mmio_write32(gicd_base + GICD_SGIR, v & 0x03ff000f); break;
        }
    }
    irq_off();
    /* Undo what the storm may have left: interrupts made active (which only
     * the guest could complete) and pending ones; then one SGI must arrive. */
    for (unsigned w = 0; w < 2; w++) {
        mmio_write32(gicd_base + 0x380 + 4 * w, ~0u); /* ICACTIVER */
        mmio_write32(gicd_base + 0x280 + 4 * w, ~0u); /* ICPENDR */
    }
    for (unsigned w = 0; w < 4; w++)
        mmio_write32(gicd_base + 0xf10 + 4 * w, ~0u); /* CPENDSGIR */
    mmio_write32(gicd_base + GICD_CTLR, 1);
    mmio_write32(gicc_base + GICC_PMR, 0xf0);
    settle();
    mmio_write32(gicd_base + GICD_SGIR, 2u << 24 | 3);
    unsigned before = taken_n;
    gic_enable(3, 0x00, count_irq);
    irq_on();
    settle();
    irq_off();
    CHECK(t, taken_n > before, "after the storm, an SGI to self is no longer delivered");
    kprintf("hostile-gic: 3000 random distributor accesses, %u interrupts taken\n", taken_n);
    test_pass(t);
    return 0;
}
