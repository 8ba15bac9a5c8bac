/* Fuzzes zimage_load (minivmm/core/zimage.c): a Linux zImage, as a user names one. */
#include "loader.h"

/* Input: the image, for 36 KiB of RAM: a zImage of up to 4 KiB fits. A loaded
 * one is all in RAM, byte for byte, at RAM + 32 KiB, which is its entry; a
 * refused one wrote nothing. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct loader_ram ram;
    struct elf_target t = loader_target(&ram, ZIMAGE_LOAD_OFF + 0x1000, false);
    uint8_t *img = malloc(size ? size : 1);
    char err[160];
    uint32_t entry = 0;
    fuzz_host_reset();
    memcpy(img, data, size);
    if (zimage_detect(img, size) && !zimage_load(img, size, &t, &entry, err, sizeof(err))) {
        FUZZ_CHECK(entry == LOADER_RAM_IPA + ZIMAGE_LOAD_OFF, "entry %#x", entry);
        FUZZ_CHECK(!memcmp(ram.bytes + ZIMAGE_LOAD_OFF, img, size), "the image in RAM differs from the file");
    } else {
        FUZZ_CHECK(ram.handed_out == 0, "a refused zImage asked for RAM");
        if (fuzz_verbose)
            fprintf(stderr, "refused: %s\n", zimage_detect(img, size) ? err : "no zImage magic");
    }
    free(img);
    free(ram.bytes);
    return 0;
}
