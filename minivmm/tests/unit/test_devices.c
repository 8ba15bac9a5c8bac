/* Unit tests of the device registry (minivmm/core/device.c) and of snapshots of devices, the vCPU and whole VMs (minivmm/core/vm_snapshot.c), bad input included. */
#include <string.h>
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/device.h>
#include <minivmm/snapshot.h>
#include <minivmm/vm.h>
#include <minivmm/vm_snapshot.h>
#include <arch/sysreg.h>
#include <arch/traps.h>
#include <arch/vgic.h>
#include <devices/testdev.h>
#include <devices/vpl011.h>
#include "host_stubs.h"
#include "snaptest.h"
#include "suites.h"

/*
 * Only framework code runs here: these tests also run on the skeleton build,
 * where lab code (vpl011_reset, vgic_init, vgicd_read, ...) aborts. So the
 * "pl011" and "gicd" types are used through their snapshot functions only,
 * on state filled in by the test; boards hold testdev and the probe below.
 */

/* ---- The probe: a device type of this file's own, which counts its resets. */

#define PROBE_VERSION 3u
#define PROBE_RESET   0x5eed0001u /* its value after a reset */
#define PROBE_BAD     0xbad0bad0u /* a value its snapshot refuses, as a device refuses an index past its table */

struct probe {
    uint32_t value, other; /* state: what the snapshot holds */
    bool flag;
    unsigned resets;    /* the test's counter: not state, never in the snapshot */
    struct device *dev; /* wiring */
};

static void *probe_create(struct device *d)
{
    struct probe *p = mv_calloc(1, sizeof(*p));
    if (p)
        p->dev = d;
    return p;
}

static void probe_reset(struct device *d)
{
    struct probe *p = d->state;
    p->value = PROBE_RESET;
    p->other = 0;
    p->flag = false;
    p->resets++;
}

/* One register at offset 0; anything else it declines. */
static enum bus_result probe_access(void *dev, struct bus_req *r)
{
    struct probe *p = dev;
    if (r->off != 0)
        return BUS_NOT_MINE;
    if (r->write)
        p->value = r->val;
    else
        r->val = p->value;
    return BUS_OK;
}

static const struct bus_ops probe_ops = {"probe", probe_access};

static void probe_snapshot(void *state, struct snap *s)
{
    struct probe *p = state;
    snap_u32(s, &p->value);
    snap_u32(s, &p->other);
    snap_bool(s, &p->flag);
    snap_check(s, p->value != PROBE_BAD);
}

DEVICE_TYPE(unit_probe) = {
    .name = "probe",
    .snap_version = PROBE_VERSION,
    .create = probe_create,
    .reset = probe_reset,
    .ops = &probe_ops,
    .snapshot = probe_snapshot,
};

/* ---- Boards and VMs. */

#define ENTRY 0x40010000u
#define DTB   0x43ffc000u
#define MIB   (1u << 20)

/* Two probes and a testdev, each behind a different feature set. */
static const struct board_slot mixed_slots[] = {
    {"probe", 0x10000, 0x1000, -1, NULL, NULL, 0, 0, NULL, false},
    {"testdev", 0x20000, TESTDEV_SIZE, 40, "testdev", "minivmm,testdev", 0, VM_F_DEVICES, NULL, false},
    {"probe", 0x30000, 0x100, -1, NULL, NULL, 0, VM_F_DEVICES | VM_F_IRQS, NULL, false},
};
static const struct board mixed_board = {"mixed", mixed_slots, ARRAY_SIZE(mixed_slots)};

/* What the whole-VM snapshots use: one device of each type. */
static const struct board_slot snap_slots[] = {
    {"testdev", 0x20000, TESTDEV_SIZE, -1, NULL, NULL, 0, VM_F_DEVICES, NULL, false},
    {"probe", 0x10000, 0x1000, -1, NULL, NULL, 0, 0, NULL, false},
};
static const struct board snap_board = {"snap", snap_slots, ARRAY_SIZE(snap_slots)};

static struct vm vm_a, vm_b;
static char err[256];

/* A VM with interrupts has its distributor, which the devices' lines go to
 * (minivmm's gicd_create makes it; here it is made by hand, since gicd's
 * reset is lab 4's code). */
static struct vgic irq_gic;

static void vm_init(struct vm *vm, uint32_t features)
{
    memset(vm, 0, sizeof(*vm));
    vm->ram_ipa = GUEST_RAM_BASE;
    vm->ram_size = 64 * MIB;
    vm->entry = ENTRY;
    vm->dtb_ipa = DTB;
    vm->features = features;
    vm->vcpu.vm = vm;
    if (features & VM_F_IRQS) {
        memset(&irq_gic, 0, sizeof(irq_gic));
        irq_gic.ctx = vm;
        vm->arch.vgic = &irq_gic;
    }
}

/* A VM with board's devices created (and reset once) and its vCPU at the entry. */
static void view_fill(struct vcpu *v);

static void vm_make(struct vm *vm, const struct board *board, uint32_t features)
{
    vm_init(vm, features);
    err[0] = '\0';
    ck_assert_msg(vm_create_devices(vm, board, err, sizeof(err)) == 0, "%s", err);
    arch_vcpu_init(&vm->vcpu, vm->entry, vm->dtb_ipa);
    view_fill(&vm->vcpu);
}

static int create(struct vm *vm, const struct board_slot *slots, unsigned n, uint32_t features)
{
    struct board b = {"test", slots, n};
    vm_init(vm, features);
    memset(err, 0, sizeof(err));
    return vm_create_devices(vm, &b, err, sizeof(err));
}

static struct testdev *testdev_of(const struct vm *vm)
{
    struct device *d = vm_find_device(vm, "testdev");
    ck_assert_ptr_nonnull(d);
    return d->state;
}

static struct probe *probe_of(const struct vm *vm)
{
    struct device *d = vm_find_device(vm, "probe");
    ck_assert_ptr_nonnull(d);
    return d->state;
}

