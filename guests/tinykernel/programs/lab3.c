/* Lab 3 test programs: device accesses of every width and form, unassigned space, and the PL011's transmit and receive. */
#include <string.h>
#include "../hvc.h"
#include "../kernel.h"
#include "../mmio.h"

#define SCRATCH 0x000u /* the test device's registers (minivmm/include/devices/testdev.h) */
#define LAST 0x100u
#define REFUSE 0x200u
#define TESTDEV_SIZE 0x1000u

static volatile uint8_t *testdev(const char *t)
{
    uint32_t base = fdt_device(boot_dtb, "minivmm,testdev");
    if (!base)
        test_fail(t, "no minivmm,testdev node in the device tree: lab 3's devices are off");
    return (volatile uint8_t *)(uintptr_t)base;
}

/* Device registers through plain LDR/STR (../mmio.h): the syndrome path only. */
#define AT(d, off) ((uint32_t)(uintptr_t)(d) + (off))
#define R32(d, off) mmio_read32(AT(d, off))
#define R16(d, off) mmio_read16(AT(d, off))
#define R8(d, off) mmio_read8(AT(d, off))
#define S16(d, off) mmio_read16s(AT(d, off))
#define S8(d, off) mmio_read8s(AT(d, off))
#define W32(d, off, v) mmio_write32(AT(d, off), (v))
#define W16(d, off, v) mmio_write16(AT(d, off), (v))
#define W8(d, off, v) mmio_write8(AT(d, off), (v))
#define LAST_OF(write, width, off) ((write) << 31 | (width) << 16 | (off))

static uint32_t mmio_stat(uint32_t which) { return hvc1(MV_HC_TEST_MMIO_STAT, which); }

uint32_t tk_thumb_ldrb(uint32_t addr, uint32_t *marker);
uint32_t tk_ldr_lr(uint32_t addr);

PROGRAM(lab3_widths, "lab3-widths", "lab 3: device loads and stores of each width, zero- and sign-extended")
{
    const char *t = "lab3-widths";
    volatile uint8_t *d = testdev(t);
    if (!d)
        return 1;
    uint32_t decoded0 = mmio_stat(MV_MMIO_STAT_DECODED);
    W32(d, 0, 0x80818283u);
    CHECK(t, R32(d, LAST) == LAST_OF(1u, 4u, 0u), "STR reached the device as %#x", (unsigned)R32(d, LAST));
    CHECK(t, R32(d, 0) == 0x80818283u, "LDR read %#x", (unsigned)R32(d, 0));
    /* clang-format off */
    static const struct { uint32_t off, width; bool sign; uint32_t expect; } loads[] = {
        {0, 1, false, 0x83}, {0, 1, true, 0xffffff83u}, {3, 1, false, 0x80}, {3, 1, true, 0xffffff80u},
        {0, 2, false, 0x8283}, {0, 2, true, 0xffff8283u}, {2, 2, false, 0x8081}, {2, 2, true, 0xffff8081u},
    };
    /* clang-format on */
    for (unsigned i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
        uint32_t o = loads[i].off, v;
        if (loads[i].width == 1)
            v = loads[i].sign ? S8(d, o) : R8(d, o);
        else
            v = loads[i].sign ? S16(d, o) : R16(d, o);
        CHECK(t, v == loads[i].expect, "LDR%s%s at +%u read %#x, expected %#x", loads[i].sign ? "S" : "",
              loads[i].width == 1 ? "B" : "H", (unsigned)o, (unsigned)v, (unsigned)loads[i].expect);
        CHECK(t, R32(d, LAST) == LAST_OF(0u, loads[i].width, o), "that load reached the device as %#x",
              (unsigned)R32(d, LAST));
    }
    W32(d, 4, 0);
    W8(d, 5, 0x7f);
    CHECK(t, R32(d, LAST) == LAST_OF(1u, 1u, 5u), "STRB reached the device as %#x", (unsigned)R32(d, LAST));
    W16(d, 6, 0x1234);
    CHECK(t, R32(d, LAST) == LAST_OF(1u, 2u, 6u), "STRH reached the device as %#x", (unsigned)R32(d, LAST));
    CHECK(t, R32(d, 4) == 0x12347f00u, "after STRB and STRH the word is %#x", (unsigned)R32(d, 4));
    uint32_t marker = 0, v = tk_thumb_ldrb((uint32_t)(uintptr_t)(d + 3), &marker);
    CHECK(t, v == 0x80, "Thumb LDRB read %#x", (unsigned)v);
    CHECK(t, marker == 1, "after a 16-bit Thumb load the guest did not resume at the next halfword");
    W32(d, 8, 0xcafef00du);
    CHECK(t, tk_ldr_lr((uint32_t)(uintptr_t)(d + 8)) == 0xcafef00du, "a load into LR (banked) went wrong");
    CHECK(t, mmio_stat(MV_MMIO_STAT_ISV) >= 20, "only %u accesses counted as decoded from the syndrome",
          (unsigned)mmio_stat(MV_MMIO_STAT_ISV));
    /* Every access here has a syndrome: this test needs Task 1 only. */
    CHECK(t, mmio_stat(MV_MMIO_STAT_DECODED) == decoded0, "%u accesses counted as decoded, expected none",
          (unsigned)(mmio_stat(MV_MMIO_STAT_DECODED) - decoded0));
    test_pass(t);
    return 0;
}

