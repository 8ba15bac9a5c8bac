/* The x86 part of a VM: its nested page tables and the host memory that backs guest RAM. */
#ifndef ARCH_VM_H
#define ARCH_VM_H

#include <minivmm/types.h>

struct arch_vm {
    uint64_t *npt_pml4; /* the nested page tables' root (nCR3) */
    uint64_t npf_count; /* nested page faults taken (none are handled yet) */
};

/* How a guest switches the machine off; vm_power_off (core/vm.c) names it. */
#define ARCH_POWER_OFF_CALL "MV_HC_POWEROFF"

/* Host-physical memory that backs guest RAM (GUEST_RAM_BASE, up to GUEST_RAM_MAX_MIB) through
 * the nested page tables: above minivmm, its heap and the multiboot modules, below 512 MiB
 * (QEMU's -m 512). Nothing else of the host is mapped for the guest. */
#define GUEST_RAM_BACKING_PA 0x10000000u
#define GUEST_ASID           1

#endif
