/* The demo program of `make run`: shows that tinykernel runs as a guest and what its exits look like. */
#include "../hvc.h"
#include "../kernel.h"

PROGRAM(demo, "demo", "a tour of a guest's exits")
{
    if (uart_base)
        kprintf("demo: each character you read costs two exits (DABT_LOW) that minivmm emulates "
                "(lab 3): a read of the PL011's FR and a store to its DR\n");
    else
        kprintf("demo: each line you read is one hypercall (HVC): an exit to minivmm and back\n");
    for (int i = 0; i < 3; i++)
        hvc1(MV_HC_NOP, 0);
    kprintf("demo: made 3 NOP hypercalls; minivmm counts every exit by class\n");
    kprintf("demo: an unknown hypercall returns %d (NOT_SUPPORTED)\n", (int)hvc1(MV_HC_BASE + 0xfff, 0));
    kprintf("demo: powering off through the VMM with code 0; minivmm prints its exit statistics\n");
    return 0;
}
