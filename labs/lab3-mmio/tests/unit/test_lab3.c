/* Lab 3 graded unit tests: MMIO emulation, instruction decoding, the decode cache and the virtual PL011
 * (minivmm/arch/arm/{mmio_emul,insn_decode,decode_cache}.c, minivmm/devices/vpl011.c); the grader runs
 * one tcase with CK_RUN_CASE=<name>.
 *
 * The expected values come from the ARM Architecture Reference Manual, ARMv7-A/R (DDI 0406C): the
 * data abort ISS (B3.13.6), the A32 load/store encodings (A5.3, A5.2.8, A5.5, A8.8.58 LDM...), the
 * T32 ones (A6.2.4, A6.3.5-A6.3.10), Shift_C() (A8.4.3), ITAdvance() (A2.5.2), exception entry
 * (B1.8.3); from the PL011 TRM (ARM DDI 0183, r1p5); and from the contracts in arch/mmio_emul.h,
 * arch/mem_insn.h and devices/vpl011.h. Every instruction word here was assembled with
 * arm-none-eabi-as -march=armv7-a (-mthumb for T32) and read back with objdump; the assembly is
 * next to it. Words written as ".inst" do not assemble (UNPREDICTABLE or UNDEFINED forms): objdump
 * shows what they are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <minivmm/vm.h>
#include <arch/hsr.h>
#include <arch/mem_insn.h>
#include <arch/mmio_emul.h>
#include <arch/regs.h>
#include <arch/traps.h>
#include <devices/vpl011.h>
#include "host_stubs.h"
#include "regfile.h"

/* ------------------------------------------------------------------ fixture */

#define PROBE_IPA     0x0a000000u /* the recording device's region (4 KiB) */
#define PROBE_SIZE    0x1000u
#define PROBE_REFUSE  0x800u      /* the device refuses every access in [0x800, 0xc00): a bus error */
#define PROBE_REFUSE_END 0xc00u
#define NO_DEVICE_IPA 0x0c000000u /* nothing there */
#define DEV_VA        0x70001000u /* where the guest maps the probe: same page offsets as the IPA */
#define CODE_VA       0x80010000u /* host_code[] as the guest sees it */
#define VBAR          0x80200000u
#define PC0           0x80004000u /* the faulting PC when nothing is fetched */
#define SVC_CPSR      0x60000013u
#define THUMB_SVC     (SVC_CPSR | PSR_T)

/* A device that records every access and keeps 4 KiB of little-endian memory. With `dirty`,
 * narrow reads come back with junk above the access width, which a load must not keep. */
struct access {
    uint32_t off;
    unsigned width;
    bool write;
    uint32_t val;
};
static struct probe {
    uint8_t mem[PROBE_SIZE];
    struct access log[64];
    unsigned n;
    bool dirty;
} probe;

static void probe_log(uint32_t off, unsigned width, bool write, uint32_t val)
{
    if (probe.n < ARRAY_SIZE(probe.log))
        probe.log[probe.n] = (struct access){off, width, write, val};
    probe.n++;
}

static bool probe_read(void *dev, uint32_t off, unsigned width, uint32_t *val)
{
    ck_assert_ptr_eq(dev, &probe);
    probe_log(off, width, false, 0);
    if (off >= PROBE_REFUSE && off < PROBE_REFUSE_END)
        return false;
    uint32_t x = 0;
    for (unsigned i = 0; i < width; i++)
        x |= (uint32_t)probe.mem[off + i] << (8 * i);
    if (probe.dirty && width < 4)
        x |= 0xdeadbeefu & ~((1u << (8 * width)) - 1);
    *val = x;
    return true;
}

static bool probe_write(void *dev, uint32_t off, unsigned width, uint32_t val)
{
    ck_assert_ptr_eq(dev, &probe);
    probe_log(off, width, true, val);
    if (off >= PROBE_REFUSE && off < PROBE_REFUSE_END)
        return false;
    for (unsigned i = 0; i < width; i++)
        probe.mem[off + i] = (uint8_t)(val >> (8 * i));
    return true;
}

static const struct mmio_ops probe_ops = {"probe", NULL, probe_read, probe_write, 0};

static uint32_t probe_get32(uint32_t off)
{
    return (uint32_t)probe.mem[off] | (uint32_t)probe.mem[off + 1] << 8 | (uint32_t)probe.mem[off + 2] << 16 |
           (uint32_t)probe.mem[off + 3] << 24;
}

static void probe_put(uint32_t off, unsigned width, uint32_t val)
{
    for (unsigned i = 0; i < width; i++)
        probe.mem[off + i] = (uint8_t)(val >> (8 * i));
}

/* The one access the probe saw. */
static void check_one_access(const char *what, uint32_t off, unsigned width, bool write, uint32_t val)
{
    ck_assert_msg(probe.n == 1, "%s: the device saw %u accesses, want 1", what, probe.n);
    const struct access *a = &probe.log[0];
    ck_assert_msg(a->off == off && a->width == width && a->write == write,
                  "%s: the device saw a %u-byte %s at offset %#x, want a %u-byte %s at %#x", what, a->width,
                  a->write ? "write" : "read", a->off, width, write ? "write" : "read", off);
    if (write)
        ck_assert_msg(a->val == val, "%s: the device was written %#x, want %#x", what, a->val, val);
}

static struct vm vm;
static struct vcpu *v;
static struct arm_regs *regs;
static struct vpl011 uart;

/* A fresh VM with the probe on its bus, for every test (each also runs in its own process). */
static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
    v = &vm.vcpu;
    v->vm = &vm;
    regs = &v->arch.regs;
    memset(host_guest_cp15, 0, G_CP15_COUNT * sizeof(uint32_t));
    host_guest_cp15[G_VBAR] = VBAR;
    console_reset();
    memset(&probe, 0, sizeof(probe));
    for (unsigned i = 0; i < PROBE_SIZE; i++)
        probe.mem[i] = (uint8_t)(i * 0x1d + 0x35); /* neighbouring bytes differ */
    ck_assert_int_eq(mmio_register(&vm.mmio, PROBE_IPA, PROBE_SIZE, &probe_ops, &probe), 0);
    memset(host_code, 0, HOST_CODE_SIZE);
    host_code_va = CODE_VA;
    host_fetches = 0;
    host_console_input = NULL;
    memset(&uart, 0, sizeof(uart));
}

static void teardown(void) {}

/* The whole register file: minivmm/tests/unit/regfile.c. */
static void fill_regs(uint32_t cpsr, uint32_t pc) { regfile_fill(regs, cpsr, pc); }
static void check_regs(const struct arm_regs *want, const char *what)
{
    char ctx[160];
    snprintf(ctx, sizeof(ctx), "%s: ", what);
    regfile_check(regs, want, ctx);
}

/* ITSTATE lives in CPSR bits 26:25 (IT[1:0]) and 15:10 (IT[7:2]) (ARM ARM A2.5.2). */
static uint32_t put_it(uint32_t cpsr, uint32_t it)
{
    return (cpsr & ~PSR_IT_MASK) | (it & 0x3u) << 25 | (it >> 2 & 0x3fu) << 10;
}

/* --------------------------------------------------------- mem_insn values */

#define LD true
#define ST false
enum { P = 4, U = 2, W = 1 };           /* the P, U and W bits of a single or dual transfer */
enum { IA, IB, DA, DB };                /* LDM/STM suffixes */

/* A single transfer with an immediate offset; post-indexed (no P) always writes back. */
static struct mem_insn xfer(unsigned len, bool load, unsigned width, bool sign, unsigned rt, unsigned rn,
                            unsigned puw, uint32_t imm)
{
    struct mem_insn m;
    memset(&m, 0, sizeof(m));
    m.len = (uint8_t)len;
    m.load = load;
    m.width = (uint8_t)width;
    m.sign = sign;
    m.nregs = 1;
    m.rt[0] = (uint8_t)rt;
    m.rn = (uint8_t)rn;
    m.mode = AM_OFFSET;
    m.index = (puw & P) != 0;
    m.add = (puw & U) != 0;
    m.wback = !(puw & P) || (puw & W);
    m.imm = imm;
    return m;
}

/* The same with a register offset, Rm shifted by n (0: not shifted). */
static struct mem_insn xfer_reg(unsigned len, bool load, unsigned width, bool sign, unsigned rt, unsigned rn,
                                unsigned puw, unsigned rm, unsigned shift, unsigned n)
{
    struct mem_insn m = xfer(len, load, width, sign, rt, rn, puw, 0);
    m.reg_offset = true;
    m.rm = (uint8_t)rm;
    m.shift = (uint8_t)shift;
    m.shift_n = (uint8_t)n;
    return m;
}

/* LDRD/STRD: two words, Rt then Rt2. */
static struct mem_insn dual(struct mem_insn m, unsigned rt2)
{
    m.nregs = 2;
    m.rt[1] = (uint8_t)rt2;
    return m;
}

/* LDM/STM: one word per listed register, lowest register first. */
static struct mem_insn multi(unsigned len, bool load, unsigned rn, uint32_t list, unsigned kind, bool wback)
{
    struct mem_insn m;
    memset(&m, 0, sizeof(m));
    m.len = (uint8_t)len;
    m.load = load;
    m.width = 4;
    m.rn = (uint8_t)rn;
    m.mode = AM_MULTI;
    m.add = kind == IA || kind == IB;
    m.index = kind == IB || kind == DB;
    m.wback = wback;
    for (unsigned r = 0; r < 16; r++)
        if (list & (1u << r))
            m.rt[m.nregs++] = (uint8_t)r;
    return m;
}

/* A decoded instruction against the expected one, in the fields that mean something for it
 * (sign only for narrow loads; the shift type only when there is a shift; imm or Rm, not both). */
static void check_insn(const char *what, const struct mem_insn *g, const struct mem_insn *w)
{
#define SAME(f)                                                                                                \
    ck_assert_msg(g->f == w->f, "%s: ." #f " is %u, want %u", what, (unsigned)g->f, (unsigned)w->f)
    SAME(len);
    SAME(load);
    SAME(width);
    SAME(nregs);
    for (unsigned i = 0; i < w->nregs; i++)
        ck_assert_msg(g->rt[i] == w->rt[i], "%s: .rt[%u] is %u, want %u", what, i, g->rt[i], w->rt[i]);
    SAME(rn);
    SAME(mode);
    if (w->load && w->width < 4)
        SAME(sign);
    SAME(add);
    SAME(index);
    SAME(wback);
    if (w->mode == AM_OFFSET) {
        SAME(reg_offset);
        if (w->reg_offset) {
            SAME(rm);
            SAME(shift_n);
            if (w->shift_n)
                SAME(shift);
        } else {
            SAME(imm);
        }
    }
#undef SAME
}

/* ============================================================== isv ======= */

/* ISS of a data abort (B3.13.6): ISV 24, SAS 23:22, SSE 21, SRT 19:16, WnR 6, DFSC 5:0. */
#define ISS_ISV (1u << 24)
#define ISS_WNR (1u << 6)
#define DFSC_TRANSLATION_L2 0x06u

static uint32_t isv_hsr(unsigned sas, bool sse, unsigned srt, bool write, bool il32)
{
    return (uint32_t)EC_DABT_LOW << HSR_EC_SHIFT | (il32 ? HSR_IL : 0) | ISS_ISV | sas << 22 |
           (sse ? 1u << 21 : 0) | srt << 16 | (write ? ISS_WNR : 0) | DFSC_TRANSLATION_L2;
}

/* A data abort without a syndrome (ISV = 0): minivmm must fetch and decode the instruction. */
static uint32_t noisv_hsr(bool write)
{
    return (uint32_t)EC_DABT_LOW << HSR_EC_SHIFT | HSR_IL | (write ? ISS_WNR : 0) | DFSC_TRANSLATION_L2;
}

/* One syndrome: every field the ISS gives must come out as it says. */
static void isv_case(unsigned sas, bool sse, unsigned srt, bool wnr, bool il32)
{
    uint32_t hsr = isv_hsr(sas, sse, srt, wnr, il32);
    struct mem_insn m;
    memset(&m, 0xa5, sizeof(m)); /* fields the decoder does not set are junk */
    ck_assert_msg(mmio_decode_isv(hsr, &m), "mmio_decode_isv(%#010x) returned false", hsr);
    ck_assert_msg(m.load == !wnr, "HSR %#010x (WnR %d): .load %d, want %d", hsr, wnr, m.load, !wnr);
    ck_assert_msg(m.width == 1u << sas, "HSR %#010x (SAS %u): .width %u, want %u", hsr, sas, m.width, 1u << sas);
    ck_assert_msg(m.nregs == 1 && m.rt[0] == srt, "HSR %#010x (SRT %u): .nregs %u, .rt[0] %u, want one register, "
                  "r%u", hsr, srt, m.nregs, m.rt[0], srt);
    ck_assert_msg(m.len == (il32 ? 4 : 2), "HSR %#010x (IL %d): .len %u, want %u", hsr, il32, m.len, il32 ? 4 : 2);
    ck_assert_msg(!m.wback, "HSR %#010x: an access from the syndrome has no write-back", hsr);
    if (!wnr && sas < 2)
        ck_assert_msg(m.sign == sse, "HSR %#010x (SSE %d): .sign %d, want %d", hsr, sse, m.sign, sse);
}

START_TEST(test_isv_decode_all_fields)
{
    for (unsigned sas = 0; sas < 3; sas++)
        for (unsigned srt = 0; srt < 15; srt++)
            for (unsigned flags = 0; flags < 8; flags++) /* SSE, WnR, IL */
                isv_case(sas, flags & 1, srt, flags & 2, flags & 4);
}
END_TEST

START_TEST(test_isv_clear)
{
    struct mem_insn m;
    for (unsigned sas = 0; sas < 3; sas++)
        for (unsigned srt = 0; srt < 15; srt += 7)
            for (unsigned wnr = 0; wnr < 2; wnr++) {
                uint32_t hsr = isv_hsr(sas, true, srt, wnr, true) & ~ISS_ISV;
                ck_assert_msg(!mmio_decode_isv(hsr, &m), "mmio_decode_isv(%#010x): ISV is clear, want false", hsr);
            }
    ck_assert(!mmio_decode_isv(noisv_hsr(false), &m));
    ck_assert(!mmio_decode_isv(noisv_hsr(true), &m));
}
END_TEST

/* ------------------------------------------------------------ mmio_execute */

/* A single load or store to or from rt, nothing written back. */
static struct mem_insn one(bool load, unsigned width, bool sign, unsigned rt, unsigned len)
{
    return xfer(len, load, width, sign, rt, 12, P | U, 0);
}

/* mmio_execute of a one-register load from probe offset 0x40 holding `dev`: rt must become
 * `want`, the PC step 4, and nothing else change. */
static void load_case(const char *what, unsigned width, bool sign, uint32_t dev, uint32_t want, unsigned rt)
{
    fill_regs(SVC_CPSR, PC0);
    probe.n = 0;
    probe_put(0x40, width, dev);
    struct mem_insn m = one(LD, width, sign, rt, 4);
    struct arm_regs w = *regs;
    w.r[rt] = want;
    w.pc = PC0 + 4;
    ck_assert_msg(mmio_execute(v, &m, PROBE_IPA + 0x40), "%s: mmio_execute returned false", what);
    ck_assert_msg(regs->r[rt] == want, "%s of %#x: r%u is %#010x, want %#010x", what, dev, rt, regs->r[rt], want);
    check_regs(&w, what);
    check_one_access(what, 0x40, width, false, 0);
}

static void load_widths(void)
{
    load_case("LDRB", 1, false, 0x80, 0x00000080u, 0);
    load_case("LDRB", 1, false, 0xff, 0x000000ffu, 1);
    load_case("LDRSB", 1, true, 0x80, 0xffffff80u, 2);
    load_case("LDRSB", 1, true, 0x7f, 0x0000007fu, 3);
    load_case("LDRH", 2, false, 0x8001, 0x00008001u, 4);
    load_case("LDRSH", 2, true, 0x8001, 0xffff8001u, 5);
    load_case("LDRSH", 2, true, 0x7ffe, 0x00007ffeu, 6);
    load_case("LDR", 4, false, 0x89abcdefu, 0x89abcdefu, 7);
    load_case("LDR", 4, false, 0x00000001u, 0x00000001u, 12);
}

START_TEST(test_execute_loads_extend)
{
    load_widths();
}
END_TEST

START_TEST(test_execute_narrow_load_ignores_upper_bits)
{
    /* A device may answer a narrow read with more bits than asked for: a zero-extended load
     * still has zeros above the access width, a sign-extended one copies the access's top bit. */
    probe.dirty = true;
    load_widths();
}
END_TEST

/* mmio_execute of a one-register store from rt (holding val) to probe offset off. */
static void store_case(const char *what, unsigned width, unsigned rt, uint32_t val, uint32_t off)
{
    fill_regs(SVC_CPSR, PC0);
    regs->r[rt] = val;
    probe.n = 0;
    uint8_t after = probe.mem[off + width];
    struct mem_insn m = one(ST, width, false, rt, 4);
    struct arm_regs w = *regs;
    w.pc = PC0 + 4;
    ck_assert_msg(mmio_execute(v, &m, PROBE_IPA + off), "%s: mmio_execute returned false", what);
    check_regs(&w, what);
    uint32_t mask = width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
    check_one_access(what, off, width, true, val & mask);
    ck_assert_msg(probe.mem[off + width] == after, "%s: the byte after the store changed", what);
}

START_TEST(test_execute_stores_truncate)
{
    store_case("STRB", 1, 3, 0x12345678u, 0x21);
    store_case("STRH", 2, 0, 0xcafebeefu, 0x42);
    store_case("STR", 4, 11, 0x89abcdefu, 0x44);
    store_case("STRB", 1, 9, 0x000000ffu, 0x7f);
}
END_TEST

START_TEST(test_execute_pc_steps)
{
    /* ARM: 4; Thumb: 2 or 4 as .len says, halfword-aligned; T and the mode stay. */
    const struct { uint32_t cpsr, pc; unsigned len; } cases[] = {
        {SVC_CPSR, 0x80001000u, 4},
        {THUMB_SVC, 0x80001002u, 2},
        {THUMB_SVC, 0x80001002u, 4},
        {0x0000001fu | PSR_T, 0x80001ffeu, 2}, /* System mode */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        fill_regs(cases[i].cpsr, cases[i].pc);
        struct mem_insn m = one(LD, 4, false, 1, cases[i].len);
        struct arm_regs w = *regs;
        w.r[1] = probe_get32(0x10);
        w.pc = cases[i].pc + cases[i].len;
        ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x10));
        check_regs(&w, cases[i].len == 4 ? "a 4-byte instruction" : "a 2-byte Thumb instruction");
    }
}
END_TEST

