/* tinykernel's network stack over the NE2000: Ethernet, ARP (one cached entry), IPv4, ICMP echo, UDP and a TFTP client. */
#ifndef TK_NET_H
#define TK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pci.h"
#include "sha256.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
/* QEMU's user network (slirp): our address, and the gateway that answers
 * ARP and pings and serves TFTP on port 69. */
#define NET_GUEST IP4(10, 0, 2, 15)
#define NET_GATEWAY IP4(10, 0, 2, 2)
#define NET_PORT 0x1000 /* where net_open places the card's I/O BAR (as Linux did on QEMU) */
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806

extern uint8_t net_mac[6];
extern struct pci_fn net_card;

/* Find the card on PCI bus 0, place its I/O BAR at NET_PORT, reset it, read
 * its MAC from the PROM and start it with the receive ring pstart..pstop.
 * NULL, or what went wrong. */
const char *net_open(uint8_t pstart, uint8_t pstop);
/* From now on sleep in WFI until the card's interrupt (GIC ID id) or the
 * virtual timer wakes us, instead of polling the card. */
void net_use_irq(unsigned id);

/* Counter ticks in ms milliseconds (the timeouts' unit). */
uint64_t net_ms(unsigned ms);
/* Handle what the card has for us; in interrupt mode, first sleep until it
 * interrupts (or 1 ms, or deadline, whichever is first). */
void net_poll(uint64_t deadline);

/* The MAC of ip (on our subnet), asking with ARP requests for up to timeout_ms. */
bool net_arp(uint32_t ip, uint8_t mac[6], unsigned timeout_ms);

/* ICMP echo: requests carry size bytes of a pattern the reply must return. */
struct net_echo {
    unsigned replies, bad; /* replies received, and replies with a wrong payload or checksum */
    uint16_t seq;          /* the last reply's sequence number, */
    uint64_t at;           /* and when it came (counter ticks) */
};
extern struct net_echo net_echo;
bool net_send_echo(uint32_t ip, uint16_t seq, unsigned size);
/* Send one echo request and wait for its reply; rtt in counter ticks. */
bool net_ping(uint32_t ip, uint16_t seq, unsigned size, unsigned timeout_ms, uint64_t *rtt);

/* UDP: send a datagram; datagrams to the one bound port go to its handler. */
typedef void (*udp_handler)(uint32_t src, uint16_t sport, const uint8_t *data, size_t len);
void net_udp_bind(uint16_t port, udp_handler h);
bool net_udp_send(uint32_t dst, uint16_t sport, uint16_t dport, const void *data, size_t len);

/* Read file from the TFTP server at server:69 (octet mode, 512-byte blocks),
 * digesting it into sum; its size in *size. NULL, or what went wrong. */
const char *tftp_get(uint32_t server, const char *file, struct sha256 *sum, size_t *size);

#endif
