/* The flattened device tree's binary format (Devicetree Specification, chapter 5), shared by its writer and its reader. */
#ifndef MINIVMM_FDT_FORMAT_H
#define MINIVMM_FDT_FORMAT_H

#include "types.h"

#define FDT_MAGIC     0xd00dfeedu
#define FDT_HDR_SIZE  40u /* the version 17 header: ten big-endian 32-bit fields */
#define FDT_RSV_ENTRY 16u /* a memory reservation: 64-bit address, 64-bit size */

/* Structure block tokens. */
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u

/* Every number in a blob is big-endian and may be read at any alignment. */
static inline uint32_t fdt_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
