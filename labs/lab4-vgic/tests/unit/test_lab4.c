/* Lab 4 graded unit tests: the guest's GICv2 distributor, delivery through the list registers and
 * the virtual timer's interrupt (minivmm/arch/arm/{vgic_dist,vgic_lr,vtimer}.c); the grader runs
 * one tcase with CK_RUN_CASE=<name>.
 *
 * The expected values come from the ARM Generic Interrupt Controller Architecture Specification,
 * v2.0 (IHI 0048B): the distributor's register map and registers (4.1.2, 4.3), the states of an
 * interrupt and the level/edge models (1.4.2, 3.2.4), GICD_SGIR (4.3.15), GICH_HCR (5.3.2) and the
 * list registers (5.3.11); from the ARM ARM (DDI 0406C) for CNTHCTL (its section "CNTHCTL,
 * Counter-timer Hyp Control register"); from the GIC-400
 * TRM (DDI 0471B) for what GICv2 leaves to the implementation (PIDR2 0x2b, SGIs always enabled);
 * and from the contract in arch/vgic.h and the lab 4 handout: 64 interrupts, 4 list registers, one
 * CPU, 5 priority bits, IIDR 0x43b (implementer Arm only), the reset values, eviction and UIE.
 *
 * The board's GIC is host_stubs.c's: host_gich_lr[] and host_gich_hcr hold what minivmm wrote to
 * the list registers and GICH_HCR, and gich_read_lr reads host_gich_lr, so a test plays the guest
 * (and the virtual CPU interface) by editing host_gich_lr between an entry (vgic_flush_lrs) and
 * the next exit (vgic_sync_lrs); host_gic_enabled[] holds the board distributor's enables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <minivmm/vm.h>
#include <arch/vgic.h>
#include "host_stubs.h"

/* ------------------------------------------------------------ architecture */

/* GICH_LRn (5.3.11): VirtualID 9:0; with HW = 0, EOI 19 and the requesting CPU 12:10 (CPU 0
 * here, so 0); Priority 27:23 (the top 5 bits of the 8-bit priority); State 29:28. */
#define LRV_ID(lr)    ((lr) & 0x3ffu)
#define LRV_EOI       (1u << 19)
#define LRV_PRIO(p)   ((uint32_t)((p) >> 3) << 23)
#define LRV_PRIO_OF(lr) (((lr) >> 23) & 0x1fu)
#define LRV_STATE     (3u << 28)
#define LRV_PENDING   (1u << 28)
#define LRV_ACTIVE    (2u << 28)
/* GICH_HCR (5.3.2): En 0, UIE 1 (underflow: at most one LR valid). */
#define HCR_EN        (1u << 0)
#define HCR_UIE       (1u << 1)

/* What minivmm places for a pending interrupt: edge ones without EOI, level ones with it. */
static uint32_t lr_edge(unsigned id, uint8_t prio) { return id | LRV_PRIO(prio) | LRV_PENDING; }
static uint32_t lr_level(unsigned id, uint8_t prio) { return lr_edge(id, prio) | LRV_EOI; }
static uint32_t lr_as_active(uint32_t lr) { return (lr & ~LRV_STATE) | LRV_ACTIVE; }

/* ------------------------------------------------------------------ fixture */

static struct vgic gic;
static int ctx_token; /* the callback must get &ctx_token back as its ctx */

/* Every call of the eoi callback. With lower_line set, it lowers the interrupt's line, as a
 * device model does once it has been serviced; otherwise the line stays as it was. */
static struct {
    unsigned n;
    unsigned id[64];
    void *ctx[64];
    bool lower_line;
} eoi;

static unsigned timer_eois; /* calls of timer_eoi (the vtimer tests' callback) */

static void record_eoi(void *ctx, unsigned intid)
{
    if (eoi.n < ARRAY_SIZE(eoi.id)) {
        eoi.id[eoi.n] = intid;
        eoi.ctx[eoi.n] = ctx;
    }
    eoi.n++;
    if (eoi.lower_line)
        vgic_set_level(&gic, intid, false);
}

/* A fresh vGIC for every test (each also runs in its own process), as reset_devices makes it:
 * the callback set, vgic_init, the list registers cleared; the board's distributor has every
 * interrupt enabled. */
static void setup(void)
{
    memset(&gic, 0, sizeof(gic));
    gic.eoi = record_eoi;
    gic.ctx = &ctx_token;
    vgic_init(&gic);
    memset(&eoi, 0, sizeof(eoi));
    timer_eois = 0;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        host_gich_lr[i] = 0;
    host_gich_hcr = 0;
    for (unsigned i = 0; i < VGIC_NR_IRQS; i++)
        host_gic_enabled[i] = true;
}

static void teardown(void) {}

/* ------------------------------------------------------ distributor access */

/* A guest read of width bytes: it must succeed. A device may return junk above a narrow
 * access (lab 3's loads drop it), so only the access's bytes are compared. */
static uint32_t rdw(uint32_t off, unsigned width)
{
    uint32_t val = 0xdeadbeefu;
    ck_assert_msg(vgicd_read(&gic, off, width, &val), "a %u-byte read of GICD offset %#x returned false", width,
                  off);
    return width == 4 ? val : val & ((1u << (8 * width)) - 1);
}

static uint32_t rd(uint32_t off) { return rdw(off, 4); }

static void wrw(uint32_t off, unsigned width, uint32_t val)
{
    ck_assert_msg(vgicd_write(&gic, off, width, val), "a %u-byte write of %#x to GICD offset %#x returned false",
                  width, val, off);
}

static void wr(uint32_t off, uint32_t val) { wrw(off, 4, val); }

#define CHECK_REGW(off, width, name, want)                                                                     \
    do {                                                                                                       \
        uint32_t got_ = rdw(off, width);                                                                       \
        ck_assert_msg(got_ == (uint32_t)(want), "%s: a %u-byte read of GICD %#05x gives %#x, want %#x", name,   \
                      (unsigned)(width), (unsigned)(off), got_, (uint32_t)(want));                             \
    } while (0)
#define CHECK_REG(off, name, want) CHECK_REGW(off, 4, name, want)

/* The bit of interrupt id in a one-bit-per-interrupt bank (ISENABLER, ISPENDR...). */
static uint32_t bank_off(uint32_t bank, unsigned id) { return bank + id / 32 * 4; }
static void bank_write(uint32_t bank, unsigned id) { wr(bank_off(bank, id), 1u << (id % 32)); }
static bool bank_bit(uint32_t bank, unsigned id) { return (rd(bank_off(bank, id)) >> (id % 32)) & 1; }
static bool pending(unsigned id) { return bank_bit(GICD_ISPENDR, id); }
static bool active(unsigned id) { return bank_bit(GICD_ISACTIVER, id); }

/* The guest's driver: an interrupt enabled at priority prio (tinykernel's gic_enable). */
static void irq_enable(unsigned id, uint8_t prio)
{
    wrw(GICD_IPRIORITYR + id, 1, prio);
    bank_write(GICD_ISENABLER, id);
}

/* An SPI configured edge-triggered: ICFGR's bit 1 of its 2-bit field. */
static void make_edge(unsigned id)
{
    uint32_t off = GICD_ICFGR + id / 16 * 4;
    wr(off, rd(off) | 2u << (id % 16 * 2));
}

/* An enabled edge-triggered SPI, latched pending by one pulse on its line. */
static void edge_irq_pulse(unsigned id, uint8_t prio)
{
    make_edge(id);
    irq_enable(id, prio);
    vgic_set_level(&gic, id, true);
    vgic_set_level(&gic, id, false);
}

static void send_sgi(unsigned id) { wr(GICD_SGIR, 2u << 24 | id); } /* TargetListFilter 2: to self */

/* "Changes nothing": the whole vGIC, byte for byte. */
static struct vgic saved;
static void save(void) { memcpy(&saved, &gic, sizeof(gic)); }
static void check_unchanged(const char *what)
{
    ck_assert_msg(memcmp(&saved, &gic, sizeof(gic)) == 0, "%s changed the vGIC's state", what);
}

/* ============================================================== dist ====== */

/* What a guest finds after vgic_init, in its registers. */
static void check_reset_state(const char *when)
{
    char what[96];
    snprintf(what, sizeof(what), "%s: GICD_CTLR", when);
    CHECK_REG(GICD_CTLR, what, 0);
    snprintf(what, sizeof(what), "%s: ISENABLER0 (SGIs are always enabled)", when);
    CHECK_REG(GICD_ISENABLER, what, 0x0000ffffu);
    CHECK_REG(GICD_ICENABLER, what, 0x0000ffffu);
    snprintf(what, sizeof(what), "%s: nothing enabled, pending or active", when);
    CHECK_REG(GICD_ISENABLER + 4, what, 0);
    CHECK_REG(GICD_ICENABLER + 4, what, 0);
    for (uint32_t w = 0; w < 8; w += 4) {
        CHECK_REG(GICD_ISPENDR + w, what, 0);
        CHECK_REG(GICD_ICPENDR + w, what, 0);
        CHECK_REG(GICD_ISACTIVER + w, what, 0);
        CHECK_REG(GICD_ICACTIVER + w, what, 0);
    }
    for (uint32_t w = 0; w < 16; w += 4)
        CHECK_REG(GICD_SPENDSGIR + w, what, 0);
    snprintf(what, sizeof(what), "%s: IPRIORITYR (0, as the GIC-400 resets)", when);
    for (uint32_t w = 0; w < VGIC_NR_IRQS; w += 4)
        CHECK_REG(GICD_IPRIORITYR + w, what, 0);
    snprintf(what, sizeof(what), "%s: ITARGETSR (CPU 0 for every interrupt)", when);
    for (uint32_t w = 0; w < VGIC_NR_IRQS; w += 4)
        CHECK_REG(GICD_ITARGETSR + w, what, 0x01010101u);
    snprintf(what, sizeof(what), "%s: ICFGR0 (SGIs: edge, 0b10 each)", when);
    CHECK_REG(GICD_ICFGR, what, 0xaaaaaaaau);
    /* PPIs are level; SPIs start level too: tinykernel never writes ICFGR, and its UART's line is a level */
    snprintf(what, sizeof(what), "%s: ICFGR1-3 (PPIs and SPIs level)", when);
    for (uint32_t w = 4; w < 16; w += 4)
        CHECK_REG(GICD_ICFGR + w, what, 0);
    ck_assert_msg(!vgic_has_pending(&gic), "%s: vgic_has_pending is true", when);
    /* and the fields the registers do not show (the handout lists every reset value) */
    for (unsigned i = 0; i < VGIC_NR_IRQS; i++)
        ck_assert_msg(gic.irq[i].lr == -1 && !gic.irq[i].lr_latched, "%s: irq[%u].lr is %d, lr_latched %d, want "
                      "-1 (in no list register) and false", when, i, gic.irq[i].lr, gic.irq[i].lr_latched);
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        ck_assert_msg(gic.lr[i] == 0, "%s: minivmm's copy of LR%u is %#x, want 0 (reset_devices clears the LRs)",
                      when, i, gic.lr[i]);
    ck_assert_msg(gic.hcr == 0 && gic.injected == 0, "%s: hcr %#x, injected %llu, want 0 and 0", when, gic.hcr,
                  (unsigned long long)gic.injected);
}

