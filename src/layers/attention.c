/*
 * layers/attention.c - bidirectional multi-head self-attention with a key padding mask.
 *
 * Heads are never copied out: Q, K and V of head h are column blocks of the fused (B,T,3C)
 * projection, read with a leading dimension of 3C, and each head writes its output straight
 * into its column block of the (B,T,C) context, so "split heads" and "merge heads" cost
 * nothing. Per batch row, the NH heads are one strided batched GEMM, and all attention-sized
 * steps run per batch row so that the (NH,T,T) block stays in cache between them.
 */
#include <assert.h>
#include <math.h>

#include "layers/layers.h"

void rbp__mha_forward(float *out, rbp__mha_acts *a, const float *inp, const uint8_t *mask,
                      const rbp__mha_weights *w, int B, int T, int C, int NH, float p, uint64_t seed,
                      uint64_t stream, uint64_t row0)
{
    // inp (B,T,C) -> qkv (B,T,3C) -> att (B,NH,T,T) -> ctx (B,T,C) -> out (B,T,C)
    assert(C % NH == 0);
    const int N = B * T, hs = C / NH, C3 = 3 * C;
    const size_t TT = (size_t)T * (size_t)T;
    const float scale = 1.0f / sqrtf((float)hs);

    rbp__matmul_forward(a->qkv, inp, w->qkvw, w->qkvb, N, C, C3);

    // Per batch row b, all NH heads: scores = Q K^T, softmax (the 1/sqrt(hs) scale and the key
    // mask fused), dropout, ctx = P V. Doing the four steps per b keeps the (NH,T,T) block in
    // L2 between them instead of sweeping the whole (B,NH,T,T) tensor four times.
    const size_t blk = (size_t)NH * TT;
    for (int b = 0; b < B; b++) {
        const float *q = a->qkv + (size_t)b * (size_t)T * (size_t)C3;
        float *att = a->att + (size_t)b * blk;
        rbp__sgemm_strided_batched(0, 1, T, T, hs, 1.0f, q, C3, (size_t)hs, q + C, C3, (size_t)hs, 0.0f, att, T,
                                   TT, NH);
        rbp__softmax_forward(att, att, mask ? mask + (size_t)b * (size_t)T : NULL, NH * T, T, NH * T, scale);
        const float *probs = att;
        if (p > 0.0f) {
            // the mask of element i of the whole (B,NH,T,T) tensor, whatever the split
            rbp__dropout_range(a->attd, att, blk, (row0 + (uint64_t)b) * blk, p, seed, stream);
            probs = a->attd;
        }
        rbp__sgemm_strided_batched(0, 0, T, hs, T, 1.0f, probs, T, TT, q + 2 * C, C3, (size_t)hs, 0.0f,
                                   a->ctx + (size_t)b * (size_t)T * (size_t)C, C, (size_t)hs, NH);
    }

    rbp__matmul_forward(out, a->ctx, w->projw, w->projb, N, C, C);
}

void rbp__mha_backward(float *dinp, rbp__mha_grads *g, const rbp__mha_scratch *s, const float *dout,
                       const rbp__mha_acts *a, const float *inp, const rbp__mha_weights *w, int B, int T, int C,
                       int NH, float p, uint64_t seed, uint64_t stream, uint64_t row0)
{
    // forward: qkv = inp @ qkvw^T + qkvb; att = softmax(scale Q K^T); P = drop(att);
    //          ctx = P V; out = ctx @ projw^T + projb
    const int N = B * T, hs = C / NH, C3 = 3 * C;
    const size_t TT = (size_t)T * (size_t)T;
    const float scale = 1.0f / sqrtf((float)hs);

    // output projection: dctx = dout @ projw (overwrite), dprojw += dout^T ctx, dprojb += sum dout
    rbp__sgemm_rm(0, 0, N, C, C, 1.0f, dout, C, w->projw, C, 0.0f, s->dctx, C);
    rbp__matmul_backward(NULL, g->projw, g->projb, dout, a->ctx, w->projw, N, C, C);

    // per batch row b (the (NH,T,T) scratch stays in L2):
    const size_t blk = (size_t)NH * TT;
    for (int b = 0; b < B; b++) {
        const size_t ob = (size_t)b * (size_t)T;
        const float *q = a->qkv + ob * (size_t)C3;
        const float *dctx = s->dctx + ob * (size_t)C;
        float *dq = s->dqkv + ob * (size_t)C3;
        float *datt = s->datt;
        // P of this row: the forward's dropout mask redrawn (counter-based) over att
        const float *probs = a->att + (size_t)b * blk;
        if (p > 0.0f) {
            rbp__dropout_range(a->attd, probs, blk, (row0 + (uint64_t)b) * blk, p, seed, stream);
            probs = a->attd;
        }
        // dP = dctx V^T (T,T) ; dV = P^T dctx (T,hs)
        rbp__sgemm_strided_batched(0, 1, T, T, hs, 1.0f, dctx, C, (size_t)hs, q + 2 * C, C3, (size_t)hs, 0.0f, datt,
                                   T, TT, NH);
        rbp__sgemm_strided_batched(1, 0, T, hs, T, 1.0f, probs, T, TT, dctx, C, (size_t)hs, 0.0f,
                                   dq + 2 * C, C3, (size_t)hs, NH);
        // through the dropout (the forward mask applied in place to the gradient) and the
        // softmax (in place, includes the scale)
        if (p > 0.0f)
            rbp__dropout_range(datt, datt, blk, (row0 + (uint64_t)b) * blk, p, seed, stream);
        rbp__softmax_backward_inplace(datt, a->att + (size_t)b * blk, NH * T, T, scale);
        // dQ = dS K (T,hs) ; dK = dS^T Q (T,hs)
        rbp__sgemm_strided_batched(0, 0, T, hs, T, 1.0f, datt, T, TT, q + C, C3, (size_t)hs, 0.0f, dq, C3,
                                   (size_t)hs, NH);
        rbp__sgemm_strided_batched(1, 0, T, hs, T, 1.0f, datt, T, TT, q, C3, (size_t)hs, 0.0f, dq + C, C3,
                                   (size_t)hs, NH);
    }

    rbp__matmul_backward(dinp, g->qkvw, g->qkvb, s->dqkv, inp, w->qkvw, N, C, C3);
}
