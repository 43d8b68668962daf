/*
 * bench_dataset.c - how fast rbp_dataset_load reads and encodes one RBP-31 set (gzipped
 * FASTA, training 30,000 + test 10,000 sequences of 101 nt).
 *
 *   bench_dataset [TRAINING.fa.gz [TEST.fa.gz [RUNS]]]
 *
 * Without arguments it looks for set 23_PARCLIP_PUM2_hg19 under ../shared/data/rbp31 and
 * ../../shared/data/rbp31 (relative to the working directory). Each run loads both files
 * from scratch (open, decompress, parse, encode, expand to (n, T) rows); the median of RUNS
 * runs (default 9) is reported as sequences/s and MB/s of decompressed text. One thread.
 * On the default set it also checks the counts (30,000 training records with 6,000
 * positives, 10,000 test records with 2,000) and exits 1 if they differ.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <rbpattn/rbpattn.h>

#include "bench_util.h"

#define SET "23_PARCLIP_PUM2_hg19/30000"

/* Decompressed size of a (gzip or plain) file, or -1. */
static long long text_bytes(const char *path)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return -1;
    static char buf[1 << 16];
    long long total = 0;
    int got;
    while ((got = gzread(f, buf, sizeof buf)) > 0)
        total += got;
    gzclose(f);
    return got < 0 ? -1 : total;
}

static int exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

int main(int argc, char **argv)
{
    static char train_path[512], test_path[512];
    if (argc > 1) {
        snprintf(train_path, sizeof train_path, "%s", argv[1]);
        if (argc > 2)
            snprintf(test_path, sizeof test_path, "%s", argv[2]);
    } else {
        static const char *roots[] = {"../shared/data/rbp31/datasets/clip/", "../../shared/data/rbp31/datasets/clip/"};
        for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
            snprintf(train_path, sizeof train_path, "%s%s/training_sample_0/sequences.fa.gz", roots[i], SET);
            snprintf(test_path, sizeof test_path, "%s%s/test_sample_0/sequences.fa.gz", roots[i], SET);
            if (exists(train_path))
                break;
        }
    }
    int runs = argc > 3 ? atoi(argv[3]) : 9;
    if (runs < 1)
        runs = 1;
    const char *paths[2] = {train_path, test_path[0] ? test_path : NULL};
    long long bytes = 0;
    for (int k = 0; k < 2 && paths[k]; k++) {
        long long b = text_bytes(paths[k]);
        if (b < 0) {
            fprintf(stderr, "bench_dataset: cannot read %s (give the paths as arguments)\n", paths[k]);
            return 1;
        }
        bytes += b;
    }

    /* expected (records, positives) of the default set */
    static const size_t expect[2][2] = {{30000, 6000}, {10000, 2000}};
    int check = argc <= 1, bad = 0;
    double *t = malloc((size_t)runs * sizeof *t);
    size_t n_total = 0;
    for (int r = 0; r < runs; r++) {
        n_total = 0;
        double t0 = bench_now();
        for (int k = 0; k < 2 && paths[k]; k++) {
            rbp_dataset *ds = NULL;
            rbp_status st = rbp_dataset_load(&ds, paths[k], NULL);
            if (st != RBP_OK) {
                fprintf(stderr, "bench_dataset: %s\n", rbp_last_error());
                return 1;
            }
            n_total += rbp_dataset_size(ds);
            if (r == 0) {
                printf("%-60s %6zu records, %5zu positives, T = %d\n", paths[k], rbp_dataset_size(ds),
                       rbp_dataset_count_positive(ds), rbp_dataset_length(ds));
                if (check && (rbp_dataset_size(ds) != expect[k][0] || rbp_dataset_count_positive(ds) != expect[k][1])) {
                    fprintf(stderr, "bench_dataset: expected %zu records with %zu positives\n", expect[k][0],
                            expect[k][1]);
                    bad = 1;
                }
            }
            rbp_dataset_free(ds);
        }
        t[r] = bench_now() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, bench_cmp_double);
    double med = t[runs / 2];
    printf("bench_dataset: %zu sequences, %.2f MB text, median of %d runs %.4f s (min %.4f): %.0f sequences/s, "
           "%.1f MB/s\n",
           n_total, (double)bytes / 1e6, runs, med, t[0], (double)n_total / med, (double)bytes / 1e6 / med);
    free(t);
    return bad;
}
