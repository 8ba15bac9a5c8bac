/* The host NIC behind netdev.h: a small driver for QEMU's virtio-net-device on a virtio-mmio transport (legacy version 1, or version 2). */
#include <minivmm/alloc.h>
#include <minivmm/console.h>
#include <minivmm/host_irq.h>
#include <minivmm/host_virtio.h>
#include <minivmm/netdev.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>

/* virtio-mmio registers (virtio 1.0 section 4.2.2; the legacy layout of 4.2.4). */
#define VM_MAGIC          0x000
#define VM_VERSION        0x004
#define VM_DEVICE_ID      0x008
#define VM_DEV_FEATURES   0x010
#define VM_DEV_FEAT_SEL   0x014
#define VM_DRV_FEATURES   0x020
#define VM_DRV_FEAT_SEL   0x024
#define VM_GUEST_PAGE     0x028 /* legacy */
#define VM_QUEUE_SEL      0x030
#define VM_QUEUE_NUM_MAX  0x034
#define VM_QUEUE_NUM      0x038
#define VM_QUEUE_ALIGN    0x03c /* legacy */
#define VM_QUEUE_PFN      0x040 /* legacy */
#define VM_QUEUE_READY    0x044 /* version 2 */
#define VM_QUEUE_NOTIFY   0x050
#define VM_IRQ_STATUS     0x060
#define VM_IRQ_ACK        0x064
#define VM_STATUS         0x070
#define VM_QUEUE_DESC_LO  0x080 /* version 2: the three parts of a queue, 64-bit addresses */
#define VM_QUEUE_DESC_HI  0x084
#define VM_QUEUE_AVAIL_LO 0x090
#define VM_QUEUE_AVAIL_HI 0x094
#define VM_QUEUE_USED_LO  0x0a0
#define VM_QUEUE_USED_HI  0x0a4

#define VIRTIO_MAGIC  0x74726976u /* "virt" */
#define VIRTIO_ID_NET 1u

#define ST_ACK         1u
#define ST_DRIVER      2u
#define ST_DRIVER_OK   4u
#define ST_FEATURES_OK 8u
#define ST_FAILED      128u

/* The only feature minivmm takes: version 1.0 semantics on a version 2
 * transport (bit 32, bit 0 of feature word 1). No MAC (the guest card's
 * address is mac=, and the device passes every frame: QEMU's virtio-net
 * starts promiscuous), no mergeable buffers, no offloads. */
#define F1_VERSION_1 1u

/* The virtio_net_hdr before every frame: 10 bytes (legacy), 12 with VERSION_1
 * (num_buffers). All zero on transmit: no checksum or segmentation asked. */
#define NET_HDR_LEGACY 10u
#define NET_HDR_V1     12u

/* A split virtqueue. Each frame takes a pair of descriptors, 2s (the header)
 * and 2s + 1 (the frame), in slot s's buffer: that is valid for legacy
 * devices without VIRTIO_F_ANY_LAYOUT, and pairs never move, so a used
 * entry names its slot. */
struct vq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
#define DESC_F_NEXT  1u
#define DESC_F_WRITE 2u /* the device writes this buffer (RX) */
struct vq_used_elem {
    uint32_t id;
    uint32_t len;
};
#define AVAIL_F_NO_INTERRUPT 1u
#define USED_F_NO_NOTIFY     1u

#define QSIZE_MAX  64u /* descriptors per queue, a power of two */
#define SLOTS_MAX  (QSIZE_MAX / 2)
#define BUF_SIZE   2048u /* a slot: header, then up to BUF_SIZE - header bytes of frame */
#define RING_ALIGN 4096u /* legacy: QueuePFN counts pages of GuestPageSize, used ring at QueueAlign */

struct vq {
    unsigned index; /* 0 receive, 1 transmit */
    unsigned size;  /* descriptors: a power of two, 2 .. QSIZE_MAX */
    volatile struct vq_desc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
    volatile uint16_t *used;  /* flags, idx, then ring[size] of struct vq_used_elem */
    uint8_t *bufs;            /* size / 2 slots of BUF_SIZE */
    uint8_t *raw;             /* the ring memory as allocated (netdev_stop frees it) */
    uint16_t avail_idx;       /* ours: the device never writes it */
    uint16_t used_seen;       /* used entries taken so far */
    bool held[SLOTS_MAX];     /* the device holds slot s (posted, not yet used) */
    uint8_t free[SLOTS_MAX];  /* transmit: slots not in flight */
    unsigned nfree;
};

