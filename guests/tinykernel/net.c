/* tinykernel's network stack over the NE2000: Ethernet, ARP (one cached entry), IPv4, ICMP echo, UDP and a TFTP client.
 *
 * Just enough to talk to QEMU's user network: frames are built in one
 * transmit buffer, received frames are handled as the driver hands them over
 * (replies are sent from there), and whoever waits for something calls
 * net_poll until it happens or a deadline passes. Multi-byte header fields
 * are big-endian and may sit at any alignment: get16/put16 and friends. */
#include <string.h>
#include <minivmm/console.h>
#include "kernel.h"
#include "ne2000.h"
#include "net.h"
#include "timer.h"

#define IP_HLEN 20
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17
#define UDP_HLEN 8
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ECHO_ID 0x4d56 /* "MV": our echo requests' identifier */
#define IRQ_VTIMER 27

uint8_t net_mac[6];
struct pci_fn net_card;
struct net_echo net_echo;
static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static uint32_t tx_words[1516 / 4]; /* the frame being built */
static uint8_t *const tx = (uint8_t *)tx_words;
static uint16_t ip_id;
static bool use_irq;
static struct {
    bool valid;
    uint32_t ip;
    uint8_t mac[6];
} arp_cache;
static struct {
    uint16_t port;
    udp_handler handler;
} udp_bound;

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* The Internet checksum: the one's-complement sum of 16-bit words. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(p + i);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint64_t net_ms(unsigned ms) { return (uint64_t)cntfrq() * ms / 1000; }

/* ---- Ethernet. */
static bool eth_send(const uint8_t dst[6], uint16_t type, size_t len)
{
    memcpy(tx, dst, 6);
    memcpy(tx + 6, net_mac, 6);
    put16(tx + 12, type);
    return ne_transmit(tx, ETH_HLEN + len);
}

/* ---- ARP (RFC 826) for IPv4 over Ethernet: 28 bytes after the Ethernet header. */
static void arp_remember(uint32_t ip, const uint8_t mac[6])
{
    arp_cache.valid = true;
    arp_cache.ip = ip;
    memcpy(arp_cache.mac, mac, 6);
}

static bool arp_send(uint16_t op, const uint8_t tha[6], uint32_t tpa)
{
    uint8_t *a = tx + ETH_HLEN;
    put16(a, 1); /* hardware: Ethernet */
    put16(a + 2, ETH_P_IP);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, net_mac, 6);
    put32(a + 14, NET_GUEST);
    memcpy(a + 18, op == ARP_REQUEST ? (const uint8_t[6]){0} : tha, 6);
    put32(a + 24, tpa);
    return eth_send(op == ARP_REQUEST ? broadcast : tha, ETH_P_ARP, 28);
}

/* Learn the sender of anything addressed to us; answer requests. */
static void arp_input(const uint8_t *a, size_t len)
{
    if (len < 28 || get16(a) != 1 || get16(a + 2) != ETH_P_IP || a[4] != 6 || a[5] != 4)
        return;
    if (get32(a + 24) != NET_GUEST)
        return;
    arp_remember(get32(a + 14), a + 8);
    if (get16(a + 6) == ARP_REQUEST)
        arp_send(ARP_REPLY, a + 8, get32(a + 14));
}

bool net_arp(uint32_t ip, uint8_t mac[6], unsigned timeout_ms)
{
    uint64_t end = cntvct() + net_ms(timeout_ms), again = 0;
    while (!(arp_cache.valid && arp_cache.ip == ip)) {
        uint64_t now = cntvct();
        if (now > end)
            return false;
        if (now >= again) { /* a request every 100 ms */
            arp_send(ARP_REQUEST, NULL, ip);
            again = now + net_ms(100);
        }
        net_poll(again < end ? again : end);
    }
    memcpy(mac, arp_cache.mac, 6);
    return true;
}

