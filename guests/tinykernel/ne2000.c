/* tinykernel's NE2000 (RTL8029 on PCI) driver: reset, PROM, remote DMA, transmit, the receive ring and its overflow, interrupts.
 *
 * Modelled on what Linux's ne2k-pci and 8390 drivers do. The card has 32 KiB
 * of buffer memory the CPU cannot address: the driver reaches it through
 * "remote DMA" (set an address and a count, then read or write the data port)
 * and tells the chip's "local DMA" where to transmit from (TPSR) and which
 * ring of 256-byte pages to receive into (PSTART..PSTOP). The card writes each
 * frame at CURR behind a 4-byte header (status, next page, byte count); the
 * driver reads frames up to CURR and moves BNRY behind what it has read. */
#include "kernel.h"
#include "ne2000.h"
#include "pci.h"
#include "timer.h"

#define NE_DCR_WORD 0x49      /* DCR: word transfers, normal operation (LS), FIFO threshold 8 bytes */
#define NE_RCR_BROADCAST 0x04 /* RCR: our address and broadcasts */
#define NE_RCR_MONITOR 0x20   /* RCR: check frames, store none */
#define NE_TCR_NORMAL 0x00
#define NE_TCR_LOOPBACK 0x02 /* TCR: internal loopback, nothing reaches the wire */
#define NE_RSR_OK 0x01       /* frame header status: received intact */
#define NE_MIN_FRAME 60      /* Ethernet's minimum, without the CRC the card adds */
#define NE_TX_MAX 1514

uint16_t ne_port;
struct ne_stats ne_stats;
volatile bool ne_irq_pending;
static uint8_t rx_start, rx_stop, rx_next;     /* the ring, and the page of the next frame to read */
static uint8_t imr;                            /* the interrupts ne_service unmasks again */
static bool recovering;                        /* in an overflow's recovery: the card is in loopback */
static uint32_t frame[(NE_FRAME_MAX + 3) / 4]; /* one received frame */

static uint64_t after_us(unsigned us) { return cntvct() + (uint64_t)cntfrq() * us / 1000000; }

uint8_t ne_in(unsigned reg) { return inb((uint16_t)(ne_port + reg)); }
void ne_out(unsigned reg, uint8_t v) { outb(v, (uint16_t)(ne_port + reg)); }

/* Interrupts off while page 1 is selected: the handler writes IMR, which is MAR7 there. */
static uint32_t irq_save(void)
{
    uint32_t cpsr;
    __asm__ volatile("mrs %0, cpsr\n\tcpsid i" : "=r"(cpsr)::"memory");
    return cpsr;
}

static void irq_restore(uint32_t cpsr)
{
    if (!(cpsr & 0x80))
        irq_on();
}

uint8_t ne_in_page1(unsigned reg)
{
    uint32_t s = irq_save();
    uint8_t run = ne_in(NE_CR) & (NE_CR_STP | NE_CR_STA);
    ne_out(NE_CR, run | NE_CR_NODMA | NE_CR_PAGE1);
    uint8_t v = ne_in(reg);
    ne_out(NE_CR, run | NE_CR_NODMA);
    irq_restore(s);
    return v;
}

/* Wait until ISR shows bit, for at most us microseconds. */
static bool wait_isr(uint8_t bit, unsigned us)
{
    uint64_t end = after_us(us);
    while (!(ne_in(NE_ISR) & bit))
        if (cntvct() > end)
            return false;
    return true;
}

bool ne_probe(uint16_t port)
{
    uint8_t cr = inb(port + NE_CR);
    if (cr == 0xff)
        return false; /* nothing decodes the port: a read of nothing is all ones */
    outb(NE_CR_NODMA | NE_CR_PAGE1 | NE_CR_STP, port + NE_CR);
    uint8_t mar5 = inb(port + 0x0d);
    outb(0xff, port + 0x0d);
    outb(NE_CR_NODMA, port + NE_CR); /* page 0, where 0x0d reads CNTR0 */
    (void)inb(port + NE_CNTR0);      /* reading clears the counter */
    if (inb(port + NE_CNTR0) == 0)
        return true;
    outb(cr, port + NE_CR);
    outb(mar5, port + 0x0d);
    return false;
}

