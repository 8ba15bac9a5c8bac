/* Fuzzes cmdline_parse (minivmm/core/cmdline.c): the command line a user gives minivmm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/cmdline.h>
#include "fuzz.h"

/* A field of the options must be a C string inside its array. */
#define CHECK_STR(field) FUZZ_CHECK(memchr((field), '\0', sizeof(field)) != NULL, #field " is not terminated")

/* The options written back as a command line, which must parse to the same
 * options: what the parser keeps is what it understood. */
static void reparse(const struct vmm_options *o)
{
    static char line[6 * CMDLINE_PATH_MAX + CMDLINE_ARGS_MAX + 256];
    struct vmm_options again;
    char err[256];
    int n = snprintf(line, sizeof(line), "minivmm trace=%s stats=%s mem=%u dcache=%s idregs=%s",
                     o->trace_exits ? "exits" : "none", o->stats ? "on" : "off", o->mem_mib,
                     o->decode_cache ? "on" : "off", o->idregs_native ? "native" : "trap");
    if (o->initrd[0])
        n += snprintf(line + n, sizeof(line) - (size_t)n, " initrd=%s", o->initrd);
    if (o->dtb[0])
        n += snprintf(line + n, sizeof(line) - (size_t)n, " dtb=%s", o->dtb);
    if (o->dtb_out[0])
        n += snprintf(line + n, sizeof(line) - (size_t)n, " dtb-out=%s", o->dtb_out);
    if (o->snapshot_test_at)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " snapshot-test=%llu",
                      (unsigned long long)o->snapshot_test_at);
    if (o->snapshot[0] && o->snapshot_at)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " snapshot=%s snapshot-at=%llu", o->snapshot,
                      (unsigned long long)o->snapshot_at);
    else if (o->snapshot[0])
        n += snprintf(line + n, sizeof(line) - (size_t)n, " snapshot=%s snapshot-at=guest", o->snapshot);
    if (o->restore[0])
        n += snprintf(line + n, sizeof(line) - (size_t)n, " restore=%s", o->restore);
    snprintf(line + n, sizeof(line) - (size_t)n, " %s %s", o->guest, o->guest_args);
    FUZZ_CHECK(cmdline_parse(line, &again, err, sizeof(err)) == 0, "'%s' is refused: %s", line, err);
    FUZZ_CHECK(again.trace_exits == o->trace_exits && again.stats == o->stats &&
                   again.decode_cache == o->decode_cache && again.idregs_native == o->idregs_native &&
                   again.help == o->help && again.mem_mib == o->mem_mib &&
                   again.snapshot_test_at == o->snapshot_test_at && !strcmp(again.guest, o->guest) &&
                   !strcmp(again.initrd, o->initrd) && !strcmp(again.dtb, o->dtb) &&
                   !strcmp(again.dtb_out, o->dtb_out) && !strcmp(again.guest_args, o->guest_args) &&
                   !strcmp(again.snapshot, o->snapshot) && again.snapshot_at == o->snapshot_at &&
                   again.snapshot_when == o->snapshot_when && !strcmp(again.restore, o->restore),
               "'%s' parses to other options", line);
}

/* Input: one byte, the size of the caller's message buffer (0-255: main.c's is
 * 256, short ones check the truncation), then the line itself. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fuzz_host_reset();
    size_t errlen = data[0];
    /* Exact-size heap copies: ASan catches a byte read or written past either. */
    char *line = malloc(size), *err = malloc(errlen ? errlen : 1);
    memcpy(line, data + 1, size - 1);
    line[size - 1] = '\0';
    struct vmm_options o;
    if (cmdline_parse(line, &o, err, errlen)) {
        FUZZ_CHECK(!errlen || memchr(err, '\0', errlen), "the message is not terminated inside its buffer");
    } else if (!o.help) {
        CHECK_STR(o.guest);
        CHECK_STR(o.initrd);
        CHECK_STR(o.dtb);
        CHECK_STR(o.dtb_out);
        CHECK_STR(o.guest_args);
        CHECK_STR(o.snapshot);
        CHECK_STR(o.restore);
        /* restore= alone stands in for the guest; snapshot= comes with snapshot-at=. */
        FUZZ_CHECK((o.guest[0] || (o.restore[0] && !o.guest_args[0])) && !strpbrk(o.guest, " \t"),
                   "guest image '%s' (restore '%s', arguments '%s')", o.guest, o.restore, o.guest_args);
        FUZZ_CHECK(!o.snapshot[0] == !o.snapshot_when, "snapshot '%s' without snapshot-at, or the reverse",
                   o.snapshot);
        FUZZ_CHECK(o.mem_mib >= 1 && o.mem_mib <= GUEST_RAM_MAX_MIB, "mem=%u", o.mem_mib);
        reparse(&o);
    }
    free(line);
    free(err);
    return 0;
}
