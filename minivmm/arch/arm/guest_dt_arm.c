/* The ARM platform's part of the guest's device tree: the CPU, PSCI, the GIC and the timer (lab 4), and the UART's interrupt and clock. */
#include <minivmm/string.h>
#include <minivmm/arch.h>
#include <minivmm/fdt.h>
#include <minivmm/vm.h>
#include <arch/gic.h>
#include <arch/vgic.h>
#include <devices/pci.h>

#define PHANDLE_GIC    1
#define PHANDLE_CLK    2
#define GIC_SPI        0
#define GIC_PPI        1
#define IRQ_LEVEL_HIGH 4
#define PPI_CPU0       0x100 /* GICv2 PPI flags: the CPU mask, CPU 0 only */

/* Several strings in one property ("a\0b\0"): sizeof keeps every NUL. */
#define PROP_STRS(w, name, strs) fdt_prop((w), (name), (strs), sizeof(strs))

static void cpus(struct fdt_writer *w)
{
    fdt_begin_node(w, "cpus");
    fdt_prop_u32(w, "#address-cells", 1);
    fdt_prop_u32(w, "#size-cells", 0);
    fdt_begin_node(w, "cpu@0");
    fdt_prop_str(w, "device_type", "cpu");
    fdt_prop_str(w, "compatible", "arm,cortex-a15");
    fdt_prop_u32(w, "reg", 0);
    fdt_end_node(w);
    fdt_end_node(w);
}

/* PSCI over HVC (lab 1 answers it): SYSTEM_OFF, SYSTEM_RESET; CPU_ON is NOT_SUPPORTED. */
static void psci(struct fdt_writer *w)
{
    fdt_begin_node(w, "psci");
    PROP_STRS(w, "compatible", "arm,psci-1.0\0arm,psci-0.2");
    fdt_prop_str(w, "method", "hvc");
    fdt_end_node(w);
}

/* The guest's GIC: distributor emulated, CPU interface = the board's GICV. */
static void gic(struct fdt_writer *w)
{
    const uint32_t reg[] = {GUEST_GICD_IPA, GICD_SIZE, GUEST_GICC_IPA, GICV_SIZE};
    fdt_begin_node(w, "intc@8000000");
    fdt_prop_str(w, "compatible", "arm,cortex-a15-gic");
    fdt_prop_cells(w, "reg", reg, 4);
    fdt_prop(w, "interrupt-controller", NULL, 0);
    fdt_prop_u32(w, "#interrupt-cells", 3);
    fdt_prop_u32(w, "#address-cells", 0); /* no child nodes; dtc's interrupt_provider check wants it */
    fdt_prop_u32(w, "phandle", PHANDLE_GIC);
    fdt_end_node(w);
}

/* The architected timer: secure and non-secure physical, virtual, hyp PPIs
 * (13, 14, 11, 10 = IDs 29, 30, 27, 26). The guest uses the virtual one. */
static void timer(struct fdt_writer *w)
{
    const uint32_t f = PPI_CPU0 | IRQ_LEVEL_HIGH;
    const uint32_t irqs[] = {GIC_PPI, 13, f, GIC_PPI, 14, f, GIC_PPI, 11, f, GIC_PPI, 10, f};
    fdt_begin_node(w, "timer");
    fdt_prop_str(w, "compatible", "arm,armv7-timer");
    fdt_prop_cells(w, "interrupts", irqs, 12);
    fdt_end_node(w);
}

/* The PL011's reference clock, which Linux's AMBA bus wants described. */
static void clock(struct fdt_writer *w)
{
    fdt_begin_node(w, "apb-pclk");
    fdt_prop_str(w, "compatible", "fixed-clock");
    fdt_prop_u32(w, "#clock-cells", 0);
    fdt_prop_u32(w, "clock-frequency", 24000000);
    fdt_prop_str(w, "clock-output-names", "clk24mhz");
    fdt_prop_u32(w, "phandle", PHANDLE_CLK);
    fdt_end_node(w);
}

