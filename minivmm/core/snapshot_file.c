/* Snapshot files: the writer (one buffer, checksums folded in as it goes) and the loader (the whole file checked before the VM is touched). */
#include <stdarg.h>
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/crc32c.h>
#include <minivmm/panic.h>
#include <minivmm/snapshot_file.h>
#include <minivmm/string.h>
#include <minivmm/vm_snapshot.h>

#define PREFIX_SIZE     (SNAPFILE_MAGIC_SIZE + 4u) /* magic and format version */
#define CRC_SIZE        4u
#define MACHINE_VERSION 1u
#define RAM_VERSION     1u
#define RAM_HEAD        16u /* first page, pages, pages stored, offset of the page data */
#define RAM_ALIGN       8u  /* page data starts at a multiple of 8 in the file: copied by words */
#define VCPUS           1u  /* struct vm has one vCPU */
#define STATE_FIRST_CAP (64u << 10)
#define STATE_MAX       (16u << 20)
/* Guest RAM is below 4 GiB (a u32 size): at most this many "ram" sections. */
#define MAX_RAM_SECTIONS ((uint32_t)((1ull << 32) / SNAPFILE_PAGE / SNAPFILE_RAM_CHUNK))
#define MAX_STATE        (2u + SNAPFILE_MAX_DEVICES)

typedef uint32_t __attribute__((may_alias)) word_alias;

static int failv(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err && errlen)
        mv_vsnprintf(err, errlen, fmt, ap);
    return -1;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* ---- Pages: by words where both sides allow it (the runtime's memcpy and
 * memset go byte by byte, four times the work on 128 MiB). */

static bool aligned4(const void *p)
{
    return ((uintptr_t)p & 3) == 0;
}

static bool page_is_zero(const uint8_t *p)
{
    if (!aligned4(p)) {
        for (uint32_t i = 0; i < SNAPFILE_PAGE; i++)
            if (p[i])
                return false;
        return true;
    }
    /* Eight words ORed per test: a third of the instructions of one test per
     * word, which is what the scan of every page of RAM costs under TCG. */
    const word_alias *w = (const word_alias *)p;
    for (uint32_t i = 0; i < SNAPFILE_PAGE / 4; i += 8)
        if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
            return false;
    return true;
}

static void page_copy(uint8_t *dst, const uint8_t *src)
{
    if (!aligned4(dst) || !aligned4(src)) {
        memcpy(dst, src, SNAPFILE_PAGE);
        return;
    }
    word_alias *d = (word_alias *)dst;
    const word_alias *s = (const word_alias *)src;
    for (uint32_t i = 0; i < SNAPFILE_PAGE / 4; i++)
        d[i] = s[i];
}

static void page_zero(uint8_t *dst)
{
    if (!aligned4(dst)) {
        memset(dst, 0, SNAPFILE_PAGE);
        return;
    }
    word_alias *d = (word_alias *)dst;
    for (uint32_t i = 0; i < SNAPFILE_PAGE / 4; i++)
        d[i] = 0;
}

static bool bit(const uint8_t *map, uint32_t i)
{
    return map[i / 8] >> (i % 8) & 1;
}

static uint32_t map_bytes(uint32_t pages)
{
    return (pages + 7) / 8;
}

/* ---- "machine": what the file is of, one symmetric function as for every section. */

struct machine {
    uint32_t arch, vcpus, ram_ipa, ram_size, page_size, features;
    uint64_t clock;
    uint32_t ndevices;
    char devices[SNAPFILE_MAX_DEVICES][SNAP_NAME_MAX]; /* type names, NUL-padded */
};

static void machine_snap(void *obj, struct snap *s)
{
    struct machine *m = obj;
    snap_u32(s, &m->arch);
    snap_u32(s, &m->vcpus);
    snap_u32(s, &m->ram_ipa);
    snap_u32(s, &m->ram_size);
    snap_u32(s, &m->page_size);
    snap_u32(s, &m->features);
    snap_u64(s, &m->clock);
    snap_u32(s, &m->ndevices);
    if (!snap_check(s, m->ndevices <= SNAPFILE_MAX_DEVICES))
        return;
    for (uint32_t i = 0; i < m->ndevices; i++)
        snap_bytes(s, m->devices[i], SNAP_NAME_MAX);
}