static void set32le(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32le(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

#define VERSION_AT SNAP_NAME_MAX
#define LENGTH_AT  (SNAP_NAME_MAX + 4u)

/* ---- The registry. */

START_TEST(test_registry_find)
{
    static const char *const names[] = {"testdev", "pl011", "gicd", "probe"};
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
        const struct device_type *t = device_type_find(names[i]);
        ck_assert_msg(t != NULL, "no type '%s'", names[i]);
        ck_assert_str_eq(t->name, names[i]);
        ck_assert(t >= device_types_begin() && t < device_types_end());
    }
    ck_assert_ptr_eq(device_type_find("probe"), &unit_probe_device_type);
    ck_assert_uint_eq(device_type_find("probe")->snap_version, PROBE_VERSION);
    ck_assert_ptr_null(device_type_find("nope"));
    ck_assert_ptr_null(device_type_find(""));
    ck_assert_ptr_null(device_type_find("prob"));
    ck_assert_ptr_null(device_type_find("testdevx"));
}
END_TEST

/* Every type offers everything the framework calls, under a unique name that can head a snapshot section. */
START_TEST(test_registry_complete)
{
    unsigned n = 0;
    for (const struct device_type *t = device_types_begin(); t < device_types_end(); t++, n++) {
        ck_assert_msg(t->name && t->name[0], "type %u has no name", n);
        const char *nm = t->name;
        ck_assert_msg(strlen(nm) < SNAP_NAME_MAX, "'%s' is too long for a section name", nm);
        ck_assert_msg(strcmp(nm, "vm") && strcmp(nm, "vcpu0"), "'%s' is taken by the VM's own sections", nm);
        ck_assert_msg(t->create != NULL, "'%s' has no create", nm);
        ck_assert_msg(t->reset != NULL, "'%s' has no reset", nm);
        /* Reached through an access function or a read/write pair: exactly one of the two. */
        ck_assert_msg(!t->ops != !t->rw, "'%s' must set one of ops and rw", nm);
        if (t->ops)
            ck_assert_msg(t->ops->access && t->ops->name, "'%s' has incomplete bus ops", nm);
        else
            ck_assert_msg(t->rw->read && t->rw->write && t->rw->name,
                          "'%s' has an incomplete read/write pair", nm);
        ck_assert_msg(t->snapshot != NULL, "'%s' has no snapshot", nm);
        ck_assert_msg(t->snap_version != 0, "'%s' has snapshot version 0", nm);
        for (const struct device_type *u = t + 1; u < device_types_end(); u++)
            ck_assert_msg(strcmp(nm, u->name) != 0, "two types are called '%s'", nm);
    }
    ck_assert_uint_ge(n, 4);
}
END_TEST

/* ---- Creating a board's devices. */

/* The device made from slot: its type, wiring, a reset, and its region on the bus. */
static void assert_created(struct vm *vm, unsigned i, const struct board_slot *slot)
{
    ck_assert_uint_lt(i, vm->ndevices);
    struct device *d = &vm->devices[i];
    ck_assert_ptr_eq(d->type, device_type_find(slot->type));
    ck_assert_ptr_eq(d->slot, slot);
    ck_assert_ptr_eq(d->vm, vm);
    ck_assert_ptr_nonnull(d->state);
    struct bus_region *r = bus_find(&vm->mmio.bus, slot->base, 1);
    ck_assert_msg(r != NULL, "nothing on the bus at %#x", slot->base);
    ck_assert_uint_eq(r->base, slot->base);
    ck_assert_uint_eq(r->size, slot->size);
    ck_assert_ptr_eq(r->ops, d->type->ops);
    ck_assert_ptr_eq(r->rw, d->type->rw);
    ck_assert_ptr_eq(r->dev, d->state);
    if (d->type == &unit_probe_device_type) {
        struct probe *p = d->state;
        ck_assert_uint_eq(p->resets, 1);
        ck_assert_uint_eq(p->value, PROBE_RESET);
        ck_assert_ptr_eq(p->dev, d);
    }
}

START_TEST(test_create_features)
{
    vm_make(&vm_a, &mixed_board, 0);
    ck_assert_uint_eq(vm_a.ndevices, 1);
    assert_created(&vm_a, 0, &mixed_slots[0]);
    ck_assert_uint_eq(vm_a.mmio.bus.count, 1);
    ck_assert_ptr_null(bus_find(&vm_a.mmio.bus, 0x20000, 1));

    vm_make(&vm_a, &mixed_board, VM_F_DEVICES);
    ck_assert_uint_eq(vm_a.ndevices, 2);
    assert_created(&vm_a, 0, &mixed_slots[0]);
    assert_created(&vm_a, 1, &mixed_slots[1]);
    ck_assert_uint_eq(vm_a.devices[1].irq.irq, 40);
    ck_assert_ptr_null(vm_a.devices[1].irq.set); /* no interrupt controller without VM_F_IRQS */
    ck_assert_ptr_null(bus_find(&vm_a.mmio.bus, 0x30000, 1));
    ck_assert_uint_eq(vm_a.mmio.bus.count, 2);

    vm_make(&vm_a, &mixed_board, VM_F_DEVICES | VM_F_IRQS | VM_F_STAGE2);
    ck_assert_uint_eq(vm_a.ndevices, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_created(&vm_a, i, &mixed_slots[i]);
    ck_assert_ptr_ne(vm_a.devices[0].state, vm_a.devices[2].state);

    vm_make(&vm_a, &mixed_board, VM_F_IRQS); /* IRQS alone does not satisfy DEVICES | IRQS */
    ck_assert_uint_eq(vm_a.ndevices, 1);
}
END_TEST

/* Created devices answer on the MMIO bus at their base, with offsets relative to it. */
START_TEST(test_create_on_bus)
{
    vm_make(&vm_a, &mixed_board, VM_F_DEVICES);
    struct bus_req r = {.width = 4, .write = true, .val = 0x80818283u};
    ck_assert_int_eq(bus_access(&vm_a.mmio.bus, 0x20010, &r), BUS_OK);
    ck_assert_uint_eq(testdev_of(&vm_a)->scratch[0x10], 0x83);
    ck_assert_uint_eq(testdev_of(&vm_a)->scratch[0x13], 0x80);
    uint32_t v = 0;
    ck_assert(mmio_bus_read(&vm_a.mmio, 0x20000 + TESTDEV_LAST, 4, &v));
    ck_assert_uint_eq(v, 1u << 31 | 4u << 16 | 0x10);
    r = (struct bus_req){.width = 4};
    ck_assert_int_eq(bus_access(&vm_a.mmio.bus, 0x10000, &r), BUS_OK);
    ck_assert_uint_eq(r.val, PROBE_RESET);
    r = (struct bus_req){.width = 4};
    ck_assert_int_eq(bus_access(&vm_a.mmio.bus, 0x10004, &r), BUS_NOT_MINE); /* the probe declines it */
    r = (struct bus_req){.width = 4};
    ck_assert_int_eq(bus_access(&vm_a.mmio.bus, 0x20000 + TESTDEV_REFUSE, &r), BUS_ERROR);
}
END_TEST

START_TEST(test_reset_devices)
{
    vm_make(&vm_a, &mixed_board, VM_F_DEVICES | VM_F_IRQS);
    struct testdev *t = testdev_of(&vm_a);
    struct probe *p0 = vm_a.devices[0].state, *p2 = vm_a.devices[2].state;
    memset(t->scratch, 0x5a, sizeof(t->scratch));
    t->last = 7;
    t->count = 9;
    p0->value = p2->value = 0x1234;
    p0->flag = true;
    vm_reset_devices(&vm_a);
    static const struct testdev zero;
    ck_assert_mem_eq(t, &zero, sizeof(zero));
    ck_assert_uint_eq(p0->resets, 2);
    ck_assert_uint_eq(p2->resets, 2);
    ck_assert_uint_eq(p0->value, PROBE_RESET);
    ck_assert_uint_eq(p2->value, PROBE_RESET);
    ck_assert(!p0->flag);
    vm_reset_devices(&vm_a);
    ck_assert_uint_eq(p0->resets, 3);
}
END_TEST

START_TEST(test_find_device)
{
    vm_make(&vm_a, &mixed_board, VM_F_DEVICES | VM_F_IRQS);
    ck_assert_ptr_eq(vm_find_device(&vm_a, "probe"), &vm_a.devices[0]); /* the first of two */
    ck_assert_ptr_eq(vm_find_device(&vm_a, "testdev"), &vm_a.devices[1]);
    ck_assert_ptr_null(vm_find_device(&vm_a, "gicd"));
    ck_assert_ptr_null(vm_find_device(&vm_a, "nope"));
    vm_make(&vm_a, &mixed_board, 0);
    ck_assert_ptr_null(vm_find_device(&vm_a, "testdev")); /* left out by the features */
}
END_TEST

START_TEST(test_create_unknown_type)
{
    static const struct board_slot slots[] = {
        {"probe", 0x10000, 0x1000, -1, NULL, NULL, 0, 0, NULL, false},
        {"nosuch", 0x20000, 0x1000, -1, NULL, NULL, 0, 0, NULL, false},
    };
    ck_assert_int_eq(create(&vm_a, slots, 2, 0), -1);
    ck_assert_msg(strstr(err, "'nosuch'") != NULL, "'%s' does not name the type", err);
    ck_assert_uint_eq(vm_a.ndevices, 1); /* the devices made so far stay */
    ck_assert_ptr_null(bus_find(&vm_a.mmio.bus, 0x20000, 1));
    /* Left out by its features, an unknown type is never looked up. */
    static const struct board_slot later[] = {
        {"nosuch", 0x20000, 0x1000, -1, NULL, NULL, 0, VM_F_IRQS, NULL, false}};
    ck_assert_int_eq(create(&vm_a, later, 1, 0), 0);
    ck_assert_uint_eq(vm_a.ndevices, 0);
}
END_TEST

START_TEST(test_create_overlap)
{
    static const struct board_slot slots[] = {
        {"probe", 0x10000, 0x1000, -1, NULL, NULL, 0, 0, NULL, false},
        {"testdev", 0x10ff0, 0x1000, -1, NULL, NULL, 0, 0, NULL, false},
    };
    ck_assert_int_eq(create(&vm_a, slots, 2, 0), -1);
    ck_assert_msg(strstr(err, "'testdev'") != NULL, "'%s' does not name the device", err);
    ck_assert_uint_eq(vm_a.ndevices, 1);
    ck_assert_uint_eq(vm_a.mmio.bus.count, 1);
    ck_assert_ptr_eq(bus_find(&vm_a.mmio.bus, 0x10ff0, 4)->dev, vm_a.devices[0].state);
}
END_TEST

/* A slot that wraps around 4 GiB, ends exactly there, or is empty is refused. */
START_TEST(test_create_bad_range)
{
    static const struct board_slot slots[][1] = {
        {{"testdev", 0xfffff000u, 0x2000, -1, NULL, NULL, 0, 0, NULL, false}},
        {{"testdev", 0xfffff000u, 0x1000, -1, NULL, NULL, 0, 0, NULL, false}},
        {{"probe", 0x10000, 0, -1, NULL, NULL, 0, 0, NULL, false}},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(slots); i++) {
        ck_assert_int_eq(create(&vm_a, slots[i], 1, 0), -1);
        ck_assert_msg(strstr(err, slots[i][0].type) != NULL, "'%s' does not name the device", err);
        ck_assert_uint_eq(vm_a.ndevices, 0);
        ck_assert_uint_eq(vm_a.mmio.bus.count, 0);
    }
}
END_TEST

/* ---- One object's section: save, restore, save again. */

static uint8_t buf[16384], buf2[16384], edit[16384];

static uint32_t save_section(uint8_t *b, const char *name, uint32_t version, snap_fn fn, void *obj)
{
    return snaptest_save(b, sizeof(buf), name, version, fn, obj);
}

/* Restore the first section of b[0, len) into obj: the result, with err holding the message. */
static int restore_section(const uint8_t *b, uint32_t len, uint32_t version, snap_fn fn, void *obj)
{
    return snaptest_restore(b, len, version, fn, obj, err, sizeof(err));
}

static void assert_err_has(const char *fragment)
{
    ck_assert_msg(strstr(err, fragment) != NULL, "'%s' lacks '%s'", err, fragment);
}

/* Save obj as section name, restore it into fresh (zeroed by the caller), save
 * fresh again: the two snapshots must be byte-identical. The length. */
static uint32_t round_trip(const char *name, uint32_t version, snap_fn fn, void *obj, void *fresh)
{
    uint32_t len = save_section(buf, name, version, fn, obj);
    ck_assert_msg(restore_section(buf, len, version, fn, fresh) == 0, "%s", err);
    memset(buf2, 0xa5, sizeof(buf2));
    ck_assert_uint_eq(save_section(buf2, name, version, fn, fresh), len);
    ck_assert_mem_eq(buf, buf2, len);
    return len;
}

START_TEST(test_testdev_round_trip)
{
    const struct device_type *t = device_type_find("testdev");
    static struct testdev a, b;
    for (unsigned i = 0; i < TESTDEV_SCRATCH_SIZE; i++)
        a.scratch[i] = (uint8_t)(7 * i + 3);
    a.last = 0x80040012u;
    a.count = 0x01020304u;
    memset(&b, 0, sizeof(b));
    ck_assert_uint_eq(round_trip("testdev", t->snap_version, t->snapshot, &a, &b),
                      SNAP_HEADER_SIZE + 256 + 8);
    ck_assert_mem_eq(&a, &b, sizeof(a));
}
END_TEST

/* ---- The PL011's snapshot (framework code; its reset and registers are lab 3's). */

static void fake_tx(void *ctx, uint8_t c)
{
    (void)ctx;
    (void)c;
}

static int fake_rx(void *ctx)
{
    (void)ctx;
    return -1;
}

static void fake_irq(void *ctx, bool level)
{
    (void)ctx;
    (void)level;
}

static int backend_ctx;
#define VPL011_PAYLOAD (10 * 4 + VPL011_FIFO * 2 + 3)

static uint32_t *pl011_regs(struct vpl011 *u, unsigned i)
{
    uint32_t *regs[] = {&u->cr,   &u->lcr_h, &u->ibrd,  &u->fbrd, &u->ifls,
                        &u->imsc, &u->ris,   &u->dmacr, &u->ilpr, &u->rsr};
    return regs[i];
}

static void pl011_fill(struct vpl011 *u)
{
    memset(u, 0, sizeof(*u));
    for (unsigned i = 0; i < 10; i++)
        *pl011_regs(u, i) = 0x1000u * (i + 1) + i;
    for (unsigned i = 0; i < VPL011_FIFO; i++)
        u->rx_fifo[i] = (uint16_t)(0x0a00 + 17 * i);
    u->rx_head = 7;
    u->rx_count = 12;
    u->irq_level = true;
    u->backend = (struct vpl011_backend){fake_tx, fake_rx, fake_irq, &backend_ctx};
}

START_TEST(test_pl011_round_trip)
{
    const struct device_type *t = device_type_find("pl011");
    static struct vpl011 a, b;
    pl011_fill(&a);
    memset(&b, 0, sizeof(b));
    const struct vpl011_backend sentinel = {fake_tx, NULL, fake_irq, &b};
    b.backend = sentinel;
    ck_assert_uint_eq(round_trip("pl011", t->snap_version, t->snapshot, &a, &b),
                      SNAP_HEADER_SIZE + VPL011_PAYLOAD);
    for (unsigned i = 0; i < 10; i++)
        ck_assert_uint_eq(*pl011_regs(&b, i), *pl011_regs(&a, i));
    ck_assert_mem_eq(b.rx_fifo, a.rx_fifo, sizeof(a.rx_fifo));
    ck_assert_uint_eq(b.rx_head, 7);
    ck_assert_uint_eq(b.rx_count, 12);
    ck_assert(b.irq_level);
    /* The backend is wiring: a restore leaves it alone. */
    ck_assert_ptr_eq(b.backend.tx, sentinel.tx);
    ck_assert_ptr_null(b.backend.rx);
    ck_assert_ptr_eq(b.backend.irq, sentinel.irq);
    ck_assert_ptr_eq(b.backend.ctx, &b);

    /* The edges of the receive FIFO are accepted. */
    a.rx_head = VPL011_FIFO - 1;
    a.rx_count = VPL011_FIFO;
    memset(&b, 0, sizeof(b));
    round_trip("pl011", t->snap_version, t->snapshot, &a, &b);
    ck_assert_uint_eq(b.rx_head, VPL011_FIFO - 1);
    ck_assert_uint_eq(b.rx_count, VPL011_FIFO);
}
END_TEST

/* A FIFO index or count past the FIFO is refused. */
START_TEST(test_pl011_hostile)
{
    const struct device_type *t = device_type_find("pl011");
    static struct vpl011 a, b;
    static const uint8_t heads[] = {VPL011_FIFO, 0xff, 0}, counts[] = {0, 0, VPL011_FIFO + 1};
    for (unsigned i = 0; i < ARRAY_SIZE(heads); i++) {
        pl011_fill(&a);
        a.rx_head = heads[i];
        a.rx_count = counts[i];
        uint32_t len = save_section(buf, "pl011", t->snap_version, t->snapshot, &a);
        memset(&b, 0, sizeof(b));
        ck_assert_int_eq(restore_section(buf, len, t->snap_version, t->snapshot, &b), -1);
        assert_err_has("section 'pl011'");
        assert_err_has("out of range");
        ck_assert_ptr_null(b.backend.tx);
    }
}
END_TEST

/* ---- The distributor's snapshot (framework code; vgic_init and its registers are lab 4's). */

static void fake_eoi(void *ctx, unsigned intid)
{
    (void)ctx;
    (void)intid;
}

/* An LR's contents for interrupt vid. */
#define LR(vid, state, prio) ((state) | (uint32_t)(prio) << LR_PRIO_SHIFT | (uint32_t)(vid))
#define VGIC_PAYLOAD         (1 + VGIC_NR_LRS * 4 + 4 + 4 + 4 + 8 + VGIC_NR_IRQS * 9)

/* A distributor in the middle of things: three interrupts in list registers, every field varied. */
static void vgic_fill(struct vgic *g)
{
    memset(g, 0, sizeof(*g));
    g->enabled = true;
    for (unsigned i = 0; i < VGIC_NR_IRQS; i++) {
        struct vgic_irq *q = &g->irq[i];
        q->enabled = i % 2;
        q->pending = i % 3 == 0;
        q->level = i % 5 == 0;
        q->active = i % 7 == 0;
        q->edge = i < 16 || i % 4 == 0;
        q->lr = -1;
        q->priority = (uint8_t)((i * 8) & VGIC_PRIO_MASK);
        q->target = i >= 32;
    }
    g->lr[0] = LR(IRQ_VTIMER, LR_PENDING, 0x14);
    g->lr[1] = LR(IRQ_GUEST_UART, LR_ACTIVE | LR_EOI, 0x02);
    g->lr[2] = 0;
    g->lr[3] = LR(5, LR_PENDING, 0x1f) | 3u << LR_CPUID_SHIFT;
    g->irq[IRQ_VTIMER].lr = 0;
    g->irq[IRQ_VTIMER].level = true;
    g->irq[IRQ_GUEST_UART].lr = 1;
    g->irq[IRQ_GUEST_UART].lr_latched = true;
    g->irq[5].lr = 3;
    g->hcr = GICH_HCR_EN | GICH_HCR_UIE;
    g->injected = 0x0123456789abcdefull;
    g->eoi = fake_eoi;
    g->ctx = &backend_ctx;
}

static void assert_vgic_eq(const struct vgic *a, const struct vgic *b)
{
    ck_assert_int_eq(a->enabled, b->enabled);
    ck_assert_mem_eq(a->lr, b->lr, sizeof(a->lr));
    ck_assert_uint_eq(a->hcr, b->hcr);
    ck_assert_uint_eq(a->injected, b->injected);
    for (unsigned i = 0; i < VGIC_NR_IRQS; i++) {
        const struct vgic_irq *p = &a->irq[i], *q = &b->irq[i];
        ck_assert_msg(p->enabled == q->enabled && p->pending == q->pending && p->level == q->level &&
                          p->active == q->active && p->edge == q->edge && p->lr == q->lr &&
                          p->lr_latched == q->lr_latched && p->priority == q->priority &&
                          p->target == q->target,
                      "irq %u differs", i);
    }
}

/* Two VMs, each with its vGIC as gicd_create makes it: the device's state,
 * pointed to by the VM, with the VM as its context. */
static struct vgic gic_a, gic_b;

static void vgic_vm(struct vm *vm, struct vgic *g)
{
    memset(vm, 0, sizeof(*vm));
    memset(g, 0, sizeof(*g));
    vm->arch.vgic = g;
    g->ctx = vm;
}

static void vgic_vms(void)
{
    vgic_vm(&vm_a, &gic_a);
    vgic_vm(&vm_b, &gic_b);
}

static void clear_gich(void)
{
    memset(host_gich_lr, 0, VGIC_NR_LRS * sizeof(host_gich_lr[0]));
    host_gich_hcr = host_gich_vmcr = host_gich_apr = 0;
}

START_TEST(test_gicd_round_trip)
{
    const struct device_type *t = device_type_find("gicd");
    /* The snapshot function finds the vGIC's VM through its context. */
    vgic_vms();
    struct vgic *a = vm_a.arch.vgic, *b = vm_b.arch.vgic;
    vgic_fill(a);
    host_gich_vmcr = 0x4c0003f1u;
    host_gich_apr = 0x80000010u;
    uint32_t len = save_section(buf, "gicd", t->snap_version, t->snapshot, a);
    ck_assert_uint_eq(len, SNAP_HEADER_SIZE + VGIC_PAYLOAD);

    clear_gich();
    host_gic_enabled[IRQ_VTIMER] = true;
    b->eoi = NULL;
    b->ctx = &vm_b;
    ck_assert_msg(restore_section(buf, len, t->snap_version, t->snapshot, b) == 0, "%s", err);
    assert_vgic_eq(a, b);
    ck_assert_ptr_null(b->eoi); /* wiring: left alone */
    ck_assert_ptr_eq(b->ctx, &vm_b);
    /* The CPU interface got everything back. */
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        ck_assert_uint_eq(host_gich_lr[i], a->lr[i]);
    ck_assert_uint_eq(host_gich_hcr, GICH_HCR_EN | GICH_HCR_UIE);
    ck_assert_uint_eq(host_gich_vmcr, 0x4c0003f1u);
    ck_assert_uint_eq(host_gich_apr, 0x80000010u);
    ck_assert(!host_gic_enabled[IRQ_VTIMER]); /* its line is up: masked at the board */
    ck_assert(vm_b.arch.vgic_dirty);
    ck_assert(!vm_a.arch.vgic_dirty);

    memset(buf2, 0, sizeof(buf2));
    ck_assert_uint_eq(save_section(buf2, "gicd", t->snap_version, t->snapshot, b), len);
    ck_assert_mem_eq(buf, buf2, len);

    /* With the timer's line down, its PPI is unmasked. */
    a->irq[IRQ_VTIMER].level = false;
    len = save_section(buf, "gicd", t->snap_version, t->snapshot, a);
    ck_assert_int_eq(restore_section(buf, len, t->snap_version, t->snapshot, b), 0);
    ck_assert(host_gic_enabled[IRQ_VTIMER]);
}
END_TEST

/* An interrupt said to sit in a list register that does not exist, or that holds another interrupt. */
/* Save vm_a's vGIC, then restore it into vm_b: refused, naming the section, and
 * nothing written to the CPU interface. */
static void expect_gicd_refused(void)
{
    const struct device_type *t = device_type_find("gicd");
    uint32_t len = save_section(buf, "gicd", t->snap_version, t->snapshot, vm_a.arch.vgic);
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        host_gich_lr[i] = 0xee00 + i;
    host_gich_hcr = host_gich_vmcr = host_gich_apr = 0xeeee;
    ck_assert_int_eq(restore_section(buf, len, t->snap_version, t->snapshot, vm_b.arch.vgic), -1);
    assert_err_has("section 'gicd'");
    assert_err_has("out of range");
    for (unsigned i = 0; i < VGIC_NR_LRS; i++) /* nothing reached the CPU interface */
        ck_assert_uint_eq(host_gich_lr[i], 0xee00 + i);
    ck_assert_uint_eq(host_gich_hcr, 0xeeee);
    ck_assert_uint_eq(host_gich_vmcr, 0xeeee);
    ck_assert(!vm_b.arch.vgic_dirty);
}

static void gicd_refused(int8_t lr, uint32_t lr_value)
{
    vgic_vms();
    vgic_fill(vm_a.arch.vgic);
    vm_a.arch.vgic->irq[40].lr = lr;
    if (lr >= 0 && lr < VGIC_NR_LRS)
        vm_a.arch.vgic->lr[lr] = lr_value;
    expect_gicd_refused();
}

/* LR i holds value; owner (or -1 for none) says it sits there. */
static void gicd_lr_refused(unsigned i, uint32_t value, int owner)
{
    vgic_vms();
    vgic_fill(vm_a.arch.vgic);
    vm_a.arch.vgic->lr[i] = value;
    if (owner >= 0)
        vm_a.arch.vgic->irq[owner].lr = (int8_t)i;
    expect_gicd_refused();
}

START_TEST(test_gicd_hostile)
{
    gicd_refused(4, 0);
    gicd_refused(-2, 0);
    gicd_refused(127, 0);
    gicd_refused(-128, 0);
    gicd_refused(2, LR(41, LR_PENDING, 0));            /* LR 2 holds 41, not 40 */
    gicd_refused(0, LR(IRQ_VTIMER, LR_PENDING, 0x14)); /* LR 0 holds the timer */
    /* What an LR holds must be a guest interrupt that names it back: the vGIC
     * indexes irq[] by an LR's VID (a VID of 100 was a heap overflow). */
    gicd_lr_refused(0, LR(100, LR_PENDING, 0), -1);           /* no such interrupt */
    gicd_lr_refused(1, LR(41, LR_PENDING, 0), -1);            /* nobody says it is there */
    gicd_lr_refused(2, LR(40, LR_PENDING, 0) | 1u << 31, 40); /* HW bit: a physical interrupt */
    gicd_lr_refused(3, LR(40, 0, 0), 40);                     /* neither pending nor active */
    /* GICH_HCR: only the maintenance interrupts minivmm asks for. */
    vgic_vms();
    vgic_fill(vm_a.arch.vgic);
    vm_a.arch.vgic->hcr = GICH_HCR_EN | 1u << 2; /* LRENPIE */
    expect_gicd_refused();

    /* The same interrupt in LR 2, where it is: accepted. */
    const struct device_type *t = device_type_find("gicd");
    vgic_fill(vm_a.arch.vgic);
    vm_a.arch.vgic->irq[40].lr = 2;
    vm_a.arch.vgic->lr[2] = LR(40, LR_PENDING, 0);
    vgic_vm(&vm_b, &gic_b);
    round_trip("gicd", t->snap_version, t->snapshot, vm_a.arch.vgic, vm_b.arch.vgic);
    ck_assert_int_eq(vm_b.arch.vgic->irq[40].lr, 2);
    ck_assert_uint_eq(host_gich_lr[2], LR(40, LR_PENDING, 0));
}
END_TEST

/* An empty LR (0) holds no interrupt: not interrupt 0, although its VID bits
 * are 0 too. Accepted, SGI 0 "in" LR 2 could never be delivered, and would
 * share LR 2 with the next interrupt placed there (found by fuzzing). */
START_TEST(test_gicd_empty_lr)
{
    vgic_vms();
    vgic_fill(vm_a.arch.vgic);
    ck_assert_uint_eq(vm_a.arch.vgic->lr[2], 0);
    vm_a.arch.vgic->irq[0].lr = 2;
    expect_gicd_refused();
}
END_TEST

/* ---- The vCPU's section: registers, the CP15 view and what lives in the CPU. */

static void vcpu_fn(void *obj, struct snap *s)
{
    arch_vcpu_snapshot(obj, s);
}

/* What trapped CP15 reads show on this (pretend) host: the same for every
 * vCPU, as arch_vcpu_init makes it from the host's registers. */
static void view_fill(struct vcpu *v)
{
    uint32_t *w = (uint32_t *)&v->arch.cp15;
    for (unsigned i = 0; i < sizeof(v->arch.cp15) / 4; i++)
        w[i] = 0x2000u + 0x13u * i;
}

static void vcpu_fill(struct vcpu *v)
{
    uint32_t *w = (uint32_t *)&v->arch.regs;
    for (unsigned i = 0; i < sizeof(v->arch.regs) / 4; i++)
        w[i] = 0x1000u + 0x11u * i;
    v->arch.regs.cpsr = PSR_MODE_SVC | PSR_I | 0x20000000u;
    view_fill(v);
    v->arch.cp15.csselr = 5; /* the guest's own selection: the one field of the view it writes */
}

/* The guest's CP15 registers and virtual timer, as the CPU holds them. */
static void cpu_fill(void)
{
    for (unsigned i = 0; i < G_CP15_COUNT; i++)
        host_guest_cp15[i] = 0xc0de0000u + i;
    host_guest_vtimer = (struct guest_vtimer){3, 0x1122334455667788ull, 0x0102030405060708ull};
    for (unsigned i = 0; i < VFP_DREGS; i++)
        host_guest_vfp.d[i] = 0xf00d000000000000ull + 0x101ull * i;
    host_guest_vfp.fpscr = 0x00400000u;
    host_guest_vfp.fpexc = FPEXC_EN;
}

static void cpu_clear(void)
{
    memset(host_guest_cp15, 0, G_CP15_COUNT * sizeof(host_guest_cp15[0]));
    memset(&host_guest_vtimer, 0, sizeof(host_guest_vtimer));
    memset(&host_guest_vfp, 0, sizeof(host_guest_vfp));
}

static void assert_cpu_filled(void)
{
    for (unsigned i = 0; i < G_CP15_COUNT; i++)
        ck_assert_uint_eq(host_guest_cp15[i], 0xc0de0000u + i);
    ck_assert_uint_eq(host_guest_vtimer.ctl, 3);
    ck_assert_uint_eq(host_guest_vtimer.cval, 0x1122334455667788ull);
    ck_assert_uint_eq(host_guest_vtimer.voff, 0x0102030405060708ull);
    for (unsigned i = 0; i < VFP_DREGS; i++)
        ck_assert_uint_eq(host_guest_vfp.d[i], 0xf00d000000000000ull + 0x101ull * i);
    ck_assert_uint_eq(host_guest_vfp.fpscr, 0x00400000u);
    ck_assert_uint_eq(host_guest_vfp.fpexc, FPEXC_EN);
}

static void assert_cpu_clear(void)
{
    for (unsigned i = 0; i < G_CP15_COUNT; i++)
        ck_assert_uint_eq(host_guest_cp15[i], 0);
    ck_assert_uint_eq(host_guest_vtimer.ctl, 0);
    ck_assert_uint_eq(host_guest_vtimer.cval, 0);
    ck_assert_uint_eq(host_guest_vfp.d[31], 0);
    ck_assert_uint_eq(host_guest_vfp.fpexc, 0);
}

START_TEST(test_vcpu_round_trip)
{
    static struct vcpu a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    view_fill(&b);
    vcpu_fill(&a);
    cpu_fill();
    uint32_t len = save_section(buf, "vcpu0", ARCH_VCPU_SNAP_VERSION, vcpu_fn, &a);
    /* The save copied what lives in the CPU into the vCPU. */
    for (unsigned i = 0; i < G_CP15_COUNT; i++)
        ck_assert_uint_eq(a.arch.cp15_live[i], 0xc0de0000u + i);
    ck_assert_uint_eq(a.arch.vtimer.cval, 0x1122334455667788ull);

    cpu_clear();
    ck_assert_msg(restore_section(buf, len, ARCH_VCPU_SNAP_VERSION, vcpu_fn, &b) == 0, "%s", err);
    ck_assert_mem_eq(&b.arch.regs, &a.arch.regs, sizeof(a.arch.regs));
    ck_assert_mem_eq(&b.arch.cp15, &a.arch.cp15, sizeof(a.arch.cp15));
    ck_assert_mem_eq(b.arch.cp15_live, a.arch.cp15_live, G_CP15_COUNT * sizeof(uint32_t));
    ck_assert_uint_eq(b.arch.vtimer.ctl, 3);
    ck_assert_uint_eq(b.arch.vtimer.voff, 0x0102030405060708ull);
    assert_cpu_filled(); /* and the restore put it back into the CPU */

    memset(buf2, 0, sizeof(buf2));
    ck_assert_uint_eq(save_section(buf2, "vcpu0", ARCH_VCPU_SNAP_VERSION, vcpu_fn, &b), len);
    ck_assert_mem_eq(buf, buf2, len);
}
END_TEST

/* With idregs=native the guest's CSSELR is in the CPU: a save takes it from
 * there and a restore puts it back; with trapping, the CPU's is left alone. */
START_TEST(test_vcpu_native_csselr)
{
    static struct vcpu a, b;
    for (int native = 0; native <= 1; native++) {
        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        view_fill(&b);
        vcpu_fill(&a); /* the view's CSSELR: 5 */
        a.arch.idregs_native = b.arch.idregs_native = native;
        cpu_fill();
        host_sysreg_csselr = 3;
        uint32_t len = save_section(buf, "vcpu0", ARCH_VCPU_SNAP_VERSION, vcpu_fn, &a);
        ck_assert_uint_eq(a.arch.cp15.csselr, native ? 3 : 5);
        host_sysreg_csselr = 0;
        ck_assert_msg(restore_section(buf, len, ARCH_VCPU_SNAP_VERSION, vcpu_fn, &b) == 0, "%s", err);
        ck_assert_uint_eq(b.arch.cp15.csselr, native ? 3 : 5);
        ck_assert_uint_eq(host_sysreg_csselr, native ? 3 : 0);
    }
}
END_TEST

/* A guest never runs in Hyp mode or in a mode that does not exist, whatever the snapshot says. */
START_TEST(test_vcpu_hostile_mode)
{
    static const uint32_t bad[] = {PSR_MODE_HYP, 0x00, 0x600001da, 0x14, 0x16 /* Monitor */, 0x1e};
    static const uint32_t good[] = {PSR_MODE_USR, PSR_MODE_SYS, PSR_MODE_FIQ | PSR_T, PSR_MODE_UND};
    static struct vcpu a, b;
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        memset(&a, 0, sizeof(a));
        vcpu_fill(&a);
        a.arch.regs.cpsr = bad[i];
        cpu_fill();
        uint32_t len = save_section(buf, "vcpu0", ARCH_VCPU_SNAP_VERSION, vcpu_fn, &a);
        cpu_clear();
        memset(&b, 0, sizeof(b));
        view_fill(&b);
        ck_assert_msg(restore_section(buf, len, ARCH_VCPU_SNAP_VERSION, vcpu_fn, &b) == -1,
                      "cpsr %#x accepted", bad[i]);
        assert_err_has("section 'vcpu0'");
        assert_cpu_clear(); /* nothing reached the CPU */
        ck_assert_uint_eq(b.arch.cp15.csselr, 0x2000u + 0x13u * (offsetof(struct cp15_view, csselr) /
                                                                 4)); /* not the snapshot's 5 */
    }
    for (unsigned i = 0; i < ARRAY_SIZE(good); i++) {
        memset(&a, 0, sizeof(a));
        vcpu_fill(&a);
        a.arch.regs.cpsr = good[i];
        memset(&b, 0, sizeof(b));
        view_fill(&b);
        round_trip("vcpu0", ARCH_VCPU_SNAP_VERSION, vcpu_fn, &a, &b);
        ck_assert_uint_eq(b.arch.regs.cpsr, good[i]);
    }
}
END_TEST

/* FPEXC: only its enable bit is the guest's; anything else in a snapshot
 * (an exception state this CPU never has) is refused. */
START_TEST(test_vcpu_hostile_fpexc)
{
    static struct vcpu a, b;
    memset(&a, 0, sizeof(a));
    vcpu_fill(&a);
    cpu_fill();
    host_guest_vfp.fpexc = FPEXC_EN | 1u << 31;
    uint32_t len = save_section(buf, "vcpu0", ARCH_VCPU_SNAP_VERSION, vcpu_fn, &a);
    cpu_clear();
    memset(&b, 0, sizeof(b));
    view_fill(&b);
    ck_assert_int_eq(restore_section(buf, len, ARCH_VCPU_SNAP_VERSION, vcpu_fn, &b), -1);
    assert_err_has("section 'vcpu0'");
    assert_cpu_clear();
}
END_TEST

/* The view is the host's: a snapshot that shows another CPU (MIDR, cache
 * geometry) is refused; only the guest's CSSELR comes from the snapshot. */
START_TEST(test_vcpu_foreign_view)
{
    static struct vcpu a, b;
    memset(&a, 0, sizeof(a));
    vcpu_fill(&a);
    cpu_fill();
    uint32_t len = save_section(buf, "vcpu0", ARCH_VCPU_SNAP_VERSION, vcpu_fn, &a);
    memset(&b, 0, sizeof(b));
    view_fill(&b);
    b.arch.cp15.clidr ^= 1; /* another cache geometry */
    cpu_clear();
    ck_assert_int_eq(restore_section(buf, len, ARCH_VCPU_SNAP_VERSION, vcpu_fn, &b), -1);
    assert_err_has("section 'vcpu0'");
    assert_cpu_clear();
    memset(&b, 0, sizeof(b));
    view_fill(&b);
    ck_assert_msg(restore_section(buf, len, ARCH_VCPU_SNAP_VERSION, vcpu_fn, &b) == 0, "%s", err);
    ck_assert_uint_eq(b.arch.cp15.csselr, 5);
}
END_TEST

/* A vCPU section cut anywhere: refused as truncated, and nothing half restored reaches the CPU. */
START_TEST(test_vcpu_truncated)
{
    static struct vcpu a, b;
    memset(&a, 0, sizeof(a));
    vcpu_fill(&a);
    cpu_fill();
    uint32_t len = save_section(buf, "vcpu0", ARCH_VCPU_SNAP_VERSION, vcpu_fn, &a);
    uint32_t payload = len - SNAP_HEADER_SIZE;
    for (uint32_t cut = 0; cut < payload; cut++) {
        set32le(buf + LENGTH_AT, cut);
        cpu_clear();
        memset(&b, 0, sizeof(b));
        view_fill(&b);
        ck_assert_int_eq(restore_section(buf, SNAP_HEADER_SIZE + cut, ARCH_VCPU_SNAP_VERSION, vcpu_fn, &b),
                         -1);
        assert_err_has("section 'vcpu0': truncated");
        assert_cpu_clear();
    }
}
END_TEST

/* ---- Whole VMs. */

/* Every field of vm (made on snap_board) moved away from its reset state. */
static void vm_fill(struct vm *vm)
{
    vm->entry = 0x40020000u;
    vm->dtb_ipa = 0x43ff0000u;
    vm->initrd_ipa = 0x42000000u;
    vm->reset_requested = true;
    struct testdev *t = testdev_of(vm);
    for (unsigned i = 0; i < TESTDEV_SCRATCH_SIZE; i++)
        t->scratch[i] = (uint8_t)(0x80 + i);
    t->last = 0x80020044u;
    t->count = 77;
    struct probe *p = probe_of(vm);
    p->value = 0x11112222u;
    p->other = 0x33334444u;
    p->flag = true;
    vcpu_fill(&vm->vcpu);
    for (unsigned i = 0; i < ARCH_EXIT_CLASSES; i++)
        vm->vcpu.stats.count[i] = 1000u * i + 1;
    vm->vcpu.stats.irqs = 555;
    vm->vcpu.stats.total = 0x123456789ull;
    vm->arch.mmio_stats = (struct mmio_emul_stats){0x100000001ull, 22, 3};
    vm->arch.dcache.hits = 0x200000004ull;
    vm->arch.dcache.misses = 5;
    cpu_fill();
}

/* The target of a restore: its own state, different from the snapshot's and from reset. */
static void vm_scribble(struct vm *vm)
{
    vm->entry = 0x40030000u;
    vm->dtb_ipa = 0x43000000u;
    vm->initrd_ipa = 0x41000000u;
    vm->reset_requested = false;
    vm->arch.mmio_stats = (struct mmio_emul_stats){7, 8, 9};
    vm->arch.dcache.hits = 10;
    vm->arch.dcache.misses = 11;
    struct testdev *t = testdev_of(vm);
    memset(t->scratch, 0xee, sizeof(t->scratch));
    t->last = 1;
    t->count = 2;
    struct probe *p = probe_of(vm);
    p->value = 0x77777777u;
    p->other = 0x88u;
    p->flag = true;
    vm->vcpu.arch.regs.pc = 0xdead0000u;
    vm->vcpu.arch.regs.cpsr = PSR_MODE_USR;
    vm->vcpu.arch.regs.r[5] = 0x55u;
}

static uint32_t snap_len;

/* vm_a filled and saved into buf; vm_b made on the same board and scribbled on. */
static void prepare(void)
{
    struct snap_writer w;
    vm_make(&vm_a, &snap_board, VM_F_DEVICES);
    vm_fill(&vm_a);
    snap_writer_init(&w, buf, sizeof(buf));
    ck_assert_int_eq(vm_snapshot_save(&vm_a, &w), 0);
    ck_assert(!w.overflow);
    snap_len = w.len;
    vm_make(&vm_b, &snap_board, VM_F_DEVICES);
    vm_scribble(&vm_b);
    cpu_clear();
}

static int restore_vm(struct vm *vm, const uint8_t *b, uint32_t len)
{
    memset(err, 'X', sizeof(err) - 1);
    err[sizeof(err) - 1] = '\0';
    return vm_snapshot_restore(vm, b, len, err, sizeof(err));
}

static void assert_vm_restored(const struct vm *a, const struct vm *b)
{
    ck_assert_uint_eq(b->entry, a->entry);
    ck_assert_uint_eq(b->dtb_ipa, a->dtb_ipa);
    ck_assert_uint_eq(b->initrd_ipa, a->initrd_ipa);
    ck_assert_int_eq(b->reset_requested, a->reset_requested);
    ck_assert_mem_eq(&b->vcpu.arch.regs, &a->vcpu.arch.regs, sizeof(a->vcpu.arch.regs));
    ck_assert_mem_eq(&b->vcpu.arch.cp15, &a->vcpu.arch.cp15, sizeof(a->vcpu.arch.cp15));
    ck_assert_mem_eq(&b->vcpu.stats, &a->vcpu.stats, sizeof(a->vcpu.stats));
    /* lab 3's counters: the guest reads them (MV_HC_TEST_MMIO_STAT) */
    ck_assert_mem_eq(&b->arch.mmio_stats, &a->arch.mmio_stats, sizeof(a->arch.mmio_stats));
    ck_assert_uint_eq(b->arch.dcache.hits, a->arch.dcache.hits);
    ck_assert_uint_eq(b->arch.dcache.misses, a->arch.dcache.misses);
    ck_assert_mem_eq(testdev_of(b), testdev_of(a), sizeof(struct testdev));
    struct probe *pa = probe_of(a), *pb = probe_of(b);
    ck_assert_uint_eq(pb->value, pa->value);
    ck_assert_uint_eq(pb->other, pa->other);
    ck_assert_int_eq(pb->flag, pa->flag);
}

START_TEST(test_vm_round_trip)
{
    static const char *const order[] = {"vm", "vcpu0", "testdev", "probe"};
    prepare();
    struct snap_reader r;
    struct snap_section sec;
    snap_reader_init(&r, buf, snap_len);
    for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
        ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), 1);
        ck_assert_str_eq(sec.name, order[i]);
    }
    ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), 0);

    ck_assert_msg(restore_vm(&vm_b, buf, snap_len) == 0, "%s", err);
    assert_vm_restored(&vm_a, &vm_b);
    assert_cpu_filled();
    ck_assert_uint_eq(probe_of(&vm_b)->resets, 1); /* a restore that succeeds resets nothing */
    ck_assert_ptr_eq(probe_of(&vm_b)->dev, vm_find_device(&vm_b, "probe"));

    struct snap_writer w;
    memset(buf2, 0, sizeof(buf2));
    snap_writer_init(&w, buf2, sizeof(buf2));
    ck_assert_int_eq(vm_snapshot_save(&vm_b, &w), 0);
    ck_assert_uint_eq(w.len, snap_len);
    ck_assert_mem_eq(buf, buf2, snap_len);
}
END_TEST

