/* The port's half of the run loop: enter the guest, name and handle each exit (the core owns the loop). */
#ifndef MINIVMM_ARCH_EXIT_H
#define MINIVMM_ARCH_EXIT_H

#include "exit.h"
#include <arch/exit_class.h>

/* Run the guest until it exits; the exit's class: below ARCH_EXIT_CLASSES
 * (counted one by one, named by arch_exit_name), or ARCH_EXIT_IRQ for a
 * physical interrupt. What a handler needs (the syndrome) stays in v. */
uint32_t arch_vcpu_enter(struct vcpu *v);
/* The trace line of an exit (trace=exits), before it is handled. */
void arch_trace_exit(const struct vcpu *v, uint32_t cls);
/* Handle the exit arch_vcpu_enter returned. */
enum exit_action arch_handle_exit(struct vcpu *v, uint32_t cls);
/* Report an exit that has no handler: class, PC and syndrome, registers. */
void arch_report_unhandled(const struct vcpu *v);
/* The name of an exit class ("HVC", "DABT_LOW"), "RESERVED" for one out of range. */
const char *arch_exit_name(uint32_t cls);

#endif
