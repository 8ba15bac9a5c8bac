/* Unit tests of snapshot files (minivmm/core/snapshot_file.c, crc32c.c): CRC32C, the round trip, zero pages, and every corruption refused, by name, before the VM changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/cmdline.h>
#include <minivmm/crc32c.h>
#include <minivmm/device.h>
#include <minivmm/hypercall.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/snapshot_file.h>
#include <minivmm/vm_snapshot.h>
#include <devices/testdev.h>
#include "host_stubs.h"
#include "suites.h"

/*
 * Framework code only (these tests run on the skeleton too): the VMs hold
 * the test device and test_devices.c's "probe" type (a u32 value, a u32, a
 * bool), whose functions are the framework's, never a lab's.
 */

#define ARCH     SNAPFILE_ARCH_ARM
#define PAGES    16u
#define PAGE     SNAPFILE_PAGE
#define ENTRY    0x40010000u
#define DTB      0x4000c000u
#define PREFIX   12u
#define CRC      4u
#define FILE_MAX (1u << 20)

static const struct board_slot slots[] = {
    {"testdev", 0x20000, TESTDEV_SIZE, -1, NULL, NULL, 0, VM_F_DEVICES, NULL, false},
    {"probe", 0x10000, 0x1000, -1, NULL, NULL, 0, 0, NULL, false},
    {"probe", 0x30000, 0x100, -1, NULL, NULL, 0, 0, NULL, false},
};
static const struct board board3 = {"snapfile", slots, ARRAY_SIZE(slots)};
static const struct board board1 = {"snapfile-1", slots, 1};

static struct vm vm_a, vm_b;
static uint8_t ram_a[PAGES * PAGE] __attribute__((aligned(4096)));
static uint8_t ram_b[PAGES * PAGE] __attribute__((aligned(4096)));
static char err[256];

/* A CP15 view both VMs share (the vCPU's section refuses another host's). */
static void view_fill(struct vcpu *v)
{
    uint32_t *w = (uint32_t *)&v->arch.cp15;
    for (unsigned i = 0; i < sizeof(v->arch.cp15) / 4; i++)
        w[i] = 0x2000u + 0x13u * i;
}

static void vm_make(struct vm *vm, uint8_t *ram, uint32_t pages, const struct board *b)
{
    memset(vm, 0, sizeof(*vm));
    vm->ram_ipa = GUEST_RAM_BASE;
    vm->ram_size = pages * PAGE;
    vm->ram_host = ram;
    vm->entry = ENTRY;
    vm->dtb_ipa = DTB;
    vm->features = VM_F_DEVICES;
    vm->vcpu.vm = vm;
    ck_assert_msg(vm_create_devices(vm, b, err, sizeof(err)) == 0, "%s", err);
    arch_vcpu_init(&vm->vcpu, vm->entry, vm->dtb_ipa);
    view_fill(&vm->vcpu);
}

/* A guest in the middle of things: registers, counters, devices, a few pages. */
static void vm_busy(struct vm *vm)
{
    uint32_t *w = (uint32_t *)&vm->vcpu.arch.regs;
    for (unsigned i = 0; i < sizeof(vm->vcpu.arch.regs) / 4; i++)
        w[i] = 0x40001000u + 0x10u * i;
    vm->vcpu.arch.regs.cpsr = PSR_MODE_SVC | 0x60000000u;
    vm->vcpu.stats.total = 4321;
    host_guest_vtimer = (struct guest_vtimer){1, 0x123456789ull, 0x42};
    struct testdev *t = vm_find_device(vm, "testdev")->state;
    for (unsigned i = 0; i < TESTDEV_SCRATCH_SIZE; i++)
        t->scratch[i] = (uint8_t)(i * 5 + 1);
    t->count = 77;
    struct bus_req r = {.width = 4, .write = true, .val = 0xfeedf00du};
    ck_assert_int_eq(bus_access(&vm->mmio.bus, 0x30000, &r), BUS_OK);
    memset(vm->ram_host, 0, (size_t)vm->ram_size);
    memcpy(vm->ram_host + 1 * PAGE, "a page of text", 14);
    vm->ram_host[3 * PAGE + PAGE - 1] = 0x5a; /* only its last byte */
    for (unsigned i = 0; i < PAGE; i++)
        vm->ram_host[(PAGES - 1) * PAGE + i] = (uint8_t)(i * 13 + 7);
}

