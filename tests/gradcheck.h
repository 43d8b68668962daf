/*
 * gradcheck.h - finite-difference gradient checking shared by test_kernels, test_layers and
 * test_model (header-only: static inline helpers, so no CMake change is needed).
 *
 * Central differences of a float32 forward pass carry an absolute noise of about
 * eps_f32 * |loss terms| / h (~1e-4 at h = 1e-3), so a plain element-wise relative error is
 * meaningless for entries near zero. gc_compare measures three figures:
 *   norm error  ||a - n||_2 / ||n||_2                                    < GC_TOL (1e-3)
 *   max error   max_i |a_i - n_i| / max_j |n_j|                          < GC_TOL
 *   elem error  max_i |a_i - n_i| / max(|a_i|, |n_i|, 1e-2 max_j |n_j|)   < GC_ELEM_TOL (2e-2)
 * The first two catch any systematic or large error, the third a wrong small entry.
 */
#ifndef RBP_TEST_GRADCHECK_H
#define RBP_TEST_GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define GC_STEP 1e-3f
#define GC_TOL 1e-3
#define GC_ELEM_TOL 2e-2

/* Largest norm error seen by gc_compare (reported by the tests as a summary). */
static double gc_worst_norm_error;

/* Returns max(norm/GC_TOL, max/GC_TOL, elem/GC_ELEM_TOL): < 1 passes. Prints the figures. */
static inline double gc_compare(const float *analytic, const double *numeric, size_t n, const char *label)
{
    double maxn = 0.0, worst = 0.0, maxd = 0.0, dd = 0.0, nn = 0.0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        maxn = fmax(maxn, fabs(numeric[i]));
        nn += numeric[i] * numeric[i];
    }
    const double floor_ = fmax(1e-2 * maxn, 1e-12);
    for (size_t i = 0; i < n; i++) {
        double a = analytic[i], d = fabs(a - numeric[i]);
        double den = fmax(fmax(fabs(a), fabs(numeric[i])), floor_);
        dd += d * d;
        maxd = fmax(maxd, d);
        if (d / den > worst) {
            worst = d / den;
            wi = i;
        }
    }
    const double norm_err = sqrt(dd) / fmax(sqrt(nn), 1e-12), max_err = maxd / fmax(maxn, 1e-12);
    if (norm_err > gc_worst_norm_error)
        gc_worst_norm_error = norm_err;
    printf("  grad %-30s n=%-5zu norm %.2e  max %.2e  elem %.2e (at %zu: %.6g vs %.6g)\n", label, n, norm_err,
           max_err, worst, wi, n ? analytic[wi] : 0.0, n ? numeric[wi] : 0.0);
    if (maxn == 0.0 && maxd == 0.0)
        return 0.0;
    return fmax(fmax(norm_err / GC_TOL, max_err / GC_TOL), worst / GC_ELEM_TOL);
}

/* loss = sum_i out[i] * g[i] in double: d loss / d out = g */
static inline double gc_dot(const float *out, const float *g, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)out[i] * (double)g[i];
    return s;
}

typedef double (*gc_loss_fn)(void *ctx);

/* central differences of f w.r.t. every element of x, step h */
static inline void gc_numeric(double *out, float *x, size_t n, gc_loss_fn f, void *ctx, float h)
{
    for (size_t i = 0; i < n; i++) {
        const float orig = x[i];
        x[i] = orig + h;
        double lp = f(ctx);
        x[i] = orig - h;
        double lm = f(ctx);
        x[i] = orig;
        out[i] = (lp - lm) / (2.0 * (double)h);
    }
}

/* numeric gradient of f w.r.t. x (n) compared with `analytic`; returns the gc_compare ratio */
static inline double gc_check(const float *analytic, float *x, size_t n, gc_loss_fn f, void *ctx, const char *label)
{
    double *num = malloc(sizeof(double) * (n ? n : 1));
    if (!num)
        return INFINITY;
    gc_numeric(num, x, n, f, ctx, GC_STEP);
    double r = gc_compare(analytic, num, n, label);
    free(num);
    return r;
}

#endif /* RBP_TEST_GRADCHECK_H */
