/*
 * gradcheck.h - finite-difference gradient checking shared by test_kernels, test_layers and
 * test_model (header-only: static inline helpers, so no CMake change is needed).
 *
 * gc_check makes ONE numeric estimate per element and compares it with the analytic value; it
 * never picks among estimates by their agreement with the analytic value (that could hide an
 * analytic error: the previous check kept the better of two). Per element i:
 *   estimate  the 4-point stencil over x_i + {-2,-1,1,2} s, s = GC_STEP * max(1, |x_i|) (as
 *             Richardson extrapolation of the central differences at s and 2s, each divided by
 *             its step as rounded to float): truncation O(s^4), noise ~ eps_f32 |loss| / s.
 *   kink test the three second differences over the five points (-2s..2s) must agree: for a
 *             smooth loss they differ by ~s^3 f''' (the one-sided differences disagree only
 *             as much as the curvature explains). A ReLU / |x| / max kink within 2s with slope
 *             jump J makes them differ by at least J s / 3, and spoils the estimate by at most
 *             half that difference / s. Where that bound exceeds the element's allowance
 *             (GC_KINK_REL of its size, or GC_NOISE noise sigmas), the step shrinks by
 *             GC_STEP_DIV, up to GC_STEP_TRIES times; then the element is SKIPPED and counted,
 *             never compared. A check fails when more than GC_MAX_SKIP of its elements (and
 *             more than one) are skipped; gc_summary fails above GC_MAX_TOTAL_SKIP overall.
 *   noise     sigma is the median nonzero kink figure at the smallest step / 3 (there a kink
 *             is rarely in reach and curvature negligible), scaled as 1/step.
 * The step and skip decisions use only loss values, never the analytic gradient. The tests
 * test_gradcheck_fails_on_planted_bugs (test_kernels) and test_gradcheck_fails_on_planted_bug
 * (test_model) show the check failing on wrong gradients and on too many skips.
 *
 * Central differences of a float32 forward pass carry an absolute noise of about
 * eps_f32 * |loss terms| / s, so a plain element-wise relative error is meaningless for
 * entries near zero (the elem floor includes the element's noise allowance). gc_compare
 * measures three figures over the compared elements:
 *   norm error  ||a - n||_2 / ||n||_2                                    < GC_TOL (1e-3)
 *   max error   max_i |a_i - n_i| / max_j |n_j|                          < GC_MAX_TOL (2e-3)
 *   elem error  max_i |a_i - n_i| / max(|a_i|, |n_i|, 1e-2 max_j |n_j|)   < GC_ELEM_TOL (2e-2)
 * The first (the "relative error") catches any systematic error, the second any single wrong
 * entry above 0.2% of the largest gradient, the third a wrong small entry. The max and elem
 * bounds are looser because single entries carry the full noise. The losses are accumulated
 * in double by the callers (gc_dot, the tests' BCE).
 */
#ifndef RBP_TEST_GRADCHECK_H
#define RBP_TEST_GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define GC_STEP 1e-2f
#define GC_TOL 1e-3
#define GC_MAX_TOL 2e-3
#define GC_ELEM_TOL 2e-2
#define GC_MAX_SKIP 0.05
#define GC_MAX_TOTAL_SKIP 0.01
#define GC_NOISE 6.0
#define GC_KINK_REL 5e-4
#define GC_STEP_DIV 8.0f
#define GC_STEP_TRIES 2

/* Largest norm error seen by gc_compare, and the elements checked and skipped by gc_check
 * (reported by the tests as a summary). */
static double gc_worst_norm_error;
static size_t gc_total_elements, gc_total_skipped;

/* Returns max(norm/GC_TOL, max/GC_MAX_TOL, elem/GC_ELEM_TOL) over the elements whose skip[i]
 * is 0 (skip may be NULL): < 1 passes. Prints the figures. */
