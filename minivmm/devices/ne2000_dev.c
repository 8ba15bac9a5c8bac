/* The NE2000 as a registered PCI device: the RTL8029's identity, its I/O BAR, the host NIC behind it, and its snapshot. */
#include <minivmm/alloc.h>
#include <minivmm/device.h>
#include <minivmm/netdev.h>
#include <minivmm/snapshot.h>
#include <minivmm/vm.h>
#include <devices/ne2000.h>
#include <devices/pci.h>

/* What Linux's ne2k-pci looks for: RealTek's RTL8029 (10ec:8029), an
 * Ethernet controller with one I/O BAR and INTA. */
static const struct pci_ident rtl8029 = {
    .vendor = 0x10ec,
    .device = 0x8029,
    .class_code = 0x020000,
    .subsys_vendor = 0x10ec,
    .subsys = 0x8029,
    .int_pin = 1,
    .bar = {{NE2000_IO_SIZE, true}},
};

/* The card's frames go out through the host NIC (dropped, and counted
 * there, when there is none); its interrupt through its PCI function. */
static void nic_send(void *ctx, const uint8_t *frame, unsigned len)
{
    (void)ctx;
    netdev_send(frame, len);
}

static void nic_irq(void *ctx, bool level)
{
    struct device *d = ctx;
    irq_line_set(&d->irq, level);
}

static void nic_rx(void *ctx, const uint8_t *frame, unsigned len)
{
    ne2000_receive(ctx, frame, len);
}

static void *ne2000_create(struct device *d)
{
    struct ne2000 *n = mv_calloc(1, sizeof(*n));
    (void)d;
    if (n)
        netdev_attach(&(struct netdev_client){nic_rx, n});
    return n;
}

/* Power-on state, with the PROM holding the VM's MAC address (mac=); the
 * model leaves its output low without saying so, so the line drops here. */
static void ne2000_dev_reset(struct device *d)
{
    struct ne2000_backend b = {nic_send, nic_irq, d};
    ne2000_reset(d->state, d->vm->mac, &b);
    nic_irq(d, false);
}

/* A restore brings back the output's level, not the wire: drive it. */
static void ne2000_dev_snapshot(void *state, struct snap *s)
{
    struct ne2000 *n = state;
    ne2000_snapshot(n, s);
    if (s->dir == SNAP_RESTORE && !s->failed && n->backend.irq)
        n->backend.irq(n->backend.ctx, n->irq_level);
}

static void ne2000_dev_stats(const struct device *d)
{
    ne2000_print_stats(d->state);
}

DEVICE_TYPE(ne2000) = {
    .name = "ne2000",
    .snap_version = NE2000_SNAP_VERSION,
    .create = ne2000_create,
    .reset = ne2000_dev_reset,
    .ops = &ne2000_bus_ops,
    .snapshot = ne2000_dev_snapshot,
    .print_stats = ne2000_dev_stats,
    .pci = &rtl8029,
};
