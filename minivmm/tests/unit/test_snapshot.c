/* Unit tests of snapshot sections (minivmm/core/snapshot.c): field visits both ways, the exact bytes, and hostile snapshots refused. */
#include <stdio.h>
#include <string.h>
#include <minivmm/snapshot.h>
#include "snaptest.h"
#include "suites.h"

/* A device with a field of every type, and the one function that saves and restores it. */
struct sample {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    bool flag;
    int8_t i8;
    uint8_t raw[5];
    uint32_t regs[3];
};

#define SAMPLE_VERSION 1u
#define SAMPLE_LEN     34u /* 1 + 2 + 4 + 8 + 1 + 1 + 5 + 3 * 4 */
#define FLAG_OFF       15u
#define SECTION_LEN    (SNAP_HEADER_SIZE + SAMPLE_LEN)
#define LENGTH_AT      (SNAP_NAME_MAX + 4u) /* the header's length field */

static void sample_snap(void *obj, struct snap *s)
{
    struct sample *d = obj;
    snap_u8(s, &d->u8);
    snap_u16(s, &d->u16);
    snap_u32(s, &d->u32);
    snap_u64(s, &d->u64);
    snap_bool(s, &d->flag);
    snap_i8(s, &d->i8);
    snap_bytes(s, d->raw, sizeof(d->raw));
    snap_u32s(s, d->regs, 3);
}

static const struct sample sample_values = {
    0x81,
    0xa1b2,
    0xc1d2e3f4u,
    0x8877665544332211ull,
    true,
    -2,
    {0x10, 0x20, 0x30, 0x40, 0x50},
    {0x11223344u, 0xdeadbeefu, 1},
};

/* sample_values on the wire: little-endian, whatever the host. */
static const uint8_t sample_payload[SAMPLE_LEN] = {
    0x81, 0xb2, 0xa1, 0xf4, 0xe3, 0xd2, 0xc1, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x01, 0xfe,
    0x10, 0x20, 0x30, 0x40, 0x50, 0x44, 0x33, 0x22, 0x11, 0xef, 0xbe, 0xad, 0xde, 0x01, 0x00, 0x00, 0x00,
};

/* Where each field of sample_snap ends in the payload. */
static const uint32_t field_end[] = {1, 3, 7, 15, 16, 17, 22, 34};

/* A gicd-like device: an index into a table, which a restore must check. */
struct table {
    uint8_t idx;
    uint32_t tab[4];
};

static void table_snap(void *obj, struct snap *s)
{
    struct table *t = obj;
    snap_u8(s, &t->idx);
    if (!snap_check(s, t->idx < 4))
        return;
    snap_u32(s, &t->tab[t->idx]);
}

static uint8_t buf[512], buf2[512];
static char err[256];

static void set32le(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* Save one object as a section at the start of b; the snapshot's length. */
static uint32_t save_one(uint8_t *b, uint32_t cap, const char *name, uint32_t version, snap_fn fn,
                         const void *obj)
{
    return snaptest_save(b, cap, name, version, fn, obj);
}

/* Read the first section of b[0, len) and restore it into obj with fn: the result, err set. */
static int restore_one(const uint8_t *b, uint32_t len, uint32_t version, snap_fn fn, void *obj)
{
    return snaptest_restore(b, len, version, fn, obj, err, sizeof(err));
}

/* The reader refuses b[0, len) at its first section with a one-line message containing fragment. */
static void next_refused(const uint8_t *b, uint32_t len, const char *fragment)
{
    struct snap_reader r;
    struct snap_section sec;
    snap_reader_init(&r, b, len);
    err[0] = '\0';
    ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, fragment) != NULL, "'%s' lacks '%s'", err, fragment);
    for (const char *c = err; *c; c++)
        ck_assert_msg(*c >= 0x20 && *c < 0x7f, "'%s' has a byte outside printable ASCII", err);
    ck_assert_uint_eq(r.pos, 0); /* the reader stays at the bad section */
    ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), -1);
}

