/* The run loop: enter the guest, count and handle each exit through the port, reset the VM when asked. */
#include <minivmm/arch.h>
#include <minivmm/arch_exit.h>
#include <minivmm/console.h>
#include <minivmm/dev_timer.h>
#include <minivmm/panic.h>
#include <minivmm/snapshot_file.h>
#include <minivmm/vm.h>
#include <minivmm/vm_snapshot.h>

/* What vm->watch turns on: the exit trace before a handler runs, the
 * snapshot self-test, the snapshot files and the console's quit after it.
 * Out of line, so that the loop stays short for the exits nobody watches. */
static void __attribute__((noinline)) watch_before(const struct vcpu *v, uint32_t cls)
{
    if (trace_exits)
        arch_trace_exit(v, cls);
}

static void __attribute__((noinline)) watch_after(struct vm *vm)
{
    if (vm->vcpu.stats.total == vm->snapshot_test_at)
        vm_snapshot_selftest(vm);
    if (vm->snapshot_requested || (vm->snapshot_at && vm->vcpu.stats.total == vm->snapshot_at)) {
        vm->snapshot_requested = false;
        vm_snapshot_write(vm, vm->snapshot_path);
    }
    if (vm->console_snapshot[0]) {
        vm_snapshot_write(vm, vm->console_snapshot);
        vm->console_snapshot[0] = '\0';
    }
    if (vm->quit_requested) {
        printk("minivmm: quit from the console at exit %llu\n", (unsigned long long)vm->vcpu.stats.total);
        vmm_exit(MV_EXIT_OK);
    }
}

void vcpu_run(struct vcpu *v)
{
    struct vm *vm = v->vm;
    for (;;) {
        uint32_t cls = arch_vcpu_enter(v);
        if (cls == ARCH_EXIT_IRQ)
            stats_record_irq(&v->stats);
        else
            stats_record_exit(&v->stats, cls);
        if (vm->watch)
            watch_before(v, cls);
        if (arch_handle_exit(v, cls) == EXIT_UNHANDLED) {
            arch_report_unhandled(v);
            vmm_exit(MV_EXIT_PANIC);
        }
        if (vm->reset_requested)
            vm_reset(vm);
        if (vm->timers)
            dev_timers_run(vm);
        if (vm->watch)
            watch_after(vm);
        /* Last: a snapshot written just above moved the guest's clock, and with it
         * where the host timer must fire. */
        if (vm->timers_dirty) {
            vm->timers_dirty = false;
            arch_timer_deadline(dev_timers_next(vm));
        }
    }
}

/* A reset: the devices and the port's VM state as at power-on, the same
 * image loaded again, the vCPU as at the first boot; the statistics carry on. */
void vm_reset(struct vm *vm)
{
    char err[128];
    printk("minivmm: guest reset\n");
    vm_reset_devices(vm);
    arch_vm_reset(vm);
    if (vm_boot(vm, err, sizeof(err)))
        panic("cannot reboot the guest: %s", err);
}
