/*
 * layers/head.c - the prediction head: pooling over positions (flatten as the study, or mean
 * or max over the real positions), a hidden dense layer with ReLU, and one output unit.
 *
 * Flatten needs no copy: the (B,T,C) encoder output is read as a (B, T*C) matrix.
 */
#include <string.h>

#include "layers/layers.h"

void rbp__head_forward(float *logits, rbp__head_acts *a, const float *inp, const uint8_t *mask,
                       const rbp__head_weights *w, int B, int T, int C, int H, rbp__pool pool)
{
    // inp (B,T,C) -> pooled (B,P) -> hid (B,H) = ReLU(pooled @ w1^T + b1) -> logits (B) = hid @ w2^T + b2
    const float *pooled = inp;
    int P = T * C;
    if (pool == RBP__POOL_MEAN) {
        rbp__meanpool_forward(a->pooled, inp, mask, B, T, C);
        pooled = a->pooled;
        P = C;
    } else if (pool == RBP__POOL_MAX) {
        rbp__maxpool_forward(a->pooled, a->argmax, inp, mask, B, T, C);
        pooled = a->pooled;
        P = C;
    }
    rbp__dense_forward(a->hid, NULL, pooled, w->w1, w->b1, B, P, H, RBP__ACT_RELU);
    rbp__dense_forward(logits, NULL, a->hid, w->w2, w->b2, B, H, 1, RBP__ACT_NONE);
}

void rbp__head_backward(float *dinp, rbp__head_grads *g, const rbp__head_scratch *s, const float *dlogits,
                        const rbp__head_acts *a, const float *inp, const uint8_t *mask, const rbp__head_weights *w,
                        int B, int T, int C, int H, rbp__pool pool)
{
    // forward: hid = ReLU(pool(inp) @ w1^T + b1); logits = hid @ w2^T + b2
    // dhid (B,H) = dlogits (B,1) @ w2 (1,H): an outer product, overwritten
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            s->dhid[(size_t)b * (size_t)H + (size_t)h] = dlogits[b] * w->w2[h];
    rbp__matmul_backward(NULL, g->w2, g->b2, dlogits, a->hid, w->w2, B, H, 1);
    if (pool == RBP__POOL_FLATTEN) {
        rbp__dense_backward(dinp, g->w1, g->b1, s->dhid, a->hid, NULL, inp, w->w1, B, T * C, H, RBP__ACT_RELU);
        return;
    }
    memset(s->dpooled, 0, (size_t)B * (size_t)C * sizeof(float));
    rbp__dense_backward(s->dpooled, g->w1, g->b1, s->dhid, a->hid, NULL, a->pooled, w->w1, B, C, H, RBP__ACT_RELU);
    if (pool == RBP__POOL_MEAN)
        rbp__meanpool_backward(dinp, s->dpooled, mask, B, T, C);
    else
        rbp__maxpool_backward(dinp, s->dpooled, a->argmax, B, T, C);
}