static void assert_sample_eq(const struct sample *a, const struct sample *b)
{
    ck_assert_uint_eq(a->u8, b->u8);
    ck_assert_uint_eq(a->u16, b->u16);
    ck_assert_uint_eq(a->u32, b->u32);
    ck_assert_uint_eq(a->u64, b->u64);
    ck_assert_int_eq(a->flag, b->flag);
    ck_assert_int_eq(a->i8, b->i8);
    ck_assert_mem_eq(a->raw, b->raw, sizeof(a->raw));
    ck_assert_mem_eq(a->regs, b->regs, sizeof(a->regs));
}

/* ---- Field visits. */

START_TEST(test_round_trip)
{
    struct sample out;
    memset(&out, 0, sizeof(out));
    uint32_t len = save_one(buf, sizeof(buf), "sample", SAMPLE_VERSION, sample_snap, &sample_values);
    ck_assert_uint_eq(len, SECTION_LEN);
    ck_assert_int_eq(restore_one(buf, len, SAMPLE_VERSION, sample_snap, &out), 0);
    assert_sample_eq(&out, &sample_values);
}
END_TEST

START_TEST(test_wire_bytes)
{
    static const uint8_t header[SNAP_HEADER_SIZE] = {
        's',        'a',  'm',  'p',  'l', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* name, NUL-padded */
        0x04,       0x03, 0x02, 0x01,                                         /* version 0x01020304 */
        SAMPLE_LEN, 0,    0,    0,                                            /* length */
    };
    memset(buf, 0xa5, sizeof(buf));
    uint32_t len = save_one(buf, sizeof(buf), "sample", 0x01020304u, sample_snap, &sample_values);
    ck_assert_uint_eq(len, SECTION_LEN);
    ck_assert_mem_eq(buf, header, sizeof(header));
    ck_assert_mem_eq(buf + SNAP_HEADER_SIZE, sample_payload, SAMPLE_LEN);
    ck_assert_uint_eq(buf[len], 0xa5);
}
END_TEST

/* The signed byte's edges: two's complement on the wire, the sign back on restore. */
START_TEST(test_i8_edges)
{
    static const int8_t values[] = {-128, -1, 0, 1, 127};
    static const uint8_t wire[] = {0x80, 0xff, 0x00, 0x01, 0x7f};
    uint8_t b[5];
    int8_t v[5], back[5] = {0};
    memcpy(v, values, sizeof(v));
    struct snap s = {SNAP_SAVE, b, sizeof(b), 0, false};
    for (int i = 0; i < 5; i++)
        snap_i8(&s, &v[i]);
    ck_assert_mem_eq(b, wire, sizeof(wire));
    s = (struct snap){SNAP_RESTORE, b, sizeof(b), 0, false};
    for (int i = 0; i < 5; i++)
        snap_i8(&s, &back[i]);
    ck_assert(!s.failed);
    ck_assert_mem_eq(back, values, sizeof(back));
}
END_TEST

START_TEST(test_resave_identical)
{
    struct sample out;
    memset(&out, 0, sizeof(out));
    uint32_t len = save_one(buf, sizeof(buf), "sample", SAMPLE_VERSION, sample_snap, &sample_values);
    ck_assert_int_eq(restore_one(buf, len, SAMPLE_VERSION, sample_snap, &out), 0);
    memset(buf2, 0, sizeof(buf2));
    ck_assert_uint_eq(save_one(buf2, sizeof(buf2), "sample", SAMPLE_VERSION, sample_snap, &out), len);
    ck_assert_mem_eq(buf, buf2, len);
}
END_TEST

/* A save never writes the object, and snap_check does not fail it. */
START_TEST(test_save_leaves_object)
{
    struct sample copy = sample_values;
    save_one(buf, sizeof(buf), "sample", SAMPLE_VERSION, sample_snap, &copy);
    assert_sample_eq(&copy, &sample_values);
    struct snap s = {SNAP_SAVE, buf, sizeof(buf), 0, false};
    ck_assert(!snap_check(&s, false));
    ck_assert(snap_check(&s, true));
    ck_assert(!s.failed);
}
END_TEST

