/* Host-side stand-ins for the target's console and host channel, so Check tests can run VMM logic natively. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host_stubs.h"
#include <arch/traps.h>

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

/* The host has no hypervisor registers to show. */
void arch_dump_host(const void *caller)
{
    (void)caller;
}

/* The guest's CP15 registers, as plain variables that tests can set and inspect. */
uint32_t host_guest_cp15[G_CP15_COUNT];

uint32_t guest_cp15_read(enum guest_cp15 r)
{
    return host_guest_cp15[r];
}

void guest_cp15_write(enum guest_cp15 r, uint32_t v)
{
    host_guest_cp15[r] = v;
}

/* Hypervisor registers, as variables (arch/sysreg.h's host half declares them). */
uint32_t host_sysreg_hcr, host_sysreg_vtcr;
uint64_t host_sysreg_vttbr;
unsigned host_tlb_flushes;
