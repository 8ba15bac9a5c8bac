/* Lab 5 graded unit tests: the suite of every test case; the grader runs one with CK_RUN_CASE=<name>. */
#include <stdlib.h>
#include <check.h>
#include "lab5.h"

int main(void)
{
    Suite *s = suite_create("lab5");
    lab5_pci_tcases(s);
    lab5_ne2000_tcases(s);
    /* srunner_run_all honours CK_RUN_CASE, so the grader can run one case. */
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
