/* Unit tests of the device tree reader fdt_walk (minivmm/core/fdt_read.c): valid trees walked in order, then broken and fuzzed copies refused. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/fdt.h>
#include <minivmm/fdt_read.h>
#include "suites.h"

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u

/* Header fields, by their offset. */
/* clang-format off */
enum { H_MAGIC = 0, H_TOTALSIZE = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12, H_OFF_RSVMAP = 16,
       H_VERSION = 20, H_LAST_COMP = 24, H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36 };
/* clang-format on */

static uint32_t get32(const uint8_t *b, uint32_t off)
{
    return (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 | (uint32_t)b[off + 2] << 8 | b[off + 3];
}

static void set32(uint8_t *b, uint32_t off, uint32_t v)
{
    b[off] = (uint8_t)(v >> 24);
    b[off + 1] = (uint8_t)(v >> 16);
    b[off + 2] = (uint8_t)(v >> 8);
    b[off + 3] = (uint8_t)v;
}

/* ---- A visitor that records every callback as a line of text. */

struct rec {
    char log[4096];
    size_t len;
    int events, open;   /* callbacks so far; nodes open */
    int stop_at;        /* the callback (1, 2...) that returns nonzero; 0: none */
    const char *reason; /* what that callback writes to err, if not NULL */
};

static struct rec rec;
static char err[256];

static int rec_line(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int rec_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rec.len += (size_t)vsnprintf(rec.log + rec.len, sizeof(rec.log) - rec.len, fmt, ap);
    va_end(ap);
    ck_assert_uint_lt(rec.len, sizeof(rec.log));
    if (++rec.events != rec.stop_at)
        return 0;
    if (rec.reason)
        strcpy(err, rec.reason);
    return 1;
}

static int rec_begin(void *ctx, const char *name, int depth)
{
    ck_assert_ptr_eq(ctx, &rec);
    ck_assert_int_eq(depth, rec.open++);
    return rec_line("node %d \"%s\"\n", depth, name);
}

/* A value as text: a string if it looks like one (length not a multiple of 4), else its cells. */
static int rec_prop(void *ctx, const char *name, const uint8_t *data, uint32_t len, int depth)
{
    char v[256] = "";
    size_t n = 0;
    ck_assert_ptr_eq(ctx, &rec);
    ck_assert_int_eq(depth, rec.open - 1);
    if (len % 4 && !data[len - 1] && strlen((const char *)data) == len - 1)
        snprintf(v, sizeof(v), "\"%s\"", (const char *)data);
    else
        for (uint32_t i = 0; i < len / 4 && n < sizeof(v) - 12; i++)
            n += (size_t)snprintf(v + n, sizeof(v) - n, "%s%#x", i ? " " : "", fdt_cell(data, i));
    return rec_line("prop %d %s %u <%s>\n", depth, name, len, v);
}

static int rec_end(void *ctx, int depth)
{
    ck_assert_ptr_eq(ctx, &rec);
    ck_assert_int_eq(depth, --rec.open);
    return rec_line("end %d\n", depth);
}

static const struct fdt_visitor recorder = {&rec, rec_begin, rec_prop, rec_end};

/* Walk with the recorder from a clean state; the walk's result. */
static int walk(const void *blob, uint32_t len)
{
    memset(&rec, 0, sizeof(rec));
    memset(err, 'X', sizeof(err) - 1); /* fdt_walk must not leave stale text */
    err[sizeof(err) - 1] = '\0';
    return fdt_walk(blob, len, &recorder, err, sizeof(err));
}

/* Refused with a one-line reason containing `fragment`, before any callback. */
static void refused(const void *blob, uint32_t len, const char *fragment)
{
    int rc = walk(blob, len);
    ck_assert_msg(rc == -1, "accepted; wanted '%s'", fragment);
    ck_assert_msg(strstr(err, fragment) != NULL, "'%s' lacks '%s'", err, fragment);
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_int_eq(rec.events, 0);
}

/* ---- Valid trees: one from minivmm's writer, one from dtc. */

static uint8_t blob[4096], bad[4096];
static uint32_t blob_len;

/* Two levels of nesting and every kind of value. */
static void build_sample(void)
{
    static const uint32_t mem_reg[2] = {0x40000000, 0x100000};
    struct fdt_writer w;
    fdt_begin(&w, blob, sizeof(blob));
    fdt_begin_node(&w, "");
    fdt_prop_u32(&w, "#address-cells", 1);
    fdt_prop_str(&w, "model", "test");
    fdt_begin_node(&w, "cpus");
    fdt_prop_u32(&w, "#size-cells", 0);
    fdt_begin_node(&w, "cpu@0");
    fdt_prop_u32(&w, "reg", 0x12345678);
    fdt_prop(&w, "enable-method", NULL, 0); /* an empty property */
    fdt_end_node(&w);
    fdt_end_node(&w);
    fdt_begin_node(&w, "memory@40000000");
    fdt_prop_str(&w, "device_type", "memory");
    fdt_prop_cells(&w, "reg", mem_reg, 2);
    fdt_end_node(&w);
    fdt_end_node(&w);
    blob_len = fdt_finish(&w);
    ck_assert_uint_ne(blob_len, 0);
}

static const char sample_log[] = "node 0 \"\"\n"
                                 "prop 0 #address-cells 4 <0x1>\n"
                                 "prop 0 model 5 <\"test\">\n"
                                 "node 1 \"cpus\"\n"
                                 "prop 1 #size-cells 4 <0>\n"
                                 "node 2 \"cpu@0\"\n"
                                 "prop 2 reg 4 <0x12345678>\n"
                                 "prop 2 enable-method 0 <>\n"
                                 "end 2\n"
                                 "end 1\n"
                                 "node 1 \"memory@40000000\"\n"
                                 "prop 1 device_type 7 <\"memory\">\n"
                                 "prop 1 reg 8 <0x40000000 0x100000>\n"
                                 "end 1\n"
                                 "end 0\n";
#define SAMPLE_EVENTS 15

static void setup(void)
{
    build_sample();
    memcpy(bad, blob, blob_len);
}

/* The first property of the sample: the root's FDT_BEGIN_NODE and empty name come first. */
#define PROP0 (get32(blob, H_OFF_STRUCT) + 8)

/*
 * dtc 1.6 output (dtc -I dts -O dtb) of:
 *   /dts-v1/;
 *   /memreserve/ 0x48000000 0x1000;
 *   / {
 *       #address-cells = <1>; #size-cells = <1>;
 *       model = "dtc board"; compatible = "acme,board", "minivmm,virt";
 *       chosen { stdout-path = &uart; };
 *       memory@40000000 { device_type = "memory"; reg = <0x40000000 0x8000000>; };
 *       uart: pl011@9000000 { compatible = "arm,pl011"; reg = <0x9000000 0x1000>; };
 *   };
 */
/* clang-format off */
static const uint8_t dtc_blob[] = {
    0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x00, 0x01, 0xac, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x01, 0x64,
    0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x01, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x1b, 0x64, 0x74, 0x63, 0x20,
    0x62, 0x6f, 0x61, 0x72, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x18,
    0x00, 0x00, 0x00, 0x21, 0x61, 0x63, 0x6d, 0x65, 0x2c, 0x62, 0x6f, 0x61, 0x72, 0x64, 0x00, 0x6d,
    0x69, 0x6e, 0x69, 0x76, 0x6d, 0x6d, 0x2c, 0x76, 0x69, 0x72, 0x74, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x63, 0x68, 0x6f, 0x73, 0x65, 0x6e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0f,
    0x00, 0x00, 0x00, 0x2c, 0x2f, 0x70, 0x6c, 0x30, 0x31, 0x31, 0x40, 0x39, 0x30, 0x30, 0x30, 0x30,
    0x30, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x6d, 0x65, 0x6d, 0x6f,
    0x72, 0x79, 0x40, 0x34, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x00, 0x00, 0x00, 0x00, 0x03,
    0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x38, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x44, 0x40, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x70, 0x6c, 0x30, 0x31,
    0x31, 0x40, 0x39, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
    0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x21, 0x61, 0x72, 0x6d, 0x2c, 0x70, 0x6c, 0x30, 0x31,
    0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x44,
    0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x09, 0x23, 0x61, 0x64, 0x64, 0x72, 0x65, 0x73, 0x73, 0x2d, 0x63, 0x65, 0x6c,
    0x6c, 0x73, 0x00, 0x23, 0x73, 0x69, 0x7a, 0x65, 0x2d, 0x63, 0x65, 0x6c, 0x6c, 0x73, 0x00, 0x6d,
    0x6f, 0x64, 0x65, 0x6c, 0x00, 0x63, 0x6f, 0x6d, 0x70, 0x61, 0x74, 0x69, 0x62, 0x6c, 0x65, 0x00,
    0x73, 0x74, 0x64, 0x6f, 0x75, 0x74, 0x2d, 0x70, 0x61, 0x74, 0x68, 0x00, 0x64, 0x65, 0x76, 0x69,
    0x63, 0x65, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x00, 0x72, 0x65, 0x67, 0x00,
};
/* clang-format on */

static const char dtc_log[] =
    "node 0 \"\"\n"
    "prop 0 #address-cells 4 <0x1>\n"
    "prop 0 #size-cells 4 <0x1>\n"
    "prop 0 model 10 <\"dtc board\">\n"
    "prop 0 compatible 24 <0x61636d65 0x2c626f61 0x7264006d 0x696e6976 0x6d6d2c76 0x69727400>\n"
    "node 1 \"chosen\"\n"
    "prop 1 stdout-path 15 <\"/pl011@9000000\">\n"
    "end 1\n"
    "node 1 \"memory@40000000\"\n"
    "prop 1 device_type 7 <\"memory\">\n"
    "prop 1 reg 8 <0x40000000 0x8000000>\n"
    "end 1\n"
    "node 1 \"pl011@9000000\"\n"
    "prop 1 compatible 10 <\"arm,pl011\">\n"
    "prop 1 reg 8 <0x9000000 0x1000>\n"
    "end 1\n"
    "end 0\n";

START_TEST(test_walk_sample)
{
    ck_assert_int_eq(walk(blob, blob_len), 0);
    ck_assert_str_eq(rec.log, sample_log);
    ck_assert_int_eq(rec.events, SAMPLE_EVENTS);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(walk(blob, sizeof(blob)), 0); /* a file longer than totalsize is fine */
    ck_assert_str_eq(rec.log, sample_log);
}
END_TEST

/* A blob from dtc, with a memory reservation and a string list. */
START_TEST(test_walk_dtc)
{
    uint8_t *copy = malloc(sizeof(dtc_blob)); /* exact size: ASan sees any read past it */
    memcpy(copy, dtc_blob, sizeof(dtc_blob));
    ck_assert_int_eq(walk(copy, sizeof(dtc_blob)), 0);
    ck_assert_str_eq(rec.log, dtc_log);
    free(copy);
}
END_TEST

static int count_props(void *ctx, const char *name, const uint8_t *data, uint32_t len, int depth)
{
    (void)name, (void)data, (void)len, (void)depth;
    ++*(int *)ctx;
    return 0;
}

START_TEST(test_null_callbacks)
{
    int props = 0;
    const struct fdt_visitor none = {NULL, NULL, NULL, NULL};
    const struct fdt_visitor only_props = {&props, NULL, count_props, NULL};
    ck_assert_int_eq(fdt_walk(blob, blob_len, &none, err, sizeof(err)), 0);
    ck_assert_int_eq(fdt_walk(blob, blob_len, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(fdt_walk(blob, blob_len, &only_props, err, sizeof(err)), 0);
    ck_assert_int_eq(props, 7);
    /* No room for a reason: still a result, and nothing written. */
    ck_assert_int_eq(fdt_walk(blob, blob_len, NULL, NULL, 0), 0);
    bad[0] = 0;
    ck_assert_int_eq(fdt_walk(bad, blob_len, NULL, NULL, 0), -1);
    ck_assert_int_eq(fdt_walk(bad, blob_len, NULL, err, 1), -1);
    ck_assert_str_eq(err, "");
}
END_TEST

/* Each callback in turn stops the walk: nothing after it is called. */
START_TEST(test_stop)
{
    for (int n = 1; n <= SAMPLE_EVENTS; n++) {
        memset(&rec, 0, sizeof(rec));
        rec.stop_at = n;
        ck_assert_int_eq(fdt_walk(blob, blob_len, &recorder, err, sizeof(err)), -1);
        ck_assert_int_eq(rec.events, n);
        ck_assert_str_eq(err, "stopped by the caller");
        ck_assert_int_eq(strncmp(rec.log, sample_log, rec.len), 0);
    }
    memset(&rec, 0, sizeof(rec));
    rec.stop_at = 7;
    rec.reason = "cpu@0 has no enable-method I know";
    ck_assert_int_eq(fdt_walk(blob, blob_len, &recorder, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "cpu@0 has no enable-method I know"); /* the callback's own reason */
    ck_assert_int_eq(rec.events, 7);
}
END_TEST

START_TEST(test_fdt_cell)
{
    uint8_t *p = malloc(9); /* exact size, and cells at odd addresses */
    const uint8_t bytes[9] = {0xff, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    memcpy(p, bytes, 9);
    ck_assert_uint_eq(fdt_cell(p + 1, 0), 0x12345678);
    ck_assert_uint_eq(fdt_cell(p + 1, 1), 0x9abcdef0);
    ck_assert_uint_eq(fdt_cell(p, 0), 0xff123456);
    free(p);
}
END_TEST

/* ---- Hand-made structure blocks, for what the writer cannot produce. */

#define STRINGS "reg\0model" /* the names of raw blobs' properties */
enum { NAME_REG = 0, NAME_MODEL = 4 };

static struct {
    uint8_t s[16384];
    uint32_t len;
} raw;
static uint8_t rawb[20000];

static void raw_tok(uint32_t v)
{
    set32(raw.s, raw.len, v);
    raw.len += 4;
}

static void raw_bytes(const void *p, uint32_t n)
{
    memcpy(raw.s + raw.len, p, n);
    memset(raw.s + raw.len + n, 0, ALIGN_UP(n, 4u) - n);
    raw.len += ALIGN_UP(n, 4u);
}

static void raw_node(const char *name)
{
    raw_tok(FDT_BEGIN_NODE);
    raw_bytes(name, (uint32_t)strlen(name) + 1);
}

static void raw_prop(uint32_t nameoff, const char *value)
{
    uint32_t n = (uint32_t)strlen(value) + 1;
    raw_tok(FDT_PROP);
    raw_tok(n);
    raw_tok(nameoff);
    raw_bytes(value, n);
}

/* A v17 blob around raw's structure block: header, `rsv` reservations and the
 * (0,0) entry, the block, STRINGS. Returns its size. */
static uint32_t raw_blob(unsigned rsv)
{
    uint32_t s_off = 40 + 16 * (rsv + 1), str_off = s_off + raw.len;
    uint32_t total = str_off + sizeof(STRINGS);
    memset(rawb, 0, total);
    set32(rawb, H_MAGIC, 0xd00dfeed);
    set32(rawb, H_TOTALSIZE, total);
    set32(rawb, H_OFF_STRUCT, s_off);
    set32(rawb, H_OFF_STRINGS, str_off);
    set32(rawb, H_OFF_RSVMAP, 40);
    set32(rawb, H_VERSION, 17);
    set32(rawb, H_LAST_COMP, 16);
    set32(rawb, H_SIZE_STRINGS, sizeof(STRINGS));
    set32(rawb, H_SIZE_STRUCT, raw.len);
    for (unsigned i = 0; i < rsv; i++) {
        set32(rawb, 40 + 16 * i + 4, 0x48000000 + 0x1000 * i); /* address, low half */
        set32(rawb, 40 + 16 * i + 12, 0x1000);                 /* size, low half */
    }
    memcpy(rawb + s_off, raw.s, raw.len);
    memcpy(rawb + str_off, STRINGS, sizeof(STRINGS));
    return total;
}

static void raw_start(void)
{
    raw.len = 0;
}

START_TEST(test_nops_skipped)
{
    raw_start();
    raw_tok(FDT_NOP);
    raw_node("");
    raw_tok(FDT_NOP);
    raw_prop(NAME_MODEL, "m");
    raw_tok(FDT_NOP);
    raw_node("a");
    raw_tok(FDT_NOP);
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_NOP);
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_NOP);
    raw_tok(FDT_END);
    ck_assert_int_eq(walk(rawb, raw_blob(0)), 0);
    ck_assert_str_eq(rec.log, "node 0 \"\"\nprop 0 model 2 <\"m\">\nnode 1 \"a\"\nend 1\nend 0\n");
    raw_start();
    for (int i = 0; i < 8; i++)
        raw_tok(FDT_NOP);
    refused(rawb, raw_blob(0), "the structure block (32 bytes at offset 56) has no root node");
}
END_TEST

/* ---- The header. */

START_TEST(test_bad_header)
{
    refused(blob, 0, "truncated: 0 bytes is shorter than a device tree header (40)");
    refused(blob, 39, "truncated: 39 bytes");
    set32(bad, H_MAGIC, 0x12345678);
    refused(bad, blob_len, "not a device tree (magic 0x12345678, expected 0xd00dfeed)");
    ck_assert_str_eq(err, "not a device tree (magic 0x12345678, expected 0xd00dfeed)");
    memcpy(bad, blob, blob_len);
    set32(bad, H_TOTALSIZE, 5000);
    refused(bad, 4096, "totalsize 5000 is larger than the file (4096 bytes)");
    set32(bad, H_TOTALSIZE, 39);
    refused(bad, blob_len, "totalsize 39 is smaller than the 40-byte header");
    memcpy(bad, blob, blob_len);
    set32(bad, H_VERSION, 15);
    refused(bad, blob_len, "version 15 is too old");
    set32(bad, H_VERSION, 17);
    set32(bad, H_LAST_COMP, 18);
    refused(bad, blob_len, "last compatible version 18 is newer than 17");
}
END_TEST

/* Version 16 has no size_dt_struct: the structure block runs up to the strings. */
START_TEST(test_version_16)
{
    set32(bad, H_VERSION, 16);
    set32(bad, H_SIZE_STRUCT, 0);
    ck_assert_int_eq(walk(bad, blob_len), 0);
    ck_assert_str_eq(rec.log, sample_log);
}
END_TEST

/* Blocks outside totalsize, including where offset + size wraps around 2^32. */
START_TEST(test_bad_offsets)
{
    uint32_t s_off = get32(blob, H_OFF_STRUCT), s_size = get32(blob, H_SIZE_STRUCT);
    uint32_t str_off = get32(blob, H_OFF_STRINGS);
    char want[128];
    set32(bad, H_OFF_STRUCT, blob_len + 4);
    snprintf(want, sizeof(want),
             "the structure block (offset %u, %u bytes) is outside the blob "
             "(totalsize %u)",
             blob_len + 4, s_size, blob_len);
    refused(bad, blob_len, want);
    set32(bad, H_OFF_STRUCT, 0xfffffff0); /* 0xfffffff0 + size wraps to a small number */
    refused(bad, blob_len, "the structure block (offset 4294967280");
    set32(bad, H_OFF_STRUCT, 8);
    refused(bad, blob_len, "the structure block at offset 8 overlaps the 40-byte header");
    set32(bad, H_OFF_STRUCT, s_off);
    set32(bad, H_SIZE_STRUCT, blob_len);
    refused(bad, blob_len, "the structure block (offset 56, ");
    set32(bad, H_SIZE_STRUCT, 0xffffffc8); /* 56 + this wraps to 0 */
    refused(bad, blob_len, "is outside the blob");
    memcpy(bad, blob, blob_len);
    set32(bad, H_OFF_STRINGS, blob_len + 1);
    refused(bad, blob_len, "the strings block (offset");
    set32(bad, H_OFF_STRINGS, 0xfffffff0);
    set32(bad, H_SIZE_STRINGS, 0x20);
    refused(bad, blob_len, "the strings block (offset 4294967280, 32 bytes) is outside the blob");
    set32(bad, H_OFF_STRINGS, str_off);
    set32(bad, H_SIZE_STRINGS, 0xffffffff);
    refused(bad, blob_len, "the strings block");
    memcpy(bad, blob, blob_len);
    set32(bad, H_OFF_RSVMAP, blob_len + 8);
    refused(bad, blob_len, "the memory reservation map (offset");
    set32(bad, H_OFF_RSVMAP, 0);
    refused(bad, blob_len, "the memory reservation map at offset 0 overlaps the 40-byte header");
}
END_TEST

START_TEST(test_misaligned)
{
    set32(bad, H_OFF_STRUCT, get32(blob, H_OFF_STRUCT) + 1);
    refused(bad, blob_len, "the structure block offset 57 is not 4-aligned");
    memcpy(bad, blob, blob_len);
    set32(bad, H_OFF_RSVMAP, 44);
    refused(bad, blob_len, "the memory reservation map offset 44 is not 8-aligned");
}
END_TEST

START_TEST(test_rsvmap)
{
    raw_start();
    raw_node("");
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_END);
    ck_assert_int_eq(walk(rawb, raw_blob(3)), 0); /* the entries are skipped */
    ck_assert_str_eq(rec.log, "node 0 \"\"\nend 0\n");
    /* The writer's map is just the (0,0) entry at 40, right before the structure block. */
    set32(bad, 44, 0x1000);
    refused(bad, blob_len,
            "the memory reservation map at offset 40 has no (0,0) entry before "
            "offset 56");
    memcpy(bad, blob, blob_len);
    set32(bad, 52, 1); /* the size's low half */
    refused(bad, blob_len, "has no (0,0) entry");
}
END_TEST

/* ---- Property names and values. */

START_TEST(test_bad_prop_name)
{
    uint32_t strings = get32(blob, H_SIZE_STRINGS);
    char want[128];
    set32(bad, PROP0 + 8, 999);
    snprintf(want, sizeof(want), "property name offset 999 is outside the strings block (%u bytes)", strings);
    refused(bad, blob_len, want);
    set32(bad, PROP0 + 8, strings); /* just past the end */
    refused(bad, blob_len, "is outside the strings block");
    /* The writer puts the first name it saw ("#address-cells") last: cut its NUL off. */
    memcpy(bad, blob, blob_len);
    set32(bad, H_SIZE_STRINGS, strings - 1);
    refused(bad, blob_len, "is not NUL-terminated inside the strings block");
}
END_TEST

START_TEST(test_prop_past_block)
{
    uint32_t lens[] = {get32(blob, H_SIZE_STRUCT), 0x7fffffff, 0xfffffffd, 0xfffffffe, 0xffffffff};
    for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
        char want[128];
        set32(bad, PROP0 + 4, lens[i]); /* 0xfffffffd: rounded up to 4 in 32 bits, it would be 0 */
        snprintf(want, sizeof(want),
                 "property '#address-cells' of node '/' (%u bytes at offset %u) "
                 "runs past the structure block",
                 lens[i], PROP0);
        refused(bad, blob_len, want);
    }
    raw_start();
    raw_node("");
    raw_tok(FDT_PROP);
    raw_tok(4); /* no name offset: the block ends */
    refused(rawb, raw_blob(0),
            "the property at offset 64 is cut short by the end of the "
            "structure block");
}
END_TEST

/* A name without its NUL, at the very end of the structure block. */
START_TEST(test_bad_node_name)
{
    raw_start();
    raw_node("");
    raw_tok(FDT_BEGIN_NODE);
    memcpy(raw.s + raw.len, "abcd", 4);
    raw.len += 4;
    refused(rawb, raw_blob(0),
            "the name of the node at offset 64 is not NUL-terminated inside "
            "the structure block");
    /* Its NUL inside the block, but not the padding after it. */
    raw_start();
    raw_node("");
    raw_node("ab");
    uint32_t total = raw_blob(0);
    set32(rawb, H_SIZE_STRUCT, raw.len - 1);
    refused(rawb, total, "the name of node 'ab' at offset 64 runs past the structure block");
}
END_TEST

START_TEST(test_root_name)
{
    raw_start();
    raw_node("foo");
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_END);
    refused(rawb, raw_blob(0), "the root node is named 'foo' (it must have an empty name)");
    /* A hostile name is quoted on one line, shortened, non-printable bytes replaced. */
    raw_start();
    raw_node("evil\n\033[2Jname-that-goes-on-and-on-and-on-and-on");
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_END);
    refused(rawb, raw_blob(0), "the root node is named 'evil??[2Jname-that-goes-on-and-o...'");
}
END_TEST

