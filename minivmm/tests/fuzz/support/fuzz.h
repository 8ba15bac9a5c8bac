/* What the libFuzzer targets share: input bytes read as a small program, fatal checks, and a VM made as minivmm makes one. */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <minivmm/vm.h>

/*
 * A fuzz input read front to back, in the spirit of LLVM's FuzzedDataProvider:
 * each operation takes the bytes it needs; an input that runs out reads as
 * zeros, so that every byte string is a valid program (libFuzzer mutates
 * bytes, not programs).
 */
struct fdp {
    const uint8_t *p;
    size_t left;
};

static inline struct fdp fdp_make(const uint8_t *data, size_t size)
{
    return (struct fdp){data, size};
}

static inline bool fdp_empty(const struct fdp *f)
{
    return f->left == 0;
}

/* An n-byte little-endian number (n <= 4). */
static inline uint32_t fdp_uint(struct fdp *f, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n && f->left; i++, f->left--)
        v |= (uint32_t)*f->p++ << (8 * i);
    return v;
}

static inline uint8_t fdp_u8(struct fdp *f)
{
    return (uint8_t)fdp_uint(f, 1);
}

static inline uint16_t fdp_u16(struct fdp *f)
{
    return (uint16_t)fdp_uint(f, 2);
}

static inline uint32_t fdp_u32(struct fdp *f)
{
    return fdp_uint(f, 4);
}

static inline bool fdp_bool(struct fdp *f)
{
    return fdp_u8(f) & 1;
}

/* One of n choices (n <= 256), from one byte. */
static inline unsigned fdp_pick(struct fdp *f, unsigned n)
{
    return fdp_u8(f) % n;
}

/* Up to max bytes (fewer if the input ends): where they start, and *n. */
static inline const uint8_t *fdp_bytes(struct fdp *f, size_t max, size_t *n)
{
    const uint8_t *p = f->p;
    *n = max < f->left ? max : f->left;
    f->p += *n;
    f->left -= *n;
    return p;
}

/* A broken invariant is a finding: say which and abort, so that libFuzzer
 * keeps the input (crash-<sha1> in its artifact folder). */
void fuzz_fail(const char *file, int line, const char *what, const char *fmt, ...) NORETURN PRINTF_LIKE(4, 5);
#define FUZZ_CHECK(cond, ...)                                  \
    do {                                                       \
        if (!(cond))                                           \
            fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
    } while (0)

/* FUZZ_VERBOSE=1 in the environment: targets say why an input was refused
 * (to see what a seed reaches); silent otherwise, for speed. */
extern bool fuzz_verbose;

/* Every host stand-in (minivmm/tests/unit/host_stubs.c) back to power-on:
 * the captured console, console input, the guest's CP15, timer and VFP
 * registers, the GIC's list registers, the exit trace. libFuzzer runs every
 * input in one process, so each target calls this first. */
void fuzz_host_reset(void);

/* The VM minivmm makes with every lab done (the reference): 64 MiB of RAM at
 * GUEST_RAM_BASE (not allocated: no target needs its bytes), the features
 * given, arch_board's devices (the vGIC distributor, the PL011, the test
 * device) created and reset, the decode cache on, the vCPU at its entry with
 * a Cortex-A15's ID registers as its CP15 view. */
void fuzz_vm_make(struct vm *vm, uint32_t features);
/* Free what fuzz_vm_make allocated (the targets allocate from libc: leaks are findings too). */
void fuzz_vm_free(struct vm *vm);
/* The device of that type in vm (there is one of each); fails if it is missing. */
struct device *fuzz_device(const struct vm *vm, const char *type);

/* What must hold of the vGIC whenever minivmm has the list registers (not
 * while the guest runs): its copies of them and of GICH_HCR (once written
 * since a reset) are the hardware's, and each LR in use holds one guest
 * interrupt, pending or active, that says it sits there, and no other
 * interrupt says so. */
struct vgic;
void fuzz_check_vgic(const struct vgic *g);

/* Every lab's features: what the reference minivmm gives a guest. */
#define FUZZ_ALL_FEATURES (VM_F_STAGE2 | VM_F_DEVICES | VM_F_IRQS)
/* Room for a whole VM's snapshot (vm_snapshot_selftest's size). */
#define FUZZ_SNAP_MAX (64u << 10)

/* The snapshot test of minivmm (snapshot-test=) as an oracle: vm's state, which
 * a guest reached, must save, restore into a second VM made alike, and save
 * again to the same bytes. Fails (a finding) otherwise. */
void fuzz_snapshot_round_trip(struct vm *vm);

#endif
