/* What the snapshot Check suites share: save one object as a section, restore one section into an object. */
#ifndef SNAPTEST_H
#define SNAPTEST_H

#include <check.h>
#include <string.h>
#include <minivmm/snapshot.h>

/* Save obj as the section name at the start of b (cap bytes); the snapshot's length. */
static inline uint32_t snaptest_save(uint8_t *b, uint32_t cap, const char *name, uint32_t version, snap_fn fn,
                                     const void *obj)
{
    struct snap_writer w;
    snap_writer_init(&w, b, cap);
    ck_assert_int_eq(snap_write_section(&w, name, version, fn, (void *)obj), 0);
    ck_assert(!w.overflow);
    return w.len;
}

/* Read the first section of b[0, len) and restore it into obj with fn: the
 * result, with err (errlen bytes) holding the message. */
static inline int snaptest_restore(const uint8_t *b, uint32_t len, uint32_t version, snap_fn fn, void *obj,
                                   char *err, size_t errlen)
{
    struct snap_reader r;
    struct snap_section sec;
    snap_reader_init(&r, b, len);
    ck_assert_int_eq(snap_next_section(&r, &sec, err, errlen), 1);
    memset(err, 'X', errlen - 1); /* no stale text may pass for a message */
    err[errlen - 1] = '\0';
    return snap_restore_section(&sec, version, fn, obj, err, errlen);
}

#endif
