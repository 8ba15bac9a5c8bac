/* The console escape: Ctrl-] on minivmm's console, then one command line for minivmm itself (snapshot, stats, quit). */
#ifndef MINIVMM_CONSOLE_ESCAPE_H
#define MINIVMM_CONSOLE_ESCAPE_H

#include "types.h"

struct vm;

#define CONSOLE_ESCAPE_CHAR 0x1d /* Ctrl-] */
#define CONSOLE_ESCAPE_LINE 272  /* bytes of a command line, NUL included: "snapshot " and a 255-byte path */

/* Where the escape is in the host's input (core/console_escape.c). */
struct console_escape {
    uint8_t mode;  /* passing bytes to the guest, just after Ctrl-], or reading a line */
    bool overlong; /* characters of this line were refused for want of room: it is not run */
    bool skip_lf;  /* a CR ended the last line: drop the LF of a CR LF after it */
    uint16_t len;  /* characters in line (never CONSOLE_ESCAPE_LINE or more) */
    char line[CONSOLE_ESCAPE_LINE];
};

/* One byte typed on the host's console: the byte the guest gets (c, or the
 * literal Ctrl-] of a Ctrl-] Ctrl-]), or -1 if the escape took it. A command
 * runs when its line ends: it prints, or asks the run loop through vm's flags
 * (console_snapshot, quit_requested), which act after the current exit. */
int console_escape_byte(struct vm *vm, int c);
/* The next host byte for the guest's UART (console_getc through the escape),
 * or -1 if none is waiting now. */
int console_escape_getc(struct vm *vm);

#endif
