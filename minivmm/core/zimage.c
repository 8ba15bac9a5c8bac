/* Loader for Linux ARM zImages: check the header, copy the image 32 KiB into guest RAM, enter at its start. */
#include <minivmm/console.h>
#include <minivmm/string.h>
#include <minivmm/zimage.h>

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool zimage_detect(const uint8_t *img, size_t len)
{
    return len >= 0x30 && le32(img + 0x24) == ZIMAGE_MAGIC;
}

#define FAIL(...)                              \
    do {                                       \
        mv_snprintf(err, errlen, __VA_ARGS__); \
        return -1;                             \
    } while (0)

int zimage_load(const uint8_t *img, size_t len, const struct elf_target *t, uint32_t *entry, char *err,
                size_t errlen)
{
    if (!zimage_detect(img, len))
        FAIL("not a zImage (no magic 0x%08x at byte 0x24)", ZIMAGE_MAGIC);
    uint32_t start = le32(img + 0x28), end = le32(img + 0x2c);
    if (end <= start || end - start > len)
        FAIL("zImage header says %u bytes, the file has %zu", end - start, len);
    if (len > t->ram_size || t->ram_size - len < ZIMAGE_LOAD_OFF)
        FAIL("the zImage (%zu bytes) does not fit in %u bytes of guest RAM", len, t->ram_size);
    uint32_t ipa = t->ram_ipa + ZIMAGE_LOAD_OFF;
    uint8_t *dst = t->ipa_ptr(t->ctx, ipa, (uint32_t)len);
    if (!dst)
        FAIL("guest RAM at %#x cannot hold the zImage", ipa);
    memcpy(dst, img, len);
    *entry = ipa;
    return 0;
}
