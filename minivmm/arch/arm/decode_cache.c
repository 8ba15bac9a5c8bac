/* Lab 3 student file: a cache of decoded instructions, keyed by guest PC and address space. */
#include <minivmm/panic.h>
#include <arch/mem_insn.h>

void decode_cache_init(struct decode_cache *c, bool enabled)
{
    (void)c;
    (void)enabled;
    MV_TODO(3, "Task 4: the decode cache");
}

const struct mem_insn *decode_cache_lookup(struct decode_cache *c, uint32_t pc, uint32_t space)
{
    (void)c;
    (void)pc;
    (void)space;
    MV_TODO(3, "Task 4: the decode cache");
}

void decode_cache_insert(struct decode_cache *c, uint32_t pc, uint32_t space, const struct mem_insn *m)
{
    (void)c;
    (void)pc;
    (void)space;
    (void)m;
    MV_TODO(3, "Task 4: the decode cache");
}

void decode_cache_flush(struct decode_cache *c)
{
    (void)c;
    MV_TODO(3, "Task 4: the decode cache");
}
