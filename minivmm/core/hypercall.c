/* The hypercall table: minivmm's own calls (MV_HC_*), dispatched by function number; the test calls have their own table. */
#include <minivmm/arch.h>
#include <minivmm/console.h>
#include <minivmm/exit.h>
#include <minivmm/hypercall.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/labs.h>
#include <minivmm/panic.h>
#include <minivmm/vm.h>

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

/* Indexed by function number - MV_HC_BASE. */
static const hc_fn hypercalls[MV_HC_TEST_FIRST - MV_HC_BASE] = {
    [MV_HC_NOP - MV_HC_BASE] = hc_nop,
    [MV_HC_PUTC - MV_HC_BASE] = hc_putc,
    [MV_HC_WRITE - MV_HC_BASE] = hc_write,
    [MV_HC_POWEROFF - MV_HC_BASE] = hc_poweroff,
    [MV_HC_EXIT_COUNT - MV_HC_BASE] = hc_exit_count_call,
};

enum exit_action hypercall_dispatch(struct vcpu *v)
{
    uint32_t nr = vcpu_hc_arg(v, 0);
    uint32_t idx = nr - MV_HC_BASE; /* wraps to a huge value below the base */
    hc_fn fn = idx < ARRAY_SIZE(hypercalls) ? hypercalls[idx] : test_hypercall(nr);
    if (!fn) {
        vcpu_hc_ret(v, (uint32_t)MV_HC_NOT_SUPPORTED);
        return EXIT_RESUME;
    }
    vcpu_hc_ret(v, fn(v));
    return EXIT_RESUME;
}
