/* Host-side stand-ins for the target's console and host channel, so Check tests can run VMM logic natively. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host_stubs.h"

char console_buf[CONSOLE_BUF_SIZE];
size_t console_len;

void console_putc(char c)
{
    if (console_len + 1 < sizeof(console_buf)) {
        console_buf[console_len++] = c;
        console_buf[console_len] = '\0';
    }
    if (getenv("MV_UNIT_ECHO"))
        fputc(c, stderr);
}

void console_reset(void)
{
    console_len = 0;
    console_buf[0] = '\0';
}

/* On the host, "ending QEMU" ends the test process with that status: Check's
 * exit tests (tcase_add_exit_test) observe it. */
void host_exit(int status)
{
    fflush(NULL);
    _exit(status);
}
