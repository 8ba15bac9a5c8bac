/* The test hypercall MV_HC_TEST_INJECT on ARM: lets a guest test ask for each injected exception kind. */
#include <minivmm/arch.h>
#include <minivmm/hypercall_abi.h>
#include <arch/traps.h>

int arch_inject_fault(struct vcpu *v, uint32_t kind, uint32_t addr, uint32_t status)
{
    switch (kind) {
    case MV_FAULT_UNDEF: inject_undef(v); return 0;
    case MV_FAULT_DABT: inject_dabt(v, addr, status); return 0;
    case MV_FAULT_PABT: inject_pabt(v, addr, status); return 0;
    default: return -1;
    }
}
