/* Unit tests of the ARM exit dispatch (minivmm/arch/arm/exits.c), the hypercall table and the exit statistics. */
#include <stdlib.h>
#include <string.h>
#include <minivmm/arch_exit.h>
#include <minivmm/hypercall.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/stats.h>
#include <minivmm/vm.h>
#include "host_stubs.h"
#include "suites.h"

#define RAM_IPA  0x40000000u
#define RAM_SIZE 0x10000u

/* An HSR as the hardware reports it: exception class, 32-bit instruction, ISS. */
#define MK_HSR(ec, iss) (((uint32_t)(ec) << HSR_EC_SHIFT) | HSR_IL | (iss))
#define HSR_HVC0        MK_HSR(EC_HVC, 0)

static struct vm *vm;
static struct vcpu *v;

static void setup(void)
{
    vm = calloc(1, sizeof(*vm));
    vm->ram_ipa = RAM_IPA;
    vm->ram_size = RAM_SIZE;
    vm->ram_host = calloc(1, RAM_SIZE);
    vm->vcpu.vm = vm;
    v = &vm->vcpu;
    trace_exits = false;
    console_reset();
}

static void teardown(void)
{
    free(vm->ram_host);
    free(vm);
}

/* One trap exit as the core's run loop takes it: counted, then the port handles it. */
static enum exit_action trap(uint32_t hsr)
{
    v->arch.hsr = hsr;
    stats_record_exit(&v->stats, hsr_ec(hsr));
    if (trace_exits)
        arch_trace_exit(v, hsr_ec(hsr));
    return arch_handle_exit(v, hsr_ec(hsr));
}

/* The guest executes `hvc #0` with r0-r2 set. */
static enum exit_action hvc(uint32_t nr, uint32_t a1, uint32_t a2)
{
    v->arch.regs.r[0] = nr;
    v->arch.regs.r[1] = a1;
    v->arch.regs.r[2] = a2;
    return trap(HSR_HVC0);
}

static uint32_t r0(void)
{
    return v->arch.regs.r[0];
}