/* A VM with two devices of one type: each gets its own state back. */
START_TEST(test_vm_two_of_a_type)
{
    static const struct board_slot slots[] = {
        {"probe", 0x10000, 0x1000, -1, NULL, NULL, 0, 0, NULL, false},
        {"probe", 0x30000, 0x1000, -1, NULL, NULL, 0, 0, NULL, false},
    };
    static const struct board two = {"two", slots, 2};
    struct snap_writer w;
    vm_make(&vm_a, &two, 0);
    ((struct probe *)vm_a.devices[0].state)->value = 0xaaaa;
    ((struct probe *)vm_a.devices[1].state)->value = 0xbbbb;
    snap_writer_init(&w, buf, sizeof(buf));
    ck_assert_int_eq(vm_snapshot_save(&vm_a, &w), 0);
    vm_make(&vm_b, &two, 0);
    ck_assert_msg(restore_vm(&vm_b, buf, w.len) == 0, "%s", err);
    ck_assert_uint_eq(((struct probe *)vm_b.devices[0].state)->value, 0xaaaa);
    ck_assert_uint_eq(((struct probe *)vm_b.devices[1].state)->value, 0xbbbb);
}
END_TEST

START_TEST(test_vm_save_overflow)
{
    struct snap_writer w;
    prepare();
    for (uint32_t cap = 0; cap < snap_len; cap += 7) {
        snap_writer_init(&w, buf2, cap);
        ck_assert_int_eq(vm_snapshot_save(&vm_a, &w), -1);
        ck_assert(w.overflow);
    }
}
END_TEST

