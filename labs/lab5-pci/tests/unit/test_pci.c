/* Lab 5 graded unit tests of PCI: the configuration header (minivmm/devices/pci_cfg.c, Task 1) and the host bridge built on it (devices/pci_host.c).
 *
 * Expected values come from the PCI Local Bus Specification 3.0: the type-0 header (6.1, 6.2),
 * COMMAND and STATUS (6.2.2, 6.2.3), BARs and how an OS sizes them (6.2.5.1: write all ones,
 * read back, the low bits fixed by the type); and from PCI Express Base 3.0, 7.2.2, for the ECAM
 * layout; an absent function reads all ones (a master abort). */
#include <string.h>
#include <check.h>
#include <minivmm/alloc.h>
#include <minivmm/device.h>
#include <minivmm/vm.h>
#include <devices/pci.h>
#include "lab5.h"

/* ---- Task 1: the header on its own. */

static const struct pci_ident ident = {
    .vendor = 0x10ec,
    .device = 0x8029,
    .class_code = 0x020000,
    .revision = 0x03,
    .subsys_vendor = 0x1af4,
    .subsys = 0x1100,
    .int_pin = 1,
    .bar = {{0x20, true}, {0, false}, {0x1000, false}},
};

static struct pci_cfg cfg;

static void cfg_setup(void)
{
    memset(&cfg, 0x5a, sizeof(cfg)); /* reset must set every field */
    pci_cfg_reset(&cfg, &ident);
}

START_TEST(test_cfg_ident)
{
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_VENDOR_ID, 4), 0x802910ecu);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_VENDOR_ID, 2), 0x10ec);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_DEVICE_ID, 2), 0x8029);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_DEVICE_ID + 1, 1), 0x80);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_CLASS_REVISION, 4), 0x02000003u);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_CLASS_REVISION + 3, 1), 0x02); /* base class: network */
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_HEADER_TYPE, 1), 0);           /* type 0, one function */
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_SUBSYS_VENDOR, 4), 0x11001af4u);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_INT_PIN, 1), 1);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_CAP_PTR, 4), 0);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_ROM_BAR, 4), 0);
    ck_assert_uint_eq(pci_cfg_read(&cfg, 0x40, 4), 0); /* device-specific space: nothing */
    ck_assert_uint_eq(pci_cfg_read(&cfg, 0xfc, 4), 0);
}
END_TEST

START_TEST(test_cfg_read_only)
{
    pci_cfg_write(&cfg, PCI_VENDOR_ID, 4, 0xffffffffu);
    pci_cfg_write(&cfg, PCI_CLASS_REVISION, 4, 0);
    pci_cfg_write(&cfg, PCI_INT_PIN, 1, 3);
    pci_cfg_write(&cfg, PCI_SUBSYS_VENDOR, 2, 0);
    pci_cfg_write(&cfg, PCI_HEADER_TYPE, 1, 0x80);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_VENDOR_ID, 4), 0x802910ecu);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_CLASS_REVISION, 4), 0x02000003u);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_INT_PIN, 1), 1);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_SUBSYS_VENDOR, 4), 0x11001af4u);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_HEADER_TYPE, 1), 0);
}
END_TEST

START_TEST(test_cfg_command)
{
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_COMMAND, 2), 0); /* decoding off at reset */
    pci_cfg_write(&cfg, PCI_COMMAND, 2, 0xffff);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_COMMAND, 2), PCI_CMD_WRITABLE);
    pci_cfg_write(&cfg, PCI_COMMAND, 1, PCI_CMD_IO); /* the low byte only: INTX_OFF (bit 10) stays */
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_COMMAND, 2), PCI_CMD_IO | PCI_CMD_INTX_OFF);
    pci_cfg_write(&cfg, PCI_COMMAND, 4, 0xffff0000u | PCI_CMD_MEM); /* STATUS has nothing to set */
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_COMMAND, 4), PCI_CMD_MEM);
    cfg.intx = true; /* the device asserts its pin: STATUS bit 3 */
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_STATUS, 2), PCI_STATUS_INTX);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_COMMAND, 4), PCI_CMD_MEM | (uint32_t)PCI_STATUS_INTX << 16);
}
END_TEST

