/* Framework test programs: hypercall ABI edges, an exit class nobody handles, a guest that exits non-zero. */
#include <string.h>
#include "../hvc.h"
#include "../kernel.h"

PROGRAM(hello, "hello", "print one line and power off")
{
    kprintf("hello from tinykernel\n");
    return 0;
}

/* Unknown hypercalls must answer NOT_SUPPORTED and the VM goes on. */
PROGRAM(hcabi, "hcabi", "hypercall ABI edge cases")
{
    const char *t = "hcabi";
    if ((int32_t)hvc1(MV_HC_BASE + 0xfff, 0) != MV_HC_NOT_SUPPORTED)
        return test_fail(t, "unknown vendor call not NOT_SUPPORTED"), 1;
    if ((int32_t)hvc1(0x12345678, 0) != MV_HC_NOT_SUPPORTED)
        return test_fail(t, "foreign call not NOT_SUPPORTED"), 1;
    if (hvc1(MV_HC_NOP, 0) != MV_HC_OK)
        return test_fail(t, "NOP did not return 0"), 1;
    /* A write whose buffer is outside guest RAM must fail with EFAULT, not crash the VMM. */
    if ((int32_t)hvc3(MV_HC_WRITE, 0x50000000u, 16, 0) != MV_HC_EFAULT)
        return test_fail(t, "write from outside RAM not EFAULT"), 1;
    if ((int32_t)hvc3(MV_HC_WRITE, 0x3ffffff0u, 0xffffffffu, 0) != MV_HC_EFAULT)
        return test_fail(t, "wrapping write not EFAULT"), 1;
    test_pass(t);
    return 0;
}

/* Read a debug register: HDCR.TDA traps it to the VMM, which has no handler for CP14. */
PROGRAM(unhandled, "unhandled", "take an exit class minivmm does not handle")
{
    uint32_t v;
    kprintf("unhandled: reading DBGDSCRext, which traps to minivmm as a CP14 access\n");
    __asm__ volatile("mrc p14, 0, %0, c0, c2, 2" : "=r"(v));
    kprintf("unhandled: still running after the trap (read %#x)\n", (unsigned)v);
    return 0;
}

PROGRAM(exitcode, "exitcode", "power off with code 42") { return 42; }

/* A hostile guest: thousands of hypercalls with random numbers and arguments.
 * The VMM must answer each (an error is fine) and keep running. */
PROGRAM(hostile, "hostile", "random hypercalls with random arguments: the VMM must survive")
{
    static const uint32_t safe[] = {MV_HC_NOP,   MV_HC_EXIT_COUNT, MV_HC_TEST_TRANSLATE, MV_HC_TEST_READ_PA,
                                    0x84000000u, 0x8400000au,      0x84000003u};
    rng_seed(nonce_value());
    unsigned answered = 0;
    for (int i = 0; i < 3000; i++) {
        uint32_t r = rng(), fn;
        switch (r % 4) {
        case 0: fn = safe[rng() % (sizeof(safe) / sizeof(safe[0]))]; break;
        case 1: fn = MV_HC_BASE + (rng() & 0xffff); break; /* mostly unknown vendor calls */
        case 2: fn = rng(); break;                         /* anything at all */
        default: fn = MV_HC_WRITE; break;
        }
        if (fn == MV_HC_POWEROFF || fn == MV_HC_TEST_INJECT || fn == 0x84000008u || fn == 0x84000009u)
            continue; /* the calls that end, reboot or redirect the guest on purpose */
        uint32_t a1 = rng(), a2 = fn == MV_HC_WRITE ? rng() % 64 : rng(), a3 = rng();
        if (fn == MV_HC_WRITE && (rng() & 1))
            a1 = 0x40000000u + (rng() % (64u << 20)); /* sometimes inside RAM */
        hvc3(fn, a1, a2, a3);
        answered++;
    }
    kprintf("\nhostile: %u random hypercalls answered\n", answered);
    test_pass("hostile");
    return 0;
}

#define EC_CP15_32_CLASS 0x03 /* HSR.EC of a trapped MRC/MCR */

