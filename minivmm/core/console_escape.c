/* The console escape: Ctrl-] on minivmm's console reads one command line (snapshot, stats, quit, help) for minivmm instead of the guest. */
#include <minivmm/console.h>
#include <minivmm/console_escape.h>
#include <minivmm/panic.h>
#include <minivmm/string.h>
#include <minivmm/vm.h>

enum escape_mode {
    ESC_GUEST, /* host bytes go to the guest */
    ESC_FIRST, /* Ctrl-] came: a second one is a literal Ctrl-] for the guest */
    ESC_LINE,  /* reading a command line */
};

#define CTRL_C 0x03
#define BS     0x08
#define DEL    0x7f
#define BELL   '\a'

/* ---- The commands. arg is the rest of the line, without surrounding spaces. */

struct escape_cmd {
    const char *name, *alias, *args, *help;
    void (*run)(struct vm *vm, const char *arg);
};

static void cmd_help(struct vm *vm, const char *arg);

/* Taken by the run loop after this exit, as snapshot-at= would, into storage
 * of the VM's own (the line is reused by the next command). */
static void cmd_snapshot(struct vm *vm, const char *arg)
{
    size_t len = strlen(arg);
    if (!len) {
        printk("minivmm: snapshot needs a host file: snapshot <file>\n");
    } else if (len >= sizeof(vm->console_snapshot)) {
        printk("minivmm: snapshot: the file name is too long (at most %u characters): no snapshot\n",
               (unsigned)sizeof(vm->console_snapshot) - 1);
    } else {
        memcpy(vm->console_snapshot, arg, len + 1);
        vm->watch = true;
    }
}

static void cmd_stats(struct vm *vm, const char *arg)
{
    (void)arg;
    printk("minivmm: statistics at exit %llu:\n", (unsigned long long)vm->vcpu.stats.total);
    vmm_print_run_stats(vm);
}

static void cmd_quit(struct vm *vm, const char *arg)
{
    (void)arg;
    vm->quit_requested = true;
    vm->watch = true;
}

static const struct escape_cmd escape_cmds[] = {
    {"snapshot", NULL, "<file>", "write a snapshot of the VM to this host file now", cmd_snapshot},
    {"stats", NULL, "", "print the exit statistics so far", cmd_stats},
    {"quit", NULL, "", "stop the VM and minivmm (status 0)", cmd_quit},
    {"help", "?", "", "list these commands", cmd_help},
};

static void cmd_help(struct vm *vm, const char *arg)
{
    (void)vm;
    (void)arg;
    printk("minivmm: console commands (an empty line goes back to the guest; Ctrl-] Ctrl-] types Ctrl-]):\n");
    for (unsigned i = 0; i < ARRAY_SIZE(escape_cmds); i++) {
        const struct escape_cmd *c = &escape_cmds[i];
        char usage[32];
        mv_snprintf(usage, sizeof(usage), "%s%s%s%s%s", c->name, *c->args ? " " : "", c->args,
                    c->alias ? ", " : "", c->alias ? c->alias : "");
        printk("minivmm:   %-16s %s\n", usage, c->help);
    }
}

static const struct escape_cmd *find_cmd(const char *word)
{
    for (unsigned i = 0; i < ARRAY_SIZE(escape_cmds); i++) {
        const struct escape_cmd *c = &escape_cmds[i];
        if (!strcmp(word, c->name) || (c->alias && !strcmp(word, c->alias)))
            return c;
    }
    return NULL;
}

/* Split the line in place into its first word and the rest, then run it. */
static void run_line(struct vm *vm, char *line)
{
    while (*line == ' ')
        line++;
    char *end = line + strlen(line);
    while (end > line && end[-1] == ' ')
        *--end = '\0';
    if (!*line)
        return; /* an empty line: back to the guest */
    char *arg = strchr(line, ' ');
    if (arg) {
        *arg++ = '\0';
        while (*arg == ' ')
            arg++;
    } else {
        arg = end;
    }
    const struct escape_cmd *c = find_cmd(line);
    if (!c)
        printk("minivmm: unknown command '%s' (help lists them)\n", line);
    else if (!*c->args && *arg)
        printk("minivmm: %s takes no argument\n", c->name);
    else
        c->run(vm, arg);
}

/* ---- Line editing. */

static void start_line(struct console_escape *e)
{
    e->mode = ESC_FIRST;
    e->len = 0;
    e->overlong = false;
    printk("\nminivmm> ");
}

/* Enter: the line is run, unless characters of it were refused. */
static void end_line(struct vm *vm, struct console_escape *e, int c)
{
    e->mode = ESC_GUEST;
    e->skip_lf = c == '\r';
    e->line[e->len] = '\0';
    printk("\n");
    if (e->overlong)
        printk("minivmm: command line too long (at most %u characters): not run\n",
               (unsigned)sizeof(e->line) - 1);
    else
        run_line(vm, e->line);
}

/* A character for the line, if there is room; else a bell, and the line is spoilt. */
static void add_char(struct console_escape *e, char c)
{
    if (e->len + 1u >= sizeof(e->line)) {
        e->overlong = true;
        console_putc(BELL);
        return;
    }
    e->line[e->len++] = c;
    console_putc(c);
}

static void erase_char(struct console_escape *e)
{
    if (!e->len)
        return;
    e->len--;
    console_write("\b \b", 3);
}

static void line_byte(struct vm *vm, struct console_escape *e, int c)
{
    if (c == '\r' || c == '\n') {
        end_line(vm, e, c);
    } else if (c == CTRL_C || c == CONSOLE_ESCAPE_CHAR) {
        e->mode = ESC_GUEST; /* abandoned */
        printk("\n");
    } else if (c == BS || c == DEL) {
        erase_char(e);
    } else if (c >= 0x20 && c < DEL) {
        add_char(e, (char)c);
    } /* other control characters (escape sequences' ESC among them) are ignored */
}

int console_escape_byte(struct vm *vm, int c)
{
    struct console_escape *e = &vm->escape;
    bool skip_lf = e->skip_lf;
    e->skip_lf = false;
    switch (e->mode) {
    case ESC_GUEST:
        if (c == CONSOLE_ESCAPE_CHAR) {
            start_line(e);
            return -1;
        }
        return skip_lf && c == '\n' ? -1 : c;
    case ESC_FIRST:
        if (c == CONSOLE_ESCAPE_CHAR) {
            e->mode = ESC_GUEST;
            printk("\n");
            return c;
        }
        e->mode = ESC_LINE;
        break;
    }
    line_byte(vm, e, c);
    return -1;
}

int console_escape_getc(struct vm *vm)
{
    for (;;) {
        int c = console_getc();
        if (c < 0)
            return -1;
        c = console_escape_byte(vm, c);
        if (c >= 0)
            return c;
    }
}