bool ne_reset(uint16_t port)
{
    ne_port = port;
    ne_out(NE_RESET, ne_in(NE_RESET));
    if (!wait_isr(NE_ISR_RST, 10000))
        return false;
    ne_out(NE_ISR, 0xff);
    return true;
}

/* Linux's ne2k-pci reads the PROM with this sequence (the card stopped, in
 * monitor and loopback mode), then 32 byte reads of the data port. In word
 * mode each read consumes a word, and the card stores every PROM byte twice:
 * the reads return PROM bytes 0-15. */
static const uint8_t prom_sequence[][2] = {
    {NE_CR, NE_CR_NODMA | NE_CR_STP},
    {NE_DCR, NE_DCR_WORD},
    {NE_RBCR0, 0},
    {NE_RBCR1, 0},
    {NE_IMR, 0},
    {NE_ISR, 0xff},
    {NE_RCR, NE_RCR_MONITOR},
    {NE_TCR, NE_TCR_LOOPBACK},
    {NE_RBCR0, 32},
    {NE_RBCR1, 0},
    {NE_RSAR0, 0},
    {NE_RSAR1, 0},
    {NE_CR, NE_CR_RREAD | NE_CR_STA},
};

bool ne_read_prom(uint8_t prom[32])
{
    for (unsigned i = 0; i < sizeof(prom_sequence) / sizeof(prom_sequence[0]); i++)
        ne_out(prom_sequence[i][0], prom_sequence[i][1]);
    for (unsigned i = 0; i < 32; i++)
        prom[i] = ne_in(NE_DATA);
    bool done = ne_in(NE_ISR) & NE_ISR_RDC;
    ne_out(NE_ISR, NE_ISR_RDC);
    return done;
}

/* Stopped, loopback, the ring and the station address set, then started (Linux's NS8390_init). */
void ne_start(const uint8_t mac[6], uint8_t pstart, uint8_t pstop)
{
    uint32_t s = irq_save();
    ne_out(NE_CR, NE_CR_NODMA | NE_CR_STP);
    ne_out(NE_DCR, NE_DCR_WORD);
    ne_out(NE_RBCR0, 0);
    ne_out(NE_RBCR1, 0);
    ne_out(NE_RCR, NE_RCR_MONITOR);
    ne_out(NE_TCR, NE_TCR_LOOPBACK);
    ne_out(NE_TPSR, NE_TX_PAGE);
    ne_out(NE_PSTART, pstart);
    ne_out(NE_PSTOP, pstop);
    ne_out(NE_BNRY, pstop - 1);
    ne_out(NE_ISR, 0xff);
    ne_out(NE_IMR, 0);
    ne_out(NE_CR, NE_CR_NODMA | NE_CR_PAGE1 | NE_CR_STP);
    for (unsigned i = 0; i < 6; i++)
        ne_out(NE_PAR0 + i, mac[i]);
    for (unsigned i = 0; i < 8; i++)
        ne_out(NE_MAR0 + i, 0);
    ne_out(NE_CURR, pstart);
    ne_out(NE_CR, NE_CR_NODMA | NE_CR_STA);
    rx_start = rx_next = pstart;
    rx_stop = pstop;
    ne_out(NE_ISR, 0xff);
    ne_out(NE_IMR, imr);
    ne_out(NE_TCR, NE_TCR_NORMAL);
    ne_out(NE_RCR, NE_RCR_BROADCAST);
    irq_restore(s);
}

/* ---- Remote DMA: count bytes (even: the card moves words) from or to addr. */
static void dma_begin(uint16_t addr, size_t count, uint8_t direction)
{
    ne_out(NE_CR, NE_CR_NODMA | NE_CR_STA);
    ne_out(NE_RBCR0, count & 0xff);
    ne_out(NE_RBCR1, (uint8_t)(count >> 8));
    ne_out(NE_RSAR0, addr & 0xff);
    ne_out(NE_RSAR1, (uint8_t)(addr >> 8));
    ne_out(NE_CR, direction | NE_CR_STA);
}

