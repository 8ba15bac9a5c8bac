/* Unit tests of the DTB writer (minivmm/core/fdt.c) and the guest device tree (minivmm/core/guest_dt.c, guest_dt_user.c), read back by a small parser. */
#include <stdlib.h>
#include <string.h>
#include <minivmm/fdt.h>
#include <minivmm/guest_dt.h>
#include "suites.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- A small DTB reader: checks the layout, then answers "property X of node /a/b". */

struct dtb {
    const uint8_t *b;
    uint32_t total, off_struct, size_struct, off_strings, size_strings;
};

/* Validate the header and the block layout of a blob whose size the writer reported. */
static void dtb_open(struct dtb *d, const void *blob, uint32_t reported)
{
    const uint8_t *b = blob;
    ck_assert_uint_ne(reported, 0);
    ck_assert_uint_eq(be32(b), FDT_MAGIC);
    *d = (struct dtb){b, be32(b + 4), be32(b + 8), be32(b + 36), be32(b + 12), be32(b + 32)};
    ck_assert_uint_eq(d->total, reported);
    ck_assert_uint_eq(be32(b + 20), 17); /* version */
    ck_assert_uint_eq(be32(b + 24), 16); /* last compatible version */
    uint32_t rsv = be32(b + 16);
    ck_assert_uint_eq(rsv % 8, 0);
    for (int i = 0; i < 16; i++) /* the reservation map's terminating entry */
        ck_assert_uint_eq(b[rsv + i], 0);
    ck_assert_uint_eq(d->off_struct % 4, 0);
    ck_assert_uint_ge(d->off_struct, rsv + 16);
    ck_assert_uint_le(d->off_struct + d->size_struct, d->off_strings);
    ck_assert_uint_le(d->off_strings + d->size_strings, d->total);
}

/* Token stream walker: calls back for each property with the path of its node. */
typedef bool (*prop_fn)(void *ctx, const char *path, const char *name, const uint8_t *data, uint32_t len);

static void dtb_walk(const struct dtb *d, prop_fn fn, void *ctx)
{
    const uint8_t *s = d->b + d->off_struct;
    char path[256] = "";
    size_t saved[16];
    int depth = 0;
    for (uint32_t i = 0; i + 4 <= d->size_struct;) {
        uint32_t tok = be32(s + i);
        i += 4;
        if (tok == FDT_END) {
            ck_assert_int_eq(depth, 0);
            ck_assert_uint_eq(i, d->size_struct); /* FDT_END is the last token */
            return;
        } else if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)s + i;
            ck_assert_int_lt(depth, 16);
            saved[depth++] = strlen(path);
            if (depth > 1 && strcmp(path, "/"))
                strcat(path, "/");
            strcat(path, depth == 1 ? "/" : name);
            i += (uint32_t)(strlen(name) + 4) & ~3u;
        } else if (tok == FDT_END_NODE) {
            ck_assert_int_gt(depth, 0);
            path[saved[--depth]] = '\0';
        } else if (tok == FDT_PROP) {
            uint32_t len = be32(s + i), nameoff = be32(s + i + 4);
            ck_assert_uint_lt(nameoff, d->size_strings);
            const char *name = (const char *)d->b + d->off_strings + nameoff;
            if (fn && fn(ctx, path, name, s + i + 8, len))
                return;
            i += 8 + ((len + 3) & ~3u);
        } else {
            ck_assert_uint_eq(tok, FDT_NOP);
        }
    }
    ck_abort_msg("structure block has no FDT_END");
}

struct query {
    const char *path, *name;
    const uint8_t *data;
    uint32_t len;
};

static bool match_prop(void *ctx, const char *path, const char *name, const uint8_t *data, uint32_t len)
{
    struct query *q = ctx;
    if (strcmp(path, q->path) || strcmp(name, q->name))
        return false;
    q->data = data;
    q->len = len;
    return true;
}

/* The value of property `name` of node `path`, or NULL. */
static const uint8_t *dtb_prop(const struct dtb *d, const char *path, const char *name, uint32_t *len)
{
    struct query q = {path, name, NULL, 0};
    dtb_walk(d, match_prop, &q);
    *len = q.len;
    return q.data;
}

