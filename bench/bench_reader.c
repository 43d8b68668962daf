/*
 * bench_reader.c - throughput of the streaming reader (rbp_reader) over a large file.
 *
 *   bench_reader --generate PATH MB      write ~MB MiB of FASTA: 101-nt windows ("genome
 *                                        windows"), 60-column lines, ids ">w<N> chr1:<a>-<b>"
 *   bench_reader PATH [CHUNK [LENGTH [RUNS]]]
 *                                        stream PATH in chunks of CHUNK records (default 4096)
 *                                        encoded to LENGTH (default 101), RUNS times (default 3)
 *
 * Prints the records, the uncompressed text size, the median time and MB/s (MB = 10^6 bytes
 * of uncompressed text; for .gz input the text size is measured by one gzread pass first),
 * and the peak RSS of the process (getrusage), which stays flat: the reader holds one chunk.
 * Not a test: run by bench/run_reader.sh, results in bench/results/.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

#include <rbpattn/rbpattn.h>

#include "bench_util.h"

static int generate(const char *path, double mb)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return 1;
    }
    uint64_t target = (uint64_t)(mb * 1048576.0), written = 0, s = 0x9E3779B97F4A7C15ull;
    char rec[256];
    for (uint64_t i = 0; written < target; i++) {
        int w = snprintf(rec, sizeof rec, ">w%llu chr1:%llu-%llu\n", (unsigned long long)i,
                         (unsigned long long)(i * 50), (unsigned long long)(i * 50 + 101));
        for (int j = 0; j < 101; j++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17; /* xorshift64 */
            rec[w++] = "ACGT"[(s >> 32) & 3];
            if (j == 59)
                rec[w++] = '\n';
        }
        rec[w++] = '\n';
        if (fwrite(rec, 1, (size_t)w, f) != (size_t)w) {
            perror(path);
            fclose(f);
            return 1;
        }
        written += (uint64_t)w;
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    printf("bench_reader: wrote %s (%.1f MB)\n", path, (double)written / 1e6);
    return 0;
}

/* Uncompressed size of the text: the file size, or one gzread pass for gzip (whether the
 * file is gzip is only known after the first read). */
static double text_bytes(const char *path)
{
    static char buf[1 << 17];
    gzFile g = gzopen(path, "rb");
    if (!g)
        return -1;
    int got = gzread(g, buf, sizeof buf);
    double total = got > 0 ? got : 0;
    if (got >= 0 && gzdirect(g)) {
        gzclose(g);
        struct stat st;
        return stat(path, &st) == 0 ? (double)st.st_size : -1;
    }
    while ((got = gzread(g, buf, sizeof buf)) > 0)
        total += got;
    gzclose(g);
    return total;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--generate") == 0)
        return generate(argv[2], atof(argv[3]));
    if (argc < 2 || strncmp(argv[1], "--", 2) == 0) {
        fprintf(stderr, "usage: bench_reader PATH [CHUNK [LENGTH [RUNS]]] | bench_reader --generate PATH MB\n");
        return 2;
    }
    const char *path = argv[1];
    size_t chunk = argc > 2 ? (size_t)atol(argv[2]) : 4096;
    int length = argc > 3 ? atoi(argv[3]) : 101;
    int runs = argc > 4 ? atoi(argv[4]) : 3;
    if (runs < 1 || runs > 64 || chunk < 1 || length < 1) {
        fprintf(stderr, "bench_reader: bad CHUNK, LENGTH or RUNS\n");
        return 2;
    }
    double bytes = text_bytes(path);
    rbp_dataset_options opt;
    rbp_dataset_options_init(&opt, RBP_DATASET_OPTIONS_VERSION);
    opt.length = length;
    opt.require_target = 0;
    double t[64];
    uint64_t records = 0, check = 0;
    for (int k = 0; k < runs; k++) {
        double t0 = bench_now();
        rbp_reader *r = NULL;
        if (rbp_reader_open(&r, path, &opt) != RBP_OK) {
            fprintf(stderr, "bench_reader: %s\n", rbp_last_error());
            return 1;
        }
        const rbp_dataset *c = NULL;
        int32_t rc;
        while ((rc = rbp_reader_next(r, chunk, &c)) == 1)
            check += rbp_dataset_tokens(c)[0] + rbp_dataset_mask(c)[(size_t)length - 1]; /* touch the rows */
        if (rc < 0) {
            fprintf(stderr, "bench_reader: %s\n", rbp_last_error());
            return 1;
        }
        records = rbp_reader_count(r);
        rbp_reader_free(r);
        t[k] = bench_now() - t0;
    }
    double med = bench_median(t, runs);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bench_reader: %s: %llu records, %.1f MB of text, chunk %zu, length %d: median of %d runs %.3f s "
           "(min %.3f) = %.1f MB/s, %.0f records/s; peak RSS %.1f MiB (check %llu)\n",
           path, (unsigned long long)records, bytes / 1e6, chunk, length, runs, med, t[0], bytes / 1e6 / med,
           (double)records / med, (double)ru.ru_maxrss / 1024.0, (unsigned long long)check);
    return 0;
}
