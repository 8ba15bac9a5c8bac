/* The device tree minivmm hands its guest: memory, boot arguments. */
#ifndef MINIVMM_GUEST_DT_H
#define MINIVMM_GUEST_DT_H

#include "vm.h"

/* Write the guest's DTB at the top of guest RAM and set vm->dtb_ipa.
 * Returns 0, or -1 if it does not fit. */
int guest_dt_build(struct vm *vm);

#endif
