/* Nested paging: 4-level tables (the host's own format) that map guest RAM, 2 MiB at a time, onto
 * GUEST_RAM_BACKING_PA. Nothing else is mapped: not minivmm, not its heap, not a device. */
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>
#include <arch/svm.h>

#define PTE_P     (1ull << 0)
#define PTE_W     (1ull << 1)
#define PTE_U     (1ull << 2) /* nested walks are user accesses: every level needs it */
#define PTE_PS    (1ull << 7)
#define PTE_ADDR  0x000ffffffffff000ull
#define HUGE_SIZE (2u << 20)

/* Three pages: PML4, PDPT, a page directory (1 GiB: guest RAM is at most GUEST_RAM_MAX_MIB). */
static uint64_t tables[3][512] __attribute__((aligned(4096)));

uint8_t *arch_guest_ram(const struct vm *vm)
{
    (void)vm;
    return (uint8_t *)(uintptr_t)GUEST_RAM_BACKING_PA;
}

void npt_build(struct vm *vm)
{
    uint64_t *pml4 = tables[0], *pdpt = tables[1], *pd = tables[2];
    uint64_t base = vm->ram_ipa, size = vm->ram_size;
    if ((base | size) & (HUGE_SIZE - 1) || (base >> 30) != ((base + size - 1) >> 30))
        panic("guest RAM %#llx + %#llx is not in 2 MiB pages within one GiB", (unsigned long long)base,
              (unsigned long long)size);
    memset(tables, 0, sizeof(tables));
    pml4[(base >> 39) & 511] = (uint64_t)(uintptr_t)pdpt | PTE_P | PTE_W | PTE_U;
    pdpt[(base >> 30) & 511] = (uint64_t)(uintptr_t)pd | PTE_P | PTE_W | PTE_U;
    for (uint64_t off = 0; off < size; off += HUGE_SIZE)
        pd[((base + off) >> 21) & 511] = (GUEST_RAM_BACKING_PA + off) | PTE_P | PTE_W | PTE_U | PTE_PS;
    vm->arch.npt_pml4 = pml4;
}

int npt_translate(const struct vm *vm, uint64_t gpa, uint64_t *hpa)
{
    const uint64_t *t = vm->arch.npt_pml4;
    for (int shift = 39; t; shift -= 9) {
        uint64_t e = t[(gpa >> shift) & 511];
        if (!(e & PTE_P))
            return -1;
        if (shift == 12 || (e & PTE_PS)) {
            *hpa = (e & PTE_ADDR & ~((1ull << shift) - 1)) | (gpa & ((1ull << shift) - 1));
            return 0;
        }
        t = (const uint64_t *)(uintptr_t)(e & PTE_ADDR);
    }
    return -1;
}

void arch_vm_init(struct vm *vm)
{
    uint32_t start, end;
    arch_vmm_range(&start, &end);
    if (GUEST_RAM_BACKING_PA < end)
        panic("guest RAM's backing %#x overlaps minivmm (ends at %#x)", GUEST_RAM_BACKING_PA, end);
    npt_build(vm);
}

int arch_test_translate(struct vm *vm, uint32_t ipa, uint32_t *pa)
{
    uint64_t hpa;
    if (npt_translate(vm, ipa, &hpa) || hpa >> 32)
        return -1;
    *pa = (uint32_t)hpa;
    return 0;
}
