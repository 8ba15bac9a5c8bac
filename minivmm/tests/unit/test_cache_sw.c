/* Unit tests of the guest's set/way cache maintenance (minivmm/arch/arm/cache_sw.c): which MCRs, which operands, what reaches the cache. */
#include <stdlib.h>
#include <string.h>
#include <minivmm/vm.h>
#include <arch/cache_sw.h>
#include <arch/hsr.h>
#include <arch/sysreg.h>
#include "host_stubs.h"
#include "suites.h"

/* A Cortex-A15 as QEMU models it: L1 separate I and D, L2 unified. */
#define A15_CLIDR      0x0a200023u
#define A15_CCSIDR_L1D 0x701fe00au /* 32 KiB: 64-byte lines, 2 ways, 256 sets */
#define A15_CCSIDR_L2  0x711fe07au /* 2 MiB: 64-byte lines, 16 ways, 2048 sets */

/* Operand for level (1-based), set and way with 64-byte lines and w way bits. */
static uint32_t sw(unsigned level, uint32_t set, uint32_t way, unsigned way_bits)
{
    return (way << (32 - way_bits)) | (set << 6) | ((level - 1) << 1);
}

/* MCR p15, 0, Rt, c7, CRm, opc2 (write) or MRC (read), as an EC 0x03 syndrome. */
static uint32_t mcr_hsr(unsigned crm, unsigned opc2, unsigned rt, bool read)
{
    return ((uint32_t)EC_CP15_32 << HSR_EC_SHIFT) | HSR_IL | (opc2 << 17) | (7u << 10) | (rt << 5) |
           (crm << 1) | (read ? 1u : 0u);
}

static struct vm *vm;
static struct vcpu *v;

static void setup(void)
{
    vm = calloc(1, sizeof(*vm));
    vm->vcpu.vm = vm;
    v = &vm->vcpu;
    v->arch.cp15.clidr = A15_CLIDR;
    v->arch.cp15.ccsidr[0] = A15_CCSIDR_L1D;
    v->arch.cp15.ccsidr[2] = A15_CCSIDR_L2;
    host_dccisw_count = 0;
    host_dccisw_last = 0;
    trace_exits = false;
    console_reset();
}

static void teardown(void)
{
    free(vm);
}

START_TEST(test_is_op)
{
    ck_assert(cache_sw_is_op(mcr_hsr(6, 2, 0, false)));   /* DCISW */
    ck_assert(cache_sw_is_op(mcr_hsr(10, 2, 3, false)));  /* DCCSW */
    ck_assert(cache_sw_is_op(mcr_hsr(14, 2, 14, false))); /* DCCISW */
    ck_assert(!cache_sw_is_op(mcr_hsr(6, 2, 0, true)));   /* a read is not one */
    ck_assert(!cache_sw_is_op(mcr_hsr(6, 1, 0, false)));  /* DCIMVAC: by address */
    ck_assert(!cache_sw_is_op(mcr_hsr(14, 1, 0, false))); /* DCCIMVAC */
    ck_assert(!cache_sw_is_op(mcr_hsr(5, 0, 0, false)));  /* ICIALLU */
    /* The same ISS in another class (CP14) is not a CP15 operation. */
    uint32_t cp14 =
        (mcr_hsr(6, 2, 0, false) & ~(0x3fu << HSR_EC_SHIFT)) | ((uint32_t)EC_CP14_32 << HSR_EC_SHIFT);
    ck_assert(!cache_sw_is_op(cp14));
    /* opc1 != 0 or CRn != 7 */
    ck_assert(!cache_sw_is_op(mcr_hsr(6, 2, 0, false) | (1u << 14)));
    ck_assert(!cache_sw_is_op((mcr_hsr(6, 2, 0, false) & ~(0xfu << 10)) | (8u << 10)));
}
END_TEST

