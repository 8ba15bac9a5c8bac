/* minivmm's MMIO test device: scratch bytes and a record of the last access, so guest tests can see widths. */
#ifndef DEVICES_TESTDEV_H
#define DEVICES_TESTDEV_H

#include <minivmm/mmio.h>

#define TESTDEV_SCRATCH      0x000 /* 256 bytes of byte-addressable scratch memory */
#define TESTDEV_SCRATCH_SIZE 0x100
/* RO: bit 31 write, bits 18:16 width, bits 11:0 offset of the last access outside 0x100-0x1ff */
#define TESTDEV_LAST   0x100
#define TESTDEV_COUNT  0x104 /* RO: accesses outside 0x100-0x1ff so far */
#define TESTDEV_REFUSE 0x200 /* any access here is refused: a bus error (external abort) */
#define TESTDEV_SIZE   0x1000

struct testdev {
    uint8_t scratch[TESTDEV_SCRATCH_SIZE];
    uint32_t last, count;
};

extern const struct mmio_ops testdev_ops;

#endif