START_TEST(test_execute_itstate)
{
    /* Inside an IT block the ITSTATE advances as for any emulated instruction (ITAdvance, A2.5.2). */
    const struct { uint32_t from, to; unsigned len; } steps[] = {
        {0x0c, 0x18, 2}, /* ITE EQ, first slot -> the NE slot */
        {0x18, 0x00, 2}, /* last slot: the block ends */
        {0x1f, 0x1e, 4}, /* ITTTT NE, a 32-bit instruction */
        {0xcb, 0xd6, 4}, /* ITETE GT: IT[7:5] stay */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(steps); i++) {
        uint32_t cpsr = put_it(THUMB_SVC, steps[i].from);
        fill_regs(cpsr, 0x80003000u);
        struct mem_insn m = one(ST, 2, false, 4, steps[i].len);
        struct arm_regs w = *regs;
        w.pc = 0x80003000u + steps[i].len;
        w.cpsr = put_it(THUMB_SVC, steps[i].to);
        ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x10));
        ck_assert_msg(regs->cpsr == w.cpsr, "ITSTATE %#04x: CPSR %#010x after the store, want %#010x",
                      steps[i].from, regs->cpsr, w.cpsr);
        check_regs(&w, "a store in an IT block");
    }
}
END_TEST

/* A load into register n in the given mode must land in the banked register at `field`. */
static void banked_load(uint32_t mode, unsigned n, size_t field, const char *name)
{
    fill_regs(0x60000000u | mode, PC0);
    probe_put(0x80, 4, 0x600df00du + n);
    struct mem_insn m = one(LD, 4, false, n, 4);
    struct arm_regs w = *regs;
    memcpy((char *)&w + field, &(uint32_t){0x600df00du + n}, sizeof(uint32_t));
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x80));
    char what[64];
    snprintf(what, sizeof(what), "a load into r%u in mode %#x (%s)", n, mode, name);
    check_regs(&w, what);
}

START_TEST(test_execute_banked_registers)
{
    banked_load(PSR_MODE_SVC, 13, offsetof(struct arm_regs, sp_svc), "sp_svc");
    banked_load(PSR_MODE_SVC, 14, offsetof(struct arm_regs, lr_svc), "lr_svc");
    banked_load(PSR_MODE_IRQ, 14, offsetof(struct arm_regs, lr_irq), "lr_irq");
    banked_load(PSR_MODE_ABT, 13, offsetof(struct arm_regs, sp_abt), "sp_abt");
    banked_load(PSR_MODE_UND, 13, offsetof(struct arm_regs, sp_und), "sp_und");
    banked_load(PSR_MODE_SYS, 13, offsetof(struct arm_regs, sp_usr), "sp_usr");
    banked_load(PSR_MODE_USR, 14, offsetof(struct arm_regs, lr_usr), "lr_usr");
    banked_load(PSR_MODE_FIQ, 8, offsetof(struct arm_regs, r8_fiq[0]), "r8_fiq");
    banked_load(PSR_MODE_FIQ, 12, offsetof(struct arm_regs, r8_fiq[4]), "r12_fiq");
    banked_load(PSR_MODE_FIQ, 7, offsetof(struct arm_regs, r[7]), "r7");

    /* and a store reads the banked register: STR sp in Abort mode writes sp_abt */
    fill_regs(0x600001d7u, PC0);
    probe.n = 0;
    struct mem_insn m = one(ST, 4, false, 13, 4);
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x84));
    check_one_access("STR sp in Abort mode", 0x84, 4, true, regs->sp_abt);
}
END_TEST

START_TEST(test_execute_multiple_items)
{
    /* LDM r0, {r1, r2, r3}: consecutive words, lowest register first, no write-back. */
    fill_regs(SVC_CPSR, PC0);
    struct mem_insn m = multi(4, LD, 0, 0x000e, IA, false);
    struct arm_regs w = *regs;
    w.r[1] = probe_get32(0x100);
    w.r[2] = probe_get32(0x104);
    w.r[3] = probe_get32(0x108);
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x100));
    check_regs(&w, "LDM r0, {r1-r3}");
    ck_assert_msg(probe.n == 3, "LDM of 3 registers: %u device accesses, want 3", probe.n);

    /* STM r1, {r2, lr} in IRQ mode: r2 at the lower address, lr_irq above it. */
    fill_regs(0x60000092u, PC0);
    m = multi(4, ST, 1, 0x4004, IA, false);
    w = *regs;
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x200));
    check_regs(&w, "STM r1, {r2, lr}");
    ck_assert_msg(probe_get32(0x200) == regs->r[2] && probe_get32(0x204) == regs->lr_irq,
                  "STM r1, {r2, lr}: the device holds %#x, %#x, want r2 %#x, lr_irq %#x", probe_get32(0x200),
                  probe_get32(0x204), regs->r[2], regs->lr_irq);

    /* LDRD r4, r5, [r6, #8]: two words, Rt at the lower address. */
    fill_regs(SVC_CPSR, PC0);
    m = dual(xfer(4, LD, 4, false, 4, 6, P | U, 8), 5);
    w = *regs;
    w.r[4] = probe_get32(0x308);
    w.r[5] = probe_get32(0x30c);
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x308));
    check_regs(&w, "LDRD r4, r5, [r6, #8]");

    /* fourteen registers: LDM r0, {r0-r12, r14} in SVC mode (r14 is lr_svc) */
    fill_regs(SVC_CPSR, PC0);
    m = multi(4, LD, 0, 0x5fff, IA, false);
    w = *regs;
    for (unsigned i = 0; i < 13; i++)
        w.r[i] = probe_get32(0x400 + 4 * i);
    w.lr_svc = probe_get32(0x400 + 4 * 13);
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x400));
    check_regs(&w, "LDM r0, {r0-r12, lr}");
}
END_TEST

/* A refused access: mmio_execute returns false and no register, not even the PC, changes. */
static void refused(const char *what, const struct mem_insn *m, uint32_t ipa)
{
    struct arm_regs w = *regs;
    ck_assert_msg(!mmio_execute(v, m, ipa), "%s at IPA %#x: mmio_execute returned true, want false", what, ipa);
    check_regs(&w, what);
}

START_TEST(test_execute_refused)
{
    fill_regs(SVC_CPSR, PC0);
    struct mem_insn m = one(LD, 4, false, 1, 4);
    refused("a load the device refuses", &m, PROBE_IPA + PROBE_REFUSE);
    refused("a load where no device is", &m, NO_DEVICE_IPA);
    m = one(ST, 1, false, 1, 4);
    refused("a store the device refuses", &m, PROBE_IPA + PROBE_REFUSE + 3);
    m = one(LD, 2, true, 13, 2);
    refused("a Thumb LDRSH into sp the device refuses", &m, PROBE_IPA + PROBE_REFUSE + 2);

    /* The third of four words is refused: the first two were read, but nothing is loaded. */
    m = multi(4, LD, 0, 0x001e, IA, false);
    refused("LDM r0, {r1-r4} refused at the third word", &m, PROBE_IPA + PROBE_REFUSE - 8);
    /* the base is one of the registers: it must keep its value too */
    m = multi(4, LD, 0, 0x0003, IA, false);
    refused("LDM r0, {r0, r1} refused at the second word", &m, PROBE_IPA + PROBE_REFUSE - 4);
    /* The second word lies past the end of the device's region. */
    m = multi(2, LD, 0, 0x0006, IA, false);
    refused("LDM r0, {r1, r2} running off the device", &m, PROBE_IPA + PROBE_SIZE - 4);
    m = dual(xfer(4, LD, 4, false, 0, 6, P | U, 8), 1);
    refused("LDRD r0, r1, [r6, #8] refused at the second word", &m, PROBE_IPA + PROBE_REFUSE - 4);
}
END_TEST

/* ------------------------------------------------------- mmio_handle_abort */

/* The VM as minivmm sets it up for lab 3: the decode cache on or off. */
static void abort_setup(bool cache)
{
    vm.decode_cache = cache;
    decode_cache_init(&vm.arch.dcache, cache);
}

/* The guest's code at CODE_VA + off, little-endian. */
static void code_arm(uint32_t off, uint32_t insn)
{
    for (unsigned i = 0; i < 4; i++)
        host_code[off + i] = (uint8_t)(insn >> (8 * i));
}

static void code_thumb(uint32_t off, uint16_t hw)
{
    host_code[off] = (uint8_t)hw;
    host_code[off + 1] = (uint8_t)(hw >> 8);
}

/* A data abort at guest VA va (HDFAR) in the probe's page: the IPA has the same page offset. */
static enum exit_action abort_at(uint32_t hsr, uint32_t va)
{
    uint32_t ipa = PROBE_IPA + (va - DEV_VA);
    v->arch.hsr = hsr;
    v->arch.hdfar = va;
    v->arch.hpfar = (ipa >> 12) << 4;
    return mmio_handle_abort(v, hsr, ipa);
}

static void check_stats(const char *what, uint64_t isv, uint64_t decoded, uint64_t refused)
{
    const struct mmio_emul_stats *s = &vm.arch.mmio_stats;
    ck_assert_msg(s->isv == isv && s->decoded == decoded && s->refused == refused,
                  "%s: mmio_stats {isv %llu, decoded %llu, refused %llu}, want {%llu, %llu, %llu}", what,
                  (unsigned long long)s->isv, (unsigned long long)s->decoded, (unsigned long long)s->refused,
                  (unsigned long long)isv, (unsigned long long)decoded, (unsigned long long)refused);
}

/* The guest took a synchronous external abort at the faulting instruction (B1.8.3, B3.13.3):
 * Abort mode at VBAR + 0x10, LR_abt = PC + 8, SPSR_abt the old CPSR, DFAR = HDFAR, and
 * DFSR = 0b01000 (short descriptors) with WnR; no other register changed. */
static void check_external_abort(const char *what, const struct arm_regs *before, uint32_t va, uint32_t dfsr)
{
    ck_assert_msg((regs->cpsr & PSR_MODE_MASK) == PSR_MODE_ABT, "%s: mode %#x, want Abort (0x17)", what,
                  regs->cpsr & PSR_MODE_MASK);
    ck_assert_msg(regs->pc == VBAR + 0x10, "%s: PC %#010x, want the data abort vector %#010x", what, regs->pc,
                  VBAR + 0x10);
    ck_assert_msg(host_guest_cp15[G_DFAR] == va, "%s: DFAR %#010x, want HDFAR %#010x", what,
                  host_guest_cp15[G_DFAR], va);
    ck_assert_msg(host_guest_cp15[G_DFSR] == dfsr, "%s: DFSR %#x, want %#x (synchronous external abort)", what,
                  host_guest_cp15[G_DFSR], dfsr);
    struct arm_regs w = *before;
    w.cpsr = regs->cpsr;
    w.pc = VBAR + 0x10;
    w.lr_abt = before->pc + 8;
    w.spsr_abt = before->cpsr;
    check_regs(&w, what);
}

/* The isv tests leave the decode cache as setup() made it (zeroed: disabled) and never
 * call decode_cache_init: the syndrome path must not need Task 4. */

START_TEST(test_abort_no_device)
{
    fill_regs(SVC_CPSR, PC0);
    struct arm_regs w = *regs;
    v->arch.hdfar = 0x7f000040u;
    enum exit_action a = mmio_handle_abort(v, isv_hsr(2, false, 1, false, true), NO_DEVICE_IPA + 0x40);
    ck_assert_msg(a == EXIT_UNHANDLED, "no device at the IPA: returned %d, want EXIT_UNHANDLED", a);
    check_regs(&w, "an abort where no device is");
    a = mmio_handle_abort(v, noisv_hsr(true), NO_DEVICE_IPA);
    ck_assert_msg(a == EXIT_UNHANDLED, "no device at the IPA (ISV clear): returned %d, want EXIT_UNHANDLED", a);
    check_regs(&w, "an abort where no device is");
    /* just past the probe's region */
    a = mmio_handle_abort(v, isv_hsr(2, false, 1, false, true), PROBE_IPA + PROBE_SIZE);
    ck_assert_msg(a == EXIT_UNHANDLED, "IPA just past the device: returned %d, want EXIT_UNHANDLED", a);
    check_regs(&w, "an abort just past the device");
    check_stats("no device", 0, 0, 0);
    ck_assert_uint_eq(probe.n, 0);
    ck_assert_msg(host_guest_cp15[G_DFSR] == 0 && host_guest_cp15[G_DFAR] == 0,
                  "no device: the abort is lab 2's business, but DFSR/DFAR were written");
}
END_TEST

START_TEST(test_abort_isv)
{
    /* LDR r5 (SAS word, IL 1) */
    fill_regs(SVC_CPSR, PC0);
    probe_put(0x30, 4, 0xcafef00du);
    struct arm_regs w = *regs;
    w.r[5] = 0xcafef00du;
    w.pc = PC0 + 4;
    ck_assert_int_eq(abort_at(isv_hsr(2, false, 5, false, true), DEV_VA + 0x30), EXIT_RESUME);
    check_regs(&w, "ISV word load into r5");
    check_stats("ISV word load", 1, 0, 0);

    /* a 16-bit Thumb STRB from r14 in SVC mode: lr_svc's low byte, PC + 2 */
    fill_regs(THUMB_SVC, PC0 + 2);
    probe.n = 0;
    w = *regs;
    w.pc = PC0 + 4;
    ck_assert_int_eq(abort_at(isv_hsr(0, false, 14, true, false), DEV_VA + 0x33), EXIT_RESUME);
    check_regs(&w, "ISV Thumb byte store from r14");
    check_one_access("ISV Thumb byte store from r14", 0x33, 1, true, regs->lr_svc & 0xff);
    check_stats("two ISV accesses", 2, 0, 0);

    /* LDRSH into r13 in IRQ mode */
    fill_regs(0x60000092u, PC0);
    probe_put(0x36, 2, 0x8123);
    w = *regs;
    w.sp_irq = 0xffff8123u;
    w.pc = PC0 + 4;
    ck_assert_int_eq(abort_at(isv_hsr(1, true, 13, false, true), DEV_VA + 0x36), EXIT_RESUME);
    check_regs(&w, "ISV LDRSH into sp_irq");

    /* LDRB (zero-extended) into r8 in FIQ mode */
    fill_regs(0x600000d1u, PC0);
    probe_put(0x3b, 1, 0xfe);
    w = *regs;
    w.r8_fiq[0] = 0xfe;
    w.pc = PC0 + 4;
    ck_assert_int_eq(abort_at(isv_hsr(0, false, 8, false, true), DEV_VA + 0x3b), EXIT_RESUME);
    check_regs(&w, "ISV LDRB into r8_fiq");
    check_stats("four ISV accesses", 4, 0, 0);
    ck_assert_msg(host_fetches == 0, "the syndrome says everything: %u instruction fetches, want 0", host_fetches);
}
END_TEST

