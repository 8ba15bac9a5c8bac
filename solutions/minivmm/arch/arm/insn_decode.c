/* Lab 3 reference: decode the A32 and T32 load/store instructions that can reach a device without a syndrome (ISV = 0). */
#include <minivmm/string.h>
#include <arch/mem_insn.h>

#define BIT(x, n)       (((x) >> (n)) & 1u)
#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))
#define PC              15

/* One transfer to or from rt; shared by every single-register form. */
static bool single(struct mem_insn *m, uint8_t len, bool load, unsigned width, bool sign, unsigned rt,
                   unsigned rn)
{
    memset(m, 0, sizeof(*m));
    m->len = len;
    m->load = load;
    m->width = (uint8_t)width;
    m->sign = sign;
    m->nregs = 1;
    m->rt[0] = (uint8_t)rt;
    m->rn = (uint8_t)rn;
    m->mode = AM_OFFSET;
    /* Literal loads (base PC) and PC as data are never device accesses worth emulating. */
    return rn != PC && rt != PC;
}

static void offset_mode(struct mem_insn *m, bool p, bool u, bool w)
{
    m->index = p;
    m->add = u;
    m->wback = !p || w;
}

/* A shift by an immediate as A32 encodes it: LSR/ASR #0 mean #32, ROR #0 is RRX (refused). */
static bool imm_shift(struct mem_insn *m, unsigned type, unsigned n)
{
    if (type == SHIFT_ROR && n == 0)
        return false;
    if ((type == SHIFT_LSR || type == SHIFT_ASR) && n == 0)
        n = 32;
    m->shift = (uint8_t)type;
    m->shift_n = (uint8_t)n;
    return true;
}

/* A base register written back must not also be a destination or the PC. */
static bool wback_ok(const struct mem_insn *m)
{
    if (!m->wback)
        return true;
    if (m->rn == PC)
        return false;
    for (unsigned i = 0; i < m->nregs; i++)
        if (m->rt[i] == m->rn)
            return false;
    return true;
}

static bool multiple(struct mem_insn *m, uint8_t len, bool load, unsigned rn, uint32_t list, bool inc,
                     bool before, bool w)
{
    memset(m, 0, sizeof(*m));
    m->len = len;
    m->load = load;
    m->width = 4;
    m->rn = (uint8_t)rn;
    m->mode = AM_MULTI;
    m->add = inc;
    m->index = before;
    m->wback = w;
    for (unsigned r = 0; r < 16; r++)
        if (list & (1u << r))
            m->rt[m->nregs++] = (uint8_t)r;
    return m->nregs && !(list & (1u << PC)) && rn != PC && wback_ok(m);
}

/* A32 LDR/STR/LDRB/STRB (A5.3): cond 01 I P U B W L Rn Rt imm12 | imm5 type 0 Rm. */
static bool arm_word_byte(uint32_t i, struct mem_insn *m)
{
    bool p = BIT(i, 24), w = BIT(i, 21);
    if (!p && w)
        return false; /* LDRT/STRT: unprivileged, not emulated */
    if (!single(m, 4, BIT(i, 20), BIT(i, 22) ? 1 : 4, false, BITS(i, 15, 12), BITS(i, 19, 16)))
        return false;
    offset_mode(m, p, BIT(i, 23), w);
    if (BIT(i, 25)) {
        if (BIT(i, 4))
            return false; /* media instructions */
        m->reg_offset = true;
        m->rm = (uint8_t)BITS(i, 3, 0);
        if (m->rm == PC || !imm_shift(m, BITS(i, 6, 5), BITS(i, 11, 7)))
            return false;
    } else {
        m->imm = BITS(i, 11, 0);
    }
    return wback_ok(m);
}

