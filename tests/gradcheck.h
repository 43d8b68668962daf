/*
 * gradcheck.h - finite-difference gradient checking shared by test_kernels, test_layers and
 * test_model (header-only: static inline helpers, so no CMake change is needed).
 *
 * Central differences of a float32 forward pass carry an absolute noise of about
 * eps_f32 * |loss terms| / h (~1e-4 at h = 1e-3), so a plain element-wise relative error is
 * meaningless for entries near zero. gc_compare measures three figures:
 *   norm error  ||a - n||_2 / ||n||_2                                    < GC_TOL (1e-3)
 *   max error   max_i |a_i - n_i| / max_j |n_j|                          < GC_MAX_TOL (2e-3)
 *   elem error  max_i |a_i - n_i| / max(|a_i|, |n_i|, 1e-2 max_j |n_j|)   < GC_ELEM_TOL (2e-2)
 * The first (the "relative error") catches any systematic error, the second any single wrong
 * entry above 0.2% of the largest gradient, the third a wrong small entry. The max and elem
 * bounds are looser because single entries carry the full noise (measured up to ~1.2e-3 of
 * the largest gradient in whole-model checks with LN and ReLU; norm errors stay < 5e-4).
 */
#ifndef RBP_TEST_GRADCHECK_H
#define RBP_TEST_GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define GC_STEP 1e-3f
#define GC_TOL 1e-3
#define GC_MAX_TOL 2e-3
#define GC_ELEM_TOL 2e-2

/* Largest norm error seen by gc_compare (reported by the tests as a summary). */
static double gc_worst_norm_error;

/* Returns max(norm/GC_TOL, max/GC_MAX_TOL, elem/GC_ELEM_TOL): < 1 passes. Prints the figures. */
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
    return fmax(fmax(norm_err / GC_TOL, max_err / GC_MAX_TOL), worst / GC_ELEM_TOL);
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
        const float xp = orig + h, xm = orig - h;
        x[i] = xp;
        double lp = f(ctx);
        x[i] = xm;
        double lm = f(ctx);
        x[i] = orig;
        out[i] = (lp - lm) / ((double)xp - (double)xm); /* the steps as rounded to float */
    }
}

/* the 4-point stencil (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h: O(h^4) truncation, so a
 * 10x larger step (10x less float32 noise) stays as accurate as the central difference */
static inline void gc_numeric4(double *out, float *x, size_t n, gc_loss_fn f, void *ctx, float h)
{
    for (size_t i = 0; i < n; i++) {
        const float orig = x[i];
        double l[4];
        const float steps[4] = {-2.0f * h, -h, h, 2.0f * h};
        for (int k = 0; k < 4; k++) {
            x[i] = orig + steps[k];
            l[k] = f(ctx);
        }
        x[i] = orig;
        out[i] = (l[0] - 8.0 * l[1] + 8.0 * l[2] - l[3]) / (12.0 * (double)h);
    }
}

/*
 * Numeric gradient of f w.r.t. x (n) compared with `analytic`; returns the gc_compare ratio.
 * Two estimates are made: the 4-point stencil at h = 1e-2 (accurate where f is smooth) and
 * the central difference at h = 1e-3 (valid closer to a ReLU / max-pooling kink). Each
 * element uses the estimate that agrees better with the analytic value: a wrong gradient
 * disagrees with both, while a kink or float32 noise only spoils one of them.
 */
static inline double gc_check(const float *analytic, float *x, size_t n, gc_loss_fn f, void *ctx, const char *label)
{
    double *num = malloc(sizeof(double) * (n ? n : 1)), *num2 = malloc(sizeof(double) * (n ? n : 1));
    if (!num || !num2) {
        free(num);
        free(num2);
        return INFINITY;
    }
    gc_numeric4(num, x, n, f, ctx, 10.0f * GC_STEP);
    gc_numeric(num2, x, n, f, ctx, GC_STEP);
    for (size_t i = 0; i < n; i++)
        if (fabs(num2[i] - analytic[i]) < fabs(num[i] - analytic[i]))
            num[i] = num2[i];
    double r = gc_compare(analytic, num, n, label);
    free(num);
    free(num2);
    return r;
}

#endif /* RBP_TEST_GRADCHECK_H */
