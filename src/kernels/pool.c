/*
 * kernels/pool.c - mean and max pooling over the real (unmasked) positions of a sequence,
 * used by the classification head when pooling is "mean" or "max" instead of "flatten", and
 * max pooling over windows of positions, used by a pooling stem (stem_pool) to shorten the
 * sequence the encoder attends over.
 */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

RBP_HOT
static void meanpool_forward_impl(float *out, const float *inp, const uint8_t *mask, int B, int T, int C)
{
    // inp (B,T,C), mask (B,T) or NULL -> out (B,C) = mean over real positions (0 if none)
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * (size_t)C;
        memset(o, 0, (size_t)C * sizeof(float));
        int count = 0;
        for (int t = 0; t < T; t++) {
            if (mask && !mask[(size_t)b * (size_t)T + (size_t)t])
                continue;
            const float *x = inp + ((size_t)b * (size_t)T + (size_t)t) * (size_t)C;
            for (int c = 0; c < C; c++)
                o[c] += x[c];
            count++;
        }
        if (count > 0) {
            const float inv = 1.0f / (float)count;
            for (int c = 0; c < C; c++)
                o[c] *= inv;
        }
    }
}

void rbp__meanpool_forward(float *out, const float *inp, const uint8_t *mask, int B, int T, int C)
{
    meanpool_forward_impl(out, inp, mask, B, T, C);
}

RBP_HOT
static void meanpool_backward_impl(float *dinp, const float *dout, const uint8_t *mask, int B, int T, int C)
{
    // forward: out[b,c] = sum_{t real} inp[b,t,c] / count_b  ->  dinp[b,t,c] += dout[b,c] / count_b
    for (int b = 0; b < B; b++) {
        int count = 0;
        for (int t = 0; t < T; t++)
            count += mask ? (mask[(size_t)b * (size_t)T + (size_t)t] != 0) : 1;
        if (count == 0)
            continue;
        const float inv = 1.0f / (float)count;
        const float *d = dout + (size_t)b * (size_t)C;
        for (int t = 0; t < T; t++) {
            if (mask && !mask[(size_t)b * (size_t)T + (size_t)t])
                continue;
            float *dx = dinp + ((size_t)b * (size_t)T + (size_t)t) * (size_t)C;
            for (int c = 0; c < C; c++)
                dx[c] += d[c] * inv;
        }
    }
}

void rbp__meanpool_backward(float *dinp, const float *dout, const uint8_t *mask, int B, int T, int C)
{
    meanpool_backward_impl(dinp, dout, mask, B, T, C);
}

RBP_HOT
static void maxpool_forward_impl(float *out, int32_t *argmax, const float *inp, const uint8_t *mask, int B, int T, int C)
{
    // inp (B,T,C), mask (B,T) or NULL -> out (B,C) = max over real positions, argmax (B,C)
    // (0 and argmax -1 when a row has no real position; the first maximum wins ties)
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * (size_t)C;
        int32_t *am = argmax + (size_t)b * (size_t)C;
        for (int c = 0; c < C; c++) {
            o[c] = -INFINITY;
            am[c] = -1;
        }
        for (int t = 0; t < T; t++) {
            if (mask && !mask[(size_t)b * (size_t)T + (size_t)t])
                continue;
            const float *x = inp + ((size_t)b * (size_t)T + (size_t)t) * (size_t)C;
            for (int c = 0; c < C; c++)
                if (x[c] > o[c] || am[c] < 0) {
                    o[c] = x[c];
                    am[c] = t;
                }
        }
        for (int c = 0; c < C; c++)
            if (am[c] < 0)
                o[c] = 0.0f;
    }
}

void rbp__maxpool_forward(float *out, int32_t *argmax, const float *inp, const uint8_t *mask, int B, int T, int C)
{
    maxpool_forward_impl(out, argmax, inp, mask, B, T, C);
}

void rbp__maxpool_backward(float *dinp, const float *dout, const int32_t *argmax, int B, int T, int C)
{
    // forward: out[b,c] = inp[b, argmax[b,c], c]  ->  dinp[b, argmax[b,c], c] += dout[b,c]
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            int32_t t = argmax[(size_t)b * (size_t)C + (size_t)c];
            if (t >= 0 && t < T)
                dinp[((size_t)b * (size_t)T + (size_t)t) * (size_t)C + (size_t)c] += dout[(size_t)b * (size_t)C + (size_t)c];
        }
}

void rbp__windowpool_forward(float *out, int32_t *argmax, uint8_t *omask, const float *inp, const uint8_t *mask, int B,
                             int T, int C, int P)
{
    // inp (B,T,C), mask (B,T) or NULL -> out (B,Tp,C), argmax (B,Tp,C), omask (B,Tp) with
    // Tp = ceil(T/P): each window of P positions (the last may be shorter) max-pooled as above
    const int Tp = (T + P - 1) / P;
    for (int b = 0; b < B; b++)
        for (int u = 0; u < Tp; u++) {
            const int t0 = u * P, w = T - t0 < P ? T - t0 : P;
            const size_t r = (size_t)b * (size_t)Tp + (size_t)u, src = (size_t)b * (size_t)T + (size_t)t0;
            const uint8_t *m = mask ? mask + src : NULL;
            maxpool_forward_impl(out + r * (size_t)C, argmax + r * (size_t)C, inp + src * (size_t)C, m, 1, w, C);
            int any = !m;
            for (int t = 0; m && t < w; t++)
                any |= m[t] != 0;
            omask[r] = (uint8_t)any;
            for (int c = 0; c < C; c++) /* window-relative -> sequence position */
                if (argmax[r * (size_t)C + (size_t)c] >= 0)
                    argmax[r * (size_t)C + (size_t)c] += t0;
        }
}

void rbp__windowpool_backward(float *dinp, const float *dout, const int32_t *argmax, int B, int T, int C, int P)
{
    // forward: out[b,u,c] = inp[b, argmax[b,u,c], c]  ->  dinp[b, argmax[b,u,c], c] += dout[b,u,c]
    const int Tp = (T + P - 1) / P;
    for (int b = 0; b < B; b++)
        for (int u = 0; u < Tp; u++) {
            const size_t r = ((size_t)b * (size_t)Tp + (size_t)u) * (size_t)C;
            for (int c = 0; c < C; c++) {
                const int32_t t = argmax[r + (size_t)c];
                if (t >= 0 && t < T)
                    dinp[((size_t)b * (size_t)T + (size_t)t) * (size_t)C + (size_t)c] += dout[r + (size_t)c];
            }
        }
}
