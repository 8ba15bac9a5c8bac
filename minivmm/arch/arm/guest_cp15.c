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

/* Indexed by enum guest_cp15. */
static const struct {
    uint32_t (*read)(void);
    void (*write)(uint32_t);
} regs[G_CP15_COUNT] = {
    [G_SCTLR] = {read_g_sctlr, write_g_sctlr}, [G_VBAR] = {read_g_vbar, write_g_vbar},
    [G_DFSR] = {read_g_dfsr, write_g_dfsr},    [G_DFAR] = {read_g_dfar, write_g_dfar},
    [G_IFSR] = {read_g_ifsr, write_g_ifsr},    [G_IFAR] = {read_g_ifar, write_g_ifar},
    [G_TTBCR] = {read_g_ttbcr, write_g_ttbcr},
};

uint32_t guest_cp15_read(enum guest_cp15 r)
{
    return regs[r].read();
}

void guest_cp15_write(enum guest_cp15 r, uint32_t v)
{
    regs[r].write(v);
}
