/* Unit tests of the console escape (core/console_escape.c): bytes for the guest, Ctrl-] Ctrl-], line editing, the commands and their limits. */
#include <check.h>
#include <string.h>
#include "host_stubs.h"
#include "suites.h"
#include <minivmm/console_escape.h>
#include <minivmm/vm.h>

static struct vm vm;

static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
    console_reset();
    host_console_input = NULL;
}

/* Feed s (len bytes) to the escape; the bytes it passes to the guest go to out. */
static size_t feed_n(const char *s, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int c = console_escape_byte(&vm, (unsigned char)s[i]);
        if (c >= 0 && out)
            out[n++] = (char)c;
    }
    if (out)
        out[n] = '\0';
    return n;
}

static size_t feed(const char *s, char *out)
{
    return feed_n(s, strlen(s), out);
}

static bool said(const char *text)
{
    return strstr(console_buf, text) != NULL;
}

START_TEST(test_plain_bytes_pass)
{
    static const char bytes[] = {'a', '\r', '\n', 0x00, 0x03, 0x7f, (char)0xff, 0x1c};
    char out[16];
    ck_assert_uint_eq(feed_n(bytes, sizeof(bytes), out), sizeof(bytes));
    ck_assert_mem_eq(out, bytes, sizeof(bytes));
    ck_assert_uint_eq(console_len, 0); /* nothing printed */
}
END_TEST

START_TEST(test_double_escape_is_literal)
{
    char out[8];
    ck_assert_uint_eq(feed("\x1d\x1d"
                           "b",
                           out),
                      2);
    ck_assert_str_eq(out, "\x1d"
                          "b");
    ck_assert(said("minivmm> "));
    ck_assert(!vm.quit_requested && !vm.console_snapshot[0]);
}
END_TEST

START_TEST(test_snapshot_command)
{
    char out[8];
    ck_assert_uint_eq(feed("\x1dsnapshot f.snap\r\nx", out), 1);
    ck_assert_str_eq(out, "x"); /* the LF of CR LF is dropped, then bytes pass again */
    ck_assert_str_eq(vm.console_snapshot, "f.snap");
    ck_assert(vm.watch && vm_console_request(&vm));
    ck_assert(!vm.quit_requested);
    ck_assert(said("minivmm> snapshot f.snap"));
}
END_TEST

START_TEST(test_snapshot_refusals)
{
    char line[CONSOLE_ESCAPE_LINE];
    feed("\x1dsnapshot   \r", NULL);
    ck_assert(said("snapshot needs a host file"));
    memset(line, 'p', sizeof(line));
    memcpy(line, "\x1dsnapshot ", 10);
    line[sizeof(line) - 2] = '\r'; /* a line that fits, with a 260-byte path */
    feed_n(line, sizeof(line) - 1, NULL);
    ck_assert(said("the file name is too long (at most 255 characters)"));
    ck_assert(!vm_console_request(&vm) && !vm.watch);
}
END_TEST

START_TEST(test_quit_command)
{
    ck_assert_uint_eq(feed("\x1d  quit \r", NULL), 0);
    ck_assert(vm.quit_requested && vm.watch && vm_console_request(&vm));
}
END_TEST

START_TEST(test_backspace_edits)
{
    /* DEL and BS erase; on an empty line they do nothing */
    ck_assert_uint_eq(feed("\x1d\x7fsnap\x7f\x7fquix\bt\r", NULL), 0);
    ck_assert(!vm.console_snapshot[0]);
    ck_assert(said("unknown command 'snquit'"));
    console_reset();
    feed("\x1dqu\x08\x08\x08quit\r", NULL);
    ck_assert(vm.quit_requested);
    ck_assert(said("\b \b"));
}
END_TEST

START_TEST(test_overlong_line_refused)
{
    char out[8];
    feed("\x1dquit", NULL);
    for (int i = 0; i < 3 * CONSOLE_ESCAPE_LINE; i++)
        ck_assert_int_eq(console_escape_byte(&vm, 'a'), -1);
    ck_assert_uint_lt(vm.escape.len, sizeof(vm.escape.line));
    ck_assert(said("\a"));
    ck_assert_uint_eq(feed("\ry", out), 1);
    ck_assert_str_eq(out, "y");
    ck_assert(said("command line too long (at most 271 characters): not run"));
    ck_assert(!vm.quit_requested);
    feed("\x1dquit\r", NULL); /* the next line starts afresh */
    ck_assert(vm.quit_requested);
}
END_TEST

START_TEST(test_unknown_and_arguments)
{
    feed("\x1d"
         "bogus arg\r",
         NULL);
    ck_assert(said("minivmm: unknown command 'bogus' (help lists them)"));
    feed("\x1dquit now\r", NULL);
    ck_assert(said("minivmm: quit takes no argument"));
    ck_assert(!vm.quit_requested);
}
END_TEST

START_TEST(test_abandon_and_empty_line)
{
    char out[8];
    ck_assert_uint_eq(feed("\x1dquit\x03z", out), 1);
    ck_assert_str_eq(out, "z");
    ck_assert_uint_eq(feed("\x1dq\x1dz", out), 1); /* Ctrl-] after a character abandons too */
    ck_assert_str_eq(out, "z");
    ck_assert_uint_eq(feed("\x1d\rz", out), 1);
    ck_assert_str_eq(out, "z");
    ck_assert(!vm.quit_requested && !said("minivmm: "));
}
END_TEST

START_TEST(test_help_and_stats)
{
    feed("\x1dhelp\r", NULL);
    ck_assert(said("snapshot <file>") && said("stats") && said("quit") && said("help, ?"));
    console_reset();
    feed("\x1d?\r", NULL);
    ck_assert(said("snapshot <file>"));
    vm.vcpu.stats.total = 42;
    feed("\x1dstats\r", NULL);
    ck_assert(said("minivmm: statistics at exit 42:") && said("minivmm: 42 exits:"));
}
END_TEST

START_TEST(test_getc_through_escape)
{
    host_console_input = "\x1dquit\rab";
    ck_assert_int_eq(console_escape_getc(&vm), 'a');
    ck_assert(vm.quit_requested);
    ck_assert_int_eq(console_escape_getc(&vm), 'b');
    ck_assert_int_eq(console_escape_getc(&vm), -1);
    host_console_input = "\x1dstats";
    ck_assert_int_eq(console_escape_getc(&vm), -1); /* all taken by the escape */
}
END_TEST

Suite *console_escape_suite(void)
{
    Suite *s = suite_create("console_escape");
    TCase *tc = tcase_create("escape");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_plain_bytes_pass);
    tcase_add_test(tc, test_double_escape_is_literal);
    tcase_add_test(tc, test_snapshot_command);
    tcase_add_test(tc, test_snapshot_refusals);
    tcase_add_test(tc, test_quit_command);
    tcase_add_test(tc, test_backspace_edits);
    tcase_add_test(tc, test_overlong_line_refused);
    tcase_add_test(tc, test_unknown_and_arguments);
    tcase_add_test(tc, test_abandon_and_empty_line);
    tcase_add_test(tc, test_help_and_stats);
    tcase_add_test(tc, test_getc_through_escape);
    suite_add_tcase(s, tc);
    return s;
}
