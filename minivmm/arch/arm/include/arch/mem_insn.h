/* A decoded guest load/store instruction (lab 3), and the cache that keeps decoded instructions by PC. */
#ifndef ARCH_MEM_INSN_H
#define ARCH_MEM_INSN_H

#include <minivmm/types.h>

/*
 * One guest load or store instruction, in a form that does not depend on its
 * encoding. It moves nregs items of width bytes each, at consecutive addresses
 * starting at the "first address", to or from registers rt[0..nregs-1]:
 *   LDR/STR and friends: nregs = 1;  LDRD/STRD: nregs = 2 (Rt, Rt2);
 *   LDM/STM: one item per listed register, lowest register at the lowest address.
 * The first address and the base register's new value come from Rn, as the
 * instruction's addressing mode says (mem_insn_address).
 */
enum mem_addr_mode {
    AM_OFFSET, /* single/pair: offset = imm, or Rm shifted; index/wback as P/W say */
    AM_MULTI,  /* LDM/STM: multiple_inc/multiple_before as the IA/IB/DA/DB suffix says */
};
enum shift_type { SHIFT_LSL, SHIFT_LSR, SHIFT_ASR, SHIFT_ROR };

struct mem_insn {
    uint8_t len; /* instruction length in bytes: 2 (16-bit Thumb) or 4 */
    bool load;
    bool sign;     /* sign-extend a load narrower than 32 bits (LDRSB/LDRSH) */
    uint8_t width; /* bytes per item: 1, 2 or 4 */
    uint8_t nregs;
    uint8_t rt[16];
    uint8_t rn;        /* base register */
    uint8_t mode;      /* enum mem_addr_mode */
    bool add;          /* U: add the offset to Rn (else subtract) / increment (else decrement) */
    bool index;        /* P: access at the offset address (else at Rn, post-indexed) / "before" */
    bool wback;        /* the base register gets the offset address / Rn +- 4 * nregs */
    bool reg_offset;   /* AM_OFFSET: the offset is Rm shifted, not imm */
    uint8_t rm, shift; /* shift: enum shift_type */
    uint8_t shift_n;   /* 1-32 (LSR/ASR #32 are encoded as 0; decoders store 32) or 0 for none */
    uint32_t imm;      /* immediate offset, a byte count */
};

/* Lab 3 student file decode_cache.c: decoded instructions by guest PC and address space, so a
 * device driver's loop pays the fetch and decode once. */
#define DECODE_CACHE_SIZE 64
struct decode_entry {
    bool valid;
    uint32_t pc;    /* guest virtual address of the instruction */
    uint32_t space; /* the address space it was fetched in (TTBR0 and the Thumb bit) */
    struct mem_insn insn;
};
struct decode_cache {
    bool enabled;
    struct decode_entry entries[DECODE_CACHE_SIZE];
    unsigned clock; /* free for the replacement policy (e.g. round robin) */
    uint64_t hits, misses;
};
void decode_cache_init(struct decode_cache *c, bool enabled);
/* The cached instruction, or NULL (a miss; nothing is counted while disabled). */
const struct mem_insn *decode_cache_lookup(struct decode_cache *c, uint32_t pc, uint32_t space);
void decode_cache_insert(struct decode_cache *c, uint32_t pc, uint32_t space, const struct mem_insn *m);
void decode_cache_flush(struct decode_cache *c);

#endif
