/*
 * fuzz/fuzz_common.h - shared pieces of the libFuzzer targets.
 *
 * The readers take paths (and FILE*s), so each input is written to a scratch file in
 * /dev/shm (or $TMPDIR) named after the process; a target must never crash, hang or leak
 * whatever the bytes, and every failure must leave a message (checked: a non-OK status with
 * an empty rbp_last_error() is a bug too).
 */
#ifndef RBP_FUZZ_COMMON_H
#define RBP_FUZZ_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rbpattn/rbpattn.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A scratch path for this process; `tag` keeps the files of one target apart. */
static inline const char *fuzz_path(const char *tag)
{
    static char buf[8][256];
    static int next;
    char *p = buf[next++ & 7];
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(p, 256, "%s/rbpfuzz-%ld-%s", dir, (long)getpid(), tag);
    return p;
}

static inline const char *fuzz_write(const char *tag, const uint8_t *data, size_t size)
{
    const char *p = fuzz_path(tag);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f) != 0)
        abort();
    return p;
}

/* A failure must say what failed. */
static inline void fuzz_check(rbp_status st)
{
    if (st != RBP_OK && rbp_last_error()[0] == '\0') {
        fprintf(stderr, "status %d (%s) without a message\n", (int)st, rbp_status_str(st));
        abort();
    }
}

/* Walk a loaded dataset (touches every array, so ASan sees any bad size). */
static inline void fuzz_touch(const rbp_dataset *ds)
{
    size_t n = rbp_dataset_size(ds), T = (size_t)rbp_dataset_length(ds);
    const uint8_t *tok = rbp_dataset_tokens(ds), *mask = rbp_dataset_mask(ds);
    const float *y = rbp_dataset_targets(ds);
    volatile unsigned acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += (unsigned)strlen(rbp_dataset_id(ds, i));
        acc += (unsigned)(y[i] == y[i]);
        if (T)
            acc += tok[i * T + T - 1] + mask[i * T];
    }
    (void)acc;
}

/* Defaults of the dataset loaders, with a record limit that keeps one input's memory small. */
static inline void fuzz_options(rbp_dataset_options *o, int32_t format)
{
    if (rbp_dataset_options_init(o, RBP_DATASET_OPTIONS_VERSION) != RBP_OK)
        abort();
    o->format = format;
    o->max_record_length = 4096;
}

/* Load one file of `format` and walk it. */
static inline void fuzz_load(const uint8_t *data, size_t size, int32_t format, const char *tag)
{
    rbp_dataset_options o;
    fuzz_options(&o, format);
    const char *p = fuzz_write(tag, data, size);
    rbp_dataset *ds = NULL;
    rbp_status st = rbp_dataset_load(&ds, p, &o);
    fuzz_check(st);
    if (st == RBP_OK)
        fuzz_touch(ds);
    rbp_dataset_free(ds);
}

/* Split an input into two files at the first "\n=====\n" (GraphProt pair, FASTA + .affys);
 * without the separator, at the middle. */
static inline void fuzz_split(const uint8_t *data, size_t size, size_t *first, size_t *second_off)
{
    static const char sep[] = "\n=====\n";
    const size_t k = sizeof sep - 1;
    for (size_t i = 0; i + k <= size; i++)
        if (memcmp(data + i, sep, k) == 0) {
            *first = i + 1;
            *second_off = i + k;
            return;
        }
    *first = size / 2;
    *second_off = size / 2;
}

#endif