/* ---- Instruction forms without a syndrome: each case in lab3_asm.S. */
enum { NONE, U32, S16V, S8V, U16 };
struct lcheck {
    uint8_t io, kind, off;
}; /* io[io] must hold the pattern's value at off */
struct scheck {
    uint8_t off, io;
}; /* the device's word at off must be io[io] */
struct dcase {
    const char *name;
    void (*fn)(uint32_t *io);
    int8_t delta; /* the base register's change */
    struct lcheck loads[4];
    struct scheck stores[4];
};

#define CASEFN(n) void n(uint32_t *io);
CASEFN(tk_a_ldr_post)
CASEFN(tk_a_str_pre_wb)
CASEFN(tk_a_ldr_reg_neg_wb)
CASEFN(tk_a_ldrd)
CASEFN(tk_a_strd)
CASEFN(tk_a_ldrsh_post)
CASEFN(tk_a_ldrsb_pre_wb)
CASEFN(tk_a_ldmia_wb)
CASEFN(tk_a_stmdb_wb)
CASEFN(tk_a_ldmib)
CASEFN(tk_a_stmda)
CASEFN(tk_a_str_reg_lsr_wb)
CASEFN(tk_t_ldmia16)
CASEFN(tk_t_stmia16)
CASEFN(tk_t_ldrd)
CASEFN(tk_t_ldr_post)
CASEFN(tk_t_ldrh_pre_wb)
CASEFN(tk_t_ldmdb_wb)
CASEFN(tk_t_strd_neg_wb)

