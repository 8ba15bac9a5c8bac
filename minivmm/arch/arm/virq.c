/* Physical interrupts while a guest runs (lab 4): the maintenance interrupt, the guest's virtual timer, host input, host drivers' (the NIC), the device timers' alarm; and WFI's sleep. */
#include <minivmm/arch.h>
#include <minivmm/arch_exit.h>
#include <minivmm/console.h>
#include <minivmm/vm.h>
#include <arch/gic.h>
#include <arch/vgic.h>

/* The board UART's receive interrupt stays asserted while characters wait in
 * its FIFO; when the guest's UART does not take them (full, or not
 * receiving), it is masked until the guest's UART can take one (unmasking it
 * earlier would interrupt the guest before it ran a single instruction, again
 * and again). */
static void host_uart_input(struct vm *vm)
{
    if (vm->console.poll)
        vm->console.poll(vm->console.dev);
    if (console_rx_waiting()) {
        gic_set_enabled(HOST_IRQ_UART, false);
        vm->arch.host_uart_masked = true;
    }
}

/* Take every interrupt waiting at the board's CPU interface. A host driver's
 * handler may raise a guest device's line (a frame for the guest's network
 * card), so every interrupt marks the vGIC dirty; during a WFI that line is
 * what ends the sleep (arch_wait_for_interrupt). */
void arch_handle_irqs(struct vm *vm)
{
    for (;;) {
        uint32_t iar = gic_ack(), id = iar & 0x3ff;
        if (id == IRQ_SPURIOUS)
            return;
        if (trace_exits)
            printk("  physical interrupt %u\n", (unsigned)id);
        vm->arch.vgic_dirty = true;
        if (id == IRQ_MAINT) {
            /* EOI or underflow: take back what the guest completed and refill
             * the LRs now, which also ends the (level) maintenance interrupt. */
            vgic_sync_lrs(vm->arch.vgic);
            vgic_flush_lrs(vm->arch.vgic);
        } else if (id == IRQ_VTIMER) {
            vtimer_fire(vm->arch.vgic);
        } else if (id == HOST_IRQ_UART) {
            host_uart_input(vm);
        } else if (id == HOST_IRQ_TIMER) {
            /* a device timer is due: the run loop fires it after this exit
             * and programs the next deadline */
            arch_timer_deadline(UINT64_MAX);
            vm->arch.host_timer_fired = true;
            vm->timers_dirty = true;
        } else if (!gic_host_irq(id)) {
            printk("minivmm: unexpected physical interrupt %u: masked\n", (unsigned)id);
            gic_set_enabled(id, false);
        }
        gic_eoi(iar);
    }
}

/* Before each guest entry: the list registers from the vGIC's state, when
 * that state may have changed: after a device access (the distributor, or a
 * device raising its line) or a physical interrupt. Other exits (hypercalls,
 * CP15, WFI without sleep) change nothing the LRs show, and skipping the
 * flush keeps their cost as it was before lab 4 (sync_lrs, in hyp.c's
 * arch_vcpu_enter, marks the vGIC dirty when the guest completed an
 * interrupt in an LR). */
/* The timer's line, raised when its PPI fired, stays up until the guest
 * completes the interrupt. If the guest switched the timer off or masked it
 * (CNTV_CTL: ENABLE, IMASK, ISTATUS) before that, the line must drop now. */
#define CNTV_ENABLE  (1u << 0)
#define CNTV_IMASK   (1u << 1)
#define CNTV_ISTATUS (1u << 2)
static void vtimer_resample(struct vm *vm)
{
    uint32_t ctl;
    if (!vm->arch.vgic->irq[IRQ_VTIMER].level)
        return;
    __asm__ volatile("mrc p15, 0, %0, c14, c3, 1" : "=r"(ctl)); /* the guest's CNTV_CTL */
    if ((ctl & (CNTV_ENABLE | CNTV_IMASK | CNTV_ISTATUS)) != (CNTV_ENABLE | CNTV_ISTATUS)) {
        vtimer_completed(vm->arch.vgic);
        vm->arch.vgic_dirty = true;
    }
}

/* Host input that waited for room in the guest's UART may come in again. */
static void host_uart_unmask(struct vm *vm)
{
    if (vm->arch.host_uart_masked && vm->console.can_take && vm->console.can_take(vm->console.dev)) {
        vm->arch.host_uart_masked = false;
        gic_set_enabled(HOST_IRQ_UART, true);
    }
}

void arch_vgic_enter(struct vm *vm)
{
    vtimer_resample(vm);
    host_uart_unmask(vm);
    if (vm->arch.vgic_dirty) {
        vm->arch.vgic_dirty = false;
        vgic_flush_lrs(vm->arch.vgic);
    }
}

/* Could anything wake a sleeping guest: its GIC on and some interrupt other
 * than an SGI (which only the guest itself can send) enabled? */
static bool may_wake(const struct vgic *g)
{
    if (!g->enabled)
        return false;
    for (unsigned i = 16; i < VGIC_NR_IRQS; i++)
        if (g->irq[i].enabled)
            return true;
    return false;
}

/* A trapped WFI: sleep (in Hyp mode, interrupts masked: WFI still wakes on a
 * pending one) until the guest has an interrupt to take, or a device timer is
 * due, or a command typed on the console escape needs the run loop (the WFI
 * then completes without one, as the architecture allows, and the run loop
 * fires the timer, whose device may raise a line, or takes the snapshot). A
 * WFI that nothing could ever end completes at once instead, so a guest
 * without interrupts is not stuck. */
void arch_wait_for_interrupt(struct vm *vm)
{
    vm->arch.host_timer_fired = false;
    while (may_wake(vm->arch.vgic) && !vgic_has_pending(vm->arch.vgic) && !vm->arch.host_timer_fired &&
           !vm_console_request(vm)) {
        __asm__ volatile("dsb\n\twfi" ::: "memory");
        arch_handle_irqs(vm);
        /* Input the console escape took left the guest's UART with room but
         * no interrupt to end the sleep: the next characters must still come. */
        host_uart_unmask(vm);
    }
}