/* How often `needle` occurs in the captured console output. */
static int console_count(const char *needle)
{
    int n = 0;
    for (const char *p = console_buf; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

START_TEST(test_hvc_nop)
{
    v->arch.regs.r[3] = 0xcafe;
    ck_assert_int_eq(hvc(MV_HC_NOP, 11, 22), EXIT_RESUME);
    ck_assert_uint_eq(r0(), MV_HC_OK);
    ck_assert_uint_eq(v->arch.regs.r[1], 11); /* only r0 carries the result */
    ck_assert_uint_eq(v->arch.regs.r[3], 0xcafe);
    ck_assert_uint_eq(stats_exit_count(&v->stats, EC_HVC), 1);
    ck_assert_uint_eq(v->stats.total, 1);
    ck_assert_str_eq(console_buf, "");
}
END_TEST

START_TEST(test_hvc_putc)
{
    ck_assert_int_eq(hvc(MV_HC_PUTC, 'x', 0), EXIT_RESUME);
    ck_assert_uint_eq(r0(), MV_HC_OK);
    hvc(MV_HC_PUTC, 0x100 | 'y', 0); /* only the low byte is the character */
    ck_assert_str_eq(console_buf, "xy");
    ck_assert_uint_eq(stats_exit_count(&v->stats, EC_HVC), 2);
}
END_TEST

START_TEST(test_hvc_write)
{
    memcpy(vm->ram_host + 0x100, "hello, guest", 12);
    ck_assert_int_eq(hvc(MV_HC_WRITE, RAM_IPA + 0x100, 5), EXIT_RESUME);
    ck_assert_uint_eq(r0(), 5);
    ck_assert_str_eq(console_buf, "hello");
    memcpy(vm->ram_host + RAM_SIZE - 3, "end", 3); /* the last bytes of RAM are in reach */
    hvc(MV_HC_WRITE, RAM_IPA + RAM_SIZE - 3, 3);
    ck_assert_uint_eq(r0(), 3);
    ck_assert_str_eq(console_buf, "helloend");
}
END_TEST

/* A write of [ipa, ipa + len) that is not all guest RAM fails and prints nothing. */
static void expect_efault(uint32_t ipa, uint32_t len)
{
    console_reset();
    ck_assert_int_eq(hvc(MV_HC_WRITE, ipa, len), EXIT_RESUME);
    ck_assert_msg(r0() == (uint32_t)MV_HC_EFAULT, "write(%#x, %#x) returned %#x", ipa, len, r0());
    ck_assert_str_eq(console_buf, "");
}

START_TEST(test_hvc_write_outside_ram)
{
    expect_efault(RAM_IPA - 1, 4);              /* starts below */
    expect_efault(0x10000000u, 4);              /* far below */
    expect_efault(RAM_IPA + RAM_SIZE - 2, 3);   /* runs off the top */
    expect_efault(RAM_IPA + RAM_SIZE, 1);       /* just past the top */
    expect_efault(RAM_IPA + 0x10, 0xffffffffu); /* ipa + len wraps */
    expect_efault(0xfffffff0u, 0x20);
}
END_TEST

START_TEST(test_hvc_not_supported)
{
    /* No standard-service (owner 4, PSCI) numbers here: those belong to lab 1's code. */
    const uint32_t nrs[] = {MV_HC_BASE + 0x777, 0x12345678u, MV_HC_BASE - 1, MV_HC_BASE + 0xffff,
                            0xffffffffu};
    for (size_t i = 0; i < ARRAY_SIZE(nrs); i++) {
        ck_assert_int_eq(hvc(nrs[i], 0, 0), EXIT_RESUME);
        ck_assert_msg(r0() == (uint32_t)MV_HC_NOT_SUPPORTED, "nr %#x -> %#x", nrs[i], r0());
    }
    ck_assert_uint_eq(stats_exit_count(&v->stats, EC_HVC), ARRAY_SIZE(nrs));
}
END_TEST

START_TEST(test_unhandled_classes)
{
    /* Classes no lab gives a handler: the test must not run student code. */
    const uint32_t ecs[] = {EC_CP14_32, EC_UNKNOWN, 0x3f, EC_BXJ};
    for (size_t i = 0; i < ARRAY_SIZE(ecs); i++) {
        ck_assert_int_eq(trap(MK_HSR(ecs[i], 0x1234)), EXIT_UNHANDLED);
        ck_assert_uint_eq(stats_exit_count(&v->stats, ecs[i]), 1); /* counted all the same */
    }
    ck_assert_uint_eq(v->stats.total, ARRAY_SIZE(ecs));
    ck_assert_uint_eq(stats_exit_count(&v->stats, EC_HVC), 0);
}
END_TEST

START_TEST(test_report_unhandled)
{
    v->arch.regs.pc = 0x40001234u;
    v->arch.hsr = MK_HSR(EC_CP14_32, 0x1e0a);
    arch_report_unhandled(v);
    ck_assert_ptr_nonnull(strstr(console_buf, "class 0x5"));
    ck_assert_ptr_nonnull(strstr(console_buf, "CP14_32"));
    ck_assert_ptr_nonnull(strstr(console_buf, "40001234"));
    ck_assert_ptr_nonnull(strstr(console_buf, "16001e0a")); /* the whole HSR */
    ck_assert_ptr_nonnull(strstr(console_buf, "ISS 0x1e0a"));
    ck_assert_ptr_nonnull(strstr(console_buf, "guest state")); /* followed by the registers */
}
END_TEST

START_TEST(test_report_unhandled_reserved)
{
    v->arch.regs.pc = 0x4000abcdu;
    v->arch.hsr = MK_HSR(0x3f, 0);
    arch_report_unhandled(v);
    ck_assert_ptr_nonnull(strstr(console_buf, "class 0x3f"));
    ck_assert_ptr_nonnull(strstr(console_buf, "RESERVED"));
    ck_assert_ptr_nonnull(strstr(console_buf, "4000abcd"));
}
END_TEST

START_TEST(test_trace)
{
    hvc(MV_HC_NOP, 0, 0);
    ck_assert_int_eq(console_count("[exit"), 0); /* off by default */
    trace_exits = true;
    v->arch.regs.pc = 0x40000abcu;
    hvc(MV_HC_NOP, 0, 0);
    trap(MK_HSR(EC_CP14_32, 0));
    hvc(MV_HC_PUTC, '!', 0);
    ck_assert_int_eq(console_count("[exit"), 3); /* one line per exit */
    ck_assert_int_eq(console_count("\n"), 3);
    ck_assert_ptr_nonnull(strstr(console_buf, "[exit 2] HVC"));
    ck_assert_ptr_nonnull(strstr(console_buf, "[exit 3] CP14_32"));
    ck_assert_ptr_nonnull(strstr(console_buf, "pc=40000abc"));
    ck_assert_ptr_nonnull(strstr(console_buf, "!")); /* the hypercall still ran */
}
END_TEST

START_TEST(test_class_names)
{
    ck_assert_str_eq(exit_class_name(EC_HVC), "HVC");
    ck_assert_str_eq(exit_class_name(EC_UNKNOWN), "UNKNOWN");
    ck_assert_str_eq(exit_class_name(EC_CP14_32), "CP14_32");
    ck_assert_str_eq(exit_class_name(EC_DABT_LOW), "DABT_LOW");
    ck_assert_str_eq(exit_class_name(EC_DABT_HYP), "DABT_HYP");
    ck_assert_str_eq(exit_class_name(0x02), "RESERVED");
    ck_assert_str_eq(exit_class_name(0x3f), "RESERVED");
    ck_assert_str_eq(exit_class_name(EXIT_CLASSES), "RESERVED"); /* out of range, not out of bounds */
    ck_assert_str_eq(exit_class_name(0xffffffffu), "RESERVED");
    /* The core's names: the same, and the physical-interrupt class. */
    ck_assert_str_eq(arch_exit_name(EC_HVC), "HVC");
    ck_assert_str_eq(arch_exit_name(ARCH_EXIT_IRQ), "IRQ");
    ck_assert_str_eq(arch_exit_name(ARCH_EXIT_IRQ + 1), "RESERVED");
}
END_TEST

/* An interrupt exit goes to the port's interrupt handling and resumes; it is
 * counted apart from the trap classes. */
START_TEST(test_irq_exit)
{
    trace_exits = true;
    vm->features = VM_F_IRQS;
    v->arch.exit_kind = EXIT_KIND_IRQ;
    stats_record_irq(&v->stats);
    arch_trace_exit(v, ARCH_EXIT_IRQ);
    ck_assert_int_eq(arch_handle_exit(v, ARCH_EXIT_IRQ), EXIT_RESUME);
    ck_assert_ptr_nonnull(strstr(console_buf, "[exit 1] IRQ"));
    ck_assert_uint_eq(v->stats.irqs, 1);
    for (uint32_t ec = 0; ec < ARCH_EXIT_CLASSES; ec++)
        ck_assert_uint_eq(stats_exit_count(&v->stats, ec), 0);
}
END_TEST

/* The test hypercalls have their own table: each number finds its function,
 * the numbers around them find none. */
START_TEST(test_test_hypercall_table)
{
    ck_assert_ptr_nonnull(test_hypercall(MV_HC_TEST_INJECT));
    ck_assert_ptr_nonnull(test_hypercall(MV_HC_TEST_MMIO_STAT));
    ck_assert_ptr_null(test_hypercall(MV_HC_EXIT_COUNT));
    ck_assert_ptr_null(test_hypercall(MV_HC_BASE + MV_HC_COUNT));
    ck_assert_ptr_null(test_hypercall(0));
    /* Through the dispatcher: a test call runs (lab 3's counter reads 0). */
    ck_assert_int_eq(hvc(MV_HC_TEST_MMIO_STAT, MV_MMIO_STAT_ISV, 0), EXIT_RESUME);
    ck_assert_uint_eq(r0(), 0);
    ck_assert_int_eq(hvc(MV_HC_TEST_MMIO_STAT, 99, 0), EXIT_RESUME);
    ck_assert_uint_eq(r0(), (uint32_t)MV_HC_EINVAL);
}
END_TEST

/* Power-off ends the VMM (the test process on the host) with the guest's code. */
START_TEST(test_poweroff_3)
{
    hvc(MV_HC_POWEROFF, 3, 0);
    ck_abort_msg("MV_HC_POWEROFF returned");
}
END_TEST

START_TEST(test_poweroff_0)
{
    hvc(MV_HC_POWEROFF, 0, 0);
    ck_abort_msg("MV_HC_POWEROFF returned");
}
END_TEST

START_TEST(test_poweroff_256)
{
    /* 256 would be 0 as an 8-bit exit status: a failing guest must not look successful. */
    hvc(MV_HC_POWEROFF, 256, 0);
    ck_abort_msg("MV_HC_POWEROFF returned");
}
END_TEST

/* The guest's firmware power-off (PSCI SYSTEM_OFF on ARM, lab 1) ends the VMM with status 0. */
START_TEST(test_vm_power_off)
{
    vm_power_off(vm);
    ck_abort_msg("vm_power_off returned");
}
END_TEST

START_TEST(test_stats_counts)
{
    struct exit_stats s = {0};
    stats_record_exit(&s, EC_HVC);
    stats_record_exit(&s, EC_HVC);
    stats_record_exit(&s, 0x3f);
    stats_record_exit(&s, EXIT_CLASSES); /* out of range: total only */
    stats_record_exit(&s, 0xffffffffu);
    stats_record_irq(&s);
    ck_assert_uint_eq(stats_exit_count(&s, EC_HVC), 2);
    ck_assert_uint_eq(stats_exit_count(&s, 0x3f), 1);
    ck_assert_uint_eq(stats_exit_count(&s, 0), 0);
    ck_assert_uint_eq(stats_exit_count(&s, EXIT_CLASSES), 0);
    ck_assert_uint_eq(stats_exit_count(&s, 0xffffffffu), 0);
    ck_assert_uint_eq(s.irqs, 1);
    ck_assert_uint_eq(s.total, 6);
    uint64_t sum = 0;
    for (int ec = 0; ec < EXIT_CLASSES; ec++)
        sum += s.count[ec];
    ck_assert_uint_eq(sum, 3); /* the bad classes went nowhere */
}
END_TEST

START_TEST(test_stats_print)
{
    struct exit_stats s = {0};
    stats_record_exit(&s, EC_HVC);
    stats_record_exit(&s, EC_CP14_32);
    stats_record_exit(&s, EC_HVC);
    stats_record_exit(&s, 99);
    stats_record_irq(&s);
    stats_print(&s);
    /* Classes in class order, the out-of-range exit in the total only. */
    ck_assert_str_eq(console_buf, "minivmm: 5 exits: CP14_32 1, HVC 2, IRQ 1\r\n");
    console_reset();
    s.count[EC_HVC] = 0x100000000ull; /* counters are 64-bit */
    s.count[EC_CP14_32] = 0;
    s.irqs = 0;
    s.total = 0x100000000ull;
    stats_print(&s);
    ck_assert_str_eq(console_buf, "minivmm: 4294967296 exits: HVC 4294967296\r\n");
}
END_TEST

/* Condition checks of trapped instructions, against the ARM ARM's condition table. */
static uint32_t cp15_trap(bool cv, uint32_t cond)
{
    return 0x03u << HSR_EC_SHIFT | HSR_IL | (cv ? 1u << 24 : 0) | cond << 20;
}

static uint32_t flags(bool n, bool z, bool c, bool v)
{
    return (uint32_t)n << 31 | (uint32_t)z << 30 | (uint32_t)c << 29 | (uint32_t)v << 28;
}

/* An independent evaluation of each condition (ARM ARM A8.3, table A8-1). */
static bool holds(uint32_t cond, bool n, bool z, bool c, bool v)
{
    bool r;
    switch (cond >> 1) {
    case 0: r = z; break;
    case 1: r = c; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = c && !z; break;
    case 5: r = n == v; break;
    case 6: r = !z && n == v; break;
    default: return true; /* AL, and 0b1111 (unconditional) */
    }
    return (cond & 1) ? !r : r;
}

START_TEST(test_cond_passed)
{
    for (uint32_t cond = 0; cond < 16; cond++)
        for (uint32_t f = 0; f < 16; f++) {
            bool n = f & 8, z = f & 4, c = f & 2, v = f & 1;
            ck_assert_msg(hsr_cond_passed(cp15_trap(true, cond), flags(n, z, c, v)) ==
                              holds(cond, n, z, c, v),
                          "cond %u with NZCV %x", cond, f);
        }
    /* CV clear outside an IT block: passed, whatever COND holds */
    ck_assert(hsr_cond_passed(cp15_trap(false, 0), flags(0, 0, 0, 0)));
    /* CV clear in an IT block: the condition is ITSTATE[7:4] (here NE, IT = 0x18) */
    uint32_t it_ne = (0x18u & 0xfc) << 8;
    ck_assert(!hsr_cond_passed(cp15_trap(false, 0), flags(0, 1, 0, 0) | it_ne));
    ck_assert(hsr_cond_passed(cp15_trap(false, 0), flags(0, 0, 0, 0) | it_ne));
    /* HVC, SMC and aborts carry no condition */
    ck_assert(hsr_cond_passed(0x12u << HSR_EC_SHIFT | 1u << 24, flags(0, 0, 0, 0)));
}
END_TEST

Suite *exits_suite(void)
{
    Suite *s = suite_create("exits");
    TCase *tc = tcase_create("dispatch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_hvc_nop);
    tcase_add_test(tc, test_hvc_putc);
    tcase_add_test(tc, test_hvc_write);
    tcase_add_test(tc, test_hvc_write_outside_ram);
    tcase_add_test(tc, test_hvc_not_supported);
    tcase_add_test(tc, test_unhandled_classes);
    tcase_add_test(tc, test_report_unhandled);
    tcase_add_test(tc, test_report_unhandled_reserved);
    tcase_add_test(tc, test_trace);
    tcase_add_test(tc, test_class_names);
    tcase_add_test(tc, test_irq_exit);
    tcase_add_test(tc, test_test_hypercall_table);
    tcase_add_test(tc, test_cond_passed);
    tcase_add_exit_test(tc, test_poweroff_3, 3);
    tcase_add_exit_test(tc, test_poweroff_0, 0);
    tcase_add_exit_test(tc, test_poweroff_256, 1);
    tcase_add_exit_test(tc, test_vm_power_off, 0);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("stats");
    tcase_add_checked_fixture(st, setup, teardown);
    tcase_add_test(st, test_stats_counts);
    tcase_add_test(st, test_stats_print);
    suite_add_tcase(s, st);
    return s;
}
