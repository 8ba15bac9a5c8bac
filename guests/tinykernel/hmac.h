/* HMAC-SHA256 (RFC 2104) for tinykernel: the proofs of its result lines (results.c). */
#ifndef TK_HMAC_H
#define TK_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void hmac_sha256(const uint8_t *key, size_t key_len, const void *msg, size_t len, uint8_t mac[32]);
/* Check the implementation against RFC 4231's test cases 1 and 2. */
bool hmac_sha256_selftest(void);

#endif
