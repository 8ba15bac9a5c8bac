/* x86 instructions minivmm needs, as inline functions: port I/O, MSRs, control registers, CPUID. */
#ifndef ARCH_X86_H
#define ARCH_X86_H

#include <minivmm/types.h>

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#define READ_CR(n)                                         \
    ({                                                     \
        uint64_t v_;                                       \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)); \
        v_;                                                \
    })

#define MSR_EFER        0xc0000080u
#define EFER_SVME       (1u << 12)
#define MSR_VM_CR       0xc0010114u
#define VM_CR_SVMDIS    (1u << 4)
#define MSR_VM_HSAVE_PA 0xc0010117u

/* QEMU's isa-debug-exit device (grader/qemu.py's x86 machine): a write of v ends QEMU with (v << 1) | 1. */
#define DEBUG_EXIT_PORT 0xf4

#endif