START_TEST(test_cfg_small_registers)
{
    pci_cfg_write(&cfg, PCI_INT_LINE, 1, 36);
    pci_cfg_write(&cfg, PCI_CACHE_LINE, 1, 16);
    pci_cfg_write(&cfg, PCI_LATENCY, 1, 0x40);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_INT_LINE, 2), 0x0100u | 36);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_CACHE_LINE, 4), 0x4010u);
    pci_cfg_write(&cfg, PCI_INT_LINE, 4, 0xffffff07u); /* the pin and the rest stay */
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_INT_LINE, 4), 0x0107u);
}
END_TEST

/* Sizing as an OS does it (PCI 3.0, 6.2.5.1). */
START_TEST(test_cfg_bar_sizing)
{
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0, 4), PCI_BAR_IO); /* I/O, at 0 */
    pci_cfg_write(&cfg, PCI_BAR0, 4, 0xffffffffu);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0, 4), 0xffffffe1u); /* 0x20 bytes of ports */
    pci_cfg_write(&cfg, PCI_BAR0 + 8, 4, 0xffffffffu);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0 + 8, 4), 0xfffff000u); /* 4 KiB, 32-bit memory */
    pci_cfg_write(&cfg, PCI_BAR0 + 4, 4, 0xffffffffu);                   /* no BAR 1: nothing to size */
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0 + 4, 4), 0);
    for (unsigned n = 3; n < PCI_NUM_BARS; n++) {
        pci_cfg_write(&cfg, PCI_BAR0 + 4 * n, 4, 0xffffffffu);
        ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0 + 4 * n, 4), 0);
    }
    pci_cfg_write(&cfg, PCI_BAR0, 4, 0x1000);
    pci_cfg_write(&cfg, PCI_BAR0 + 8, 4, 0x10002345u); /* the low bits are not the OS's to set */
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0, 4), 0x1001u);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0 + 8, 4), 0x10002000u);
    pci_cfg_write(&cfg, PCI_BAR0 + 1, 1, 0x20); /* a byte: bits 15:8 only */
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0, 4), 0x2001u);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0 + 2, 2), 0);
}
END_TEST

START_TEST(test_cfg_decodes)
{
    uint32_t base = 0xdead;
    pci_cfg_write(&cfg, PCI_BAR0, 4, 0x1000);
    pci_cfg_write(&cfg, PCI_BAR0 + 8, 4, 0x10000000u);
    ck_assert(!pci_bar_decodes(&cfg, 0, &base)); /* COMMAND off */
    ck_assert(!pci_bar_decodes(&cfg, 2, &base));
    pci_cfg_write(&cfg, PCI_COMMAND, 2, PCI_CMD_IO);
    ck_assert(pci_bar_decodes(&cfg, 0, &base));
    ck_assert_uint_eq(base, 0x1000);
    ck_assert(!pci_bar_decodes(&cfg, 2, &base)); /* memory decoding still off */
    pci_cfg_write(&cfg, PCI_COMMAND, 2, PCI_CMD_MEM);
    ck_assert(!pci_bar_decodes(&cfg, 0, &base));
    ck_assert(pci_bar_decodes(&cfg, 2, &base));
    ck_assert_uint_eq(base, 0x10000000u);
    pci_cfg_write(&cfg, PCI_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MEM);
    ck_assert(!pci_bar_decodes(&cfg, 1, &base)); /* no such BAR */
    ck_assert(!pci_bar_decodes(&cfg, PCI_NUM_BARS, &base));
    ck_assert(!pci_bar_decodes(&cfg, 1000, &base));
}
END_TEST

START_TEST(test_cfg_reset_again)
{
    pci_cfg_write(&cfg, PCI_COMMAND, 2, 0xffff);
    pci_cfg_write(&cfg, PCI_BAR0, 4, 0x1000);
    pci_cfg_write(&cfg, PCI_INT_LINE, 1, 9);
    cfg.intx = true;
    pci_cfg_reset(&cfg, &ident);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_COMMAND, 4), 0);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_BAR0, 4), PCI_BAR_IO);
    ck_assert_uint_eq(pci_cfg_read(&cfg, PCI_INT_LINE, 1), 0);
}
END_TEST

/* ---- The host bridge: a VM with the bridge and a probe device of two BARs at slot 1. */

#define ECAM               0x3f000000u
#define IO_CPU             0x3eff0000u
#define MEM_CPU            0x10000000u
#define MEM_SIZE           0x2eff0000u
#define ECAM_OFF(dev, reg) (ECAM + ((uint32_t)(dev) << 15) + (reg))

struct probe {
    uint32_t last_off, reads, writes;
    bool level;
};

