/* SHA-256 (FIPS 180-4) for tinykernel: a streaming digest of what the network delivers. */
#ifndef TK_SHA256_H
#define TK_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t bytes;    /* message length so far */
    uint8_t block[64]; /* a partial block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t digest[32], char hex[65]);
/* Check the implementation against FIPS 180-4's test vectors ("abc" and a two-block message). */
bool sha256_selftest(void);

#endif
