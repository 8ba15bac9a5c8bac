/* Builds the guest's device tree: the machine minivmm presents (RAM, devices, chosen/bootargs) in DTB form. */
#include <minivmm/console.h>
#include <minivmm/fdt.h>
#include <minivmm/guest_dt.h>

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void reg_node(struct fdt_writer *w, const char *name, const char *compatible, uint32_t base,
                     uint32_t size)
{
    char node[40];
    uint8_t reg[8];
    mv_snprintf(node, sizeof(node), "%s@%x", name, base);
    put_be32(reg, base);
    put_be32(reg + 4, size);
    fdt_begin_node(w, node);
    if (compatible)
        fdt_prop_str(w, "compatible", compatible);
    fdt_prop(w, "reg", reg, sizeof(reg));
}

/* One node per device on the MMIO bus that has a "compatible" (lab 3). */
static void device_nodes(struct fdt_writer *w, const struct mmio_bus *bus)
{
    for (unsigned i = 0; i < bus->count; i++) {
        const struct mmio_region *r = &bus->regions[i];
        if (!r->ops->compatible)
            continue;
        reg_node(w, r->ops->name, r->ops->compatible, r->base, r->size);
        fdt_end_node(w);
    }
}

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

    reg_node(&w, "memory", NULL, vm->ram_ipa, vm->ram_size);
    fdt_prop_str(&w, "device_type", "memory");
    fdt_end_node(&w);
    device_nodes(&w, &vm->mmio);

    fdt_end_node(&w);
    if (!fdt_finish(&w))
        return -1;
    vm->dtb_ipa = ipa;
    return 0;
}
