/* What the host stubs expose to Check tests: the captured console output, guest CP15 and code, console input. */
#ifndef HOST_STUBS_H
#define HOST_STUBS_H

#include <stddef.h>
#include <unistd.h>

#define CONSOLE_BUF_SIZE 65536
extern char console_buf[CONSOLE_BUF_SIZE];
extern size_t console_len;
void console_reset(void);

#include <stdint.h>
extern uint32_t host_guest_cp15[]; /* indexed by enum guest_cp15 (arch/traps.h) */

/* Lab 3: guest code that guest_fetch16/32 read, at guest virtual address
 * host_code_va; host_fetches counts the fetches (a decode cache saves them). */
#define HOST_CODE_SIZE 256
extern uint8_t host_code[HOST_CODE_SIZE];
extern uint32_t host_code_va;
extern unsigned host_fetches;
/* What console_getc() returns next: the characters of host_console_input, then -1. */
extern const char *host_console_input;

/* Lab 4: the board's list registers, GICH_HCR and distributor enables (gic.c's stand-ins). */
#include <stdbool.h>
extern uint32_t host_gich_lr[], host_gich_hcr, host_gich_vmcr, host_gich_apr;
/* The guest's virtual timer registers (guest_vtimer_read/write's stand-ins). */
#include <arch/traps.h>
extern struct guest_vtimer host_guest_vtimer;
extern struct guest_vfp host_guest_vfp; /* guest_vfp_read/write's stand-in */
extern bool host_gic_enabled[];
/* Device timers: the guest's virtual counter as the test sets it, and the deadline
 * the core last gave the host timer (arch_timer_deadline's stand-in; UINT64_MAX: off). */
extern uint64_t host_guest_counter, host_timer_deadline;

#endif
