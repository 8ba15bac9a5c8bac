/* Lab 2 reference: the stage-2 registers (VTCR, VTTBR, HCR.VM) and the TLB maintenance a table change needs. */
#include <arch/stage2.h>
#include <arch/sysreg.h>

const bool lab2_stage2_enabled = true;

#define VTCR_RES1       (1u << 31)
#define VTCR_T0SZ(n)    (0xfu & (n)) /* IPA size 2^(32 - T0SZ): 0 -> 4 GiB */
#define VTCR_S          (1u << 4)    /* must equal T0SZ[3] */
#define VTCR_SL0(n)     ((n) << 6)   /* 1: the walk starts at level 1 */
#define VTCR_IRGN0_WBWA (1u << 8)
#define VTCR_ORGN0_WBWA (1u << 10)
#define VTCR_SH0_INNER  (3u << 12)

uint32_t s2_vtcr(void)
{
    return VTCR_RES1 | VTCR_SH0_INNER | VTCR_ORGN0_WBWA | VTCR_IRGN0_WBWA | VTCR_SL0(1) | VTCR_T0SZ(0);
}

uint64_t s2_vttbr(const struct s2_pgtable *pt, uint8_t vmid)
{
    return s2_table_pa(pt->l1) | (uint64_t)vmid << 48;
}

void s2_flush(void)
{
    dsb();          /* table writes are visible to the walker before the invalidation */
    tlbi_allnsnh(); /* ARMv7 has no per-IPA stage-2 invalidation: all Non-secure, non-Hyp entries */
    dsb();
    isb();
}

void s2_enable(const struct s2_pgtable *pt, uint8_t vmid)
{
    write_vtcr(s2_vtcr());
    write_vttbr(s2_vttbr(pt, vmid));
    isb();
    write_hcr(read_hcr() | HCR_VM);
    s2_flush();
}
