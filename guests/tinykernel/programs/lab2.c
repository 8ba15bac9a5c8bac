/* Lab 2 test programs: IPA != PA, all of RAM, a read-only execute-never ROM, and probes of memory the guest must not reach. */
#include <string.h>
#include "../hvc.h"
#include "../kernel.h"

#define EC_DABT 0x24
#define RAM_BASE 0x40000000u
#define RAM_TOP (RAM_BASE + (64u << 20) - 0x4000u) /* default RAM, below the device tree */
#define ROM_MAGIC "minivmm guest ROM"

void tk_exec_at(uint32_t addr);
extern char tk_exec_return[], __kernel_end[];

static uint32_t translate(uint32_t ipa) { return hvc1(MV_HC_TEST_TRANSLATE, ipa); }
static uint32_t read_pa(uint32_t pa) { return hvc1(MV_HC_TEST_READ_PA, pa); }

PROGRAM(lab2_ipa_pa, "lab2-ipa-pa",
        "lab 2: guest RAM is somewhere else in host memory, and the guest cannot tell")
{
    const char *t = "lab2-ipa-pa";
    volatile uint32_t *p = (volatile uint32_t *)0x40100000u;
    uint32_t v = nonce_value() | 1;
    *p = v;
    uint32_t pa = translate(0x40100000u);
    CHECK(t, pa != (uint32_t)MV_HC_EFAULT, "IPA 0x40100000 is not mapped");
    CHECK(t, pa != 0x40100000u, "IPA 0x40100000 is backed by the same physical address");
    CHECK(t, read_pa(pa) == v, "the word at PA %#x is not what the guest wrote", (unsigned)pa);
    CHECK(t, read_pa(0x40100000u) != v, "the guest's write also landed at PA 0x40100000");
    CHECK(t, *p == v, "the guest does not read back its own write");
    test_pass(t);
    return 0;
}

/* A value for each page: catches two IPA pages backed by one physical page. */
static uint32_t page_value(uint32_t a) { return a ^ 0x5a5a0000u ^ nonce_value(); }

PROGRAM(lab2_ram, "lab2-ram", "lab 2: every page of guest RAM is distinct and backed away from its IPA")
{
    const char *t = "lab2-ram";
    uint32_t lo = ((uint32_t)(uintptr_t)__kernel_end + 0xfffu) & ~0xfffu;
    for (uint32_t a = lo; a < RAM_TOP; a += 0x1000) {
        *(volatile uint32_t *)a = page_value(a);
        *(volatile uint32_t *)(a + 0xffc) = ~page_value(a);
    }
    for (uint32_t a = lo; a < RAM_TOP; a += 0x1000) {
        CHECK(t, *(volatile uint32_t *)a == page_value(a), "page %#x lost its first word", (unsigned)a);
        CHECK(t, *(volatile uint32_t *)(a + 0xffc) == ~page_value(a), "page %#x lost its last word",
              (unsigned)a);
    }
    for (uint32_t a = lo; a < RAM_TOP; a += 0x40000) { /* the VMM's view, every 256 KiB */
        uint32_t pa = translate(a);
        CHECK(t, pa != a && pa != (uint32_t)MV_HC_EFAULT, "IPA %#x -> PA %#x", (unsigned)a, (unsigned)pa);
        CHECK(t, read_pa(pa) == page_value(a), "PA %#x does not hold IPA %#x's data", (unsigned)pa,
              (unsigned)a);
    }
    test_pass(t);
    return 0;
}

/* volatile: the handler changes it behind the compiler's back, between two plain loads */
static volatile struct {
    int kind;
    uint32_t dfsr, dfar, ifsr, ifar;
} seen;

