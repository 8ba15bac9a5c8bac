/* Host files and the host command line, reached through the host channel (semihosting on ARM). */
#ifndef MINIVMM_HOSTFS_H
#define MINIVMM_HOSTFS_H

#include "types.h"

/* Read a whole host file into a new heap buffer. Returns 0, or -1 with the
 * reason in err (missing file, empty, too big for the heap). */
int hostfs_read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen);
/* Create (or replace) a host file holding len bytes of data. Returns 0, or -1
 * with the reason in err. */
int hostfs_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* A host file written piece by piece (audio=): create (or empty) it and
 * get a handle >= 0, or -1. Writes go on where the last one ended, or where
 * hostfs_seek put them; each returns 0, or -1 if not all was written. */
int hostfs_create(const char *path);
int hostfs_write(int fd, const void *data, size_t len);
int hostfs_seek(int fd, uint32_t pos);
void hostfs_close(int fd);
/* The command line QEMU was given (-semihosting-config arg=...), or -1. */
int host_cmdline(char *buf, size_t size);
/* End QEMU with this exit status. */
void host_exit(int status) NORETURN;

#endif
