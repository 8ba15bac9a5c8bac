/* Fuzzes the host NIC (backend/virtio_net.c) from the device's side: what a broken or hostile virtio-net device puts in the used rings, and frames of every length either way. */
/* The code: backend/virtio_net.c behind tests/unit/fake_virtio.c's device. */
#include <string.h>
#include <minivmm/netdev.h>
#include <minivmm/vm.h>
#include "fake_virtio.h"
#include "fuzz.h"

static unsigned delivered;

/* The guest's card: every frame the NIC hands over has a length an Ethernet frame can have. */
static void card_rx(void *ctx, const uint8_t *frame, unsigned len)
{
    (void)ctx;
    FUZZ_CHECK(frame && len >= NETDEV_FRAME_MIN && len <= NETDEV_FRAME_MAX, "a frame of %u bytes delivered",
               len);
    volatile uint8_t touch = frame[0] ^ frame[len - 1]; /* ASan checks both ends */
    (void)touch;
    delivered++;
}

/* The device writes a used entry the driver never made available, or one it did. */
static void device_push(struct fdp *f)
{
    unsigned q = fdp_pick(f, 2);
    uint32_t head = fdp_u8(f), len = fdp_u32(f) % 4096;
    if (fdp_bool(f)) { /* a chain the driver really made available */
        size_t total;
        int h = fake_vq_pop(q, NULL, 0, &total);
        if (h >= 0)
            head = (uint32_t)h;
    }
    fake_vq_push(q, head, len);
}

/* The device moves its used index by itself (past the ring, back, anywhere). */
static void device_jump(struct fdp *f)
{
    unsigned q = fdp_pick(f, 2);
    if (!fake_virtio.q[q].used)
        return;
    volatile uint16_t *used = fake_virtio_ptr(fake_virtio.q[q].used);
    used[1] = (uint16_t)(used[1] + fdp_u16(f));
    fake_virtio.irq_status |= 1;
}

/* Input: a transport version byte, then operations (a byte each): the card
 * sends a frame (length, pattern), the network delivers one (length, the
 * used length the device claims), the device completes what was sent,
 * writes a used entry of its own, or jumps its used index; and the
 * interrupt. Checks: frames delivered have sane lengths, nothing is read or
 * written outside the NIC's buffers (ASan), nothing leaks (netdev_stop). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[2100], out[2100];
    struct fdp f = fdp_make(data, size);
    struct vm vm = {.net_mode = NET_VIRTIO, .mac = {NETDEV_MAC_DEFAULT}};
    char err[160];
    fuzz_host_reset();
    fake_virtio_plug(1 + fdp_pick(&f, 2));
    netdev_attach(&(struct netdev_client){card_rx, NULL});
    FUZZ_CHECK(netdev_init(&vm, err, sizeof(err)) == 0, "the NIC does not start: %s", err);
    for (unsigned ops = 0; !fdp_empty(&f) && ops < 400; ops++) {
        unsigned len = fdp_u16(&f) % sizeof(frame);
        memset(frame, fdp_u8(&f), len);
        switch (fdp_pick(&f, 6)) {
        case 0: (void)netdev_send(frame, len); break;
        case 1: (void)fake_virtio_receive(frame, len, fdp_bool(&f) ? fdp_u32(&f) : 0); break;
        case 2: (void)fake_virtio_sent(out, sizeof(out)); break;
        case 3: device_push(&f); break;
        case 4: device_jump(&f); break;
        default: fake_virtio_interrupt(); break;
        }
    }
    netdev_stop();
    netdev_attach(NULL);
    return 0;
}
