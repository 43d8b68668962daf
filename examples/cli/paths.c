/*
 * cli/paths.c - output paths checked before any work starts.
 *
 * A run that trains for an hour and then cannot write its model, or that truncates its own
 * input (rbpattn-predict -o X X), is lost work: every program names its inputs and outputs
 * here right after parsing, and a bad output is a usage error before any file is read.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* The directory part of `path` ("." when there is none) into buf. */
static const char *parent_dir(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(buf, len, ".");
    } else if (slash == path) {
        snprintf(buf, len, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= len)
            n = len - 1;
        memmove(buf, path, n);
        buf[n] = '\0';
    }
    return buf;
}

/* A name for the file `path` names that is the same for every spelling of it: the resolved
 * path when it exists, else the resolved directory plus the last component. "" if unknown. */
static void canonical(const char *path, char *buf, size_t len)
{
    char tmp[PATH_MAX];
    buf[0] = '\0';
    if (realpath(path, tmp) != NULL) {
        snprintf(buf, len, "%s", tmp);
        return;
    }
    char dir[PATH_MAX];
    parent_dir(path, dir, sizeof dir);
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    if (realpath(dir, tmp) != NULL)
        snprintf(buf, len, "%s/%s", strcmp(tmp, "/") == 0 ? "" : tmp, base);
}

/* 1 if a and b name the same file: same inode (hard links, symlinks) or the same resolved
 * path (an output that does not exist yet). */
int cli_same_file(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 1;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ca[2 * PATH_MAX + 2], cb[2 * PATH_MAX + 2];
    canonical(a, ca, sizeof ca);
    canonical(b, cb, sizeof cb);
    return ca[0] != '\0' && strcmp(ca, cb) == 0;
}

int cli_same_stream(FILE *a, FILE *b)
{
    struct stat sa, sb;
    return fstat(fileno(a), &sa) == 0 && fstat(fileno(b), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* A missing or read-only directory is the machine's state, not a command-line mistake: a
 * runtime failure (exit 1) like a failed write, only reported before the work. */
static void check_writable_dir(const cli_path *o, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        cli_fail("%s: cannot write '%s': directory %s does not exist", o->option, o->path, dir);
    if (!S_ISDIR(st.st_mode))
        cli_fail("%s: cannot write '%s': %s is not a directory", o->option, o->path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        cli_fail("%s: cannot write '%s': directory %s is not writable", o->option, o->path, dir);
}

void cli_check_outputs(const cli_path *inputs, size_t n_inputs, const cli_path *outputs, size_t n_outputs)
{
    char dir[PATH_MAX];
    for (size_t i = 0; i < n_outputs; i++) {
        const cli_path *o = &outputs[i];
        if (o->path == NULL || (strcmp(o->path, "-") == 0 && !o->directory))
            continue;
        if (o->path[0] == '\0')
            cli_usage_error("%s: empty file name", o->option);
        struct stat st;
        int exists = stat(o->path, &st) == 0;
        if (o->directory) {
            if (exists && !S_ISDIR(st.st_mode))
                cli_fail("%s: cannot write '%s': it exists and is not a directory", o->option, o->path);
            if (exists)
                check_writable_dir(o, o->path);
            else {
                /* Created with its parents by the program: the nearest existing ancestor must
                 * be a writable directory. */
                snprintf(dir, sizeof dir, "%s", o->path);
                struct stat ds;
                do
                    parent_dir(dir, dir, sizeof dir);
                while (stat(dir, &ds) != 0 && strcmp(dir, ".") != 0 && strcmp(dir, "/") != 0);
                check_writable_dir(o, dir);
            }
        } else {
            if (exists && S_ISDIR(st.st_mode))
                cli_fail("%s: cannot write '%s': it is a directory (give a file name)", o->option, o->path);
            check_writable_dir(o, parent_dir(o->path, dir, sizeof dir));
        }
        for (size_t k = 0; k < n_inputs; k++) {
            const cli_path *in = &inputs[k];
            if (in->path == NULL || strcmp(in->path, "-") == 0)
                continue;
            if (cli_same_file(o->path, in->path))
                cli_usage_error("%s %s is the same file as the input %s%s%s (it would be overwritten)", o->option,
                                o->path, in->option, in->option[0] ? " " : "", in->path);
        }
        for (size_t k = 0; k < i; k++) {
            const cli_path *p = &outputs[k];
            if (p->path == NULL || strcmp(p->path, "-") == 0)
                continue;
            if (cli_same_file(o->path, p->path))
                cli_usage_error("%s %s and %s %s are the same file (give each output its own name)", p->option,
                                p->path, o->option, o->path);
        }
    }
}

size_t cli_data_inputs(const cli_data_args *args, const char *generic_option, cli_path *dst, size_t cap)
{
    const struct {
        const char *option, *path;
    } all[] = {{"--fasta", args->fasta}, {"--csv", args->csv},     {"--tsv", args->tsv},
               {"--lines", args->lines}, {"--pos", args->pos},     {"--neg", args->neg},
               {"--affys", args->affys}, {generic_option, args->generic}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0] && n < cap; i++)
        if (all[i].path != NULL) {
            dst[n].option = all[i].option;
            dst[n].path = all[i].path;
            dst[n].directory = 0;
            n++;
        }
    return n;
}
