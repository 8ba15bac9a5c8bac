/* The board's GICv2 as minivmm uses it: its distributor and CPU interface for physical interrupts (the port's and host drivers'), and GICH for the guest's. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/host_irq.h>
#include <arch/sysreg.h>
#include <arch/vgic.h>
#include <arch/gic.h>

/* QEMU virt's GIC (DESIGN.md, platform facts). */
#define GICD_BASE 0x08000000u
#define GICC_BASE 0x08010000u
#define GICH_BASE 0x08030000u
#define GICC_CTLR 0x00
#define GICC_PMR  0x04
#define GICC_IAR  0x0c
#define GICC_EOIR 0x10
#define GICH_HCR  0x000
#define GICH_VMCR 0x008
#define GICH_APR  0x0f0
#define GICH_LR0  0x100

static volatile uint32_t *reg(uint32_t base, uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(base + off);
}

static void set_priority(unsigned id, uint8_t prio)
{
    *(volatile uint8_t *)(uintptr_t)(GICD_BASE + GICD_IPRIORITYR + id) = prio;
}

/* Host drivers' interrupts (host_irq.h): host wiring, not guest state. */
static struct host_irq {
    unsigned id;
    host_irq_fn fn;
    void *ctx;
} host_irqs[HOST_IRQ_MAX];
static unsigned nhost_irqs;
static bool gic_on; /* gic_init ran: minivmm takes physical interrupts (lab 4) */

/* A host driver's shared peripheral interrupt: level-sensitive (ICFGR bit 1
 * of its field clear), minivmm's priority, to CPU 0, enabled. */
static void route_spi(unsigned intid)
{
    volatile uint32_t *cfg = reg(GICD_BASE, GICD_ICFGR + 4 * (intid / 16));
    *cfg &= ~(2u << 2 * (intid % 16));
    set_priority(intid, 0xa0);
    *(volatile uint8_t *)(uintptr_t)(GICD_BASE + GICD_ITARGETSR + intid) = 1;
    gic_set_enabled(intid, true);
}

/* How many interrupt IDs the board's distributor has (GICD_TYPER.ITLinesNumber). */
static unsigned nr_irqs(void)
{
    return 32 * ((*reg(GICD_BASE, GICD_TYPER) & 0x1f) + 1);
}

/* Only SPIs the board has, and not the UART's. Before gic_init the claim is
 * only recorded: until lab 4 a guest without stage 2 may program the board's
 * GIC itself and must not meet an interrupt it never enabled; a host driver
 * then polls. */
int host_irq_claim(unsigned id, host_irq_fn fn, void *ctx)
{
    if (id < 32 || id >= nr_irqs() || id == HOST_IRQ_UART || !fn || nhost_irqs == HOST_IRQ_MAX)
        return -1;
    for (unsigned i = 0; i < nhost_irqs; i++)
        if (host_irqs[i].id == id)
            return -1;
    host_irqs[nhost_irqs++] = (struct host_irq){id, fn, ctx};
    if (gic_on)
        route_spi(id);
    return 0;
}

bool gic_host_irq(unsigned id)
{
    for (unsigned i = 0; i < nhost_irqs; i++)
        if (host_irqs[i].id == id) {
            host_irqs[i].fn(host_irqs[i].ctx);
            return true;
        }
    return false;
}

/* The interrupts minivmm takes: the maintenance PPI, the guest's virtual timer
 * PPI, the Hyp physical timer's PPI (device timers), the board UART's receive
 * interrupt (SPI 1) and those host drivers claimed, all to CPU 0. */
void gic_init(void)
{
    static const unsigned ours[] = {IRQ_MAINT, IRQ_VTIMER, HOST_IRQ_UART, HOST_IRQ_TIMER};
    arch_timer_deadline(UINT64_MAX); /* CNTHP_CTL is UNKNOWN at reset: off until a device timer arms */
    *reg(GICD_BASE, GICD_CTLR) = 0;
    for (unsigned i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        set_priority(ours[i], 0xa0);
        gic_set_enabled(ours[i], true);
    }
    *(volatile uint8_t *)(uintptr_t)(GICD_BASE + GICD_ITARGETSR + HOST_IRQ_UART) = 1;
    for (unsigned i = 0; i < nhost_irqs; i++)
        route_spi(host_irqs[i].id);
    gic_on = true;
    *reg(GICD_BASE, GICD_CTLR) = 1;
    *reg(GICC_BASE, GICC_PMR) = 0xf0;
    *reg(GICC_BASE, GICC_CTLR) = 1;
}

void gic_set_enabled(unsigned intid, bool on)
{
    uint32_t off = (on ? GICD_ISENABLER : GICD_ICENABLER) + 4 * (intid / 32);
    *reg(GICD_BASE, off) = 1u << (intid % 32);
}

uint32_t gic_ack(void)
{
    return *reg(GICC_BASE, GICC_IAR);
}

void gic_eoi(uint32_t iar)
{
    *reg(GICC_BASE, GICC_EOIR) = iar;
}

uint32_t gich_read_lr(unsigned i)
{
    return *reg(GICH_BASE, GICH_LR0 + 4 * i);
}

void gich_write_lr(unsigned i, uint32_t v)
{
    *reg(GICH_BASE, GICH_LR0 + 4 * i) = v;
}

/* A rebooted guest's CPU interface starts clean: no active priorities left
 * from an interrupt the old run never completed, its PMR and CTLR at reset. */
void gich_reset(void)
{
    *reg(GICH_BASE, GICH_VMCR) = 0;
    *reg(GICH_BASE, GICH_APR) = 0;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        gich_write_lr(i, 0);
}

void gich_write_hcr(uint32_t v)
{
    *reg(GICH_BASE, GICH_HCR) = v;
}

/* The guest CPU interface's own state, for a snapshot: its control (VMCR:
 * enables, PMR, BPR) and its active priorities (APR). */
void gich_read_cpuif(uint32_t *vmcr, uint32_t *apr)
{
    *vmcr = *reg(GICH_BASE, GICH_VMCR);
    *apr = *reg(GICH_BASE, GICH_APR);
}

void gich_write_cpuif(uint32_t vmcr, uint32_t apr)
{
    *reg(GICH_BASE, GICH_VMCR) = vmcr;
    *reg(GICH_BASE, GICH_APR) = apr;
}
