/* Unit tests of the VMM heap (minivmm/core/alloc.c): alignment, no overlap, exhaustion, coalescing, misuse panics. */
#include <stdint.h>
#include <string.h>
#include <minivmm/alloc.h>
#include <minivmm/panic.h>
#include "suites.h"

#define ARENA_SIZE 0x10000u

static _Alignas(16) uint8_t arena[ARENA_SIZE + 64]; /* slack for the unaligned-base test */
static size_t initial_free;

static void setup(void)
{
    heap_init(arena, ARENA_SIZE);
    initial_free = heap_free_bytes();
}

static bool in_arena(const void *p, size_t n)
{
    const uint8_t *b = p;
    return b >= arena && b + n <= arena + ARENA_SIZE;
}

START_TEST(test_initial_free)
{
    /* An aligned arena is all free; the header cost is paid per allocation. */
    ck_assert_uint_eq(initial_free, ARENA_SIZE);
}
END_TEST

START_TEST(test_alignment_and_no_overlap)
{
    enum { N = 40 };
    uint8_t *p[N];
    size_t sz[N];
    for (int i = 0; i < N; i++) {
        sz[i] = (size_t)(1 + i * 13 % 97); /* assorted odd sizes */
        p[i] = mv_malloc(sz[i]);
        ck_assert_ptr_nonnull(p[i]);
        ck_assert_uint_eq((uintptr_t)p[i] % 8, 0);
        ck_assert(in_arena(p[i], sz[i]));
        memset(p[i], i + 1, sz[i]);
    }
    /* Had two blocks overlapped, the later fill would show in the earlier one. */
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < sz[i]; j++)
            ck_assert_uint_eq(p[i][j], (uint8_t)(i + 1));
    ck_assert_uint_lt(heap_free_bytes(), initial_free);
}
END_TEST

START_TEST(test_zero_and_too_big)
{
    ck_assert_ptr_null(mv_malloc(0));
    ck_assert_ptr_null(mv_malloc(ARENA_SIZE)); /* the header does not fit beside it */
    ck_assert_ptr_null(mv_malloc(ARENA_SIZE + 1));
    ck_assert_ptr_null(mv_malloc(SIZE_MAX)); /* must not wrap when rounded up */
    ck_assert_ptr_null(mv_malloc(SIZE_MAX - 6));
    ck_assert_uint_eq(heap_free_bytes(), initial_free); /* failures cost nothing */
    void *p = mv_malloc(ARENA_SIZE / 2);
    ck_assert_ptr_nonnull(p);
}
END_TEST

START_TEST(test_exhaustion)
{
    static void *p[ARENA_SIZE / 64];
    size_t n = 0;
    while ((p[n] = mv_malloc(1000)) != NULL)
        n++;
    ck_assert_uint_ge(n, ARENA_SIZE / 1100);
    ck_assert_uint_le(n, ARENA_SIZE / 1000);
    ck_assert_ptr_null(mv_malloc(1000));
    while (n)
        mv_free(p[--n]);
    ck_assert_uint_eq(heap_free_bytes(), initial_free);
}
END_TEST

/* Allocate five blocks that use up the whole heap, free them in `order`, and
 * check the heap is one block again: the full free size, and a single large
 * allocation succeeds. */
static void free_in_order(const int order[5])
{
    void *p[5];
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_nonnull(p[i] = mv_malloc(ARENA_SIZE / 8));
    ck_assert_ptr_nonnull(p[4] = mv_malloc(heap_free_bytes() - 64)); /* the rest */
    for (int i = 0; i < 5; i++)
        mv_free(p[order[i]]);
    ck_assert_uint_eq(heap_free_bytes(), initial_free);
    void *all = mv_malloc(initial_free - 64);
    ck_assert_msg(all != NULL, "freed blocks were not merged back into one");
    mv_free(all);
}

