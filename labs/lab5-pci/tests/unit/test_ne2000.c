/* Lab 5 graded unit tests of the NE2000 (minivmm/devices/ne2000.c, Task 3; ne2000_ring.c, Task 4), with the hostile guests of QEMU's NE2000 CVEs; the grader runs one case with CK_RUN_CASE=<name>.
 *
 * Expected values: the DP8390D datasheet (registers, CR, ISR, the tally
 * counters, the ring's header), QEMU's hw/net/ne2000.c (the PROM, remote DMA
 * widths and wrap, the pages a frame takes), Linux's ne2k-pci.c and
 * lib8390.c (the probe, NS8390_init, block input and output), and the
 * contract in devices/ne2000.h for what a hostile guest gets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <devices/ne2000.h>
#include "lab5.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t OTHER[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static const uint8_t NEAR[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57}; /* MAC but its last byte */
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
/* 01:00:5e:00:00:01 hashes to MAR bit 31 (MAR3 bit 7), 33:33:00:00:00:01 to bit 62 (MAR7 bit 6):
 * the top 6 bits of the big-endian CRC-32, computed independently in Python. */
static const uint8_t MCAST[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t MCAST6[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

#define RX_START  0x4c /* Linux's ne2k-pci: 12 transmit pages from 0x40, the ring up to 0x80 */
#define RX_STOP   0x80
#define TX_PAGE   0x40
#define RAM(addr) (nic->ram + ((addr)-NE2000_RAM_START))

/* ---- The card under test, on the heap so that ASan sees an access past its RAM
 * (the struct's last member), and what it sent and signalled. */

static struct ne2000 *nic;

static struct {
    uint8_t frame[4][2048];
    unsigned len[4];
    unsigned frames;
    bool level;
    unsigned irq_calls;
} be;

static void be_send(void *ctx, const uint8_t *frame, unsigned len)
{
    ck_assert_ptr_eq(ctx, &be);
    /* The frame lies in the card's RAM. */
    ck_assert(frame >= nic->ram && frame + len <= nic->ram + NE2000_RAM_SIZE);
    if (be.frames < ARRAY_SIZE(be.frame) && len <= sizeof(be.frame[0])) {
        memcpy(be.frame[be.frames], frame, len);
        be.len[be.frames] = len;
    }
    be.frames++;
}

static void be_irq(void *ctx, bool level)
{
    ck_assert_ptr_eq(ctx, &be);
    ck_assert_msg(level != be.level, "the interrupt output was told %d twice", level);
    be.level = level;
    be.irq_calls++;
}

static const struct ne2000_backend backend = {be_send, be_irq, &be};

static void nic_setup(void)
{
    memset(&be, 0, sizeof(be));
    nic = malloc(sizeof(*nic));
    ck_assert_ptr_nonnull(nic);
    memset(nic, 0xa5, sizeof(*nic)); /* what reset must clear */
    ne2000_reset(nic, MAC, &backend);
}

static void nic_teardown(void)
{
    free(nic);
    nic = NULL;
}

static uint32_t io(uint32_t off, unsigned width, bool write, uint32_t val)
{
    struct bus_req r = {.off = off, .width = (uint8_t)width, .write = write, .val = val};
    ck_assert_int_eq(ne2000_access(nic, &r), BUS_OK);
    if (!write && width < 4)
        ck_assert_msg(r.val >> (8 * width) == 0, "a %u-byte read at %#x gives %#x", width, off, r.val);
    return r.val;
}

static uint8_t rd(unsigned off)
{
    return (uint8_t)io(off, 1, false, 0);
}

static void wr(unsigned off, uint8_t v)
{
    io(off, 1, true, v);
}

/* A register of another page, as Linux reads one: that page with no remote DMA (E8390_NODMA), then
 * page 0 again; the card stays started or stopped. */
static uint8_t rd_page(unsigned page, unsigned off)
{
    uint8_t run = rd(NE_CR) & (NE_CR_STA | NE_CR_STP);
    wr(NE_CR, (uint8_t)(page << 6 | 0x20 | run));
    uint8_t v = rd(off);
    wr(NE_CR, (uint8_t)(0x20 | run));
    return v;
}

static void set_rbcr(uint16_t count)
{
    wr(NE_RBCR0, (uint8_t)count);
    wr(NE_RBCR1, (uint8_t)(count >> 8));
}

static void set_rsar(uint16_t addr)
{
    wr(NE_RSAR0, (uint8_t)addr);
    wr(NE_RSAR1, (uint8_t)(addr >> 8));
}

static uint16_t rsar(void)
{
    return (uint16_t)(rd(NE_CRDA0) | rd(NE_CRDA0 + 1) << 8);
}

/* Remote DMA as ne2k-pci's block output and input do it: 4-byte accesses, then a word and a byte. */
static void dma_start(uint8_t cmd, uint16_t addr, uint16_t count)
{
    wr(NE_CR, 0x22);
    set_rbcr(count);
    set_rsar(addr);
    wr(NE_CR, cmd);
}

static uint32_t le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static void dma_write(uint16_t addr, const uint8_t *buf, unsigned count)
{
    dma_start(0x12, addr, (uint16_t)count);
    unsigned i = 0;
    for (; i + 4 <= count; i += 4)
        io(NE2000_DATA, 4, true, le(buf + i, 4));
    if (count & 2)
        io(NE2000_DATA, 2, true, le(buf + i, 2)), i += 2;
    if (count & 1)
        io(NE2000_DATA, 1, true, buf[i]);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_RDC, NE_ISR_RDC);
    wr(NE_ISR, NE_ISR_RDC);
}

static void dma_read(uint16_t addr, uint8_t *buf, unsigned count)
{
    dma_start(0x0a, addr, (uint16_t)count);
    unsigned i = 0;
    for (; i + 4 <= count; i += 4) {
        uint32_t v = io(NE2000_DATA, 4, false, 0);
        for (unsigned b = 0; b < 4; b++)
            buf[i + b] = (uint8_t)(v >> (8 * b));
    }
    if (count & 2) {
        uint32_t v = io(NE2000_DATA, 2, false, 0);
        buf[i++] = (uint8_t)v;
        buf[i++] = (uint8_t)(v >> 8);
    }
    if (count & 1)
        buf[i] = (uint8_t)io(NE2000_DATA, 1, false, 0);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_RDC, NE_ISR_RDC);
    wr(NE_ISR, NE_ISR_RDC);
}

/* NS8390_init(dev, 1) of Linux's lib8390.c and ne2k-pci's open: the ring at
 * 0x4c-0x7f with BNRY on its last page and CURR on its first, interrupts
 * ENISR_ALL (not RDC), started, broadcast accepted. */
static void linux_init(void)
{
    wr(NE_CR, 0x21);
    wr(NE_DCR, 0x49);
    set_rbcr(0);
    wr(NE_RCR, NE_RCR_MON);
    wr(NE_TCR, 0x02);
    wr(NE_TPSR, TX_PAGE);
    wr(NE_PSTART, RX_START);
    wr(NE_BNRY, RX_STOP - 1);
    wr(NE_PSTOP, RX_STOP);
    wr(NE_ISR, 0xff);
    wr(NE_IMR, 0);
    wr(NE_CR, 0x61);
    for (unsigned i = 0; i < 6; i++)
        wr(NE_PAR0 + i, MAC[i]);
    for (unsigned i = 0; i < 8; i++)
        wr(NE_MAR0 + i, 0);
    wr(NE_CURR, RX_START);
    wr(NE_CR, 0x21);
    wr(NE_ISR, 0xff);
    wr(NE_IMR, 0x3f);
    wr(NE_CR, 0x22);
    wr(NE_TCR, 0);
    wr(NE_RCR, NE_RCR_AB);
}

