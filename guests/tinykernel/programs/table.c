/* The table of programs tinykernel can run (boot argument run=<name>). */
#include "../kernel.h"

int demo_main(void);
int hello_main(void);
int hcabi_main(void);
int unhandled_main(void);
int exitcode_main(void);
int lab0_exitcount_main(void);
int lab0_badclass_main(void);

const struct program programs[] = {
    {"demo", "a tour of a guest's exits", demo_main},
    {"hello", "print one line and power off", hello_main},
    {"hcabi", "hypercall ABI edge cases", hcabi_main},
    {"unhandled", "take an exit class minivmm does not handle", unhandled_main},
    {"exitcode", "power off with code 42", exitcode_main},
    {"lab0-exitcount", "lab 0: MV_HC_EXIT_COUNT counts HVC exits", lab0_exitcount_main},
    {"lab0-badclass", "lab 0: MV_HC_EXIT_COUNT refuses bad classes", lab0_badclass_main},
    {0, 0, 0},
};
