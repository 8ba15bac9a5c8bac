/* A tiny x86 guest for minivmm's SVM port: says hello through hypercalls, asks for its exit
 * counts, and powers off with the code its command line gives.
 *
 * Command line (the device tree's /chosen/bootargs, minivmm's words after the guest image):
 *   exit=<n>      power off with code n (default 0)
 *   halt          end with HLT, interrupts off, instead of MV_HC_POWEROFF
 *   ud2           execute UD2 (an exception minivmm reports and stops on)
 *   touch=<hex>   read the word at that guest-physical address (outside guest RAM: a nested page fault)
 *   port=<hex>    read that I/O port and print the value */
#include <minivmm/console.h>
#include <minivmm/fdt_read.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/string.h>
#include <arch/exit_class.h>

static inline uint32_t hc(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t r;
    __asm__ volatile("vmmcall" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static void say(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void say(const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    int n = mv_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(line))
        n = sizeof(line) - 1;
    hc(MV_HC_WRITE, (uint32_t)(uintptr_t)line, (uint32_t)n, 0);
}

/* printk for the shared files (fdt_read.c reports through mv_snprintf only, but links it). */
void printk(const char *fmt, ...) { (void)fmt; }

static char bootargs[256];

static int find_bootargs(void *ctx, const char *name, const uint8_t *data, uint32_t len, int depth)
{
    (void)ctx;
    if (depth == 1 && !strcmp(name, "bootargs") && len && len <= sizeof(bootargs))
        memcpy(bootargs, data, len);
    return 0;
}

static uint32_t number(const char *s, int base)
{
    uint32_t v = 0;
    for (; *s && *s != ' '; s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
        if (d < 0 || d >= base)
            break;
        v = v * (uint32_t)base + (uint32_t)d;
    }
    return v;
}

/* The value of word key= in the command line, or NULL. */
static const char *arg(const char *key)
{
    size_t n = strlen(key);
    for (const char *p = bootargs; *p;) {
        if (!strncmp(p, key, n) && (p[n] == '=' || p[n] == ' ' || !p[n]))
            return p[n] == '=' ? p + n + 1 : p + n;
        while (*p && *p != ' ')
            p++;
        while (*p == ' ')
            p++;
    }
    return NULL;
}

static inline uint32_t cpuid_ecx(uint32_t leaf)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(0));
    return c;
}

void guest_main(uint32_t dtb);
void guest_main(uint32_t dtb)
{
    char err[96];
    struct fdt_visitor v = {.prop = find_bootargs};
    const uint8_t *blob = (const uint8_t *)(uintptr_t)dtb;
    if (fdt_walk(blob, fdt_cell(blob, 1), &v, err, sizeof(err)))
        say("x86guest: no device tree at %#x: %s\n", dtb, err);
    const char *hello = "x86guest: hello from a 32-bit guest under minivmm (AMD SVM, nested paging)\n";
    hc(MV_HC_WRITE, (uint32_t)(uintptr_t)hello, (uint32_t)strlen(hello), 0);
    for (const char *p = "x86guest: MV_HC_PUTC works\n"; *p; p++)
        hc(MV_HC_PUTC, (uint8_t)*p, 0, 0);
    say("x86guest: bootargs \"%s\"\n", bootargs);
    say("x86guest: MV_HC_NOP returned %d\n", (int)hc(MV_HC_NOP, 0, 0, 0));
    say("x86guest: CPUID says SVM %s, hypervisor %s\n", cpuid_ecx(0x80000001u) & 4 ? "present" : "hidden",
        cpuid_ecx(1) >> 31 ? "present" : "absent");
    uint32_t calls = hc(MV_HC_EXIT_COUNT, X86_EXIT_VMMCALL, 0, 0);
    uint32_t cpuids = hc(MV_HC_EXIT_COUNT, X86_EXIT_CPUID, 0, 0);
    say("x86guest: exits so far: %u VMMCALL, %u CPUID; class %u is %d\n", calls, cpuids, ARCH_EXIT_CLASSES,
        (int)hc(MV_HC_EXIT_COUNT, ARCH_EXIT_CLASSES, 0, 0));
    const char *a;
    if ((a = arg("port"))) {
        uint32_t port = number(a, 16), val;
        __asm__ volatile("inl %w1, %0" : "=a"(val) : "Nd"((uint16_t)port));
        say("x86guest: port %#x reads %#x\n", port, val);
    }
    if ((a = arg("touch"))) {
        uint32_t addr = number(a, 16);
        say("x86guest: reading guest-physical %#x\n", addr);
        say("x86guest: it holds %#x\n", *(volatile uint32_t *)(uintptr_t)addr);
    }
    if (arg("ud2")) {
        say("x86guest: executing UD2\n");
        __asm__ volatile("ud2");
    }
    if (arg("halt")) {
        say("x86guest: halting with interrupts off\n");
        return;
    }
    a = arg("exit");
    uint32_t code = a ? number(a, 10) : 0;
    say("x86guest: powering off with code %u\n", code);
    hc(MV_HC_POWEROFF, code, 0, 0);
    say("x86guest: still running after MV_HC_POWEROFF\n");
}
