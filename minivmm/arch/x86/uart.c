/* minivmm's console on x86: the PC's first 16550 UART (COM1, I/O port 0x3f8), polled. */
#include <minivmm/console.h>
#include <arch/x86.h>

#define COM1     0x3f8
#define UART_RBR 0 /* receive buffer (read) / transmit holding (write) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR   0x01 /* a received character waits */
#define LSR_THRE 0x20 /* the transmitter takes one more */

void uart_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x80); /* divisor latch: 115200 baud */
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + UART_LCR, 0x03); /* 8N1 */
    outb(COM1 + UART_FCR, 0x07); /* FIFOs on and cleared */
    outb(COM1 + UART_MCR, 0x03);
}

void console_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THRE))
        ;
    outb(COM1 + UART_RBR, (uint8_t)c);
}

bool console_rx_waiting(void)
{
    return inb(COM1 + UART_LSR) & LSR_DR;
}

int console_getc(void)
{
    return console_rx_waiting() ? inb(COM1 + UART_RBR) : -1;
}

/* No host interrupts on x86 yet: input is polled. */
void console_rx_interrupts(bool on)
{
    (void)on;
}
