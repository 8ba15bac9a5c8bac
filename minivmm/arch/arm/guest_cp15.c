/* The guest's own CP15 registers, reached from Hyp mode (they stay live in the CPU while one guest runs). */
#include <arch/sysreg.h>
#include <arch/traps.h>

DEFINE_SYSREG32(g_sctlr, 0, c1, c0, 0)
DEFINE_SYSREG32(g_vbar, 0, c12, c0, 0)
DEFINE_SYSREG32(g_dfsr, 0, c5, c0, 0)
DEFINE_SYSREG32(g_ifsr, 0, c5, c0, 1)
DEFINE_SYSREG32(g_dfar, 0, c6, c0, 0)
DEFINE_SYSREG32(g_ifar, 0, c6, c0, 2)
DEFINE_SYSREG32(g_ttbcr, 0, c2, c0, 2)
DEFINE_SYSREG32(g_ttbr0, 0, c2, c0, 0)
DEFINE_SYSREG32(g_ttbr1, 0, c2, c0, 1)
DEFINE_SYSREG32(g_dacr, 0, c3, c0, 0)
DEFINE_SYSREG32(g_prrr, 0, c10, c2, 0)
DEFINE_SYSREG32(g_nmrr, 0, c10, c2, 1)
DEFINE_SYSREG32(g_cpacr, 0, c1, c0, 2)
DEFINE_SYSREG32(g_contextidr, 0, c13, c0, 1)
DEFINE_SYSREG32(g_tpidrurw, 0, c13, c0, 2)
DEFINE_SYSREG32(g_tpidruro, 0, c13, c0, 3)
DEFINE_SYSREG32(g_tpidrprw, 0, c13, c0, 4)
DEFINE_SYSREG32(g_par, 0, c7, c4, 0)

/* Indexed by enum guest_cp15. */
/* clang-format off */
static const struct {
    uint32_t (*read)(void);
    void (*write)(uint32_t);
} regs[G_CP15_COUNT] = {
    [G_SCTLR] = {read_g_sctlr, write_g_sctlr}, [G_VBAR] = {read_g_vbar, write_g_vbar},
    [G_DFSR] = {read_g_dfsr, write_g_dfsr},    [G_DFAR] = {read_g_dfar, write_g_dfar},
    [G_IFSR] = {read_g_ifsr, write_g_ifsr},    [G_IFAR] = {read_g_ifar, write_g_ifar},
    [G_TTBCR] = {read_g_ttbcr, write_g_ttbcr}, [G_TTBR0] = {read_g_ttbr0, write_g_ttbr0},
    [G_TTBR1] = {read_g_ttbr1, write_g_ttbr1}, [G_DACR] = {read_g_dacr, write_g_dacr},
    [G_PRRR] = {read_g_prrr, write_g_prrr},    [G_NMRR] = {read_g_nmrr, write_g_nmrr},
    [G_CPACR] = {read_g_cpacr, write_g_cpacr},
    [G_CONTEXTIDR] = {read_g_contextidr, write_g_contextidr},
    [G_TPIDRURW] = {read_g_tpidrurw, write_g_tpidrurw},
    [G_TPIDRURO] = {read_g_tpidruro, write_g_tpidruro},
    [G_TPIDRPRW] = {read_g_tpidrprw, write_g_tpidrprw},
    [G_PAR] = {read_g_par, write_g_par},
};
/* clang-format on */

uint32_t guest_cp15_read(enum guest_cp15 r)
{
    return regs[r].read();
}

void guest_cp15_write(enum guest_cp15 r, uint32_t v)
{
    regs[r].write(v);
}

void guest_vtimer_read(struct guest_vtimer *t)
{
    uint32_t lo, hi;
    __asm__ volatile("mrc p15, 0, %0, c14, c3, 1" : "=r"(t->ctl));
    __asm__ volatile("mrrc p15, 3, %0, %1, c14" : "=r"(lo), "=r"(hi)); /* CNTV_CVAL */
    t->cval = (uint64_t)hi << 32 | lo;
    __asm__ volatile("mrrc p15, 4, %0, %1, c14" : "=r"(lo), "=r"(hi)); /* CNTVOFF */
    t->voff = (uint64_t)hi << 32 | lo;
}

/* The offset and compare value first, so that the timer is never enabled
 * against a half-written state. */
void guest_vtimer_write(const struct guest_vtimer *t)
{
    __asm__ volatile("mcrr p15, 4, %0, %1, c14" ::"r"((uint32_t)t->voff), "r"((uint32_t)(t->voff >> 32)));
    __asm__ volatile("mcrr p15, 3, %0, %1, c14" ::"r"((uint32_t)t->cval), "r"((uint32_t)(t->cval >> 32)));
    __asm__ volatile("mcr p15, 0, %0, c14, c3, 1\n\tisb" ::"r"(t->ctl & 3u));
}
