/*
 * kernels/elementwise.c - element-wise updates and reductions over flat float arrays.
 *
 * Reductions accumulate in double with a fixed order, so gradient norms and losses are
 * deterministic and do not lose small terms over millions of parameters.
 */
#include <math.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

RBP_HOT
static void add_impl(float *out, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

void rbp__add(float *out, const float *a, const float *b, size_t n)
{
    add_impl(out, a, b, n);
}

RBP_HOT
static void axpy_impl(float *y, float alpha, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += alpha * x[i];
}

void rbp__axpy(float *y, float alpha, const float *x, size_t n)
{
    axpy_impl(y, alpha, x, n);
}

RBP_HOT
static void scale_impl(float *x, float alpha, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] *= alpha;
}

void rbp__scale(float *x, float alpha, size_t n)
{
    scale_impl(x, alpha, n);
}

RBP_HOT
static void fill_impl(float *x, float value, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = value;
}

void rbp__fill(float *x, float value, size_t n)
{
    fill_impl(x, value, n);
}

/* four double accumulators: independent chains (faster) in a fixed order (deterministic) */
RBP_HOT
static double sum_impl(const float *x, size_t n)
{
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a0 += (double)x[i];
        a1 += (double)x[i + 1];
        a2 += (double)x[i + 2];
        a3 += (double)x[i + 3];
    }
    for (; i < n; i++)
        a0 += (double)x[i];
    return (a0 + a1) + (a2 + a3);
}

double rbp__sum(const float *x, size_t n)
{
    return sum_impl(x, n);
}

RBP_HOT
static double sumsq_impl(const float *x, size_t n)
{
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a0 += (double)x[i] * (double)x[i];
        a1 += (double)x[i + 1] * (double)x[i + 1];
        a2 += (double)x[i + 2] * (double)x[i + 2];
        a3 += (double)x[i + 3] * (double)x[i + 3];
    }
    for (; i < n; i++)
        a0 += (double)x[i] * (double)x[i];
    return (a0 + a1) + (a2 + a3);
}

double rbp__sumsq(const float *x, size_t n)
{
    return sumsq_impl(x, n);
}

float rbp__max(const float *x, size_t n)
{
    /* -inf for n = 0; a NaN anywhere makes the result NaN */
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != x[i])
            return x[i];
        m = x[i] > m ? x[i] : m;
    }
    return m;
}

RBP_HOT
static int all_finite_impl(const float *x, size_t n)
{
    /* no early exit: the flag accumulation keeps the loop branch-free */
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= isfinite(x[i]) != 0;
    return ok;
}

int rbp__all_finite(const float *x, size_t n)
{
    return all_finite_impl(x, n);
}
