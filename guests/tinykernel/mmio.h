/* Device register accessors for tinykernel: one plain LDR/STR of each width, never a write-back form.
 *
 * A compiler may fold an address update into a load or store (str r6, [r0, #8]!);
 * such forms reach the VMM without an instruction syndrome and need lab 3's
 * decoder. These accessors keep the UART driver and the syndrome tests on the
 * ISV path. */
#ifndef TK_MMIO_H
#define TK_MMIO_H

#include <stdint.h>

#define TK_LOAD(name, insn)                                                              \
    static inline uint32_t name(uint32_t addr) /* zero- or sign-extended as insn does */ \
    {                                                                                    \
        uint32_t v;                                                                      \
        __asm__ volatile(insn " %0, [%1]" : "=r"(v) : "r"(addr) : "memory");             \
        return v;                                                                        \
    }
#define TK_STORE(name, insn)                                               \
    static inline void name(uint32_t addr, uint32_t v)                     \
    {                                                                      \
        __asm__ volatile(insn " %0, [%1]" ::"r"(v), "r"(addr) : "memory"); \
    }

TK_LOAD(mmio_read32, "ldr")
TK_LOAD(mmio_read16, "ldrh")
TK_LOAD(mmio_read16s, "ldrsh")
TK_LOAD(mmio_read8, "ldrb")
TK_LOAD(mmio_read8s, "ldrsb")
TK_STORE(mmio_write32, "str")
TK_STORE(mmio_write16, "strh")
TK_STORE(mmio_write8, "strb")

#endif
