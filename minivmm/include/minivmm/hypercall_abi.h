/* The minivmm hypercall ABI: function numbers and error codes shared by the VMM and its guests.
 *
 * A guest calls the VMM with `hvc #0`, the function number in r0 and up to
 * three arguments in r1-r3; the result comes back in r0. The numbers follow
 * the Arm SMC Calling Convention (SMCCC): bit 31 = fast call, bits 29:24 =
 * owner. minivmm's own calls use owner 6, "vendor-specific hypervisor
 * service" (0x86000000-0x8600FFFF); PSCI uses owner 4 (0x84000000...). */
#ifndef MINIVMM_HYPERCALL_ABI_H
#define MINIVMM_HYPERCALL_ABI_H

#define MV_HC_BASE       0x86000000u
#define MV_HC_NOP        (MV_HC_BASE + 0x00) /* does nothing, returns 0: the cheapest exit */
#define MV_HC_PUTC       (MV_HC_BASE + 0x01) /* r1 = character for the console */
#define MV_HC_WRITE      (MV_HC_BASE + 0x02) /* r1 = guest address, r2 = length; returns bytes written */
#define MV_HC_POWEROFF   (MV_HC_BASE + 0x03) /* r1 = exit code for the VM (and QEMU) */
#define MV_HC_EXIT_COUNT (MV_HC_BASE + 0x04) /* r1 = exit class; returns exits of that class so far (lab 0) */
/* r1 = MV_FAULT_*, r2 = address, r3 = status: the guest takes that exception
 * at the HVC's return address (lab 1) */
#define MV_HC_TEST_INJECT (MV_HC_BASE + 0x05)
/* r1 = IPA; returns the host-physical address behind it, or MV_HC_EFAULT if
 * nothing is mapped (lab 2) */
#define MV_HC_TEST_TRANSLATE (MV_HC_BASE + 0x06)
/* r1 = host-physical address, 4-aligned, in [0x40000000, 0x50000000): RAM
 * below the VMM; returns the word there, else EINVAL (lab 2) */
#define MV_HC_TEST_READ_PA (MV_HC_BASE + 0x07)
/* r1 = MV_MMIO_STAT_*; returns that lab 3 counter's low 32 bits, or EINVAL (lab 3) */
#define MV_HC_TEST_MMIO_STAT (MV_HC_BASE + 0x08)
/* Write the snapshot= file after this exit (snapshot-at= names when else);
 * returns 0 (before the file is written: a restored guest sees 0 too), or
 * EINVAL if minivmm was given no snapshot= */
#define MV_HC_TEST_SNAPSHOT (MV_HC_BASE + 0x09)
/* r1 = ticks of the guest's virtual counter, 1 to 2^31: a device timer that fires
 * that much later (dev_timer.h), ending a WFI with no interrupt; r1 = 0: returns how
 * many have fired. A test of the device timers' host alarm; not in a snapshot. */
#define MV_HC_TEST_ALARM (MV_HC_BASE + 0x0a)
#define MV_HC_COUNT      11                /* number of minivmm hypercalls defined so far */
#define MV_HC_TEST_FIRST MV_HC_TEST_INJECT /* from here on: test hypercalls (their own table) */

/* Kinds for MV_HC_TEST_INJECT. */
#define MV_FAULT_UNDEF 0
#define MV_FAULT_DABT  1
#define MV_FAULT_PABT  2

/* Counters for MV_HC_TEST_MMIO_STAT. */
#define MV_MMIO_STAT_ISV     0 /* device accesses decoded from the syndrome */
#define MV_MMIO_STAT_DECODED 1 /* ... fetched and decoded */
#define MV_MMIO_STAT_REFUSED 2 /* ... refused with an abort */
#define MV_MMIO_STAT_HITS    3 /* decode cache hits */
#define MV_MMIO_STAT_MISSES  4 /* decode cache misses */

/* Return values in r0 (as signed 32-bit numbers), SMCCC-compatible. */
#define MV_HC_OK            0
#define MV_HC_NOT_SUPPORTED (-1) /* unknown function number (SMCCC_RET_NOT_SUPPORTED) */
#define MV_HC_EINVAL        (-2) /* an argument is out of range */
#define MV_HC_EFAULT        (-3) /* a guest address is outside guest RAM */

#endif
