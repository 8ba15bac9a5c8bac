/* Lab 5: the NE2000 network card (RealTek RTL8029 on PCI, a National DP8390 core): registers, card memory, remote DMA, transmit and the receive ring. */
#ifndef DEVICES_NE2000_H
#define DEVICES_NE2000_H

#include <minivmm/bus.h>
#include <minivmm/types.h>

struct snap;

/*
 * The card's I/O BAR (BAR0), as ne2k-pci uses it: the DP8390's 16 byte-wide
 * registers at 0x00-0x0f, banked in four pages by CR bits 7:6 (CR itself is
 * at 0x00 in every page), the remote DMA data port at 0x10 (1-, 2- and 4-byte
 * accesses), and the reset port at 0x1f (a read or a write resets the card).
 */
#define NE2000_IO_SIZE 0x20
#define NE2000_DATA    0x10
#define NE2000_RESET   0x1f

/* Page 0 (DP8390 datasheet, table 5): what a read gives / what a write sets. */
#define NE_CR     0x00 /* command, all pages */
#define NE_PSTART 0x01 /* write: first page of the receive ring */
#define NE_PSTOP  0x02 /* write: the page after the ring */
#define NE_BNRY   0x03 /* boundary: the last ring page the driver has read */
#define NE_TSR    0x04 /* read: transmit status */
#define NE_TPSR   0x04 /* write: transmit page start */
#define NE_NCR    0x05 /* read: collisions (always 0) */
#define NE_TBCR0  0x05 /* write: transmit byte count */
#define NE_TBCR1  0x06
#define NE_ISR    0x07 /* interrupt status; a write clears the bits written as 1 */
#define NE_CRDA0  0x08 /* read: current remote DMA address (RSAR as it advances) */
#define NE_RSAR0  0x08 /* write: remote DMA start address */
#define NE_RSAR1  0x09
#define NE_ID0    0x0a /* read: the RTL8029's ID, 'P' */
#define NE_RBCR0  0x0a /* write: remote DMA byte count */
#define NE_ID1    0x0b /* read: 'C' */
#define NE_RBCR1  0x0b
#define NE_RSR    0x0c /* read: receive status of the last frame */
#define NE_RCR    0x0c /* write: receive configuration */
#define NE_CNTR0  0x0d /* read: frame alignment errors (a read clears a tally counter) */
#define NE_TCR    0x0d /* write: transmit configuration */
#define NE_CNTR1  0x0e /* read: CRC errors */
#define NE_DCR    0x0e /* write: data configuration */
#define NE_CNTR2  0x0f /* read: missed frames */
#define NE_IMR    0x0f /* write: interrupt mask */
/* Page 1: read and write. */
#define NE_PAR0 0x01 /* station address, 6 registers */
#define NE_CURR 0x07 /* the ring page the next frame goes to */
#define NE_MAR0 0x08 /* multicast hash filter, 8 registers */
/* Page 2 (diagnostics, read only here): the page 0 write-only registers read back. */
#define NE_P2_PSTART 0x01
#define NE_P2_PSTOP  0x02
#define NE_P2_RNPP   0x03 /* remote next packet pointer: reads BNRY */
#define NE_P2_TPSR   0x04
#define NE_P2_LNPP   0x05 /* local next packet pointer: reads CURR */
#define NE_P2_RCR    0x0c
#define NE_P2_TCR    0x0d
#define NE_P2_DCR    0x0e
#define NE_P2_IMR    0x0f
/* Page 3 (RTL8029 configuration, read only here; QEMU's values). */
#define NE_P3_CONFIG0 0x03 /* 0: 10BaseT */
#define NE_P3_CONFIG2 0x05 /* 0x40: 10BaseT link */
#define NE_P3_CONFIG3 0x06 /* 0x40: full duplex */

/* CR bits. */
#define NE_CR_STP       0x01 /* stopped: no frame is received or sent */
#define NE_CR_STA       0x02
#define NE_CR_TXP       0x04 /* transmit the frame at TPSR now (reads 0: sending is immediate) */
#define NE_CR_RD_SHIFT  3    /* bits 5:3, the remote DMA command */
#define NE_CR_RD_MASK   0x38
#define NE_CR_RD_READ   1 /* remote read: the data port reads card memory at RSAR */
#define NE_CR_RD_WRITE  2 /* remote write: the data port writes it */
#define NE_CR_RD_SEND   3 /* send packet: not modelled (the data port does nothing) */
#define NE_CR_RD_ABORT  4 /* 4-7: abort or complete remote DMA */
#define NE_CR_PS_SHIFT  6 /* bits 7:6, the register page */
#define NE_CR_RESET_VAL (NE_CR_STP | NE_CR_RD_ABORT << NE_CR_RD_SHIFT) /* 0x21 */