START_TEST(test_dist_init)
{
    check_reset_state("after vgic_init");
    ck_assert_msg(gic.eoi == record_eoi && gic.ctx == &ctx_token,
                  "vgic_init lost the eoi callback or its ctx (reset_devices sets them first)");
}
END_TEST

static void other_eoi(void *ctx, unsigned intid)
{
    (void)ctx;
    (void)intid;
    ck_abort_msg("the eoi callback was called by vgic_init");
}

START_TEST(test_dist_init_again)
{
    /* A guest reset calls vgic_init on a vGIC the guest has used: all of it goes */
    static int other_ctx;
    wr(GICD_CTLR, 1);
    wr(GICD_ISENABLER + 4, 0xffffffffu);
    wr(GICD_ISENABLER, 0xffffffffu);
    wr(GICD_ISPENDR, 0xffffffffu);
    wr(GICD_ISPENDR + 4, 0xffffffffu);
    wr(GICD_ISACTIVER + 4, 0xff00ff00u);
    for (uint32_t w = 0; w < VGIC_NR_IRQS; w += 4)
        wr(GICD_IPRIORITYR + w, 0xffffffffu);
    wr(GICD_ITARGETSR + 32, 0);
    wr(GICD_ICFGR + 8, 0xffffffffu);
    wr(GICD_ICFGR + 12, 0xffffffffu);
    send_sgi(4);
    vgic_set_level(&gic, IRQ_VTIMER, true);
    vgic_set_level(&gic, 40, true);
    for (unsigned i = 0; i < VGIC_NR_LRS; i++) { /* and some sat in list registers */
        gic.irq[48 + i].lr = (int8_t)i;
        gic.irq[48 + i].lr_latched = true;
        gic.lr[i] = lr_level(48 + i, 0xf8);
    }
    gic.hcr = HCR_EN | HCR_UIE;
    gic.injected = 12;
    gic.eoi = other_eoi;
    gic.ctx = &other_ctx;
    vgic_init(&gic);
    ck_assert_msg(gic.eoi == other_eoi && gic.ctx == &other_ctx, "vgic_init lost the eoi callback or its ctx");
    check_reset_state("vgic_init of a used vGIC");
}
END_TEST

START_TEST(test_dist_ids)
{
    CHECK_REG(GICD_TYPER, "GICD_TYPER (ITLinesNumber 1: 64 interrupts; CPUNumber 0: one CPU)", 1);
    CHECK_REG(GICD_IIDR, "GICD_IIDR", 0x43b);
    CHECK_REG(GICD_PIDR2, "GICD_PIDR2 (ArchRev 2)", 0x2b);
    save();
    wr(GICD_TYPER, 0xffffffffu);
    wr(GICD_IIDR, 0);
    wr(GICD_PIDR2, 0);
    check_unchanged("writes to TYPER, IIDR and PIDR2");
    CHECK_REG(GICD_TYPER, "GICD_TYPER after a write", 1);
    CHECK_REG(GICD_IIDR, "GICD_IIDR after a write", 0x43b);
    CHECK_REG(GICD_PIDR2, "GICD_PIDR2 after a write", 0x2b);
}
END_TEST

START_TEST(test_dist_ctlr)
{
    /* one CPU, no Security Extensions: only bit 0 (Enable) exists */
    wr(GICD_CTLR, 1);
    CHECK_REG(GICD_CTLR, "GICD_CTLR after writing 1", 1);
    wr(GICD_CTLR, 0);
    CHECK_REG(GICD_CTLR, "GICD_CTLR after writing 0", 0);
    wr(GICD_CTLR, 0xfffffffeu);
    CHECK_REG(GICD_CTLR, "GICD_CTLR after writing ~1", 0);
    wr(GICD_CTLR, 0xffffffffu);
    CHECK_REG(GICD_CTLR, "GICD_CTLR after writing ~0", 1);
    CHECK_REGW(GICD_CTLR, 1, "GICD_CTLR's first byte", 1);
}
END_TEST

START_TEST(test_dist_enable)
{
    wr(GICD_ISENABLER, 0x08020000u); /* PPIs 17 and 27 */
    CHECK_REG(GICD_ISENABLER, "ISENABLER0 after enabling PPIs 17 and 27", 0x0802ffffu);
    CHECK_REG(GICD_ICENABLER, "ICENABLER0 (reads as ISENABLER0)", 0x0802ffffu);
    wr(GICD_ICENABLER, 0xffffffffu);
    CHECK_REG(GICD_ISENABLER, "ISENABLER0 after ICENABLER0 = ~0 (SGIs cannot be disabled)", 0x0000ffffu);
    wr(GICD_ISENABLER + 4, 0x80000003u);
    CHECK_REG(GICD_ISENABLER + 4, "ISENABLER1 after enabling SPIs 32, 33, 63", 0x80000003u);
    wr(GICD_ISENABLER + 4, 0x00000010u);
    CHECK_REG(GICD_ISENABLER + 4, "ISENABLER1 after enabling SPI 36 too (writing 0 changes nothing)",
              0x80000013u);
    wr(GICD_ICENABLER + 4, 0x00000002u);
    CHECK_REG(GICD_ISENABLER + 4, "ISENABLER1 after disabling SPI 33", 0x80000011u);
    CHECK_REG(GICD_ICENABLER + 4, "ICENABLER1 (reads as ISENABLER1)", 0x80000011u);
    wr(GICD_ISENABLER + 4, 0);
    wr(GICD_ICENABLER + 4, 0);
    CHECK_REG(GICD_ISENABLER + 4, "ISENABLER1 after writing zeros to both", 0x80000011u);
}
END_TEST

START_TEST(test_dist_pending)
{
    wr(GICD_ISPENDR, 0xffffffffu);
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 after ISPENDR0 = ~0 (SGI bits are WI: GICD_SPENDSGIR is for them)",
              0xffff0000u);
    CHECK_REG(GICD_ICPENDR, "ICPENDR0 (reads as ISPENDR0)", 0xffff0000u);
    wr(GICD_ICPENDR, 0x00ff0000u);
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 after clearing PPIs 16-23", 0xff000000u);
    wr(GICD_ISPENDR + 4, 0x12345678u);
    CHECK_REG(GICD_ISPENDR + 4, "ISPENDR1 after setting 0x12345678", 0x12345678u);
    wr(GICD_ICPENDR + 4, 0x02000008u);
    CHECK_REG(GICD_ISPENDR + 4, "ISPENDR1 after clearing SPIs 35 and 57", 0x10345670u);
    wr(GICD_ISPENDR + 4, 0x00000001u);
    CHECK_REG(GICD_ICPENDR + 4, "ICPENDR1 after setting SPI 32", 0x10345671u);
    CHECK_REG(GICD_ISENABLER + 4, "pending does not enable", 0);
}
END_TEST

START_TEST(test_dist_active)
{
    wr(GICD_ISACTIVER, 0x00010004u); /* SGI 2, PPI 16 */
    wr(GICD_ISACTIVER + 4, 0x80000001u);
    CHECK_REG(GICD_ISACTIVER, "ISACTIVER0 after setting SGI 2 and PPI 16", 0x00010004u);
    CHECK_REG(GICD_ICACTIVER + 4, "ICACTIVER1 (reads as ISACTIVER1)", 0x80000001u);
    wr(GICD_ICACTIVER, 0x00000004u);
    wr(GICD_ICACTIVER + 4, 0x80000000u);
    CHECK_REG(GICD_ISACTIVER, "ISACTIVER0 after clearing SGI 2", 0x00010000u);
    CHECK_REG(GICD_ISACTIVER + 4, "ISACTIVER1 after clearing SPI 63", 0x00000001u);
    CHECK_REG(GICD_ISPENDR + 4, "active is not pending", 0);
}
END_TEST

START_TEST(test_dist_priority)
{
    /* 5 priority bits (VGIC_PRIO_MASK): the low 3 bits of each byte read as zero */
    wr(GICD_IPRIORITYR + 32, 0x12345678u);
    CHECK_REG(GICD_IPRIORITYR + 32, "IPRIORITYR8 after 0x12345678", 0x10305078u);
    CHECK_REGW(GICD_IPRIORITYR + 32, 1, "the priority of SPI 32", 0x78);
    CHECK_REGW(GICD_IPRIORITYR + 33, 1, "the priority of SPI 33", 0x50);
    CHECK_REGW(GICD_IPRIORITYR + 34, 1, "the priority of SPI 34", 0x30);
    CHECK_REGW(GICD_IPRIORITYR + 35, 1, "the priority of SPI 35", 0x10);
    wrw(GICD_IPRIORITYR + 35, 1, 0xff);
    CHECK_REG(GICD_IPRIORITYR + 32, "IPRIORITYR8 after a byte write of 0xff to SPI 35", 0xf8305078u);
    CHECK_REG(GICD_IPRIORITYR + 28, "IPRIORITYR7 (the word before)", 0);
    CHECK_REG(GICD_IPRIORITYR + 36, "IPRIORITYR9 (the word after)", 0);

    /* every ID has its own byte, SGIs included; word and byte writes mix */
    for (unsigned id = 0; id < VGIC_NR_IRQS; id++)
        wrw(GICD_IPRIORITYR + id, 1, (id * 37 + 5) & 0xff);
    wr(GICD_IPRIORITYR + 60, 0x0f1f2f3fu); /* IDs 60-63 */
    for (unsigned id = 0; id < VGIC_NR_IRQS; id++) {
        uint32_t want = id < 60 ? ((id * 37 + 5) & 0xf8) : (0x3fu - (id - 60) * 0x10) & 0xf8;
        uint32_t word = rd(GICD_IPRIORITYR + (id & ~3u)) >> (8 * (id % 4)) & 0xff;
        ck_assert_msg(word == want, "the priority of ID %u reads %#x in its word, want %#x", id, word, want);
        CHECK_REGW(GICD_IPRIORITYR + id, 1, "a priority byte", want);
    }
}
END_TEST

