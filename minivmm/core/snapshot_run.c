/* Snapshot files in a running minivmm: one written at an exit (snapshot-at=), when the guest asks (MV_HC_TEST_SNAPSHOT) or from the console escape, one restored at start (restore=). */
#include <minivmm/alloc.h>
#include <minivmm/console.h>
#include <minivmm/host_virtio.h>
#include <minivmm/hostfs.h>
#include <minivmm/panic.h>
#include <minivmm/snapshot_file.h>

static unsigned ms_between(uint64_t from_us, uint64_t to_us)
{
    return (unsigned)((to_us - from_us + 500) / 1000);
}

/* The line that marks the instant in the console output: the guest's output
 * before it came before the snapshot (minivmm/tests/snapdet.py cuts there). */
static void report_write(const struct vm *vm, const char *path, const struct snapfile_info *info, uint64_t t0,
                         uint64_t t1, uint64_t t2)
{
    printk("minivmm: snapshot at exit %llu written to '%s': %zu bytes, %u sections, %u of %u RAM pages "
           "stored; made in %u ms, written in %u ms\n",
           (unsigned long long)vm->vcpu.stats.total, path, info->size, info->sections, info->stored,
           info->pages, ms_between(t0, t1), ms_between(t1, t2));
}

/* Nothing the guest sees changes: the state is only read, the file goes
 * through the host channel, and the time it all took is taken off the
 * guest's clock. A failure is said and the guest goes on without a file. */
void vm_snapshot_write(struct vm *vm, const char *path)
{
    char err[160];
    uint8_t *file;
    struct snapfile_info info;
    uint64_t clock = arch_snapshot_clock(), t0 = host_usecs();
    if (snapfile_save(vm, arch_snapshot_id(), clock, &file, &info, err, sizeof(err))) {
        printk("minivmm: snapshot at exit %llu not taken: %s\n", (unsigned long long)vm->vcpu.stats.total,
               err);
    } else {
        uint64_t t1 = host_usecs();
        if (hostfs_write_file(path, file, info.size, err, sizeof(err)))
            printk("minivmm: snapshot at exit %llu not written to '%s': %s\n",
                   (unsigned long long)vm->vcpu.stats.total, path, err);
        else
            report_write(vm, path, &info, t0, t1, host_usecs());
        mv_free(file);
    }
    arch_vcpu_clock_shift(&vm->vcpu, arch_snapshot_clock() - clock);
    vm->timers_dirty = true; /* the host timer's deadline moves with the guest's clock */
}

/* Every refusal stops minivmm here, before the guest runs: a snapshot is
 * refused as a guest image is (status 65). */
void vm_snapshot_load(struct vm *vm, const char *path)
{
    char err[256];
    uint8_t *file;
    size_t len;
    struct snapfile_info info;
    uint64_t t0 = host_usecs();
    if (hostfs_read_file(path, &file, &len, err, sizeof(err))) {
        printk("minivmm: cannot read snapshot '%s': %s\n", path, err);
        host_exit(MV_EXIT_BADGUEST);
    }
    uint64_t t1 = host_usecs();
    if (snapfile_restore(vm, arch_snapshot_id(), file, len, &info, err, sizeof(err))) {
        printk("minivmm: cannot restore snapshot '%s': %s\n", path, err);
        host_exit(MV_EXIT_BADGUEST);
    }
    mv_free(file);
    printk("minivmm: restored snapshot '%s' at exit %llu: %zu bytes, %u sections, %u of %u RAM pages stored; "
           "read in %u ms, checked and restored in %u ms\n",
           path, (unsigned long long)vm->vcpu.stats.total, info.size, info.sections, info.stored, info.pages,
           ms_between(t0, t1), ms_between(t1, host_usecs()));
    /* Last, so that the guest's clock goes on from the instant of the snapshot. */
    arch_vcpu_clock_shift(&vm->vcpu, arch_snapshot_clock() - info.clock);
    vm->timers_dirty = true; /* the devices' timers, armed by the restore, on the moved clock */
}
