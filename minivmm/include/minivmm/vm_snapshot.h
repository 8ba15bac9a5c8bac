/* The whole VM as snapshot sections (the VM, its vCPU, every device), and restoring it. */
#ifndef MINIVMM_VM_SNAPSHOT_H
#define MINIVMM_VM_SNAPSHOT_H

#include "snapshot.h"
#include "vm.h"

/* 2: the VM section carries the port's guest-readable counters (arch_vm_snapshot). */
#define VM_SNAP_VERSION 2u

/* Append the VM's sections to w: "vm", "vcpu0", then one per device named
 * by its type. 0, or -1 if they did not fit (w->overflow). */
int vm_snapshot_save(struct vm *vm, struct snap_writer *w);
/* Restore the VM from a stream of sections. 0, or -1 with a message naming
 * the section in err: a bad header, an unknown name, a wrong version or
 * length, a value out of range, a section missing or given twice. The
 * owner of a section that fails, is missing or comes twice is left in its
 * reset state (the vCPU: at the guest's entry). Devices of one type share a
 * section name: the n-th such section restores the n-th such device. */
int vm_snapshot_restore(struct vm *vm, const void *buf, uint32_t len, char *err, size_t errlen);
/* snapshot-test=<exit>: save the VM, put every device and the vCPU back to
 * reset, restore, save again and compare; the guest then goes on, and must
 * give the same output as without it. Stops minivmm if anything differs. */
void vm_snapshot_selftest(struct vm *vm);

#endif