/* A frame to dst from OTHER, len bytes, its payload numbered from seed. */
static uint8_t frame_buf[4096];

static const uint8_t *frame(const uint8_t *dst, unsigned len, unsigned seed)
{
    ck_assert_uint_lt(len, sizeof(frame_buf));
    memcpy(frame_buf, dst, 6);
    memcpy(frame_buf + 6, OTHER, 6);
    frame_buf[12] = 0x08;
    frame_buf[13] = 0x00;
    for (unsigned i = 14; i < sizeof(frame_buf); i++)
        frame_buf[i] = (uint8_t)(i * 7 + seed);
    return frame_buf;
}

/* ------------------------------------------------------------ Task 3: registers ----- */

START_TEST(test_reset_state)
{
    /* The MAC doubled, zeros, then 0x57 0x57 doubled. */
    uint8_t prom[32] = {0};
    for (unsigned i = 0; i < 12; i++)
        prom[i] = MAC[i / 2];
    memset(prom + 28, 0x57, 4);
    ck_assert_uint_eq(nic->cr, 0x21);
    ck_assert_uint_eq(nic->isr, NE_ISR_RST);
    ck_assert_mem_eq(nic->prom, prom, sizeof(prom));
    ck_assert(!nic->irq_level);
    ck_assert_uint_eq(be.irq_calls, 0);
    uint8_t regs[] = {nic->pstart, nic->pstop, nic->bnry, nic->curr, nic->tpsr, nic->imr,
                      nic->tsr,    nic->rsr,   nic->rcr,  nic->tcr,  nic->dcr};
    for (unsigned i = 0; i < ARRAY_SIZE(regs); i++)
        ck_assert_msg(regs[i] == 0, "register %u is %#x after reset", i, regs[i]);
    ck_assert_uint_eq(nic->tbcr | nic->rsar | nic->rbcr, 0);
    for (unsigned i = 0; i < NE2000_RAM_SIZE; i++)
        ck_assert_msg(nic->ram[i] == 0, "RAM byte %#x is %#x after reset", i, nic->ram[i]);
    ck_assert_ptr_eq(nic->backend.send, be_send);
    ck_assert_ptr_eq(nic->backend.ctx, &be);
    ck_assert_uint_eq(nic->stats.tx_frames + nic->stats.rx_frames + nic->stats.rx_dropped, 0);

    /* Through the ports: CR is not 0xff (ne2k-pci's first check), the RTL8029's ID. */
    ck_assert_uint_eq(rd(NE_CR), 0x21);
    ck_assert_uint_eq(rd(NE_ISR), 0x80);
    ck_assert_uint_eq(rd(NE_ID0), 'P');
    ck_assert_uint_eq(rd(NE_ID1), 'C');
}
END_TEST

/* ne2k-pci's probe: reset, the 8390 check through CNTR0, then the PROM with remote DMA in word mode. */
START_TEST(test_prom_as_linux_reads_it)
{
    wr(NE2000_RESET, rd(NE2000_RESET));
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_RST, NE_ISR_RST);
    wr(NE_ISR, 0xff);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RST); /* RST is status: the write leaves it */

    wr(NE_CR, 0x61); /* page 1, stopped: MAR5 scribbled, CNTR0 must read 0 twice */
    wr(0x0d, 0xff);
    wr(NE_CR, 0x20);
    rd(NE_CNTR0);
    ck_assert_uint_eq(rd(NE_CNTR0), 0);

    static const struct {
        uint8_t value, reg;
    } seq[] = {{0x21, NE_CR},    {0x49, NE_DCR},   {0x00, NE_RBCR0}, {0x00, NE_RBCR1}, {0x00, NE_IMR},
               {0xff, NE_ISR},   {0x20, NE_RCR},   {0x02, NE_TCR},   {32, NE_RBCR0},   {0x00, NE_RBCR1},
               {0x00, NE_RSAR0}, {0x00, NE_RSAR1}, {0x0a, NE_CR}};
    for (unsigned i = 0; i < ARRAY_SIZE(seq); i++)
        wr(seq[i].reg, seq[i].value);
    uint8_t sa[32];
    for (unsigned i = 0; i < 32; i++) {
        sa[i] = rd(NE2000_DATA);
        ck_assert_msg(!(rd(NE_ISR) & NE_ISR_RDC) == (i < 15), "RDC after read %u: %#x", i, rd(NE_ISR));
    }
    ck_assert_mem_eq(sa, MAC, 6);
    for (unsigned i = 6; i < 14; i++)
        ck_assert_uint_eq(sa[i], 0);
    ck_assert_uint_eq(sa[14], 0x57);
    ck_assert_uint_eq(sa[15], 0x57);
    for (unsigned i = 16; i < 32; i++) /* past RBCR: nothing moves */
        ck_assert_uint_eq(sa[i], 0xff);
    ck_assert_uint_eq(rsar(), 32);
}
END_TEST

/* In byte mode the 32 PROM bytes come one by one, doubled; 4-byte reads give them too. */
START_TEST(test_prom_byte_mode)
{
    wr(NE_DCR, 0x48);
    dma_start(0x0a, 0, 32);
    for (unsigned i = 0; i < 12; i++)
        ck_assert_uint_eq(rd(NE2000_DATA), MAC[i / 2]);
    ck_assert_uint_eq(rsar(), 12);
    for (unsigned i = 12; i < 28; i += 4)
        ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0);
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0x57575757u);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_RDC, NE_ISR_RDC);
    /* The PROM is read only. */
    wr(NE_ISR, NE_ISR_RDC);
    dma_start(0x12, 0, 4);
    io(NE2000_DATA, 4, true, 0xdeadbeefu);
    dma_start(0x0a, 0, 4);
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0x54545252u);
}
END_TEST

START_TEST(test_reset_port)
{
    linux_init();
    ck_assert_uint_eq(rd(NE_ISR), 0);
    wr(NE_IMR, 0x7f);
    wr(NE_CR, 0x0a); /* a remote read of 0 bytes: complete at once */
    ck_assert(be.level);
    ck_assert_uint_eq(rd(NE2000_RESET), 0);
    ck_assert_uint_eq(rd(NE_CR), 0x21);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RST);
    ck_assert_uint_eq(rd_page(2, NE_P2_IMR), 0);
    ck_assert(!be.level);
    ck_assert_uint_eq(rd_page(2, NE_P2_PSTART), RX_START); /* the ring set up stays */
    ck_assert_uint_eq(rd_page(1, NE_CURR), RX_START);
    ck_assert_uint_eq(rd_page(1, NE_PAR0 + 5), MAC[5]);

    /* A write resets too; starting clears RST. */
    wr(NE_CR, 0x22);
    ck_assert_uint_eq(rd(NE_ISR), 0);
    wr(NE2000_RESET, 0);
    ck_assert_uint_eq(rd(NE_CR), 0x21);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RST);
    /* And a 2-byte read. */
    wr(NE_CR, 0x22);
    io(NE2000_RESET, 2, false, 0);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RST);
}
END_TEST

