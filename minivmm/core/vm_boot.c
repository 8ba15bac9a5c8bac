/* Booting and rebooting a VM: load the kept guest image, write its device tree, reset its vCPU. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/elf.h>
#include <minivmm/guest_dt.h>
#include <minivmm/vm.h>

static void *ipa_ptr_cb(void *ctx, uint32_t ipa, uint32_t len) { return vm_ipa_ptr(ctx, ipa, len); }

int vm_boot(struct vm *vm, char *err, size_t errlen)
{
    struct elf_target t = {
        .ram_ipa = vm->ram_ipa, .ram_size = vm->ram_size - GUEST_DTB_MAX,
        .ipa_ptr = ipa_ptr_cb, .ctx = vm,
    };
    arch_vmm_range(&t.vmm_start, &t.vmm_end);
    if (elf_load(vm->image, vm->image_len, &t, &vm->entry, err, errlen))
        return -1;
    if (guest_dt_build(vm)) {
        mv_snprintf(err, errlen, "the device tree does not fit in %u bytes", GUEST_DTB_MAX);
        return -1;
    }
    vm->vcpu.vm = vm;
    vm->reset_requested = false;
    arch_vcpu_init(&vm->vcpu, vm->entry, vm->dtb_ipa);
    return 0;
}
