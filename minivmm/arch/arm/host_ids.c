/* Reads the host CPU's identification, cache-geometry and auxiliary registers once: the raw material of the guest's CP15 view. */
#include <arch/sysreg.h>
#include <arch/traps.h>

#define MRC(op1, crn, crm, op2)                                                          \
    ({                                                                                   \
        uint32_t v_;                                                                     \
        __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(v_)); \
        v_;                                                                              \
    })

DEFINE_SYSREG32(ccsidr, 1, c0, c0, 0)

static void read_cache_geometry(struct cp15_view *h)
{
    uint32_t saved = read_csselr();
    for (uint32_t i = 0; i < CCSIDR_COUNT; i++) {
        write_csselr(i);
        isb();
        h->ccsidr[i] = read_ccsidr();
    }
    write_csselr(saved);
    isb();
}

void host_cp15_read(struct cp15_view *h)
{
    h->midr = MRC(0, c0, c0, 0);
    h->ctr = MRC(0, c0, c0, 1);
    h->tcmtr = MRC(0, c0, c0, 2);
    h->tlbtr = MRC(0, c0, c0, 3);
    h->mpidr = MRC(0, c0, c0, 5);
    h->revidr = MRC(0, c0, c0, 6);
    h->id_pfr0 = MRC(0, c0, c1, 0);
    h->id_pfr1 = MRC(0, c0, c1, 1);
    h->id_dfr0 = MRC(0, c0, c1, 2);
    h->id_afr0 = MRC(0, c0, c1, 3);
    h->id_mmfr[0] = MRC(0, c0, c1, 4);
    h->id_mmfr[1] = MRC(0, c0, c1, 5);
    h->id_mmfr[2] = MRC(0, c0, c1, 6);
    h->id_mmfr[3] = MRC(0, c0, c1, 7);
    h->id_isar[0] = MRC(0, c0, c2, 0);
    h->id_isar[1] = MRC(0, c0, c2, 1);
    h->id_isar[2] = MRC(0, c0, c2, 2);
    h->id_isar[3] = MRC(0, c0, c2, 3);
    h->id_isar[4] = MRC(0, c0, c2, 4);
    h->id_isar[5] = MRC(0, c0, c2, 5);
    h->clidr = MRC(1, c0, c0, 1);
    h->aidr = MRC(1, c0, c0, 7);
    read_cache_geometry(h);
    h->csselr = 0;
    h->actlr = MRC(0, c1, c0, 1);
}
