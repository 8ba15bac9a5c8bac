/* Booting and rebooting a VM: load the kept guest image, write its device tree, reset its vCPU. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/string.h>
#include <minivmm/elf.h>
#include <minivmm/guest_dt.h>
#include <minivmm/vm.h>
#include <minivmm/zimage.h>

static void *ipa_ptr_cb(void *ctx, uint32_t ipa, uint32_t len)
{
    return vm_ipa_ptr(ctx, ipa, len);
}

/* The upper half of RAM, below the device tree: far above where a zImage
 * decompresses its kernel (RAM + 32 KiB onwards). */
int vm_load_initrd(struct vm *vm, char *err, size_t errlen)
{
    if (!vm->initrd)
        return 0;
    uint32_t top = vm->ram_ipa + vm->ram_size - GUEST_DTB_MAX, room = vm->ram_size / 2 - GUEST_DTB_MAX;
    if (vm->initrd_len > room) {
        mv_snprintf(err, errlen,
                    "the initramfs (%zu bytes) does not fit in the upper half of guest "
                    "RAM (%u bytes; more with mem=)",
                    vm->initrd_len, room);
        return -1;
    }
    vm->initrd_ipa = (top - (uint32_t)vm->initrd_len) & ~0xfffu;
    memcpy(vm_ipa_ptr(vm, vm->initrd_ipa, (uint32_t)vm->initrd_len), vm->initrd, vm->initrd_len);
    return 0;
}

int vm_boot(struct vm *vm, char *err, size_t errlen)
{
    struct elf_target t = {
        .ram_ipa = vm->ram_ipa,
        .ram_size = vm->ram_size - GUEST_DTB_MAX,
        .ipa_ptr = ipa_ptr_cb,
        .ctx = vm,
    };
    arch_vmm_range(&t.vmm_start, &t.vmm_end);
    if (!vm->image) { /* restore= without the guest's file: a reset has nothing to boot */
        mv_snprintf(err, errlen, "no guest image (minivmm started from a snapshot without one)");
        return -1;
    }
    /* A Linux zImage, or an ELF executable (tinykernel). */
    if (zimage_detect(vm->image, vm->image_len)) {
        if (zimage_load(vm->image, vm->image_len, &t, &vm->entry, err, errlen))
            return -1;
    } else if (!elf_detect(vm->image, vm->image_len)) {
        mv_snprintf(err, errlen,
                    "neither a Linux zImage (magic 0x%08x at byte 0x24) nor an ELF "
                    "executable: for Linux, give the zImage (arch/arm/boot/zImage, Debian's vmlinuz)",
                    ZIMAGE_MAGIC);
        return -1;
    } else if (elf_load(vm->image, vm->image_len, &t, &vm->entry, err, errlen)) {
        return -1;
    }
    if (vm_load_initrd(vm, err, errlen))
        return -1;
    if (guest_dt_build(vm, err, errlen))
        return -1;
    vm->vcpu.vm = vm;
    vm->reset_requested = false;
    arch_vcpu_init(&vm->vcpu, vm->entry, vm->dtb_ipa);
    return 0;
}
