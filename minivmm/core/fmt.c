/* The console formatter: a small, bounded vsnprintf that the VMM uses for every message. */
#include <minivmm/console.h>

struct out {
    char *buf;
    size_t size, len; /* len counts every character, even those that did not fit */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

struct spec {
    bool left, zero, alt; /* '-', '0', '#' (0x prefix for %x) */
    int width;
};

static void pad(struct out *o, int n, char c)
{
    while (n-- > 0)
        put(o, c);
}

static void put_str(struct out *o, const char *s, const struct spec *sp)
{
    size_t n = 0;
    if (!s)
        s = "(null)";
    while (s[n])
        n++;
    if (!sp->left)
        pad(o, sp->width - (int)n, ' ');
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        pad(o, sp->width - (int)n, ' ');
}

static void put_num(struct out *o, uint64_t v, bool neg, unsigned base, bool upper, const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    bool prefix = sp->alt && base == 16;
    int len = n + (neg ? 1 : 0) + (prefix ? 2 : 0);
    if (!sp->left && !sp->zero)
        pad(o, sp->width - len, ' ');
    if (neg)
        put(o, '-');
    if (prefix) {
        put(o, '0');
        put(o, upper ? 'X' : 'x');
    }
    if (!sp->left && sp->zero)
        pad(o, sp->width - len, '0');
    while (n)
        put(o, tmp[--n]);
    if (sp->left)
        pad(o, sp->width - len, ' ');
}

/* Fetch an integer argument of the given length (0 = int, 1 = long, 2 = long long, 3 = size_t). */
static uint64_t get_uint(va_list *ap, int lmod)
{
    switch (lmod) {
    case 1: return va_arg(*ap, unsigned long);
    case 2: return va_arg(*ap, unsigned long long);
    case 3: return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static int64_t get_int(va_list *ap, int lmod)
{
    switch (lmod) {
    case 1: return va_arg(*ap, long);
    case 2: return va_arg(*ap, long long);
    case 3: return (int64_t)va_arg(*ap, size_t);
    default: return va_arg(*ap, int);
    }
}

static const char *parse_spec(const char *f, struct spec *sp, int *lmod)
{
    *sp = (struct spec){0};
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else if (*f == '#')
            sp->alt = true;
        else
            break;
    }
    while (*f >= '0' && *f <= '9')
        sp->width = sp->width * 10 + (*f++ - '0');
    *lmod = 0;
    if (*f == 'z') {
        *lmod = 3;
        f++;
    }
    while (*f == 'l') {
        (*lmod)++;
        f++;
    }
    return f;
}

int mv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap0)
{
    struct out o = {buf, size, 0};
    va_list ap;
    va_copy(ap, ap0);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        struct spec sp;
        int lmod;
        f = parse_spec(f + 1, &sp, &lmod);
        switch (*f) {
        case 'd':
        case 'i': {
            int64_t v = get_int(&ap, lmod);
            put_num(&o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0, 10, false, &sp);
            break;
        }
        case 'u': put_num(&o, get_uint(&ap, lmod), false, 10, false, &sp); break;
        case 'x': put_num(&o, get_uint(&ap, lmod), false, 16, false, &sp); break;
        case 'X': put_num(&o, get_uint(&ap, lmod), false, 16, true, &sp); break;
        case 'p':
            sp.alt = true;
            put_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, &sp);
            break;
        case 's': put_str(&o, va_arg(ap, const char *), &sp); break;
        case 'c': put(&o, (char)va_arg(ap, int)); break;
        case '%': put(&o, '%'); break;
        case '\0': f--; break; /* a lone '%' at the end: print nothing more */
        default:               /* unknown conversion: print it as it is, so the bug is visible */
            put(&o, '%');
            put(&o, *f);
            break;
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int mv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = mv_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
