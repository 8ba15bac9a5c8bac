/* Fuzzes lab 3's MMIO path (decoder, emulation, decode cache) and the exit dispatch with guest traps. */
/* The code: the reference insn_decode.c, mmio_emul.c, decode_cache.c; arch/arm/exits.c, regs.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/arch_exit.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/vm_snapshot.h>
#include <arch/mmio_emul.h>
#include <arch/traps.h>
#include "host_stubs.h"
#include "fuzz.h"

/* Two VMs fed the same exits: decode cache on in the first, off in the
 * second. They must end in the same state, or the cache changed an outcome. */
static struct vm vms[2];

#define CODE_VA (GUEST_RAM_BASE + 0x10000u) /* where host_code sits in the guest's address space */

static bool guest_mode(uint32_t cpsr)
{
    static const uint8_t modes[] = {PSR_MODE_USR, PSR_MODE_FIQ, PSR_MODE_IRQ, PSR_MODE_SVC,
                                    PSR_MODE_ABT, PSR_MODE_UND, PSR_MODE_SYS};
    return memchr(modes, (int)(cpsr & PSR_MODE_MASK), sizeof(modes)) != NULL;
}

/* What every decoder result must be for mmio_execute (16 values at most, no PC). */
static void check_insn(const struct mem_insn *m, unsigned len, const char *what, uint32_t bits)
{
    FUZZ_CHECK(m->len == len, "%s %#x: length %u, not %u", what, bits, m->len, len);
    FUZZ_CHECK(m->width == 1 || m->width == 2 || m->width == 4, "%s %#x: width %u", what, bits, m->width);
    FUZZ_CHECK(m->nregs >= 1 && m->nregs <= 15, "%s %#x: %u registers", what, bits, m->nregs);
    FUZZ_CHECK(m->rn < 15 && (!m->reg_offset || m->rm < 15), "%s %#x: PC as base or offset", what, bits);
    FUZZ_CHECK(m->shift <= SHIFT_ROR && m->shift_n <= 32, "%s %#x: shift %u #%u", what, bits, m->shift,
               m->shift_n);
    FUZZ_CHECK(m->mode == AM_MULTI ? m->width == 4 : m->nregs <= 2, "%s %#x: mode %u, %u of width %u", what,
               bits, m->mode, m->nregs, m->width);
    for (unsigned i = 0; i < m->nregs; i++) {
        FUZZ_CHECK(m->rt[i] < 15, "%s %#x: PC as data", what, bits);
        FUZZ_CHECK(!m->wback || m->rt[i] != m->rn, "%s %#x: base r%u written back and transferred", what,
                   bits, m->rn);
        FUZZ_CHECK(m->mode != AM_MULTI || !i || m->rt[i] > m->rt[i - 1], "%s %#x: register list out of order",
                   what, bits);
    }
}

/* Decode only: the instruction decoders and the syndrome decoder. */
static void decode_only(struct fdp *f)
{
    struct mem_insn m;
    uint32_t insn = fdp_u32(f), iss = fdp_u32(f);
    uint16_t hw1 = (uint16_t)insn, hw2 = (uint16_t)(insn >> 16);
    if (insn_decode_arm(insn, &m))
        check_insn(&m, 4, "A32", insn);
    if (insn_decode_thumb(hw1, hw2, &m))
        check_insn(&m, thumb_is_32bit(hw1) ? 4 : 2, "T32", insn);
    if (mmio_decode_isv(iss, &m)) {
        check_insn(&m, hsr_insn_len(iss), "ISS", iss);
        FUZZ_CHECK(m.nregs == 1 && m.mode == AM_OFFSET && !m.wback, "ISS %#x: not a single access", iss);
    }
}

/* Where an abort lands: a device of the board (and just past its window), or anywhere. */
static uint32_t abort_ipa(struct fdp *f)
{
    static const uint32_t bases[] = {GUEST_GICD_IPA, GUEST_PL011_IPA, GUEST_TESTDEV_IPA};
    unsigned which = fdp_pick(f, 4);
    return which < 3 ? bases[which] + fdp_u16(f) % 0x1010 : fdp_u32(f);
}

