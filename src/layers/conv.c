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
 * The convolution is one product per sequence: out = col @ w^T + b, where row t of col holds
 * the K input rows around t side by side, so w is (F, K*C). Positions outside the sequence and
 * padded positions (mask 0) contribute zero rows, so a sequence's output does not depend on
 * what its padding holds. Two ways to get col:
 *  - direct (rbp__sgemm_window_ok): the sequence is copied once, with K/2 zero rows at each end
 *    and its padded rows zeroed, into xp (T+K-1, C). Row t of col is then the K*C floats of
 *    xp from row t on: the built-in kernels read these overlapping windows in place, with row
 *    stride C. The backward does the same: dW from the same windows, and d(input) as windows
 *    of the zero-padded dh against the taps of w in reverse order (wt, packed per step).
 *  - im2col (any BLAS): col (B*T, K*C) is written out, and the backward scatters its
 *    gradient back onto the input rows (col2im).
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

size_t rbp__conv_stem_col_floats(int direct, int B, int T, int C, int K)
{
    return (size_t)B * (size_t)(direct ? T + K - 1 : T * K) * (size_t)C;
}

size_t rbp__conv_stem_scratch_floats(int direct, int B, int T, int C, int F, int K)
{
    /* direct: the reversed taps (K*F, C), one sequence's padded dh (T+K-1, F) and its d(input)
     * (T, C); im2col: dcol (B*T, K*C) */
    if (direct)
        return (size_t)K * (size_t)F * (size_t)C + (size_t)(T + K - 1) * (size_t)F + (size_t)T * (size_t)C;
    return (size_t)B * (size_t)T * (size_t)K * (size_t)C;
}

void rbp__conv_stem_im2col(float *col, const float *inp, const uint8_t *mask, int B, int T, int C, int K)
{
    const size_t KC = (size_t)K * (size_t)C;
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
}

/* xp (B, T+K-1, C): each sequence between K/2 zero rows, its padded rows zero */
static void pad_rows(float *xp, const float *inp, const uint8_t *mask, int B, int T, int C, int K)
{
    const size_t P = (size_t)(T + K - 1), half = (size_t)(K / 2), row = (size_t)C * sizeof(float);
    for (int bb = 0; bb < B; bb++) {
        float *xb = xp + (size_t)bb * P * (size_t)C;
        const float *ib = inp + (size_t)bb * (size_t)T * (size_t)C;
        const uint8_t *mb = mask ? mask + (size_t)bb * (size_t)T : NULL;
        memset(xb, 0, half * row);
        for (int t = 0; t < T; t++) {
            float *d = xb + (half + (size_t)t) * (size_t)C;
            if (mb && !mb[t])
                memset(d, 0, row);
            else
                memcpy(d, ib + (size_t)t * (size_t)C, row);
        }
        memset(xb + (half + (size_t)T) * (size_t)C, 0, half * row);
    }
}

void rbp__conv_stem_forward(float *out, float *col, float *h, const float *inp, const uint8_t *mask,
                            const rbp__conv_stem_weights *w, int B, int T, int C, int F, int K, int direct)
{
    // inp (B,T,C), mask (B,T) or NULL -> col (im2col or the padded rows), h (B*T, F) =
    // ReLU(col @ w^T + b), out (B,T,C) = inp + h (F == C, no projection) or inp + h @ pw^T + pb
    const size_t N = (size_t)B * (size_t)T, KC = (size_t)K * (size_t)C;
    if (direct) {
        pad_rows(col, inp, mask, B, T, C, K);
        for (size_t n = 0; n < N; n++) /* the bias, then the products add to it */
            memcpy(h + n * (size_t)F, w->b, (size_t)F * sizeof(float));
        const size_t P = (size_t)(T + K - 1);
        for (int bb = 0; bb < B; bb++)
            rbp__sgemm_window(0, 1, T, F, (int)KC, 1.0f, col + (size_t)bb * P * (size_t)C, C, w->w, (int)KC, 1.0f,
                              h + (size_t)bb * (size_t)T * (size_t)F, F);
    } else {
        rbp__conv_stem_im2col(col, inp, mask, B, T, C, K);
        rbp__matmul_forward(h, col, w->w, w->b, (int)N, (int)KC, F);
    }
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

/* The direct backward of the convolution: g->w += dh^T windows, dinp += d(input) */
static void direct_backward(float *dinp, float *gw, float *scr, const float *dh, const float *xp, const uint8_t *mask,
                            const float *w, int B, int T, int C, int F, int K)
{
    const size_t KC = (size_t)K * (size_t)C, P = (size_t)(T + K - 1), half = (size_t)(K / 2);
    // wt (K*F, C): row block i = tap K-1-i of w transposed, wt[(i F + f), c] = w[f, (K-1-i) C + c]
    float *wt = scr, *dhp = wt + (size_t)K * (size_t)F * (size_t)C, *dx = dhp + P * (size_t)F;
    for (int i = 0; i < K; i++)
        for (int f = 0; f < F; f++)
            memcpy(wt + ((size_t)i * (size_t)F + (size_t)f) * (size_t)C,
                   w + (size_t)f * KC + (size_t)(K - 1 - i) * (size_t)C, (size_t)C * sizeof(float));
    const size_t frow = (size_t)F * sizeof(float);
    memset(dhp, 0, half * frow);
    memset(dhp + (half + (size_t)T) * (size_t)F, 0, half * frow);
    for (int bb = 0; bb < B; bb++) {
        const float *db = dh + (size_t)bb * (size_t)T * (size_t)F;
        // g->w (F, K*C) += dh_b^T (F, T) @ windows (T, K*C)
        rbp__sgemm_window(1, 0, F, (int)KC, T, 1.0f, db, F, xp + (size_t)bb * P * (size_t)C, C, 1.0f, gw, (int)KC);
        // d(input)[s] = sum_j dh[s + K/2 - j] w_j = sum_i dhp[s + i] wt_i, dhp = dh between K/2 zero rows
        memcpy(dhp + half * (size_t)F, db, (size_t)T * frow);
        rbp__sgemm_window(0, 0, T, C, K * F, 1.0f, dhp, F, wt, C, 0.0f, dx, C);
        const uint8_t *mb = mask ? mask + (size_t)bb * (size_t)T : NULL;
        float *di = dinp + (size_t)bb * (size_t)T * (size_t)C;
        for (int t = 0; t < T; t++) /* padded rows were zeros: no gradient */
            if (!mb || mb[t])
                for (int c = 0; c < C; c++)
                    di[(size_t)t * (size_t)C + (size_t)c] += dx[(size_t)t * (size_t)C + (size_t)c];
    }
}

void rbp__conv_stem_backward(float *dinp, rbp__conv_stem_grads *g, float *dh, float *scr, const float *dout,
                             const float *col, const float *h, const uint8_t *mask, const rbp__conv_stem_weights *w,
                             int B, int T, int C, int F, int K, int direct)
{
    // forward: col = im2col(inp, mask) or the padded rows; h = ReLU(col @ w^T + b);
    // out = inp + h or inp + h @ pw^T + pb
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
    if (direct) {
        rbp__matmul_backward(NULL, NULL, g->b, dh, NULL, NULL, (int)N, (int)KC, F); /* db: column sums */
        direct_backward(dinp, g->w, scr, dh, col, mask, w->w, B, T, C, F, K);
        return;
    }
    float *dcol = scr;
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
