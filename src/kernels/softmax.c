/*
 * kernels/softmax.c - row softmax with a key padding mask, fused with the attention scale.
 *
 * Attention calls this on (B*NH*T) rows of T scores. Scaling, masking, the max subtraction
 * and the normalisation happen in one pass per row over data that stays in L1, and the
 * exponential is the vectorisable rbp__expf. Reductions use 8 independent partial sums so
 * the compiler can vectorise them without -ffast-math; the order is fixed, so the result is
 * deterministic.
 */
#include <assert.h>
#include <math.h>

#include "kernels/fastmath.h"
#include "kernels/kernels.h"

#define LANES 8

void rbp__softmax_forward(float *probs, const float *scores, const uint8_t *key_mask, int R, int T,
                          int rows_per_batch, float scale)
{
    // scores (R,T), key_mask (B,T) with b = r / rows_per_batch -> probs (R,T); probs may alias scores
    assert(scale > 0.0f && rows_per_batch > 0);
    for (int r = 0; r < R; r++) {
        const float *s = scores + (size_t)r * (size_t)T;
        float *p = probs + (size_t)r * (size_t)T;
        const uint8_t *m = key_mask ? key_mask + (size_t)(r / rows_per_batch) * (size_t)T : NULL;

        // 1) max over the real keys (-inf if there is none)
        float mx[LANES];
        for (int k = 0; k < LANES; k++)
            mx[k] = -INFINITY;
        int t = 0;
        if (m) {
            for (; t + LANES <= T; t += LANES)
                for (int k = 0; k < LANES; k++) {
                    float v = m[t + k] ? s[t + k] : -INFINITY;
                    mx[k] = v > mx[k] ? v : mx[k];
                }
            for (; t < T; t++) {
                float v = m[t] ? s[t] : -INFINITY;
                mx[0] = v > mx[0] ? v : mx[0];
            }
        } else {
            for (; t + LANES <= T; t += LANES)
                for (int k = 0; k < LANES; k++)
                    mx[k] = s[t + k] > mx[k] ? s[t + k] : mx[k];
            for (; t < T; t++)
                mx[0] = s[t] > mx[0] ? s[t] : mx[0];
        }
        float maxv = mx[0];
        for (int k = 1; k < LANES; k++)
            maxv = mx[k] > maxv ? mx[k] : maxv;
        if (maxv == -INFINITY) {
            // no real key (or all scores -inf): the row attends to nothing
            for (t = 0; t < T; t++)
                p[t] = 0.0f;
            continue;
        }

        // 2) e = exp(scale * (s - max)), masked keys exactly 0
        const float off = maxv;
        if (m) {
            for (t = 0; t < T; t++) {
                float e = rbp__expf(scale * (s[t] - off));
                p[t] = m[t] ? e : 0.0f;
            }
        } else {
            for (t = 0; t < T; t++)
                p[t] = rbp__expf(scale * (s[t] - off));
        }

        // 3) normalise
        float acc[LANES] = {0};
        for (t = 0; t + LANES <= T; t += LANES)
            for (int k = 0; k < LANES; k++)
                acc[k] += p[t + k];
        for (; t < T; t++)
            acc[0] += p[t];
        float sum = 0.0f;
        for (int k = 0; k < LANES; k++)
            sum += acc[k];
        const float inv = 1.0f / sum; // sum >= 1: the max element contributes exp(0)
        for (t = 0; t < T; t++)
            p[t] *= inv;
    }
}

/* sum_t a[t] * b[t] with LANES partial sums */
static float dot_lanes(const float *a, const float *b, int T)
{
    float acc[LANES] = {0};
    int t = 0;
    for (; t + LANES <= T; t += LANES)
        for (int k = 0; k < LANES; k++)
            acc[k] += a[t + k] * b[t + k];
    for (; t < T; t++)
        acc[0] += a[t] * b[t];
    float sum = 0.0f;
    for (int k = 0; k < LANES; k++)
        sum += acc[k];
    return sum;
}

void rbp__softmax_backward(float *dscores, const float *dprobs, const float *probs, int R, int T,
                           float scale)
{
    // forward: probs (R,T) = softmax(scale * scores (R,T)) over real keys
    // dscores = scale * probs * (dprobs - <probs, dprobs>); masked keys have probs 0 -> 0
    for (int r = 0; r < R; r++) {
        const size_t o = (size_t)r * (size_t)T;
        const float *p = probs + o, *dp = dprobs + o;
        float *ds = dscores + o;
        const float dot = dot_lanes(p, dp, T);
        for (int t = 0; t < T; t++)
            ds[t] += scale * p[t] * (dp[t] - dot);
    }
}

void rbp__softmax_backward_inplace(float *d, const float *probs, int R, int T, float scale)
{
    // d (R,T): dprobs on entry, dscores on return (overwritten, not accumulated)
    for (int r = 0; r < R; r++) {
        const size_t o = (size_t)r * (size_t)T;
        const float *p = probs + o;
        float *dr = d + o;
        const float dot = dot_lanes(p, dr, T);
        for (int t = 0; t < T; t++)
            dr[t] = scale * p[t] * (dr[t] - dot);
    }
}