#define WORD(field) (offsetof(struct arm_regs, field) / 4)
#define NWORDS      (sizeof(struct arm_regs) / 4)

/* Where register n (0-15) of a mode lives in struct arm_regs, restated from
 * the ARM ARM's banking (B1.3.2) rather than taken from regs.c. */
static unsigned reg_word(uint32_t mode, unsigned n)
{
    static const struct {
        uint8_t mode, sp, lr;
    } banks[] = {
        {PSR_MODE_FIQ, WORD(sp_fiq), WORD(lr_fiq)}, {PSR_MODE_IRQ, WORD(sp_irq), WORD(lr_irq)},
        {PSR_MODE_SVC, WORD(sp_svc), WORD(lr_svc)}, {PSR_MODE_ABT, WORD(sp_abt), WORD(lr_abt)},
        {PSR_MODE_UND, WORD(sp_und), WORD(lr_und)},
    };
    if (n == 15)
        return WORD(pc);
    if (mode == PSR_MODE_FIQ && n >= 8 && n < 13)
        return WORD(r8_fiq) + n - 8;
    if (n < 13)
        return n;
    for (unsigned i = 0; i < ARRAY_SIZE(banks); i++)
        if (banks[i].mode == mode)
            return n == 13 ? banks[i].sp : banks[i].lr;
    return n == 13 ? WORD(sp_usr) : WORD(lr_usr); /* usr, sys */
}

/* The instruction an emulated exit carried out, decoded again. */
static bool decoded(uint32_t hsr, const struct arm_regs *r, struct mem_insn *m)
{
    if (mmio_decode_isv(hsr, m))
        return true;
    uint32_t at = r->pc - CODE_VA;
    if (r->cpsr & PSR_T) {
        uint16_t hw[2] = {0, 0};
        memcpy(hw, host_code + at, at + 4 <= HOST_CODE_SIZE ? 4 : 2);
        return insn_decode_thumb(hw[0], hw[1], m);
    }
    uint32_t insn;
    memcpy(&insn, host_code + at, 4);
    return insn_decode_arm(insn, m);
}

/* What an exit may change in the register file. A refused access: the
 * abort's entry (PC, CPSR, the Abort mode's LR and SPSR). An access carried
 * out: the PC, stepped past the instruction and no further (no load lands in
 * the PC), the CPSR only where an IT block moves on, and only the registers
 * the instruction names, as the guest's mode banks them. */
static void check_registers(uint32_t hsr, const struct arm_regs *was, const struct arm_regs *now,
                            bool refused, bool emulated)
{
    bool may[NWORDS] = {false};
    const uint32_t *a = (const uint32_t *)was, *b = (const uint32_t *)now;
    struct mem_insn m;
    if (refused) {
        may[WORD(pc)] = may[WORD(cpsr)] = may[WORD(lr_abt)] = may[WORD(spsr_abt)] = true;
    } else if (emulated) {
        FUZZ_CHECK(now->pc == was->pc + 2 || now->pc == was->pc + 4, "an emulated access moved PC %#x -> %#x",
                   was->pc, now->pc);
        FUZZ_CHECK((now->cpsr & ~PSR_IT_MASK) == (was->cpsr & ~PSR_IT_MASK),
                   "an emulated access changed CPSR %#x -> %#x", was->cpsr, now->cpsr);
        FUZZ_CHECK(decoded(hsr, was, &m), "an access was emulated that does not decode (HSR %#x)", hsr);
        uint32_t mode = was->cpsr & PSR_MODE_MASK;
        may[WORD(pc)] = may[WORD(cpsr)] = true;
        for (unsigned i = 0; i < m.nregs && m.load; i++)
            may[reg_word(mode, m.rt[i])] = true;
        if (m.wback)
            may[reg_word(mode, m.rn)] = true;
    } else {
        return;
    }
    for (unsigned w = 0; w < NWORDS; w++)
        FUZZ_CHECK(may[w] || a[w] == b[w], "word %u of the register file changed: %#x -> %#x (HSR %#x, %s)",
                   w, a[w], b[w], hsr, refused ? "refused" : "emulated");
}

