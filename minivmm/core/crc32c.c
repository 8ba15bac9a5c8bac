/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78): table-driven, eight bytes a step ("slicing by 8"), and the combination of two CRCs. */
#include <minivmm/crc32c.h>

/* table[0] is the classic byte-at-a-time table; table[k][b] is the CRC of byte b
 * followed by k zero bytes, so that eight bytes are folded in with eight lookups
 * and no loop over their bits. Made on first use (1 KiB each, 8 KiB in all). */
static uint32_t table[8][256];
static bool tables_made;

static void make_tables(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xff];
    tables_made = true;
}

static uint32_t step1(uint32_t crc, uint8_t byte)
{
    return table[0][(crc ^ byte) & 0xff] ^ (crc >> 8);
}

/* A little-endian word at an 8-aligned p: one load where the host is
 * little-endian (minivmm's targets and the x86-64 host), bytes elsewhere. */
typedef uint32_t __attribute__((may_alias)) word_alias;

static uint32_t le_word(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return *(const word_alias *)p;
#else
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
#endif
}

static uint32_t step8(uint32_t crc, const uint8_t *p)
{
    uint32_t lo = crc ^ le_word(p), hi = le_word(p + 4);
    return table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
           table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
           table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
}

uint32_t crc32c(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (!tables_made)
        make_tables();
    crc = ~crc; /* the pre- and post-inversion of the standard CRC32C */
    for (; n && ((uintptr_t)p & 7); n--)
        crc = step1(crc, *p++);
    for (; n >= 8; n -= 8, p += 8)
        crc = step8(crc, p);
    for (; n; n--)
        crc = step1(crc, *p++);
    return ~crc;
}

/* ---- Combining: polynomials modulo the CRC's, in its reflected bit order
 * (bit 31 is x^0), as zlib's crc32_combine does it. */

static uint32_t times_x(uint32_t a)
{
    return a & 1 ? (a >> 1) ^ CRC32C_POLY : a >> 1;
}

/* a(x) * b(x) modulo the polynomial. */
static uint32_t mul_mod(uint32_t a, uint32_t b)
{
    uint32_t p = 0;
    for (int i = 31; i >= 0; i--, b = times_x(b))
        if (a >> i & 1)
            p ^= b;
    return p;
}

/* x^(8 * n) modulo the polynomial: what appending n zero bytes multiplies a CRC by. */
static uint32_t x_pow_8n(uint64_t n)
{
    uint32_t result = 1u << 31, square = 1u << 23; /* x^0, and x^8: one byte */
    for (; n; n >>= 1, square = mul_mod(square, square))
        if (n & 1)
            result = mul_mod(result, square);
    return result;
}

uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
    return mul_mod(x_pow_8n(len_b), crc_a) ^ crc_b;
}
