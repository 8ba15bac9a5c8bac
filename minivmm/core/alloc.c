/* The VMM heap: first-fit over an address-ordered free list, coalescing neighbours on free. */
#include <minivmm/alloc.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>

/* Every block, free or used, starts with this header; sizes include it. */
struct block {
    size_t size;
    struct block *next; /* next free block (free blocks only) */
};

#define HDR       ALIGN_UP(sizeof(struct block), (size_t)8)
#define MIN_BLOCK (HDR + 8)

static struct block *free_list;
static uint8_t *heap_lo, *heap_hi;

void heap_init(void *base, size_t size)
{
    uintptr_t lo = ALIGN_UP((uintptr_t)base, (uintptr_t)8);
    uintptr_t hi = ((uintptr_t)base + size) & ~(uintptr_t)7;
    free_list = NULL;
    if (hi < lo || hi - lo < MIN_BLOCK) { /* too small to hold one block: an empty heap */
        heap_lo = heap_hi = (uint8_t *)lo;
        return;
    }
    heap_lo = (uint8_t *)lo;
    heap_hi = (uint8_t *)hi;
    free_list = (struct block *)lo;
    free_list->size = hi - lo;
    free_list->next = NULL;
}

void *mv_malloc(size_t size)
{
    if (size == 0 || size > (size_t)(heap_hi - heap_lo))
        return NULL;
    size_t need = ALIGN_UP(size, (size_t)8) + HDR;
    for (struct block **pp = &free_list; *pp; pp = &(*pp)->next) {
        struct block *b = *pp;
        if (b->size < need)
            continue;
        if (b->size - need >= MIN_BLOCK) { /* split: keep the tail free */
            struct block *rest = (struct block *)((uint8_t *)b + need);
            rest->size = b->size - need;
            rest->next = b->next;
            b->size = need;
            *pp = rest;
        } else {
            *pp = b->next;
        }
        return (uint8_t *)b + HDR;
    }
    return NULL;
}

void *mv_calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = mv_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void mv_free(void *p)
{
    if (!p)
        return;
    struct block *b = (struct block *)((uint8_t *)p - HDR);
    if ((uint8_t *)b < heap_lo || (uint8_t *)b >= heap_hi)
        panic("mv_free: %p is not a heap pointer", p);
    struct block **pp = &free_list, *prev = NULL;
    while (*pp && *pp < b) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    /* A block that is already free, or inside a free block (freed, then merged). */
    if (*pp == b || (prev && (uint8_t *)prev + prev->size > (uint8_t *)b))
        panic("mv_free: %p freed twice", p);
    if (b->size < MIN_BLOCK || (size_t)(heap_hi - (uint8_t *)b) < b->size ||
        (*pp && (uint8_t *)b + b->size > (uint8_t *)*pp))
        panic("mv_free: the block at %p is corrupt (size %zu)", p, b->size);
    b->next = *pp;
    *pp = b;
    if (b->next && (uint8_t *)b + b->size == (uint8_t *)b->next) { /* merge with the next */
        b->size += b->next->size;
        b->next = b->next->next;
    }
    if (prev && (uint8_t *)prev + prev->size == (uint8_t *)b) { /* merge with the previous */
        prev->size += b->size;
        prev->next = b->next;
    }
}

size_t heap_free_bytes(void)
{
    size_t n = 0;
    for (struct block *b = free_list; b; b = b->next)
        n += b->size;
    return n;
}
