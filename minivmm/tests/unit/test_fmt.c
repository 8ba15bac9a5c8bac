/* Unit tests of the console formatter mv_snprintf (minivmm/core/fmt.c): conversions, flags, widths, truncation. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <minivmm/console.h>
#include "suites.h"

static char buf[128];

/* mv_vsnprintf without the compiler's printf checks: some cases (unknown
 * conversions, a NULL %s) are wrong on purpose and -Werror would refuse them. */
static int fmt_unchecked(char *b, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = mv_vsnprintf(b, size, fmt, ap);
    va_end(ap);
    return n;
}

/* The output must be exactly `expected` and the return value its length. */
#define EXPECT_FMT(expected, ...)                            \
    do {                                                     \
        int n_ = mv_snprintf(buf, sizeof(buf), __VA_ARGS__); \
        ck_assert_str_eq(buf, (expected));                   \
        ck_assert_int_eq(n_, (int)strlen(expected));         \
    } while (0)

/* Where minivmm promises C99 behaviour, libc's snprintf is the oracle. */
#define EXPECT_LIKE_LIBC(...)                                    \
    do {                                                         \
        char libc_[128];                                         \
        int want_ = snprintf(libc_, sizeof(libc_), __VA_ARGS__); \
        int n_ = mv_snprintf(buf, sizeof(buf), __VA_ARGS__);     \
        ck_assert_str_eq(buf, libc_);                            \
        ck_assert_int_eq(n_, want_);                             \
    } while (0)

START_TEST(test_signed)
{
    EXPECT_FMT("0", "%d", 0);
    EXPECT_FMT("-42", "%d", -42);
    EXPECT_FMT("-7", "%i", -7);
    EXPECT_FMT("2147483647", "%d", INT_MAX);
    /* INT_MIN has no positive int counterpart: negating it naively overflows. */
    EXPECT_FMT("-2147483648", "%d", INT_MIN);
    EXPECT_FMT("-2147483648", "%i", INT_MIN);
    EXPECT_LIKE_LIBC("%d|%i|%d", -1, 123456, INT_MIN);
}
END_TEST

START_TEST(test_unsigned_and_hex)
{
    EXPECT_FMT("4294967295", "%u", UINT_MAX);
    EXPECT_FMT("deadbeef", "%x", 0xdeadbeefu);
    EXPECT_FMT("DEADBEEF", "%X", 0xdeadbeefu);
    EXPECT_FMT("0x1f", "%#x", 0x1fu);
    EXPECT_FMT("0X1F", "%#X", 0x1fu);
    EXPECT_FMT("00001234", "%08x", 0x1234u);
    EXPECT_FMT("0x00001234", "%#010x", 0x1234u);
    EXPECT_FMT("  0x1234", "%#8x", 0x1234u);
    /* A negative int printed as %x is its two's-complement bit pattern. */
    EXPECT_FMT("ffffffff", "%x", (unsigned)-1);
    EXPECT_LIKE_LIBC("%u %x %X %08x %#x", 77u, 0xabcu, 0xabcu, 0xabcu, 0xabcu);
}
END_TEST

START_TEST(test_width_and_flags)
{
    EXPECT_FMT("ab    |", "%-6s|", "ab");
    EXPECT_FMT("    ab|", "%6s|", "ab");
    EXPECT_FMT("   42", "%5d", 42);
    EXPECT_FMT("  -42", "%5d", -42);
    EXPECT_FMT("-42  |", "%-5d|", -42);
    EXPECT_FMT("-0042", "%05d", -42); /* zeros go after the sign */
    /* A field narrower than the value never cuts it. */
    EXPECT_FMT("123456", "%3d", 123456);
    EXPECT_FMT("abcdef", "%2s", "abcdef");
    EXPECT_LIKE_LIBC("[%5d][%-5d][%05d][%-6s][%6s]", 7, -7, -7, "xy", "xy");
}
END_TEST

