/* Unit tests of the minivmm command-line parser cmdline_parse (minivmm/core/cmdline.c). */
#include <stdio.h>
#include <string.h>
#include <minivmm/cmdline.h>
#include <minivmm/netdev.h>
#include "suites.h"

static struct vmm_options o;
static char err[256];

/* Parse with a poisoned err and options, so stale values cannot pass a test. */
static int parse(const char *line)
{
    memset(&o, 0x5a, sizeof(o));
    strcpy(err, "(err not set)");
    return cmdline_parse(line, &o, err, sizeof(err));
}

/* A string of n copies of c (n < 1024), for the length limits. */
static const char *repeat(char c, size_t n)
{
    static char s[1024];
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

START_TEST(test_defaults)
{
    ck_assert_int_eq(parse("minivmm guest.elf"), 0);
    ck_assert(o.stats);
    ck_assert(!o.trace_exits);
    ck_assert(!o.help);
    ck_assert_uint_eq(o.mem_mib, 64);
    ck_assert_str_eq(o.guest, "guest.elf");
    ck_assert_str_eq(o.guest_args, "");
}
END_TEST

START_TEST(test_host_files)
{
    ck_assert_int_eq(parse("minivmm g.elf"), 0);
    ck_assert_str_eq(o.initrd, "");
    ck_assert_str_eq(o.dtb, "");
    ck_assert_str_eq(o.dtb_out, "");
    ck_assert_int_eq(parse("minivmm initrd=rd.cpio dtb=my.dtb dtb-out=build/out.dtb zImage console=ttyAMA0"),
                     0);
    ck_assert_str_eq(o.initrd, "rd.cpio");
    ck_assert_str_eq(o.dtb, "my.dtb");
    ck_assert_str_eq(o.dtb_out, "build/out.dtb");
    ck_assert_str_eq(o.guest, "zImage");
    ck_assert_str_eq(o.guest_args, "console=ttyAMA0");
    /* After the guest's name, dtb= belongs to the guest. */
    ck_assert_int_eq(parse("minivmm g.elf dtb=x"), 0);
    ck_assert_str_eq(o.dtb, "");
    ck_assert_str_eq(o.guest_args, "dtb=x");
    for (const char *bad = "dtb= initrd= dtb-out="; *bad;) {
        char line[64];
        size_t n = strcspn(bad, " ");
        snprintf(line, sizeof(line), "minivmm %.*s g.elf", (int)n, bad);
        ck_assert_int_eq(parse(line), -1);
        ck_assert_msg(strstr(err, "bad value '' for option") != NULL, "%s: %s", line, err);
        bad += n + (bad[n] == ' ');
    }
}
END_TEST

START_TEST(test_program_name_skipped)
{
    /* The first word is the program name, even if it looks like a guest or an option. */
    ck_assert_int_eq(parse("a.elf b.elf"), 0);
    ck_assert_str_eq(o.guest, "b.elf");
    ck_assert_int_eq(parse("mem=1 g.elf"), 0);
    ck_assert_uint_eq(o.mem_mib, 64);
    ck_assert_int_eq(parse("  \tminivmm \t g.elf  "), 0); /* leading blanks and tabs */
    ck_assert_str_eq(o.guest, "g.elf");
}
END_TEST

START_TEST(test_trace_and_stats)
{
    ck_assert_int_eq(parse("minivmm trace=exits g.elf"), 0);
    ck_assert(o.trace_exits);
    ck_assert_int_eq(parse("minivmm trace=exits trace=none g.elf"), 0); /* last one wins */
    ck_assert(!o.trace_exits);
    ck_assert_int_eq(parse("minivmm stats=off g.elf"), 0);
    ck_assert(!o.stats);
    ck_assert_int_eq(parse("minivmm stats=off stats=on g.elf"), 0);
    ck_assert(o.stats);
    ck_assert_int_eq(parse("minivmm trace=all g.elf"), -1);
    ck_assert_ptr_nonnull(strstr(err, "trace"));
}
END_TEST

START_TEST(test_dcache)
{
    ck_assert_int_eq(parse("minivmm g.elf"), 0);
    ck_assert(o.decode_cache); /* on by default */
    ck_assert_int_eq(parse("minivmm dcache=off g.elf"), 0);
    ck_assert(!o.decode_cache);
    ck_assert_int_eq(parse("minivmm dcache=off dcache=on g.elf"), 0);
    ck_assert(o.decode_cache);
    ck_assert_int_eq(parse("minivmm dcache=1 g.elf"), -1);
    ck_assert_ptr_nonnull(strstr(err, "dcache"));
}
END_TEST

START_TEST(test_idregs)
{
    ck_assert_int_eq(parse("minivmm g.elf"), 0);
    ck_assert(!o.idregs_native); /* trapped by default: lab 1 emulates them */
    ck_assert_int_eq(parse("minivmm idregs=native g.elf"), 0);
    ck_assert(o.idregs_native);
    ck_assert_int_eq(parse("minivmm idregs=native idregs=trap g.elf"), 0);
    ck_assert(!o.idregs_native);
    ck_assert_int_eq(parse("minivmm idregs=on g.elf"), -1);
    ck_assert_ptr_nonnull(strstr(err, "idregs"));
}
END_TEST

START_TEST(test_net)
{
    ck_assert_int_eq(parse("minivmm g.elf"), 0);
    ck_assert_uint_eq(o.net_mode, NET_AUTO); /* the default */
    ck_assert(!o.net_test);
    ck_assert_int_eq(parse("minivmm net=virtio g.elf"), 0);
    ck_assert_uint_eq(o.net_mode, NET_VIRTIO);
    ck_assert_int_eq(parse("minivmm net=virtio net=none g.elf"), 0); /* last one wins */
    ck_assert_uint_eq(o.net_mode, NET_NONE);
    ck_assert_int_eq(parse("minivmm net=none net=auto net-test=on g.elf"), 0);
    ck_assert_uint_eq(o.net_mode, NET_AUTO);
    ck_assert(o.net_test);
    static const char *const bad[] = {"net=bogus", "net=", "net=Virtio", "net=virtio,none", "net-test=yes"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char line[64];
        snprintf(line, sizeof(line), "minivmm %s g.elf", bad[i]);
        ck_assert_msg(parse(line) == -1, "accepted: %s", line);
        ck_assert_msg(strstr(err, "bad value") && strstr(err, "for option net"), "%s: %s", line, err);
    }
    ck_assert_int_eq(parse("minivmm net=bogus g.elf"), -1);
    ck_assert_str_eq(err, "bad value 'bogus' for option net (expected auto|virtio|none)");
}
END_TEST

START_TEST(test_mac_accepted)
{
    static const uint8_t dflt[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    ck_assert_int_eq(parse("minivmm g.elf"), 0);
    ck_assert_mem_eq(o.mac, dflt, 6);
    ck_assert_int_eq(parse("minivmm mac=02:aB:cd:EF:09:ff g.elf"), 0);
    ck_assert_mem_eq(o.mac, "\x02\xab\xcd\xef\x09\xff", 6);
    ck_assert_int_eq(parse("minivmm mac=fe:00:00:00:00:00 g.elf"), 0); /* bit 1 (local) is fine */
    ck_assert_uint_eq(o.mac[0], 0xfe);
}
END_TEST

/* A refused mac= names the option and the form; the multicast and zero
 * addresses say why. The options keep the default. */
static void expect_bad_mac(const char *value, const char *why)
{
    char line[96];
    snprintf(line, sizeof(line), "minivmm mac=%s g.elf", value);
    ck_assert_msg(parse(line) == -1, "accepted: %s", line);
    ck_assert_msg(strstr(err, "for option mac (expected xx:xx:xx:xx:xx:xx)"), "%s: %s", line, err);
    if (why)
        ck_assert_msg(strstr(err, why), "%s: '%s' lacks '%s'", line, err, why);
}

START_TEST(test_mac_refused)
{
    expect_bad_mac("", NULL);
    expect_bad_mac("52:54:00:12:34", NULL);       /* five pairs */
    expect_bad_mac("52:54:00:12:34:56:78", NULL); /* seven */
    expect_bad_mac("52:54:00:12:34:5", NULL);
    expect_bad_mac("52-54-00-12-34-56", NULL);
    expect_bad_mac("5254.0012.3456", NULL);
    expect_bad_mac("52:54:00:12:34:5g", NULL);
    expect_bad_mac("52:54:00:12:3:456", NULL);
    expect_bad_mac(":52:54:00:12:34:5", NULL);
    expect_bad_mac("525400123456abcde", NULL); /* 17 characters, no separators */
    expect_bad_mac("01:00:5e:00:00:01", "multicast");
    expect_bad_mac("ff:ff:ff:ff:ff:ff", "multicast");
    expect_bad_mac("33:33:00:00:00:01", "multicast");
    expect_bad_mac("00:00:00:00:00:00", "all-zero");
}
END_TEST

START_TEST(test_mem_accepted)
{
    ck_assert_int_eq(parse("minivmm mem=1 g.elf"), 0);
    ck_assert_uint_eq(o.mem_mib, 1);
    ck_assert_int_eq(parse("minivmm mem=128 g.elf"), 0);
    ck_assert_uint_eq(o.mem_mib, 128);
    ck_assert_int_eq(parse("minivmm mem=32 g.elf"), 0);
    ck_assert_uint_eq(o.mem_mib, 32);
}
END_TEST

/* Each bad mem= value is refused and the message names the option. */
static void expect_bad_mem(const char *line)
{
    ck_assert_msg(parse(line) == -1, "accepted: %s", line);
    ck_assert_msg(strstr(err, "mem") != NULL, "'%s' -> err '%s' does not name mem", line, err);
}

START_TEST(test_mem_refused)
{
    expect_bad_mem("minivmm mem=0 g.elf");
    expect_bad_mem("minivmm mem=129 g.elf");
    expect_bad_mem("minivmm mem=abc g.elf");
    expect_bad_mem("minivmm mem= g.elf");
    expect_bad_mem("minivmm mem=12x g.elf");
    expect_bad_mem("minivmm mem=-1 g.elf");
    /* Big enough to wrap a 32-bit accumulator back into 1-128. */
    expect_bad_mem("minivmm mem=4294967297 g.elf");
}
END_TEST

START_TEST(test_unknown_option)
{
    ck_assert_int_eq(parse("minivmm colour=blue g.elf"), -1);
    ck_assert_ptr_nonnull(strstr(err, "colour"));
    /* The message teaches: every valid option is listed. */
    ck_assert_ptr_nonnull(strstr(err, "trace="));
    ck_assert_ptr_nonnull(strstr(err, "stats="));
    ck_assert_ptr_nonnull(strstr(err, "mem="));
}
END_TEST

START_TEST(test_unknown_option_small_err)
{
    /* A short err buffer gets a cut, terminated message, never an overflow. */
    char small[20];
    memset(small, 'X', sizeof(small));
    ck_assert_int_eq(cmdline_parse("minivmm colour=blue g.elf", &o, small, 12), -1);
    ck_assert_uint_eq(strlen(small), 11);
    for (size_t i = 12; i < sizeof(small); i++)
        ck_assert_int_eq(small[i], 'X');
}
END_TEST

START_TEST(test_guest_and_args)
{
    ck_assert_int_eq(parse("minivmm stats=off /tmp/k.elf run=demo   verbose\t x"), 0);
    ck_assert_str_eq(o.guest, "/tmp/k.elf");
    ck_assert_str_eq(o.guest_args, "run=demo verbose x"); /* blanks collapse to one space */
    ck_assert(!o.stats);
    /* After the guest, key=value words belong to the guest, not to minivmm. */
    ck_assert_int_eq(parse("minivmm g.elf mem=999 trace=exits"), 0);
    ck_assert_str_eq(o.guest_args, "mem=999 trace=exits");
    ck_assert_uint_eq(o.mem_mib, 64);
    ck_assert(!o.trace_exits);
}
END_TEST

START_TEST(test_no_guest)
{
    ck_assert_int_eq(parse("minivmm"), -1);
    ck_assert_ptr_nonnull(strstr(err, "no guest"));
    ck_assert_int_eq(parse("minivmm trace=exits mem=8"), -1);
    ck_assert_ptr_nonnull(strstr(err, "no guest"));
    ck_assert_int_eq(parse(""), -1);
    ck_assert_ptr_nonnull(strstr(err, "no guest"));
}
END_TEST

START_TEST(test_help)
{
    ck_assert_int_eq(parse("minivmm help"), 0);
    ck_assert(o.help);
    ck_assert_int_eq(parse("minivmm trace=exits --help"), 0);
    ck_assert(o.help);
    /* "help" after the guest is a guest argument. */
    ck_assert_int_eq(parse("minivmm g.elf help"), 0);
    ck_assert(!o.help);
    ck_assert_str_eq(o.guest_args, "help");
}
END_TEST

/* "<prefix><rest>" in a static buffer big enough for any repeat() result. */
static const char *join(const char *prefix, const char *rest)
{
    static char line[2048];
    strcpy(line, prefix);
    strcat(line, rest);
    return line;
}

START_TEST(test_long_path)
{
    /* CMDLINE_PATH_MAX - 1 characters still fit, with the NUL. */
    ck_assert_int_eq(parse(join("minivmm ", repeat('p', CMDLINE_PATH_MAX - 1))), 0);
    ck_assert_uint_eq(strlen(o.guest), CMDLINE_PATH_MAX - 1);
    ck_assert_int_eq(parse(join("minivmm ", repeat('p', CMDLINE_PATH_MAX))), -1);
    ck_assert_ptr_nonnull(strstr(err, "longer"));
    ck_assert_int_eq(parse(join("minivmm ", repeat('p', 1000))), -1);
    /* An over-long option word is refused the same way. */
    ck_assert_int_eq(parse(join("minivmm trace=", repeat('e', 500))), -1);
}
END_TEST

START_TEST(test_long_guest_args)
{
    char args[1024];
    /* Exactly CMDLINE_ARGS_MAX - 1 bytes of arguments fit. */
    strcpy(args, repeat('a', 127));
    strcat(args, " ");
    strcat(args, repeat('b', CMDLINE_ARGS_MAX - 1 - 128));
    ck_assert_int_eq(parse(join("minivmm g.elf ", args)), 0);
    ck_assert_str_eq(o.guest_args, args);
    /* One byte more is refused, in one word or spread over several. */
    ck_assert_int_eq(parse(join("minivmm g.elf ", repeat('w', CMDLINE_ARGS_MAX))), -1);
    strcat(args, "c");
    ck_assert_int_eq(parse(join("minivmm g.elf ", args)), -1);
    args[strlen(args) - 1] = '\0';
    strcat(args, " x");
    ck_assert_int_eq(parse(join("minivmm g.elf ", args)), -1);
    ck_assert_ptr_nonnull(strstr(err, "guest boot arguments"));
    ck_assert_int_eq(parse(join("minivmm g.elf ", repeat('w', 1000))), -1);
}
END_TEST

START_TEST(test_many_short_guest_args)
{
    char line[1024] = "minivmm g.elf";
    for (int i = 0; i < 200; i++) /* 400 bytes of "x " */
        strcat(line, " x");
    ck_assert_int_eq(parse(line), -1);
}
END_TEST

Suite *cmdline_suite(void)
{
    Suite *s = suite_create("cmdline");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_program_name_skipped);
    tcase_add_test(tc, test_host_files);
    tcase_add_test(tc, test_trace_and_stats);
    tcase_add_test(tc, test_dcache);
    tcase_add_test(tc, test_idregs);
    tcase_add_test(tc, test_net);
    tcase_add_test(tc, test_mac_accepted);
    tcase_add_test(tc, test_mac_refused);
    tcase_add_test(tc, test_mem_accepted);
    tcase_add_test(tc, test_mem_refused);
    tcase_add_test(tc, test_unknown_option);
    tcase_add_test(tc, test_unknown_option_small_err);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    tc = tcase_create("guest");
    tcase_add_test(tc, test_guest_and_args);
    tcase_add_test(tc, test_no_guest);
    tcase_add_test(tc, test_long_path);
    tcase_add_test(tc, test_long_guest_args);
    tcase_add_test(tc, test_many_short_guest_args);
    suite_add_tcase(s, tc);
    return s;
}