START_TEST(test_operand_valid)
{
    const uint32_t *c = v->arch.cp15.ccsidr;
    ck_assert(cache_sw_operand_valid(sw(1, 0, 0, 1), A15_CLIDR, c));
    ck_assert(cache_sw_operand_valid(sw(1, 255, 1, 1), A15_CLIDR, c)); /* last set and way */
    ck_assert(cache_sw_operand_valid(sw(2, 2047, 15, 4), A15_CLIDR, c));
    ck_assert(!cache_sw_operand_valid(sw(1, 256, 0, 1), A15_CLIDR, c));            /* set past 255 */
    ck_assert(!cache_sw_operand_valid(sw(3, 0, 0, 1), A15_CLIDR, c));              /* no level 3 */
    ck_assert(!cache_sw_operand_valid(sw(8, 0, 0, 1), A15_CLIDR, c));              /* level field 7 */
    ck_assert(!cache_sw_operand_valid(sw(1, 0, 0, 1) | 1u, A15_CLIDR, c));         /* bit 0 */
    ck_assert(!cache_sw_operand_valid(sw(1, 0, 0, 1) | (1u << 30), A15_CLIDR, c)); /* between way and set */
    ck_assert(!cache_sw_operand_valid(sw(1, 0, 0, 1) | (1u << 4), A15_CLIDR, c));  /* below the set */
    /* A level with an instruction cache only has nothing to clean. */
    ck_assert(!cache_sw_operand_valid(sw(1, 0, 0, 1), 0x1u, c));
    /* Three ways need two way bits; way 3 does not exist. */
    uint32_t three_ways[14] = {(2u << 3) | (255u << 13) | 2u};
    ck_assert(cache_sw_operand_valid(sw(1, 5, 2, 2), A15_CLIDR, three_ways));
    ck_assert(!cache_sw_operand_valid(sw(1, 5, 3, 2), A15_CLIDR, three_ways));
    /* A direct-mapped cache has no way field at all. */
    uint32_t direct[14] = {(0u << 3) | (255u << 13) | 2u};
    ck_assert(cache_sw_operand_valid(sw(1, 5, 0, 1), A15_CLIDR, direct));
    ck_assert(!cache_sw_operand_valid(sw(1, 5, 1, 1), A15_CLIDR, direct));
}
END_TEST

/* Rt as the guest's mode sees it; the PC (UNPREDICTABLE) gives an operand that is ignored. */
START_TEST(test_operand)
{
    v->arch.regs.r[3] = 0x80000042u;
    ck_assert_uint_eq(cache_sw_operand(v, mcr_hsr(6, 2, 3, false)), 0x80000042u);
    v->arch.regs.cpsr = 0x13; /* SVC: r13 is SP_svc */
    v->arch.regs.sp_svc = 0x40000002u;
    ck_assert_uint_eq(cache_sw_operand(v, mcr_hsr(14, 2, 13, false)), 0x40000002u);
    uint32_t pc = cache_sw_operand(v, mcr_hsr(14, 2, 15, false));
    ck_assert(!cache_sw_operand_valid(pc, A15_CLIDR, v->arch.cp15.ccsidr));
}
END_TEST

/* Whatever the guest asked for, the cache sees a clean+invalidate of that line. */
START_TEST(test_apply)
{
    uint32_t op = sw(2, 1000, 9, 4);
    cache_sw_apply(v, op);
    ck_assert_uint_eq(host_dccisw_count, 1);
    ck_assert_uint_eq(host_dccisw_last, op);
    ck_assert_uint_eq(vm->arch.cache_sw.done, 1);
    ck_assert_uint_eq(vm->arch.cache_sw.ignored, 0);
}
END_TEST

START_TEST(test_apply_bad_operand)
{
    trace_exits = true;
    cache_sw_apply(v, sw(5, 0, 0, 1));
    cache_sw_apply(v, 0xffffffffu);
    ck_assert_uint_eq(host_dccisw_count, 0);
    ck_assert_uint_eq(vm->arch.cache_sw.done, 0);
    ck_assert_uint_eq(vm->arch.cache_sw.ignored, 2);
    ck_assert_ptr_nonnull(strstr(console_buf, "set/way operand 0xffffffff names no data cache line"));
}
END_TEST

/* The statistics line appears once the guest has done any. */
START_TEST(test_stats_line)
{
    cache_sw_print_stats(&vm->arch.cache_sw);
    ck_assert_ptr_null(strstr(console_buf, "set/way"));
    cache_sw_apply(v, sw(1, 3, 1, 1));
    cache_sw_apply(v, 1u);
    cache_sw_print_stats(&vm->arch.cache_sw);
    ck_assert_ptr_nonnull(
        strstr(console_buf, "set/way cache maintenance: 1 done as clean+invalidate, 1 ignored"));
}
END_TEST

Suite *cache_sw_suite(void)
{
    Suite *s = suite_create("cache_sw");
    TCase *tc = tcase_create("set/way");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_is_op);
    tcase_add_test(tc, test_operand_valid);
    tcase_add_test(tc, test_operand);
    tcase_add_test(tc, test_apply);
    tcase_add_test(tc, test_apply_bad_operand);
    tcase_add_test(tc, test_stats_line);
    suite_add_tcase(s, tc);
    return s;
}
