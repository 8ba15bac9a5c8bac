/* The NE2000's framework side: its snapshot (one function saves and restores), its bus ops and its statistics line. */
#include <minivmm/console.h>
#include <minivmm/snapshot.h>
#include <devices/ne2000.h>

const struct bus_ops ne2000_bus_ops = {"ne2000", ne2000_access};

/* The PROM as ne2000_reset makes it: 16 bytes, each doubled; the MAC in
 * 0-5 (any value), zeros in 6-13, the signature in 14-15. */
static bool prom_ok(const uint8_t *prom)
{
    for (unsigned i = 0; i < NE2000_PROM_SIZE / 2; i++) {
        uint8_t b = prom[2 * i];
        if (prom[2 * i + 1] != b)
            return false;
        if (i >= 6 && b != (i >= 14 ? NE2000_PROM_SIG : 0))
            return false;
    }
    return true;
}

/* What the model itself keeps true (struct ne2000's comment). The page
 * registers, RSAR, RBCR, TPSR and TBCR may hold anything a guest can write,
 * and the model checks them where it uses them: a snapshot may too. */
static bool consistent(const struct ne2000 *n)
{
    bool stopped = n->cr & NE_CR_STP, reset = n->isr & NE_ISR_RST;
    return !(n->cr & NE_CR_TXP) && stopped == reset && n->imr <= NE_ISR_IRQ_MASK && n->rcr <= NE_RCR_MASK &&
           n->tcr <= NE_TCR_MASK && n->dcr <= NE_DCR_MASK && n->cntr[0] <= NE2000_TALLY_LIMIT &&
           n->cntr[1] <= NE2000_TALLY_LIMIT && n->cntr[2] <= NE2000_TALLY_LIMIT &&
           n->irq_level == ((n->isr & n->imr & NE_ISR_IRQ_MASK) != 0) && prom_ok(n->prom);
}

/* Registers, tally counters, the interrupt level, PROM and RAM; the backend
 * is wiring and the statistics are the VMM's, so a restore leaves both. The
 * caller drives the interrupt line from irq_level after a restore. */
void ne2000_snapshot(struct ne2000 *n, struct snap *s)
{
    uint8_t *bytes[] = {&n->cr,  &n->pstart, &n->pstop, &n->bnry, &n->curr, &n->tpsr, &n->isr,
                        &n->imr, &n->tsr,    &n->rsr,   &n->rcr,  &n->tcr,  &n->dcr};
    uint16_t *words[] = {&n->tbcr, &n->rsar, &n->rbcr};
    for (unsigned i = 0; i < ARRAY_SIZE(bytes); i++)
        snap_u8(s, bytes[i]);
    for (unsigned i = 0; i < ARRAY_SIZE(words); i++)
        snap_u16(s, words[i]);
    snap_bytes(s, n->par, sizeof(n->par));
    snap_bytes(s, n->mar, sizeof(n->mar));
    snap_bytes(s, n->cntr, sizeof(n->cntr));
    snap_bool(s, &n->irq_level);
    snap_bytes(s, n->prom, sizeof(n->prom));
    snap_bytes(s, n->ram, sizeof(n->ram));
    snap_check(s, consistent(n));
}

void ne2000_print_stats(const struct ne2000 *n)
{
    const struct ne2000_stats *st = &n->stats;
    printk("minivmm: ne2000: %llu frames sent, %llu received, %llu dropped (%llu stopped, %llu filtered, "
           "%llu missed, %llu bad length), %llu not sent\n",
           (unsigned long long)st->tx_frames, (unsigned long long)st->rx_frames,
           (unsigned long long)st->rx_dropped, (unsigned long long)st->rx_stopped,
           (unsigned long long)st->rx_filtered, (unsigned long long)st->rx_missed,
           (unsigned long long)st->rx_bad_length, (unsigned long long)st->tx_errors);
}