static enum bus_result probe_access(void *dev, struct bus_req *r)
{
    struct probe *p = dev;
    p->last_off = r->off;
    if (r->write)
        p->writes++;
    else
        r->val = 0xa0 + r->off, p->reads++;
    return BUS_OK;
}

static const struct bus_ops probe_ops = {"pciprobe", probe_access};

static void *probe_create(struct device *d)
{
    (void)d;
    return mv_calloc(1, sizeof(struct probe));
}

static void probe_reset(struct device *d)
{
    (void)d;
}

static void probe_snapshot(void *state, struct snap *s)
{
    (void)state;
    (void)s;
}

DEVICE_TYPE(pciprobe) = {
    .name = "pciprobe",
    .snap_version = 1,
    .create = probe_create,
    .reset = probe_reset,
    .ops = &probe_ops,
    .snapshot = probe_snapshot,
    .pci = &ident,
};

/* A second function: two memory BARs, one of them 2 GiB (more than the whole window). */
static const struct pci_ident ident2 = {
    .vendor = 0x1234,
    .device = 0x5678,
    .class_code = 0x040300,
    .int_pin = 2,
    .bar = {{0x1000, false}, {0x80000000u, false}},
};

DEVICE_TYPE(pciprobe2) = {
    .name = "pciprobe2",
    .snap_version = 1,
    .create = probe_create,
    .reset = probe_reset,
    .ops = &probe_ops,
    .snapshot = probe_snapshot,
    .pci = &ident2,
};

static const struct pci_host_params windows = {IO_CPU, 0x10000, MEM_CPU, MEM_SIZE, 15};
static const struct board_slot slots[] = {
    {"pci-host", ECAM, 0x1000000, -1, "pcie", "pci-host-ecam-generic", 0, VM_F_PCI, &windows, false},
    {"pciprobe", 1, 0, 36, NULL, NULL, 0, VM_F_PCI, NULL, true},
    {"pciprobe2", 2, 0, 38, NULL, NULL, 0, VM_F_PCI, NULL, true},
};
static const struct board board = {"pcitest", slots, 3};

static struct vm vm;
static struct probe *probe, *probe2;
static struct {
    unsigned calls, irq;
    bool level;
} line;

static void line_set(void *ctx, unsigned irq, bool level)
{
    (void)ctx;
    line.calls++;
    line.irq = irq;
    line.level = level;
}

static void host_setup(void)
{
    char err[160];
    memset(&vm, 0, sizeof(vm));
    memset(&line, 0, sizeof(line));
    vm.features = VM_F_DEVICES | VM_F_PCI;
    ck_assert_msg(vm_create_devices(&vm, &board, err, sizeof(err)) == 0, "%s", err);
    ck_assert_ptr_nonnull(vm.pci);
    probe = vm.devices[1].state;
    probe2 = vm.devices[2].state;
    /* The line to the interrupt controller (none in this VM): recorded. */
    vm.pci->fn[1].irq = (struct irq_line){line_set, NULL, 36};
}

static uint32_t rd(uint32_t addr, unsigned width)
{
    uint32_t v = 0x12345678u;
    ck_assert_msg(mmio_bus_read(&vm.mmio, addr, width, &v), "read at %#x refused", addr);
    return v;
}

static void wr(uint32_t addr, unsigned width, uint32_t val)
{
    ck_assert_msg(mmio_bus_write(&vm.mmio, addr, width, val), "write at %#x refused", addr);
}

START_TEST(test_host_enumerate)
{
    ck_assert_uint_eq(rd(ECAM_OFF(1, 0), 4), 0x802910ecu);
    ck_assert_uint_eq(rd(ECAM_OFF(1, 2), 2), 0x8029);
    ck_assert_uint_eq(rd(ECAM_OFF(0, 0), 4), 0xffffffffu); /* empty slots: all ones */
    ck_assert_uint_eq(rd(ECAM_OFF(31, 0), 2), 0xffff);
    ck_assert_uint_eq(rd(ECAM_OFF(1, 1u << 12), 4), 0xffffffffu);          /* function 1 */
    ck_assert_uint_eq(rd(ECAM + (1u << 20) + (1u << 15), 4), 0xffffffffu); /* bus 1 */
    ck_assert_uint_eq(rd(ECAM_OFF(1, 0x100), 4), 0);                       /* past the 256-byte header */
    ck_assert_uint_eq(rd(ECAM_OFF(1, 0xffc), 4), 0);
    ck_assert_uint_eq(rd(ECAM_OFF(1, 1), 2), 0xffff); /* misaligned: all ones */
    wr(ECAM_OFF(0, PCI_COMMAND), 2, 0xffff);          /* ignored */
    wr(ECAM_OFF(1, 0x200), 4, 0xffffffffu);
    ck_assert_uint_eq(rd(ECAM_OFF(1, PCI_COMMAND), 2), 0);
}
END_TEST