/* ---- The order of the tokens. */

START_TEST(test_unbalanced)
{
    raw_start();
    raw_node("");
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_END);
    refused(rawb, raw_blob(0), "FDT_END_NODE at offset 68 closes no node (the root node is closed)");
    raw_start();
    raw_tok(FDT_END_NODE);
    refused(rawb, raw_blob(0),
            "the structure block does not start with the root node "
            "(FDT_END_NODE at offset 56)");
    raw_start();
    raw_prop(NAME_REG, "x");
    refused(rawb, raw_blob(0), "does not start with the root node (FDT_PROP at offset 56)");
    raw_start();
    raw_tok(FDT_END);
    refused(rawb, raw_blob(0), "does not start with the root node (FDT_END at offset 56)");
    raw_start();
    raw_node("");
    raw_node("a");
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_END);
    refused(rawb, raw_blob(0), "node '/' is not closed (FDT_END at offset 76)");
    raw_start();
    raw_node("");
    raw_node("a");
    refused(rawb, raw_blob(0), "node 'a' is not closed (the structure block ends at offset 72)");
}
END_TEST

START_TEST(test_end_token)
{
    set32(bad, H_SIZE_STRUCT, get32(blob, H_SIZE_STRUCT) - 4); /* FDT_END is the last word */
    refused(bad, blob_len, "no FDT_END after the root node");
    memcpy(bad, blob, blob_len);
    set32(bad, H_SIZE_STRUCT, get32(blob, H_SIZE_STRUCT) + 4); /* the first strings join it */
    refused(bad, blob_len, "data after FDT_END (4 bytes at offset");
    raw_start();
    raw_node("");
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_END);
    raw_tok(FDT_NOP);
    refused(rawb, raw_blob(0), "data after FDT_END (4 bytes at offset 72)");
    raw_start();
    raw_node("");
    raw_tok(FDT_END_NODE);
    raw_node("");
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_END);
    refused(rawb, raw_blob(0), "data after the root node (FDT_BEGIN_NODE at offset 68)");
    raw_start();
    raw_node("");
    raw_tok(FDT_END_NODE);
    raw_prop(NAME_REG, "x");
    raw_tok(FDT_END);
    refused(rawb, raw_blob(0), "data after the root node (FDT_PROP at offset 68)");
}
END_TEST