START_TEST(test_dist_targets)
{
    /* SGIs and PPIs: CPU 0, read-only */
    for (uint32_t w = 0; w < 32; w += 4) {
        wr(GICD_ITARGETSR + w, 0);
        wr(GICD_ITARGETSR + w, 0xfefefefeu);
        wrw(GICD_ITARGETSR + w + 3, 1, 0x00);
        CHECK_REG(GICD_ITARGETSR + w, "ITARGETSR of SGIs/PPIs after writes", 0x01010101u);
    }
    CHECK_REGW(GICD_ITARGETSR + 27, 1, "the target of PPI 27", 0x01);
    /* SPIs: one CPU, so bit 0 only */
    wr(GICD_ITARGETSR + 32, 0xffffffffu);
    CHECK_REG(GICD_ITARGETSR + 32, "ITARGETSR8 after ~0", 0x01010101u);
    wr(GICD_ITARGETSR + 32, 0x00ff0102u);
    CHECK_REG(GICD_ITARGETSR + 32, "ITARGETSR8 after 0x00ff0102 (CPU 0's bit of each byte)", 0x00010100u);
    wrw(GICD_ITARGETSR + 35, 1, 0x03);
    CHECK_REG(GICD_ITARGETSR + 32, "ITARGETSR8 after a byte write of 3 to SPI 35", 0x01010100u);
    CHECK_REGW(GICD_ITARGETSR + 34, 1, "the target of SPI 34", 0x01);
    CHECK_REGW(GICD_ITARGETSR + 32, 1, "the target of SPI 32", 0x00);
    wrw(GICD_ITARGETSR + 63, 1, 0xfe);
    CHECK_REGW(GICD_ITARGETSR + 63, 1, "the target of SPI 63 after 0xfe", 0x00);
    wrw(GICD_ITARGETSR + 63, 1, 0x01);
    CHECK_REGW(GICD_ITARGETSR + 63, 1, "the target of SPI 63 after 0x01", 0x01);
}
END_TEST

START_TEST(test_dist_icfgr)
{
    wr(GICD_ICFGR, 0);
    wr(GICD_ICFGR, 0x55555555u);
    CHECK_REG(GICD_ICFGR, "ICFGR0 after writes (SGIs are edge, read-only)", 0xaaaaaaaau);
    wr(GICD_ICFGR + 4, 0xffffffffu);
    CHECK_REG(GICD_ICFGR + 4, "ICFGR1 after ~0 (PPIs are level, read-only)", 0);
    wr(GICD_ICFGR + 8, 0xffffffffu);
    CHECK_REG(GICD_ICFGR + 8, "ICFGR2 after ~0 (bit 1 of each field; bit 0 reads 0)", 0xaaaaaaaau);
    wr(GICD_ICFGR + 8, 0x55555555u);
    CHECK_REG(GICD_ICFGR + 8, "ICFGR2 after 0x55555555", 0);
    wr(GICD_ICFGR + 8, 0x00000008u);
    CHECK_REG(GICD_ICFGR + 8, "ICFGR2 after making SPI 33 edge", 0x00000008u);
    wr(GICD_ICFGR + 12, 0x80000002u);
    CHECK_REG(GICD_ICFGR + 12, "ICFGR3 after making SPIs 48 and 63 edge", 0x80000002u);
    CHECK_REG(GICD_ICFGR + 8, "ICFGR2 unchanged by ICFGR3", 0x00000008u);
}
END_TEST

START_TEST(test_dist_sgir)
{
    wr(GICD_SGIR, 2u << 24 | 5);                 /* filter 2: to the requesting CPU */
    CHECK_REG(GICD_SPENDSGIR + 4, "SPENDSGIR1 after SGIR filter 2, ID 5 (SGI 5 from CPU 0)", 0x00000100u);
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 after SGIR filter 2, ID 5", 1u << 5);
    wr(GICD_SGIR, 0u << 24 | 0x01u << 16 | 3);   /* filter 0, CPU list {0} */
    wr(GICD_SGIR, 0u << 24 | 0x03u << 16 | 9);   /* filter 0, CPU list {0, 1}: CPU 0 is in it */
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 after SGIs 3 and 9 to lists with CPU 0", 1u << 5 | 1u << 3 | 1u << 9);
    wr(GICD_SGIR, 0u << 24 | 0x02u << 16 | 7);   /* list {1}: no such CPU */
    wr(GICD_SGIR, 0u << 24 | 0x00u << 16 | 8);   /* empty list */
    wr(GICD_SGIR, 1u << 24 | 0xffu << 16 | 11);  /* filter 1: every CPU but this one: none */
    wr(GICD_SGIR, 3u << 24 | 0xffu << 16 | 12);  /* filter 3: reserved */
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 after SGIs to nobody", 1u << 5 | 1u << 3 | 1u << 9);
    wr(GICD_SGIR, 2u << 24 | 1u << 15 | 14);     /* NSATT (bit 15) does not change the ID */
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 after SGIR filter 2, ID 14, NSATT", 1u << 5 | 1u << 3 | 1u << 9 | 1u << 14);
    CHECK_REG(GICD_SGIR, "GICD_SGIR (write-only)", 0);
}
END_TEST

START_TEST(test_dist_sgi_pending_regs)
{
    /* SPENDSGIRn / CPENDSGIRn: a byte per SGI, a bit per requesting CPU: only CPU 0's (bit 0) */
    wr(GICD_SPENDSGIR, 0x01010001u);             /* SGIs 0, 2, 3 */
    wrw(GICD_SPENDSGIR + 15, 1, 0x01);           /* SGI 15 */
    wrw(GICD_SPENDSGIR + 5, 1, 0xfe);            /* CPUs 1-7: none of them exists */
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 after setting SGIs 0, 2, 3 and 15", 0x0000800du);
    CHECK_REG(GICD_SPENDSGIR, "SPENDSGIR0", 0x01010001u);
    CHECK_REG(GICD_CPENDSGIR, "CPENDSGIR0 (reads as SPENDSGIR0)", 0x01010001u);
    CHECK_REG(GICD_SPENDSGIR + 4, "SPENDSGIR1", 0);
    CHECK_REG(GICD_SPENDSGIR + 12, "SPENDSGIR3", 0x01000000u);
    CHECK_REGW(GICD_SPENDSGIR + 2, 1, "the byte of SGI 2", 0x01);
    CHECK_REGW(GICD_CPENDSGIR + 15, 1, "the byte of SGI 15 in CPENDSGIR3", 0x01);
    wrw(GICD_CPENDSGIR + 2, 1, 0x01);
    wr(GICD_CPENDSGIR, 0x00000001u);
    wr(GICD_CPENDSGIR + 12, 0x01000000u);
    wrw(GICD_CPENDSGIR + 3, 1, 0xfe);            /* not CPU 0's bit: SGI 3 stays */
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 after clearing SGIs 0, 2 and 15", 0x00000008u);
    CHECK_REG(GICD_SPENDSGIR, "SPENDSGIR0 after clearing SGIs 0 and 2", 0x01000000u);
}
END_TEST

/* Everything set that the guest can set. */
static void fill_everything(void)
{
    wr(GICD_CTLR, 1);
    for (uint32_t w = 0; w < 8; w += 4) {
        wr(GICD_ISENABLER + w, 0xffffffffu);
        wr(GICD_ISPENDR + w, 0xffffffffu);
        wr(GICD_ISACTIVER + w, 0xffffffffu);
    }
    for (uint32_t w = 0; w < VGIC_NR_IRQS; w += 4)
        wr(GICD_IPRIORITYR + w, 0xffffffffu);
    wr(GICD_ICFGR + 8, 0xffffffffu);
    wr(GICD_ICFGR + 12, 0xffffffffu);
    for (uint32_t w = 0; w < 16; w += 4)
        wr(GICD_SPENDSGIR + w, 0x01010101u);
    for (unsigned id = 16; id < VGIC_NR_IRQS; id++)
        vgic_set_level(&gic, id, true);
}

START_TEST(test_dist_reserved)
{
    /* reserved offsets (4.1.2) read as zero and ignore writes */
    static const uint32_t reserved[] = {0x00c, 0x010, 0x01c, 0x040, 0x07c, 0xf04, 0xf0c, 0xf30, 0xf40, 0xfcc};
    fill_everything();
    save();
    for (unsigned i = 0; i < ARRAY_SIZE(reserved); i++) {
        CHECK_REG(reserved[i], "a reserved offset", 0);
        CHECK_REGW(reserved[i] + 1, 1, "a byte of a reserved offset", 0);
        wr(reserved[i], 0xffffffffu);
        wr(reserved[i], 0);
        wrw(reserved[i] + 2, 2, 0xffff);
    }
    check_unchanged("writes to reserved offsets");
}
END_TEST

START_TEST(test_dist_high_ids)
{
    /* the registers of interrupt IDs 64 and up exist in the map but not here: RAZ/WI */
    static const uint32_t high[] = {0x108, 0x17c, 0x188, 0x1fc, 0x208, 0x27c, 0x288, 0x2fc, 0x308,
                                    0x37c, 0x388, 0x3fc, 0x440, 0x444, 0x5fc, 0x7f8, 0x840, 0x844,
                                    0xbf8, 0xc10, 0xc14, 0xcfc};
    fill_everything();
    save();
    for (unsigned i = 0; i < ARRAY_SIZE(high); i++) {
        CHECK_REG(high[i], "a register of IDs 64 and up", 0);
        CHECK_REGW(high[i] + 1, 1, "a byte of a register of IDs 64 and up", 0);
        wr(high[i], 0xffffffffu);
        wr(high[i], 0);
        wrw(high[i], 1, 0xff);
        wrw(high[i] + 3, 1, 0xff);
    }
    check_unchanged("writes to the registers of IDs 64 and up");
}
END_TEST

