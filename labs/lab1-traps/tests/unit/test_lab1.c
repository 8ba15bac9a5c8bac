/* Lab 1 graded unit tests: arm_advance_pc, PSCI, CP15 emulation and exception injection
 * (minivmm/arch/arm/{pc,psci,cp15,inject}.c); the grader runs one tcase with CK_RUN_CASE=<name>.
 *
 * The expected values come from the ARM Architecture Reference Manual, ARMv7-A/R
 * (DDI 0406C): ITAdvance() (A2.5.2), the HSR ISS of a trapped MCR/MRC (B3.13.6),
 * exception entry (B1.8.3, table B1-7) and the PSCI specification (Arm DEN 0022). */
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <minivmm/vm.h>
#include <arch/hsr.h>
#include <arch/regs.h>
#include <arch/traps.h>
#include "host_stubs.h"
#include "regfile.h"

/* ------------------------------------------------------------------ fixture */

static struct vm vm;
static struct vcpu *v;
static struct arm_regs *regs;

/* A fresh VM, vCPU and guest CP15 for every test (each test runs in its own process too). */
static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
    v = &vm.vcpu;
    v->vm = &vm;
    regs = &v->arch.regs;
    memset(host_guest_cp15, 0, G_CP15_COUNT * sizeof(uint32_t));
    console_reset();
}

static void teardown(void) {}

/* ------------------------------------------------------------ register file */

/* The whole register file: minivmm/tests/unit/regfile.c. */
static void fill_regs(uint32_t cpsr, uint32_t pc) { regfile_fill(regs, cpsr, pc); }
static void check_regs(const struct arm_regs *want) { regfile_check(regs, want, ""); }

/* ----------------------------------------------------------------- ITSTATE */

/* ITSTATE lives in CPSR bits 26:25 (IT[1:0]) and 15:10 (IT[7:2]) (ARM ARM A2.5.2, B1.3.3). */
static uint32_t put_it(uint32_t cpsr, uint32_t it)
{
    cpsr &= ~(0x3u << 25 | 0x3fu << 10);
    return cpsr | (it & 0x3u) << 25 | (it >> 2 & 0x3fu) << 10;
}

static uint32_t get_it(uint32_t cpsr)
{
    return (cpsr >> 25 & 0x3u) | (cpsr >> 10 & 0x3fu) << 2;
}

/* Every CPSR bit that an instruction step must leave alone: N Z C V Q, GE[3:0],
 * E A I F, and the mode. T is added per test. */
#define CPSR_OTHERS (0xf8000000u | 0x000f0000u | PSR_E | PSR_A | PSR_I | PSR_F)

/* The syndrome of a trapped WFI: EC 0x01, CV=1, COND=AL, with HSR.IL as given. */
static uint32_t wfi_hsr(bool il32)
{
    return (uint32_t)EC_WFI_WFE << HSR_EC_SHIFT | (il32 ? HSR_IL : 0) | 1u << 24 | 0xeu << 20;
}

/* ------------------------------------------------------------- advance_pc */

START_TEST(test_arm_advances_4)
{
    uint32_t cpsr = CPSR_OTHERS | PSR_MODE_SVC;
    fill_regs(cpsr, 0x80001000u);
    struct arm_regs want = *regs;
    want.pc = 0x80001004u;
    arm_advance_pc(regs, wfi_hsr(true));
    check_regs(&want);

    /* from another mode and an odd place, and twice in a row */
    fill_regs(0x60000010u, 0x0000fffcu);
    want = *regs;
    want.pc = 0x00010004u;
    arm_advance_pc(regs, wfi_hsr(true));
    arm_advance_pc(regs, wfi_hsr(true));
    check_regs(&want);
}
END_TEST

START_TEST(test_arm_pc_wraps)
{
    fill_regs(PSR_MODE_SVC, 0xfffffffcu);
    arm_advance_pc(regs, wfi_hsr(true));
    ck_assert_uint_eq(regs->pc, 0);
}
END_TEST

START_TEST(test_thumb_16bit_advances_2)
{
    uint32_t cpsr = CPSR_OTHERS | PSR_T | PSR_MODE_SVC;
    fill_regs(cpsr, 0x80002002u);
    struct arm_regs want = *regs;
    want.pc = 0x80002004u;
    arm_advance_pc(regs, wfi_hsr(false));
    check_regs(&want);
}
END_TEST

START_TEST(test_thumb_32bit_advances_4)
{
    uint32_t cpsr = CPSR_OTHERS | PSR_T | PSR_MODE_SYS;
    fill_regs(cpsr, 0x80002002u); /* a 32-bit Thumb instruction need only be halfword aligned */
    struct arm_regs want = *regs;
    want.pc = 0x80002006u;
    arm_advance_pc(regs, wfi_hsr(true));
    check_regs(&want);
}
END_TEST

/* Step one instruction inside an IT block: ITSTATE `from` must become `to`
 * (ITAdvance(): the low five bits shift left, IT[7:5] stay; the block ends
 * when IT[2:0] is zero), and nothing else in the CPSR may change. */
