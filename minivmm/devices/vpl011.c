/* Lab 3 student file: the guest's PL011 UART: transmit to the host, a receive FIFO fed from the host, and the interrupt logic. */
#include <minivmm/panic.h>
#include <devices/vpl011.h>

void vpl011_reset(struct vpl011 *u, const struct vpl011_backend *backend)
{
    (void)u;
    (void)backend;
    MV_TODO(3, "Task 5: the PL011");
}

void vpl011_poll(struct vpl011 *u)
{
    (void)u;
    MV_TODO(3, "Task 5: the PL011");
}

bool vpl011_read(void *dev, uint32_t off, unsigned width, uint32_t *val)
{
    (void)dev;
    (void)off;
    (void)width;
    (void)val;
    MV_TODO(3, "Task 5: the PL011");
}

bool vpl011_write(void *dev, uint32_t off, unsigned width, uint32_t val)
{
    (void)dev;
    (void)off;
    (void)width;
    (void)val;
    MV_TODO(3, "Task 5: the PL011");
}

/* The device-tree node and its compatible come from the board (arch/arm/board.c). */
const struct mmio_ops vpl011_ops = {"pl011", NULL, vpl011_read, vpl011_write, 0};
