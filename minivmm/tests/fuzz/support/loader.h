/* The guest RAM the loader targets write into: small, on the heap, with every pointer it hands out checked. */
#ifndef FUZZ_LOADER_H
#define FUZZ_LOADER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/elf.h>
#include <minivmm/zimage.h>
#include "fuzz.h"

/* At most 64 KiB of RAM at the usual guest base (small, so that libFuzzer's
 * inputs of up to 4 KiB reach the "does not fit" checks too). minivmm itself
 * lies above the largest guest RAM (0x50000000); the ELF target puts "the
 * VMM" in the middle of the RAM instead, to try the ELF loader's check of it. */
#define LOADER_RAM_IPA   GUEST_RAM_BASE
#define LOADER_RAM_SIZE  0x10000u
#define LOADER_VMM_START (LOADER_RAM_IPA + 0xc000u)
#define LOADER_VMM_END   (LOADER_RAM_IPA + 0xd000u)

struct loader_ram {
    uint8_t *bytes; /* exactly size bytes of heap: ASan sees a write past them */
    uint32_t size, vmm_start, vmm_end;
    unsigned handed_out;
};

/* The loaders' only way into guest RAM: every range asked for must be RAM,
 * and not the VMM (they check both before asking). */
static inline void *loader_ipa_ptr(void *ctx, uint32_t ipa, uint32_t len)
{
    struct loader_ram *r = ctx;
    FUZZ_CHECK(ipa >= LOADER_RAM_IPA && ipa - LOADER_RAM_IPA <= r->size &&
                   len <= r->size - (ipa - LOADER_RAM_IPA),
               "a loader asks for [%#x, +%#x), outside guest RAM", ipa, len);
    FUZZ_CHECK(!len || ipa + len <= r->vmm_start || ipa >= r->vmm_end,
               "a loader asks for [%#x, +%#x), over the VMM", ipa, len);
    r->handed_out++;
    return r->bytes + (ipa - LOADER_RAM_IPA);
}

/* The target a loader gets: size bytes of RAM; vmm_in_ram: "the VMM" inside
 * them, else where minivmm is. */
static inline struct elf_target loader_target(struct loader_ram *r, uint32_t size, bool vmm_in_ram)
{
    r->bytes = malloc(size);
    r->size = size;
    r->vmm_start = vmm_in_ram ? LOADER_VMM_START : 0x50000000u;
    r->vmm_end = vmm_in_ram ? LOADER_VMM_END : 0x60000000u;
    r->handed_out = 0;
    return (struct elf_target){LOADER_RAM_IPA, size, r->vmm_start, r->vmm_end, loader_ipa_ptr, r};
}

#endif
