/* Command-line parsing: a table of `key=value` options, then the guest ELF path and its boot arguments. */
#include <minivmm/cmdline.h>
#include <minivmm/console.h>
#include <minivmm/netdev.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>

struct option {
    const char *key;
    const char *values; /* shown in the usage text */
    const char *help;
    /* Apply value v; returns 0, or -1 if v is not valid for this option. */
    int (*apply)(struct vmm_options *o, const char *v);
};

/* An option with two values: *flag = false for the first, true for the second. */
static int one_of_two(const char *v, const char *no, const char *yes, bool *flag)
{
    if (!strcmp(v, yes))
        *flag = true;
    else if (!strcmp(v, no))
        *flag = false;
    else
        return -1;
    return 0;
}

static int opt_trace(struct vmm_options *o, const char *v)
{
    return one_of_two(v, "none", "exits", &o->trace_exits);
}

static int on_off(const char *v, bool *flag)
{
    return one_of_two(v, "off", "on", flag);
}

static int opt_stats(struct vmm_options *o, const char *v)
{
    return on_off(v, &o->stats);
}

static int opt_dcache(struct vmm_options *o, const char *v)
{
    return on_off(v, &o->decode_cache);
}

/* trap: every ID-register read exits to lab 1's handler (the default: the
 * lab 1 tests check it); native: the guest reads them without an exit, which
 * spares Linux an exit for each cache-line-size (CTR) read. */
static int opt_idregs(struct vmm_options *o, const char *v)
{
    return one_of_two(v, "trap", "native", &o->idregs_native);
}

static int opt_mem(struct vmm_options *o, const char *v)
{
    uint32_t n = 0;
    if (!*v)
        return -1;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > GUEST_RAM_MAX_MIB)
            return -1;
        n = n * 10 + (uint32_t)(*v - '0');
    }
    if (n < 1 || n > GUEST_RAM_MAX_MIB)
        return -1;
    o->mem_mib = n;
    return 0;
}

/* An exit number: a positive decimal number below 2^32; 0 if v is none. */
static uint64_t exit_number(const char *v)
{
    uint64_t n = 0;
    if (!*v)
        return 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return 0;
        n = n * 10 + (uint64_t)(*v - '0');
        if (n > UINT32_MAX)
            return 0;
    }
    return n;
}

static int opt_snapshot_test(struct vmm_options *o, const char *v)
{
    o->snapshot_test_at = exit_number(v);
    return o->snapshot_test_at ? 0 : -1;
}

/* An exit number, or "guest": no exit of its own, only when the guest asks (MV_HC_TEST_SNAPSHOT). */
static int opt_snapshot_at(struct vmm_options *o, const char *v)
{
    bool guest = !strcmp(v, "guest");
    o->snapshot_at = guest ? 0 : exit_number(v);
    o->snapshot_when = guest || o->snapshot_at;
    return o->snapshot_when ? 0 : -1;
}

/* Why an apply function refused a value, when the option's "expected ..."
 * alone would not say (set by that function, reset before each option). */
static const char *refusal;

static int opt_net(struct vmm_options *o, const char *v)
{
    static const char *const modes[] = {[NET_AUTO] = "auto", [NET_VIRTIO] = "virtio", [NET_NONE] = "none"};
    for (unsigned i = 0; i < ARRAY_SIZE(modes); i++)
        if (!strcmp(v, modes[i])) {
            o->net_mode = (uint8_t)i;
            return 0;
        }
    return -1;
}

