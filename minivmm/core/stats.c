/* Exit statistics (a counter per exit class, printed when the VM stops) and the exit-trace switch. */
#include <minivmm/console.h>
#include <minivmm/arch_exit.h>
#include <minivmm/stats.h>

bool trace_exits;

uint64_t stats_exit_count(const struct exit_stats *s, uint32_t ec)
{
    return ec < ARCH_EXIT_CLASSES ? s->count[ec] : 0;
}

void stats_print(const struct exit_stats *s)
{
    printk("minivmm: %llu exits:", (unsigned long long)s->total);
    const char *sep = " ";
    for (uint32_t ec = 0; ec < ARCH_EXIT_CLASSES; ec++) {
        if (!s->count[ec])
            continue;
        printk("%s%s %llu", sep, arch_exit_name(ec), (unsigned long long)s->count[ec]);
        sep = ", ";
    }
    if (s->irqs)
        printk("%sIRQ %llu", sep, (unsigned long long)s->irqs);
    printk("\n");
}
