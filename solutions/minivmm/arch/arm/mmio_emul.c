/* Lab 3 reference: emulate a guest's load/store to a device: decode it (syndrome, or fetch and decode), then do it on the bus. */
#include <minivmm/console.h>
#include <minivmm/vm.h>
#include <arch/hsr.h>
#include <arch/mmio_emul.h>
#include <arch/stage2.h>
#include <arch/traps.h>

const bool lab3_mmio_enabled = true;

/* ISS of a data abort (ARM ARM B3.13.6). */
#define ISS_ISV      (1u << 24)
#define ISS_SAS(iss) (((iss) >> 22) & 3) /* access size: 1 << SAS bytes */
#define ISS_SSE      (1u << 21)          /* sign-extend */
#define ISS_SRT(iss) (((iss) >> 16) & 0xf)
#define ISS_WNR      (1u << 6)

bool mmio_decode_isv(uint32_t hsr, struct mem_insn *m)
{
    uint32_t iss = hsr_iss(hsr);
    if (!(iss & ISS_ISV) || ISS_SAS(iss) == 3 || ISS_SRT(iss) == 15)
        return false; /* PC as the data register: refused like the decoder does */
    *m = (struct mem_insn){
        .len = (uint8_t)hsr_insn_len(hsr),
        .load = !(iss & ISS_WNR),
        .sign = (iss & ISS_SSE) != 0,
        .width = (uint8_t)(1u << ISS_SAS(iss)),
        .nregs = 1,
        .rt = {(uint8_t)ISS_SRT(iss)},
        .mode = AM_OFFSET,
        .index = true,
    };
    return true;
}

static uint32_t shifted(uint32_t v, unsigned type, unsigned n)
{
    if (!n)
        return v;
    switch (type) {
    case SHIFT_LSL: return n >= 32 ? 0 : v << n;
    case SHIFT_LSR: return n >= 32 ? 0 : v >> n;
    case SHIFT_ASR: return n >= 32 ? (uint32_t)((int32_t)v >> 31) : (uint32_t)((int32_t)v >> n);
    default: return v >> (n % 32) | v << ((32 - n) % 32); /* ROR */
    }
}

void mem_insn_address(const struct mem_insn *m, struct arm_regs *r, uint32_t *first, uint32_t *new_base)
{
    uint32_t base = *arm_reg(r, m->rn);
    if (m->mode == AM_MULTI) {
        uint32_t span = 4u * m->nregs;
        uint32_t low = m->add ? base : base - span;
        *first = low + (m->add == m->index ? 4 : 0); /* IB and DA start one word up */
        *new_base = m->add ? base + span : base - span;
        return;
    }
    uint32_t off = m->reg_offset ? shifted(*arm_reg(r, m->rm), m->shift, m->shift_n) : m->imm;
    uint32_t addr = m->add ? base + off : base - off;
    *first = m->index ? addr : base;
    *new_base = addr;
}

static uint32_t extend(uint32_t v, unsigned width, bool sign)
{
    if (width == 4)
        return v;
    uint32_t bits = width * 8, mask = (1u << bits) - 1;
    v &= mask;
    if (sign && (v >> (bits - 1)))
        v |= ~mask;
    return v;
}

bool mmio_execute(struct vcpu *v, const struct mem_insn *m, uint32_t ipa)
{
    struct arm_regs *r = &v->arch.regs;
    struct mmio_bus *bus = &v->vm->mmio;
    uint32_t vals[16], first, new_base = 0;
    if (m->wback)
        mem_insn_address(m, r, &first, &new_base);
    for (unsigned i = 0; i < m->nregs; i++) {
        uint32_t a = ipa + i * m->width;
        bool ok = m->load ? mmio_bus_read(bus, a, m->width, &vals[i])
                          : mmio_bus_write(bus, a, m->width, *arm_reg(r, m->rt[i]));
        if (trace_exits && !ok)
            printk("  mmio %s%u at IPA %#x refused\n", m->load ? "read" : "write", m->width, a);
        else if (trace_exits)
            printk("  mmio %s%u at IPA %#x = %#x\n", m->load ? "read" : "write", m->width, a,
                   m->load ? vals[i] : *arm_reg(r, m->rt[i]));
        if (!ok)
            return false;
    }
    if (m->load) /* only once every item was read: a refused access changes no register */
        for (unsigned i = 0; i < m->nregs; i++)
            *arm_reg(r, m->rt[i]) = extend(vals[i], m->width, m->sign);
    if (m->wback)
        *arm_reg(r, m->rn) = new_base;
    arm_advance_pc(r, m->len == 4 ? HSR_IL : 0);
    return true;
}

