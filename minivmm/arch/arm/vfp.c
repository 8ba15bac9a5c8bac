/* The guest's VFP/NEON registers, reached from Hyp mode: read and written whole, for a snapshot and a reset. */
#include <arch/traps.h>

/* minivmm is built without floating point (-mfloat-abi=soft); these few
 * instructions name the unit explicitly. Cortex-A15 has VFPv4 with 32
 * double registers (MVFR0.A_SIMD = 2). The registers are reachable only
 * while FPEXC.EN is set, so it is set around the copy and put back after. */
#define VFP_ASM ".fpu neon-vfpv4\n\t"

static uint32_t fpexc_enable(void)
{
    uint32_t fpexc;
    __asm__ volatile(VFP_ASM "vmrs %0, fpexc" : "=r"(fpexc));
    __asm__ volatile(VFP_ASM "vmsr fpexc, %0\n\tisb" ::"r"(fpexc | FPEXC_EN));
    return fpexc;
}

static void fpexc_set(uint32_t fpexc)
{
    __asm__ volatile(VFP_ASM "vmsr fpexc, %0\n\tisb" ::"r"(fpexc));
}

void guest_vfp_read(struct guest_vfp *f)
{
    f->fpexc = fpexc_enable();
    __asm__ volatile(VFP_ASM "vmrs %0, fpscr" : "=r"(f->fpscr));
    __asm__ volatile(VFP_ASM "vstmia %0, {d0-d15}\n\t"
                             "vstmia %1, {d16-d31}" ::"r"(&f->d[0]),
                     "r"(&f->d[16])
                     : "memory");
    fpexc_set(f->fpexc);
}

void guest_vfp_write(const struct guest_vfp *f)
{
    fpexc_enable();
    __asm__ volatile(VFP_ASM "vldmia %0, {d0-d15}\n\t"
                             "vldmia %1, {d16-d31}" ::"r"(&f->d[0]),
                     "r"(&f->d[16])
                     : "memory");
    __asm__ volatile(VFP_ASM "vmsr fpscr, %0" ::"r"(f->fpscr));
    fpexc_set(f->fpexc & FPEXC_EN);
}