START_TEST(test_abort_isv_refused)
{
    /* The device refuses: the guest takes an external abort, r5 is not loaded, the PC stays. */
    fill_regs(SVC_CPSR, PC0);
    struct arm_regs before = *regs;
    ck_assert_int_eq(abort_at(isv_hsr(2, false, 5, false, true), DEV_VA + PROBE_REFUSE), EXIT_RESUME);
    check_external_abort("an ISV load the device refuses", &before, DEV_VA + PROBE_REFUSE, 0x008);
    ck_assert_uint_eq(vm.arch.mmio_stats.refused, 1);

    fill_regs(SVC_CPSR, PC0);
    before = *regs;
    ck_assert_int_eq(abort_at(isv_hsr(0, false, 2, true, true), DEV_VA + PROBE_REFUSE + 1), EXIT_RESUME);
    check_external_abort("an ISV store the device refuses", &before, DEV_VA + PROBE_REFUSE + 1, 0x808);
    ck_assert_uint_eq(vm.arch.mmio_stats.refused, 2);

    /* a long-descriptor guest (TTBCR.EAE) gets the LPAE format: 0b010000, bit 9 set */
    host_guest_cp15[G_TTBCR] = 1u << 31;
    fill_regs(SVC_CPSR, PC0);
    before = *regs;
    ck_assert_int_eq(abort_at(isv_hsr(1, false, 3, true, true), DEV_VA + PROBE_REFUSE + 2), EXIT_RESUME);
    check_external_abort("an ISV store refused, LPAE guest", &before, DEV_VA + PROBE_REFUSE + 2, 0xa10);
    ck_assert_uint_eq(vm.arch.mmio_stats.refused, 3);
}
END_TEST

START_TEST(test_abort_big_endian)
{
    /* minivmm's bus is little-endian: with CPSR.E set (big-endian data) nothing is emulated */
    fill_regs(SVC_CPSR | PSR_E, PC0);
    struct arm_regs before = *regs;
    ck_assert_int_eq(abort_at(isv_hsr(2, false, 5, false, true), DEV_VA + 0x30), EXIT_RESUME);
    check_external_abort("an ISV load with CPSR.E set", &before, DEV_VA + 0x30, 0x008);
    ck_assert_uint_eq(vm.arch.mmio_stats.refused, 1);
    ck_assert_msg(probe.n == 0, "a big-endian access reached the device");
}
END_TEST

/* An ISV = 0 abort at the instruction at CODE_VA + off (already in host_code): it must be
 * emulated, giving `want`, and counted as decoded (once per instruction, not per item). */
static void decoded(const char *what, uint32_t off, uint32_t va, bool write, const struct arm_regs *want)
{
    regs->pc = CODE_VA + off;
    uint64_t n = vm.arch.mmio_stats.decoded;
    enum exit_action a = abort_at(noisv_hsr(write), va);
    ck_assert_msg(a == EXIT_RESUME, "%s: returned %d, want EXIT_RESUME", what, a);
    check_regs(want, what);
    check_stats(what, 0, n + 1, 0);
}

/* An ISV = 0 abort minivmm must not emulate: counted as refused, an external abort injected,
 * the device untouched. r1 and r2 hold DEV_VA + 0x40 for the instructions that use them. */
static void not_emulated(const char *what, uint32_t pc, uint32_t cpsr, uint32_t va, bool write, uint32_t dfsr)
{
    fill_regs(cpsr, pc);
    regs->r[1] = DEV_VA + 0x40;
    regs->r[2] = DEV_VA + 0x40;
    probe.n = 0;
    struct arm_regs before = *regs;
    uint64_t n = vm.arch.mmio_stats.refused;
    ck_assert_int_eq(abort_at(noisv_hsr(write), va), EXIT_RESUME);
    check_external_abort(what, &before, va, dfsr);
    ck_assert_msg(vm.arch.mmio_stats.refused == n + 1, "%s: mmio_stats.refused %llu, want %llu", what,
                  (unsigned long long)vm.arch.mmio_stats.refused, (unsigned long long)n + 1);
    ck_assert_msg(vm.arch.mmio_stats.decoded == 0, "%s: counted as decoded", what);
    ck_assert_msg(probe.n == 0, "%s: the device saw %u accesses, want none", what, probe.n);
}

/* ============================================================ address ===== */

#define BASE 0x70001000u

/* mem_insn_address: the first address, and the base's value after the instruction (given
 * whether or not m writes back: the caller decides); it reads the registers but changes none. */
static void addr(const char *what, const struct mem_insn *m, uint32_t first, uint32_t new_base)
{
    struct arm_regs w = *regs;
    uint32_t got_first = 0xdeadbeefu, got_base = 0xdeadbeefu;
    mem_insn_address(m, regs, &got_first, &got_base);
    ck_assert_msg(got_first == first, "%s: first address %#010x, want %#010x", what, got_first, first);
    ck_assert_msg(got_base == new_base, "%s: new base %#010x, want %#010x", what, got_base, new_base);
    check_regs(&w, what);
}

/* A load with an immediate offset from Rn = r2 (BASE) whose offset address is `offset_addr`:
 * the access is there (or at Rn, post-indexed), and the base's new value is it. */
static void imm_addr(const char *what, unsigned puw, uint32_t imm, uint32_t offset_addr)
{
    fill_regs(SVC_CPSR, PC0);
    regs->r[2] = BASE;
    struct mem_insn m = xfer(4, LD, 4, false, 1, 2, puw, imm);
    addr(what, &m, (puw & P) ? offset_addr : BASE, offset_addr);
}

START_TEST(test_address_imm)
{
    imm_addr("[r2, #0x10]", P | U, 0x10, BASE + 0x10);
    imm_addr("[r2, #-0x10]", P, 0x10, BASE - 0x10);
    imm_addr("[r2, #0x10]!", P | U | W, 0x10, BASE + 0x10);
    imm_addr("[r2, #-0x10]!", P | W, 0x10, BASE - 0x10);
    imm_addr("[r2], #0x10", U, 0x10, BASE + 0x10);
    imm_addr("[r2], #-0x10", 0, 0x10, BASE - 0x10);
    imm_addr("[r2, #0]", P | U, 0, BASE);
    imm_addr("[r2, #0xfff]!", P | U | W, 0xfff, BASE + 0xfff);
    imm_addr("[r2, #-1020]!", P | W, 1020, BASE - 1020);

    /* the arithmetic wraps */
    fill_regs(SVC_CPSR, PC0);
    regs->r[2] = 0x10;
    struct mem_insn m = xfer(4, LD, 4, false, 1, 2, P | W, 0x20);
    addr("[r2 = 0x10, #-0x20]!", &m, 0xfffffff0u, 0xfffffff0u);
    m = xfer(4, LD, 4, false, 1, 2, U, 0x20);
    regs->r[2] = 0xfffffff0u;
    addr("[r2 = 0xfffffff0], #0x20", &m, 0xfffffff0u, 0x10);
}
END_TEST

/* The same with a register offset: Rm = r3 holds rm_val, shifted by `shift` #n; `offset` is
 * the value the shift must give. */
static void reg_addr(const char *what, unsigned puw, uint32_t rm_val, unsigned shift, unsigned n, uint32_t offset)
{
    fill_regs(SVC_CPSR, PC0);
    regs->r[2] = BASE;
    regs->r[3] = rm_val;
    struct mem_insn m = xfer_reg(4, LD, 4, false, 1, 2, puw, 3, shift, n);
    uint32_t offset_addr = (puw & U) ? BASE + offset : BASE - offset;
    addr(what, &m, (puw & P) ? offset_addr : BASE, offset_addr);
}

START_TEST(test_address_reg)
{
    /* Shift_C() (A8.4.3), with LSR/ASR #32 as DecodeImmShift() gives them */
    reg_addr("[r2, r3]", P | U, 0x123, SHIFT_LSL, 0, 0x123);
    reg_addr("[r2, -r3]", P, 0x123, SHIFT_LSL, 0, 0x123);
    reg_addr("[r2, r3, lsl #2] (r3 0x40000001)", P | U, 0x40000001u, SHIFT_LSL, 2, 0x00000004u);
    reg_addr("[r2, r3, lsl #31] (r3 3)", P | U, 3, SHIFT_LSL, 31, 0x80000000u);
    reg_addr("[r2, r3, lsr #4] (r3 0x80000010)", P | U, 0x80000010u, SHIFT_LSR, 4, 0x08000001u);
    reg_addr("[r2, r3, lsr #1] (r3 0xffffffff)", P | U, 0xffffffffu, SHIFT_LSR, 1, 0x7fffffffu);
    reg_addr("[r2, r3, lsr #32] (r3 0xffffffff)", P | U, 0xffffffffu, SHIFT_LSR, 32, 0);
    reg_addr("[r2, r3, asr #4] (r3 0x80000010)", P | U, 0x80000010u, SHIFT_ASR, 4, 0xf8000001u);
    reg_addr("[r2, r3, asr #4] (r3 0x70000010)", P | U, 0x70000010u, SHIFT_ASR, 4, 0x07000001u);
    reg_addr("[r2, r3, asr #31] (r3 0x80000000)", P | U, 0x80000000u, SHIFT_ASR, 31, 0xffffffffu);
    reg_addr("[r2, r3, asr #32] (r3 0x80000010)", P | U, 0x80000010u, SHIFT_ASR, 32, 0xffffffffu);
    reg_addr("[r2, r3, asr #32] (r3 0x7fffffff)", P | U, 0x7fffffffu, SHIFT_ASR, 32, 0);
    reg_addr("[r2, r3, ror #8] (r3 0x12345678)", P | U, 0x12345678u, SHIFT_ROR, 8, 0x78123456u);
    reg_addr("[r2, r3, ror #1] (r3 0x00000003)", P | U, 0x00000003u, SHIFT_ROR, 1, 0x80000001u);
    reg_addr("[r2, -r3, ror #31] (r3 0x80000001)", P, 0x80000001u, SHIFT_ROR, 31, 0x00000003u);
    reg_addr("[r2, r3, lsl #2]!", P | U | W, 0x10, SHIFT_LSL, 2, 0x40);
    reg_addr("[r2, -r3, asr #1]!", P | W, 0x20, SHIFT_ASR, 1, 0x10);
    reg_addr("[r2], r3, lsl #3", U, 0x3, SHIFT_LSL, 3, 0x18);
    reg_addr("[r2], -r3, lsr #1", 0, 0x3, SHIFT_LSR, 1, 1);
}
END_TEST

START_TEST(test_address_banked)
{
    /* Rn = sp in SVC mode is sp_svc, not sp_usr */
    fill_regs(SVC_CPSR, PC0);
    regs->sp_svc = BASE;
    regs->sp_usr = 0x10000000u;
    struct mem_insn m = xfer(4, ST, 4, false, 1, 13, P | W, 8);
    addr("[sp, #-8]! in SVC mode", &m, BASE - 8, BASE - 8);

    /* Rn = r8 in FIQ mode is r8_fiq; Rm = lr in IRQ mode is lr_irq */
    fill_regs(0x600000d1u, PC0);
    regs->r8_fiq[0] = BASE;
    regs->r[8] = 0x10000000u;
    m = xfer(4, LD, 4, false, 1, 8, U, 4);
    addr("[r8], #4 in FIQ mode", &m, BASE, BASE + 4);
    fill_regs(0x60000092u, PC0);
    regs->r[2] = BASE;
    regs->lr_irq = 0x24;
    regs->lr_usr = 0x1000;
    m = xfer_reg(4, LD, 4, false, 1, 2, P | U, 14, SHIFT_LSL, 0);
    addr("[r2, lr] in IRQ mode", &m, BASE + 0x24, BASE + 0x24);
}
END_TEST

START_TEST(test_address_multiple)
{
    /* IA: base up; IB: base + 4 up; DA: ends at the base; DB: ends just below it (A8.8.58 ff.). */
    for (unsigned n = 1; n <= 16; n++) {
        uint32_t list = n == 16 ? 0xffffu : (1u << n) - 1;
        const struct { unsigned kind; const char *name; uint32_t first, new_base; } k[] = {
            {IA, "IA", BASE, BASE + 4 * n},
            {IB, "IB", BASE + 4, BASE + 4 * n},
            {DA, "DA", BASE - 4 * n + 4, BASE - 4 * n},
            {DB, "DB", BASE - 4 * n, BASE - 4 * n},
        };
        for (unsigned i = 0; i < ARRAY_SIZE(k); i++) {
            for (int wb = 0; wb < 2; wb++) {
                fill_regs(SVC_CPSR, PC0);
                regs->r[0] = BASE;
                struct mem_insn m = multi(4, LD, 0, list, k[i].kind, wb);
                char what[64];
                snprintf(what, sizeof(what), "LDM%s r0%s with %u registers", k[i].name, wb ? "!" : "", n);
                addr(what, &m, k[i].first, k[i].new_base);
            }
        }
    }
    /* below zero */
    fill_regs(SVC_CPSR, PC0);
    regs->sp_svc = 0x8;
    struct mem_insn m = multi(4, ST, 13, 0x000f, DB, true);
    addr("STMDB sp!, {r0-r3} with sp 8", &m, 0xfffffff8u, 0xfffffff8u);
}
END_TEST

/* ------------------------------------------------- write-back in mmio_execute */

START_TEST(test_execute_writeback)
{
    /* LDR r1, [r2], #4: the base gets the offset address. */
    fill_regs(SVC_CPSR, PC0);
    regs->r[2] = DEV_VA + 0x40;
    struct mem_insn m = xfer(4, LD, 4, false, 1, 2, U, 4);
    struct arm_regs w = *regs;
    w.r[1] = probe_get32(0x40);
    w.r[2] = DEV_VA + 0x44;
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x40));
    check_regs(&w, "LDR r1, [r2], #4");

    /* STRH r3, [sp, #-2]! in SVC mode: sp_svc is the base. */
    fill_regs(SVC_CPSR, PC0);
    regs->sp_svc = DEV_VA + 0x52;
    probe.n = 0;
    m = xfer(4, ST, 2, false, 3, 13, P | W, 2);
    w = *regs;
    w.sp_svc = DEV_VA + 0x50;
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x50));
    check_regs(&w, "STRH r3, [sp, #-2]!");
    check_one_access("STRH r3, [sp, #-2]!", 0x50, 2, true, regs->r[3] & 0xffff);

    /* LDR r2, [r0, r2]!: the new base comes from r2 before the load replaces it */
    fill_regs(SVC_CPSR, PC0);
    regs->r[0] = DEV_VA;
    regs->r[2] = 0x60;
    m = xfer_reg(4, LD, 4, false, 2, 0, P | U | W, 2, SHIFT_LSL, 0);
    w = *regs;
    w.r[0] = DEV_VA + 0x60;
    w.r[2] = probe_get32(0x60);
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x60));
    check_regs(&w, "LDR r2, [r0, r2]!");

    /* a Thumb post-indexed store: PC + 2 as well */
    fill_regs(THUMB_SVC, PC0 + 2);
    regs->r[4] = DEV_VA + 0x70;
    m = xfer(2, ST, 1, false, 3, 4, U, 1);
    w = *regs;
    w.r[4] = DEV_VA + 0x71;
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x70));
    check_regs(&w, "STRB r3, [r4], #1 (Thumb, 2 bytes)");
}
END_TEST

START_TEST(test_execute_multiple_writeback)
{
    /* LDMIA r0!, {r1, r2, r3} */
    fill_regs(SVC_CPSR, PC0);
    regs->r[0] = DEV_VA + 0x100;
    struct mem_insn m = multi(4, LD, 0, 0x000e, IA, true);
    struct arm_regs w = *regs;
    w.r[1] = probe_get32(0x100);
    w.r[2] = probe_get32(0x104);
    w.r[3] = probe_get32(0x108);
    w.r[0] = DEV_VA + 0x10c;
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x100));
    check_regs(&w, "LDMIA r0!, {r1-r3}");

    /* STMDB sp!, {r4, lr} in SVC mode: r4 at the lower address, lr_svc above it. */
    fill_regs(SVC_CPSR, PC0);
    regs->sp_svc = DEV_VA + 0x208;
    m = multi(4, ST, 13, 0x4010, DB, true);
    w = *regs;
    w.sp_svc = DEV_VA + 0x200;
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x200));
    check_regs(&w, "STMDB sp!, {r4, lr}");
    ck_assert_msg(probe_get32(0x200) == regs->r[4] && probe_get32(0x204) == regs->lr_svc,
                  "STMDB sp!, {r4, lr}: the device holds %#x, %#x, want r4 %#x, lr_svc %#x", probe_get32(0x200),
                  probe_get32(0x204), regs->r[4], regs->lr_svc);

    /* LDMDA r5!, {r6, r7}: from r5 - 4 up, r5 - 8 after */
    fill_regs(SVC_CPSR, PC0);
    regs->r[5] = DEV_VA + 0x304;
    m = multi(4, LD, 5, 0x00c0, DA, true);
    w = *regs;
    w.r[6] = probe_get32(0x300);
    w.r[7] = probe_get32(0x304);
    w.r[5] = DEV_VA + 0x2fc;
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x300));
    check_regs(&w, "LDMDA r5!, {r6, r7}");

    /* STRD r2, r3, [r0, #-16]! */
    fill_regs(SVC_CPSR, PC0);
    regs->r[0] = DEV_VA + 0x330;
    m = dual(xfer(4, ST, 4, false, 2, 0, P | W, 16), 3);
    w = *regs;
    w.r[0] = DEV_VA + 0x320;
    w.pc = PC0 + 4;
    ck_assert(mmio_execute(v, &m, PROBE_IPA + 0x320));
    check_regs(&w, "STRD r2, r3, [r0, #-16]!");
    ck_assert(probe_get32(0x320) == regs->r[2] && probe_get32(0x324) == regs->r[3]);
}
END_TEST