START_TEST(test_length_modifiers)
{
    EXPECT_FMT("-9223372036854775808", "%lld", (long long)INT64_MIN);
    EXPECT_FMT("9223372036854775807", "%lld", (long long)INT64_MAX);
    EXPECT_FMT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
    EXPECT_FMT("123456789abcdef0", "%llx", 0x123456789abcdef0ull);
    /* A 64-bit value must not be cut to its low 32 bits. */
    EXPECT_FMT("4294967296", "%llu", 0x100000000ull);
    EXPECT_FMT("123456789012", "%zu", (size_t)123456789012ull);
    EXPECT_FMT("-5", "%ld", -5L);
    EXPECT_LIKE_LIBC("%lld %llu %zu %lu", -1234567890123LL, 98765432109876ULL, (size_t)42,
                     (unsigned long)ULONG_MAX);
}
END_TEST

START_TEST(test_pointer_string_char)
{
    EXPECT_FMT("0x1234", "%p", (void *)0x1234);
    EXPECT_FMT("0xdeadbeef", "%p", (void *)(uintptr_t)0xdeadbeefu);
    ck_assert_int_eq(fmt_unchecked(buf, sizeof(buf), "[%s]", (const char *)NULL), 8);
    ck_assert_str_eq(buf, "[(null)]");
    EXPECT_FMT("A", "%c", 'A');
    EXPECT_FMT("100%", "%d%%", 100);
    EXPECT_FMT("a%b", "a%%b");
    EXPECT_FMT("x=1 y=two z=3", "x=%d y=%s z=%c", 1, "two", '3');
}
END_TEST

START_TEST(test_unknown_conversion)
{
    /* Printed verbatim so that a bad format shows up in the output. */
    ck_assert_int_eq(fmt_unchecked(buf, sizeof(buf), "a%qb"), 4);
    ck_assert_str_eq(buf, "a%qb");
    /* An unknown conversion consumes no argument: the next one still lines up. */
    fmt_unchecked(buf, sizeof(buf), "%y %d", 5);
    ck_assert_str_eq(buf, "%y 5");
    /* A lone '%' at the very end prints nothing and does not read past the NUL. */
    ck_assert_int_eq(fmt_unchecked(buf, sizeof(buf), "abc%"), 3);
    ck_assert_str_eq(buf, "abc");
}
END_TEST

START_TEST(test_truncation)
{
    char small[16];
    memset(small, 'X', sizeof(small));
    /* Like C99: the return value is the full length, the buffer is cut and terminated. */
    ck_assert_int_eq(mv_snprintf(small, 5, "%s", "hello world"), 11);
    ck_assert_str_eq(small, "hell");
    for (size_t i = 5; i < sizeof(small); i++)
        ck_assert_int_eq(small[i], 'X'); /* nothing past size */
    ck_assert_int_eq(mv_snprintf(small, 4, "%d", 123456), 6);
    ck_assert_str_eq(small, "123");
    ck_assert_int_eq(mv_snprintf(small, 1, "abc"), 3);
    ck_assert_str_eq(small, "");
    /* Exactly fitting output keeps every character. */
    ck_assert_int_eq(mv_snprintf(small, 4, "abc"), 3);
    ck_assert_str_eq(small, "abc");
}
END_TEST

START_TEST(test_size_zero)
{
    char b[4] = {'X', 'X', 'X', 'X'};
    ck_assert_int_eq(mv_snprintf(b, 0, "abc%d", 12), 5);
    for (size_t i = 0; i < sizeof(b); i++)
        ck_assert_int_eq(b[i], 'X');
    /* Size 0 is how callers measure: the buffer may even be NULL. */
    ck_assert_int_eq(mv_snprintf(NULL, 0, "%s-%u", "len", 1234u), 8);
}
END_TEST

Suite *fmt_suite(void)
{
    Suite *s = suite_create("fmt");
    TCase *tc = tcase_create("snprintf");
    tcase_add_test(tc, test_signed);
    tcase_add_test(tc, test_unsigned_and_hex);
    tcase_add_test(tc, test_width_and_flags);
    tcase_add_test(tc, test_length_modifiers);
    tcase_add_test(tc, test_pointer_string_char);
    tcase_add_test(tc, test_unknown_conversion);
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_size_zero);
    suite_add_tcase(s, tc);
    return s;
}
