/* The minivmm command line: `minivmm [option=value ...] guest.elf [guest boot arguments ...]`. */
#ifndef MINIVMM_CMDLINE_H
#define MINIVMM_CMDLINE_H

#include "types.h"

#define CMDLINE_PATH_MAX 256
#define CMDLINE_ARGS_MAX 256

struct vmm_options {
    bool trace_exits;                /* trace=exits: print every exit */
    bool stats;                      /* stats=on|off: exit statistics at shutdown */
    bool decode_cache;               /* dcache=on|off: keep decoded MMIO instructions (lab 3) */
    bool idregs_native;              /* idregs=native: the guest reads the CPU's ID registers, no exit */
    bool help;                       /* help: print usage and stop */
    bool net_test;                   /* net-test=on: check the host NIC with an ARP request at start */
    bool snapshot_when;              /* snapshot-at= given (an exit, or "guest": when the guest asks) */
    uint8_t net_mode;                /* net=auto|virtio|none: enum net_mode (netdev.h) */
    uint8_t mac[6];                  /* mac=: the guest network card's address (unicast) */
    uint32_t mem_mib;                /* mem=<MiB>: guest RAM size */
    uint64_t snapshot_test_at;       /* snapshot-test=<exit>: save, reset, restore at that exit (0: never) */
    uint64_t snapshot_at;            /* snapshot-at=<exit>: write snapshot= then (0: when the guest asks) */
    char guest[CMDLINE_PATH_MAX];    /* host path of the guest ELF or zImage ("" with restore= alone) */
    char initrd[CMDLINE_PATH_MAX];   /* initrd=<path>: an initramfs for a Linux guest, or "" */
    char dtb[CMDLINE_PATH_MAX];      /* dtb=<path>: the guest's device tree instead of minivmm's, or "" */
    char dtb_out[CMDLINE_PATH_MAX];  /* dtb-out=<path>: write the guest's device tree there, or "" */
    char snapshot[CMDLINE_PATH_MAX]; /* snapshot=<path>: where a snapshot file goes, or "" */
    char restore[CMDLINE_PATH_MAX];  /* restore=<path>: start from this snapshot file, or "" */
    char audio[CMDLINE_PATH_MAX];    /* audio=<file>.wav: where the sound card's output goes, or "" */
    char guest_args[CMDLINE_ARGS_MAX]; /* the rest, passed to the guest as bootargs */
};

/* Parse a whole command line (the first word is the program name and is
 * skipped). Returns 0, or -1 with a message in err naming the problem and,
 * for an unknown option, listing the valid ones. */
int cmdline_parse(const char *line, struct vmm_options *o, char *err, size_t errlen);
/* Print the usage text with every option. */
void cmdline_usage(void);

#endif
