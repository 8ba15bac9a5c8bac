/* Lab 6: Intel High Definition Audio: the controller's registers, its CORB/RIRB command rings, output stream 0 with its BDL DMA engine, and a one-DAC codec. */
#ifndef DEVICES_HDA_H
#define DEVICES_HDA_H

#include <minivmm/bus.h>
#include <minivmm/dev_timer.h>
#include <minivmm/types.h>

struct snap;
struct vm;

/*
 * BAR0: 16 KiB of memory (HDA 1.0a, section 3.3). One output stream, no
 * input or bidirectional stream, one SDO line, no 64-bit addressing
 * (GCAP 0x1000): the upper-base registers read 0 and an engine whose upper
 * base is not 0 refuses to run (counted), so no DMA ever leaves the low 4 GiB.
 */
#define HDA_MMIO_SIZE 0x4000u

/* Global registers (offset, then width in bytes). */
#define HDA_GCAP      0x00   /* 2 */
#define HDA_VMIN      0x02   /* 1 */
#define HDA_VMAJ      0x03   /* 1 */
#define HDA_OUTPAY    0x04   /* 2 */
#define HDA_INPAY     0x06   /* 2 */
#define HDA_GCTL      0x08   /* 4 */
#define HDA_WAKEEN    0x0c   /* 2 */
#define HDA_STATESTS  0x0e   /* 2, write 1 to clear */
#define HDA_GSTS      0x10   /* 2, write 1 to clear */
#define HDA_INTCTL    0x20   /* 4 */
#define HDA_INTSTS    0x24   /* 4, read only */
#define HDA_WALCLK    0x30   /* 4, read only */
#define HDA_SSYNC     0x38   /* 4 */
#define HDA_CORBLBASE 0x40   /* 4 */
#define HDA_CORBUBASE 0x44   /* 4 */
#define HDA_CORBWP    0x48   /* 2 */
#define HDA_CORBRP    0x4a   /* 2 */
#define HDA_CORBCTL   0x4c   /* 1 */
#define HDA_CORBSTS   0x4d   /* 1 */
#define HDA_CORBSIZE  0x4e   /* 1 */
#define HDA_RIRBLBASE 0x50   /* 4 */
#define HDA_RIRBUBASE 0x54   /* 4 */
#define HDA_RIRBWP    0x58   /* 2 */
#define HDA_RINTCNT   0x5a   /* 2 */
#define HDA_RIRBCTL   0x5c   /* 1 */
#define HDA_RIRBSTS   0x5d   /* 1 */
#define HDA_RIRBSIZE  0x5e   /* 1 */
#define HDA_ICOI      0x60   /* 4 */
#define HDA_IRII      0x64   /* 4 */
#define HDA_ICIS      0x68   /* 2 */
#define HDA_DPLBASE   0x70   /* 4 */
#define HDA_DPUBASE   0x74   /* 4 */
#define HDA_SD0       0x80   /* output stream descriptor 0 */
#define HDA_SD0_ALIAS 0x2080 /* its LPIB again at +4 (0x2084), read only: Linux reads it there */

/* Stream descriptor registers, from its base. */
#define HDA_SD_CTL   0x00 /* 3 */
#define HDA_SD_STS   0x03 /* 1 */
#define HDA_SD_LPIB  0x04 /* 4, read only */
#define HDA_SD_CBL   0x08 /* 4 */
#define HDA_SD_LVI   0x0c /* 2 */
#define HDA_SD_FIFOW 0x0e /* 2 */
#define HDA_SD_FIFOS 0x10 /* 2, read only */
#define HDA_SD_FMT   0x12 /* 2 */
#define HDA_SD_BDPL  0x18 /* 4 */
#define HDA_SD_BDPU  0x1c /* 4 */
#define HDA_SD_SIZE  0x20

/* Fixed values. */
#define HDA_GCAP_VAL     0x1000u /* OSS 1, ISS 0, BSS 0, NSDO 1, no 64OK */
#define HDA_VMAJ_VAL     1u
#define HDA_VMIN_VAL     0u
#define HDA_OUTPAY_VAL   0x3cu /* the spec's reset values */
#define HDA_INPAY_VAL    0x1du
#define HDA_RING_SIZE    0x42u /* CORBSIZE/RIRBSIZE: can do 256 entries only (CAP 0100b), size 10b */
#define HDA_RING_ENTRIES 256u
#define HDA_FIFOS_VAL    0xffu /* a 256-byte FIFO */
#define HDA_WALLCLK_HZ   24000000u