static void it_step(uint32_t from, uint32_t to, bool il32)
{
    uint32_t others = CPSR_OTHERS | PSR_T | PSR_MODE_SVC;
    fill_regs(put_it(others, from), 0x80003000u);
    struct arm_regs want = *regs;
    want.pc = 0x80003000u + (il32 ? 4 : 2);
    want.cpsr = put_it(others, to);
    arm_advance_pc(regs, wfi_hsr(il32));
    ck_assert_msg(get_it(regs->cpsr) == to, "ITSTATE %#04x advanced to %#04x, want %#04x", from,
                  get_it(regs->cpsr), to);
    ck_assert_msg((regs->cpsr & ~PSR_IT_MASK) == (want.cpsr & ~PSR_IT_MASK),
                  "CPSR outside ITSTATE changed: %#010x, want %#010x", regs->cpsr & ~PSR_IT_MASK,
                  want.cpsr & ~PSR_IT_MASK);
    check_regs(&want);
}

START_TEST(test_it_ite_eq_first_slot)
{
    /* ITE EQ: firstcond 0000, mask 1100. After the EQ slot, the NE slot (last). */
    it_step(0x0c, 0x18, false);
}
END_TEST

START_TEST(test_it_last_slot_ends_block)
{
    it_step(0x08, 0x00, false); /* IT EQ: one instruction */
    it_step(0x18, 0x00, false); /* second slot of ITE EQ */
    it_step(0xd8, 0x00, true);  /* last slot of an LE/GT block, 32-bit instruction */
}
END_TEST

START_TEST(test_it_block_walk)
{
    /* ITTTT NE: firstcond 0001, mask 1111. */
    it_step(0x1f, 0x1e, false);
    it_step(0x1e, 0x1c, false);
    it_step(0x1c, 0x18, false); /* bit 4 shifts out: the condition stays NE */
    it_step(0x18, 0x00, false);
    /* ITETE GT: firstcond 1100, mask 1011: GT, LE, GT, LE; IT[7:5] never change. */
    it_step(0xcb, 0xd6, true);
    it_step(0xd6, 0xcc, false);
    it_step(0xcc, 0xd8, true);
    it_step(0xd8, 0x00, false);
}
END_TEST

START_TEST(test_it_all_conditions)
{
    /* Second slot of a two-instruction block for every firstcond: IT[7:5] are kept
     * and IT[4:0] = {firstcond[0] or its inverse, 1, 0, 0, 0}. */
    for (uint32_t cond = 0; cond < 15; cond++) {
        uint32_t it = cond << 4 | 0x4u | (cond & 1u) << 3; /* ITT <cond> */
        it_step(it, (cond & 0xeu) << 4 | (cond & 1u) << 4 | 0x8u, false);
    }
}
END_TEST

/* ------------------------------------------------------------------- psci */

static uint32_t call(uint32_t fn, uint32_t a1)
{
    regs->r[0] = fn;
    regs->r[1] = a1;
    return psci_call(v);
}

#define NOT_SUPPORTED ((uint32_t)PSCI_RET_NOT_SUPPORTED)

START_TEST(test_psci_version)
{
    fill_regs(PSR_MODE_SVC, 0x80000000u);
    ck_assert_uint_eq(call(PSCI_VERSION, 0), 0x00010000u);
    ck_assert(!vm.reset_requested);
}
END_TEST

START_TEST(test_psci_features_implemented)
{
    fill_regs(PSR_MODE_SVC, 0x80000000u);
    const uint32_t yes[] = {PSCI_VERSION, PSCI_FEATURES, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET};
    for (unsigned i = 0; i < ARRAY_SIZE(yes); i++)
        ck_assert_msg(call(PSCI_FEATURES, yes[i]) == 0, "PSCI_FEATURES(%#x) = %#x, want 0", yes[i],
                      call(PSCI_FEATURES, yes[i]));
    ck_assert(!vm.reset_requested);
}
END_TEST

START_TEST(test_psci_features_not_implemented)
{
    fill_regs(PSR_MODE_SVC, 0x80000000u);
    const uint32_t no[] = {PSCI_CPU_ON, PSCI_CPU_OFF, PSCI_CPU_SUSPEND, PSCI_AFFINITY_INFO,
                           0x8400ffffu, 0xc4000003u /* CPU_ON, SMC64 */, 0x82000000u, 0};
    for (unsigned i = 0; i < ARRAY_SIZE(no); i++)
        ck_assert_msg(call(PSCI_FEATURES, no[i]) == NOT_SUPPORTED,
                      "PSCI_FEATURES(%#x) = %#x, want NOT_SUPPORTED (-1)", no[i],
                      call(PSCI_FEATURES, no[i]));
    ck_assert(!vm.reset_requested);
}
END_TEST

START_TEST(test_psci_unsupported_calls)
{
    fill_regs(PSR_MODE_SVC, 0x80000000u);
    ck_assert_uint_eq(call(PSCI_CPU_ON, 1), NOT_SUPPORTED);
    ck_assert_uint_eq(call(PSCI_CPU_OFF, 0), NOT_SUPPORTED);
    ck_assert_uint_eq(call(0x8400ffffu, 0), NOT_SUPPORTED);
    ck_assert_uint_eq(call(0xc4000003u, 0), NOT_SUPPORTED);
    ck_assert(!vm.reset_requested);
}
END_TEST

START_TEST(test_psci_system_reset)
{
    fill_regs(PSR_MODE_SVC, 0x80000000u);
    ck_assert(!vm.reset_requested);
    call(PSCI_SYSTEM_RESET, 0); /* returns: the run loop does the reset */
    ck_assert_msg(vm.reset_requested, "SYSTEM_RESET did not request a reset of the VM");
}
END_TEST

/* A trapped SMC (EC 0x13) is always a 32-bit instruction; ELR_hyp is the SMC itself. */
#define SMC_HSR ((uint32_t)EC_SMC << HSR_EC_SHIFT | HSR_IL)