START_TEST(test_execute_refused_writeback)
{
    /* a refused access writes nothing back */
    fill_regs(SVC_CPSR, PC0);
    regs->r[2] = DEV_VA + PROBE_REFUSE;
    struct mem_insn m = xfer(4, LD, 2, true, 1, 2, U, 2);
    refused("LDRSH r1, [r2], #2 refused", &m, PROBE_IPA + PROBE_REFUSE);
    regs->r[0] = DEV_VA + PROBE_REFUSE - 8;
    m = multi(4, LD, 0, 0x001e, IA, true);
    refused("LDMIA r0!, {r1-r4} refused at the third word", &m, PROBE_IPA + PROBE_REFUSE - 8);
    regs->r[6] = DEV_VA + PROBE_REFUSE - 12;
    m = dual(xfer(4, LD, 4, false, 4, 6, P | U | W, 8), 5);
    refused("LDRD r4, r5, [r6, #8]! refused at the second word", &m, PROBE_IPA + PROBE_REFUSE - 4);
    regs->sp_svc = DEV_VA + PROBE_REFUSE + 8;
    m = multi(4, ST, 13, 0x000f, DB, true);
    refused("STMDB sp!, {r0-r3} refused", &m, PROBE_IPA + PROBE_REFUSE - 8);
}
END_TEST

/* ------------------------------------------------ the first item's IPA (ISV = 0) */

/* These go through mmio_handle_abort's fetch-and-decode path, so they need the decoder and the
 * decode cache too; what they test is that the abort's address (HDFAR) and IPA are matched to
 * the instruction's items with mem_insn_address. */
START_TEST(test_abort_first_item)
{
    abort_setup(true);
    /* LDMDB r0!, {r1-r3} with HDFAR at the second word: the first word is 4 bytes below it */
    code_arm(0x18, 0xe930000e); /* ldmdb r0!, {r1, r2, r3} */
    fill_regs(SVC_CPSR, 0);
    regs->r[0] = DEV_VA + 0x8c;
    struct arm_regs w = *regs;
    w.r[1] = probe_get32(0x80);
    w.r[2] = probe_get32(0x84);
    w.r[3] = probe_get32(0x88);
    w.r[0] = DEV_VA + 0x80;
    w.pc = CODE_VA + 0x1c;
    decoded("ldmdb r0!, {r1, r2, r3} (HDFAR at r2's word)", 0x18, DEV_VA + 0x84, false, &w);

    /* LDMIB r0, {r2, r3}: the first item is at r0 + 4 */
    code_arm(0x20, 0xe990000c); /* ldmib r0, {r2, r3} */
    fill_regs(SVC_CPSR, 0);
    regs->r[0] = DEV_VA + 0xa0;
    w = *regs;
    w.r[2] = probe_get32(0xa4);
    w.r[3] = probe_get32(0xa8);
    w.pc = CODE_VA + 0x24;
    decoded("ldmib r0, {r2, r3}", 0x20, DEV_VA + 0xa4, false, &w);

    /* LDRD r4, r5, [r6, #8] with HDFAR at r5's word */
    code_arm(0x28, 0xe1c640d8); /* ldrd r4, [r6, #8] */
    fill_regs(SVC_CPSR, 0);
    regs->r[6] = DEV_VA + 0x100;
    w = *regs;
    w.r[4] = probe_get32(0x108);
    w.r[5] = probe_get32(0x10c);
    w.pc = CODE_VA + 0x2c;
    decoded("ldrd r4, r5, [r6, #8] (HDFAR at r5's word)", 0x28, DEV_VA + 0x10c, false, &w);

    /* STR r3, [r4], #-4 (post-indexed: the first address is r4, the base moves after) */
    code_arm(0x30, 0xe4043004); /* str r3, [r4], #-4 */
    fill_regs(SVC_CPSR, 0);
    regs->r[4] = DEV_VA + 0x120;
    probe.n = 0;
    w = *regs;
    w.r[4] = DEV_VA + 0x11c;
    w.pc = CODE_VA + 0x34;
    decoded("str r3, [r4], #-4", 0x30, DEV_VA + 0x120, true, &w);
    check_one_access("str r3, [r4], #-4", 0x120, 4, true, regs->r[3]);
}
END_TEST

START_TEST(test_abort_hdfar_not_an_item)
{
    /* HDFAR is not an address the instruction accesses: the decode does not explain the abort */
    abort_setup(true);
    code_arm(0x08, 0xe5921004); /* ldr r1, [r2, #4]: reads DEV_VA + 0x44 */
    not_emulated("ldr r1, [r2, #4] with HDFAR 4 bytes above", CODE_VA + 8, SVC_CPSR, DEV_VA + 0x48, false, 0x008);
    not_emulated("ldr r1, [r2, #4] with HDFAR 4 bytes below", CODE_VA + 8, SVC_CPSR, DEV_VA + 0x40, false, 0x008);
    code_arm(0x0c, 0xe891000c); /* ldm r1, {r2, r3}: reads DEV_VA + 0x40 and 0x44 */
    not_emulated("ldm r1, {r2, r3} with HDFAR just past it", CODE_VA + 0x0c, SVC_CPSR, DEV_VA + 0x48, false, 0x008);
    not_emulated("ldm r1, {r2, r3} with HDFAR just below it", CODE_VA + 0x0c, SVC_CPSR, DEV_VA + 0x3c, false,
                 0x008);
}
END_TEST

/* ========================================================= decode_arm ===== */

static void arm_ok(uint32_t insn, const char *as, struct mem_insn want)
{
    char what[96];
    snprintf(what, sizeof(what), "insn_decode_arm(%#010x: %s)", insn, as);
    struct mem_insn m;
    memset(&m, 0xa5, sizeof(m)); /* every field the decoder does not set is garbage */
    ck_assert_msg(insn_decode_arm(insn, &m), "%s returned false, want true", what);
    check_insn(what, &m, &want);
}

static void arm_no(uint32_t insn, const char *as, const char *why)
{
    struct mem_insn m;
    memset(&m, 0, sizeof(m));
    ck_assert_msg(!insn_decode_arm(insn, &m), "insn_decode_arm(%#010x: %s) returned true, want false: %s", insn, as,
                  why);
}

START_TEST(test_arm_word_imm)
{
    arm_ok(0xe5921004, "ldr r1, [r2, #4]", xfer(4, LD, 4, false, 1, 2, P | U, 4));
    arm_ok(0xe5321008, "ldr r1, [r2, #-8]!", xfer(4, LD, 4, false, 1, 2, P | W, 8));
    arm_ok(0xe492100c, "ldr r1, [r2], #12", xfer(4, LD, 4, false, 1, 2, U, 12));
    arm_ok(0xe5843fff, "str r3, [r4, #4095]", xfer(4, ST, 4, false, 3, 4, P | U, 0xfff));
    arm_ok(0xe4043004, "str r3, [r4], #-4", xfer(4, ST, 4, false, 3, 4, 0, 4));
    arm_ok(0xc5921004, "ldrgt r1, [r2, #4]", xfer(4, LD, 4, false, 1, 2, P | U, 4)); /* the CPU checked cond */
}
END_TEST

START_TEST(test_arm_word_reg)
{
    arm_ok(0xe7965107, "ldr r5, [r6, r7, lsl #2]", xfer_reg(4, LD, 4, false, 5, 6, P | U, 7, SHIFT_LSL, 2));
    arm_ok(0xe7165027, "ldr r5, [r6, -r7, lsr #32]", xfer_reg(4, LD, 4, false, 5, 6, P, 7, SHIFT_LSR, 32));
    arm_ok(0xe7a651c7, "str r5, [r6, r7, asr #3]!", xfer_reg(4, ST, 4, false, 5, 6, P | U | W, 7, SHIFT_ASR, 3));
    arm_ok(0xe6910462, "ldr r0, [r1], r2, ror #8", xfer_reg(4, LD, 4, false, 0, 1, U, 2, SHIFT_ROR, 8));
    arm_ok(0xe739804a, "ldr r8, [r9, -sl, asr #32]!", xfer_reg(4, LD, 4, false, 8, 9, P | W, 10, SHIFT_ASR, 32));
    arm_ok(0xe7b02002, "ldr r2, [r0, r2]!", xfer_reg(4, LD, 4, false, 2, 0, P | U | W, 2, SHIFT_LSL, 0));
}
END_TEST

START_TEST(test_arm_byte)
{
    arm_ok(0xe5d10001, "ldrb r0, [r1, #1]", xfer(4, LD, 1, false, 0, 1, P | U, 1));
    arm_ok(0xe54a90ff, "strb r9, [sl, #-255]", xfer(4, ST, 1, false, 9, 10, P, 255));
    arm_ok(0xe65cbf83, "ldrb fp, [ip], -r3, lsl #31", xfer_reg(4, LD, 1, false, 11, 12, 0, 3, SHIFT_LSL, 31));
    arm_ok(0x15c43000, "strbne r3, [r4]", xfer(4, ST, 1, false, 3, 4, P | U, 0));
}
END_TEST

START_TEST(test_arm_halfword_signed)
{
    arm_ok(0xe1d320b6, "ldrh r2, [r3, #6]", xfer(4, LD, 2, false, 2, 3, P | U, 6));
    arm_ok(0xe04320b2, "strh r2, [r3], #-2", xfer(4, ST, 2, false, 2, 3, 0, 2));
    arm_ok(0xe19320b4, "ldrh r2, [r3, r4]", xfer_reg(4, LD, 2, false, 2, 3, P | U, 4, SHIFT_LSL, 0));
    arm_ok(0xe12870b9, "strh r7, [r8, -r9]!", xfer_reg(4, ST, 2, false, 7, 8, P | W, 9, SHIFT_LSL, 0));
    arm_ok(0xe15320d1, "ldrsb r2, [r3, #-1]", xfer(4, LD, 1, true, 2, 3, P, 1));
    arm_ok(0xe1f322f2, "ldrsh r2, [r3, #34]!", xfer(4, LD, 2, true, 2, 3, P | U | W, 34));
    arm_ok(0xe19320d4, "ldrsb r2, [r3, r4]", xfer_reg(4, LD, 1, true, 2, 3, P | U, 4, SHIFT_LSL, 0));
    arm_ok(0xe01320f4, "ldrsh r2, [r3], -r4", xfer_reg(4, LD, 2, true, 2, 3, 0, 4, SHIFT_LSL, 0));
    arm_ok(0xe1dbafff, "ldrsh sl, [fp, #255]", xfer(4, LD, 2, true, 10, 11, P | U, 255));
}
END_TEST

START_TEST(test_arm_dual)
{
    arm_ok(0xe1c640d8, "ldrd r4, [r6, #8]", dual(xfer(4, LD, 4, false, 4, 6, P | U, 8), 5));
    arm_ok(0xe16021f0, "strd r2, [r0, #-16]!", dual(xfer(4, ST, 4, false, 2, 0, P | W, 16), 3));
    arm_ok(0xe08180d2, "ldrd r8, [r1], r2", dual(xfer_reg(4, LD, 4, false, 8, 1, U, 2, SHIFT_LSL, 0), 9));
    arm_ok(0xe10ca0f1, "strd sl, [ip, -r1]", dual(xfer_reg(4, ST, 4, false, 10, 12, P, 1, SHIFT_LSL, 0), 11));
    arm_ok(0xe1c200f0, "strd r0, [r2]", dual(xfer(4, ST, 4, false, 0, 2, P | U, 0), 1));
}
END_TEST

START_TEST(test_arm_multiple)
{
    arm_ok(0xe890000e, "ldm r0, {r1, r2, r3}", multi(4, LD, 0, 0x000e, IA, false));
    arm_ok(0xe9b00030, "ldmib r0!, {r4, r5}", multi(4, LD, 0, 0x0030, IB, true));
    arm_ok(0xe8100082, "ldmda r0, {r1, r7}", multi(4, LD, 0, 0x0082, DA, false));
    arm_ok(0xe930000e, "ldmdb r0!, {r1, r2, r3}", multi(4, LD, 0, 0x000e, DB, true));
    arm_ok(0xe8ac0fff, "stmia ip!, {r0-fp}", multi(4, ST, 12, 0x0fff, IA, true));
    arm_ok(0xe9814004, "stmib r1, {r2, lr}", multi(4, ST, 1, 0x4004, IB, false));
    arm_ok(0xe8220008, "stmda r2!, {r3}", multi(4, ST, 2, 0x0008, DA, true));
    arm_ok(0xe92d0013, "push {r0, r1, r4} (stmdb sp!)", multi(4, ST, 13, 0x0013, DB, true));
    arm_ok(0xe8915fff, "ldm r1, {r0-ip, lr}", multi(4, LD, 1, 0x5fff, IA, false));
    arm_ok(0xe8900003, ".inst 0xe8900003: ldm r0, {r0, r1}", multi(4, LD, 0, 0x0003, IA, false)); /* no write-back */
}
END_TEST

START_TEST(test_arm_refused_forms)
{
    arm_no(0xe4b10004, "ldrt r0, [r1], #4", "unprivileged (P = 0, W = 1)");
    arm_no(0xe4e10004, "strbt r0, [r1], #4", "unprivileged (P = 0, W = 1)");
    arm_no(0xe0f100b2, "ldrht r0, [r1], #2", "unprivileged (P = 0, W = 1)");
    arm_no(0xe59f0008, "ldr r0, [pc, #8]", "a literal load (Rn = PC)");
    arm_no(0xe590f004, "ldr pc, [r0, #4]", "PC as the destination");
    arm_no(0xe1d0f0b0, ".inst 0xe1d0f0b0: ldrh pc, [r0]", "PC as the destination");
    arm_no(0xe580f000, "str pc, [r0]", "PC as a transfer register");
    arm_no(0xe8908002, "ldm r0, {r1, pc}", "PC in the list");
    arm_no(0xe8808002, "stm r0, {r1, pc}", "PC in the list");
    arm_no(0xe790100f, ".inst 0xe790100f: ldr r1, [r0, pc]", "Rm = PC");
    arm_no(0xe19100bf, ".inst 0xe19100bf: ldrh r0, [r1, pc]", "Rm = PC");
    arm_no(0xe18200df, ".inst 0xe18200df: ldrd r0, [r2, pc]", "Rm = PC");
    arm_no(0xe4900004, ".inst 0xe4900004: ldr r0, [r0], #4", "write-back to a transfer register");
    arm_no(0xe1e220d8, ".inst 0xe1e220d8: ldrd r2, [r2, #8]!", "write-back to a transfer register");
    arm_no(0xe7910062, "ldr r0, [r1, r2, rrx]", "an RRX offset");
    arm_no(0xe1c210d0, ".inst 0xe1c210d0: ldrd r1, [r2]", "LDRD with an odd Rt");
    arm_no(0xe1c2e0d0, ".inst 0xe1c2e0d0: ldrd lr, [r2]", "LDRD with Rt = 14 (Rt2 = PC)");
    arm_no(0xe1c2e0f0, ".inst 0xe1c2e0f0: strd lr, [r2]", "STRD with Rt = 14 (Rt2 = PC)");
}
END_TEST

START_TEST(test_arm_refused_multiple)
{
    arm_no(0xe8d00006, "ldm r0, {r1, r2}^", "the S bit (user registers)");
    arm_no(0xe8b00003, ".inst 0xe8b00003: ldm r0!, {r0, r1}", "write-back with the base in the list");
    arm_no(0xe8300003, ".inst 0xe8300003: ldmda r0!, {r0, r1}", "write-back with the base in the list");
    arm_no(0xe8b10003, ".inst 0xe8b10003: ldm r1!, {r0, r1}", "write-back with the base in the list");
    arm_no(0xe8900000, ".inst 0xe8900000: ldm r0, {}", "an empty register list");
}
END_TEST

