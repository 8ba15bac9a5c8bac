/* Lab 1 test programs: WFI/WFE, Thumb traps, PSCI over SMC and HVC, CP15 emulation, exception injection. */
#include "../hvc.h"
#include "../kernel.h"

#define EC_WFX 0x01
#define EC_SMC 0x13
#define EC_CP15 0x03
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_ON 0x84000003u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
#define NOT_SUPPORTED 0xffffffffu

uint32_t tk_inject(uint32_t kind, uint32_t addr, uint32_t status, uint32_t *ret);
uint32_t thumb_traps(void);
uint32_t actlr_into_many(void);

static uint32_t smc3(uint32_t fn, uint32_t a1, uint32_t a2, uint32_t a3)
{
    register uint32_t r0 __asm__("r0") = fn;
    register uint32_t r1 __asm__("r1") = a1;
    register uint32_t r2 __asm__("r2") = a2;
    register uint32_t r3 __asm__("r3") = a3;
    __asm__ volatile(".arch_extension sec\n\tsmc #0" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)::"memory");
    return r0;
}

/* WFE is executed too, but QEMU 7.2 treats it as a hint and never traps it (HCR.TWE). */
PROGRAM(lab1_wfx, "lab1-wfx", "lab 1: trapped WFI resumes after the instruction")
{
    const char *t = "lab1-wfx";
    uint32_t k = 3 + nonce_value() % 11, before = hvc1(MV_HC_EXIT_COUNT, EC_WFX);
    for (uint32_t i = 0; i < k; i++) {
        __asm__ volatile("wfi");
        __asm__ volatile("wfe");
    }
    uint32_t after = hvc1(MV_HC_EXIT_COUNT, EC_WFX);
    CHECK(t, after - before == k, "%u WFIs gave %u exits", (unsigned)k, (unsigned)(after - before));
    test_pass(t);
    return 0;
}

PROGRAM(lab1_thumb, "lab1-thumb", "lab 1: Thumb WFI (16 and 32 bit), HVC, MRC in an IT block")
{
    const char *t = "lab1-thumb";
    uint32_t before = hvc1(MV_HC_EXIT_COUNT, EC_WFX), cp0 = hvc1(MV_HC_EXIT_COUNT, EC_CP15);
    uint32_t ran = thumb_traps();
    uint32_t wfx = hvc1(MV_HC_EXIT_COUNT, EC_WFX) - before;
    uint32_t cp = hvc1(MV_HC_EXIT_COUNT, EC_CP15) - cp0;
    CHECK(t, wfx == 2, "expected 2 WFI exits from the Thumb code, saw %u", (unsigned)wfx);
    CHECK(t, cp == 1, "expected 1 CP15 exit from the Thumb code, saw %u", (unsigned)cp);
    CHECK(t, ran == 0, "the instruction after the trapped MRC in the IT block ran: ITSTATE was not advanced");
    test_pass(t);
    return 0;
}

PROGRAM(lab1_psci, "lab1-psci", "lab 1: PSCI VERSION, FEATURES and NOT_SUPPORTED over SMC and HVC")
{
    const char *t = "lab1-psci";
    CHECK(t, smc3(PSCI_VERSION, 0, 0, 0) == 0x10000, "SMC PSCI_VERSION is not 1.0");
    CHECK(t, hvc3(PSCI_VERSION, 0, 0, 0) == 0x10000, "HVC PSCI_VERSION is not 1.0");
    CHECK(t, smc3(PSCI_FEATURES, PSCI_SYSTEM_OFF, 0, 0) == 0, "FEATURES(SYSTEM_OFF) is not 0");
    CHECK(t, smc3(PSCI_FEATURES, PSCI_SYSTEM_RESET, 0, 0) == 0, "FEATURES(SYSTEM_RESET) is not 0");
    CHECK(t, smc3(PSCI_FEATURES, PSCI_CPU_ON, 0, 0) == NOT_SUPPORTED,
          "FEATURES(CPU_ON) is not NOT_SUPPORTED");
    CHECK(t, smc3(PSCI_CPU_ON, 1, 0x40010000, 0) == NOT_SUPPORTED, "CPU_ON is not NOT_SUPPORTED");
    CHECK(t, hvc3(0x8400ffffu, 0, 0, 0) == NOT_SUPPORTED, "an unknown PSCI call is not NOT_SUPPORTED");
    uint32_t smcs = hvc1(MV_HC_EXIT_COUNT, EC_SMC);
    CHECK(t, smcs == 5, "expected 5 SMC exits, counted %u", (unsigned)smcs);
    test_pass(t);
    return 0;
}

