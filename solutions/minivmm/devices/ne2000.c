/* Lab 5 reference, Task 3: the NE2000's DP8390 registers, its card memory and remote DMA through the data port, and the reset port. */
#include <minivmm/string.h>
#include <devices/ne2000.h>

/* A register's place: its page (CR bits 7:6) and offset, as one number. */
#define REG(page, off) ((page) << 4 | (off))

void ne2000_update_irq(struct ne2000 *n)
{
    bool level = (n->isr & n->imr & NE_ISR_IRQ_MASK) != 0;
    if (level != n->irq_level) {
        n->irq_level = level;
        if (n->backend.irq)
            n->backend.irq(n->backend.ctx, level);
    }
}

/* The PROM as QEMU's ne2k_pci lays it out: 16 bytes (the MAC, zeros, then
 * 0x57 0x57 at 14-15), each one doubled for the 16-bit bus. */
static void make_prom(struct ne2000 *n, const uint8_t mac[6])
{
    uint8_t rom[NE2000_PROM_SIZE / 2] = {0};
    memcpy(rom, mac, 6);
    rom[14] = rom[15] = NE2000_PROM_SIG;
    for (unsigned i = 0; i < ARRAY_SIZE(rom); i++)
        n->prom[2 * i] = n->prom[2 * i + 1] = rom[i];
}

void ne2000_reset(struct ne2000 *n, const uint8_t mac[6], const struct ne2000_backend *b)
{
    memset(n, 0, sizeof(*n));
    n->backend = *b;
    make_prom(n, mac);
    n->cr = NE_CR_RESET_VAL;
    n->isr = NE_ISR_RST;
}

/* The reset port (a read or a write): the DP8390's reset state. The other
 * registers, the PROM and the RAM keep their contents; the driver sets them
 * up again. */
static void port_reset(struct ne2000 *n)
{
    n->cr = NE_CR_RESET_VAL;
    n->isr = NE_ISR_RST;
    n->imr = 0;
    n->tcr &= ~NE_TCR_LOOPBACK;
    ne2000_update_irq(n);
}

/* ---- Card memory, one byte at a time: every address is checked. */

static uint8_t card_read(const struct ne2000 *n, uint16_t addr)
{
    if (addr < NE2000_PROM_SIZE)
        return n->prom[addr];
    if (addr >= NE2000_RAM_START && addr < NE2000_RAM_END)
        return n->ram[addr - NE2000_RAM_START];
    return 0xff;
}

static void card_write(struct ne2000 *n, uint16_t addr, uint8_t v)
{
    if (addr >= NE2000_RAM_START && addr < NE2000_RAM_END)
        n->ram[addr - NE2000_RAM_START] = v; /* the PROM is a ROM: writes to it are lost, as elsewhere */
}

/* ---- Remote DMA through the data port. */

/* One byte moved: RSAR steps on, and wraps from PSTOP to PSTART the way
 * QEMU's ne2000_dma_update does (a driver reads a frame that wraps in one
 * go); RBCR counts down, and at 0 the transfer is complete (RDC). */
static void dma_step(struct ne2000 *n)
{
    n->rsar++;
    if (n->rsar == (uint16_t)(n->pstop << 8))
        n->rsar = (uint16_t)(n->pstart << 8);
    if (--n->rbcr == 0)
        n->isr |= NE_ISR_RDC;
}

/* Bytes one access moves: its width, but at least a word in word mode (a
 * 1-byte access then reads the word's low byte, as ne2k-pci's PROM read
 * relies on); never more than RBCR has left. */
static unsigned dma_bytes(const struct ne2000 *n, unsigned width)
{
    unsigned want = (n->dcr & NE_DCR_WTS) && width < 2 ? 2 : width;
    return want < n->rbcr ? want : n->rbcr;
}

/* A data port read: the bytes at RSAR, little-endian; bytes past the
 * transfer's end (or with no remote read going on) read 0xff. */
