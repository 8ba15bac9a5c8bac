/* ARM's exit classes as the core counts them: HSR.EC, plus one class for a physical interrupt. */
#ifndef ARCH_EXIT_CLASS_H
#define ARCH_EXIT_CLASS_H

#include <arch/hsr.h> /* the classes: enum hsr_ec */

#define ARCH_EXIT_CLASSES 64                /* HSR.EC is six bits: the classes the core counts one by one */
#define EXIT_CLASSES      ARCH_EXIT_CLASSES /* lab 0's name for it */
#define ARCH_EXIT_IRQ     ARCH_EXIT_CLASSES /* a physical interrupt while the guest ran (counted apart) */

#endif