/* One trap in both VMs, as the run loop takes it: counted, then handled. */
static void trap(uint32_t hsr, uint32_t hdfar, uint32_t hpfar)
{
    enum exit_action a[2];
    for (int i = 0; i < 2; i++) {
        struct vcpu *v = &vms[i].vcpu;
        struct mmio_emul_stats before = vms[i].arch.mmio_stats;
        struct arm_regs was = v->arch.regs;
        v->arch.hsr = hsr;
        v->arch.hdfar = v->arch.hifar = hdfar;
        v->arch.hpfar = hpfar;
        stats_record_exit(&v->stats, hsr_ec(hsr));
        a[i] = arch_handle_exit(v, hsr_ec(hsr));
        const struct mmio_emul_stats *s = &vms[i].arch.mmio_stats;
        FUZZ_CHECK(guest_mode(v->arch.regs.cpsr), "the guest left in mode %#x (HSR %#x)",
                   v->arch.regs.cpsr & PSR_MODE_MASK, hsr);
        check_registers(hsr, &was, &v->arch.regs, s->refused != before.refused,
                        s->isv != before.isv || s->decoded != before.decoded);
    }
    FUZZ_CHECK(a[0] == a[1], "HSR %#x: handled with the decode cache: %d, without: %d", hsr, a[0], a[1]);
    FUZZ_CHECK(!memcmp(&vms[0].vcpu.arch.regs, &vms[1].vcpu.arch.regs, sizeof(struct arm_regs)),
               "HSR %#x: the registers differ with and without the decode cache", hsr);
}

/* The two VMs' whole state (registers, exit counts, devices) must be the same; but the
 * decode cache's hit and miss counts (which the VM section carries, since a guest can
 * read them) differ by design, and are compared as equal. */
static void compare_vms(void)
{
    static uint8_t a[FUZZ_SNAP_MAX], b[FUZZ_SNAP_MAX];
    struct snap_writer w[2];
    struct decode_cache *c = &vms[1].arch.dcache;
    uint64_t hits = c->hits, misses = c->misses;
    c->hits = vms[0].arch.dcache.hits;
    c->misses = vms[0].arch.dcache.misses;
    snap_writer_init(&w[0], a, sizeof(a));
    snap_writer_init(&w[1], b, sizeof(b));
    FUZZ_CHECK(!vm_snapshot_save(&vms[0], &w[0]) && !vm_snapshot_save(&vms[1], &w[1]), "a VM does not save");
    c->hits = hits;
    c->misses = misses;
    FUZZ_CHECK(w[0].len == w[1].len && !memcmp(a, b, w[0].len),
               "the VMs differ with and without the decode cache");
}

static void set_both(size_t word, uint32_t value)
{
    for (int i = 0; i < 2; i++)
        ((uint32_t *)&vms[i].vcpu.arch.regs)[word] = value;
}

/* Calls the target leaves out: those that end minivmm (power-off, which would
 * be a finding), the test calls that read the host's physical memory or the
 * stage-2 tables, which the host build has not got, and the decode cache's
 * counters, which differ with and without the cache by design. */
static bool left_out(const struct arm_regs *r)
{
    uint32_t fn = r->r[0], arg = r->r[1];
    return fn == PSCI_SYSTEM_OFF || fn == MV_HC_POWEROFF || fn == MV_HC_TEST_TRANSLATE ||
           fn == MV_HC_TEST_READ_PA ||
           (fn == MV_HC_TEST_MMIO_STAT && (arg == MV_MMIO_STAT_HITS || arg == MV_MMIO_STAT_MISSES));
}