static int opt_net_test(struct vmm_options *o, const char *v)
{
    return on_off(v, &o->net_test);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Six pairs of hex digits separated by ':'; a card's own address is unicast
 * (a multicast address, bit 0 of the first byte set, names a group) and not zero. */
static int opt_mac(struct vmm_options *o, const char *v)
{
    uint8_t mac[6];
    if (strlen(v) != 17)
        return -1;
    for (int i = 0; i < 6; i++) {
        int hi = hex_digit(v[3 * i]), lo = hex_digit(v[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && v[3 * i + 2] != ':'))
            return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    if (mac[0] & 1) {
        refusal = "a multicast address (bit 0 of the first byte set) cannot be a card's own";
        return -1;
    }
    if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
        refusal = "the all-zero address is not a card's";
        return -1;
    }
    memcpy(o->mac, mac, sizeof(mac));
    return 0;
}

/* A host path into one of the options' path fields. */
static int set_path(char *field, const char *v)
{
    if (!*v || strlen(v) >= CMDLINE_PATH_MAX)
        return -1;
    memcpy(field, v, strlen(v) + 1);
    return 0;
}

static int opt_initrd(struct vmm_options *o, const char *v)
{
    return set_path(o->initrd, v);
}
static int opt_dtb(struct vmm_options *o, const char *v)
{
    return set_path(o->dtb, v);
}
static int opt_dtb_out(struct vmm_options *o, const char *v)
{
    return set_path(o->dtb_out, v);
}
static int opt_snapshot(struct vmm_options *o, const char *v)
{
    return set_path(o->snapshot, v);
}
static int opt_restore(struct vmm_options *o, const char *v)
{
    return set_path(o->restore, v);
}
/* A .wav name only: minivmm replaces the file, so a slip (audio=guest.elf) must not cost one. */
static int opt_audio(struct vmm_options *o, const char *v)
{
    size_t n = strlen(v);
    if (n < 5 || strcmp(v + n - 4, ".wav"))
        return -1;
    return set_path(o->audio, v);
}

static const struct option options[] = {
    {"trace", "exits|none", "print one line per guest exit", opt_trace},
    {"stats", "on|off", "print exit statistics when the guest stops (default on)", opt_stats},
    {"mem", "1-128", "guest RAM in MiB (default 64)", opt_mem},
    {"dcache", "on|off", "cache decoded MMIO instructions (lab 3, default on)", opt_dcache},
    {"idregs", "trap|native", "ID registers: trap each read (lab 1, default) or let the guest read the CPU's",
     opt_idregs},
    {"initrd", "<path>", "an initramfs for a Linux guest (a host file)", opt_initrd},
    {"dtb", "<path>", "the guest's device tree (a DTB whose memory is guest RAM) instead of minivmm's",
     opt_dtb},
    {"dtb-out", "<path>", "write the guest's device tree to this host file (dtc -I dtb reads it)",
     opt_dtb_out},
    {"snapshot-test", "<exit>", "at that exit, save the VM, reset it, restore it and check (a self-test)",
     opt_snapshot_test},
    {"snapshot", "<path>",
     "write a snapshot file of the whole VM (guest RAM too) here, at snapshot-at=", opt_snapshot},
    {"snapshot-at", "<exit>|guest",
     "when: once that exit is handled, or each time the guest asks (hypercall); the guest goes on",
     opt_snapshot_at},
    {"restore", "<path>",
     "start from this snapshot file: the guest image (optional) is read for a guest reset, not loaded",
     opt_restore},
    {"net", "auto|virtio|none",
     "the guest NIC's host side: QEMU's virtio-net-device if any (default), required (virtio), or no link",
     opt_net},
    {"mac", "xx:xx:xx:xx:xx:xx", "the guest NIC's unicast address (default 52:54:00:12:34:56)", opt_mac},
    {"net-test", "on|off",
     "at start, ARP for 10.0.2.2 through the host NIC and print the reply (a self-test)", opt_net_test},
    {"audio", "<file>.wav", "write what the sound card plays (lab 6) to this host file (replaced)",
     opt_audio},
};

void cmdline_usage(void)
{
    printk("usage: minivmm [option=value ...] guest.elf [guest boot arguments ...]\n"
           "       minivmm [option=value ...] restore=<path> [guest.elf [guest boot arguments ...]]\n"
           "options:\n");
    char opt[40];
    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        mv_snprintf(opt, sizeof(opt), "%s=%s", options[i].key, options[i].values);
        printk("  %-18s %s\n", opt, options[i].help);
    }
    printk("  %-18s %s\n", "help", "print this text");
}

/* Copy the next space-separated word of *p into w; returns its length (0 at the end). */
static size_t next_word(const char **p, char *w, size_t wsize, bool *too_long)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = 0;
    *too_long = false;
    while (*s && *s != ' ' && *s != '\t') {
        if (n + 1 < wsize)
            w[n] = *s;
        else
            *too_long = true;
        n++;
        s++;
    }
    w[n < wsize ? n : wsize - 1] = '\0';
    *p = s;
    return n;
}

