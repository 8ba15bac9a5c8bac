/* Per-exit-class statistics and the exit trace: what students look at to see their VMM work. */
#ifndef MINIVMM_STATS_H
#define MINIVMM_STATS_H

#include <arch/exit_class.h>
#include "types.h"

struct exit_stats {
    uint64_t count[ARCH_EXIT_CLASSES]; /* exits per class (HSR.EC on ARM; arch_exit_name names them) */
    uint64_t irqs;                     /* exits for physical interrupts */
    uint64_t total;                    /* every exit, traps and interrupts */
};

/* Inline: the run loop counts every exit. A class out of range counts in the total only. */
static inline void stats_record_exit(struct exit_stats *s, uint32_t cls)
{
    if (cls < ARCH_EXIT_CLASSES)
        s->count[cls]++;
    s->total++;
}

static inline void stats_record_irq(struct exit_stats *s)
{
    s->irqs++;
    s->total++;
}

/* Number of exits of class ec so far; 0 for a class out of range. */
uint64_t stats_exit_count(const struct exit_stats *s, uint32_t ec);
/* Print "minivmm: <total> exits: HVC 12, DABT_LOW 3, ..." on the console. */
void stats_print(const struct exit_stats *s);

#endif
