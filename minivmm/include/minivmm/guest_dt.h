/* The device tree minivmm hands its guest: memory, boot arguments. */
#ifndef MINIVMM_GUEST_DT_H
#define MINIVMM_GUEST_DT_H

#include "vm.h"

/* Write the guest's DTB at the top of guest RAM and set vm->dtb_ipa: minivmm's
 * own, or (dtb=) the user's with minivmm's /chosen. Returns 0, or -1 with the
 * reason in err (it does not fit; the user's is malformed or its memory is
 * not guest RAM). */
int guest_dt_build(struct vm *vm, char *err, size_t errlen);
/* guest_dt_user.c: the user's device tree, checked against the VM and
 * written to buf with minivmm's bootargs and initramfs in /chosen. */
int guest_dt_user(struct vm *vm, void *buf, uint32_t size, char *err, size_t errlen);

#endif