/* Everything of a VM a restore may change: its state sections, its RAM. */
struct image {
    uint8_t state[65536];
    uint32_t len;
    uint8_t ram[PAGES * PAGE];
};

static void image_of(struct vm *vm, struct image *im)
{
    struct snap_writer w;
    snap_writer_init(&w, im->state, sizeof(im->state));
    ck_assert_int_eq(vm_snapshot_save(vm, &w), 0);
    im->len = w.len;
    memcpy(im->ram, vm->ram_host, vm->ram_size < sizeof(im->ram) ? vm->ram_size : sizeof(im->ram));
}

static void assert_same(const struct image *x, const struct image *y, const char *what)
{
    ck_assert_msg(x->len == y->len && !memcmp(x->state, y->state, x->len), "%s: the state differs", what);
    ck_assert_msg(!memcmp(x->ram, y->ram, sizeof(x->ram)), "%s: guest RAM differs", what);
}

static uint8_t *file;
static size_t file_len;
static struct snapfile_info info;

/* A's snapshot file into file, file_len. */
static void save_a(void)
{
    free(file);
    uint8_t *f;
    ck_assert_msg(snapfile_save(&vm_a, ARCH, 0x1122334455667788ull, &f, &info, err, sizeof(err)) == 0, "%s",
                  err);
    file_len = info.size;
    file = malloc(file_len); /* exact, for ASan */
    memcpy(file, f, file_len);
    mv_free(f);
}

static void setup(void)
{
    host_guest_vtimer = (struct guest_vtimer){0};
    vm_make(&vm_a, ram_a, PAGES, &board3);
    vm_busy(&vm_a);
    vm_make(&vm_b, ram_b, PAGES, &board3);
    memset(ram_b, 0xee, sizeof(ram_b)); /* stale RAM: a restore must zero what the file does not store */
    file = NULL;
    save_a();
}

static void teardown(void)
{
    free(file);
    file = NULL;
}

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* ---- The file's parts, found by the test's own reading of the format. */

struct part {
    char name[SNAP_NAME_MAX]; /* "header", a section's name, "trailer" */
    size_t start, end;        /* [start, end): a section with its CRC */
};
static struct part parts[32];
static unsigned nparts;

static void find_parts(const uint8_t *f, size_t len)
{
    nparts = 0;
    parts[nparts++] = (struct part){"header", 0, PREFIX};
    size_t at = PREFIX;
    while (len - at > CRC) {
        size_t end = at + SNAP_HEADER_SIZE + get32(f + at + SNAP_NAME_MAX + 4) + CRC;
        ck_assert_uint_le(end, len - CRC);
        ck_assert_uint_lt(nparts, ARRAY_SIZE(parts) - 1);
        parts[nparts] = (struct part){"", at, end};
        memcpy(parts[nparts++].name, f + at, SNAP_NAME_MAX);
        at = end;
    }
    ck_assert_uint_eq(len - at, CRC);
    parts[nparts++] = (struct part){"trailer", at, len};
}

static const struct part *part_of(size_t offset)
{
    for (unsigned i = 0; i < nparts; i++)
        if (offset >= parts[i].start && offset < parts[i].end)
            return &parts[i];
    return &parts[nparts - 1];
}

static const struct part *part_named(const char *name)
{
    for (unsigned i = 0; i < nparts; i++)
        if (!strcmp(parts[i].name, name))
            return &parts[i];
    ck_abort_msg("no part '%s'", name);
    return NULL;
}

