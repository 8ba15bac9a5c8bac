/* Device tree reader for blobs from outside (dtb=): checks the header, the blocks and every token, then walks the tree without recursion. */
#include <stdarg.h>
#include <minivmm/console.h>
#include <minivmm/fdt_format.h>
#include <minivmm/fdt_read.h>
#include <minivmm/string.h>

#define FDT_MAX_DEPTH 16 /* nodes open at once, the root included */
#define SHOWN_MAX     32 /* characters of a name quoted in a message */

/* Header fields, by their offset. */
/* clang-format off */
enum {
    H_MAGIC = 0, H_TOTALSIZE = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12, H_OFF_RSVMAP = 16,
    H_VERSION = 20, H_LAST_COMP = 24, H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36
};
/* clang-format on */

struct reader {
    const uint8_t *b;
    uint32_t total;   /* totalsize, once checked against the file */
    const uint8_t *s; /* the structure block */
    uint32_t s_off, s_size;
    const char *strings;
    uint32_t strings_size;
    bool exact_end; /* size_dt_struct is known (v17): FDT_END ends the block */
    /* The walk. */
    const struct fdt_visitor *v; /* NULL while only checking */
    uint32_t pos;                /* the next token, from the block's start; pos <= s_size */
    int depth;                   /* nodes open */
    bool root_seen, root_closed;
    const char *names[FDT_MAX_DEPTH]; /* of the open nodes, for messages */
    bool has_subnode[FDT_MAX_DEPTH];  /* the spec puts a node's properties before its subnodes */
    char *err;
    size_t errlen;
    char shown[2][SHOWN_MAX + 4]; /* names quoted in the message being written */
};