PROGRAM(lab1_off, "lab1-system-off", "lab 1: PSCI SYSTEM_OFF ends the VM with status 0")
{
    test_pass("lab1-system-off");
    smc3(PSCI_SYSTEM_OFF, 0, 0, 0);
    kprintf("lab1-system-off: SYSTEM_OFF returned\n");
    return 1;
}

PROGRAM(lab1_reset, "lab1-reset", "lab 1: PSCI SYSTEM_RESET reboots the guest")
{
    const char *t = "lab1-reset";
    uint32_t smcs = hvc1(MV_HC_EXIT_COUNT, EC_SMC);
    uint32_t tpidr, sctlr;
    if (smcs == 0) {
        kprintf("lab1-reset: first boot, changing TPIDRURW and SCTLR.A, calling SYSTEM_RESET\n");
        __asm__ volatile("mcr p15, 0, %0, c13, c0, 2" ::"r"(0x1234abcdu));
        __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(sctlr));
        __asm__ volatile("mcr p15, 0, %0, c1, c0, 0\n\tisb" ::"r"(sctlr | 2u));
        smc3(PSCI_SYSTEM_RESET, 0, 0, 0);
        CHECK(t, 0, "SYSTEM_RESET returned to the guest");
    }
    CHECK(t, smcs == 1, "booted with %u SMC exits behind it, expected 1", (unsigned)smcs);
    __asm__ volatile("mrc p15, 0, %0, c13, c0, 2" : "=r"(tpidr));
    __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(sctlr));
    CHECK(t, tpidr != 0x1234abcdu, "TPIDRURW survived the reset");
    CHECK(t, !(sctlr & 2u), "SCTLR.A survived the reset");
    kprintf("lab1-reset: second boot\n");
    test_pass(t);
    return 0;
}

