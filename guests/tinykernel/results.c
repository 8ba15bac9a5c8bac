/* Test result lines: "MVTEST <name> PASS <proof>", where proof is keyed by this run's image.
 *
 * proof = the first PROOF_BYTES bytes, in hex, of HMAC-SHA256(proof_key, "<name>"). The
 * 32-byte proof_key sits alone in the ELF section .proofkey; built, it holds PROOF_KEY_MARKER.
 * For each run the grader (grader/proofkey.py) writes a fresh random key over the marker in
 * its own copy of the image and accepts a PASS line only with that key's proof. The key is
 * never on minivmm's command line: a VMM that prints PASS lines itself would have to dig the
 * key out of the guest's memory, code an instructor sees. Without a patched key (make run,
 * make qemu) the lines carry the marker key's proofs, which the grader never accepts.
 *
 * The nonce=<hex> boot argument is still a fresh per-run value (nonce_value(): test data, the
 * network fixtures' names), but the VMM sees it: it proves nothing. */
#include <stdarg.h>
#include <string.h>
#include <minivmm/console.h>
#include "hmac.h"
#include "kernel.h"

#define PROOF_BYTES 8 /* 16 hex digits */

/* Keep in step with grader/proofkey.py's MARKER (32 bytes, no NUL). volatile: every proof
 * reads the bytes of the loaded image, never a copy the compiler folded into the code. */
__attribute__((section(".proofkey"), used, aligned(4))) const volatile uint8_t proof_key[32] = {
    'M', 'I', 'N', 'I', 'V', 'M', 'M', '-', 'P', 'R', 'O', 'O', 'F', 'K', 'E', 'Y',
    '-', 'M', 'A', 'R', 'K', 'E', 'R', '-', '3', '2', 'B', 'Y', 'T', 'E', 'S', '!'};

uint32_t nonce_value(void)
{
    char buf[16];
    const char *n = bootarg("nonce", buf, sizeof(buf));
    uint32_t v = 0;
    for (; n && *n; n++)
        v = v * 16 + (uint32_t)(*n <= '9' ? *n - '0' : (*n | 0x20) - 'a' + 10);
    return v;
}

void test_pass(const char *name)
{
    static int checked; /* 0 not yet, 1 good, -1 wrong */
    if (!checked)
        checked = hmac_sha256_selftest() ? 1 : -1;
    if (checked < 0) {
        test_fail(name, "HMAC-SHA256 gives wrong MACs for RFC 4231's test cases");
        return;
    }
    uint8_t key[sizeof(proof_key)], mac[32];
    for (unsigned i = 0; i < sizeof(key); i++)
        key[i] = proof_key[i];
    hmac_sha256(key, sizeof(key), name, strlen(name), mac);
    char hex[2 * PROOF_BYTES + 1];
    for (unsigned i = 0; i < PROOF_BYTES; i++)
        mv_snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    kprintf("MVTEST %s PASS %s\n", name, hex);
}

void test_fail(const char *name, const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    mv_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    kprintf("MVTEST %s FAIL %s\n", name, why);
}