/* ---- The writer. */

START_TEST(test_writer_every_capacity)
{
    static uint8_t full[SECTION_LEN];
    save_one(full, sizeof(full), "sample", SAMPLE_VERSION, sample_snap, &sample_values);
    for (uint32_t cap = 0; cap <= SECTION_LEN; cap++) {
        struct snap_writer w;
        memset(buf, 0xa5, sizeof(buf));
        snap_writer_init(&w, buf, cap);
        int rc = snap_write_section(&w, "sample", SAMPLE_VERSION, sample_snap, (void *)&sample_values);
        for (uint32_t i = cap; i < sizeof(buf); i++)
            ck_assert_msg(buf[i] == 0xa5, "cap %u: byte %u written", cap, i);
        if (cap < SECTION_LEN) {
            ck_assert_msg(rc == -1 && w.overflow, "cap %u: overflow not reported", cap);
            ck_assert_uint_eq(w.len, 0);
        } else {
            ck_assert_int_eq(rc, 0);
            ck_assert(!w.overflow);
            ck_assert_uint_eq(w.len, SECTION_LEN);
            ck_assert_mem_eq(buf, full, SECTION_LEN);
        }
    }
}
END_TEST

/* A second section that does not fit leaves the first whole; the writer stays failed. */
START_TEST(test_writer_second_section)
{
    struct snap_writer w;
    struct sample empty = {0};
    memset(buf, 0xa5, sizeof(buf));
    snap_writer_init(&w, buf, SECTION_LEN + SNAP_HEADER_SIZE + 8); /* room for 8 bytes of payload */
    ck_assert_int_eq(snap_write_section(&w, "sample", SAMPLE_VERSION, sample_snap, (void *)&sample_values),
                     0);
    ck_assert_int_eq(snap_write_section(&w, "second", SAMPLE_VERSION, sample_snap, &empty), -1);
    ck_assert(w.overflow);
    ck_assert_uint_eq(w.len, SECTION_LEN);
    ck_assert_uint_eq(buf[SECTION_LEN + SNAP_HEADER_SIZE + 8], 0xa5);
    memset(buf + SECTION_LEN, 0xa5, SNAP_HEADER_SIZE + 8);
    ck_assert_int_eq(snap_write_section(&w, "tiny", 1, table_snap, &(struct table){0}),
                     -1); /* 5 bytes would fit */
    ck_assert_uint_eq(buf[SECTION_LEN], 0xa5);
    ck_assert_uint_eq(w.len, SECTION_LEN);
}
END_TEST

/* A name that the writer refuses: -1, overflow and nothing written. */
static void name_refused(const char *name)
{
    struct snap_writer w;
    memset(buf, 0xa5, sizeof(buf));
    snap_writer_init(&w, buf, sizeof(buf));
    ck_assert_int_eq(snap_write_section(&w, name, 1, sample_snap, (void *)&sample_values), -1);
    ck_assert(w.overflow);
    ck_assert_uint_eq(w.len, 0);
    ck_assert_uint_eq(buf[0], 0xa5);
}

START_TEST(test_writer_names)
{
    struct snap_reader r;
    struct snap_section sec;
    name_refused("");
    name_refused("abcdefghijklmnop"); /* 16 characters: no room for the NUL */
    name_refused("tab\there");        /* the reader would refuse it */
    name_refused(NULL);
    uint32_t len = save_one(buf, sizeof(buf), "abcdefghijklmno", 7, sample_snap, &sample_values);
    ck_assert_uint_eq(buf[15], 0);
    snap_reader_init(&r, buf, len);
    ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), 1);
    ck_assert_str_eq(sec.name, "abcdefghijklmno");
    ck_assert_uint_eq(sec.version, 7);
}
END_TEST

/* ---- The reader. */

