/* vmm_main: parse the command line, load the guest, build its boot information and run it. */
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/cmdline.h>
#include <minivmm/console.h>
#include <minivmm/elf.h>
#include <minivmm/exit.h>
#include <minivmm/guest_dt.h>
#include <minivmm/hostfs.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>

extern struct vm *current_vm;
extern bool vmm_print_stats;
static struct vm the_vm;

static void *ipa_ptr_cb(void *ctx, uint32_t ipa, uint32_t len) { return vm_ipa_ptr(ctx, ipa, len); }

static void parse_options(struct vmm_options *o)
{
    static char line[CMDLINE_PATH_MAX + CMDLINE_ARGS_MAX + 256];
    char err[256];
    if (host_cmdline(line, sizeof(line))) {
        printk("minivmm: cannot read the command line from the host\n");
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

static void load_guest(struct vm *vm, const char *path)
{
    uint8_t *img;
    size_t len;
    char err[256];
    struct elf_target t = {
        .ram_ipa = vm->ram_ipa, .ram_size = vm->ram_size - GUEST_DTB_MAX,
        .ipa_ptr = ipa_ptr_cb, .ctx = vm,
    };
    arch_vmm_range(&t.vmm_start, &t.vmm_end);
    if (hostfs_read_file(path, &img, &len, err, sizeof(err)) ||
        elf_load(img, len, &t, &vm->entry, err, sizeof(err))) {
        printk("minivmm: cannot load guest '%s': %s\n", path, err);
        host_exit(MV_EXIT_BADGUEST);
    }
    mv_free(img);
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
    memcpy(vm->bootargs, opt.guest_args, sizeof(vm->bootargs));
    load_guest(vm, opt.guest);
    if (guest_dt_build(vm))
        panic("the guest device tree does not fit in %u bytes", GUEST_DTB_MAX);

    printk("minivmm: guest '%s': entry %#x, %u MiB RAM at %#x, bootargs \"%s\"\n", opt.guest,
           vm->entry, opt.mem_mib, vm->ram_ipa, vm->bootargs);
    vm->vcpu.vm = vm;
    current_vm = vm;
    arch_vcpu_init(&vm->vcpu, vm->entry, vm->dtb_ipa);
    vcpu_run(&vm->vcpu);
}
