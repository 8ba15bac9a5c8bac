/* tinykernel's Intel HD Audio driver: controller registers, reset, CORB/RIRB and immediate verbs, codec discovery, one output stream, double-buffered playback. */
#ifndef TK_HDA_H
#define TK_HDA_H

#include <stdbool.h>
#include <stdint.h>
#include "mmio.h"
#include "pci.h"

#define HDA_VENDOR 0x8086 /* Intel */
#define HDA_DEVICE 0x2668 /* ICH6 HD Audio, QEMU's intel-hda */
#define HDA_CLASS 0x0403  /* multimedia, audio device (HD Audio) */
#define HDA_BAR_SIZE 0x4000
#define HDA_MMIO PCI_MEM_WINDOW /* where tinykernel places BAR0 */

/* Controller registers (HDA 1.0a, section 3.3), with their widths. */
enum {
    HDA_GCAP = 0x00,      /* 16: global capabilities */
    HDA_VMIN = 0x02,      /* 8 */
    HDA_VMAJ = 0x03,      /* 8 */
    HDA_GCTL = 0x08,      /* 32: CRST, FCNTRL, UNSOL */
    HDA_STATESTS = 0x0e,  /* 16: codecs that asked for a state change (write 1 to clear) */
    HDA_INTCTL = 0x20,    /* 32: GIE, CIE, SIE per stream */
    HDA_INTSTS = 0x24,    /* 32: GIS, CIS, SIS per stream */
    HDA_CORBLBASE = 0x40, /* 32 */
    HDA_CORBUBASE = 0x44, /* 32 */
    HDA_CORBWP = 0x48,    /* 16: the last entry software wrote */
    HDA_CORBRP = 0x4a,    /* 16: the last entry the controller read; bit 15 resets it */
    HDA_CORBCTL = 0x4c,   /* 8: CMEIE, CORBRUN */
    HDA_CORBSTS = 0x4d,   /* 8: CMEI */
    HDA_CORBSIZE = 0x4e,  /* 8: size capability (7:4), size (1:0) */
    HDA_RIRBLBASE = 0x50, /* 32 */
    HDA_RIRBUBASE = 0x54, /* 32 */
    HDA_RIRBWP = 0x58,    /* 16: the last entry the controller wrote; bit 15 resets it */
    HDA_RINTCNT = 0x5a,   /* 16: responses per response interrupt (0: 256) */
    HDA_RIRBCTL = 0x5c,   /* 8: RINTCTL, RIRBDMAEN, RIRBOIC */
    HDA_RIRBSTS = 0x5d,   /* 8: RINTFL, RIRBOIS (write 1 to clear) */
    HDA_RIRBSIZE = 0x5e,  /* 8 */
    HDA_ICOI = 0x60,      /* 32: immediate command */
    HDA_IRII = 0x64,      /* 32: immediate response */
    HDA_ICIS = 0x68,      /* 16: ICB (busy), IRV (response valid, write 1 to clear) */
    HDA_DPLBASE = 0x70,   /* 32: DMA position buffer, bit 0 enables it */
    HDA_DPUBASE = 0x74,   /* 32 */
    HDA_SD0 = 0x80,       /* output stream descriptor 0 (GCAP 0x1000: no input streams before it) */
};

/* Stream descriptor registers, from its base. */
enum {
    HDA_SD_CTL = 0x00,  /* 24: SRST, RUN, IOCE, FEIE, DEIE, stripe, TP, DIR, stream number 23:20 */
    HDA_SD_CTL2 = 0x02, /* 8: CTL's byte with the stream number (bits 7:4) */
    HDA_SD_STS = 0x03,  /* 8: BCIS, FIFOE, DESE (write 1 to clear), FIFORDY */
    HDA_SD_LPIB = 0x04, /* 32: link position in the cyclic buffer, bytes */
    HDA_SD_CBL = 0x08,  /* 32: cyclic buffer length, bytes */
    HDA_SD_LVI = 0x0c,  /* 16: last valid index of the BDL */
    HDA_SD_FIFOS = 0x10,
    HDA_SD_FMT = 0x12,  /* 16: stream format */
    HDA_SD_BDPL = 0x18, /* 32: BDL address, 128-byte aligned */
    HDA_SD_BDPU = 0x1c, /* 32 */
};

