/* tinykernel main: print the banner, read the boot arguments, run the selected program, power off. */
#include <string.h>
#include "kernel.h"

static const char *args;

const char *bootarg(const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key);
    for (const char *p = args; p && *p;) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - w) > klen && !strncmp(w, key, klen) && w[klen] == '=') {
            size_t n = (size_t)(p - w) - klen - 1;
            if (n >= size)
                n = size - 1;
            memcpy(buf, w + klen + 1, n);
            buf[n] = '\0';
            return buf;
        }
    }
    return NULL;
}

static const struct program *find_program(const char *name)
{
    for (const struct program *p = __programs_start; p < __programs_end; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

static void list_programs(void)
{
    kprintf("programs:");
    for (const struct program *p = __programs_start; p < __programs_end; p++)
        kprintf(" %s", p->name);
    kprintf("\n");
}

const void *boot_dtb;

void kmain(const void *dtb)
{
    char name[32];
    uint32_t cpsr;
    boot_dtb = dtb;
    uint32_t uart = fdt_device(dtb, "arm,pl011");
    if (uart)
        uart_init(uart); /* lab 3: a real console from here on */
    __asm__ volatile("mrs %0, cpsr" : "=r"(cpsr));
    kprintf("tinykernel: ARMv7 guest kernel, running in mode %#x (SVC) under minivmm\n",
            (unsigned)(cpsr & 0x1f));
    if (uart)
        kprintf("tinykernel: console on the PL011 at %#x\n", (unsigned)uart);
    args = fdt_bootargs(dtb);
    if (!args) {
        kprintf("tinykernel: no device tree at %p: the VMM must pass its address in r2\n", dtb);
        poweroff(2);
    }
    const char *run = bootarg("run", name, sizeof(name));
    if (!run)
        run = "demo";
    const struct program *p = find_program(run);
    if (!p) {
        kprintf("tinykernel: unknown program '%s'; ", run);
        list_programs();
        poweroff(2);
    }
    kprintf("tinykernel: running '%s' (%s)\n", p->name, p->what);
    poweroff(p->main());
}

uint32_t (*volatile trap_hook)(int kind, struct trap_frame *f);

static const char *const trap_names[] = {
    "reset", "undefined instruction", "SVC", "prefetch abort", "data abort", "unused", "IRQ", "FIQ"};

/* Called by start.S for every exception; returns where to resume. */
uint32_t trap_entry(int kind, struct trap_frame *f)
{
    if (trap_hook) {
        uint32_t resume = trap_hook(kind, f);
        if (resume)
            return resume;
    }
    kprintf("tinykernel: unexpected %s exception, lr %#x spsr %#x\n", trap_names[kind & 7], (unsigned)f->lr,
            (unsigned)f->spsr);
    poweroff(3);
}
