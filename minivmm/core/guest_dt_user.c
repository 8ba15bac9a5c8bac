/* A device tree the user supplies (dtb=, e.g. compiled with dtc): refused unless its memory is guest RAM, then given to the guest with minivmm's /chosen. */
#include <minivmm/console.h>
#include <minivmm/fdt.h>
#include <minivmm/fdt_read.h>
#include <minivmm/guest_dt.h>
#include <minivmm/string.h>

/*
 * A guest told of RAM that is not there faults on its first touch of it, far
 * from the cause; told of less, it wastes the rest. So the memory nodes must
 * describe exactly one range, the guest's RAM (mem=), and it may reserve none
 * of it (/memreserve/: minivmm's writer has no reservations). minivmm still owns
 * /chosen: the initramfs is where minivmm put it, and the boot arguments on
 * minivmm's command line (if any) replace the tree's.
 */

/* ---- Pass 1: the tree's memory against the VM's RAM. */

struct mem_check {
    uint32_t addr_cells, size_cells; /* the root's; the spec's defaults are 2 and 1 */
    bool is_memory;                  /* the depth-1 node being read has device_type "memory" */
    const uint8_t *reg;
    uint32_t reg_len;
    unsigned ranges;     /* memory ranges seen so far */
    uint64_t base, size; /* the first of them */
    char *err;
    size_t errlen;
};

static int mem_begin(void *ctx, const char *name, int depth)
{
    struct mem_check *c = ctx;
    (void)name;
    if (depth == 1) {
        c->is_memory = false;
        c->reg = NULL;
    }
    return 0;
}

static int mem_prop(void *ctx, const char *name, const uint8_t *data, uint32_t len, int depth)
{
    struct mem_check *c = ctx;
    if (depth == 0 && len == 4 && !strcmp(name, "#address-cells"))
        c->addr_cells = fdt_cell(data, 0);
    else if (depth == 0 && len == 4 && !strcmp(name, "#size-cells"))
        c->size_cells = fdt_cell(data, 0);
    else if (depth == 1 && !strcmp(name, "device_type"))
        c->is_memory = len == 7 && !memcmp(data, "memory", 7);
    else if (depth == 1 && !strcmp(name, "reg")) {
        c->reg = data;
        c->reg_len = len;
    }
    return 0;
}

/* A number of 1 or 2 cells at data. */
static uint64_t cells(const uint8_t *data, uint32_t first, uint32_t n)
{
    uint64_t v = fdt_cell(data, first);
    return n == 2 ? v << 32 | fdt_cell(data, first + 1) : v;
}

static int mem_end(void *ctx, int depth)
{
    struct mem_check *c = ctx;
    if (depth != 1 || !c->is_memory)
        return 0;
    uint32_t a = c->addr_cells, s = c->size_cells, entry = (a + s) * 4;
    if (a < 1 || a > 2 || s < 1 || s > 2) {
        mv_snprintf(c->err, c->errlen, "#address-cells %u and #size-cells %u: minivmm reads 1 or 2", a, s);
        return -1;
    }
    if (!c->reg || !c->reg_len || c->reg_len % entry) {
        mv_snprintf(c->err, c->errlen, "a memory node's reg is not a list of (address, size) pairs");
        return -1;
    }
    for (uint32_t i = 0; i < c->reg_len / entry; i++, c->ranges++) {
        if (!c->ranges) {
            c->base = cells(c->reg, i * (a + s), a);
            c->size = cells(c->reg, i * (a + s) + a, s);
        }
    }
    return 0;
}

