/* A virtual machine: its guest RAM, boot parameters and vCPU. */
#ifndef MINIVMM_VM_H
#define MINIVMM_VM_H

#include "types.h"
#include "vcpu.h"

#define GUEST_RAM_BASE   0x40000000u        /* guest-physical (IPA) base of RAM */
#define GUEST_RAM_DEFAULT_MIB 64u
#define GUEST_RAM_MAX_MIB 128u
#define GUEST_DTB_MAX    0x4000u            /* room for the device tree at the top of RAM */
#define BOOTARGS_MAX     256

struct vm {
    uint32_t ram_ipa;     /* guest-physical base of RAM */
    uint32_t ram_size;    /* bytes */
    uint8_t *ram_host;    /* where the VMM sees guest RAM */
    uint32_t entry;       /* guest entry point (IPA) */
    uint32_t dtb_ipa;     /* where the device tree was placed */
    char bootargs[BOOTARGS_MAX];
    struct vcpu vcpu;     /* one vCPU until SMP guests exist */
};

/* The VMM's pointer to [ipa, ipa + len) of guest RAM, or NULL if any of it
 * lies outside guest RAM. Every guest-supplied address goes through here. */
void *vm_ipa_ptr(struct vm *vm, uint32_t ipa, uint32_t len);

#endif
