/* vmm_main: parse the command line, load the guest (or restore a snapshot), build its boot information and run it. */
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/audio.h>
#include <minivmm/cmdline.h>
#include <minivmm/console.h>
#include <minivmm/device.h>
#include <minivmm/exit.h>
#include <minivmm/fdt_read.h>
#include <minivmm/hostfs.h>
#include <minivmm/netdev.h>
#include <minivmm/panic.h>
#include <minivmm/snapshot_file.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>

extern struct vm *current_vm;
extern bool vmm_print_stats;
static struct vm the_vm;

static void parse_options(struct vmm_options *o)
{
    static char line[CMDLINE_PATH_MAX + CMDLINE_ARGS_MAX + 256];
    char err[512]; /* an unknown option's message lists every option */
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

/* A host file the guest needs besides its image (what = "initramfs"...); a
 * missing or unreadable one stops minivmm before the guest runs. */
static const uint8_t *read_extra(const char *what, const char *path, size_t *len)
{
    uint8_t *data;
    char err[256];
    if (hostfs_read_file(path, &data, len, err, sizeof(err))) {
        printk("minivmm: cannot read %s '%s': %s\n", what, path, err);
        host_exit(MV_EXIT_BADGUEST);
    }
    return data;
}

/* The initramfs (initrd=) and device tree (dtb=) the options name, if any. */
static void read_extras(struct vm *vm, const struct vmm_options *o)
{
    if (*o->initrd)
        vm->initrd = read_extra("initramfs", o->initrd, &vm->initrd_len);
    if (*o->dtb)
        vm->user_dtb = read_extra("device tree", o->dtb, &vm->user_dtb_len);
}

/* Read the guest image (and its initramfs and device tree) and boot the VM
 * from it; a bad image stops minivmm here, before the guest runs. */
static void load_guest(struct vm *vm, const struct vmm_options *o)
{
    const char *path = o->guest;
    uint8_t *img;
    char err[256];
    read_extras(vm, o);
    if (hostfs_read_file(path, &img, &vm->image_len, err, sizeof(err)) ||
        (vm->image = img, vm_boot(vm, err, sizeof(err)))) {
        printk("minivmm: cannot load guest '%s': %s\n", path, err);
        host_exit(MV_EXIT_BADGUEST);
    }
}

/* restore=: the image (if given) is read and kept for a guest reset, never
 * loaded: guest RAM and every register come from the snapshot. The vCPU is
 * set up as at a boot first (its host registers, stage 2 on), then restored. */
static void restore_guest(struct vm *vm, const struct vmm_options *o)
{
    uint8_t *img;
    char err[256];
    read_extras(vm, o);
    if (*o->guest && hostfs_read_file(o->guest, &img, &vm->image_len, err, sizeof(err))) {
        printk("minivmm: cannot read guest '%s': %s\n", o->guest, err);
        host_exit(MV_EXIT_BADGUEST);
    }
    vm->image = *o->guest ? img : NULL;
    vm->vcpu.vm = vm;
    arch_vcpu_init(&vm->vcpu, vm->ram_ipa, 0);
    vm_snapshot_load(vm, o->restore);
}

/* snapshot= and snapshot-at=: where and when the run loop writes the file. */
static void plan_snapshot(struct vm *vm, const struct vmm_options *o)
{
    if (!*o->snapshot)
        return;
    vm->snapshot_path = o->snapshot;
    vm->snapshot_at = o->snapshot_at;
    vm->watch = true;
    if (vm->snapshot_at && vm->snapshot_at <= vm->vcpu.stats.total)
        printk("minivmm: snapshot-at=%llu: the restored guest is past that exit (%llu): no snapshot then\n",
               (unsigned long long)vm->snapshot_at, (unsigned long long)vm->vcpu.stats.total);
}

/* The board's devices that the labs done so far allow (lab 3 onwards). */
static void create_devices(struct vm *vm)
{
    char err[160];
    if (vm_create_devices(vm, &arch_board, err, sizeof(err)))
        panic("cannot create the guest's devices: %s", err);
}

/* The host NIC that net= asks for, before the guest's cards are made (they
 * attach to it); net=virtio without a device is a bad command line. */
static void start_network(struct vm *vm, const struct vmm_options *o)
{
    char err[256];
    vm->net_mode = o->net_mode;
    memcpy(vm->mac, o->mac, sizeof(vm->mac));
    if (netdev_init(vm, err, sizeof(err))) {
        printk("minivmm: %s\n", err);
        host_exit(MV_EXIT_USAGE);
    }
    if (o->net_test && netdev_selftest(vm->mac, err, sizeof(err))) {
        printk("minivmm: net test failed: %s\n", err);
        host_exit(MV_EXIT_PANIC);
    }
}

/* audio=: the WAV file the sound card plays into, made before the guest runs. */
static void start_audio(const struct vmm_options *o)
{
    char err[CMDLINE_PATH_MAX + 64];
    if (*o->audio && audio_open(o->audio, err, sizeof(err))) {
        printk("minivmm: audio=: %s\n", err);
        host_exit(MV_EXIT_USAGE);
    }
}

/* dtb-out=: the device tree the guest gets, for dtc or a later dtb=. */
static void write_dtb(struct vm *vm, const char *path)
{
    char err[128];
    const uint8_t *dtb = vm_ipa_ptr(vm, vm->dtb_ipa, GUEST_DTB_MAX);
    uint32_t size = fdt_cell(dtb, 1); /* the header's totalsize */
    if (hostfs_write_file(path, dtb, size, err, sizeof(err))) {
        printk("minivmm: cannot write the device tree to '%s': %s\n", path, err);
        host_exit(MV_EXIT_USAGE);
    }
    printk("minivmm: device tree (%u bytes) written to '%s'\n", size, path);
}

static void say_booting(const struct vm *vm, const struct vmm_options *o)
{
    if (vm->user_dtb && !vm->bootargs[0]) /* the tree's own /chosen/bootargs stand */
        printk("minivmm: guest '%s': entry %#x, %u MiB RAM at %#x, bootargs from dtb=\n", o->guest, vm->entry,
               o->mem_mib, vm->ram_ipa);
    else
        printk("minivmm: guest '%s': entry %#x, %u MiB RAM at %#x, bootargs \"%s\"\n", o->guest, vm->entry,
               o->mem_mib, vm->ram_ipa, vm->bootargs);
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
    vm->decode_cache = opt.decode_cache;
    vm->idregs_native = opt.idregs_native;
    vm->snapshot_test_at = opt.snapshot_test_at;
    vm->watch = opt.trace_exits || opt.snapshot_test_at;
    vm->features = arch_vm_features();
    vm->ram_host = arch_guest_ram(vm);
    arch_vm_init(vm);
    start_network(vm, &opt);
    start_audio(&opt);
    create_devices(vm);
    memcpy(vm->bootargs, opt.guest_args, sizeof(vm->bootargs));
    if (*opt.restore)
        restore_guest(vm, &opt);
    else
        load_guest(vm, &opt);
    plan_snapshot(vm, &opt);
    if (*opt.dtb_out)
        write_dtb(vm, opt.dtb_out);
    if (!*opt.restore) /* a restore has said what it restored */
        say_booting(vm, &opt);
    current_vm = vm;
    vcpu_run(&vm->vcpu);
}
