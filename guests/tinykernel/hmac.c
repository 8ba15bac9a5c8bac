/* HMAC-SHA256 (RFC 2104) for tinykernel, on sha256.c; checked against RFC 4231's test cases.
 * Plain C with no guest dependency: grader/tests/test_proofkey.py also compiles it for the host. */
#include <string.h>
#include "hmac.h"
#include "sha256.h"

void hmac_sha256(const uint8_t *key, size_t key_len, const void *msg, size_t len, uint8_t mac[32])
{
    uint8_t k[64], pad[64], inner[32];
    struct sha256 s;
    memset(k, 0, sizeof(k));
    if (key_len > sizeof(k)) { /* a long key is hashed first */
        sha256_init(&s);
        sha256_update(&s, key, key_len);
        sha256_final(&s, k);
    } else {
        memcpy(k, key, key_len);
    }
    for (unsigned i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    sha256_init(&s);
    sha256_update(&s, pad, sizeof(pad));
    sha256_update(&s, msg, len);
    sha256_final(&s, inner);
    for (unsigned i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    sha256_init(&s);
    sha256_update(&s, pad, sizeof(pad));
    sha256_update(&s, inner, sizeof(inner));
    sha256_final(&s, mac);
}

/* RFC 4231, test cases 1 (a 20-byte key of 0x0b) and 2 ("Jefe"). */
bool hmac_sha256_selftest(void)
{
    static const struct {
        const char *msg, *mac;
    } cases[] = {
        {"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    };
    uint8_t key1[20];
    memset(key1, 0x0b, sizeof(key1));
    const uint8_t *keys[] = {key1, (const uint8_t *)"Jefe"};
    const size_t key_lens[] = {sizeof(key1), 4};
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t mac[32];
        char hex[65];
        hmac_sha256(keys[i], key_lens[i], cases[i].msg, strlen(cases[i].msg), mac);
        sha256_hex(mac, hex);
        if (strcmp(hex, cases[i].mac))
            return false;
    }
    return true;
}
