/* Lab 0 graded unit tests: hc_exit_count (minivmm/core/exitcount.c); the grader runs one tcase with CK_RUN_CASE=<name>. */
#include <stdlib.h>
#include <check.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/labs.h>
#include <minivmm/stats.h>
#include <minivmm/vcpu.h>

/* A zeroed vCPU per test: hc_exit_count only reads v->stats. */
static struct vcpu *v;

static void setup(void) { v = calloc(1, sizeof(*v)); }
static void teardown(void) { free(v); }

static void record(uint32_t ec, int n)
{
    for (int i = 0; i < n; i++)
        stats_record_exit(&v->stats, ec);
}

START_TEST(test_counts_start_at_zero)
{
    ck_assert_uint_eq(hc_exit_count(v, EC_HVC), 0);
    ck_assert_uint_eq(hc_exit_count(v, 0), 0);
    ck_assert_uint_eq(hc_exit_count(v, EXIT_CLASSES - 1), 0);
}
END_TEST

START_TEST(test_counts_follow_records)
{
    record(EC_HVC, 5);
    ck_assert_uint_eq(hc_exit_count(v, EC_HVC), 5);
    record(EC_HVC, 1); /* the hypercall being handled counts too */
    ck_assert_uint_eq(hc_exit_count(v, EC_HVC), 6);
}
END_TEST

START_TEST(test_classes_independent)
{
    record(EC_HVC, 3);
    record(EC_DABT_LOW, 7);
    record(EC_CP15_32, 1);
    record(0x3f, 2); /* the last class is a class */
    stats_record_irq(&v->stats); /* interrupts are no exit class */
    ck_assert_uint_eq(hc_exit_count(v, EC_HVC), 3);
    ck_assert_uint_eq(hc_exit_count(v, EC_DABT_LOW), 7);
    ck_assert_uint_eq(hc_exit_count(v, EC_CP15_32), 1);
    ck_assert_uint_eq(hc_exit_count(v, 0x3f), 2);
    ck_assert_uint_eq(hc_exit_count(v, EC_UNKNOWN), 0);
    ck_assert_uint_eq(hc_exit_count(v, EC_WFI_WFE), 0);
}
END_TEST

START_TEST(test_saturates)
{
    /* Billions of exits are not recorded one by one: set the 64-bit counters directly. */
    v->stats.count[EC_HVC] = 0xFFFFFFFFull;
    ck_assert_uint_eq(hc_exit_count(v, EC_HVC), 0xFFFFFFFFu);
    v->stats.count[EC_HVC] = 0x100000000ull; /* would wrap to 0 */
    ck_assert_uint_eq(hc_exit_count(v, EC_HVC), 0xFFFFFFFFu);
    v->stats.count[EC_HVC] = 0x100000005ull; /* would wrap to 5 */
    ck_assert_uint_eq(hc_exit_count(v, EC_HVC), 0xFFFFFFFFu);
    v->stats.count[0x3f] = UINT64_MAX;
    ck_assert_uint_eq(hc_exit_count(v, 0x3f), 0xFFFFFFFFu);
    v->stats.count[EC_DABT_LOW] = 0xFFFFFFFEull; /* just below: exact */
    ck_assert_uint_eq(hc_exit_count(v, EC_DABT_LOW), 0xFFFFFFFEu);
}
END_TEST

START_TEST(test_bad_classes)
{
    /* Give every counter a value, so a class that is read instead of refused shows. */
    for (int ec = 0; ec < EXIT_CLASSES; ec++)
        v->stats.count[ec] = 1;
    v->stats.irqs = 1;
    v->stats.total = EXIT_CLASSES + 1;
    const uint32_t bad[] = {EXIT_CLASSES, 0x80000000u, 0xFFFFFFFFu, 65, 0x100};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(hc_exit_count(v, bad[i]) == (uint32_t)MV_HC_EINVAL,
                      "class %#x: got %#x, want MV_HC_EINVAL (%#x)", bad[i],
                      hc_exit_count(v, bad[i]), (uint32_t)MV_HC_EINVAL);
    ck_assert_uint_eq(hc_exit_count(v, EXIT_CLASSES - 1), 1); /* the edge is still valid */
}
END_TEST

static Suite *lab0_suite(void)
{
    Suite *s = suite_create("lab0");
    TCase *count = tcase_create("exitcount");
    tcase_add_checked_fixture(count, setup, teardown);
    tcase_add_test(count, test_counts_start_at_zero);
    tcase_add_test(count, test_counts_follow_records);
    tcase_add_test(count, test_classes_independent);
    tcase_add_test(count, test_saturates);
    suite_add_tcase(s, count);
    TCase *bad = tcase_create("badclass");
    tcase_add_checked_fixture(bad, setup, teardown);
    tcase_add_test(bad, test_bad_classes);
    suite_add_tcase(s, bad);
    return s;
}

int main(void)
{
    /* srunner_run_all honours CK_RUN_CASE, so the grader can run one case. */
    SRunner *sr = srunner_create(lab0_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
