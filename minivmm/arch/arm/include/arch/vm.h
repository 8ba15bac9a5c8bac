/* The ARM part of a VM: its stage-2 address space and the guest-physical memory map minivmm presents. */
#ifndef ARCH_VM_H
#define ARCH_VM_H

#include <minivmm/types.h>
#include <arch/mem_insn.h>
#include <arch/vgic.h>

/* How lab 3 handled device accesses (printed with the exit statistics). */
struct mmio_emul_stats {
    uint64_t isv;     /* decoded from the syndrome */
    uint64_t decoded; /* fetched and decoded (ISV = 0) */
    uint64_t refused; /* not emulated: an external abort injected */
};

/* The guest's set/way cache maintenance (cache_sw.c; printed with the exit statistics). */
struct cache_sw_stats {
    uint64_t done;    /* carried out on the cache, as clean+invalidate */
    uint64_t ignored; /* the operand names no line of the cache: nothing done */
};

/* One stage-2 address space: its level-1 table (4 entries, kept in a 4 KiB page). */
struct s2_pgtable {
    uint64_t *l1;
};

struct arch_vm {
    struct s2_pgtable s2;
    uint8_t vmid;
    uint8_t *rom;               /* the VMM's copy of the guest ROM */
    struct decode_cache dcache; /* lab 3 */
    struct vgic *vgic;          /* lab 4: the "gicd" device's state (vgic_dev.c), or NULL */
    bool vgic_dirty;            /* something may have changed what the LRs should hold */
    bool host_uart_masked;      /* host input waits until the guest's UART can take it (virq.c) */
    bool host_timer_fired;      /* the device timers' host timer interrupted (virq.c) */
    struct mmio_emul_stats mmio_stats;
    struct cache_sw_stats cache_sw;
};

/* How a guest switches the machine off; vm_power_off (core/vm.c) names it. */
#define ARCH_POWER_OFF_CALL "PSCI SYSTEM_OFF"

/* Guest-physical memory map (IPA). */
#define GUEST_ROM_IPA   0x00000000u /* read-only, execute-never "ROM" (lab 2) */
#define GUEST_ROM_SIZE  0x00010000u
#define GUEST_ROM_MAGIC "minivmm guest ROM"
/* Host-physical backing of guest RAM once stage 2 is on: not where the guest
 * believes it is, and below the VMM at 0x50000000. */
#define GUEST_RAM_BACKING_PA 0x48000000u
#define GUEST_VMID           1
/* Devices (lab 3), where QEMU's virt board has them, so the same drivers find them. */
#define GUEST_PL011_IPA   0x09000000u
#define GUEST_TESTDEV_IPA 0x0b000000u /* minivmm's test device: nothing there on virt */
#define GUEST_GICD_IPA    0x08000000u /* the guest's GIC (lab 4): distributor, emulated */
#define GUEST_GICC_IPA    0x08010000u /*   and CPU interface: the board's GICV, mapped */
/* The PCI host bridge (lab 5), where QEMU's virt board has it with highmem=off,
 * so that Debian's kernel finds the bus as it would on QEMU itself. */
#define GUEST_PCI_ECAM_IPA  0x3f000000u /* buses 0-3, 1 MiB each (QEMU's has 16; behind no bridge here */
#define GUEST_PCI_ECAM_SIZE 0x00400000u /* more are needed, and the space up to RAM stays empty) */
#define GUEST_PCI_IO_IPA    0x3eff0000u /* PCI ports 0-0xffff */
#define GUEST_PCI_IO_SIZE   0x00010000u
#define GUEST_PCI_MEM_IPA   0x10000000u /* PCI memory = guest-physical, up to the I/O window */
#define GUEST_PCI_MEM_SIZE  0x2eff0000u
#define GUEST_PCI_INTX_IRQ  35u /* SPIs 3-6 (interrupt IDs 35-38) carry INTA-INTD */
#define GUEST_NE2000_DEV    1u  /* the NE2000's device number on bus 0 */
#define GUEST_HDA_DEV       2u  /* the HD Audio controller's (lab 6) */

/* virq.c (lab 4): physical interrupts and the list registers around guest entry. */
struct vm;
struct vcpu;
void arch_handle_irqs(struct vm *vm);
void arch_vgic_enter(struct vm *vm);
void arch_wait_for_interrupt(struct vm *vm);

#endif
