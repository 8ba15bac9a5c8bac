/* minivmm's entry on x86: a multiboot (v1) kernel. QEMU's -kernel loader starts _start in 32-bit
 * protected mode, paging off, with EAX = the multiboot magic and EBX = the multiboot information.
 * The trampoline zeroes .bss, identity-maps the first 4 GiB with 2 MiB pages (4-level tables),
 * turns long mode on and calls x86_main(magic, info) in 64-bit mode on minivmm's stack.
 * The image is linked as x86-64 and wrapped as ELF32 (arch.mk): QEMU's multiboot takes no ELF64. */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003 /* modules page-aligned, memory information */

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .text.boot, "ax"
    .code32
    .globl _start
_start:
    cli
    mov %eax, %ebp /* the multiboot magic */
    mov %ebx, %esi /* the multiboot information */
    cld
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    /* PML4[0] -> PDPT; PDPT[0-3] -> four page directories; 2048 PDEs of 2 MiB (present, writable) */
    mov $boot_pdpt, %eax
    or $3, %eax
    mov %eax, boot_pml4
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $12, %eax
    add $boot_pd, %eax
    or $3, %eax
    mov %eax, boot_pdpt(, %ecx, 8)
    inc %ecx
    cmp $4, %ecx
    jb 1b
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, boot_pd(, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jb 2b
    mov %cr4, %eax
    or $0x20, %eax /* PAE */
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx /* EFER */
    rdmsr
    or $0x100, %eax /* LME */
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax /* PG (and PE) */
    mov %eax, %cr0
    lgdt boot_gdt_desc
    ljmp $0x08, $start64

    .code64
start64:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov $__stack_top, %rsp
    mov %ebp, %edi /* 32-bit moves clear the upper halves */
    mov %esi, %esi
    call x86_main
3:  hlt
    jmp 3b

    .section .rodata
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff /* 0x10: data, DPL 0 */
boot_gdt_end:
    .balign 8
boot_gdt_desc:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

    .section .bss
    .balign 4096
    .globl boot_pml4
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4 * 4096
