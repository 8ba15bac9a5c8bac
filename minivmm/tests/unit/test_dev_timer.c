/* Unit tests of the device timers (core/dev_timer.c): order, moves, cancels, firing from the run loop's side, and the host timer's deadline. */
#include <check.h>
#include <string.h>
#include "host_stubs.h"
#include "suites.h"
#include <minivmm/arch.h>
#include <minivmm/dev_timer.h>
#include <minivmm/vm.h>

static struct vm vm;
static struct dev_timer t[4];
static char fired[16];
static size_t nfired;
static uint64_t fired_at;

/* Record which timer fired; timer 0 arms itself again 10 ticks later (a stream's period). */
static void fire(struct dev_timer *tm, uint64_t now)
{
    unsigned i = (unsigned)(tm - t);
    fired[nfired++] = (char)('a' + i);
    fired_at = now;
    if (i == 0 && *(int *)tm->ctx)
        dev_timer_arm(&vm, tm, now + 10);
    if (i == 1) /* timer 1 cancels timer 2, which was due too */
        dev_timer_cancel(&vm, &t[2]);
}

static int rearm;

static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
    memset(t, 0, sizeof(t));
    memset(fired, 0, sizeof(fired));
    nfired = 0;
    rearm = 0;
    for (unsigned i = 0; i < 4; i++)
        t[i] = (struct dev_timer){.fire = fire, .ctx = &rearm};
    host_guest_counter = 1000;
}

/* The run loop's part: fire what is due, then tell the host timer (core/run.c). */
static void run_loop_step(void)
{
    if (vm.timers)
        dev_timers_run(&vm);
    if (vm.timers_dirty) {
        vm.timers_dirty = false;
        arch_timer_deadline(dev_timers_next(&vm));
    }
}

START_TEST(test_earliest_first)
{
    dev_timer_arm(&vm, &t[0], 1300);
    dev_timer_arm(&vm, &t[1], 1100);
    dev_timer_arm(&vm, &t[3], 1200);
    ck_assert_uint_eq(dev_timers_next(&vm), 1100);
    run_loop_step();
    ck_assert_uint_eq(nfired, 0);
    ck_assert_uint_eq(host_timer_deadline, 1100);
    host_guest_counter = 1250;
    run_loop_step();
    ck_assert_str_eq(fired, "bd");
    ck_assert_uint_eq(fired_at, 1250);
    ck_assert_uint_eq(host_timer_deadline, 1300);
    host_guest_counter = 5000;
    run_loop_step();
    ck_assert_str_eq(fired, "bda");
    ck_assert_ptr_null(vm.timers);
    ck_assert_uint_eq(host_timer_deadline, UINT64_MAX);
}
END_TEST

START_TEST(test_move_and_cancel)
{
    dev_timer_arm(&vm, &t[0], 1500);
    dev_timer_arm(&vm, &t[1], 1600);
    dev_timer_arm(&vm, &t[0], 1700); /* moved behind timer 1 */
    ck_assert_uint_eq(dev_timers_next(&vm), 1600);
    dev_timer_cancel(&vm, &t[1]);
    dev_timer_cancel(&vm, &t[1]); /* twice: nothing */
    ck_assert(!t[1].armed);
    ck_assert_uint_eq(dev_timers_next(&vm), 1700);
    host_guest_counter = 1800;
    run_loop_step();
    ck_assert_str_eq(fired, "a");
}
END_TEST

/* A timer that arms itself again in the past fires once per run, not forever. */
START_TEST(test_rearm_in_the_past_waits)
{
    rearm = 1;
    dev_timer_arm(&vm, &t[0], 900);
    host_guest_counter = 2000; /* ten periods late */
    run_loop_step();
    ck_assert_str_eq(fired, "a");
    ck_assert(t[0].armed);
    ck_assert_uint_eq(t[0].deadline, 2010);
    host_guest_counter = 2010;
    run_loop_step();
    ck_assert_str_eq(fired, "aa");
}
END_TEST

START_TEST(test_fire_may_cancel_a_due_timer)
{
    dev_timer_arm(&vm, &t[1], 1100);
    dev_timer_arm(&vm, &t[2], 1200);
    host_guest_counter = 1300;
    run_loop_step();
    ck_assert_str_eq(fired, "b");
    ck_assert(!t[2].armed);
}
END_TEST

START_TEST(test_clear)
{
    dev_timer_arm(&vm, &t[0], 1100);
    dev_timer_arm(&vm, &t[1], 1200);
    dev_timers_clear(&vm);
    ck_assert_ptr_null(vm.timers);
    ck_assert(!t[0].armed && !t[1].armed);
    ck_assert(vm.timers_dirty);
    dev_timer_arm(&vm, &t[1], 1300); /* a cleared timer arms again cleanly */
    ck_assert_ptr_eq(vm.timers, &t[1]);
    ck_assert_ptr_null(t[1].next);
}
END_TEST

Suite *dev_timer_suite(void)
{
    Suite *s = suite_create("dev_timer");
    TCase *c = tcase_create("timers");
    tcase_add_checked_fixture(c, setup, NULL);
    tcase_add_test(c, test_earliest_first);
    tcase_add_test(c, test_move_and_cancel);
    tcase_add_test(c, test_rearm_in_the_past_waits);
    tcase_add_test(c, test_fire_may_cancel_a_due_timer);
    tcase_add_test(c, test_clear);
    suite_add_tcase(s, c);
    return s;
}
