/*
 * testutil.h - helpers shared by the CMocka tests: the CMocka includes in the right order,
 * tensor comparison that prints the first mismatches, a deterministic test RNG, scratch files.
 */
#ifndef RBP_TESTUTIL_H
#define RBP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Nonzero if |a-b| <= atol + rtol*|b| for all n; prints up to 5 mismatches with `label`. */
int rbp_test_close(const float *a, const float *b, size_t n, double atol, double rtol, const char *label);
#define assert_tensor_close(a, b, n, atol, rtol) assert_true(rbp_test_close((a), (b), (n), (atol), (rtol), #a " vs " #b))

/* `expr` returns `code` and rbp_last_error() mentions `text`. */
#define assert_error_mentions(expr, code, text)                                             \
    do {                                                                                    \
        rbp_clear_error();                                                                  \
        assert_int_equal((expr), (code));                                                   \
        if (strstr(rbp_last_error(), (text)) == NULL)                                       \
            fail_msg("error '%s' does not mention '%s'", rbp_last_error(), (text));         \
    } while (0)

/* Deterministic xorshift RNG for test data. */
typedef struct { uint64_t s; } rbp_test_rng;
void rbp_test_rng_seed(rbp_test_rng *r, uint64_t seed);
uint64_t rbp_test_rng_u64(rbp_test_rng *r);
float rbp_test_rng_uniform(rbp_test_rng *r, float lo, float hi); /* [lo, hi) */
void rbp_test_fill_uniform(rbp_test_rng *r, float *x, size_t n, float lo, float hi);

/* A fresh path in a per-process scratch directory (removed at exit): "<dir>/<name>". The
 * returned string is static storage of a ring of 8 buffers. */
const char *rbp_test_path(const char *name);
/* The scratch directory of rbp_test_path itself (created on first use). */
const char *rbp_test_dir(void);
/* How many entries of `dir` have ".tmp." in their name: leftovers of an atomic write
 * (rbp_atomic_file names its temporaries "<path>.tmp.<host>.<pid>.<n>"). */
int rbp_test_count_tmp_files(const char *dir);
/* The whole content of a file (malloc'ed, one extra byte; the caller frees); fails the test on error. */
unsigned char *rbp_test_read_file(const char *path, size_t *n);
/* Write `n` bytes (or strlen(text) when n == (size_t)-1) to a scratch file; returns its path. */
const char *rbp_test_write_file(const char *name, const char *text, size_t n);

#endif
