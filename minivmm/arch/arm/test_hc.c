/* The test hypercalls on ARM: inject a chosen exception (lab 1), look behind stage 2 (lab 2), read lab 3's counters. */
#include <minivmm/arch.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/vm.h>
#include <arch/stage2.h>
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

int arch_test_translate(struct vm *vm, uint32_t ipa, uint32_t *pa)
{
    if (!vm_has(vm, VM_F_STAGE2)) { /* no translation: the guest's addresses are physical */
        *pa = ipa;
        return 0;
    }
    uint64_t out;
    if (s2_translate(&vm->arch.s2, ipa, &out, NULL) != S2_OK || out >> 32)
        return -1;
    *pa = (uint32_t)out;
    return 0;
}

/* Only the RAM below the VMM (guest RAM's two possible homes): never the VMM itself. */
#define READ_PA_LO 0x40000000u
#define READ_PA_HI 0x50000000u

int arch_test_read_pa(uint32_t pa, uint32_t *value)
{
    if (pa < READ_PA_LO || pa >= READ_PA_HI || pa % 4)
        return -1;
    *value = *(volatile uint32_t *)(uintptr_t)pa;
    return 0;
}

int arch_test_mmio_stat(struct vm *vm, uint32_t which, uint32_t *value)
{
    const uint64_t counts[] = {
        [MV_MMIO_STAT_ISV] = vm->arch.mmio_stats.isv,
        [MV_MMIO_STAT_DECODED] = vm->arch.mmio_stats.decoded,
        [MV_MMIO_STAT_REFUSED] = vm->arch.mmio_stats.refused,
        [MV_MMIO_STAT_HITS] = vm->arch.dcache.hits,
        [MV_MMIO_STAT_MISSES] = vm->arch.dcache.misses,
    };
    if (which >= ARRAY_SIZE(counts))
        return -1;
    *value = (uint32_t)counts[which];
    return 0;
}