/* The set/way operations, as Linux's v7_flush_dcache_all issues them. */
#define SW_OP(crm, op) __asm__ volatile("mcr p15, 0, %0, c7, " #crm ", 2" ::"r"(op) : "memory")
static void set_way(unsigned kind, uint32_t op)
{
    if (kind == 0)
        SW_OP(c6, op); /* DCISW */
    else if (kind == 1)
        SW_OP(c10, op); /* DCCSW */
    else
        SW_OP(c14, op); /* DCCISW */
}

static unsigned log2_up(uint32_t n)
{
    unsigned b = 0;
    while ((1u << b) < n)
        b++;
    return b;
}

/* One data or unified cache level, as CCSIDR describes it. */
struct cache_level {
    unsigned level, line_shift, way_bits;
    uint32_t sets, ways;
};

/* The data cache levels up to the Level of Coherency; their number. */
static unsigned data_cache_levels(struct cache_level *out, unsigned max)
{
    uint32_t clidr, ccsidr, n = 0;
    __asm__ volatile("mrc p15, 1, %0, c0, c0, 1" : "=r"(clidr));
    unsigned loc = (clidr >> 24) & 7;
    for (unsigned l = 0; l < loc && n < max; l++) {
        unsigned ctype = (clidr >> (3 * l)) & 7;
        if (ctype < 2 || ctype > 4)
            continue; /* none, or instruction only */
        __asm__ volatile("mcr p15, 2, %1, c0, c0, 0\n\tisb\n\tmrc p15, 1, %0, c0, c0, 0"
                         : "=r"(ccsidr)
                         : "r"(l << 1));
        struct cache_level *c = &out[n++];
        c->level = l;
        c->line_shift = (ccsidr & 7) + 4;
        c->ways = ((ccsidr >> 3) & 0x3ff) + 1;
        c->sets = ((ccsidr >> 13) & 0x7fff) + 1;
        c->way_bits = log2_up(c->ways);
    }
    return n;
}

/* HCR.TSW: on hardware every set/way operation traps to minivmm, which never
 * lets an invalidate throw dirty lines away and ignores operands that name no
 * line. QEMU 7.2's ARMv7 CPUs do not honour HCR.TSW (their set/way operations
 * are no-ops without an access check), so there none traps: the program
 * accepts all or none, never some, and the data must survive either way. The
 * handler itself is unit-tested (minivmm/tests/unit/test_cache_sw.c). */
PROGRAM(cachesw, "cache-sw", "set/way cache maintenance of every data cache line, and bad operands")
{
    const char *t = "cache-sw";
    static volatile uint32_t data[64];
    struct cache_level lv[7];
    unsigned levels = data_cache_levels(lv, 7);
    CHECK(t, levels > 0, "CLIDR shows no data cache");
    for (unsigned i = 0; i < 64; i++)
        data[i] = 0x5a5a0000u + i;
    uint32_t before = hvc1(MV_HC_EXIT_COUNT, EC_CP15_32_CLASS), ops = 0;
    for (unsigned i = 0; i < levels; i++)
        for (uint32_t way = 0; way < lv[i].ways; way++)
            for (uint32_t set = 0; set < lv[i].sets; set++, ops++)
                set_way(ops % 3, (lv[i].way_bits ? way << (32 - lv[i].way_bits) : 0) |
                                     (set << lv[i].line_shift) | (lv[i].level << 1));
    /* Level 7 (field 6) does not exist; bit 0 is reserved; the set past the last one. */
    set_way(0, 6u << 1);
    set_way(1, 1u);
    set_way(2, lv[0].sets << lv[0].line_shift | lv[0].level << 1);
    uint32_t trapped = hvc1(MV_HC_EXIT_COUNT, EC_CP15_32_CLASS) - before;
    CHECK(t, trapped == ops + 3 || trapped == 0, "%u set/way operations, but %u CP15 exits",
          (unsigned)ops + 3, (unsigned)trapped);
    for (unsigned i = 0; i < 64; i++)
        CHECK(t, data[i] == 0x5a5a0000u + i, "data lost: word %u reads %#x", i, (unsigned)data[i]);
    kprintf("cache-sw: %u set/way operations over %u data cache levels, %s\n", (unsigned)ops, levels,
            trapped ? "all trapped" : "none trapped (the CPU ignores HCR.TSW)");
    test_pass(t);
    return 0;
}