#define BASE 0x40u /* the base register points here in the scratch area */
/* clang-format off */
static const struct dcase dcases[] = {
    {"A32 ldr r2, [r0], #4", tk_a_ldr_post, 4, {{1, U32, 0x40}}, {{0}}},
    {"A32 str r2, [r0, #8]!", tk_a_str_pre_wb, 8, {{0}}, {{0x48, 1}}},
    {"A32 ldr r2, [r0, -r1, lsl #2]!", tk_a_ldr_reg_neg_wb, -4, {{1, U32, 0x3c}}, {{0}}},
    {"A32 ldrd r2, r3, [r0]", tk_a_ldrd, 0, {{1, U32, 0x40}, {2, U32, 0x44}}, {{0}}},
    {"A32 strd r4, r5, [r0, #8]", tk_a_strd, 0, {{0}}, {{0x48, 3}, {0x4c, 4}}},
    {"A32 ldrsh r2, [r0], #2", tk_a_ldrsh_post, 2, {{1, S16V, 0x40}}, {{0}}},
    {"A32 ldrsb r3, [r0, #1]!", tk_a_ldrsb_pre_wb, 1, {{2, S8V, 0x41}}, {{0}}},
    {"A32 ldmia r0!, {r2-r5}", tk_a_ldmia_wb, 16, {{1, U32, 0x40}, {2, U32, 0x44}, {3, U32, 0x48}, {4, U32, 0x4c}}, {{0}}},
    {"A32 stmdb r0!, {r2, r3}", tk_a_stmdb_wb, -8, {{0}}, {{0x38, 1}, {0x3c, 2}}},
    {"A32 ldmib r0, {r2, r3}", tk_a_ldmib, 0, {{1, U32, 0x44}, {2, U32, 0x48}}, {{0}}},
    {"A32 stmda r0, {r4, r5}", tk_a_stmda, 0, {{0}}, {{0x3c, 3}, {0x40, 4}}},
    {"A32 str r2, [r0, r1, lsr #4]!", tk_a_str_reg_lsr_wb, 4, {{0}}, {{0x44, 1}}},
    {"T16 ldmia r0!, {r2, r3}", tk_t_ldmia16, 8, {{1, U32, 0x40}, {2, U32, 0x44}}, {{0}}},
    {"T16 stmia r0!, {r2, r3}", tk_t_stmia16, 8, {{0}}, {{0x40, 1}, {0x44, 2}}},
    {"T32 ldrd r2, r3, [r0, #8]", tk_t_ldrd, 0, {{1, U32, 0x48}, {2, U32, 0x4c}}, {{0}}},
    {"T32 ldr.w r2, [r0], #4", tk_t_ldr_post, 4, {{1, U32, 0x40}}, {{0}}},
    {"T32 ldrh r2, [r0, #2]!", tk_t_ldrh_pre_wb, 2, {{1, U16, 0x42}}, {{0}}},
    {"T32 ldmdb r0!, {r2, r3}", tk_t_ldmdb_wb, -8, {{1, U32, 0x38}, {2, U32, 0x3c}}, {{0}}},
    {"T32 strd r4, r5, [r0, #-8]!", tk_t_strd_neg_wb, -8, {{0}}, {{0x38, 3}, {0x3c, 4}}},
};
/* clang-format on */
#define NCASES (sizeof(dcases) / sizeof(dcases[0]))
#define ROUNDS 4

/* Bytes 0x40 and 0x41 (the sign-extending cases' targets) are >= 0x80. */
static uint8_t pat8(uint32_t i) { return (uint8_t)(0xc1 + i * 7); }
static uint32_t pat32(uint32_t i)
{
    return pat8(i) | (uint32_t)pat8(i + 1) << 8 | (uint32_t)pat8(i + 2) << 16 | (uint32_t)pat8(i + 3) << 24;
}

static uint32_t expected(const struct lcheck *c)
{
    uint32_t w = pat32(c->off);
    switch (c->kind) {
    case S16V: return (uint32_t)(int32_t)(int16_t)w;
    case S8V: return (uint32_t)(int32_t)(int8_t)w;
    case U16: return w & 0xffff;
    default: return w;
    }
}

/* Decoded accesses and decode cache hits of the case instructions alone (the
 * compiler may well use write-back forms for the set-up code too). */
static uint32_t case_decoded, case_hits;

/* Run one case against freshly patterned scratch; report the first difference. */
static int run_case(const char *t, volatile uint8_t *d, const struct dcase *c, unsigned round)
{
    for (uint32_t o = 0; o < 0x80; o += 4)
        W32(d, o, pat32(o));
    uint32_t base = (uint32_t)(uintptr_t)d + BASE;
    uint32_t io[5] = {base, 0x11111111u * (round + 1), 0x22222222u, 0x33333333u, 0x44444444u};
    uint32_t in[5];
    memcpy(in, io, sizeof(in));
    uint32_t decoded0 = mmio_stat(MV_MMIO_STAT_DECODED), hits0 = mmio_stat(MV_MMIO_STAT_HITS);
    c->fn(io);
    case_decoded += mmio_stat(MV_MMIO_STAT_DECODED) - decoded0;
    case_hits += mmio_stat(MV_MMIO_STAT_HITS) - hits0;
    CHECK(t, io[0] == base + (uint32_t)(int32_t)c->delta, "%s: base register %#x, expected %#x", c->name,
          (unsigned)io[0], (unsigned)(base + (uint32_t)(int32_t)c->delta));
    for (unsigned i = 0; i < 4 && c->loads[i].kind; i++)
        CHECK(t, io[c->loads[i].io] == expected(&c->loads[i]), "%s: loaded %#x, expected %#x", c->name,
              (unsigned)io[c->loads[i].io], (unsigned)expected(&c->loads[i]));
    for (unsigned i = 0; i < 4 && c->stores[i].off; i++)
        CHECK(t, R32(d, c->stores[i].off) == in[c->stores[i].io],
              "%s: the device holds %#x at +%#x, expected %#x", c->name, (unsigned)R32(d, c->stores[i].off),
              (unsigned)c->stores[i].off, (unsigned)in[c->stores[i].io]);
    return 0;
}