/* ---- Bad input: refused, the message names the section, its owner back at reset. */

/* Where the section called name lies in buf (header included). */
struct span {
    uint32_t at, size;
};

static struct span find_section(const char *name)
{
    struct snap_reader r;
    struct snap_section sec;
    char e[160];
    snap_reader_init(&r, buf, snap_len);
    for (uint32_t at = 0; snap_next_section(&r, &sec, e, sizeof(e)) == 1; at = r.pos)
        if (!strcmp(sec.name, name))
            return (struct span){at, SNAP_HEADER_SIZE + sec.length};
    ck_abort_msg("no section '%s'", name);
    return (struct span){0, 0};
}

/* edit = buf with remove bytes at at replaced by insert[0, n): the new length. */
static uint32_t splice(uint32_t at, uint32_t remove, const void *insert, uint32_t n)
{
    ck_assert_uint_le(snap_len - remove + n, sizeof(edit));
    memcpy(edit, buf, at);
    if (n)
        memcpy(edit + at, insert, n);
    memcpy(edit + at + n, buf + at + remove, snap_len - at - remove);
    return snap_len - remove + n;
}

/* The section's payload cut by n bytes, its length field saying so. */
static uint32_t cut_section(const char *name, uint32_t n)
{
    struct span s = find_section(name);
    uint32_t len = splice(s.at + s.size - n, n, NULL, 0);
    set32le(edit + s.at + LENGTH_AT, get32le(buf + s.at + LENGTH_AT) - n);
    return len;
}

