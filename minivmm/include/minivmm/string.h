/* The few string and memory functions minivmm needs (freestanding; the host build uses libc's). */
#ifndef MINIVMM_STRING_H
#define MINIVMM_STRING_H

#include <string.h>

#endif