PROGRAM(lab3_decode, "lab3-decode",
        "lab 3: LDRD/STRD, LDM/STM and write-back forms, A32 and Thumb, decoded by the VMM")
{
    const char *t = "lab3-decode";
    volatile uint8_t *d = testdev(t);
    if (!d)
        return 1;
    for (unsigned round = 0; round < ROUNDS; round++)
        for (unsigned i = 0; i < NCASES; i++)
            if (run_case(t, d, &dcases[i], round))
                return 1;
    uint32_t decoded = case_decoded, hits = case_hits, misses = mmio_stat(MV_MMIO_STAT_MISSES);
    CHECK(t, decoded == ROUNDS * NCASES,
          "%u accesses were decoded from the instruction, expected %u "
          "(one per case and round)",
          (unsigned)decoded, (unsigned)(ROUNDS * NCASES));
    /* With the cache on, most rounds after the first find their instructions
     * (not all need to: a direct-mapped cache may lose a few to collisions). */
    if (hits + misses)
        CHECK(t, hits >= (ROUNDS - 1) * NCASES / 2,
              "the decode cache hit only %u times in %u rounds of %u cases", (unsigned)hits, ROUNDS,
              (unsigned)NCASES);
    kprintf("lab3-decode: %u cases x %u rounds, decode cache %s\n", (unsigned)NCASES, ROUNDS,
            hits + misses ? "on" : "off");
    test_pass(t);
    return 0;
}

/* ---- Unassigned space and refused accesses become external aborts. */
static volatile struct {
    int kind;
    uint32_t dfsr, dfar;
} seen;

static uint32_t abort_hook(int kind, struct trap_frame *f)
{
    seen.kind = kind;
    __asm__ volatile("mrc p15, 0, %0, c5, c0, 0" : "=r"(seen.dfsr));
    __asm__ volatile("mrc p15, 0, %0, c6, c0, 0" : "=r"(seen.dfar));
    return kind == 4 ? f->lr - 4 : 0; /* data abort: skip the access */
}

static int expect_abort(const char *t, uint32_t addr, bool write)
{
    seen.kind = 0;
    if (write)
        mmio_write32(addr, 0x5a5a5a5au);
    else
        (void)mmio_read32(addr);
    CHECK(t, seen.kind == 4, "%s %#x did not abort", write ? "writing" : "reading", (unsigned)addr);
    CHECK(t, seen.dfar == addr, "DFAR %#x, expected %#x", (unsigned)seen.dfar, (unsigned)addr);
    CHECK(t, (seen.dfsr & 0x40f) == 0x008 && !!(seen.dfsr & (1u << 11)) == write,
          "DFSR %#x for %#x is not an external abort on a %s", (unsigned)seen.dfsr, (unsigned)addr,
          write ? "write" : "read");
    return 0;
}