/* The file's checksum: of every byte but the checksums. */
static uint32_t file_crc(const uint8_t *f)
{
    uint32_t crc = crc32c(0, f, PREFIX);
    for (unsigned i = 1; i + 1 < nparts; i++)
        crc = crc32c(crc, f + parts[i].start, parts[i].end - CRC - parts[i].start);
    return crc;
}

/* The checksums of f made right again: each section's, then the file's. */
static void fix_crcs(uint8_t *f, size_t len)
{
    find_parts(f, len);
    for (unsigned i = 1; i + 1 < nparts; i++)
        put32(f + parts[i].end - CRC, crc32c(0, f + parts[i].start, parts[i].end - CRC - parts[i].start));
    put32(f + len - CRC, file_crc(f));
}

/* What a message must name for a file refused in part p. */
static void assert_names(const struct part *p, const char *what)
{
    char want[40];
    if (!strcmp(p->name, "header") || !strcmp(p->name, "trailer"))
        snprintf(want, sizeof(want), "%s", !strcmp(p->name, "header") ? "file header" : "trailer");
    else
        snprintf(want, sizeof(want), "section '%s'", p->name);
    ck_assert_msg(strstr(err, want) == err, "%s: '%s' does not start with %s", what, err, want);
}

static int check(const uint8_t *f, size_t len)
{
    memset(err, 'X', sizeof(err) - 1);
    err[sizeof(err) - 1] = '\0';
    return snapfile_check(&vm_b, ARCH, f, len, NULL, err, sizeof(err));
}

/* Restore f into B: refused, with a message holding fragment, and B as it was. */
static void assert_refused(const uint8_t *f, size_t len, const char *fragment)
{
    static struct image before, after;
    image_of(&vm_b, &before);
    memset(err, 'X', sizeof(err) - 1);
    err[sizeof(err) - 1] = '\0';
    ck_assert_int_eq(snapfile_restore(&vm_b, ARCH, f, len, NULL, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, fragment) != NULL, "'%s' lacks '%s'", err, fragment);
    image_of(&vm_b, &after);
    assert_same(&before, &after, err);
}

/* ---- CRC32C. */

START_TEST(test_crc32c_check_value)
{
    ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xe3069283u);
    ck_assert_uint_eq(crc32c(0, "", 0), 0);
    ck_assert_uint_eq(crc32c(0, "a", 1), 0xc1d04330u);
    static const uint8_t zeros[32];
    ck_assert_uint_eq(crc32c(0, zeros, 32), 0x8a9136aau); /* RFC 3720 B.4: 32 bytes of zeros */
}
END_TEST

/* Any split, any alignment: in pieces, combined, or at once, the same CRC. */
START_TEST(test_crc32c_pieces)
{
    static uint8_t data[300];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 31 + 7);
    for (unsigned from = 0; from < 9; from++) {
        size_t n = sizeof(data) - from;
        uint32_t whole = crc32c(0, data + from, n);
        for (size_t cut = 0; cut <= n; cut += 7) {
            uint32_t a = crc32c(0, data + from, cut), b = crc32c(0, data + from + cut, n - cut);
            ck_assert_uint_eq(crc32c(a, data + from + cut, n - cut), whole);
            ck_assert_uint_eq(crc32c_combine(a, b, n - cut), whole);
        }
    }
    ck_assert_uint_eq(crc32c_combine(0x12345678u, 0, 0), 0x12345678u);
}
END_TEST

/* ---- Saving and restoring. */

