/* The host channel on ARM: semihosting calls (HLT #0xF000) for files, the command line and the exit status. */
#include <minivmm/alloc.h>
#include <minivmm/console.h>
#include <minivmm/hostfs.h>
#include <minivmm/string.h>

#define SYS_OPEN                     0x01
#define SYS_CLOSE                    0x02
#define SYS_WRITE                    0x05
#define SYS_READ                     0x06
#define SYS_SEEK                     0x0a
#define SYS_FLEN                     0x0c
#define SYS_GET_CMDLINE              0x15
#define SYS_EXIT_EXTENDED            0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define OPEN_MODE_RB                 1
#define OPEN_MODE_WB                 5

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    /* HLT #0xF000 (A32); the assembler for ARMv7 does not know HLT. */
    __asm__ volatile(".inst 0xe10f0070" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void host_exit(int status)
{
    uint32_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    for (;;)
        semihost(SYS_EXIT_EXTENDED, args);
}

int host_cmdline(char *buf, size_t size)
{
    uint32_t args[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)size};
    return semihost(SYS_GET_CMDLINE, args) == 0 ? 0 : -1;
}

/* SYS_OPEN: a host file descriptor, or a negative number. */
static int32_t host_open(const char *path, uint32_t mode)
{
    uint32_t args[3] = {(uint32_t)(uintptr_t)path, mode, (uint32_t)strlen(path)};
    return (int32_t)semihost(SYS_OPEN, args);
}

int hostfs_read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
    int32_t fd = host_open(path, OPEN_MODE_RB);
    if (fd < 0) {
        mv_snprintf(err, errlen, "cannot open the host file");
        return -1;
    }
    int32_t n = (int32_t)semihost(SYS_FLEN, &fd);
    uint8_t *buf = n > 0 ? mv_malloc((size_t)n) : NULL;
    if (n <= 0 || !buf) {
        mv_snprintf(err, errlen,
                    n < 0    ? "cannot read the file's length"
                    : n == 0 ? "the file is empty"
                             : "no memory for a %d-byte file",
                    (int)n);
        semihost(SYS_CLOSE, &fd);
        return -1;
    }
    uint32_t read_args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)n};
    uint32_t left = semihost(SYS_READ, read_args); /* bytes NOT read */
    semihost(SYS_CLOSE, &fd);
    if (left != 0) {
        mv_free(buf);
        mv_snprintf(err, errlen, "short read (%u of %d bytes missing)", left, (int)n);
        return -1;
    }
    *data = buf;
    *len = (size_t)n;
    return 0;
}

int hostfs_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    int32_t fd = host_open(path, OPEN_MODE_WB);
    if (fd < 0) {
        mv_snprintf(err, errlen, "cannot create the host file");
        return -1;
    }
    uint32_t write_args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)data, (uint32_t)len};
    uint32_t left = semihost(SYS_WRITE, write_args); /* bytes NOT written */
    semihost(SYS_CLOSE, &fd);
    if (left != 0) {
        mv_snprintf(err, errlen, "short write (%u of %u bytes missing)", left, (unsigned)len);
        return -1;
    }
    return 0;
}

int hostfs_create(const char *path)
{
    int32_t fd = host_open(path, OPEN_MODE_WB);
    return fd < 0 ? -1 : (int)fd;
}

int hostfs_write(int fd, const void *data, size_t len)
{
    uint32_t args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)data, (uint32_t)len};
    return semihost(SYS_WRITE, args) == 0 ? 0 : -1; /* bytes NOT written */
}

int hostfs_seek(int fd, uint32_t pos)
{
    uint32_t args[2] = {(uint32_t)fd, pos};
    return semihost(SYS_SEEK, args) == 0 ? 0 : -1;
}

void hostfs_close(int fd)
{
    int32_t h = fd;
    semihost(SYS_CLOSE, &h);
}
