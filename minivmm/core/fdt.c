/* Flattened device tree writer: the structure block grows from the front of the buffer, strings from the back. */
#include <minivmm/fdt.h>
#include <minivmm/fdt_format.h>
#include <minivmm/string.h>

#define FDT_RSVMAP_SIZE FDT_RSV_ENTRY /* the map is one empty (terminating) entry */

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t struct_base(void)
{
    return FDT_HDR_SIZE + FDT_RSVMAP_SIZE;
}

static bool room(struct fdt_writer *w, uint32_t n)
{
    uint64_t used = (uint64_t)struct_base() + w->struct_len + w->strings_len + n;
    if (w->overflow || used > w->size) {
        w->overflow = true;
        return false;
    }
    return true;
}

/* Append n bytes (zero-padded to 4) to the structure block. */
static void put(struct fdt_writer *w, const void *data, uint32_t n)
{
    uint32_t padded = ALIGN_UP(n, 4u);
    if (!room(w, padded))
        return;
    uint8_t *p = w->buf + struct_base() + w->struct_len;
    if (n) /* an empty property may come with data == NULL */
        memcpy(p, data, n);
    memset(p + n, 0, padded - n);
    w->struct_len += padded;
}

static void put32(struct fdt_writer *w, uint32_t v)
{
    uint8_t b[4];
    be32(b, v);
    put(w, b, 4);
}

/* Offset of name in the strings block, adding it if new. Strings are stored
 * reversed from the end of buf while writing; fdt_finish moves them. */
static uint32_t string_off(struct fdt_writer *w, const char *name)
{
    uint32_t n = (uint32_t)strlen(name) + 1;
    uint8_t *strings = w->buf + w->size - w->strings_len;
    for (uint32_t off = 0; off + n <= w->strings_len; off++)
        if (!memcmp(strings + off, name, n) && (off == 0 || strings[off - 1] == '\0'))
            return w->strings_len - off; /* offset counted from the block's end for now */
    if (!room(w, n))
        return 0;
    w->strings_len += n;
    memcpy(w->buf + w->size - w->strings_len, name, n);
    return w->strings_len;
}

void fdt_begin(struct fdt_writer *w, void *buf, uint32_t size)
{
    *w = (struct fdt_writer){.buf = buf, .size = size};
    if (size < struct_base())
        w->overflow = true;
}

void fdt_begin_node(struct fdt_writer *w, const char *name)
{
    put32(w, FDT_BEGIN_NODE);
    put(w, name, (uint32_t)strlen(name) + 1);
    w->depth++;
}

void fdt_end_node(struct fdt_writer *w)
{
    put32(w, FDT_END_NODE);
    w->depth--;
}

void fdt_prop(struct fdt_writer *w, const char *name, const void *data, uint32_t len)
{
    /* The name offset is stored "from the end" and fixed in fdt_finish. */
    uint32_t off = string_off(w, name);
    put32(w, FDT_PROP);
    put32(w, len);
    put32(w, off);
    put(w, data, len);
}

void fdt_prop_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
    uint8_t b[4];
    be32(b, v);
    fdt_prop(w, name, b, 4);
}

void fdt_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, uint32_t n)
{
    uint8_t b[4 * FDT_CELLS_MAX];
    if (n > FDT_CELLS_MAX) {
        w->overflow = true;
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        be32(b + 4 * i, cells[i]);
    fdt_prop(w, name, b, 4 * n);
}

void fdt_prop_str(struct fdt_writer *w, const char *name, const char *s)
{
    fdt_prop(w, name, s, (uint32_t)strlen(s) + 1);
}

/* Rewrite every property's name offset from "distance from the end" to "offset from the start". */
static void fix_name_offsets(struct fdt_writer *w)
{
    uint8_t *s = w->buf + struct_base();
    for (uint32_t i = 0; i < w->struct_len;) {
        uint32_t tok = fdt_be32(s + i);
        i += 4;
        if (tok == FDT_BEGIN_NODE) {
            i += ALIGN_UP((uint32_t)strlen((char *)s + i) + 1, 4u);
        } else if (tok == FDT_PROP) {
            uint32_t len = fdt_be32(s + i);
            be32(s + i + 4, w->strings_len - fdt_be32(s + i + 4));
            i += 8 + ALIGN_UP(len, 4u);
        }
    }
}

uint32_t fdt_finish(struct fdt_writer *w)
{
    put32(w, FDT_END);
    if (w->overflow || w->depth != 0)
        return 0;
    fix_name_offsets(w);
    uint32_t off_strings = struct_base() + w->struct_len;
    memmove(w->buf + off_strings, w->buf + w->size - w->strings_len, w->strings_len);
    uint32_t total = off_strings + w->strings_len;
    uint8_t *h = w->buf;
    memset(h, 0, struct_base());
    be32(h + 0, FDT_MAGIC);
    be32(h + 4, total);
    be32(h + 8, struct_base());   /* off_dt_struct */
    be32(h + 12, off_strings);    /* off_dt_strings */
    be32(h + 16, FDT_HDR_SIZE);   /* off_mem_rsvmap */
    be32(h + 20, 17);             /* version */
    be32(h + 24, 16);             /* last compatible version */
    be32(h + 28, 0);              /* boot cpu */
    be32(h + 32, w->strings_len); /* size_dt_strings */
    be32(h + 36, w->struct_len);  /* size_dt_struct */
    return total;
}