/* ISR and IMR bits. */
#define NE_ISR_PRX      0x01 /* frame received */
#define NE_ISR_PTX      0x02 /* frame sent */
#define NE_ISR_RXE      0x04 /* receive error */
#define NE_ISR_TXE      0x08 /* transmit error */
#define NE_ISR_OVW      0x10 /* the receive ring was full: a frame was lost */
#define NE_ISR_CNT      0x20 /* a tally counter has its top bit set */
#define NE_ISR_RDC      0x40 /* remote DMA complete: RBCR reached 0 */
#define NE_ISR_RST      0x80 /* the card is stopped (reset); never interrupts, a write does not clear it */
#define NE_ISR_IRQ_MASK 0x7f /* the bits that can raise the interrupt */

/* TSR bits. */
#define NE_TSR_PTX 0x01 /* sent */
#define NE_TSR_ABT 0x08 /* aborted: this model's answer to a frame it cannot send (see ne2000_transmit) */

/* RSR bits (and the status byte of a received frame's header). */
#define NE_RSR_PRX 0x01 /* received intact */
#define NE_RSR_MPA 0x10 /* missed: no room, or monitor mode */
#define NE_RSR_PHY 0x20 /* the destination was multicast or broadcast */
#define NE_RSR_DIS 0x40 /* the receiver is in monitor mode */

/* RCR bits. */
#define NE_RCR_AB   0x04 /* accept broadcast */
#define NE_RCR_AM   0x08 /* accept multicast that hits the hash filter */
#define NE_RCR_PRO  0x10 /* promiscuous: accept every unicast destination */
#define NE_RCR_MON  0x20 /* monitor: check and count frames, store none */
#define NE_RCR_MASK 0x3f /* the bits RCR keeps */

/* TCR bits. */
#define NE_TCR_LOOPBACK 0x06 /* LB1-LB0: not modelled (frames go out); a reset clears them */
#define NE_TCR_MASK     0x1f

/* DCR bits. */
#define NE_DCR_WTS  0x01 /* word-wide remote DMA: a 1-byte data port access moves a word */
#define NE_DCR_MASK 0x7f

/*
 * Card memory (a 16-bit address space, as remote DMA and the page
 * registers see it): the station address PROM at 0x0000-0x001f, 32 KiB of
 * RAM at 0x4000-0xbfff (pages 0x40-0xbf); everything else reads 0xff and
 * ignores writes. The PROM is read only: each of the 16 PROM bytes doubled
 * (the RTL8029 on a 16-bit bus), so that a word-mode read of 16 words gives
 * the MAC in bytes 0-5 and 0x57 0x57 in bytes 14-15, as QEMU's ne2k_pci.
 */
#define NE2000_PROM_SIZE   32u
#define NE2000_RAM_START   0x4000u
#define NE2000_RAM_SIZE    0x8000u
#define NE2000_RAM_END     (NE2000_RAM_START + NE2000_RAM_SIZE)
#define NE2000_PAGE_SIZE   256u
#define NE2000_FIRST_PAGE  (NE2000_RAM_START / NE2000_PAGE_SIZE) /* 0x40 */
#define NE2000_END_PAGE    (NE2000_RAM_END / NE2000_PAGE_SIZE)   /* 0xc0: the page after RAM */
#define NE2000_PROM_SIG    0x57                                  /* PROM bytes 14-15 (28-31 doubled) */
#define NE2000_MIN_FRAME   14u   /* an Ethernet header: anything shorter is refused */
#define NE2000_PAD_FRAME   60u   /* a shorter frame is padded with zeros to this in the ring */
#define NE2000_MAX_FRAME   1518u /* with a VLAN tag; what Linux's 8390 driver accepts */
#define NE2000_HDR_SIZE    4u    /* a received frame's header in the ring: status, next page, length */
#define NE2000_TALLY_LIMIT 0xc0  /* the tally counters saturate here (DP8390) */

/* What the card is wired to: the network and an interrupt line. */
struct ne2000_backend {
    /* A frame the card transmitted (the bytes are valid during the call only). */
    void (*send)(void *ctx, const uint8_t *frame, unsigned len);
    void (*irq)(void *ctx, bool level); /* the interrupt output changed level */
    void *ctx;
};

