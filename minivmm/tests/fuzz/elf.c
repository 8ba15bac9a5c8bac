/* Fuzzes elf_load (minivmm/core/elf.c): a guest ELF image, as a user names one. */
#include "loader.h"

/* Input: the image itself. The checks are the loader's promises: only guest
 * RAM and never the VMM is written (loader.h), nothing at all unless the
 * whole image is valid, and the entry point lies in what was loaded. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct loader_ram ram;
    struct elf_target t = loader_target(&ram, LOADER_RAM_SIZE, true);
    uint8_t *img = malloc(size ? size : 1); /* an exact copy: ASan sees a read past the file */
    char err[160];
    uint32_t entry = 0;
    fuzz_host_reset();
    memcpy(img, data, size);
    if (elf_detect(img, size) && !elf_load(img, size, &t, &entry, err, sizeof(err))) {
        FUZZ_CHECK(ram.handed_out > 0, "an image loaded with no segment written");
        FUZZ_CHECK(entry >= LOADER_RAM_IPA && entry - LOADER_RAM_IPA < ram.size,
                   "entry %#x is outside guest RAM", entry);
    } else {
        FUZZ_CHECK(ram.handed_out == 0, "a refused image wrote %u segment(s) first", ram.handed_out);
        if (fuzz_verbose)
            fprintf(stderr, "refused: %s\n", elf_detect(img, size) ? err : "no ELF magic");
    }
    free(img);
    free(ram.bytes);
    return 0;
}