static uint32_t dtb_u32(const struct dtb *d, const char *path, const char *name)
{
    uint32_t len;
    const uint8_t *p = dtb_prop(d, path, name, &len);
    ck_assert_msg(p != NULL, "%s:%s missing", path, name);
    ck_assert_uint_eq(len, 4);
    return be32(p);
}

static const char *dtb_str(const struct dtb *d, const char *path, const char *name)
{
    uint32_t len;
    const char *p = (const char *)dtb_prop(d, path, name, &len);
    ck_assert_msg(p != NULL, "%s:%s missing", path, name);
    ck_assert_uint_eq(len, strlen(p) + 1); /* the NUL is part of the value */
    return p;
}

/* How often `name` is stored in the strings block. */
static int dtb_string_copies(const struct dtb *d, const char *name)
{
    int n = 0;
    const char *s = (const char *)d->b + d->off_strings;
    for (uint32_t off = 0; off < d->size_strings; off += (uint32_t)strlen(s + off) + 1)
        n += !strcmp(s + off, name);
    return n;
}

/* ---- The writer. */

/* A small tree exercising every kind of property and two levels of nesting. */
static uint32_t build_sample(void *buf, uint32_t size)
{
    struct fdt_writer w;
    fdt_begin(&w, buf, size);
    fdt_begin_node(&w, "");
    fdt_prop_u32(&w, "#address-cells", 1);
    fdt_prop_str(&w, "compatible", "test,board");
    fdt_begin_node(&w, "cpus");
    fdt_prop_u32(&w, "#size-cells", 0);
    fdt_begin_node(&w, "cpu@0");
    fdt_prop_u32(&w, "reg", 0x12345678);
    fdt_prop_str(&w, "compatible", "arm,cortex-a15");
    fdt_prop(&w, "enable-method", "", 0); /* an empty property */
    fdt_end_node(&w);
    fdt_end_node(&w);
    fdt_begin_node(&w, "uart@9000000");
    fdt_prop_u32(&w, "reg", 0x09000000);
    fdt_prop_u32(&w, "size-cells", 7); /* a suffix of "#size-cells": a distinct name */
    fdt_end_node(&w);
    fdt_end_node(&w);
    return fdt_finish(&w);
}

static uint8_t big[4096];

START_TEST(test_header)
{
    struct dtb d;
    uint32_t total = build_sample(big, sizeof(big));
    dtb_open(&d, big, total);
    ck_assert_uint_lt(total, sizeof(big));
    dtb_walk(&d, NULL, NULL); /* well-formed from start to FDT_END */
}
END_TEST

