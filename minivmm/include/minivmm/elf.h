/* Loader for 32-bit little-endian ARM ELF executables into guest RAM. */
#ifndef MINIVMM_ELF_H
#define MINIVMM_ELF_H

#include "types.h"

struct elf_target {
    uint32_t ram_ipa, ram_size;  /* where the guest image may go */
    uint32_t vmm_start, vmm_end; /* the VMM's own image: never overwritten */
    /* Pointer to guest memory [ipa, ipa + len), or NULL. */
    void *(*ipa_ptr)(void *ctx, uint32_t ipa, uint32_t len);
    void *ctx;
};

/* True if the image starts with the ELF magic number (it may still be refused). */
bool elf_detect(const uint8_t *img, size_t len);

/* Check the whole image first, then copy each PT_LOAD segment (and zero its
 * .bss part). Nothing is written unless the whole image is valid. Returns 0
 * with *entry set, or -1 with the reason in err. */
int elf_load(const uint8_t *img, size_t len, const struct elf_target *t, uint32_t *entry, char *err,
             size_t errlen);

#endif