/* The running VM's machine; -1 if it has more devices than a file holds. */
static int machine_of(const struct vm *vm, uint32_t arch, uint64_t clock, struct machine *m)
{
    if (vm->ndevices > SNAPFILE_MAX_DEVICES)
        return -1;
    *m = (struct machine){.arch = arch,
                          .vcpus = VCPUS,
                          .ram_ipa = vm->ram_ipa,
                          .ram_size = vm->ram_size,
                          .page_size = SNAPFILE_PAGE,
                          .features = vm->features,
                          .clock = clock,
                          .ndevices = vm->ndevices};
    for (unsigned i = 0; i < vm->ndevices; i++) {
        const char *name = vm->devices[i].type->name;
        size_t n = strlen(name);
        memcpy(m->devices[i], name, n < SNAP_NAME_MAX ? n : SNAP_NAME_MAX - 1);
    }
    return 0;
}

/* The machine's numbers a file must share with the running VM. */
static const struct {
    const char *what;
    size_t off;
    const char *hint;
} machine_fields[] = {
    {"architecture", offsetof(struct machine, arch), "a snapshot restores on its own architecture only"},
    {"vCPU count", offsetof(struct machine, vcpus), "minivmm runs one vCPU"},
    {"RAM base", offsetof(struct machine, ram_ipa), "the port's guest memory map"},
    {"RAM size", offsetof(struct machine, ram_size), "give the snapshot's mem="},
    {"page size", offsetof(struct machine, page_size), "snapshot files use 4 KiB pages"},
    {"features", offsetof(struct machine, features), "the labs done differ"},
};

static uint32_t field(const struct machine *m, size_t off)
{
    uint32_t v;
    memcpy(&v, (const uint8_t *)m + off, sizeof(v));
    return v;
}

/* "gicd pl011 testdev": a device list for a message (names made printable). */
static void device_list(const struct machine *m, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < m->ndevices && n < size; i++) {
        char name[SNAP_NAME_MAX];
        for (unsigned k = 0; k < SNAP_NAME_MAX; k++) {
            unsigned char c = (unsigned char)m->devices[i][k];
            name[k] = c && (c < 0x20 || c > 0x7e) ? '?' : (char)c;
        }
        name[SNAP_NAME_MAX - 1] = '\0';
        int w = mv_snprintf(buf + n, size - n, "%s%s", i ? " " : "", name);
        n += w > 0 ? (size_t)w : 0;
    }
}

static int machine_differs(const struct machine *file, const struct machine *vm, char *err, size_t errlen)
{
    for (unsigned i = 0; i < ARRAY_SIZE(machine_fields); i++) {
        uint32_t a = field(file, machine_fields[i].off), b = field(vm, machine_fields[i].off);
        if (a != b)
            return fail(err, errlen, "section 'machine': %s %#x, this VM's is %#x (%s)",
                        machine_fields[i].what, a, b, machine_fields[i].hint);
    }
    if (file->ndevices == vm->ndevices &&
        !memcmp(file->devices, vm->devices, (size_t)vm->ndevices * SNAP_NAME_MAX))
        return 0;
    char theirs[96], ours[96];
    device_list(file, theirs, sizeof(theirs));
    device_list(vm, ours, sizeof(ours));
    return fail(err, errlen, "section 'machine': devices '%s', this VM's are '%s' (the labs done differ)",
                theirs, ours);
}

/* ---- "ram": one chunk of guest RAM. Its fixed part is symmetric; the map
 * and pages are moved in bulk. */

