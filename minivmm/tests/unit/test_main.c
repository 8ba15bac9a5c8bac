/* Entry point of the framework unit tests: runs every suite of suites.h in one Check runner. */
#include <stdlib.h>
#include "suites.h"

int main(void)
{
    /* One runner for all suites, so Check prints a single summary line. */
    SRunner *sr = srunner_create(fmt_suite());
    srunner_add_suite(sr, cmdline_suite());
    srunner_add_suite(sr, elf_suite());
    srunner_add_suite(sr, exits_suite());
    srunner_add_suite(sr, fdt_suite());
    srunner_add_suite(sr, fdt_read_suite());
    srunner_add_suite(sr, alloc_suite());
    srunner_add_suite(sr, mmio_suite());
    srunner_add_suite(sr, cache_sw_suite());
    srunner_add_suite(sr, snapshot_suite());
    srunner_add_suite(sr, snapshot_file_suite());
    srunner_add_suite(sr, bus_suite());
    srunner_add_suite(sr, devices_suite());
    srunner_add_suite(sr, netdev_suite());
    srunner_add_suite(sr, ne2000_suite());
    srunner_add_suite(sr, dev_timer_suite());
    srunner_add_suite(sr, hda_suite());
    srunner_add_suite(sr, console_escape_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr); /* failures and errors both count */
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
