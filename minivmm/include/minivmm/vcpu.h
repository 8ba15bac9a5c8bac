/* A virtual CPU: architecture state, exit statistics and the VM it belongs to. */
#ifndef MINIVMM_VCPU_H
#define MINIVMM_VCPU_H

#include <arch/regs.h>
#include "stats.h"

struct vm;

struct vcpu {
    struct arch_vcpu arch; /* registers and last-exit syndrome (arch/<arch>/) */
    struct exit_stats stats;
    struct vm *vm;
    unsigned id;
};

static inline uint32_t vcpu_hc_arg(const struct vcpu *v, int i) { return arch_hc_arg(&v->arch, i); }
static inline void vcpu_hc_ret(struct vcpu *v, uint32_t r) { arch_hc_set_ret(&v->arch, r); }

/* Run the vCPU until the VM powers off (never returns). */
void vcpu_run(struct vcpu *v) NORETURN;
/* Print the guest's registers (for panics and unhandled exits). */
void vcpu_dump(const struct vcpu *v);

#endif