static void list_options(char *err, size_t errlen, const char *word)
{
    int n = mv_snprintf(err, errlen, "unknown option '%s'; valid options:", word);
    for (size_t i = 0; i < ARRAY_SIZE(options) && n >= 0 && (size_t)n < errlen; i++)
        n += mv_snprintf(err + n, errlen - (size_t)n, " %s=%s", options[i].key, options[i].values);
    if (n >= 0 && (size_t)n < errlen)
        mv_snprintf(err + n, errlen - (size_t)n, " help");
}

/* Apply one key=value word; returns 0 or -1 with err set. */
static int apply_option(struct vmm_options *o, char *word, char *err, size_t errlen)
{
    char *eq = strchr(word, '=');
    *eq = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        if (strcmp(word, options[i].key))
            continue;
        refusal = NULL;
        if (options[i].apply(o, eq + 1) == 0)
            return 0;
        mv_snprintf(err, errlen, "bad value '%s' for option %s (expected %s)%s%s", eq + 1, word,
                    options[i].values, refusal ? ": " : "", refusal ? refusal : "");
        return -1;
    }
    *eq = '=';
    list_options(err, errlen, word);
    return -1;
}

/* Append the words left in p, separated by single spaces, as the guest's boot arguments. */
static int copy_guest_args(const char *p, struct vmm_options *o, char *err, size_t errlen)
{
    char word[CMDLINE_ARGS_MAX];
    size_t used = 0;
    bool too_long;
    while (next_word(&p, word, sizeof(word), &too_long)) {
        size_t n = strlen(word);
        if (too_long || used + n + (used ? 1 : 0) >= sizeof(o->guest_args)) {
            mv_snprintf(err, errlen, "guest boot arguments longer than %d bytes", CMDLINE_ARGS_MAX - 1);
            return -1;
        }
        if (used)
            o->guest_args[used++] = ' ';
        memcpy(o->guest_args + used, word, n + 1);
        used += n;
    }
    return 0;
}

/* Options that only make sense together; restore= stands in for the guest image. */
static int check_together(const struct vmm_options *o, bool have_guest, char *err, size_t errlen)
{
    const char *why = NULL;
    if (*o->snapshot && !o->snapshot_when)
        why = "snapshot= needs snapshot-at=<exit>|guest: when to write the file";
    else if (o->snapshot_when && !*o->snapshot)
        why = "snapshot-at= needs snapshot=<path>: the host file to write";
    else if (!have_guest && !*o->restore)
        why = "no guest image given (usage: minivmm [option=value ...] guest.elf)";
    if (why)
        mv_snprintf(err, errlen, "%s", why);
    return why ? -1 : 0;
}

int cmdline_parse(const char *line, struct vmm_options *o, char *err, size_t errlen)
{
    *o = (struct vmm_options){.stats = true,
                              .decode_cache = true,
                              .mem_mib = GUEST_RAM_DEFAULT_MIB,
                              .net_mode = NET_AUTO,
                              .mac = {NETDEV_MAC_DEFAULT}};
    char word[CMDLINE_PATH_MAX];
    bool too_long;
    const char *p = line;
    next_word(&p, word, sizeof(word), &too_long); /* program name */
    for (;;) {
        if (!next_word(&p, word, sizeof(word), &too_long))
            break;
        if (too_long) {
            mv_snprintf(err, errlen, "argument longer than %d bytes", CMDLINE_PATH_MAX - 1);
            return -1;
        }
        if (!strcmp(word, "help") || !strcmp(word, "--help")) {
            o->help = true;
            return 0;
        }
        if (!strchr(word, '=')) { /* the first word that is not an option: the guest */
            memcpy(o->guest, word, strlen(word) + 1);
            if (check_together(o, true, err, errlen))
                return -1;
            return copy_guest_args(p, o, err, errlen);
        }
        if (apply_option(o, word, err, errlen))
            return -1;
    }
    return check_together(o, false, err, errlen);
}