/* The section's payload with n bytes more. */
static uint32_t pad_section(const char *name, uint32_t n)
{
    static const uint8_t zeros[16];
    struct span s = find_section(name);
    uint32_t len = splice(s.at + s.size, 0, zeros, n);
    set32le(edit + s.at + LENGTH_AT, get32le(buf + s.at + LENGTH_AT) + n);
    return len;
}

static uint32_t set_version(const char *name, uint32_t version)
{
    struct span s = find_section(name);
    uint32_t len = splice(0, 0, NULL, 0);
    set32le(edit + s.at + VERSION_AT, version);
    return len;
}

static uint32_t rename_section(const char *name, const char *to)
{
    struct span s = find_section(name);
    uint32_t len = splice(0, 0, NULL, 0);
    memset(edit + s.at, 0, SNAP_NAME_MAX);
    memcpy(edit + s.at, to, strlen(to));
    return len;
}

static uint32_t drop_section(const char *name)
{
    struct span s = find_section(name);
    return splice(s.at, s.size, NULL, 0);
}

/* The section once more at the end. */
static uint32_t repeat_section(const char *name)
{
    struct span s = find_section(name);
    return splice(snap_len, 0, buf + s.at, s.size);
}

static void refused(uint32_t len, const char *fragment)
{
    ck_assert_int_eq(restore_vm(&vm_b, edit, len), -1);
    assert_err_has(fragment);
}

