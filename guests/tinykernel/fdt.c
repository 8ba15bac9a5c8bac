/* Just enough of a device-tree reader to find /chosen/bootargs and a device's address by its "compatible". */
#include <string.h>
#include "kernel.h"

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Walk the structure block, calling visit(node name, property name, value, arg)
 * for each property of each node at depth 2 (the root's children) until it returns true. */
typedef bool (*fdt_visit)(const char *node, const char *prop, const uint8_t *val, uint32_t len, void *arg);

static bool fdt_walk(const void *dtb, fdt_visit visit, void *arg)
{
    const uint8_t *h = dtb;
    if (!dtb || be32(h) != 0xd00dfeedu)
        return false;
    const uint8_t *s = h + be32(h + 8), *end = s + be32(h + 36);
    const char *strings = (const char *)h + be32(h + 12);
    const char *node = "";
    int depth = 0;
    while (s < end) {
        uint32_t tok = be32(s);
        s += 4;
        if (tok == 1) { /* BEGIN_NODE */
            depth++;
            if (depth == 2)
                node = (const char *)s;
            s += (strlen((const char *)s) + 4) & ~3u;
        } else if (tok == 2) { /* END_NODE */
            depth--;
        } else if (tok == 3) { /* PROP */
            uint32_t len = be32(s), nameoff = be32(s + 4);
            if (depth == 2 && visit(node, strings + nameoff, s + 8, len, arg))
                return true;
            s += 8 + ((len + 3) & ~3u);
        } else if (tok == 9) {
            break;
        }
    }
    return false;
}

static bool find_bootargs(const char *node, const char *prop, const uint8_t *val, uint32_t len, void *arg)
{
    (void)len;
    if (strcmp(node, "chosen") || strcmp(prop, "bootargs"))
        return false;
    *(const char **)arg = (const char *)val;
    return true;
}

const char *fdt_bootargs(const void *dtb)
{
    const char *args = NULL;
    fdt_walk(dtb, find_bootargs, &args);
    return args;
}

/* minivmm writes "compatible" before "reg" in each device node. */
struct find_dev {
    const char *compatible;
    const char *node; /* the node whose compatible matched */
    uint32_t base;
};

static bool find_device(const char *node, const char *prop, const uint8_t *val, uint32_t len, void *arg)
{
    struct find_dev *f = arg;
    if (!strcmp(prop, "compatible") && !strcmp((const char *)val, f->compatible))
        f->node = node;
    if (f->node == node && !strcmp(prop, "reg") && len >= 4) {
        f->base = be32(val);
        return true;
    }
    return false;
}

uint32_t fdt_device(const void *dtb, const char *compatible)
{
    struct find_dev f = {compatible, NULL, 0};
    fdt_walk(dtb, find_device, &f);
    return f.base;
}