START_TEST(test_round_trip)
{
    static struct image a, b;
    find_parts(file, file_len);
    ck_assert_uint_eq(get32(file + file_len - CRC), file_crc(file));
    ck_assert_int_eq(snapfile_restore(&vm_b, ARCH, file, file_len, &info, err, sizeof(err)), 0);
    image_of(&vm_a, &a);
    image_of(&vm_b, &b);
    assert_same(&a, &b, "restored");
    ck_assert_uint_eq(vm_b.vcpu.stats.total, 4321);
    ck_assert_uint_eq(info.clock, 0x1122334455667788ull);
    ck_assert_uint_eq(info.size, file_len);
    ck_assert_uint_eq(info.pages, PAGES);
    ck_assert_uint_eq(info.stored, 3);
    ck_assert_uint_eq(info.sections, 7); /* machine, vm, vcpu0, testdev, probe, probe, ram */
    /* The restored VM saves to the same file (the clock is the caller's). */
    uint8_t *again;
    ck_assert_int_eq(snapfile_save(&vm_b, ARCH, info.clock, &again, &info, err, sizeof(err)), 0);
    ck_assert_uint_eq(info.size, file_len);
    ck_assert_mem_eq(again, file, file_len);
    mv_free(again);
}
END_TEST

/* Zero pages are left out: the file holds the state and the three pages that are not. */
START_TEST(test_zero_pages)
{
    find_parts(file, file_len);
    const struct part *ram = part_named("ram");
    size_t padding = ram->end - ram->start - (SNAP_HEADER_SIZE + 16 + 2 + 3 * PAGE + CRC);
    ck_assert_uint_lt(padding, 8);                         /* header, map, padding, three pages */
    ck_assert_uint_eq((ram->end - CRC - 3 * PAGE) % 8, 0); /* page data 8-aligned in the file */
    memset(ram_a, 0, sizeof(ram_a));
    save_a();
    ck_assert_uint_eq(info.stored, 0);
    find_parts(file, file_len);
    ck_assert_uint_lt(part_named("ram")->end - part_named("ram")->start, 64);
    ck_assert_int_eq(snapfile_restore(&vm_b, ARCH, file, file_len, NULL, err, sizeof(err)), 0);
    for (unsigned i = 0; i < sizeof(ram_b); i++)
        ck_assert_msg(ram_b[i] == 0, "byte %u of RAM is %#x after restoring an all-zero RAM", i, ram_b[i]);
}
END_TEST

/* One non-zero byte anywhere in a page keeps the page: the scan tests words eight at a time. */
START_TEST(test_one_byte_keeps_its_page)
{
    static const unsigned at[] = {0, 1, 3, 4, 28, 31, 32, 33, 2047, 4064, 4092, 4095};
    for (unsigned i = 0; i < ARRAY_SIZE(at); i++) {
        memset(ram_a, 0, sizeof(ram_a));
        ram_a[PAGE + at[i]] = 0x10;
        save_a();
        ck_assert_msg(info.stored == 1, "a page whose byte %u is not zero: %u pages stored", at[i],
                      info.stored);
        ck_assert_int_eq(snapfile_restore(&vm_b, ARCH, file, file_len, NULL, err, sizeof(err)), 0);
        ck_assert_mem_eq(ram_b, ram_a, sizeof(ram_a));
    }
}
END_TEST

/* Saving changes nothing, and the same VM saves to the same bytes. */
START_TEST(test_save_changes_nothing)
{
    static struct image before, after;
    uint8_t *first = malloc(file_len);
    memcpy(first, file, file_len);
    image_of(&vm_a, &before);
    save_a();
    image_of(&vm_a, &after);
    assert_same(&before, &after, "saved");
    ck_assert_mem_eq(first, file, file_len);
    free(first);
}
END_TEST

/* RAM of more than one "ram" section: 64 MiB and three pages. */
START_TEST(test_two_ram_sections)
{
    uint32_t pages = SNAPFILE_RAM_CHUNK + 3;
    uint8_t *ra = calloc(pages, PAGE), *rb = malloc((size_t)pages * PAGE);
    vm_make(&vm_a, ra, pages, &board3);
    vm_make(&vm_b, rb, pages, &board3);
    memset(rb, 0x11, (size_t)pages * PAGE);
    ra[7] = 1;
    ra[(size_t)SNAPFILE_RAM_CHUNK * PAGE + PAGE + 9] = 2;
    save_a();
    ck_assert_uint_eq(info.stored, 2);
    ck_assert_uint_eq(info.sections, 8);
    ck_assert_int_eq(snapfile_restore(&vm_b, ARCH, file, file_len, NULL, err, sizeof(err)), 0);
    ck_assert_mem_eq(ra, rb, (size_t)pages * PAGE);
    /* Cut in the second: named by its pages. */
    ck_assert_int_eq(check(file, file_len - 100), -1);
    ck_assert_msg(strstr(err, "section 'ram' (pages 16384 to 16386)") == err, "%s", err);
    free(ra);
    free(rb);
}
END_TEST

