/* The fuzz targets' side of the host build: minivmm's heap on libc, its exit as an abort, host stand-ins reset, and a VM made as minivmm makes one. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/device.h>
#include <minivmm/exit.h>
#include <minivmm/vm_snapshot.h>
#include <arch/sysreg.h>
#include <arch/traps.h>
#include <arch/vgic.h>
#include "host_stubs.h"
#include <devices/pci.h>
#include "fuzz.h"

bool fuzz_verbose;

__attribute__((constructor)) static void fuzz_init(void)
{
    const char *v = getenv("FUZZ_VERBOSE");
    fuzz_verbose = v && *v && strcmp(v, "0");
}

/* ---- minivmm's heap (core/alloc.c is left out of the fuzz build): each
 * block from libc, so that ASan bounds every device's state and buffer by
 * itself instead of seeing one 4 MiB array, and LeakSanitizer sees what a
 * target forgets to free. Same contract: NULL for 0 bytes or an overflow. */

void heap_init(void *base, size_t size)
{
    (void)base;
    (void)size;
}

void *mv_malloc(size_t size)
{
    return size ? malloc(size) : NULL;
}

void *mv_calloc(size_t n, size_t size)
{
    if (!n || !size || n > (size_t)-1 / size)
        return NULL;
    return calloc(n, size);
}

void mv_free(void *p)
{
    free(p);
}

size_t heap_free_bytes(void)
{
    return 0;
}

/* ---- minivmm stopping (panic, an unhandled exit, a skeleton function):
 * host_stubs.c's host_exit would _exit() quietly, and libFuzzer would stop
 * without keeping the input. The fuzz build links with --wrap=host_exit, so
 * every stop comes here and is a finding, with minivmm's last words. */
void __wrap_host_exit(int status) NORETURN;
void __wrap_host_exit(int status)
{
    size_t from = console_len > 2000 ? console_len - 2000 : 0;
    fprintf(stderr, "\n==fuzz== minivmm stopped with status %d; the end of its console:\n%s\n", status,
            console_buf + from);
    abort();
}

