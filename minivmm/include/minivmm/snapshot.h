/* Snapshot sections: one symmetric function per device saves and restores its state, field by field, in a versioned section. */
#ifndef MINIVMM_SNAPSHOT_H
#define MINIVMM_SNAPSHOT_H

#include "types.h"

/*
 * A snapshot is a sequence of sections. Each section is
 *
 *   name     16 bytes, NUL-padded ASCII ("vcpu0", "pl011", "gicd", ...)
 *   version  u32, the section's format version (its owner's SNAP_VERSION)
 *   length   u32, bytes of payload that follow
 *   payload  the owner's fields, in the order its snapshot function visits them
 *
 * Every number is little-endian, whatever the host, so that a snapshot taken
 * on one machine restores on another. A section's payload is written and read
 * by one function of its owner, which visits each field with snap_u32() and
 * friends: the same code saves (copies the field out) and restores (copies it
 * back in), so the two directions cannot drift apart (bhyve's pe_snapshot
 * idea). A restore that runs out of payload marks the stream failed; every
 * later visit then leaves its field alone.
 */
#define SNAP_NAME_MAX    16u
#define SNAP_HEADER_SIZE (SNAP_NAME_MAX + 8u)

enum snap_dir { SNAP_SAVE, SNAP_RESTORE };

/* One section's payload being saved or restored. */
struct snap {
    enum snap_dir dir;
    uint8_t *buf; /* save: where payload goes; restore: the payload (not written) */
    uint32_t cap; /* save: room in buf; restore: the payload's length */
    uint32_t pos; /* bytes saved / consumed so far */
    bool failed;  /* save: out of room; restore: payload too short, or a value refused */
};

void snap_bytes(struct snap *s, void *p, uint32_t n);
void snap_u8(struct snap *s, uint8_t *v);
void snap_u16(struct snap *s, uint16_t *v);
void snap_u32(struct snap *s, uint32_t *v);
void snap_u64(struct snap *s, uint64_t *v);
void snap_bool(struct snap *s, bool *v); /* one byte; a restored byte other than 0 or 1 fails */
void snap_i8(struct snap *s, int8_t *v);
/* A u32 array of n elements. */
void snap_u32s(struct snap *s, uint32_t *v, uint32_t n);
/* Restore only: refuse a value the owner finds out of range (an index past
 * its table, say): marks the stream failed. Returns ok, so that an owner can
 * write `if (!snap_check(s, i < N)) return;`. On save it does nothing. */
bool snap_check(struct snap *s, bool ok);

/* What owns a section: its name, its format version and its one function. */
typedef void (*snap_fn)(void *obj, struct snap *s);

/* Writing a whole snapshot into a caller's buffer. */
struct snap_writer {
    uint8_t *buf;
    uint32_t cap, len;
    bool overflow; /* something did not fit: the result is unusable */
};
void snap_writer_init(struct snap_writer *w, void *buf, uint32_t cap);
/* Append one section: header, then fn(obj) in SNAP_SAVE direction; the length
 * field is filled in afterwards. 0, or -1 (and w->overflow) if it did not fit
 * or the name is empty or longer than SNAP_NAME_MAX - 1 bytes. */
int snap_write_section(struct snap_writer *w, const char *name, uint32_t version, snap_fn fn, void *obj);

/* Reading a snapshot back, one section at a time. */
struct snap_reader {
    const uint8_t *buf;
    uint32_t len, pos;
};
struct snap_section {
    char name[SNAP_NAME_MAX]; /* NUL-terminated (a name filling all 16 bytes is refused) */
    uint32_t version, length;
    const uint8_t *payload;
};
void snap_reader_init(struct snap_reader *r, const void *buf, uint32_t len);
/* The next section: 1 and *sec filled, 0 at the clean end of the stream, or
 * -1 with a message in err: a header cut short, a name without a NUL or with
 * bytes outside printable ASCII, or a length that runs past the end of the
 * stream ("section 'pl011': length 4000 runs past the end of the snapshot
 * (120 bytes left)"). After -1 the reader stays at the bad section. */
int snap_next_section(struct snap_reader *r, struct snap_section *sec, char *err, size_t errlen);
/* Restore obj from sec with fn: 0, or -1 with a message naming the section
 * when sec->version is not `version`, when the payload is shorter than fn
 * reads (truncated), when fn leaves payload bytes unread (a wrong length), or
 * when fn refused a value (snap_check). On -1 obj may be half restored: the
 * caller resets it. */
int snap_restore_section(const struct snap_section *sec, uint32_t version, snap_fn fn, void *obj, char *err,
                         size_t errlen);

#endif
