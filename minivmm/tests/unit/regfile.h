/* Unit-test helpers for a whole ARM register file: fill it with recognisable values, compare it word by word. */
#ifndef TEST_REGFILE_H
#define TEST_REGFILE_H

#include <arch/regs.h>

/* Give every register a distinct recognisable value, then set the PC and CPSR. */
void regfile_fill(struct arm_regs *r, uint32_t cpsr, uint32_t pc);
/* Fail the Check test unless every register of *got equals *want; the message
 * starts with ctx and names the first register that differs. */
void regfile_check(const struct arm_regs *got, const struct arm_regs *want, const char *ctx);

#endif
