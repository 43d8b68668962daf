/*
 * cli/args.c - error reporting and table-driven option parsing for the bundled programs.
 *
 * Every program describes its options once, in a cli_option table; the same table drives
 * parsing (types, ranges, choices) and --help, so the two cannot drift apart. Errors follow
 * one convention: a single line "<prog>: error: <what>" on stderr, exit code 2 for a bad
 * command line and 1 for anything that fails at run time.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char *g_program = "rbpattn";

void cli_set_program(const char *name)
{
    g_program = name;
}

const char *cli_program(void)
{
    return g_program;
}

static void vmessage(const char *kind, const char *fmt, va_list ap)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s: ", g_program, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("error", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help' for more information.\n", g_program);
    exit(CLI_EXIT_USAGE);
}

void cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("error", fmt, ap);
    va_end(ap);
    exit(CLI_EXIT_FAILURE);
}

void cli_fail_status(rbp_status st)
{
    const char *msg = rbp_last_error();
    if (msg == NULL || msg[0] == '\0')
        msg = rbp_status_str(st);
    cli_fail("%s", msg);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("warning", fmt, ap);
    va_end(ap);
}

void cli_check(rbp_status st)
{
    if (st != RBP_OK)
        cli_fail_status(st);
}

void *cli_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        cli_fail("out of memory (allocating %zu bytes)", n);
    return p;
}

void *cli_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        cli_fail("out of memory (allocating %zu x %zu bytes)", count, size);
    return p;
}

void *cli_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        cli_fail("out of memory (allocating %zu bytes)", n);
    return q;
}

char *cli_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = cli_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

/* ---------------------------------------------------------------- option table */

static int is_option(const cli_option *o)
{
    return o->type != CLI_OPT_SECTION;
}

static int at_end(const cli_option *o)
{
    return o->name == NULL && o->type != CLI_OPT_SECTION;
}

const cli_option *cli_find_option(const cli_option *opts, const char *name)
{
    for (const cli_option *o = opts; !at_end(o); o++)
        if (is_option(o) && strcmp(o->name, name) == 0)
            return o;
    /* A typo in a program, not a user error. */
    fprintf(stderr, "%s: internal error: no option '%s'\n", g_program, name);
    exit(CLI_EXIT_FAILURE);
}

int cli_given(const cli_option *opts, const char *name)
{
    return cli_find_option(opts, name)->given;
}

static void option_label(char *buf, size_t len, const cli_option *o, int as_short)
{
    if (as_short)
        snprintf(buf, len, "-%c", o->short_name);
    else
        snprintf(buf, len, "--%s", o->name);
}

static void parse_value(cli_option *o, const char *label, const char *v)
{
    char *end = NULL;
    switch (o->type) {
    case CLI_OPT_INT: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0' || x < INT32_MIN || x > INT32_MAX)
            cli_usage_error("option '%s': expected an integer, got '%s'", label, v);
        if (o->min <= o->max && ((double)x < o->min || (double)x > o->max)) {
            if (o->max >= (double)INT32_MAX)
                cli_usage_error("option '%s': %s is out of range (at least %.0f)", label, v, o->min);
            cli_usage_error("option '%s': %s is out of range [%.0f, %.0f]", label, v, o->min, o->max);
        }
        *(int32_t *)o->dest = (int32_t)x;
        break;
    }
    case CLI_OPT_U64: {
        errno = 0;
        if (v[0] == '-')
            cli_usage_error("option '%s': expected a non-negative integer, got '%s'", label, v);
        unsigned long long x = strtoull(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0')
            cli_usage_error("option '%s': expected a non-negative integer, got '%s'", label, v);
        *(uint64_t *)o->dest = (uint64_t)x;
        break;
    }
    case CLI_OPT_DOUBLE: {
        errno = 0;
        double x = strtod(v, &end);
        if (errno != 0 || end == v || *end != '\0' || !isfinite(x))
            cli_usage_error("option '%s': expected a number, got '%s'", label, v);
        if (o->min <= o->max && (x < o->min || x > o->max))
            cli_usage_error("option '%s': %s is out of range [%g, %g]", label, v, o->min, o->max);
        *(double *)o->dest = x;
        break;
    }
    case CLI_OPT_STRING:
        if (v[0] == '\0')
            cli_usage_error("option '%s': empty value", label);
        *(const char **)o->dest = v;
        break;
    case CLI_OPT_LIST: {
        if (v[0] == '\0')
            cli_usage_error("option '%s': empty value", label);
        cli_list *l = o->dest;
        l->items = cli_xrealloc(l->items, ((size_t)l->n + 1) * sizeof *l->items);
        l->items[l->n++] = v;
        break;
    }
    case CLI_OPT_CHOICE: {
        for (int32_t i = 0; o->choices[i] != NULL; i++) {
            if (strcmp(o->choices[i], v) == 0) {
                *(int32_t *)o->dest = i;
                return;
            }
        }
        char list[256] = "";
        for (int i = 0; o->choices[i] != NULL; i++) {
            if (i > 0)
                strncat(list, "|", sizeof list - strlen(list) - 1);
            strncat(list, o->choices[i], sizeof list - strlen(list) - 1);
        }
        cli_usage_error("option '%s': expected one of %s, got '%s'", label, list, v);
    }
    case CLI_OPT_FLAG:
    case CLI_OPT_SECTION:
        break;
    }
}

