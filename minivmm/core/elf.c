/* ELF loader: validates a 32-bit executable of the port's machine completely, then copies its PT_LOAD segments into guest RAM. */
#include <minivmm/console.h>
#include <minivmm/elf.h>
#include <minivmm/string.h>
#include <arch/elf_machine.h> /* ARCH_ELF_MACHINE, ARCH_ELF_NAME: the guests this port runs */

#define EI_NIDENT   16
#define ELFCLASS32  1
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define PT_LOAD     1

struct elf32_ehdr {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version, e_entry, e_phoff, e_shoff, e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf32_phdr {
    uint32_t p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align;
};

#define FAIL(...)                              \
    do {                                       \
        mv_snprintf(err, errlen, __VA_ARGS__); \
        return -1;                             \
    } while (0)

bool elf_detect(const uint8_t *img, size_t len)
{
    return len >= 4 && !memcmp(img, "\177ELF", 4);
}

static int check_header(const uint8_t *img, size_t len, struct elf32_ehdr *h, char *err, size_t errlen)
{
    if (len < sizeof(*h))
        FAIL("truncated: %zu bytes is shorter than an ELF header", len);
    memcpy(h, img, sizeof(*h)); /* the image may be unaligned */
    if (memcmp(h->e_ident, "\177ELF", 4))
        FAIL("not an ELF file (bad magic)");
    if (h->e_ident[4] != ELFCLASS32 || h->e_ident[5] != ELFDATA2LSB)
        FAIL("not a 32-bit little-endian ELF (class %u, data %u)", h->e_ident[4], h->e_ident[5]);
    if (h->e_machine != ARCH_ELF_MACHINE)
        FAIL("not an %s executable (e_machine %u, %s is %u)", ARCH_ELF_NAME, h->e_machine, ARCH_ELF_NAME,
             ARCH_ELF_MACHINE);
    if (h->e_type != ET_EXEC)
        FAIL("not an executable (e_type %u)", h->e_type);
    if (h->e_phentsize != sizeof(struct elf32_phdr) || h->e_phnum == 0)
        FAIL("no usable program headers (phentsize %u, phnum %u)", h->e_phentsize, h->e_phnum);
    if (h->e_phoff > len || (uint64_t)h->e_phnum * sizeof(struct elf32_phdr) > len - h->e_phoff)
        FAIL("truncated: program headers end beyond the %zu-byte file", len);
    return 0;
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 < b1 && b0 < a1;
}

static int check_segment(const struct elf32_phdr *p, int i, size_t len, const struct elf_target *t, char *err,
                         size_t errlen)
{
    uint64_t start = p->p_paddr, end = start + p->p_memsz;
    if (p->p_filesz > p->p_memsz)
        FAIL("segment %d: file size %u exceeds memory size %u", i, p->p_filesz, p->p_memsz);
    if (p->p_offset > len || p->p_filesz > len - p->p_offset)
        FAIL("truncated: segment %d needs bytes up to %llu of a %zu-byte file", i,
             (unsigned long long)p->p_offset + p->p_filesz, len);
    if (overlaps(start, end, t->vmm_start, t->vmm_end))
        FAIL("segment %d [%#llx-%#llx) overlaps the VMM at [%#x-%#x)", i, (unsigned long long)start,
             (unsigned long long)end, t->vmm_start, t->vmm_end);
    if (start < t->ram_ipa || end > (uint64_t)t->ram_ipa + t->ram_size)
        FAIL("segment %d [%#llx-%#llx) does not fit guest RAM [%#x-%#llx)", i, (unsigned long long)start,
             (unsigned long long)end, t->ram_ipa, (unsigned long long)t->ram_ipa + t->ram_size);
    return 0;
}

int elf_load(const uint8_t *img, size_t len, const struct elf_target *t, uint32_t *entry, char *err,
             size_t errlen)
{
    struct elf32_ehdr h;
    if (check_header(img, len, &h, err, errlen))
        return -1;
    bool entry_ok = false;
    int loads = 0;
    for (int pass = 0; pass < 2; pass++) { /* pass 0 checks everything, pass 1 copies */
        for (int i = 0; i < h.e_phnum; i++) {
            struct elf32_phdr p;
            memcpy(&p, img + h.e_phoff + (size_t)i * sizeof(p), sizeof(p));
            if (p.p_type != PT_LOAD || p.p_memsz == 0)
                continue;
            if (pass == 0) {
                if (check_segment(&p, i, len, t, err, errlen))
                    return -1;
                loads++;
                entry_ok |= h.e_entry >= p.p_paddr && h.e_entry - p.p_paddr < p.p_memsz;
                continue;
            }
            uint8_t *dst = t->ipa_ptr(t->ctx, p.p_paddr, p.p_memsz);
            if (!dst)
                FAIL("segment %d: guest memory at %#x is not accessible", i, p.p_paddr);
            memcpy(dst, img + p.p_offset, p.p_filesz);
            memset(dst + p.p_filesz, 0, p.p_memsz - p.p_filesz);
        }
        if (pass == 0 && !loads)
            FAIL("no loadable segment");
        if (pass == 0 && !entry_ok)
            FAIL("entry point %#x is not inside a loaded segment", h.e_entry);
    }
    *entry = h.e_entry;
    return 0;
}