/* Register bits. */
#define HDA_GCTL_CRST       0x001u /* 0: the controller is in reset */
#define HDA_GCTL_FCNTRL     0x002u /* flush: done at once (GSTS.FSTS) */
#define HDA_GCTL_UNSOL      0x100u
#define HDA_GSTS_FSTS       0x02u
#define HDA_INT_GIE         0x80000000u /* INTCTL; in INTSTS the same bit is GIS */
#define HDA_INT_CIE         0x40000000u /* INTCTL; in INTSTS, CIS */
#define HDA_INT_SIE0        0x00000001u /* stream 0; in INTSTS, SIS0 */
#define HDA_CORBRP_RST      0x8000u
#define HDA_RIRBWP_RST      0x8000u
#define HDA_CORBCTL_CMEIE   0x01u
#define HDA_CORBCTL_RUN     0x02u
#define HDA_CORBSTS_CMEI    0x01u /* a memory error: the CORB or RIRB lies outside guest RAM */
#define HDA_RIRBCTL_RINTCTL 0x01u
#define HDA_RIRBCTL_DMAEN   0x02u
#define HDA_RIRBCTL_OIC     0x04u
#define HDA_RIRBSTS_RINTFL  0x01u
#define HDA_RIRBSTS_OIS     0x04u
#define HDA_ICIS_ICB        0x01u /* busy: writing 1 sends ICOI */
#define HDA_ICIS_IRV        0x02u /* IRII holds a response; write 1 to clear */
#define HDA_DPLBASE_EN      0x01u
#define HDA_SD_CTL_SRST     0x000001u
#define HDA_SD_CTL_RUN      0x000002u
#define HDA_SD_CTL_IOCE     0x000004u
#define HDA_SD_CTL_FEIE     0x000008u
#define HDA_SD_CTL_DEIE     0x000010u
#define HDA_SD_CTL_TP       0x040000u
#define HDA_SD_CTL_STRM     0xf00000u /* the stream number, bits 23:20 (0: none) */
#define HDA_SD_CTL_MASK     0xf4001fu /* what CTL keeps */
#define HDA_SD_STS_BCIS     0x04u
#define HDA_SD_STS_FIFOE    0x08u
#define HDA_SD_STS_DESE     0x10u
#define HDA_SD_STS_FIFORDY  0x20u
#define HDA_SD_STS_W1C      (HDA_SD_STS_BCIS | HDA_SD_STS_FIFOE | HDA_SD_STS_DESE)
#define HDA_SD_FMT_MASK     0xff7fu /* bit 7 reserved; bit 15 (non-PCM) kept: hda_fmt_decode refuses it */
#define HDA_BDLE_SIZE       16u     /* address (64), length (32), IOC in bit 0 of the last dword */
#define HDA_BDL_ALIGN       0x7fu   /* BDPL, CORBLBASE, RIRBLBASE, DPLBASE: 128-byte aligned */

/*
 * Codec verbs (HDA 1.0a, section 7.3): a command is CAd (31:28), NID (27:20)
 * and 20 bits of verb: a 12-bit verb (0x7xx set, 0xfxx get) with an 8-bit
 * payload, or a 4-bit verb with a 16-bit payload.
 */
#define HDA_CMD_CAD(c)      ((c) >> 28)
#define HDA_CMD_NID(c)      (((c) >> 20) & 0xffu)
#define HDA_VERB_GET_PARAM  0xf00
#define HDA_VERB_GET_CONN   0xf02
#define HDA_VERB_SET_POWER  0x705
#define HDA_VERB_GET_POWER  0xf05
#define HDA_VERB_SET_STREAM 0x706 /* stream tag 7:4, lowest channel 3:0 */
#define HDA_VERB_GET_STREAM 0xf06
#define HDA_VERB_SET_PIN    0x707
#define HDA_VERB_GET_PIN    0xf07
#define HDA_VERB_SET_EAPD   0x70c
#define HDA_VERB_GET_EAPD   0xf0c
#define HDA_VERB_GET_CONFIG 0xf1c
#define HDA_VERB_GET_SUBSYS 0xf20
#define HDA_VERB4_SET_FMT   0x2 /* 4-bit verbs */
#define HDA_VERB4_SET_AMP   0x3
#define HDA_VERB4_GET_FMT   0xa
#define HDA_VERB4_GET_AMP   0xb

/* The codec: QEMU's hda-output with its mixer (hw/audio/hda-codec.c), what
 * Linux's generic parser accepts: root 0, audio function group 1, DAC 2,
 * line-out pin 3. */