static void smc(uint32_t fn, uint32_t a1, uint32_t cpsr, uint32_t want_r0)
{
    fill_regs(cpsr, 0x80004000u);
    regs->r[0] = fn;
    regs->r[1] = a1;
    struct arm_regs want = *regs;
    want.r[0] = want_r0;
    want.pc = 0x80004004u;
    ck_assert_int_eq(handle_smc(v, SMC_HSR), EXIT_RESUME);
    memcpy(want.r + 1, regs->r + 1, 3 * sizeof(uint32_t)); /* SMCCC: r1-r3 may be clobbered */
    check_regs(&want);
}

START_TEST(test_smc_result_and_pc)
{
    smc(PSCI_VERSION, 0, 0x60000013u, 0x00010000u);
    smc(PSCI_FEATURES, PSCI_SYSTEM_OFF, 0x60000013u, 0);
    smc(PSCI_FEATURES, PSCI_CPU_ON, 0x60000013u, NOT_SUPPORTED);
    smc(PSCI_CPU_ON, 1, 0x60000013u, NOT_SUPPORTED);
    ck_assert(!vm.reset_requested);
}
END_TEST

START_TEST(test_smc_thumb)
{
    smc(PSCI_VERSION, 0, 0x60000033u, 0x00010000u); /* Thumb SMC: also 4 bytes */
}
END_TEST

START_TEST(test_smc_system_reset)
{
    fill_regs(PSR_MODE_SVC, 0x80004000u);
    regs->r[0] = PSCI_SYSTEM_RESET;
    ck_assert_int_eq(handle_smc(v, SMC_HSR), EXIT_RESUME);
    ck_assert(vm.reset_requested);
}
END_TEST

/* Exit tests: the process must end with status 0 inside the call. */
START_TEST(test_psci_system_off)
{
    fill_regs(PSR_MODE_SVC, 0x80000000u);
    call(PSCI_SYSTEM_OFF, 0);
    ck_abort_msg("PSCI SYSTEM_OFF returned; it must end the VM with status 0");
}
END_TEST

START_TEST(test_smc_system_off)
{
    fill_regs(PSR_MODE_SVC, 0x80000000u);
    regs->r[0] = PSCI_SYSTEM_OFF;
    handle_smc(v, SMC_HSR);
    ck_abort_msg("SMC SYSTEM_OFF returned; it must end the VM with status 0");
}
END_TEST

/* ------------------------------------------------------------------- cp15 */

/* The HSR of a trapped MRC (read) or MCR p15, opc1, Rt, CRn, CRm, opc2 (ARM ARM B3.13.6):
 * EC 0x03, IL=1, CV=1, COND=AL, Opc2 19:17, Opc1 16:14, CRn 13:10, Rt 9:5, CRm 4:1, Direction 0. */
static uint32_t cp15_hsr(unsigned opc1, unsigned crn, unsigned crm, unsigned opc2, unsigned rt, bool read)
{
    return (uint32_t)EC_CP15_32 << HSR_EC_SHIFT | HSR_IL | 1u << 24 | 0xeu << 20 | opc2 << 17 |
           opc1 << 14 | crn << 10 | rt << 5 | crm << 1 | (read ? 1u : 0u);
}

static void check_decode(unsigned opc1, unsigned crn, unsigned crm, unsigned opc2, unsigned rt, bool read)
{
    struct cp15_access a;
    memset(&a, 0xa5, sizeof(a));
    cp15_decode(cp15_hsr(opc1, crn, crm, opc2, rt, read), &a);
    ck_assert_msg(a.opc1 == opc1 && a.crn == crn && a.crm == crm && a.opc2 == opc2 && a.rt == rt &&
                      a.read == read,
                  "decoded {opc1 %u, CRn %u, CRm %u, opc2 %u, Rt %u, read %d}, want "
                  "{opc1 %u, CRn %u, CRm %u, opc2 %u, Rt %u, read %d}",
                  a.opc1, a.crn, a.crm, a.opc2, a.rt, a.read, opc1, crn, crm, opc2, rt, read);
}

START_TEST(test_cp15_decode)
{
    check_decode(0, 0, 0, 0, 0, true);      /* MRC p15, 0, r0, c0, c0, 0: MIDR */
    check_decode(0, 0, 0, 0, 0, false);
    check_decode(1, 0, 0, 1, 7, true);      /* CLIDR into r7 */
    check_decode(2, 0, 0, 0, 3, false);     /* MCR CSSELR from r3 */
    check_decode(5, 10, 12, 3, 6, true);    /* every field distinct */
    check_decode(1, 5, 3, 6, 9, false);
    check_decode(7, 15, 15, 7, 14, true);   /* every field at its maximum */
    check_decode(7, 15, 15, 7, 14, false);
    check_decode(4, 1, 2, 0, 13, true);
}
END_TEST

START_TEST(test_cp15_decode_ignores_il_and_cond)
{
    struct cp15_access a;
    /* a 16-bit-looking IL and a condition other than AL change nothing in the fields */
    uint32_t hsr = (cp15_hsr(3, 9, 6, 5, 11, false) & ~(HSR_IL | 0xfu << 20)) | 0x1u << 20;
    cp15_decode(hsr, &a);
    ck_assert_uint_eq(a.opc1, 3);
    ck_assert_uint_eq(a.crn, 9);
    ck_assert_uint_eq(a.crm, 6);
    ck_assert_uint_eq(a.opc2, 5);
    ck_assert_uint_eq(a.rt, 11);
    ck_assert(!a.read);
}
END_TEST