START_TEST(test_unknown_token)
{
    raw_start();
    raw_node("");
    raw_tok(7);
    raw_tok(FDT_END_NODE);
    raw_tok(FDT_END);
    refused(rawb, raw_blob(0), "unknown token 0x7 at offset 64");
    set32(bad, PROP0, 0x10000003);
    refused(bad, blob_len, "unknown token 0x10000003 at offset 64");
}
END_TEST

/* A chain of n nodes, each the only child of the one before. */
static void nested(int n)
{
    struct fdt_writer w;
    fdt_begin(&w, blob, sizeof(blob));
    for (int i = 0; i < n; i++) {
        char name[16] = "";
        if (i)
            snprintf(name, sizeof(name), "n%d", i);
        fdt_begin_node(&w, name);
    }
    for (int i = 0; i < n; i++)
        fdt_end_node(&w);
    blob_len = fdt_finish(&w);
    ck_assert_uint_ne(blob_len, 0);
}

START_TEST(test_depth)
{
    nested(16); /* the root and 15 levels below it */
    ck_assert_int_eq(walk(blob, blob_len), 0);
    ck_assert_ptr_nonnull(strstr(rec.log, "node 15 \"n15\"\n"));
    nested(17);
    refused(blob, blob_len, "node 'n16' at offset 184 is nested deeper than 16 levels");
    /* Far deeper, as a hostile file might: refused at the same point, no recursion. */
    raw_start();
    for (int i = 0; i < 1000; i++)
        raw_node(i ? "n" : "");
    for (int i = 0; i < 1000; i++)
        raw_tok(FDT_END_NODE);
    raw_tok(FDT_END);
    refused(rawb, raw_blob(0), "node 'n' at offset 184 is nested deeper than 16 levels");
}
END_TEST