PROGRAM(lab3_unassigned, "lab3-unassigned",
        "lab 3: device accesses work; unassigned space and refused accesses abort")
{
    const char *t = "lab3-unassigned";
    volatile uint8_t *d = testdev(t);
    if (!d)
        return 1;
    trap_hook = abort_hook;
    W32(d, 0x10, 0x600dcafe);
    CHECK(t, seen.kind == 0 && R32(d, 0x10) == 0x600dcafe, "the test device does not work");
    uint32_t base = (uint32_t)(uintptr_t)d, refused0 = mmio_stat(MV_MMIO_STAT_REFUSED);
    /* clang-format off */
    static const struct { uint32_t addr; bool write; } probes[] = {
        {0x0b000000u + TESTDEV_SIZE, false}, {0x0c000000u, true}, {0x0b000000u + REFUSE, false},
        {0x0b000000u + REFUSE + 4, true}, {0x0b000000u - 4, false},
    };
    /* clang-format on */
    for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
        if (expect_abort(t, probes[i].addr - 0x0b000000u + base, probes[i].write))
            return 1;
    CHECK(t, mmio_stat(MV_MMIO_STAT_REFUSED) - refused0 == 2, "%u accesses refused by the device, expected 2",
          (unsigned)(mmio_stat(MV_MMIO_STAT_REFUSED) - refused0));
    trap_hook = 0;
    test_pass(t);
    return 0;
}

/* ---- The PL011. */
#define U(off) mmio_read32(uart_base + (off))
#define UW(off, v) mmio_write32(uart_base + (off), (v))

PROGRAM(lab3_uart_tx, "lab3-uart-tx",
        "lab 3: the PL011's registers, and every line of this test sent through it")
{
    const char *t = "lab3-uart-tx";
    CHECK(t, uart_base, "no arm,pl011 node in the device tree: lab 3's devices are off");
    static const uint8_t ids[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; i++)
        CHECK(t, U(0xfe0 + 4 * i) == ids[i], "ID register at %#x reads %#x, expected %#x", 0xfe0 + 4 * i,
              (unsigned)U(0xfe0 + 4 * i), ids[i]);
    CHECK(t, U(0x24) == 13 && U(0x28) == 1, "IBRD/FBRD read %u/%u, the driver wrote 13/1", (unsigned)U(0x24),
          (unsigned)U(0x28));
    UW(0x28, 0xffffffffu);
    CHECK(t, U(0x28) == 0x3f, "FBRD is 6 bits, reads %#x", (unsigned)U(0x28));
    UW(0x28, 1);
    CHECK(t, U(0x2c) == 0x70, "LCR_H reads %#x, the driver wrote 0x70", (unsigned)U(0x2c));
    CHECK(t, (U(0x18) & 0xa0) == 0x80, "FR %#x: TXFE should be set and TXFF clear", (unsigned)U(0x18));
    UW(0x44, 0x7ff);
    CHECK(t, !(U(0x3c) & 0x20), "RIS.TX still set after ICR");
    UW(0x38, 0x20); /* IMSC: TX */
    kprintf("lab3-uart-tx: this line went out through the guest's PL011\n");
    CHECK(t, (U(0x3c) & 0x20) && (U(0x40) & 0x20), "after a transmit RIS %#x, MIS %#x: TX should be set",
          (unsigned)U(0x3c), (unsigned)U(0x40));
    UW(0x38, 0);
    CHECK(t, (U(0x3c) & 0x20) && !(U(0x40) & 0x20), "masked: RIS %#x, MIS %#x", (unsigned)U(0x3c),
          (unsigned)U(0x40));
    UW(0x44, 0x20);
    CHECK(t, !(U(0x3c) & 0x20), "ICR did not clear RIS.TX (%#x)", (unsigned)U(0x3c));
    test_pass(t);
    return 0;
}

PROGRAM(lab3_uart_rx, "lab3-uart-rx", "lab 3: read a line typed on the host's terminal through the PL011")
{
    const char *t = "lab3-uart-rx";
    char line[32];
    unsigned n = 0;
    CHECK(t, uart_base, "no arm,pl011 node in the device tree: lab 3's devices are off");
    kprintf("lab3-uart-rx: type a line\n");
    while (n < sizeof(line) - 1) {
        int c = uart_getc(50u * 1000 * 1000);
        CHECK(t, c >= 0, "no character arrived (got %u: '%.*s')", n, (int)n, line);
        if (c == '\n' || c == '\r')
            break;
        if (n == 0 && !(U(0x18) & 0x10)) /* more characters wait in the FIFO: RT must be set */
            CHECK(t, U(0x3c) & 0x40, "RIS %#x: RT is not set while characters wait", (unsigned)U(0x3c));
        line[n++] = (char)c;
    }
    line[n] = '\0';
    kprintf("lab3-uart-rx: received '%s'\n", line);
    CHECK(t, !strcmp(line, "minivmm!"), "received '%s', the grader typed 'minivmm!'", line);
    test_pass(t);
    return 0;
}