START_TEST(test_host_io_bar)
{
    wr(ECAM_OFF(1, PCI_BAR0), 4, 0x1000);
    ck_assert_uint_eq(rd(IO_CPU + 0x1004, 1), 0xff); /* decoding off: a master abort */
    ck_assert_uint_eq(probe->reads, 0);
    wr(ECAM_OFF(1, PCI_COMMAND), 2, PCI_CMD_IO);
    ck_assert_uint_eq(rd(IO_CPU + 0x1004, 1), 0xa4);
    ck_assert_uint_eq(probe->last_off, 4);
    wr(IO_CPU + 0x101f, 1, 1);
    ck_assert_uint_eq(probe->last_off, 0x1f);
    ck_assert_uint_eq(rd(IO_CPU + 0x1020, 4), 0xffffffffu); /* just past the BAR */
    /* Moved: it answers at the new port only. */
    wr(ECAM_OFF(1, PCI_BAR0), 4, 0x2000);
    ck_assert_uint_eq(rd(IO_CPU + 0x2000, 2), 0xa0);
    ck_assert_uint_eq(rd(IO_CPU + 0x1000, 2), 0xffff);
    wr(ECAM_OFF(1, PCI_COMMAND), 2, 0);
    ck_assert_uint_eq(rd(IO_CPU + 0x2000, 2), 0xffff);
    ck_assert_uint_eq(vm.pci->master_aborts, 4);
}
END_TEST

START_TEST(test_host_mem_bar)
{
    wr(ECAM_OFF(1, PCI_BAR0 + 8), 4, 0x20000000u);
    wr(ECAM_OFF(1, PCI_COMMAND), 2, PCI_CMD_MEM);
    ck_assert_uint_eq(rd(0x20000010u, 4), 0xb0);
    ck_assert_uint_eq(rd(0x20001000u, 4), 0xffffffffu);
    ck_assert_uint_eq(rd(IO_CPU, 4), 0xffffffffu); /* I/O decoding still off */
}
END_TEST

/* A BAR the guest puts outside its window, or over another, stays off the bus. */
START_TEST(test_host_bar_refused)
{
    wr(ECAM_OFF(1, PCI_COMMAND), 2, PCI_CMD_IO | PCI_CMD_MEM);
    wr(ECAM_OFF(1, PCI_BAR0), 4, 0xffffffffu);     /* sizing with decoding on: outside the I/O window */
    wr(ECAM_OFF(1, PCI_BAR0 + 8), 4, 0x40000000u); /* over guest RAM */
    ck_assert(!vm.pci->fn[1].mapped[0]);
    ck_assert(!vm.pci->fn[1].mapped[2]);
    wr(ECAM_OFF(1, PCI_BAR0 + 8), 4, 0x08000000u); /* over the GIC, below the window */
    ck_assert(!vm.pci->fn[1].mapped[2]);
    wr(ECAM_OFF(1, PCI_BAR0 + 8), 4, MEM_CPU + MEM_SIZE - 0x1000); /* the window's last page: fine */
    ck_assert(vm.pci->fn[1].mapped[2]);
    wr(ECAM_OFF(1, PCI_BAR0), 4, 0xffe0); /* the last 32 ports */
    ck_assert(vm.pci->fn[1].mapped[0]);
    ck_assert_uint_eq(rd(IO_CPU + 0xffff, 1), 0xa0 + 0x1f);
    ck_assert_uint_gt(vm.pci->bars_refused, 0);
}
END_TEST

/* Two BARs at one place: the first keeps it, the second stays off until the place is free. */
START_TEST(test_host_overlap)
{
    wr(ECAM_OFF(1, PCI_BAR0 + 8), 4, 0x20000000u);
    wr(ECAM_OFF(1, PCI_COMMAND), 2, PCI_CMD_MEM);
    wr(ECAM_OFF(2, PCI_BAR0), 4, 0x20000000u);
    wr(ECAM_OFF(2, PCI_COMMAND), 2, PCI_CMD_MEM);
    ck_assert(!vm.pci->fn[2].mapped[0]);
    ck_assert_uint_eq(rd(0x20000004u, 4), 0xa4);
    ck_assert_uint_eq(probe->reads, 1);
    ck_assert_uint_eq(probe2->reads, 0);
    wr(ECAM_OFF(1, PCI_BAR0 + 8), 4, 0x30000000u); /* the first moves away: the second takes the place */
    ck_assert(vm.pci->fn[2].mapped[0]);
    ck_assert_uint_eq(rd(0x20000004u, 4), 0xa4);
    ck_assert_uint_eq(probe2->reads, 1);
    ck_assert_uint_eq(rd(0x30000008u, 4), 0xa8);
    ck_assert_uint_eq(probe->reads, 2);
}
END_TEST