START_TEST(test_prop_after_subnode)
{
    struct fdt_writer w;
    fdt_begin(&w, blob, sizeof(blob));
    fdt_begin_node(&w, "");
    fdt_begin_node(&w, "a");
    fdt_end_node(&w);
    fdt_prop_str(&w, "model", "late");
    fdt_end_node(&w);
    refused(blob, fdt_finish(&w), "property 'model' after a subnode in node '/'");
    fdt_begin(&w, blob, sizeof(blob));
    fdt_begin_node(&w, "");
    fdt_begin_node(&w, "cpus");
    fdt_prop_u32(&w, "#size-cells", 0);
    fdt_begin_node(&w, "cpu@0");
    fdt_end_node(&w);
    fdt_prop_u32(&w, "reg", 0);
    fdt_end_node(&w);
    fdt_end_node(&w);
    refused(blob, fdt_finish(&w), "property 'reg' after a subnode in node 'cpus'");
}
END_TEST

/* ---- Truncation and fuzzing: each copy in a buffer of its exact size, so that
 * AddressSanitizer catches a read past it. */

static int try_walk(const uint8_t *b, uint32_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, b, len);
    int rc = walk(copy, len);
    free(copy);
    if (rc) {
        ck_assert_msg(err[0] && !strchr(err, '\n') && strlen(err) < sizeof(err) - 1, "%s", err);
        ck_assert_int_eq(rec.events, 0);
    }
    return rc;
}

