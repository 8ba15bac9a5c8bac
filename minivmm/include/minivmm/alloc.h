/* The VMM's heap: a first-fit free-list allocator over one memory region. */
#ifndef MINIVMM_ALLOC_H
#define MINIVMM_ALLOC_H

#include "types.h"

void heap_init(void *base, size_t size);
void *mv_malloc(size_t size); /* 8-byte aligned, NULL when out of memory */
void *mv_calloc(size_t n, size_t size);
void mv_free(void *p);
size_t heap_free_bytes(void);

#endif