#define HDA_GCTL_CRST 0x1
#define HDA_INT_GIE 0x80000000u
#define HDA_INT_CIE 0x40000000u
#define HDA_INT_CIS 0x40000000u
#define HDA_INT_SIS0 0x1u
#define HDA_CORBRP_RST 0x8000
#define HDA_RIRBWP_RST 0x8000
#define HDA_CORBCTL_RUN 0x02
#define HDA_RIRBCTL_RINTCTL 0x01
#define HDA_RIRBCTL_DMAEN 0x02
#define HDA_RIRBSTS_RINTFL 0x01
#define HDA_RIRBSTS_RIRBOIS 0x04
#define HDA_RING_256 0x02 /* CORBSIZE/RIRBSIZE: 256 entries */
#define HDA_ICIS_ICB 0x1
#define HDA_ICIS_IRV 0x2
#define HDA_DPLBASE_ENABLE 0x1
#define HDA_SD_SRST 0x01
#define HDA_SD_RUN 0x02
#define HDA_SD_IOCE 0x04
#define HDA_SD_DEIE 0x10
#define HDA_SD_BCIS 0x04
#define HDA_SD_FIFOE 0x08
#define HDA_SD_DESE 0x10
#define HDA_FMT_48K_16_STEREO 0x0011 /* BASE 48 kHz, MULT 1, DIV 1, 16 bits, 2 channels */
#define HDA_RATE 48000
#define HDA_FRAME 4 /* bytes per frame: 16-bit stereo */

/* Codec verbs: the 32-bit command is codec address 31:28, NID 27:20, then a 12-bit verb
 * with an 8-bit payload or a 4-bit verb with a 16-bit payload. */
#define HDA_VERB(nid, verb, payload) ((uint32_t)(nid) << 20 | (uint32_t)(verb) << 8 | ((payload)&0xff))
#define HDA_VERB4(nid, verb, payload) ((uint32_t)(nid) << 20 | (uint32_t)(verb) << 16 | ((payload)&0xffff))
#define HDA_GET_PARAM 0xf00
#define HDA_GET_CONN 0xf02
#define HDA_SET_POWER 0x705
#define HDA_SET_STREAM 0x706 /* stream tag 7:4, channel 3:0 */
#define HDA_GET_STREAM 0xf06
#define HDA_SET_PIN 0x707
#define HDA_GET_PIN 0xf07
#define HDA_PIN_OUT 0x40
#define HDA_SET_FMT 0x2 /* 4-bit verb */
#define HDA_GET_FMT 0xa00
#define HDA_SET_AMP 0x3 /* 4-bit verb */
/* Get Parameter's parameters. */
#define HDA_PAR_VENDOR 0x00
#define HDA_PAR_NODES 0x04 /* start NID 23:16, count 7:0 */
#define HDA_PAR_FG_TYPE 0x05
#define HDA_PAR_WCAP 0x09 /* type 23:20 */
#define HDA_PAR_PINCAP 0x0c
#define HDA_PAR_CONNLEN 0x0e
#define HDA_WTYPE(wcap) (((wcap) >> 20) & 0xf)
#define HDA_WTYPE_OUT 0x0
#define HDA_WTYPE_PIN 0x4

/* Register access in BAR0. */
extern uint32_t hda_base;
static inline uint8_t hda_rd8(unsigned r) { return (uint8_t)mmio_read8(hda_base + r); }
static inline uint16_t hda_rd16(unsigned r) { return (uint16_t)mmio_read16(hda_base + r); }
static inline uint32_t hda_rd32(unsigned r) { return mmio_read32(hda_base + r); }
static inline void hda_wr8(unsigned r, uint8_t v) { mmio_write8(hda_base + r, v); }
static inline void hda_wr16(unsigned r, uint16_t v) { mmio_write16(hda_base + r, v); }
static inline void hda_wr32(unsigned r, uint32_t v) { mmio_write32(hda_base + r, v); }

/* Virtual counter ticks in ms milliseconds. */
uint64_t hda_ms(unsigned ms);

/* The function, found and placed: BAR0 at HDA_MMIO, memory decoding and bus mastering on. */
extern struct pci_fn hda_fn;
const char *hda_open(void); /* NULL, or why not */
/* GCTL.CRST to 0 (read back), then to 1 (read back), then STATESTS shows codec 0;
 * *statests is what STATESTS then reads (left uncleared). */
const char *hda_reset(uint16_t *statests);

