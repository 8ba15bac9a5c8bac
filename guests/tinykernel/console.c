/* tinykernel console: format a line, hand it to the VMM with the MV_HC_WRITE hypercall. */
#include <stdarg.h>
#include <minivmm/console.h>
#include "hvc.h"
#include "kernel.h"

void kprintf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = mv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    hvc3(MV_HC_WRITE, (uint32_t)(uintptr_t)buf, (uint32_t)n, 0);
}

void poweroff(int code)
{
    for (;;)
        hvc1(MV_HC_POWEROFF, (uint32_t)code);
}
