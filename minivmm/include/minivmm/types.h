/* Basic fixed-width types and helpers shared by every minivmm file (target and host builds). */
#ifndef MINIVMM_TYPES_H
#define MINIVMM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)     (sizeof(a) / sizeof((a)[0]))
#define NORETURN          __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Round x up to a multiple of a (a power of two). */
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((a)-1))

#endif