static void assert_testdev_reset(const struct vm *vm)
{
    static const struct testdev zero;
    ck_assert_mem_eq(testdev_of(vm), &zero, sizeof(zero));
}

static void assert_probe_reset(const struct vm *vm)
{
    struct probe *p = probe_of(vm);
    ck_assert_uint_eq(p->value, PROBE_RESET);
    ck_assert_uint_eq(p->other, 0);
    ck_assert(!p->flag);
    ck_assert_uint_eq(p->resets, 2); /* once at creation, once for the failed section */
}

static void assert_vcpu_reset(const struct vm *vm)
{
    const struct arm_regs *r = &vm->vcpu.arch.regs;
    ck_assert_uint_eq(r->pc, vm->entry);
    ck_assert_uint_eq(r->r[2], vm->dtb_ipa);
    ck_assert_uint_eq(r->r[5], 0);
    ck_assert_uint_eq(r->cpsr, PSR_MODE_SVC | PSR_A | PSR_I | PSR_F);
}

/* The VM's own fields as vm_scribble left them. */
static void assert_vm_fields_kept(const struct vm *vm)
{
    ck_assert_uint_eq(vm->entry, 0x40030000u);
    ck_assert_uint_eq(vm->dtb_ipa, 0x43000000u);
    ck_assert_uint_eq(vm->initrd_ipa, 0x41000000u);
    ck_assert(!vm->reset_requested);
    ck_assert_uint_eq(vm->ram_size, 64 * MIB);
    ck_assert_uint_eq(vm->features, VM_F_DEVICES);
}