static void print_version(void)
{
    printf("%s (rbpattn) %s\n", g_program, rbp_version_string());
    if (strcmp(rbp_version_string(), RBP_VERSION_STRING) != 0)
        printf("built against headers %s\n", RBP_VERSION_STRING);
}

void cli_parse(int argc, char **argv, cli_option *opts, const cli_program_info *info, const char **pos,
               int *npos)
{
    int only_positional = 0;
    int n_pos = 0; /* pos/npos may be NULL for programs that take no positional argument */
    /* A name used twice in a table would silently shadow the second option: a program bug. */
    for (const cli_option *o = opts; !at_end(o); o++)
        for (const cli_option *q = o + 1; is_option(o) && !at_end(q); q++)
            if (is_option(q) && (strcmp(o->name, q->name) == 0 || (o->short_name && o->short_name == q->short_name))) {
                fprintf(stderr, "%s: internal error: option '%s' defined twice\n", g_program, q->name);
                exit(CLI_EXIT_FAILURE);
            }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int is_opt = !only_positional && arg[0] == '-' && arg[1] != '\0';
        if (!is_opt) {
            if (n_pos >= info->max_positional || pos == NULL) {
                if (info->max_positional == 0)
                    cli_usage_error("unexpected argument '%s'", arg);
                cli_usage_error("unexpected extra argument '%s'", arg);
            }
            pos[n_pos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_print_help(stdout, opts, info);
            exit(CLI_EXIT_OK);
        }
        if (strcmp(arg, "--man") == 0) { /* hidden: the build writes the man page with it */
            cli_print_man(stdout, opts, info);
            exit(CLI_EXIT_OK);
        }
        if (strcmp(arg, "--version") == 0) {
            print_version();
            exit(CLI_EXIT_OK);
        }

        /* Find the option: "--name", "--name=value" or "-x". */
        cli_option *o = NULL;
        const char *inline_value = NULL;
        int as_short = 0;
        char label[96];
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            for (cli_option *c = opts; !at_end(c); c++) {
                if (is_option(c) && strlen(c->name) == nlen && strncmp(c->name, name, nlen) == 0) {
                    o = c;
                    break;
                }
            }
            if (o == NULL)
                cli_usage_error("unknown option '%.*s'", (int)(nlen + 2), arg);
            if (eq != NULL)
                inline_value = eq + 1;
        } else {
            if (arg[2] != '\0')
                cli_usage_error("unknown option '%s' (long options start with '--')", arg);
            for (cli_option *c = opts; !at_end(c); c++) {
                if (is_option(c) && c->short_name == arg[1]) {
                    o = c;
                    break;
                }
            }
            if (o == NULL)
                cli_usage_error("unknown option '%s'", arg);
            as_short = 1;
        }
        option_label(label, sizeof label, o, as_short);
        o->given++;

        if (o->type == CLI_OPT_FLAG) {
            if (inline_value != NULL)
                cli_usage_error("option '%s' takes no value", label);
            *(int32_t *)o->dest = 1;
            continue;
        }
        const char *value = inline_value;
        if (value == NULL) {
            /* "--epochs --batch 8": the next word is an option, not a value. A lone "-" (stdin)
             * and negative numbers are values. */
            if (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1] == '-' && argv[i + 1][2] != '\0'))
                cli_usage_error("option '%s' needs a value%s%s", label, o->metavar ? " " : "",
                                o->metavar ? o->metavar : "");
            value = argv[++i];
        }
        parse_value(o, label, value);
    }
    if (npos)
        *npos = n_pos;
}

