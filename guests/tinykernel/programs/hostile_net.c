/* Hostile guests for lab 5 (integration tests of the reference, not graded): PCI configuration abuse, QEMU's NE2000 CVE cases, transmit and remote DMA past the card's memory, reset storms. */
#include <string.h>
#include "../kernel.h"
#include "../ne2000.h"
#include "../net.h"
#include "../pci.h"
#include "../timer.h"

#define SLIRP_GW 0x0a000202u /* 10.0.2.2 */

/* The card still works: found, reset, PROM read, an ARP answered by slirp's gateway. */
static const char *card_works(uint8_t mac[6])
{
    const char *why = net_open(NE_RX_START, NE_RX_STOP);
    if (why)
        return why;
    return net_arp(SLIRP_GW, mac, 500) ? NULL : "no ARP reply from 10.0.2.2 after the abuse";
}

/* ---- PCI: configuration accesses nobody should make. */

static uint32_t ecam(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return pci_ecam + (bus << 20 | dev << 15 | fn << 12 | reg);
}

/* Every slot, function and bus the ECAM covers reads all ones or one of the
 * functions there at the start (the card, and the other devices the board may
 * have: lab 6's sound card); writes there change nothing; past the header
 * reads 0; misaligned reads all ones. Returns what went wrong, or NULL. */
static const char *config_abuse(pci_bdf card)
{
    uint32_t there = 0; /* bit n: bus 0 holds a function at device n, function 0 */
    for (unsigned dev = 0; dev < 32; dev++)
        if (mmio_read32(ecam(0, dev, 0, 0)) != 0xffffffffu)
            there |= 1u << dev;
    if (!(there & 1u << PCI_DEV(card)))
        return "the card is not on bus 0";
    for (unsigned bus = 0; bus < 4; bus++) /* the ECAM's buses */
        for (unsigned dev = 0; dev < 32; dev++)
            for (unsigned fn = 0; fn < 8; fn++) {
                uint32_t a = ecam(bus, dev, fn, 0);
                bool it = bus == 0 && fn == 0 && (there >> dev & 1);
                mmio_write32(ecam(bus, dev, fn, PCI_COMMAND), 0xffffffffu);
                mmio_write32(ecam(bus, dev, fn, PCI_BAR0 + 4 * (fn % 6)), 0x40000000u);
                if (!it && mmio_read32(a) != 0xffffffffu)
                    return "an absent function does not read all ones";
            }
    uint32_t id = mmio_read32(ecam(0, PCI_DEV(card), 0, 0));
    if (id != 0x802910ecu)
        return "the card's ID changed after writes to it";
    if (mmio_read32(ecam(0, PCI_DEV(card), 0, 0x100)) || mmio_read32(ecam(0, PCI_DEV(card), 0, 0xffc)))
        return "configuration space past the 256-byte header does not read 0";
    if (mmio_read16(ecam(0, PCI_DEV(card), 0, 1)) != 0xffffu)
        return "a misaligned configuration read does not read all ones";
    for (unsigned n = 1; n < 6;
         n++) /* the card has one BAR: the others stay 0, wherever the guest puts them */
        if (pci_read32(card, PCI_BAR0 + 4 * n))
            return "a BAR the card does not have reads back what was written";
    return NULL;
}

/* The card's one I/O BAR wherever a guest may try: past the I/O window,
 * over its end, all ones with decoding on. Each time the card must answer
 * only where its BAR lies inside the window. */
static const char *bar_abuse(pci_bdf card)
{
    static const uint32_t places[] = {0xffffffe0u, 0x0000ffe8u, 0x00010000u, 0x40000000u, 0x08000000u};
    pci_write16(card, PCI_COMMAND, PCI_COMMAND_IO);
    for (unsigned i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
        pci_write32(card, PCI_BAR0, places[i]);
        if (inb(0x1000) != 0xff) /* nobody at the old port: a master abort */
            return "the card still answers at its old port";
    }
    pci_write32(card, PCI_BAR0, 0xffe0); /* the window's last 32 ports: fine */
    if (inb(0xffe0 + NE_CR) == 0xff)
        return "the card does not answer in the window's last 32 ports";
    pci_write16(card, PCI_COMMAND, 0);
    return NULL;
}

PROGRAM(hostile_pci, "hostile-pci",
        "PCI configuration and BAR abuse: absent functions, past the header, BARs outside the window")
{
    const char *t = "hostile-pci", *why;
    struct pci_fn card;
    uint8_t mac[6];
    canary_set();
    CHECK(t, pci_init() && pci_find(NE_VENDOR, NE_DEVICE, &card), "no PCI bus or no RTL8029 on it");
    why = config_abuse(card.bdf);
    CHECK(t, !why, "%s", why);
    why = bar_abuse(card.bdf);
    CHECK(t, !why, "%s", why);
    why = card_works(mac);
    CHECK(t, !why, "%s", why);
    CHECK(t, canary_intact(), "guest RAM changed under the abuse");
    kprintf("hostile-pci: configuration and BAR abuse survived; the card works\n");
    test_pass(t);
    return 0;
}

/* ---- The NE2000: QEMU's CVE cases, with frames arriving from the network. */

static void out16(unsigned lo, uint16_t v)
{
    ne_out(lo, (uint8_t)v);
    ne_out(lo + 1, (uint8_t)(v >> 8));
}

/* Frames arrive while the ring registers are hostile: ask slirp's gateway
 * for its MAC (a broadcast ARP request: one reply each) a few times. */
