/* Lab 2 (stage-2 paging): LPAE stage-2 translation tables, their hardware registers, and stage-2 faults. */
#ifndef ARCH_STAGE2_H
#define ARCH_STAGE2_H

#include <minivmm/exit.h>
#include <minivmm/vcpu.h>
#include <arch/vm.h>

/* ---- LPAE descriptors (ARM ARM B3.6), with the stage-2 attribute fields (B3.6.2). */
#define S2_PAGE_SIZE  0x1000u
#define S2_L2_BLOCK   0x200000u   /* 2 MiB */
#define S2_L1_BLOCK   0x40000000u /* 1 GiB */
#define S2_ENTRIES    512u        /* per level-2/level-3 table; level 1 uses 4 (32-bit IPA) */
#define S2_L1_ENTRIES 4u

#define S2_DESC_VALID        (1ull << 0)
#define S2_DESC_TABLE        (1ull << 1)  /* level 1-2: table (with VALID); level 3: page (with VALID) */
#define S2_MEMATTR_SHIFT     2            /* MemAttr[3:0], bits 5:2 */
#define S2_MEMATTR_NORMAL_WB 0xfull       /* Normal, outer and inner write-back cacheable */
#define S2_MEMATTR_DEVICE    0x1ull       /* Device */
#define S2_S2AP_SHIFT        6            /* S2AP[1:0], bits 7:6: bit 6 = read, bit 7 = write */
#define S2_SH_INNER          (3ull << 8)  /* SH[1:0] = inner shareable */
#define S2_AF                (1ull << 10) /* access flag: without it, the first access faults */
#define S2_XN                (1ull << 54) /* execute-never */
#define S2_OA_MASK           0x000000fffffff000ull /* output address bits 39:12 */

/* Access rights and memory type of a mapping, independent of the descriptor encoding. */
#define S2_R      (1u << 0)
#define S2_W      (1u << 1)
#define S2_X      (1u << 2)
#define S2_DEVICE (1u << 3) /* Device memory instead of Normal write-back */
#define S2_RWX    (S2_R | S2_W | S2_X)

/* Return values. */
#define S2_OK     0
#define S2_EINVAL (-1) /* not 4 KiB aligned, empty, or wraps past 4 GiB */
#define S2_EEXIST (-2) /* s2_map: part of the range is mapped already */
#define S2_ENOENT (-3) /* s2_protect/s2_translate: part of the range is not mapped */
#define S2_ENOMEM (-4) /* no page for a new table */

/* ---- Framework (s2_pages.c): 4 KiB pages for tables, from a fixed pool. */
uint64_t *s2_page_alloc(void); /* zeroed, 4 KiB aligned, NULL when the pool is empty */
void s2_page_free(uint64_t *page);
unsigned s2_pages_free(void);
void s2_pages_reset(void); /* unit tests: every page free again */
/* A table page's physical address (what descriptors and VTTBR hold), and back. */
uint64_t s2_table_pa(const uint64_t *page);
uint64_t *s2_table_va(uint64_t pa);

/* ---- Lab 2 student functions. */
/* stage2.c: build and read the tables. Every address and size is 4 KiB aligned.
 * s2_map uses the largest block (1 GiB, 2 MiB) that the alignment of both ipa and pa
 * and the size allow, else 4 KiB pages; it changes nothing if it fails.
 * s2_unmap and s2_protect work on any 4 KiB-aligned part of earlier mappings,
 * splitting blocks as needed; s2_unmap of unmapped pages is not an error.
 * A physical range beyond 40 bits is S2_EINVAL; s2_translate accepts attrs == NULL. */
int s2_init(struct s2_pgtable *pt);
int s2_map(struct s2_pgtable *pt, uint32_t ipa, uint64_t pa, uint32_t size, uint32_t attrs);
int s2_unmap(struct s2_pgtable *pt, uint32_t ipa, uint32_t size);
int s2_protect(struct s2_pgtable *pt, uint32_t ipa, uint32_t size, uint32_t attrs);
int s2_translate(const struct s2_pgtable *pt, uint32_t ipa, uint64_t *pa, uint32_t *attrs);

/* s2_hw.c: the registers. s2_enable turns translation on for the VM (VTCR, VTTBR
 * with its VMID, HCR.VM); s2_flush makes the hardware forget old translations
 * after a change to the tables. */
extern const bool lab2_stage2_enabled; /* false in the skeleton: the VMM runs guests with IPA == PA */
uint32_t s2_vtcr(void);
uint64_t s2_vttbr(const struct s2_pgtable *pt, uint8_t vmid);
void s2_enable(const struct s2_pgtable *pt, uint8_t vmid);
void s2_flush(void);

/* s2fault.c: EC 0x24 / 0x20, a guest access that stage 2 refused. */
uint32_t s2_fault_ipa(uint32_t hpfar, uint32_t far);
uint32_t s2_guest_fsr(bool lpae, bool permission, bool write);
enum exit_action handle_dabt_low(struct vcpu *v, uint32_t hsr);
enum exit_action handle_iabt_low(struct vcpu *v, uint32_t hsr);

#endif
