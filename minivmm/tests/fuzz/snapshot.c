/* Fuzzes the snapshot loader: vm_snapshot_restore and every section owner's restore. */
/* The code: minivmm/core/vm_snapshot.c, snapshot.c; arch/arm/vcpu_snapshot.c, vgic_dev.c; the devices' own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/vm_snapshot.h>
#include <arch/vgic.h>
#include <devices/vpl011.h>
#include "host_stubs.h"
#include "fuzz.h"

static struct vm vm;

/* A restored VM goes on running: one turn of the run loop's vGIC work (the
 * LRs refilled, then read back) must keep it consistent. */
static void run_a_turn(void)
{
    struct vgic *g = vm.arch.vgic;
    fuzz_check_vgic(g);
    vgic_flush_lrs(g);
    fuzz_check_vgic(g);
    vgic_sync_lrs(g);
    fuzz_check_vgic(g);
    vm.console.poll(vm.console.dev);
}

/* Input: the snapshot. Restored into a VM made as minivmm makes one, it is
 * accepted or refused as a whole (a refused section's owner is reset). Either
 * way the VM is one minivmm can run, save, restore and save again to the same
 * bytes (what snapshot-test= checks). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[160];
    fuzz_host_reset();
    fuzz_vm_make(&vm, FUZZ_ALL_FEATURES);
    uint8_t *snap = malloc(size ? size : 1); /* exact: ASan sees a read past the file */
    memcpy(snap, data, size);
    memset(err, 'X', sizeof(err));
    int rc = vm_snapshot_restore(&vm, snap, (uint32_t)size, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || memchr(err, '\0', sizeof(err)), "a refusal without a message");
    if (rc && fuzz_verbose)
        fprintf(stderr, "refused: %s\n", err);
    run_a_turn();
    fuzz_snapshot_round_trip(&vm);
    free(snap);
    fuzz_vm_free(&vm);
    return 0;
}

/* ---- Seeds: `FUZZ_WRITE_SEEDS=<folder> build/fuzz/snapshot` writes snapshots
 * of a VM fresh from reset and of one in the middle of things, made by
 * minivmm's own code (minivmm/tests/fuzz/seeds.py runs it), then exits. */

static void mmio(uint32_t ipa, unsigned width, uint32_t val)
{
    struct bus_req r = {.width = (uint8_t)width, .write = true, .val = val};
    FUZZ_CHECK(bus_access(&vm.mmio.bus, ipa, &r) == BUS_OK, "seed: a write at %#x is refused", ipa);
}

static void write_seed(const char *dir, const char *name)
{
    static uint8_t buf[FUZZ_SNAP_MAX];
    char path[512];
    struct snap_writer w;
    snap_writer_init(&w, buf, sizeof(buf));
    FUZZ_CHECK(!vm_snapshot_save(&vm, &w), "seed: the VM does not save");
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f && fwrite(buf, 1, w.len, f) == w.len && !fclose(f), "seed: cannot write %s", path);
    printf("%s: %u bytes\n", path, w.len);
}

static void write_seeds(const char *dir)
{
    fuzz_host_reset();
    fuzz_vm_make(&vm, FUZZ_ALL_FEATURES);
    write_seed(dir, "reset.snap");
    /* A guest in the middle of things: registers and counters moved, the test
     * device written, the UART with characters waiting and its interrupts on,
     * the distributor on with interrupts pending and in list registers. */
    uint32_t *regs = (uint32_t *)&vm.vcpu.arch.regs;
    for (unsigned i = 0; i < sizeof(vm.vcpu.arch.regs) / 4; i++)
        if (i != offsetof(struct arm_regs, cpsr) / 4)
            regs[i] = 0x40000000u + 0x111u * i;
    vm.vcpu.arch.regs.cpsr = PSR_MODE_SVC | PSR_T | 0x60000000u;
    vm.vcpu.stats.count[EC_DABT_LOW] = 1234;
    vm.vcpu.stats.count[EC_HVC] = 56;
    vm.vcpu.stats.total = 1290;
    host_guest_cp15[G_SCTLR] = 0x10c5387du;
    host_guest_cp15[G_TTBR0] = 0x40004059u;
    for (uint32_t i = 0; i < 0x20; i += 4)
        mmio(GUEST_TESTDEV_IPA + i, 4, 0x01020304u * (i + 1));
    mmio(GUEST_GICD_IPA + GICD_CTLR, 4, 1);
    mmio(GUEST_GICD_IPA + GICD_ISENABLER + 4, 4, 1u << (IRQ_GUEST_UART - 32));
    mmio(GUEST_GICD_IPA + GICD_ISENABLER, 4, 1u << IRQ_VTIMER);
    mmio(GUEST_GICD_IPA + GICD_IPRIORITYR + IRQ_GUEST_UART, 1, 0xa0);
    mmio(GUEST_GICD_IPA + GICD_SGIR, 4, 2u << 24 | 5);
    mmio(GUEST_PL011_IPA + UART_LCR_H, 4, LCR_H_FEN | 0x60);
    mmio(GUEST_PL011_IPA + UART_IMSC, 4, UART_INT_RX | UART_INT_RT);
    host_console_input = "hello, guest";
    vm.console.poll(vm.console.dev);
    host_console_input = NULL;
    vtimer_fire(vm.arch.vgic);
    vgic_flush_lrs(vm.arch.vgic);
    host_gich_lr[0] = (host_gich_lr[0] & ~(3u << LR_STATE_SHIFT)) | LR_ACTIVE; /* the guest took one */
    vgic_sync_lrs(vm.arch.vgic);
    write_seed(dir, "busy.snap");
    fuzz_vm_free(&vm);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("FUZZ_WRITE_SEEDS");
    if (dir && *dir) {
        write_seeds(dir);
        exit(0);
    }
    return 0;
}
