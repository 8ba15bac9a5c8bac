/* vmm_main: parse the command line, load the guest, build its boot information and run it. */
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/cmdline.h>
#include <minivmm/console.h>
#include <minivmm/exit.h>
#include <minivmm/hostfs.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>

extern struct vm *current_vm;
extern bool vmm_print_stats;
static struct vm the_vm;

static void parse_options(struct vmm_options *o)
{
    static char line[CMDLINE_PATH_MAX + CMDLINE_ARGS_MAX + 256];
    char err[256];
    if (host_cmdline(line, sizeof(line))) {
        printk("minivmm: cannot read the command line from the host (longer than %u bytes?)\n",
               (unsigned)sizeof(line) - 1);
        host_exit(MV_EXIT_USAGE);
    }
    if (cmdline_parse(line, o, err, sizeof(err))) {
        printk("minivmm: %s\n", err);
        cmdline_usage();
        host_exit(MV_EXIT_USAGE);
    }
    if (o->help) {
        cmdline_usage();
        host_exit(MV_EXIT_OK);
    }
}

/* Read the guest image (and its initramfs) and boot the VM from it; a bad
 * image stops minivmm here, before the guest runs. */
static void load_guest(struct vm *vm, const char *path, const char *initrd)
{
    uint8_t *img;
    char err[256];
    if (*initrd) {
        uint8_t *rd;
        if (hostfs_read_file(initrd, &rd, &vm->initrd_len, err, sizeof(err))) {
            printk("minivmm: cannot read initramfs '%s': %s\n", initrd, err);
            host_exit(MV_EXIT_BADGUEST);
        }
        vm->initrd = rd;
    }
    if (hostfs_read_file(path, &img, &vm->image_len, err, sizeof(err)) ||
        (vm->image = img, vm_boot(vm, err, sizeof(err)))) {
        printk("minivmm: cannot load guest '%s': %s\n", path, err);
        host_exit(MV_EXIT_BADGUEST);
    }
}

void vmm_main(void)
{
    struct vmm_options opt;
    arch_init();
    parse_options(&opt);
    trace_exits = opt.trace_exits;
    vmm_print_stats = opt.stats;

    struct vm *vm = &the_vm;
    vm->ram_ipa = GUEST_RAM_BASE;
    vm->ram_size = opt.mem_mib << 20;
    vm->ram_host = arch_guest_ram(vm->ram_ipa, vm->ram_size);
    vm->decode_cache = opt.decode_cache;
    arch_vm_init(vm);
    arch_vm_devices(vm);
    memcpy(vm->bootargs, opt.guest_args, sizeof(vm->bootargs));
    load_guest(vm, opt.guest, opt.initrd);
    printk("minivmm: guest '%s': entry %#x, %u MiB RAM at %#x, bootargs \"%s\"\n", opt.guest,
           vm->entry, opt.mem_mib, vm->ram_ipa, vm->bootargs);
    current_vm = vm;
    vcpu_run(&vm->vcpu);
}