/* ISR is write-1-to-clear; the output is (ISR & IMR & 0x7f) != 0, told on each change only. */
START_TEST(test_isr_and_irq)
{
    linux_init();
    wr(NE_IMR, 0);
    wr(NE_CR, 0x0a);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RDC);
    ck_assert(!be.level);
    wr(NE_IMR, NE_ISR_RDC);
    ck_assert(be.level);
    ck_assert_uint_eq(be.irq_calls, 1);
    wr(NE_ISR, (uint8_t)~NE_ISR_RDC); /* other bits: nothing to clear */
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RDC);
    ck_assert(be.level);
    wr(NE_ISR, NE_ISR_RDC);
    ck_assert_uint_eq(rd(NE_ISR), 0);
    ck_assert(!be.level);
    ck_assert_uint_eq(be.irq_calls, 2);
    /* Masked, pending: the output follows IMR. */
    wr(NE_CR, 0x0a);
    ck_assert(be.level);
    wr(NE_IMR, 0);
    ck_assert(!be.level);
    wr(NE_IMR, 0xff); /* bit 7 is not a mask bit: RST never interrupts */
    ck_assert_uint_eq(rd_page(2, NE_P2_IMR), 0x7f);
    ck_assert(be.level);
    wr(NE_ISR, 0xff);
    ck_assert(!be.level);
    wr(NE_CR, 0x21); /* stopped: RST, no interrupt */
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RST);
    ck_assert(!be.level);
    ck_assert_uint_eq(be.irq_calls, 6);
}
END_TEST

START_TEST(test_register_pages)
{
    linux_init();
    wr(NE_CR, 0x62);
    for (unsigned i = 0; i < 6; i++)
        ck_assert_uint_eq(rd(NE_PAR0 + i), MAC[i]);
    ck_assert_uint_eq(rd(NE_CURR), RX_START);
    for (unsigned i = 0; i < 8; i++) {
        wr(NE_MAR0 + i, (uint8_t)(0x11 * i + 1));
        ck_assert_uint_eq(rd(NE_MAR0 + i), 0x11 * i + 1);
    }
    ck_assert_uint_eq(rd(NE_CR), 0x62);
    /* Page 2 reads back what page 0 wrote; its writes change nothing. */
    wr(NE_CR, 0x22);
    wr(NE_TPSR, 0x41);
    wr(NE_DCR, 0xff);
    wr(NE_RCR, 0xff);
    wr(NE_TCR, 0xff);
    wr(NE_BNRY, 0x55);
    wr(NE_CR, 0xa2);
    static const struct {
        uint8_t reg, value;
    } p2[] = {{NE_P2_PSTART, RX_START}, {NE_P2_PSTOP, RX_STOP}, {NE_P2_RNPP, 0x55},
              {NE_P2_TPSR, 0x41},       {NE_P2_LNPP, RX_START}, {NE_P2_RCR, 0x3f},
              {NE_P2_TCR, 0x1f},        {NE_P2_DCR, 0x7f},      {NE_P2_IMR, 0x3f}};
    for (unsigned i = 0; i < ARRAY_SIZE(p2); i++) {
        ck_assert_msg(rd(p2[i].reg) == p2[i].value, "page 2 register %#x reads %#x", p2[i].reg,
                      rd(p2[i].reg));
        wr(p2[i].reg, 0x99);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(p2); i++)
        ck_assert_uint_eq(rd(p2[i].reg), p2[i].value);
    /* Page 3: the RTL8029's configuration as QEMU shows it. */
    wr(NE_CR, 0xe2);
    ck_assert_uint_eq(rd(NE_P3_CONFIG0), 0);
    ck_assert_uint_eq(rd(NE_P3_CONFIG2), 0x40);
    ck_assert_uint_eq(rd(NE_P3_CONFIG3), 0x40);
    wr(NE_P3_CONFIG3, 0);
    ck_assert_uint_eq(rd(NE_P3_CONFIG3), 0x40);
    wr(NE_CR, 0x22);
    ck_assert_uint_eq(rd(NE_BNRY), 0x55);
    ck_assert_uint_eq(rd(NE_NCR), 0);
    /* Wider accesses at a register: its byte, zero-extended; a write takes the low byte. */
    ck_assert_uint_eq(io(NE_BNRY, 4, false, 0), 0x55);
    io(NE_BNRY, 2, true, 0x1266);
    ck_assert_uint_eq(rd(NE_BNRY), 0x66);
    ck_assert_uint_eq(rd(NE_TSR), 0);
}
END_TEST

/* Offsets the card does not decode: 0, writes ignored; past the BAR: not the card's. */
START_TEST(test_undecoded)
{
    linux_init();
    for (uint32_t off = NE2000_DATA + 1; off < NE2000_RESET; off++) {
        io(off, 1, true, 0xff);
        ck_assert_uint_eq(io(off, 1, false, 0), 0);
        ck_assert_uint_eq(io(off, 2, false, 0), 0);
    }
    ck_assert_uint_eq(rd(NE_CR), 0x22); /* no reset on the way */
    struct bus_req r = {.off = NE2000_IO_SIZE, .width = 1};
    ck_assert_int_eq(ne2000_access(nic, &r), BUS_NOT_MINE);
    r = (struct bus_req){.off = 0xffffffffu, .width = 4, .write = true};
    ck_assert_int_eq(ne2000_access(nic, &r), BUS_NOT_MINE);
    r = (struct bus_req){.off = NE2000_DATA, .width = 3};
    ck_assert_int_eq(ne2000_access(nic, &r), BUS_ERROR);
    ck_assert_uint_eq(rd(NE_CR), 0x22);
}
END_TEST

/* The bus ops are the framework's, around Task 3's access function. */
START_TEST(test_bus_ops)
{
    ck_assert_str_eq(ne2000_bus_ops.name, "ne2000");
    ck_assert_ptr_eq(ne2000_bus_ops.access, ne2000_access);
    struct bus_req r = {.off = NE_CR, .width = 1};
    ck_assert_int_eq(ne2000_bus_ops.access(nic, &r), BUS_OK);
    ck_assert_uint_eq(r.val, 0x21);
}
END_TEST

/* ------------------------------------------------------------ Task 3: remote DMA ---- */

static uint8_t pattern[1600], back[1600];

static void fill_pattern(unsigned seed)
{
    for (unsigned i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 13 + seed);
}

/* Bytes one access of width moves with left to go: the width, a word for a byte in word mode, at most left. */
static unsigned moves(bool word, unsigned width, unsigned left)
{
    unsigned k = word && width == 1 ? 2 : width;
    return k < left ? k : left;
}

/* Written with one mix of widths, read with another, in word and in byte mode; 98 bytes, so that
 * the last access of some mixes has fewer bytes left than it is wide. */
