/* Lab 0 test program: checks the MV_HC_EXIT_COUNT hypercall against a nonce-dependent number of exits. */
#include "../hvc.h"
#include "../kernel.h"

#define EC_HVC 0x12
#define EC_SMC 0x13

PROGRAM(lab0_exitcount, "lab0-exitcount", "lab 0: MV_HC_EXIT_COUNT counts HVC exits")
{
    const char *t = "lab0-exitcount";
    uint32_t k = 5 + nonce_value() % 37; /* the grader's nonce decides how many exits */
    uint32_t first = hvc1(MV_HC_EXIT_COUNT, EC_HVC);
    if (first == 0 || first == (uint32_t)MV_HC_EINVAL)
        return test_fail(t, "first count is %u: the hypercall itself is an HVC exit", (unsigned)first), 1;
    for (uint32_t i = 0; i < k; i++)
        hvc1(MV_HC_NOP, 0);
    uint32_t second = hvc1(MV_HC_EXIT_COUNT, EC_HVC);
    if (second - first != k + 1)
        return test_fail(t, "after %u NOPs the count grew by %u, expected %u", (unsigned)k,
                         (unsigned)(second - first), (unsigned)(k + 1)),
               1;
    uint32_t smc = hvc1(MV_HC_EXIT_COUNT, EC_SMC);
    if (smc != 0)
        return test_fail(t, "SMC count is %u, the guest made none", (unsigned)smc), 1;
    test_pass(t);
    return 0;
}

PROGRAM(lab0_badclass, "lab0-badclass", "lab 0: MV_HC_EXIT_COUNT refuses bad classes")
{
    const char *t = "lab0-badclass";
    uint32_t bad[] = {64, 0x80000000u, 0xffffffffu};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int32_t r = (int32_t)hvc1(MV_HC_EXIT_COUNT, bad[i]);
        if (r != MV_HC_EINVAL)
            return test_fail(t, "class %#x returned %d, expected EINVAL (%d)", (unsigned)bad[i], (int)r,
                             MV_HC_EINVAL),
                   1;
    }
    if (hvc1(MV_HC_EXIT_COUNT, 63) != 0)
        return test_fail(t, "class 63 (valid, never taken) is not 0"), 1;
    test_pass(t);
    return 0;
}
