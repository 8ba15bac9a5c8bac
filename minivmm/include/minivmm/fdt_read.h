/* A validating reader of flattened device trees (DTB) that minivmm did not write itself (dtb=). */
#ifndef MINIVMM_FDT_READ_H
#define MINIVMM_FDT_READ_H

#include "types.h"

/* Callbacks of a walk; any may be NULL. depth: 0 for the root node (name ""), 1 for its children...
 * A property is reported with the depth of the node that holds it. A callback returning
 * nonzero stops the walk, which then returns -1 (err is left to the callback, or set to
 * "stopped by the caller" if the callback left it empty). */
struct fdt_visitor {
    void *ctx;
    int (*begin_node)(void *ctx, const char *name, int depth);
    int (*prop)(void *ctx, const char *name, const uint8_t *data, uint32_t len, int depth);
    int (*end_node)(void *ctx, int depth);
};

/* Check the blob and walk its structure block in order. Returns 0, or -1 with a one-line reason in err.
 * The whole blob is checked before the first callback, so a refused blob calls none. At most
 * 16 levels of nodes, the root included (depth 0 to 15). v may be NULL: check only. */
int fdt_walk(const void *blob, uint32_t len, const struct fdt_visitor *v, char *err, size_t errlen);

/* How many memory reservations (/memreserve/) a blob that fdt_walk accepted lists. */
uint32_t fdt_reservations(const void *blob);

/* A big-endian 32-bit cell of a property value (data may be unaligned). */
uint32_t fdt_cell(const uint8_t *data, uint32_t index);

#endif
