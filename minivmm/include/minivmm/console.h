/* Console output for the VMM: printf-style formatting onto the host console backend. */
#ifndef MINIVMM_CONSOLE_H
#define MINIVMM_CONSOLE_H

#include <stdarg.h>
#include "types.h"

/* Format into buf (always NUL-terminated when size > 0); returns the length the
 * full output would have had, like C99 vsnprintf. Supports %d %i %u %x %X %p %s %c %%,
 * the flags '-', '0' and '#', a field width, and the length modifiers l, ll, z. */
int mv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int mv_snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Print to the VMM console (the board UART on the target, stdout on the host). */
void printk(const char *fmt, ...) PRINTF_LIKE(1, 2);
void console_putc(char c);
/* A character from the host's terminal, or -1 if none is waiting (never blocks). */
int console_getc(void);
/* Is a character waiting; and the board UART's receive interrupt on or off (lab 4). */
bool console_rx_waiting(void);
void console_rx_interrupts(bool on);
void console_write(const char *s, size_t len);

#endif