START_TEST(test_dist_narrow_writes)
{
    /* Word-only registers (4.1.2, table 4-1) ignore byte and halfword writes */
    wr(GICD_ISENABLER + 4, 0x0000ffffu);
    wr(GICD_ISPENDR + 4, 0x0000ffffu);
    wr(GICD_ISACTIVER + 4, 0x0000ffffu);
    wr(GICD_ICFGR + 8, 0x0000aaaau);
    save();
    static const uint32_t word_regs[] = {GICD_CTLR,     GICD_ISENABLER + 4, GICD_ICENABLER + 4,
                                         GICD_ISPENDR + 4, GICD_ICPENDR + 4, GICD_ISACTIVER + 4,
                                         GICD_ICACTIVER + 4, GICD_ICFGR + 8};
    for (unsigned i = 0; i < ARRAY_SIZE(word_regs); i++)
        for (uint32_t b = 0; b < 4; b++) {
            wrw(word_regs[i] + b, 1, b & 1 ? 0x55 : 0xff);
            if (!(b & 1))
                wrw(word_regs[i] + b, 2, b ? 0xaaaa : 0x5555);
        }
    wrw(GICD_SGIR, 1, 0x05);
    wrw(GICD_SGIR + 2, 2, 0x0200); /* "filter 2" in its halfword */
    wrw(GICD_SGIR + 3, 1, 0x02);
    check_unchanged("byte and halfword writes to word-only registers");
    CHECK_REG(GICD_CTLR, "GICD_CTLR after narrow writes", 0);
}
END_TEST

START_TEST(test_dist_level)
{
    /* a level-sensitive interrupt is pending while its line is high (3.2.4) */
    vgic_set_level(&gic, 40, true);
    ck_assert_msg(pending(40), "SPI 40 (level), line high: not pending");
    vgic_set_level(&gic, 40, true);
    vgic_set_level(&gic, 40, false);
    ck_assert_msg(!pending(40), "SPI 40 (level), line back low: still pending");
    vgic_set_level(&gic, IRQ_VTIMER, true);
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 with PPI 27's line high", 1u << IRQ_VTIMER);
    vgic_set_level(&gic, IRQ_VTIMER, false);
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 with PPI 27's line low", 0);

    /* ICPENDR does not clear a line that is still high */
    vgic_set_level(&gic, 40, true);
    bank_write(GICD_ICPENDR, 40);
    ck_assert_msg(pending(40), "SPI 40 (level): ICPENDR cleared a line that is still high");
    vgic_set_level(&gic, 40, false);
    ck_assert_msg(!pending(40), "SPI 40 (level): pending after ICPENDR and the line low");

    /* ISPENDR latches a level interrupt pending, whatever its line, until ICPENDR */
    bank_write(GICD_ISPENDR, 40);
    vgic_set_level(&gic, 40, true);
    vgic_set_level(&gic, 40, false);
    ck_assert_msg(pending(40), "SPI 40 (level), set by ISPENDR: the line's fall cleared it");
    bank_write(GICD_ICPENDR, 40);
    ck_assert_msg(!pending(40), "SPI 40 (level), set by ISPENDR: ICPENDR did not clear it");
}
END_TEST

START_TEST(test_dist_edge)
{
    /* an SPI configured edge latches a rising edge of its line, and only that */
    wr(GICD_ICFGR + 8, 2u << 18); /* SPI 41 */
    vgic_set_level(&gic, 41, true);
    ck_assert_msg(pending(41), "SPI 41 (edge): not pending after a rising edge");
    vgic_set_level(&gic, 41, false);
    ck_assert_msg(pending(41), "SPI 41 (edge): the line's fall cleared the latched edge");
    bank_write(GICD_ICPENDR, 41);
    ck_assert_msg(!pending(41), "SPI 41 (edge): pending after ICPENDR");
    vgic_set_level(&gic, 41, true);
    ck_assert_msg(pending(41), "SPI 41 (edge): not pending after a second rising edge");
    bank_write(GICD_ICPENDR, 41);
    vgic_set_level(&gic, 41, true);
    ck_assert_msg(!pending(41), "SPI 41 (edge): a line that stays high latched a second edge");
    vgic_set_level(&gic, 41, false);
    ck_assert_msg(!pending(41), "SPI 41 (edge): a falling edge latched it");
    vgic_set_level(&gic, 41, true);
    ck_assert_msg(pending(41), "SPI 41 (edge): a third rising edge did not latch");
    CHECK_REG(GICD_ISPENDR + 4, "ISPENDR1 (only SPI 41)", 1u << 9);
}
END_TEST

START_TEST(test_dist_set_level_ignored)
{
    /* SGIs have no line: only SGIR and SPENDSGIR make them pending */
    wr(GICD_CTLR, 1);
    for (unsigned id = 0; id < 16; id++) {
        vgic_set_level(&gic, id, true);
        vgic_set_level(&gic, id, false);
        vgic_set_level(&gic, id, true);
    }
    CHECK_REG(GICD_ISPENDR, "ISPENDR0 after driving the SGIs' \"lines\"", 0);
    CHECK_REG(GICD_SPENDSGIR, "SPENDSGIR0 after driving the SGIs' \"lines\"", 0);
    ck_assert_msg(!vgic_has_pending(&gic), "vgic_has_pending after driving the SGIs' \"lines\"");
    /* beyond the 64 interrupts: nothing */
    save();
    vgic_set_level(&gic, 64, true);
    vgic_set_level(&gic, 95, true);
    vgic_set_level(&gic, 1023, true);
    check_unchanged("vgic_set_level of IDs 64, 95 and 1023");
}
END_TEST

START_TEST(test_dist_has_pending)
{
    irq_enable(40, 0x80);
    bank_write(GICD_ISPENDR, 40);
    ck_assert_msg(!vgic_has_pending(&gic), "true with GICD_CTLR.Enable clear");
    wr(GICD_CTLR, 1);
    ck_assert_msg(vgic_has_pending(&gic), "false with SPI 40 pending and enabled");
    bank_write(GICD_ICENABLER, 40);
    ck_assert_msg(!vgic_has_pending(&gic), "true with SPI 40 pending but disabled");
    bank_write(GICD_ISENABLER, 40);
    ck_assert_msg(vgic_has_pending(&gic), "false with SPI 40 enabled again");
    bank_write(GICD_ICPENDR, 40);
    ck_assert_msg(!vgic_has_pending(&gic), "true with nothing pending");
    send_sgi(6);
    ck_assert_msg(vgic_has_pending(&gic), "false with SGI 6 pending (SGIs are always enabled)");
    wr(GICD_CPENDSGIR + 4, 0x00010000u);
    ck_assert_msg(!vgic_has_pending(&gic), "true after CPENDSGIR cleared SGI 6");
    irq_enable(IRQ_VTIMER, 0);
    vgic_set_level(&gic, IRQ_VTIMER, true);
    ck_assert_msg(vgic_has_pending(&gic), "false with PPI 27 enabled and its line high");
    vgic_set_level(&gic, IRQ_VTIMER, false);
    ck_assert_msg(!vgic_has_pending(&gic), "true with PPI 27's line low again");
    vgic_set_level(&gic, 41, true);
    ck_assert_msg(!vgic_has_pending(&gic), "true with disabled SPI 41's line high");
    bank_write(GICD_ISACTIVER, 40);
    ck_assert_msg(!vgic_has_pending(&gic), "true with SPI 40 active (and not pending)");
    vgic_set_level(&gic, IRQ_VTIMER, true);
    wr(GICD_CTLR, 0);
    ck_assert_msg(!vgic_has_pending(&gic), "true with PPI 27 pending and the distributor off");
}
END_TEST

START_TEST(test_dist_two_vgics)
{
    /* all state lives in struct vgic (lab 7 saves a VM by saving it): two do not share anything */
    static struct vgic other;
    memset(&other, 0, sizeof(other));
    vgic_init(&other);
    save();
    uint32_t val = 0;
    ck_assert(vgicd_write(&other, GICD_CTLR, 4, 1));
    ck_assert(vgicd_write(&other, GICD_ISENABLER + 4, 4, 1u << 8));
    ck_assert(vgicd_write(&other, GICD_IPRIORITYR + 40, 1, 0x60));
    ck_assert(vgicd_write(&other, GICD_ICFGR + 8, 4, 2u << 18));
    ck_assert(vgicd_write(&other, GICD_SGIR, 4, 2u << 24 | 7));
    ck_assert(vgicd_write(&other, GICD_ISACTIVER + 4, 4, 1u << 10));
    vgic_set_level(&other, 40, true);
    vgic_set_level(&other, 41, true);
    check_unchanged("the other vGIC's writes and lines");
    CHECK_REG(GICD_CTLR, "this vGIC's CTLR", 0);
    CHECK_REG(GICD_ISPENDR, "this vGIC's ISPENDR0", 0);
    CHECK_REG(GICD_ISPENDR + 4, "this vGIC's ISPENDR1", 0);
    CHECK_REG(GICD_ICFGR + 8, "this vGIC's ICFGR2", 0);
    ck_assert(!vgic_has_pending(&gic));
    ck_assert(vgicd_read(&other, GICD_ISPENDR + 4, 4, &val));
    ck_assert_msg(val == (1u << 8 | 1u << 9), "the other vGIC's ISPENDR1 is %#x, want SPIs 40 and 41", val);
    ck_assert(vgicd_read(&other, GICD_SPENDSGIR + 4, 4, &val));
    ck_assert_msg(val == 0x01000000u, "the other vGIC's SPENDSGIR1 is %#x, want SGI 7", val);
    ck_assert(vgicd_read(&other, GICD_IPRIORITYR + 40, 1, &val));
    ck_assert_uint_eq(val & 0xff, 0x60);
    ck_assert(vgic_has_pending(&other));
    /* and this one's writes leave the other alone */
    struct vgic copy = other;
    wr(GICD_CTLR, 1);
    wr(GICD_ICENABLER + 4, 0xffffffffu);
    wr(GICD_ICPENDR + 4, 0xffffffffu);
    wr(GICD_ICACTIVER + 4, 0xffffffffu);
    vgic_set_level(&gic, 40, false);
    ck_assert_msg(memcmp(&copy, &other, sizeof(other)) == 0, "this vGIC's writes changed the other one");
}
END_TEST

