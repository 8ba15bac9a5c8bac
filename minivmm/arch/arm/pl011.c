/* The VMM's own console: the board's real PL011 UART at 0x09000000 (QEMU virt), polled transmit. */
#include <minivmm/console.h>

#define UART_BASE 0x09000000u
#define UART_DR   0x00
#define UART_FR   0x18
#define FR_TXFF   (1u << 5)

static volatile uint32_t *uart_reg(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(UART_BASE + off);
}

void console_putc(char c)
{
    while (*uart_reg(UART_FR) & FR_TXFF)
        ;
    *uart_reg(UART_DR) = (uint8_t)c;
}

#define FR_RXFE (1u << 4)

#define UART_IMSC  0x38
#define IMSC_RX_RT ((1u << 4) | (1u << 6))

bool console_rx_waiting(void)
{
    return !(*uart_reg(UART_FR) & FR_RXFE);
}

/* Interrupt on received characters (lab 4: host input wakes a sleeping guest). */
void console_rx_interrupts(bool on)
{
    *uart_reg(UART_IMSC) = on ? IMSC_RX_RT : 0;
}

/* A character typed on the host's terminal, or -1 if none is waiting. */
int console_getc(void)
{
    if (*uart_reg(UART_FR) & FR_RXFE)
        return -1;
    return (int)(*uart_reg(UART_DR) & 0xff);
}
