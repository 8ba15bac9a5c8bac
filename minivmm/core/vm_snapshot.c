/* The whole VM as snapshot sections: the VM, its vCPU and every device, saved in one pass and restored with every section checked. */
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>
#include <minivmm/vm_snapshot.h>

/* The VM's own fields. RAM size and features must match: a snapshot of
 * another machine is refused, not squeezed into this one. */
static void vm_snap(void *obj, struct snap *s)
{
    struct vm *vm = obj;
    uint32_t ram_ipa = vm->ram_ipa, ram_size = vm->ram_size, features = vm->features;
    snap_u32(s, &ram_ipa);
    snap_u32(s, &ram_size);
    snap_u32(s, &features);
    if (!snap_check(s, ram_ipa == vm->ram_ipa && ram_size == vm->ram_size && features == vm->features))
        return;
    snap_u32(s, &vm->entry);
    snap_u32(s, &vm->dtb_ipa);
    snap_u32(s, &vm->initrd_ipa);
    snap_bool(s, &vm->reset_requested);
    arch_vm_snapshot(vm, s);
}

/* A vCPU: the port's registers, and the exit counts (the guest can read them, lab 0). */
static void vcpu_snap(void *obj, struct snap *s)
{
    struct vcpu *v = obj;
    arch_vcpu_snapshot(v, s);
    for (unsigned i = 0; i < ARCH_EXIT_CLASSES; i++)
        snap_u64(s, &v->stats.count[i]);
    snap_u64(s, &v->stats.irqs);
    snap_u64(s, &v->stats.total);
}

static void device_snap(void *obj, struct snap *s)
{
    struct device *d = obj;
    d->type->snapshot(d->state, s);
}

/* What owns a section: its name, version and function. Owners are numbered
 * the VM (0), the vCPU (1), then the devices, in the order they are saved. */
struct owner {
    const char *name;
    uint32_t version;
    snap_fn fn;
    void *obj;
    unsigned index;
};

#define OWNER_VM      0u
#define OWNER_VCPU    1u
#define OWNER_DEVICES 2u /* the first device */

static unsigned owner_count(const struct vm *vm)
{
    return OWNER_DEVICES + vm->ndevices;
}

static struct owner owner_at(struct vm *vm, unsigned i)
{
    if (i == OWNER_VM)
        return (struct owner){"vm", VM_SNAP_VERSION, vm_snap, vm, i};
    if (i == OWNER_VCPU)
        return (struct owner){"vcpu0", ARCH_VCPU_SNAP_VERSION, vcpu_snap, &vm->vcpu, i};
    struct device *d = &vm->devices[i - OWNER_DEVICES];
    return (struct owner){d->type->name, d->type->snap_version, device_snap, d, i};
}

int vm_snapshot_save(struct vm *vm, struct snap_writer *w)
{
    for (unsigned i = 0; i < owner_count(vm); i++) {
        struct owner o = owner_at(vm, i);
        if (snap_write_section(w, o.name, o.version, o.fn, o.obj))
            return -1;
    }
    return 0;
}

/* The owner of the section called name. Devices of one type have sections of
 * one name, saved in device order: the n-th restores the n-th device (the
 * first one not seen yet; once all are, the first, which then appears twice). */
static bool find_owner(struct vm *vm, const char *name, const uint8_t *seen, struct owner *o)
{
    bool found = false;
    for (unsigned i = 0; i < owner_count(vm); i++) {
        struct owner c = owner_at(vm, i);
        if (strcmp(name, c.name))
            continue;
        if (!seen[i]) {
            *o = c;
            return true;
        }
        if (!found)
            *o = c;
        found = true;
    }
    return found;
}

/* The VM's own fields a "vm" section writes: kept, to be put back if it fails. */
struct vm_fields {
    uint32_t entry, dtb_ipa, initrd_ipa;
    bool reset_requested;
};

/* A section that failed or never came: its owner goes back to reset (the
 * VM's own fields to what they were: they are checked before anything is
 * written). */
static void reset_owner(struct vm *vm, const struct owner *o, const struct vm_fields *before)
{
    if (o->index >= OWNER_DEVICES) {
        struct device *d = o->obj;
        d->type->reset(d);
    } else if (o->index == OWNER_VCPU) {
        arch_vcpu_init(&vm->vcpu, vm->entry, vm->dtb_ipa);
    } else {
        vm->entry = before->entry;
        vm->dtb_ipa = before->dtb_ipa;
        vm->initrd_ipa = before->initrd_ipa;
        vm->reset_requested = before->reset_requested;
    }
}

