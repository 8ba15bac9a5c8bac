/* Exit statistics: a counter per exit class, printed when the VM stops. */
#include <minivmm/console.h>
#include <minivmm/stats.h>

void stats_record_exit(struct exit_stats *s, uint32_t ec)
{
    if (ec < EXIT_CLASSES)
        s->count[ec]++;
    s->total++;
}

void stats_record_irq(struct exit_stats *s)
{
    s->irqs++;
    s->total++;
}

uint64_t stats_exit_count(const struct exit_stats *s, uint32_t ec)
{
    return ec < EXIT_CLASSES ? s->count[ec] : 0;
}

void stats_print(const struct exit_stats *s)
{
    printk("minivmm: %llu exits:", (unsigned long long)s->total);
    const char *sep = " ";
    for (uint32_t ec = 0; ec < EXIT_CLASSES; ec++) {
        if (!s->count[ec])
            continue;
        printk("%s%s %llu", sep, exit_class_name(ec), (unsigned long long)s->count[ec]);
        sep = ", ";
    }
    if (s->irqs)
        printk("%sIRQ %llu", sep, (unsigned long long)s->irqs);
    printk("\n");
}