START_TEST(test_dist_on_the_bus)
{
    /* minivmm puts the distributor on the guest's bus (lab 3) */
    static struct mmio_bus bus;
    static const struct mmio_ops ops = {"gic", "arm,cortex-a15-gic", vgicd_read, vgicd_write, 0};
    memset(&bus, 0, sizeof(bus));
    ck_assert_int_eq(mmio_register(&bus, GUEST_GICD_IPA, GICD_SIZE, &ops, &gic), 0);
    uint32_t val = 0;
    ck_assert(mmio_bus_read(&bus, GUEST_GICD_IPA + GICD_TYPER, 4, &val));
    ck_assert_uint_eq(val, 1);
    ck_assert(mmio_bus_write(&bus, GUEST_GICD_IPA + GICD_IPRIORITYR + 33, 1, 0x9f));
    ck_assert(mmio_bus_read(&bus, GUEST_GICD_IPA + GICD_IPRIORITYR + 32, 4, &val));
    ck_assert_uint_eq(val, 0x9800u);
    ck_assert(mmio_bus_write(&bus, GUEST_GICD_IPA + GICD_SGIR, 4, 2u << 24 | 1));
    ck_assert(mmio_bus_read(&bus, GUEST_GICD_IPA + GICD_ISPENDR, 4, &val));
    ck_assert_uint_eq(val, 2);
}
END_TEST

/* ================================================================ lr ====== */

/* The list register holding intid (pending and/or active), or -1; never two of them. */
static int lr_of(unsigned id)
{
    int found = -1;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        if ((host_gich_lr[i] & LRV_STATE) && LRV_ID(host_gich_lr[i]) == id) {
            ck_assert_msg(found < 0, "interrupt %u is in LR%d and LR%u", id, found, i);
            found = (int)i;
        }
    return found;
}

static unsigned lrs_valid(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        n += (host_gich_lr[i] & LRV_STATE) != 0;
    return n;
}

/* The valid list registers hold exactly these words, in whichever LRs; minivmm's copy of each
 * LR (struct vgic's lr[]) is what it wrote or read last. */
static void check_lrs(const char *what, const uint32_t *want, unsigned n)
{
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        ck_assert_msg(gic.lr[i] == host_gich_lr[i], "%s: LR%u is %#010x, but minivmm's copy says %#010x", what, i,
                      host_gich_lr[i], gic.lr[i]);
    for (unsigned k = 0; k < n; k++) {
        unsigned id = LRV_ID(want[k]);
        int i = lr_of(id);
        ck_assert_msg(i >= 0, "%s: interrupt %u is in no list register (want %#010x)", what, id, want[k]);
        ck_assert_msg(host_gich_lr[i] == want[k], "%s: LR%d, holding interrupt %u, is %#010x, want %#010x", what,
                      i, id, host_gich_lr[i], want[k]);
    }
    ck_assert_msg(lrs_valid() == n, "%s: %u list registers hold an interrupt, want %u", what, lrs_valid(), n);
}

#define CHECK_LRS(what, ...)                                                                                   \
    do {                                                                                                       \
        const uint32_t want_[] = {__VA_ARGS__};                                                                \
        check_lrs(what, want_, ARRAY_SIZE(want_));                                                             \
    } while (0)
#define CHECK_NO_LRS(what) check_lrs(what, NULL, 0)

static void check_hcr(const char *what, uint32_t want)
{
    ck_assert_msg(host_gich_hcr == want, "%s: GICH_HCR is %#x, want %#x (%s)", what, host_gich_hcr, want,
                  want & HCR_UIE ? "EN | UIE: more are waiting" : "EN alone: nothing else waits");
}

static void check_injected(const char *what, uint64_t want)
{
    ck_assert_msg(gic.injected == want, "%s: injected is %llu, want %llu", what, (unsigned long long)gic.injected,
                  (unsigned long long)want);
}

/* The guest acknowledges intid (GICV_IAR): its LR goes from pending to active. */
static void guest_ack(unsigned id)
{
    int i = lr_of(id);
    ck_assert_msg(i >= 0 && (host_gich_lr[i] & LRV_STATE) == LRV_PENDING,
                  "the guest cannot acknowledge interrupt %u: it is in no LR as pending", id);
    host_gich_lr[i] = lr_as_active(host_gich_lr[i]);
}

/* The guest ends it (GICV_EOIR, which also deactivates it): the LR's state becomes invalid;
 * its other fields stay, as on the hardware. */
static void guest_eoi(unsigned id)
{
    int i = lr_of(id);
    ck_assert_msg(i >= 0, "the guest cannot end interrupt %u: it is in no list register", id);
    host_gich_lr[i] &= ~LRV_STATE;
}

/* An exit (minivmm reads the list registers back) and the next entry (it refills them). */
static void exit_and_enter(void)
{
    vgic_sync_lrs(&gic);
    vgic_flush_lrs(&gic);
}

/* The guest takes its most urgent pending interrupt (the lowest priority value; between equal
 * ones, the lowest ID) and completes it: its ID, or -1 if nothing is pending. */
static int guest_take(void)
{
    int best = -1;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++) {
        uint32_t lr = host_gich_lr[i];
        if ((lr & LRV_STATE) != LRV_PENDING)
            continue;
        if (best < 0 || LRV_PRIO_OF(lr) < LRV_PRIO_OF(host_gich_lr[best]) ||
            (LRV_PRIO_OF(lr) == LRV_PRIO_OF(host_gich_lr[best]) && LRV_ID(lr) < LRV_ID(host_gich_lr[best])))
            best = (int)i;
    }
    if (best < 0)
        return -1;
    unsigned id = LRV_ID(host_gich_lr[best]);
    guest_ack(id);
    guest_eoi(id);
    return (int)id;
}

/* The guest runs until nothing is pending, with an exit after each interrupt: the IDs it took,
 * in order. */
static unsigned guest_run(unsigned *taken, unsigned max)
{
    unsigned n = 0;
    int id;
    while ((id = guest_take()) >= 0) {
        ck_assert_msg(n < max, "the guest took more than %u interrupts", max);
        taken[n++] = (unsigned)id;
        exit_and_enter();
    }
    return n;
}

static void check_taken(const char *what, const unsigned *taken, unsigned n, const unsigned *want, unsigned nw)
{
    char got[160] = "", exp[160] = "";
    for (unsigned i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), " %u", taken[i]);
    for (unsigned i = 0; i < nw; i++)
        snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp), " %u", want[i]);
    ck_assert_msg(n == nw && memcmp(taken, want, n * sizeof(*taken)) == 0,
                  "%s: the guest took%s, want%s (priority order, each once)", what, got, exp);
}

#define CHECK_TAKEN(what, taken, n, ...)                                                                       \
    do {                                                                                                       \
        const unsigned want_[] = {__VA_ARGS__};                                                                \
        check_taken(what, taken, n, want_, ARRAY_SIZE(want_));                                                 \
    } while (0)

START_TEST(test_lr_encoding)
{
    wr(GICD_CTLR, 1);
    edge_irq_pulse(45, 0x10);                   /* edge SPI: no EOI */
    wrw(GICD_IPRIORITYR + 3, 1, 0x4f);          /* SGI 3 at 0x48, always enabled */
    send_sgi(3);
    irq_enable(40, 0xa0);                       /* level SPI by its line: EOI */
    vgic_set_level(&gic, 40, true);
    irq_enable(50, 0xff);                       /* level SPI latched by ISPENDR: still level, EOI */
    bank_write(GICD_ISPENDR, 50);
    uint64_t before = gic.injected;
    vgic_flush_lrs(&gic);
    CHECK_LRS("four pending interrupts", lr_edge(45, 0x10), lr_edge(3, 0x48), lr_level(40, 0xa0),
              lr_level(50, 0xf8));
    check_hcr("four placed, none waiting", HCR_EN);
    check_injected("four placed", before + 4);
    /* in their LRs they are still pending, for the guest's ISPENDR too */
    ck_assert_msg(pending(45) && pending(3) && pending(40) && pending(50),
                  "an interrupt placed in an LR (pending there) does not read as pending in ISPENDR");
    ck_assert_msg(vgic_has_pending(&gic), "vgic_has_pending is false with four interrupts pending in LRs");
    ck_assert_msg(gic.hcr == HCR_EN, "g->hcr is %#x, but GICH_HCR was written %#x", gic.hcr, host_gich_hcr);
    /* another flush with nothing new changes nothing; GICH_HCR is written only when it changes (every
     * write is a device access, and the flush runs often) */
    host_gich_hcr = 0x5a5a0000u;
    vgic_flush_lrs(&gic);
    CHECK_LRS("a second flush", lr_edge(45, 0x10), lr_edge(3, 0x48), lr_level(40, 0xa0), lr_level(50, 0xf8));
    check_injected("a second flush", before + 4);
    check_hcr("a second flush (GICH_HCR was already EN: no write)", 0x5a5a0000u);
}
END_TEST

START_TEST(test_lr_priority_order)
{
    /* six pending, four LRs: the four most urgent, ties by the lowest ID (0x47 keeps 0x40) */
    wr(GICD_CTLR, 1);
    static const struct { unsigned id; uint8_t prio; } s[] = {
        {34, 0x80}, {39, 0x40}, {36, 0x47}, {35, 0x40}, {38, 0x20}, {33, 0x40},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(s); i++)
        edge_irq_pulse(s[i].id, s[i].prio);
    vgic_flush_lrs(&gic);
    CHECK_LRS("six pending: the four most urgent", lr_edge(38, 0x20), lr_edge(33, 0x40), lr_edge(35, 0x40),
              lr_edge(36, 0x40));
    check_hcr("six pending, four placed", HCR_EN | HCR_UIE);
    check_injected("six pending, four placed", 4);

    /* the guest takes 38: its LR is cleared at the exit, and 39 takes a free one at the entry */
    int i38 = lr_of(38);
    ck_assert_int_eq(guest_take(), 38);
    vgic_sync_lrs(&gic);
    ck_assert_msg(host_gich_lr[i38] == 0 && gic.lr[i38] == 0, "the LR of completed interrupt 38 was not written 0");
    vgic_flush_lrs(&gic);
    CHECK_LRS("38 done", lr_edge(33, 0x40), lr_edge(35, 0x40), lr_edge(36, 0x40), lr_edge(39, 0x40));
    check_hcr("38 done: 34 waits", HCR_EN | HCR_UIE);
    ck_assert_int_eq(guest_take(), 33);
    exit_and_enter();
    CHECK_LRS("33 done", lr_edge(35, 0x40), lr_edge(36, 0x40), lr_edge(39, 0x40), lr_edge(34, 0x80));
    check_hcr("33 done: nothing waits", HCR_EN);
    check_injected("all six placed", 6);
    unsigned taken[8];
    unsigned n = guest_run(taken, 8);
    CHECK_TAKEN("the rest", taken, n, 35, 36, 39, 34);
    CHECK_NO_LRS("all done");
    check_hcr("all done", HCR_EN);
}
END_TEST