START_TEST(test_arm_refused_others)
{
    arm_no(0xf5d0f004, "pld [r0, #4]", "cond 1111 (unconditional space)");
    arm_no(0xf8900a00, "rfeia r0", "cond 1111 (unconditional space), not an LDM");
    arm_no(0xf96d0513, "srsdb sp!, #19", "cond 1111 (unconditional space), not an STM");
    arm_no(0xe0810002, "add r0, r1, r2", "data processing");
    arm_no(0xe6510f92, "uadd8 r0, r1, r2", "a media instruction (bit 25 and bit 4 set)");
    arm_no(0xe0000291, "mul r0, r1, r2", "a multiply (bits 7 and 4 set, but op2 = 00)");
    arm_no(0xe1020091, "swp r0, r1, [r2]", "a swap, not a plain load or store");
    arm_no(0xe1420091, "swpb r0, r1, [r2]", "a swap, not a plain load or store");
    arm_no(0xe1910f9f, "ldrex r0, [r1]", "an exclusive");
    arm_no(0xe1802f91, "strex r2, r1, [r0]", "an exclusive");
    arm_no(0xed900a00, "vldr s0, [r0]", "a VFP load");
    arm_no(0xed905e01, "ldc 14, cr5, [r0, #4]", "a coprocessor load");
}
END_TEST

/* --------------------------------------------- A32 through mmio_handle_abort */

/* An A32 instruction without a syndrome, fetched at the guest's PC, decoded and emulated
 * (this needs Task 1's ISV = 0 path and the decode cache too). */
START_TEST(test_abort_decoded_arm)
{
    abort_setup(true);
    /* LDR r1, [r2, #-8]!: first address r2 - 8, written back */
    code_arm(0x08, 0xe5321008); /* ldr r1, [r2, #-8]! */
    fill_regs(SVC_CPSR, 0);
    regs->r[2] = DEV_VA + 0x48;
    probe_put(0x40, 4, 0x11223344u);
    struct arm_regs w = *regs;
    w.r[1] = 0x11223344u;
    w.r[2] = DEV_VA + 0x40;
    w.pc = CODE_VA + 0x0c;
    decoded("ldr r1, [r2, #-8]!", 0x08, DEV_VA + 0x40, false, &w);

    /* STRH r2, [r3], #-2: post-indexed, the first address is r3 */
    code_arm(0x10, 0xe04320b2); /* strh r2, [r3], #-2 */
    fill_regs(SVC_CPSR, 0);
    regs->r[3] = DEV_VA + 0x62;
    probe.n = 0;
    w = *regs;
    w.r[3] = DEV_VA + 0x60;
    w.pc = CODE_VA + 0x14;
    decoded("strh r2, [r3], #-2", 0x10, DEV_VA + 0x62, true, &w);
    check_one_access("strh r2, [r3], #-2", 0x62, 2, true, regs->r[2] & 0xffff);

    /* LDRSB r2, [r3, r4]: a register offset */
    code_arm(0x14, 0xe19320d4); /* ldrsb r2, [r3, r4] */
    fill_regs(SVC_CPSR, 0);
    regs->r[3] = DEV_VA + 0x70;
    regs->r[4] = 0x5;
    probe_put(0x75, 1, 0x9c);
    w = *regs;
    w.r[2] = 0xffffff9cu;
    w.pc = CODE_VA + 0x18;
    decoded("ldrsb r2, [r3, r4]", 0x14, DEV_VA + 0x75, false, &w);
}
END_TEST

START_TEST(test_abort_arm_not_emulated)
{
    abort_setup(true);
    code_arm(0x00, 0xe0810002); /* add r0, r1, r2 */
    not_emulated("add r0, r1, r2", CODE_VA, SVC_CPSR, DEV_VA + 0x40, false, 0x008);
    code_arm(0x04, 0xe4e10004); /* strbt r0, [r1], #4: a write, so WnR in the DFSR */
    not_emulated("strbt r0, [r1], #4", CODE_VA + 4, SVC_CPSR, DEV_VA + 0x40, true, 0x808);
    /* the instruction cannot be fetched */
    not_emulated("a PC outside guest RAM", CODE_VA + 0x1000, SVC_CPSR, DEV_VA + 0x40, false, 0x008);
    /* a long-descriptor guest (TTBCR.EAE): the LPAE format, external abort 0b010000 */
    host_guest_cp15[G_TTBCR] = 1u << 31;
    not_emulated("add r0, r1, r2 (LPAE guest)", CODE_VA, SVC_CPSR, DEV_VA + 0x40, false, 0x210);
}
END_TEST

/* ======================================================= decode_thumb ===== */

START_TEST(test_thumb_is_32bit)
{
    /* A6.1: hw1[15:11] = 0b11101, 0b11110 or 0b11111 starts a 32-bit instruction. */
    for (uint32_t hw = 0; hw <= 0xffff; hw++) {
        bool want = (hw >> 11) >= 0x1d;
        bool got = thumb_is_32bit((uint16_t)hw);
        ck_assert_msg(got == want, "thumb_is_32bit(%#06x) = %d, want %d", hw, got, want);
    }
}
END_TEST

static void thumb_ok(uint16_t hw1, uint16_t hw2, const char *as, struct mem_insn want)
{
    char what[96];
    snprintf(what, sizeof(what), "insn_decode_thumb(%04x %04x: %s)", hw1, hw2, as);
    struct mem_insn m;
    memset(&m, 0xa5, sizeof(m));
    ck_assert_msg(insn_decode_thumb(hw1, hw2, &m), "%s returned false, want true", what);
    check_insn(what, &m, &want);
}

/* A 16-bit instruction: hw2 is whatever follows it in memory and must not matter. */
static void t16_ok(uint16_t hw, const char *as, struct mem_insn want)
{
    thumb_ok(hw, 0x0000, as, want);
    thumb_ok(hw, 0xf8d2, as, want);
}

static void thumb_no(uint16_t hw1, uint16_t hw2, const char *as, const char *why)
{
    struct mem_insn m;
    memset(&m, 0, sizeof(m));
    ck_assert_msg(!insn_decode_thumb(hw1, hw2, &m), "insn_decode_thumb(%04x %04x: %s) returned true, want false: %s",
                  hw1, hw2, as, why);
}

START_TEST(test_t16_imm)
{
    /* imm5 is scaled by the access size */
    t16_ok(0x6851, "ldr r1, [r2, #4]", xfer(2, LD, 4, false, 1, 2, P | U, 4));
    t16_ok(0x67c7, "str r7, [r0, #124]", xfer(2, ST, 4, false, 7, 0, P | U, 124));
    t16_ok(0x6808, "ldr r0, [r1, #0]", xfer(2, LD, 4, false, 0, 1, P | U, 0));
    t16_ok(0x7fe3, "ldrb r3, [r4, #31]", xfer(2, LD, 1, false, 3, 4, P | U, 31));
    t16_ok(0x7163, "strb r3, [r4, #5]", xfer(2, ST, 1, false, 3, 4, P | U, 5));
    t16_ok(0x8ff5, "ldrh r5, [r6, #62]", xfer(2, LD, 2, false, 5, 6, P | U, 62));
    t16_ok(0x8075, "strh r5, [r6, #2]", xfer(2, ST, 2, false, 5, 6, P | U, 2));
}
END_TEST

START_TEST(test_t16_reg)
{
    /* 0101 opB Rm Rn Rt, all eight opB */
    t16_ok(0x5088, "str r0, [r1, r2]", xfer_reg(2, ST, 4, false, 0, 1, P | U, 2, SHIFT_LSL, 0));
    t16_ok(0x5363, "strh r3, [r4, r5]", xfer_reg(2, ST, 2, false, 3, 4, P | U, 5, SHIFT_LSL, 0));
    t16_ok(0x543e, "strb r6, [r7, r0]", xfer_reg(2, ST, 1, false, 6, 7, P | U, 0, SHIFT_LSL, 0));
    t16_ok(0x56d1, "ldrsb r1, [r2, r3]", xfer_reg(2, LD, 1, true, 1, 2, P | U, 3, SHIFT_LSL, 0));
    t16_ok(0x59ac, "ldr r4, [r5, r6]", xfer_reg(2, LD, 4, false, 4, 5, P | U, 6, SHIFT_LSL, 0));
    t16_ok(0x5a47, "ldrh r7, [r0, r1]", xfer_reg(2, LD, 2, false, 7, 0, P | U, 1, SHIFT_LSL, 0));
    t16_ok(0x5d1a, "ldrb r2, [r3, r4]", xfer_reg(2, LD, 1, false, 2, 3, P | U, 4, SHIFT_LSL, 0));
    t16_ok(0x5ff5, "ldrsh r5, [r6, r7]", xfer_reg(2, LD, 2, true, 5, 6, P | U, 7, SHIFT_LSL, 0));
}
END_TEST

START_TEST(test_t16_sp_and_multiple)
{
    t16_ok(0x9aff, "ldr r2, [sp, #1020]", xfer(2, LD, 4, false, 2, 13, P | U, 1020));
    t16_ok(0x9702, "str r7, [sp, #8]", xfer(2, ST, 4, false, 7, 13, P | U, 8));
    /* LDMIA writes back unless the base is in the list; STMIA always does */
    t16_ok(0xc90c, "ldmia r1!, {r2, r3}", multi(2, LD, 1, 0x0c, IA, true));
    t16_ok(0xc906, "ldmia r1, {r1, r2}", multi(2, LD, 1, 0x06, IA, false));
    t16_ok(0xcf01, "ldmia r7!, {r0}", multi(2, LD, 7, 0x01, IA, true));
    t16_ok(0xc086, "stmia r0!, {r1, r2, r7}", multi(2, ST, 0, 0x86, IA, true));
}
END_TEST

START_TEST(test_t32_single)
{
    thumb_ok(0xf8d2, 0x1fff, "ldr.w r1, [r2, #4095]", xfer(4, LD, 4, false, 1, 2, P | U, 4095));
    thumb_ok(0xf8c9, 0x800c, "str.w r8, [r9, #12]", xfer(4, ST, 4, false, 8, 9, P | U, 12));
    thumb_ok(0xf852, 0x1c04, "ldr.w r1, [r2, #-4]", xfer(4, LD, 4, false, 1, 2, P, 4));
    thumb_ok(0xf852, 0x1f04, "ldr.w r1, [r2, #4]!", xfer(4, LD, 4, false, 1, 2, P | U | W, 4));
    thumb_ok(0xf852, 0x1908, "ldr.w r1, [r2], #-8", xfer(4, LD, 4, false, 1, 2, W, 8));
    thumb_ok(0xf844, 0x3bff, "str.w r3, [r4], #255", xfer(4, ST, 4, false, 3, 4, U | W, 255));
    thumb_ok(0xf84d, 0xed04, "str.w lr, [sp, #-4]!", xfer(4, ST, 4, false, 14, 13, P | W, 4));
    thumb_ok(0xf892, 0x1001, "ldrb.w r1, [r2, #1]", xfer(4, LD, 1, false, 1, 2, P | U, 1));
    thumb_ok(0xf8a2, 0x1002, "strh.w r1, [r2, #2]", xfer(4, ST, 2, false, 1, 2, P | U, 2));
    thumb_ok(0xf832, 0x1d02, "ldrh.w r1, [r2, #-2]!", xfer(4, LD, 2, false, 1, 2, P | W, 2));
    thumb_ok(0xf992, 0x1003, "ldrsb.w r1, [r2, #3]", xfer(4, LD, 1, true, 1, 2, P | U, 3));
    thumb_ok(0xf912, 0x1c01, "ldrsb.w r1, [r2, #-1]", xfer(4, LD, 1, true, 1, 2, P, 1));
    thumb_ok(0xf93c, 0xbb06, "ldrsh.w fp, [ip], #6", xfer(4, LD, 2, true, 11, 12, U | W, 6));
}
END_TEST

START_TEST(test_t32_reg)
{
    thumb_ok(0xf852, 0x1023, "ldr.w r1, [r2, r3, lsl #2]", xfer_reg(4, LD, 4, false, 1, 2, P | U, 3, SHIFT_LSL, 2));
    thumb_ok(0xf802, 0x1003, "strb.w r1, [r2, r3]", xfer_reg(4, ST, 1, false, 1, 2, P | U, 3, SHIFT_LSL, 0));
    thumb_ok(0xf932, 0x1013, "ldrsh.w r1, [r2, r3, lsl #1]", xfer_reg(4, LD, 2, true, 1, 2, P | U, 3, SHIFT_LSL, 1));
    thumb_ok(0xf851, 0x0032, "ldr.w r0, [r1, r2, lsl #3]", xfer_reg(4, LD, 4, false, 0, 1, P | U, 2, SHIFT_LSL, 3));
}
END_TEST

START_TEST(test_t32_dual)
{
    thumb_ok(0xe9d4, 0x2302, "ldrd r2, r3, [r4, #8]", dual(xfer(4, LD, 4, false, 2, 4, P | U, 8), 3));
    thumb_ok(0xe964, 0x2504, "strd r2, r5, [r4, #-16]!", dual(xfer(4, ST, 4, false, 2, 4, P | W, 16), 5));
    thumb_ok(0xe8f2, 0x0101, "ldrd r0, r1, [r2], #4", dual(xfer(4, LD, 4, false, 0, 2, U | W, 4), 1));
    thumb_ok(0xe953, 0x6aff, "ldrd r6, sl, [r3, #-1020]", dual(xfer(4, LD, 4, false, 6, 3, P, 1020), 10));
}
END_TEST

START_TEST(test_t32_multiple)
{
    thumb_ok(0xe890, 0x0106, "ldmia.w r0, {r1, r2, r8}", multi(4, LD, 0, 0x0106, IA, false));
    thumb_ok(0xe8b0, 0x0202, "ldmia.w r0!, {r1, r9}", multi(4, LD, 0, 0x0202, IA, true));
    thumb_ok(0xe920, 0x0006, "stmdb r0!, {r1, r2}", multi(4, ST, 0, 0x0006, DB, true));
    thumb_ok(0xe913, 0x0030, "ldmdb r3, {r4, r5}", multi(4, LD, 3, 0x0030, DB, false));
    thumb_ok(0xe88c, 0x4001, "stmia.w ip, {r0, lr}", multi(4, ST, 12, 0x4001, IA, false));
}
END_TEST

START_TEST(test_thumb_refused)
{
    /* the classes of the header comment, then the T32 restrictions, then other instructions */
    thumb_no(0xf851, 0x0e04, "ldrt r0, [r1, #4]", "unprivileged (P = 1, U = 1, W = 0 with imm8)");
    thumb_no(0xf811, 0x0e01, "ldrbt r0, [r1, #1]", "unprivileged");
    thumb_no(0xf851, 0x0a04, ".inst.w 0xf8510a04: ldr.w r0, [r1, <undefined>]", "P = 0, W = 0 is UNDEFINED");
    thumb_no(0x4801, 0x0000, "ldr r0, [pc, #4]", "a literal load (T16)");
    thumb_no(0xf8df, 0x0008, "ldr.w r0, [pc, #8]", "a literal load (Rn = PC)");
    thumb_no(0xf8d0, 0xf004, "ldr.w pc, [r0, #4]", "PC as the destination");
    thumb_no(0xf890, 0xf004, "pld [r0, #4]", "a preload (Rt = PC)");
    thumb_no(0xb510, 0x0000, "push {r4, lr}", "PUSH is not emulated");
    thumb_no(0xbd10, 0x0000, "pop {r4, pc}", "POP is not emulated");
    thumb_no(0xe890, 0x8002, "ldmia.w r0, {r1, pc}", "PC as a destination");
    thumb_no(0xe890, 0x2002, ".inst.w 0xe8902002: ldmia.w r0, {r1, sp}", "SP in a T32 list");
    thumb_no(0xe8b0, 0x0003, ".inst.w 0xe8b00003: ldmia.w r0!, {r0, r1}", "write-back with the base in the list");
    thumb_no(0xe890, 0x0000, ".inst.w 0xe8900000: ldmia.w r0, {}", "an empty list");
    thumb_no(0xc800, 0x0000, ".inst.n 0xc800: ldmia r0!, {}", "an empty list");
    thumb_no(0xc003, 0x0000, ".inst.n 0xc003: stmia r0!, {r0, r1}", "write-back with the base in the list");
    thumb_no(0xe9f2, 0x2302, "ldrd r2, r3, [r2, #8]!", "write-back to a transfer register");
    thumb_no(0xe9d2, 0x1100, ".inst.w 0xe9d21100: ldrd r1, r1, [r2]", "LDRD with Rt = Rt2");
    thumb_no(0xe9d2, 0xd300, ".inst.w 0xe9d2d300: ldrd sp, r3, [r2]", "SP as Rt of LDRD");
    thumb_no(0xe9d2, 0x1f00, ".inst.w 0xe9d21f00: ldrd r1, pc, [r2]", "PC as Rt2 of LDRD");
    thumb_no(0xe9c2, 0xf300, ".inst.w 0xe9c2f300: strd pc, r3, [r2]", "PC as Rt of STRD");
    thumb_no(0xf851, 0x000f, ".inst.w 0xf851000f: ldr.w r0, [r1, pc]", "PC as Rm");
    thumb_no(0xf851, 0x000d, ".inst.w 0xf851000d: ldr.w r0, [r1, sp]", "SP as Rm");
    thumb_no(0xf902, 0x1000, ".inst.w 0xf9021000: a signed store (vst4.8)", "a signed store is not one");
    thumb_no(0xf952, 0x1000, ".inst.w 0xf9521000: \"ldrsw\"", "a signed word load does not exist");
    thumb_no(0xf872, 0x1000, ".inst.w 0xf8721000: size 0b11", "size 0b11 is not a load or store");
    thumb_no(0xf990, 0xf004, "pli [r0, #4]", "a preload");
    thumb_no(0xe840, 0x1200, "strex r2, r1, [r0]", "an exclusive store");
    thumb_no(0xed90, 0x0a00, "vldr s0, [r0]", "a VFP load");
    thumb_no(0xe851, 0x0f00, "ldrex r0, [r1]", "an exclusive load");
    thumb_no(0x4408, 0x0000, "add r0, r1", "data processing");
    thumb_no(0xe7fe, 0x6851, "b.n .", "a branch (a 16-bit instruction whatever hw2 is)");
}
END_TEST