START_TEST(test_dma_widths)
{
    static const uint8_t widths[][4] = {{4, 4, 4, 4}, {1, 2, 4, 1}, {2, 2, 1, 4}};
    const unsigned count = 98;
    linux_init();
    for (unsigned word = 0; word < 2; word++) {
        wr(NE_DCR, word ? 0x49 : 0x48);
        for (unsigned w = 0; w < ARRAY_SIZE(widths); w++) {
            fill_pattern(w * 2 + word);
            memset(RAM(0x4100), 0, count + 8);
            dma_start(0x12, 0x4100, count);
            for (unsigned at = 0, step = 0; at < count; step++) {
                unsigned width = widths[w][step % 4], k = moves(word, width, count - at);
                io(NE2000_DATA, width, true, le(pattern + at, width));
                for (unsigned i = width; i < k; i++) /* a word-mode byte write puts 0 above the byte */
                    pattern[at + i] = 0;
                at += k;
                ck_assert_uint_eq(nic->rbcr, count - at);
                ck_assert_uint_eq(rsar(), 0x4100 + at);
                ck_assert_uint_eq(!!(rd(NE_ISR) & NE_ISR_RDC), at == count);
            }
            ck_assert_mem_eq(RAM(0x4100), pattern, count);
            ck_assert_uint_eq(RAM(0x4100)[count], 0); /* nothing past RBCR */
            wr(NE_ISR, NE_ISR_RDC);
            dma_start(0x0a, 0x4100, count);
            for (unsigned at = 0, step = 0; at < count; step++) {
                unsigned width = widths[(w + 1) % ARRAY_SIZE(widths)][step % 4],
                         k = moves(word, width, count - at);
                uint32_t v = io(NE2000_DATA, width, false, 0), expect = 0;
                for (unsigned i = 0; i < width; i++)
                    expect |= (uint32_t)(i < k ? pattern[at + i] : 0xff) << (8 * i);
                ck_assert_msg(v == expect, "%u-byte read at %u: %#x, expected %#x", width, at, v, expect);
                at += k;
                ck_assert_uint_eq(!!(rd(NE_ISR) & NE_ISR_RDC), at == count);
            }
            wr(NE_ISR, NE_ISR_RDC);
        }
    }
}
END_TEST

/* A whole frame's worth written and read as ne2k-pci does (4-byte accesses, a trailing word and byte). */
START_TEST(test_dma_block)
{
    linux_init();
    static const unsigned counts[] = {60, 61, 62, 63, 1514, 1};
    for (unsigned i = 0; i < ARRAY_SIZE(counts); i++) {
        fill_pattern(i);
        dma_write(0x4000, pattern, counts[i] + (counts[i] & 1)); /* Linux rounds block output up to even */
        memset(back, 0, sizeof(back));
        dma_read(0x4000, back, counts[i]);
        ck_assert_mem_eq(back, pattern, counts[i]);
        ck_assert_uint_eq(rsar(), 0x4000 + counts[i]);
    }
}
END_TEST

/* Reads (and writes) wrap from PSTOP to PSTART, so a driver reads a frame that wraps in one go. */
START_TEST(test_dma_wrap)
{
    linux_init();
    for (unsigned i = 0; i < 4; i++)
        RAM(0x7ffc)[i] = (uint8_t)(0xa0 + i);
    for (unsigned i = 0; i < 8; i++)
        RAM(RX_START << 8)[i] = (uint8_t)(0xb0 + i);
    dma_start(0x0a, 0x7ffc, 12);
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0xa3a2a1a0u);
    ck_assert_uint_eq(rsar(), RX_START << 8);
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0xb3b2b1b0u);
    /* An access that straddles PSTOP wraps in the middle. */
    dma_start(0x0a, 0x7ffe, 4);
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0xb1b0a3a2u);
    ck_assert_uint_eq(rsar(), (RX_START << 8) + 2);
    dma_start(0x12, 0x7fff, 2);
    io(NE2000_DATA, 2, true, 0x5aa5);
    ck_assert_uint_eq(RAM(0x7fff)[0], 0xa5);
    ck_assert_uint_eq(RAM(RX_START << 8)[0], 0x5a);
}
END_TEST

/* The data port moves bytes only in the direction CR asks for, and only while RBCR lasts. */
START_TEST(test_dma_direction)
{
    linux_init();
    RAM(0x4000)[0] = 0x11;
    dma_start(0x22, 0x4000, 8); /* no remote DMA command */
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0xffffffffu);
    io(NE2000_DATA, 4, true, 0);
    ck_assert_uint_eq(RAM(0x4000)[0], 0x11);
    ck_assert_uint_eq(nic->rbcr, 8);
    wr(NE_CR, 0x12); /* a remote write: reads give nothing */
    ck_assert_uint_eq(io(NE2000_DATA, 2, false, 0), 0xffff);
    ck_assert_uint_eq(rsar(), 0x4000);
    wr(NE_CR, 0x0a); /* a remote read: writes are lost */
    io(NE2000_DATA, 1, true, 0x99);
    ck_assert_uint_eq(RAM(0x4000)[0], 0x11);
    ck_assert_uint_eq(rd(NE2000_DATA), 0x11);
    wr(NE_CR, 0x1a); /* send packet: not modelled */
    ck_assert_uint_eq(rd(NE2000_DATA), 0xff);
    ck_assert_uint_eq(rsar(), 0x4002);
    /* A remote read or write of 0 bytes is complete at once. */
    wr(NE_ISR, 0xff);
    dma_start(0x12, 0x4000, 0);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RDC);
    io(NE2000_DATA, 4, true, 0);
    ck_assert_uint_eq(rsar(), 0x4000);
}
END_TEST

/* Card memory outside the PROM and the RAM reads 0xff and keeps nothing. */
START_TEST(test_dma_unmapped)
{
    static const uint16_t holes[] = {0x0020, 0x1000, 0x3ffc, 0xc000, 0xfffc};
    linux_init();
    wr(NE_PSTART, 0); /* no wrap in the way (RSAR meets PSTOP << 8 = 0 only when it rolls over) */
    wr(NE_PSTOP, 0);
    for (unsigned i = 0; i < ARRAY_SIZE(holes); i++) {
        dma_start(0x12, holes[i], 4);
        io(NE2000_DATA, 4, true, 0);
        dma_start(0x0a, holes[i], 4);
        ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0xffffffffu);
    }
    dma_start(0x0a, 0x3ffe, 4);
    RAM(0x4000)[0] = 0x42;
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0x0042ffffu);
    dma_start(0x0a, 0xfffe, 4); /* RSAR wraps at 64 KiB, into the PROM */
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0x5252ffffu);
    ck_assert_uint_eq(rsar(), 2);
}
END_TEST

/* ------------------------------------------------------------ Task 4: transmit ------ */

static void send_frame(uint8_t page, const uint8_t *f, unsigned len)
{
    dma_write((uint16_t)(page << 8), f, len + (len & 1));
    wr(NE_TPSR, page);
    wr(NE_TBCR0, (uint8_t)len);
    wr(NE_TBCR1, (uint8_t)(len >> 8));
    wr(NE_CR, 0x26);
}

START_TEST(test_tx_frame)
{
    linux_init();
    const uint8_t *f = frame(BCAST, 60, 1);
    send_frame(TX_PAGE, f, 60);
    ck_assert_uint_eq(be.frames, 1);
    ck_assert_uint_eq(be.len[0], 60);
    ck_assert_mem_eq(be.frame[0], f, 60);
    ck_assert_uint_eq(rd(NE_CR), 0x22); /* TXP clear: sent */
    ck_assert_uint_eq(rd(NE_TSR), NE_TSR_PTX);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_PTX);
    ck_assert(be.level);
    wr(NE_ISR, NE_ISR_PTX);
    ck_assert(!be.level);
    /* The longest frame, from the last pages of the RAM, and an odd length. */
    f = frame(OTHER, NE2000_MAX_FRAME, 2);
    send_frame(0xba, f, NE2000_MAX_FRAME);
    ck_assert_uint_eq(be.frames, 2);
    ck_assert_uint_eq(be.len[1], NE2000_MAX_FRAME);
    ck_assert_mem_eq(be.frame[1], f, NE2000_MAX_FRAME);
    f = frame(OTHER, 77, 3);
    send_frame(0xbf, f, 77);
    ck_assert_uint_eq(be.len[2], 77);
    ck_assert_mem_eq(be.frame[2], f, 77);
    ck_assert_uint_eq(nic->stats.tx_frames, 3);
    ck_assert_uint_eq(nic->stats.tx_errors, 0);
}
END_TEST

