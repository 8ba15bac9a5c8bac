/* Snapshot files: the whole VM (machine, state sections, guest RAM without its zero pages) with a CRC32C per section and one over the file. */
#ifndef MINIVMM_SNAPSHOT_FILE_H
#define MINIVMM_SNAPSHOT_FILE_H

#include "snapshot.h"
#include "vm.h"

/*
 * A snapshot file, every number little-endian (docs/architecture/snapshots.rst):
 *
 *   magic    8 bytes, SNAPFILE_MAGIC
 *   version  u32, SNAPFILE_VERSION: the layout of all that follows
 *   sections, each a snapshot.h section (16-byte name, version, length,
 *   payload) followed by the CRC32C of its header and payload (u32):
 *     "machine"  the VM it is of: architecture, vCPUs, RAM base and size, page
 *                size, features, the port's clock, the device types in board order
 *     "vm", "vcpu0", then one per device named by its type: the VM's state,
 *                each section exactly as vm_snapshot_save writes it
 *     "ram"      one per SNAPFILE_RAM_CHUNK pages of guest RAM: a bitmap of the
 *                pages stored, then those pages; a page of zeros is not stored
 *   trailer  u32, the CRC32C of every byte before it but the sections' checksums
 *
 * The loader checks the whole file against the running VM before it changes
 * anything of it, and names the section and the reason when it refuses.
 */
#define SNAPFILE_MAGIC       "MVSNAP\0\0"
#define SNAPFILE_MAGIC_SIZE  8u
#define SNAPFILE_VERSION     1u
#define SNAPFILE_PAGE        4096u
#define SNAPFILE_RAM_CHUNK   16384u /* pages of one "ram" section: 64 MiB */
#define SNAPFILE_MAX_DEVICES 62u    /* vm_snapshot_restore's 64 owners, less the VM and its vCPU */

/* The architecture a file is of ("machine"): it restores on that one only. */
enum snapfile_arch { SNAPFILE_ARCH_ARM = 1, SNAPFILE_ARCH_X86 = 2 };

/* What a file holds, besides the state (filled by all three calls below). */
struct snapfile_info {
    uint64_t clock;    /* the port's clock when the state was taken */
    size_t size;       /* bytes in the file */
    uint32_t sections; /* machine, state and RAM sections */
    uint32_t pages;    /* pages of guest RAM */
    uint32_t stored;   /* ... of which the file holds (the others are zero) */
};

/* The whole VM as a snapshot file in a new heap buffer (*file, info->size
 * bytes; the caller frees it). arch and clock go into "machine": the port's
 * id and its clock now. Changes nothing of the VM. 0, or -1 with the reason. */
int snapfile_save(struct vm *vm, uint32_t arch, uint64_t clock, uint8_t **file, struct snapfile_info *info,
                  char *err, size_t errlen);
/* Check file[0, len) completely against vm (made from the command line:
 * RAM, features and devices) without changing anything: every length and
 * count, every checksum, the machine, each section's name and version. 0, or
 * -1 with a message naming the section ("file header", "section 'pl011'",
 * "trailer") and the reason. */
int snapfile_check(const struct vm *vm, uint32_t arch, const uint8_t *file, size_t len,
                   struct snapfile_info *info, char *err, size_t errlen);
/* snapfile_check, then every state section (vm_snapshot_restore) and guest RAM.
 * On -1 the VM is as it was: a file that fails the check is refused before
 * anything changes, and a section whose values its owner refuses (a file
 * made to pass the checksums) rolls the state back. Stage 2 is not in the
 * file: the VM's memory layout built it. */
int snapfile_restore(struct vm *vm, uint32_t arch, const uint8_t *file, size_t len,
                     struct snapfile_info *info, char *err, size_t errlen);

/* ---- The port's part (arch/<arch>/snapshot_clock.c). */

/* The port's SNAPFILE_ARCH_* id. */
uint32_t arch_snapshot_id(void);
/* The clock the guest's time is derived from (on ARM the physical counter). */
uint64_t arch_snapshot_clock(void);
/* Move the guest's view of time back by ticks of that clock (on ARM, CNTVOFF
 * up by ticks): time the guest did not run (a snapshot being written, the
 * gap between a snapshot and its restore) is not time it sees pass. */
void arch_vcpu_clock_shift(struct vcpu *v, uint64_t ticks);

/* ---- Snapshot files in a running minivmm (core/snapshot_run.c). */

/* Write vm to the host file at path (snapshot=, or the console's) now (the
 * run loop, after an exit), and go on. */
void vm_snapshot_write(struct vm *vm, const char *path);
/* restore=: the VM, made from the command line, from the file at path, or
 * stop minivmm with a message (before the guest runs). */
void vm_snapshot_load(struct vm *vm, const char *path);

#endif