static int check_memory(const struct vm *vm, char *err, size_t errlen)
{
    char why[160] = "";
    struct mem_check c = {.addr_cells = 2, .size_cells = 1, .err = why, .errlen = sizeof(why)};
    struct fdt_visitor v = {&c, mem_begin, mem_prop, mem_end};
    if (fdt_walk(vm->user_dtb, (uint32_t)vm->user_dtb_len, &v, why, sizeof(why))) {
        mv_snprintf(err, errlen, "the device tree (dtb=) is refused: %s", why);
        return -1;
    }
    uint32_t reserved = fdt_reservations(vm->user_dtb);
    if (reserved) { /* minivmm's writer would drop them, and the guest would use that memory */
        mv_snprintf(err, errlen,
                    "the device tree (dtb=) reserves memory (%u /memreserve/ entries), "
                    "which minivmm cannot pass on to the guest: remove them",
                    reserved);
        return -1;
    }
    if (c.ranges == 1 && c.base == vm->ram_ipa && c.size == vm->ram_size)
        return 0;
    if (!c.ranges)
        mv_snprintf(err, errlen,
                    "the device tree (dtb=) describes no memory (no node with "
                    "device_type \"memory\"); the guest has %u MiB at %#x",
                    vm->ram_size >> 20, vm->ram_ipa);
    else
        mv_snprintf(err, errlen,
                    "the device tree (dtb=) describes %u memory range(s), the first "
                    "%#llx-%#llx, but guest RAM is %#x-%#x (%u MiB; mem= sets it)",
                    c.ranges, (unsigned long long)c.base, (unsigned long long)(c.base + c.size - 1),
                    vm->ram_ipa, vm->ram_ipa + vm->ram_size - 1, vm->ram_size >> 20);
    return -1;
}

/* ---- Pass 2: copy the tree, with minivmm's part of /chosen. */

struct copier {
    struct fdt_writer w;
    const struct vm *vm;
    bool in_chosen, chosen_written, saw_chosen;
};

/* What minivmm decides: the boot arguments it was given, the initramfs it placed. */
static void chosen_props(struct copier *c)
{
    const struct vm *vm = c->vm;
    if (vm->bootargs[0])
        fdt_prop_str(&c->w, "bootargs", vm->bootargs);
    if (vm->initrd) {
        fdt_prop_u32(&c->w, "linux,initrd-start", vm->initrd_ipa);
        fdt_prop_u32(&c->w, "linux,initrd-end", vm->initrd_ipa + (uint32_t)vm->initrd_len);
    }
    c->chosen_written = true;
}

static int copy_begin(void *ctx, const char *name, int depth)
{
    struct copier *c = ctx;
    if (c->in_chosen && depth == 2 && !c->chosen_written)
        chosen_props(c); /* properties come before a node's subnodes */
    fdt_begin_node(&c->w, name);
    if (depth == 1 && !strcmp(name, "chosen"))
        c->in_chosen = c->saw_chosen = true;
    return 0;
}

static bool replaced(const struct copier *c, const char *name)
{
    if (!strcmp(name, "bootargs"))
        return c->vm->bootargs[0] != '\0';
    return !strcmp(name, "linux,initrd-start") || !strcmp(name, "linux,initrd-end");
}

static int copy_prop(void *ctx, const char *name, const uint8_t *data, uint32_t len, int depth)
{
    struct copier *c = ctx;
    if (!(c->in_chosen && depth == 1 && replaced(c, name)))
        fdt_prop(&c->w, name, data, len);
    return 0;
}

static int copy_end(void *ctx, int depth)
{
    struct copier *c = ctx;
    if (depth == 1 && c->in_chosen) {
        if (!c->chosen_written)
            chosen_props(c);
        c->in_chosen = false;
    } else if (depth == 0 && !c->saw_chosen) {
        fdt_begin_node(&c->w, "chosen");
        chosen_props(c);
        fdt_end_node(&c->w);
    }
    fdt_end_node(&c->w);
    return 0;
}

int guest_dt_user(struct vm *vm, void *buf, uint32_t size, char *err, size_t errlen)
{
    if (check_memory(vm, err, errlen))
        return -1;
    struct copier c = {.vm = vm};
    struct fdt_visitor v = {&c, copy_begin, copy_prop, copy_end};
    fdt_begin(&c.w, buf, size);
    if (fdt_walk(vm->user_dtb, (uint32_t)vm->user_dtb_len, &v, err, errlen) || !fdt_finish(&c.w)) {
        mv_snprintf(err, errlen, "the device tree (dtb=) with minivmm's /chosen does not fit in %u bytes",
                    size);
        return -1;
    }
    return 0;
}
