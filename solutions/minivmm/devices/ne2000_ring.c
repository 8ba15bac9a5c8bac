/* Lab 5 reference, Task 4: the NE2000 sends a frame from its RAM, and puts received frames into its receive ring, behind its address filters. */
#include <minivmm/string.h>
#include <devices/ne2000.h>

/* ---- Transmit. */

/* A frame the card can send: a length the network takes, every byte in RAM. */
static bool tx_ok(const struct ne2000 *n)
{
    uint32_t start = (uint32_t)n->tpsr << 8;
    return n->tbcr >= NE2000_MIN_FRAME && n->tbcr <= NE2000_MAX_FRAME && start >= NE2000_RAM_START &&
           start + n->tbcr <= NE2000_RAM_END;
}

/* A frame the card cannot send is aborted (TSR.ABT, ISR.TXE), nothing goes
 * out: Linux's ei_tx_err then counts an aborted transmit and goes on. QEMU
 * instead wraps a TPSR past the RAM back by 32 KiB, and reports success
 * for a frame it did not send. */
void ne2000_transmit(struct ne2000 *n)
{
    n->cr &= ~NE_CR_TXP;
    if (!tx_ok(n)) {
        n->tsr = NE_TSR_ABT;
        n->isr |= NE_ISR_TXE;
        n->stats.tx_errors++;
    } else {
        if (n->backend.send)
            n->backend.send(n->backend.ctx, n->ram + (((uint32_t)n->tpsr << 8) - NE2000_RAM_START), n->tbcr);
        n->tsr = NE_TSR_PTX;
        n->isr |= NE_ISR_PTX;
        n->stats.tx_frames++;
    }
    ne2000_update_irq(n);
}

/* ---- The address filters (RCR, PAR0-5, MAR0-7). */

/* Ethernet's CRC-32 as the DP8390 hashes a multicast address (Linux's
 * ether_crc, QEMU's net_crc32): most significant bit first, no final
 * inversion. */
static uint32_t ether_crc(const uint8_t *p, unsigned len)
{
    uint32_t crc = 0xffffffffu;
    for (unsigned i = 0; i < len; i++)
        for (unsigned bit = 0, b = p[i]; bit < 8; bit++, b >>= 1)
            crc = (crc << 1) ^ (((crc >> 31) ^ (b & 1)) ? 0x04c11db7u : 0);
    return crc;
}

/* The top 6 bits of the destination's CRC pick one of MAR's 64 bits. */
static bool hash_hit(const struct ne2000 *n, const uint8_t *dst)
{
    unsigned i = ether_crc(dst, 6) >> 26;
    return n->mar[i >> 3] & (1u << (i & 7));
}

