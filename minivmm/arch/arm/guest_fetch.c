/* Read a guest instruction the way the guest sees it: its own stage-1 translation (ATS1CPR, PAR), then guest RAM. */
#include <minivmm/vm.h>
#include <minivmm/string.h>
#include <arch/mmio_emul.h>
#include <arch/sysreg.h>

#define PAR_F    (1u << 0)  /* the translation failed */
#define PAR_SS   (1u << 1)  /* short-descriptor format: a supersection */
#define PAR_LPAE (1u << 11) /* long-descriptor format (the guest uses LPAE tables) */

/* The guest's stage-1 translation of va for a PL1 read: ATS1CPR from Hyp mode
 * uses the Non-secure PL1&0 regime, i.e. the guest's own tables (ARM ARM
 * B4.2.6), and PAR gives the IPA. With the guest's MMU off, IPA = VA. */
static int guest_va_to_ipa(uint32_t va, uint32_t *ipa)
{
    uint32_t lo, hi, saved_lo, saved_hi;
    /* PAR is the guest's register too (it lives in the CPU while minivmm runs):
     * keep its value, and put it back after borrowing it. */
    __asm__ volatile("mrrc p15, 0, %0, %1, c7" : "=r"(saved_lo), "=r"(saved_hi));
    __asm__ volatile("mcr p15, 0, %0, c7, c8, 0" ::"r"(va)); /* ATS1CPR */
    isb();
    __asm__ volatile("mrrc p15, 0, %0, %1, c7" : "=r"(lo), "=r"(hi)); /* PAR, 64-bit view */
    __asm__ volatile("mcrr p15, 0, %0, %1, c7" ::"r"(saved_lo), "r"(saved_hi));
    isb();
    if (lo & PAR_F || ((lo & PAR_LPAE) && (hi & 0xff)))
        return -1;                         /* a fault, or an IPA above 4 GiB */
    if (!(lo & PAR_LPAE) && (lo & PAR_SS)) /* a 16 MiB supersection: PA[31:24] only */
        *ipa = (lo & 0xff000000u) | (va & 0x00ffffffu);
    else
        *ipa = (lo & 0xfffff000u) | (va & 0xfffu);
    return 0;
}

static int fetch(struct vcpu *v, uint32_t va, void *out, uint32_t len)
{
    uint32_t ipa;
    if (guest_va_to_ipa(va, &ipa))
        return -1;
    const void *p = vm_ipa_ptr(v->vm, ipa, len);
    if (!p)
        return -1; /* code outside guest RAM (the ROM is execute-never) */
    memcpy(out, p, len);
    return 0;
}

int guest_fetch16(struct vcpu *v, uint32_t va, uint16_t *hw)
{
    return va % 2 ? -1 : fetch(v, va, hw, 2);
}

int guest_fetch32(struct vcpu *v, uint32_t va, uint32_t *word)
{
    return va % 4 ? -1 : fetch(v, va, word, 4);
}