/* A stopped card sends nothing; TXP does not stay set. */
START_TEST(test_tx_stopped)
{
    linux_init();
    send_frame(TX_PAGE, frame(BCAST, 60, 1), 60);
    wr(NE_ISR, 0xff);
    wr(NE_CR, 0x25);
    ck_assert_uint_eq(be.frames, 1);
    ck_assert_uint_eq(rd(NE_CR), 0x21);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RST);
}
END_TEST

/* No backend to send through: the frame still counts as sent (the wire ends there). */
START_TEST(test_tx_no_backend)
{
    struct ne2000_backend none = {NULL, NULL, NULL};
    ne2000_reset(nic, MAC, &none);
    linux_init();
    send_frame(TX_PAGE, frame(BCAST, 60, 1), 60);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_PTX);
    ck_assert(nic->irq_level);
    ck_assert_uint_eq(be.frames, 0);
}
END_TEST

/* ------------------------------------------------------------ Task 4: receive ------- */

static void assert_header(uint8_t page, uint8_t status, uint8_t next, unsigned count)
{
    const uint8_t *h = RAM(page << 8);
    ck_assert_msg(h[0] == status && h[1] == next && h[2] == (uint8_t)count && h[3] == count >> 8,
                  "header at page %#x: %02x %02x %02x %02x, expected %02x %02x %02x %02x", page, h[0], h[1],
                  h[2], h[3], status, next, (uint8_t)count, count >> 8);
}

/* Linux's ei_receive: the header at BNRY + 1 through remote DMA, then the frame; BNRY = next - 1. */
static unsigned linux_receive(uint8_t *out)
{
    uint8_t next_page = (uint8_t)(rd(NE_BNRY) + 1), hdr[4];
    if (next_page >= RX_STOP)
        next_page = RX_START;
    if (next_page == rd_page(1, NE_CURR))
        return 0;
    dma_read((uint16_t)(next_page << 8), hdr, 4);
    unsigned len = le(hdr + 2, 2) - 4;
    unsigned expect = next_page + 1 + ((len + 4) >> 8);
    ck_assert_msg(hdr[1] == expect || hdr[1] == expect + 1 || hdr[1] == expect - (RX_STOP - RX_START) ||
                      hdr[1] == expect + 1 - (RX_STOP - RX_START),
                  "next page %#x after %#x, length %u: Linux calls it bogus", hdr[1], next_page, len);
    ck_assert_uint_ge(len, 60);
    ck_assert_uint_le(len, 1518);
    dma_read((uint16_t)((next_page << 8) + 4), out, len);
    wr(NE_BNRY, (uint8_t)(hdr[1] - 1));
    return len;
}

START_TEST(test_rx_header)
{
    linux_init();
    const uint8_t *f = frame(MAC, 100, 5);
    ck_assert(ne2000_receive(nic, f, 100));
    ck_assert(be.level); /* told at once, not at the next register access */
    assert_header(RX_START, NE_RSR_PRX, RX_START + 1, 104);
    ck_assert_mem_eq(RAM((RX_START << 8) + 4), f, 100);
    ck_assert_uint_eq(rd_page(1, NE_CURR), RX_START + 1);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_PRX);
    ck_assert_uint_eq(rd(NE_RSR), NE_RSR_PRX);
    ck_assert(be.level);
    /* 252 bytes and its header fill one page, but the CRC a DP8390 stores needs the next. */
    f = frame(MAC, 252, 6);
    ck_assert(ne2000_receive(nic, f, 252));
    assert_header(RX_START + 1, NE_RSR_PRX, RX_START + 3, 256);
    f = frame(MAC, 248, 7);
    ck_assert(ne2000_receive(nic, f, 248));
    assert_header(RX_START + 3, NE_RSR_PRX, RX_START + 4, 252);
    uint8_t got[1600];
    ck_assert_uint_eq(linux_receive(got), 100);
    ck_assert_uint_eq(linux_receive(got), 252);
    ck_assert_uint_eq(linux_receive(got), 248);
    ck_assert_mem_eq(got, f, 248);
    ck_assert_uint_eq(linux_receive(got), 0);
    ck_assert_uint_eq(nic->stats.rx_frames, 3);
}
END_TEST

/* A frame shorter than 60 bytes is padded with zeros; the header says 64. */
START_TEST(test_rx_short_padded)
{
    linux_init();
    memset(RAM(RX_START << 8), 0xee, 256);
    const uint8_t *f = frame(BCAST, 42, 9);
    ck_assert(ne2000_receive(nic, f, 42));
    assert_header(RX_START, NE_RSR_PRX | NE_RSR_PHY, RX_START + 1, 64);
    ck_assert_mem_eq(RAM((RX_START << 8) + 4), f, 42);
    for (unsigned i = 42; i < 60; i++)
        ck_assert_uint_eq(RAM((RX_START << 8) + 4)[i], 0);
    ck_assert_uint_eq(RAM((RX_START << 8) + 4)[60], 0xee); /* nothing after */
    ck_assert(ne2000_receive(nic, frame(MAC, NE2000_MIN_FRAME, 1), NE2000_MIN_FRAME));
    assert_header(RX_START + 1, NE_RSR_PRX, RX_START + 2, 64);
}
END_TEST

/* A frame that runs into PSTOP goes on at PSTART; the driver reads it across the wrap. */
START_TEST(test_rx_wrap)
{
    linux_init();
    wr(NE_CR, 0x62);
    wr(NE_CURR, RX_STOP - 1);
    wr(NE_CR, 0x22);
    wr(NE_BNRY, RX_STOP - 2);
    memset(RAM(0x4000), 0xee, NE2000_RAM_SIZE);
    const uint8_t *f = frame(MAC, 600, 4);
    ck_assert(ne2000_receive(nic, f, 600));
    /* 600 + 4 + 4 bytes: 3 pages, 0x7f then 0x4c and 0x4d; next is 0x4e. */
    assert_header(RX_STOP - 1, NE_RSR_PRX, RX_START + 2, 604);
    ck_assert_mem_eq(RAM(0x7f04), f, 252);
    ck_assert_mem_eq(RAM(RX_START << 8), f + 252, 348);
    ck_assert_uint_eq(RAM(RX_START << 8)[348], 0xee);
    ck_assert_uint_eq(RAM(0x7f00)[-1], 0xee); /* nothing before CURR */
    ck_assert_uint_eq(RAM(0x8000)[0], 0xee);  /* nothing at PSTOP */
    ck_assert_uint_eq(rd_page(1, NE_CURR), RX_START + 2);
    wr(NE_BNRY, RX_STOP - 2);
    uint8_t got[1600];
    ck_assert_uint_eq(linux_receive(got), 600);
    ck_assert_mem_eq(got, f, 600);
    ck_assert_uint_eq(rd(NE_BNRY), RX_START + 1);
}
END_TEST

