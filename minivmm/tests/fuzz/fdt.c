/* Fuzzes the reader of user device trees (dtb=): fdt_walk, then guest_dt_user's check and copy. */
/* The code: minivmm/core/fdt_read.c, guest_dt_user.c and the writer, fdt.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minivmm/fdt_format.h>
#include <minivmm/fdt_read.h>
#include <minivmm/guest_dt.h>
#include "fuzz.h"

/* A walk as fdt_walk promises it: nodes nested at most 16 deep and closed in
 * order, the root first and alone, names and values inside the blob. */
struct walk {
    const uint8_t *blob;
    size_t len;
    int open, roots;
    unsigned events;
};

static void inside(const struct walk *w, const void *p, size_t n, const char *what)
{
    const uint8_t *b = p;
    FUZZ_CHECK(b >= w->blob && n <= w->len && (size_t)(b - w->blob) <= w->len - n,
               "%s [%p, +%zu) is outside the blob", what, p, n);
}

static int on_begin(void *ctx, const char *name, int depth)
{
    struct walk *w = ctx;
    inside(w, name, strnlen(name, w->len) + 1, "a node name");
    FUZZ_CHECK(depth == w->open && depth < 16, "a node at depth %d with %d open", depth, w->open);
    FUZZ_CHECK(depth || (!name[0] && !w->roots++), "a second root, or a named one ('%s')", name);
    w->open++;
    w->events++;
    return 0;
}

static int on_prop(void *ctx, const char *name, const uint8_t *data, uint32_t len, int depth)
{
    struct walk *w = ctx;
    inside(w, name, strnlen(name, w->len) + 1, "a property name");
    inside(w, data, len, "a property value");
    FUZZ_CHECK(depth == w->open - 1, "a property at depth %d with %d open", depth, w->open);
    w->events++;
    return 0;
}

static int on_end(void *ctx, int depth)
{
    struct walk *w = ctx;
    FUZZ_CHECK(depth == w->open - 1, "the node at depth %d closes with %d open", depth, w->open);
    w->open--;
    w->events++;
    return 0;
}

static const struct fdt_visitor checker = {NULL, on_begin, on_prop, on_end};

/* Walk blob with the checker: fdt_walk's result. A refused blob calls no callback. */
static int walk(const uint8_t *blob, size_t len, char *err, size_t errlen)
{
    struct walk w = {.blob = blob, .len = len};
    struct fdt_visitor v = checker;
    v.ctx = &w;
    int rc = fdt_walk(blob, (uint32_t)len, &v, err, errlen);
    if (rc)
        FUZZ_CHECK(w.events == 0, "a refused tree had %u callbacks first", w.events);
    else
        FUZZ_CHECK(w.open == 0 && w.roots == 1, "accepted with %d nodes open, %d roots", w.open, w.roots);
    return rc;
}

/* The tree minivmm gives the guest: guest_dt_user into a 16 KiB buffer (the
 * room at the top of guest RAM); NULL if refused. */
static uint8_t *copy(struct vm *vm, const uint8_t *blob, size_t len, char *err, size_t errlen)
{
    uint8_t *out = malloc(GUEST_DTB_MAX);
    vm->user_dtb = blob;
    vm->user_dtb_len = len;
    memset(out, 0xa5, GUEST_DTB_MAX);
    if (guest_dt_user(vm, out, GUEST_DTB_MAX, err, errlen)) {
        free(out);
        return NULL;
    }
    return out;
}

/* Input: the DTB (bytes past its totalsize are ignored by the reader; the
 * last one chooses the VM: with or without boot arguments and an initramfs). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vm vm;
    char err[256];
    fuzz_host_reset();
    uint8_t *blob = malloc(size ? size : 1); /* exact: ASan sees a read past the file */
    memcpy(blob, data, size);
    walk(blob, size, err, sizeof(err));
    /* The VM of make run: 64 MiB at 0x40000000. Its RAM is not needed here. */
    memset(&vm, 0, sizeof(vm));
    vm.ram_ipa = GUEST_RAM_BASE;
    vm.ram_size = GUEST_RAM_DEFAULT_MIB << 20;
    uint8_t last = size ? data[size - 1] : 0;
    if (last & 1)
        strcpy(vm.bootargs, "console=ttyAMA0 earlycon");
    if (last & 2) {
        vm.initrd = data; /* only its length and place are written to /chosen */
        vm.initrd_len = 0x12345;
        vm.initrd_ipa = vm.ram_ipa + (vm.ram_size >> 1);
    }
    uint8_t *out = copy(&vm, blob, size, err, sizeof(err));
    if (!out) {
        if (fuzz_verbose)
            fprintf(stderr, "refused: %s\n", err);
        free(blob);
        return 0;
    }
    /* What the guest gets must be a tree minivmm itself accepts, within its
     * room, and copying it again must change nothing. */
    uint32_t total = fdt_be32(out + 4);
    FUZZ_CHECK(fdt_be32(out) == FDT_MAGIC && total <= GUEST_DTB_MAX, "the guest's tree: totalsize %u", total);
    FUZZ_CHECK(walk(out, total, err, sizeof(err)) == 0, "minivmm refuses the tree it gives the guest: %s",
               err);
    uint8_t *again = copy(&vm, out, total, err, sizeof(err));
    FUZZ_CHECK(again != NULL, "the guest's tree is refused as dtb=: %s", err);
    FUZZ_CHECK(fdt_be32(again + 4) == total && !memcmp(again, out, total),
               "copying the guest's tree again changes it");
    free(again);
    free(out);
    free(blob);
    return 0;
}
