/* Lab 2 student file: the stage-2 registers (VTCR, VTTBR, HCR.VM) and the TLB maintenance a table change needs. */
#include <minivmm/panic.h>
#include <arch/stage2.h>
#include <arch/sysreg.h>

/* Set this to true when stage 2 works: minivmm then backs guest RAM with a
 * different physical range, maps it with your tables and turns translation
 * on. While it is false the guest runs with IPA == PA and can reach all memory. */
const bool lab2_stage2_enabled = false;

/* VTCR for a 32-bit IPA space, walks starting at level 1, tables in
 * write-back cacheable, inner shareable memory (ARM ARM B4.1.159). */
uint32_t s2_vtcr(void)
{
    MV_TODO(2, "Task 3: turning stage 2 on");
}

/* VTTBR: the level-1 table's physical address and the VMID (B4.1.160). */
uint64_t s2_vttbr(const struct s2_pgtable *pt, uint8_t vmid)
{
    (void)pt;
    (void)vmid;
    MV_TODO(2, "Task 3: turning stage 2 on");
}

void s2_flush(void)
{
    MV_TODO(2, "Task 3: turning stage 2 on");
}

void s2_enable(const struct s2_pgtable *pt, uint8_t vmid)
{
    (void)pt;
    (void)vmid;
    MV_TODO(2, "Task 3: turning stage 2 on");
}
