/* Architecture-neutral exit results and the handlers the core offers to every architecture. */
#ifndef MINIVMM_EXIT_H
#define MINIVMM_EXIT_H

#include "vcpu.h"

/* What an exit handler tells the run loop. */
enum exit_action {
    EXIT_RESUME = 0, /* go back into the guest */
    EXIT_UNHANDLED,  /* no handler for this exit: report it and stop the VM */
};

/* Handle the hypercall whose number and arguments are in the vCPU's
 * argument registers; the result goes into the result register. */
enum exit_action hypercall_dispatch(struct vcpu *v);

/* Trace switch (set from the command line). */
extern bool trace_exits;

#endif
