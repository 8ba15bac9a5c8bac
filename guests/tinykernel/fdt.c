/* Just enough of a device-tree reader to find /chosen/bootargs. */
#include <string.h>
#include "kernel.h"

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

const char *fdt_bootargs(const void *dtb)
{
    const uint8_t *h = dtb;
    if (!dtb || be32(h) != 0xd00dfeedu)
        return NULL;
    const uint8_t *s = h + be32(h + 8), *end = s + be32(h + 36);
    const char *strings = (const char *)h + be32(h + 12);
    int depth = 0;
    bool in_chosen = false;
    while (s < end) {
        uint32_t tok = be32(s);
        s += 4;
        if (tok == 1) { /* BEGIN_NODE */
            const char *name = (const char *)s;
            depth++;
            in_chosen = depth == 2 && !strcmp(name, "chosen");
            s += (strlen(name) + 4) & ~3u;
        } else if (tok == 2) { /* END_NODE */
            depth--;
            in_chosen = false;
        } else if (tok == 3) { /* PROP */
            uint32_t len = be32(s), nameoff = be32(s + 4);
            if (in_chosen && !strcmp(strings + nameoff, "bootargs"))
                return (const char *)s + 8;
            s += 8 + ((len + 3) & ~3u);
        } else if (tok == 9) {
            break;
        }
    }
    return NULL;
}
