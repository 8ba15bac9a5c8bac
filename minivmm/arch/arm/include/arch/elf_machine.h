/* The ELF machine of the guests the ARM port runs (core/elf.c refuses any other). */
#ifndef ARCH_ELF_MACHINE_H
#define ARCH_ELF_MACHINE_H

#define ARCH_ELF_MACHINE 40u /* EM_ARM */
#define ARCH_ELF_NAME    "ARM"

#endif