#define HDA_NID_ROOT  0u
#define HDA_NID_AFG   1u
#define HDA_NID_DAC   2u
#define HDA_NID_PIN   3u
#define HDA_CODEC_ID  0x1af40012u /* QEMU's vendor (Red Hat) and "hda-output, mixer" */
#define HDA_AMP_STEPS 0x4au       /* output gain 0..0x4a */

/* The codec's state: what its verbs set. */
struct hda_codec {
    uint16_t fmt;     /* the DAC's converter format (verb 0x2), as SD FMT */
    uint8_t stream;   /* the DAC's stream tag (7:4) and channel (3:0) (verb 0x706) */
    uint8_t amp[2];   /* the DAC's output amp, left and right: mute (bit 7), gain (6:0) */
    uint8_t pin_ctl;  /* the pin's widget control (verb 0x707) */
    uint8_t eapd;     /* the pin's EAPD/BTL enable (verb 0x70c), bits 2:0 */
    uint8_t power[3]; /* the power state set on the AFG, DAC and pin (verb 0x705), 0-3 */
};

/* Output stream 0: its descriptor registers and where its DMA engine is. */
struct hda_stream {
    uint32_t ctl; /* 24 bits */
    uint8_t sts;
    uint8_t lvi;
    uint16_t fifow, fmt;
    uint32_t lpib, cbl, bdpl, bdpu;
    uint8_t bdl_idx;  /* the BDL entry being played */
    uint32_t bdl_off; /* bytes of it already played */
    uint64_t last;    /* guest counter at the last period (while RUN) */
    uint64_t frac;    /* frames owed since, times rate_den * counter Hz (while RUN) */
};

/* What the controller is wired to. */
struct hda_backend {
    /* Guest memory [addr, addr + len) for a DMA, or NULL: outside guest RAM, or
     * bus mastering off. Never the device's own registers (CVE-2021-3611). */
    void *(*dma)(void *ctx, uint32_t addr, uint32_t len);
    void (*irq)(void *ctx, bool level); /* the interrupt output changed level */
    /* Samples the DAC plays, in the stream format fmt (SD FMT's encoding). */
    void (*play)(void *ctx, uint16_t fmt, const uint8_t *data, uint32_t len);
    void *ctx;
};

/* What the VMM counts (not guest state: a snapshot leaves them alone). */
struct hda_stats {
    uint64_t verbs;          /* commands the codec got (CORB and immediate) */
    uint64_t verbs_unknown;  /* answered 0: a verb or node the codec does not have */
    uint64_t verbs_no_codec; /* to a codec address other than 0: no response */
    uint64_t ring_errors;    /* CORB/RIRB refused: outside guest RAM, or an upper base not 0 */
    uint64_t desc_errors;    /* the stream stopped with DESE: a BDL, buffer or format refused */
    uint64_t high_dma;       /* of those, an upper base (BDPU, CORBUBASE, RIRBUBASE, DPUBASE) not 0 */
    uint64_t posbuf_errors;  /* position buffer writes refused */
    uint64_t bytes_played;   /* given to the DAC's output */
    uint64_t bytes_muted;    /* consumed, not played: stream tag or format not the DAC's */
    uint64_t late_ticks;     /* guest counter ticks skipped: a period came more than 50 ms late */
    uint64_t no_master;      /* DMA refused: PCI bus mastering off */
};

/*
 * Everything the guest can observe (what a snapshot holds), then the wiring
 * and the statistics. Invariants the model keeps (a restore checks them):
 * CORBRP, RIRBWP and the BDL index are 8-bit; irq_level is hda_irq_pending();
 * the stream's timer is armed exactly while CTL.RUN is set; while GCTL.CRST
 * is 0 every other register holds its reset value.
 */
struct hda {
    uint32_t gctl;
    uint16_t wakeen, statests, gsts;
    uint32_t intctl, ssync;
    uint64_t wall_base; /* guest counter when WALCLK was 0 */
    uint32_t corb_lbase, corb_ubase, rirb_lbase, rirb_ubase;
    uint8_t corbwp, corbrp, corbctl, corbsts;
    bool corbrp_rst; /* CORBRP bit 15 as the guest last wrote it */
    uint8_t rirbwp, rintcnt, rirbctl, rirbsts;
    uint8_t rirb_count; /* responses written since RINTFL was last set */
    uint32_t icoi, irii;
    uint16_t icis;
    uint32_t dplbase, dpubase;
    struct hda_stream sd;
    struct hda_codec codec;
    bool irq_level; /* the last level given to backend.irq */
    /* Wiring. */
    struct dev_timer timer; /* the stream's next period; fire calls hda_stream_period */
    struct vm *vm;          /* whose guest counter paces the stream */
    struct hda_backend backend;
    struct hda_stats stats;
};