START_TEST(test_bad_truncated)
{
    prepare();
    refused(cut_section("testdev", 4), "section 'testdev': truncated");
    assert_testdev_reset(&vm_b); /* although its scratch bytes had been restored */

    prepare();
    struct span s = find_section("testdev");
    refused(cut_section("testdev", s.size - SNAP_HEADER_SIZE), "section 'testdev': truncated");
    assert_testdev_reset(&vm_b);

    prepare();
    refused(cut_section("probe", 1), "section 'probe': truncated");
    assert_probe_reset(&vm_b);

    prepare();
    refused(cut_section("vcpu0", 8), "section 'vcpu0': truncated");
    assert_vcpu_reset(&vm_b);

    prepare();
    refused(cut_section("vm", 1), "section 'vm': truncated");
    assert_vm_fields_kept(&vm_b);
}
END_TEST

START_TEST(test_bad_version)
{
    prepare();
    refused(set_version("probe", PROBE_VERSION + 1), "section 'probe': version 4");
    assert_probe_reset(&vm_b);

    prepare();
    refused(set_version("testdev", 0), "section 'testdev': version 0");
    assert_testdev_reset(&vm_b);

    prepare();
    refused(set_version("vcpu0", 0x10001), "section 'vcpu0'");
    assert_vcpu_reset(&vm_b);

    prepare();
    refused(set_version("vm", VM_SNAP_VERSION + 1), "section 'vm'");
    assert_vm_fields_kept(&vm_b);
}
END_TEST

