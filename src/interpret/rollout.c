/*
 * interpret/rollout.c - attention rollout and head averaging: pure functions over the
 * attention maps that rbp_session_attention returns, so they are testable on hand-made maps.
 *
 * Rollout follows Abnar & Zuidema (2020): attention alone ignores the residual connection,
 * which carries most of a token's own information forward, so each layer's head-averaged map
 * is mixed with the identity before the layers are chained by matrix products.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "rbpattn/attention.h"

/* Shared argument checks; `fn` (the public caller) starts every message. */
static rbp_status check_maps(const char *fn, const float *attn, int32_t n_layers, int32_t n_heads, int32_t L)
{
    RBP_CHECK(attn != NULL, RBP_ERR_INVALID_ARG, "%s: argument 'attn' is NULL", fn);
    RBP_CHECK(n_layers >= 1 && n_heads >= 1, RBP_ERR_INVALID_ARG,
              "%s: n_layers = %d, n_heads = %d, expected >= 1", fn, (int)n_layers, (int)n_heads);
    RBP_CHECK(L >= 1 && L <= 100000, RBP_ERR_INVALID_ARG, "%s: L = %d, expected 1..100000", fn, (int)L);
    return RBP_OK;
}

rbp_status rbp_attention_head_mean(const float *attn, int32_t n_layers, int32_t n_heads, int32_t L,
                                   int32_t layer, float *out)
{
    RBP_TRY(check_maps(__func__, attn, n_layers, n_heads, L));
    RBP_CHECK_NULL(out);
    RBP_CHECK(layer >= 0 && layer < n_layers, RBP_ERR_INVALID_ARG,
              "rbp_attention_head_mean: layer = %d, expected 0..%d", (int)layer, (int)n_layers - 1);
    size_t LL = (size_t)L * (size_t)L;
    const float *base = attn + (size_t)layer * (size_t)n_heads * LL;
    float inv = 1.0f / (float)n_heads;
    for (size_t i = 0; i < LL; i++) {
        float s = 0.0f;
        for (int32_t h = 0; h < n_heads; h++)
            s += base[(size_t)h * LL + i];
        out[i] = s * inv;
    }
    return RBP_OK;
}

rbp_status rbp_attention_real_positions(const uint8_t *mask, int32_t L, int32_t *idx, int32_t *n)
{
    RBP_CHECK_NULL(mask);
    RBP_CHECK_NULL(idx);
    RBP_CHECK_NULL(n);
    RBP_CHECK(L >= 1, RBP_ERR_INVALID_ARG, "rbp_attention_real_positions: L = %d, expected >= 1", (int)L);
    int32_t k = 0;
    for (int32_t t = 0; t < L; t++)
        if (mask[t])
            idx[k++] = t;
    *n = k;
    return RBP_OK;
}

rbp_status rbp_attention_rollout(const float *attn, int32_t n_layers, int32_t n_heads, int32_t L,
                                 const uint8_t *mask, float residual, float *rollout, float *importance,
                                 float *scratch)
{
    RBP_TRY(check_maps(__func__, attn, n_layers, n_heads, L));
    RBP_CHECK(residual >= 0.0f && residual <= 1.0f, RBP_ERR_INVALID_ARG,
              "rbp_attention_rollout: residual = %g, expected 0..1", (double)residual);
    RBP_CHECK(rollout || importance, RBP_ERR_INVALID_ARG,
              "rbp_attention_rollout: both 'rollout' and 'importance' are NULL, nothing to compute");
    size_t LL = (size_t)L * (size_t)L;
    float *own = NULL;
    if (!scratch) {
        size_t bytes;
        if (rbp__mul_size(3 * LL, sizeof(float), &bytes))
            return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_attention_rollout: L = %d too large", (int)L);
        own = rbp__malloc(bytes);
        if (!own)
            return rbp__oom();
        scratch = own;
    }
    float *R = scratch;          /* running product (L, L) */
    float *A = scratch + LL;     /* this layer's mixed map */
    float *T = scratch + 2 * LL; /* product temporary */

    /* R starts as the identity over real positions. */
    memset(R, 0, LL * sizeof(float));
    for (int32_t i = 0; i < L; i++)
        if (!mask || mask[i])
            R[(size_t)i * L + i] = 1.0f;

    for (int32_t l = 0; l < n_layers; l++) {
        rbp_attention_head_mean(attn, n_layers, n_heads, L, l, A);
        for (int32_t i = 0; i < L; i++) {
            float *row = A + (size_t)i * L;
            if (mask && !mask[i]) {
                memset(row, 0, (size_t)L * sizeof(float));
                continue;
            }
            double sum = 0.0;
            for (int32_t j = 0; j < L; j++) {
                float v = (mask && !mask[j]) ? 0.0f : (1.0f - residual) * row[j];
                if (j == i)
                    v += residual;
                row[j] = v;
                sum += v;
            }
            float inv = sum > 0.0 ? (float)(1.0 / sum) : 0.0f;
            for (int32_t j = 0; j < L; j++)
                row[j] *= inv;
        }
        /* R <- A @ R: the deeper layer's mixing applies to what earlier layers produced. */
        for (int32_t i = 0; i < L; i++) {
            float *trow = T + (size_t)i * L;
            memset(trow, 0, (size_t)L * sizeof(float));
            const float *arow = A + (size_t)i * L;
            for (int32_t k = 0; k < L; k++) {
                float a = arow[k];
                if (a == 0.0f)
                    continue;
                const float *rrow = R + (size_t)k * L;
                for (int32_t j = 0; j < L; j++)
                    trow[j] += a * rrow[j];
            }
        }
        memcpy(R, T, LL * sizeof(float));
    }

    if (rollout)
        memcpy(rollout, R, LL * sizeof(float));
    if (importance) {
        int32_t n_real = 0;
        for (int32_t i = 0; i < L; i++)
            n_real += (!mask || mask[i]) ? 1 : 0;
        for (int32_t j = 0; j < L; j++) {
            double s = 0.0;
            for (int32_t i = 0; i < L; i++)
                s += R[(size_t)i * L + j];
            importance[j] = n_real ? (float)(s / n_real) : 0.0f;
        }
    }
    rbp__free(own);
    return RBP_OK;
}