/* clang-format off */
static uint32_t mrc_id_pfr0(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c0, c1, 0" : "=r"(v)); return v; }
static uint32_t mrc_id_pfr1(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c0, c1, 1" : "=r"(v)); return v; }
static uint32_t mrc_id_isar0(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c0, c2, 0" : "=r"(v)); return v; }
static uint32_t mrc_actlr(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c1, c0, 1" : "=r"(v)); return v; }
/* clang-format on */

PROGRAM(lab1_cp15, "lab1-cp15", "lab 1: trapped ID registers and ACTLR read as the VMM emulates them")
{
    const char *t = "lab1-cp15";
    uint32_t before = hvc1(MV_HC_EXIT_COUNT, 0x03);
    uint32_t pfr1 = mrc_id_pfr1();
    CHECK(t, (pfr1 & 0xf000) == 0, "ID_PFR1 %#x shows the Virtualization Extensions", (unsigned)pfr1);
    CHECK(t, (pfr1 & 0x00f0) == 0, "ID_PFR1 %#x shows the Security Extensions", (unsigned)pfr1);
    CHECK(t, (pfr1 & 0xf0000) != 0, "ID_PFR1 %#x lost the generic timer field", (unsigned)pfr1);
    CHECK(t, (mrc_id_pfr0() & 0xf) != 0, "ID_PFR0 does not show ARM state support");
    CHECK(t, mrc_id_isar0() != 0, "ID_ISAR0 reads 0");
    uint32_t actlr = mrc_actlr();
    CHECK(t, actlr_into_many() == 0, "ACTLR read into r0, r7, r12 and lr disagrees");
    __asm__ volatile("mcr p15, 0, %0, c1, c0, 1" ::"r"(~actlr));
    CHECK(t, mrc_actlr() == actlr, "a write to ACTLR changed what the guest reads");
    uint32_t exits = hvc1(MV_HC_EXIT_COUNT, 0x03) - before;
    CHECK(t, exits == 10, "expected 10 CP15 exits, counted %u", (unsigned)exits);
    test_pass(t);
    return 0;
}

/* What the injection handler saw. */
/* volatile: the handler changes it behind the compiler's back */
static volatile struct {
    int kind;
    uint32_t lr, spsr, mode, cpsr_a, dfsr, dfar, ifsr, ifar;
} seen;

static uint32_t inject_hook(int kind, struct trap_frame *f)
{
    uint32_t cpsr;
    __asm__ volatile("mrs %0, cpsr" : "=r"(cpsr));
    seen.kind = kind;
    seen.lr = f->lr;
    seen.spsr = f->spsr;
    seen.mode = cpsr & 0x1f;
    seen.cpsr_a = cpsr & 0x100;
    __asm__ volatile("mrc p15, 0, %0, c5, c0, 0" : "=r"(seen.dfsr));
    __asm__ volatile("mrc p15, 0, %0, c6, c0, 0" : "=r"(seen.dfar));
    __asm__ volatile("mrc p15, 0, %0, c5, c0, 1" : "=r"(seen.ifsr));
    __asm__ volatile("mrc p15, 0, %0, c6, c0, 2" : "=r"(seen.ifar));
    static const uint32_t back[] = {[1] = 4, [3] = 4, [4] = 8}; /* LR - this = where it was taken */
    return f->lr - back[kind & 7];
}

PROGRAM(lab1_inject, "lab1-inject", "lab 1: injected undefined, data abort and prefetch abort exceptions")
{
    const char *t = "lab1-inject";
    uint32_t at, addr = 0x40000000u + (nonce_value() & 0xffffc);
    trap_hook = inject_hook;

    tk_inject(0, 0, 0, &at);
    CHECK(t, seen.kind == 1, "undef: handler saw exception kind %d", seen.kind);
    CHECK(t, seen.mode == 0x1b, "undef: taken in mode %#x, not UND", (unsigned)seen.mode);
    CHECK(t, seen.lr == at + 4, "undef: LR_und %#x, expected %#x", (unsigned)seen.lr, (unsigned)(at + 4));
    CHECK(t, (seen.spsr & 0x1f) == 0x13, "undef: SPSR_und mode %#x, not SVC", (unsigned)(seen.spsr & 0x1f));

    seen.kind = 0;
    tk_inject(1, addr, 0x8, &at);
    CHECK(t, seen.kind == 4, "dabt: handler saw exception kind %d", seen.kind);
    CHECK(t, seen.mode == 0x17, "dabt: taken in mode %#x, not ABT", (unsigned)seen.mode);
    CHECK(t, seen.lr == at + 8, "dabt: LR_abt %#x, expected %#x", (unsigned)seen.lr, (unsigned)(at + 8));
    CHECK(t, seen.dfar == addr && (seen.dfsr & 0x40f) == 0x8, "dabt: DFAR %#x DFSR %#x", (unsigned)seen.dfar,
          (unsigned)seen.dfsr);
    CHECK(t, seen.cpsr_a, "dabt: CPSR.A not set on entry");

    seen.kind = 0;
    tk_inject(2, addr + 4, 0xd, &at);
    CHECK(t, seen.kind == 3, "pabt: handler saw exception kind %d", seen.kind);
    CHECK(t, seen.lr == at + 4, "pabt: LR_abt %#x, expected %#x", (unsigned)seen.lr, (unsigned)(at + 4));
    CHECK(t, seen.ifar == addr + 4 && (seen.ifsr & 0x40f) == 0xd, "pabt: IFAR %#x IFSR %#x",
          (unsigned)seen.ifar, (unsigned)seen.ifsr);
    CHECK(t, (int32_t)tk_inject(7, 0, 0, &at) == MV_HC_EINVAL, "unknown kind not EINVAL");
    trap_hook = 0;
    test_pass(t);
    return 0;
}

static uint32_t undef_hook(int kind, struct trap_frame *f)
{
    uint32_t cpsr;
    __asm__ volatile("mrs %0, cpsr" : "=r"(cpsr));
    seen.kind = kind;
    seen.lr = f->lr;
    seen.mode = cpsr & 0x1f;
    return kind == 1 ? f->lr : 0; /* skip the undefined instruction */
}

/* clang-format off */
static uint32_t mrc_ccsidr(void) { uint32_t v; __asm__ volatile("mrc p15, 1, %0, c0, c0, 0" : "=r"(v)); return v; }
static uint32_t mrc_csselr(void) { uint32_t v; __asm__ volatile("mrc p15, 2, %0, c0, c0, 0" : "=r"(v)); return v; }
/* clang-format on */
static void mcr_csselr(uint32_t v) { __asm__ volatile("mcr p15, 2, %0, c0, c0, 0" ::"r"(v)); }

PROGRAM(lab1_cp15_more, "lab1-cp15-undef",
        "lab 1: CSSELR/CCSIDR, MIDR/MPIDR, undefined for what is not emulated")
{
    const char *t = "lab1-cp15-undef";
    uint32_t midr, mpidr;
    __asm__ volatile("mrc p15, 0, %0, c0, c0, 0" : "=r"(midr));
    __asm__ volatile("mrc p15, 0, %0, c0, c0, 5" : "=r"(mpidr));
    CHECK(t, (midr >> 24) == 0x41, "MIDR %#x is not an Arm core", (unsigned)midr);
    CHECK(t, mpidr == 0x80000000u, "MPIDR %#x, expected the single vCPU 0x80000000", (unsigned)mpidr);
    mcr_csselr(1); /* level 1 instruction cache */
    CHECK(t, mrc_csselr() == 1, "CSSELR did not keep the guest's write");
    uint32_t icache = mrc_ccsidr();
    mcr_csselr(0);
    uint32_t dcache = mrc_ccsidr();
    CHECK(t, icache != 0 && dcache != 0, "CCSIDR reads 0 (I %#x, D %#x)", (unsigned)icache, (unsigned)dcache);

    /* CBAR (c15, IMPLEMENTATION DEFINED) traps through HSTR.T15 and is not
     * emulated: the VMM must answer with an undefined-instruction exception.
     * (A write to a read-only ID register would be no test of the VMM: QEMU 7.2
     * raises that undefined instruction in the guest itself, without a trap.) */
    trap_hook = undef_hook;
    uint32_t at, value, before = hvc1(MV_HC_EXIT_COUNT, EC_CP15);
    __asm__ volatile("adr %0, 1f\n1: mrc p15, 4, %1, c15, c0, 0" : "=&r"(at), "=r"(value));
    uint32_t exits = hvc1(MV_HC_EXIT_COUNT, EC_CP15) - before;
    CHECK(t, exits == 1, "the CBAR read made %u CP15 exits, expected 1", (unsigned)exits);
    CHECK(t, seen.kind == 1 && seen.mode == 0x1b, "the CBAR read did not raise undefined (kind %d)",
          seen.kind);
    CHECK(t, seen.lr == at + 4, "undef LR %#x, expected %#x", (unsigned)seen.lr, (unsigned)(at + 4));
    trap_hook = 0;
    test_pass(t);
    return 0;
}
