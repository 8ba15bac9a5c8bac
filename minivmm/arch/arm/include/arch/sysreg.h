/* Accessors for the ARMv7 system registers minivmm uses (CP15 with opc1 = 4 are the Hyp registers). */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#include <minivmm/types.h>

#ifdef __arm__
#define DEFINE_SYSREG32(name, op1, crn, crm, op2)                                                 \
    static inline uint32_t read_##name(void)                                                      \
    {                                                                                             \
        uint32_t v;                                                                               \
        __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(v));           \
        return v;                                                                                 \
    }                                                                                             \
    static inline void write_##name(uint32_t v)                                                   \
    {                                                                                             \
        __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 ::"r"(v) : "memory"); \
    }

static inline void write_vttbr(uint64_t v)
{
    __asm__ volatile("mcrr p15, 6, %Q0, %R0, c2" ::"r"(v) : "memory");
}

static inline uint64_t read_vttbr(void)
{
    uint64_t v;
    __asm__ volatile("mrrc p15, 6, %Q0, %R0, c2" : "=r"(v));
    return v;
}

/* TLBIALLNSNH: invalidate every Non-secure, non-Hyp TLB entry (stage 1 and 2, all VMIDs). */
static inline void tlbi_allnsnh(void) { __asm__ volatile("mcr p15, 4, %0, c8, c7, 4" ::"r"(0) : "memory"); }

/* DCCISW: clean and invalidate one data-cache line by set/way. */
static inline void dccisw(uint32_t set_way)
{
    __asm__ volatile("mcr p15, 0, %0, c7, c14, 2" ::"r"(set_way) : "memory");
}

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb(void) { __asm__ volatile("dsb" ::: "memory"); }

static inline uint32_t read_cpsr(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, cpsr" : "=r"(v));
    return v;
}
#else
/* Host builds (Check unit tests): each register is a variable the test can set
 * and inspect (defined in minivmm/tests/unit/host_stubs.c). */
#define DEFINE_SYSREG32(name, op1, crn, crm, op2)                           \
    extern uint32_t host_sysreg_##name;                                     \
    static inline uint32_t read_##name(void) { return host_sysreg_##name; } \
    static inline void write_##name(uint32_t v) { host_sysreg_##name = v; }
extern uint64_t host_sysreg_vttbr;
extern unsigned host_tlb_flushes; /* TLBIALLNSNH count */
static inline void write_vttbr(uint64_t v) { host_sysreg_vttbr = v; }
static inline uint64_t read_vttbr(void) { return host_sysreg_vttbr; }
static inline void tlbi_allnsnh(void) { host_tlb_flushes++; }
extern unsigned host_dccisw_count; /* DCCISW operations, and the last operand */
extern uint32_t host_dccisw_last;
static inline void dccisw(uint32_t set_way)
{
    host_dccisw_count++;
    host_dccisw_last = set_way;
}
static inline void isb(void) {}
static inline void dsb(void) {}
#endif

DEFINE_SYSREG32(midr, 0, c0, c0, 0)
DEFINE_SYSREG32(hsctlr, 4, c1, c0, 0)
DEFINE_SYSREG32(hcr, 4, c1, c1, 0)
DEFINE_SYSREG32(hdcr, 4, c1, c1, 1)
DEFINE_SYSREG32(hcptr, 4, c1, c1, 2)
DEFINE_SYSREG32(hstr, 4, c1, c1, 3)
DEFINE_SYSREG32(hsr, 4, c5, c2, 0)
DEFINE_SYSREG32(hdfar, 4, c6, c0, 0)
DEFINE_SYSREG32(hifar, 4, c6, c0, 2)
DEFINE_SYSREG32(hpfar, 4, c6, c0, 4)
DEFINE_SYSREG32(hvbar, 4, c12, c0, 0)
DEFINE_SYSREG32(vpidr, 4, c0, c0, 0)
DEFINE_SYSREG32(vmpidr, 4, c0, c0, 5)
DEFINE_SYSREG32(vtcr, 4, c2, c1, 2)
DEFINE_SYSREG32(cnthctl, 4, c14, c1, 0)
DEFINE_SYSREG32(csselr, 2, c0, c0, 0) /* the guest's own with idregs=native */

/* HCR bits (ARM ARM B4.1.65). */
#define HCR_VM   (1u << 0)
#define HCR_SWIO (1u << 1)
#define HCR_FMO  (1u << 3)
#define HCR_IMO  (1u << 4)
#define HCR_AMO  (1u << 5)
#define HCR_TWI  (1u << 13)
#define HCR_TWE  (1u << 14)
#define HCR_TSC  (1u << 19)
#define HCR_TAC  (1u << 21)
#define HCR_TSW  (1u << 22)
#define HCR_TID3 (1u << 18)

/* HDCR bits. */
#define HDCR_TDRA  (1u << 11)
#define HDCR_TDOSA (1u << 10)
#define HDCR_TDA   (1u << 9)
#define HDCR_TPM   (1u << 6)
#define HDCR_TPMCR (1u << 5)

#endif
