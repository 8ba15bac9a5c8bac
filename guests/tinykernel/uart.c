/* tinykernel's PL011 driver: polled transmit and receive, used as the console when the VMM presents a UART. */
#include "kernel.h"

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

static volatile uint32_t *reg(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(uart_base + off);
}

/* 115200 baud from a 24 MHz clock (IBRD 13, FBRD 1), 8 bits, FIFOs on, no interrupts. */
void uart_init(uint32_t base)
{
    uart_base = base;
    *reg(CR) = 0;
    *reg(IBRD) = 13;
    *reg(FBRD) = 1;
    *reg(LCR_H) = (3u << 5) | (1u << 4); /* WLEN 8 bits, FEN */
    *reg(IMSC) = 0;
    *reg(CR) = (1u << 0) | (1u << 8) | (1u << 9); /* UARTEN, TXE, RXE */
}

void uart_putc(char c)
{
    while (*reg(FR) & FR_TXFF)
        ;
    *reg(DR) = (uint8_t)c;
}

int uart_getc(unsigned polls)
{
    while (*reg(FR) & FR_RXFE)
        if (!polls--)
            return -1;
    return (int)(*reg(DR) & 0xff);
}
