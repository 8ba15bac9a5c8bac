/* Device timers: a device model asks to be called back when the guest's virtual counter reaches a deadline (an audio stream's next period). */
#ifndef MINIVMM_DEV_TIMER_H
#define MINIVMM_DEV_TIMER_H

#include "types.h"

struct vm;

/* One deadline, owned by a device's state (embed it). Time is the guest's
 * virtual counter (what the guest's CNTVCT reads, ticking at arch_counter_freq()
 * Hz), so a device paced by it runs at the guest's speed: under -icount it is
 * deterministic, and a snapshot's gap (CNTVOFF moved) does not count. */
struct dev_timer {
    void (*fire)(struct dev_timer *t, uint64_t now); /* called from the run loop, between exits */
    void *ctx;                                       /* the owner's, for fire */
    uint64_t deadline;                               /* guest counter value; meaningful while armed */
    bool armed;
    struct dev_timer *next; /* the VM's armed timers, earliest first */
};

/* The guest's virtual counter now, and its frequency in Hz. */
uint64_t dev_timer_now(const struct vm *vm);
uint64_t dev_timer_freq(void);

/* Call t->fire once the guest counter reaches deadline (at the end of the exit
 * in which it is reached, or by a host timer interrupt that makes one: a guest
 * that loops or sleeps does not delay it by more than an exit's length). Arming
 * an armed timer moves it. A deadline already past fires after this exit. */
void dev_timer_arm(struct vm *vm, struct dev_timer *t, uint64_t deadline);
void dev_timer_cancel(struct vm *vm, struct dev_timer *t);

/* The run loop's side: fire every timer that is due (each is disarmed before its
 * fire is called, so fire may arm it again), and the earliest deadline still
 * armed (UINT64_MAX: none), which the port programs into its host timer. */
void dev_timers_run(struct vm *vm);
uint64_t dev_timers_next(const struct vm *vm);
/* Disarm every timer (a reset of the devices, which then arm their own again). */
void dev_timers_clear(struct vm *vm);

#endif