/* ---- A hostile guest: random device accesses of every width and form, at
 * random offsets in and around the devices. The VMM must emulate or refuse
 * each one and keep running. Not graded: an integration test of the reference. */

static uint32_t skip_abort(int kind, struct trap_frame *f) { return kind == 4 ? f->lr - 4 : 0; }

PROGRAM(hostile_mmio, "hostile-mmio", "random device accesses of every form: the VMM must survive")
{
    const char *t = "hostile-mmio";
    static const uint32_t bases[] = {0x09000000u, 0x0b000000u, 0x0b000800u, 0x0b001000u, 0x08fff000u};
    CHECK(t, uart_base, "no arm,pl011 node in the device tree: lab 3's devices are off");
    rng_seed(nonce_value());
    trap_hook = skip_abort;
    for (int i = 0; i < 3000; i++) {
        uint32_t base = bases[rng() % (sizeof(bases) / sizeof(bases[0]))];
        uint32_t a = base + (rng() % 0x1000), v = rng();
        if (base == 0x09000000u && (a & 0xffc) == 0)
            continue; /* the UART's DR: random characters on the console help nobody */
        switch (rng() % 8) {
        case 0: v = *(volatile uint8_t *)a; break;
        case 1: v = (uint32_t)(*(volatile int16_t *)(a & ~1u)); break;
        case 2: v = *(volatile uint32_t *)(a & ~3u); break;
        case 3: *(volatile uint8_t *)a = (uint8_t)v; break;
        case 4: *(volatile uint16_t *)(a & ~1u) = (uint16_t)v; break;
        case 5: *(volatile uint32_t *)(a & ~3u) = v; break;
        default: { /* one of lab3-decode's multi-register and write-back forms */
            uint32_t io[5] = {a & ~3u, v, rng(), rng(), rng()};
            dcases[rng() % NCASES].fn(io);
        }
        }
    }
    trap_hook = 0;
    uart_init(uart_base); /* whatever the random writes did to it, the console works again */
    kprintf("hostile-mmio: 3000 random device accesses survived\n");
    test_pass(t);
    return 0;
}

/* ---- The VMM borrows the guest's PAR to fetch an instruction (ATS1CPR): the
 * guest must find its own PAR unchanged afterwards. An integration test of the
 * framework's guest_fetch.c (needs lab 3's reference to reach the decoder). */
static uint32_t guest_par(void)
{
    uint32_t lo, hi;
    __asm__ volatile("mrrc p15, 0, %0, %1, c7" : "=r"(lo), "=r"(hi));
    return lo;
}

PROGRAM(mmio_par, "mmio-par", "a decoded device access leaves the guest's PAR as it was")
{
    const char *t = "mmio-par";
    volatile uint8_t *d = testdev(t);
    if (!d)
        return 1;
    uint32_t va = 0x40200000u;
    __asm__ volatile("mcr p15, 0, %0, c7, c8, 0\n\tisb" ::"r"(va)); /* ATS1CPR: PAR = its result */
    uint32_t before = guest_par(), decoded0 = mmio_stat(MV_MMIO_STAT_DECODED);
    uint32_t io[5] = {(uint32_t)(uintptr_t)d + BASE, 0, 0, 0, 0};
    tk_a_ldrd(io); /* fetched and decoded */
    CHECK(t, mmio_stat(MV_MMIO_STAT_DECODED) == decoded0 + 1, "the LDRD was not decoded by the VMM");
    CHECK(t, guest_par() == before, "PAR changed from %#x to %#x across a decoded access", (unsigned)before,
          (unsigned)guest_par());
    test_pass(t);
    return 0;
}
