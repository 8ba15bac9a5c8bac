/* What lab 5's unit-test files share: each adds its Check test cases to the lab's suite. */
#ifndef LAB5_TESTS_H
#define LAB5_TESTS_H

#include <check.h>

void lab5_pci_tcases(Suite *s);    /* test_pci.c: pci_cfg, pci_host */
void lab5_ne2000_tcases(Suite *s); /* test_ne2000.c: ne2000_regs, _dma, _tx, _rx, _hostile */

#endif