/* The snapshot section's format version (hda_snapshot). */
#define HDA_SNAP_VERSION 1u

/* A stream format (SD FMT, the DAC's converter format) decoded. */
struct hda_pcm {
    uint32_t rate_num, rate_den; /* sample rate = rate_num / rate_den Hz */
    unsigned bits;               /* 8, 16, 20, 24 or 32 */
    unsigned container;          /* bytes a sample takes in memory: 1, 2 or 4 */
    unsigned channels;           /* 1-16 */
    unsigned frame;              /* bytes of one sample of every channel */
};

/* ---- Lab 6 student functions, Task 2 (devices/hda_codec.c). */
extern const bool lab6_hda_enabled; /* false in the skeleton: no sound card for the guest */
/* Power-on state of the codec: format 0, stream 0, amps muted at gain 0, pin
 * control OUT enabled (0x40), EAPD 0, every node in D0. */
void hda_codec_reset(struct hda_codec *c);
/* One command (CAd, NID, verb): true with the response in *resp, or false
 * when no codec is at its address (only codec 0 exists; counted). An unknown
 * verb or node answers 0 (counted). Counts every command in h->stats. */
bool hda_codec_verb(struct hda *h, uint32_t cmd, uint32_t *resp);
/* Does the DAC play a stream with this stream number (1-15) and format? */
bool hda_codec_routes(const struct hda_codec *c, unsigned stream, uint16_t fmt);

/* ---- Lab 6 student functions, Task 1 (devices/hda_rings.c): CORB, RIRB, immediate commands. */
/* Power-on (and controller reset) state of 0x40-0x6b: every register 0. */
void hda_rings_reset(struct hda *h);
/* A register at reg (HDA_CORBLBASE..HDA_ICIS, a register's offset), read
 * whole; a write gives the register's new bits in val where mask is set
 * (the bytes the guest wrote). Writing CORBWP, CORBCTL.RUN or RIRBCTL.DMAEN
 * sends the commands queued; each response goes into the RIRB at once. */
uint32_t hda_rings_read(struct hda *h, unsigned reg);
void hda_rings_write(struct hda *h, unsigned reg, uint32_t val, uint32_t mask);

/* ---- Lab 6 student functions, Task 3 (devices/hda_stream.c): output stream 0. */
/* Power-on (and controller reset) state: every register 0 (FIFOW 4), stopped, no timer. */
void hda_stream_reset(struct hda *h);
/* A stream descriptor register at reg (HDA_SD_*), as hda_rings_read/write. */
uint32_t hda_stream_read(struct hda *h, unsigned reg);
void hda_stream_write(struct hda *h, unsigned reg, uint32_t val, uint32_t mask);
/* The timer fired at guest counter now: play what the stream owes since its
 * last period (its rate on the guest's clock), then arm the next period. */
void hda_stream_period(struct hda *h, uint64_t now);

/* ---- Framework (devices/hda_dev.c). */
/* Power-on state of the whole controller, with the backend stored (its
 * callbacks may be NULL) and the timer wired to vm. */
void hda_reset(struct hda *h, struct vm *vm, const struct hda_backend *b);
/* One access to BAR0 (dev is the struct hda): 1, 2 or 4 bytes, aligned;
 * registers the access covers part of are read or written in part. */
enum bus_result hda_access(void *dev, struct bus_req *req);
/* INTSTS as the registers make it, and whether the interrupt is asserted. */
uint32_t hda_intsts(const struct hda *h);
bool hda_irq_pending(const struct hda *h);
/* Recompute the interrupt output and tell the backend when it changes. */
void hda_update_irq(struct hda *h);
/* Decode a stream format: false for non-PCM or a reserved field. */
bool hda_fmt_decode(uint16_t fmt, struct hda_pcm *p);
/* DMA through the backend: NULL (counted) when refused. */
void *hda_dma(struct hda *h, uint32_t addr, uint32_t len);
/* Little-endian loads and stores in guest memory. */
uint32_t hda_le32(const uint8_t *p);
void hda_put_le32(uint8_t *p, uint32_t v);

/* ---- Framework (devices/hda_snapshot.c). */
/* Save or restore every guest-visible field; a restore refuses a state the
 * model could not have reached, and re-arms the stream's timer. */
void hda_snapshot(struct hda *h, struct snap *s);
void hda_print_stats(const struct hda *h);
extern const struct bus_ops hda_bus_ops;

#endif