static uint32_t data_read(struct ne2000 *n, unsigned width)
{
    uint32_t v = 0xffffffffu;
    unsigned k = ne2000_rd(n) == NE_CR_RD_READ ? dma_bytes(n, width) : 0;
    for (unsigned i = 0; i < k; i++) {
        v &= ~(0xffu << (8 * i));
        v |= (uint32_t)card_read(n, n->rsar) << (8 * i);
        dma_step(n);
    }
    ne2000_update_irq(n);
    return width == 4 ? v : v & ((1u << (8 * width)) - 1);
}

/* A data port write: the bytes go to card memory at RSAR while the transfer lasts. */
static void data_write(struct ne2000 *n, unsigned width, uint32_t v)
{
    if (width < 4)
        v &= (1u << (8 * width)) - 1; /* a word moved by a 1-byte write gets 0 above the byte */
    unsigned k = ne2000_rd(n) == NE_CR_RD_WRITE ? dma_bytes(n, width) : 0;
    for (unsigned i = 0; i < k; i++) {
        card_write(n, n->rsar, (uint8_t)(v >> (8 * i)));
        dma_step(n);
    }
    ne2000_update_irq(n);
}

/* ---- The registers. */

/* A tally counter read clears it; ISR.CNT stays while any counter has its top bit. */
static uint8_t read_tally(struct ne2000 *n, unsigned i)
{
    uint8_t v = n->cntr[i];
    n->cntr[i] = 0;
    if (!((n->cntr[0] | n->cntr[1] | n->cntr[2]) & 0x80))
        n->isr &= ~NE_ISR_CNT;
    ne2000_update_irq(n);
    return v;
}

static uint8_t read_reg(struct ne2000 *n, unsigned off)
{
    unsigned reg = REG(ne2000_page(n), off);
    if (off == NE_CR)
        return n->cr;
    if (reg >= REG(1, NE_PAR0) && reg < REG(1, NE_PAR0 + 6))
        return n->par[off - NE_PAR0];
    if (reg >= REG(1, NE_MAR0) && reg < REG(2, 0))
        return n->mar[off - NE_MAR0];
    switch (reg) {
    case REG(0, NE_BNRY): return n->bnry;
    case REG(0, NE_TSR): return n->tsr;
    case REG(0, NE_ISR): return n->isr;
    case REG(0, NE_CRDA0): return (uint8_t)n->rsar;
    case REG(0, NE_CRDA0 + 1): return (uint8_t)(n->rsar >> 8);
    case REG(0, NE_ID0): return 'P';
    case REG(0, NE_ID1): return 'C';
    case REG(0, NE_RSR): return n->rsr;
    case REG(0, NE_CNTR0):
    case REG(0, NE_CNTR1):
    case REG(0, NE_CNTR2): return read_tally(n, off - NE_CNTR0);
    case REG(1, NE_CURR): return n->curr;
    case REG(2, NE_P2_PSTART): return n->pstart;
    case REG(2, NE_P2_PSTOP): return n->pstop;
    case REG(2, NE_P2_RNPP): return n->bnry;
    case REG(2, NE_P2_TPSR): return n->tpsr;
    case REG(2, NE_P2_LNPP): return n->curr;
    case REG(2, NE_P2_RCR): return n->rcr;
    case REG(2, NE_P2_TCR): return n->tcr;
    case REG(2, NE_P2_DCR): return n->dcr;
    case REG(2, NE_P2_IMR): return n->imr;
    case REG(3, NE_P3_CONFIG2):
    case REG(3, NE_P3_CONFIG3): return 0x40;
    }
    return 0; /* NCR, FIFO, CONFIG0 and what the card does not decode */
}

/* CR: the page, the remote DMA command and start/stop. STP stops the card
 * (ISR.RST); clearing it starts the card, where a remote read or write with
 * RBCR 0 is complete at once and TXP sends a frame. */
