/* Lab 3 reference: a 4-way set-associative cache of decoded instructions, keyed by guest PC and address space. */
#include <minivmm/string.h>
#include <arch/mem_insn.h>

void decode_cache_init(struct decode_cache *c, bool enabled)
{
    memset(c, 0, sizeof(*c));
    c->enabled = enabled;
}

/* Four ways per set: a driver's handful of device accesses rarely share a set,
 * and when a few do, they do not evict each other as in a direct-mapped cache. */
#define WAYS 4
#define SETS (DECODE_CACHE_SIZE / WAYS)

/* Instructions are at least 2 bytes apart: drop bit 0, and fold higher bits in
 * so that code a multiple of the set count apart does not always collide. */
static struct decode_entry *set_of(struct decode_cache *c, uint32_t pc)
{
    uint32_t h = (pc >> 1) ^ (pc >> 5) ^ (pc >> 9);
    return &c->entries[(h % SETS) * WAYS];
}

const struct mem_insn *decode_cache_lookup(struct decode_cache *c, uint32_t pc, uint32_t space)
{
    if (!c->enabled)
        return NULL;
    struct decode_entry *set = set_of(c, pc);
    for (unsigned w = 0; w < WAYS; w++) {
        if (set[w].valid && set[w].pc == pc && set[w].space == space) {
            c->hits++;
            return &set[w].insn;
        }
    }
    c->misses++;
    return NULL;
}

/* The entry for the same instruction if there is one (replaced in place), else
 * a free way, else the ways take turns (round robin). */
static struct decode_entry *victim(struct decode_cache *c, struct decode_entry *set, uint32_t pc,
                                   uint32_t space)
{
    for (unsigned w = 0; w < WAYS; w++)
        if (set[w].valid && set[w].pc == pc && set[w].space == space)
            return &set[w];
    for (unsigned w = 0; w < WAYS; w++)
        if (!set[w].valid)
            return &set[w];
    return &set[c->clock++ % WAYS];
}

void decode_cache_insert(struct decode_cache *c, uint32_t pc, uint32_t space, const struct mem_insn *m)
{
    if (!c->enabled)
        return;
    struct decode_entry *e = victim(c, set_of(c, pc), pc, space);
    e->valid = true;
    e->pc = pc;
    e->space = space;
    e->insn = *m;
}

void decode_cache_flush(struct decode_cache *c)
{
    for (unsigned i = 0; i < DECODE_CACHE_SIZE; i++)
        c->entries[i].valid = false;
}
