/* A fake virtio-net device on the 32 transports of minivmm/host_virtio.h (registers as a small model, rings walked like a device does), and the port's other stand-ins. */
#include <stdalign.h>
#include <string.h>
#include <minivmm/host_virtio.h>
#include "fake_virtio.h"

struct fake_virtio fake_virtio;

#define BASE0       0x0a000000u
#define STRIDE      0x200u
#define SLOTS       32u
#define NET_HDR_V1  12u
#define NET_HDR_OLD 10u

/* Bus addresses: distances from an anchor in this binary (the host heap lies
 * within a few MiB of it, on either side) plus 2^36, so that they are
 * positive, above 4 GiB (version 2's high halves are used) and still fit a
 * legacy page number; page alignment is kept. */
#define BUS_BASE (1ull << 36)
static alignas(4096) char anchor;

uint64_t host_dma_addr(const void *p)
{
    return (uint64_t)((uintptr_t)p - (uintptr_t)&anchor) + BUS_BASE;
}

void *fake_virtio_ptr(uint64_t addr)
{
    return (void *)((uintptr_t)&anchor + (uintptr_t)(addr - BUS_BASE));
}

unsigned host_virtio_count(void)
{
    return SLOTS;
}

uintptr_t host_virtio_base(unsigned i)
{
    return BASE0 + STRIDE * i;
}

unsigned host_virtio_irq(unsigned i)
{
    return 48 + i;
}

/* Each call is 10 us later: bounded waits end. */
uint64_t host_usecs(void)
{
    static uint64_t now;
    return now += 10;
}

int host_irq_claim(unsigned id, host_irq_fn fn, void *ctx)
{
    if (fake_virtio.refuse_irq)
        return -1;
    fake_virtio.irq_id = id;
    fake_virtio.irq_fn = fn;
    fake_virtio.irq_ctx = ctx;
    return 0;
}

void fake_virtio_plug(uint32_t version)
{
    fake_virtio = (struct fake_virtio){.plugged = true, .version = version, .queue_num_max = 256};
    /* What QEMU's virtio-net offers, among others: CSUM, GUEST_CSUM, MAC,
     * MRG_RXBUF, STATUS, ANY_LAYOUT; VERSION_1 on version 2. */
    fake_virtio.dev_features = 1u << 0 | 1u << 1 | 1u << 5 | 1u << 15 | 1u << 16 | 1u << 27;
    if (version == 2)
        fake_virtio.dev_features |= 1ull << 32;
}

void fake_virtio_interrupt(void)
{
    if (fake_virtio.irq_fn && fake_virtio.irq_status)
        fake_virtio.irq_fn(fake_virtio.irq_ctx);
}

/* ---- Registers */

static struct fake_vq *selected(void)
{
    return fake_virtio.queue_sel < 2 ? &fake_virtio.q[fake_virtio.queue_sel] : NULL;
}

/* A register of one transport version only: a use on the other counts. */
static bool only(uint32_t version)
{
    if (fake_virtio.version == version)
        return true;
    fake_virtio.bad_accesses++;
    return false;
}

uint32_t host_virtio_read(uintptr_t base, uint32_t off)
{
    struct fake_virtio *f = &fake_virtio;
    bool ours = f->plugged && base == host_virtio_base(FAKE_VIRTIO_SLOT);
    struct fake_vq *q = selected();
    switch (off) {
    case 0x000: return 0x74726976u; /* every transport answers; an empty one is device 0 */
    case 0x004: return ours ? f->version : 1;
    case 0x008: return ours ? 1 : 0;
    case 0x00c: return 0x554d4551u;
    }
    if (!ours) {
        f->bad_accesses++;
        return 0;
    }
    switch (off) {
    case 0x010: return f->dev_feat_sel < 2 ? (uint32_t)(f->dev_features >> (32 * f->dev_feat_sel)) : 0;
    case 0x034: return q ? f->queue_num_max : 0;
    case 0x040: return only(1) && q ? q->pfn : 0;
    case 0x044: return only(2) && q ? q->ready : 0;
    case 0x060: return f->irq_status;
    case 0x070: return f->status;
    }
    f->bad_accesses++;
    return 0;
}

/* Where the legacy layout puts the rings of a queue given by page number. */
static void legacy_rings(struct fake_vq *q)
{
    q->desc = (uint64_t)q->pfn * fake_virtio.page_size;
    q->avail = q->desc + 16ull * q->num;
    uint64_t avail_end = q->avail + 6 + 2ull * q->num, a = q->align ? q->align : 4096;
    q->used = (avail_end + a - 1) / a * a;
}

/* FEATURES_OK sticks only for features offered, and on version 2 with VERSION_1. */
static void write_status(uint32_t v)
{
    struct fake_virtio *f = &fake_virtio;
    bool ok = !(f->drv_features & ~f->dev_features) && (f->version == 1 || f->drv_features >> 32 & 1);
    if (v & 8 && !ok)
        v &= ~8u;
    f->status = v;
}

/* Half of a 64-bit queue address (version 2 only). */
static void set_half(uint64_t *a, bool high, uint32_t v)
{
    if (only(2))
        *a = high ? (*a & 0xffffffffull) | (uint64_t)v << 32 : (*a & ~0xffffffffull) | v;
}