/* A view with a distinct value in every field. */
static void fill_view(void)
{
    struct cp15_view *c = &v->arch.cp15;
    uint32_t w[sizeof(*c) / sizeof(uint32_t)];
    for (unsigned i = 0; i < ARRAY_SIZE(w); i++)
        w[i] = 0xc0000000u + (i + 1) * 0x00110011u;
    memcpy(c, w, sizeof(w));
    c->csselr = 0;
}

#define GUEST_VBAR 0x80100000u
#define PC0 0x80005000u

/* The register that MRC p15, opc1, Rt, CRn, CRm, opc2 reads. */
struct id_reg {
    const char *name;
    unsigned opc1, crn, crm, opc2;
    const uint32_t *value;
};

static void read_id(const struct id_reg *r, unsigned rt)
{
    fill_regs(0x60000013u, PC0);
    struct arm_regs want = *regs;
    struct cp15_view view = v->arch.cp15;
    want.r[rt] = *r->value;
    want.pc = PC0 + 4;
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(r->opc1, r->crn, r->crm, r->opc2, rt, true)), EXIT_RESUME);
    ck_assert_msg(regs->r[rt] == *r->value, "MRC %s into r%u gave %#010x, want %#010x", r->name, rt,
                  regs->r[rt], *r->value);
    check_regs(&want);
    ck_assert_msg(memcmp(&view, &v->arch.cp15, sizeof(view)) == 0, "reading %s changed the view", r->name);
}

START_TEST(test_cp15_read_id_regs)
{
    fill_view();
    const struct cp15_view *c = &v->arch.cp15;
    const struct id_reg ids[] = {
        {"MIDR", 0, 0, 0, 0, &c->midr},           {"CTR", 0, 0, 0, 1, &c->ctr},
        {"MPIDR", 0, 0, 0, 5, &c->mpidr},         {"ID_PFR0", 0, 0, 1, 0, &c->id_pfr0},
        {"ID_PFR1", 0, 0, 1, 1, &c->id_pfr1},     {"ID_DFR0", 0, 0, 1, 2, &c->id_dfr0},
        {"ID_MMFR0", 0, 0, 1, 4, &c->id_mmfr[0]}, {"ID_MMFR3", 0, 0, 1, 7, &c->id_mmfr[3]},
        {"ID_ISAR0", 0, 0, 2, 0, &c->id_isar[0]}, {"ID_ISAR5", 0, 0, 2, 5, &c->id_isar[5]},
        {"CLIDR", 1, 0, 0, 1, &c->clidr},         {"AIDR", 1, 0, 0, 7, &c->aidr},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(ids); i++)
        read_id(&ids[i], (i * 5 + 2) % 13); /* various Rt in r0-r12 */
}
END_TEST

START_TEST(test_cp15_read_thumb)
{
    fill_view();
    fill_regs(0x60000033u, PC0 + 2); /* Thumb MRC: 32 bits, halfword aligned */
    struct arm_regs want = *regs;
    want.r[4] = v->arch.cp15.midr;
    want.pc = PC0 + 6;
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(0, 0, 0, 0, 4, true)), EXIT_RESUME);
    check_regs(&want);
}
END_TEST

/* MRC MIDR into Rt in the given mode: `banked` is where the value must land. */
static void read_banked(uint32_t mode, unsigned rt, size_t offset, const char *name)
{
    fill_regs(0x60000000u | mode, PC0);
    struct arm_regs want = *regs;
    uint32_t *w = (uint32_t *)((char *)&want + offset);
    *w = v->arch.cp15.midr;
    want.pc = PC0 + 4;
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(0, 0, 0, 0, rt, true)), EXIT_RESUME);
    uint32_t got;
    memcpy(&got, (char *)regs + offset, sizeof(got));
    ck_assert_msg(got == v->arch.cp15.midr, "MRC into r%u in mode %#x: %s is %#010x, want MIDR %#010x",
                  rt, mode, name, got, v->arch.cp15.midr);
    check_regs(&want);
}

START_TEST(test_cp15_read_banked)
{
    fill_view();
    read_banked(PSR_MODE_SVC, 13, offsetof(struct arm_regs, sp_svc), "sp_svc");
    read_banked(PSR_MODE_SVC, 14, offsetof(struct arm_regs, lr_svc), "lr_svc");
    read_banked(PSR_MODE_SYS, 13, offsetof(struct arm_regs, sp_usr), "sp_usr");
    read_banked(PSR_MODE_USR, 13, offsetof(struct arm_regs, sp_usr), "sp_usr");
    read_banked(PSR_MODE_ABT, 14, offsetof(struct arm_regs, lr_abt), "lr_abt");
    read_banked(PSR_MODE_UND, 13, offsetof(struct arm_regs, sp_und), "sp_und");
    read_banked(PSR_MODE_IRQ, 14, offsetof(struct arm_regs, lr_irq), "lr_irq");
    read_banked(PSR_MODE_FIQ, 8, offsetof(struct arm_regs, r8_fiq[0]), "r8_fiq");
    read_banked(PSR_MODE_FIQ, 12, offsetof(struct arm_regs, r8_fiq[4]), "r12_fiq");
    read_banked(PSR_MODE_FIQ, 13, offsetof(struct arm_regs, sp_fiq), "sp_fiq");
    read_banked(PSR_MODE_FIQ, 7, offsetof(struct arm_regs, r[7]), "r7");
    read_banked(PSR_MODE_SVC, 8, offsetof(struct arm_regs, r[8]), "r8");
}
END_TEST