START_TEST(test_reader_sections)
{
    struct snap_reader r;
    struct snap_section sec;
    struct table t = {2, {0, 0, 0xcafe, 0}};
    struct snap_writer w;
    snap_writer_init(&w, buf, sizeof(buf));
    ck_assert_int_eq(snap_write_section(&w, "sample", SAMPLE_VERSION, sample_snap, (void *)&sample_values),
                     0);
    ck_assert_int_eq(snap_write_section(&w, "gicd", 2, table_snap, &t), 0);
    ck_assert_uint_eq(w.len, SECTION_LEN + SNAP_HEADER_SIZE + 5);

    snap_reader_init(&r, buf, w.len);
    ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), 1);
    ck_assert_str_eq(sec.name, "sample");
    ck_assert_uint_eq(sec.length, SAMPLE_LEN);
    ck_assert_ptr_eq(sec.payload, buf + SNAP_HEADER_SIZE);
    ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), 1);
    ck_assert_str_eq(sec.name, "gicd");
    ck_assert_uint_eq(sec.version, 2);
    ck_assert_uint_eq(sec.length, 5);
    ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), 0);
    ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), 0);
    snap_reader_init(&r, NULL, 0);
    ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_reader_truncated_header)
{
    struct snap_reader r;
    struct snap_section sec;
    uint32_t len = save_one(buf, sizeof(buf), "sample", SAMPLE_VERSION, sample_snap, &sample_values);
    memcpy(buf + len, buf, SNAP_HEADER_SIZE); /* the start of a second section */
    for (uint32_t k = 1; k < SNAP_HEADER_SIZE; k++) {
        next_refused(buf, k, "cut short");
        snap_reader_init(&r, buf, len + k);
        ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), 1);
        ck_assert_int_eq(snap_next_section(&r, &sec, err, sizeof(err)), -1);
        ck_assert_uint_eq(r.pos, len);
    }
}
END_TEST

START_TEST(test_reader_length_past_end)
{
    /* 0xffffffe8: 24 + length wraps to 0 in 32 bits. */
    static const uint32_t lengths[] = {SAMPLE_LEN + 1, 4000, 0xffffffe8u, 0xffffffffu};
    uint32_t len = save_one(buf, sizeof(buf), "sample", SAMPLE_VERSION, sample_snap, &sample_values);
    set32le(buf + LENGTH_AT, 4000);
    next_refused(buf, len, "section 'sample': length 4000 runs past the end of the snapshot (34 bytes left)");
    for (unsigned i = 0; i < ARRAY_SIZE(lengths); i++) {
        set32le(buf + LENGTH_AT, lengths[i]);
        next_refused(buf, len, "runs past the end");
    }
}
END_TEST

START_TEST(test_reader_bad_names)
{
    static const uint8_t bad_bytes[] = {0x01, 0x1f, 0x7f, 0x80, 0xff};
    uint32_t len = save_one(buf, sizeof(buf), "sample", SAMPLE_VERSION, sample_snap, &sample_values);
    memcpy(buf2, buf, len);
    memset(buf2, 'x', SNAP_NAME_MAX);
    next_refused(buf2, len, "no NUL");
    memset(buf2, 0, SNAP_NAME_MAX);
    next_refused(buf2, len, "empty");
    for (unsigned i = 0; i < ARRAY_SIZE(bad_bytes); i++) {
        memcpy(buf2, buf, len);
        buf2[2] = bad_bytes[i];
        next_refused(buf2, len, "outside printable ASCII");
    }
    memcpy(buf2, buf, len);
    buf2[10] = 'x'; /* after the NUL */
    next_refused(buf2, len, "NUL-padded");
}
END_TEST

/* ---- Restoring a section. */

START_TEST(test_restore_wrong_version)
{
    struct sample out = {0};
    uint32_t len = save_one(buf, sizeof(buf), "pl011", 3, sample_snap, &sample_values);
    ck_assert_int_eq(restore_one(buf, len, 1, sample_snap, &out), -1);
    ck_assert_str_eq(err, "section 'pl011': version 3, this minivmm reads version 1");
    ck_assert_uint_eq(out.u32, 0); /* the function never ran */
}
END_TEST