/* ---- IPv4 (RFC 791): no options, no fragments. The payload is at tx + 34. */
static bool ip_send(uint32_t dst, uint8_t proto, size_t len)
{
    uint8_t *ip = tx + ETH_HLEN;
    uint32_t hop = (dst ^ NET_GUEST) >> 8 ? NET_GATEWAY : dst; /* our /24 directly, else the gateway */
    if (!arp_cache.valid || arp_cache.ip != hop)
        return false; /* resolve first (net_arp): we never wait in here */
    ip[0] = 0x45;     /* version 4, 5 words of header */
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(IP_HLEN + len));
    put16(ip + 4, ip_id++);
    put16(ip + 6, 0x4000); /* don't fragment */
    ip[8] = 64;            /* TTL */
    ip[9] = proto;
    put16(ip + 10, 0);
    put32(ip + 12, NET_GUEST);
    put32(ip + 16, dst);
    put16(ip + 10, fold(sum16(ip, IP_HLEN, 0)));
    return eth_send(arp_cache.mac, ETH_P_IP, IP_HLEN + len);
}

/* ---- ICMP echo (RFC 792): requests carry size bytes of (seq + i). */
static bool echo_payload_ok(const uint8_t *p, size_t size, uint16_t seq)
{
    for (size_t i = 0; i < size; i++)
        if (p[i] != (uint8_t)(seq + i))
            return false;
    return true;
}

bool net_send_echo(uint32_t ip, uint16_t seq, unsigned size)
{
    uint8_t *icmp = tx + ETH_HLEN + IP_HLEN;
    if (size > NE_FRAME_MAX - 4 - ETH_HLEN - IP_HLEN - 8)
        return false;
    icmp[0] = ICMP_ECHO_REQUEST;
    icmp[1] = 0;
    put16(icmp + 2, 0);
    put16(icmp + 4, ECHO_ID);
    put16(icmp + 6, seq);
    for (unsigned i = 0; i < size; i++)
        icmp[8 + i] = (uint8_t)(seq + i);
    put16(icmp + 2, fold(sum16(icmp, 8 + size, 0)));
    return ip_send(ip, IP_PROTO_ICMP, 8 + size);
}

/* Answer requests with the same identifier, sequence and data; count the replies to ours. */
static void icmp_input(uint32_t src, const uint8_t *p, size_t len)
{
    if (len < 8)
        return;
    bool sum_ok = !fold(sum16(p, len, 0));
    if (p[0] == ICMP_ECHO_REQUEST && sum_ok && len <= sizeof(tx_words) - ETH_HLEN - IP_HLEN) {
        uint8_t *icmp = tx + ETH_HLEN + IP_HLEN;
        memcpy(icmp, p, len);
        icmp[0] = ICMP_ECHO_REPLY;
        put16(icmp + 2, 0);
        put16(icmp + 2, fold(sum16(icmp, len, 0)));
        ip_send(src, IP_PROTO_ICMP, len);
    } else if (p[0] == ICMP_ECHO_REPLY && get16(p + 4) == ECHO_ID) {
        if (!sum_ok || !echo_payload_ok(p + 8, len - 8, get16(p + 6))) {
            net_echo.bad++;
            return;
        }
        net_echo.replies++;
        net_echo.seq = get16(p + 6);
        net_echo.at = cntvct();
    }
}

bool net_ping(uint32_t ip, uint16_t seq, unsigned size, unsigned timeout_ms, uint64_t *rtt)
{
    uint64_t sent = cntvct(), end = sent + net_ms(timeout_ms);
    unsigned before = net_echo.replies;
    if (!net_send_echo(ip, seq, size))
        return false;
    while (!(net_echo.replies != before && net_echo.seq == seq) && cntvct() < end)
        net_poll(end);
    *rtt = net_echo.at - sent;
    return net_echo.replies != before && net_echo.seq == seq;
}

/* ---- UDP (RFC 768), checksummed over a pseudo-header of addresses, protocol and length. */
static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IP_PROTO_UDP + (uint32_t)len;
}

void net_udp_bind(uint16_t port, udp_handler h)
{
    udp_bound.port = port;
    udp_bound.handler = h;
}

bool net_udp_send(uint32_t dst, uint16_t sport, uint16_t dport, const void *data, size_t len)
{
    uint8_t *u = tx + ETH_HLEN + IP_HLEN;
    if (len > sizeof(tx_words) - ETH_HLEN - IP_HLEN - UDP_HLEN)
        return false;
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, (uint16_t)(UDP_HLEN + len));
    put16(u + 6, 0);
    memcpy(u + UDP_HLEN, data, len);
    uint16_t sum = fold(sum16(u, UDP_HLEN + len, pseudo_sum(NET_GUEST, dst, UDP_HLEN + len)));
    put16(u + 6, sum ? sum : 0xffff); /* 0 would mean "no checksum" */
    return ip_send(dst, IP_PROTO_UDP, UDP_HLEN + len);
}

