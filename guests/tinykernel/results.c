/* Test result lines: "MVTEST <name> PASS <proof>", where proof binds the result to the grader's nonce.
 *
 * The grader passes a fresh random nonce=<hex> boot argument on every run and
 * accepts a PASS line only with proof = FNV-1a-32 of "<nonce>:<name>". A VMM
 * that prints a PASS line it saw in an earlier run does not score. */
#include <stdarg.h>
#include <minivmm/console.h>
#include "kernel.h"

static uint32_t fnv1a(uint32_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 16777619u;
    }
    return h;
}

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
    char nonce[16];
    if (!bootarg("nonce", nonce, sizeof(nonce)))
        nonce[0] = '\0';
    uint32_t h = fnv1a(fnv1a(fnv1a(2166136261u, nonce), ":"), name);
    kprintf("MVTEST %s PASS %08x\n", name, (unsigned)h);
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