/* A32 "extra" loads and stores (A5.2.8): LDRH/STRH/LDRSB/LDRSH/LDRD/STRD. */
static bool arm_extra(uint32_t i, struct mem_insn *m)
{
    bool p = BIT(i, 24), w = BIT(i, 21), l = BIT(i, 20);
    unsigned op2 = BITS(i, 6, 5), rt = BITS(i, 15, 12);
    if (!p && w)
        return false; /* LDRHT and friends */
    bool ok;
    if (op2 == 1)
        ok = single(m, 4, l, 2, false, rt, BITS(i, 19, 16));
    else if (l)
        ok = single(m, 4, true, op2 == 2 ? 1 : 2, true, rt, BITS(i, 19, 16));
    else { /* LDRD (op2 = 2) / STRD (op2 = 3): Rt even, pair Rt, Rt+1 */
        if (rt % 2 || rt == 14)
            return false;
        ok = single(m, 4, op2 == 2, 4, false, rt, BITS(i, 19, 16));
        m->nregs = 2;
        m->rt[1] = (uint8_t)(rt + 1);
    }
    if (!ok)
        return false;
    offset_mode(m, p, BIT(i, 23), w);
    if (BIT(i, 22)) {
        m->imm = BITS(i, 11, 8) << 4 | BITS(i, 3, 0);
    } else {
        m->reg_offset = true;
        m->rm = (uint8_t)BITS(i, 3, 0);
        if (m->rm == PC)
            return false;
    }
    return wback_ok(m);
}

bool insn_decode_arm(uint32_t i, struct mem_insn *m)
{
    if (BITS(i, 31, 28) == 0xf)
        return false; /* unconditional space: PLD, SRS, RFE... */
    if (BITS(i, 27, 26) == 1)
        return arm_word_byte(i, m);
    if (BITS(i, 27, 25) == 0 && BIT(i, 7) && BIT(i, 4) && BITS(i, 6, 5))
        return arm_extra(i, m);
    if (BITS(i, 27, 25) == 4) {
        if (BIT(i, 22))
            return false; /* LDM/STM with ^: user registers or exception return */
        return multiple(m, 4, BIT(i, 20), BITS(i, 19, 16), BITS(i, 15, 0), BIT(i, 23), BIT(i, 24),
                        BIT(i, 21));
    }
    return false;
}

bool thumb_is_32bit(uint16_t hw1)
{
    return (hw1 >> 11) >= 0x1d;
}

/* 16-bit Thumb (A6.2.4): the immediate, register and SP-relative forms, and LDM/STM. */
/* clang-format off */
static const struct { uint8_t width; bool load, sign; } t16_reg_ops[8] = {
    {4, false, false}, {2, false, false}, {1, false, false}, {1, true, true},  /* STR STRH STRB LDRSB */
    {4, true, false},  {2, true, false},  {1, true, false},  {2, true, true},   /* LDR LDRH LDRB LDRSH */
};
/* clang-format on */

static bool thumb16(uint16_t h, struct mem_insn *m)
{
    unsigned op = h >> 12, l = BIT(h, 11), rt = BITS(h, 2, 0), rn = BITS(h, 5, 3);
    unsigned imm5 = BITS(h, 10, 6);
    switch (op) {
    case 0x5: { /* 0101 opB Rm Rn Rt */
        unsigned o = BITS(h, 11, 9);
        if (!single(m, 2, t16_reg_ops[o].load, t16_reg_ops[o].width, t16_reg_ops[o].sign, rt, rn))
            return false;
        offset_mode(m, true, true, false);
        m->reg_offset = true;
        m->rm = (uint8_t)BITS(h, 8, 6);
        return true;
    }
    case 0x6:
    case 0x7:
    case 0x8: { /* word, byte, halfword with imm5 scaled by the size */
        unsigned width = op == 0x6 ? 4 : op == 0x7 ? 1 : 2;
        single(m, 2, l, width, false, rt, rn);
        offset_mode(m, true, true, false);
        m->imm = imm5 * width;
        return true;
    }
    case 0x9: /* LDR/STR Rt, [SP, #imm8 * 4] */
        single(m, 2, l, 4, false, BITS(h, 10, 8), 13);
        offset_mode(m, true, true, false);
        m->imm = BITS(h, 7, 0) * 4;
        return true;
    case 0xc: { /* LDMIA/STMIA Rn!, {list}: LDM writes back only if Rn is not in the list */
        unsigned base = BITS(h, 10, 8), list = BITS(h, 7, 0);
        bool w = !l || !(list & (1u << base));
        return multiple(m, 2, l, base, list, true, false, w);
    }
    default: return false;
    }
}

