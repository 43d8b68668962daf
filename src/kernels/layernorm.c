/*
 * kernels/layernorm.c - layer normalisation over the last dimension (C), with the per-row
 * mean and reciprocal standard deviation saved for the backward pass (as llm.c).
 *
 * Rows are short (C = d_model, typically 64), so each row is processed in two passes (mean,
 * then centred variance): more accurate than E[x^2] - E[x]^2 and just as cheap in L1.
 */
#include <math.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

RBP_HOT
static void layernorm_forward_impl(float *out, float *mean, float *rstd, const float *inp,
                            const float *weight, const float *bias, int N, int C, float eps)
{
    // inp (N,C), weight (C), bias (C) -> out (N,C), mean (N), rstd (N)
    const float invC = 1.0f / (float)C;
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * (size_t)C;
        float *o = out + (size_t)n * (size_t)C;
        float m = 0.0f;
        for (int c = 0; c < C; c++)
            m += x[c];
        m *= invC;
        float v = 0.0f;
        for (int c = 0; c < C; c++) {
            float xm = x[c] - m;
            v += xm * xm;
        }
        v *= invC;
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
static void layernorm_backward_impl(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, const float *mean,
                             const float *rstd, int N, int C)
{
    // forward: out (N,C) = (inp - mean) * rstd * weight + bias
    // dinp = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dout * weight
    const float invC = 1.0f / (float)C;
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * (size_t)C;
        const float *dy = dout + (size_t)n * (size_t)C;
        float *dx = dinp + (size_t)n * (size_t)C;
        const float m = mean[n], s = rstd[n];
        float gmean = 0.0f, gxmean = 0.0f;
        for (int c = 0; c < C; c++) {
            float xhat = (x[c] - m) * s;
            float g = weight[c] * dy[c];
            gmean += g;
            gxmean += g * xhat;
        }
        gmean *= invC;
        gxmean *= invC;
        for (int c = 0; c < C; c++) {
            float xhat = (x[c] - m) * s;
            float g = weight[c] * dy[c];
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
