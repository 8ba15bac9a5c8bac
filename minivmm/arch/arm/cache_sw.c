/* Set/way data-cache maintenance from the guest (HCR.TSW): done on the real cache, never as a bare invalidate. */
#include <minivmm/console.h>
#include <minivmm/vm.h>
#include <arch/cache_sw.h>
#include <arch/hsr.h>
#include <arch/sysreg.h>
#include <arch/traps.h>

/*
 * Linux cleans and invalidates the whole data cache by set/way when it turns
 * its MMU on or off (v7_flush_dcache_all). Without HCR.TSW those operations
 * reach the physical cache directly, and an invalidate (DCISW) would throw
 * away dirty lines that are not the guest's at all: minivmm's own stack and
 * page tables. Trapped, each one is done as clean+invalidate (DCCISW) of the
 * same line. With one vCPU on one physical CPU, and the guest seeing the real
 * cache geometry (cp15_view.c), that is the guest's operation minus the part
 * that can lose data. An operand that names no line (a level without a data
 * cache, a set or way past the geometry, reserved bits set) would be
 * UNPREDICTABLE on the hardware, so it is counted and ignored instead.
 */

/* ceil(log2(n)) for n >= 1. */
static unsigned log2_up(uint32_t n)
{
    unsigned b = 0;
    while ((1u << b) < n)
        b++;
    return b;
}

#define CLIDR_CTYPE(clidr, level) (((clidr) >> (3 * (level))) & 7u)
#define CTYPE_DATA                2u /* 2 data only, 3 separate instruction and data, 4 unified */
#define CTYPE_UNIFIED             4u

/* The operand's layout (ARM ARM B4.2.1): way in the top A bits, set from bit
 * B = log2(line length) up, level - 1 in bits 3:1, every other bit zero. */
bool cache_sw_operand_valid(uint32_t operand, uint32_t clidr, const uint32_t *ccsidr)
{
    uint32_t level = (operand >> 1) & 7u;
    uint32_t ctype = level < 7 ? CLIDR_CTYPE(clidr, level) : 0;
    if (ctype < CTYPE_DATA || ctype > CTYPE_UNIFIED)
        return false;
    uint32_t geometry = ccsidr[level * 2];     /* CSSELR = level, data or unified */
    unsigned line_shift = (geometry & 7u) + 4; /* log2 of the line length in bytes */
    uint32_t ways = ((geometry >> 3) & 0x3ffu) + 1;
    uint32_t sets = ((geometry >> 13) & 0x7fffu) + 1;
    unsigned way_bits = log2_up(ways);
    uint32_t way = way_bits ? operand >> (32 - way_bits) : 0;
    uint32_t set_mask = (1u << log2_up(sets)) - 1;
    uint32_t set = (operand >> line_shift) & set_mask;
    uint32_t way_field = way_bits ? ~0u << (32 - way_bits) : 0;
    uint32_t known = way_field | (set_mask << line_shift) | (7u << 1);
    return way < ways && set < sets && !(operand & ~known);
}

void cache_sw_apply(struct vcpu *v, uint32_t operand)
{
    struct cache_sw_stats *s = &v->vm->arch.cache_sw;
    if (cache_sw_operand_valid(operand, v->arch.cp15.clidr, v->arch.cp15.ccsidr)) {
        dccisw(operand);
        s->done++;
        return;
    }
    s->ignored++;
    if (trace_exits)
        printk("  set/way operand %#x names no data cache line: ignored\n", operand);
}

uint32_t cache_sw_operand(struct vcpu *v, uint32_t hsr)
{
    uint32_t rt = (hsr_iss(hsr) >> 5) & 0xf;
    /* MCR from the PC is UNPREDICTABLE: 1 has reserved bit 0 set, so it is ignored. */
    return rt == 15 ? 1u : *arm_reg(&v->arch.regs, rt);
}

enum exit_action handle_cache_sw(struct vcpu *v, uint32_t hsr)
{
    cache_sw_apply(v, cache_sw_operand(v, hsr));
    arm_advance_pc(&v->arch.regs, hsr);
    return EXIT_RESUME;
}

void cache_sw_print_stats(const struct cache_sw_stats *s)
{
    if (s->done || s->ignored)
        printk("minivmm: set/way cache maintenance: %llu done as clean+invalidate, %llu ignored\n",
               (unsigned long long)s->done, (unsigned long long)s->ignored);
}
