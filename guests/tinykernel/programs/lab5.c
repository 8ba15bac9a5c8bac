/* Lab 5 test programs: PCI enumeration and BARs, the NE2000's PROM, transmit, ping, TFTP, the receive ring and its interrupt. */
#include <string.h>
#include <minivmm/console.h>
#include "../kernel.h"
#include "../ne2000.h"
#include "../net.h"
#include "../pci.h"
#include "../sha256.h"
#include "../timer.h"

#define PORT2 0x2000           /* where lab5-enum moves the card's BAR */
#define PROBE_ETHERTYPE 0x88b5 /* IEEE 802 "local experimental": lab5-tx's frame */

static int open_card(const char *t, uint8_t pstart, uint8_t pstop)
{
    const char *why = net_open(pstart, pstop);
    if (why)
        test_fail(t, "%s", why);
    return why != NULL;
}

static bool wait_until(bool (*done)(void), unsigned ms)
{
    uint64_t end = cntvct() + net_ms(ms);
    while (!done())
        if (cntvct() > end)
            return false;
    return true;
}

/* The gateway's MAC, by ARP. */
static void print_ip(const char *what, uint32_t ip)
{
    kprintf("%s%u.%u.%u.%u", what, (unsigned)(ip >> 24), (unsigned)(ip >> 16) & 255,
            (unsigned)(ip >> 8) & 255, (unsigned)ip & 255);
}

