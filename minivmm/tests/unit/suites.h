/* Suite constructors of the framework unit tests: one per test_*.c file, collected by test_main.c. */
#ifndef SUITES_H
#define SUITES_H

#include <check.h>

Suite *fmt_suite(void);
Suite *cmdline_suite(void);
Suite *elf_suite(void);
Suite *exits_suite(void);
Suite *fdt_suite(void);
Suite *fdt_read_suite(void);
Suite *alloc_suite(void);
Suite *mmio_suite(void);
Suite *cache_sw_suite(void);
Suite *snapshot_suite(void);
Suite *snapshot_file_suite(void);
Suite *bus_suite(void);
Suite *devices_suite(void);
Suite *netdev_suite(void);
Suite *ne2000_suite(void);
Suite *dev_timer_suite(void);
Suite *hda_suite(void);
Suite *console_escape_suite(void);

#endif
