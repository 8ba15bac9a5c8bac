/* The guest's VFP/NEON registers survive its exits (and a snapshot taken and restored between them). */
#include "../hvc.h"
#include "../kernel.h"

#define VFP_ASM ".fpu neon-vfpv4\n\t"
#define CPACR_CP10_CP11 (0xfu << 20) /* full access to the VFP/NEON coprocessors */
#define FPEXC_EN (1u << 30)
#define FPSCR_RMODE_RP (1u << 22) /* round towards plus infinity: not the reset value */

static void vfp_on(void)
{
    uint32_t cpacr;
    __asm__ volatile("mrc p15, 0, %0, c1, c0, 2" : "=r"(cpacr));
    __asm__ volatile("mcr p15, 0, %0, c1, c0, 2\n\tisb" ::"r"(cpacr | CPACR_CP10_CP11));
    __asm__ volatile(VFP_ASM "vmsr fpexc, %0\n\tisb" ::"r"(FPEXC_EN));
}

static void vfp_load(const uint64_t *d, uint32_t fpscr)
{
    __asm__ volatile(VFP_ASM "vldmia %0, {d0-d15}\n\tvldmia %1, {d16-d31}" ::"r"(d), "r"(d + 16) : "memory");
    __asm__ volatile(VFP_ASM "vmsr fpscr, %0" ::"r"(fpscr));
}

static uint32_t vfp_store(uint64_t *d)
{
    uint32_t fpscr;
    __asm__ volatile(VFP_ASM "vstmia %0, {d0-d15}\n\tvstmia %1, {d16-d31}" ::"r"(d), "r"(d + 16) : "memory");
    __asm__ volatile(VFP_ASM "vmrs %0, fpscr" : "=r"(fpscr));
    return fpscr;
}

PROGRAM(vfp_state, "vfp-state", "minivmm: the guest's VFP/NEON registers survive its exits")
{
    const char *t = "vfp-state";
    static uint64_t want[32], got[32];
    uint64_t seed = nonce_value() | (uint64_t)nonce_value() << 32;
    for (unsigned i = 0; i < 32; i++)
        want[i] = seed * (2 * i + 1) ^ ((uint64_t)i << 56);
    vfp_on();
    vfp_load(want, FPSCR_RMODE_RP);
    for (unsigned i = 0; i < 200; i++) /* 200 exits, any of which may be the snapshot's */
        hvc1(MV_HC_NOP, 0);
    uint32_t fpscr = vfp_store(got);
    for (unsigned i = 0; i < 32; i++)
        CHECK(t, got[i] == want[i], "d%u is %#llx, was %#llx", i, (unsigned long long)got[i],
              (unsigned long long)want[i]);
    CHECK(t, (fpscr & FPSCR_RMODE_RP) != 0, "FPSCR is %#x: its rounding mode was lost", (unsigned)fpscr);
    test_pass(t);
    return 0;
}