/* Input: up to 256 bytes of guest code (at CODE_VA, for the instruction
 * fetches), then a program: set a register or the CPSR (a valid guest mode),
 * set one of the guest's CP15 registers that the path reads, switch the exit
 * trace, take a data abort (PC, syndrome, fault address, IPA), take another
 * trap the guest can cause (hypercalls and PSCI calls included, with their
 * number and arguments in r0-r3), or only decode (an A32 word, two T32
 * halfwords, a syndrome). The VMs have 64 KiB of RAM, for MV_HC_WRITE. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t modes[] = {PSR_MODE_USR, PSR_MODE_FIQ, PSR_MODE_IRQ, PSR_MODE_SVC,
                                    PSR_MODE_ABT, PSR_MODE_UND, PSR_MODE_SYS};
    static const uint8_t cp15[] = {G_SCTLR, G_TTBR0, G_TTBCR, G_VBAR};
    static const uint8_t other_ecs[] = {EC_CP15_32, EC_CP15_64,   EC_CP14_32,  EC_WFI_WFE, EC_IABT_LOW,
                                        EC_UNKNOWN, EC_CP_ACCESS, EC_DABT_LOW, EC_HVC,     EC_SMC};
    struct fdp f = fdp_make(data, size);
    size_t n;
    fuzz_host_reset();
    const uint8_t *code = fdp_bytes(&f, fdp_u8(&f), &n);
    memcpy(host_code, code, n);
    host_code_va = CODE_VA;
    for (int i = 0; i < 2; i++) {
        fuzz_vm_make(&vms[i], FUZZ_ALL_FEATURES);
        vms[i].ram_size = 0x10000;
        vms[i].ram_host = calloc(1, vms[i].ram_size);
        decode_cache_init(&vms[i].arch.dcache, i == 0);
        vms[i].vcpu.arch.regs.pc = CODE_VA;
    }
    for (unsigned ops = 0; !fdp_empty(&f) && ops < 128; ops++) {
        uint8_t op = fdp_u8(&f);
        if (op < 50) { /* a register of the file (not the CPSR: below) */
            size_t word = fdp_pick(&f, sizeof(struct arm_regs) / 4);
            uint32_t value = fdp_u32(&f);
            if (word != offsetof(struct arm_regs, cpsr) / 4)
                set_both(word, value);
        } else if (op < 70) { /* the CPSR: flags, IT, E, T, masks; never Jazelle, never a non-guest mode */
            uint32_t value = fdp_u32(&f) & ~(PSR_J | PSR_MODE_MASK);
            set_both(offsetof(struct arm_regs, cpsr) / 4, value | modes[fdp_pick(&f, sizeof(modes))]);
        } else if (op < 80) {
            unsigned r = cp15[fdp_pick(&f, sizeof(cp15))];
            host_guest_cp15[r] = fdp_u32(&f);
        } else if (op < 84) {
            trace_exits = !trace_exits;
        } else if (op < 200) { /* a data abort at the PC */
            uint32_t off = fdp_u8(&f), ipa = abort_ipa(&f);
            uint32_t hsr = (uint32_t)EC_DABT_LOW << HSR_EC_SHIFT | (fdp_u32(&f) & (HSR_IL | HSR_ISS_MASK));
            uint32_t hdfar = (fdp_u32(&f) & ~0xfffu) | (ipa & 0xfff);
            set_both(offsetof(struct arm_regs, pc) / 4, CODE_VA + (op & 1 ? off : off & ~3u));
            trap(hsr, hdfar, ipa >> 12 << 4);
        } else if (op < 240) {
            uint32_t ec = other_ecs[fdp_pick(&f, sizeof(other_ecs))];
            uint32_t hsr = ec << HSR_EC_SHIFT | (fdp_u32(&f) & (HSR_IL | HSR_ISS_MASK));
            uint32_t far = fdp_u32(&f), hpfar = (fdp_u32(&f) & 0xfffff000u) >> 8;
            if ((ec != EC_HVC && ec != EC_SMC) || !left_out(&vms[0].vcpu.arch.regs))
                trap(hsr, far, hpfar);
        } else {
            decode_only(&f);
        }
        if (fuzz_verbose)
            fprintf(stderr, "op %u: pc %#x cpsr %#x\n", op, vms[0].vcpu.arch.regs.pc,
                    vms[0].vcpu.arch.regs.cpsr);
    }
    if (fuzz_verbose)
        fprintf(stderr, "minivmm's console:\n%s\n", console_buf);
    compare_vms();
    fuzz_snapshot_round_trip(&vms[0]);
    for (int i = 0; i < 2; i++) {
        free(vms[i].ram_host);
        fuzz_vm_free(&vms[i]);
    }
    return 0;
}