START_TEST(test_props_and_nesting)
{
    struct dtb d;
    dtb_open(&d, big, build_sample(big, sizeof(big)));
    ck_assert_uint_eq(dtb_u32(&d, "/", "#address-cells"), 1);
    ck_assert_str_eq(dtb_str(&d, "/", "compatible"), "test,board");
    ck_assert_uint_eq(dtb_u32(&d, "/cpus", "#size-cells"), 0);
    ck_assert_uint_eq(dtb_u32(&d, "/cpus/cpu@0", "reg"), 0x12345678);
    ck_assert_str_eq(dtb_str(&d, "/cpus/cpu@0", "compatible"), "arm,cortex-a15");
    ck_assert_uint_eq(dtb_u32(&d, "/uart@9000000", "reg"), 0x09000000);
    ck_assert_uint_eq(dtb_u32(&d, "/uart@9000000", "size-cells"), 7);
    uint32_t len = 99;
    ck_assert_ptr_nonnull(dtb_prop(&d, "/cpus/cpu@0", "enable-method", &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_null(dtb_prop(&d, "/cpus", "reg", &len)); /* properties stay in their node */
}
END_TEST

START_TEST(test_strings_deduplicated)
{
    struct dtb d;
    dtb_open(&d, big, build_sample(big, sizeof(big)));
    ck_assert_int_eq(dtb_string_copies(&d, "reg"), 1);
    ck_assert_int_eq(dtb_string_copies(&d, "compatible"), 1);
    ck_assert_int_eq(dtb_string_copies(&d, "#size-cells"), 1);
    /* Six distinct names at most ("size-cells" may share the tail of "#size-cells"). */
    const char *names = "#address-cells compatible #size-cells reg enable-method size-cells";
    ck_assert_uint_le(d.size_strings, strlen(names) + 1);
}
END_TEST

START_TEST(test_exact_fit)
{
    uint32_t total = build_sample(big, sizeof(big));
    /* Exactly `total` bytes is enough, and gives the same blob. A malloc'ed
     * buffer of that size lets ASan catch any write past it. */
    uint8_t *exact = malloc(total);
    ck_assert_uint_eq(build_sample(exact, total), total);
    ck_assert_mem_eq(exact, big, total);
    free(exact);
    uint8_t *short_buf = malloc(total - 1);
    ck_assert_uint_eq(build_sample(short_buf, total - 1), 0);
    free(short_buf);
}
END_TEST

START_TEST(test_overflow)
{
    uint32_t sizes[] = {0, 16, 56, 64, 100, 200};
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        uint8_t *buf = malloc(sizes[i] ? sizes[i] : 1);
        ck_assert_msg(build_sample(buf, sizes[i]) == 0, "fit in %u bytes", sizes[i]);
        free(buf);
    }
}
END_TEST

START_TEST(test_unbalanced)
{
    struct fdt_writer w;
    fdt_begin(&w, big, sizeof(big));
    fdt_begin_node(&w, "");
    fdt_begin_node(&w, "open");
    fdt_end_node(&w);
    ck_assert_uint_eq(fdt_finish(&w), 0); /* root never closed */
    fdt_begin(&w, big, sizeof(big));
    fdt_begin_node(&w, "");
    fdt_end_node(&w);
    fdt_end_node(&w);
    ck_assert_uint_eq(fdt_finish(&w), 0); /* one end too many */
}
END_TEST

/* ---- The guest's device tree. */

#define RAM_IPA  0x40000000u
#define RAM_SIZE 0x100000u

static struct vm *vm;
static char err[256];

static void guest_setup(void)
{
    vm = calloc(1, sizeof(*vm));
    vm->ram_ipa = RAM_IPA;
    vm->ram_size = RAM_SIZE;
    vm->ram_host = malloc(RAM_SIZE);
    memset(vm->ram_host, 0xAA, RAM_SIZE);
    vm->vcpu.vm = vm;
    strcpy(vm->bootargs, "console=hvc0 run=demo");
}

static void guest_teardown(void)
{
    free(vm->ram_host);
    free(vm);
}

START_TEST(test_guest_dt)
{
    ck_assert_int_eq(guest_dt_build(vm, err, sizeof(err)), 0);
    ck_assert_uint_eq(vm->dtb_ipa, RAM_IPA + RAM_SIZE - GUEST_DTB_MAX); /* top of RAM */
    const uint8_t *blob = vm->ram_host + (vm->dtb_ipa - RAM_IPA);
    struct dtb d;
    dtb_open(&d, blob, be32(blob + 4));
    ck_assert_uint_le(d.total, GUEST_DTB_MAX);
    ck_assert_str_eq(dtb_str(&d, "/chosen", "bootargs"), vm->bootargs);
    ck_assert_uint_eq(dtb_u32(&d, "/", "#address-cells"), 1);
    ck_assert_uint_eq(dtb_u32(&d, "/", "#size-cells"), 1);
    ck_assert_str_eq(dtb_str(&d, "/memory@40000000", "device_type"), "memory");
    uint32_t len;
    const uint8_t *reg = dtb_prop(&d, "/memory@40000000", "reg", &len);
    ck_assert_ptr_nonnull(reg);
    ck_assert_uint_eq(len, 8);
    const uint8_t want[8] = {0x40, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00}; /* big-endian */
    ck_assert_mem_eq(reg, want, 8);
    ck_assert_uint_eq(vm->ram_host[vm->dtb_ipa - RAM_IPA - 1], 0xAA); /* nothing below it */
}
END_TEST

/* Each device whose board slot names a node gets one, with the slot's
 * compatible and reg; one without a node name does not; one the VM's
 * features leave out does not exist at all. */
START_TEST(test_guest_dt_devices)
{
    static const struct board_slot slots[] = {
        {"testdev", 0x09000000u, 0x1000, -1, "pl011", "arm,pl011", 0, VM_F_DEVICES, NULL, false},
        {"testdev", 0x0c000000u, 0x1000, -1, NULL, NULL, 0, VM_F_DEVICES, NULL, false},
        {"testdev", 0x0d000000u, 0x1000, -1, "later", "x,later", 0, VM_F_DEVICES | VM_F_IRQS, NULL, false},
    };
    static const struct board board = {"test", slots, 3};
    vm->features = VM_F_STAGE2 | VM_F_DEVICES;
    ck_assert_int_eq(vm_create_devices(vm, &board, err, sizeof(err)), 0);
    ck_assert_uint_eq(vm->ndevices, 2);
    ck_assert_int_eq(guest_dt_build(vm, err, sizeof(err)), 0);
    const uint8_t *blob = vm->ram_host + (vm->dtb_ipa - RAM_IPA);
    struct dtb d;
    dtb_open(&d, blob, be32(blob + 4));
    ck_assert_str_eq(dtb_str(&d, "/pl011@9000000", "compatible"), "arm,pl011");
    uint32_t len;
    const uint8_t *reg = dtb_prop(&d, "/pl011@9000000", "reg", &len);
    ck_assert_ptr_nonnull(reg);
    ck_assert_uint_eq(len, 8);
    const uint8_t want[8] = {0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00};
    ck_assert_mem_eq(reg, want, 8);
    ck_assert_ptr_null(dtb_prop(&d, "/testdev@c000000", "reg", &len));
    ck_assert_ptr_null(dtb_prop(&d, "/later@d000000", "reg", &len));
    ck_assert_str_eq(dtb_str(&d, "/memory@40000000", "device_type"), "memory");
}
END_TEST

START_TEST(test_guest_dt_empty_bootargs)
{
    vm->bootargs[0] = '\0';
    ck_assert_int_eq(guest_dt_build(vm, err, sizeof(err)), 0);
    struct dtb d;
    const uint8_t *blob = vm->ram_host + (vm->dtb_ipa - RAM_IPA);
    dtb_open(&d, blob, be32(blob + 4));
    ck_assert_str_eq(dtb_str(&d, "/chosen", "bootargs"), "");
}
END_TEST

START_TEST(test_guest_dt_ram_too_small)
{
    vm->ram_size = GUEST_DTB_MAX / 2; /* the DTB area would start below RAM */
    vm->dtb_ipa = 0x1234;
    ck_assert_int_eq(guest_dt_build(vm, err, sizeof(err)), -1);
    ck_assert_uint_eq(vm->dtb_ipa, 0x1234);
    ck_assert_str_eq(err, "no room for the device tree in guest RAM");
}
END_TEST

/* ---- dtb=: the user's device tree, checked against guest RAM and given minivmm's /chosen. */

static uint8_t user_blob[4096];

/* A user's tree with its own memory node (cells: 1 or 2 per number). */
static void user_dt(uint32_t cells, uint64_t base, uint64_t size, bool chosen, bool memory)
{
    struct fdt_writer w;
    fdt_begin(&w, user_blob, sizeof(user_blob));
    fdt_begin_node(&w, "");
    fdt_prop_u32(&w, "#address-cells", cells);
    fdt_prop_u32(&w, "#size-cells", cells);
    fdt_prop_str(&w, "model", "my board");
    if (chosen) {
        fdt_begin_node(&w, "chosen");
        fdt_prop_str(&w, "bootargs", "from the tree");
        fdt_prop_str(&w, "stdout-path", "/pl011@9000000");
        fdt_prop_u32(&w, "linux,initrd-start", 0xdead);
        fdt_end_node(&w);
    }
    if (memory) {
        uint32_t reg[4] = {(uint32_t)base, (uint32_t)size}, n = 2;
        if (cells == 2) {
            uint32_t wide[4] = {(uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32),
                                (uint32_t)size};
            memcpy(reg, wide, sizeof(wide));
            n = 4;
        }
        fdt_begin_node(&w, "memory@40000000");
        fdt_prop_str(&w, "device_type", "memory");
        fdt_prop_cells(&w, "reg", reg, n);
        fdt_end_node(&w);
    }
    fdt_begin_node(&w, "pl011@9000000");
    fdt_prop_str(&w, "compatible", "arm,pl011");
    fdt_end_node(&w);
    fdt_end_node(&w);
    vm->user_dtb = user_blob;
    vm->user_dtb_len = fdt_finish(&w);
    ck_assert_uint_ne(vm->user_dtb_len, 0);
}

/* Build the guest's tree and open it for reading. */
static void guest_tree(struct dtb *d)
{
    ck_assert_msg(guest_dt_build(vm, err, sizeof(err)) == 0, "refused: %s", err);
    const uint8_t *blob = vm->ram_host + (vm->dtb_ipa - RAM_IPA);
    dtb_open(d, blob, be32(blob + 4));
}

START_TEST(test_user_dt_copied)
{
    struct dtb d;
    user_dt(1, RAM_IPA, RAM_SIZE, true, true);
    vm->initrd = (const uint8_t *)"x";
    vm->initrd_len = 100;
    vm->initrd_ipa = RAM_IPA + 0x80000;
    guest_tree(&d);
    ck_assert_str_eq(dtb_str(&d, "/", "model"), "my board");
    ck_assert_str_eq(dtb_str(&d, "/pl011@9000000", "compatible"), "arm,pl011");
    ck_assert_str_eq(dtb_str(&d, "/chosen", "stdout-path"), "/pl011@9000000");     /* kept */
    ck_assert_str_eq(dtb_str(&d, "/chosen", "bootargs"), "console=hvc0 run=demo"); /* minivmm's */
    ck_assert_uint_eq(dtb_u32(&d, "/chosen", "linux,initrd-start"), RAM_IPA + 0x80000);
    ck_assert_uint_eq(dtb_u32(&d, "/chosen", "linux,initrd-end"), RAM_IPA + 0x80000 + 100);
    ck_assert_str_eq(dtb_str(&d, "/memory@40000000", "device_type"), "memory");
}
END_TEST

START_TEST(test_user_dt_keeps_its_bootargs_without_ours)
{
    struct dtb d;
    user_dt(1, RAM_IPA, RAM_SIZE, true, true);
    vm->bootargs[0] = '\0';
    guest_tree(&d);
    ck_assert_str_eq(dtb_str(&d, "/chosen", "bootargs"), "from the tree");
    uint32_t len;
    ck_assert_ptr_null(dtb_prop(&d, "/chosen", "linux,initrd-start", &len)); /* no initramfs: none */
}
END_TEST

START_TEST(test_user_dt_gets_a_chosen_node)
{
    struct dtb d;
    user_dt(2, RAM_IPA, RAM_SIZE, false, true);
    guest_tree(&d);
    ck_assert_str_eq(dtb_str(&d, "/chosen", "bootargs"), "console=hvc0 run=demo");
    ck_assert_uint_eq(dtb_u32(&d, "/", "#address-cells"), 2);
}
END_TEST

/* Refused, with the reason, and no device tree placed (vm->dtb_ipa unchanged). */
static void refused(const char *fragment)
{
    vm->dtb_ipa = 0x1234;
    ck_assert_int_eq(guest_dt_build(vm, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, fragment) != NULL, "'%s' lacks '%s'", err, fragment);
    ck_assert_uint_eq(vm->dtb_ipa, 0x1234);
}

START_TEST(test_user_dt_wrong_memory)
{
    user_dt(1, RAM_IPA, 2 * RAM_SIZE, true, true);
    refused("describes 1 memory range(s), the first 0x40000000-0x401fffff, but guest RAM is "
            "0x40000000-0x400fffff (1 MiB; mem= sets it)");
    user_dt(1, RAM_IPA + 0x1000, RAM_SIZE, true, true);
    refused("the first 0x40001000-");
    user_dt(2, (uint64_t)1 << 32 | RAM_IPA, RAM_SIZE, true, true); /* above 4 GiB */
    refused("the first 0x140000000-");
    user_dt(1, RAM_IPA, RAM_SIZE, true, false);
    refused("describes no memory");
}
END_TEST

START_TEST(test_user_dt_malformed)
{
    user_dt(1, RAM_IPA, RAM_SIZE, true, true);
    user_blob[0] = 0;
    refused("the device tree (dtb=) is refused: not a device tree");
    user_dt(3, RAM_IPA, RAM_SIZE, true, true);
    refused("#address-cells 3 and #size-cells 3");
}
END_TEST

/* A /memreserve/ entry would be lost in the copy: refused. */
START_TEST(test_user_dt_reservation)
{
    static uint8_t with[sizeof(user_blob) + 16];
    user_dt(1, RAM_IPA, RAM_SIZE, true, true);
    uint32_t total = be32(user_blob + 4);
    ck_assert_uint_eq(be32(user_blob + 16), 40); /* the writer's map: one (0,0) entry at 40 */
    memcpy(with, user_blob, 40);
    const uint8_t entry[16] = {0, 0, 0, 0, 0x40, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0};
    memcpy(with + 40, entry, 16);
    memcpy(with + 56, user_blob + 40, total - 40);
    for (int field = 4; field <= 12; field += 4) { /* totalsize, off_dt_struct, off_dt_strings */
        uint32_t v = be32(with + field) + 16;
        const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        memcpy(with + field, b, 4);
    }
    vm->user_dtb = with;
    vm->user_dtb_len = total + 16;
    refused("reserves memory (1 /memreserve/ entries), which minivmm cannot pass on");
}
END_TEST

START_TEST(test_user_dt_too_big)
{
    static uint8_t big[3 * GUEST_DTB_MAX];
    struct fdt_writer w;
    static char filler[2 * GUEST_DTB_MAX];
    memset(filler, 'x', sizeof(filler) - 1);
    uint32_t reg[2] = {RAM_IPA, RAM_SIZE};
    fdt_begin(&w, big, sizeof(big));
    fdt_begin_node(&w, "");
    fdt_prop_u32(&w, "#address-cells", 1);
    fdt_prop_u32(&w, "#size-cells", 1);
    fdt_prop_str(&w, "filler", filler);
    fdt_begin_node(&w, "memory");
    fdt_prop_str(&w, "device_type", "memory");
    fdt_prop_cells(&w, "reg", reg, 2);
    fdt_end_node(&w);
    fdt_end_node(&w);
    vm->user_dtb = big;
    vm->user_dtb_len = fdt_finish(&w);
    refused("with minivmm's /chosen does not fit in 16384 bytes");
}
END_TEST

Suite *fdt_suite(void)
{
    Suite *s = suite_create("fdt");
    TCase *tc = tcase_create("writer");
    tcase_add_test(tc, test_header);
    tcase_add_test(tc, test_props_and_nesting);
    tcase_add_test(tc, test_strings_deduplicated);
    tcase_add_test(tc, test_exact_fit);
    tcase_add_test(tc, test_overflow);
    tcase_add_test(tc, test_unbalanced);
    suite_add_tcase(s, tc);
    TCase *g = tcase_create("guest_dt");
    tcase_add_checked_fixture(g, guest_setup, guest_teardown);
    tcase_add_test(g, test_guest_dt);
    tcase_add_test(g, test_guest_dt_devices);
    tcase_add_test(g, test_guest_dt_empty_bootargs);
    tcase_add_test(g, test_guest_dt_ram_too_small);
    tcase_add_test(g, test_user_dt_copied);
    tcase_add_test(g, test_user_dt_keeps_its_bootargs_without_ours);
    tcase_add_test(g, test_user_dt_gets_a_chosen_node);
    tcase_add_test(g, test_user_dt_wrong_memory);
    tcase_add_test(g, test_user_dt_malformed);
    tcase_add_test(g, test_user_dt_reservation);
    tcase_add_test(g, test_user_dt_too_big);
    suite_add_tcase(s, g);
    return s;
}