START_TEST(test_cp15_csselr_ccsidr)
{
    fill_view();
    struct cp15_view *c = &v->arch.cp15;
    /* CCSIDR with CSSELR = 0 (L1 data/unified) */
    fill_regs(0x60000013u, PC0);
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(1, 0, 0, 0, 2, true)), EXIT_RESUME);
    ck_assert_uint_eq(regs->r[2], c->ccsidr[0]);
    ck_assert_uint_eq(regs->pc, PC0 + 4);

    /* MCR CSSELR, r3 = 3 (L2 instruction) */
    fill_regs(0x60000013u, PC0);
    regs->r[3] = 3;
    struct arm_regs want = *regs;
    want.pc = PC0 + 4;
    struct cp15_view view = *c;
    view.csselr = 3;
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(2, 0, 0, 0, 3, false)), EXIT_RESUME);
    check_regs(&want);
    ck_assert_uint_eq(c->csselr, 3);
    ck_assert_msg(memcmp(&view, c, sizeof(view)) == 0, "writing CSSELR changed another view field");

    /* MRC CSSELR reads it back */
    fill_regs(0x60000013u, PC0);
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(2, 0, 0, 0, 5, true)), EXIT_RESUME);
    ck_assert_uint_eq(regs->r[5], 3);
    ck_assert_uint_eq(regs->pc, PC0 + 4);

    /* CCSIDR now reads the entry CSSELR selects, into the banked lr_svc */
    fill_regs(0x60000013u, PC0);
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(1, 0, 0, 0, 14, true)), EXIT_RESUME);
    ck_assert_uint_eq(regs->lr_svc, c->ccsidr[3]);
    ck_assert_uint_eq(regs->pc, PC0 + 4);

    /* CSSELR from a banked register: sp_svc */
    fill_regs(0x60000013u, PC0);
    regs->sp_svc = 2;
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(2, 0, 0, 0, 13, false)), EXIT_RESUME);
    ck_assert_uint_eq(c->csselr, 2);
    fill_regs(0x60000013u, PC0);
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(1, 0, 0, 0, 0, true)), EXIT_RESUME);
    ck_assert_uint_eq(regs->r[0], c->ccsidr[2]);
}
END_TEST

START_TEST(test_cp15_actlr)
{
    fill_view();
    struct cp15_view view = v->arch.cp15;
    /* MCR p15, 0, r6, c1, c0, 1: ignored, the guest carries on after it */
    fill_regs(0x60000013u, PC0);
    regs->r[6] = 0xffffffffu;
    struct arm_regs want = *regs;
    want.pc = PC0 + 4;
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(0, 1, 0, 1, 6, false)), EXIT_RESUME);
    check_regs(&want);
    ck_assert_msg(memcmp(&view, &v->arch.cp15, sizeof(view)) == 0, "an ACTLR write changed the view");
    /* and a read returns the view's value */
    fill_regs(0x60000013u, PC0);
    want = *regs;
    want.r[1] = view.actlr;
    want.pc = PC0 + 4;
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(0, 1, 0, 1, 1, true)), EXIT_RESUME);
    check_regs(&want);
}
END_TEST

/* The access must not be emulated: the guest takes an Undefined Instruction
 * exception at the trapped instruction (ARM ARM B1.9.6, table B1-7): UND mode at
 * VBAR + 4, LR_und = faulting PC + 4 (ARM) or + 2 (Thumb), SPSR_und = the CPSR of
 * the faulting instruction (ITSTATE not advanced). The rest of the new CPSR is
 * the inject tcase's business; here only the mode is checked. */
static void expect_undef(uint32_t hsr, uint32_t cpsr, uint32_t pc, const char *what)
{
    host_guest_cp15[G_VBAR] = GUEST_VBAR;
    fill_regs(cpsr, pc);
    struct cp15_view view = v->arch.cp15;
    struct arm_regs want = *regs;
    want.spsr_und = cpsr;
    want.lr_und = pc + ((cpsr & PSR_T) ? 2 : 4);
    want.pc = GUEST_VBAR + 0x04;
    ck_assert_int_eq(handle_cp15_32(v, hsr), EXIT_RESUME);
    ck_assert_msg((regs->cpsr & PSR_MODE_MASK) == PSR_MODE_UND, "%s: mode %#x, want UND (0x1b)", what,
                  regs->cpsr & PSR_MODE_MASK);
    ck_assert_msg(regs->pc == want.pc, "%s: pc %#010x, want VBAR+4 %#010x", what, regs->pc, want.pc);
    ck_assert_msg(regs->lr_und == want.lr_und, "%s: lr_und %#010x, want %#010x", what, regs->lr_und,
                  want.lr_und);
    ck_assert_msg(regs->spsr_und == cpsr, "%s: spsr_und %#010x, want the faulting CPSR %#010x", what,
                  regs->spsr_und, cpsr);
    want.cpsr = regs->cpsr;
    check_regs(&want);
    ck_assert_msg(memcmp(&view, &v->arch.cp15, sizeof(view)) == 0, "%s changed the view", what);
}