/* After a refusal, or at the end: every owner whose section did not come
 * goes back to reset. -1 if there was one (err names the first), else 0. */
static int reset_unseen(struct vm *vm, const uint8_t *seen, const struct vm_fields *before, char *err,
                        size_t errlen)
{
    int rc = 0;
    for (unsigned i = 0; i < owner_count(vm); i++) {
        if (seen[i])
            continue;
        struct owner o = owner_at(vm, i);
        if (!rc && err)
            mv_snprintf(err, errlen, "section '%s' is missing from the snapshot", o.name);
        reset_owner(vm, &o, before);
        rc = -1;
    }
    return rc;
}

/* One section into its owner: 0, or -1 with err set and the owner reset. */
static int restore_one(struct vm *vm, const struct snap_section *sec, uint8_t *seen,
                       const struct vm_fields *before, char *err, size_t errlen)
{
    struct owner o;
    if (!find_owner(vm, sec->name, seen, &o)) {
        mv_snprintf(err, errlen, "section '%s': no such device or state in this VM", sec->name);
        return -1;
    }
    if (seen[o.index]++) {
        mv_snprintf(err, errlen, "section '%s' appears twice", sec->name);
        reset_owner(vm, &o, before);
        return -1;
    }
    if (snap_restore_section(sec, o.version, o.fn, o.obj, err, errlen)) {
        reset_owner(vm, &o, before);
        return -1;
    }
    return 0;
}

int vm_snapshot_restore(struct vm *vm, const void *buf, uint32_t len, char *err, size_t errlen)
{
    struct snap_reader r;
    struct snap_section sec;
    uint8_t seen[64] = {0};
    const struct vm_fields before = {vm->entry, vm->dtb_ipa, vm->initrd_ipa, vm->reset_requested};
    int more;
    if (owner_count(vm) > sizeof(seen)) {
        mv_snprintf(err, errlen, "too many devices (%u) for a snapshot", vm->ndevices);
        return -1;
    }
    snap_reader_init(&r, buf, len);
    while ((more = snap_next_section(&r, &sec, err, errlen)) == 1)
        if (restore_one(vm, &sec, seen, &before, err, errlen))
            break;
    if (more != 0) { /* a refusal: what has not been restored goes back to reset */
        reset_unseen(vm, seen, &before, NULL, 0);
        return -1;
    }
    return reset_unseen(vm, seen, &before, err, errlen);
}

#define SELFTEST_BUF (64u << 10)

/* Save into a fresh buffer, or stop minivmm: the test cannot go on without it. */
static uint8_t *save_or_die(struct vm *vm, uint32_t *len)
{
    struct snap_writer w;
    uint8_t *buf = mv_malloc(SELFTEST_BUF);
    if (!buf)
        panic("snapshot test: no memory for %u bytes", SELFTEST_BUF);
    snap_writer_init(&w, buf, SELFTEST_BUF);
    if (vm_snapshot_save(vm, &w))
        panic("snapshot test: the VM's sections do not fit in %u bytes", SELFTEST_BUF);
    *len = w.len;
    return buf;
}

void vm_snapshot_selftest(struct vm *vm)
{
    char err[160];
    uint32_t len, len2;
    uint8_t *first = save_or_die(vm, &len);
    vm_reset_devices(vm); /* everything back to power-on, so that only the restore can bring it back */
    arch_vcpu_init(&vm->vcpu, vm->entry, vm->dtb_ipa);
    if (vm_snapshot_restore(vm, first, len, err, sizeof(err)))
        panic("snapshot test: restore failed: %s", err);
    uint8_t *second = save_or_die(vm, &len2);
    if (len2 != len || memcmp(first, second, len))
        panic("snapshot test: the state saved after the restore differs from the state restored");
    printk("minivmm: snapshot test at exit %llu: %u sections, %u bytes saved, restored and saved again: "
           "identical\n",
           (unsigned long long)vm->snapshot_test_at, owner_count(vm), len);
    mv_free(first);
    mv_free(second);
}
