/* Physical interrupts of minivmm's own host drivers (the host NIC): claimed here, taken by the port's interrupt handler. */
#ifndef MINIVMM_HOST_IRQ_H
#define MINIVMM_HOST_IRQ_H

#include "types.h"

#define HOST_IRQ_MAX 4 /* host drivers with an interrupt of their own */

/* Called with interrupts masked, from the port's interrupt handler (on ARM:
 * a physical IRQ while the guest ran, or during a guest's WFI), before the
 * interrupt is completed: a level-sensitive source must be quiet on return. */
typedef void (*host_irq_fn)(void *ctx);

/* Route physical interrupt id (the port's numbering: a GIC INTID on ARM) to fn
 * and enable it. 0, or -1 if the port cannot give it (not a shared peripheral
 * interrupt, already claimed, or the table is full). Nothing arrives before
 * the port has turned its interrupt controller on (lab 4 on ARM). */
int host_irq_claim(unsigned id, host_irq_fn fn, void *ctx);

#endif
