/* The host NIC: how emulated guest network cards reach the real network (backend/virtio_net.c). */
#ifndef MINIVMM_NETDEV_H
#define MINIVMM_NETDEV_H

#include "types.h"

#define NETDEV_FRAME_MIN   14u                                /* an Ethernet header and nothing else */
#define NETDEV_FRAME_MAX   1514u                              /* header + 1500 bytes of payload, no FCS */
#define NETDEV_MAC_DEFAULT 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 /* mac=: {NETDEV_MAC_DEFAULT} */

/* net=: which host NIC minivmm looks for (vm->net_mode). */
enum net_mode {
    NET_AUTO = 0, /* a virtio-net device if QEMU has one, else no link (the default) */
    NET_VIRTIO,   /* a virtio-net device, or minivmm refuses to start */
    NET_NONE,     /* no host NIC: guest cards have no link */
};

/* The host NIC that guest network cards send through and receive from. */
struct netdev_client {
    /* one received Ethernet frame (14..1514 bytes, no FCS); frame is the NIC's buffer, valid during the call */
    void (*rx)(void *ctx, const uint8_t *frame, unsigned len);
    void *ctx;
};
struct vm;
/* Find and start the host NIC as vm's options ask (vm->net_mode): 0, or -1 with the reason in err
 * (net=virtio but QEMU has no virtio-net device). net=auto without a device, and net=none: no link, 0. */
int netdev_init(struct vm *vm, char *err, size_t errlen);
/* Reset the device and free what netdev_init allocated (host tests and fuzzing; minivmm never stops its NIC). */
void netdev_stop(void);
bool netdev_link(void);                            /* a host NIC is up */
void netdev_attach(const struct netdev_client *c); /* the guest card that receives (one) */
/* Send one frame; false if dropped (no link, TX ring full, length outside 14..1514): counted, never blocks. */
bool netdev_send(const uint8_t *frame, unsigned len);
/* Deliver the frames received so far to the client and give their buffers back (called on the NIC's interrupt). */
void netdev_poll(void);
void netdev_print_stats(void); /* "minivmm: net: ..." lines: sent, received, dropped by reason */
/* Wait (at most 200 ms) until the host NIC has sent every frame given to it: minivmm is about to end. */
void netdev_flush(void);

/* net-test=on (backend/net_test.c): send an ARP request for QEMU user networking's
 * gateway (10.0.2.2) from mac as 10.0.2.15 and wait up to a second for the reply,
 * printing it. 0, or -1 with the reason in err (no link, no reply). */
int netdev_selftest(const uint8_t mac[6], char *err, size_t errlen);

#endif