static void write_cr(struct ne2000 *n, uint8_t v)
{
    n->cr = v;
    if (v & NE_CR_STP) {
        n->isr |= NE_ISR_RST;
    } else {
        n->isr &= ~NE_ISR_RST;
        unsigned rd = ne2000_rd(n);
        if ((rd == NE_CR_RD_READ || rd == NE_CR_RD_WRITE) && n->rbcr == 0)
            n->isr |= NE_ISR_RDC;
        if (v & NE_CR_TXP)
            ne2000_transmit(n);
    }
    n->cr &= ~NE_CR_TXP; /* sent at once, or not at all while stopped */
    ne2000_update_irq(n);
}

static void set_low(uint16_t *r, uint8_t v)
{
    *r = (uint16_t)((*r & 0xff00) | v);
}

static void set_high(uint16_t *r, uint8_t v)
{
    *r = (uint16_t)((*r & 0x00ff) | v << 8);
}

static void write_reg(struct ne2000 *n, unsigned off, uint8_t v)
{
    unsigned reg = REG(ne2000_page(n), off);
    if (off == NE_CR) {
        write_cr(n, v);
        return;
    }
    if (reg >= REG(1, NE_PAR0) && reg < REG(1, NE_PAR0 + 6)) {
        n->par[off - NE_PAR0] = v;
        return;
    }
    if (reg >= REG(1, NE_MAR0) && reg < REG(2, 0)) {
        n->mar[off - NE_MAR0] = v;
        return;
    }
    switch (reg) {
    case REG(0, NE_PSTART): n->pstart = v; break;
    case REG(0, NE_PSTOP): n->pstop = v; break;
    case REG(0, NE_BNRY): n->bnry = v; break;
    case REG(0, NE_TPSR): n->tpsr = v; break;
    case REG(0, NE_TBCR0): set_low(&n->tbcr, v); break;
    case REG(0, NE_TBCR1): set_high(&n->tbcr, v); break;
    case REG(0, NE_ISR):
        n->isr &= ~(v & NE_ISR_IRQ_MASK); /* RST is status, not an event: a write leaves it */
        ne2000_update_irq(n);
        break;
    case REG(0, NE_RSAR0): set_low(&n->rsar, v); break;
    case REG(0, NE_RSAR1): set_high(&n->rsar, v); break;
    case REG(0, NE_RBCR0): set_low(&n->rbcr, v); break;
    case REG(0, NE_RBCR1): set_high(&n->rbcr, v); break;
    case REG(0, NE_RCR): n->rcr = v & NE_RCR_MASK; break;
    case REG(0, NE_TCR): n->tcr = v & NE_TCR_MASK; break;
    case REG(0, NE_DCR): n->dcr = v & NE_DCR_MASK; break;
    case REG(0, NE_IMR):
        n->imr = v & NE_ISR_IRQ_MASK;
        ne2000_update_irq(n);
        break;
    case REG(1, NE_CURR): n->curr = v; break;
    default: break; /* pages 2 and 3 are read only here */
    }
}

enum bus_result ne2000_access(void *dev, struct bus_req *req)
{
    struct ne2000 *n = dev;
    uint32_t v = 0;
    if (req->width != 1 && req->width != 2 && req->width != 4)
        return BUS_ERROR;
    if (req->off >= NE2000_IO_SIZE)
        return BUS_NOT_MINE;
    if (req->off == NE2000_DATA) {
        if (req->write)
            data_write(n, req->width, req->val);
        else
            v = data_read(n, req->width);
    } else if (req->off == NE2000_RESET) {
        port_reset(n); /* reads 0 */
    } else if (req->off < NE2000_DATA) {
        if (req->write)
            write_reg(n, req->off, (uint8_t)req->val);
        else
            v = read_reg(n, req->off);
    }
    if (!req->write)
        req->val = v;
    return BUS_OK;
}
