/* Test program of minivmm's device timers: a test alarm (MV_HC_TEST_ALARM) ends a WFI that no interrupt ends, at the right guest time, through the VMM's host timer. */
#include "../hvc.h"
#include "../kernel.h"
#include "../timer.h"

#define IRQ_VTIMER 27
#define EC_WFX 0x01 /* lab 1's exit class of WFI and WFE */

static void never(unsigned id) { (void)id; }

/* Alarms from 16 ns to 10 ms ahead: each WFI must end once, when its alarm fires
 * (minivmm's WFI sleeps until an interrupt or a due device timer), not before
 * the alarm's time and not long after it. */
PROGRAM(dev_timer, "dev-timer", "device timers: a test alarm ends a WFI through minivmm's host timer")
{
    static const uint32_t delays[] = {62500, 6250, 1, 625000, 31250};
    const char *t = "dev-timer";
    if (!gic_init())
        return test_fail(t, "no GIC in the device tree (lab 4)"), 1;
    /* An enabled interrupt, so that minivmm lets the WFI sleep; the timer itself stays off. */
    gic_enable(IRQ_VTIMER, 0xa0, never);
    uint32_t fired = hvc1(MV_HC_TEST_ALARM, 0), slack = cntfrq() / 100;
    for (unsigned i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
        uint32_t wfis = hvc1(MV_HC_EXIT_COUNT, EC_WFX);
        uint64_t t0 = cntvct();
        CHECK(t, hvc1(MV_HC_TEST_ALARM, delays[i]) == 0, "MV_HC_TEST_ALARM(%u) refused", (unsigned)delays[i]);
        while (hvc1(MV_HC_TEST_ALARM, 0) == fired)
            __asm__ volatile("dsb\n\twfi");
        uint64_t took = cntvct() - t0;
        fired++;
        CHECK(t, hvc1(MV_HC_TEST_ALARM, 0) == fired, "alarm %u fired more than once", i);
        CHECK(t, took >= delays[i], "alarm of %u ticks ended the WFI after %u", (unsigned)delays[i],
              (unsigned)took);
        CHECK(t, took <= delays[i] + slack, "alarm of %u ticks ended the WFI only after %u",
              (unsigned)delays[i], (unsigned)took);
        uint32_t slept = hvc1(MV_HC_EXIT_COUNT, EC_WFX) - wfis;
        CHECK(t, slept <= 1, "%u WFI exits for one alarm: the WFI did not sleep until it", (unsigned)slept);
    }
    CHECK(t, hvc1(MV_HC_TEST_ALARM, 0x80000001u) == (uint32_t)MV_HC_EINVAL,
          "an alarm beyond 2^31 ticks was taken");
    gic_disable(IRQ_VTIMER);
    test_pass(t);
    return 0;
}
