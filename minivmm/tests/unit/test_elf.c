/* Unit tests of the ELF loader elf_load (minivmm/core/elf.c), on ELF32 images built in memory. */
#include <stdlib.h>
#include <string.h>
#include <minivmm/elf.h>
#include "suites.h"

#define RAM_IPA   0x40000000u
#define RAM_SIZE  0x100000u /* 1 MiB of fake guest RAM */
#define VMM_START 0x50000000u
#define VMM_END   0x60000000u
#define POISON    0xAA

#define EHDR_SIZE 52u
#define PHDR_SIZE 32u
#define PT_LOAD   1u
#define PT_NOTE   4u

/* ---- A tiny ELF32 builder: header, program headers, then the segments' bytes. */

struct image {
    uint8_t b[8192];
    size_t len;     /* bytes of the file so far */
    unsigned phnum; /* program headers added */
};

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)v);
    wr16(p + 2, (uint16_t)(v >> 16));
}

/* Header fields by their offset in an Elf32_Ehdr / Elf32_Phdr. */
enum { E_TYPE = 16, E_MACHINE = 18, E_ENTRY = 24, E_PHOFF = 28, E_PHENTSIZE = 42, E_PHNUM = 44 };
enum { P_TYPE = 0, P_OFFSET = 4, P_PADDR = 12, P_FILESZ = 16, P_MEMSZ = 20 };

/* A valid ARM ET_EXEC header with room for `phnum` program headers right after it. */
static void img_init(struct image *im, uint32_t entry, unsigned phnum)
{
    memset(im, 0, sizeof(*im));
    memcpy(im->b, "\177ELF", 4);
    im->b[4] = 1;                /* ELFCLASS32 */
    im->b[5] = 1;                /* ELFDATA2LSB */
    im->b[6] = 1;                /* EV_CURRENT */
    wr16(im->b + E_TYPE, 2);     /* ET_EXEC */
    wr16(im->b + E_MACHINE, 40); /* EM_ARM */
    wr32(im->b + 20, 1);         /* e_version */
    wr32(im->b + E_ENTRY, entry);
    wr32(im->b + E_PHOFF, EHDR_SIZE);
    wr16(im->b + 40, EHDR_SIZE); /* e_ehsize */
    wr16(im->b + E_PHENTSIZE, PHDR_SIZE);
    wr16(im->b + E_PHNUM, (uint16_t)phnum);
    im->len = EHDR_SIZE + phnum * PHDR_SIZE;
}

static uint8_t *phdr(struct image *im, unsigned i)
{
    return im->b + EHDR_SIZE + i * PHDR_SIZE;
}

/* Add the next program header; its filesz bytes (a pattern from `seed`) go at the end of the file. */
static uint8_t *img_seg(struct image *im, uint32_t type, uint32_t paddr, uint32_t filesz, uint32_t memsz,
                        uint8_t seed)
{
    uint8_t *p = phdr(im, im->phnum++);
    wr32(p + P_TYPE, type);
    wr32(p + P_OFFSET, (uint32_t)im->len);
    wr32(p + 8, paddr); /* p_vaddr = p_paddr */
    wr32(p + P_PADDR, paddr);
    wr32(p + P_FILESZ, filesz);
    wr32(p + P_MEMSZ, memsz);
    wr32(p + 24, 7); /* RWX */
    wr32(p + 28, 4);
    for (uint32_t i = 0; i < filesz; i++)
        im->b[im->len + i] = (uint8_t)(seed + i * 7);
    im->len += filesz;
    return p;
}

/* ---- The fake guest RAM behind the loader's target. */

static uint8_t *ram;

static void *ram_ptr(void *ctx, uint32_t ipa, uint32_t len)
{
    (void)ctx;
    if (ipa < RAM_IPA || ipa - RAM_IPA > RAM_SIZE || len > RAM_SIZE - (ipa - RAM_IPA))
        return NULL;
    return ram + (ipa - RAM_IPA);
}

static struct elf_target target;

static void setup(void)
{
    ram = malloc(RAM_SIZE);
    memset(ram, POISON, RAM_SIZE);
    target = (struct elf_target){RAM_IPA, RAM_SIZE, VMM_START, VMM_END, ram_ptr, NULL};
}

