/* A fake virtio-net device behind the port functions of minivmm/host_virtio.h and host_irq.h, for host tests of the host NIC and of the cards that use it. */
#ifndef FAKE_VIRTIO_H
#define FAKE_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <minivmm/host_irq.h>

#define FAKE_VIRTIO_SLOT 31u /* QEMU's first device: the last of the 32 transports */

/* One virtqueue as the device sees it: what the driver configured, and where
 * the device is in its rings. */
struct fake_vq {
    uint32_t num, align, pfn, ready;
    uint64_t desc, avail, used; /* bus addresses (version 2, or computed from pfn) */
    uint16_t last_avail;        /* the next available entry the device takes */
    uint16_t used_idx;          /* the device's used index */
    unsigned notifies;
};

struct fake_virtio {
    bool plugged;
    uint32_t version; /* 1 legacy, 2 */
    uint32_t status, dev_feat_sel, drv_feat_sel, queue_sel, page_size, irq_status, queue_num_max;
    uint64_t dev_features, drv_features;
    struct fake_vq q[2];   /* 0 receive, 1 transmit */
    unsigned bad_accesses; /* registers of the other transport version, or unknown offsets */
    /* Called after the driver wrote QueueNotify (a test's network: answer a frame). */
    void (*on_notify)(unsigned queue);
    /* The interrupt the driver claimed (host_irq_claim), and whether to refuse the claim. */
    unsigned irq_id;
    host_irq_fn irq_fn;
    void *irq_ctx;
    bool refuse_irq;
};
extern struct fake_virtio fake_virtio;

/* A virtio-net device of that transport version on FAKE_VIRTIO_SLOT (all state reset). */
void fake_virtio_plug(uint32_t version);
/* The device raises its interrupt: the claimed handler runs (if InterruptStatus is set). */
void fake_virtio_interrupt(void);
/* The VMM memory behind a bus address the driver gave the device. */
void *fake_virtio_ptr(uint64_t addr);

/* Device side of a queue. The next chain the driver made available: its head
 * and its buffers joined (at most max bytes copied into out, when out is not
 * NULL); -1 if none. */
int fake_vq_pop(unsigned q, uint8_t *out, size_t max, size_t *total);
/* Complete chain head with len bytes written (a used entry), set InterruptStatus bit 0. */
void fake_vq_push(unsigned q, uint32_t head, uint32_t len);
/* Receive: pop a buffer, write hdr_len zero bytes and the frame, push with
 * hdr_len + len (used_len overrides it when not 0); false if no buffer. The
 * interrupt is the test's to raise (fake_virtio_interrupt). */
bool fake_virtio_receive(const uint8_t *frame, unsigned len, uint32_t used_len);
/* Transmit: the next frame the driver sent, without its header, into out; -1 if none. */
int fake_virtio_sent(uint8_t *out, size_t max);

#endif
