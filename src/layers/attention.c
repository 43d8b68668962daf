/*
 * layers/attention.c - bidirectional multi-head self-attention with a key padding mask.
 *
 * Heads are never copied out: Q, K and V of head h are column blocks of the fused (B,T,3C)
 * projection, read with a leading dimension of 3C, and each head writes its output straight
 * into its column block of the (B,T,C) context, so "split heads" and "merge heads" cost
 * nothing. Each (batch row, head) is one call of the fused kernel (kernels/attn_fused.c),
 * which never holds more than a block of query rows' scores: memory does not grow with T^2,
 * and the backward recomputes the probabilities instead of reading a saved (B,NH,T,T) tensor.
 */
#include <assert.h>
#include <math.h>

#include "layers/layers.h"

size_t rbp__mha_scratch_floats(int T, int C, int NH)
{
    return rbp__attn_scratch_floats(T, C / NH);
}

/* Keeping the probabilities saves the backward its recomputation (the scores and the
 * exponentials again: a forward plus backward 8% faster at T = 201..751, 64 rows, 4 heads, hs
 * 8), at the price of B NH T^2 floats per layer (578 MB at T = 751). Up to this size (T = 201
 * at 64 rows and 4 heads) they are kept; beyond it, memory stays O(B T) instead. */
#define KEEP_PROBS_MAX_BYTES ((size_t)64 << 20)

size_t rbp__mha_kept_floats(int B, int T, int NH)
{
    const size_t n = (size_t)B * (size_t)NH * rbp__attn_probs_floats(T);
    return n * sizeof(float) <= KEEP_PROBS_MAX_BYTES ? n : 0;
}

/* the dropout index of element (0, 0) of head h of batch row b: the masks are those of the
 * whole (B,NH,T,T) tensor, whatever the split of the batch among threads */
static uint64_t first_index(uint64_t row0, int b, int h, int T, int NH)
{
    return ((row0 + (uint64_t)b) * (uint64_t)NH + (uint64_t)h) * (uint64_t)T * (uint64_t)T;
}

void rbp__mha_forward(float *out, rbp__mha_acts *a, const float *inp, const uint8_t *mask,
                      const rbp__mha_weights *w, int B, int T, int C, int NH, float p, uint64_t seed,
                      uint64_t stream, uint64_t row0)
{
    // inp (B,T,C) -> qkv (B,T,3C) -> per head: ctx = dropout(softmax(Q K^T / sqrt(hs))) V -> out (B,T,C)
    assert(C % NH == 0);
    const int N = B * T, hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);

    rbp__matmul_forward(a->qkv, inp, w->qkvw, w->qkvb, N, C, C3);
    for (int b = 0; b < B; b++) {
        const float *q = a->qkv + (size_t)b * (size_t)T * (size_t)C3;
        const uint8_t *m = mask ? mask + (size_t)b * (size_t)T : NULL;
        float *ctx = a->ctx + (size_t)b * (size_t)T * (size_t)C;
        for (int h = 0; h < NH; h++) {
            const size_t o = (size_t)h * (size_t)hs;
            float *keep = a->att ? a->att + ((size_t)b * (size_t)NH + (size_t)h) * rbp__attn_probs_floats(T) : NULL;
            rbp__attn_forward(ctx + o, C, keep, a->scr, q + o, q + C + o, q + 2 * C + o, C3, m, T, hs, scale, p, seed,
                              stream, first_index(row0, b, h, T, NH));
        }
    }
    rbp__matmul_forward(out, a->ctx, w->projw, w->projb, N, C, C);
}

void rbp__mha_backward(float *dinp, rbp__mha_grads *g, const rbp__mha_scratch *s, const float *dout,
                       const rbp__mha_acts *a, const float *inp, const uint8_t *mask, const rbp__mha_weights *w,
                       int B, int T, int C, int NH, float p, uint64_t seed, uint64_t stream, uint64_t row0)
{
    // forward: qkv = inp @ qkvw^T + qkvb; att = softmax(scale Q K^T); P = drop(att);
    //          ctx = P V; out = ctx @ projw^T + projb
    const int N = B * T, hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);

    // output projection: dctx = dout @ projw (overwrite), dprojw += dout^T ctx, dprojb += sum dout
    rbp__sgemm_rm(0, 0, N, C, C, 1.0f, dout, C, w->projw, C, 0.0f, s->dctx, C);
    rbp__matmul_backward(NULL, g->projw, g->projb, dout, a->ctx, w->projw, N, C, C);

    // per (batch row, head): dq, dk, dv (overwritten) from dctx, the probabilities recomputed
    for (int b = 0; b < B; b++) {
        const size_t ob = (size_t)b * (size_t)T;
        const float *q = a->qkv + ob * (size_t)C3;
        const float *dctx = s->dctx + ob * (size_t)C;
        const uint8_t *m = mask ? mask + ob : NULL;
        float *dq = s->dqkv + ob * (size_t)C3;
        for (int h = 0; h < NH; h++) {
            const size_t o = (size_t)h * (size_t)hs;
            const float *kept =
                a->att ? a->att + ((size_t)b * (size_t)NH + (size_t)h) * rbp__attn_probs_floats(T) : NULL;
            rbp__attn_backward(dq + o, dq + C + o, dq + 2 * C + o, C3, s->scr, kept, dctx + o, C, q + o, q + C + o,
                               q + 2 * C + o, C3, m, T, hs, scale, p, seed, stream, first_index(row0, b, h, T, NH));
        }
    }

    rbp__matmul_backward(dinp, g->qkvw, g->qkvb, s->dqkv, inp, w->qkvw, N, C, C3);
}

void rbp__mha_probs(float *out, const rbp__mha_acts *a, const uint8_t *mask, int b, int T, int C, int NH)
{
    const int hs = C / NH, C3 = 3 * C;
    const size_t TT = (size_t)T * (size_t)T;
    const float *q = a->qkv + (size_t)b * (size_t)T * (size_t)C3;
    const uint8_t *m = mask ? mask + (size_t)b * (size_t)T : NULL;
    for (int h = 0; h < NH; h++)
        rbp__attn_probs(out + (size_t)h * TT, a->scr, q + (size_t)h * (size_t)hs, q + C + (size_t)h * (size_t)hs, C3,
                        m, T, hs, 1.0f / sqrtf((float)hs));
}