/* T32 load/store single (A6.3.10, A6.3.9, A6.3.8, A6.3.7): 1111 100 S Y size L Rn. */
static bool thumb32_single(uint16_t hw1, uint16_t hw2, struct mem_insn *m)
{
    unsigned size = BITS(hw1, 6, 5), rt = BITS(hw2, 15, 12), rn = BITS(hw1, 3, 0);
    bool l = BIT(hw1, 4), s = BIT(hw1, 8);
    if (size == 3 || (s && (!l || size == 2)))
        return false;
    if (!single(m, 4, l, 1u << size, s, rt, rn))
        return false;  /* literal forms, PLD/PLI (Rt = PC) */
    if (BIT(hw1, 7)) { /* imm12, positive offset */
        offset_mode(m, true, true, false);
        m->imm = BITS(hw2, 11, 0);
        return true;
    }
    if (BIT(hw2, 11)) { /* imm8 with P U W in hw2[10:8] */
        bool p = BIT(hw2, 10), u = BIT(hw2, 9), w = BIT(hw2, 8);
        if ((p && u && !w) || (!p && !w))
            return false; /* LDRT-style unprivileged, or UNDEFINED */
        offset_mode(m, p, u, w);
        m->imm = BITS(hw2, 7, 0);
        return wback_ok(m);
    }
    if (BITS(hw2, 11, 6))
        return false;
    offset_mode(m, true, true, false); /* Rm, LSL #imm2 */
    m->reg_offset = true;
    m->rm = (uint8_t)BITS(hw2, 3, 0);
    m->shift = SHIFT_LSL;
    m->shift_n = (uint8_t)BITS(hw2, 5, 4);
    return m->rm != PC && m->rm != 13;
}

/* T32 LDRD/STRD (immediate): 1110 100 P U 1 W L Rn | Rt Rt2 imm8. */
static bool thumb32_dual(uint16_t hw1, uint16_t hw2, struct mem_insn *m)
{
    bool p = BIT(hw1, 8), w = BIT(hw1, 5);
    unsigned rt = BITS(hw2, 15, 12), rt2 = BITS(hw2, 11, 8);
    if (!single(m, 4, BIT(hw1, 4), 4, false, rt, BITS(hw1, 3, 0)) || rt2 == PC || rt2 == 13 || rt == 13 ||
        (m->load && rt == rt2))
        return false;
    m->nregs = 2;
    m->rt[1] = (uint8_t)rt2;
    offset_mode(m, p, BIT(hw1, 7), w);
    m->imm = BITS(hw2, 7, 0) * 4;
    return wback_ok(m);
}

bool insn_decode_thumb(uint16_t hw1, uint16_t hw2, struct mem_insn *m)
{
    if (!thumb_is_32bit(hw1))
        return thumb16(hw1, m);
    if ((hw1 & 0xfe00) == 0xf800)
        return thumb32_single(hw1, hw2, m);
    if ((hw1 & 0xfe40) == 0xe840 && (BIT(hw1, 8) || BIT(hw1, 5)))
        return thumb32_dual(hw1, hw2, m);
    if ((hw1 & 0xfe40) == 0xe800 && (BITS(hw1, 8, 7) == 1 || BITS(hw1, 8, 7) == 2)) {
        if (BIT(hw2, 13))
            return false; /* SP in the list */
        return multiple(m, 4, BIT(hw1, 4), BITS(hw1, 3, 0), hw2, BITS(hw1, 8, 7) == 1, BITS(hw1, 8, 7) == 2,
                        BIT(hw1, 5));
    }
    return false;
}