/* ---------------------------------------------------------------- help */

/* Shared by --help and the man page. */
static const char help_help[] = "show this help and exit";
static const char version_help[] = "show the version and exit";
static const char exit_status_text[] = "0 on success, 1 on a runtime failure, 2 on a bad command line";

static void print_choices(FILE *fp, const cli_option *o)
{
    for (int i = 0; o->choices[i] != NULL; i++)
        fprintf(fp, "%s%s", i ? "|" : "", o->choices[i]);
}

void cli_print_help(FILE *fp, const cli_option *opts, const cli_program_info *info)
{
    fprintf(fp, "Usage: %s\n\n%s\n", info->usage, info->summary);
    for (const cli_option *o = opts; !at_end(o); o++) {
        if (o->type == CLI_OPT_SECTION) {
            fprintf(fp, "\n%s:\n", o->help);
            continue;
        }
        /* "  -o, --out FILE" padded to a column, then the help text. */
        char head[128];
        int len;
        if (o->short_name != 0)
            len = snprintf(head, sizeof head, "  -%c, --%s", o->short_name, o->name);
        else
            len = snprintf(head, sizeof head, "      --%s", o->name);
        fputs(head, fp);
        if (o->type == CLI_OPT_CHOICE) {
            fputc(' ', fp);
            print_choices(fp, o);
            len += 1;
            for (int i = 0; o->choices[i] != NULL; i++)
                len += (int)strlen(o->choices[i]) + (i ? 1 : 0);
        } else if (o->type != CLI_OPT_FLAG) {
            const char *mv = o->metavar ? o->metavar : "VALUE";
            fprintf(fp, " %s", mv);
            len += 1 + (int)strlen(mv);
        }
        const int col = 32;
        if (len >= col - 1) {
            fputc('\n', fp);
            len = 0;
        }
        fprintf(fp, "%*s", col - len, "");
        for (const char *h = o->help; *h; h++) {
            fputc(*h, fp);
            if (*h == '\n')
                fprintf(fp, "%*s", col, "");
        }
        fputc('\n', fp);
    }
    fprintf(fp, "\n  -h, --help                    %s\n", help_help);
    fprintf(fp, "      --version                 %s\n", version_help);
    if (info->examples != NULL)
        fprintf(fp, "\nExamples:\n%s", info->examples);
    fprintf(fp, "\nExit status: %s.\n", exit_status_text);
}

/* ---------------------------------------------------------------- man page */

/* Text for roff: backslashes escaped, a '-' that starts a word (options) as \- so that it
 * prints as a minus and can be searched for, and a line starting with '.' or '\'' (a request
 * to roff) protected with \&. Line breaks are kept: roff fills the lines into paragraphs. */
static void roff_text(FILE *fp, const char *s)
{
    int line_start = 1;
    char prev = ' ';
    for (; *s; prev = *s++) {
        if (line_start && (*s == '.' || *s == '\''))
            fputs("\\&", fp);
        line_start = 0;
        if (*s == '\\')
            fputs("\\e", fp);
        else if (*s == '-' && (prev == '-' || strchr(" \t\n([|/=\"'", prev) != NULL))
            fputs("\\-", fp);
        else
            fputc(*s, fp);
        if (*s == '\n')
            line_start = 1;
    }
}

/* A name with every '-' as \- (a minus: the option can be copied from the page), in capitals
 * for .TH ("RBPATTN\-TRAIN") when `upper`. */
