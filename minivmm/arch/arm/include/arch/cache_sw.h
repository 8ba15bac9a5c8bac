/* Set/way data-cache maintenance from the guest (HCR.TSW): which trapped MCRs they are, and the handler. */
#ifndef ARCH_CACHE_SW_H
#define ARCH_CACHE_SW_H

#include <minivmm/exit.h>
#include <minivmm/vcpu.h>
#include <arch/hsr.h>

/* The counters are struct cache_sw_stats in arch/vm.h. */
/* True if an EC 0x03 syndrome is DCISW, DCCSW or DCCISW (MCR p15, 0, Rt, c7, c6/c10/c14, 2).
 * Inline: every CP15 exit asks, and Linux takes tens of thousands of them. */
static inline bool cache_sw_is_op(uint32_t hsr)
{
    uint32_t iss = hsr_iss(hsr), crm = (iss >> 1) & 0xf;
    /* ISS: Opc2 19:17 = 2, Opc1 16:14 = 0, CRn 13:10 = 7, direction bit 0 = 0 (a write). */
    return hsr_ec(hsr) == EC_CP15_32 && (iss & 0x000ffc01u) == ((2u << 17) | (7u << 10)) &&
           (crm == 6 || crm == 10 || crm == 14); /* invalidate, clean, clean and invalidate */
}
/* Carry one out and step the guest past it. */
enum exit_action handle_cache_sw(struct vcpu *v, uint32_t hsr);
/* The operand: the guest's Rt as its current mode sees it (banked r13/r14). */
uint32_t cache_sw_operand(struct vcpu *v, uint32_t hsr);
/* The operation itself, for the value of the guest's Rt: DCCISW if the
 * operand is valid for the guest's cache geometry, else nothing; counted. */
void cache_sw_apply(struct vcpu *v, uint32_t operand);
/* True if operand names a line of a data or unified cache that clidr/ccsidr describe. */
bool cache_sw_operand_valid(uint32_t operand, uint32_t clidr, const uint32_t *ccsidr);
/* "set/way cache maintenance: N done ..., M ignored", if the guest did any. */
struct cache_sw_stats;
void cache_sw_print_stats(const struct cache_sw_stats *s);

#endif