struct ram_chunk {
    uint32_t first, count, stored, data_off; /* data_off: from the payload's start */
    const uint8_t *map;                      /* bit i: page first + i is stored */
    const uint8_t *data;                     /* the stored pages, in order */
};

static void ram_head_snap(struct snap *s, struct ram_chunk *c)
{
    snap_u32(s, &c->first);
    snap_u32(s, &c->count);
    snap_u32(s, &c->stored);
    snap_u32(s, &c->data_off);
}

/* What the writer saves from: the chunk and the VM's RAM. */
struct ram_out {
    struct ram_chunk c;
    const uint8_t *ram; /* page 0 of guest RAM */
};

/* A page into a save stream, whole or not at all (as snap_bytes). */
static void snap_page(struct snap *s, const uint8_t *page)
{
    if (s->failed || s->pos > s->cap || s->cap - s->pos < SNAPFILE_PAGE) {
        s->failed = true;
        return;
    }
    page_copy(s->buf + s->pos, page);
    s->pos += SNAPFILE_PAGE;
}

static void ram_save(void *obj, struct snap *s)
{
    struct ram_out *r = obj;
    static uint8_t zeros[RAM_ALIGN]; /* a save only reads what it is given */
    uint32_t maplen = map_bytes(r->c.count);
    ram_head_snap(s, &r->c);
    snap_bytes(s, (void *)r->c.map, maplen);
    snap_bytes(s, zeros, r->c.data_off - RAM_HEAD - maplen);
    for (uint32_t i = 0; i < r->c.count; i++)
        if (bit(r->c.map, i))
            snap_page(s, r->ram + (size_t)(r->c.first + i) * SNAPFILE_PAGE);
}

/* ---- Writing. */

/* The file being written. crc is the file's checksum so far: the CRC32C of
 * buf[0, len) without the sections' own checksums (with them it would not
 * change when a section and its checksum are both replaced: the CRC of data
 * followed by its own CRC is a constant). Folded in section by section, from
 * each section's CRC, so that every byte is read once. */
struct out {
    uint8_t *buf;
    size_t cap, len;
    uint32_t crc;
    uint32_t sections;
};

/* Seal the section written at buf[start, len): its CRC32C after it, and
 * the file's checksum from it, without reading the section again. */
static void out_seal(struct out *o, size_t start)
{
    uint32_t crc = crc32c(0, o->buf + start, o->len - start);
    o->crc = crc32c_combine(o->crc, crc, o->len - start);
    put32(o->buf + o->len, crc);
    o->len += CRC_SIZE;
    o->sections++;
}

static int out_section(struct out *o, const char *name, uint32_t version, snap_fn fn, void *obj)
{
    struct snap_writer w;
    size_t start = o->len, room = o->cap - o->len;
    snap_writer_init(&w, o->buf + start, room > UINT32_MAX ? UINT32_MAX : (uint32_t)room);
    if (snap_write_section(&w, name, version, fn, obj) || w.len + CRC_SIZE > room)
        return -1;
    o->len += w.len;
    out_seal(o, start);
    return 0;
}

/* The VM's state sections in a new buffer, as large as they need (up to STATE_MAX). */
static uint8_t *save_state(struct vm *vm, uint32_t *len)
{
    for (uint32_t cap = STATE_FIRST_CAP; cap <= STATE_MAX; cap *= 2) {
        struct snap_writer w;
        uint8_t *buf = mv_malloc(cap);
        if (!buf)
            return NULL;
        snap_writer_init(&w, buf, cap);
        if (!vm_snapshot_save(vm, &w)) {
            *len = w.len;
            return buf;
        }
        mv_free(buf);
    }
    return NULL;
}

/* Each of the state's sections, sealed. */
static void out_state(struct out *o, const uint8_t *state, uint32_t len)
{
    struct snap_reader r;
    struct snap_section sec;
    snap_reader_init(&r, state, len);
    while (snap_next_section(&r, &sec, NULL, 0) == 1) {
        size_t start = o->len;
        memcpy(o->buf + start, sec.payload - SNAP_HEADER_SIZE, SNAP_HEADER_SIZE + sec.length);
        o->len += SNAP_HEADER_SIZE + sec.length;
        out_seal(o, start);
    }
}

