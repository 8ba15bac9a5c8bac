/* The ELF machine of the guests the x86 port runs (core/elf.c refuses any other): 32-bit x86. */
#ifndef ARCH_ELF_MACHINE_H
#define ARCH_ELF_MACHINE_H

#define ARCH_ELF_MACHINE 3u /* EM_386 */
#define ARCH_ELF_NAME    "x86 (i386)"

#endif
