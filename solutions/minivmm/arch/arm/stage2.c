/* Lab 2 reference: LPAE stage-2 translation tables: map, unmap, protect and translate IPA ranges. */
#include <arch/stage2.h>

/* Level 1 covers 1 GiB per entry, level 2 2 MiB, level 3 4 KiB. */
static const uint32_t level_size[4] = {0, S2_L1_BLOCK, S2_L2_BLOCK, S2_PAGE_SIZE};
static const unsigned level_shift[4] = {0, 30, 21, 12};

static uint64_t *entry(uint64_t *table, unsigned level, uint32_t ipa)
{
    return &table[(ipa >> level_shift[level]) & (level == 1 ? S2_L1_ENTRIES - 1 : S2_ENTRIES - 1)];
}

static bool is_valid(uint64_t d)
{
    return d & S2_DESC_VALID;
}
/* A table at levels 1-2; at level 3 the same bits mean a page. */
static bool is_table(uint64_t d, unsigned level)
{
    return level < 3 && (d & S2_DESC_TABLE);
}

static uint64_t attr_bits(uint32_t attrs)
{
    uint64_t memattr = (attrs & S2_DEVICE) ? S2_MEMATTR_DEVICE : S2_MEMATTR_NORMAL_WB;
    uint64_t d = S2_AF | S2_SH_INNER | memattr << S2_MEMATTR_SHIFT;
    if (attrs & S2_R)
        d |= 1ull << S2_S2AP_SHIFT;
    if (attrs & S2_W)
        d |= 2ull << S2_S2AP_SHIFT;
    if (!(attrs & S2_X))
        d |= S2_XN;
    return d;
}

static uint32_t attrs_of(uint64_t d)
{
    uint32_t a = 0;
    if (d & (1ull << S2_S2AP_SHIFT))
        a |= S2_R;
    if (d & (2ull << S2_S2AP_SHIFT))
        a |= S2_W;
    if (!(d & S2_XN))
        a |= S2_X;
    if (((d >> S2_MEMATTR_SHIFT) & 0xf) != S2_MEMATTR_NORMAL_WB)
        a |= S2_DEVICE;
    return a;
}

static uint64_t leaf(uint64_t pa, uint32_t attrs, unsigned level)
{
    return (pa & S2_OA_MASK) | attr_bits(attrs) | S2_DESC_VALID | (level == 3 ? S2_DESC_TABLE : 0);
}

static bool range_ok(uint32_t ipa, uint32_t size)
{
    return size && !(ipa % S2_PAGE_SIZE) && !(size % S2_PAGE_SIZE) && (uint64_t)ipa + size <= 1ull << 32;
}

int s2_init(struct s2_pgtable *pt)
{
    pt->l1 = s2_page_alloc();
    return pt->l1 ? S2_OK : S2_ENOMEM;
}

/* The descriptor that maps ipa and its level, or the invalid one where the walk stopped. */
static uint64_t *walk(const struct s2_pgtable *pt, uint32_t ipa, unsigned *level)
{
    uint64_t *table = pt->l1;
    for (unsigned l = 1;; l++) {
        uint64_t *e = entry(table, l, ipa);
        if (!is_valid(*e) || !is_table(*e, l)) {
            *level = l;
            return e;
        }
        table = s2_table_va(*e & S2_OA_MASK);
    }
}

int s2_translate(const struct s2_pgtable *pt, uint32_t ipa, uint64_t *pa, uint32_t *attrs)
{
    unsigned level;
    uint64_t d = *walk(pt, ipa, &level);
    if (!is_valid(d))
        return S2_ENOENT;
    *pa = (d & S2_OA_MASK & ~(uint64_t)(level_size[level] - 1)) | (ipa & (level_size[level] - 1));
    if (attrs)
        *attrs = attrs_of(d);
    return S2_OK;
}

/* Next address after the region of `level` containing ipa (0 past 4 GiB). */
static uint64_t next_boundary(uint32_t ipa, unsigned level)
{
    return ((uint64_t)ipa & ~(uint64_t)(level_size[level] - 1)) + level_size[level];
}

/* Is every page of [ipa, end) mapped (want_mapped) or unmapped (!want_mapped)? */
static bool range_is(const struct s2_pgtable *pt, uint32_t ipa, uint64_t end, bool want_mapped)
{
    for (uint64_t a = ipa; a < end;) {
        unsigned level;
        if (is_valid(*walk(pt, (uint32_t)a, &level)) != want_mapped)
            return false;
        a = next_boundary((uint32_t)a, level);
    }
    return true;
}