START_TEST(test_cp15_write_ro_undef)
{
    fill_view();
    expect_undef(cp15_hsr(0, 0, 1, 1, 2, false), 0x60000013u, PC0, "MCR ID_PFR1");
    expect_undef(cp15_hsr(0, 0, 0, 0, 4, false), 0x60000013u, PC0, "MCR MIDR");
    expect_undef(cp15_hsr(1, 0, 0, 0, 4, false), 0x60000013u, PC0, "MCR CCSIDR");
    expect_undef(cp15_hsr(1, 0, 0, 1, 4, false), 0x60000013u, PC0, "MCR CLIDR");
}
END_TEST

START_TEST(test_cp15_unknown_undef)
{
    fill_view();
    expect_undef(cp15_hsr(0, 0, 3, 0, 1, false), 0x60000013u, PC0, "MCR c0, 0, c3, 0");
    expect_undef(cp15_hsr(3, 0, 0, 0, 1, true), 0x60000013u, PC0, "MRC c0, 3, c0, 0");
    expect_undef(cp15_hsr(0, 15, 0, 0, 1, true), 0x60000013u, PC0, "MRC c15, 0, c0, 0");
}
END_TEST

/* ARMv7: the reserved ID space (c0, opc1 0, CRm c3-c7; c2 opc2 6-7) reads as zero,
 * and opc2 4 and 7 of c0/c0 are aliases of MIDR. */
static void expect_read(unsigned crm, unsigned opc2, uint32_t value, const char *what)
{
    fill_regs(0x60000013u, PC0);
    struct arm_regs want = *regs;
    want.r[5] = value;
    want.pc = PC0 + 4;
    ck_assert_int_eq(handle_cp15_32(v, cp15_hsr(0, 0, crm, opc2, 5, true)), EXIT_RESUME);
    ck_assert_msg(regs->r[5] == value, "%s: read %#010x, want %#010x", what, regs->r[5], value);
    check_regs(&want);
}

START_TEST(test_cp15_reserved_raz_and_aliases)
{
    fill_view();
    expect_read(3, 0, 0, "MRC c0, 0, c3, 0 (reserved)");
    expect_read(7, 7, 0, "MRC c0, 0, c7, 7 (reserved)");
    expect_read(2, 6, 0, "MRC c0, 0, c2, 6 (reserved)");
    expect_read(0, 4, v->arch.cp15.midr, "MRC c0, 0, c0, 4 (MIDR alias)");
    expect_read(0, 7, v->arch.cp15.midr, "MRC c0, 0, c0, 7 (MIDR alias)");
}
END_TEST

START_TEST(test_cp15_undef_thumb_it)
{
    /* A Thumb MCR to ID_PFR1 in the first slot of ITE EQ: LR = PC + 2, and
     * SPSR_und keeps the ITSTATE of the faulting instruction. */
    fill_view();
    expect_undef(cp15_hsr(0, 0, 1, 1, 2, false), put_it(0x40000033u, 0x0c), PC0 + 2, "Thumb MCR ID_PFR1");
}
END_TEST

/* ----------------------------------------------------------------- inject */

#define VBAR 0x80200000u
#define FAULT_PC 0x80012340u

/* The guest's CP15 before an injection, with sentinels in the fault registers. */
static void guest_cp15(uint32_t sctlr)
{
    host_guest_cp15[G_SCTLR] = sctlr;
    host_guest_cp15[G_VBAR] = VBAR;
    host_guest_cp15[G_DFSR] = 0xd1d1d1d1u;
    host_guest_cp15[G_DFAR] = 0xd2d2d2d2u;
    host_guest_cp15[G_IFSR] = 0x1f1f1f1fu;
    host_guest_cp15[G_IFAR] = 0x1a1a1a1au;
}

static void check_guest_cp15(uint32_t dfsr, uint32_t dfar, uint32_t ifsr, uint32_t ifar)
{
    ck_assert_uint_eq(host_guest_cp15[G_DFSR], dfsr);
    ck_assert_uint_eq(host_guest_cp15[G_DFAR], dfar);
    ck_assert_uint_eq(host_guest_cp15[G_IFSR], ifsr);
    ck_assert_uint_eq(host_guest_cp15[G_IFAR], ifar);
}

static void check_sentinels(void)
{
    check_guest_cp15(0xd1d1d1d1u, 0xd2d2d2d2u, 0x1f1f1f1fu, 0x1a1a1a1au);
}

START_TEST(test_inject_undef_svc_arm)
{
    guest_cp15(0);
    fill_regs(0x60000013u, FAULT_PC);
    struct arm_regs want = *regs;
    want.spsr_und = 0x60000013u;
    want.lr_und = FAULT_PC + 4;
    want.cpsr = 0x6000009bu; /* UND, I set, A and F as they were, flags kept */
    want.pc = VBAR + 0x04;
    inject_undef(v);
    check_regs(&want);
    check_sentinels();
    ck_assert_uint_eq(host_guest_cp15[G_SCTLR], 0);
    ck_assert_uint_eq(host_guest_cp15[G_VBAR], VBAR);
}
END_TEST

START_TEST(test_inject_dabt_svc_arm)
{
    guest_cp15(0);
    fill_regs(0x60000013u, FAULT_PC);
    struct arm_regs want = *regs;
    want.spsr_abt = 0x60000013u;
    want.lr_abt = FAULT_PC + 8;
    want.cpsr = 0x60000197u; /* ABT, A and I set */
    want.pc = VBAR + 0x10;
    inject_dabt(v, 0x40001234u, 0x00000805u);
    check_regs(&want);
    check_guest_cp15(0x00000805u, 0x40001234u, 0x1f1f1f1fu, 0x1a1a1a1au);
}
END_TEST

