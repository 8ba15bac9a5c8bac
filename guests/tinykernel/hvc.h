/* Hypercalls from tinykernel to the VMM (`hvc #0`, SMCCC registers; see minivmm/include/minivmm/hypercall_abi.h). */
#ifndef TK_HVC_H
#define TK_HVC_H

#include <stdint.h>
#include <minivmm/hypercall_abi.h>

static inline uint32_t hvc3(uint32_t fn, uint32_t a1, uint32_t a2, uint32_t a3)
{
    register uint32_t r0 __asm__("r0") = fn;
    register uint32_t r1 __asm__("r1") = a1;
    register uint32_t r2 __asm__("r2") = a2;
    register uint32_t r3 __asm__("r3") = a3;
    __asm__ volatile(".arch_extension virt\n\thvc #0" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3) : : "memory");
    return r0;
}

static inline uint32_t hvc1(uint32_t fn, uint32_t a1) { return hvc3(fn, a1, 0, 0); }

#endif