void fuzz_fail(const char *file, int line, const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\n==fuzz== %s:%d: check failed: %s\n==fuzz== ", file, line, what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

/* ---- The host stand-ins, back to power-on. */

void fuzz_host_reset(void)
{
    console_reset();
    host_console_input = NULL;
    trace_exits = false;
    memset(host_guest_cp15, 0, G_CP15_COUNT * sizeof(host_guest_cp15[0]));
    memset(&host_guest_vtimer, 0, sizeof(host_guest_vtimer));
    memset(&host_guest_vfp, 0, sizeof(host_guest_vfp));
    memset(host_gich_lr, 0, VGIC_NR_LRS * sizeof(host_gich_lr[0]));
    host_gich_hcr = host_gich_vmcr = host_gich_apr = 0;
    memset(host_gic_enabled, 0, VGIC_NR_IRQS * sizeof(host_gic_enabled[0]));
    memset(host_code, 0, HOST_CODE_SIZE);
    host_code_va = 0;
    host_fetches = 0;
    host_sysreg_hcr = host_sysreg_vtcr = host_sysreg_csselr = 0;
    host_sysreg_vttbr = 0;
    host_tlb_flushes = host_dccisw_count = 0;
    host_dccisw_last = 0;
}

/* ---- A VM. */

/* A Cortex-A15's identification and cache geometry (QEMU's), as cp15_view_init
 * makes the guest's view of them: what set/way operands are checked against. */
static void a15_view(struct cp15_view *view)
{
    struct cp15_view host = {
        .midr = 0x412fc0f1u,
        .ctr = 0x8444c004u,
        .mpidr = 0x80000000u,
        .id_pfr0 = 0x00001131u,
        .id_pfr1 = 0x00011011u,
        .id_dfr0 = 0x02010555u,
        .id_mmfr = {0x10201105u, 0x20000000u, 0x01240000u, 0x02102211u},
        .id_isar = {0x02101110u, 0x13112111u, 0x21232041u, 0x11112131u, 0x10011142u, 0},
        .clidr = 0x0a200023u,
        .ccsidr = {0x701fe00au, 0x201fe00au, 0x711fe07au},
    };
    cp15_view_init(view, &host);
}

void fuzz_vm_make(struct vm *vm, uint32_t features)
{
    char err[160];
    memset(vm, 0, sizeof(*vm));
    vm->ram_ipa = GUEST_RAM_BASE;
    vm->ram_size = GUEST_RAM_DEFAULT_MIB << 20;
    vm->entry = GUEST_RAM_BASE + 0x10000;
    vm->dtb_ipa = vm->ram_ipa + vm->ram_size - GUEST_DTB_MAX;
    vm->decode_cache = true;
    vm->features = features;
    vm->vcpu.vm = vm;
    if (vm_create_devices(vm, &arch_board, err, sizeof(err)))
        fuzz_fail(__FILE__, __LINE__, "vm_create_devices", "%s", err);
    arch_vm_reset(vm);
    arch_vcpu_init(&vm->vcpu, vm->entry, vm->dtb_ipa);
    a15_view(&vm->vcpu.arch.cp15);
}

void fuzz_vm_free(struct vm *vm)
{
    if (vm->pci) { /* the host bridge's own buses (its windows' BARs) */
        mv_free(vm->pci->io.regions);
        mv_free(vm->pci->mem.regions);
    }
    for (unsigned i = 0; i < vm->ndevices; i++)
        mv_free(vm->devices[i].state);
    mv_free(vm->devices);
    mv_free(vm->mmio.bus.regions);
    mv_free(vm->pio.regions);
    memset(vm, 0, sizeof(*vm));
}

struct device *fuzz_device(const struct vm *vm, const char *type)
{
    struct device *d = vm_find_device(vm, type);
    FUZZ_CHECK(d != NULL, "the VM has no '%s' device", type);
    return d;
}

void fuzz_check_vgic(const struct vgic *g)
{
    for (unsigned i = 0; i < VGIC_NR_LRS; i++) {
        uint32_t lr = g->lr[i], vid = lr & LR_VID_MASK;
        FUZZ_CHECK(lr == host_gich_lr[i], "LR%u is %#x, minivmm's copy %#x", i, host_gich_lr[i], lr);
        if (!lr)
            continue;
        FUZZ_CHECK(vid < VGIC_NR_IRQS && !(lr >> 31) && (lr >> LR_STATE_SHIFT & 3),
                   "LR%u holds %#x: no guest interrupt, a HW one, or neither pending nor active", i, lr);
        FUZZ_CHECK(g->irq[vid].lr == (int8_t)i, "LR%u holds interrupt %u, which says it is in LR %d", i, vid,
                   g->irq[vid].lr);
    }
    for (unsigned id = 0; id < VGIC_NR_IRQS; id++) {
        int8_t at = g->irq[id].lr;
        FUZZ_CHECK(at == -1 || (at >= 0 && at < VGIC_NR_LRS && g->lr[at] && (g->lr[at] & LR_VID_MASK) == id),
                   "interrupt %u says it is in LR %d, which holds %#x", id, at,
                   at >= 0 && at < VGIC_NR_LRS ? g->lr[at] : 0);
    }
    /* A reset (vgic_init) zeroes the copy of GICH_HCR and leaves the register
     * (gich_reset does not write it): the next refill, which a reset asks for,
     * always writes it, since it always sets EN. Until then the copy is 0. */
    FUZZ_CHECK(!g->hcr || g->hcr == host_gich_hcr, "GICH_HCR is %#x, minivmm's copy %#x", host_gich_hcr,
               g->hcr);
}

void fuzz_snapshot_round_trip(struct vm *vm)
{
    static struct vm again;
    static uint8_t first[FUZZ_SNAP_MAX], second[FUZZ_SNAP_MAX];
    char err[160];
    struct snap_writer w;
    snap_writer_init(&w, first, FUZZ_SNAP_MAX);
    FUZZ_CHECK(vm_snapshot_save(vm, &w) == 0, "the VM's sections do not fit in %u bytes", FUZZ_SNAP_MAX);
    uint32_t len = w.len;
    fuzz_vm_make(&again, vm->features);
    again.ram_ipa = vm->ram_ipa; /* a target may have given its VM other RAM (its bytes are not saved) */
    again.ram_size = vm->ram_size;
    int rc = vm_snapshot_restore(&again, first, len, err, sizeof(err));
    FUZZ_CHECK(rc == 0, "a state the guest reached does not restore: %s", err);
    snap_writer_init(&w, second, FUZZ_SNAP_MAX);
    FUZZ_CHECK(vm_snapshot_save(&again, &w) == 0, "the restored VM does not save");
    FUZZ_CHECK(w.len == len && !memcmp(first, second, len),
               "saved again after a restore, the VM's state differs (%u and %u bytes)", len, w.len);
    fuzz_vm_free(&again);
}
