/* Snapshot sections: little-endian field visits that save or restore, and the writer and reader of whole sections. */
#include <stdarg.h>
#include <minivmm/console.h>
#include <minivmm/snapshot.h>
#include <minivmm/string.h>

#define VERSION_OFF SNAP_NAME_MAX
#define LENGTH_OFF  (SNAP_NAME_MAX + 4u)

static int fail(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err)
        mv_vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Byte by byte, so that neither the host's byte order nor the alignment matters. */
static void le_put(uint8_t *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_get(const uint8_t *b, unsigned n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | b[n];
    return v;
}

/* Bytes left in the stream; a stream that ran out has pos past cap. */
static uint32_t room(const struct snap *s)
{
    return s->pos < s->cap ? s->cap - s->pos : 0;
}

/* The stream is too short for a visit. A restore also moves pos past cap, so that
 * snap_restore_section can tell "truncated" from "refused" (pos <= cap). Only a
 * payload of 4 GiB - 1 bytes, which no reader produces, saturates. */
static void run_out(struct snap *s)
{
    s->failed = true;
    if (s->dir == SNAP_RESTORE)
        s->pos = s->cap < UINT32_MAX ? s->cap + 1 : s->cap;
}

/* Move n bytes between p and the stream, whole or not at all; nothing once the stream has failed. */
void snap_bytes(struct snap *s, void *p, uint32_t n)
{
    if (s->failed)
        return;
    if (n > room(s)) { /* n, not pos + n, so nothing wraps */
        run_out(s);
        return;
    }
    if (n && s->dir == SNAP_SAVE)
        memcpy(s->buf + s->pos, p, n);
    else if (n)
        memcpy(p, s->buf + s->pos, n);
    s->pos += n;
}

/* An n-byte integer: true when a value was restored into *v (a save never writes the field). */
static bool snap_le(struct snap *s, uint64_t *v, unsigned n)
{
    uint8_t b[8];
    le_put(b, *v, n);
    snap_bytes(s, b, n);
    if (s->failed || s->dir != SNAP_RESTORE)
        return false;
    *v = le_get(b, n);
    return true;
}

/* The unsigned fields: one visit each, of their size on the wire. */
#define SNAP_UINT(fn, type, n)       \
    void fn(struct snap *s, type *v) \
    {                                \
        uint64_t x = *v;             \
        if (snap_le(s, &x, n))       \
            *v = (type)x;            \
    }
SNAP_UINT(snap_u8, uint8_t, 1)
SNAP_UINT(snap_u16, uint16_t, 2)
SNAP_UINT(snap_u32, uint32_t, 4)
SNAP_UINT(snap_u64, uint64_t, 8)

void snap_bool(struct snap *s, bool *v)
{
    uint64_t x = *v;
    if (snap_le(s, &x, 1) && snap_check(s, x <= 1))
        *v = x == 1;
}

void snap_i8(struct snap *s, int8_t *v)
{
    uint64_t x = (uint8_t)*v; /* two's complement on the wire */
    if (snap_le(s, &x, 1))
        *v = (int8_t)(x < 0x80 ? (int)x : (int)x - 0x100);
}

void snap_u32s(struct snap *s, uint32_t *v, uint32_t n)
{
    /* Check the whole array first: a short payload must not restore half of it. */
    if (!s->failed && n > room(s) / 4)
        run_out(s);
    for (uint32_t i = 0; i < n && !s->failed; i++)
        snap_u32(s, &v[i]);
}

bool snap_check(struct snap *s, bool ok)
{
    if (!ok && s->dir == SNAP_RESTORE)
        s->failed = true;
    return ok;
}

/* Characters before the NUL in a 16-byte name field: SNAP_NAME_MAX if there is none. */
static uint32_t name_len(const char *p)
{
    uint32_t n = 0;
    while (n < SNAP_NAME_MAX && p[n])
        n++;
    return n;
}

static bool printable(const char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
            return false;
    return true;
}

void snap_writer_init(struct snap_writer *w, void *buf, uint32_t cap)
{
    *w = (struct snap_writer){buf, cap, 0, false};
}

/* A name the reader would refuse is refused here too, so every snapshot written can be read. */
int snap_write_section(struct snap_writer *w, const char *name, uint32_t version, snap_fn fn, void *obj)
{
    uint32_t n = name ? name_len(name) : 0;
    if (w->overflow || n == 0 || n >= SNAP_NAME_MAX || !printable(name, n) || w->len > w->cap ||
        w->cap - w->len < SNAP_HEADER_SIZE) {
        w->overflow = true; /* the snapshot lacks a section: unusable */
        return -1;
    }
    uint8_t *h = w->buf + w->len;
    memset(h, 0, SNAP_NAME_MAX);
    memcpy(h, name, n);
    le_put(h + VERSION_OFF, version, 4);
    struct snap s = {SNAP_SAVE, h + SNAP_HEADER_SIZE, w->cap - w->len - SNAP_HEADER_SIZE, 0, false};
    fn(obj, &s);
    if (s.failed || s.pos > s.cap) {
        w->overflow = true; /* len is unchanged: buf[0, len) still holds whole sections */
        return -1;
    }
    le_put(h + LENGTH_OFF, s.pos, 4);
    w->len += SNAP_HEADER_SIZE + s.pos;
    return 0;
}

void snap_reader_init(struct snap_reader *r, const void *buf, uint32_t len)
{
    *r = (struct snap_reader){buf, len, 0};
}

int snap_next_section(struct snap_reader *r, struct snap_section *sec, char *err, size_t errlen)
{
    uint32_t left = r->pos < r->len ? r->len - r->pos : 0, at = r->pos;
    if (left == 0)
        return 0;
    if (left < SNAP_HEADER_SIZE)
        return fail(err, errlen, "snapshot cut short at offset %u: %u bytes left, a section header takes %u",
                    at, left, SNAP_HEADER_SIZE);
    const uint8_t *h = r->buf + r->pos;
    const char *name = (const char *)h;
    uint32_t n = name_len(name);
    if (n == SNAP_NAME_MAX)
        return fail(err, errlen, "section at offset %u: the name has no NUL in its %u bytes", at,
                    SNAP_NAME_MAX);
    if (n == 0)
        return fail(err, errlen, "section at offset %u: the name is empty", at);
    if (!printable(name, n))
        return fail(err, errlen, "section at offset %u: the name has bytes outside printable ASCII", at);
    for (uint32_t i = n; i < SNAP_NAME_MAX; i++)
        if (name[i])
            return fail(err, errlen, "section '%s': the name is not NUL-padded", name);
    uint32_t length = (uint32_t)le_get(h + LENGTH_OFF, 4);
    if (length > left - SNAP_HEADER_SIZE)
        return fail(err, errlen, "section '%s': length %u runs past the end of the snapshot (%u bytes left)",
                    name, length, left - SNAP_HEADER_SIZE);
    memcpy(sec->name, name, SNAP_NAME_MAX);
    sec->version = (uint32_t)le_get(h + VERSION_OFF, 4);
    sec->length = length;
    sec->payload = h + SNAP_HEADER_SIZE;
    r->pos += SNAP_HEADER_SIZE + length;
    return 1;
}

int snap_restore_section(const struct snap_section *sec, uint32_t version, snap_fn fn, void *obj, char *err,
                         size_t errlen)
{
    char name[SNAP_NAME_MAX] = ""; /* a caller's section may not be NUL-terminated or printable */
    for (uint32_t i = 0; i < SNAP_NAME_MAX - 1 && sec->name[i]; i++)
        name[i] = printable(&sec->name[i], 1) ? sec->name[i] : '?';
    if (sec->version != version)
        return fail(err, errlen, "section '%s': version %u, this minivmm reads version %u", name,
                    sec->version, version);
    /* The payload is only read: the cast is for struct snap's one buf for both directions. */
    struct snap s = {SNAP_RESTORE, (uint8_t *)sec->payload, sec->length, 0, false};
    fn(obj, &s);
    if (s.failed && s.pos > s.cap)
        return fail(err, errlen, "section '%s': truncated (payload %u bytes, the device reads more)", name,
                    s.cap);
    if (s.failed)
        return fail(err, errlen, "section '%s': a value is out of range", name);
    if (s.pos != s.cap)
        return fail(err, errlen,
                    "section '%s': %u bytes of payload left unread (wrong length for version %u)", name,
                    s.cap - s.pos, version);
    return 0;
}