/* The card sets ISR.RDC once the count is done. */
static bool dma_end(void)
{
    bool done = wait_isr(NE_ISR_RDC, 2000);
    ne_out(NE_ISR, NE_ISR_RDC);
    return done;
}

/* Bytes of the little-endian word v that fall inside buf[0..len). */
static void put_bytes(uint8_t *buf, size_t at, size_t len, uint32_t v, unsigned n)
{
    for (unsigned k = 0; k < n && at + k < len; k++)
        buf[at + k] = (uint8_t)(v >> 8 * k);
}

static uint32_t get_bytes(const uint8_t *buf, size_t at, size_t len, unsigned n)
{
    uint32_t v = 0;
    for (unsigned k = 0; k < n && at + k < len; k++)
        v |= (uint32_t)buf[at + k] << 8 * k;
    return v;
}

/* As ne2k-pci: 32-bit accesses of the data port, then a trailing 16-bit one. */
bool ne_dma_read(uint16_t addr, void *buf, size_t len)
{
    size_t count = (len + 1) & ~(size_t)1, i = 0;
    dma_begin(addr, count, NE_CR_RREAD);
    for (; i + 4 <= count; i += 4)
        put_bytes(buf, i, len, inl(ne_port + NE_DATA), 4);
    if (i < count)
        put_bytes(buf, i, len, inw(ne_port + NE_DATA), 2);
    return dma_end();
}

/* len bytes of buf, then zeros up to count. */
static bool dma_write(uint16_t addr, const uint8_t *buf, size_t len, size_t count)
{
    size_t i = 0;
    count = (count + 1) & ~(size_t)1;
    dma_begin(addr, count, NE_CR_RWRITE);
    for (; i + 4 <= count; i += 4)
        outl(get_bytes(buf, i, len, 4), ne_port + NE_DATA);
    if (i < count)
        outw((uint16_t)get_bytes(buf, i, len, 2), ne_port + NE_DATA);
    return dma_end();
}

bool ne_dma_write(uint16_t addr, const void *buf, size_t len) { return dma_write(addr, buf, len, len); }

/* ---- Transmit: copy the frame into the transmit buffer, then TXP. */
bool ne_transmit(const void *f, size_t len)
{
    size_t n = len < NE_MIN_FRAME ? NE_MIN_FRAME : len;
    if (len > NE_TX_MAX || recovering)
        return false; /* during an overflow's recovery the card is in loopback */
    uint64_t end = after_us(10000);
    while (ne_in(NE_CR) & NE_CR_TXP) /* the previous frame is still going out */
        if (cntvct() > end)
            return false;
    if (!dma_write(NE_TX_PAGE << 8, f, len, n))
        return false;
    ne_out(NE_TPSR, NE_TX_PAGE);
    ne_out(NE_TBCR0, n & 0xff);
    ne_out(NE_TBCR1, (uint8_t)(n >> 8));
    ne_out(NE_CR, NE_CR_NODMA | NE_CR_TXP | NE_CR_STA);
    ne_stats.tx_frames++;
    return true;
}

/* ---- Receive. */

/* BNRY trails the next frame to read by one page, so that the card stops
 * (and reports an overflow) before it overwrites a frame not read yet. */
static void advance(uint8_t next)
{
    if (next < rx_next)
        ne_stats.wraps++;
    rx_next = next;
    ne_out(NE_BNRY, next == rx_start ? rx_stop - 1 : next - 1);
}

/* The header's next page must follow the frame: the frame's pages from
 * rx_next, or one more (QEMU's card keeps room for a CRC it does not store). */
static bool header_ok(unsigned next, unsigned count)
{
    unsigned ring = rx_stop - rx_start, pages = (count + 255) >> 8;
    if (next < rx_start || next >= rx_stop || count < 4 + 14 || count > 4 + NE_FRAME_MAX)
        return false;
    unsigned used = (next + ring - rx_next) % ring;
    return used == pages % ring || used == (pages + 1) % ring;
}

/* The frame at rx_next: header, then the data (which the card's remote DMA
 * wraps from PSTOP to PSTART by itself). False if the header is nonsense. */
