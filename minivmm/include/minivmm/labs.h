/* Prototypes of the functions students write, lab by lab (each lives in a student file). */
#ifndef MINIVMM_LABS_H
#define MINIVMM_LABS_H

#include "vcpu.h"

/* Lab 0 (minivmm/core/exitcount.c): the MV_HC_EXIT_COUNT hypercall.
 * Returns the value for the guest's r0: the number of exits of class `ec`
 * the vCPU has taken so far, counting the current one, or MV_HC_EINVAL
 * (as uint32_t) if `ec` is not an exit class. */
uint32_t hc_exit_count(struct vcpu *v, uint32_t ec);

#endif
