/*
 * kernels/layernorm.c - layer normalisation over the last dimension (C), with the per-row
 * mean and reciprocal standard deviation saved for the backward pass (as llm.c).
 *
 * Rows are short (C = d_model, typically 64), so each row is processed in two passes (mean,
 * then centred variance): more accurate than E[x^2] - E[x]^2 and just as cheap in L1. Row
 * reductions use LANES partial sums so that they vectorise. Outputs must not alias inputs.
 */
#include <math.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

#define LANES 16

/* sum of x[0..C) in LANES partial sums (a fixed order the compiler can vectorise) */
RBP_INLINE float sum_lanes(const float *restrict x, int C)
{
    float acc[LANES] = {0};
    int c = 0;
    for (; c + LANES <= C; c += LANES)
        for (int k = 0; k < LANES; k++)
            acc[k] += x[c + k];
    for (; c < C; c++)
        acc[0] += x[c];
    float s = 0.0f;
    for (int k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

/* sum of (x[c] - m)^2 */
RBP_INLINE float sumsq_lanes(const float *restrict x, float m, int C)
{
    float acc[LANES] = {0};
    int c = 0;
    for (; c + LANES <= C; c += LANES)
        for (int k = 0; k < LANES; k++) {
            const float d = x[c + k] - m;
            acc[k] += d * d;
        }
    for (; c < C; c++) {
        const float d = x[c] - m;
        acc[0] += d * d;
    }
    float s = 0.0f;
    for (int k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

RBP_HOT
static void layernorm_forward_impl(float *restrict out, float *restrict mean, float *restrict rstd,
                                   const float *restrict inp, const float *restrict weight,
                                   const float *restrict bias, int N, int C, float eps)
{
    // inp (N,C), weight (C), bias (C) -> out (N,C), mean (N), rstd (N)
    const float invC = 1.0f / (float)C;
    for (int n = 0; n < N; n++) {
        const float *restrict x = inp + (size_t)n * (size_t)C;
        float *restrict o = out + (size_t)n * (size_t)C;
        const float m = sum_lanes(x, C) * invC;
        const float v = sumsq_lanes(x, m, C) * invC;
        const float s = 1.0f / sqrtf(v + eps);
        for (int c = 0; c < C; c++)
            o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[n] = m;
        rstd[n] = s;
    }
}

void rbp__layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                            const float *weight, const float *bias, int N, int C, float eps)
{
    layernorm_forward_impl(out, mean, rstd, inp, weight, bias, N, C, eps);
}

RBP_HOT
static void layernorm_backward_impl(float *restrict dinp, float *restrict dweight, float *restrict dbias,
                                    const float *restrict dout, const float *restrict inp,
                                    const float *restrict weight, const float *restrict mean,
                                    const float *restrict rstd, int N, int C)
{
    // forward: out (N,C) = (inp - mean) * rstd * weight + bias
    // dinp = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dout * weight
    const float invC = 1.0f / (float)C;
    for (int n = 0; n < N; n++) {
        const float *restrict x = inp + (size_t)n * (size_t)C;
        const float *restrict dy = dout + (size_t)n * (size_t)C;
        float *restrict dx = dinp + (size_t)n * (size_t)C;
        const float m = mean[n], s = rstd[n];
        float ag[LANES] = {0}, agx[LANES] = {0};
        int c = 0;
        for (; c + LANES <= C; c += LANES)
            for (int k = 0; k < LANES; k++) {
                const float xhat = (x[c + k] - m) * s, g = weight[c + k] * dy[c + k];
                ag[k] += g;
                agx[k] += g * xhat;
            }
        for (; c < C; c++) {
            const float xhat = (x[c] - m) * s, g = weight[c] * dy[c];
            ag[0] += g;
            agx[0] += g * xhat;
        }
        float gmean = 0.0f, gxmean = 0.0f;
        for (int k = 0; k < LANES; k++) {
            gmean += ag[k];
            gxmean += agx[k];
        }
        gmean *= invC;
        gxmean *= invC;
        for (c = 0; c < C; c++) {
            const float xhat = (x[c] - m) * s, g = weight[c] * dy[c];
            dbias[c] += dy[c];
            dweight[c] += xhat * dy[c];
            dx[c] += (g - gmean - xhat * gxmean) * s;
        }
    }
}

void rbp__layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, const float *mean,
                             const float *rstd, int N, int C)
{
    layernorm_backward_impl(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
}