START_TEST(test_coalescing)
{
    static const int orders[][5] = {
        {0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {1, 3, 0, 4, 2}, {0, 2, 4, 3, 1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(orders); i++)
        free_in_order(orders[i]);
}
END_TEST

START_TEST(test_free_null_and_reuse)
{
    mv_free(NULL); /* allowed, like free() */
    ck_assert_uint_eq(heap_free_bytes(), initial_free);
    void *a = mv_malloc(100);
    mv_free(a);
    ck_assert_ptr_eq(mv_malloc(100), a); /* first fit hands the same block back */
}
END_TEST

START_TEST(test_calloc)
{
    uint8_t *p = mv_malloc(256);
    memset(p, 0xff, 256);
    mv_free(p);
    uint8_t *q = mv_calloc(32, 8); /* very likely the dirty block just freed */
    ck_assert_ptr_nonnull(q);
    for (int i = 0; i < 256; i++)
        ck_assert_uint_eq(q[i], 0);
    ck_assert_uint_eq((uintptr_t)q % 8, 0);
}
END_TEST

START_TEST(test_calloc_overflow)
{
    /* n * size wraps to 8 bytes: a small block must not be handed out for it. */
    ck_assert_ptr_null(mv_calloc(SIZE_MAX / 8 + 2, 8));
    ck_assert_ptr_null(mv_calloc(8, SIZE_MAX / 8 + 2));
    ck_assert_ptr_null(mv_calloc(SIZE_MAX, SIZE_MAX));
    ck_assert_uint_eq(heap_free_bytes(), initial_free);
}
END_TEST

START_TEST(test_tiny_region)
{
    /* A region too small for one block gives an empty heap, not a broken one. */
    heap_init(arena, 8);
    ck_assert_uint_eq(heap_free_bytes(), 0);
    ck_assert_ptr_null(mv_malloc(1));
    /* Also when the region holds no 8-byte-aligned address at all. */
    memset(arena, 0x5c, 64);
    heap_init(arena + 1, 6);
    ck_assert_uint_eq(heap_free_bytes(), 0);
    ck_assert_ptr_null(mv_malloc(1));
    for (int i = 7; i < 64; i++)
        ck_assert_msg(arena[i] == 0x5c, "heap_init wrote at offset %d, outside [1, 7)", i);
}
END_TEST

START_TEST(test_unaligned_base)
{
    heap_init(arena + 3, 1000);
    uint8_t *p = mv_malloc(1);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 8, 0);
    ck_assert(p >= arena + 3 && p < arena + 1003);
    ck_assert_uint_le(heap_free_bytes(), 1000);
}
END_TEST

/* Misuse is a VMM bug: it must stop the VMM with MV_EXIT_PANIC, not corrupt the heap. */
START_TEST(test_double_free)
{
    void *a = mv_malloc(64);
    mv_malloc(64); /* keeps a from merging with the free tail */
    mv_free(a);
    mv_free(a);
    ck_abort_msg("double free went unnoticed");
}
END_TEST

START_TEST(test_double_free_after_merge)
{
    /* b merges into the free block a when freed; freeing it again is still a double free. */
    void *a = mv_malloc(64), *b = mv_malloc(64);
    mv_malloc(64); /* keeps b from merging with the free tail */
    mv_free(a);
    mv_free(b);
    mv_free(b);
    ck_abort_msg("double free of a coalesced block went unnoticed (free bytes now %zu of %zu)",
                 heap_free_bytes(), initial_free);
}
END_TEST

START_TEST(test_free_stack_pointer)
{
    int local;
    mv_free(&local);
    ck_abort_msg("freeing a non-heap pointer went unnoticed");
}
END_TEST

START_TEST(test_free_below_heap)
{
    heap_init(arena + 32, ARENA_SIZE);
    mv_free(arena + 16); /* its header would start before the heap */
    ck_abort_msg("freeing a pointer below the heap went unnoticed");
}
END_TEST

Suite *alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("heap");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_initial_free);
    tcase_add_test(tc, test_alignment_and_no_overlap);
    tcase_add_test(tc, test_zero_and_too_big);
    tcase_add_test(tc, test_exhaustion);
    tcase_add_test(tc, test_coalescing);
    tcase_add_test(tc, test_free_null_and_reuse);
    tcase_add_test(tc, test_calloc);
    tcase_add_test(tc, test_calloc_overflow);
    tcase_add_test(tc, test_tiny_region);
    tcase_add_test(tc, test_unaligned_base);
    suite_add_tcase(s, tc);
    TCase *bad = tcase_create("misuse");
    tcase_add_checked_fixture(bad, setup, NULL);
    tcase_add_exit_test(bad, test_double_free, MV_EXIT_PANIC);
    tcase_add_exit_test(bad, test_double_free_after_merge, MV_EXIT_PANIC);
    tcase_add_exit_test(bad, test_free_stack_pointer, MV_EXIT_PANIC);
    tcase_add_exit_test(bad, test_free_below_heap, MV_EXIT_PANIC);
    suite_add_tcase(s, bad);
    return s;
}
