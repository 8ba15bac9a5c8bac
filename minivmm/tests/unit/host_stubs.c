/* Host-side stand-ins for the target's console and host channel, so Check tests can run VMM logic natively. */
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "host_stubs.h"
#include <minivmm/alloc.h>
#include <minivmm/hostfs.h>
#include <arch/traps.h>
#include <arch/mmio_emul.h>
#include <arch/vgic.h>
#include <minivmm/arch.h>

char console_buf[CONSOLE_BUF_SIZE];
size_t console_len;

void console_putc(char c)
{
    if (console_len + 1 < sizeof(console_buf)) {
        console_buf[console_len++] = c;
        console_buf[console_len] = '\0';
    }
    if (getenv("MV_UNIT_ECHO"))
        fputc(c, stderr);
}

void console_reset(void)
{
    console_len = 0;
    console_buf[0] = '\0';
}

/* On the host, "ending QEMU" ends the test process with that status: Check's
 * exit tests (tcase_add_exit_test) observe it. */
void host_exit(int status)
{
    fflush(NULL);
    _exit(status);
}

/* The host has no hypervisor registers to show. */
void arch_dump_host(const void *caller)
{
    (void)caller;
}

/* The guest's CP15 registers, as plain variables that tests can set and inspect. */
uint32_t host_guest_cp15[G_CP15_COUNT];

uint32_t guest_cp15_read(enum guest_cp15 r)
{
    return host_guest_cp15[r];
}

void guest_cp15_write(enum guest_cp15 r, uint32_t v)
{
    host_guest_cp15[r] = v;
}

/* Hypervisor registers, as variables (arch/sysreg.h's host half declares them). */
uint32_t host_sysreg_hcr, host_sysreg_vtcr, host_sysreg_csselr;
uint64_t host_sysreg_vttbr;
unsigned host_tlb_flushes;
unsigned host_dccisw_count;
uint32_t host_dccisw_last;

/* Lab 3: instruction fetches read host_code, placed at guest VA host_code_va. */
uint8_t host_code[HOST_CODE_SIZE];
uint32_t host_code_va;
unsigned host_fetches;

static int host_fetch(uint32_t va, void *out, uint32_t len)
{
    if (va < host_code_va || va - host_code_va > HOST_CODE_SIZE - len || va % len)
        return -1;
    memcpy(out, host_code + (va - host_code_va), len);
    host_fetches++;
    return 0;
}

int guest_fetch16(struct vcpu *v, uint32_t va, uint16_t *hw)
{
    (void)v;
    return host_fetch(va, hw, 2);
}

int guest_fetch32(struct vcpu *v, uint32_t va, uint32_t *word)
{
    (void)v;
    return host_fetch(va, word, 4);
}

const char *host_console_input;

int console_getc(void)
{
    if (!host_console_input || !*host_console_input)
        return -1;
    return (unsigned char)*host_console_input++;
}

/* minivmm's heap, as the VMM has it from boot: buses and devices allocate
 * from it. (test_alloc.c sets up arenas of its own.) */
static uint8_t host_heap[4u << 20] __attribute__((aligned(16)));

__attribute__((constructor)) static void host_heap_init(void)
{
    heap_init(host_heap, sizeof(host_heap));
}

/* A vCPU reset without the CPU's registers: at entry, the device tree in r2. */
void arch_vcpu_init(struct vcpu *v, uint32_t entry, uint32_t dtb)
{
    memset(&v->arch.regs, 0, sizeof(v->arch.regs));
    v->arch.regs.pc = entry;
    v->arch.regs.r[2] = dtb;
    v->arch.regs.cpsr = PSR_MODE_SVC | PSR_A | PSR_I | PSR_F;
}

/* Lab 4: the board's list registers and GICH_HCR, and its distributor's enables, as variables. */
uint32_t host_gich_lr[VGIC_NR_LRS], host_gich_hcr;
bool host_gic_enabled[VGIC_NR_IRQS];

uint32_t gich_read_lr(unsigned i)
{
    return host_gich_lr[i];
}

void gich_write_lr(unsigned i, uint32_t v)
{
    host_gich_lr[i] = v;
}

void gich_write_hcr(uint32_t v)
{
    host_gich_hcr = v;
}

uint32_t host_gich_vmcr, host_gich_apr;

void gich_read_cpuif(uint32_t *vmcr, uint32_t *apr)
{
    *vmcr = host_gich_vmcr;
    *apr = host_gich_apr;
}

void gich_write_cpuif(uint32_t vmcr, uint32_t apr)
{
    host_gich_vmcr = vmcr;
    host_gich_apr = apr;
}

void gich_reset(void)
{
    host_gich_vmcr = host_gich_apr = 0;
    for (unsigned i = 0; i < VGIC_NR_LRS; i++)
        host_gich_lr[i] = 0;
}

struct guest_vfp host_guest_vfp;

void guest_vfp_read(struct guest_vfp *f)
{
    *f = host_guest_vfp;
}

void guest_vfp_write(const struct guest_vfp *f)
{
    host_guest_vfp = *f;
    host_guest_vfp.fpexc &= FPEXC_EN;
}

struct guest_vtimer host_guest_vtimer;

void guest_vtimer_read(struct guest_vtimer *t)
{
    *t = host_guest_vtimer;
}

void guest_vtimer_write(const struct guest_vtimer *t)
{
    host_guest_vtimer = *t;
}

void gic_set_enabled(unsigned intid, bool on)
{
    if (intid < VGIC_NR_IRQS)
        host_gic_enabled[intid] = on;
}

/* The host has no board GIC: nothing arrives, and a sleeping guest would sleep forever. */
void arch_handle_irqs(struct vm *vm)
{
    (void)vm;
}

void arch_wait_for_interrupt(struct vm *vm)
{
    (void)vm;
}

bool console_rx_waiting(void)
{
    return host_console_input && *host_console_input;
}

void console_rx_interrupts(bool on)
{
    (void)on;
}

/* Device timers (dev_timer.h): time is what the test says it is. */
uint64_t host_guest_counter, host_timer_deadline = UINT64_MAX;

uint64_t arch_guest_counter(void)
{
    return host_guest_counter;
}

uint64_t arch_counter_freq(void)
{
    return 62500000u;
}

void arch_timer_deadline(uint64_t deadline)
{
    host_timer_deadline = deadline;
}

/* hostfs's piecewise writes (audio=), on the host's own files. */
int hostfs_create(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
}

int hostfs_write(int fd, const void *data, size_t len)
{
    return write(fd, data, len) == (ssize_t)len ? 0 : -1;
}

int hostfs_seek(int fd, uint32_t pos)
{
    return lseek(fd, pos, SEEK_SET) == (off_t)pos ? 0 : -1;
}

void hostfs_close(int fd)
{
    close(fd);
}