/* ---- Bad files: each refused with the part it is in, before anything changes. */

/* Every length short of the whole file. */
START_TEST(test_every_truncation)
{
    find_parts(file, file_len);
    for (size_t len = 0; len < file_len; len++) {
        char what[64];
        snprintf(what, sizeof(what), "cut at %zu of %zu", len, file_len);
        ck_assert_msg(check(file, len) == -1, "%s: accepted", what);
        /* A cut where a section starts: that section is the one missing. */
        const struct part *p = len < PREFIX ? &parts[0] : part_of(len ? len - 1 : 0);
        if (len >= PREFIX && len == p->end)
            p++;
        assert_names(len < PREFIX ? &parts[0] : p, what);
        if (len % 97 == 0 || len == p->start)
            assert_refused(file, len, "");
    }
}
END_TEST

/* A bit flipped in every byte but the pages' (every 61st of those). */
START_TEST(test_every_bit_flip)
{
    find_parts(file, file_len);
    const struct part *ram = part_named("ram");
    size_t pages_at = ram->end - CRC - 3 * PAGE;
    uint8_t *f = malloc(file_len);
    for (size_t i = 0; i < file_len; i++) {
        if (i >= pages_at && i < ram->end - CRC && (i - pages_at) % 61)
            continue;
        char what[64];
        snprintf(what, sizeof(what), "bit %zu of byte %zu", i % 8, i);
        memcpy(f, file, file_len);
        f[i] ^= (uint8_t)(1u << (i % 8));
        ck_assert_msg(check(f, file_len) == -1, "%s: accepted", what);
        assert_names(part_of(i), what);
        if (i % 23 == 0)
            assert_refused(f, file_len, "");
    }
    free(f);
}
END_TEST

START_TEST(test_wrong_magic)
{
    static const uint8_t elf[] = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
    assert_refused(elf, sizeof(elf), "file header: not a minivmm snapshot");
    file[5] = 'Q';
    assert_refused(file, file_len, "file header: not a minivmm snapshot");
    assert_refused(file, 3, "file header: cut short (3 of 12 bytes)"); /* "MVS", then nothing */
}
END_TEST

START_TEST(test_newer_format)
{
    put32(file + 8, SNAPFILE_VERSION + 1);
    assert_refused(file, file_len, "file header: format version 2, this minivmm reads version 1 (a newer");
    put32(file + 8, 0);
    assert_refused(file, file_len, "file header: format version 0");
}
END_TEST

/* A section of a version this minivmm does not read, its checksums right. */
static void assert_version_refused(const char *name, const char *message)
{
    save_a();
    find_parts(file, file_len);
    const struct part *p = part_named(name);
    put32(file + p->start + SNAP_NAME_MAX, get32(file + p->start + SNAP_NAME_MAX) + 1);
    fix_crcs(file, file_len);
    assert_refused(file, file_len, message);
}

START_TEST(test_unknown_section_version)
{
    assert_version_refused("machine", "section 'machine': version 2, this minivmm reads version 1");
    assert_version_refused("vm", "section 'vm': version 3, this minivmm reads version 2");
    assert_version_refused("vcpu0", "section 'vcpu0': version 2, this minivmm reads version 1");
    assert_version_refused("testdev", "section 'testdev': version 2, this minivmm reads version 1");
    assert_version_refused("probe", "section 'probe' (device 1): version 4, this minivmm reads version 3");
    assert_version_refused("ram", "section 'ram' (pages 0 to 15): version 2, this minivmm reads version 1");
}
END_TEST

