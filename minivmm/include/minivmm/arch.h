/* What the core asks of an architecture port (implemented in minivmm/arch/<arch>/). */
#ifndef MINIVMM_ARCH_H
#define MINIVMM_ARCH_H

#include "vcpu.h"

/* Set up what the core needs from the port (the heap); boot code has already
 * checked the CPU mode and installed the exception vectors. */
void arch_init(void);
/* The physical range of the VMM image, heap and stacks: guests never get it. */
void arch_vmm_range(uint32_t *start, uint32_t *end);
struct vm;
/* The VMM's pointer to the memory that backs the VM's guest RAM (ram_ipa,
 * ram_size; where depends on vm->features). */
uint8_t *arch_guest_ram(const struct vm *vm);
struct board;
struct irq_line;
struct snap;
/* What the labs done so far give a VM (VM_F_*), read once from their
 * switches; says on the console what is left out and which lab adds it. */
uint32_t arch_vm_features(void);
/* Build the guest's physical memory map (stage-2 tables on ARM) for vm's RAM,
 * and what vm->features asks of the host (its interrupt controller). */
void arch_vm_init(struct vm *vm);
/* The machine the port presents: its devices, addresses, interrupts, nodes. */
extern const struct board arch_board;
/* The wire from a device's interrupt output to the guest's interrupt
 * controller (a line that goes nowhere before it exists). */
struct irq_line arch_irq_line(struct vm *vm, unsigned irq);
/* The port's part of a guest reset (after the devices, before the reload). */
void arch_vm_reset(struct vm *vm);
/* The port's part of the statistics at the end. */
void arch_print_stats(const struct vm *vm);
/* Snapshot sections of the port: the vCPU (registers, system registers,
 * timer: the hardware's copies are read and written here) and the VM. */
#define ARCH_VCPU_SNAP_VERSION 1u
void arch_vcpu_snapshot(struct vcpu *v, struct snap *s);
void arch_vm_snapshot(struct vm *vm, struct snap *s);
/* The architecture's part of the guest's device tree: its own nodes (written
 * at the root, before the devices), and extra properties inside a device's node. */
struct fdt_writer;
void arch_guest_dt_root(struct fdt_writer *w, const struct vm *vm); /* root properties */
void arch_guest_dt(struct fdt_writer *w, const struct vm *vm);
void arch_guest_dt_chosen(struct fdt_writer *w, const struct vm *vm); /* inside /chosen */
struct device;
void arch_guest_dt_device(struct fdt_writer *w, const struct vm *vm, const struct device *d);
/* Test hypercall: one of lab 3's counters (MV_MMIO_STAT_*); 0, or -1 if unknown. */
int arch_test_mmio_stat(struct vm *vm, uint32_t which, uint32_t *value);
/* Test hypercalls: the host-physical address behind ipa, and a word of host
 * memory outside the VMM. Return 0, or -1 when there is none. */
int arch_test_translate(struct vm *vm, uint32_t ipa, uint32_t *pa);
int arch_test_read_pa(uint32_t pa, uint32_t *value);
/* Print the hypervisor's own state (control registers, stack) for a panic;
 * caller is the code address that called panic(). */
void arch_dump_host(const void *caller);
/* Make the guest take a fault of kind MV_FAULT_* (for MV_HC_TEST_INJECT);
 * returns 0, or -1 for an unknown kind. */
int arch_inject_fault(struct vcpu *v, uint32_t kind, uint32_t addr, uint32_t status);
/* The guest's virtual counter as the guest would read it now, and the
 * counter's frequency in Hz (device timers, dev_timer.h). */
uint64_t arch_guest_counter(void);
uint64_t arch_counter_freq(void);
/* Make the host's timer interrupt minivmm (an exit, or the end of a WFI's
 * sleep) once the guest's virtual counter reaches deadline; UINT64_MAX: never. */
void arch_timer_deadline(uint64_t deadline);
/* Reset the vCPU to enter the guest at entry with the boot protocol's registers. */
void arch_vcpu_init(struct vcpu *v, uint32_t entry, uint32_t dtb);

#endif