/* The ring full: ISR.OVW, the frame dropped and tallied (CNTR2), the ring as it was; room again after a read. */
START_TEST(test_rx_overflow)
{
    linux_init();
    /* 52 pages, 51 free; a 1514-byte frame takes 6. */
    for (unsigned i = 0; i < 8; i++)
        ck_assert(ne2000_receive(nic, frame(MAC, 1514, i), 1514));
    ck_assert_uint_eq(rd_page(1, NE_CURR), RX_START + 48);
    uint8_t before[NE2000_RAM_SIZE];
    memcpy(before, nic->ram, sizeof(before));
    wr(NE_ISR, 0xff);
    ck_assert(!ne2000_receive(nic, frame(MAC, 1514, 8), 1514));
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_OVW);
    ck_assert(be.level);
    ck_assert_uint_eq(rd(NE_RSR) & NE_RSR_MPA, NE_RSR_MPA);
    ck_assert_mem_eq(nic->ram, before, sizeof(before));
    ck_assert_uint_eq(rd_page(1, NE_CURR), RX_START + 48);
    /* Three pages left before BNRY's: three 60-byte frames fit, then CURR == BNRY: full. */
    for (unsigned i = 0; i < 3; i++)
        ck_assert(ne2000_receive(nic, frame(MAC, 60, 9 + i), 60));
    ck_assert(!ne2000_receive(nic, frame(MAC, 60, 12), 60));
    ck_assert_uint_eq(rd_page(1, NE_CURR), RX_STOP - 1);
    ck_assert_uint_eq(rd(NE_CNTR2), 2);
    ck_assert_uint_eq(rd(NE_CNTR2), 0);
    ck_assert_uint_eq(nic->stats.rx_missed, 2);
    ck_assert_uint_eq(nic->stats.rx_dropped, 2);
    /* The driver reads one frame: its 6 pages are free again. */
    uint8_t got[1600];
    ck_assert_uint_eq(linux_receive(got), 1514);
    ck_assert_mem_eq(got, frame(MAC, 1514, 0), 1514);
    ck_assert(ne2000_receive(nic, frame(MAC, 1514, 12), 1514));
    assert_header(RX_STOP - 1, NE_RSR_PRX, RX_START + 5, 1518);
}
END_TEST

static void set_mar(unsigned bit)
{
    wr(NE_CR, 0x62);
    for (unsigned i = 0; i < 8; i++)
        wr(NE_MAR0 + i, bit / 8 == i ? (uint8_t)(1u << (bit % 8)) : 0);
    wr(NE_CR, 0x22);
}

/* RCR's filters: unicast to PAR, broadcast with AB, multicast with AM through the hash, PRO. */
START_TEST(test_rx_filters)
{
    linux_init();
    static const struct {
        const uint8_t *dst;
        uint8_t rcr;
        unsigned mar_bit; /* 64: none */
        bool taken;
    } cases[] = {
        {MAC, 0, 64, true},
        {OTHER, 0, 64, false},
        {NEAR, NE_RCR_AB, 64, false},
        {OTHER, NE_RCR_AB | NE_RCR_AM, 0, false},
        {OTHER, NE_RCR_PRO, 64, true},
        {BCAST, 0, 64, false},
        {BCAST, NE_RCR_AB, 64, true},
        {BCAST, NE_RCR_PRO, 64, false}, /* PRO is about unicast */
        {BCAST, NE_RCR_AM, 64, false},
        {MCAST, NE_RCR_AM, 31, true},
        {MCAST, NE_RCR_AM, 30, false},
        {MCAST, NE_RCR_AM, 64, false},
        {MCAST, NE_RCR_AB, 31, false},
        {MCAST, NE_RCR_PRO, 31, false},
        {MCAST6, NE_RCR_AM, 62, true},
        {MCAST6, NE_RCR_AM, 31, false},
        {MAC, NE_RCR_AB | NE_RCR_AM | NE_RCR_PRO, 64, true},
    };
    uint64_t dropped = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        wr(NE_RCR, cases[i].rcr);
        set_mar(cases[i].mar_bit);
        uint8_t curr = rd_page(1, NE_CURR);
        bool got = ne2000_receive(nic, frame(cases[i].dst, 64, i), 64);
        ck_assert_msg(got == cases[i].taken, "case %u: receive says %d", i, got);
        ck_assert_uint_eq(rd_page(1, NE_CURR), got ? curr + 1 : curr);
        if (got)
            assert_header(curr, NE_RSR_PRX | (cases[i].dst[0] & 1 ? NE_RSR_PHY : 0), curr + 1, 68);
        dropped += !got;
        ck_assert_uint_eq(nic->stats.rx_filtered, dropped);
        if (got)
            wr(NE_BNRY, curr); /* read at once */
    }
    ck_assert_uint_eq(rd(NE_CNTR2), 0); /* a frame for someone else is not missed */
}
END_TEST

/* A stopped card takes nothing; monitor mode checks and counts but stores nothing. */
START_TEST(test_rx_stopped_and_monitor)
{
    linux_init();
    wr(NE_CR, 0x21);
    ck_assert(!ne2000_receive(nic, frame(MAC, 64, 1), 64));
    ck_assert_uint_eq(nic->stats.rx_stopped, 1);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_RST);
    wr(NE_CR, 0x22);
    wr(NE_RCR, NE_RCR_MON | NE_RCR_AB);
    ck_assert(!ne2000_receive(nic, frame(MAC, 64, 2), 64));
    ck_assert(!ne2000_receive(nic, frame(OTHER, 64, 3), 64)); /* filtered first: not tallied */
    ck_assert_uint_eq(rd(NE_RSR), NE_RSR_MPA | NE_RSR_DIS);
    ck_assert_uint_eq(rd(NE_CNTR2), 1);
    ck_assert_uint_eq(rd_page(1, NE_CURR), RX_START);
    ck_assert_uint_eq(nic->stats.rx_missed, 1);
    ck_assert_uint_eq(nic->stats.rx_filtered, 1);
    ck_assert_uint_eq(nic->stats.rx_dropped, 3);
    ck_assert_uint_eq(nic->stats.rx_frames, 0);
}
END_TEST

/* CNTR2 counts missed frames up to 192; from 128 it raises ISR.CNT; a read clears it. */
START_TEST(test_rx_tally)
{
    linux_init();
    wr(NE_RCR, NE_RCR_MON);
    for (unsigned i = 0; i < 127; i++)
        ne2000_receive(nic, frame(MAC, 64, i), 64);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_CNT, 0);
    ne2000_receive(nic, frame(MAC, 64, 0), 64);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_CNT, NE_ISR_CNT);
    ck_assert(be.level);
    for (unsigned i = 0; i < 100; i++)
        ne2000_receive(nic, frame(MAC, 64, i), 64);
    ck_assert_uint_eq(nic->cntr[2], NE2000_TALLY_LIMIT);
    ck_assert_uint_eq(rd(NE_CNTR0), 0);
    ck_assert_uint_eq(rd(NE_CNTR1), 0);
    ck_assert_uint_eq(rd(NE_CNTR2), NE2000_TALLY_LIMIT);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_CNT, 0); /* emptied: the counters need no more attention */
    ck_assert(!be.level);
    ck_assert_uint_eq(nic->stats.rx_missed, 228);
}
END_TEST

/* ------------------------------------------------------------ hostile guests -------- */

static uint8_t ram_before[NE2000_RAM_SIZE];
static uint8_t prom_before[NE2000_PROM_SIZE];

static void snapshot_memory(void)
{
    memcpy(ram_before, nic->ram, sizeof(ram_before));
    memcpy(prom_before, nic->prom, sizeof(prom_before));
}

static void assert_memory_unchanged(void)
{
    ck_assert_mem_eq(nic->prom, prom_before, sizeof(prom_before));
    for (unsigned i = 0; i < NE2000_RAM_SIZE; i++)
        ck_assert_msg(nic->ram[i] == ram_before[i], "RAM %#x changed", NE2000_RAM_START + i);
}

