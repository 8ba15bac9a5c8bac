/* The architecture's exit dispatch: decode one trap and run its handler. */
#ifndef MINIVMM_ARCH_EXIT_H
#define MINIVMM_ARCH_EXIT_H

#include "exit.h"

/* Dispatch a trap with syndrome hsr through the exception-class table. */
enum exit_action arch_dispatch_trap(struct vcpu *v, uint32_t hsr);
/* Report an exit that has no handler: class, PC and syndrome. */
void arch_report_unhandled(const struct vcpu *v, uint32_t hsr);

#endif
