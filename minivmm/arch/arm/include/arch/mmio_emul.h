/* Lab 3 (MMIO emulation): guest loads and stores to device regions, decoded from the syndrome or the instruction. */
#ifndef ARCH_MMIO_EMUL_H
#define ARCH_MMIO_EMUL_H

#include <minivmm/exit.h>
#include <minivmm/vcpu.h>
#include <arch/mem_insn.h>

/* ---- Framework (guest_fetch.c): read the guest's instruction at a guest
 * virtual address through its own stage-1 translation (ATS1CPR) and stage 2.
 * 0, or -1 if the address does not translate to guest RAM. */
int guest_fetch16(struct vcpu *v, uint32_t va, uint16_t *hw);
int guest_fetch32(struct vcpu *v, uint32_t va, uint32_t *word);

/* ---- Lab 3 student functions. */
/* insn_decode.c: decode one load/store. true with *m filled, false for
 * anything else or a form minivmm does not emulate (literal loads, PC as a
 * destination, unprivileged LDRT-style forms, LDM/STM with ^ or an empty list,
 * a write-back base that is also in the register list). */
bool insn_decode_arm(uint32_t insn, struct mem_insn *m);
bool insn_decode_thumb(uint16_t hw1, uint16_t hw2, struct mem_insn *m);
/* True if a Thumb instruction starting with halfword hw1 is 32 bits long. */
bool thumb_is_32bit(uint16_t hw1);

/* decode_cache.c: see arch/decode_cache.h. */

/* mmio_emul.c: the emulation. */
extern const bool lab3_mmio_enabled; /* false in the skeleton: no devices, every such access aborts */
/* Decode an ISV=1 data-abort syndrome (ARM ARM B3.13.6, ISS for EC 0x24) into
 * a one-register access; false if ISV is clear or SRT is the PC (refused,
 * as the decoder refuses it). len comes from HSR.IL. */
bool mmio_decode_isv(uint32_t hsr, struct mem_insn *m);
/* The first address m accesses and the base register's value after it. */
void mem_insn_address(const struct mem_insn *m, struct arm_regs *r, uint32_t *first, uint32_t *new_base);
/* Carry out m on the VM's MMIO bus: items at IPA ipa, ipa + width, ...;
 * loads sign- or zero-extended into the registers, the base written back, the
 * PC stepped past the instruction. false (and nothing changed) if the bus
 * refuses any item. */
bool mmio_execute(struct vcpu *v, const struct mem_insn *m, uint32_t ipa);
/* The data abort handler's lab 3 part: emulate the access at IPA ipa if a
 * device is there. EXIT_RESUME if it did (or injected an abort for a bad
 * access to a device), EXIT_UNHANDLED if no device claims ipa. */
enum exit_action mmio_handle_abort(struct vcpu *v, uint32_t hsr, uint32_t ipa);

#endif