static void set_ring(uint8_t pstart, uint8_t pstop, uint8_t bnry, uint8_t curr)
{
    wr(NE_PSTART, pstart);
    wr(NE_PSTOP, pstop);
    wr(NE_BNRY, bnry);
    wr(NE_CR, 0x62);
    wr(NE_CURR, curr);
    wr(NE_CR, 0x22);
}

/* Both frames missed (tallied), no byte of memory changed, CURR where it was. */
static void assert_missed_untouched(const char *what)
{
    uint64_t missed = nic->stats.rx_missed;
    uint8_t curr = nic->curr;
    snapshot_memory();
    wr(NE_ISR, 0xff);
    ck_assert_msg(!ne2000_receive(nic, frame(MAC, 1514, 1), 1514), "%s: a frame went in", what);
    ck_assert_msg(!ne2000_receive(nic, frame(MAC, 60, 2), 60), "%s: a frame went in", what);
    assert_memory_unchanged();
    ck_assert_uint_eq(nic->curr, curr);
    ck_assert_uint_eq(nic->stats.rx_missed, missed + 2);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_PRX, 0);
}

/* CVE-2015-5278: QEMU looped for ever when the write index was past PSTOP. A
 * CURR at or past PSTOP is outside the ring: nothing is written. A frame from
 * the ring's last page wraps; a BNRY past PSTOP counts as the ring's end. */
START_TEST(test_cve_2015_5278)
{
    linux_init();
    set_ring(RX_START, RX_STOP, RX_START, RX_STOP);
    assert_missed_untouched("CURR == PSTOP");
    set_ring(RX_START, RX_STOP, 0xff, 0xff);
    assert_missed_untouched("CURR == BNRY == 0xff");
    set_ring(RX_START, RX_STOP, RX_START + 3, RX_START - 1);
    assert_missed_untouched("CURR below PSTART");

    set_ring(RX_START, RX_STOP, 0xff, RX_STOP - 1); /* BNRY past the ring: as if RX_STOP - 1 */
    ck_assert(!ne2000_receive(nic, frame(MAC, 60, 1), 60));
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_OVW, NE_ISR_OVW);
    set_ring(RX_START, RX_STOP, RX_START - 1, RX_START); /* Linux's BNRY after reading the ring's end */
    ck_assert(ne2000_receive(nic, frame(MAC, 1514, 3), 1514));
    assert_header(RX_START, NE_RSR_PRX, RX_START + 6, 1518);
    set_ring(RX_START, RX_STOP, RX_STOP - 6, RX_STOP - 1); /* from the last page, across PSTOP */
    memset(RAM(0x4000), 0xee, NE2000_RAM_SIZE);
    ck_assert(ne2000_receive(nic, frame(MAC, 1514, 3), 1514));
    assert_header(RX_STOP - 1, NE_RSR_PRX, RX_START + 5, 1518);
    ck_assert_mem_eq(RAM(RX_START << 8), frame(MAC, 1514, 3) + 252, 1514 - 252);
    ck_assert_uint_eq(RAM(0x8000)[0], 0xee);
    ck_assert_uint_eq(RAM((RX_START << 8) - 1)[0], 0xee);
    /* The smallest ring, one page: never room (the frame and BNRY's page do not both fit). */
    set_ring(0x50, 0x51, 0x50, 0x50);
    assert_missed_untouched("a one-page ring");
}
END_TEST

/* CVE-2015-5279: page registers pointing outside the card's RAM. The ring must lie in RAM. */
START_TEST(test_cve_2015_5279)
{
    linux_init();
    static const uint8_t rings[][4] = {
        {0x00, 0xff, 0x00, 0xfe}, /* CURR past the RAM */
        {0x00, 0x80, 0x7f, 0x00}, /* PSTART in the PROM's space */
        {0x3f, 0x80, 0x7f, 0x3f}, /* one page below the RAM */
        {0x40, 0xc1, 0xbf, 0xc0}, /* PSTOP one page past it */
        {0xbf, 0xff, 0xc0, 0xc0}, {0xc0, 0xff, 0xc0, 0xc1},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rings); i++) {
        set_ring(rings[i][0], rings[i][1], rings[i][2], rings[i][3]);
        assert_missed_untouched("a ring outside the RAM");
    }
    /* The whole RAM as the ring is fine, up to its last byte. */
    set_ring(0x40, 0xc0, 0xbe, 0xbf);
    memset(RAM(0x4000), 0xee, NE2000_RAM_SIZE);
    ck_assert(ne2000_receive(nic, frame(MAC, 600, 1), 600));
    ck_assert_mem_eq(RAM(0xbf04), frame(MAC, 600, 1), 252);
    ck_assert_mem_eq(RAM(0x4000), frame(MAC, 600, 1) + 252, 348);
    ck_assert_uint_eq(rd_page(1, NE_CURR), 0x42);
}
END_TEST

/* CVE-2016-2841: PSTART >= PSTOP made QEMU's receive loop for ever. No ring: nothing received. */
START_TEST(test_cve_2016_2841)
{
    linux_init();
    set_ring(0x60, 0x60, 0x5f, 0x60);
    assert_missed_untouched("PSTART == PSTOP");
    set_ring(0x70, 0x50, 0x60, 0x60);
    assert_missed_untouched("PSTART > PSTOP");
    set_ring(0xff, 0x00, 0x00, 0x00);
    assert_missed_untouched("PSTART 0xff, PSTOP 0");
    /* Remote DMA with such a ring: the wrap at PSTOP goes to PSTART, every access ends. */
    dma_start(0x0a, 0x4ffe, 8);
    for (unsigned i = 0; i < 2; i++)
        io(NE2000_DATA, 4, false, 0);
    ck_assert_uint_eq(rsar(), 0x5006);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_RDC, NE_ISR_RDC);
    wr(NE_PSTART, 0x70);
    wr(NE_PSTOP, 0x50);
    dma_start(0x0a, 0x4ffe, 0xffff);
    for (unsigned i = 0; i < 4; i++)
        io(NE2000_DATA, 4, false, 0);
    ck_assert_uint_eq(rsar(), 0x700e);
}
END_TEST

/* CVE-2018-10839: a huge length went negative into QEMU's 60-byte pad buffer. Any length outside
 * [14, 1518] is refused before a byte of the frame is read (ASan sees the 16-byte buffer). */
START_TEST(test_cve_2018_10839)
{
    linux_init();
    wr(NE_RCR, NE_RCR_PRO | NE_RCR_AB | NE_RCR_AM);
    uint8_t *small = malloc(16);
    ck_assert_ptr_nonnull(small);
    memcpy(small, MAC, 6);
    memset(small + 6, 0, 10);
    static const unsigned lengths[] = {0, 1, 13, 1519, 4096, 65536, 0x7fffffffu, 0x80000000u, 0xffffffffu};
    snapshot_memory();
    for (unsigned i = 0; i < ARRAY_SIZE(lengths); i++)
        ck_assert_msg(!ne2000_receive(nic, small, lengths[i]), "length %u taken", lengths[i]);
    ck_assert(!ne2000_receive(nic, NULL, 60));
    assert_memory_unchanged();
    ck_assert_uint_eq(nic->stats.rx_bad_length, ARRAY_SIZE(lengths) + 1);
    ck_assert_uint_eq(nic->stats.rx_missed, 0);
    ck_assert_uint_eq(rd(NE_ISR), 0);
    ck_assert(ne2000_receive(nic, small, 16)); /* the shortest it takes, padded */
    assert_header(RX_START, NE_RSR_PRX, RX_START + 1, 64);
    free(small);
}
END_TEST