START_TEST(test_other_machine)
{
    static uint8_t small[8 * PAGE];
    vm_make(&vm_b, small, 8, &board3); /* mem= of another size */
    assert_refused(file, file_len, "section 'machine': RAM size 0x10000, this VM's is 0x8000 (give the");
    vm_make(&vm_b, ram_b, PAGES, &board1); /* other devices */
    assert_refused(
        file, file_len,
        "section 'machine': devices 'testdev probe probe', this VM's are 'testdev' (the labs done");
    vm_make(&vm_b, ram_b, PAGES, &board3);
    vm_b.features |= VM_F_STAGE2; /* other labs */
    assert_refused(file, file_len, "section 'machine': features 0x2, this VM's is 0x3");
    vm_b.features = VM_F_DEVICES;
    ck_assert_int_eq(snapfile_restore(&vm_b, SNAPFILE_ARCH_X86, file, file_len, NULL, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "section 'machine': architecture 0x1, this VM's is 0x2") == err, "%s", err);
}
END_TEST

START_TEST(test_checksum_mismatch)
{
    find_parts(file, file_len);
    const struct part *p = part_named("testdev");
    file[p->start + SNAP_HEADER_SIZE + 5] ^= 0xff;
    assert_refused(file, file_len, "section 'testdev': checksum mismatch (stored ");
    /* The section's checksum made right, the file's not: the trailer says so. */
    put32(file + p->end - CRC, crc32c(0, file + p->start, p->end - CRC - p->start));
    assert_refused(file, file_len, "trailer: file checksum mismatch (stored ");
    put32(file + file_len - CRC, file_crc(file));
    ck_assert_int_eq(check(file, file_len), 0);
    /* Bytes after the end. */
    uint8_t *longer = malloc(file_len + 3);
    save_a();
    memcpy(longer, file, file_len);
    memset(longer + file_len, 0, 3);
    assert_refused(longer, file_len + 3, "trailer: 3 bytes after the end of the snapshot");
    free(longer);
}
END_TEST

/* The RAM section's own checks, its checksums right: a file that lies in them. */
START_TEST(test_ram_section_lies)
{
    static const struct {
        unsigned at; /* offset in the payload */
        uint32_t value;
        const char *message;
    } lies[] = {
        {0, 1, "holds pages 1 to 16, expected 0 to 15"},
        {4, 17, "holds pages 0 to 16, expected 0 to 15"},
        {8, 4, "4 pages stored, the page map says 3"},
        {12, 100, "page data at offset 100"},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(lies); i++) {
        save_a();
        find_parts(file, file_len);
        put32(file + part_named("ram")->start + SNAP_HEADER_SIZE + lies[i].at, lies[i].value);
        fix_crcs(file, file_len);
        assert_refused(file, file_len, lies[i].message);
    }
    save_a();
    find_parts(file, file_len);
    file[part_named("ram")->start + SNAP_HEADER_SIZE + 16 + 1] |= 0x40; /* page 14 too, says the map */
    fix_crcs(file, file_len);
    assert_refused(file, file_len, "3 pages stored, the page map says 4");
}
END_TEST

/* A file made to pass every checksum, with a value its owner refuses: the
 * state restored before that section is rolled back. */
START_TEST(test_refused_value_rolls_back)
{
    const struct part *p;
    find_parts(file, file_len);
    p = part_named("probe");
    p++; /* the second probe, after the VM, the vCPU and the test device are restored */
    file[p->start + SNAP_HEADER_SIZE + 8] = 2; /* the bool: 0 or 1 */
    fix_crcs(file, file_len);
    ck_assert_int_eq(check(file, file_len), 0); /* the file is well formed */
    assert_refused(file, file_len, "section 'probe': a value is out of range");
}
END_TEST

/* ---- The options and the hypercall. */