START_TEST(test_lr_evict)
{
    /* all LRs full and a more urgent one arrives: the least urgent merely-pending one gives way */
    wr(GICD_CTLR, 1);
    edge_irq_pulse(40, 0x80);
    edge_irq_pulse(41, 0x90);
    edge_irq_pulse(42, 0xa0);
    edge_irq_pulse(43, 0x60);
    vgic_flush_lrs(&gic);
    CHECK_LRS("four placed", lr_edge(40, 0x80), lr_edge(41, 0x90), lr_edge(42, 0xa0), lr_edge(43, 0x60));
    check_hcr("four placed", HCR_EN);

    edge_irq_pulse(44, 0x10);
    exit_and_enter();
    CHECK_LRS("44 (0x10) arrived: 42 (0xa0) evicted", lr_edge(40, 0x80), lr_edge(41, 0x90), lr_edge(44, 0x10),
              lr_edge(43, 0x60));
    ck_assert_msg(pending(42), "evicted interrupt 42 is no longer pending");
    check_hcr("42 waits", HCR_EN | HCR_UIE);

    /* an active one is never evicted, even the least urgent */
    guest_ack(41);
    vgic_sync_lrs(&gic);
    edge_irq_pulse(45, 0x20);
    vgic_flush_lrs(&gic);
    CHECK_LRS("45 (0x20) arrived, 41 (0x90) active: 40 (0x80) evicted", lr_as_active(lr_edge(41, 0x90)),
              lr_edge(44, 0x10), lr_edge(43, 0x60), lr_edge(45, 0x20));
    ck_assert_msg(pending(40) && pending(42), "an evicted interrupt is no longer pending");
    ck_assert_msg(active(41), "41 is not active");

    /* one less urgent than all of them evicts nothing */
    edge_irq_pulse(46, 0xc0);
    exit_and_enter();
    CHECK_LRS("46 (0xc0) arrived", lr_as_active(lr_edge(41, 0x90)), lr_edge(44, 0x10), lr_edge(43, 0x60),
              lr_edge(45, 0x20));
    check_hcr("40, 42 and 46 wait", HCR_EN | HCR_UIE);

    /* the guest finishes 41, then takes everything: the evicted ones are not lost */
    guest_eoi(41);
    exit_and_enter();
    unsigned taken[16];
    unsigned n = guest_run(taken, 16);
    CHECK_TAKEN("after the evictions", taken, n, 44, 45, 43, 40, 42, 46);
    CHECK_NO_LRS("all done");
    check_hcr("all done", HCR_EN);
    ck_assert_msg(!vgic_has_pending(&gic), "vgic_has_pending with everything done");
    ck_assert_uint_eq(eoi.n, 0);
}
END_TEST

START_TEST(test_lr_evict_level)
{
    /* A level interrupt whose line drops while it is only pending in an LR leaves it; an
     * evicted one goes back to its line: pending if it is still high */
    eoi.lower_line = true;
    wr(GICD_CTLR, 1);
    irq_enable(40, 0xa0);
    vgic_set_level(&gic, 40, true);
    irq_enable(41, 0x90);
    vgic_set_level(&gic, 41, true);
    vgic_flush_lrs(&gic);                       /* 40 and 41 first: the least urgent is not in the last LR */
    edge_irq_pulse(42, 0x80);
    edge_irq_pulse(43, 0x80);
    exit_and_enter();
    CHECK_LRS("four placed", lr_level(40, 0xa0), lr_level(41, 0x90), lr_edge(42, 0x80), lr_edge(43, 0x80));
    int i40 = lr_of(40), i41 = lr_of(41), i42 = lr_of(42), i43 = lr_of(43);
    ck_assert(i40 >= 0 && i41 >= 0 && i42 >= 0 && i43 >= 0);
    vgic_set_level(&gic, 40, false); /* the device lowers 40's line before the guest got to it: */
    ck_assert_msg(lr_of(40) < 0 && host_gich_lr[i40] == 0, /* no longer pending, out of its LR */
                  "40's line dropped while it was only pending in LR%d, which is %#x, want 0", i40,
                  host_gich_lr[i40]);
    vgic_sync_lrs(&gic);
    edge_irq_pulse(44, 0x10);
    vgic_flush_lrs(&gic);
    CHECK_LRS("44 in 40's place", lr_level(41, 0x90), lr_edge(42, 0x80), lr_edge(43, 0x80), lr_edge(44, 0x10));
    ck_assert_msg(lr_of(44) == i40 && lr_of(41) == i41 && lr_of(42) == i42 && lr_of(43) == i43,
                  "44 is not in 40's freed LR, or the other LRs moved");
    check_injected("four, then 44", 5);
    ck_assert_msg(!pending(40), "evicted 40, whose line is low, is pending");
    check_hcr("nothing waits: 40's line is low", HCR_EN);
    edge_irq_pulse(45, 0x18);
    exit_and_enter();
    CHECK_LRS("45 evicted 41", lr_edge(42, 0x80), lr_edge(43, 0x80), lr_edge(44, 0x10), lr_edge(45, 0x18));
    ck_assert_msg(pending(41), "evicted 41, whose line is high, is not pending");
    check_hcr("41 waits", HCR_EN | HCR_UIE);
    unsigned taken[16];
    unsigned n = guest_run(taken, 16);
    CHECK_TAKEN("after evicting 40 and 41", taken, n, 44, 45, 42, 43, 41);
    ck_assert_msg(eoi.n == 1 && eoi.id[0] == 41, "%u eoi calls (first for %u), want one, for 41", eoi.n, eoi.id[0]);
}
END_TEST

START_TEST(test_lr_evict_same_priority)
{
    /* one as urgent as every LR: no livelock of evictions; all five are delivered */
    wr(GICD_CTLR, 1);
    for (unsigned id = 40; id < 44; id++)
        edge_irq_pulse(id, 0x80);
    vgic_flush_lrs(&gic);
    edge_irq_pulse(32, 0x80);
    exit_and_enter();
    ck_assert_uint_eq(lrs_valid(), 4);
    check_hcr("four LRs of priority 0x80, a fifth waits", HCR_EN | HCR_UIE);
    unsigned taken[16];
    unsigned n = guest_run(taken, 16);
    unsigned count[VGIC_NR_IRQS] = {0};
    for (unsigned i = 0; i < n; i++)
        count[taken[i]]++;
    ck_assert_msg(n == 5 && count[32] == 1 && count[40] == 1 && count[41] == 1 && count[42] == 1 && count[43] == 1,
                  "%u interrupts taken, want 32 and 40-43 once each", n);
}
END_TEST

START_TEST(test_lr_not_placed)
{
    wr(GICD_CTLR, 1);
    wrw(GICD_IPRIORITYR + 40, 1, 0x10);
    bank_write(GICD_ISPENDR, 40);               /* pending, disabled */
    irq_enable(41, 0x20);
    bank_write(GICD_ISPENDR, 41);
    bank_write(GICD_ISACTIVER, 41);             /* pending and active */
    vgic_flush_lrs(&gic);
    CHECK_NO_LRS("40 disabled, 41 active");
    check_hcr("nothing can be placed", HCR_EN);
    check_injected("nothing placed", 0);

    wr(GICD_CTLR, 0);
    bank_write(GICD_ISENABLER, 40);
    send_sgi(1);
    exit_and_enter();
    CHECK_NO_LRS("the distributor off");
    check_hcr("the distributor off", HCR_EN);

    wr(GICD_CTLR, 1);
    exit_and_enter();
    CHECK_LRS("the distributor on", lr_level(40, 0x10), lr_edge(1, 0x00));
    bank_write(GICD_ICACTIVER, 41);
    exit_and_enter();
    CHECK_LRS("41 no longer active", lr_level(40, 0x10), lr_edge(1, 0x00), lr_level(41, 0x20));
    check_injected("three placed", 3);
}
END_TEST

START_TEST(test_lr_sync_keeps)
{
    /* an LR the guest left pending or active is still the guest's: kept, and minivmm's copy updated */
    wr(GICD_CTLR, 1);
    irq_enable(40, 0x80);
    vgic_set_level(&gic, 40, true);
    send_sgi(3);
    vgic_flush_lrs(&gic);
    int i40 = lr_of(40), i3 = lr_of(3);
    ck_assert(i40 >= 0 && i3 >= 0);
    guest_ack(3);
    vgic_sync_lrs(&gic);
    CHECK_LRS("SGI 3 acknowledged", lr_level(40, 0x80), lr_as_active(lr_edge(3, 0)));
    ck_assert_msg(gic.irq[3].lr == i3 && gic.irq[40].lr == i40, "irq[].lr changed for LRs the guest still holds");
    ck_assert_msg(active(3) && !pending(3), "SGI 3, active in its LR, does not read active and not pending");
    ck_assert_msg(pending(40) && !active(40), "SPI 40, pending in its LR, does not read pending and not active");
    ck_assert_uint_eq(eoi.n, 0);
    vgic_flush_lrs(&gic);
    CHECK_LRS("SGI 3 acknowledged, after a flush", lr_level(40, 0x80), lr_as_active(lr_edge(3, 0)));
    check_injected("nothing new placed", 2);

    guest_ack(40);
    guest_eoi(3);
    vgic_sync_lrs(&gic);
    ck_assert_msg(host_gich_lr[i3] == 0, "completed SGI 3's LR was not written 0");
    CHECK_LRS("SGI 3 done, SPI 40 acknowledged", lr_as_active(lr_level(40, 0x80)));
    ck_assert_msg(!active(3), "SGI 3 is still active after completion");
    ck_assert_msg(eoi.n == 0, "the eoi callback was called for SGI 3 (edge: nothing to sample)");
    guest_eoi(40);
    vgic_sync_lrs(&gic);
    CHECK_NO_LRS("SPI 40 done");
    ck_assert_msg(eoi.n == 1 && eoi.id[0] == 40 && eoi.ctx[0] == &ctx_token,
                  "completed level SPI 40: %u eoi calls (first for %u), want one, for 40, with the ctx", eoi.n,
                  eoi.id[0]);
}
END_TEST

