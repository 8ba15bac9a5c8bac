/* Lab 3 student file: emulate a guest's load/store to a device: decode it (syndrome, or fetch and decode), then do it on the bus. */
#include <minivmm/panic.h>
#include <minivmm/vm.h>
#include <arch/mmio_emul.h>

/* Set this to true when Task 1 works: minivmm then creates the guest's devices
 * (the PL011 and the test device) and sends data aborts at their addresses to
 * mmio_handle_abort. While it is false every such access aborts (lab 2). */
const bool lab3_mmio_enabled = false;

bool mmio_decode_isv(uint32_t hsr, struct mem_insn *m)
{
    (void)hsr;
    (void)m;
    MV_TODO(3, "Task 1: the MMIO path");
}

void mem_insn_address(const struct mem_insn *m, struct arm_regs *r, uint32_t *first, uint32_t *new_base)
{
    (void)m;
    (void)r;
    (void)first;
    (void)new_base;
    MV_TODO(3, "Task 2: addressing modes");
}

bool mmio_execute(struct vcpu *v, const struct mem_insn *m, uint32_t ipa)
{
    (void)v;
    (void)m;
    (void)ipa;
    MV_TODO(3, "Task 1: the MMIO path");
}

enum exit_action mmio_handle_abort(struct vcpu *v, uint32_t hsr, uint32_t ipa)
{
    (void)v;
    (void)hsr;
    (void)ipa;
    MV_TODO(3, "Task 1: the MMIO path");
}