/* The queue registers (QueueSel's queue). */
static void write_queue(struct fake_vq *q, uint32_t off, uint32_t v)
{
    switch (off) {
    case 0x038: q->num = v; return;
    case 0x03c:
        if (only(1))
            q->align = v;
        return;
    case 0x040:
        if (only(1)) {
            q->pfn = v;
            legacy_rings(q);
        }
        return;
    case 0x044:
        if (only(2))
            q->ready = v;
        return;
    case 0x080: set_half(&q->desc, false, v); return;
    case 0x084: set_half(&q->desc, true, v); return;
    case 0x090: set_half(&q->avail, false, v); return;
    case 0x094: set_half(&q->avail, true, v); return;
    case 0x0a0: set_half(&q->used, false, v); return;
    case 0x0a4: set_half(&q->used, true, v); return;
    }
    fake_virtio.bad_accesses++;
}

void host_virtio_write(uintptr_t base, uint32_t off, uint32_t v)
{
    struct fake_virtio *f = &fake_virtio;
    struct fake_vq *q = selected();
    if (!f->plugged || base != host_virtio_base(FAKE_VIRTIO_SLOT)) {
        f->bad_accesses++;
        return;
    }
    switch (off) {
    case 0x014: f->dev_feat_sel = v; return;
    case 0x020:
        if (f->drv_feat_sel < 2)
            f->drv_features = (f->drv_features & ~(0xffffffffull << (32 * f->drv_feat_sel))) |
                              (uint64_t)v << (32 * f->drv_feat_sel);
        return;
    case 0x024: f->drv_feat_sel = v; return;
    case 0x028:
        if (only(1))
            f->page_size = v;
        return;
    case 0x030: f->queue_sel = v; return;
    case 0x050:
        if (v < 2)
            f->q[v].notifies++;
        if (f->on_notify)
            f->on_notify(v);
        return;
    case 0x064: f->irq_status &= ~v; return;
    case 0x070: write_status(v); return;
    }
    if (q)
        write_queue(q, off, v);
    else
        f->bad_accesses++;
}

/* ---- Rings, as the device walks them */

static volatile uint16_t *avail_ring(const struct fake_vq *q)
{
    return fake_virtio_ptr(q->avail);
}

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

int fake_vq_pop(unsigned qi, uint8_t *out, size_t max, size_t *total)
{
    struct fake_vq *q = &fake_virtio.q[qi];
    volatile uint16_t *avail = avail_ring(q);
    if (!q->num || avail[1] == q->last_avail)
        return -1;
    uint16_t head = avail[2 + q->last_avail++ % q->num];
    const struct desc *d = fake_virtio_ptr(q->desc);
    size_t n = 0;
    if (head >= q->num)
        return -1;
    for (unsigned i = head, hops = 0; hops < q->num; hops++) {
        if (out) {
            size_t take = d[i].len < max - n ? d[i].len : max - n;
            memcpy(out + n, fake_virtio_ptr(d[i].addr), take);
        }
        n += d[i].len;
        if (!(d[i].flags & 1))
            break;
        i = d[i].next;
    }
    if (total)
        *total = n;
    return head;
}

void fake_vq_push(unsigned qi, uint32_t head, uint32_t len)
{
    struct fake_vq *q = &fake_virtio.q[qi];
    volatile uint16_t *used = fake_virtio_ptr(q->used);
    volatile uint32_t *elem = (volatile uint32_t *)(used + 2) + 2 * (q->used_idx % q->num);
    elem[0] = head;
    elem[1] = len;
    used[1] = ++q->used_idx;
    fake_virtio.irq_status |= 1;
}

static unsigned hdr_len(void)
{
    return fake_virtio.version == 2 ? NET_HDR_V1 : NET_HDR_OLD;
}

bool fake_virtio_receive(const uint8_t *frame, unsigned len, uint32_t used_len)
{
    struct fake_vq *q = &fake_virtio.q[0];
    volatile uint16_t *avail = avail_ring(q);
    if (!q->num || avail[1] == q->last_avail)
        return false;
    uint16_t head = avail[2 + q->last_avail++ % q->num];
    const struct desc *d = fake_virtio_ptr(q->desc);
    if (head >= q->num || d[head].next >= q->num)
        return false;
    /* The header descriptor, then the frame's (the driver's pairs). */
    memset(fake_virtio_ptr(d[head].addr), 0, d[head].len);
    size_t room = d[d[head].next].len;
    memcpy(fake_virtio_ptr(d[d[head].next].addr), frame, len < room ? len : room);
    fake_vq_push(0, head, used_len ? used_len : hdr_len() + len);
    return true;
}

int fake_virtio_sent(uint8_t *out, size_t max)
{
    uint8_t buf[4096];
    size_t total;
    int head = fake_vq_pop(1, buf, sizeof(buf), &total);
    if (head < 0)
        return -1;
    fake_vq_push(1, (uint32_t)head, 0);
    size_t n = total - hdr_len();
    memcpy(out, buf + hdr_len(), n < max ? n : max);
    return (int)n;
}
