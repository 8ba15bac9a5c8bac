/* Guest memory access (the only way the VMM turns a guest-physical address into a pointer), reset requests and power-off. */
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>

void *vm_ipa_ptr(struct vm *vm, uint32_t ipa, uint32_t len)
{
    if (ipa < vm->ram_ipa)
        return NULL;
    uint32_t off = ipa - vm->ram_ipa;
    if (off > vm->ram_size || len > vm->ram_size - off)
        return NULL;
    return vm->ram_host + off;
}

void vm_request_reset(struct vm *vm)
{
    vm->reset_requested = true;
}

void vm_power_off(struct vm *vm)
{
    (void)vm;
    printk("minivmm: guest called " ARCH_POWER_OFF_CALL "\n");
    vmm_exit(MV_EXIT_OK);
}
