/* The PL011 as a registered device: lab 3's model wired to the host console and an interrupt line, and its snapshot. */
#include <minivmm/alloc.h>
#include <minivmm/console.h>
#include <minivmm/console_escape.h>
#include <minivmm/device.h>
#include <minivmm/snapshot.h>
#include <minivmm/vm.h>
#include <devices/vpl011.h>

/* The guest's UART talks to the host's terminal through the VMM's own console;
 * what the host types passes the console escape (Ctrl-], console_escape.h) first. */
static void uart_tx(void *ctx, uint8_t c)
{
    (void)ctx;
    console_putc((char)c);
}

static int uart_rx(void *ctx)
{
    struct device *d = ctx;
    return console_escape_getc(d->vm);
}

static void uart_irq(void *ctx, bool level)
{
    struct device *d = ctx;
    irq_line_set(&d->irq, level);
}

static void console_poll(void *dev)
{
    vpl011_poll(dev);
}

static bool console_can_take(const void *dev)
{
    return vpl011_can_take(dev);
}

/* The board's console UART: host input goes to it. */
static void *pl011_create(struct device *d)
{
    struct vpl011 *u = mv_calloc(1, sizeof(*u));
    if (u)
        d->vm->console = (struct console_sink){console_poll, console_can_take, u};
    return u;
}

/* The interrupt output goes to the guest's GIC once lab 4 is done; before
 * that its level is kept by the model only. */
static void pl011_reset(struct device *d)
{
    struct vpl011_backend b = {uart_tx, uart_rx, d->irq.set ? uart_irq : NULL, d};
    vpl011_reset(d->state, &b);
}

/* Every register and the receive FIFO; the backend is wiring, not state. */
static void pl011_snapshot(void *state, struct snap *s)
{
    struct vpl011 *u = state;
    uint32_t *regs[] = {&u->cr,   &u->lcr_h, &u->ibrd,  &u->fbrd, &u->ifls,
                        &u->imsc, &u->ris,   &u->dmacr, &u->ilpr, &u->rsr};
    for (unsigned i = 0; i < ARRAY_SIZE(regs); i++)
        snap_u32(s, regs[i]);
    for (unsigned i = 0; i < VPL011_FIFO; i++)
        snap_u16(s, &u->rx_fifo[i]);
    snap_u8(s, &u->rx_head);
    snap_u8(s, &u->rx_count);
    snap_bool(s, &u->irq_level);
    snap_check(s, u->rx_head < VPL011_FIFO && u->rx_count <= VPL011_FIFO);
}

DEVICE_TYPE(pl011) = {
    .name = "pl011",
    .snap_version = 1,
    .create = pl011_create,
    .reset = pl011_reset,
    .rw = &vpl011_ops, /* lab 3's model: a read/write pair */
    .snapshot = pl011_snapshot,
};
