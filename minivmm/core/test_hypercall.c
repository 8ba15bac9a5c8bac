/* The test hypercalls (MV_HC_TEST_*): what only the labs' guest tests call, in a table of their own. */
#include <minivmm/alloc.h>
#include <minivmm/arch.h>
#include <minivmm/dev_timer.h>
#include <minivmm/hypercall.h>
#include <minivmm/hypercall_abi.h>
#include <minivmm/vm.h>

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

/* The run loop takes the snapshot once this exit is done: the guest's r0 is
 * already 0 then, in the file as in the run that goes on. */
static uint32_t hc_test_snapshot(struct vcpu *v)
{
    if (!v->vm->snapshot_path)
        return (uint32_t)MV_HC_EINVAL;
    v->vm->snapshot_requested = true;
    return MV_HC_OK;
}

static void alarm_fired(struct dev_timer *t, uint64_t now)
{
    struct vm *vm = t->ctx;
    (void)now;
    vm->test_alarms++;
}

static uint32_t hc_test_alarm(struct vcpu *v)
{
    struct vm *vm = v->vm;
    uint32_t ticks = vcpu_hc_arg(v, 1);
    if (!ticks)
        return vm->test_alarms;
    if (ticks > 1u << 31)
        return (uint32_t)MV_HC_EINVAL;
    if (!vm->test_alarm) {
        if (!(vm->test_alarm = mv_calloc(1, sizeof(*vm->test_alarm))))
            return (uint32_t)MV_HC_EINVAL;
        *vm->test_alarm = (struct dev_timer){.fire = alarm_fired, .ctx = vm};
    }
    dev_timer_arm(vm, vm->test_alarm, dev_timer_now(vm) + ticks);
    return MV_HC_OK;
}

/* Indexed by function number - MV_HC_TEST_FIRST. */
static const hc_fn test_hypercalls[] = {
    [MV_HC_TEST_INJECT - MV_HC_TEST_FIRST] = hc_test_inject,
    [MV_HC_TEST_TRANSLATE - MV_HC_TEST_FIRST] = hc_test_translate,
    [MV_HC_TEST_READ_PA - MV_HC_TEST_FIRST] = hc_test_read_pa,
    [MV_HC_TEST_MMIO_STAT - MV_HC_TEST_FIRST] = hc_test_mmio_stat,
    [MV_HC_TEST_SNAPSHOT - MV_HC_TEST_FIRST] = hc_test_snapshot,
    [MV_HC_TEST_ALARM - MV_HC_TEST_FIRST] = hc_test_alarm,
};
_Static_assert(ARRAY_SIZE(test_hypercalls) == MV_HC_COUNT - (MV_HC_TEST_FIRST - MV_HC_BASE),
               "every test hypercall has an entry");

hc_fn test_hypercall(uint32_t nr)
{
    uint32_t idx = nr - MV_HC_TEST_FIRST; /* wraps to a huge value below the first */
    return idx < ARRAY_SIZE(test_hypercalls) ? test_hypercalls[idx] : NULL;
}