static void roff_name(FILE *fp, const char *name, int upper)
{
    for (; *name; name++) {
        if (*name == '-')
            fputs("\\-", fp);
        else
            fputc(upper && *name >= 'a' && *name <= 'z' ? *name - 'a' + 'A' : *name, fp);
    }
}

void cli_print_man(FILE *fp, const cli_option *opts, const cli_program_info *info)
{
    const char *prog = cli_program();
    fputs(".TH ", fp);
    roff_name(fp, prog, 1);
    fprintf(fp, " 1 \"\" \"rbpattn %s\" \"rbpattn manual\"\n", rbp_version_string());
    /* NAME (what whatis and apropos read): the summary up to its first '.', ':', ';' or '('. */
    fputs(".SH NAME\n", fp);
    roff_name(fp, prog, 0);
    fputs(" \\- ", fp);
    const char *end = info->summary;
    while (*end && !strchr(":;", *end) && strncmp(end, " (", 2) != 0 &&
           !(end[0] == '.' && (end[1] == ' ' || end[1] == '\n' || end[1] == '\0')))
        end++;
    char name_line[512];
    snprintf(name_line, sizeof name_line, "%.*s", (int)(end - info->summary), info->summary);
    for (char *c = name_line; *c; c++)
        if (*c == '\n')
            *c = ' ';
    roff_text(fp, name_line);
    fputs("\n.SH SYNOPSIS\n.B ", fp);
    size_t plen = strlen(prog);
    const char *usage = info->usage;
    if (strncmp(usage, prog, plen) == 0 && usage[plen] == ' ')
        usage += plen + 1;
    roff_name(fp, prog, 0);
    fputc('\n', fp);
    roff_text(fp, usage);
    fputs("\n.SH DESCRIPTION\n", fp);
    roff_text(fp, info->summary);
    fputs("\n.SH OPTIONS\n", fp);
    for (const cli_option *o = opts; !at_end(o); o++) {
        if (o->type == CLI_OPT_SECTION) {
            fputs(".SS ", fp);
            roff_text(fp, o->help);
            fputc('\n', fp);
            continue;
        }
        fputs(".TP\n", fp);
        if (o->short_name != 0)
            fprintf(fp, "\\fB\\-%c\\fR, ", o->short_name);
        fputs("\\fB\\-\\-", fp);
        roff_name(fp, o->name, 0);
        fputs("\\fR", fp);
        if (o->type == CLI_OPT_CHOICE) {
            fputc(' ', fp);
            for (int i = 0; o->choices[i] != NULL; i++) {
                fputs(i ? "|\\fI" : "\\fI", fp);
                roff_text(fp, o->choices[i]);
                fputs("\\fR", fp);
            }
        } else if (o->type != CLI_OPT_FLAG) {
            fputs(" \\fI", fp);
            roff_text(fp, o->metavar ? o->metavar : "VALUE");
            fputs("\\fR", fp);
        }
        fputc('\n', fp);
        roff_text(fp, o->help);
        fputc('\n', fp);
    }
    fprintf(fp, ".SS Other\n.TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\n%s\n.TP\n\\fB\\-\\-version\\fR\n%s\n", help_help,
            version_help);
    if (info->examples != NULL) {
        fputs(".SH EXAMPLES\n.nf\n", fp);
        roff_text(fp, info->examples);
        fputs(".fi\n", fp);
    }
    fputs(".SH EXIT STATUS\n", fp);
    roff_text(fp, exit_status_text);
    fputs(".\n", fp);
#ifdef CLI_PROGRAMS
    /* The bundled programs (from the build), this one left out. */
    fputs(".SH SEE ALSO\n", fp);
    int first = 1;
    for (const char *p = CLI_PROGRAMS; *p;) {
        size_t n = strcspn(p, " ");
        if (n > 0 && n < 64 && !(n == plen && strncmp(p, prog, n) == 0)) {
            char other[64];
            snprintf(other, sizeof other, "%.*s", (int)n, p);
            fputs(first ? "\\fB" : ",\n\\fB", fp);
            roff_name(fp, other, 0);
            fputs("\\fR(1)", fp);
            first = 0;
        }
        p += n;
        p += strspn(p, " ");
    }
    fputc('\n', fp);
#endif
}
