/* tinykernel's NE2000 (RTL8029 on PCI) driver: registers, reset, PROM, transmit, the receive ring, interrupts. */
#ifndef TK_NE2000_H
#define TK_NE2000_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NE_VENDOR 0x10ec /* Realtek */
#define NE_DEVICE 0x8029 /* RTL8029 */
#define NE_PORTS 0x20    /* the I/O BAR the card needs at least */

/* DP8390 registers, page 0 unless marked (several read and write differently). */
enum {
    NE_CR = 0x00,     /* command: STP STA TXP RD0-2 PS0-1 */
    NE_PSTART = 0x01, /* first page of the receive ring */
    NE_PSTOP = 0x02,  /* the page after the ring */
    NE_BNRY = 0x03,   /* boundary: the last page the driver has read */
    NE_TPSR = 0x04,   /* write: transmit page start */
    NE_TSR = 0x04,    /* read: transmit status */
    NE_TBCR0 = 0x05,  /* transmit byte count */
    NE_TBCR1 = 0x06,
    NE_ISR = 0x07,   /* interrupt status; write 1s to clear */
    NE_RSAR0 = 0x08, /* remote DMA start address */
    NE_RSAR1 = 0x09,
    NE_RBCR0 = 0x0a, /* remote DMA byte count */
    NE_RBCR1 = 0x0b,
    NE_RCR = 0x0c,   /* write: receive configuration */
    NE_TCR = 0x0d,   /* write: transmit configuration */
    NE_CNTR0 = 0x0d, /* read: frame alignment error counter, cleared by reading */
    NE_DCR = 0x0e,   /* data configuration */
    NE_IMR = 0x0f,   /* interrupt mask */
    NE_PAR0 = 0x01,  /* page 1: the station address, 6 registers */
    NE_CURR = 0x07,  /* page 1: the page the card writes the next frame to */
    NE_MAR0 = 0x08,  /* page 1: multicast filter, 8 registers */
    NE_DATA = 0x10,  /* the NE2000's remote DMA data port */
    NE_RESET = 0x1f, /* read then write: reset the card */
};

/* CR bits. */
#define NE_CR_STP 0x01
#define NE_CR_STA 0x02
#define NE_CR_TXP 0x04
#define NE_CR_RREAD 0x08
#define NE_CR_RWRITE 0x10
#define NE_CR_NODMA 0x20
#define NE_CR_PAGE1 0x40

/* ISR and IMR bits. */
#define NE_ISR_PRX 0x01 /* frame received */
#define NE_ISR_PTX 0x02 /* frame transmitted */
#define NE_ISR_RXE 0x04 /* receive error */
#define NE_ISR_TXE 0x08 /* transmit error */
#define NE_ISR_OVW 0x10 /* receive ring overflow */
#define NE_ISR_CNT 0x20 /* counter overflow */
#define NE_ISR_RDC 0x40 /* remote DMA complete */
#define NE_ISR_RST 0x80 /* reset (or stopped) */
#define NE_IMR_ALL 0x3f /* everything but RDC, which the driver polls */

/* The card's 32 KiB of buffer memory is pages 0x40-0x7f (256 bytes each):
 * a 6-page transmit buffer, then the receive ring (as Linux's ne2k-pci). */
#define NE_TX_PAGE 0x40
#define NE_RX_START 0x46
#define NE_RX_STOP 0x80
#define NE_FRAME_MAX 1518 /* the longest frame handed over, with a VLAN tag (and room for a CRC) */

struct ne_stats {
    unsigned tx_frames, rx_frames, rx_dropped; /* dropped: a frame the card marked bad */
    unsigned rx_bad;          /* ring headers that made no sense (the ring was skipped to CURR) */
    unsigned overruns, wraps; /* ring overflows recovered from; times the read pointer wrapped */
    unsigned splits;          /* frames that ran past PSTOP into PSTART */
    unsigned irqs, irq_id;    /* interrupts taken, the ID of the last */
    uint8_t isr_seen;         /* every ISR bit ne_service has seen */
};
extern struct ne_stats ne_stats;
extern uint16_t ne_port; /* the card's I/O port base */

/* Register access at the card's ports. */
uint8_t ne_in(unsigned reg);
void ne_out(unsigned reg, uint8_t v);
/* A page 1 register, with page 0 selected again afterwards. */
uint8_t ne_in_page1(unsigned reg);

/* Does an NE2000 answer at port (Linux's probe: CR not 0xff, CNTR0 clears on read)? */
bool ne_probe(uint16_t port);
/* Use the card at port and reset it (port 0x1f); false if ISR.RST did not come. */
bool ne_reset(uint16_t port);
/* The station address PROM (32 bytes through remote DMA, word mode: bytes 0-15 are the PROM). */
bool ne_read_prom(uint8_t prom[32]);
/* Start the card with this station address and receive ring (pages pstart..pstop-1). */
void ne_start(const uint8_t mac[6], uint8_t pstart, uint8_t pstop);

/* Copy len bytes to or from card memory at addr through the data port. */
bool ne_dma_write(uint16_t addr, const void *buf, size_t len);
bool ne_dma_read(uint16_t addr, void *buf, size_t len);

/* Send one frame (padded to 60 bytes); false if the card did not take it. */
bool ne_transmit(const void *frame, size_t len);

/* Handle what ISR reports: received frames go to rx, an overflow is
 * recovered from, transmit completion is noted. Returns the ISR bits seen. */
typedef void (*ne_rx_handler)(const uint8_t *frame, size_t len);
uint8_t ne_service(ne_rx_handler rx);

/* Interrupts: the card's INTx arrives at GIC ID id. The handler masks the
 * card (IMR = 0) and sets ne_irq_pending; ne_service unmasks it again. */
void ne_irq_attach(unsigned id);
void ne_irq_detach(unsigned id);
void ne_irq(unsigned id); /* the handler, for programs that install their own */
extern volatile bool ne_irq_pending;

#endif
