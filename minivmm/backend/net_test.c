/* net-test=on: the host NIC's self-test before the guest starts: an ARP request for QEMU user networking's gateway, and its reply. */
#include <minivmm/console.h>
#include <minivmm/host_virtio.h>
#include <minivmm/netdev.h>
#include <minivmm/string.h>

#define ARP_FRAME 60u      /* the request: 42 bytes, padded to Ethernet's minimum */
#define ARP_WAIT  1000000u /* microseconds */

/* QEMU's user network (slirp) answers ARP for its gateway at 10.0.2.2; a
 * guest there is 10.0.2.15 by default. */
static const uint8_t gateway_ip[4] = {10, 0, 2, 2};
static const uint8_t our_ip[4] = {10, 0, 2, 15};
static const uint8_t arp_ipv4[8] = {0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4}; /* type ARP; Ethernet, IPv4, 6, 4 */

struct arp_wait {
    const uint8_t *mac;
    bool answered;
    uint8_t gateway_mac[6];
};

/* Who has 10.0.2.2? Tell 10.0.2.15 (at mac), broadcast. */
static void build_request(uint8_t *f, const uint8_t mac[6])
{
    memset(f, 0, ARP_FRAME);
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    memcpy(f + 12, arp_ipv4, 8);
    f[21] = 1; /* request */
    memcpy(f + 22, mac, 6);
    memcpy(f + 28, our_ip, 4);
    memcpy(f + 38, gateway_ip, 4);
}

/* An ARP reply from 10.0.2.2 to us (mac, 10.0.2.15); everything else is ignored. */
static void on_frame(void *ctx, const uint8_t *f, unsigned len)
{
    struct arp_wait *w = ctx;
    if (len < 42 || memcmp(f, w->mac, 6) || memcmp(f + 12, arp_ipv4, 8) || f[20] != 0 || f[21] != 2 ||
        memcmp(f + 28, gateway_ip, 4) || memcmp(f + 32, w->mac, 6) || memcmp(f + 38, our_ip, 4))
        return;
    memcpy(w->gateway_mac, f + 22, 6);
    w->answered = true;
}

/* Runs before the guest's cards exist: it attaches itself as the NIC's client and detaches after. */
int netdev_selftest(const uint8_t mac[6], char *err, size_t errlen)
{
    uint8_t req[ARP_FRAME];
    struct arp_wait w = {.mac = mac};
    if (!netdev_link()) {
        mv_snprintf(err, errlen, "no host NIC (QEMU has no virtio-net device, or net=none)");
        return -1;
    }
    netdev_attach(&(struct netdev_client){on_frame, &w});
    build_request(req, mac);
    uint64_t start = host_usecs(), now = start;
    bool sent = netdev_send(req, sizeof(req));
    while (sent && !w.answered && now - start < ARP_WAIT) {
        netdev_poll();
        now = host_usecs();
    }
    netdev_attach(NULL);
    if (!sent) {
        mv_snprintf(err, errlen, "the ARP request could not be sent");
        return -1;
    }
    if (!w.answered) {
        mv_snprintf(err, errlen, "no ARP reply from 10.0.2.2 within %u ms (is QEMU's netdev 'user'?)",
                    ARP_WAIT / 1000);
        return -1;
    }
    const uint8_t *g = w.gateway_mac;
    printk("minivmm: net test: ARP reply: 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x (after %u us)\n", g[0],
           g[1], g[2], g[3], g[4], g[5], (unsigned)(now - start));
    return 0;
}