START_TEST(test_truncated_file)
{
    for (uint32_t len = 0; len < blob_len; len++)
        ck_assert_msg(try_walk(blob, len) == -1, "accepted %u of %u bytes", len, blob_len);
    ck_assert_int_eq(try_walk(blob, blob_len), 0);
}
END_TEST

/* The file cut short but its header made to agree: the last block is what is cut. */
START_TEST(test_truncated_blocks)
{
    uint32_t str_off = get32(blob, H_OFF_STRINGS), str_size = get32(blob, H_SIZE_STRINGS);
    for (uint32_t n = 0; n < str_size; n++) { /* the writer's blocks: the strings last */
        set32(bad, H_TOTALSIZE, str_off + n);
        set32(bad, H_SIZE_STRINGS, n);
        ck_assert_msg(try_walk(bad, str_off + n) == -1, "accepted %u bytes of strings", n);
    }
    /* The same tree with the structure block last. */
    uint32_t s_off = get32(blob, H_OFF_STRUCT), s_size = get32(blob, H_SIZE_STRUCT);
    uint32_t new_s_off = ALIGN_UP(s_off + str_size, 4u);
    memcpy(bad + s_off, blob + str_off, str_size);
    memcpy(bad + new_s_off, blob + s_off, s_size);
    set32(bad, H_OFF_STRINGS, s_off);
    set32(bad, H_SIZE_STRINGS, str_size);
    set32(bad, H_OFF_STRUCT, new_s_off);
    for (uint32_t n = 0; n <= s_size; n++) {
        set32(bad, H_TOTALSIZE, new_s_off + n);
        set32(bad, H_SIZE_STRUCT, n);
        ck_assert_msg(try_walk(bad, new_s_off + n) == (n == s_size ? 0 : -1), "%u bytes of structure: %s", n,
                      err);
    }
    ck_assert_str_eq(rec.log, sample_log);
}
END_TEST

