/* The virt board's virtio-mmio transports as the host NIC's backend sees them: addresses, interrupts, DMA addresses, the counter as a clock. */
#include <minivmm/host_virtio.h>

/* QEMU virt (DESIGN.md, platform facts): 32 transports of 0x200 bytes from
 * 0x0a000000; transport i interrupts on SPI 16 + i, GIC INTID 48 + i. QEMU
 * fills them from the last one down: the first device added sits at 0x0a003e00. */
#define VIRTIO_MMIO_BASE   0x0a000000u
#define VIRTIO_MMIO_STRIDE 0x200u
#define VIRTIO_MMIO_COUNT  32u
#define VIRTIO_MMIO_INTID0 48u

unsigned host_virtio_count(void)
{
    return VIRTIO_MMIO_COUNT;
}

uintptr_t host_virtio_base(unsigned i)
{
    return VIRTIO_MMIO_BASE + VIRTIO_MMIO_STRIDE * i;
}

unsigned host_virtio_irq(unsigned i)
{
    return VIRTIO_MMIO_INTID0 + i;
}

uint32_t host_virtio_read(uintptr_t base, uint32_t off)
{
    return *(volatile uint32_t *)(base + off);
}

void host_virtio_write(uintptr_t base, uint32_t off, uint32_t val)
{
    *(volatile uint32_t *)(base + off) = val;
}

/* Hyp's MMU is off: the VMM's addresses are physical. */
uint64_t host_dma_addr(const void *p)
{
    return (uintptr_t)p;
}

/* The generic timer's physical count (CNTPCT) at its frequency (CNTFRQ; 62.5 MHz on virt). */
uint64_t host_usecs(void)
{
    uint32_t lo, hi, freq;
    __asm__ volatile("isb\n\tmrrc p15, 0, %0, %1, c14" : "=r"(lo), "=r"(hi));
    __asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(freq));
    if (!freq)
        freq = 62500000u;
    return (((uint64_t)hi << 32) | lo) * 1000000u / freq;
}
