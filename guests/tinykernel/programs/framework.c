/* Framework test programs: hypercall ABI edges, an exit class nobody handles, a guest that exits non-zero. */
#include <string.h>
#include "../hvc.h"
#include "../kernel.h"

PROGRAM(hello, "hello", "print one line and power off")
{
    kprintf("hello from tinykernel\n");
    return 0;
}

/* Unknown hypercalls must answer NOT_SUPPORTED and the VM goes on. */
PROGRAM(hcabi, "hcabi", "hypercall ABI edge cases")
{
    const char *t = "hcabi";
    if ((int32_t)hvc1(MV_HC_BASE + 0xfff, 0) != MV_HC_NOT_SUPPORTED)
        return test_fail(t, "unknown vendor call not NOT_SUPPORTED"), 1;
    if ((int32_t)hvc1(0x12345678, 0) != MV_HC_NOT_SUPPORTED)
        return test_fail(t, "foreign call not NOT_SUPPORTED"), 1;
    if (hvc1(MV_HC_NOP, 0) != MV_HC_OK)
        return test_fail(t, "NOP did not return 0"), 1;
    /* A write whose buffer is outside guest RAM must fail with EFAULT, not crash the VMM. */
    if ((int32_t)hvc3(MV_HC_WRITE, 0x50000000u, 16, 0) != MV_HC_EFAULT)
        return test_fail(t, "write from outside RAM not EFAULT"), 1;
    if ((int32_t)hvc3(MV_HC_WRITE, 0x3ffffff0u, 0xffffffffu, 0) != MV_HC_EFAULT)
        return test_fail(t, "wrapping write not EFAULT"), 1;
    test_pass(t);
    return 0;
}

/* Read a debug register: HDCR.TDA traps it to the VMM, which has no handler for CP14. */
PROGRAM(unhandled, "unhandled", "take an exit class minivmm does not handle")
{
    uint32_t v;
    kprintf("unhandled: reading DBGDSCRext, which traps to minivmm as a CP14 access\n");
    __asm__ volatile("mrc p14, 0, %0, c0, c2, 2" : "=r"(v));
    kprintf("unhandled: still running after the trap (read %#x)\n", (unsigned)v);
    return 0;
}

PROGRAM(exitcode, "exitcode", "power off with code 42")
{
    return 42;
}

/* A hostile guest: thousands of hypercalls with random numbers and arguments.
 * The VMM must answer each (an error is fine) and keep running. */
PROGRAM(hostile, "hostile", "random hypercalls with random arguments: the VMM must survive")
{
    static const uint32_t safe[] = {MV_HC_NOP, MV_HC_EXIT_COUNT, MV_HC_TEST_TRANSLATE,
                                    MV_HC_TEST_READ_PA, 0x84000000u, 0x8400000au, 0x84000003u};
    rng_seed(nonce_value());
    unsigned answered = 0;
    for (int i = 0; i < 3000; i++) {
        uint32_t r = rng(), fn;
        switch (r % 4) {
        case 0: fn = safe[rng() % (sizeof(safe) / sizeof(safe[0]))]; break;
        case 1: fn = MV_HC_BASE + (rng() & 0xffff); break;  /* mostly unknown vendor calls */
        case 2: fn = rng(); break;                          /* anything at all */
        default: fn = MV_HC_WRITE; break;
        }
        if (fn == MV_HC_POWEROFF || fn == MV_HC_TEST_INJECT || fn == 0x84000008u ||
            fn == 0x84000009u)
            continue; /* the calls that end, reboot or redirect the guest on purpose */
        uint32_t a1 = rng(), a2 = fn == MV_HC_WRITE ? rng() % 64 : rng(), a3 = rng();
        if (fn == MV_HC_WRITE && (rng() & 1))
            a1 = 0x40000000u + (rng() % (64u << 20)); /* sometimes inside RAM */
        hvc3(fn, a1, a2, a3);
        answered++;
    }
    kprintf("\nhostile: %u random hypercalls answered\n", answered);
    test_pass("hostile");
    return 0;
}
