/* The x86 guest's entry (minivmm's x86 boot protocol): 32-bit protected mode, flat segments,
 * paging and interrupts off, EBX = the device tree's guest-physical address. */
    .section .text.start, "ax"
    .code32
    .globl _start
_start:
    mov $__stack_top, %esp
    push %ebx
    call guest_main
1:  cli /* guest_main returned: halt with interrupts off, which minivmm takes as the end */
    hlt
    jmp 1b
