/* tinykernel's internal interfaces: console, boot arguments, test results, power-off. */
#ifndef TK_KERNEL_H
#define TK_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void poweroff(int code) __attribute__((noreturn));

/* Value of key=... in the boot arguments, or NULL. */
const char *bootarg(const char *key, char *buf, size_t size);
/* /chosen/bootargs of the device tree at dtb, or NULL. */
const char *fdt_bootargs(const void *dtb);
/* Base address of the first device whose "compatible" is compatible, or 0. */
uint32_t fdt_device(const void *dtb, const char *compatible);
/* The device tree the VMM passed at boot. */
extern const void *boot_dtb;

/* The GIC driver (gic.c, lab 4): gic_init finds the GIC in the device tree
 * (false if there is none) and takes over the IRQ exception. */
typedef void (*irq_handler)(unsigned id);
extern uint32_t gicd_base, gicc_base;
bool gic_init(void);
void gic_enable(unsigned id, uint8_t priority, irq_handler h);
void gic_disable(unsigned id);
static inline void irq_on(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void irq_off(void) { __asm__ volatile("cpsid i" ::: "memory"); }

/* Pseudo-random numbers for hostile-guest tests (xorshift32, rand.c): seed, then draw. */
void rng_seed(uint32_t seed);
uint32_t rng(void);
/* A canary in guest RAM (canary.c): set it, abuse a device, see that nothing wrote it. */
void canary_set(void);
bool canary_intact(void);

/* The PL011 driver (uart.c): the console once the VMM has a UART (lab 3). */
extern uint32_t uart_base; /* 0 while there is none */
void uart_init(uint32_t base);
void uart_putc(char c);
/* The next received character, or -1 after polls polls of FR found none. */
int uart_getc(unsigned polls);

/* Test results. A PASS line carries a proof keyed by the run's image (see results.c). */
void test_pass(const char *name);
void test_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint32_t nonce_value(void);
/* In a test program: report test t as failed (printf-style reason) and return 1 unless cond. */
#define CHECK(t, cond, ...)              \
    do {                                 \
        if (!(cond)) {                   \
            test_fail((t), __VA_ARGS__); \
            return 1;                    \
        }                                \
    } while (0)

/* A program tinykernel can run, chosen with the boot argument run=<name>. */
struct program {
    const char *name;
    const char *what;
    int (*main)(void); /* returns the exit code for the VM */
};

/* Define a program: PROGRAM(id, "name", "what it does") { body }. Programs
 * collect themselves in the .programs section, so a file added to programs/
 * (or kept out of the student handout, like hidden tests) needs no table edit. */
#define PROGRAM(id, name, what)                                                            \
    static int id##_main(void);                                                            \
    static const struct program id##_program                                               \
        __attribute__((section(".programs"), used, aligned(4))) = {name, what, id##_main}; \
    static int id##_main(void)

extern const struct program __programs_start[], __programs_end[];

/* Exception frame built by start.S. */
struct trap_frame {
    uint32_t r[13];
    uint32_t lr; /* return address as the CPU gave it */
    uint32_t spsr;
};
/* Optional hook for tests that expect an exception: returns the resume address, or 0 if not handled. */
extern uint32_t (*volatile trap_hook)(int kind, struct trap_frame *f);

#endif
