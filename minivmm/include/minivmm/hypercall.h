/* The hypercall tables' shared shape: one function per call number, returning the guest's r0. */
#ifndef MINIVMM_HYPERCALL_H
#define MINIVMM_HYPERCALL_H

#include "vcpu.h"

typedef uint32_t (*hc_fn)(struct vcpu *v);

/* The test hypercall nr (MV_HC_TEST_*), or NULL if it is none. */
hc_fn test_hypercall(uint32_t nr);

#endif
