/* Fuzzes the snapshot file loader: snapfile_restore, the whole file against a VM made as minivmm makes one. */
/* The code: minivmm/core/snapshot_file.c, crc32c.c; then vm_snapshot.c and every section owner's restore. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/alloc.h>
#include <minivmm/crc32c.h>
#include <minivmm/snapshot_file.h>
#include <minivmm/vm_snapshot.h>
#include <arch/vgic.h>
#include "host_stubs.h"
#include "fuzz.h"

#define PAGES   16u /* 64 KiB of guest RAM: pages the file stores, or not */
#define PREFIX  12u
#define CRC     4u
#define FIX_CRC 1u /* the input's first byte: make every checksum right first */

static struct vm vm;
static uint8_t ram[PAGES * SNAPFILE_PAGE] __attribute__((aligned(4096)));

/* The VM of fuzz_vm_make with RAM of its own, filled with a pattern the file
 * must replace (or leave alone, if it is refused). */
static void make_vm(void)
{
    fuzz_host_reset();
    fuzz_vm_make(&vm, FUZZ_ALL_FEATURES);
    vm.ram_size = PAGES * SNAPFILE_PAGE;
    vm.ram_host = ram;
    for (unsigned i = 0; i < sizeof(ram); i++)
        ram[i] = (uint8_t)(i % 251 + 1);
}

/* Everything a restore may change: the state sections and the RAM. */
struct image {
    uint8_t state[FUZZ_SNAP_MAX];
    uint32_t len;
    uint8_t ram[sizeof(ram)];
};

static void image_of(struct image *im)
{
    struct snap_writer w;
    snap_writer_init(&w, im->state, sizeof(im->state));
    FUZZ_CHECK(vm_snapshot_save(&vm, &w) == 0, "the VM's sections do not fit in %u bytes", FUZZ_SNAP_MAX);
    im->len = w.len;
    memcpy(im->ram, ram, sizeof(ram));
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

/* Checksums are what a mutation breaks first: made right again (as far as the
 * lengths allow), the input reaches the checks behind them. The file's is over
 * every byte but the sections' own. */
static void fix_crcs(uint8_t *f, size_t len)
{
    if (len < PREFIX)
        return;
    size_t at = PREFIX;
    uint32_t file_crc = crc32c(0, f, PREFIX);
    while (len - at >= SNAP_HEADER_SIZE + CRC) {
        size_t body = SNAP_HEADER_SIZE + (size_t)get32(f + at + SNAP_NAME_MAX + 4);
        if (body > len - at - CRC)
            return;
        put32(f + at + body, crc32c(0, f + at, body));
        file_crc = crc32c(file_crc, f + at, body);
        at += body + CRC;
    }
    if (len - at == CRC)
        put32(f + at, file_crc);
}

/* After an accepted file the VM runs on: one turn of the vGIC's work must keep
 * it consistent, and it must save and restore to the same bytes, as a file too. */
static void run_on(void)
{
    char err[160];
    uint8_t *file;
    struct snapfile_info info;
    struct vgic *g = vm.arch.vgic;
    fuzz_check_vgic(g);
    vgic_flush_lrs(g);
    vgic_sync_lrs(g);
    fuzz_check_vgic(g);
    fuzz_snapshot_round_trip(&vm);
    FUZZ_CHECK(snapfile_save(&vm, SNAPFILE_ARCH_ARM, 0, &file, &info, err, sizeof(err)) == 0, "%s", err);
    FUZZ_CHECK(snapfile_check(&vm, SNAPFILE_ARCH_ARM, file, info.size, NULL, err, sizeof(err)) == 0,
               "the restored VM's own file is refused: %s", err);
    mv_free(file);
}

/* Input: one byte of flags (FIX_CRC), then the file. It is restored into a
 * fresh VM: refused, with a message, and the VM exactly as it was; or
 * accepted, and the VM one that minivmm can run, save and restore again. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct image before, after;
    char err[256];
    if (size < 1)
        return 0;
    make_vm();
    uint8_t *f = malloc(size - 1 ? size - 1 : 1); /* exact: ASan sees a read past the file */
    memcpy(f, data + 1, size - 1);
    if (data[0] & FIX_CRC)
        fix_crcs(f, size - 1);
    image_of(&before);
    memset(err, 'X', sizeof(err));
    if (snapfile_restore(&vm, SNAPFILE_ARCH_ARM, f, size - 1, NULL, err, sizeof(err))) {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0] != 'X', "a refusal without a message");
        if (fuzz_verbose)
            fprintf(stderr, "refused: %s\n", err);
        image_of(&after);
        FUZZ_CHECK(before.len == after.len && !memcmp(before.state, after.state, before.len),
                   "refused (%s), yet the VM's state changed", err);
        FUZZ_CHECK(!memcmp(before.ram, after.ram, sizeof(ram)), "refused (%s), yet guest RAM changed", err);
    } else {
        run_on();
    }
    free(f);
    fuzz_vm_free(&vm);
    return 0;
}

/* ---- Seeds: `FUZZ_WRITE_SEEDS=<folder> build/fuzz/snapfile` writes snapshot
 * files of a VM fresh from reset and of one in the middle of things, made by
 * minivmm's own code (minivmm/tests/fuzz/seeds.py runs it), then exits. */

static void write_seed(const char *dir, const char *name, uint8_t flags)
{
    char path[512], err[160];
    uint8_t *file;
    struct snapfile_info info;
    FUZZ_CHECK(snapfile_save(&vm, SNAPFILE_ARCH_ARM, 0x1234, &file, &info, err, sizeof(err)) == 0, "seed: %s",
               err);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *out = fopen(path, "wb");
    FUZZ_CHECK(out && fwrite(&flags, 1, 1, out) == 1 && fwrite(file, 1, info.size, out) == info.size &&
                   !fclose(out),
               "seed: cannot write %s", path);
    printf("%s: %zu bytes\n", path, info.size + 1);
    mv_free(file);
}

static void write_seeds(const char *dir)
{
    make_vm();
    memset(ram, 0, sizeof(ram));
    write_seed(dir, "reset.snap", 0);
    /* Registers moved, the test device written, three pages of RAM not zero. */
    uint32_t *regs = (uint32_t *)&vm.vcpu.arch.regs;
    for (unsigned i = 0; i < sizeof(vm.vcpu.arch.regs) / 4; i++)
        if (i != offsetof(struct arm_regs, cpsr) / 4)
            regs[i] = 0x40000000u + 0x111u * i;
    vm.vcpu.stats.total = 1290;
    struct bus_req r = {.width = 4, .write = true, .val = 0x01020304u};
    FUZZ_CHECK(bus_access(&vm.mmio.bus, GUEST_TESTDEV_IPA, &r) == BUS_OK, "seed: the test device refuses");
    memcpy(ram + SNAPFILE_PAGE, "guest data", 10);
    ram[5 * SNAPFILE_PAGE - 1] = 0xff;
    for (unsigned i = 0; i < SNAPFILE_PAGE; i++)
        ram[(PAGES - 1) * SNAPFILE_PAGE + i] = (uint8_t)i;
    write_seed(dir, "busy.snap", 0);
    write_seed(dir, "busy-fix-crc.snap", FIX_CRC);
    fuzz_vm_free(&vm);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("FUZZ_WRITE_SEEDS");
    if (dir && *dir) {
        write_seeds(dir);
        exit(0);
    }
    return 0;
}