START_TEST(test_lr_completion)
{
    wr(GICD_CTLR, 1);
    irq_enable(40, 0x80);
    vgic_set_level(&gic, 40, true);             /* level, by its line */
    edge_irq_pulse(41, 0x90);                   /* edge */
    wrw(GICD_IPRIORITYR + 2, 1, 0x08);
    send_sgi(2);                                /* SGI */
    irq_enable(50, 0x70);
    bank_write(GICD_ISPENDR, 50);               /* level, latched by ISPENDR */
    vgic_flush_lrs(&gic);
    CHECK_LRS("four placed", lr_level(40, 0x80), lr_edge(41, 0x90), lr_edge(2, 0x08), lr_level(50, 0x70));
    static const unsigned ids[] = {40, 41, 2, 50};
    for (unsigned k = 0; k < 4; k++) {
        guest_ack(ids[k]);
        guest_eoi(ids[k]);
    }
    vgic_sync_lrs(&gic);
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        ck_assert_msg(host_gich_lr[i] == 0 && gic.lr[i] == 0, "LR%u of a completed interrupt is %#x (copy %#x), "
                      "want 0", i, host_gich_lr[i], gic.lr[i]);
    for (unsigned k = 0; k < 4; k++) {
        ck_assert_msg(gic.irq[ids[k]].lr == -1, "completed %u: irq.lr is %d, want -1", ids[k], gic.irq[ids[k]].lr);
        ck_assert_msg(!gic.irq[ids[k]].active && !active(ids[k]), "completed %u is still active", ids[k]);
    }
    ck_assert_msg(eoi.n == 2, "%u eoi calls, want 2 (level-sensitive 40 and 50)", eoi.n);
    ck_assert_msg((eoi.id[0] == 40 && eoi.id[1] == 50) || (eoi.id[0] == 50 && eoi.id[1] == 40),
                  "eoi calls for %u and %u, want 40 and 50", eoi.id[0], eoi.id[1]);
    ck_assert_msg(eoi.ctx[0] == &ctx_token && eoi.ctx[1] == &ctx_token, "the eoi callback did not get g->ctx");

    /* 40's line is still high: placed again; the others' pending state was used up */
    vgic_flush_lrs(&gic);
    CHECK_LRS("40's line still high", lr_level(40, 0x80));
    check_injected("40 placed again", 5);
    check_hcr("40 placed again", HCR_EN);
}
END_TEST

START_TEST(test_lr_completion_line_lowered)
{
    /* the device lowered the line when the eoi callback sampled it: not placed again */
    eoi.lower_line = true;
    wr(GICD_CTLR, 1);
    irq_enable(40, 0x80);
    vgic_set_level(&gic, 40, true);
    vgic_flush_lrs(&gic);
    ck_assert_int_eq(guest_take(), 40);
    exit_and_enter();
    CHECK_NO_LRS("40 done, its line low");
    ck_assert_msg(!pending(40), "40 is pending with its line low");
    check_injected("40 placed once", 1);
    ck_assert_uint_eq(eoi.n, 1);
}
END_TEST

START_TEST(test_lr_no_callback)
{
    /* g->eoi may be NULL: a completed level interrupt then just leaves its LR */
    gic.eoi = NULL;
    wr(GICD_CTLR, 1);
    irq_enable(40, 0x80);
    vgic_set_level(&gic, 40, true);
    vgic_flush_lrs(&gic);
    ck_assert_int_eq(guest_take(), 40);
    vgic_sync_lrs(&gic);
    CHECK_NO_LRS("40 done, no callback");
    ck_assert_int_eq(gic.irq[40].lr, -1);
}
END_TEST

START_TEST(test_lr_full_run)
{
    /* six interrupts of every kind, delivered one exit at a time: by priority, each exactly once */
    eoi.lower_line = true;
    wr(GICD_CTLR, 1);
    wrw(GICD_IPRIORITYR + 1, 1, 0x50);
    send_sgi(1);                                /* SGI 1 */
    irq_enable(IRQ_VTIMER, 0x30);
    vgic_set_level(&gic, IRQ_VTIMER, true);     /* PPI 27: level */
    irq_enable(33, 0x90);
    vgic_set_level(&gic, 33, true);             /* SPI 33: level */
    edge_irq_pulse(40, 0x10);                   /* SPI 40: edge */
    irq_enable(45, 0x70);
    bank_write(GICD_ISPENDR, 45);               /* SPI 45: level, latched by ISPENDR */
    edge_irq_pulse(60, 0xb0);                   /* SPI 60: edge */
    vgic_flush_lrs(&gic);
    check_hcr("six pending", HCR_EN | HCR_UIE);
    unsigned taken[16];
    unsigned n = guest_run(taken, 16);
    CHECK_TAKEN("six interrupts", taken, n, 40, IRQ_VTIMER, 1, 45, 33, 60);
    check_injected("six interrupts", 6);
    CHECK_NO_LRS("all done");
    check_hcr("all done", HCR_EN);
    ck_assert_msg(!vgic_has_pending(&gic), "vgic_has_pending with everything done");
    ck_assert_msg(eoi.n == 3, "%u eoi calls, want 3 (27, 33 and 45 are level-sensitive)", eoi.n);
    CHECK_REG(GICD_ISACTIVER, "ISACTIVER0 at the end", 0);
    CHECK_REG(GICD_ISACTIVER + 4, "ISACTIVER1 at the end", 0);
}
END_TEST

START_TEST(test_lr_priority_change)
{
    /* a new priority for an interrupt waiting in an LR reaches the LR (else the guest's
     * priority mask would judge it by the old one) */
    wr(GICD_CTLR, 1);
    edge_irq_pulse(41, 0xf0);
    vgic_flush_lrs(&gic);
    CHECK_LRS("placed at 0xf0", lr_edge(41, 0xf0));
    wrw(GICD_IPRIORITYR + 41, 1, 0x20);
    vgic_flush_lrs(&gic);
    CHECK_LRS("placed again at 0x20", lr_edge(41, 0x20));
    unsigned taken[4];
    unsigned n = guest_run(taken, 4);
    CHECK_TAKEN("once", taken, n, 41);
}
END_TEST

START_TEST(test_lr_disable_withdraws)
{
    /* an interrupt only pending in its LR is withdrawn when disabled or when the distributor is
     * turned off (the guest must not take it then), and delivered once enabled again */
    wr(GICD_CTLR, 1);
    edge_irq_pulse(41, 0x40);
    edge_irq_pulse(42, 0x50);
    vgic_flush_lrs(&gic);
    int i41 = lr_of(41);
    bank_write(GICD_ICENABLER, 41);
    ck_assert_msg(host_gich_lr[i41] == 0 && gic.lr[i41] == 0, "ICENABLER of 41: its LR is %#x, want 0",
                  host_gich_lr[i41]);
    ck_assert_msg(pending(41), "41 lost its latched pending state when withdrawn");
    wr(GICD_CTLR, 0);
    CHECK_NO_LRS("distributor off");
    vgic_flush_lrs(&gic);
    CHECK_NO_LRS("distributor off, after a flush");
    wr(GICD_CTLR, 1);
    bank_write(GICD_ISENABLER, 41);
    vgic_flush_lrs(&gic);
    unsigned taken[4];
    unsigned n = guest_run(taken, 4);
    CHECK_TAKEN("enabled again", taken, n, 41, 42);
}
END_TEST

START_TEST(test_dist_unaligned_end)
{
    /* unaligned byte-register writes running past the last ID change nothing beyond it
     * (UBSan also reports any access to irq[64] or beyond) */
    wr(GICD_CTLR, 1);
    edge_irq_pulse(40, 0x40);
    vgic_flush_lrs(&gic);
    uint32_t lr0[VGIC_NR_LRS];
    memcpy(lr0, gic.lr, sizeof(lr0));
    wrw(GICD_IPRIORITYR + 0x3d, 4, 0xffffffffu);
    wrw(GICD_ITARGETSR + 0x3f, 2, 0xffffu);
    ck_assert_mem_eq(lr0, gic.lr, sizeof(lr0));
    ck_assert_uint_eq(gic.irq[63].priority, 0xf8);
    ck_assert_uint_eq(gic.irq[61].priority, 0xf8);
    ck_assert_uint_eq(gic.irq[63].target, 1);
}
END_TEST

START_TEST(test_lr_sgi_again_while_active)
{
    /* an interrupt is never in two LRs: sent again while active, it waits for the first to end,
     * and its LR asks for an EOI maintenance interrupt so that the second is delivered as soon
     * as the first ends (SGI 0: ID 0 is also what an empty LR holds, which must not be taken
     * for it) */
    wr(GICD_CTLR, 1);
    send_sgi(0);
    vgic_flush_lrs(&gic);
    guest_ack(0);
    exit_and_enter();
    send_sgi(0);
    exit_and_enter();
    ck_assert_uint_eq(lrs_valid(), 1); /* lr_of asserts there is only one */
    CHECK_LRS("SGI 0 active and sent again", lr_as_active(lr_edge(0, 0)) | LRV_EOI);
    ck_assert_msg(active(0), "SGI 0, active in its LR, does not read as active");
    guest_eoi(0);
    exit_and_enter();
    CHECK_LRS("the first SGI 0 done", lr_edge(0, 0));
    unsigned taken[4];
    unsigned n = guest_run(taken, 4);
    CHECK_TAKEN("the second SGI 0", taken, n, 0);
    check_injected("SGI 0 twice", 2);
}
END_TEST

START_TEST(test_lr_icpendr_takes_out)
{
    /* ICPENDR on an interrupt pending in an LR takes it out: the guest must not take it */
    wr(GICD_CTLR, 1);
    edge_irq_pulse(41, 0x40);
    irq_enable(40, 0x50);
    vgic_set_level(&gic, 40, true);
    send_sgi(4);
    vgic_flush_lrs(&gic);
    int i41 = lr_of(41);
    vgic_sync_lrs(&gic);                        /* the guest traps on its ICPENDR write */
    bank_write(GICD_ICPENDR, 41);
    ck_assert_msg(host_gich_lr[i41] == 0 && gic.lr[i41] == 0, "ICPENDR of 41: its LR was not written 0");
    ck_assert_msg(gic.irq[41].lr == -1, "ICPENDR of 41: irq.lr is %d, want -1", gic.irq[41].lr);
    ck_assert_msg(!pending(41), "41 is pending after ICPENDR");
    int i4 = lr_of(4);
    wrw(GICD_CPENDSGIR + 4, 1, 0x01);           /* and CPENDSGIR for an SGI */
    ck_assert_msg(host_gich_lr[i4] == 0 && gic.lr[i4] == 0, "CPENDSGIR of SGI 4: its LR was not written 0");
    ck_assert_msg(!pending(4), "SGI 4 is pending after CPENDSGIR");
    vgic_flush_lrs(&gic);
    CHECK_LRS("41 and SGI 4 cleared", lr_level(40, 0x50));

    /* a level interrupt whose line is still high comes back */
    vgic_sync_lrs(&gic);
    bank_write(GICD_ICPENDR, 40);
    ck_assert_msg(lr_of(40) < 0, "ICPENDR of 40: still in its LR");
    vgic_flush_lrs(&gic);
    CHECK_LRS("40's line still high", lr_level(40, 0x50));

    /* ICPENDR of one the guest has acknowledged: only its pending state goes; it stays active */
    edge_irq_pulse(42, 0x60);
    exit_and_enter();
    guest_ack(42);
    vgic_sync_lrs(&gic);
    bank_write(GICD_ICPENDR, 42);
    ck_assert_msg(active(42) && !pending(42), "ICPENDR of acknowledged 42: active %d, pending %d; want active only",
                  active(42), pending(42));
}
END_TEST

