/* What the host stubs expose to Check tests: the captured console output. */
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

#endif
