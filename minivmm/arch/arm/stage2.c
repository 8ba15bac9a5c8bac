/* Lab 2 student file: LPAE stage-2 translation tables: map, unmap, protect and translate IPA ranges. */
#include <minivmm/panic.h>
#include <arch/stage2.h>

/*
 * The tables: level 1 (4 entries, 1 GiB each, the walk starts here: VTCR.SL0 = 1),
 * level 2 (512 x 2 MiB), level 3 (512 x 4 KiB). Descriptor bits are in
 * arch/stage2.h; table pages come from s2_page_alloc(), and a descriptor holds
 * a table's *physical* address (s2_table_pa / s2_table_va).
 */
int s2_init(struct s2_pgtable *pt)
{
    (void)pt;
    MV_TODO(2, "Task 1: the translation tables");
}

int s2_map(struct s2_pgtable *pt, uint32_t ipa, uint64_t pa, uint32_t size, uint32_t attrs)
{
    (void)pt;
    (void)ipa;
    (void)pa;
    (void)size;
    (void)attrs;
    MV_TODO(2, "Task 1: the translation tables");
}

int s2_unmap(struct s2_pgtable *pt, uint32_t ipa, uint32_t size)
{
    (void)pt;
    (void)ipa;
    (void)size;
    MV_TODO(2, "Task 2: unmap, protect, translate");
}

int s2_protect(struct s2_pgtable *pt, uint32_t ipa, uint32_t size, uint32_t attrs)
{
    (void)pt;
    (void)ipa;
    (void)size;
    (void)attrs;
    MV_TODO(2, "Task 2: unmap, protect, translate");
}

int s2_translate(const struct s2_pgtable *pt, uint32_t ipa, uint64_t *pa, uint32_t *attrs)
{
    (void)pt;
    (void)ipa;
    (void)pa;
    (void)attrs;
    MV_TODO(2, "Task 2: unmap, protect, translate");
}
