/* The guest's devices on ARM: which ones exist, where they sit in guest-physical space, and what they are wired to. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>
#include <arch/cache_sw.h>
#include <arch/gic.h>
#include <arch/mmio_emul.h>
#include <arch/stage2.h>
#include <arch/vgic.h>
#include <arch/vm.h>

/* The guest's UART talks to the host's terminal through the VMM's own console. */
static void uart_tx(void *ctx, uint8_t c)
{
    (void)ctx;
    console_putc((char)c);
}

static int uart_rx(void *ctx)
{
    (void)ctx;
    return console_getc();
}

/* The UART's interrupt line goes to the guest's GIC once lab 4 is done;
 * before that its level is kept by the UART model only. */
static void uart_irq(void *ctx, bool level)
{
    struct vm *vm = ctx;
    vgic_set_level(&vm->arch.vgic, IRQ_GUEST_UART, level);
    vm->arch.vgic_dirty = true;
}

/* The guest completed a level-sensitive interrupt: sample its source again. */
static void vgic_eoi(void *ctx, unsigned intid)
{
    struct vm *vm = ctx;
    if (intid == IRQ_VTIMER)
        vtimer_completed(&vm->arch.vgic);
}

/* A write to the distributor may change what the list registers should hold. */
static bool gicd_write(void *dev, uint32_t off, unsigned width, uint32_t val)
{
    struct vm *vm = (struct vm *)((char *)dev - offsetof(struct vm, arch.vgic));
    vm->arch.vgic_dirty = true;
    return vgicd_write(dev, off, width, val);
}

/* No "compatible": guest_dt_arm.c writes the GIC's node (two reg ranges). */
static const struct mmio_ops gicd_ops = { "gic", NULL, vgicd_read, gicd_write, 0 };

static void reset_devices(struct vm *vm)
{
    struct vpl011_backend uart = { uart_tx, uart_rx, vm->arch.vgic_on ? uart_irq : NULL, vm };
    vpl011_reset(&vm->uart, &uart);
    vm->testdev = (struct testdev){ 0 };
    decode_cache_init(&vm->arch.dcache, vm->decode_cache);
    if (vm->arch.vgic_on) {
        vm->arch.vgic_dirty = true;
        vm->arch.vgic.eoi = vgic_eoi;
        vm->arch.vgic.ctx = vm;
        vgic_init(&vm->arch.vgic);
        gich_reset();
        /* A rebooted guest starts with its timer off and the timer's PPI
         * unmasked, whatever the previous run left. */
        __asm__ volatile("mcr p15, 0, %0, c14, c3, 1\n\tisb" ::"r"(0)); /* CNTV_CTL */
        gic_set_enabled(IRQ_VTIMER, true);
    }
}

/* Lab 4: the guest's GIC. Its distributor is emulated on the bus; its CPU
 * interface is the board's virtual CPU interface (GICV), mapped where the
 * guest expects a GICC; minivmm takes the physical interrupts. */
static void add_gic(struct vm *vm)
{
    if (!lab4_vgic_enabled) {
        printk("minivmm: no interrupts for the guest (lab 4, 'Task 1: the distributor')\n");
        return;
    }
    vm->arch.vgic_on = true;
    gic_init();
    console_rx_interrupts(true);
    if (mmio_register(&vm->mmio, GUEST_GICD_IPA, GICD_SIZE, &gicd_ops, &vm->arch.vgic) ||
        s2_map(&vm->arch.s2, GUEST_GICC_IPA, GICV_BASE, GICV_SIZE, S2_R | S2_W | S2_DEVICE))
        panic("cannot place the guest's GIC");
}

/* Devices need stage 2 (lab 2): only then does a guest access to their
 * addresses fault into the VMM instead of reaching the board's own hardware. */
void arch_vm_devices(struct vm *vm)
{
    if (!lab3_mmio_enabled || !vm->arch.stage2) {
        printk("minivmm: no devices for the guest (%s)\n",
               lab3_mmio_enabled ? "stage 2 is off: lab 2" : "lab 3, 'Task 1: the MMIO path'");
        return;
    }
    add_gic(vm);
    reset_devices(vm);
    if (mmio_register(&vm->mmio, GUEST_PL011_IPA, UART_REGION_SIZE, &vpl011_ops, &vm->uart) ||
        mmio_register(&vm->mmio, GUEST_TESTDEV_IPA, TESTDEV_SIZE, &testdev_ops, &vm->testdev))
        panic("cannot place the guest's devices");
}

/* A guest reset resets its devices too (a real board's reset line does). */
void arch_vm_devices_reset(struct vm *vm)
{
    if (vm->mmio.count)
        reset_devices(vm);
}

/* The exit statistics' lab 3 part. */
static void print_mmio_stats(const struct vm *vm)
{
    const struct mmio_emul_stats *s = &vm->arch.mmio_stats;
    const struct decode_cache *c = &vm->arch.dcache;
    printk("minivmm: MMIO: %llu by syndrome, %llu decoded, %llu refused\n",
           (unsigned long long)s->isv, (unsigned long long)s->decoded,
           (unsigned long long)s->refused);
    if (!c->enabled)
        printk("minivmm: decode cache off\n");
    else
        printk("minivmm: decode cache: %llu hits, %llu misses (%llu%% hits)\n",
               (unsigned long long)c->hits, (unsigned long long)c->misses,
               (unsigned long long)(c->hits + c->misses ? 100 * c->hits / (c->hits + c->misses) : 0));
    mmio_print_stats(&vm->mmio);
}

/* What the exit counts do not show: how device accesses and set/way
 * maintenance (both inside their exit classes) were handled. */
void arch_print_stats(const struct vm *vm)
{
    cache_sw_print_stats(&vm->arch.cache_sw);
    if (vm->mmio.count)
        print_mmio_stats(vm);
}
