/* Lab 5 student file, Task 3: the NE2000's DP8390 registers, its card memory and remote DMA through the data port, and the reset port. */
#include <minivmm/panic.h>
#include <devices/ne2000.h>

void ne2000_reset(struct ne2000 *n, const uint8_t mac[6], const struct ne2000_backend *b)
{
    (void)n;
    (void)mac;
    (void)b;
    MV_TODO(5, "Task 3: the DP8390 registers and remote DMA");
}

void ne2000_update_irq(struct ne2000 *n)
{
    (void)n;
    MV_TODO(5, "Task 3: the DP8390 registers and remote DMA");
}

enum bus_result ne2000_access(void *dev, struct bus_req *req)
{
    (void)dev;
    (void)req;
    MV_TODO(5, "Task 3: the DP8390 registers and remote DMA");
}
