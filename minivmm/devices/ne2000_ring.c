/* Lab 5 student file, Task 4: the NE2000 sends a frame from its RAM, and puts received frames into its receive ring, behind its address filters. */
#include <minivmm/panic.h>
#include <devices/ne2000.h>

void ne2000_transmit(struct ne2000 *n)
{
    (void)n;
    MV_TODO(5, "Task 4: transmit and the receive ring");
}

bool ne2000_receive(struct ne2000 *n, const uint8_t *frame, unsigned len)
{
    (void)n;
    (void)frame;
    (void)len;
    MV_TODO(5, "Task 4: transmit and the receive ring");
}