static inline double gc_compare(const float *analytic, const double *numeric, const double *noise,
                                const unsigned char *skip, size_t n, const char *label)
{
    double maxn = 0.0, worst = 0.0, maxd = 0.0, dd = 0.0, nn = 0.0;
    size_t wi = 0, ns = 0;
    for (size_t i = 0; i < n; i++) {
        if (skip && skip[i]) {
            ns++;
            continue;
        }
        maxn = fmax(maxn, fabs(numeric[i]));
        nn += numeric[i] * numeric[i];
    }
    const double floor_ = fmax(1e-2 * maxn, 1e-12);
    for (size_t i = 0; i < n; i++) {
        if (skip && skip[i])
            continue;
        double a = analytic[i], d = fabs(a - numeric[i]);
        double den = fmax(fmax(fabs(a), fabs(numeric[i])), fmax(floor_, noise ? noise[i] / GC_ELEM_TOL : 0.0));
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
    printf("  grad %-30s n=%-5zu norm %.2e  max %.2e  elem %.2e (at %zu: %.6g vs %.6g)", label, n, norm_err, max_err,
           worst, wi, n ? analytic[wi] : 0.0, n ? numeric[wi] : 0.0);
    if (ns)
        printf("  skipped %zu (kink within the step)", ns);
    printf("\n");
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

static int gc_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * Numeric gradient of f w.r.t. x (n), one estimate per element (see the top of this file),
 * compared with `analytic`; returns the gc_compare ratio (< 1 passes), or INFINITY when more
 * than GC_MAX_SKIP of the elements were skipped. x is restored and f evaluated at it last, so
 * the context holds the unperturbed forward pass afterwards.
 */
/* The 4-point estimate of d f / d x[i] at step s (returned) and its kink figure (*kink): the
 * largest difference between neighbouring second differences over x[i] + {-2..2} s, over s. */
static inline double gc_estimate(float *x, size_t i, float s, double l0, gc_loss_fn f, void *ctx, double *kink)
{
    const float orig = x[i], k[4] = {-2.0f, -1.0f, 1.0f, 2.0f};
    double l[4], t[4];
    for (int j = 0; j < 4; j++) {
        x[i] = orig + k[j] * s;
        t[j] = (double)x[i] - (double)orig; /* the step as rounded to float */
        l[j] = f(ctx);
    }
    x[i] = orig;
    const double d2l = l[0] - 2.0 * l[1] + l0, d2c = l[1] - 2.0 * l0 + l[2], d2r = l0 - 2.0 * l[2] + l[3];
    *kink = fmax(fabs(d2c - d2l), fabs(d2r - d2c)) / (double)s;
    const double c1 = (l[2] - l[1]) / (t[2] - t[1]), c2 = (l[3] - l[0]) / (t[3] - t[0]);
    return (4.0 * c1 - c2) / 3.0;
}

/*
 * Numeric gradient of f w.r.t. x (n), one estimate per element (see the top of this file),
 * compared with `analytic`; returns the gc_compare ratio (< 1 passes), or INFINITY when more
 * than GC_MAX_SKIP of the elements were skipped. x is restored and f evaluated at it last, so
 * the context holds the unperturbed forward pass afterwards.
 */
static inline double gc_check(const float *analytic, float *x, size_t n, gc_loss_fn f, void *ctx, const char *label)
{
    const size_t n1 = n ? n : 1;
    double *num = malloc(sizeof(double) * n1), *kink = malloc(sizeof(double) * n1);
    double *noise = malloc(sizeof(double) * n1), *sorted = malloc(sizeof(double) * n1);
    unsigned char *skip = calloc(n1, 1);
    double r = INFINITY;
    size_t ns = 0, nretry = 0;
    if (!num || !kink || !noise || !sorted || !skip)
        goto done;
    const double l0 = f(ctx);
    /* The noise: at the smallest step a kink is rarely in reach and curvature is negligible,
     * so the median kink figure there is float32 noise, 4.5 times the estimate's (sigma ~
     * median / 3); noise grows as 1/step. */
    const double shrink = pow(GC_STEP_DIV, GC_STEP_TRIES);
    size_t nz = 0; /* elements the loss does not depend on at all (a dead ReLU) have no noise */
    for (size_t i = 0; i < n; i++) {
        double k;
        (void)gc_estimate(x, i, GC_STEP * fmaxf(1.0f, fabsf(x[i])) / (float)shrink, l0, f, ctx, &k);
        if (k > 0.0)
            sorted[nz++] = k / shrink; /* in units of the first step's noise */
    }
    qsort(sorted, nz, sizeof(double), gc_cmp_double);
    const double sigma = nz ? sorted[nz / 2] / 3.0 : 0.0;
    double maxn = 0.0;
    for (size_t i = 0; i < n; i++) {
        num[i] = gc_estimate(x, i, GC_STEP * fmaxf(1.0f, fabsf(x[i])), l0, f, ctx, &kink[i]);
        maxn = fmax(maxn, fabs(num[i]));
    }
    for (size_t i = 0; i < n; i++) {
        /* An estimate within a kink's reach is off by at most kink/2. Where that could exceed
         * the element's allowance (GC_ELEM_TOL relative, GC_NOISE sigma absolute), the step
         * shrinks by GC_STEP_DIV, up to GC_STEP_TRIES times; then the element is skipped. */
        float s = GC_STEP * fmaxf(1.0f, fabsf(x[i]));
        double sig = sigma;
        for (int tries = 0;; tries++) {
            noise[i] = GC_NOISE * sig;
            const double allow = fmax(GC_KINK_REL * fmax(fabs(num[i]), 1e-2 * maxn), noise[i]);
            if (kink[i] <= 2.0 * allow)
                break;
            if (tries == GC_STEP_TRIES) {
                skip[i] = 1;
                ns++;
                break;
            }
            s /= GC_STEP_DIV;
            sig *= GC_STEP_DIV;
            num[i] = gc_estimate(x, i, s, l0, f, ctx, &kink[i]);
            nretry++;
        }
    }
    (void)f(ctx);
    r = gc_compare(analytic, num, noise, skip, n, label);
    if (nretry)
        printf("    (%zu smaller steps)\n", nretry);
    gc_total_elements += n;
    gc_total_skipped += ns;
    if (ns > 1 && (double)ns > GC_MAX_SKIP * (double)n) {
        printf("  grad %-30s FAILS: %zu of %zu elements skipped (more than %.0f%%)\n", label, ns, n,
               100.0 * GC_MAX_SKIP);
        r = INFINITY;
    }
done:
    free(num);
    free(kink);
    free(noise);
    free(sorted);
    free(skip);
    return r;
}

/* Prints the figures of every check so far (a group teardown); nonzero (a failure) when more
 * than GC_MAX_TOTAL_SKIP of all the elements checked were skipped. */
static inline int gc_summary(const char *what)
{
    printf("%s: worst finite-difference norm error %.2e; %zu of %zu elements skipped (kink within the step)\n", what,
           gc_worst_norm_error, gc_total_skipped, gc_total_elements);
    return (double)gc_total_skipped > GC_MAX_TOTAL_SKIP * (double)gc_total_elements;
}

#endif /* RBP_TEST_GRADCHECK_H */