/* --------------------------------------------- T32 through mmio_handle_abort */

START_TEST(test_abort_decoded_thumb)
{
    abort_setup(true);
    /* a 32-bit instruction at a halfword-aligned (not word-aligned) PC: two halfword fetches */
    code_thumb(0x02, 0xf93c);
    code_thumb(0x04, 0xbb06); /* ldrsh.w fp, [ip], #6 */
    fill_regs(THUMB_SVC, 0);
    regs->r[12] = DEV_VA + 0x10;
    probe_put(0x10, 2, 0x8001);
    struct arm_regs w = *regs;
    w.r[11] = 0xffff8001u;
    w.r[12] = DEV_VA + 0x16;
    w.pc = CODE_VA + 0x06;
    decoded("ldrsh.w fp, [ip], #6", 0x02, DEV_VA + 0x10, false, &w);

    /* a 16-bit one: the PC steps 2 */
    code_thumb(0x10, 0x6851); /* ldr r1, [r2, #4] */
    fill_regs(THUMB_SVC, 0);
    regs->r[2] = DEV_VA + 0x20;
    w = *regs;
    w.r[1] = probe_get32(0x24);
    w.pc = CODE_VA + 0x12;
    decoded("ldr r1, [r2, #4] (T16)", 0x10, DEV_VA + 0x24, false, &w);

    /* STMIA r0!, {r1, r2, r7} (T16) */
    code_thumb(0x14, 0xc086); /* stmia r0!, {r1, r2, r7} */
    fill_regs(THUMB_SVC, 0);
    regs->r[0] = DEV_VA + 0x400;
    w = *regs;
    w.r[0] = DEV_VA + 0x40c;
    w.pc = CODE_VA + 0x16;
    decoded("stmia r0!, {r1, r2, r7}", 0x14, DEV_VA + 0x400, true, &w);
    ck_assert_msg(probe_get32(0x400) == regs->r[1] && probe_get32(0x404) == regs->r[2] &&
                      probe_get32(0x408) == regs->r[7],
                  "stmia r0!, {r1, r2, r7}: the device holds %#x %#x %#x, want r1 r2 r7", probe_get32(0x400),
                  probe_get32(0x404), probe_get32(0x408));

    /* LDMDB r0!, {r2, r3} (T32) at an odd halfword, as in the handout's trace */
    code_thumb(0x1a, 0xe930);
    code_thumb(0x1c, 0x000c); /* ldmdb r0!, {r2, r3} */
    fill_regs(THUMB_SVC, 0);
    regs->r[0] = DEV_VA + 0x40;
    w = *regs;
    w.r[2] = probe_get32(0x38);
    w.r[3] = probe_get32(0x3c);
    w.r[0] = DEV_VA + 0x38;
    w.pc = CODE_VA + 0x1e;
    decoded("ldmdb r0!, {r2, r3} (T32)", 0x1a, DEV_VA + 0x38, false, &w);
}
END_TEST

START_TEST(test_abort_thumb_not_emulated)
{
    abort_setup(true);
    code_thumb(0x10, 0xb510); /* push {r4, lr} */
    not_emulated("push {r4, lr}", CODE_VA + 0x10, THUMB_SVC, DEV_VA + 0x40, true, 0x808);
    /* the second halfword of a 32-bit instruction lies outside guest RAM */
    code_thumb(HOST_CODE_SIZE - 2, 0xf852); /* ldr.w r1, [r2, ...] without its second half */
    not_emulated("a T32 instruction cut off by the end of RAM", CODE_VA + HOST_CODE_SIZE - 2, THUMB_SVC,
                 DEV_VA + 0x40, false, 0x008);
}
END_TEST

/* ============================================================= dcache ===== */

static struct decode_cache dc;

/* A recognisable instruction per n. */
static struct mem_insn nth_insn(unsigned n)
{
    return xfer(4, n & 1, 4, false, n % 13, (n + 5) % 13, P | U, n * 4);
}

static void check_counts(const char *what, uint64_t hits, uint64_t misses)
{
    ck_assert_msg(dc.hits == hits && dc.misses == misses, "%s: hits %llu, misses %llu, want %llu, %llu", what,
                  (unsigned long long)dc.hits, (unsigned long long)dc.misses, (unsigned long long)hits,
                  (unsigned long long)misses);
}

/* The cached instruction must be a hit carrying exactly what was inserted. */
static void check_hit(const char *what, uint32_t pc, uint32_t space, const struct mem_insn *want)
{
    const struct mem_insn *got = decode_cache_lookup(&dc, pc, space);
    ck_assert_msg(got != NULL, "%s: lookup(pc %#x, space %#x) missed, want a hit", what, pc, space);
    check_insn(what, got, want);
}

START_TEST(test_dcache_init)
{
    memset(&dc, 0xa5, sizeof(dc)); /* init must not trust what was there */
    decode_cache_init(&dc, true);
    ck_assert_msg(dc.enabled, "decode_cache_init(c, true): c->enabled is false");
    check_counts("after init", 0, 0);
    for (uint32_t pc = 0x80000000u; pc < 0x80000000u + 4 * 2 * DECODE_CACHE_SIZE; pc += 4)
        ck_assert_msg(decode_cache_lookup(&dc, pc, 0) == NULL && decode_cache_lookup(&dc, pc, 1) == NULL,
                      "a new cache has an entry for pc %#x", pc);
    /* the junk entries all say pc 0xa5a5a5a5, space 0xa5a5a5a5 */
    ck_assert_msg(decode_cache_lookup(&dc, 0xa5a5a5a5u, 0xa5a5a5a5u) == NULL,
                  "decode_cache_init left an old entry in place");
    check_counts("after 4 * DECODE_CACHE_SIZE + 1 lookups in a new cache", 0, 4 * DECODE_CACHE_SIZE + 1);

    memset(&dc, 0xa5, sizeof(dc));
    decode_cache_init(&dc, false);
    ck_assert_msg(!dc.enabled, "decode_cache_init(c, false): c->enabled is true");
    check_counts("after init (disabled)", 0, 0);
}
END_TEST

START_TEST(test_dcache_miss_then_hit)
{
    decode_cache_init(&dc, true);
    const uint32_t pc = 0x80001234u, space = 0x40004002u;
    struct mem_insn a = nth_insn(7);
    ck_assert_msg(decode_cache_lookup(&dc, pc, space) == NULL, "lookup before any insert hit");
    check_counts("one miss", 0, 1);
    decode_cache_insert(&dc, pc, space, &a);
    check_counts("an insert counts nothing", 0, 1);
    check_hit("lookup after insert", pc, space, &a);
    check_counts("one miss, one hit", 1, 1);
    check_hit("second lookup", pc, space, &a);
    check_counts("one miss, two hits", 2, 1);

    /* inserting the same PC and space again keeps it cached (as one instruction or the other:
     * minivmm only inserts after a miss, so which one is up to the design) */
    struct mem_insn b = multi(2, LD, 3, 0x00f0, IA, true);
    decode_cache_insert(&dc, pc, space, &b);
    ck_assert_msg(decode_cache_lookup(&dc, pc, space) != NULL, "lookup after a second insert missed");
}
END_TEST

START_TEST(test_dcache_keys)
{
    decode_cache_init(&dc, true);
    const uint32_t pc = 0x80001230u, space = 2;
    struct mem_insn a = nth_insn(3);
    decode_cache_insert(&dc, pc, space, &a);
    /* the same PC in another address space (another TTBR0, or Thumb) is another instruction */
    const uint32_t spaces[] = {0, 1, 3, 0x40004002u, 0x40008002u};
    for (unsigned i = 0; i < ARRAY_SIZE(spaces); i++)
        ck_assert_msg(decode_cache_lookup(&dc, pc, spaces[i]) == NULL,
                      "an entry for (pc %#x, space %#x) hit a lookup in space %#x", pc, space, spaces[i]);
    /* and another PC is never this entry, whichever slot it maps to */
    unsigned lookups = ARRAY_SIZE(spaces);
    for (uint32_t k = 1; k <= 2048; k++) {
        const uint32_t others[] = {pc + 2 * k, pc - 2 * k, pc + 4096 * k, pc ^ (k << 20)};
        for (unsigned i = 0; i < ARRAY_SIZE(others); i++, lookups++)
            ck_assert_msg(decode_cache_lookup(&dc, others[i], space) == NULL,
                          "an entry for pc %#x hit a lookup for pc %#x", pc, others[i]);
    }
    check_counts("only misses", 0, lookups);
    check_hit("the entry itself", pc, space, &a);
}
END_TEST

START_TEST(test_dcache_disabled)
{
    decode_cache_init(&dc, false);
    struct mem_insn a = nth_insn(1);
    decode_cache_insert(&dc, 0x80000000u, 0, &a);
    ck_assert_msg(decode_cache_lookup(&dc, 0x80000000u, 0) == NULL, "a disabled cache returned an entry");
    ck_assert_msg(decode_cache_lookup(&dc, 0x80000004u, 0) == NULL, "a disabled cache returned an entry");
    check_counts("a disabled cache counts nothing", 0, 0);
    decode_cache_flush(&dc);
    check_counts("a disabled cache counts nothing", 0, 0);
}
END_TEST

START_TEST(test_dcache_flush)
{
    decode_cache_init(&dc, true);
    struct mem_insn m[8];
    for (unsigned i = 0; i < 8; i++) {
        m[i] = nth_insn(i);
        decode_cache_insert(&dc, 0x80002000u + 0x100 * i, 0, &m[i]);
        check_hit("just inserted", 0x80002000u + 0x100 * i, 0, &m[i]);
    }
    uint64_t hits = dc.hits, misses = dc.misses;
    decode_cache_flush(&dc);
    check_counts("a flush keeps the run's counters", hits, misses);
    for (unsigned i = 0; i < 8; i++)
        ck_assert_msg(decode_cache_lookup(&dc, 0x80002000u + 0x100 * i, 0) == NULL,
                      "after a flush, pc %#x still hits", 0x80002000u + 0x100 * i);
    ck_assert_msg(dc.enabled, "a flush disabled the cache");
    decode_cache_insert(&dc, 0x80002000u, 0, &m[5]);
    check_hit("an insert after a flush", 0x80002000u, 0, &m[5]);
}
END_TEST

START_TEST(test_dcache_many)
{
    /* A device driver's loop: 32 consecutive instructions. Whatever the cache keeps, a lookup
     * gives the right instruction or nothing, and the latest insert is always there. */
    decode_cache_init(&dc, true);
    const uint32_t pc0 = 0x80003000u;
    struct mem_insn m[32];
    for (unsigned i = 0; i < 32; i++) {
        m[i] = nth_insn(i + 1);
        decode_cache_insert(&dc, pc0 + 4 * i, 2, &m[i]);
        check_hit("the latest insert", pc0 + 4 * i, 2, &m[i]);
    }
    unsigned hits = 0;
    for (unsigned round = 0; round < 2; round++)
        for (unsigned i = 0; i < 32; i++) {
            uint64_t h = dc.hits, mi = dc.misses;
            const struct mem_insn *got = decode_cache_lookup(&dc, pc0 + 4 * i, 2);
            ck_assert_msg(dc.hits + dc.misses == h + mi + 1, "one lookup changed hits + misses by %llu",
                          (unsigned long long)(dc.hits + dc.misses - h - mi));
            if (got) {
                char what[64];
                snprintf(what, sizeof(what), "pc %#x after 32 inserts", pc0 + 4 * i);
                check_insn(what, got, &m[i]);
                hits++;
                ck_assert_msg(dc.hits == h + 1, "a hit not counted as a hit");
            } else {
                ck_assert_msg(dc.misses == mi + 1, "a miss not counted as a miss");
            }
        }
    ck_assert_msg(hits > 0, "none of 32 consecutive instructions stayed in a %u-entry cache", DECODE_CACHE_SIZE);
}
END_TEST

/* The same ISV = 0 load at the same PC, `times` times: the registers must come out right each
 * time; returns the number of fetches of each call in fetches[]. */
static void repeat_load(bool thumb, unsigned times, unsigned *fetches)
{
    for (unsigned i = 0; i < times; i++) {
        if (thumb) {
            fill_regs(THUMB_SVC, CODE_VA + 0x32);
            regs->r[2] = DEV_VA + 0x3c; /* ldr.w r1, [r2, #4]! */
        } else {
            fill_regs(SVC_CPSR, CODE_VA + 0x20);
            regs->r[2] = DEV_VA + 0x3c; /* ldr r1, [r2, #4] */
        }
        probe_put(0x40, 4, 0x0badcafeu + i);
        struct arm_regs w = *regs;
        w.r[1] = 0x0badcafeu + i;
        if (thumb)
            w.r[2] = DEV_VA + 0x40;
        w.pc = regs->pc + 4;
        unsigned before = host_fetches;
        ck_assert_int_eq(abort_at(noisv_hsr(false), DEV_VA + 0x40), EXIT_RESUME);
        check_regs(&w, thumb ? "ldr.w r1, [r2, #4]! again" : "ldr r1, [r2, #4] again");
        fetches[i] = host_fetches - before;
    }
}

static void load_code(void)
{
    code_arm(0x20, 0xe5921004); /* ldr r1, [r2, #4] */
    code_thumb(0x32, 0xf852);
    code_thumb(0x34, 0x1f04); /* ldr.w r1, [r2, #4]! */
}

START_TEST(test_dcache_saves_fetches)
{
    abort_setup(true);
    load_code();
    for (int thumb = 0; thumb < 2; thumb++) {
        unsigned f[4];
        repeat_load(thumb, 4, f);
        ck_assert_msg(f[0] > 0, "the first decode fetched nothing");
        for (unsigned i = 1; i < 4; i++)
            ck_assert_msg(f[i] == 0, "%s: call %u at the same PC fetched %u times, want 0 (a cache hit)",
                          thumb ? "Thumb" : "ARM", i + 1, f[i]);
    }
    check_stats("8 decoded accesses", 0, 8, 0);
}
END_TEST

START_TEST(test_dcache_off_fetches_each_time)
{
    abort_setup(false);
    load_code();
    for (int thumb = 0; thumb < 2; thumb++) {
        unsigned f[3];
        repeat_load(thumb, 3, f);
        for (unsigned i = 0; i < 3; i++)
            ck_assert_msg(f[i] > 0, "%s, cache off: call %u fetched nothing", thumb ? "Thumb" : "ARM", i + 1);
    }
    ck_assert_msg(vm.arch.dcache.hits == 0 && vm.arch.dcache.misses == 0, "a disabled cache counted lookups");
    check_stats("6 decoded accesses", 0, 6, 0);
}
END_TEST

/* At the same PC, first a load, then (in another address space, with other code there) a store:
 * the store must not be emulated as the cached load. */