static void udp_input(uint32_t src, uint32_t dst, const uint8_t *u, size_t len)
{
    if (len < UDP_HLEN || get16(u + 4) < UDP_HLEN || get16(u + 4) > len)
        return;
    len = get16(u + 4);
    if (get16(u + 6) && fold(sum16(u, len, pseudo_sum(src, dst, len))))
        return; /* a checksum was sent, and it does not match */
    if (udp_bound.handler && get16(u + 2) == udp_bound.port)
        udp_bound.handler(src, get16(u), u + UDP_HLEN, len - UDP_HLEN);
}

static void ip_input(const uint8_t *ip, size_t len)
{
    if (len < IP_HLEN || ip[0] >> 4 != 4)
        return;
    size_t hlen = (ip[0] & 15) * 4u, total = get16(ip + 2);
    if (hlen < IP_HLEN || total < hlen || total > len || fold(sum16(ip, hlen, 0)))
        return;
    if (get16(ip + 6) & 0x3fff)
        return; /* a fragment (more fragments, or an offset) */
    uint32_t src = get32(ip + 12), dst = get32(ip + 16);
    if (dst != NET_GUEST)
        return;
    if (ip[9] == IP_PROTO_ICMP)
        icmp_input(src, ip + hlen, total - hlen);
    else if (ip[9] == IP_PROTO_UDP)
        udp_input(src, dst, ip + hlen, total - hlen);
}

/* Every frame the driver receives comes here. */
static void eth_input(const uint8_t *f, size_t len)
{
    if (len < ETH_HLEN)
        return;
    if (get16(f + 12) == ETH_P_ARP)
        arp_input(f + ETH_HLEN, len - ETH_HLEN);
    else if (get16(f + 12) == ETH_P_IP)
        ip_input(f + ETH_HLEN, len - ETH_HLEN);
}

/* ---- Waiting: poll the card, or sleep until it (or the virtual timer) interrupts. */
static void timer_wake(unsigned id)
{
    (void)id;
    cntv_set_ctl(0); /* lowers the timer's line */
}

void net_use_irq(unsigned id)
{
    gic_enable(IRQ_VTIMER, 0xa0, timer_wake);
    ne_irq_attach(id);
    use_irq = true;
    irq_on();
}

static void sleep_until_irq(uint64_t deadline)
{
    uint64_t wake = cntvct() + net_ms(1);
    irq_off();
    if (!ne_irq_pending) { /* no interrupt can slip in between this test and WFI */
        cntv_set_cval(wake < deadline ? wake : deadline);
        cntv_set_ctl(CNTV_CTL_ENABLE);
        __asm__ volatile("wfi");
    }
    irq_on(); /* whatever woke us is taken here */
}

void net_poll(uint64_t deadline)
{
    if (use_irq) {
        sleep_until_irq(deadline);
        if (!ne_irq_pending)
            return;
    }
    ne_service(eth_input);
}

const char *net_open(uint8_t pstart, uint8_t pstop)
{
    static char why[120];
    uint8_t prom[32];
    if (!pci_init())
        return "no pci-host-ecam-generic node in the device tree: the PCI host bridge is off";
    if (!pci_find(NE_VENDOR, NE_DEVICE, &net_card))
        return "no 10ec:8029 (RTL8029) on PCI bus 0";
    struct pci_bar bar = pci_bar_size(net_card.bdf, 0);
    if (!bar.io || bar.size < NE_PORTS) {
        mv_snprintf(why, sizeof(why), "BAR0 reads %#x after all ones: not an I/O BAR of 0x20 ports or more",
                    (unsigned)bar.readback);
        return why;
    }
    pci_assign_io(net_card.bdf, 0, NET_PORT);
    if (!ne_reset(NET_PORT))
        return "no ISR.RST within 10 ms of a reset through port 0x1f";
    if (!ne_read_prom(prom))
        return "the PROM's remote DMA read did not end with ISR.RDC";
    if (prom[14] != 0x57 || prom[15] != 0x57) {
        mv_snprintf(why, sizeof(why), "PROM bytes 14-15 are %#x %#x, not 0x57 0x57", prom[14], prom[15]);
        return why;
    }
    memcpy(net_mac, prom, 6);
    ne_start(net_mac, pstart, pstop);
    return NULL;
}

