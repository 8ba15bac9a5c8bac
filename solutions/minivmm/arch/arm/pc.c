/* Lab 1 reference: step the guest past a trapped instruction, keeping the Thumb IT state right. */
#include <arch/hsr.h>
#include <arch/traps.h>

/* ITSTATE is split across the CPSR: IT[1:0] in bits 26:25, IT[7:2] in bits 15:10. */
static uint32_t itstate(uint32_t cpsr)
{
    return ((cpsr >> 25) & 0x3) | ((cpsr >> 8) & 0xfc);
}

static uint32_t with_itstate(uint32_t cpsr, uint32_t it)
{
    cpsr &= ~PSR_IT_MASK;
    return cpsr | ((it & 0x3) << 25) | ((it & 0xfc) << 8);
}

/* ITAdvance() of the ARM ARM (A2.5.2): the low five bits shift left; the block
 * ends when IT[2:0] is zero. */
static uint32_t it_advance(uint32_t it)
{
    if ((it & 0x7) == 0)
        return 0;
    return (it & 0xe0) | ((it << 1) & 0x1f);
}

void arm_advance_pc(struct arm_regs *r, uint32_t hsr)
{
    r->pc += hsr_insn_len(hsr);
    uint32_t it = itstate(r->cpsr);
    if ((r->cpsr & PSR_T) && it)
        r->cpsr = with_itstate(r->cpsr, it_advance(it));
}
