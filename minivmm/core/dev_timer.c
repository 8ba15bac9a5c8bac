/* Device timers: deadlines on the guest's virtual counter, kept earliest first, fired by the run loop between exits. */
#include <minivmm/arch.h>
#include <minivmm/dev_timer.h>
#include <minivmm/vm.h>

uint64_t dev_timer_now(const struct vm *vm)
{
    (void)vm; /* one vCPU: the counter the CPU shows while this VM's CNTVOFF is loaded */
    return arch_guest_counter();
}

uint64_t dev_timer_freq(void)
{
    return arch_counter_freq();
}

static void unlink_timer(struct vm *vm, struct dev_timer *t)
{
    for (struct dev_timer **p = &vm->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->next = NULL;
    t->armed = false;
    vm->timers_dirty = true;
}

void dev_timer_cancel(struct vm *vm, struct dev_timer *t)
{
    if (t->armed)
        unlink_timer(vm, t);
}

/* Sorted insertion: a VM has a handful of timers, and the run loop looks only at the first. */
void dev_timer_arm(struct vm *vm, struct dev_timer *t, uint64_t deadline)
{
    dev_timer_cancel(vm, t);
    struct dev_timer **p = &vm->timers;
    while (*p && (*p)->deadline <= deadline)
        p = &(*p)->next;
    t->deadline = deadline;
    t->armed = true;
    t->next = *p;
    *p = t;
    vm->timers_dirty = true;
}

void dev_timers_clear(struct vm *vm)
{
    while (vm->timers)
        unlink_timer(vm, vm->timers);
}

uint64_t dev_timers_next(const struct vm *vm)
{
    return vm->timers ? vm->timers->deadline : UINT64_MAX;
}

/* The counter is read once, and at most as many timers fire as were due when
 * the run began: a timer that fire arms again at or before now waits for the
 * next exit, so a device cannot keep the loop here. Each is taken off the list
 * before its fire runs, so fire may arm it again or cancel another. */
void dev_timers_run(struct vm *vm)
{
    uint64_t now = dev_timer_now(vm);
    unsigned due = 0;
    for (const struct dev_timer *t = vm->timers; t && t->deadline <= now; t = t->next)
        due++;
    while (due-- && vm->timers && vm->timers->deadline <= now) {
        struct dev_timer *t = vm->timers;
        unlink_timer(vm, t);
        t->fire(t, now);
    }
}