static uint32_t abort_hook(int kind, struct trap_frame *f)
{
    seen.kind = kind;
    __asm__ volatile("mrc p15, 0, %0, c5, c0, 0" : "=r"(seen.dfsr));
    __asm__ volatile("mrc p15, 0, %0, c6, c0, 0" : "=r"(seen.dfar));
    __asm__ volatile("mrc p15, 0, %0, c5, c0, 1" : "=r"(seen.ifsr));
    __asm__ volatile("mrc p15, 0, %0, c6, c0, 2" : "=r"(seen.ifar));
    if (kind == 4)
        return f->lr - 4; /* data abort: skip the access */
    if (kind == 3)
        return (uint32_t)(uintptr_t)tk_exec_return; /* prefetch abort: back to the caller */
    return 0;
}

PROGRAM(lab2_rom, "lab2-rom", "lab 2: the ROM reads, refuses writes (permission fault) and execution")
{
    const char *t = "lab2-rom";
    uintptr_t base = 0;
    __asm__("" : "+r"(base)); /* the ROM is at address 0: hide that from the compiler's null checks */
    volatile uint8_t *rom = (volatile uint8_t *)base;
    char magic[sizeof(ROM_MAGIC)];
    for (unsigned i = 0; i < sizeof(magic); i++)
        magic[i] = (char)rom[i];
    CHECK(t, !memcmp(magic, ROM_MAGIC, sizeof(magic)), "the ROM does not start with \"%s\"", ROM_MAGIC);
    trap_hook = abort_hook;
    uint32_t before = rom[0x100];
    seen.kind = 0;
    rom[0x100] = 0xee;
    CHECK(t, seen.kind == 4, "a write to the ROM did not raise a data abort");
    CHECK(t, seen.dfar == 0x100, "DFAR %#x, expected 0x100", (unsigned)seen.dfar);
    CHECK(t, (seen.dfsr & 0x40f) == 0x00f, "DFSR %#x is not a permission fault", (unsigned)seen.dfsr);
    CHECK(t, seen.dfsr & (1u << 11), "DFSR %#x: WnR not set for a write", (unsigned)seen.dfsr);
    CHECK(t, rom[0x100] == before, "the write changed the ROM");
    seen.kind = 0;
    tk_exec_at(0x200);
    CHECK(t, seen.kind == 3, "executing from the ROM did not raise a prefetch abort (kind %d)", seen.kind);
    CHECK(t, seen.ifar == 0x200, "IFAR %#x, expected 0x200", (unsigned)seen.ifar);
    CHECK(t, (seen.ifsr & 0x40f) == 0x00f, "IFSR %#x is not a permission fault", (unsigned)seen.ifsr);
    trap_hook = 0;
    test_pass(t);
    return 0;
}

PROGRAM(lab2_probe, "lab2-probe",
        "lab 2: the VMM's memory, the board's devices and empty space fault as external aborts")
{
    const char *t = "lab2-probe";
    static const uint32_t probes[] = {0x50000000u, 0x50001000u, 0x0a000000u, 0x7ffffff0u, 0x3ffffffcu};
    uint32_t before = hvc1(MV_HC_EXIT_COUNT, EC_DABT);
    trap_hook = abort_hook;
    for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        seen.kind = 0;
        uint32_t v = *(volatile uint32_t *)probes[i];
        (void)v;
        CHECK(t, seen.kind == 4, "reading %#x did not fault", (unsigned)probes[i]);
        CHECK(t, seen.dfar == probes[i], "DFAR %#x, expected %#x", (unsigned)seen.dfar, (unsigned)probes[i]);
        CHECK(t, (seen.dfsr & 0x40f) == 0x008 && !(seen.dfsr & (1u << 11)),
              "DFSR %#x for %#x is not an external abort on a read", (unsigned)seen.dfsr,
              (unsigned)probes[i]);
    }
    trap_hook = 0;
    uint32_t exits = hvc1(MV_HC_EXIT_COUNT, EC_DABT) - before;
    CHECK(t, exits == 5, "expected 5 stage-2 data aborts, the VMM counted %u", (unsigned)exits);
    test_pass(t);
    return 0;
}