static void teardown(void)
{
    free(ram);
}

static bool ram_untouched(void)
{
    for (size_t i = 0; i < RAM_SIZE; i++)
        if (ram[i] != POISON)
            return false;
    return true;
}

static char err[256];

/* Load im->b[0..len); on refusal the reason must contain `why` and RAM must be unchanged. */
static void expect_refused_len(const struct image *im, size_t len, const char *why)
{
    uint32_t entry = 0x12345678;
    strcpy(err, "");
    ck_assert_int_eq(elf_load(im->b, len, &target, &entry, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, why) != NULL, "err '%s' lacks '%s'", err, why);
    ck_assert_uint_eq(entry, 0x12345678); /* no entry for a refused image */
    ck_assert_msg(ram_untouched(), "a refused image wrote guest RAM (err: %s)", err);
}

static void expect_refused(const struct image *im, const char *why)
{
    expect_refused_len(im, im->len, why);
}

/* The file bytes of segment i, for comparing with what landed in RAM. */
static const uint8_t *seg_bytes(const struct image *im, unsigned i)
{
    const uint8_t *p = im->b + EHDR_SIZE + i * PHDR_SIZE + P_OFFSET;
    return im->b + (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

START_TEST(test_valid_image)
{
    struct image im;
    img_init(&im, RAM_IPA + 0x104, 1);
    img_seg(&im, PT_LOAD, RAM_IPA + 0x100, 0x200, 0x500, 1);
    uint32_t entry = 0;
    ck_assert_int_eq(elf_load(im.b, im.len, &target, &entry, err, sizeof(err)), 0);
    ck_assert_uint_eq(entry, RAM_IPA + 0x104);
    ck_assert_mem_eq(ram + 0x100, seg_bytes(&im, 0), 0x200);
    for (size_t i = 0x300; i < 0x600; i++) /* .bss part zeroed */
        ck_assert_uint_eq(ram[i], 0);
    ck_assert_uint_eq(ram[0xff], POISON); /* nothing outside the segment */
    ck_assert_uint_eq(ram[0x600], POISON);
}
END_TEST

START_TEST(test_valid_two_segments_and_edges)
{
    struct image im;
    img_init(&im, RAM_IPA + RAM_SIZE - 4, 3);
    img_seg(&im, PT_LOAD, RAM_IPA, 0x40, 0x40, 3);                     /* first byte of RAM */
    img_seg(&im, PT_NOTE, 0x10, 0x10, 0x10, 9);                        /* not loaded, not checked */
    img_seg(&im, PT_LOAD, RAM_IPA + RAM_SIZE - 0x100, 0x80, 0x100, 5); /* ends at the last byte */
    uint32_t entry = 0;
    ck_assert_int_eq(elf_load(im.b, im.len, &target, &entry, err, sizeof(err)), 0);
    ck_assert_uint_eq(entry, RAM_IPA + RAM_SIZE - 4);
    ck_assert_mem_eq(ram, seg_bytes(&im, 0), 0x40);
    ck_assert_mem_eq(ram + RAM_SIZE - 0x100, seg_bytes(&im, 2), 0x80);
    ck_assert_uint_eq(ram[RAM_SIZE - 1], 0);
    ck_assert_uint_eq(ram[0x40], POISON);
}
END_TEST

START_TEST(test_truncated)
{
    struct image im;
    img_init(&im, RAM_IPA, 1);
    img_seg(&im, PT_LOAD, RAM_IPA, 0x100, 0x100, 1);
    expect_refused_len(&im, EHDR_SIZE - 1, "truncated");             /* shorter than the header */
    expect_refused_len(&im, EHDR_SIZE + PHDR_SIZE - 1, "truncated"); /* phdrs beyond the file */
    expect_refused_len(&im, im.len - 1, "truncated");                /* segment data beyond the file */
    wr16(im.b + E_PHNUM, 200);                                       /* phnum beyond the file */
    expect_refused(&im, "truncated");
    wr16(im.b + E_PHNUM, 1);
    wr32(im.b + E_PHOFF, 0xfffffff0u); /* phoff + size wraps in 32 bits */
    expect_refused(&im, "truncated");
}
END_TEST

START_TEST(test_segment_offset_beyond_file)
{
    struct image im;
    img_init(&im, RAM_IPA, 1);
    uint8_t *p = img_seg(&im, PT_LOAD, RAM_IPA, 0x10, 0x10, 1);
    wr32(p + P_OFFSET, 0xfffffff8u); /* offset + filesz wraps in 32 bits */
    expect_refused(&im, "truncated");
    wr32(p + P_OFFSET, (uint32_t)im.len + 1);
    expect_refused(&im, "truncated");
}
END_TEST

START_TEST(test_bad_ident)
{
    struct image im;
    img_init(&im, RAM_IPA, 1);
    img_seg(&im, PT_LOAD, RAM_IPA, 0x10, 0x10, 1);
    ck_assert(elf_detect(im.b, 4));
    ck_assert(!elf_detect(im.b, 3));
    im.b[1] = 'F';
    ck_assert(!elf_detect(im.b, sizeof(im.b)));
    expect_refused(&im, "bad magic");
    im.b[1] = 'E';
    im.b[4] = 2; /* ELFCLASS64 */
    expect_refused(&im, "32-bit");
    im.b[4] = 1;
    im.b[5] = 2; /* ELFDATA2MSB */
    expect_refused(&im, "little-endian");
}
END_TEST

START_TEST(test_bad_machine_and_type)
{
    struct image im;
    img_init(&im, RAM_IPA, 1);
    img_seg(&im, PT_LOAD, RAM_IPA, 0x10, 0x10, 1);
    wr16(im.b + E_MACHINE, 3); /* EM_386 */
    expect_refused(&im, "not an ARM");
    wr16(im.b + E_MACHINE, 40);
    wr16(im.b + E_TYPE, 3); /* ET_DYN */
    expect_refused(&im, "not an executable");
}
END_TEST

START_TEST(test_no_program_headers)
{
    struct image im;
    img_init(&im, RAM_IPA, 1);
    img_seg(&im, PT_LOAD, RAM_IPA, 0x10, 0x10, 1);
    wr16(im.b + E_PHNUM, 0);
    expect_refused(&im, "program headers");
    wr16(im.b + E_PHNUM, 1);
    wr16(im.b + E_PHENTSIZE, 56); /* an Elf64_Phdr size */
    expect_refused(&im, "program headers");
}
END_TEST

START_TEST(test_filesz_above_memsz)
{
    struct image im;
    img_init(&im, RAM_IPA, 1);
    img_seg(&im, PT_LOAD, RAM_IPA, 0x20, 0x10, 1);
    expect_refused(&im, "exceeds memory size");
}
END_TEST

START_TEST(test_overlaps_vmm)
{
    struct image im;
    img_init(&im, VMM_START, 1);
    img_seg(&im, PT_LOAD, VMM_START, 0x10, 0x10, 1);
    expect_refused(&im, "overlaps the VMM");
    /* A VMM inside guest RAM: a segment that fits RAM but touches the VMM is refused too. */
    target.vmm_start = RAM_IPA + 0x8000;
    target.vmm_end = RAM_IPA + 0x9000;
    img_init(&im, RAM_IPA + 0x7000, 1);
    img_seg(&im, PT_LOAD, RAM_IPA + 0x7000, 0x10, 0x1001, 1); /* last byte is the VMM's first */
    expect_refused(&im, "overlaps the VMM");
}
END_TEST

START_TEST(test_next_to_vmm_is_fine)
{
    target.vmm_start = RAM_IPA + 0x8000;
    target.vmm_end = RAM_IPA + 0x9000;
    struct image im;
    img_init(&im, RAM_IPA + 0x7000, 2);
    img_seg(&im, PT_LOAD, RAM_IPA + 0x7000, 0x10, 0x1000, 1); /* ends where the VMM starts */
    img_seg(&im, PT_LOAD, RAM_IPA + 0x9000, 0x10, 0x10, 2);   /* starts where it ends */
    uint32_t entry;
    ck_assert_int_eq(elf_load(im.b, im.len, &target, &entry, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_outside_ram)
{
    struct image im;
    img_init(&im, RAM_IPA - 0x100, 1);
    img_seg(&im, PT_LOAD, RAM_IPA - 0x100, 0x10, 0x200, 1); /* starts below RAM */
    expect_refused(&im, "does not fit guest RAM");
    img_init(&im, RAM_IPA + RAM_SIZE - 0x100, 1);
    img_seg(&im, PT_LOAD, RAM_IPA + RAM_SIZE - 0x100, 0x10, 0x101, 1); /* one byte past the top */
    expect_refused(&im, "does not fit guest RAM");
    img_init(&im, 0x1000, 1);
    img_seg(&im, PT_LOAD, 0x1000, 0x10, 0x10, 1); /* entirely below */
    expect_refused(&im, "does not fit guest RAM");
}
END_TEST

START_TEST(test_wraps_past_4g)
{
    /* No VMM range, so only the RAM check stands between this segment and the copy:
     * paddr + memsz = 2^32 + 0x100, i.e. 0x100 if computed in 32 bits. */
    target.vmm_start = target.vmm_end = 0;
    struct image im;
    img_init(&im, RAM_IPA, 1);
    img_seg(&im, PT_LOAD, RAM_IPA, 0x10, 0xc0000100u, 1);
    expect_refused(&im, "does not fit guest RAM");
}
END_TEST

START_TEST(test_bad_entry)
{
    struct image im;
    img_init(&im, RAM_IPA + 0x100, 1); /* just past the segment */
    img_seg(&im, PT_LOAD, RAM_IPA, 0x10, 0x100, 1);
    expect_refused(&im, "entry point");
    wr32(im.b + E_ENTRY, RAM_IPA - 1);
    expect_refused(&im, "entry point");
}
END_TEST

START_TEST(test_no_load_segment)
{
    struct image im;
    img_init(&im, RAM_IPA, 2);
    img_seg(&im, PT_NOTE, RAM_IPA, 0x10, 0x10, 1);
    img_seg(&im, PT_LOAD, RAM_IPA, 0, 0, 1); /* empty PT_LOAD: nothing to load */
    expect_refused(&im, "no loadable segment");
}
END_TEST

START_TEST(test_second_segment_bad)
{
    /* The first segment is fine: it must still not be copied when the second is bad. */
    struct image im;
    img_init(&im, RAM_IPA, 2);
    img_seg(&im, PT_LOAD, RAM_IPA, 0x100, 0x200, 1);
    uint8_t *p = img_seg(&im, PT_LOAD, RAM_IPA + RAM_SIZE - 0x10, 0x10, 0x20, 2);
    expect_refused(&im, "does not fit guest RAM");
    wr32(p + P_PADDR, VMM_START);
    expect_refused(&im, "overlaps the VMM");
    wr32(p + P_PADDR, RAM_IPA + 0x1000);
    wr32(p + P_FILESZ, 0x40);
    expect_refused(&im, "exceeds memory size");
    wr32(p + P_FILESZ, 0x10);
    wr32(p + P_OFFSET, 0x7fffffff);
    expect_refused(&im, "truncated");
}
END_TEST

Suite *elf_suite(void)
{
    Suite *s = suite_create("elf");
    TCase *ok = tcase_create("load");
    tcase_add_checked_fixture(ok, setup, teardown);
    tcase_add_test(ok, test_valid_image);
    tcase_add_test(ok, test_valid_two_segments_and_edges);
    tcase_add_test(ok, test_next_to_vmm_is_fine);
    suite_add_tcase(s, ok);
    TCase *bad = tcase_create("refuse");
    tcase_add_checked_fixture(bad, setup, teardown);
    tcase_add_test(bad, test_truncated);
    tcase_add_test(bad, test_segment_offset_beyond_file);
    tcase_add_test(bad, test_bad_ident);
    tcase_add_test(bad, test_bad_machine_and_type);
    tcase_add_test(bad, test_no_program_headers);
    tcase_add_test(bad, test_filesz_above_memsz);
    tcase_add_test(bad, test_overlaps_vmm);
    tcase_add_test(bad, test_outside_ram);
    tcase_add_test(bad, test_wraps_past_4g);
    tcase_add_test(bad, test_bad_entry);
    tcase_add_test(bad, test_no_load_segment);
    tcase_add_test(bad, test_second_segment_bad);
    suite_add_tcase(s, bad);
    return s;
}
