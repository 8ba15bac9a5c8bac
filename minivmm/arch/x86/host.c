/* minivmm's x86 host: x86_main (from boot.S, in long mode), the heap, the VMM's own range and state dump. */
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <arch/svm.h>
#include <arch/x86.h>

extern char __vmm_start[], __vmm_end[], __heap_start[], __heap_end[];
void vmm_main(void) NORETURN;
void uart_init(void);
void idt_init(void);
void multiboot_init(uint32_t magic, uint32_t info);

void x86_main(uint32_t magic, uint32_t info) NORETURN;
void x86_main(uint32_t magic, uint32_t info)
{
    outb(0x21, 0xff); /* both 8259s masked: minivmm takes no interrupts (yet) */
    outb(0xa1, 0xff);
    uart_init();
    idt_init();
    multiboot_init(magic, info);
    vmm_main();
}

void arch_init(void)
{
    heap_init(__heap_start, (size_t)(__heap_end - __heap_start));
    svm_init();
    printk("minivmm: x86-64 host, AMD SVM with nested paging\n");
}

void arch_vmm_range(uint32_t *start, uint32_t *end)
{
    *start = (uint32_t)(uintptr_t)__vmm_start;
    *end = (uint32_t)(uintptr_t)__vmm_end;
}

/* Set by x86_exception (idt.c) for the dump. */
const struct x86_frame *x86_fault_frame;
void x86_dump_frame(const struct x86_frame *f);

void arch_dump_host(const void *caller)
{
    uint64_t rsp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
    printk("host: caller %p rsp %#llx cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx\n", caller,
           (unsigned long long)rsp, (unsigned long long)READ_CR(0), (unsigned long long)READ_CR(3),
           (unsigned long long)READ_CR(4), (unsigned long long)rdmsr(MSR_EFER));
    if (x86_fault_frame)
        x86_dump_frame(x86_fault_frame);
}
