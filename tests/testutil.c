/* testutil.c - see testutil.h. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rbp_test_close(const float *a, const float *b, size_t n, double atol, double rtol, const char *label)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= atol + rtol * fabs((double)b[i]))) {
            if (bad < 5)
                printf("  %s: mismatch at %zu: %.9g vs %.9g (|d| = %.3g)\n", label, i, a[i], b[i], d);
            bad++;
        }
    }
    if (bad)
        printf("  %s: %zu of %zu values differ (atol %.3g, rtol %.3g)\n", label, bad, n, atol, rtol);
    return bad == 0;
}

void rbp_test_rng_seed(rbp_test_rng *r, uint64_t seed)
{
    r->s = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (!r->s)
        r->s = 1;
}

uint64_t rbp_test_rng_u64(rbp_test_rng *r)
{
    uint64_t x = r->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

float rbp_test_rng_uniform(rbp_test_rng *r, float lo, float hi)
{
    double u = (double)(rbp_test_rng_u64(r) >> 11) / 9007199254740992.0;
    return (float)(lo + (hi - lo) * u);
}

void rbp_test_fill_uniform(rbp_test_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rbp_test_rng_uniform(r, lo, hi);
}

static char scratch_dir[256];

static void remove_scratch(void)
{
    char cmd[300];
    if (scratch_dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", scratch_dir);
    }
}

const char *rbp_test_path(const char *name)
{
    static char ring[8][512];
    static int next = 0;
    if (!scratch_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(scratch_dir, sizeof scratch_dir, "%s/rbptest.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(scratch_dir)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_scratch);
    }
    char *out = ring[next];
    next = (next + 1) % 8;
    snprintf(out, 512, "%s/%s", scratch_dir, name);
    return out;
}

const char *rbp_test_dir(void)
{
    (void)rbp_test_path("");
    return scratch_dir;
}

int rbp_test_count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        exit(1);
    }
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        count += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return count;
}

const char *rbp_test_write_file(const char *name, const char *text, size_t n)
{
    const char *path = rbp_test_path(name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    if (n == (size_t)-1)
        n = strlen(text);
    if (n && fwrite(text, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
    return path;
}

unsigned char *rbp_test_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    unsigned char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    buf[len] = '\0'; /* callers may treat a text file as a string (valgrind caught sscanf) */
    *n = (size_t)len;
    return buf;
}
