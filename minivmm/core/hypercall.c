/* The hypercall table: minivmm's own calls (MV_HC_*), dispatched by function number. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/exit.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/labs.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>

typedef uint32_t (*hc_fn)(struct vcpu *v);

static uint32_t hc_nop(struct vcpu *v)
{
    (void)v;
    return MV_HC_OK;
}

static uint32_t hc_putc(struct vcpu *v)
{
    console_putc((char)vcpu_hc_arg(v, 1));
    return MV_HC_OK;
}

static uint32_t hc_write(struct vcpu *v)
{
    uint32_t ipa = vcpu_hc_arg(v, 1), len = vcpu_hc_arg(v, 2);
    const char *s = vm_ipa_ptr(v->vm, ipa, len);
    if (!s)
        return (uint32_t)MV_HC_EFAULT;
    console_write(s, len);
    return len;
}

static uint32_t hc_poweroff(struct vcpu *v)
{
    int code = (int)vcpu_hc_arg(v, 1);
    printk("minivmm: guest powered off with code %d\n", code);
    vmm_exit(code & 0xff ? code & 0xff : (code ? 1 : 0));
}

static uint32_t hc_exit_count_call(struct vcpu *v)
{
    return hc_exit_count(v, vcpu_hc_arg(v, 1));
}

static uint32_t hc_test_inject(struct vcpu *v)
{
    if (arch_inject_fault(v, vcpu_hc_arg(v, 1), vcpu_hc_arg(v, 2), vcpu_hc_arg(v, 3)))
        return (uint32_t)MV_HC_EINVAL;
    return MV_HC_OK; /* the guest's handler sees r0 = 0 */
}

static uint32_t hc_test_translate(struct vcpu *v)
{
    uint32_t pa;
    if (arch_test_translate(v->vm, vcpu_hc_arg(v, 1), &pa))
        return (uint32_t)MV_HC_EFAULT;
    return pa;
}

static uint32_t hc_test_read_pa(struct vcpu *v)
{
    uint32_t value;
    if (arch_test_read_pa(vcpu_hc_arg(v, 1), &value))
        return (uint32_t)MV_HC_EINVAL;
    return value;
}

static uint32_t hc_test_mmio_stat(struct vcpu *v)
{
    uint32_t value;
    if (arch_test_mmio_stat(v->vm, vcpu_hc_arg(v, 1), &value))
        return (uint32_t)MV_HC_EINVAL;
    return value;
}

/* Indexed by function number - MV_HC_BASE. */
static const hc_fn hypercalls[MV_HC_COUNT] = {
    [MV_HC_NOP - MV_HC_BASE] = hc_nop,
    [MV_HC_PUTC - MV_HC_BASE] = hc_putc,
    [MV_HC_WRITE - MV_HC_BASE] = hc_write,
    [MV_HC_POWEROFF - MV_HC_BASE] = hc_poweroff,
    [MV_HC_EXIT_COUNT - MV_HC_BASE] = hc_exit_count_call,
    [MV_HC_TEST_INJECT - MV_HC_BASE] = hc_test_inject,
    [MV_HC_TEST_TRANSLATE - MV_HC_BASE] = hc_test_translate,
    [MV_HC_TEST_READ_PA - MV_HC_BASE] = hc_test_read_pa,
    [MV_HC_TEST_MMIO_STAT - MV_HC_BASE] = hc_test_mmio_stat,
};

enum exit_action hypercall_dispatch(struct vcpu *v)
{
    uint32_t nr = vcpu_hc_arg(v, 0);
    uint32_t idx = nr - MV_HC_BASE; /* wraps to a huge value below the base */
    if (idx >= MV_HC_COUNT || !hypercalls[idx]) {
        vcpu_hc_ret(v, (uint32_t)MV_HC_NOT_SUPPORTED);
        return EXIT_RESUME;
    }
    vcpu_hc_ret(v, hypercalls[idx](v));
    return EXIT_RESUME;
}
