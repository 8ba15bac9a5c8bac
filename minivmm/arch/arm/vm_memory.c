/* The guest's physical memory on ARM: RAM and a read-only ROM, mapped through stage 2 once lab 2 turns it on. */
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>
#include <arch/gic.h>
#include <arch/mmio_emul.h>
#include <arch/stage2.h>

uint8_t *arch_guest_ram(const struct vm *vm)
{
    if (!vm_has(vm, VM_F_STAGE2))
        return (uint8_t *)(uintptr_t)vm->ram_ipa; /* no translation: IPA == PA */
    return (uint8_t *)(uintptr_t)GUEST_RAM_BACKING_PA;
}

/* The ROM's content: a signature the guest can check, then a byte pattern. */
static uint8_t *make_rom(void)
{
    uint8_t *raw = mv_malloc(GUEST_ROM_SIZE + S2_PAGE_SIZE);
    if (!raw)
        panic("no memory for the guest ROM");
    uint8_t *rom = (uint8_t *)ALIGN_UP((uintptr_t)raw, (uintptr_t)S2_PAGE_SIZE);
    for (uint32_t i = 0; i < GUEST_ROM_SIZE; i++)
        rom[i] = (uint8_t)(i * 7 + 1);
    memcpy(rom, GUEST_ROM_MAGIC, sizeof(GUEST_ROM_MAGIC));
    return rom;
}

/* Lab 4: the guest's GIC CPU interface is the board's virtual CPU interface
 * (GICV), mapped where the guest expects a GICC; minivmm takes the physical
 * interrupts (the distributor is a device on the bus). */
static void irqs_init(struct vm *vm)
{
    gic_init();
    console_rx_interrupts(true);
    if (s2_map(&vm->arch.s2, GUEST_GICC_IPA, GICV_BASE, GICV_SIZE, S2_R | S2_W | S2_DEVICE))
        panic("cannot map the guest's GIC CPU interface");
}

void arch_vm_init(struct vm *vm)
{
    if (!vm_has(vm, VM_F_STAGE2))
        return;
    struct arch_vm *a = &vm->arch;
    a->rom = make_rom();
    a->vmid = GUEST_VMID;
    int err = s2_init(&a->s2);
    if (!err)
        err = s2_map(&a->s2, vm->ram_ipa, (uintptr_t)vm->ram_host, vm->ram_size, S2_RWX);
    if (!err)
        err = s2_map(&a->s2, GUEST_ROM_IPA, (uintptr_t)a->rom, GUEST_ROM_SIZE, S2_R);
    if (err)
        panic("cannot build the guest's stage-2 tables (error %d)", err);
    if (vm_has(vm, VM_F_DEVICES)) /* lab 3's cache: before that lab, no device to decode for */
        decode_cache_init(&a->dcache, vm->decode_cache);
    if (vm_has(vm, VM_F_IRQS))
        irqs_init(vm);
}