/* Every shorter payload: refused as truncated; the fields it held whole are restored, no later one. */
START_TEST(test_restore_truncated)
{
    char want[128];
    uint32_t len = save_one(buf, sizeof(buf), "sample", SAMPLE_VERSION, sample_snap, &sample_values);
    for (uint32_t cut = 0; cut < SAMPLE_LEN; cut++) {
        struct sample out = {0};
        set32le(buf + LENGTH_AT, cut);
        ck_assert_int_eq(restore_one(buf, len - (SAMPLE_LEN - cut), SAMPLE_VERSION, sample_snap, &out), -1);
        snprintf(want, sizeof(want), "section 'sample': truncated (payload %u bytes, the device reads more)",
                 cut);
        ck_assert_str_eq(err, want);
        ck_assert_uint_eq(out.u8, cut >= field_end[0] ? sample_values.u8 : 0);
        ck_assert_uint_eq(out.u16, cut >= field_end[1] ? sample_values.u16 : 0);
        ck_assert_uint_eq(out.u32, cut >= field_end[2] ? sample_values.u32 : 0);
        ck_assert_uint_eq(out.u64, cut >= field_end[3] ? sample_values.u64 : 0);
        ck_assert_int_eq(out.flag, cut >= field_end[4]);
        ck_assert_int_eq(out.i8, cut >= field_end[5] ? sample_values.i8 : 0);
        ck_assert_uint_eq(out.raw[0], cut >= field_end[6] ? sample_values.raw[0] : 0);
        for (int i = 0; i < 3; i++) /* an array is restored whole or not at all */
            ck_assert_uint_eq(out.regs[i], 0);
    }
}
END_TEST

START_TEST(test_restore_extra_bytes)
{
    struct sample out = {0};
    uint32_t len = save_one(buf, sizeof(buf), "pl011", SAMPLE_VERSION, sample_snap, &sample_values);
    memset(buf + len, 0, 8);
    set32le(buf + LENGTH_AT, SAMPLE_LEN + 8);
    ck_assert_int_eq(restore_one(buf, len + 8, SAMPLE_VERSION, sample_snap, &out), -1);
    ck_assert_str_eq(err, "section 'pl011': 8 bytes of payload left unread (wrong length for version 1)");
}
END_TEST

START_TEST(test_restore_check_refused)
{
    struct table t = {3, {0, 0, 0, 0x12345678u}}, out = {0};
    uint32_t len = save_one(buf, sizeof(buf), "gicd", 1, table_snap, &t);
    ck_assert_uint_eq(len, SNAP_HEADER_SIZE + 5);
    ck_assert_int_eq(restore_one(buf, len, 1, table_snap, &out), 0);
    ck_assert_uint_eq(out.tab[3], 0x12345678u);
    buf[SNAP_HEADER_SIZE] = 4; /* an index past the table */
    memset(&out, 0, sizeof(out));
    ck_assert_int_eq(restore_one(buf, len, 1, table_snap, &out), -1);
    ck_assert_str_eq(err, "section 'gicd': a value is out of range");
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(out.tab[i], 0);
}
END_TEST

START_TEST(test_restore_bool_byte)
{
    struct sample out = {0};
    uint32_t len = save_one(buf, sizeof(buf), "sample", SAMPLE_VERSION, sample_snap, &sample_values);
    buf[SNAP_HEADER_SIZE + FLAG_OFF] = 0;
    ck_assert_int_eq(restore_one(buf, len, SAMPLE_VERSION, sample_snap, &out), 0);
    ck_assert(!out.flag);
    ck_assert_uint_eq(out.regs[1], 0xdeadbeefu);
    buf[SNAP_HEADER_SIZE + FLAG_OFF] = 2;
    memset(&out, 0, sizeof(out));
    ck_assert_int_eq(restore_one(buf, len, SAMPLE_VERSION, sample_snap, &out), -1);
    ck_assert_str_eq(err, "section 'sample': a value is out of range");
    ck_assert(!out.flag);
    ck_assert_int_eq(out.i8, 0); /* the fields after it are left alone */
    ck_assert_uint_eq(out.regs[1], 0);
    ck_assert_uint_eq(out.u64, sample_values.u64); /* the ones before were restored */
}
END_TEST