/* ---- TFTP (RFC 1350): a read request, then DATA blocks of 512 bytes, each
 * acknowledged; a shorter block ends the file. A lost packet is covered by
 * sending our last one again (the request, or the last ACK) after a timeout. */
#define TFTP_SERVER_PORT 69
#define TFTP_RRQ 1
#define TFTP_DATA 3
#define TFTP_ACK 4
#define TFTP_ERROR 5
#define TFTP_BLOCK 512
#define TFTP_TIMEOUT_MS 200
#define TFTP_TRIES 10

static struct tftp {
    uint32_t server;
    uint16_t port, server_port; /* ours, and the server's (its transfer ID once data came) */
    uint16_t block;             /* the last block received */
    size_t size;
    bool done;
    const char *error;
    struct sha256 *sum;
    const char *file;
} tftp;

static void tftp_send_last(void)
{
    uint8_t p[4 + 64 + 6];
    if (tftp.block == 0) {
        size_t n = strlen(tftp.file) + 1;
        put16(p, TFTP_RRQ);
        memcpy(p + 2, tftp.file, n);
        memcpy(p + 2 + n, "octet", 6);
        net_udp_send(tftp.server, tftp.port, TFTP_SERVER_PORT, p, 2 + n + 6);
    } else {
        put16(p, TFTP_ACK);
        put16(p + 2, tftp.block);
        net_udp_send(tftp.server, tftp.port, tftp.server_port, p, 4);
    }
}

/* A DATA block, in order, is digested and acknowledged; a duplicate is
 * dropped (acknowledging it again would make the server send twice). */
static void tftp_input(uint32_t src, uint16_t sport, const uint8_t *d, size_t len)
{
    static char error[80];
    if (src != tftp.server || len < 4 || tftp.done)
        return;
    if (get16(d) == TFTP_ERROR) {
        size_t n = mv_snprintf(error, sizeof(error), "TFTP error %u: ", get16(d + 2));
        for (size_t i = 4; i < len && d[i] && n + 1 < sizeof(error); i++)
            error[n++] = (char)d[i];
        error[n] = '\0';
        tftp.error = error;
        tftp.done = true;
        return;
    }
    if (get16(d) != TFTP_DATA || get16(d + 2) != (uint16_t)(tftp.block + 1) || len - 4 > TFTP_BLOCK ||
        (tftp.block && sport != tftp.server_port))
        return;
    tftp.server_port = sport;
    tftp.block++;
    sha256_update(tftp.sum, d + 4, len - 4);
    tftp.size += len - 4;
    tftp.done = len - 4 < TFTP_BLOCK;
    tftp_send_last();
}

const char *tftp_get(uint32_t server, const char *file, struct sha256 *sum, size_t *size)
{
    uint8_t mac[6];
    if (strlen(file) > 64)
        return "file name longer than 64 characters";
    if (!net_arp(server, mac, 1000))
        return "no ARP reply from the TFTP server";
    uint16_t port = (uint16_t)(0xc000 + (cntvct() & 0x3fff)); /* ours: a fresh one for each transfer */
    tftp = (struct tftp){.server = server, .port = port, .sum = sum, .file = file};
    net_udp_bind(tftp.port, tftp_input);
    tftp_send_last();
    uint64_t end = cntvct() + net_ms(TFTP_TIMEOUT_MS);
    for (unsigned tries = 1; !tftp.done;) {
        uint16_t block = tftp.block;
        net_poll(end);
        if (tftp.block != block) { /* progress: a new timeout */
            tries = 1;
            end = cntvct() + net_ms(TFTP_TIMEOUT_MS);
        } else if (cntvct() >= end) {
            if (tries++ == TFTP_TRIES)
                return block ? "timeout: no next DATA block after 10 ACKs"
                             : "timeout: no answer to 10 read requests";
            tftp_send_last();
            end = cntvct() + net_ms(TFTP_TIMEOUT_MS);
        }
    }
    net_udp_bind(0, NULL);
    *size = tftp.size;
    return tftp.error;
}