/* Which pages of guest RAM are not zero: a new bitmap, and how many. */
static uint8_t *page_map(const struct vm *vm, uint32_t pages, uint32_t *stored)
{
    uint8_t *map = mv_calloc(map_bytes(pages) ? map_bytes(pages) : 1, 1);
    *stored = 0;
    for (uint32_t i = 0; map && i < pages; i++)
        if (!page_is_zero(vm->ram_host + (size_t)i * SNAPFILE_PAGE)) {
            map[i / 8] |= (uint8_t)(1u << (i % 8));
            (*stored)++;
        }
    return map;
}

static uint32_t chunk_pages(uint32_t pages, uint32_t first)
{
    return pages - first < SNAPFILE_RAM_CHUNK ? pages - first : SNAPFILE_RAM_CHUNK;
}

static uint32_t count_bits(const uint8_t *map, uint32_t first, uint32_t count)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < count; i++)
        n += bit(map, first + i);
    return n;
}

/* Room for the whole file: the machine section at its largest, the RAM
 * sections with their alignment (the file is as long as it comes out). */
static size_t file_room(uint32_t state_len, uint32_t nstate, uint32_t pages, uint32_t stored)
{
    size_t n = PREFIX_SIZE + SNAP_HEADER_SIZE + sizeof(struct machine) + CRC_SIZE + state_len +
               (size_t)nstate * CRC_SIZE;
    for (uint32_t first = 0; first < pages; first += SNAPFILE_RAM_CHUNK) {
        uint32_t count = chunk_pages(pages, first);
        n += SNAP_HEADER_SIZE + RAM_HEAD + map_bytes(count) + RAM_ALIGN - 1 + CRC_SIZE;
    }
    return n + (size_t)stored * SNAPFILE_PAGE + CRC_SIZE;
}

static int out_ram(struct out *o, const struct vm *vm, const uint8_t *map, uint32_t pages)
{
    for (uint32_t first = 0; first < pages; first += SNAPFILE_RAM_CHUNK) {
        struct ram_out r = {{first, chunk_pages(pages, first), 0, 0, map + first / 8, NULL}, vm->ram_host};
        size_t data_at = o->len + SNAP_HEADER_SIZE + RAM_HEAD + map_bytes(r.c.count);
        r.c.stored = count_bits(map, first, r.c.count);
        r.c.data_off = RAM_HEAD + map_bytes(r.c.count) + (uint32_t)(-data_at % RAM_ALIGN);
        if (out_section(o, "ram", RAM_VERSION, ram_save, &r))
            return -1;
    }
    return 0;
}

/* Count the sections of a state stream (vm_snapshot_save's: well formed). */
static uint32_t count_sections(const uint8_t *state, uint32_t len)
{
    struct snap_reader r;
    struct snap_section sec;
    uint32_t n = 0;
    snap_reader_init(&r, state, len);
    while (snap_next_section(&r, &sec, NULL, 0) == 1)
        n++;
    return n;
}

/* The file into o: prefix, machine, state, RAM, trailer. */
static int out_file(struct out *o, struct vm *vm, struct machine *m, const uint8_t *state, uint32_t state_len,
                    const uint8_t *map, uint32_t pages)
{
    memcpy(o->buf, SNAPFILE_MAGIC, SNAPFILE_MAGIC_SIZE);
    put32(o->buf + SNAPFILE_MAGIC_SIZE, SNAPFILE_VERSION);
    o->len = PREFIX_SIZE;
    o->crc = crc32c(0, o->buf, PREFIX_SIZE);
    if (out_section(o, "machine", MACHINE_VERSION, machine_snap, m))
        return -1;
    out_state(o, state, state_len);
    if (out_ram(o, vm, map, pages))
        return -1;
    put32(o->buf + o->len, o->crc);
    o->len += CRC_SIZE;
    return 0;
}