static bool is_broadcast(const uint8_t *dst)
{
    static const uint8_t all[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return memcmp(dst, all, 6) == 0;
}

/* Is the frame for this card? PRO takes every unicast destination; broadcast
 * and multicast still need AB and AM (the DP8390's rules: QEMU lets PRO take
 * everything; Linux sets all three for promiscuous mode anyway). */
static bool accept(const struct ne2000 *n, const uint8_t *dst)
{
    if (is_broadcast(dst))
        return n->rcr & NE_RCR_AB;
    if (dst[0] & 1)
        return (n->rcr & NE_RCR_AM) && hash_hit(n, dst);
    return (n->rcr & NE_RCR_PRO) || memcmp(dst, n->par, 6) == 0;
}

/* ---- The receive ring. */

/* A ring the card can use: at least one page, all of it in RAM. */
static bool ring_ok(const struct ne2000 *n)
{
    return n->pstart >= NE2000_FIRST_PAGE && n->pstart < n->pstop && n->pstop <= NE2000_END_PAGE;
}

static bool in_ring(const struct ne2000 *n, uint8_t page)
{
    return page >= n->pstart && page < n->pstop;
}

/* Pages the receiver may fill, from CURR up to the page before BNRY (BNRY's
 * page is the driver's). Linux writes BNRY = PSTART - 1 after reading the
 * frame that ended the ring: a BNRY outside the ring counts as the ring's
 * last page, which is where that lands. CURR == BNRY is a full ring. */
static unsigned free_pages(const struct ne2000 *n)
{
    unsigned size = n->pstop - n->pstart;
    unsigned bnry = in_ring(n, n->bnry) ? n->bnry : n->pstop - 1u;
    return (bnry + size - n->curr) % size;
}

/* A frame the card would take but has no room for: missed (RSR.MPA, CNTR2). */
static bool missed(struct ne2000 *n, uint8_t rsr)
{
    n->rsr = rsr;
    if (n->cntr[2] < NE2000_TALLY_LIMIT)
        n->cntr[2]++;
    if (n->cntr[2] & 0x80)
        n->isr |= NE_ISR_CNT;
    n->stats.rx_missed++;
    n->stats.rx_dropped++;
    ne2000_update_irq(n);
    return false;
}

static bool dropped(struct ne2000 *n, uint64_t *why)
{
    (*why)++;
    n->stats.rx_dropped++;
    return false;
}

/* Copy len bytes (zeros if src is NULL) into the ring at *at, wrapping from
 * PSTOP to PSTART. *at stays in [PSTART, PSTOP) pages, so every chunk is at
 * least one byte and lies in RAM (ring_ok). */
static void ring_put(struct ne2000 *n, uint32_t *at, const uint8_t *src, unsigned len)
{
    uint32_t start = (uint32_t)n->pstart << 8, stop = (uint32_t)n->pstop << 8;
    while (len) {
        unsigned chunk = len < stop - *at ? len : stop - *at;
        uint8_t *dst = n->ram + (*at - NE2000_RAM_START);
        if (src) {
            memcpy(dst, src, chunk);
            src += chunk;
        } else {
            memset(dst, 0, chunk);
        }
        len -= chunk;
        *at += chunk;
        if (*at == stop)
            *at = start;
    }
}

/* The frame (padded to 60 bytes) at CURR behind its 4-byte header: status,
 * next page, length (frame + header) low and high. Pages counted as QEMU
 * does, with room for the 4-byte CRC a real DP8390 stores after the frame:
 * what Linux's ei_receive expects of the next page. */
static bool store(struct ne2000 *n, const uint8_t *frame, unsigned len)
{
    unsigned size = len < NE2000_PAD_FRAME ? NE2000_PAD_FRAME : len;
    unsigned total = size + NE2000_HDR_SIZE;
    unsigned pages = (total + 4 + NE2000_PAGE_SIZE - 1) / NE2000_PAGE_SIZE;
    if (!ring_ok(n) || !in_ring(n, n->curr))
        return missed(n, NE_RSR_MPA); /* no ring to put it in: the guest broke it */
    if (pages > free_pages(n)) {
        n->isr |= NE_ISR_OVW;
        return missed(n, NE_RSR_MPA);
    }
    unsigned next = n->curr + pages;
    if (next >= n->pstop)
        next -= n->pstop - n->pstart;
    uint8_t rsr = NE_RSR_PRX | (frame[0] & 1 ? NE_RSR_PHY : 0);
    uint8_t hdr[NE2000_HDR_SIZE] = {rsr, (uint8_t)next, (uint8_t)total, (uint8_t)(total >> 8)};
    uint32_t at = (uint32_t)n->curr << 8;
    ring_put(n, &at, hdr, sizeof(hdr));
    ring_put(n, &at, frame, len);
    ring_put(n, &at, NULL, size - len);
    n->curr = (uint8_t)next;
    n->rsr = rsr;
    n->isr |= NE_ISR_PRX;
    n->stats.rx_frames++;
    ne2000_update_irq(n);
    return true;
}

bool ne2000_receive(struct ne2000 *n, const uint8_t *frame, unsigned len)
{
    if (!frame || len < NE2000_MIN_FRAME || len > NE2000_MAX_FRAME)
        return dropped(n, &n->stats.rx_bad_length);
    if (n->cr & NE_CR_STP)
        return dropped(n, &n->stats.rx_stopped);
    if (!accept(n, frame))
        return dropped(n, &n->stats.rx_filtered);
    if (n->rcr & NE_RCR_MON)
        return missed(n, NE_RSR_MPA | NE_RSR_DIS);
    return store(n, frame, len);
}
