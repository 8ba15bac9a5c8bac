/* Lab 3 reference: the guest's PL011 UART: transmit to the host, a receive FIFO fed from the host, and the interrupt logic. */
#include <minivmm/string.h>
#include <devices/vpl011.h>

static const uint8_t periph_id[4] = {0x11, 0x10, 0x14, 0x00}; /* PL011, ARM, revision 1 (as QEMU's model) */
static const uint8_t pcell_id[4] = {0x0d, 0xf0, 0x05, 0xb1};  /* PrimeCell */

/* RX interrupt trigger level (IFLS.RXIFLSEL): 1/8, 1/4, 1/2, 3/4, 7/8 full. */
static unsigned rx_trigger(const struct vpl011 *u)
{
    static const uint8_t eighths[8] = {1, 2, 4, 6, 7, 4, 4, 4};
    if (!(u->lcr_h & LCR_H_FEN))
        return 1;
    return VPL011_FIFO * eighths[(u->ifls >> 3) & 7] / 8;
}

/* The interrupt output is the OR of the masked status (MIS); tell the backend on a change. */
static void update_irq(struct vpl011 *u)
{
    bool level = (u->ris & u->imsc) != 0;
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->backend.irq)
            u->backend.irq(u->backend.ctx, level);
    }
}

/* Receive status from the FIFO level: RX at the trigger level, RT (timeout)
 * while anything waits. Time in the VM is virtual, so the timeout is immediate. */
static void update_rx_status(struct vpl011 *u)
{
    u->ris &= ~(UART_INT_RX | UART_INT_RT);
    if (u->rx_count >= rx_trigger(u))
        u->ris |= UART_INT_RX;
    if (u->rx_count)
        u->ris |= UART_INT_RT;
    update_irq(u);
}

void vpl011_reset(struct vpl011 *u, const struct vpl011_backend *backend)
{
    memset(u, 0, sizeof(*u));
    u->backend = *backend;
    u->cr = CR_UARTEN | CR_TXE | CR_RXE;
    u->ifls = 0x12; /* both trigger levels at 1/2 */
}

void vpl011_poll(struct vpl011 *u)
{
    while (u->backend.rx && vpl011_can_take(u)) {
        int c = u->backend.rx(u->backend.ctx);
        if (c < 0)
            break;
        u->rx_fifo[(u->rx_head + u->rx_count) % VPL011_FIFO] = (uint16_t)(c & 0xff);
        u->rx_count++;
    }
    update_rx_status(u);
}

static uint32_t read_dr(struct vpl011 *u)
{
    vpl011_poll(u);
    if (!u->rx_count)
        return 0;
    uint32_t c = u->rx_fifo[u->rx_head];
    u->rx_head = (u->rx_head + 1) % VPL011_FIFO;
    u->rx_count--;
    u->rsr = (c >> 8) & 0xf;
    vpl011_poll(u); /* room again: take the next character from the host */
    return c;
}

static uint32_t read_fr(struct vpl011 *u)
{
    vpl011_poll(u);
    uint32_t fr = FR_TXFE; /* transmission is immediate: the TX FIFO is always empty */
    if (!u->rx_count)
        fr |= FR_RXFE;
    if (u->rx_count >= vpl011_fifo_depth(u))
        fr |= FR_RXFF;
    return fr;
}

static uint32_t read_reg(struct vpl011 *u, uint32_t off)
{
    switch (off) {
    case UART_DR: return read_dr(u);
    case UART_RSR: return u->rsr;
    case UART_FR: return read_fr(u);
    case UART_ILPR: return u->ilpr;
    case UART_IBRD: return u->ibrd;
    case UART_FBRD: return u->fbrd;
    case UART_LCR_H: return u->lcr_h;
    case UART_CR: return u->cr;
    case UART_IFLS: return u->ifls;
    case UART_IMSC: return u->imsc;
    case UART_RIS: return u->ris;
    case UART_MIS: return u->ris & u->imsc;
    case UART_DMACR: return u->dmacr;
    }
    if (off >= UART_PERIPHID0 && off < UART_PERIPHID0 + 16)
        return periph_id[(off - UART_PERIPHID0) / 4];
    if (off >= UART_PCELLID0)
        return pcell_id[(off - UART_PCELLID0) / 4];
    return 0; /* reserved: reads as zero */
}

static void write_dr(struct vpl011 *u, uint32_t v)
{
    if ((u->cr & (CR_UARTEN | CR_TXE)) != (CR_UARTEN | CR_TXE))
        return; /* a disabled transmitter sends nothing */
    if (u->backend.tx)
        u->backend.tx(u->backend.ctx, (uint8_t)v);
    u->ris |= UART_INT_TX; /* sent at once: the FIFO is below its trigger level again */
    update_irq(u);
}

static void write_reg(struct vpl011 *u, uint32_t off, uint32_t v)
{
    switch (off) {
    case UART_DR: write_dr(u, v); break;
    case UART_RSR: u->rsr = 0; break; /* ECR: any write clears the errors */
    case UART_ILPR: u->ilpr = v & 0xff; break;
    case UART_IBRD: u->ibrd = v & 0xffff; break;
    case UART_FBRD: u->fbrd = v & 0x3f; break;
    case UART_LCR_H:
        u->lcr_h = v & 0xff;
        vpl011_poll(u);
        break;
    case UART_CR:
        u->cr = v & 0xff87;
        vpl011_poll(u);
        break;
    case UART_IFLS:
        u->ifls = v & 0x3f;
        vpl011_poll(u);
        break;
    case UART_IMSC:
        u->imsc = v & UART_INT_ALL;
        update_irq(u);
        break;
    case UART_ICR:
        u->ris &= ~(v & UART_INT_ALL);
        update_irq(u);
        break;
    case UART_DMACR: u->dmacr = v & 7; break;
    default: break; /* read-only and reserved registers ignore writes */
    }
}

bool vpl011_read(void *dev, uint32_t off, unsigned width, uint32_t *val)
{
    uint32_t v = read_reg(dev, off & ~3u) >> (8 * (off & 3));
    *val = width == 4 ? v : v & ((1u << (8 * width)) - 1);
    return true;
}

bool vpl011_write(void *dev, uint32_t off, unsigned width, uint32_t val)
{
    (void)width;
    if (off & 3)
        return true; /* a write to the middle of a register: ignored */
    write_reg(dev, off, val);
    return true;
}

/* The device-tree node and its compatible come from the board (arch/arm/board.c). */
const struct mmio_ops vpl011_ops = {"pl011", NULL, vpl011_read, vpl011_write, 0};