START_TEST(test_options)
{
    static struct vmm_options o;
    ck_assert_int_eq(
        cmdline_parse("minivmm snapshot=/tmp/s snapshot-at=300 g.elf run=x", &o, err, sizeof(err)), 0);
    ck_assert_str_eq(o.snapshot, "/tmp/s");
    ck_assert_uint_eq(o.snapshot_at, 300);
    ck_assert(o.snapshot_when);
    ck_assert_int_eq(cmdline_parse("minivmm snapshot-at=guest snapshot=s g.elf", &o, err, sizeof(err)), 0);
    ck_assert_uint_eq(o.snapshot_at, 0);
    ck_assert(o.snapshot_when);
    ck_assert_int_eq(cmdline_parse("minivmm snapshot=s g.elf", &o, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "snapshot= needs snapshot-at="));
    ck_assert_int_eq(cmdline_parse("minivmm snapshot-at=5 g.elf", &o, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "snapshot-at= needs snapshot="));
    ck_assert_int_eq(cmdline_parse("minivmm snapshot-at=5", &o, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "snapshot-at= needs snapshot="));
    static const char *const bad[] = {
        "snapshot-at=0", "snapshot-at=-1", "snapshot-at=4294967296", "snapshot-at=", "snapshot-at=Guest",
        "snapshot=",     "restore="};
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        char line[96];
        snprintf(line, sizeof(line), "minivmm snapshot=s %s g.elf", bad[i]);
        ck_assert_msg(cmdline_parse(line, &o, err, sizeof(err)) == -1, "'%s' accepted", bad[i]);
        ck_assert_msg(strstr(err, "bad value") != NULL, "'%s': %s", bad[i], err);
    }
    /* restore= stands in for the guest image, which may still follow. */
    ck_assert_int_eq(cmdline_parse("minivmm restore=s.snap", &o, err, sizeof(err)), 0);
    ck_assert_str_eq(o.restore, "s.snap");
    ck_assert_str_eq(o.guest, "");
    ck_assert_int_eq(
        cmdline_parse("minivmm restore=s.snap mem=128 zImage console=ttyAMA0", &o, err, sizeof(err)), 0);
    ck_assert_str_eq(o.guest, "zImage");
    ck_assert_uint_eq(o.mem_mib, 128);
    ck_assert_int_eq(cmdline_parse("minivmm mem=8", &o, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "no guest image"));
}
END_TEST

START_TEST(test_snapshot_hypercall)
{
    hc_fn fn = test_hypercall(MV_HC_TEST_SNAPSHOT);
    ck_assert_ptr_nonnull(fn);
    ck_assert_uint_eq(fn(&vm_a.vcpu), (uint32_t)MV_HC_EINVAL); /* no snapshot= */
    ck_assert(!vm_a.snapshot_requested);
    vm_a.snapshot_path = "/tmp/s";
    ck_assert_uint_eq(fn(&vm_a.vcpu), MV_HC_OK);
    ck_assert(vm_a.snapshot_requested);
}
END_TEST

Suite *snapshot_file_suite(void)
{
    Suite *s = suite_create("snapshot_file");
    TCase *tc = tcase_create("crc32c");
    tcase_add_test(tc, test_crc32c_check_value);
    tcase_add_test(tc, test_crc32c_pieces);
    suite_add_tcase(s, tc);
    tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_zero_pages);
    tcase_add_test(tc, test_one_byte_keeps_its_page);
    tcase_add_test(tc, test_save_changes_nothing);
    tcase_add_test(tc, test_two_ram_sections);
    tcase_add_test(tc, test_every_truncation);
    tcase_add_test(tc, test_every_bit_flip);
    tcase_add_test(tc, test_wrong_magic);
    tcase_add_test(tc, test_newer_format);
    tcase_add_test(tc, test_unknown_section_version);
    tcase_add_test(tc, test_other_machine);
    tcase_add_test(tc, test_checksum_mismatch);
    tcase_add_test(tc, test_ram_section_lies);
    tcase_add_test(tc, test_refused_value_rolls_back);
    tcase_add_test(tc, test_options);
    tcase_add_test(tc, test_snapshot_hypercall);
    suite_add_tcase(s, tc);
    return s;
}
