/* tinykernel's GICv2 driver: find the GIC in the device tree, enable interrupts, and run a handler per interrupt ID. */
#include "kernel.h"
#include "mmio.h"

#define GICD_CTLR 0x000
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_IPRIORITYR 0x400
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
#define NR_IRQS 64

uint32_t gicd_base, gicc_base;
static irq_handler handlers[NR_IRQS];

/* The IRQ exception: acknowledge, run the handler, end of interrupt. A
 * spurious acknowledge (1023) does nothing. */
static uint32_t irq_entry(int kind, struct trap_frame *f)
{
    if (kind != 6)
        return 0;
    uint32_t iar = mmio_read32(gicc_base + GICC_IAR), id = iar & 0x3ff;
    if (id < NR_IRQS && handlers[id])
        handlers[id](id);
    if (id != 1023)
        mmio_write32(gicc_base + GICC_EOIR, iar);
    return f->lr - 4;
}

bool gic_init(void)
{
    gicd_base = fdt_device(boot_dtb, "arm,cortex-a15-gic");
    if (!gicd_base)
        return false;
    gicc_base = gicd_base + 0x10000; /* the virt board's layout */
    mmio_write32(gicd_base + GICD_CTLR, 1);
    mmio_write32(gicc_base + GICC_PMR, 0xf0);
    mmio_write32(gicc_base + GICC_CTLR, 1);
    trap_hook = irq_entry;
    return true;
}

void gic_enable(unsigned id, uint8_t priority, irq_handler h)
{
    handlers[id] = h;
    mmio_write8(gicd_base + GICD_IPRIORITYR + id, priority);
    mmio_write32(gicd_base + GICD_ISENABLER + 4 * (id / 32), 1u << (id % 32));
}

void gic_disable(unsigned id) { mmio_write32(gicd_base + GICD_ICENABLER + 4 * (id / 32), 1u << (id % 32)); }
