/* tinykernel's PL011 driver: polled transmit and receive, used as the console when the VMM presents a UART. */
#include "kernel.h"
#include "mmio.h"

#define DR 0x00
#define FR 0x18
#define IBRD 0x24
#define FBRD 0x28
#define LCR_H 0x2c
#define CR 0x30
#define IMSC 0x38
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)

uint32_t uart_base;

static uint32_t rd(uint32_t off) { return mmio_read32(uart_base + off); }
static void wr(uint32_t off, uint32_t v) { mmio_write32(uart_base + off, v); }

/* 115200 baud from a 24 MHz clock (IBRD 13, FBRD 1), 8 bits, FIFOs on, no interrupts. */
void uart_init(uint32_t base)
{
    uart_base = base;
    wr(CR, 0);
    wr(IBRD, 13);
    wr(FBRD, 1);
    wr(LCR_H, (3u << 5) | (1u << 4)); /* WLEN 8 bits, FEN */
    wr(IMSC, 0);
    wr(CR, (1u << 0) | (1u << 8) | (1u << 9)); /* UARTEN, TXE, RXE */
}

void uart_putc(char c)
{
    while (rd(FR) & FR_TXFF)
        ;
    wr(DR, (uint8_t)c);
}

int uart_getc(unsigned polls)
{
    while (rd(FR) & FR_RXFE)
        if (!polls--)
            return -1;
    return (int)(rd(DR) & 0xff);
}
