/* A small flattened-device-tree (DTB, version 17) writer for the guest's boot information. */
#ifndef MINIVMM_FDT_H
#define MINIVMM_FDT_H

#include "types.h"

struct fdt_writer {
    uint8_t *buf;
    uint32_t size;        /* capacity of buf */
    uint32_t struct_len;  /* bytes of structure block written so far */
    uint32_t strings_len; /* bytes of strings block (kept at the end of buf until fdt_finish) */
    int depth;
    bool overflow;
};

void fdt_begin(struct fdt_writer *w, void *buf, uint32_t size);
void fdt_begin_node(struct fdt_writer *w, const char *name);
void fdt_end_node(struct fdt_writer *w);
void fdt_prop(struct fdt_writer *w, const char *name, const void *data, uint32_t len);
void fdt_prop_u32(struct fdt_writer *w, const char *name, uint32_t v);
void fdt_prop_str(struct fdt_writer *w, const char *name, const char *s);
/* A property of n 32-bit cells (at most FDT_CELLS_MAX: a PCI interrupt-map), big-endian. */
#define FDT_CELLS_MAX 128
void fdt_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, uint32_t n);
/* Lay out the blob; returns its total size, or 0 if it did not fit or nodes are unbalanced. */
uint32_t fdt_finish(struct fdt_writer *w);

#endif
