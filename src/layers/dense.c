/*
 * layers/dense.c - the dense (fully connected) layer with an optional activation, and the
 * position-wise feed-forward block built from two of them.
 *
 * Activations are applied in place on the GEMM output; ReLU's backward needs only the output
 * (same sign pattern as the input), so only GELU keeps a separate pre-activation buffer.
 */
#include <assert.h>
#include <string.h>

#include "layers/layers.h"

void rbp__dense_forward(float *out, float *pre, const float *inp, const float *w, const float *b, int N, int C,
                        int OC, rbp__act act)
{
    // inp (N,C), w (OC,C), b (OC) -> out (N,OC) = act(inp @ w^T + b); GELU: pre (N,OC) saved
    const size_t n = (size_t)N * (size_t)OC;
    switch (act) {
    case RBP__ACT_NONE:
        rbp__matmul_forward(out, inp, w, b, N, C, OC);
        break;
    case RBP__ACT_RELU:
        rbp__matmul_forward(out, inp, w, b, N, C, OC);
        rbp__relu_forward(out, out, n);
        break;
    case RBP__ACT_GELU:
        assert(pre != NULL && pre != out);
        rbp__matmul_forward(pre, inp, w, b, N, C, OC);
        rbp__gelu_forward(out, pre, n);
        break;
    }
}

void rbp__dense_backward(float *dinp, float *dw, float *db, float *dout, const float *out, const float *pre,
                         const float *inp, const float *w, int N, int C, int OC, rbp__act act)
{
    // forward: out (N,OC) = act(inp (N,C) @ w (OC,C)^T + b (OC))
    const size_t n = (size_t)N * (size_t)OC;
    if (act == RBP__ACT_RELU)
        rbp__relu_backward_inplace(dout, out, n);
    else if (act == RBP__ACT_GELU)
        rbp__gelu_backward_inplace(dout, pre, n);
    rbp__matmul_backward(dinp, dw, db, dout, inp, w, N, C, OC);
}

void rbp__ffn_forward(float *out, rbp__ffn_acts *a, const float *inp, const rbp__ffn_weights *w, int N, int C,
                      int F, rbp__act act)
{
    // inp (N,C) -> h (N,F) = act(inp @ fcw^T + fcb) -> out (N,C) = h @ projw^T + projb
    rbp__dense_forward(a->h, a->hp, inp, w->fcw, w->fcb, N, C, F, act);
    rbp__dense_forward(out, NULL, a->h, w->projw, w->projb, N, F, C, RBP__ACT_NONE);
}

void rbp__ffn_backward(float *dinp, rbp__ffn_grads *g, float *dh, const float *dout, const rbp__ffn_acts *a,
                       const float *inp, const rbp__ffn_weights *w, int N, int C, int F, rbp__act act)
{
    // forward: h = act(inp @ fcw^T + fcb); out = h @ projw^T + projb
    // dh (N,F) = dout @ projw, written with beta = 0 (no memset of the scratch)
    rbp__sgemm_rm(0, 0, N, F, C, 1.0f, dout, C, w->projw, F, 0.0f, dh, F);
    rbp__matmul_backward(NULL, g->projw, g->projb, dout, a->h, w->projw, N, F, C);
    rbp__dense_backward(dinp, g->fcw, g->fcb, dh, a->h, a->hp, inp, w->fcw, N, C, F, act);
}
