/* Lab 1 student file: emulate the trapped CP15 accesses (CRn=0 through HSTR.T0, ACTLR through HCR.TAC). */
#include <minivmm/panic.h>
#include <arch/hsr.h>
#include <arch/traps.h>

/* Fill *a from the ISS of an EC 0x03 syndrome (ARM ARM B3.13.6). */
void cp15_decode(uint32_t hsr, struct cp15_access *a)
{
    (void)hsr;
    (void)a;
    MV_TODO(1, "Task 4: CP15 emulation");
}

/*
 * EC 0x03: emulate the access from v->arch.cp15 (struct cp15_view in
 * arch/regs.h has one field per register). A read puts the value in the
 * guest's register Rt (mind the banked registers: arm_reg()). CSSELR is the
 * guest's to read and write; CCSIDR reads the entry CSSELR selects; the
 * reserved ID space (CRn c0, opc1 0, CRm c3-c7) reads as zero and c0/c0 with
 * opc2 4 or 7 are aliases of MIDR (ARMv7 B4.1.105); writes to
 * ACTLR are ignored; any other write, and any register you do not emulate,
 * gets an undefined-instruction exception in the guest (inject_undef).
 */
enum exit_action handle_cp15_32(struct vcpu *v, uint32_t hsr)
{
    (void)v;
    (void)hsr;
    MV_TODO(1, "Task 4: CP15 emulation");
}
