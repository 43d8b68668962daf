/*
 * kernels/embedding.c - table look-ups for the token, structure and viewpoint channels and
 * the fixed sinusoidal positional encoding.
 *
 * Token values are validated by the model before any kernel runs (a bad token is a caller
 * error reported with its position), so here they are only asserted.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

RBP_HOT
static void embedding_forward_impl(float *out, const uint8_t *tokens, const float *table, int N, int C, float scale,
                            int accumulate)
{
    // tokens (N), table (V,C) -> out (N,C) (=, or += when accumulate)
    for (int n = 0; n < N; n++) {
        const float *row = table + (size_t)tokens[n] * (size_t)C;
        float *o = out + (size_t)n * (size_t)C;
        if (accumulate)
            for (int c = 0; c < C; c++)
                o[c] += row[c] * scale;
        else
            for (int c = 0; c < C; c++)
                o[c] = row[c] * scale;
    }
}

void rbp__embedding_forward(float *out, const uint8_t *tokens, const float *table, int N, int C, float scale,
                            int accumulate)
{
    embedding_forward_impl(out, tokens, table, N, C, scale, accumulate);
}

RBP_HOT
static void embedding_backward_impl(float *dtable, const float *dout, const uint8_t *tokens, int N, int C, float scale)
{
    // forward: out[n,:] = table[tokens[n],:] * scale  ->  dtable[tokens[n],:] += dout[n,:] * scale
    // Sequential over n, so the summation order (and the result) is fixed.
    for (int n = 0; n < N; n++) {
        float *row = dtable + (size_t)tokens[n] * (size_t)C;
        const float *d = dout + (size_t)n * (size_t)C;
        for (int c = 0; c < C; c++)
            row[c] += d[c] * scale;
    }
}

void rbp__embedding_backward(float *dtable, const float *dout, const uint8_t *tokens, int N, int C, float scale)
{
    embedding_backward_impl(dtable, dout, tokens, N, C, scale);
}

void rbp__positional_encoding(float *pe, int T, int C)
{
    // pe (T,C): sin for even i, cos for odd i of t / 10000^(2 floor(i/2) / C), computed in double
    for (int t = 0; t < T; t++)
        for (int i = 0; i < C; i++) {
            double ang = (double)t / pow(10000.0, (double)(2 * (i / 2)) / (double)C);
            pe[(size_t)t * (size_t)C + (size_t)i] = (float)((i % 2 == 0) ? sin(ang) : cos(ang));
        }
}

RBP_HOT
static void add_positional_impl(float *out, const float *pe, int B, int T, int C)
{
    // out (B,T,C) += pe (T,C)
    const size_t TC = (size_t)T * (size_t)C;
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * TC;
        for (size_t i = 0; i < TC; i++)
            o[i] += pe[i];
    }
}

void rbp__add_positional(float *out, const float *pe, int B, int T, int C)
{
    add_positional_impl(out, pe, B, T, C);
}