START_TEST(test_inject_pabt_svc_arm)
{
    guest_cp15(0);
    fill_regs(0x60000013u, FAULT_PC);
    struct arm_regs want = *regs;
    want.spsr_abt = 0x60000013u;
    want.lr_abt = FAULT_PC + 4;
    want.cpsr = 0x60000197u;
    want.pc = VBAR + 0x0c;
    inject_pabt(v, FAULT_PC, 0x00000007u);
    check_regs(&want);
    check_guest_cp15(0xd1d1d1d1u, 0xd2d2d2d2u, 0x00000007u, FAULT_PC);
}
END_TEST

START_TEST(test_inject_masks)
{
    /* F is never touched by these exceptions; A only by aborts; I always set. */
    guest_cp15(0);
    fill_regs(0xf0000153u, FAULT_PC); /* F and A already set */
    inject_undef(v);
    ck_assert_uint_eq(regs->cpsr, 0xf00001dbu);
    ck_assert_uint_eq(regs->spsr_und, 0xf0000153u);

    fill_regs(0x000000d3u, FAULT_PC); /* I and F set, A clear */
    inject_undef(v);
    ck_assert_uint_eq(regs->cpsr, 0x000000dbu);

    fill_regs(0x80000053u, FAULT_PC);
    inject_dabt(v, 0, 0);
    ck_assert_uint_eq(regs->cpsr, 0x800001d7u);

    fill_regs(0x80000053u, FAULT_PC);
    inject_pabt(v, 0, 0);
    ck_assert_uint_eq(regs->cpsr, 0x800001d7u);

    fill_regs(0x00000013u, FAULT_PC);
    inject_pabt(v, 0, 0);
    ck_assert_uint_eq(regs->cpsr, 0x00000197u);
}
END_TEST

START_TEST(test_inject_high_vectors)
{
    guest_cp15(SCTLR_V); /* VBAR is ignored */
    fill_regs(0x60000013u, FAULT_PC);
    inject_undef(v);
    ck_assert_uint_eq(regs->pc, 0xffff0004u);
    fill_regs(0x60000013u, FAULT_PC);
    inject_pabt(v, FAULT_PC, 5);
    ck_assert_uint_eq(regs->pc, 0xffff000cu);
    fill_regs(0x60000013u, FAULT_PC);
    inject_dabt(v, 0x1000, 5);
    ck_assert_uint_eq(regs->pc, 0xffff0010u);
    ck_assert_uint_eq(regs->lr_abt, FAULT_PC + 8);
}
END_TEST

START_TEST(test_inject_te_ee)
{
    /* T = SCTLR.TE, E = SCTLR.EE, whatever the state at the fault. */
    guest_cp15(SCTLR_TE | SCTLR_EE);
    fill_regs(0x60000013u, FAULT_PC);
    struct arm_regs want = *regs;
    want.spsr_und = 0x60000013u;
    want.lr_und = FAULT_PC + 4;
    want.cpsr = 0x6000009bu | PSR_T | PSR_E;
    want.pc = VBAR + 0x04;
    inject_undef(v);
    check_regs(&want);

    guest_cp15(SCTLR_TE);
    fill_regs(0x60000213u, FAULT_PC); /* big-endian data at the fault */
    inject_dabt(v, 0x2000, 1);
    ck_assert_uint_eq(regs->cpsr, 0x60000197u | PSR_T);
    ck_assert_uint_eq(regs->spsr_abt, 0x60000213u);

    guest_cp15(SCTLR_EE);
    fill_regs(0x60000033u, FAULT_PC); /* Thumb at the fault, ARM handlers */
    inject_pabt(v, 0x2000, 1);
    ck_assert_uint_eq(regs->cpsr, 0x60000197u | PSR_E);
    ck_assert_uint_eq(regs->lr_abt, FAULT_PC + 4);
}
END_TEST

START_TEST(test_inject_thumb)
{
    /* Thumb state, in the second slot of ITETE GT: LR offsets +2 / +4 / +8,
     * SPSR keeps T and ITSTATE, the new CPSR has IT cleared and T = SCTLR.TE (0). */
    const uint32_t old = put_it(0x20000033u, 0xd6);
    const uint32_t pc = FAULT_PC + 2;

    guest_cp15(0);
    fill_regs(old, pc);
    struct arm_regs want = *regs;
    want.spsr_und = old;
    want.lr_und = pc + 2;
    want.cpsr = 0x2000009bu;
    want.pc = VBAR + 0x04;
    inject_undef(v);
    check_regs(&want);

    fill_regs(old, pc);
    want = *regs;
    want.spsr_abt = old;
    want.lr_abt = pc + 4;
    want.cpsr = 0x20000197u;
    want.pc = VBAR + 0x0c;
    inject_pabt(v, pc, 2);
    check_regs(&want);

    fill_regs(old, pc);
    want = *regs;
    want.spsr_abt = old;
    want.lr_abt = pc + 8;
    want.cpsr = 0x20000197u;
    want.pc = VBAR + 0x10;
    inject_dabt(v, 0x3000, 3);
    check_regs(&want);
}
END_TEST