/* Make sure the entry for ipa at `level` (2 or 3) exists, splitting a block
 * above it if needed; returns the entry, or NULL when out of pages. */
static uint64_t *entry_at(struct s2_pgtable *pt, uint32_t ipa, unsigned level)
{
    uint64_t *table = pt->l1;
    for (unsigned l = 1; l < level; l++) {
        uint64_t *e = entry(table, l, ipa);
        if (!is_valid(*e) || !is_table(*e, l)) {
            uint64_t *next = s2_page_alloc();
            if (!next)
                return NULL;
            if (is_valid(*e)) { /* split the block into the next level, same attributes */
                uint64_t base = *e & S2_OA_MASK & ~(uint64_t)(level_size[l] - 1);
                uint32_t attrs = attrs_of(*e);
                for (unsigned i = 0; i < S2_ENTRIES; i++)
                    next[i] = leaf(base + (uint64_t)i * level_size[l + 1], attrs, l + 1);
            }
            *e = s2_table_pa(next) | S2_DESC_TABLE | S2_DESC_VALID;
        }
        table = s2_table_va(*e & S2_OA_MASK);
    }
    return entry(table, level, ipa);
}

/* The largest level whose block fits at ipa/pa with `left` bytes to go. */
static unsigned best_level(uint32_t ipa, uint64_t pa, uint64_t left)
{
    for (unsigned l = 1; l < 3; l++)
        if (!(ipa % level_size[l]) && !(pa % level_size[l]) && left >= level_size[l])
            return l;
    return 3;
}

int s2_map(struct s2_pgtable *pt, uint32_t ipa, uint64_t pa, uint32_t size, uint32_t attrs)
{
    uint64_t end = (uint64_t)ipa + size;
    if (!range_ok(ipa, size) || pa % S2_PAGE_SIZE || size > (1ull << 40) - pa)
        return S2_EINVAL;
    if (!range_is(pt, ipa, end, false))
        return S2_EEXIST;
    for (uint64_t a = ipa; a < end;) {
        unsigned level = best_level((uint32_t)a, pa + (a - ipa), end - a);
        uint64_t *e = entry_at(pt, (uint32_t)a, level);
        if (!e) { /* out of table pages: take back what was mapped */
            if (a > ipa)
                s2_unmap(pt, ipa, (uint32_t)(a - ipa));
            return S2_ENOMEM;
        }
        *e = leaf(pa + (a - ipa), attrs, level);
        a += level_size[level];
    }
    return S2_OK;
}

/* Apply fn to every mapped leaf in [ipa, end), splitting blocks the range only
 * partly covers. fn gets the entry and its level. */
static int for_each_leaf(struct s2_pgtable *pt, uint32_t ipa, uint64_t end,
                         void (*fn)(uint64_t *e, unsigned level, uint32_t attrs), uint32_t attrs)
{
    for (uint64_t a = ipa; a < end;) {
        unsigned level;
        uint64_t *e = walk(pt, (uint32_t)a, &level);
        uint64_t next = next_boundary((uint32_t)a, level);
        if (!is_valid(*e)) {
            a = next;
            continue;
        }
        if (a % level_size[level] || next > end) { /* partly covered: split, look again */
            if (!entry_at(pt, (uint32_t)a, level + 1))
                return S2_ENOMEM;
            continue;
        }
        fn(e, level, attrs);
        a = next;
    }
    return S2_OK;
}

static void clear_leaf(uint64_t *e, unsigned level, uint32_t attrs)
{
    (void)level;
    (void)attrs;
    *e = 0;
}

static void protect_leaf(uint64_t *e, unsigned level, uint32_t attrs)
{
    uint64_t base = *e & S2_OA_MASK & ~(uint64_t)(level_size[level] - 1);
    *e = leaf(base, attrs, level);
}

int s2_unmap(struct s2_pgtable *pt, uint32_t ipa, uint32_t size)
{
    if (!range_ok(ipa, size))
        return S2_EINVAL;
    return for_each_leaf(pt, ipa, (uint64_t)ipa + size, clear_leaf, 0);
}

int s2_protect(struct s2_pgtable *pt, uint32_t ipa, uint32_t size, uint32_t attrs)
{
    uint64_t end = (uint64_t)ipa + size;
    if (!range_ok(ipa, size))
        return S2_EINVAL;
    if (!range_is(pt, ipa, end, true))
        return S2_ENOENT;
    return for_each_leaf(pt, ipa, end, protect_leaf, attrs);
}