static void same_pc_new_space(const char *what, uint32_t cpsr2, uint32_t ttbr2, void (*new_code)(void))
{
    code_arm(0x40, 0xe5921004); /* ldr r1, [r2, #4] */
    fill_regs(SVC_CPSR, CODE_VA + 0x40);
    regs->r[2] = DEV_VA + 0x3c;
    struct arm_regs w = *regs;
    w.r[1] = probe_get32(0x40);
    w.pc += 4;
    ck_assert_int_eq(abort_at(noisv_hsr(false), DEV_VA + 0x40), EXIT_RESUME);
    check_regs(&w, "ldr r1, [r2, #4]");

    new_code();
    host_guest_cp15[G_TTBR0] = ttbr2;
    fill_regs(cpsr2, CODE_VA + 0x40);
    regs->r[2] = DEV_VA + 0x3c;
    probe.n = 0;
    unsigned before = host_fetches;
    w = *regs;
    w.pc += cpsr2 & PSR_T ? 2 : 4;
    ck_assert_int_eq(abort_at(noisv_hsr(true), DEV_VA + 0x40), EXIT_RESUME);
    ck_assert_msg(host_fetches > before, "%s: the instruction was not fetched again", what);
    check_regs(&w, what);
    check_one_access(what, 0x40, 4, true, regs->r[1]);
}

static void arm_store_code(void) { code_arm(0x40, 0xe5821004); /* str r1, [r2, #4] */ }
static void thumb_store_code(void) { code_thumb(0x40, 0x6051); /* str r1, [r2, #4] */ }

START_TEST(test_dcache_failed_decode_not_cached)
{
    /* A refused instruction is not cached: when the same PC later holds a load, it is fetched
     * and emulated, not refused again from the cache. */
    abort_setup(true);
    code_arm(0x50, 0xe0810002); /* add r0, r1, r2 */
    not_emulated("add r0, r1, r2", CODE_VA + 0x50, SVC_CPSR, DEV_VA + 0x40, false, 0x008);
    code_arm(0x50, 0xe5921004); /* ldr r1, [r2, #4] */
    fill_regs(SVC_CPSR, CODE_VA + 0x50);
    regs->r[2] = DEV_VA + 0x3c;
    struct arm_regs w = *regs;
    w.r[1] = probe_get32(0x40);
    w.pc += 4;
    ck_assert_int_eq(abort_at(noisv_hsr(false), DEV_VA + 0x40), EXIT_RESUME);
    check_regs(&w, "ldr r1, [r2, #4] where a refused add was");
}
END_TEST

START_TEST(test_dcache_new_ttbr0)
{
    abort_setup(true);
    host_guest_cp15[G_SCTLR] = 1; /* the guest's MMU is on: TTBR0 names the address space */
    host_guest_cp15[G_TTBR0] = 0x40004000u;
    same_pc_new_space("str r1, [r2, #4] under another TTBR0", SVC_CPSR, 0x40008000u, arm_store_code);
}
END_TEST

START_TEST(test_dcache_new_instruction_set)
{
    abort_setup(true);
    same_pc_new_space("str r1, [r2, #4] (T16) at the PC of an ARM load", THUMB_SVC, 0, thumb_store_code);
}
END_TEST

/* ============================================================== pl011 ===== */

/* The UART's backend: what it sent, what the host types, the interrupt line. */
struct backend {
    char tx[256];
    unsigned ntx;
    const char *rx;     /* the host's input, consumed by be_rx */
    unsigned rx_taken;  /* characters be_rx gave out: each must come out of DR, in order */
    unsigned irq_calls;
    bool irq_level;
};
static struct backend be, be2;

static void be_tx(void *ctx, uint8_t c)
{
    struct backend *b = ctx;
    ck_assert(b == &be || b == &be2);
    ck_assert(b->ntx < sizeof(b->tx));
    b->tx[b->ntx++] = (char)c;
}

static int be_rx(void *ctx)
{
    struct backend *b = ctx;
    ck_assert(b == &be || b == &be2);
    if (!b->rx || !*b->rx)
        return -1;
    b->rx_taken++;
    return (unsigned char)*b->rx++;
}

static void be_irq(void *ctx, bool level)
{
    struct backend *b = ctx;
    ck_assert(b == &be || b == &be2);
    b->irq_calls++;
    b->irq_level = level;
}

/* A UART fresh from reset on the recording backend; reset must set every field, so the
 * structure starts out full of junk. */
static void uart_reset(void)
{
    memset(&be, 0, sizeof(be));
    struct vpl011_backend b = {be_tx, be_rx, be_irq, &be};
    memset(&uart, 0xa5, sizeof(uart));
    vpl011_reset(&uart, &b);
}

static uint32_t uart_rd(struct vpl011 *u, uint32_t off, unsigned width)
{
    uint32_t val = 0xdeadbeefu;
    ck_assert_msg(vpl011_read(u, off, width, &val), "vpl011_read(%#x, width %u) returned false: the PL011 never "
                  "refuses", off, width);
    return val;
}

static void uart_wr(struct vpl011 *u, uint32_t off, unsigned width, uint32_t val)
{
    ck_assert_msg(vpl011_write(u, off, width, val), "vpl011_write(%#x, width %u, %#x) returned false: the PL011 "
                  "never refuses", off, width, val);
}

static uint32_t rd_w(uint32_t off, unsigned width) { return uart_rd(&uart, off, width); }
static uint32_t rd(uint32_t off) { return uart_rd(&uart, off, 4); }
static void wr_w(uint32_t off, unsigned width, uint32_t val) { uart_wr(&uart, off, width, val); }
static void wr(uint32_t off, uint32_t val) { uart_wr(&uart, off, 4, val); }

#define CHECK_REG(off, name, want)                                                                             \
    do {                                                                                                       \
        uint32_t got_ = rd(off);                                                                               \
        ck_assert_msg(got_ == (uint32_t)(want), "%s (%#x) reads %#x, want %#x", name, off, got_,               \
                      (uint32_t)(want));                                                                       \
    } while (0)

START_TEST(test_pl011_reset)
{
    uart_reset();
    CHECK_REG(UART_CR, "CR after reset (UARTEN | TXE | RXE)", 0x301);
    CHECK_REG(UART_IFLS, "IFLS after reset (both levels 1/2)", 0x12);
    CHECK_REG(UART_FR, "FR after reset (TXFE | RXFE)", FR_TXFE | FR_RXFE);
    CHECK_REG(UART_RSR, "RSR after reset", 0);
    CHECK_REG(UART_ILPR, "ILPR after reset", 0);
    CHECK_REG(UART_IBRD, "IBRD after reset", 0);
    CHECK_REG(UART_FBRD, "FBRD after reset", 0);
    CHECK_REG(UART_LCR_H, "LCR_H after reset", 0);
    CHECK_REG(UART_IMSC, "IMSC after reset", 0);
    CHECK_REG(UART_RIS, "RIS after reset", 0);
    CHECK_REG(UART_MIS, "MIS after reset", 0);
    CHECK_REG(UART_DMACR, "DMACR after reset", 0);
    CHECK_REG(UART_DR, "DR after reset (nothing received)", 0);
    ck_assert_msg(be.ntx == 0, "reset sent %u characters", be.ntx);
    ck_assert_msg(!uart.irq_level && !be.irq_level, "the interrupt line is high after reset");

    /* a second reset brings everything back */
    wr(UART_IBRD, 0x27);
    wr(UART_LCR_H, 0x70);
    wr(UART_IMSC, UART_INT_TX);
    wr(UART_DR, 'x');
    wr(UART_CR, 0);
    struct vpl011_backend b = {be_tx, be_rx, be_irq, &be};
    vpl011_reset(&uart, &b);
    CHECK_REG(UART_IBRD, "IBRD after a second reset", 0);
    CHECK_REG(UART_LCR_H, "LCR_H after a second reset", 0);
    CHECK_REG(UART_IMSC, "IMSC after a second reset", 0);
    CHECK_REG(UART_RIS, "RIS after a second reset", 0);
    CHECK_REG(UART_CR, "CR after a second reset", 0x301);
    ck_assert_msg(!uart.irq_level, "irq_level after a second reset");
}
END_TEST

START_TEST(test_pl011_ids)
{
    uart_reset();
    const uint8_t periph[4] = {0x11, 0x10, 0x14, 0x00}, pcell[4] = {0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 4; i++) {
        CHECK_REG(UART_PERIPHID0 + 4 * i, "UARTPeriphID", periph[i]);
        CHECK_REG(UART_PCELLID0 + 4 * i, "UARTPCellID", pcell[i]);
        ck_assert_uint_eq(rd_w(UART_PERIPHID0 + 4 * i, 1), periph[i]);
        ck_assert_uint_eq(rd_w(UART_PCELLID0 + 4 * i, 2), pcell[i]);
    }
}
END_TEST

START_TEST(test_pl011_register_widths)
{
    uart_reset();
    /* only the implemented bits are kept (the handout's table, from the TRM) */
    const struct { uint32_t off; const char *name; uint32_t val, want; } w[] = {
        {UART_IBRD, "IBRD (16 bits)", 0xffffffffu, 0xffff},  {UART_IBRD, "IBRD", 0x00012345u, 0x2345},
        {UART_FBRD, "FBRD (6 bits)", 0xffffffffu, 0x3f},     {UART_FBRD, "FBRD", 0x45, 0x05},
        {UART_LCR_H, "LCR_H (8 bits)", 0xffffff00u, 0x00},   {UART_LCR_H, "LCR_H", 0x00000170u, 0x70},
        {UART_IFLS, "IFLS (6 bits)", 0xffffffffu, 0x3f},     {UART_IFLS, "IFLS", 0x24, 0x24},
        {UART_IMSC, "IMSC (11 bits)", 0xffffffffu, 0x7ff},   {UART_IMSC, "IMSC", 0x50, 0x50},
        {UART_ILPR, "ILPR (8 bits)", 0xffffffffu, 0xff},     {UART_DMACR, "DMACR (3 bits)", 0xffffffffu, 0x7},
        {UART_CR, "CR (mask 0xff87)", 0xffffffffu, 0xff87},  {UART_CR, "CR", 0x00000301u, 0x301},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(w); i++) {
        wr(w[i].off, w[i].val);
        CHECK_REG(w[i].off, w[i].name, w[i].want);
    }
    CHECK_REG(UART_ICR, "ICR (write-only)", 0);
}
END_TEST

START_TEST(test_pl011_narrow_access)
{
    uart_reset();
    /* a 1- or 2-byte read at a register's offset gives its low bits */
    ck_assert_uint_eq(rd_w(UART_CR, 1), 0x01);
    ck_assert_uint_eq(rd_w(UART_CR, 2), 0x301);
    wr(UART_IBRD, 0x1234);
    ck_assert_uint_eq(rd_w(UART_IBRD, 1), 0x34);
    ck_assert_uint_eq(rd_w(UART_IBRD, 2), 0x1234);
    ck_assert_uint_eq(rd_w(UART_FR, 1), FR_TXFE | FR_RXFE);
    ck_assert_uint_eq(rd_w(UART_IFLS, 1), 0x12);
    /* a narrow write at a register's offset writes it (the bus masked the value already) */
    wr_w(UART_IBRD, 1, 0x5a);
    CHECK_REG(UART_IBRD, "IBRD after a byte write of 0x5a", 0x5a);
    wr_w(UART_IBRD, 2, 0xbeef);
    CHECK_REG(UART_IBRD, "IBRD after a halfword write of 0xbeef", 0xbeef);
    /* a write into the middle of a register is ignored */
    wr_w(UART_IBRD + 1, 1, 0x77);
    wr_w(UART_IBRD + 2, 2, 0x7777);
    CHECK_REG(UART_IBRD, "IBRD after writes to its bytes 1 and 2", 0xbeef);
}
END_TEST

START_TEST(test_pl011_transmit)
{
    uart_reset();
    wr(UART_DR, 'h');
    wr(UART_DR, 'i');
    wr(UART_DR, 0x1ff); /* DR holds 8 data bits */
    wr_w(UART_DR, 1, '!');
    ck_assert_msg(be.ntx == 4 && memcmp(be.tx, "hi\xff!", 4) == 0,
                  "sent %u characters \"%.*s\", want \"hi\\xff!\"", be.ntx, (int)be.ntx, be.tx);
    CHECK_REG(UART_RIS, "RIS after transmitting", UART_INT_TX);
    CHECK_REG(UART_FR, "FR after transmitting (all sent at once)", FR_TXFE | FR_RXFE);
}
END_TEST

START_TEST(test_pl011_transmit_disabled)
{
    uart_reset();
    const uint32_t crs[] = {CR_UARTEN | CR_RXE, CR_TXE | CR_RXE, 0};
    for (unsigned i = 0; i < ARRAY_SIZE(crs); i++) {
        wr(UART_CR, crs[i]);
        wr(UART_DR, 'x');
        ck_assert_msg(be.ntx == 0, "CR %#x: a disabled transmitter sent %u characters", crs[i], be.ntx);
        CHECK_REG(UART_RIS, "RIS after a write to DR with the transmitter off", 0);
    }
    wr(UART_CR, CR_UARTEN | CR_TXE);
    wr(UART_DR, 'y');
    ck_assert_msg(be.ntx == 1 && be.tx[0] == 'y', "CR UARTEN | TXE: sent %u characters, want \"y\"", be.ntx);
}
END_TEST

/* The interrupt line: level and the number of changes reported so far. */
static void check_irq(const char *what, bool level, unsigned calls)
{
    ck_assert_msg(be.irq_level == level && be.irq_calls == calls,
                  "%s: the backend saw %u irq calls, the last level %d; want %u calls, level %d", what,
                  be.irq_calls, be.irq_level, calls, level);
    ck_assert_msg(uart.irq_level == level, "%s: u->irq_level is %d, want %d", what, uart.irq_level, level);
}

START_TEST(test_pl011_interrupts)
{
    uart_reset();
    check_irq("after reset", false, 0);
    wr(UART_DR, 'a');
    CHECK_REG(UART_RIS, "RIS after a transmission", UART_INT_TX);
    CHECK_REG(UART_MIS, "MIS with IMSC 0", 0);
    check_irq("TX raised but masked", false, 0);

    wr(UART_IMSC, UART_INT_TX);
    CHECK_REG(UART_MIS, "MIS with IMSC.TX", UART_INT_TX);
    check_irq("IMSC.TX set while TX pending", true, 1);
    wr(UART_IMSC, UART_INT_TX);
    wr(UART_DR, 'b');
    check_irq("no change of level: no call", true, 1);

    wr(UART_ICR, UART_INT_RX | UART_INT_OE); /* bits that are not set: nothing happens */
    CHECK_REG(UART_RIS, "RIS after clearing other bits", UART_INT_TX);
    check_irq("ICR of bits not set", true, 1);
    wr(UART_RIS, 0); /* RIS and MIS are read-only */
    wr(UART_MIS, 0);
    CHECK_REG(UART_RIS, "RIS after writes to RIS and MIS", UART_INT_TX);
    check_irq("writes to RIS and MIS", true, 1);

    wr(UART_ICR, UART_INT_TX);
    CHECK_REG(UART_RIS, "RIS after ICR.TX", 0);
    CHECK_REG(UART_MIS, "MIS after ICR.TX", 0);
    check_irq("ICR.TX", false, 2);

    wr(UART_DR, 'c');
    check_irq("TX again", true, 3);
    wr(UART_IMSC, 0);
    check_irq("IMSC cleared", false, 4);
    CHECK_REG(UART_RIS, "RIS with the interrupt masked", UART_INT_TX);
    wr(UART_IMSC, UART_INT_ALL);
    check_irq("IMSC all", true, 5);
    CHECK_REG(UART_MIS, "MIS with IMSC all", UART_INT_TX);
    wr(UART_ICR, UART_INT_ALL);
    check_irq("ICR all", false, 6);
}
END_TEST

/* Read DR until FR says the FIFO is empty; the characters, NUL-terminated. */
static void drain(char *out, unsigned max)
{
    unsigned n = 0;
    while (!(rd(UART_FR) & FR_RXFE)) {
        ck_assert_msg(n + 1 < max, "more than %u characters came out of the UART", max - 1);
        uint32_t c = rd(UART_DR);
        ck_assert_msg(c <= 0xff, "DR read %#x: error bits 11:8 set", c);
        out[n++] = (char)c;
    }
    out[n] = '\0';
}

START_TEST(test_pl011_receive_holding_register)
{
    /* without LCR_H.FEN the FIFO is one character deep: the host's characters are taken one
     * at a time, each only when there is room for it */
    uart_reset();
    be.rx = "minivmm!\n";
    CHECK_REG(UART_FR, "FR with a character waiting (no FIFO: full)", FR_TXFE | FR_RXFF);
    ck_assert_msg(be.rx_taken == 1, "a 1-character FIFO took %u characters from the host", be.rx_taken);
    rd(UART_FR);
    rd(UART_RIS);
    vpl011_poll(&uart);
    ck_assert_msg(be.rx_taken == 1, "the full FIFO took %u characters from the host (lost)", be.rx_taken);
    char got[32];
    drain(got, sizeof(got));
    ck_assert_msg(strcmp(got, "minivmm!\n") == 0, "received \"%s\", want \"minivmm!\\n\"", got);
    ck_assert_uint_eq(be.rx_taken, 9);
    CHECK_REG(UART_FR, "FR after reading everything", FR_TXFE | FR_RXFE);
    CHECK_REG(UART_DR, "DR with nothing received", 0);

    /* a DR read without an FR read first still finds the host's character */
    be.rx = "q";
    CHECK_REG(UART_DR, "DR with 'q' typed", 'q');
}
END_TEST