static void replies_arrive(void)
{
    uint8_t mac[6];
    for (unsigned i = 0; i < 3; i++)
        net_arp(SLIRP_GW, mac, 20);
}

/* One ring layout a hostile driver may program (page registers written raw). */
struct ring_case {
    const char *what;
    uint8_t pstart, pstop, curr, bnry;
};

static const struct ring_case rings[] = {
    {"CVE-2015-5278: CURR at PSTOP", 0x46, 0x80, 0x80, 0x46},
    {"CVE-2015-5278: CURR past the ring", 0x46, 0x80, 0xff, 0x50},
    {"CVE-2015-5279: PSTART/PSTOP outside the card's memory", 0x00, 0xff, 0x10, 0x00},
    {"CVE-2015-5279: the ring above the card's memory", 0xc0, 0xff, 0xc8, 0xc0},
    {"CVE-2016-2841: PSTART == PSTOP", 0x60, 0x60, 0x60, 0x60},
    {"CVE-2016-2841: PSTART > PSTOP", 0x70, 0x50, 0x60, 0x55},
    {"a one-page ring", 0x7f, 0x80, 0x7f, 0x7f},
    {"BNRY outside the ring", 0x46, 0x80, 0x50, 0xfe},
};

static void program_ring(const struct ring_case *r)
{
    ne_out(NE_CR, NE_CR_STP | NE_CR_NODMA);
    ne_out(NE_PSTART, r->pstart);
    ne_out(NE_PSTOP, r->pstop);
    ne_out(NE_BNRY, r->bnry);
    ne_out(NE_CR, NE_CR_PAGE1 | NE_CR_STP | NE_CR_NODMA);
    ne_out(NE_CURR, r->curr);
    ne_out(NE_CR, NE_CR_STA | NE_CR_NODMA);
    ne_out(NE_ISR, 0xff);
}

/* Transmit with TPSR/TBCR a driver should never give: past the memory, huge, tiny. */
static void tx_abuse(void)
{
    static const struct {
        uint8_t tpsr;
        uint16_t tbcr;
    } txs[] = {{0xbf, 0x0101}, {0xff, 60}, {0x00, 60}, {0x40, 0xffff}, {0x40, 3}, {0xc0, 1514}};
    for (unsigned i = 0; i < sizeof(txs) / sizeof(txs[0]); i++) {
        ne_out(NE_TPSR, txs[i].tpsr);
        out16(NE_TBCR0, txs[i].tbcr);
        ne_out(NE_CR, NE_CR_STA | NE_CR_TXP | NE_CR_NODMA);
        ne_out(NE_ISR, 0xff);
    }
}

/* Remote DMA at and past the card's memory, every width, odd counts, huge counts. */
static void dma_abuse(void)
{
    static const uint16_t addrs[] = {0xbffe, 0xbfff, 0xfffe, 0x0000, 0x3ffe, 0x7fff};
    for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        for (unsigned dir = 0; dir < 2; dir++) {
            out16(NE_RBCR0, i & 1 ? 0xffff : 7);
            out16(NE_RSAR0, addrs[i]);
            ne_out(NE_CR, NE_CR_STA | (dir ? NE_CR_RWRITE : NE_CR_RREAD));
            for (unsigned n = 0; n < 8; n++) {
                if (dir) {
                    outl(0xdeadbeefu, ne_port + NE_DATA);
                    outw(0x1234, ne_port + NE_DATA);
                    outb(0x56, ne_port + NE_DATA);
                } else {
                    (void)inl(ne_port + NE_DATA);
                    (void)inw(ne_port + NE_DATA);
                    (void)inb(ne_port + NE_DATA);
                }
            }
            ne_out(NE_CR, NE_CR_STA | NE_CR_NODMA);
        }
    }
    ne_out(NE_ISR, 0xff);
}

/* Resets back to back, interleaved with commands and reads of every register. */
static void reset_storm(void)
{
    for (unsigned i = 0; i < 300; i++) {
        (void)inb(ne_port + NE_RESET);
        outb((uint8_t)i, ne_port + NE_RESET);
        ne_out(NE_CR, (uint8_t)(i * 37));
        (void)ne_in(i % 16);
        (void)inb(ne_port + NE_DATA);
    }
}

PROGRAM(
    hostile_ne2000, "hostile-ne2000",
    "QEMU's NE2000 CVE cases with frames arriving, TX and remote DMA past the card's memory, reset storms")
{
    const char *t = "hostile-ne2000", *why;
    uint8_t mac[6];
    canary_set();
    why = net_open(NE_RX_START, NE_RX_STOP);
    CHECK(t, !why, "%s", why);
    for (unsigned i = 0; i < sizeof(rings) / sizeof(rings[0]); i++) {
        program_ring(&rings[i]);
        replies_arrive();
        /* CNTR2 (page 0, offset 0x0f, read) tallies the frames the card missed. */
        kprintf("hostile-ne2000: %s: survived (missed-frame tally %u)\n", rings[i].what, ne_in(0x0f));
    }
    tx_abuse();
    kprintf("hostile-ne2000: transmit past the card's memory: survived\n");
    dma_abuse();
    kprintf("hostile-ne2000: remote DMA past the card's memory: survived\n");
    reset_storm();
    kprintf("hostile-ne2000: 300 resets: survived\n");
    why = card_works(mac);
    CHECK(t, !why, "%s", why);
    CHECK(t, canary_intact(), "guest RAM changed under the abuse");
    kprintf("hostile-ne2000: the card works again; guest RAM intact\n");
    test_pass(t);
    return 0;
}