static bool receive_one(ne_rx_handler rx)
{
    uint8_t h[4];
    ne_dma_read(rx_next << 8, h, 4);
    unsigned status = h[0], next = h[1], count = h[2] | (unsigned)h[3] << 8;
    if (!header_ok(next, count))
        return false;
    size_t len = count - 4;
    if (rx_next + ((count + 255) >> 8) > rx_stop)
        ne_stats.splits++;
    if ((status & 0x0f) == NE_RSR_OK && ne_dma_read((uint16_t)((rx_next << 8) + 4), frame, len)) {
        ne_stats.rx_frames++;
        if (rx)
            rx((const uint8_t *)frame, len);
    } else {
        ne_stats.rx_dropped++;
    }
    advance((uint8_t)next);
    return true;
}

/* Every frame up to CURR (at most a ring's worth: a hostile card cannot keep us here). */
static void receive(ne_rx_handler rx)
{
    ne_out(NE_ISR, NE_ISR_PRX | NE_ISR_RXE);
    for (unsigned n = 0; n < 128; n++) {
        uint8_t curr = ne_in_page1(NE_CURR);
        if (curr == rx_next)
            return;
        if (!receive_one(rx)) { /* as Linux: give up on what is in the ring */
            ne_stats.rx_bad++;
            advance(curr < rx_start || curr >= rx_stop ? rx_start : curr);
            return;
        }
    }
}

/* The ring overflowed and the card stopped receiving. The DP8390
 * datasheet's recovery, as Linux's ei_rx_overrun: stop, wait out a frame,
 * clear the remote byte count, note whether a transmission was cut short,
 * restart in loopback, empty the ring, acknowledge, leave loopback, resend. */
static void overrun(ne_rx_handler rx)
{
    bool was_txing = ne_in(NE_CR) & NE_CR_TXP;
    recovering = true;
    ne_out(NE_CR, NE_CR_NODMA | NE_CR_STP);
    for (uint64_t end = after_us(1600); cntvct() < end;)
        ;
    ne_out(NE_RBCR0, 0);
    ne_out(NE_RBCR1, 0);
    bool resend = was_txing && !(ne_in(NE_ISR) & (NE_ISR_PTX | NE_ISR_TXE));
    ne_out(NE_TCR, NE_TCR_LOOPBACK);
    ne_out(NE_CR, NE_CR_NODMA | NE_CR_STA);
    receive(rx);
    ne_out(NE_ISR, NE_ISR_OVW);
    ne_out(NE_TCR, NE_TCR_NORMAL);
    if (resend)
        ne_out(NE_CR, NE_CR_NODMA | NE_CR_TXP | NE_CR_STA);
    recovering = false;
    ne_stats.overruns++;
}

uint8_t ne_service(ne_rx_handler rx)
{
    ne_irq_pending = false;
    uint8_t isr = ne_in(NE_ISR);
    ne_stats.isr_seen |= isr;
    if (isr & NE_ISR_OVW)
        overrun(rx);
    else if (isr & (NE_ISR_PRX | NE_ISR_RXE))
        receive(rx);
    if (isr & (NE_ISR_PTX | NE_ISR_TXE))
        ne_out(NE_ISR, isr & (NE_ISR_PTX | NE_ISR_TXE));
    if (isr & NE_ISR_CNT) { /* reading the three tally counters clears them */
        for (unsigned r = 0x0d; r <= 0x0f; r++)
            (void)ne_in(r);
        ne_out(NE_ISR, NE_ISR_CNT);
    }
    if (imr)
        ne_out(NE_IMR, imr); /* unmask what the handler masked */
    return isr;
}

/* ---- Interrupts. The handler only masks the card (IMR = 0, which lowers its
 * level-triggered line) and leaves the work to ne_service, as NAPI does. */
void ne_irq(unsigned id)
{
    ne_out(NE_IMR, 0);
    ne_irq_pending = true;
    ne_stats.irqs++;
    ne_stats.irq_id = id;
}

void ne_irq_attach(unsigned id)
{
    imr = NE_IMR_ALL;
    gic_enable(id, 0x80, ne_irq);
    ne_out(NE_IMR, imr);
}

void ne_irq_detach(unsigned id)
{
    imr = 0;
    ne_out(NE_IMR, 0);
    gic_disable(id);
}
