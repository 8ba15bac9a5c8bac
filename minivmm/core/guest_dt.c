/* Builds the guest's device tree: the machine minivmm presents (RAM, chosen/bootargs) in DTB form. */
#include <minivmm/console.h>
#include <minivmm/fdt.h>
#include <minivmm/guest_dt.h>

int guest_dt_build(struct vm *vm)
{
    uint32_t ipa = vm->ram_ipa + vm->ram_size - GUEST_DTB_MAX;
    void *buf = vm_ipa_ptr(vm, ipa, GUEST_DTB_MAX);
    if (!buf)
        return -1;
    struct fdt_writer w;
    fdt_begin(&w, buf, GUEST_DTB_MAX);
    fdt_begin_node(&w, "");
    fdt_prop_u32(&w, "#address-cells", 1);
    fdt_prop_u32(&w, "#size-cells", 1);
    fdt_prop_str(&w, "compatible", "minivmm,virt");
    fdt_prop_str(&w, "model", "minivmm virtual machine");

    fdt_begin_node(&w, "chosen");
    fdt_prop_str(&w, "bootargs", vm->bootargs);
    fdt_end_node(&w);

    char memnode[24];
    mv_snprintf(memnode, sizeof(memnode), "memory@%x", vm->ram_ipa);
    fdt_begin_node(&w, memnode);
    fdt_prop_str(&w, "device_type", "memory");
    uint8_t reg[8] = {
        (uint8_t)(vm->ram_ipa >> 24), (uint8_t)(vm->ram_ipa >> 16), (uint8_t)(vm->ram_ipa >> 8),
        (uint8_t)vm->ram_ipa, (uint8_t)(vm->ram_size >> 24), (uint8_t)(vm->ram_size >> 16),
        (uint8_t)(vm->ram_size >> 8), (uint8_t)vm->ram_size,
    };
    fdt_prop(&w, "reg", reg, sizeof(reg));
    fdt_end_node(&w);

    fdt_end_node(&w);
    if (!fdt_finish(&w))
        return -1;
    vm->dtb_ipa = ipa;
    return 0;
}
