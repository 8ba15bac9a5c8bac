/* Lab 1 student file: step the guest past a trapped instruction, keeping the Thumb IT state right. */
#include <minivmm/panic.h>
#include <arch/hsr.h>
#include <arch/traps.h>

/*
 * Move r->pc past the instruction that trapped: 2 or 4 bytes, as HSR.IL says.
 * If the guest is in Thumb state inside an IT block (CPSR.IT != 0), advance
 * ITSTATE the way the CPU does after executing an instruction (ARM ARM
 * A2.5.2, ITAdvance()), or the instructions after it run with the wrong
 * condition.
 */
void arm_advance_pc(struct arm_regs *r, uint32_t hsr)
{
    (void)r;
    (void)hsr;
    MV_TODO(1, "Task 1: advancing the PC");
}