START_TEST(test_bad_length)
{
    prepare();
    refused(pad_section("testdev", 4), "section 'testdev': 4 bytes of payload left unread");
    assert_testdev_reset(&vm_b);

    prepare();
    refused(pad_section("probe", 1), "section 'probe'");
    assert_probe_reset(&vm_b);

    prepare();
    refused(pad_section("vcpu0", 16), "section 'vcpu0'");
    assert_vcpu_reset(&vm_b);
}
END_TEST

START_TEST(test_bad_unknown_name)
{
    prepare();
    refused(rename_section("probe", "nosuch"), "section 'nosuch'");
    prepare();
    refused(rename_section("testdev", "pl011"), "section 'pl011'"); /* a type this VM has no device of */
    prepare();
    refused(rename_section("vcpu0", "vcpu1"), "section 'vcpu1'");

    /* Appended after every good section. */
    prepare();
    struct snap_writer w;
    struct probe extra = {1, 2, false, 0, NULL};
    snap_writer_init(&w, buf, sizeof(buf));
    w.len = snap_len;
    ck_assert_int_eq(snap_write_section(&w, "nosuch", 1, probe_snapshot, &extra), 0);
    ck_assert_int_eq(restore_vm(&vm_b, buf, w.len), -1);
    assert_err_has("section 'nosuch'");
}
END_TEST

START_TEST(test_bad_twice)
{
    prepare();
    refused(repeat_section("probe"), "section 'probe' appears twice");
    assert_probe_reset(&vm_b);

    prepare();
    refused(repeat_section("testdev"), "section 'testdev' appears twice");
    assert_testdev_reset(&vm_b);

    prepare();
    refused(repeat_section("vcpu0"), "section 'vcpu0' appears twice");
    assert_vcpu_reset(&vm_b);

    prepare();
    refused(repeat_section("vm"), "section 'vm' appears twice");
    assert_vm_fields_kept(&vm_b);
}
END_TEST

START_TEST(test_bad_missing)
{
    prepare();
    refused(drop_section("testdev"), "section 'testdev' is missing");
    assert_testdev_reset(&vm_b);

    prepare();
    refused(drop_section("probe"), "section 'probe' is missing");
    assert_probe_reset(&vm_b);

    prepare();
    refused(drop_section("vcpu0"), "section 'vcpu0' is missing");
    assert_vcpu_reset(&vm_b);

    prepare();
    refused(drop_section("vm"), "section 'vm' is missing");
    assert_vm_fields_kept(&vm_b);
}
END_TEST

/* A snapshot cut anywhere is refused with a message; only the whole one restores. */
START_TEST(test_bad_cut_everywhere)
{
    prepare();
    for (uint32_t len = 0; len < snap_len; len++) {
        ck_assert_msg(restore_vm(&vm_b, buf, len) == -1, "cut at %u accepted", len);
        ck_assert_msg(err[0] != 'X' && err[0] != '\0', "cut at %u: no message", len);
    }
    ck_assert_msg(restore_vm(&vm_b, buf, snap_len) == 0, "%s", err);
    assert_vm_restored(&vm_a, &vm_b);
}
END_TEST

/* A snapshot of another machine: refused, the VM's own fields unchanged. */
START_TEST(test_bad_other_machine)
{
    prepare();
    vm_b.ram_size = 128 * MIB;
    ck_assert_int_eq(restore_vm(&vm_b, buf, snap_len), -1);
    assert_err_has("section 'vm'");
    vm_b.ram_size = 64 * MIB;
    assert_vm_fields_kept(&vm_b);

    prepare();
    vm_b.features = VM_F_DEVICES | VM_F_STAGE2;
    ck_assert_int_eq(restore_vm(&vm_b, buf, snap_len), -1);
    assert_err_has("section 'vm'");
    vm_b.features = VM_F_DEVICES;
    assert_vm_fields_kept(&vm_b);

    prepare();
    vm_b.ram_ipa = 0x80000000u;
    ck_assert_int_eq(restore_vm(&vm_b, buf, snap_len), -1);
    assert_err_has("section 'vm'");
    ck_assert_uint_eq(vm_b.ram_ipa, 0x80000000u);
    vm_b.ram_ipa = GUEST_RAM_BASE;
    assert_vm_fields_kept(&vm_b);
}
END_TEST

/* Values a device or the vCPU refuses, inside an otherwise good snapshot. */
START_TEST(test_bad_hostile_values)
{
    struct snap_writer w;
    vm_make(&vm_a, &snap_board, VM_F_DEVICES);
    vm_fill(&vm_a);
    probe_of(&vm_a)->value = PROBE_BAD;
    snap_writer_init(&w, buf, sizeof(buf));
    ck_assert_int_eq(vm_snapshot_save(&vm_a, &w), 0);
    vm_make(&vm_b, &snap_board, VM_F_DEVICES);
    vm_scribble(&vm_b);
    ck_assert_int_eq(restore_vm(&vm_b, buf, w.len), -1);
    assert_err_has("section 'probe': a value is out of range");
    assert_probe_reset(&vm_b);

    static const uint32_t modes[] = {PSR_MODE_HYP, 0x00};
    for (unsigned i = 0; i < ARRAY_SIZE(modes); i++) {
        vm_make(&vm_a, &snap_board, VM_F_DEVICES);
        vm_fill(&vm_a);
        vm_a.vcpu.arch.regs.cpsr = modes[i] | PSR_I;
        snap_writer_init(&w, buf, sizeof(buf));
        ck_assert_int_eq(vm_snapshot_save(&vm_a, &w), 0);
        vm_make(&vm_b, &snap_board, VM_F_DEVICES);
        vm_scribble(&vm_b);
        cpu_clear();
        ck_assert_int_eq(restore_vm(&vm_b, buf, w.len), -1);
        assert_err_has("section 'vcpu0'");
        assert_vcpu_reset(&vm_b);
        ck_assert_uint_eq(vm_b.vcpu.arch.regs.pc, 0x40020000u); /* the entry the "vm" section restored */
        assert_cpu_clear();
    }
}
END_TEST

Suite *devices_suite(void)
{
    Suite *s = suite_create("devices");
    TCase *c = tcase_create("registry");
    tcase_add_test(c, test_registry_find);
    tcase_add_test(c, test_registry_complete);
    tcase_add_test(c, test_create_features);
    tcase_add_test(c, test_create_on_bus);
    tcase_add_test(c, test_reset_devices);
    tcase_add_test(c, test_find_device);
    tcase_add_test(c, test_create_unknown_type);
    tcase_add_test(c, test_create_overlap);
    tcase_add_test(c, test_create_bad_range);
    suite_add_tcase(s, c);
    c = tcase_create("round trips");
    tcase_add_test(c, test_testdev_round_trip);
    tcase_add_test(c, test_pl011_round_trip);
    tcase_add_test(c, test_pl011_hostile);
    tcase_add_test(c, test_gicd_round_trip);
    tcase_add_test(c, test_gicd_hostile);
    tcase_add_test(c, test_gicd_empty_lr);
    tcase_add_test(c, test_vcpu_round_trip);
    tcase_add_test(c, test_vcpu_native_csselr);
    tcase_add_test(c, test_vcpu_hostile_mode);
    tcase_add_test(c, test_vcpu_foreign_view);
    tcase_add_test(c, test_vcpu_hostile_fpexc);
    tcase_add_test(c, test_vcpu_truncated);
    tcase_add_test(c, test_vm_round_trip);
    tcase_add_test(c, test_vm_two_of_a_type);
    tcase_add_test(c, test_vm_save_overflow);
    suite_add_tcase(s, c);
    c = tcase_create("bad input");
    tcase_add_test(c, test_bad_truncated);
    tcase_add_test(c, test_bad_version);
    tcase_add_test(c, test_bad_length);
    tcase_add_test(c, test_bad_unknown_name);
    tcase_add_test(c, test_bad_twice);
    tcase_add_test(c, test_bad_missing);
    tcase_add_test(c, test_bad_cut_everywhere);
    tcase_add_test(c, test_bad_other_machine);
    tcase_add_test(c, test_bad_hostile_values);
    suite_add_tcase(s, c);
    return s;
}
