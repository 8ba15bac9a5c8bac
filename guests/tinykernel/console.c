/* tinykernel console: format a line, write it to the PL011 if the VMM has one, else hand it over with MV_HC_WRITE. */
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
    if (uart_base) {
        for (int i = 0; i < n; i++)
            uart_putc(buf[i]);
        return;
    }
    hvc3(MV_HC_WRITE, (uint32_t)(uintptr_t)buf, (uint32_t)n, 0);
}

void poweroff(int code)
{
    for (;;)
        hvc1(MV_HC_POWEROFF, (uint32_t)code);
}
