/* A canary in guest RAM for hostile-guest tests: words a device model must never write, checked after the abuse. */
#include "kernel.h"

#define RAM_CANARY 0x5a17c0deu

static volatile uint32_t canary[64];

void canary_set(void)
{
    for (unsigned i = 0; i < 64; i++)
        canary[i] = RAM_CANARY ^ i;
}

bool canary_intact(void)
{
    for (unsigned i = 0; i < 64; i++)
        if (canary[i] != (RAM_CANARY ^ i))
            return false;
    return true;
}
