/* The x86 host channel: minivmm's command line and the guest's files come from the multiboot
 * information (QEMU's -append and -initrd "file,file2"); the exit status leaves through QEMU's
 * isa-debug-exit device. There is no host channel for writing files yet. */
#include <minivmm/alloc.h>
#include <minivmm/console.h>
#include <minivmm/hostfs.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>
#include <arch/vm.h>
#include <arch/x86.h>

#define MB_BOOT_MAGIC 0x2badb002u
#define MBI_CMDLINE   (1u << 2)
#define MBI_MODS      (1u << 3)

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
};

struct mb_module {
    uint32_t start, end, string, reserved;
};

static const struct mb_info *mbi;

void multiboot_init(uint32_t magic, uint32_t info)
{
    if (magic != MB_BOOT_MAGIC) {
        printk("minivmm: not started by a multiboot loader (EAX %#x): run it with QEMU's -kernel\n", magic);
        host_exit(MV_EXIT_PANIC);
    }
    mbi = (const struct mb_info *)(uintptr_t)info;
    const struct mb_module *m = (const void *)(uintptr_t)mbi->mods_addr;
    for (uint32_t i = 0; (mbi->flags & MBI_MODS) && i < mbi->mods_count; i++)
        if (m[i].end > GUEST_RAM_BACKING_PA) {
            printk("minivmm: multiboot module %u ends at %#x, above %#x where guest RAM is backed\n", i,
                   m[i].end, GUEST_RAM_BACKING_PA);
            host_exit(MV_EXIT_USAGE);
        }
}

int host_cmdline(char *buf, size_t size)
{
    const char *s = mbi && (mbi->flags & MBI_CMDLINE) ? (const char *)(uintptr_t)mbi->cmdline : "";
    size_t n = strlen(s);
    if (n >= size)
        return -1;
    memcpy(buf, s, n + 1);
    return 0;
}

/* A module's name: its string's first word (QEMU's -initrd "file args" passes the whole). */
static bool module_is(const struct mb_module *m, const char *path)
{
    const char *s = (const char *)(uintptr_t)m->string;
    size_t n = strlen(path);
    return s && !strncmp(s, path, n) && (s[n] == '\0' || s[n] == ' ');
}

int hostfs_read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
    const struct mb_module *m =
        mbi && (mbi->flags & MBI_MODS) ? (const void *)(uintptr_t)mbi->mods_addr : NULL;
    uint32_t count = m ? mbi->mods_count : 0;
    for (uint32_t i = 0; i < count; i++) {
        if (!module_is(&m[i], path))
            continue;
        size_t n = m[i].end - m[i].start;
        if (!n) {
            mv_snprintf(err, errlen, "the file is empty");
            return -1;
        }
        uint8_t *p = mv_malloc(n);
        if (!p) {
            mv_snprintf(err, errlen, "%zu bytes: too big for minivmm's heap (%zu bytes free)", n,
                        heap_free_bytes());
            return -1;
        }
        memcpy(p, (const void *)(uintptr_t)m[i].start, n);
        *data = p;
        *len = n;
        return 0;
    }
    mv_snprintf(err, errlen, "no multiboot module of that name (%u given: QEMU's -initrd loads them)", count);
    return -1;
}

int hostfs_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    (void)path;
    (void)data;
    (void)len;
    mv_snprintf(err, errlen, "writing host files is not supported on x86 yet (no host channel for it)");
    return -1;
}

/* isa-debug-exit ends QEMU with (v << 1) | 1; minivmm writes status + 1, so that QEMU's own
 * statuses (0, 1) never pass for minivmm's: grader/qemu.py decodes (q >> 1) - 1. QEMU's exit
 * status has 8 bits: 0-126 pass unchanged, a larger status becomes 126. */
void host_exit(int status)
{
    if (status < 0 || status > 126) {
        printk("minivmm: exit status %d does not fit through isa-debug-exit (0-126): 126 instead\n", status);
        status = 126;
    }
    outl(DEBUG_EXIT_PORT, (uint32_t)status + 1);
    printk("minivmm: QEMU did not stop (no isa-debug-exit at port %#x): halted with status %d\n",
           DEBUG_EXIT_PORT, status);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Files written piece by piece (audio=): no host channel for them on x86 yet. */
int hostfs_create(const char *path)
{
    printk("minivmm: cannot create host file '%s': writing host files is not supported on x86 yet\n", path);
    return -1;
}

int hostfs_write(int fd, const void *data, size_t len)
{
    (void)fd, (void)data, (void)len;
    return -1;
}

int hostfs_seek(int fd, uint32_t pos)
{
    (void)fd, (void)pos;
    return -1;
}

void hostfs_close(int fd)
{
    (void)fd;
}
