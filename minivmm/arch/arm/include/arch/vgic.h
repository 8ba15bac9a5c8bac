/* Lab 4 (vGIC and virtual timer): the guest's GICv2 distributor, list-register delivery, and the virtual timer's interrupt. */
#ifndef ARCH_VGIC_H
#define ARCH_VGIC_H

#include <minivmm/types.h>

/* The guest's interrupt IDs (the virt board's numbering, so the same drivers work). */
#define VGIC_NR_IRQS   64 /* SGIs 0-15, PPIs 16-31, SPIs 32-63: GICD_TYPER.ITLinesNumber = 1 */
#define VGIC_NR_LRS    4  /* list registers on this GIC (GICH_VTR.ListRegs + 1) */
#define IRQ_MAINT      25 /* PPI: the GIC's maintenance interrupt (to minivmm) */
#define IRQ_VTIMER     27 /* PPI: the virtual timer */
#define IRQ_GUEST_UART 33 /* SPI 1: the guest's PL011 (lab 3) */
#define IRQ_SPURIOUS   1023

/* Distributor register offsets (GIC architecture v2, section 4.3). */
#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IIDR       0x008
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ISACTIVER  0x300
#define GICD_ICACTIVER  0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_SGIR       0xf00
#define GICD_CPENDSGIR  0xf10
#define GICD_SPENDSGIR  0xf20
#define GICD_PIDR2      0xfe8 /* ArchRev in bits 7:4: 2 */
#define GICD_SIZE       0x1000
#define GICD_IIDR_VALUE 0x0000043bu /* implementer ARM */
#define VGIC_PRIO_MASK  0xf8u       /* 5 priority bits: what a list register holds */

/* GICH list register fields (GICv2 section 5.3.11). */
#define LR_VID_MASK    0x3ffu
#define LR_CPUID_SHIFT 10         /* SGIs: the requesting CPU */
#define LR_EOI         (1u << 19) /* maintenance interrupt when the guest deactivates it */
#define LR_PRIO_SHIFT  23         /* priority[7:3] in bits 27:23 */
#define LR_STATE_SHIFT 28
#define LR_PENDING     (1u << 28)
#define LR_ACTIVE      (1u << 29)
#define GICH_HCR_EN    (1u << 0)
#define GICH_HCR_UIE   (1u << 1) /* maintenance interrupt when at most one LR holds an interrupt */

/* One interrupt as the guest's distributor sees it. */
struct vgic_irq {
    bool enabled;
    bool pending; /* latched pending state (edge, ISPENDR, SGIR) */
    bool level;   /* the input line of a level-sensitive interrupt */
    bool active;
    bool edge;        /* ICFGR: edge-triggered (SGIs always are) */
    int8_t lr;        /* the list register holding it, or -1 */
    bool lr_latched;  /* placed in that LR with its latched pending state (not only its line):
                         taken back out while still pending, it is latched pending again */
    uint8_t priority; /* IPRIORITYR, VGIC_PRIO_MASK bits kept */
    uint8_t target;   /* ITARGETSR: CPU 0 is the only one */
};

/* The whole vGIC: everything a snapshot needs. */
struct vgic {
    bool enabled; /* GICD_CTLR.Enable */
    struct vgic_irq irq[VGIC_NR_IRQS];
    uint32_t lr[VGIC_NR_LRS]; /* what minivmm last wrote to (or read from) each list register */
    uint32_t hcr;             /* what minivmm last wrote to GICH_HCR */
    /* Called when the guest completes (deactivates) a level-sensitive
     * interrupt: its source is sampled again (the timer is unmasked). */
    void (*eoi)(void *ctx, unsigned intid);
    void *ctx;
    uint64_t injected; /* interrupts placed in a list register */
};

/* ---- Framework (gic.c): the board's GIC. Host unit tests get stand-ins. */
uint32_t gich_read_lr(unsigned i);
void gich_write_lr(unsigned i, uint32_t v);
void gich_write_hcr(uint32_t v);

/* ---- Lab 4 student functions. */
/* vgic_dist.c: the distributor, as an MMIO device (lab 3's bus). */
extern const bool lab4_vgic_enabled; /* false in the skeleton: no interrupts for the guest */
void vgic_init(struct vgic *g);
bool vgicd_read(void *dev, uint32_t off, unsigned width, uint32_t *val);
bool vgicd_write(void *dev, uint32_t off, unsigned width, uint32_t val);
/* A device's interrupt line (level-sensitive); an edge-configured SPI latches a rising edge. */
void vgic_set_level(struct vgic *g, unsigned intid, bool level);
/* Would the guest take an interrupt if it unmasked them: anything pending and
 * enabled, in a list register or waiting for one? (WFI sleeps until it is.) */
bool vgic_has_pending(const struct vgic *g);

/* vgic_lr.c: delivery through the list registers. */
/* Before entering the guest: place the highest-priority pending, enabled
 * interrupts in free list registers (evicting a lower-priority one that is
 * only pending, if all are taken), and ask for an underflow maintenance
 * interrupt (GICH_HCR.UIE) while more wait. */
void vgic_flush_lrs(struct vgic *g);
/* After an exit: read back the list registers the guest may have changed;
 * an interrupt whose LR is now invalid is complete (eoi callback if level). */
void vgic_sync_lrs(struct vgic *g);

/* vtimer.c: the virtual timer's physical PPI. */
/* CNTHCTL for the guest: the physical counter readable, the physical timer trapped. */
uint32_t vtimer_cnthctl(void);
/* The PPI arrived while the guest ran (or slept): mask it at the board's GIC
 * and raise the guest's virtual timer line. */
void vtimer_fire(struct vgic *g);
/* The guest completed IRQ_VTIMER: lower the line and unmask the PPI; if the
 * timer condition still holds, the PPI fires again. */
void vtimer_completed(struct vgic *g);
/* Framework (gic.c): mask or unmask one interrupt at the board's distributor. */
void gic_set_enabled(unsigned intid, bool on);

#endif