/* TX with TPSR and TBCR past the RAM, or a length the network does not take: TXE, TSR.ABT, nothing sent. */
START_TEST(test_tx_hostile)
{
    static const struct {
        uint8_t tpsr;
        uint16_t tbcr;
    } bad[] = {
        {0xbf, 257}, {0xbb, 1281}, {0xc0, 60},   {0xff, 60},     {0x00, 60},     {0x3f, 300},
        {0x40, 0},   {0x40, 13},   {0x40, 1519}, {0x40, 0xffff}, {0xbf, 0xffff},
    };
    linux_init();
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        wr(NE_ISR, 0xff);
        wr(NE_TPSR, bad[i].tpsr);
        wr(NE_TBCR0, (uint8_t)bad[i].tbcr);
        wr(NE_TBCR1, (uint8_t)(bad[i].tbcr >> 8));
        wr(NE_CR, 0x26);
        ck_assert_msg(be.frames == 0, "TPSR %#x, TBCR %u: sent", bad[i].tpsr, bad[i].tbcr);
        ck_assert_uint_eq(rd(NE_ISR), NE_ISR_TXE);
        ck_assert_uint_eq(rd(NE_TSR), NE_TSR_ABT);
        ck_assert_uint_eq(rd(NE_CR), 0x22);
        ck_assert(be.level);
    }
    ck_assert_uint_eq(nic->stats.tx_errors, ARRAY_SIZE(bad));
    /* Right up to the end of the RAM is fine. */
    wr(NE_ISR, 0xff);
    wr(NE_TPSR, 0xbf);
    wr(NE_TBCR0, 0);
    wr(NE_TBCR1, 1);
    wr(NE_CR, 0x26);
    ck_assert_uint_eq(be.frames, 1);
    ck_assert_uint_eq(be.len[0], 256);
    ck_assert_uint_eq(rd(NE_ISR), NE_ISR_PTX);
}
END_TEST

/* 4-byte remote DMA at the RAM's end: the bytes in RAM move, the rest read 0xff and are lost. */
START_TEST(test_dma_at_ram_end)
{
    linux_init();
    wr(NE_PSTOP, 0);
    dma_start(0x12, 0xbffe, 8);
    io(NE2000_DATA, 4, true, 0x44332211u);
    io(NE2000_DATA, 4, true, 0x88776655u);
    ck_assert_uint_eq(RAM(0xbffe)[0], 0x11);
    ck_assert_uint_eq(RAM(0xbffe)[1], 0x22);
    ck_assert_uint_eq(rsar(), 0xc006);
    dma_start(0x0a, 0xbffc, 8);
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0x22110000u);
    ck_assert_uint_eq(io(NE2000_DATA, 4, false, 0), 0xffffffffu);
    /* With PSTOP at the RAM's end, the access wraps to PSTART instead. */
    wr(NE_PSTART, 0x40);
    wr(NE_PSTOP, 0xc0);
    dma_start(0x12, 0xbffe, 4);
    io(NE2000_DATA, 4, true, 0xddccbbaau);
    ck_assert_uint_eq(RAM(0xbffe)[1], 0xbb);
    ck_assert_uint_eq(RAM(0x4000)[0], 0xcc);
    ck_assert_uint_eq(RAM(0x4000)[1], 0xdd);
}
END_TEST

/* RBCR odd with word access: the last access moves the one byte left and reads 0xff above it. */
START_TEST(test_dma_odd_count)
{
    linux_init();
    for (unsigned i = 0; i < 4; i++)
        RAM(0x4200)[i] = (uint8_t)(0x10 + i);
    dma_start(0x0a, 0x4200, 3);
    ck_assert_uint_eq(io(NE2000_DATA, 2, false, 0), 0x1110);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_RDC, 0);
    ck_assert_uint_eq(io(NE2000_DATA, 2, false, 0), 0xff12);
    ck_assert_uint_eq(rd(NE_ISR) & NE_ISR_RDC, NE_ISR_RDC);
    ck_assert_uint_eq(rsar(), 0x4203);
    ck_assert_uint_eq(io(NE2000_DATA, 2, false, 0), 0xffff);
    ck_assert_uint_eq(rsar(), 0x4203);
    /* A byte access in word mode with one byte left; a 4-byte access with 3 left. */
    dma_start(0x12, 0x4200, 1);
    io(NE2000_DATA, 1, true, 0xaa);
    ck_assert_uint_eq(RAM(0x4200)[0], 0xaa);
    ck_assert_uint_eq(RAM(0x4200)[1], 0x11);
    dma_start(0x12, 0x4200, 3);
    io(NE2000_DATA, 4, true, 0x44332211u);
    ck_assert_uint_eq(le(RAM(0x4200), 4), 0x13332211u);
    ck_assert_uint_eq(nic->rbcr, 0);
}
END_TEST

/* ------------------------------------------------------------ the cases ------------- */

static TCase *tcase(const char *name, void (*setup)(void), void (*teardown)(void))
{
    TCase *c = tcase_create(name);
    tcase_add_checked_fixture(c, setup, teardown);
    return c;
}

void lab5_ne2000_tcases(Suite *s)
{
    TCase *c;
    c = tcase("ne2000_regs", nic_setup, nic_teardown);
    tcase_add_test(c, test_reset_state);
    tcase_add_test(c, test_prom_as_linux_reads_it);
    tcase_add_test(c, test_prom_byte_mode);
    tcase_add_test(c, test_reset_port);
    tcase_add_test(c, test_isr_and_irq);
    tcase_add_test(c, test_register_pages);
    tcase_add_test(c, test_undecoded);
    tcase_add_test(c, test_bus_ops);
    suite_add_tcase(s, c);
    c = tcase("ne2000_dma", nic_setup, nic_teardown);
    tcase_add_test(c, test_dma_widths);
    tcase_add_test(c, test_dma_block);
    tcase_add_test(c, test_dma_wrap);
    tcase_add_test(c, test_dma_direction);
    tcase_add_test(c, test_dma_unmapped);
    tcase_add_test(c, test_dma_at_ram_end);
    tcase_add_test(c, test_dma_odd_count);
    suite_add_tcase(s, c);
    c = tcase("ne2000_tx", nic_setup, nic_teardown);
    tcase_add_test(c, test_tx_frame);
    tcase_add_test(c, test_tx_stopped);
    tcase_add_test(c, test_tx_no_backend);
    suite_add_tcase(s, c);
    c = tcase("ne2000_rx", nic_setup, nic_teardown);
    tcase_add_test(c, test_rx_header);
    tcase_add_test(c, test_rx_short_padded);
    tcase_add_test(c, test_rx_wrap);
    tcase_add_test(c, test_rx_overflow);
    tcase_add_test(c, test_rx_filters);
    tcase_add_test(c, test_rx_stopped_and_monitor);
    tcase_add_test(c, test_rx_tally);
    suite_add_tcase(s, c);
    c = tcase("ne2000_hostile", nic_setup, nic_teardown);
    tcase_add_test(c, test_cve_2015_5278);
    tcase_add_test(c, test_cve_2015_5279);
    tcase_add_test(c, test_cve_2016_2841);
    tcase_add_test(c, test_cve_2018_10839);
    tcase_add_test(c, test_tx_hostile);
    suite_add_tcase(s, c);
}