START_TEST(test_pl011_receive_fifo)
{
    uart_reset();
    wr(UART_LCR_H, LCR_H_FEN | 0x60); /* 8 bits, FIFOs on */
    be.rx = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    CHECK_REG(UART_FR, "FR with 16 characters in the FIFO", FR_TXFE | FR_RXFF);
    ck_assert_msg(be.rx_taken == 16, "a 16-character FIFO took %u characters", be.rx_taken);
    rd(UART_FR);
    vpl011_poll(&uart);
    ck_assert_msg(be.rx_taken == 16, "the full FIFO took %u characters from the host (lost)", be.rx_taken);
    CHECK_REG(UART_DR, "the first DR read", 'A');
    CHECK_REG(UART_DR, "the second DR read", 'B');
    ck_assert_msg(be.rx_taken <= 18, "after 2 reads from a full FIFO, %u characters taken", be.rx_taken);
    char got[40];
    drain(got, sizeof(got));
    ck_assert_msg(strcmp(got, "CDEFGHIJKLMNOPQRSTUVWXYZ") == 0, "then received \"%s\", want C to Z", got);
    CHECK_REG(UART_FR, "FR after reading everything", FR_TXFE | FR_RXFE);
}
END_TEST

START_TEST(test_pl011_receive_disabled)
{
    /* no character is taken while CR lacks UARTEN or RXE: they wait on the host's side */
    uart_reset();
    wr(UART_LCR_H, LCR_H_FEN);
    be.rx = "abc";
    const uint32_t crs[] = {CR_UARTEN | CR_TXE, CR_TXE | CR_RXE};
    for (unsigned i = 0; i < ARRAY_SIZE(crs); i++) {
        wr(UART_CR, crs[i]);
        CHECK_REG(UART_FR, "FR with the receiver off", FR_TXFE | FR_RXFE);
        vpl011_poll(&uart);
        ck_assert_msg(be.rx_taken == 0, "CR %#x: %u characters taken with the receiver off", crs[i], be.rx_taken);
    }
    wr(UART_CR, CR_UARTEN | CR_RXE);
    char got[8];
    drain(got, sizeof(got));
    ck_assert_msg(strcmp(got, "abc") == 0, "received \"%s\" once enabled, want \"abc\"", got);
}
END_TEST

START_TEST(test_pl011_fifo_off_with_characters_waiting)
{
    /* switching FEN off keeps what waits; nothing more is taken until there is room for one */
    uart_reset();
    wr(UART_LCR_H, LCR_H_FEN);
    be.rx = "12345";
    rd(UART_FR);
    ck_assert_uint_eq(be.rx_taken, 5);
    be.rx = "6789";
    wr(UART_LCR_H, 0);
    CHECK_REG(UART_FR, "FR with 5 characters and FEN off", FR_TXFE | FR_RXFF);
    ck_assert_msg(be.rx_taken == 5, "FEN off with 5 waiting: %u characters taken, want still 5", be.rx_taken);
    char got[16];
    drain(got, sizeof(got));
    ck_assert_msg(strcmp(got, "123456789") == 0, "received \"%s\", want \"123456789\"", got);
}
END_TEST

/* RX and RT status with n characters waiting, IFLS = ifls, FIFOs on. */
static uint32_t rx_ris(uint32_t ifls, unsigned n)
{
    static char input[VPL011_FIFO + 1];
    uart_reset();
    wr(UART_LCR_H, LCR_H_FEN);
    wr(UART_IFLS, ifls);
    memset(input, 'x', n);
    input[n] = '\0';
    be.rx = input;
    rd(UART_FR); /* the UART takes the host's characters */
    return rd(UART_RIS) & (UART_INT_RX | UART_INT_RT);
}

START_TEST(test_pl011_rx_trigger_level)
{
    /* RXIFLSEL (IFLS 5:3): 1/8, 1/4, 1/2, 3/4, 7/8 of 16; the reserved values as 1/2 */
    const struct { uint32_t ifls; unsigned level; } t[] = {
        {0x02, 2}, {0x0a, 4}, {0x12, 8}, {0x1a, 12}, {0x22, 14}, {0x2a, 8}, {0x3a, 8},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
        uint32_t below = rx_ris(t[i].ifls, t[i].level - 1), at = rx_ris(t[i].ifls, t[i].level);
        ck_assert_msg(below == UART_INT_RT, "IFLS %#x, %u characters (below the level): RIS RX|RT = %#x, want RT only",
                      t[i].ifls, t[i].level - 1, below);
        ck_assert_msg(at == (UART_INT_RX | UART_INT_RT), "IFLS %#x, %u characters (the level): RIS RX|RT = %#x, "
                      "want RX | RT", t[i].ifls, t[i].level, at);
    }

    /* reading below the level clears RX; RT stays while anything waits */
    ck_assert_uint_eq(rx_ris(0x12, 8), UART_INT_RX | UART_INT_RT);
    rd(UART_DR);
    CHECK_REG(UART_RIS, "RIS with 7 of 8 left", UART_INT_RT);
    char rest[32];
    drain(rest, sizeof(rest));
    ck_assert_msg(strcmp(rest, "xxxxxxx") == 0, "the other 7 characters came out as \"%s\"", rest);
    CHECK_REG(UART_RIS, "RIS with the FIFO empty", 0);

    /* without FIFOs, one character is the level */
    uart_reset();
    be.rx = "k";
    rd(UART_FR);
    CHECK_REG(UART_RIS, "RIS with one character in the holding register", UART_INT_RX | UART_INT_RT);
}
END_TEST

START_TEST(test_pl011_icr_rx)
{
    /* ICR clears RX and RT until the next poll finds the characters still waiting */
    ck_assert_uint_eq(rx_ris(0x02, 3), UART_INT_RX | UART_INT_RT);
    wr(UART_ICR, UART_INT_RX | UART_INT_RT);
    CHECK_REG(UART_RIS, "RIS just after ICR RX | RT", 0);
    rd(UART_FR);
    CHECK_REG(UART_RIS, "RIS at the next poll, 3 characters waiting", UART_INT_RX | UART_INT_RT);
}
END_TEST

START_TEST(test_pl011_rx_interrupt_line)
{
    uart_reset();
    wr(UART_IMSC, UART_INT_RX | UART_INT_RT);
    check_irq("IMSC RX | RT, nothing received", false, 0);
    be.rx = "z";
    vpl011_poll(&uart); /* the VMM polls: the character arrives without a register read */
    check_irq("a character arrived", true, 1);
    CHECK_REG(UART_MIS, "MIS with a character waiting", UART_INT_RX | UART_INT_RT);
    vpl011_poll(&uart);
    check_irq("polling again, nothing new", true, 1);
    CHECK_REG(UART_DR, "DR", 'z');
    check_irq("the character was read", false, 2);
    CHECK_REG(UART_MIS, "MIS with nothing waiting", 0);
}
END_TEST

START_TEST(test_pl011_reserved)
{
    uart_reset();
    const uint32_t reserved[] = {0x008, 0x00c, 0x010, 0x014, 0x01c, 0x04c, 0x050, 0x100, 0x800, 0xfc0, 0xfdc};
    for (unsigned i = 0; i < ARRAY_SIZE(reserved); i++)
        CHECK_REG(reserved[i], "a reserved offset", 0);
    /* writes to reserved and read-only registers change nothing the guest or a snapshot can see */
    wr(UART_IBRD, 0x42);
    struct vpl011 before;
    memcpy(&before, &uart, sizeof(before));
    const uint32_t ignored[] = {0x008, 0x00c, 0x01c, 0x04c, 0x100, 0xfdc, UART_FR, UART_RIS, UART_MIS,
                                UART_PERIPHID0, UART_PERIPHID0 + 8, UART_PCELLID0 + 4};
    for (unsigned i = 0; i < ARRAY_SIZE(ignored); i++) {
        wr(ignored[i], 0xffffffffu);
        ck_assert_msg(memcmp(&before, &uart, sizeof(uart)) == 0, "a write to offset %#x changed the UART",
                      ignored[i]);
    }
    ck_assert_uint_eq(be.ntx, 0);
    ck_assert_uint_eq(be.irq_calls, 0);
    CHECK_REG(UART_PERIPHID0, "UARTPeriphID0 after a write", 0x11);
    CHECK_REG(UART_FR, "FR after a write", FR_TXFE | FR_RXFE);
}
END_TEST

START_TEST(test_pl011_null_backend)
{
    /* tx, rx and irq may be NULL (irq is, until lab 4): the UART works without them */
    struct vpl011_backend none = {NULL, NULL, NULL, NULL};
    vpl011_reset(&uart, &none);
    wr(UART_IMSC, UART_INT_ALL);
    wr(UART_DR, 'n');
    CHECK_REG(UART_RIS, "RIS after a transmission with no tx", UART_INT_TX);
    ck_assert_msg(uart.irq_level, "the line is high (MIS != 0) even with nobody to tell");
    CHECK_REG(UART_FR, "FR with no rx", FR_TXFE | FR_RXFE);
    vpl011_poll(&uart);
    wr(UART_ICR, UART_INT_ALL);
    ck_assert_msg(!uart.irq_level, "the line is still high after ICR");
}
END_TEST

START_TEST(test_pl011_two_uarts)
{
    /* all state lives in struct vpl011: two UARTs do not share anything */
    static struct vpl011 other;
    uart_reset();
    memset(&be2, 0, sizeof(be2));
    struct vpl011_backend b2 = {be_tx, be_rx, be_irq, &be2};
    vpl011_reset(&other, &b2);
    wr(UART_LCR_H, LCR_H_FEN);
    wr(UART_IBRD, 13);
    be.rx = "one";
    be2.rx = "two";
    uart_wr(&other, UART_DR, 4, 'B');
    wr(UART_DR, 'A');
    ck_assert_msg(be.ntx == 1 && be.tx[0] == 'A' && be2.ntx == 1 && be2.tx[0] == 'B',
                  "each UART sends through its own backend");
    ck_assert_uint_eq(uart_rd(&other, UART_IBRD, 4), 0);
    ck_assert_uint_eq(uart_rd(&other, UART_LCR_H, 4), 0);
    ck_assert_uint_eq(uart_rd(&other, UART_DR, 4), 't');
    CHECK_REG(UART_DR, "the first UART's DR", 'o');
    ck_assert_uint_eq(uart_rd(&other, UART_DR, 4), 'w');
    CHECK_REG(UART_DR, "the first UART's DR", 'n');
}
END_TEST

START_TEST(test_pl011_on_the_bus)
{
    /* minivmm puts vpl011_ops on the guest's bus: a guest access reaches the UART */
    uart_reset();
    ck_assert_int_eq(mmio_register(&vm.mmio, GUEST_PL011_IPA, UART_REGION_SIZE, &vpl011_ops, &uart), 0);
    uint32_t val = 0;
    ck_assert(mmio_bus_read(&vm.mmio, GUEST_PL011_IPA + UART_PERIPHID0 + 8, 4, &val));
    ck_assert_uint_eq(val, 0x14);
    ck_assert(mmio_bus_write(&vm.mmio, GUEST_PL011_IPA + UART_DR, 1, 'Q'));
    ck_assert_msg(be.ntx == 1 && be.tx[0] == 'Q', "a byte store to DR on the bus sent %u characters", be.ntx);
}
END_TEST

/* ============================================================== suite ===== */

static TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    return tc;
}

static Suite *lab3_suite(void)
{
    Suite *s = suite_create("lab3");

    TCase *isv = tcase("isv");
    tcase_add_test(isv, test_isv_decode_all_fields);
    tcase_add_test(isv, test_isv_clear);
    tcase_add_test(isv, test_execute_loads_extend);
    tcase_add_test(isv, test_execute_narrow_load_ignores_upper_bits);
    tcase_add_test(isv, test_execute_stores_truncate);
    tcase_add_test(isv, test_execute_pc_steps);
    tcase_add_test(isv, test_execute_itstate);
    tcase_add_test(isv, test_execute_banked_registers);
    tcase_add_test(isv, test_execute_multiple_items);
    tcase_add_test(isv, test_execute_refused);
    tcase_add_test(isv, test_abort_no_device);
    tcase_add_test(isv, test_abort_isv);
    tcase_add_test(isv, test_abort_isv_refused);
    tcase_add_test(isv, test_abort_big_endian);
    suite_add_tcase(s, isv);

    TCase *address = tcase("address");
    tcase_add_test(address, test_address_imm);
    tcase_add_test(address, test_address_reg);
    tcase_add_test(address, test_address_banked);
    tcase_add_test(address, test_address_multiple);
    tcase_add_test(address, test_execute_writeback);
    tcase_add_test(address, test_execute_multiple_writeback);
    tcase_add_test(address, test_execute_refused_writeback);
    tcase_add_test(address, test_abort_first_item);
    tcase_add_test(address, test_abort_hdfar_not_an_item);
    suite_add_tcase(s, address);

    TCase *arm = tcase("decode_arm");
    tcase_add_test(arm, test_arm_word_imm);
    tcase_add_test(arm, test_arm_word_reg);
    tcase_add_test(arm, test_arm_byte);
    tcase_add_test(arm, test_arm_halfword_signed);
    tcase_add_test(arm, test_arm_dual);
    tcase_add_test(arm, test_arm_multiple);
    tcase_add_test(arm, test_arm_refused_forms);
    tcase_add_test(arm, test_arm_refused_multiple);
    tcase_add_test(arm, test_arm_refused_others);
    tcase_add_test(arm, test_abort_decoded_arm);
    tcase_add_test(arm, test_abort_arm_not_emulated);
    suite_add_tcase(s, arm);

    TCase *thumb = tcase("decode_thumb");
    tcase_add_test(thumb, test_thumb_is_32bit);
    tcase_add_test(thumb, test_t16_imm);
    tcase_add_test(thumb, test_t16_reg);
    tcase_add_test(thumb, test_t16_sp_and_multiple);
    tcase_add_test(thumb, test_t32_single);
    tcase_add_test(thumb, test_t32_reg);
    tcase_add_test(thumb, test_t32_dual);
    tcase_add_test(thumb, test_t32_multiple);
    tcase_add_test(thumb, test_thumb_refused);
    tcase_add_test(thumb, test_abort_decoded_thumb);
    tcase_add_test(thumb, test_abort_thumb_not_emulated);
    suite_add_tcase(s, thumb);

    TCase *dcache = tcase("dcache");
    tcase_add_test(dcache, test_dcache_init);
    tcase_add_test(dcache, test_dcache_miss_then_hit);
    tcase_add_test(dcache, test_dcache_keys);
    tcase_add_test(dcache, test_dcache_disabled);
    tcase_add_test(dcache, test_dcache_flush);
    tcase_add_test(dcache, test_dcache_many);
    tcase_add_test(dcache, test_dcache_saves_fetches);
    tcase_add_test(dcache, test_dcache_off_fetches_each_time);
    tcase_add_test(dcache, test_dcache_failed_decode_not_cached);
    tcase_add_test(dcache, test_dcache_new_ttbr0);
    tcase_add_test(dcache, test_dcache_new_instruction_set);
    suite_add_tcase(s, dcache);

    TCase *pl011 = tcase("pl011");
    tcase_add_test(pl011, test_pl011_reset);
    tcase_add_test(pl011, test_pl011_ids);
    tcase_add_test(pl011, test_pl011_register_widths);
    tcase_add_test(pl011, test_pl011_narrow_access);
    tcase_add_test(pl011, test_pl011_transmit);
    tcase_add_test(pl011, test_pl011_transmit_disabled);
    tcase_add_test(pl011, test_pl011_interrupts);
    tcase_add_test(pl011, test_pl011_receive_holding_register);
    tcase_add_test(pl011, test_pl011_receive_fifo);
    tcase_add_test(pl011, test_pl011_receive_disabled);
    tcase_add_test(pl011, test_pl011_fifo_off_with_characters_waiting);
    tcase_add_test(pl011, test_pl011_rx_trigger_level);
    tcase_add_test(pl011, test_pl011_icr_rx);
    tcase_add_test(pl011, test_pl011_rx_interrupt_line);
    tcase_add_test(pl011, test_pl011_reserved);
    tcase_add_test(pl011, test_pl011_null_backend);
    tcase_add_test(pl011, test_pl011_two_uarts);
    tcase_add_test(pl011, test_pl011_on_the_bus);
    suite_add_tcase(s, pl011);
    return s;
}

int main(void)
{
    /* srunner_run_all honours CK_RUN_CASE, so the grader can run one case. */
    SRunner *sr = srunner_create(lab3_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