/* What the VMM counts (not guest state: a snapshot leaves them alone). */
struct ne2000_stats {
    uint64_t tx_frames, tx_errors; /* sent; refused (TXE) */
    uint64_t rx_frames;            /* put into the ring */
    uint64_t rx_dropped;           /* every frame not put into the ring, for one of: */
    uint64_t rx_stopped;           /* the card was stopped (CR.STP) */
    uint64_t rx_filtered;          /* not addressed to the card (RCR, PAR, MAR) */
    uint64_t rx_missed;            /* no room: the ring full or not a ring, or monitor mode (CNTR2) */
    uint64_t rx_bad_length;        /* shorter than NE2000_MIN_FRAME or longer than NE2000_MAX_FRAME */
};

/*
 * Everything the guest can observe (what a snapshot holds), then the
 * wiring and the statistics. Invariants the model keeps (and a restore
 * checks): CR.TXP is clear; ISR.RST is set exactly when CR.STP is;
 * irq_level is (ISR & IMR & NE_ISR_IRQ_MASK) != 0; the PROM is the doubled
 * layout above. Every register may hold any value a guest wrote: the page
 * registers are checked where they are used, not where they are written.
 * ram[] comes last, so that a write past it leaves the struct.
 */
struct ne2000 {
    uint8_t cr;
    uint8_t pstart, pstop, bnry, curr, tpsr; /* pages */
    uint16_t tbcr, rsar, rbcr;
    uint8_t isr, imr, tsr, rsr, rcr, tcr, dcr;
    uint8_t par[6], mar[8];
    uint8_t cntr[3]; /* tally counters CNTR0-2 */
    bool irq_level;  /* the last level given to backend.irq */
    struct ne2000_backend backend;
    struct ne2000_stats stats;
    uint8_t prom[NE2000_PROM_SIZE];
    uint8_t ram[NE2000_RAM_SIZE];
};

/* The snapshot section's format version (ne2000_snapshot). */
#define NE2000_SNAP_VERSION 1u

/* The page the CR selects. */
static inline unsigned ne2000_page(const struct ne2000 *n) { return n->cr >> NE_CR_PS_SHIFT; }
/* The remote DMA command in CR bits 5:3 (NE_CR_RD_*). */
static inline unsigned ne2000_rd(const struct ne2000 *n) { return (n->cr & NE_CR_RD_MASK) >> NE_CR_RD_SHIFT; }

/* ---- Lab 5 student functions, Task 3 (devices/ne2000.c). */
/* Power-on state: every register 0 except CR = 0x21 (stopped, remote DMA
 * aborted, page 0) and ISR = RST; the PROM made from mac; the RAM cleared;
 * the interrupt output low; the backend stored (its callbacks may be NULL). */
void ne2000_reset(struct ne2000 *n, const uint8_t mac[6], const struct ne2000_backend *b);
/* One access to the I/O BAR (dev is the struct ne2000): BUS_OK for every
 * offset below NE2000_IO_SIZE. The registers are bytes: a 2- or 4-byte access
 * at a register's offset reads it zero-extended or writes its low byte;
 * offsets the card does not decode read 0 and ignore writes. BUS_NOT_MINE
 * past NE2000_IO_SIZE. */
enum bus_result ne2000_access(void *dev, struct bus_req *req);
/* Recompute the interrupt output, (ISR & IMR & 0x7f) != 0, and tell the
 * backend when it changes. */
void ne2000_update_irq(struct ne2000 *n);

/* ---- Lab 5 student functions, Task 4 (devices/ne2000_ring.c). */
/* CR.TXP on a started card: send TBCR bytes from page TPSR through the
 * backend, then TSR = PTX and ISR.PTX. A frame the card cannot send (TBCR
 * below NE2000_MIN_FRAME or above NE2000_MAX_FRAME, or any byte of it
 * outside the RAM) is not sent: TSR = ABT and ISR.TXE. TXP is clear after. */
void ne2000_transmit(struct ne2000 *n);
/* A frame from the network: true if it went into the receive ring, false if
 * it was dropped (counted in stats): the card stopped, a bad length, not
 * addressed to the card, monitor mode, or no room (ISR.OVW when the ring is
 * full; a ring that is not inside the RAM, or a CURR outside the ring, takes
 * nothing). A missed frame is tallied in CNTR2. */
bool ne2000_receive(struct ne2000 *n, const uint8_t *frame, unsigned len);

/* ---- Framework (devices/ne2000_snapshot.c). */
/* Save or restore every guest-visible field; a restore refuses a state the
 * model could not have reached (see struct ne2000's invariants). */
void ne2000_snapshot(struct ne2000 *n, struct snap *s);
/* One line of the VMM's statistics: frames sent, received and dropped. */
void ne2000_print_stats(const struct ne2000 *n);
/* The bus ops of the I/O BAR: ne2000_access. */
extern const struct bus_ops ne2000_bus_ops;

#endif