int snapfile_save(struct vm *vm, uint32_t arch, uint64_t clock, uint8_t **file, struct snapfile_info *info,
                  char *err, size_t errlen)
{
    static struct machine m; /* 1 KiB of names: not on the VMM's stack */
    uint32_t pages = vm->ram_size / SNAPFILE_PAGE, state_len = 0, stored = 0;
    if (vm->ram_size % SNAPFILE_PAGE || !vm->ram_host)
        return fail(err, errlen, "guest RAM is not whole %u-byte pages", SNAPFILE_PAGE);
    if (machine_of(vm, arch, clock, &m))
        return fail(err, errlen, "%u devices: a snapshot file holds %u", vm->ndevices, SNAPFILE_MAX_DEVICES);
    uint8_t *state = save_state(vm, &state_len);
    if (!state)
        return fail(err, errlen, "the VM's state does not fit in %u bytes of heap", STATE_MAX);
    uint8_t *map = page_map(vm, pages, &stored);
    size_t room = file_room(state_len, count_sections(state, state_len), pages, stored);
    struct out o = {map ? mv_malloc(room) : NULL, room, 0, 0, 0};
    int rc = -1; /* no memory */
    if (o.buf)
        rc = out_file(&o, vm, &m, state, state_len, map, pages) ? -2 : 0;
    mv_free(state);
    mv_free(map);
    if (rc) {
        mv_free(o.buf);
        return fail(err, errlen,
                    rc == -1 ? "no memory for a snapshot file of %zu bytes"
                             : "a snapshot file of %zu bytes came out longer (a minivmm bug)",
                    room);
    }
    *file = o.buf;
    *info = (struct snapfile_info){clock, o.len, o.sections, pages, stored};
    return 0;
}

/* ---- Reading: a walk over the file that checks every byte before using it. */

struct walk {
    const uint8_t *file;
    size_t len, pos;
    uint32_t crc; /* CRC32C of file[0, pos) without the sections' checksums (struct out) */
    uint32_t sections;
    char *err;
    size_t errlen;
};