struct net_stats {
    uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
    uint64_t tx_no_link, tx_full, tx_bad_len; /* frames dropped on the way out */
    uint64_t rx_bad_len, rx_no_client;        /* frames dropped on the way in */
    uint64_t dev_errors;                      /* used entries naming no buffer the device held */
};

/* The one host NIC: host wiring, not guest state (a snapshot never holds it). */
static struct vnet {
    uintptr_t base;
    unsigned version, irq, hdr_len;
    bool up, polling;
    struct vq rx, tx;
    struct netdev_client client;
    struct net_stats st;
} nic;

static uint32_t rd(uint32_t off)
{
    return host_virtio_read(nic.base, off);
}

static void wr(uint32_t off, uint32_t val)
{
    host_virtio_write(nic.base, off, val);
}

/* Ring memory is shared with the device: order our stores and its loads. */
static void barrier(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ---- Finding and starting the device */

static bool is_virtio_net(uintptr_t base)
{
    uint32_t version = host_virtio_read(base, VM_VERSION);
    return host_virtio_read(base, VM_MAGIC) == VIRTIO_MAGIC && (version == 1 || version == 2) &&
           host_virtio_read(base, VM_DEVICE_ID) == VIRTIO_ID_NET;
}

/* QEMU fills the transports from the last one down, so the first
 * virtio-net-device on its command line is the highest one. -1 if none. */
static int find_transport(void)
{
    for (unsigned i = host_virtio_count(); i-- > 0;)
        if (is_virtio_net(host_virtio_base(i)))
            return (int)i;
    return -1;
}

/* Features: none on a legacy transport; VERSION_1 alone on version 2, which
 * needs FEATURES_OK to stick. */
static int negotiate(char *err, size_t errlen)
{
    wr(VM_DRV_FEAT_SEL, 0);
    wr(VM_DRV_FEATURES, 0);
    if (nic.version == 1)
        return 0;
    wr(VM_DEV_FEAT_SEL, 1);
    if (!(rd(VM_DEV_FEATURES) & F1_VERSION_1)) {
        mv_snprintf(err, errlen, "the version 2 device does not offer VIRTIO_F_VERSION_1");
        return -1;
    }
    wr(VM_DRV_FEAT_SEL, 1);
    wr(VM_DRV_FEATURES, F1_VERSION_1);
    wr(VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
    if (!(rd(VM_STATUS) & ST_FEATURES_OK)) {
        mv_snprintf(err, errlen, "the device refused the features (FEATURES_OK did not stick)");
        return -1;
    }
    return 0;
}

/* Where the three parts of a queue of size descriptors lie, from its start
 * (the legacy layout, which version 2 accepts too): the used ring on the next
 * RING_ALIGN boundary after the available ring. */
static uint32_t avail_offset(unsigned size)
{
    return 16 * size;
}
static uint32_t used_offset(unsigned size)
{
    return ALIGN_UP(avail_offset(size) + 2 * (3 + size), RING_ALIGN);
}
static uint32_t ring_bytes(unsigned size)
{
    return used_offset(size) + 4 + 8 * size + 2;
}

/* Zeroed ring memory aligned to RING_ALIGN, and the slots' buffers (freed
 * only by netdev_stop: in minivmm the NIC lives as long as the VMM). */
static int alloc_queue(struct vq *q, char *err, size_t errlen)
{
    uint8_t *raw = q->raw = mv_calloc(1, ring_bytes(q->size) + RING_ALIGN);
    q->bufs = mv_calloc(q->size / 2, BUF_SIZE);
    if (!raw || !q->bufs) {
        mv_snprintf(err, errlen, "no memory for virtqueue %u", q->index);
        return -1;
    }
    uint8_t *ring = (uint8_t *)ALIGN_UP((uintptr_t)raw, (uintptr_t)RING_ALIGN);
    q->desc = (volatile struct vq_desc *)ring;
    q->avail = (volatile uint16_t *)(ring + avail_offset(q->size));
    q->used = (volatile uint16_t *)(ring + used_offset(q->size));
    return 0;
}

/* Tell the device where queue q is: a page number (legacy) or three addresses. */
static int place_queue(struct vq *q, char *err, size_t errlen)
{
    uint64_t desc = host_dma_addr((const void *)q->desc);
    if (nic.version == 1) {
        if (desc % RING_ALIGN || desc / RING_ALIGN > UINT32_MAX) {
            mv_snprintf(err, errlen, "virtqueue %u is not addressable by a legacy page number", q->index);
            return -1;
        }
        wr(VM_QUEUE_ALIGN, RING_ALIGN);
        wr(VM_QUEUE_PFN, (uint32_t)(desc / RING_ALIGN));
        return 0;
    }
    uint64_t avail = host_dma_addr((const void *)q->avail), used = host_dma_addr((const void *)q->used);
    wr(VM_QUEUE_DESC_LO, (uint32_t)desc);
    wr(VM_QUEUE_DESC_HI, (uint32_t)(desc >> 32));
    wr(VM_QUEUE_AVAIL_LO, (uint32_t)avail);
    wr(VM_QUEUE_AVAIL_HI, (uint32_t)(avail >> 32));
    wr(VM_QUEUE_USED_LO, (uint32_t)used);
    wr(VM_QUEUE_USED_HI, (uint32_t)(used >> 32));
    wr(VM_QUEUE_READY, 1);
    return 0;
}

/* The largest power of two up to QSIZE_MAX that the device takes (0: none). */
static unsigned queue_size(uint32_t max)
{
    unsigned size = QSIZE_MAX;
    while (size > max)
        size /= 2;
    return size >= 2 ? size : 0;
}

static int setup_queue(struct vq *q, unsigned index, char *err, size_t errlen)
{
    q->index = index;
    wr(VM_QUEUE_SEL, index);
    bool in_use = nic.version == 1 ? rd(VM_QUEUE_PFN) != 0 : rd(VM_QUEUE_READY) != 0;
    q->size = queue_size(rd(VM_QUEUE_NUM_MAX));
    if (in_use || !q->size) {
        mv_snprintf(err, errlen, "virtqueue %u is %s", index, in_use ? "already in use" : "missing");
        return -1;
    }
    if (alloc_queue(q, err, errlen))
        return -1;
    wr(VM_QUEUE_NUM, q->size);
    return place_queue(q, err, errlen);
}

/* ---- The rings */

static uint8_t *slot_buf(const struct vq *q, unsigned slot)
{
    return q->bufs + (size_t)slot * BUF_SIZE;
}

/* Describe slot's buffer as the pair header + frame and offer it to the
 * device (flags: DESC_F_WRITE for a receive buffer). */
static void post(struct vq *q, unsigned slot, uint32_t frame_len, uint16_t flags)
{
    uint64_t addr = host_dma_addr(slot_buf(q, slot));
    volatile struct vq_desc *d = &q->desc[2 * slot];
    d[0].addr = addr;
    d[0].len = nic.hdr_len;
    d[0].flags = (uint16_t)(flags | DESC_F_NEXT);
    d[0].next = (uint16_t)(2 * slot + 1);
    d[1].addr = addr + nic.hdr_len;
    d[1].len = frame_len;
    d[1].flags = flags;
    d[1].next = 0;
    q->held[slot] = true;
    q->avail[2 + q->avail_idx % q->size] = (uint16_t)(2 * slot);
    barrier(); /* the entry before the index that publishes it */
    q->avail[1] = ++q->avail_idx;
}

static void post_rx(unsigned slot)
{
    post(&nic.rx, slot, BUF_SIZE - nic.hdr_len, DESC_F_WRITE);
}

/* Kick the device unless it said it is looking anyway. */
static void notify(const struct vq *q)
{
    barrier(); /* the published index before the device's flag is read */
    if (!(q->used[0] & USED_F_NO_NOTIFY))
        wr(VM_QUEUE_NOTIFY, q->index);
}

/* The device broke the ring protocol in a way the ring cannot survive. */
static void device_broken(const char *what, unsigned v)
{
    printk("minivmm: net: the device %s (%u): host NIC stopped\n", what, v);
    nic.st.dev_errors++;
    nic.up = false;
    wr(VM_STATUS, ST_FAILED);
}

/* The next used entry of q: its slot and length, or false when there is none.
 * Both come from the device: an index that runs ahead of what was posted
 * stops the NIC, an entry naming no held slot is counted and skipped. */
static bool next_used(struct vq *q, unsigned *slot, uint32_t *len)
{
    for (;;) {
        uint16_t idx = q->used[1];
        uint16_t ahead = (uint16_t)(idx - q->used_seen);
        if (!ahead || !nic.up)
            return false;
        if (ahead > q->size) {
            device_broken("moved a used index past its ring", ahead);
            return false;
        }
        barrier(); /* the index before the entries it covers */
        const volatile struct vq_used_elem *e =
            (const volatile struct vq_used_elem *)(q->used + 2) + q->used_seen % q->size;
        uint32_t id = e->id;
        *len = e->len;
        q->used_seen++;
        *slot = id / 2;
        if (id % 2 == 0 && id < q->size && q->held[*slot]) {
            q->held[*slot] = false;
            return true;
        }
        nic.st.dev_errors++;
    }
}

/* Transmitted frames' slots back into the free list. */
static void reclaim_tx(void)
{
    unsigned slot;
    uint32_t len;
    while (next_used(&nic.tx, &slot, &len))
        nic.tx.free[nic.tx.nfree++] = (uint8_t)slot;
}

/* A received buffer of used bytes (header included): deliver its frame if
 * the length is one an Ethernet frame can have and fits what was offered. */
static void receive(unsigned slot, uint32_t used)
{
    uint32_t frame = used >= nic.hdr_len ? used - nic.hdr_len : 0;
    if (used > BUF_SIZE || frame < NETDEV_FRAME_MIN || frame > NETDEV_FRAME_MAX) {
        nic.st.rx_bad_len++;
        return;
    }
    if (!nic.client.rx) {
        nic.st.rx_no_client++;
        return;
    }
    nic.st.rx_frames++;
    nic.st.rx_bytes += frame;
    nic.client.rx(nic.client.ctx, slot_buf(&nic.rx, slot) + nic.hdr_len, frame);
}

/* ---- netdev.h */

bool netdev_link(void)
{
    return nic.up;
}

void netdev_attach(const struct netdev_client *c)
{
    nic.client = c ? *c : (struct netdev_client){NULL, NULL};
}

bool netdev_send(const uint8_t *frame, unsigned len)
{
    if (!nic.up) {
        nic.st.tx_no_link++;
        return false;
    }
    if (len < NETDEV_FRAME_MIN || len > NETDEV_FRAME_MAX) {
        nic.st.tx_bad_len++;
        return false;
    }
    reclaim_tx();
    if (!nic.up) { /* the device broke while its used ring was read */
        nic.st.tx_no_link++;
        return false;
    }
    if (!nic.tx.nfree) {
        nic.st.tx_full++;
        return false;
    }
    unsigned slot = nic.tx.free[--nic.tx.nfree];
    uint8_t *buf = slot_buf(&nic.tx, slot);
    memset(buf, 0, nic.hdr_len);
    memcpy(buf + nic.hdr_len, frame, len);
    post(&nic.tx, slot, len, 0);
    notify(&nic.tx);
    nic.st.tx_frames++;
    nic.st.tx_bytes += len;
    return true;
}

/* QEMU sends a frame when its main loop gets round to the queue, not at the
 * notify: a VMM that ends right after a guest's last transmit would lose it.
 * So the end waits, boundedly, until the device has used every frame. */
#define FLUSH_USECS 200000u
void netdev_flush(void)
{
    uint64_t start = host_usecs();
    while (nic.up && host_usecs() - start < FLUSH_USECS) {
        reclaim_tx();
        if (nic.tx.nfree == nic.tx.size / 2) /* every slot back: all sent */
            return;
    }
}

/* The buffers go back to the device once this batch's frames were delivered
 * (the client copies them), so the receive ring stays full; not earlier, so
 * that a used entry naming a buffer twice in one batch is caught. A client
 * that polls from its rx callback gets nothing more (no recursion). */
void netdev_poll(void)
{
    unsigned slot, done[SLOTS_MAX], n = 0;
    uint32_t len;
    if (!nic.up || nic.polling)
        return;
    nic.polling = true;
    while (n < SLOTS_MAX && next_used(&nic.rx, &slot, &len)) {
        receive(slot, len);
        done[n++] = slot;
    }
    nic.polling = false;
    for (unsigned i = 0; i < n && nic.up; i++)
        post_rx(done[i]);
    if (n && nic.up)
        notify(&nic.rx);
    reclaim_tx();
}

/* The transport's interrupt (level): acknowledged before the rings are read,
 * so that a frame arriving meanwhile raises it again. */
static void nic_interrupt(void *ctx)
{
    (void)ctx;
    uint32_t why = rd(VM_IRQ_STATUS);
    if (why)
        wr(VM_IRQ_ACK, why);
    netdev_poll();
}

/* Rings, buffers, the receive ring full, DRIVER_OK. */
static int start_device(char *err, size_t errlen)
{
    wr(VM_STATUS, 0); /* reset */
    wr(VM_STATUS, ST_ACK);
    wr(VM_STATUS, ST_ACK | ST_DRIVER);
    if (negotiate(err, errlen))
        return -1;
    if (nic.version == 1)
        wr(VM_GUEST_PAGE, RING_ALIGN);
    if (setup_queue(&nic.rx, 0, err, errlen) || setup_queue(&nic.tx, 1, err, errlen))
        return -1;
    nic.tx.avail[0] = AVAIL_F_NO_INTERRUPT; /* sent frames are reclaimed before the next send */
    for (unsigned s = 0; s < nic.tx.size / 2; s++)
        nic.tx.free[nic.tx.nfree++] = (uint8_t)s;
    for (unsigned s = 0; s < nic.rx.size / 2; s++)
        post_rx(s);
    wr(VM_STATUS, rd(VM_STATUS) | ST_DRIVER_OK);
    nic.up = true;
    notify(&nic.rx);
    return 0;
}

/* The rings' memory back, and the driver's state as at power-on (the client stays). */
static void release(void)
{
    struct netdev_client c = nic.client;
    mv_free(nic.rx.raw);
    mv_free(nic.rx.bufs);
    mv_free(nic.tx.raw);
    mv_free(nic.tx.bufs);
    nic = (struct vnet){.client = c};
}

void netdev_stop(void)
{
    if (nic.base)
        wr(VM_STATUS, 0); /* a device reset: it lets go of the rings */
    release();
}

int netdev_init(struct vm *vm, char *err, size_t errlen)
{
    char why[120];
    netdev_stop(); /* as at power-on (host tests and fuzzing start it many times) */
    if (vm->net_mode == NET_NONE)
        return 0;
    int t = find_transport();
    if (t < 0) {
        if (vm->net_mode == NET_AUTO)
            return 0;
        mv_snprintf(err, errlen,
                    "net=virtio: QEMU has no virtio-net device on its virtio-mmio transports "
                    "(QEMU needs: -nic none -netdev user,id=n0 -device virtio-net-device,netdev=n0)");
        return -1;
    }
    nic.base = host_virtio_base((unsigned)t);
    nic.version = rd(VM_VERSION);
    nic.hdr_len = nic.version == 1 ? NET_HDR_LEGACY : NET_HDR_V1;
    nic.irq = host_virtio_irq((unsigned)t);
    if (start_device(why, sizeof(why)) || host_irq_claim(nic.irq, nic_interrupt, NULL)) {
        mv_snprintf(err, errlen, "cannot start the virtio-net device at 0x%08lx: %s", (unsigned long)nic.base,
                    nic.up ? "its interrupt cannot be claimed" : why);
        wr(VM_STATUS, ST_FAILED);
        release();
        return -1;
    }
    const uint8_t *m = vm->mac;
    printk("minivmm: net: virtio-net at 0x%08lx (virtio-mmio version %u, interrupt %u), "
           "guest MAC %02x:%02x:%02x:%02x:%02x:%02x\n",
           (unsigned long)nic.base, nic.version, nic.irq, m[0], m[1], m[2], m[3], m[4], m[5]);
    return 0;
}

/* ", <what> <n>" for each non-zero count. */
static void print_drop(const char *what, uint64_t n, bool *any)
{
    if (!n)
        return;
    printk("%s %s %llu", *any ? "," : "", what, (unsigned long long)n);
    *any = true;
}

void netdev_print_stats(void)
{
    const struct net_stats *s = &nic.st;
    bool any = false;
    if (!nic.base && !s->tx_no_link) /* never had a NIC, and no card tried to send */
        return;
    printk("minivmm: net: sent %llu frames (%llu bytes), received %llu frames (%llu bytes)\n",
           (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes,
           (unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes);
    printk("minivmm: net: dropped:");
    print_drop("sent without a link", s->tx_no_link, &any);
    print_drop("sent with the TX ring full", s->tx_full, &any);
    print_drop("sent with a bad length", s->tx_bad_len, &any);
    print_drop("received with a bad length", s->rx_bad_len, &any);
    print_drop("received with no card attached", s->rx_no_client, &any);
    printk("%s\n", any ? "" : " none");
    if (s->dev_errors)
        printk("minivmm: net: %llu device errors (used ring entries naming no buffer the device held)\n",
               (unsigned long long)s->dev_errors);
}
