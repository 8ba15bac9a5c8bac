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
