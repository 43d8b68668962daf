/*
 * kernels/softmax.c - row softmax with a key padding mask, fused with the attention scale.
 *
 * The fused attention (attn_fused.c) computes its probabilities itself, with the semantics of
 * rbp__softmax_forward (which stays the tested statement of them), and calls the backward here
 * on its blocks of rows. Scaling, masking, the max subtraction
 * and the normalisation happen in one pass per row over data that stays in L1, and the
 * exponential is the vectorisable rbp__expf. Reductions use 8 independent partial sums so
 * the compiler can vectorise them without -ffast-math; the order is fixed, so the result is
 * deterministic.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/fastmath.h"
#include "kernels/kernels.h"
#include "kernels/simd.h"

#define LANES 8

/*
 * max over t of (m == NULL || m[t] ? p[t] : -inf), in 8 lanes. Written with GCC vector
 * extensions (also understood by Clang; lowered to scalar code where there is no SIMD)
 * because the compiler does not vectorise a float max reduction by itself without
 * -ffinite-math-only. The selects are bitwise, with the same NaN behaviour as the scalar
 * `v > mx ? v : mx` of the tail.
 */
typedef float v8sf __attribute__((vector_size(32)));
typedef int32_t v8si __attribute__((vector_size(32)));

/* a macro, not a function: passing 32-byte vectors by value would change the ABI */
#define SELECT8(mask, a, b) ((v8sf)(((v8si)(a) & (mask)) | ((v8si)(b) & ~(mask))))

RBP_INLINE float row_max(const float *restrict p, const uint8_t *restrict m, int T)
{
    const v8sf ninf = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    v8sf vmax = ninf;
    int t = 0;
    for (; t + 8 <= T; t += 8) {
        v8sf x;
        memcpy(&x, p + t, sizeof x);
        if (m) {
            const v8si mm = {m[t], m[t + 1], m[t + 2], m[t + 3], m[t + 4], m[t + 5], m[t + 6], m[t + 7]};
            x = SELECT8(mm != 0, x, ninf);
        }
        vmax = SELECT8(x > vmax, x, vmax);
    }
    float mx = -INFINITY;
    for (int k = 0; k < 8; k++)
        mx = vmax[k] > mx ? vmax[k] : mx;
    for (; t < T; t++) {
        const float v = (!m || m[t]) ? p[t] : -INFINITY;
        mx = v > mx ? v : mx;
    }
    return mx;
}

/* Rows of x (R,T) are replaced in place by their masked softmax. A single restrict pointer:
 * with separate input and output pointers that may alias, the compiler's run-time overlap
 * test fails for the in-place call and it falls back to scalar code.
 *
 * The exponential is the expensive part, and a row of T = 101 leaves a ragged tail of 5 that
 * a vectorised loop finishes in scalar code, costing as much as the 96 others. So rows are
 * processed in chunks that stay in L1: (1) per row, x = scale * (x - max) with masked keys set
 * to -inf; (2) one flat exp over the whole chunk (one tail per chunk, exp(-inf) = 0 exactly);
 * (3) per row, normalise. */
#define CHUNK_ELEMS 4096