START_TEST(test_inject_clears_j)
{
    /* ThumbEE state (J=1, T=1): J and IT are cleared on exception entry, Thumb LR offsets. */
    guest_cp15(0);
    const uint32_t old = put_it(PSR_J | 0x80000033u, 0x1c);
    fill_regs(old, FAULT_PC);
    struct arm_regs want = *regs;
    want.spsr_abt = old;
    want.lr_abt = FAULT_PC + 8;
    want.cpsr = 0x80000197u;
    want.pc = VBAR + 0x10;
    inject_dabt(v, 0x4000, 4);
    check_regs(&want);

    fill_regs(old, FAULT_PC);
    inject_undef(v);
    ck_assert_uint_eq(regs->cpsr, 0x8000009bu);
    ck_assert_uint_eq(regs->lr_und, FAULT_PC + 2);
}
END_TEST

START_TEST(test_inject_from_other_modes)
{
    /* From User mode: the Abort bank, not the User one, gets the link. */
    guest_cp15(0);
    fill_regs(0x00000010u, FAULT_PC);
    struct arm_regs want = *regs;
    want.spsr_abt = 0x00000010u;
    want.lr_abt = FAULT_PC + 4;
    want.cpsr = 0x00000197u;
    want.pc = VBAR + 0x0c;
    inject_pabt(v, FAULT_PC, 0x0d);
    check_regs(&want);

    /* An abort in the abort handler: the Abort bank is overwritten. */
    fill_regs(0x000001d7u, FAULT_PC);
    want = *regs;
    want.spsr_abt = 0x000001d7u;
    want.lr_abt = FAULT_PC + 8;
    want.cpsr = 0x000001d7u;
    want.pc = VBAR + 0x10;
    inject_dabt(v, 0x5000, 6);
    check_regs(&want);

    /* From FIQ mode: r8_fiq-lr_fiq and SPSR_fiq untouched, F stays set. */
    fill_regs(0x000000d1u, FAULT_PC);
    want = *regs;
    want.spsr_und = 0x000000d1u;
    want.lr_und = FAULT_PC + 4;
    want.cpsr = 0x000000dbu;
    want.pc = VBAR + 0x04;
    inject_undef(v);
    check_regs(&want);

    /* From IRQ mode, a data abort. */
    fill_regs(0x00000092u, FAULT_PC);
    want = *regs;
    want.spsr_abt = 0x00000092u;
    want.lr_abt = FAULT_PC + 8;
    want.cpsr = 0x00000197u;
    want.pc = VBAR + 0x10;
    inject_dabt(v, 0x6000, 7);
    check_regs(&want);
}
END_TEST

/* ------------------------------------------------------------------ suite */

static TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    return tc;
}

static Suite *lab1_suite(void)
{
    Suite *s = suite_create("lab1");

    TCase *pc = tcase("advance_pc");
    tcase_add_test(pc, test_arm_advances_4);
    tcase_add_test(pc, test_arm_pc_wraps);
    tcase_add_test(pc, test_thumb_16bit_advances_2);
    tcase_add_test(pc, test_thumb_32bit_advances_4);
    tcase_add_test(pc, test_it_ite_eq_first_slot);
    tcase_add_test(pc, test_it_last_slot_ends_block);
    tcase_add_test(pc, test_it_block_walk);
    tcase_add_test(pc, test_it_all_conditions);
    suite_add_tcase(s, pc);

    TCase *psci = tcase("psci");
    tcase_add_test(psci, test_psci_version);
    tcase_add_test(psci, test_psci_features_implemented);
    tcase_add_test(psci, test_psci_features_not_implemented);
    tcase_add_test(psci, test_psci_unsupported_calls);
    tcase_add_test(psci, test_psci_system_reset);
    tcase_add_test(psci, test_smc_result_and_pc);
    tcase_add_test(psci, test_smc_thumb);
    tcase_add_test(psci, test_smc_system_reset);
    tcase_add_exit_test(psci, test_psci_system_off, 0);
    tcase_add_exit_test(psci, test_smc_system_off, 0);
    suite_add_tcase(s, psci);

    TCase *cp15 = tcase("cp15");
    tcase_add_test(cp15, test_cp15_decode);
    tcase_add_test(cp15, test_cp15_decode_ignores_il_and_cond);
    tcase_add_test(cp15, test_cp15_read_id_regs);
    tcase_add_test(cp15, test_cp15_read_thumb);
    tcase_add_test(cp15, test_cp15_read_banked);
    tcase_add_test(cp15, test_cp15_csselr_ccsidr);
    tcase_add_test(cp15, test_cp15_actlr);
    tcase_add_test(cp15, test_cp15_write_ro_undef);
    tcase_add_test(cp15, test_cp15_unknown_undef);
    tcase_add_test(cp15, test_cp15_reserved_raz_and_aliases);
    tcase_add_test(cp15, test_cp15_undef_thumb_it);
    suite_add_tcase(s, cp15);

    TCase *inj = tcase("inject");
    tcase_add_test(inj, test_inject_undef_svc_arm);
    tcase_add_test(inj, test_inject_dabt_svc_arm);
    tcase_add_test(inj, test_inject_pabt_svc_arm);
    tcase_add_test(inj, test_inject_masks);
    tcase_add_test(inj, test_inject_high_vectors);
    tcase_add_test(inj, test_inject_te_ee);
    tcase_add_test(inj, test_inject_thumb);
    tcase_add_test(inj, test_inject_clears_j);
    tcase_add_test(inj, test_inject_from_other_modes);
    suite_add_tcase(s, inj);
    return s;
}

int main(void)
{
    /* srunner_run_all honours CK_RUN_CASE, so the grader can run one case. */
    SRunner *sr = srunner_create(lab1_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
