/* The device registry: find a device type by name, create a board's devices on the VM's bus, reset them together. */
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/dev_timer.h>
#include <minivmm/device.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>
#include <devices/pci.h>

extern const struct device_type __start_device_types[], __stop_device_types[];

const struct device_type *device_types_begin(void)
{
    return __start_device_types;
}

const struct device_type *device_types_end(void)
{
    return __stop_device_types;
}

const struct device_type *device_type_find(const char *name)
{
    for (const struct device_type *t = __start_device_types; t < __stop_device_types; t++)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

/* Where a created device goes: its MMIO region, or its slot on the PCI bus
 * (its interrupt line then runs through the function's INTx logic). */
static int place(struct vm *vm, struct device *d, char *err, size_t errlen)
{
    const struct board_slot *slot = d->slot;
    const struct device_type *t = d->type;
    if (slot->pci) {
        if (!vm->pci || !t->pci || !t->ops ||
            pci_host_attach(vm->pci, slot->base, t->pci, t->ops, d->state, &d->irq)) {
            mv_snprintf(err, errlen,
                        "PCI device '%s' at slot %u: no host bridge before it, no PCI identity, "
                        "or the slot is taken",
                        t->name, slot->base);
            return -1;
        }
        return 0;
    }
    if (t->rw ? mmio_register(&vm->mmio, slot->base, slot->size, t->rw, d->state)
              : bus_add(&vm->mmio.bus, slot->base, slot->size, t->ops, d->state)) {
        mv_snprintf(err, errlen, "device '%s' at %#x-%#x: the range is empty, wraps or overlaps another",
                    t->name, slot->base, slot->base + slot->size - 1);
        return -1;
    }
    return 0;
}

/* One slot's device: its state, its wiring, its place on a bus. */
static int create_one(struct vm *vm, const struct board_slot *slot, char *err, size_t errlen)
{
    const struct device_type *t = device_type_find(slot->type);
    if (!t) {
        mv_snprintf(err, errlen, "the board names a device type '%s' that no file registers", slot->type);
        return -1;
    }
    if (!t->ops == !t->rw) {
        mv_snprintf(err, errlen, "device type '%s' must give the bus one of ops and rw", t->name);
        return -1;
    }
    struct device *d = &vm->devices[vm->ndevices];
    *d = (struct device){.type = t, .slot = slot, .vm = vm};
    if (slot->irq >= 0)
        d->irq = arch_irq_line(vm, (unsigned)slot->irq);
    d->state = t->create(d);
    if (!d->state) {
        mv_snprintf(err, errlen, "cannot create device '%s' (out of memory?)", t->name);
        return -1;
    }
    if (place(vm, d, err, errlen))
        return -1;
    vm->ndevices++;
    t->reset(d);
    return 0;
}

int vm_create_devices(struct vm *vm, const struct board *board, char *err, size_t errlen)
{
    vm->devices = mv_calloc(board->count ? board->count : 1, sizeof(*vm->devices));
    if (!vm->devices) {
        mv_snprintf(err, errlen, "no memory for %u devices", board->count);
        return -1;
    }
    for (unsigned i = 0; i < board->count; i++) {
        const struct board_slot *s = &board->slots[i];
        if ((vm->features & s->needs) != s->needs)
            continue;
        if (create_one(vm, s, err, errlen))
            return -1;
    }
    return 0;
}

void vm_reset_devices(struct vm *vm)
{
    dev_timers_clear(vm); /* the devices' resets start from no timer armed */
    for (unsigned i = 0; i < vm->ndevices; i++)
        vm->devices[i].type->reset(&vm->devices[i]);
}

struct device *vm_find_device(const struct vm *vm, const char *name)
{
    for (unsigned i = 0; i < vm->ndevices; i++)
        if (!strcmp(vm->devices[i].type->name, name))
            return &vm->devices[i];
    return NULL;
}

void vm_print_device_stats(const struct vm *vm)
{
    for (unsigned i = 0; i < vm->ndevices; i++)
        if (vm->devices[i].type->print_stats)
            vm->devices[i].type->print_stats(&vm->devices[i]);
}
