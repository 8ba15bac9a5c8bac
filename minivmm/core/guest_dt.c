/* Builds the guest's device tree: the machine minivmm presents (RAM, devices, chosen/bootargs) in DTB form. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/fdt.h>
#include <minivmm/guest_dt.h>

/* A node name@base with its compatible (if any: one string, or several
 * NUL-separated in compatible_len bytes) and its reg; left open. */
static void reg_node(struct fdt_writer *w, const char *name, const char *compatible, uint32_t compatible_len,
                     uint32_t base, uint32_t size)
{
    char node[40];
    const uint32_t reg[2] = {base, size};
    mv_snprintf(node, sizeof(node), "%s@%x", name, base);
    fdt_begin_node(w, node);
    if (compatible_len)
        fdt_prop(w, "compatible", compatible, compatible_len);
    else if (compatible)
        fdt_prop_str(w, "compatible", compatible);
    fdt_prop_cells(w, "reg", reg, 2);
}

/* One node per device whose board slot names one (lab 3), with what the
 * architecture adds (interrupts, clocks). */
static void device_nodes(struct fdt_writer *w, const struct vm *vm)
{
    for (unsigned i = 0; i < vm->ndevices; i++) {
        const struct board_slot *s = vm->devices[i].slot;
        if (!s->dt_name)
            continue;
        reg_node(w, s->dt_name, s->compatible, s->compatible_len, s->base, s->size);
        arch_guest_dt_device(w, vm, &vm->devices[i]);
        fdt_end_node(w);
    }
}

/* minivmm's own tree: the machine as it emulates it. */
static int build_own(struct vm *vm, void *buf)
{
    struct fdt_writer w;
    fdt_begin(&w, buf, GUEST_DTB_MAX);
    fdt_begin_node(&w, "");
    fdt_prop_u32(&w, "#address-cells", 1);
    fdt_prop_u32(&w, "#size-cells", 1);
    fdt_prop_str(&w, "compatible", "minivmm,virt");
    fdt_prop_str(&w, "model", "minivmm virtual machine");
    arch_guest_dt_root(&w, vm); /* properties come before any subnode */

    fdt_begin_node(&w, "chosen");
    fdt_prop_str(&w, "bootargs", vm->bootargs);
    arch_guest_dt_chosen(&w, vm);
    if (vm->initrd) {
        fdt_prop_u32(&w, "linux,initrd-start", vm->initrd_ipa);
        fdt_prop_u32(&w, "linux,initrd-end", vm->initrd_ipa + (uint32_t)vm->initrd_len);
    }
    fdt_end_node(&w);

    reg_node(&w, "memory", NULL, 0, vm->ram_ipa, vm->ram_size);
    fdt_prop_str(&w, "device_type", "memory");
    fdt_end_node(&w);
    arch_guest_dt(&w, vm);
    device_nodes(&w, vm);

    fdt_end_node(&w);
    return fdt_finish(&w) ? 0 : -1;
}

int guest_dt_build(struct vm *vm, char *err, size_t errlen)
{
    uint32_t ipa = vm->ram_ipa + vm->ram_size - GUEST_DTB_MAX;
    void *buf = vm_ipa_ptr(vm, ipa, GUEST_DTB_MAX);
    if (!buf) {
        mv_snprintf(err, errlen, "no room for the device tree in guest RAM");
        return -1;
    }
    if (vm->user_dtb) {
        if (guest_dt_user(vm, buf, GUEST_DTB_MAX, err, errlen))
            return -1;
    } else if (build_own(vm, buf)) {
        mv_snprintf(err, errlen, "the device tree does not fit in %u bytes", GUEST_DTB_MAX);
        return -1;
    }
    vm->dtb_ipa = ipa;
    return 0;
}
