/* Loader for Linux ARM zImages (the self-decompressing kernel), and for the initramfs that goes with one. */
#ifndef MINIVMM_ZIMAGE_H
#define MINIVMM_ZIMAGE_H

#include "elf.h"

#define ZIMAGE_MAGIC    0x016f2818u /* at byte 0x24 (arch/arm/boot/compressed/head.S) */
#define ZIMAGE_LOAD_OFF 0x8000u     /* loaded 32 KiB into RAM, as boot loaders do */

/* Does img start like a zImage (its magic at 0x24)? */
bool zimage_detect(const uint8_t *img, size_t len);
/* Copy the zImage to RAM + ZIMAGE_LOAD_OFF. Its header's start/end words must
 * agree with len; it must fit in the target's RAM. 0 with *entry set, or -1
 * with the reason in err; nothing is written unless it fits. */
int zimage_load(const uint8_t *img, size_t len, const struct elf_target *t, uint32_t *entry, char *err,
                size_t errlen);

#endif
