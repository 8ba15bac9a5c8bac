/* The rest of the port interface on x86, for this first milestone: an empty board, no guest device
 * tree nodes of the architecture's own, no host NIC, no host timer, no snapshots of the vCPU yet. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/device.h>
#include <minivmm/host_irq.h>
#include <minivmm/host_virtio.h>
#include <minivmm/panic.h>
#include <minivmm/snapshot.h>
#include <minivmm/snapshot_file.h>
#include <minivmm/vm.h>
#include <arch/svm.h>

/* Nested paging is always on; devices, interrupts and PCI are for later x86 milestones. */
uint32_t arch_vm_features(void)
{
    printk("minivmm: no devices, interrupts or PCI for the guest on x86 yet\n");
    return VM_F_STAGE2;
}

const struct board arch_board = {.name = "pc (no devices yet)", .slots = NULL, .count = 0};

struct irq_line arch_irq_line(struct vm *vm, unsigned irq)
{
    (void)vm;
    (void)irq;
    return (struct irq_line){.set = NULL}; /* no interrupt controller yet: a line that goes nowhere */
}

void arch_vm_reset(struct vm *vm)
{
    (void)vm;
}

void arch_print_stats(const struct vm *vm)
{
    if (vm->arch.npf_count)
        printk("minivmm: nested page faults: %llu\n", (unsigned long long)vm->arch.npf_count);
}

/* The general registers, RIP and the VMCB's save area (segments, control registers, RSP,
 * RFLAGS...): the guest state the hardware holds. */
void arch_vcpu_snapshot(struct vcpu *v, struct snap *s)
{
    uint64_t *g = &v->arch.regs.rax;
    for (unsigned i = 0; i < sizeof(v->arch.regs) / sizeof(*g); i++)
        snap_u64(s, &g[i]);
    snap_u64(s, &v->arch.rip);
    snap_bytes(s, &v->arch.vmcb->save, sizeof(v->arch.vmcb->save));
}

void arch_vm_snapshot(struct vm *vm, struct snap *s)
{
    (void)vm;
    (void)s;
}

/* The guest's device tree: the core's nodes (memory, /chosen) are all an x86 guest gets. */
void arch_guest_dt_root(struct fdt_writer *w, const struct vm *vm)
{
    (void)w, (void)vm;
}
void arch_guest_dt(struct fdt_writer *w, const struct vm *vm)
{
    (void)w, (void)vm;
}
void arch_guest_dt_chosen(struct fdt_writer *w, const struct vm *vm)
{
    (void)w, (void)vm;
}
void arch_guest_dt_device(struct fdt_writer *w, const struct vm *vm, const struct device *d)
{
    (void)w, (void)vm, (void)d;
}

int arch_test_mmio_stat(struct vm *vm, uint32_t which, uint32_t *value)
{
    (void)vm, (void)which, (void)value;
    return -1;
}

int arch_test_read_pa(uint32_t pa, uint32_t *value)
{
    (void)pa, (void)value;
    return -1;
}

/* No host timer yet: the device timers' clock stands still and no alarm fires. */
uint64_t arch_guest_counter(void)
{
    return 0;
}
uint64_t arch_counter_freq(void)
{
    return 1000000;
}
void arch_timer_deadline(uint64_t deadline)
{
    (void)deadline;
}

/* No host NIC on x86 yet: QEMU's PC machines have no virtio-mmio transports. */
unsigned host_virtio_count(void)
{
    return 0;
}
uintptr_t host_virtio_base(unsigned i)
{
    (void)i;
    return 0;
}
unsigned host_virtio_irq(unsigned i)
{
    (void)i;
    return 0;
}
uint32_t host_virtio_read(uintptr_t base, uint32_t off)
{
    return *(volatile uint32_t *)(base + off);
}
void host_virtio_write(uintptr_t base, uint32_t off, uint32_t val)
{
    *(volatile uint32_t *)(base + off) = val;
}
uint64_t host_dma_addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}
uint64_t host_usecs(void)
{
    return 0;
}

int host_irq_claim(unsigned id, host_irq_fn fn, void *ctx)
{
    (void)id, (void)fn, (void)ctx;
    return -1;
}

/* Snapshot files (which need a host file to write: none on x86 yet). */
uint32_t arch_snapshot_id(void)
{
    return SNAPFILE_ARCH_X86;
}
uint64_t arch_snapshot_clock(void)
{
    return 0;
}
void arch_vcpu_clock_shift(struct vcpu *v, uint64_t ticks)
{
    (void)v, (void)ticks;
}
