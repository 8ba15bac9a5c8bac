/* The guest's devices on ARM: which ones exist, where they sit in guest-physical space, and what they are wired to. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>
#include <arch/mmio_emul.h>
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

/* No interrupt controller for the guest before lab 4: the line's level is
 * kept by the UART model only. */
static const struct vpl011_backend uart_backend = { uart_tx, uart_rx, NULL, NULL };

static void reset_devices(struct vm *vm)
{
    vpl011_reset(&vm->uart, &uart_backend);
    vm->testdev = (struct testdev){ 0 };
    decode_cache_init(&vm->arch.dcache, vm->decode_cache);
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
void arch_print_stats(const struct vm *vm)
{
    if (!vm->mmio.count)
        return;
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