static int resolve_gateway(const char *t)
{
    uint8_t mac[6];
    if (!net_arp(NET_GATEWAY, mac, 1000)) {
        test_fail(t, "no ARP reply from 10.0.2.2 within 1 s");
        return 1;
    }
    print_ip("arp ", NET_GATEWAY);
    kprintf(" is %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return 0;
}

/* ---- PCI: what is on bus 0, and the card's BAR. */

/* A port nothing decodes reads all ones, or (on some bridges) aborts: both mean "no card". */
static volatile unsigned aborts;
static uint32_t skip_abort(int kind, struct trap_frame *f)
{
    if (kind != 4)
        return 0;
    aborts++;
    return f->lr - 4; /* the instruction after the faulting one */
}

static bool card_answers(uint16_t port)
{
    aborts = 0;
    trap_hook = skip_abort;
    bool yes = ne_probe(port);
    trap_hook = NULL;
    return yes && !aborts;
}

static void list_bus(const struct pci_fn *fns, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        kprintf("pci 00:%02x.%u %04x:%04x class %06x\n", PCI_DEV(fns[i].bdf), PCI_FN(fns[i].bdf),
                fns[i].vendor, fns[i].device, (unsigned)fns[i].class);
}

/* Every device slot of bus 0 with nothing found, function 1 of a single-function
 * device and all of bus 1 read all ones; how many functions were checked, or -1. */
static int check_absent(const struct pci_fn *fns, unsigned n, pci_bdf *bad)
{
    int checked = 0;
    for (unsigned dev = 0; dev < 32; dev++) {
        bool present = false;
        for (unsigned i = 0; i < n; i++)
            present |= PCI_DEV(fns[i].bdf) == dev;
        pci_bdf f = present ? PCI_BDF(0, dev, 1) : PCI_BDF(0, dev, 0);
        if (present && (pci_read8(PCI_BDF(0, dev, 0), PCI_HEADER_TYPE) & PCI_HEADER_MULTI))
            continue;
        *bad = f;
        if (pci_read32(f, PCI_VENDOR_ID) != 0xffffffffu)
            return -1;
        checked++;
    }
    *bad = PCI_BDF(1, 0, 0);
    return pci_read32(*bad, PCI_VENDOR_ID) == 0xffffffffu ? checked + 1 : -1;
}

/* After all ones were written an I/O BAR reads: bit 0 set, bit 1 clear, then
 * zeros up to the size (its lowest set bit: at least 0x20 ports here) and
 * ones above (to bit 15 at least: 16-bit decoders may read 0 above). */
static const char *bar_problem(struct pci_bar b)
{
    if (!b.io)
        return "bit 0 is clear: a memory BAR, not an I/O BAR";
    if (b.readback & 2)
        return "reserved bit 1 is set";
    if (b.size < NE_PORTS)
        return "smaller than the card's 0x20 ports";
    if (((b.readback | (b.size - 1)) & 0xffff) != 0xffff)
        return "address bits above the size do not all read 1";
    return NULL;
}

/* The RTL8029 among the functions of bus 0, with the right class, read alike at every width. */
static int find_nic(const char *t, struct pci_fn *nic, const struct pci_fn *fns, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (fns[i].vendor == NE_VENDOR && fns[i].device == NE_DEVICE)
            *nic = fns[i];
    CHECK(t, nic->vendor, "no %04x:%04x among the %u functions of bus 0", NE_VENDOR, NE_DEVICE, n);
    CHECK(t, nic->class >> 8 == 0x0200, "class %06x, expected 0200xx (Ethernet controller)",
          (unsigned)nic->class);
    CHECK(t,
          pci_read16(nic->bdf, PCI_DEVICE_ID) == NE_DEVICE &&
              pci_read8(nic->bdf, PCI_CLASS_REVISION + 3) == 0x02,
          "16- and 8-bit configuration reads disagree with 32-bit ones");
    return 0;
}

/* BAR0 sized (and left as it was), then placed at NET_PORT with I/O decoding on. */
static int size_and_assign(const char *t, pci_bdf f, struct pci_bar *b)
{
    uint32_t before = pci_read32(f, PCI_BAR0);
    *b = pci_bar_size(f, 0);
    const char *why = bar_problem(*b);
    CHECK(t, !why, "BAR0 reads %#x after all ones were written: %s", (unsigned)b->readback, why);
    CHECK(t, pci_read32(f, PCI_BAR0) == before, "BAR0 did not keep %#x written back after sizing",
          (unsigned)before);
    pci_assign_io(f, 0, NET_PORT);
    CHECK(t, pci_read32(f, PCI_BAR0) == (NET_PORT | PCI_BAR_IO), "BAR0 reads %#x after %#x was written",
          (unsigned)pci_read32(f, PCI_BAR0), NET_PORT);
    CHECK(t, pci_read16(f, PCI_COMMAND) & PCI_COMMAND_IO, "COMMAND.IO does not stay set");
    CHECK(t, card_answers(NET_PORT), "no NE2000 answers at port %#x", NET_PORT);
    return 0;
}

/* The card follows its BAR to PORT2, and answers nowhere once COMMAND.IO is clear. */
static int move(const char *t, pci_bdf f)
{
    pci_assign_io(f, 0, PORT2);
    CHECK(t, pci_read32(f, PCI_BAR0) == (PORT2 | PCI_BAR_IO), "BAR0 reads %#x after %#x was written",
          (unsigned)pci_read32(f, PCI_BAR0), PORT2);
    CHECK(t, card_answers(PORT2), "moved to port %#x, the card does not answer there", PORT2);
    CHECK(t, !card_answers(NET_PORT), "moved to port %#x, the card still answers at %#x", PORT2, NET_PORT);
    pci_write16(f, PCI_COMMAND, pci_read16(f, PCI_COMMAND) & ~PCI_COMMAND_IO);
    CHECK(t, !card_answers(PORT2), "the card answers with COMMAND.IO clear");
    return 0;
}

PROGRAM(lab5_enum, "lab5-enum", "lab 5: PCI bus 0: find the RTL8029, size its I/O BAR, assign it and move it")
{
    const char *t = "lab5-enum";
    struct pci_fn fns[16], nic = {0};
    struct pci_bar b;
    pci_bdf bad;
    CHECK(t, pci_init(), "no pci-host-ecam-generic node in the device tree: the PCI host bridge is off");
    unsigned n = pci_scan(0, fns, 16);
    list_bus(fns, n);
    if (find_nic(t, &nic, fns, n))
        return 1;
    int absent = check_absent(fns, n, &bad);
    CHECK(t, absent > 0, "absent function %02x:%02x.%u reads %#x, not all ones", PCI_BUS(bad), PCI_DEV(bad),
          PCI_FN(bad), (unsigned)pci_read32(bad, PCI_VENDOR_ID));
    if (size_and_assign(t, nic.bdf, &b) || move(t, nic.bdf))
        return 1;
    kprintf("lab5-enum: %u functions on bus 0, %d absent ones read all ones; %04x:%04x at 00:%02x.%u, "
            "BAR0 %#x ports of I/O, at %#x then %#x\n",
            n, absent, nic.vendor, nic.device, PCI_DEV(nic.bdf), PCI_FN(nic.bdf), (unsigned)b.size, NET_PORT,
            PORT2);
    test_pass(t);
    return 0;
}

/* ---- The station address PROM. */
PROGRAM(lab5_prom, "lab5-prom", "lab 5: reset the NE2000, read its PROM by remote DMA, print the MAC")
{
    const char *t = "lab5-prom";
    struct pci_fn nic;
    uint8_t prom[32];
    CHECK(t, pci_init(), "no pci-host-ecam-generic node in the device tree: the PCI host bridge is off");
    CHECK(t, pci_find(NE_VENDOR, NE_DEVICE, &nic), "no %04x:%04x on PCI bus 0", NE_VENDOR, NE_DEVICE);
    pci_assign_io(nic.bdf, 0, NET_PORT);
    CHECK(t, ne_reset(NET_PORT), "no ISR.RST within 10 ms of a reset through port 0x1f");
    bool rdc = ne_read_prom(prom);
    kprintf("prom");
    for (unsigned i = 0; i < 16; i++)
        kprintf(" %02x", prom[i]);
    kprintf("\nmac %02x:%02x:%02x:%02x:%02x:%02x\n", prom[0], prom[1], prom[2], prom[3], prom[4], prom[5]);
    CHECK(t, rdc, "the PROM's remote DMA read did not end with ISR.RDC");
    CHECK(t, !(prom[0] == prom[1] && prom[28] == 0x57),
          "each PROM byte came twice: in word mode (DCR.WTS) a read of the data port consumes a word");
    CHECK(t, prom[14] == 0x57 && prom[15] == 0x57, "PROM bytes 14-15 are %#x %#x, not 0x57 0x57", prom[14],
          prom[15]);
    CHECK(t, !(prom[0] & 1) && (prom[0] | prom[1] | prom[2] | prom[3] | prom[4] | prom[5]),
          "the MAC is a multicast or a zero address");
    ne_start(prom, NE_RX_START, NE_RX_STOP);
    for (unsigned i = 0; i < 6; i++)
        CHECK(t, ne_in_page1(NE_PAR0 + i) == prom[i], "PAR%u reads %#x, %#x was written", i,
              ne_in_page1(NE_PAR0 + i), prom[i]);
    test_pass(t);
    return 0;
}

/* ---- One frame out: the grader finds its payload in the pcap. */
static bool sent(void)
{
    ne_service(NULL);
    return ne_stats.isr_seen & NE_ISR_PTX;
}

PROGRAM(lab5_tx, "lab5-tx", "lab 5: transmit a broadcast frame carrying the run's nonce")
{
    const char *t = "lab5-tx";
    uint8_t f[64] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    char nonce[16];
    if (open_card(t, NE_RX_START, NE_RX_STOP))
        return 1;
    memcpy(f + 6, net_mac, 6);
    f[12] = PROBE_ETHERTYPE >> 8;
    f[13] = PROBE_ETHERTYPE & 0xff;
    size_t n = ETH_HLEN + mv_snprintf((char *)f + ETH_HLEN, sizeof(f) - ETH_HLEN, "minivmm-lab5 %s",
                                      bootarg("nonce", nonce, sizeof(nonce)) ? nonce : "none");
    ne_stats.isr_seen = 0;
    CHECK(t, ne_transmit(f, n), "the card did not take the frame (remote DMA without ISR.RDC?)");
    CHECK(t, wait_until(sent, 100), "no ISR.PTX within 100 ms of TXP (ISR %#x)", ne_stats.isr_seen);
    uint8_t tsr = ne_in(NE_TSR);
    CHECK(t, tsr & 1, "ISR.PTX came, but TSR reads %#x without PTX", tsr);
    kprintf("lab5-tx: %u-byte frame sent, ISR.PTX, TSR %#x\n", (unsigned)n, tsr);
    /* A round trip behind it: when the reply is back, the VMM's host NIC has
     * sent the frame too (it goes out in order), and powering off loses nothing. */
    if (resolve_gateway(t))
        return 1;
    test_pass(t);
    return 0;
}

/* ---- ICMP echo with the gateway. */
PROGRAM(lab5_ping, "lab5-ping", "lab 5: ARP for the gateway, then three pings answered")
{
    const char *t = "lab5-ping";
    if (open_card(t, NE_RX_START, NE_RX_STOP) || resolve_gateway(t))
        return 1;
    for (uint16_t seq = 1; seq <= 3; seq++) {
        uint64_t rtt;
        CHECK(t, net_ping(NET_GATEWAY, seq, 56, 500, &rtt), "no reply to echo request %u within 500 ms", seq);
        kprintf("ping 10.0.2.2 seq %u: reply in %u ticks\n", seq, (unsigned)rtt);
    }
    CHECK(t, net_echo.bad == 0, "%u replies came with a wrong checksum or payload", net_echo.bad);
    test_pass(t);
    return 0;
}

/* ---- TFTP: two files from the grader's fixture, digested as they come. */
PROGRAM(lab5_tftp, "lab5-tftp", "lab 5: TFTP read of small.bin and big.bin, with their SHA-256")
{
    const char *t = "lab5-tftp";
    static const char *const files[] = {"small.bin", "big.bin"};
    CHECK(t, sha256_selftest(), "SHA-256 gives wrong digests for FIPS 180-4's test vectors");
    if (open_card(t, NE_RX_START, NE_RX_STOP))
        return 1;
    for (unsigned i = 0; i < 2; i++) {
        struct sha256 s;
        uint8_t digest[32];
        char hex[65];
        size_t size = 0;
        uint64_t start = cntvct();
        sha256_init(&s);
        const char *why = tftp_get(NET_GATEWAY, files[i], &s, &size);
        CHECK(t, !why, "%s: %s", files[i], why);
        sha256_final(&s, digest);
        sha256_hex(digest, hex);
        kprintf("tftp %s sha256 %s\n", files[i], hex);
        kprintf("tftp %s: %u bytes in %u ms\n", files[i], (unsigned)size,
                (unsigned)((cntvct() - start) / net_ms(1)));
    }
    kprintf("lab5-tftp: %u frames received, %u sent, %u ring wraps\n", ne_stats.rx_frames, ne_stats.tx_frames,
            ne_stats.wraps);
    test_pass(t);
    return 0;
}

/* ---- The receive ring: wrap-around, frames split at PSTOP, an overflow and the recovery. */
#define TINY_RING 8   /* pages */
#define RING_ECHO 600 /* bytes of echo data: 642-byte frames, three pages of the ring each */
#define BURST 30

/* Let frames arrive without reading them: only the command register is looked at. */
static void leave_unread(unsigned ms)
{
    for (uint64_t end = cntvct() + net_ms(ms); cntvct() < end;)
        (void)ne_in(NE_CR);
}

static void receive_for(unsigned ms)
{
    for (uint64_t end = cntvct() + net_ms(ms); cntvct() < end;)
        net_poll(end);
}

static int ping_n(const char *t, uint16_t first, unsigned n, unsigned size)
{
    for (uint16_t seq = first; seq < first + n; seq++) {
        uint64_t rtt;
        CHECK(t, net_ping(NET_GATEWAY, seq, size, 500, &rtt),
              "no reply to echo request %u (%u bytes) within 500 ms", seq, size);
    }
    return 0;
}

PROGRAM(lab5_ring, "lab5-ring",
        "lab 5: an 8-page receive ring wraps, splits frames at PSTOP, overflows and recovers")
{
    const char *t = "lab5-ring";
    if (open_card(t, NE_RX_START, NE_RX_START + TINY_RING) || resolve_gateway(t) ||
        ping_n(t, 1, 6, RING_ECHO))
        return 1;
    CHECK(t, ne_stats.wraps >= 1 && ne_stats.splits >= 1,
          "6 three-page frames in an 8-page ring: %u wraps, %u split", ne_stats.wraps, ne_stats.splits);
    CHECK(t, net_echo.bad == 0, "%u replies came damaged (a frame split at PSTOP continues at PSTART)",
          net_echo.bad);
    unsigned before = net_echo.replies;
    for (uint16_t seq = 100; seq < 100 + BURST; seq++)
        CHECK(t, net_send_echo(NET_GATEWAY, seq, RING_ECHO), "the card did not take echo request %u", seq);
    leave_unread(20);
    uint8_t isr = ne_in(NE_ISR);
    receive_for(50);
    unsigned burst = net_echo.replies - before;
    CHECK(t, ne_stats.overruns >= 1, "%u echo requests left unread gave %u replies and no overflow (ISR %#x)",
          BURST, burst, isr);
    if (ping_n(t, 200, 3, RING_ECHO))
        return 1;
    CHECK(t, net_echo.bad == 0, "%u replies came damaged", net_echo.bad);
    kprintf(
        "lab5-ring: %u-page ring: %u wraps, %u frames split at PSTOP; a burst of %u: %u replies, %u overflow(s) "
        "recovered; 3 pings after\n",
        TINY_RING, ne_stats.wraps, ne_stats.splits, BURST, burst, ne_stats.overruns);
    test_pass(t);
    return 0;
}

/* ---- The card's interrupt: INTA through the interrupt-map's swizzle to the GIC, gated by IMR. */
static volatile unsigned taken_n;
static volatile unsigned taken[8];

static void line_irq(unsigned id)
{
    if (taken_n < 8)
        taken[taken_n] = id;
    taken_n++;
    ne_irq(id); /* masks the card: its line is level-triggered */
}

/* A few exits: time for the VMM to deliver an interrupt. */
static void settle(void)
{
    for (int i = 0; i < 16; i++)
        (void)ne_in(NE_CR);
}

static uint8_t want_isr;
static bool isr_has(void) { return ne_in(NE_ISR) & want_isr; }

/* With IMR 0 the event bit waits in ISR without an interrupt; setting its IMR bit raises one at ID id. */
static int gated(const char *t, uint8_t bit, unsigned id)
{
    unsigned n = taken_n;
    want_isr = bit;
    CHECK(t, wait_until(isr_has, 500), "ISR bit %#x did not come within 500 ms", bit);
    settle();
    CHECK(t, taken_n == n, "an interrupt (ID %u) came with IMR 0", taken[n]);
    ne_out(NE_IMR, bit);
    settle();
    CHECK(t, taken_n == n + 1, "%u interrupts after IMR was set to %#x, expected 1", taken_n - n, bit);
    CHECK(t, taken[n] == id, "the interrupt came at ID %u, not %u", taken[n], id);
    CHECK(t, ne_in(NE_ISR) & bit, "ISR bit %#x was cleared by someone", bit);
    ne_out(NE_ISR, bit);
    ne_out(NE_IMR, bit); /* the handler masked it: with ISR clear the line stays low */
    settle();
    CHECK(t, taken_n == n + 1, "another interrupt after ISR was acknowledged");
    ne_out(NE_IMR, 0);
    return 0;
}

/* COMMAND.INTX_DISABLE holds the line back while STATUS.INT shows the card's request. */
static int intx_disable(const char *t, unsigned id)
{
    uint16_t cmd = pci_read16(net_card.bdf, PCI_COMMAND);
    unsigned n = taken_n;
    want_isr = NE_ISR_PTX;
    CHECK(t, wait_until(isr_has, 500), "no ISR.PTX within 500 ms");
    pci_write16(net_card.bdf, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
    ne_out(NE_IMR, NE_ISR_PTX);
    settle();
    CHECK(t, taken_n == n, "an interrupt came with COMMAND.INTX_DISABLE set");
    CHECK(t, pci_read16(net_card.bdf, PCI_STATUS) & PCI_STATUS_INTERRUPT,
          "STATUS.INT is clear while ISR & IMR is not");
    pci_write16(net_card.bdf, PCI_COMMAND, cmd & ~PCI_COMMAND_INTX_DISABLE);
    settle();
    CHECK(t, taken_n == n + 1 && taken[n] == id,
          "%u interrupts once INTX_DISABLE was cleared, expected 1 at ID %u", taken_n - n, id);
    CHECK(t, !(pci_read16(net_card.bdf, PCI_STATUS) & PCI_STATUS_INTERRUPT), "STATUS.INT is set with IMR 0");
    ne_out(NE_ISR, NE_ISR_PTX);
    return 0;
}

PROGRAM(lab5_irq, "lab5-irq", "lab 5: the NE2000's INTA arrives at the swizzled GIC ID, gated by IMR")
{
    const char *t = "lab5-irq";
    uint8_t f[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (open_card(t, NE_RX_START, NE_RX_STOP) || resolve_gateway(t))
        return 1;
    CHECK(t, gic_init(), "no arm,cortex-a15-gic node in the device tree: lab 4's GIC is off");
    unsigned pin = pci_read8(net_card.bdf, PCI_INTERRUPT_PIN), id = pci_irq(net_card.bdf);
    CHECK(t, pin == 1, "interrupt pin %u, expected 1 (INTA)", pin);
    kprintf("lab5-irq: 00:%02x.%u INTA is GIC ID %u\n", PCI_DEV(net_card.bdf), PCI_FN(net_card.bdf), id);
    for (unsigned i = 35; i < 39; i++) /* all four INTx lines: a wrong swizzle shows */
        gic_enable(i, 0x80, line_irq);
    irq_on();
    memcpy(f + 6, net_mac, 6);
    f[12] = PROBE_ETHERTYPE >> 8;
    f[13] = PROBE_ETHERTYPE & 0xff;
    CHECK(t, ne_transmit(f, sizeof(f)), "the card did not take a frame");
    if (gated(t, NE_ISR_PTX, id))
        return 1;
    CHECK(t, ne_transmit(f, sizeof(f)), "the card did not take a frame");
    if (intx_disable(t, id))
        return 1;
    CHECK(t, net_send_echo(NET_GATEWAY, 1, 56), "the card did not take an echo request");
    if (gated(t, NE_ISR_PRX, id))
        return 1;
    net_use_irq(id); /* now the driver's own handler, and WFI */
    unsigned before = ne_stats.irqs;
    if (ping_n(t, 2, 3, 56))
        return 1;
    irq_off();
    CHECK(t, ne_stats.irqs > before && ne_stats.irq_id == id,
          "3 pings answered with %u interrupts (the last at %u)", ne_stats.irqs - before, ne_stats.irq_id);
    CHECK(t, taken_n == 3, "%u interrupts at other IDs (the last at %u)", taken_n - 3, taken[taken_n - 1]);
    kprintf(
        "lab5-irq: IMR and INTX_DISABLE held PTX and PRX back, then raised ID %u; 3 pings woke WFI with %u interrupts\n",
        id, ne_stats.irqs - before);
    test_pass(t);
    return 0;
}
