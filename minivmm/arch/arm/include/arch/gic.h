/* The board's GIC, minivmm's side (gic.c): physical interrupts in, and the guest's virtual CPU interface. */
#ifndef ARCH_GIC_H
#define ARCH_GIC_H

#include <minivmm/types.h>

#define HOST_IRQ_UART  33          /* the board's PL011 (SPI 1): characters from the host */
#define HOST_IRQ_TIMER 26          /* PPI: the Hyp physical timer, the device timers' alarm (host_timer.c) */
#define GICV_BASE      0x08040000u /* the virtual CPU interface the guest sees as its GICC */
#define GICV_SIZE      0x2000u

void gic_init(void);
uint32_t gic_ack(void);     /* GICC_IAR: the interrupt taken (1023: none) */
void gic_eoi(uint32_t iar); /* priority drop and deactivation */
void gich_reset(void);      /* the guest's CPU interface as at reset: LRs, APR, VMCR */
void gich_read_cpuif(uint32_t *vmcr, uint32_t *apr); /* its VMCR and APR (snapshot) */
void gich_write_cpuif(uint32_t vmcr, uint32_t apr);
/* Run the host driver that claimed physical interrupt id (host_irq_claim); false if none did. */
bool gic_host_irq(unsigned id);

#endif