/* The console: the guest's PL011, once it exists (lab 3). */
void arch_guest_dt_chosen(struct fdt_writer *w, const struct vm *vm)
{
    if (vm_find_device(vm, "pl011"))
        fdt_prop_str(w, "stdout-path", "/pl011@9000000");
}

/* Every interrupt in the tree goes to the GIC, once the guest has one (lab 4). */
void arch_guest_dt_root(struct fdt_writer *w, const struct vm *vm)
{
    if (vm_has(vm, VM_F_IRQS))
        fdt_prop_u32(w, "interrupt-parent", PHANDLE_GIC);
}

void arch_guest_dt(struct fdt_writer *w, const struct vm *vm)
{
    cpus(w);
    psci(w);
    clock(w);
    if (!vm_has(vm, VM_F_IRQS))
        return;
    gic(w);
    timer(w);
}

/* The PCI host bridge's node (lab 5), as Linux's pci-host-ecam-generic reads
 * it: three-cell PCI addresses, the two windows in ranges, and INTx pins
 * swizzled onto four SPIs by an interrupt-map like QEMU's virt board's. */
#define PCI_SPACE_IO  0x01000000u
#define PCI_SPACE_MEM 0x02000000u
static void pci_host_props(struct fdt_writer *w, const struct device *d)
{
    const struct pci_host_params *p = d->slot->params;
    const uint32_t bus_range[] = {0, p->last_bus};
    const uint32_t ranges[] = {PCI_SPACE_IO,  0, 0,          p->io_cpu,  0, p->io_size,
                               PCI_SPACE_MEM, 0, p->mem_cpu, p->mem_cpu, 0, p->mem_size};
    const uint32_t mask[] = {3u << 11, 0, 0, 7};
    uint32_t map[4 * 4 * 8], *m = map;
    for (uint32_t dev = 0; dev < 4; dev++) {
        for (uint32_t pin = 1; pin <= 4; pin++) {
            const uint32_t e[] = {dev << 11,
                                  0,
                                  0,
                                  pin,
                                  PHANDLE_GIC,
                                  GIC_SPI,
                                  PCI_INTX_LINE(GUEST_PCI_INTX_IRQ, dev, pin) - 32,
                                  IRQ_LEVEL_HIGH};
            memcpy(m, e, sizeof(e));
            m += 8;
        }
    }
    fdt_prop_str(w, "device_type", "pci");
    fdt_prop_u32(w, "#address-cells", 3);
    fdt_prop_u32(w, "#size-cells", 2);
    fdt_prop_u32(w, "#interrupt-cells", 1);
    fdt_prop_cells(w, "bus-range", bus_range, 2);
    fdt_prop_cells(w, "ranges", ranges, ARRAY_SIZE(ranges));
    fdt_prop_cells(w, "interrupt-map-mask", mask, 4);
    fdt_prop_cells(w, "interrupt-map", map, ARRAY_SIZE(map));
    fdt_prop(w, "dma-coherent", NULL, 0);
}

/* Inside a device's node: what a driver needs beyond compatible and reg. */
void arch_guest_dt_device(struct fdt_writer *w, const struct vm *vm, const struct device *d)
{
    if (!strcmp(d->type->name, "pci-host")) {
        pci_host_props(w, d);
        return;
    }
    if (strcmp(d->type->name, "pl011"))
        return;
    const uint32_t clocks[] = {PHANDLE_CLK, PHANDLE_CLK};
    PROP_STRS(w, "clock-names", "uartclk\0apb_pclk");
    fdt_prop_cells(w, "clocks", clocks, 2);
    if (vm_has(vm, VM_F_IRQS)) {
        const uint32_t irq[] = {GIC_SPI, (uint32_t)d->slot->irq - 32, IRQ_LEVEL_HIGH};
        fdt_prop_cells(w, "interrupts", irq, 3);
    }
}
