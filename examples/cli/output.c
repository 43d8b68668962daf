/*
 * cli/output.c - output files and a small streaming JSON writer.
 *
 * The JSON writer keeps only a comma state per nesting level, so summaries are written as
 * the program goes; numbers use "%.9g" (round-trips a float) and NaN/Inf become null, which
 * every JSON reader accepts (NaN is not JSON).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

const char *cli_fmt(char *buf, size_t len, double v, int digits)
{
    if (isnan(v))
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.*f", digits, v);
    return buf;
}

/* Output files are written through the library's atomic writer, so a failed or interrupted
 * run never leaves half a predictions file where the last good one was. The few files open
 * at a time are remembered here by their stream; an exit through cli_fail removes their
 * temporary files (atexit). */
static struct {
    FILE *fp;
    rbp_atomic_file *af;
} open_outputs[8];

static void abort_open_outputs(void)
{
    for (size_t i = 0; i < sizeof open_outputs / sizeof open_outputs[0]; i++)
        if (open_outputs[i].af != NULL) {
            rbp_atomic_file_abort(open_outputs[i].af);
            open_outputs[i].af = NULL;
            open_outputs[i].fp = NULL;
        }
}

FILE *cli_open_output(const char *path)
{
    static int registered;
    if (strcmp(path, "-") == 0)
        return stdout;
    size_t slot = 0, n = sizeof open_outputs / sizeof open_outputs[0];
    while (slot < n && open_outputs[slot].af != NULL)
        slot++;
    if (slot == n)
        cli_fail("%s: too many output files open at once", path);
    if (!registered) {
        atexit(abort_open_outputs);
        registered = 1;
    }
    rbp_status st = rbp_atomic_file_open(&open_outputs[slot].af, path);
    if (st != RBP_OK)
        cli_fail_status(st);
    open_outputs[slot].fp = rbp_atomic_file_stream(open_outputs[slot].af);
    return open_outputs[slot].fp;
}

void cli_close_output(FILE *fp, const char *path)
{
    if (fp == stdout) {
        if (ferror(fp) || fflush(fp) != 0)
            cli_fail("<stdout>: write error: %s", strerror(errno));
        return;
    }
    for (size_t i = 0; i < sizeof open_outputs / sizeof open_outputs[0]; i++)
        if (open_outputs[i].fp == fp && open_outputs[i].af != NULL) {
            rbp_atomic_file *af = open_outputs[i].af;
            open_outputs[i].af = NULL;
            open_outputs[i].fp = NULL;
            if (rbp_atomic_file_commit(af) != RBP_OK)
                cli_fail("%s", rbp_last_error());
            return;
        }
    cli_fail("%s: internal error: not an open output file", path);
}

/* ---------------------------------------------------------------- JSON */

void cli_json_init(cli_json *j, FILE *fp)
{
    memset(j, 0, sizeof *j);
    j->fp = fp;
    j->first[0] = 1;
}

static void json_escaped(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        default:
            if (*p < 0x20)
                fprintf(fp, "\\u%04x", *p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

/* Comma, newline and indentation before a new element; then the key if any. */
static void json_prefix(cli_json *j, const char *key)
{
    if (j->depth > 0) {
        if (!j->first[j->depth])
            fputc(',', j->fp);
        fputc('\n', j->fp);
        fprintf(j->fp, "%*s", 2 * j->depth, "");
    }
    j->first[j->depth] = 0;
    if (key != NULL) {
        json_escaped(j->fp, key);
        fputs(": ", j->fp);
    }
}

static void json_open(cli_json *j, const char *key, char c)
{
    json_prefix(j, key);
    fputc(c, j->fp);
    if (j->depth + 1 < (int)(sizeof j->first / sizeof j->first[0]))
        j->depth++;
    j->first[j->depth] = 1;
}

static void json_close(cli_json *j, char c)
{
    int empty = j->first[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (!empty) {
        fputc('\n', j->fp);
        fprintf(j->fp, "%*s", 2 * j->depth, "");
    }
    fputc(c, j->fp);
    if (j->depth == 0)
        fputc('\n', j->fp);
}

void cli_json_begin_object(cli_json *j, const char *key)
{
    json_open(j, key, '{');
}

void cli_json_end_object(cli_json *j)
{
    json_close(j, '}');
}

void cli_json_begin_array(cli_json *j, const char *key)
{
    json_open(j, key, '[');
}

void cli_json_end_array(cli_json *j)
{
    json_close(j, ']');
}

void cli_json_string(cli_json *j, const char *key, const char *value)
{
    json_prefix(j, key);
    if (value == NULL)
        fputs("null", j->fp);
    else
        json_escaped(j->fp, value);
}

void cli_json_number(cli_json *j, const char *key, double value)
{
    json_prefix(j, key);
    if (!isfinite(value))
        fputs("null", j->fp);
    else
        fprintf(j->fp, "%.9g", value);
}

void cli_json_int(cli_json *j, const char *key, int64_t value)
{
    json_prefix(j, key);
    fprintf(j->fp, "%lld", (long long)value);
}

void cli_json_u64(cli_json *j, const char *key, uint64_t value)
{
    json_prefix(j, key);
    fprintf(j->fp, "%llu", (unsigned long long)value);
}

void cli_json_bool(cli_json *j, const char *key, int value)
{
    json_prefix(j, key);
    fputs(value ? "true" : "false", j->fp);
}
