/* Lab 3: the guest's PL011 UART (ARM DDI 0183): registers, a receive FIFO, and its interrupt line. */
#ifndef DEVICES_VPL011_H
#define DEVICES_VPL011_H

#include <minivmm/mmio.h>
#include <minivmm/types.h>

/* Register offsets (PL011 TRM, table 3-1). */
#define UART_DR          0x000
#define UART_RSR         0x004 /* read: receive status; write: error clear (ECR) */
#define UART_FR          0x018
#define UART_ILPR        0x020
#define UART_IBRD        0x024
#define UART_FBRD        0x028
#define UART_LCR_H       0x02c
#define UART_CR          0x030
#define UART_IFLS        0x034
#define UART_IMSC        0x038
#define UART_RIS         0x03c
#define UART_MIS         0x040
#define UART_ICR         0x044
#define UART_DMACR       0x048
#define UART_PERIPHID0   0xfe0 /* four ID words from here: 0x11 0x10 0x14 0x00 (PL011, revision 1, as QEMU's) */
#define UART_PCELLID0    0xff0 /* four ID words from here: 0x0d 0xf0 0x05 0xb1 */
#define UART_REGION_SIZE 0x1000

/* FR bits. */
#define FR_BUSY (1u << 3)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define FR_RXFF (1u << 6)
#define FR_TXFE (1u << 7)
/* Interrupt bits, the same in IMSC, RIS, MIS and ICR. */
#define UART_INT_RX  (1u << 4)
#define UART_INT_TX  (1u << 5)
#define UART_INT_RT  (1u << 6)  /* receive timeout */
#define UART_INT_OE  (1u << 10) /* overrun */
#define UART_INT_ALL 0x7ffu
/* CR bits. */
#define CR_UARTEN (1u << 0)
#define CR_TXE    (1u << 8)
#define CR_RXE    (1u << 9)
#define LCR_H_FEN (1u << 4) /* FIFOs enabled: 16 entries, else a 1-character holding register */

#define VPL011_FIFO 16

/* What the UART is connected to: the host's terminal and an interrupt line. */
struct vpl011_backend {
    void (*tx)(void *ctx, uint8_t c);   /* a character the guest sent */
    int (*rx)(void *ctx);               /* the next character from the host, or -1 for none now */
    void (*irq)(void *ctx, bool level); /* the UART's interrupt output changed level */
    void *ctx;
};

/* Everything the guest can observe: what a snapshot would save. */
struct vpl011 {
    uint32_t cr, lcr_h, ibrd, fbrd, ifls, imsc, ris, dmacr, ilpr, rsr;
    uint16_t rx_fifo[VPL011_FIFO]; /* character | error bits 11:8, as DR returns it */
    uint8_t rx_head, rx_count;
    bool irq_level; /* the last level given to backend.irq */
    struct vpl011_backend backend;
};

/* The receive FIFO's depth: 16 with LCR_H.FEN, else the 1-character holding register. */
static inline unsigned vpl011_fifo_depth(const struct vpl011 *u)
{
    return (u->lcr_h & LCR_H_FEN) ? VPL011_FIFO : 1;
}

/* Would the UART take a received character now: receiving (CR.UARTEN and
 * RXE) with room in its FIFO? (The model's poll, and minivmm's host input.) */
static inline bool vpl011_can_take(const struct vpl011 *u)
{
    return (u->cr & (CR_UARTEN | CR_RXE)) == (CR_UARTEN | CR_RXE) && u->rx_count < vpl011_fifo_depth(u);
}

/* ---- Lab 3 student functions (devices/vpl011.c). */
/* Reset values (TRM 3.2); the UART comes up enabled for transmit and receive, as
 * firmware leaves it for an OS console (CR = UARTEN | TXE | RXE). */
void vpl011_reset(struct vpl011 *u, const struct vpl011_backend *backend);
/* Register access at byte offset off (4-byte aligned registers; 1, 2 and 4-byte
 * accesses at a register's offset read its low bits / write it). Reserved
 * offsets read as zero and ignore writes. */
bool vpl011_read(void *dev, uint32_t off, unsigned width, uint32_t *val);
bool vpl011_write(void *dev, uint32_t off, unsigned width, uint32_t val);
/* Move characters from the backend into the FIFO while it has room (none is
 * ever lost) and update the interrupt. Called before FR/DR reads and by the VMM. */
void vpl011_poll(struct vpl011 *u);

extern const struct mmio_ops vpl011_ops;

#endif