/* The address space an instruction at the PC was fetched in: the translation
 * table base while the guest's MMU is on, and the instruction set. */
static uint32_t code_space(const struct arm_regs *r)
{
    uint32_t space = r->cpsr & PSR_T ? 1 : 0;
    if (guest_cp15_read(G_SCTLR) & 1)
        space |= 2 | (guest_cp15_read(G_TTBR0) & ~0x7fu);
    return space;
}

static bool fetch_and_decode(struct vcpu *v, struct mem_insn *m)
{
    uint32_t pc = v->arch.regs.pc;
    if (v->arch.regs.cpsr & PSR_T) {
        uint16_t hw1, hw2 = 0;
        if (guest_fetch16(v, pc, &hw1) || (thumb_is_32bit(hw1) && guest_fetch16(v, pc + 2, &hw2)))
            return false;
        return insn_decode_thumb(hw1, hw2, m);
    }
    uint32_t insn;
    return !guest_fetch32(v, pc, &insn) && insn_decode_arm(insn, m);
}

/* The instruction at the guest's PC, from the cache or fetched and decoded. */
static bool decode_at_pc(struct vcpu *v, struct mem_insn *m)
{
    struct decode_cache *c = &v->vm->arch.dcache;
    uint32_t pc = v->arch.regs.pc, space = code_space(&v->arch.regs);
    const struct mem_insn *hit = decode_cache_lookup(c, pc, space);
    if (hit) {
        *m = *hit;
        return true;
    }
    if (!fetch_and_decode(v, m))
        return false;
    decode_cache_insert(c, pc, space, m);
    return true;
}

/* Where the first item's IPA is, given that the access at the guest's
 * faulting address (HDFAR) hit IPA ipa; false if HDFAR is not one of m's items. */
static bool first_ipa(struct vcpu *v, const struct mem_insn *m, uint32_t ipa, uint32_t *out)
{
    uint32_t first, new_base;
    mem_insn_address(m, &v->arch.regs, &first, &new_base);
    uint32_t into = v->arch.hdfar - first;
    if (into >= (uint32_t)m->nregs * m->width)
        return false;
    *out = ipa - into;
    return true;
}

static void refuse(struct vcpu *v, uint32_t hsr, const char *why)
{
    v->vm->arch.mmio_stats.refused++;
    if (trace_exits)
        printk("  mmio at VA %#x: %s: external abort injected\n", v->arch.hdfar, why);
    bool lpae = guest_cp15_read(G_TTBCR) & TTBCR_EAE;
    inject_dabt(v, v->arch.hdfar, s2_guest_fsr(lpae, false, hsr_iss(hsr) & ISS_WNR));
}

enum exit_action mmio_handle_abort(struct vcpu *v, uint32_t hsr, uint32_t ipa)
{
    struct mmio_emul_stats *s = &v->vm->arch.mmio_stats;
    struct mem_insn m;
    if (!mmio_find(&v->vm->mmio, ipa, 1))
        return EXIT_UNHANDLED;
    if (v->arch.regs.cpsr & PSR_E) {
        refuse(v, hsr, "big-endian data access");
        return EXIT_RESUME;
    }
    if (mmio_decode_isv(hsr, &m)) {
        s->isv++;
    } else if (decode_at_pc(v, &m) && first_ipa(v, &m, ipa, &ipa)) {
        s->decoded++;
    } else {
        refuse(v, hsr, "instruction not decoded");
        return EXIT_RESUME;
    }
    if (!mmio_execute(v, &m, ipa))
        refuse(v, hsr, "the device refused the access");
    return EXIT_RESUME;
}
