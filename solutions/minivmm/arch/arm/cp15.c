/* Lab 1 reference: emulate the trapped CP15 accesses (CRn=0 through HSTR.T0, ACTLR through HCR.TAC). */
#include <arch/hsr.h>
#include <arch/traps.h>

void cp15_decode(uint32_t hsr, struct cp15_access *a)
{
    uint32_t iss = hsr_iss(hsr);
    a->opc2 = (iss >> 17) & 0x7;
    a->opc1 = (iss >> 14) & 0x7;
    a->crn = (iss >> 10) & 0xf;
    a->rt = (iss >> 5) & 0xf;
    a->crm = (iss >> 1) & 0xf;
    a->read = iss & 1;
}

enum access_kind {
    RO,     /* read-only: a write is undefined */
    RAZ,    /* reserved ID space: reads as zero, a write is undefined */
    WI,     /* reads the view, writes are ignored (ACTLR) */
    RW,     /* the guest's own state (CSSELR) */
    CCSIDR, /* read-only, the entry CSSELR selects */
};

#define VIEW(field) offsetof(struct cp15_view, field)

/* The registers a guest may reach through these traps, and where their value lives. */
static const struct cp15_reg {
    uint8_t opc1, crn, crm, opc2;
    size_t offset;
    enum access_kind kind;
} table[] = {
    {0, 0, 0, 0, VIEW(midr), RO},       {0, 0, 0, 1, VIEW(ctr), RO},
    {0, 0, 0, 2, VIEW(tcmtr), RO},      {0, 0, 0, 3, VIEW(tlbtr), RO},
    {0, 0, 0, 5, VIEW(mpidr), RO},      {0, 0, 0, 6, VIEW(revidr), RO},
    {0, 0, 1, 0, VIEW(id_pfr0), RO},    {0, 0, 1, 1, VIEW(id_pfr1), RO},
    {0, 0, 1, 2, VIEW(id_dfr0), RO},    {0, 0, 1, 3, VIEW(id_afr0), RO},
    {0, 0, 1, 4, VIEW(id_mmfr[0]), RO}, {0, 0, 1, 5, VIEW(id_mmfr[1]), RO},
    {0, 0, 1, 6, VIEW(id_mmfr[2]), RO}, {0, 0, 1, 7, VIEW(id_mmfr[3]), RO},
    {0, 0, 2, 0, VIEW(id_isar[0]), RO}, {0, 0, 2, 1, VIEW(id_isar[1]), RO},
    {0, 0, 2, 2, VIEW(id_isar[2]), RO}, {0, 0, 2, 3, VIEW(id_isar[3]), RO},
    {0, 0, 2, 4, VIEW(id_isar[4]), RO}, {0, 0, 2, 5, VIEW(id_isar[5]), RO},
    {1, 0, 0, 0, VIEW(ccsidr), CCSIDR}, {1, 0, 0, 1, VIEW(clidr), RO},
    {1, 0, 0, 7, VIEW(aidr), RO},       {2, 0, 0, 0, VIEW(csselr), RW},
    {0, 0, 0, 4, VIEW(midr), RO},       {0, 0, 0, 7, VIEW(midr), RO}, /* MIDR aliases */
    {0, 1, 0, 1, VIEW(actlr), WI},
};

/* ARMv7 reserves c0, opc1 0, CRm c3-c7 (and c2 opc2 6-7) for future ID registers: RAZ. */
static const struct cp15_reg reserved_id = {0, 0, 0, 0, 0, RAZ};

static bool is_reserved_id(const struct cp15_access *a)
{
    return a->crn == 0 && a->opc1 == 0 && (a->crm >= 3 || (a->crm == 2 && a->opc2 >= 6));
}

static const struct cp15_reg *lookup(const struct cp15_access *a)
{
    for (unsigned i = 0; i < ARRAY_SIZE(table); i++) {
        const struct cp15_reg *r = &table[i];
        if (r->opc1 == a->opc1 && r->crn == a->crn && r->crm == a->crm && r->opc2 == a->opc2)
            return r;
    }
    return is_reserved_id(a) ? &reserved_id : NULL;
}

static uint32_t *view_reg(struct cp15_view *view, const struct cp15_reg *r)
{
    uint32_t *p = (uint32_t *)((char *)view + r->offset);
    if (r->kind == RAZ)
        return NULL;
    if (r->kind == CCSIDR) /* a CSSELR beyond the array reads as no cache */
        return view->csselr < CCSIDR_COUNT ? &p[view->csselr] : NULL;
    return p;
}

enum exit_action handle_cp15_32(struct vcpu *v, uint32_t hsr)
{
    struct cp15_access a;
    cp15_decode(hsr, &a);
    const struct cp15_reg *r = lookup(&a);
    bool writable = r && (r->kind == WI || r->kind == RW);
    if (!r || a.rt == 15 || (!a.read && !writable)) {
        inject_undef(v); /* what the hardware does for a register that is not there */
        return EXIT_RESUME;
    }
    uint32_t *reg = view_reg(&v->arch.cp15, r);
    uint32_t *rt = arm_reg(&v->arch.regs, a.rt);
    if (a.read)
        *rt = reg ? *reg : 0;
    else if (r->kind == RW)
        *reg = *rt;
    arm_advance_pc(&v->arch.regs, hsr);
    return EXIT_RESUME;
}