RBP_HOT
static void softmax_rows(float *restrict x, const uint8_t *restrict key_mask, int R, int T, int rows_per_batch,
                         float scale)
{
    const int chunk_rows = T >= CHUNK_ELEMS ? 1 : CHUNK_ELEMS / T;
    for (int r0 = 0; r0 < R; r0 += chunk_rows) {
        const int nr = R - r0 < chunk_rows ? R - r0 : chunk_rows;
        float *restrict xc = x + (size_t)r0 * (size_t)T;

        // 1) shift by the row max over the real keys and scale; masked keys -> -inf
        for (int r = 0; r < nr; r++) {
            float *restrict p = xc + (size_t)r * (size_t)T;
            const uint8_t *restrict m = key_mask ? key_mask + (size_t)((r0 + r) / rows_per_batch) * (size_t)T : NULL;
            const float maxv = row_max(p, m, T);
            if (maxv == -INFINITY) {
                // no real key (or all scores -inf): the row attends to nothing
                for (int t = 0; t < T; t++)
                    p[t] = -INFINITY;
                continue;
            }
            // 8 lanes by hand: GCC leaves both loops scalar (the masked one branches)
            const v8sf vmax = {maxv, maxv, maxv, maxv, maxv, maxv, maxv, maxv};
            const v8sf vsc = {scale, scale, scale, scale, scale, scale, scale, scale};
            const v8sf ninf = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
            int t = 0;
            for (; t + 8 <= T; t += 8) {
                v8sf v;
                memcpy(&v, p + t, sizeof v);
                v = vsc * (v - vmax);
                if (m) {
                    const v8si mm = {m[t], m[t + 1], m[t + 2], m[t + 3], m[t + 4], m[t + 5], m[t + 6], m[t + 7]};
                    v = SELECT8(mm != 0, v, ninf);
                }
                memcpy(p + t, &v, sizeof v);
            }
            for (; t < T; t++) {
                const float v = scale * (p[t] - maxv);
                p[t] = (!m || m[t]) ? v : -INFINITY;
            }
        }

        // 2) exp over the chunk as one flat array
        const size_t n = (size_t)nr * (size_t)T;
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            rbp__expf8(xc + i);
        for (; i < n; i++)
            xc[i] = rbp__expf(xc[i]);

        // 3) normalise each row (LANES partial sums); an all-masked row stays all 0
        for (int r = 0; r < nr; r++) {
            float *restrict p = xc + (size_t)r * (size_t)T;
            float acc[LANES] = {0};
            int t = 0;
            for (; t + LANES <= T; t += LANES)
                for (int k = 0; k < LANES; k++)
                    acc[k] += p[t + k];
            for (; t < T; t++)
                acc[0] += p[t];
            float sum = 0.0f;
            for (int k = 0; k < LANES; k++)
                sum += acc[k];
            if (sum > 0.0f) { // >= 1 whenever a key is real: the max contributes exp(0)
                const float inv = 1.0f / sum;
                const v8sf vinv = {inv, inv, inv, inv, inv, inv, inv, inv};
                for (t = 0; t + 8 <= T; t += 8) {
                    v8sf v;
                    memcpy(&v, p + t, sizeof v);
                    v *= vinv;
                    memcpy(p + t, &v, sizeof v);
                }
                for (; t < T; t++)
                    p[t] *= inv;
            }
        }
    }
}

void rbp__softmax_forward(float *probs, const float *scores, const uint8_t *key_mask, int R, int T,
                          int rows_per_batch, float scale)
{
    // scores (R,T), key_mask (B,T) with b = r / rows_per_batch -> probs (R,T); probs may alias scores
    assert(scale > 0.0f && rows_per_batch > 0);
    if (probs != scores)
        memmove(probs, scores, (size_t)R * (size_t)T * sizeof(float));
    softmax_rows(probs, key_mask, R, T, rows_per_batch, scale);
}

/* sum_t a[t] * b[t]: two 16-lane partial sums (independent chains: one chain of adds is what
 * limited this loop), then the lanes and the scalar tail in a fixed order */
RBP_INLINE float dot_lanes(const float *restrict a, const float *restrict b, int T)
{
    rbp__v16sf acc0 = {0}, acc1 = {0};
    int t = 0;
    for (; t + 32 <= T; t += 32) {
        rbp__v16sf x0, y0, x1, y1;
        memcpy(&x0, a + t, sizeof x0);
        memcpy(&y0, b + t, sizeof y0);
        memcpy(&x1, a + t + 16, sizeof x1);
        memcpy(&y1, b + t + 16, sizeof y1);
        acc0 += x0 * y0;
        acc1 += x1 * y1;
    }
    for (; t + 16 <= T; t += 16) {
        rbp__v16sf x0, y0;
        memcpy(&x0, a + t, sizeof x0);
        memcpy(&y0, b + t, sizeof y0);
        acc0 += x0 * y0;
    }
    acc0 += acc1;
    float sum = 0.0f;
    for (int k = 0; k < 16; k++)
        sum += acc0[k];
    for (; t < T; t++)
        sum += a[t] * b[t];
    return sum;
}

RBP_HOT
static void softmax_backward_inplace_impl(float *restrict d, const float *restrict probs, int R, int T, float scale)
{
    // d (R,T): dprobs on entry, dscores on return (overwritten, not accumulated)
    for (int r = 0; r < R; r++) {
        const size_t o = (size_t)r * (size_t)T;
        const float *p = probs + o;
        float *dr = d + o;
        const float dot = dot_lanes(p, dr, T);
        // 16 lanes by hand (GCC left this loop scalar: 6% of a stem-model training step)
        int t = 0;
        for (; t + 16 <= T; t += 16) {
            rbp__v16sf pv, dv;
            memcpy(&pv, p + t, sizeof pv);
            memcpy(&dv, dr + t, sizeof dv);
            dv = scale * pv * (dv - dot);
            memcpy(dr + t, &dv, sizeof dv);
        }
        for (; t < T; t++)
            dr[t] = scale * p[t] * (dr[t] - dot);
    }
}

void rbp__softmax_backward_inplace(float *d, const float *probs, int R, int T, float scale)
{
    softmax_backward_inplace_impl(d, probs, R, T, scale);
}
