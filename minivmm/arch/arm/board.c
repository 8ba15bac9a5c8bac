/* The ARM virt board minivmm presents: which devices exist, where, wired to which interrupt; what the labs done so far enable. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/device.h>
#include <minivmm/vm.h>
#include <arch/cache_sw.h>
#include <arch/mmio_emul.h>
#include <arch/stage2.h>
#include <arch/vgic.h>
#include <arch/vm.h>
#include <devices/hda.h>
#include <devices/pci.h>
#include <devices/testdev.h>
#include <devices/vpl011.h>

/* Where QEMU's virt board has them, so that the same drivers find them. The
 * distributor comes first: the other devices' interrupt lines go to it. The
 * GIC's node (two reg ranges, the CPU interface mapped, not emulated) is
 * written by guest_dt_arm.c. */
static const struct pci_host_params pci_windows = {
    GUEST_PCI_IO_IPA,
    GUEST_PCI_IO_SIZE,
    GUEST_PCI_MEM_IPA,
    GUEST_PCI_MEM_SIZE,
    GUEST_PCI_ECAM_SIZE / 0x100000u - 1,
};

#define VM_F_LAB5 (VM_F_DEVICES | VM_F_IRQS | VM_F_PCI)
#define VM_F_LAB6 (VM_F_LAB5 | VM_F_HDA)

/* clang-format off */
static const struct board_slot virt_slots[] = {
    /* type      base               size              irq             node       compatible */
    { "gicd",    GUEST_GICD_IPA,    GICD_SIZE,        -1,             NULL,      NULL, 0,
      VM_F_DEVICES | VM_F_IRQS, NULL, false },
    { "pl011",   GUEST_PL011_IPA,   UART_REGION_SIZE, IRQ_GUEST_UART, "pl011",   "arm,pl011\0arm,primecell",
      sizeof("arm,pl011\0arm,primecell"), VM_F_DEVICES, NULL, false },
    { "testdev", GUEST_TESTDEV_IPA, TESTDEV_SIZE,     -1,             "testdev", "minivmm,testdev", 0,
      VM_F_DEVICES, NULL, false },
    /* The host bridge before the devices behind it; a PCI slot's base is its device number. */
    { "pci-host", GUEST_PCI_ECAM_IPA, GUEST_PCI_ECAM_SIZE, -1,          "pcie",    "pci-host-ecam-generic", 0,
      VM_F_LAB5, &pci_windows, false },
    { "ne2000",  GUEST_NE2000_DEV,  0, PCI_INTX_LINE(GUEST_PCI_INTX_IRQ, GUEST_NE2000_DEV, 1), NULL, NULL, 0,
      VM_F_LAB5, NULL, true },
    { "hda",     GUEST_HDA_DEV,     0, PCI_INTX_LINE(GUEST_PCI_INTX_IRQ, GUEST_HDA_DEV, 1), NULL, NULL, 0,
      VM_F_LAB6, NULL, true },
};
/* clang-format on */

const struct board arch_board = {"virt", virt_slots, ARRAY_SIZE(virt_slots)};

/* Devices need stage 2 (lab 2): only then does a guest access to their
 * addresses fault into the VMM instead of reaching the board's own hardware.
 * Interrupts need devices (the distributor is one). */
uint32_t arch_vm_features(void)
{
    if (!lab2_stage2_enabled) {
        printk("minivmm: stage 2 is off (lab 2, 'Task 3: turning stage 2 on'): "
               "the guest sees host physical memory\n");
        printk("minivmm: no devices for the guest (%s)\n",
               lab3_mmio_enabled ? "stage 2 is off: lab 2" : "lab 3, 'Task 1: the MMIO path'");
        return 0;
    }
    if (!lab3_mmio_enabled) {
        printk("minivmm: no devices for the guest (lab 3, 'Task 1: the MMIO path')\n");
        return VM_F_STAGE2;
    }
    if (!lab4_vgic_enabled) {
        printk("minivmm: no interrupts for the guest (lab 4, 'Task 1: the distributor')\n");
        return VM_F_STAGE2 | VM_F_DEVICES;
    }
    if (!lab5_pci_enabled) {
        printk("minivmm: no PCI bus for the guest (lab 5, 'Task 1: configuration space')\n");
        return VM_F_STAGE2 | VM_F_DEVICES | VM_F_IRQS;
    }
    if (!lab6_hda_enabled) {
        printk("minivmm: no sound card for the guest (lab 6, 'Task 1: the command rings')\n");
        return VM_F_STAGE2 | VM_F_DEVICES | VM_F_IRQS | VM_F_PCI;
    }
    return VM_F_STAGE2 | VM_F_DEVICES | VM_F_IRQS | VM_F_PCI | VM_F_HDA;
}

/* A device's line into the guest's distributor (lab 4). */
static void vgic_line(void *ctx, unsigned irq, bool level)
{
    struct vm *vm = ctx;
    vgic_set_level(vm->arch.vgic, irq, level);
    vm->arch.vgic_dirty = true;
}

struct irq_line arch_irq_line(struct vm *vm, unsigned irq)
{
    if (!vm_has(vm, VM_F_IRQS))
        return (struct irq_line){NULL, NULL, irq};
    if (!vm->arch.vgic || irq >= VGIC_NR_IRQS) /* the board's table is wrong: a VMM bug */
        panic("interrupt %u: no such line, or the distributor comes after its devices on the board", irq);
    return (struct irq_line){vgic_line, vm, irq};
}

/* Lab 3's decode cache starts empty (no stale decoded instructions), once
 * that lab gives the guest devices. */
void arch_vm_reset(struct vm *vm)
{
    if (vm_has(vm, VM_F_DEVICES))
        decode_cache_init(&vm->arch.dcache, vm->decode_cache);
}

/* The exit statistics' lab 3 part. */
static void print_mmio_stats(const struct vm *vm)
{
    const struct mmio_emul_stats *s = &vm->arch.mmio_stats;
    const struct decode_cache *c = &vm->arch.dcache;
    printk("minivmm: MMIO: %llu by syndrome, %llu decoded, %llu refused\n", (unsigned long long)s->isv,
           (unsigned long long)s->decoded, (unsigned long long)s->refused);
    if (!c->enabled)
        printk("minivmm: decode cache off\n");
    else
        printk("minivmm: decode cache: %llu hits, %llu misses (%llu%% hits)\n", (unsigned long long)c->hits,
               (unsigned long long)c->misses,
               (unsigned long long)(c->hits + c->misses ? 100 * c->hits / (c->hits + c->misses) : 0));
    mmio_print_stats(&vm->mmio);
}

/* What the exit counts do not show: how device accesses and set/way
 * maintenance (both inside their exit classes) were handled. */
void arch_print_stats(const struct vm *vm)
{
    cache_sw_print_stats(&vm->arch.cache_sw);
    if (vm_has(vm, VM_F_DEVICES))
        print_mmio_stats(vm);
}