/* A BAR larger than its window can be sized but never placed. */
START_TEST(test_host_huge_bar)
{
    wr(ECAM_OFF(2, PCI_BAR0 + 4), 4, 0xffffffffu);
    ck_assert_uint_eq(rd(ECAM_OFF(2, PCI_BAR0 + 4), 4), 0x80000000u);
    wr(ECAM_OFF(2, PCI_COMMAND), 2, PCI_CMD_MEM);
    wr(ECAM_OFF(2, PCI_BAR0 + 4), 4, 0x80000000u);
    ck_assert(!vm.pci->fn[2].mapped[1]);
    wr(ECAM_OFF(2, PCI_BAR0 + 4), 4, 0);
    ck_assert(!vm.pci->fn[2].mapped[1]);
    ck_assert_uint_gt(vm.pci->bars_refused, 0);
    ck_assert_uint_eq(rd(0x10000000u, 4), 0xffffffffu);
    ck_assert_uint_eq(probe2->reads, 0);
}
END_TEST

START_TEST(test_host_intx)
{
    struct device *d = &vm.devices[1];
    irq_line_set(&d->irq, true); /* the device asserts INTA */
    ck_assert(line.level);
    ck_assert_uint_eq(line.irq, 36);
    ck_assert_uint_eq(rd(ECAM_OFF(1, PCI_STATUS), 2), PCI_STATUS_INTX);
    wr(ECAM_OFF(1, PCI_COMMAND), 2, PCI_CMD_INTX_OFF); /* masked: the line drops, STATUS still shows it */
    ck_assert(!line.level);
    ck_assert_uint_eq(rd(ECAM_OFF(1, PCI_STATUS), 2), PCI_STATUS_INTX);
    wr(ECAM_OFF(1, PCI_COMMAND), 2, 0);
    ck_assert(line.level);
    irq_line_set(&d->irq, false);
    ck_assert(!line.level);
    ck_assert_uint_eq(rd(ECAM_OFF(1, PCI_STATUS), 2), 0);
}
END_TEST

START_TEST(test_host_reset)
{
    wr(ECAM_OFF(1, PCI_BAR0), 4, 0x1000);
    wr(ECAM_OFF(1, PCI_COMMAND), 2, PCI_CMD_IO);
    ck_assert_uint_eq(rd(IO_CPU + 0x1000, 1), 0xa0);
    vm_reset_devices(&vm);
    ck_assert_uint_eq(rd(ECAM_OFF(1, PCI_COMMAND), 2), 0);
    ck_assert_uint_eq(rd(IO_CPU + 0x1000, 1), 0xff);
    ck_assert(!vm.pci->fn[1].mapped[0]);
}
END_TEST

static TCase *tcase(const char *name, void (*setup)(void))
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, NULL);
    return tc;
}

void lab5_pci_tcases(Suite *s)
{
    TCase *c = tcase("pci_cfg", cfg_setup);
    tcase_add_test(c, test_cfg_ident);
    tcase_add_test(c, test_cfg_read_only);
    tcase_add_test(c, test_cfg_command);
    tcase_add_test(c, test_cfg_small_registers);
    tcase_add_test(c, test_cfg_bar_sizing);
    tcase_add_test(c, test_cfg_decodes);
    tcase_add_test(c, test_cfg_reset_again);
    suite_add_tcase(s, c);

    TCase *h = tcase("pci_host", host_setup);
    tcase_add_test(h, test_host_enumerate);
    tcase_add_test(h, test_host_io_bar);
    tcase_add_test(h, test_host_mem_bar);
    tcase_add_test(h, test_host_bar_refused);
    tcase_add_test(h, test_host_overlap);
    tcase_add_test(h, test_host_huge_bar);
    tcase_add_test(h, test_host_intx);
    tcase_add_test(h, test_host_reset);
    suite_add_tcase(s, h);
}
