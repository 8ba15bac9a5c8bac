/* CRC32C (Castagnoli): the checksum of snapshot files, computed eight bytes a step, and two CRCs combined without their data. */
#ifndef MINIVMM_CRC32C_H
#define MINIVMM_CRC32C_H

#include "types.h"

/* The reflected polynomial (iSCSI's, SSE 4.2's and ARMv8's CRC32C). */
#define CRC32C_POLY 0x82f63b78u

/* The CRC32C of n more bytes after crc, the CRC of what came before them (0
 * for none): crc32c(crc32c(0, a), b) == crc32c(0, a followed by b), and
 * crc32c(0, "123456789", 9) == 0xe3069283 (the standard check value). */
uint32_t crc32c(uint32_t crc, const void *data, size_t n);
/* The CRC of a followed by b, from crc_a = crc32c(0, a), crc_b = crc32c(0, b)
 * and b's length: without reading b again (a snapshot's file checksum is made
 * from its sections' checksums this way, so guest RAM is read once). */
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

#endif
