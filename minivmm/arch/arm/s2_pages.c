/* Pages for stage-2 translation tables: a fixed, 4 KiB-aligned pool with a free list, so table memory never comes from the guest. */
#include <arch/stage2.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>

#define POOL_PAGES 64 /* 1 level-1 + 4 level-2 + level-3 tables for small pages: 256 KiB */

static uint64_t pool[POOL_PAGES][S2_PAGE_SIZE / sizeof(uint64_t)] __attribute__((aligned(4096)));
static uint64_t *free_pages[POOL_PAGES];
static unsigned nfree;
static bool ready;

static void pool_init(void)
{
    for (unsigned i = 0; i < POOL_PAGES; i++)
        free_pages[i] = pool[POOL_PAGES - 1 - i];
    nfree = POOL_PAGES;
    ready = true;
}

uint64_t *s2_page_alloc(void)
{
    if (!ready)
        pool_init();
    if (!nfree)
        return NULL;
    uint64_t *p = free_pages[--nfree];
    memset(p, 0, S2_PAGE_SIZE);
    return p;
}

static bool in_pool(const uint64_t *page)
{
    uintptr_t off = (uintptr_t)page - (uintptr_t)pool;
    return (uintptr_t)page >= (uintptr_t)pool && off < sizeof(pool) && off % S2_PAGE_SIZE == 0;
}

void s2_page_free(uint64_t *page)
{
    if (!page)
        return;
    if (!in_pool(page))
        panic("s2_page_free: %p is not a table page", (void *)page);
    for (unsigned i = 0; i < nfree; i++)
        if (free_pages[i] == page)
            panic("s2_page_free: %p freed twice", (void *)page);
    free_pages[nfree++] = page;
}

void s2_pages_reset(void)
{
    pool_init();
}

/* The hardware walks tables by physical address. minivmm runs with its MMU off,
 * so on the target a table's address is its physical address; the host build
 * (unit tests) gives the pool made-up physical addresses that fit the 40-bit
 * descriptor field. */
#ifdef __arm__
uint64_t s2_table_pa(const uint64_t *page)
{
    return (uintptr_t)page;
}
uint64_t *s2_table_va(uint64_t pa)
{
    return (uint64_t *)(uintptr_t)pa;
}
#else
#define HOST_POOL_PA 0x80000000ull
uint64_t s2_table_pa(const uint64_t *page)
{
    return HOST_POOL_PA + ((uintptr_t)page - (uintptr_t)pool);
}
uint64_t *s2_table_va(uint64_t pa)
{
    return (uint64_t *)((uintptr_t)pool + (uintptr_t)(pa - HOST_POOL_PA));
}
#endif

unsigned s2_pages_free(void)
{
    if (!ready)
        pool_init();
    return nfree;
}