static int fail(struct reader *r, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int fail(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mv_vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

uint32_t fdt_cell(const uint8_t *data, uint32_t index)
{
    return fdt_be32(data + (size_t)index * 4); /* byte by byte: values are only 4-aligned in the blob */
}

/* A name as quoted in a message: printable ASCII and at most SHOWN_MAX characters,
 * so that a hostile name cannot break the one-line reason. */
static const char *show(struct reader *r, int slot, const char *name)
{
    char *out = r->shown[slot];
    size_t i = 0;
    for (; name[i] && i < SHOWN_MAX; i++) {
        unsigned char c = (unsigned char)name[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    memcpy(out + i, name[i] ? "..." : "", name[i] ? 4 : 1);
    return out;
}

/* Open node i (0: the root, shown as "/") as quoted in a message. */
static const char *node_name(struct reader *r, int slot, int i)
{
    return i ? show(r, slot, r->names[i]) : "/";
}

/* Length of the string at p if it ends (NUL) within n bytes, else n. */
static uint32_t str_len(const uint8_t *p, uint32_t n)
{
    uint32_t i = 0;
    while (i < n && p[i])
        i++;
    return i;
}

/* ---- The header and the blocks it points to. */

static int check_header(struct reader *r, uint32_t len)
{
    const uint8_t *b = r->b;
    if (len < FDT_HDR_SIZE)
        return fail(r, "truncated: %u bytes is shorter than a device tree header (%u)", len, FDT_HDR_SIZE);
    if (fdt_be32(b + H_MAGIC) != FDT_MAGIC)
        return fail(r, "not a device tree (magic %#x, expected %#x)", fdt_be32(b + H_MAGIC), FDT_MAGIC);
    r->total = fdt_be32(b + H_TOTALSIZE);
    if (r->total > len)
        return fail(r, "totalsize %u is larger than the file (%u bytes)", r->total, len);
    if (r->total < FDT_HDR_SIZE)
        return fail(r, "totalsize %u is smaller than the %u-byte header", r->total, FDT_HDR_SIZE);
    uint32_t version = fdt_be32(b + H_VERSION), last = fdt_be32(b + H_LAST_COMP);
    if (version < 16)
        return fail(r, "version %u is too old (minivmm reads versions 16 and 17)", version);
    if (last > 17)
        return fail(r, "last compatible version %u is newer than 17, the latest minivmm reads", last);
    return 0;
}

/* A block lies after the header and inside totalsize; subtract, as off + size may wrap. */
static int check_block(struct reader *r, const char *what, uint32_t off, uint32_t size)
{
    if (off < FDT_HDR_SIZE)
        return fail(r, "the %s at offset %u overlaps the %u-byte header", what, off, FDT_HDR_SIZE);
    if (off > r->total || size > r->total - off)
        return fail(r, "the %s (offset %u, %u bytes) is outside the blob (totalsize %u)", what, off, size,
                    r->total);
    return 0;
}

static int check_layout(struct reader *r)
{
    const uint8_t *b = r->b;
    uint32_t s_off = fdt_be32(b + H_OFF_STRUCT), s_size = fdt_be32(b + H_SIZE_STRUCT);
    uint32_t str_off = fdt_be32(b + H_OFF_STRINGS), str_size = fdt_be32(b + H_SIZE_STRINGS);
    if (check_block(r, "strings block", str_off, str_size))
        return -1;
    r->exact_end = fdt_be32(b + H_VERSION) >= 17;
    if (!r->exact_end) { /* version 16 has no size_dt_struct: up to the strings, or the end */
        if (check_block(r, "structure block", s_off, 0))
            return -1;
        s_size = (str_off >= s_off ? str_off : r->total) - s_off;
    }
    if (check_block(r, "structure block", s_off, s_size))
        return -1;
    if (s_off % 4)
        return fail(r, "the structure block offset %u is not 4-aligned", s_off);
    r->s = b + s_off;
    r->s_off = s_off;
    r->s_size = s_size;
    r->strings = (const char *)b + str_off;
    r->strings_size = str_size;
    return 0;
}

/* The reader ignores the reservations, but their list must end, with a (0,0) entry. */
static int check_rsvmap(struct reader *r)
{
    uint32_t off = fdt_be32(r->b + H_OFF_RSVMAP);
    if (check_block(r, "memory reservation map", off, 0))
        return -1;
    if (off % 8)
        return fail(r, "the memory reservation map offset %u is not 8-aligned", off);
    uint32_t end = off <= r->s_off ? r->s_off : r->total;
    for (uint32_t at = off; end - at >= FDT_RSV_ENTRY; at += FDT_RSV_ENTRY) {
        const uint8_t *e = r->b + at;
        if (!(fdt_be32(e) | fdt_be32(e + 4) | fdt_be32(e + 8) | fdt_be32(e + 12)))
            return 0;
    }
    return fail(r, "the memory reservation map at offset %u has no (0,0) entry before offset %u", off, end);
}

uint32_t fdt_reservations(const void *blob)
{
    const uint8_t *e = (const uint8_t *)blob + fdt_be32((const uint8_t *)blob + H_OFF_RSVMAP);
    uint32_t n = 0;
    for (; fdt_be32(e) | fdt_be32(e + 4) | fdt_be32(e + 8) | fdt_be32(e + 12); e += FDT_RSV_ENTRY)
        n++; /* fdt_walk found the (0,0) entry that ends the list */
    return n;
}

/* ---- The structure block. */

/* Move past n bytes and their padding to 4; false if that leaves the block. */
static bool skip(struct reader *r, uint32_t n)
{
    uint64_t padded = ((uint64_t)n + 3) & ~(uint64_t)3; /* in 64 bits: n may be near 4 GiB */
    if (padded > r->s_size - r->pos)
        return false;
    r->pos += (uint32_t)padded;
    return true;
}

/* A callback asked to stop: its own reason stays, else a generic one. */
static int stopped(struct reader *r)
{
    if (r->errlen && !r->err[0])
        mv_snprintf(r->err, r->errlen, "stopped by the caller");
    return -1;
}

static const char *token_name(uint32_t tok)
{
    switch (tok) {
    case FDT_BEGIN_NODE: return "FDT_BEGIN_NODE";
    case FDT_END_NODE: return "FDT_END_NODE";
    case FDT_PROP: return "FDT_PROP";
    case FDT_NOP: return "FDT_NOP";
    case FDT_END: return "FDT_END";
    }
    return NULL;
}

/* Is tok allowed here: the root node first, then nothing but FDT_END once it is closed. */
static int check_place(struct reader *r, uint32_t tok, uint32_t at)
{
    const char *name = token_name(tok);
    if (!name)
        return fail(r, "unknown token %#x at offset %u", tok, at);
    if (!r->root_seen && tok != FDT_BEGIN_NODE)
        return fail(r, "the structure block does not start with the root node (%s at offset %u)", name, at);
    if (r->root_closed && tok == FDT_END_NODE)
        return fail(r, "FDT_END_NODE at offset %u closes no node (the root node is closed)", at);
    if (r->root_closed && tok != FDT_END)
        return fail(r, "data after the root node (%s at offset %u)", name, at);
    return 0;
}

static int begin_node(struct reader *r, uint32_t at)
{
    const char *name = (const char *)r->s + r->pos;
    uint32_t n = str_len(r->s + r->pos, r->s_size - r->pos);
    if (n == r->s_size - r->pos)
        return fail(r,
                    "the name of the node at offset %u is not NUL-terminated inside the "
                    "structure block",
                    at);
    if (!skip(r, n + 1))
        return fail(r, "the name of node '%s' at offset %u runs past the structure block", show(r, 0, name),
                    at);
    if (!r->root_seen && n)
        return fail(r, "the root node is named '%s' (it must have an empty name)", show(r, 0, name));
    if (r->depth == FDT_MAX_DEPTH)
        return fail(r, "node '%s' at offset %u is nested deeper than %d levels", show(r, 0, name), at,
                    FDT_MAX_DEPTH);
    if (r->depth)
        r->has_subnode[r->depth - 1] = true;
    r->names[r->depth] = name;
    r->has_subnode[r->depth] = false;
    r->root_seen = true;
    int depth = r->depth++;
    if (r->v && r->v->begin_node && r->v->begin_node(r->v->ctx, name, depth))
        return stopped(r);
    return 0;
}

/* check_place let it through: a node is open. */
static int end_node(struct reader *r)
{
    int depth = --r->depth;
    r->root_closed = depth == 0;
    if (r->v && r->v->end_node && r->v->end_node(r->v->ctx, depth))
        return stopped(r);
    return 0;
}

static int prop(struct reader *r, uint32_t at)
{
    if (r->s_size - r->pos < 8)
        return fail(r, "the property at offset %u is cut short by the end of the structure block", at);
    uint32_t len = fdt_be32(r->s + r->pos), nameoff = fdt_be32(r->s + r->pos + 4);
    r->pos += 8;
    if (nameoff >= r->strings_size)
        return fail(r, "property name offset %u is outside the strings block (%u bytes)", nameoff,
                    r->strings_size);
    const char *name = r->strings + nameoff;
    if (str_len((const uint8_t *)name, r->strings_size - nameoff) == r->strings_size - nameoff)
        return fail(r,
                    "the property name at strings offset %u is not NUL-terminated inside the "
                    "strings block",
                    nameoff);
    int depth = r->depth - 1; /* check_place let it through: a node is open */
    if (r->has_subnode[depth])
        return fail(r, "property '%s' after a subnode in node '%s'", show(r, 0, name),
                    node_name(r, 1, depth));
    const uint8_t *data = r->s + r->pos;
    if (!skip(r, len))
        return fail(r,
                    "property '%s' of node '%s' (%u bytes at offset %u) runs past the structure "
                    "block",
                    show(r, 0, name), node_name(r, 1, depth), len, at);
    if (r->v && r->v->prop && r->v->prop(r->v->ctx, name, data, len, depth))
        return stopped(r);
    return 0;
}

/* FDT_END: the root must be closed, and in v17 the block ends here. */
static int end_of_block(struct reader *r, uint32_t at)
{
    if (r->depth)
        return fail(r, "node '%s' is not closed (FDT_END at offset %u)", node_name(r, 0, r->depth - 1), at);
    if (r->exact_end && r->pos != r->s_size)
        return fail(r, "data after FDT_END (%u bytes at offset %u)", r->s_size - r->pos, r->s_off + r->pos);
    return 0;
}

/* The block ended with no room for another token, before FDT_END. */
static int unterminated(struct reader *r)
{
    uint32_t end = r->s_off + r->s_size;
    if (!r->root_seen)
        return fail(r, "the structure block (%u bytes at offset %u) has no root node", r->s_size, r->s_off);
    if (r->depth)
        return fail(r, "node '%s' is not closed (the structure block ends at offset %u)",
                    node_name(r, 0, r->depth - 1), end);
    return fail(r, "no FDT_END after the root node (the structure block ends at offset %u)", end);
}

/* One pass over the structure block, in a loop with an explicit stack: a hostile
 * nesting can go no deeper than names[]. */
static int walk(struct reader *r, const struct fdt_visitor *v)
{
    r->v = v;
    r->pos = 0;
    r->depth = 0;
    r->root_seen = r->root_closed = false;
    for (;;) {
        if (r->s_size - r->pos < 4)
            return unterminated(r);
        uint32_t at = r->s_off + r->pos, tok = fdt_be32(r->s + r->pos);
        r->pos += 4;
        if (tok == FDT_NOP)
            continue;
        if (check_place(r, tok, at))
            return -1;
        if (tok == FDT_END)
            return end_of_block(r, at);
        int rc;
        if (tok == FDT_BEGIN_NODE)
            rc = begin_node(r, at);
        else if (tok == FDT_END_NODE)
            rc = end_node(r);
        else
            rc = prop(r, at);
        if (rc)
            return -1;
    }
}

int fdt_walk(const void *blob, uint32_t len, const struct fdt_visitor *v, char *err, size_t errlen)
{
    struct reader r = {.b = blob, .err = err, .errlen = errlen};
    if (errlen)
        err[0] = '\0'; /* so that a callback's own reason can be told from none */
    if (check_header(&r, len) || check_layout(&r) || check_rsvmap(&r))
        return -1;
    /* The first pass checks the whole block, so that the callbacks see only a valid tree. */
    if (walk(&r, NULL))
        return -1;
    return v ? walk(&r, v) : 0;
}