static int wfail(struct walk *w, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int wfail(struct walk *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(w->err, w->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int walk_prefix(struct walk *w)
{
    size_t n = w->len < SNAPFILE_MAGIC_SIZE ? w->len : SNAPFILE_MAGIC_SIZE;
    if (n && memcmp(w->file, SNAPFILE_MAGIC, n))
        return wfail(w, "file header: not a minivmm snapshot (its first bytes are not \"MVSNAP\\0\\0\")");
    if (w->len < PREFIX_SIZE)
        return wfail(w, "file header: cut short (%zu of %u bytes)", w->len, PREFIX_SIZE);
    uint32_t version = get32(w->file + SNAPFILE_MAGIC_SIZE);
    if (version != SNAPFILE_VERSION)
        return wfail(w, "file header: format version %u, this minivmm reads version %u%s", version,
                     SNAPFILE_VERSION, version > SNAPFILE_VERSION ? " (a newer minivmm wrote it)" : "");
    w->crc = crc32c(0, w->file, PREFIX_SIZE);
    w->pos = PREFIX_SIZE;
    return 0;
}

/* A 16-byte name field that holds exactly name, NUL-padded. */
static bool name_is(const uint8_t *field, const char *name)
{
    char want[SNAP_NAME_MAX] = {0};
    size_t n = strlen(name);
    memcpy(want, name, n < SNAP_NAME_MAX ? n : SNAP_NAME_MAX);
    return !memcmp(field, want, SNAP_NAME_MAX);
}

/* The next section, which must be called name and be of this version; label
 * says which it is in a message ("section 'pl011'"). */
static int walk_section(struct walk *w, const char *label, const char *name, uint32_t version,
                        struct snap_section *sec)
{
    const uint8_t *h = w->file + w->pos;
    size_t left = w->len - w->pos;
    if (left == 0)
        return wfail(w, "%s is missing: the file ends at byte %zu", label, w->pos);
    if (left < SNAP_HEADER_SIZE)
        return wfail(w, "%s: cut short in its header (%zu of %u bytes)", label, left, SNAP_HEADER_SIZE);
    uint32_t length = get32(h + SNAP_NAME_MAX + 4);
    if (length > left - SNAP_HEADER_SIZE)
        return wfail(w, "%s: length %u runs past the end of the file (%zu bytes left)", label, length,
                     left - SNAP_HEADER_SIZE);
    size_t body = SNAP_HEADER_SIZE + (size_t)length;
    if (left - body < CRC_SIZE)
        return wfail(w, "%s: cut short in its checksum (%zu of %u bytes)", label, left - body, CRC_SIZE);
    uint32_t crc = crc32c(0, h, body), stored = get32(h + body);
    if (crc != stored)
        return wfail(w, "%s: checksum mismatch (stored %08x, computed %08x)", label, stored, crc);
    if (!name_is(h, name))
        return wfail(w, "%s: another section is in its place", label);
    if (get32(h + SNAP_NAME_MAX) != version)
        return wfail(w, "%s: version %u, this minivmm reads version %u", label, get32(h + SNAP_NAME_MAX),
                     version);
    memcpy(sec->name, h, SNAP_NAME_MAX);
    sec->version = version;
    sec->length = length;
    sec->payload = h + SNAP_HEADER_SIZE;
    w->crc = crc32c_combine(w->crc, crc, body);
    w->pos += body + CRC_SIZE;
    w->sections++;
    return 0;
}

static int walk_trailer(struct walk *w)
{
    size_t left = w->len - w->pos;
    if (left < CRC_SIZE)
        return wfail(w, "trailer: cut short (%zu of the file checksum's %u bytes)", left, CRC_SIZE);
    if (left > CRC_SIZE)
        return wfail(w, "trailer: %zu bytes after the end of the snapshot", left - CRC_SIZE);
    uint32_t stored = get32(w->file + w->pos);
    if (stored != w->crc)
        return wfail(w, "trailer: file checksum mismatch (stored %08x, computed %08x)", stored, w->crc);
    return 0;
}

/* What the check found, for the restore: where each part is. */
struct plan {
    struct machine machine;
    struct snap_section state[MAX_STATE];
    uint32_t nstate;
    struct ram_chunk ram[MAX_RAM_SECTIONS];
    uint32_t nram, pages, stored;
};
static struct plan the_plan; /* 5 KiB: not on the VMM's stack */

static int check_machine(struct walk *w, const struct vm *vm, uint32_t arch, struct plan *p)
{
    static struct machine ours;
    struct snap_section sec;
    if (walk_section(w, "section 'machine'", "machine", MACHINE_VERSION, &sec))
        return -1;
    memset(&p->machine, 0, sizeof(p->machine));
    struct snap s = {SNAP_RESTORE, (uint8_t *)sec.payload, sec.length, 0, false}; /* only read */
    machine_snap(&p->machine, &s);
    if (s.failed || s.pos != s.cap)
        return wfail(w, "section 'machine': %s (payload %u bytes)",
                     s.pos > s.cap ? "truncated"
                     : s.failed    ? "more devices than a file holds"
                                   : "wrong length",
                     sec.length);
    if (machine_of(vm, arch, 0, &ours))
        return wfail(w, "this VM has %u devices: a snapshot file holds %u", vm->ndevices,
                     SNAPFILE_MAX_DEVICES);
    return machine_differs(&p->machine, &ours, w->err, w->errlen);
}

/* How many devices of this VM share the type of device i (labels say which one when several do). */
static unsigned same_type(const struct vm *vm, unsigned i)
{
    unsigned n = 0;
    for (unsigned k = 0; k < vm->ndevices; k++)
        n += vm->devices[k].type == vm->devices[i].type;
    return n;
}

/* "vm", "vcpu0", then each device's: the names and versions of this VM's owners, in order. */
static int check_state(struct walk *w, const struct vm *vm, struct plan *p)
{
    p->nstate = 2 + vm->ndevices;
    for (uint32_t i = 0; i < p->nstate; i++) {
        char label[64];
        const char *name = i == 0 ? "vm" : "vcpu0";
        uint32_t version = i == 0 ? VM_SNAP_VERSION : ARCH_VCPU_SNAP_VERSION;
        if (i >= 2) {
            name = vm->devices[i - 2].type->name;
            version = vm->devices[i - 2].type->snap_version;
        }
        int n = mv_snprintf(label, sizeof(label), "section '%s'", name);
        if (i >= 2 && same_type(vm, i - 2) > 1 && n > 0 && (size_t)n < sizeof(label))
            mv_snprintf(label + n, sizeof(label) - (size_t)n, " (device %u)", i - 2);
        if (walk_section(w, label, name, version, &p->state[i]))
            return -1;
    }
    return 0;
}

/* A "ram" section's payload: the pages it says, a map that agrees with its
 * count, zero padding, and exactly the bytes of its stored pages. */
static int check_chunk(struct walk *w, const char *label, const struct snap_section *sec, uint32_t first,
                       uint32_t count, struct ram_chunk *c)
{
    struct snap s = {SNAP_RESTORE, (uint8_t *)sec->payload, sec->length, 0, false}; /* only read */
    uint32_t maplen = map_bytes(count);
    ram_head_snap(&s, c);
    if (s.failed)
        return wfail(w, "%s: truncated (payload %u bytes, its header takes %u)", label, sec->length,
                     RAM_HEAD);
    if (c->first != first || c->count != count)
        return wfail(w, "%s: holds pages %u to %u, expected %u to %u", label, c->first,
                     c->first + c->count - 1, first, first + count - 1);
    if (c->data_off < RAM_HEAD + maplen || c->data_off - RAM_HEAD - maplen >= RAM_ALIGN ||
        c->data_off > sec->length)
        return wfail(w, "%s: page data at offset %u, not after the page map (%u bytes) and its padding",
                     label, c->data_off, maplen);
    c->map = sec->payload + RAM_HEAD;
    c->data = sec->payload + c->data_off;
    for (uint32_t i = RAM_HEAD + maplen; i < c->data_off; i++)
        if (sec->payload[i])
            return wfail(w, "%s: padding byte %u is not zero", label, i);
    for (uint32_t i = count; i < maplen * 8; i++)
        if (bit(c->map, i))
            return wfail(w, "%s: page map bit %u is set, past the section's %u pages", label, i, count);
    uint32_t set = count_bits(c->map, 0, count);
    if (set != c->stored)
        return wfail(w, "%s: %u pages stored, the page map says %u", label, c->stored, set);
    if ((uint64_t)sec->length != c->data_off + (uint64_t)set * SNAPFILE_PAGE)
        return wfail(w, "%s: length %u, %u stored pages take %llu", label, sec->length, set,
                     (unsigned long long)(c->data_off + (uint64_t)set * SNAPFILE_PAGE));
    return 0;
}

static int check_ram(struct walk *w, const struct vm *vm, struct plan *p)
{
    p->pages = vm->ram_size / SNAPFILE_PAGE;
    p->nram = p->stored = 0;
    for (uint32_t first = 0; first < p->pages; first += SNAPFILE_RAM_CHUNK) {
        char label[64];
        struct snap_section sec;
        uint32_t count = chunk_pages(p->pages, first);
        mv_snprintf(label, sizeof(label), "section 'ram' (pages %u to %u)", first, first + count - 1);
        if (walk_section(w, label, "ram", RAM_VERSION, &sec) ||
            check_chunk(w, label, &sec, first, count, &p->ram[p->nram]))
            return -1;
        p->stored += p->ram[p->nram++].stored;
    }
    return 0;
}

static int check_file(const struct vm *vm, uint32_t arch, const uint8_t *file, size_t len, struct plan *p,
                      struct snapfile_info *info, char *err, size_t errlen)
{
    struct walk w = {file, file ? len : 0, 0, 0, 0, err, errlen};
    if (vm->ram_size % SNAPFILE_PAGE)
        return fail(err, errlen, "this VM's RAM is not whole %u-byte pages", SNAPFILE_PAGE);
    if (walk_prefix(&w) || check_machine(&w, vm, arch, p) || check_state(&w, vm, p) || check_ram(&w, vm, p) ||
        walk_trailer(&w))
        return -1;
    if (info)
        *info = (struct snapfile_info){p->machine.clock, len, w.sections, p->pages, p->stored};
    return 0;
}

int snapfile_check(const struct vm *vm, uint32_t arch, const uint8_t *file, size_t len,
                   struct snapfile_info *info, char *err, size_t errlen)
{
    return check_file(vm, arch, file, len, &the_plan, info, err, errlen);
}

/* ---- Restoring what the check passed. */

/* The state sections back to back, as vm_snapshot_save wrote them (without their checksums). */
static uint8_t *join_state(const struct plan *p, uint32_t *len)
{
    size_t n = 0;
    for (uint32_t i = 0; i < p->nstate; i++)
        n += SNAP_HEADER_SIZE + (size_t)p->state[i].length;
    uint8_t *buf = n <= STATE_MAX ? mv_malloc(n) : NULL;
    for (size_t at = 0, i = 0; buf && i < p->nstate; i++) {
        size_t k = SNAP_HEADER_SIZE + (size_t)p->state[i].length;
        memcpy(buf + at, p->state[i].payload - SNAP_HEADER_SIZE, k);
        at += k;
    }
    *len = (uint32_t)n;
    return buf;
}

/* vm_snapshot_restore, or the VM's state as it was: a refused section has
 * reset its owner and those not yet reached, so the state saved before is put back. */
static int restore_state(struct vm *vm, const uint8_t *stream, uint32_t len, char *err, size_t errlen)
{
    char why[160];
    uint32_t before_len;
    uint8_t *before = save_state(vm, &before_len);
    if (!before)
        return fail(err, errlen, "no memory to keep the VM's state while restoring");
    int rc = vm_snapshot_restore(vm, stream, len, err, errlen);
    if (rc && vm_snapshot_restore(vm, before, before_len, why, sizeof(why)))
        panic("snapshot: the VM's own state does not restore after a refused snapshot: %s", why);
    mv_free(before);
    return rc;
}

static void restore_ram(struct vm *vm, const struct plan *p)
{
    for (uint32_t k = 0; k < p->nram; k++) {
        const struct ram_chunk *c = &p->ram[k];
        const uint8_t *data = c->data;
        for (uint32_t i = 0; i < c->count; i++) {
            uint8_t *page = vm->ram_host + (size_t)(c->first + i) * SNAPFILE_PAGE;
            if (bit(c->map, i)) {
                page_copy(page, data);
                data += SNAPFILE_PAGE;
            } else {
                page_zero(page);
            }
        }
    }
}

int snapfile_restore(struct vm *vm, uint32_t arch, const uint8_t *file, size_t len,
                     struct snapfile_info *info, char *err, size_t errlen)
{
    struct plan *p = &the_plan;
    uint32_t state_len;
    if (check_file(vm, arch, file, len, p, info, err, errlen))
        return -1;
    if (!vm->ram_host)
        return fail(err, errlen, "this VM has no RAM to restore into");
    uint8_t *state = join_state(p, &state_len);
    if (!state)
        return fail(err, errlen, "no memory for the VM's state (%u bytes in %u sections)", state_len,
                    p->nstate);
    int rc = restore_state(vm, state, state_len, err, errlen);
    mv_free(state);
    if (rc)
        return -1;
    restore_ram(vm, p);
    return 0;
}