static uint32_t lcg_state;

static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lcg_state >> 8;
}

/* Random single-byte changes: every result is a clean accept or refusal. */
static void fuzz(const uint8_t *b, uint32_t len, int rounds)
{
    int accepted = 0, refusals = 0;
    uint8_t *copy = malloc(len);
    for (int i = 0; i < rounds; i++) {
        memcpy(copy, b, len);
        copy[lcg() % len] ^= (uint8_t)(1 + lcg() % 255);
        if (try_walk(copy, len))
            refusals++;
        else
            accepted++;
    }
    free(copy);
    /* Changing a value's bytes is harmless; changing a token or an offset is not. */
    ck_assert_int_gt(accepted, 0);
    ck_assert_int_gt(refusals, 0);
}

START_TEST(test_fuzz)
{
    lcg_state = 12345;
    fuzz(blob, blob_len, 2000);
    fuzz(dtc_blob, sizeof(dtc_blob), 2000);
}
END_TEST

Suite *fdt_read_suite(void)
{
    Suite *s = suite_create("fdt_read");
    TCase *tc = tcase_create("walk");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_walk_sample);
    tcase_add_test(tc, test_walk_dtc);
    tcase_add_test(tc, test_null_callbacks);
    tcase_add_test(tc, test_stop);
    tcase_add_test(tc, test_fdt_cell);
    tcase_add_test(tc, test_nops_skipped);
    suite_add_tcase(s, tc);
    TCase *bad_tc = tcase_create("refused");
    tcase_add_checked_fixture(bad_tc, setup, NULL);
    tcase_add_test(bad_tc, test_bad_header);
    tcase_add_test(bad_tc, test_version_16);
    tcase_add_test(bad_tc, test_bad_offsets);
    tcase_add_test(bad_tc, test_misaligned);
    tcase_add_test(bad_tc, test_rsvmap);
    tcase_add_test(bad_tc, test_bad_prop_name);
    tcase_add_test(bad_tc, test_prop_past_block);
    tcase_add_test(bad_tc, test_bad_node_name);
    tcase_add_test(bad_tc, test_root_name);
    tcase_add_test(bad_tc, test_unbalanced);
    tcase_add_test(bad_tc, test_end_token);
    tcase_add_test(bad_tc, test_unknown_token);
    tcase_add_test(bad_tc, test_depth);
    tcase_add_test(bad_tc, test_prop_after_subnode);
    suite_add_tcase(s, bad_tc);
    TCase *fz = tcase_create("hostile");
    tcase_add_checked_fixture(fz, setup, NULL);
    tcase_add_test(fz, test_truncated_file);
    tcase_add_test(fz, test_truncated_blocks);
    tcase_add_test(fz, test_fuzz);
    suite_add_tcase(s, fz);
    return s;
}