/* The command rings: 256 entries each, pointers reset per the spec, CORBRUN and RIRBDMAEN on. */
extern uint32_t hda_corb[256];
extern uint32_t hda_rirb[512]; /* response, extended response (codec address 3:0, unsolicited bit 4) */
const char *hda_rings_start(uint16_t rintcnt);
const char *hda_rings_stop(void);
/* Queue n verbs at once (one CORBWP write), wait for their n responses; ack: clear
 * RIRBSTS.RINTFL whenever it shows while waiting (as an interrupt handler would). */
const char *hda_corb_send(const uint32_t *verbs, unsigned n, uint32_t *resp, bool ack);

/* One verb and its response: through the rings, or through the immediate interface. */
typedef const char *(*hda_send_fn)(uint32_t verb, uint32_t *resp);
const char *hda_verb(uint32_t verb, uint32_t *resp);
const char *hda_verb_imm(uint32_t verb, uint32_t *resp);

/* What discovery finds of codec 0. */
struct hda_codec {
    uint32_t vendor;                /* root's vendor and device ID */
    uint32_t root_nodes, afg_nodes; /* Subordinate Node Count of the root and of the AFG */
    unsigned afg, dac, pin;         /* NIDs (0: not found) */
    uint32_t fg_type, dac_wcap, pin_wcap, pincap, connlen, conn0;
};
const char *hda_discover(hda_send_fn send, struct hda_codec *c);
/* The DAC and the pin ready for stream tag tag in format fmt: power, format, stream, amp, pin OUT. */
const char *hda_codec_play(hda_send_fn send, const struct hda_codec *c, unsigned tag, uint16_t fmt);

/* Output stream 0. */
struct hda_bdle {
    uint32_t addr_lo, addr_hi, len, ioc; /* ioc bit 0: an interrupt when the entry is done */
};
const char *hda_stream_reset(void); /* SRST 1, read back, 0, read back */
const char *hda_stream_stop(void);  /* RUN 0, read back */
/* Program BDL, CBL, LVI, FMT, the stream number; RUN is left to the caller. */
void hda_stream_setup(const struct hda_bdle *bdl, unsigned lvi, uint32_t cbl, uint16_t fmt, unsigned tag,
                      uint8_t ctl_bits);
void hda_stream_run(uint8_t ctl_bits); /* CTL's low byte: RUN with interrupt enables */

/* Interrupts: the function's INTx through the GIC; the handler counts and acknowledges. */
struct hda_irqs {
    volatile unsigned irqs, ioc, desc_err, fifo_err, rirb, id;
    volatile uint32_t intsts; /* INTSTS of the last interrupt */
};
extern struct hda_irqs hda_irqs;
const char *hda_irq_attach(uint32_t intctl);

/* Double-buffered playback of tinykernel's test tone (tone.c): entries BDL entries of
 * entry_frames frames each in one cyclic buffer, refilled behind the DMA from LPIB. */
#define HDA_MAX_ENTRIES 8
#define HDA_MAX_ENTRY_BYTES 4096
struct hda_play {
    unsigned hz;           /* the tone */
    uint32_t first;        /* its first frame (a restart goes on where the stream stopped) */
    unsigned entries;      /* BDL entries, 2..HDA_MAX_ENTRIES */
    uint32_t entry_frames; /* frames per entry: bytes a multiple of 128 */
    uint32_t ioc_mask;     /* bit i: entry i has IOC */
    unsigned tag;          /* stream number */
    /* What the run saw. */
    uint32_t played;   /* bytes played since the start (from LPIB, wraps counted) */
    uint32_t filled;   /* segments written into the buffer */
    uint32_t lpib_max; /* the largest LPIB read */
    unsigned lpib_moves, lpib_reads, bad_lpib;
    uint32_t posbuf_max;
    unsigned posbuf_moves;
};
extern struct hda_bdle hda_bdl[256];
extern volatile uint32_t hda_posbuf[32]; /* the DMA position buffer: stream 0's LPIB in word 0 */
const char *hda_play_start(struct hda_play *p);
/* Refill behind the DMA until frames frames (counted from p->first) have played. */
const char *hda_play_until(struct hda_play *p, uint32_t frames);
/* RUN 0; p->played then counts what the stream played. */
const char *hda_play_stop(struct hda_play *p);
/* Entries completed, and how many of those had IOC. */
unsigned hda_play_completed(const struct hda_play *p);
unsigned hda_play_iocs(const struct hda_play *p);

#endif
