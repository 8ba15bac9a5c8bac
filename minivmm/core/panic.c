/* Fatal errors: panic() with a state dump, the loud stop of a skeleton function, and the VMM's exit path. */
#include <minivmm/arch.h>
#include <minivmm/audio.h>
#include <minivmm/console.h>
#include <minivmm/hostfs.h>
#include <minivmm/netdev.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>

/* Set once the VM exists, so that a panic can show the guest's registers. */
struct vm *current_vm;
bool vmm_print_stats = true;

void vmm_print_run_stats(const struct vm *vm)
{
    stats_print(&vm->vcpu.stats);
    arch_print_stats(vm);
    vm_print_device_stats(vm);
    netdev_print_stats();
}

void vmm_exit(int status)
{
    if (current_vm)
        netdev_flush(); /* the guest's last frames leave before QEMU ends */
    audio_flush();      /* the WAV file's header gets its sizes */
    if (current_vm && vmm_print_stats)
        vmm_print_run_stats(current_vm);
    host_exit(status);
}

void panic(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    mv_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printk("\nminivmm PANIC: %s\n", msg);
    arch_dump_host(__builtin_return_address(0));
    if (current_vm)
        vcpu_dump(&current_vm->vcpu);
    vmm_exit(MV_EXIT_PANIC);
}

void todo_fail(int lab, const char *func, const char *section)
{
    printk("\nminivmm: %s() is not implemented yet (lab %d).\n"
           "  Read the lab %d handout, section \"%s\",\n"
           "  then write this function in its student file.\n",
           func, lab, lab, section);
    if (current_vm)
        vcpu_dump(&current_vm->vcpu);
    vmm_exit(MV_EXIT_TODO);
}
