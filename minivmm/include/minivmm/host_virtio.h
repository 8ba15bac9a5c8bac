/* What the virtio backend asks of the port: where the board's virtio-mmio transports are, their interrupts, DMA addresses, a clock. */
#ifndef MINIVMM_HOST_VIRTIO_H
#define MINIVMM_HOST_VIRTIO_H

#include "types.h"

/* The board's virtio-mmio transports, 0 .. host_virtio_count() - 1: the base
 * address of transport i's registers and its interrupt (host_irq_claim's id). */
unsigned host_virtio_count(void);
uintptr_t host_virtio_base(unsigned i);
unsigned host_virtio_irq(unsigned i);
/* One 32-bit register of the transport at base (offsets are the virtio-mmio layout's). */
uint32_t host_virtio_read(uintptr_t base, uint32_t off);
void host_virtio_write(uintptr_t base, uint32_t off, uint32_t val);
/* The address a device uses to reach p, which lies in the VMM's own memory. */
uint64_t host_dma_addr(const void *p);
/* A monotonic microsecond count, for bounded waits. */
uint64_t host_usecs(void);

#endif
