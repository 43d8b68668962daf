/*
 * layers/conv.c - the optional convolutional stem: a residual 1-D convolution over the
 * sequence, x + ReLU(Conv1d_K(x)), with d_model input channels, 'same' zero padding and a
 * bias. It sits between the input block and the encoder so that every position sees its K-mer
 * neighbourhood (binding motifs are 4-8 nt) before attention does. The convolution has either
 * d_model filters (added to x as they are) or F filters of their own followed by a dense
 * projection back to d_model, x + W_p ReLU(Conv1d_K(x)) + b_p: a wide stem gives a set with
 * many distinct motifs (miRNA seed matches for AGO2) as many detectors as it needs without
 * widening every encoder layer.
 *
 * The convolution is im2col + one GEMM: col (B*T, K*C) holds, for every position, the K
 * neighbouring input rows side by side, so out = col @ w^T + b with w (C, K*C). Positions
 * outside the sequence and padded positions (mask 0) contribute zero rows, so a sequence's
 * output does not depend on what its padding holds. The backward is the same GEMM transposed
 * followed by col2im, which scatters each column block back onto the input row it came from.
 */
#include <string.h>

#include "layers/layers.h"

/* index of the input row seen by tap j at position t, or -1 when it is outside or padded */
static int tap_source(const uint8_t *mask_b, int t, int j, int T, int K)
{
    const int s = t + j - K / 2;
    if (s < 0 || s >= T || (mask_b && !mask_b[s]))
        return -1;
    return s;
}

void rbp__conv_stem_forward(float *out, float *col, float *h, const float *inp, const uint8_t *mask,
                            const rbp__conv_stem_weights *w, int B, int T, int C, int F, int K)
{
    // inp (B,T,C), mask (B,T) or NULL -> col (B*T, K*C) (im2col), h (B*T, F) = ReLU(col @ w^T + b),
    // out (B,T,C) = inp + h (F == C, no projection) or inp + h @ pw^T + pb
    const size_t N = (size_t)B * (size_t)T, KC = (size_t)K * (size_t)C;
    for (int bb = 0; bb < B; bb++) {
        const uint8_t *mb = mask ? mask + (size_t)bb * (size_t)T : NULL;
        for (int t = 0; t < T; t++) {
            float *row = col + ((size_t)bb * (size_t)T + (size_t)t) * KC;
            for (int j = 0; j < K; j++) {
                const int s = tap_source(mb, t, j, T, K);
                if (s < 0)
                    memset(row + (size_t)j * (size_t)C, 0, (size_t)C * sizeof(float));
                else
                    memcpy(row + (size_t)j * (size_t)C, inp + ((size_t)bb * (size_t)T + (size_t)s) * (size_t)C,
                           (size_t)C * sizeof(float));
            }
        }
    }
    rbp__matmul_forward(h, col, w->w, w->b, (int)N, (int)KC, F);
    rbp__relu_forward(h, h, N * (size_t)F);
    if (w->pw) {
        rbp__matmul_forward(out, h, w->pw, w->pb, (int)N, F, C);
        for (size_t i = 0; i < N * (size_t)C; i++)
            out[i] += inp[i];
    } else {
        for (size_t i = 0; i < N * (size_t)C; i++)
            out[i] = inp[i] + h[i];
    }
}

void rbp__conv_stem_backward(float *dinp, rbp__conv_stem_grads *g, float *dh, float *dcol, const float *dout,
                             const float *col, const float *h, const uint8_t *mask, const rbp__conv_stem_weights *w,
                             int B, int T, int C, int F, int K)
{
    // forward: col = im2col(inp, mask); h = ReLU(col @ w^T + b); out = inp + h or inp + h @ pw^T + pb
    const size_t N = (size_t)B * (size_t)T, KC = (size_t)K * (size_t)C, NC = N * (size_t)C;
    const size_t NF = N * (size_t)F;
    for (size_t i = 0; i < NC; i++) // residual path
        dinp[i] += dout[i];
    if (w->pw) {
        // dh = (dout @ pw) * (h > 0), written with beta = 0 (scratch needs no memset)
        rbp__matmul_backward(NULL, g->pw, g->pb, dout, h, w->pw, (int)N, F, C);
        rbp__sgemm_rm(0, 0, (int)N, F, C, 1.0f, dout, C, w->pw, F, 0.0f, dh, F);
        for (size_t i = 0; i < NF; i++)
            dh[i] = h[i] > 0.0f ? dh[i] : 0.0f;
    } else {
        for (size_t i = 0; i < NF; i++)
            dh[i] = h[i] > 0.0f ? dout[i] : 0.0f;
    }
    rbp__matmul_backward(NULL, g->w, g->b, dh, col, w->w, (int)N, (int)KC, F);
    // dcol (N, K*C) = dh @ w, written with beta = 0 (scratch needs no memset)
    rbp__sgemm_rm(0, 0, (int)N, (int)KC, F, 1.0f, dh, F, w->w, (int)KC, 0.0f, dcol, (int)KC);
    // col2im: each tap's block goes back onto the input row it was copied from
    for (int bb = 0; bb < B; bb++) {
        const uint8_t *mb = mask ? mask + (size_t)bb * (size_t)T : NULL;
        for (int t = 0; t < T; t++) {
            const float *row = dcol + ((size_t)bb * (size_t)T + (size_t)t) * KC;
            for (int j = 0; j < K; j++) {
                const int s = tap_source(mb, t, j, T, K);
                if (s < 0)
                    continue;
                float *d = dinp + ((size_t)bb * (size_t)T + (size_t)s) * (size_t)C;
                const float *src = row + (size_t)j * (size_t)C;
                for (int c = 0; c < C; c++)
                    d[c] += src[c];
            }
        }
    }
}
