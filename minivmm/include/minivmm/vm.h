/* A virtual machine: its guest RAM, boot parameters and vCPU. */
#ifndef MINIVMM_VM_H
#define MINIVMM_VM_H

#include "bus.h"
#include "console_escape.h"
#include "device.h"
#include "mmio.h"
#include "types.h"
#include "vcpu.h"
#include <arch/vm.h>

struct pci_host;
struct dev_timer;

#define GUEST_RAM_BASE        0x40000000u /* guest-physical (IPA) base of RAM */
#define GUEST_RAM_DEFAULT_MIB 64u
#define GUEST_RAM_MAX_MIB     128u
#define GUEST_DTB_MAX         0x4000u /* room for the device tree at the top of RAM */
#define BOOTARGS_MAX          256
#define VM_PATH_MAX           256 /* a host path the VM keeps, NUL included (as the command line's) */

/* What the labs done so far give a VM, resolved once when it is made
 * (arch_vm_features), so that hot paths test a bit instead of lab switches. */
enum vm_feature {
    VM_F_STAGE2 = 1u << 0,  /* the guest runs behind stage-2 translation (lab 2) */
    VM_F_DEVICES = 1u << 1, /* emulated devices on the MMIO bus (lab 3) */
    VM_F_IRQS = 1u << 2,    /* the guest's interrupt controller and timer (lab 4) */
    VM_F_PCI = 1u << 3,     /* a PCI host bridge and the devices behind it (lab 5) */
    VM_F_HDA = 1u << 4,     /* the HD Audio controller on that bus (lab 6) */
};

/* Where host console input goes: the guest's UART once it has one. */
struct console_sink {
    void (*poll)(void *dev);           /* take the host input waiting, as far as there is room */
    bool (*can_take)(const void *dev); /* would it take one more character now? */
    void *dev;
};

struct vm {
    uint32_t ram_ipa;  /* guest-physical base of RAM */
    uint32_t ram_size; /* bytes */
    uint8_t *ram_host; /* where the VMM sees guest RAM */
    uint32_t entry;    /* guest entry point (IPA) */
    uint32_t dtb_ipa;  /* where the device tree was placed */
    char bootargs[BOOTARGS_MAX];
    const uint8_t *image; /* the guest ELF or zImage as read from the host, kept for a reset */
    size_t image_len;
    const uint8_t *initrd; /* initrd=: the initramfs as read from the host, or NULL */
    size_t initrd_len;
    uint32_t initrd_ipa;     /* where it was placed (the device tree's /chosen says so) */
    const uint8_t *user_dtb; /* dtb=: the user's device tree as read from the host, or NULL */
    size_t user_dtb_len;
    bool reset_requested;   /* set by a handler (PSCI SYSTEM_RESET); done by the run loop */
    bool decode_cache;      /* dcache=on: keep decoded MMIO instructions (lab 3) */
    bool idregs_native;     /* idregs=native: ID-register reads do not exit (the port decides how) */
    uint8_t net_mode;       /* net=: enum net_mode (netdev.h), which host NIC the guest's cards use */
    uint8_t mac[6];         /* mac=: the guest network card's address */
    uint32_t features;      /* VM_F_* */
    struct mmio_bus mmio;   /* the devices' guest-physical regions (lab 3) */
    struct bus pio;         /* port I/O (x86) */
    struct device *devices; /* the board's devices this VM has (device.h) */
    struct pci_host *pci;   /* the "pci-host" device's state, which PCI devices attach to (lab 5), or NULL */
    unsigned ndevices;
    /* The console's "snapshot <file>": taken after this exit, then "". The VM's
     * own copy (snapshot_path points into vmm_main's options, which live as
     * long as minivmm, but the console's line is reused by the next command). */
    char console_snapshot[VM_PATH_MAX];
    struct console_sink console;
    struct console_escape escape; /* the console escape's state (Ctrl-], console_escape.h) */
    uint64_t snapshot_test_at;    /* snapshot-test=<exit>: save, clobber, restore at that exit (0: never) */
    uint64_t snapshot_at;         /* snapshot-at=<exit>: write the snapshot file at that exit (0: never) */
    const char *snapshot_path;    /* snapshot=<path>: the host file snapshots go to, or NULL */
    bool snapshot_requested;      /* the guest asked for one (MV_HC_TEST_SNAPSHOT): taken after this exit */
    bool quit_requested;          /* the console's "quit": the run loop ends minivmm after this exit */
    bool watch;                   /* the run loop traces exits, or has a snapshot or quit to do (run.c) */
    struct dev_timer *timers;     /* the devices' armed timers, earliest first (dev_timer.h) */
    struct dev_timer *test_alarm; /* MV_HC_TEST_ALARM's, made at its first use, or NULL */
    uint32_t test_alarms;         /* how many of them fired */
    bool timers_dirty;            /* the earliest deadline changed: the port's host timer must follow */
    struct vcpu vcpu;             /* one vCPU until SMP guests exist */
    struct arch_vm arch;          /* stage-2 tables and the like (arch/<arch>/) */
};

/* Load the image into guest RAM, write the device tree and reset the vCPU.
 * Returns 0, or -1 with the reason in err. */
int vm_boot(struct vm *vm, char *err, size_t errlen);
/* Place vm->initrd (if any) in the upper half of guest RAM, below the device
 * tree. 0, or -1 with the reason in err if it does not fit. */
int vm_load_initrd(struct vm *vm, char *err, size_t errlen);
/* Ask for a warm reset: the run loop reboots the guest after the current exit. */
void vm_request_reset(struct vm *vm);
/* The guest switched the machine off (ARCH_POWER_OFF_CALL, on ARM PSCI SYSTEM_OFF):
 * print "minivmm: guest called <that call>" and the exit statistics, then end
 * minivmm with status 0. Never returns. */
void vm_power_off(struct vm *vm) NORETURN;
/* The reset itself: devices, the architecture's VM state, then the image
 * loaded again and the vCPU as at the first boot (the run loop calls it). */
void vm_reset(struct vm *vm);

/* Did the console escape ask the run loop for something (a snapshot, to
 * quit)? A sleeping vCPU (WFI) wakes for it, so that it happens now. */
static inline bool vm_console_request(const struct vm *vm)
{
    return vm->quit_requested || vm->console_snapshot[0];
}

static inline bool vm_has(const struct vm *vm, uint32_t feature)
{
    return (vm->features & feature) == feature;
}

/* The VMM's pointer to [ipa, ipa + len) of guest RAM, or NULL if any of it
 * lies outside guest RAM. Every guest-supplied address goes through here. */
void *vm_ipa_ptr(struct vm *vm, uint32_t ipa, uint32_t len);

#endif
