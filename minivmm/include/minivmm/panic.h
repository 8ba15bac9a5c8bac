/* Fatal-error reporting: panic() and the loud failure of unimplemented lab functions. */
#ifndef MINIVMM_PANIC_H
#define MINIVMM_PANIC_H

#include "types.h"

/* Exit statuses that minivmm hands to QEMU (and so to the shell and the grader). */
enum mv_status {
    MV_EXIT_OK = 0,
    MV_EXIT_PANIC = 70,    /* a VMM bug or an unrecoverable guest state */
    MV_EXIT_USAGE = 64,    /* bad command line */
    MV_EXIT_BADGUEST = 65, /* the guest image was refused */
    MV_EXIT_TODO = 71,     /* a lab function is still the skeleton */
};

void panic(const char *fmt, ...) NORETURN PRINTF_LIKE(1, 2);

/* Called by every unimplemented student function. Names the lab, the function
 * and the handout section, then stops the VMM with MV_EXIT_TODO. */
void todo_fail(int lab, const char *func, const char *section) NORETURN;
#define MV_TODO(lab, section) todo_fail((lab), __func__, (section))

struct vm;
/* The exit statistics as a run ends with them: exit classes, the port's, the
 * devices' and the host NIC's lines (stats=off does not apply). */
void vmm_print_run_stats(const struct vm *vm);
/* Stop the VMM with the given status (prints the exit statistics first). */
void vmm_exit(int status) NORETURN;

#endif
