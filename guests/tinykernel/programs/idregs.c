/* minivmm's idregs=native: the guest reads the ID registers without an exit, MIDR/MPIDR still as the VMM presents them, and its CSSELR survives exits. */
#include "../hvc.h"
#include "../kernel.h"

#define EC_CP15 0x03 /* HSR.EC of a trapped MCR/MRC to CP15 */

/* clang-format off */
static uint32_t mrc_ctr(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c0, c0, 1" : "=r"(v)); return v; }
static uint32_t mrc_midr(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c0, c0, 0" : "=r"(v)); return v; }
static uint32_t mrc_mpidr(void) { uint32_t v; __asm__ volatile("mrc p15, 0, %0, c0, c0, 5" : "=r"(v)); return v; }
static uint32_t mrc_csselr(void) { uint32_t v; __asm__ volatile("mrc p15, 2, %0, c0, c0, 0" : "=r"(v)); return v; }
static uint32_t mrc_ccsidr(void) { uint32_t v; __asm__ volatile("mrc p15, 1, %0, c0, c0, 0" : "=r"(v)); return v; }
/* clang-format on */
static void mcr_csselr(uint32_t v) { __asm__ volatile("mcr p15, 2, %0, c0, c0, 0\n\tisb" ::"r"(v)); }

PROGRAM(idregs_native, "idregs-native", "minivmm: idregs=native reads ID registers without an exit")
{
    const char *t = "idregs-native";
    uint32_t before = hvc1(MV_HC_EXIT_COUNT, EC_CP15), ctr = mrc_ctr(), differ = 0;
    for (unsigned i = 0; i < 1000; i++) /* what Linux does on every cache maintenance by address */
        differ += mrc_ctr() != ctr;
    uint32_t midr = mrc_midr(), mpidr = mrc_mpidr();
    uint32_t exits = hvc1(MV_HC_EXIT_COUNT, EC_CP15) - before;
    CHECK(t, exits == 0, "1002 ID-register reads made %u CP15 exits, expected none", (unsigned)exits);
    CHECK(t, differ == 0 && ((ctr >> 29) & 7) == 4, "CTR %#x is not an ARMv7 CTR, or it changed",
          (unsigned)ctr);
    CHECK(t, (midr >> 24) == 0x41, "MIDR %#x is not an Arm core", (unsigned)midr);
    CHECK(t, mpidr == 0x80000000u, "MPIDR %#x, expected the VMM's 0x80000000 (VMPIDR)", (unsigned)mpidr);

    /* CSSELR is the guest's, in the CPU: exits (any of which may be a
     * snapshot's, with snapshot-test=) must leave it as the guest wrote it. */
    mcr_csselr(0);
    uint32_t dcache = mrc_ccsidr();
    mcr_csselr(1); /* level 1 instruction cache */
    uint32_t icache = mrc_ccsidr();
    for (unsigned i = 0; i < 200; i++)
        hvc1(MV_HC_NOP, 0);
    CHECK(t, mrc_csselr() == 1, "CSSELR is %u after 200 exits, the guest wrote 1", (unsigned)mrc_csselr());
    CHECK(t, mrc_ccsidr() == icache && icache != dcache, "CCSIDR %#x does not follow CSSELR (I %#x, D %#x)",
          (unsigned)mrc_ccsidr(), (unsigned)icache, (unsigned)dcache);
    test_pass(t);
    return 0;
}
