/* Fuzzes the guest's PL011 (lab 3): register accesses through the MMIO bus, and host input. */
/* The code: the reference vpl011.c; devices/vpl011_dev.c; core/bus.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/console_escape.h>
#include <devices/vpl011.h>
#include "host_stubs.h"
#include "fuzz.h"

/* The characters the UART took from the host and has not yet given the
 * guest, as the FIFO must hold them: in order, none lost, none made up. */
struct model {
    uint8_t q[4 * VPL011_FIFO];
    unsigned head, count;
};

static void model_push(struct model *m, uint8_t c)
{
    FUZZ_CHECK(m->count < VPL011_FIFO, "the UART took a character with %u already waiting", m->count);
    m->q[(m->head + m->count++) % sizeof(m->q)] = c;
}

static uint8_t model_pop(struct model *m)
{
    uint8_t c = m->q[m->head];
    m->head = (m->head + 1) % sizeof(m->q);
    m->count--;
    return c;
}

/* Offsets: mostly the registers (a guest driver's), some anywhere in the
 * 4 KiB window or just past it (refused by the bus), some misaligned. */
static uint32_t offset(struct fdp *f)
{
    static const uint16_t regs[] = {UART_DR,   UART_RSR,   UART_FR,  UART_ILPR,     UART_IBRD,
                                    UART_FBRD, UART_LCR_H, UART_CR,  UART_IFLS,     UART_IMSC,
                                    UART_RIS,  UART_MIS,   UART_ICR, UART_DMACR,    UART_PERIPHID0,
                                    0xfe4,     0xfe8,      0xfec,    UART_PCELLID0, 0xffc};
    uint8_t how = fdp_u8(f);
    if (how < 200)
        return regs[how % ARRAY_SIZE(regs)] + (how >= 180 ? fdp_u8(f) % 4 : 0);
    return fdp_u16(f) % (UART_REGION_SIZE + 8);
}

/* What the guest can see of the UART must agree with the model and with the
 * interrupt line the GIC sees. */
static void check(const struct vm *vm, const struct vpl011 *u, const struct model *m)
{
    FUZZ_CHECK(u->rx_head < VPL011_FIFO && u->rx_count <= VPL011_FIFO, "FIFO head %u, count %u", u->rx_head,
               u->rx_count);
    FUZZ_CHECK(u->rx_count == m->count, "the FIFO holds %u characters, %u came in and were not read",
               u->rx_count, m->count);
    for (unsigned i = 0; i < m->count; i++)
        FUZZ_CHECK(u->rx_fifo[(u->rx_head + i) % VPL011_FIFO] == m->q[(m->head + i) % sizeof(m->q)],
                   "FIFO entry %u is %#x, the host sent %#x", i, u->rx_fifo[(u->rx_head + i) % VPL011_FIFO],
                   m->q[(m->head + i) % sizeof(m->q)]);
    bool level = (u->ris & u->imsc) != 0;
    FUZZ_CHECK(u->irq_level == level, "the interrupt output is %d with MIS %#x", u->irq_level,
               u->ris & u->imsc);
    FUZZ_CHECK(vm->arch.vgic->irq[IRQ_GUEST_UART].level == level, "the GIC's line is %d, the UART's MIS %#x",
               vm->arch.vgic->irq[IRQ_GUEST_UART].level, u->ris & u->imsc);
}

/* Input: a program, one operation after another: a read or a write (offset,
 * width 1/2/4, value) through the bus, or characters typed on the host
 * (then polled, as minivmm does when the host UART interrupts). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vm vm;
    static char typed[64];
    static const uint8_t widths[] = {1, 2, 4, 3};
    struct fdp f = fdp_make(data, size);
    struct model m = {0};
    fuzz_host_reset();
    fuzz_vm_make(&vm, FUZZ_ALL_FEATURES);
    struct device *d = fuzz_device(&vm, "pl011");
    struct vpl011 *u = d->state;
    uint32_t base = d->slot->base;
    for (unsigned ops = 0; !fdp_empty(&f) && ops < 256; ops++) {
        uint8_t op = fdp_pick(&f, 4);
        size_t before = console_len, n;
        struct bus_req r = {.width = widths[fdp_pick(&f, 4)]};
        /* The host types up to 32 characters: no NUL (host_stubs ends its input there) and
         * no Ctrl-] (the console escape's, which keeps what follows from the guest: its
         * unit tests, test_console_escape.c, cover it). */
        if (op == 3) {
            const uint8_t *c = fdp_bytes(&f, fdp_pick(&f, 33), &n);
            for (size_t i = 0; i < n; i++)
                typed[i] = !c[i] ? '\n' : c[i] == CONSOLE_ESCAPE_CHAR ? 'x' : (char)c[i];
            typed[n] = '\0';
            host_console_input = typed;
            const char *from = host_console_input;
            vm.console.poll(vm.console.dev);
            for (const char *p = from; p < host_console_input; p++)
                model_push(&m, (uint8_t)*p);
            host_console_input = NULL; /* what the UART did not take is dropped: the next typing is new */
            check(&vm, u, &m);
            continue;
        }
        uint32_t off = offset(&f), cr = u->cr;
        r.write = op == 1;
        r.val = fdp_u32(&f);
        enum bus_result res = bus_access(&vm.mmio.bus, base + off, &r);
        if (r.width == 3 || off + r.width > UART_REGION_SIZE) {
            FUZZ_CHECK(res != BUS_OK, "an access of width %u at %#x is accepted", r.width, off);
            continue;
        }
        FUZZ_CHECK(res == BUS_OK, "the UART refuses an access of width %u at %#x", r.width, off);
        bool dr = (off & ~3u) == UART_DR;
        if (!r.write && dr && m.count) { /* the guest read a character (any byte of DR takes one) */
            uint8_t c = model_pop(&m);
            FUZZ_CHECK((off & 3) || (r.val & 0xff) == c, "DR reads %#x, the host sent %#x", r.val, c);
        }
        if (r.write && off == UART_DR) { /* sent to the host console, if the transmitter is on */
            bool on = (cr & (CR_UARTEN | CR_TXE)) == (CR_UARTEN | CR_TXE);
            FUZZ_CHECK(console_len == before + on, "a write to DR with CR %#x sent %zu characters", cr,
                       console_len - before);
        }
        if (!r.write && r.width < 4)
            FUZZ_CHECK(r.val >> (8 * r.width) == 0, "a %u-byte read gives %#x", r.width, r.val);
        check(&vm, u, &m);
    }
    fuzz_snapshot_round_trip(&vm);
    fuzz_vm_free(&vm);
    return 0;
}