START_TEST(test_lr_active_regs_in_place)
{
    eoi.lower_line = true;
    wr(GICD_CTLR, 1);
    edge_irq_pulse(42, 0x40);                   /* latched */
    irq_enable(43, 0x50);
    vgic_set_level(&gic, 43, true);             /* by its line */
    edge_irq_pulse(44, 0x60);
    vgic_flush_lrs(&gic);
    guest_ack(44);
    vgic_sync_lrs(&gic);

    /* ISACTIVER of one pending in its LR: the LR becomes pending and active, in place */
    int i42 = lr_of(42), i43 = lr_of(43);
    bank_write(GICD_ISACTIVER, 42);
    bank_write(GICD_ISACTIVER, 43);
    ck_assert_msg(host_gich_lr[i42] == (lr_edge(42, 0x40) | LRV_ACTIVE) &&
                  host_gich_lr[i43] == (lr_level(43, 0x50) | LRV_ACTIVE),
                  "ISACTIVER: the LRs of 42 and 43 are %#x and %#x, want pending and active",
                  host_gich_lr[i42], host_gich_lr[i43]);
    ck_assert_msg(active(42) && active(43), "42 and 43 are not active after ISACTIVER");
    ck_assert_msg(pending(42) && pending(43), "42 and 43 lost their pending state");

    /* ICACTIVER of one only active in its LR: the LR is free, the interrupt complete */
    int i44 = lr_of(44);
    vgic_sync_lrs(&gic);
    bank_write(GICD_ICACTIVER, 44);
    ck_assert_msg(host_gich_lr[i44] == 0 && gic.lr[i44] == 0, "ICACTIVER of 44, active in LR%d: the LR is %#x, "
                  "want 0", i44, host_gich_lr[i44]);
    ck_assert_msg(gic.irq[44].lr == -1, "ICACTIVER of 44: irq.lr is %d, want -1", gic.irq[44].lr);
    ck_assert_msg(!active(44) && !pending(44), "44 is still active or pending after ICACTIVER");

    /* ICACTIVER of 42 and 43: back to merely pending in their LRs; the guest takes 42, then 43 */
    bank_write(GICD_ICACTIVER, 42);
    bank_write(GICD_ICACTIVER, 43);
    ck_assert_msg(host_gich_lr[i42] == lr_edge(42, 0x40) && host_gich_lr[i43] == lr_level(43, 0x50),
                  "ICACTIVER: the LRs of 42 and 43 are %#x and %#x, want pending only", host_gich_lr[i42],
                  host_gich_lr[i43]);
    vgic_flush_lrs(&gic);
    unsigned taken[4];
    unsigned n = guest_run(taken, 4);
    CHECK_TAKEN("after ICACTIVER", taken, n, 42, 43);
    ck_assert_uint_eq(eoi.n, 1); /* 43 is level-sensitive: its completion samples the line */
}
END_TEST

/* ============================================================ vtimer ====== */

/* What vgic_dev.c installs: the guest completed the timer's interrupt, sample it again. */
static void timer_eoi(void *ctx, unsigned intid)
{
    ck_assert_msg(ctx == &gic, "the eoi callback did not get g->ctx");
    timer_eois++;
    if (intid == IRQ_VTIMER)
        vtimer_completed(ctx);
}

START_TEST(test_vtimer_cnthctl)
{
    /* CNTHCTL (ARM ARM, "Counter-timer Hyp Control register"): PL1PCTEN (bit 0) set, the
     * physical counter readable; PL1PCEN (bit 1)
     * clear, the physical timer trapped; no event stream */
    ck_assert_msg(vtimer_cnthctl() == 1, "vtimer_cnthctl() is %#x, want 1 (PL1PCTEN)", vtimer_cnthctl());
}
END_TEST

START_TEST(test_vtimer_fire)
{
    wr(GICD_CTLR, 1);
    vtimer_fire(&gic);
    ck_assert_msg(!host_gic_enabled[IRQ_VTIMER], "vtimer_fire did not mask PPI 27 at the board's GIC");
    for (unsigned i = 0; i < VGIC_NR_IRQS; i++)
        ck_assert_msg(i == IRQ_VTIMER || host_gic_enabled[i], "vtimer_fire masked interrupt %u", i);
    ck_assert_msg(pending(IRQ_VTIMER), "vtimer_fire: PPI 27 is not pending in the guest's distributor");
    ck_assert_msg(!vgic_has_pending(&gic), "vgic_has_pending with PPI 27 pending but disabled in the guest");
    bank_write(GICD_ISENABLER, IRQ_VTIMER);
    ck_assert_msg(vgic_has_pending(&gic), "vgic_has_pending is false with PPI 27 fired and enabled");
    bank_write(GICD_ICPENDR, IRQ_VTIMER);
    ck_assert_msg(pending(IRQ_VTIMER), "PPI 27 is level: ICPENDR cleared it while the timer's line is high");
    vtimer_completed(&gic);
    ck_assert_msg(host_gic_enabled[IRQ_VTIMER], "vtimer_completed did not unmask PPI 27 at the board's GIC");
    ck_assert_msg(!pending(IRQ_VTIMER), "vtimer_completed: PPI 27 is still pending");
    ck_assert_msg(!vgic_has_pending(&gic), "vgic_has_pending after vtimer_completed");
}
END_TEST

START_TEST(test_vtimer_delivery)
{
    gic.eoi = timer_eoi;
    gic.ctx = &gic;
    wr(GICD_CTLR, 1);
    irq_enable(IRQ_VTIMER, 0xa0);
    for (unsigned round = 1; round <= 3; round++) {
        vtimer_fire(&gic);
        vgic_flush_lrs(&gic);
        CHECK_LRS("the timer fired", lr_level(IRQ_VTIMER, 0xa0));
        ck_assert(!host_gic_enabled[IRQ_VTIMER]);
        guest_ack(IRQ_VTIMER);
        exit_and_enter();
        CHECK_LRS("the guest handles the timer", lr_as_active(lr_level(IRQ_VTIMER, 0xa0)));
        ck_assert_msg(!host_gic_enabled[IRQ_VTIMER], "PPI 27 unmasked before the guest completed it");
        guest_eoi(IRQ_VTIMER);
        vgic_sync_lrs(&gic);
        ck_assert_msg(timer_eois == round, "round %u: %u eoi calls, want %u", round, timer_eois, round);
        ck_assert_msg(host_gic_enabled[IRQ_VTIMER], "round %u: PPI 27 still masked after completion", round);
        ck_assert_msg(!pending(IRQ_VTIMER), "round %u: PPI 27 still pending after completion", round);
        vgic_flush_lrs(&gic);
        CHECK_NO_LRS("the timer's interrupt completed");
        check_hcr("the timer's interrupt completed", HCR_EN);
    }
    check_injected("three ticks", 3);
}
END_TEST

/* ============================================================== suite ===== */

static TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    return tc;
}

static Suite *lab4_suite(void)
{
    Suite *s = suite_create("lab4");

    TCase *dist = tcase("dist");
    tcase_add_test(dist, test_dist_init);
    tcase_add_test(dist, test_dist_init_again);
    tcase_add_test(dist, test_dist_ids);
    tcase_add_test(dist, test_dist_ctlr);
    tcase_add_test(dist, test_dist_unaligned_end);
    tcase_add_test(dist, test_dist_enable);
    tcase_add_test(dist, test_dist_pending);
    tcase_add_test(dist, test_dist_active);
    tcase_add_test(dist, test_dist_priority);
    tcase_add_test(dist, test_dist_targets);
    tcase_add_test(dist, test_dist_icfgr);
    tcase_add_test(dist, test_dist_sgir);
    tcase_add_test(dist, test_dist_sgi_pending_regs);
    tcase_add_test(dist, test_dist_reserved);
    tcase_add_test(dist, test_dist_high_ids);
    tcase_add_test(dist, test_dist_narrow_writes);
    tcase_add_test(dist, test_dist_level);
    tcase_add_test(dist, test_dist_edge);
    tcase_add_test(dist, test_dist_set_level_ignored);
    tcase_add_test(dist, test_dist_has_pending);
    tcase_add_test(dist, test_dist_two_vgics);
    tcase_add_test(dist, test_dist_on_the_bus);
    suite_add_tcase(s, dist);

    TCase *lr = tcase("lr");
    tcase_add_test(lr, test_lr_encoding);
    tcase_add_test(lr, test_lr_priority_order);
    tcase_add_test(lr, test_lr_evict);
    tcase_add_test(lr, test_lr_evict_level);
    tcase_add_test(lr, test_lr_evict_same_priority);
    tcase_add_test(lr, test_lr_not_placed);
    tcase_add_test(lr, test_lr_sync_keeps);
    tcase_add_test(lr, test_lr_completion);
    tcase_add_test(lr, test_lr_completion_line_lowered);
    tcase_add_test(lr, test_lr_no_callback);
    tcase_add_test(lr, test_lr_full_run);
    tcase_add_test(lr, test_lr_sgi_again_while_active);
    tcase_add_test(lr, test_lr_disable_withdraws);
    tcase_add_test(lr, test_lr_priority_change);
    tcase_add_test(lr, test_lr_icpendr_takes_out);
    tcase_add_test(lr, test_lr_active_regs_in_place);
    suite_add_tcase(s, lr);

    TCase *vtimer = tcase("vtimer");
    tcase_add_test(vtimer, test_vtimer_cnthctl);
    tcase_add_test(vtimer, test_vtimer_fire);
    tcase_add_test(vtimer, test_vtimer_delivery);
    suite_add_tcase(s, vtimer);
    return s;
}

int main(void)
{
    /* srunner_run_all honours CK_RUN_CASE, so the grader can run one case. */
    SRunner *sr = srunner_create(lab4_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
