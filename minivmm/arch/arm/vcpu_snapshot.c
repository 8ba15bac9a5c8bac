/* The ARM vCPU's snapshot section: registers, trapped-CP15 view, the guest's own CP15 registers, virtual timer and VFP/NEON registers. */
#include <minivmm/arch.h>
#include <minivmm/snapshot.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>
#include <arch/sysreg.h>
#include <arch/traps.h>

_Static_assert(sizeof(struct arm_regs) % 4 == 0, "arm_regs is a run of words");
_Static_assert(sizeof(struct cp15_view) % 4 == 0, "cp15_view is a run of words");
_Static_assert(G_CP15_COUNT <= 32, "cp15_live is too small");

/* The modes a guest may run in: never Hyp, whatever a snapshot file says
 * (an eret to Hyp mode would run the guest with the VMM's privilege). */
static bool guest_mode_ok(uint32_t cpsr)
{
    switch (cpsr & PSR_MODE_MASK) {
    case PSR_MODE_USR:
    case PSR_MODE_FIQ:
    case PSR_MODE_IRQ:
    case PSR_MODE_SVC:
    case PSR_MODE_ABT:
    case PSR_MODE_UND:
    case PSR_MODE_SYS: return true;
    default: return false;
    }
}

/* What trapped CP15 reads return: the host's identification and cache
 * geometry (what cache_sw.c checks set/way operands against) and the guest's
 * own CSSELR. Only CSSELR is restored; the rest must be what this host shows
 * (a snapshot of another CPU is refused, not believed). */
static bool cp15_view_snap(struct snap *s, struct cp15_view *view)
{
    struct cp15_view v = *view;
    snap_u32s(s, (uint32_t *)&v, sizeof(v) / 4);
    if (s->dir == SNAP_SAVE || s->failed)
        return true;
    uint32_t csselr = v.csselr;
    v.csselr = view->csselr;
    if (memcmp(&v, view, sizeof(v)))
        return false;
    view->csselr = csselr;
    return true;
}

/* With idregs=native the guest's CSSELR lives in the CPU (hyp.c): the
 * snapshot carries it in the view's field either way. */
static void cpu_to_memory(struct arch_vcpu *a)
{
    for (int i = 0; i < G_CP15_COUNT; i++)
        a->cp15_live[i] = guest_cp15_read((enum guest_cp15)i);
    if (a->idregs_native)
        a->cp15.csselr = read_csselr();
    guest_vtimer_read(&a->vtimer);
    guest_vfp_read(&a->vfp);
}

static void memory_to_cpu(const struct arch_vcpu *a)
{
    for (int i = 0; i < G_CP15_COUNT; i++)
        guest_cp15_write((enum guest_cp15)i, a->cp15_live[i]);
    if (a->idregs_native)
        write_csselr(a->cp15.csselr);
    guest_vtimer_write(&a->vtimer);
    guest_vfp_write(&a->vfp);
}

void arch_vcpu_snapshot(struct vcpu *v, struct snap *s)
{
    struct arch_vcpu *a = &v->arch;
    if (s->dir == SNAP_SAVE)
        cpu_to_memory(a);
    snap_u32s(s, (uint32_t *)&a->regs, sizeof(a->regs) / 4);
    if (!snap_check(s, guest_mode_ok(a->regs.cpsr)))
        return;
    if (!snap_check(s, cp15_view_snap(s, &a->cp15)))
        return;
    snap_u32s(s, a->cp15_live, G_CP15_COUNT);
    snap_u32(s, &a->vtimer.ctl);
    snap_u64(s, &a->vtimer.cval);
    snap_u64(s, &a->vtimer.voff);
    for (unsigned i = 0; i < VFP_DREGS; i++)
        snap_u64(s, &a->vfp.d[i]);
    snap_u32(s, &a->vfp.fpscr);
    snap_u32(s, &a->vfp.fpexc);
    snap_check(s, !(a->vfp.fpexc & ~FPEXC_EN));
    if (s->dir == SNAP_RESTORE && !s->failed)
        memory_to_cpu(a);
}

/* Of the ARM VM itself, only the counters a guest can read (MV_HC_TEST_MMIO_STAT,
 * lab 3's tests): a restored guest must see the counts it would have seen. Stage 2
 * is rebuilt from the memory layout, the vGIC is a device with its own section, and
 * the decode cache's entries are a cache: a restored run starts with it empty, so its
 * first lookups miss where an uninterrupted run's might hit. */
void arch_vm_snapshot(struct vm *vm, struct snap *s)
{
    struct mmio_emul_stats m = vm->arch.mmio_stats;
    uint64_t hits = vm->arch.dcache.hits, misses = vm->arch.dcache.misses;
    snap_u64(s, &m.isv);
    snap_u64(s, &m.decoded);
    snap_u64(s, &m.refused);
    snap_u64(s, &hits);
    snap_u64(s, &misses);
    if (s->dir == SNAP_SAVE || s->failed) /* a short section restores none of them */
        return;
    vm->arch.mmio_stats = m;
    vm->arch.dcache.hits = hits;
    vm->arch.dcache.misses = misses;
}