/* Once a stream has failed, no visit writes its field, even with bytes left. */
START_TEST(test_failed_stream_writes_nothing)
{
    static const uint8_t payload[6] = {1, 2, 3, 0, 0, 0};
    uint8_t u8 = 0x55, raw[2] = {0x66, 0x66};
    uint16_t u16 = 0x7777;
    uint32_t u32 = 0x88888888u, arr[2] = {9, 9};
    uint64_t u64 = 0x99;
    bool flag = true;
    int8_t i8 = -5;

    struct snap s = {SNAP_RESTORE, (uint8_t *)payload, sizeof(payload), 0, false};
    snap_u64(&s, &u64); /* 6 bytes: too short */
    ck_assert(s.failed);
    snap_u8(&s, &u8);
    snap_u16(&s, &u16);
    snap_u32(&s, &u32);
    snap_bool(&s, &flag);
    snap_i8(&s, &i8);
    snap_bytes(&s, raw, 2);
    snap_u32s(&s, arr, 1);
    ck_assert(s.failed);
    ck_assert_uint_eq(u64, 0x99);
    ck_assert_uint_eq(u8, 0x55);
    ck_assert_uint_eq(u16, 0x7777);
    ck_assert_uint_eq(u32, 0x88888888u);
    ck_assert(flag);
    ck_assert_int_eq(i8, -5);
    ck_assert_uint_eq(raw[0], 0x66);
    ck_assert_uint_eq(arr[0], 9);

    static const uint8_t refused[2] = {2, 7}; /* a bool byte of 2, then a byte that would fit */
    s = (struct snap){SNAP_RESTORE, (uint8_t *)refused, sizeof(refused), 0, false};
    snap_bool(&s, &flag);
    snap_u8(&s, &u8);
    ck_assert(s.failed);
    ck_assert(flag);
    ck_assert_uint_eq(u8, 0x55);
}
END_TEST

/* A save that ran out writes no later field either, not even one that would fit. */
START_TEST(test_failed_save_writes_nothing)
{
    uint8_t out[8];
    uint8_t u8 = 0x42;
    uint32_t u32 = 0x01020304u, arr[2] = {5, 6};
    memset(out, 0xa5, sizeof(out));
    struct snap s = {SNAP_SAVE, out, 3, 0, false};
    snap_u32s(&s, arr, 1); /* 4 bytes into 3 */
    ck_assert(s.failed);
    snap_u32(&s, &u32);
    snap_u8(&s, &u8);
    ck_assert_uint_eq(s.pos, 0);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(out[i], 0xa5);
}
END_TEST

Suite *snapshot_suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *c = tcase_create("fields");
    tcase_add_test(c, test_round_trip);
    tcase_add_test(c, test_wire_bytes);
    tcase_add_test(c, test_i8_edges);
    tcase_add_test(c, test_resave_identical);
    tcase_add_test(c, test_save_leaves_object);
    tcase_add_test(c, test_failed_stream_writes_nothing);
    tcase_add_test(c, test_failed_save_writes_nothing);
    suite_add_tcase(s, c);
    c = tcase_create("writer");
    tcase_add_test(c, test_writer_every_capacity);
    tcase_add_test(c, test_writer_second_section);
    tcase_add_test(c, test_writer_names);
    suite_add_tcase(s, c);
    c = tcase_create("reader");
    tcase_add_test(c, test_reader_sections);
    tcase_add_test(c, test_reader_truncated_header);
    tcase_add_test(c, test_reader_length_past_end);
    tcase_add_test(c, test_reader_bad_names);
    suite_add_tcase(s, c);
    c = tcase_create("restore");
    tcase_add_test(c, test_restore_wrong_version);
    tcase_add_test(c, test_restore_truncated);
    tcase_add_test(c, test_restore_extra_bytes);
    tcase_add_test(c, test_restore_check_refused);
    tcase_add_test(c, test_restore_bool_byte);
    suite_add_tcase(s, c);
    return s;
}
