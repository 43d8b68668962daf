/*
 * layers/layers.h - the transformer's layers as explicit-shape forward/backward functions
 * over caller-owned buffers (no allocation anywhere in this module).
 *
 * Conventions (as kernels.h): row-major float32; N = B*T token rows; C = d_model; NH heads of
 * hs = C/NH; F = FFN width; masks are uint8 (B,T) with 1 = real position. Weights, gradients,
 * saved activations and scratch buffers are passed as structs of pointers; the model points
 * them into its parameter buffer and its workspace. Every backward ACCUMULATES (+=) into its
 * parameter gradients and into `dinp`; scratch buffers need no initialisation. `dout`
 * arguments that are not const are consumed (used as scratch) by the backward.
 *
 * Dropout is counter-based (kernels.h): a layer given (p, seed, stream) uses streams
 * stream + k for its k-th dropout site, and the backward recomputes the same masks. p = 0
 * disables dropout (inference). `row0` says which row of a larger batch the first of the B
 * rows is: masks are those of the whole batch's elements, so a batch split among threads
 * draws the same masks as in one piece.
 */
#ifndef RBP_LAYERS_H
#define RBP_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* ---------------------------------------------------------------- dense */

typedef enum rbp__act { RBP__ACT_NONE = 0, RBP__ACT_RELU = 1, RBP__ACT_GELU = 2 } rbp__act;

/*
 * inp (N,C), w (OC,C), b (OC) or NULL -> out (N,OC) = act(inp @ w^T + b).
 * pre (N,OC) receives the pre-activation when act == GELU (needed by backward); for NONE and
 * RELU it is unused (may be NULL): ReLU's backward works from `out`.
 */
void rbp__dense_forward(float *out, float *pre, const float *inp, const float *w, const float *b, int N, int C,
                        int OC, rbp__act act);
/*
 * d of dense_forward. dout (N,OC) is consumed (becomes d pre-activation). dinp (N,C) +=,
 * dw (OC,C) +=, db (OC) +=; any of them may be NULL to skip it.
 */
void rbp__dense_backward(float *dinp, float *dw, float *db, float *dout, const float *out, const float *pre,
                         const float *inp, const float *w, int N, int C, int OC, rbp__act act);

/* ---------------------------------------------------------------- multi-head self-attention */

/* Q, K, V projections are stored fused: rows [0,C) of qkvw are W_q, [C,2C) W_k, [2C,3C) W_v. */
typedef struct rbp__mha_weights {
    const float *qkvw;  /* (3C, C) */
    const float *qkvb;  /* (3C) */
    const float *projw; /* (C, C) output projection */
    const float *projb; /* (C) */
} rbp__mha_weights;

typedef struct rbp__mha_grads {
    float *qkvw, *qkvb, *projw, *projb; /* same shapes as rbp__mha_weights */
} rbp__mha_grads;

/* Saved activations. The backward recomputes the probabilities from qkv (kernels/attn_fused.c)
 * unless att keeps them; rbp__mha_probs always recomputes them. */
typedef struct rbp__mha_acts {
    float *qkv; /* (B,T,3C): q, k, v of every token; head h of q is columns [h*hs, (h+1)*hs) */
    float *att; /* rbp__mha_kept_floats(B, T, NH) floats: the probabilities kept for the backward,
                   or NULL (recomputed: always when that size is 0) */
    float *ctx; /* (B,T,C) attention output, heads merged, before the output projection */
    float *scr; /* rbp__mha_scratch_floats(T, C, NH) floats of forward scratch (one head at a time) */
} rbp__mha_acts;

/* Scratch for the backward (contents undefined on entry and exit). */
typedef struct rbp__mha_scratch {
    float *dqkv; /* (B,T,3C) */
    float *dctx; /* (B,T,C) */
    float *scr;  /* rbp__mha_scratch_floats(T, C, NH) floats (may be the forward's scr) */
} rbp__mha_scratch;

/* Floats of the scr buffers of rbp__mha_forward, rbp__mha_backward and rbp__mha_probs:
 * O(T * C / NH), independent of the batch size. */
size_t rbp__mha_scratch_floats(int T, int C, int NH);
/* Floats of rbp__mha_acts.att worth keeping for a training pass: about B NH T^2 for short
 * inputs, 0 (recompute in the backward) once that would exceed 64 MiB. */
size_t rbp__mha_kept_floats(int B, int T, int NH);

/*
 * inp (B,T,C), key mask (B,T) or NULL -> out (B,T,C) = O(softmax(Q K^T / sqrt(hs), masked keys
 * excluded) -> dropout(p, seed, stream) -> @ V), per head, heads merged. Padded keys get weight
 * exactly 0; padded queries attend like real ones (their outputs are computed, as in Keras).
 */
void rbp__mha_forward(float *out, rbp__mha_acts *a, const float *inp, const uint8_t *mask,
                      const rbp__mha_weights *w, int B, int T, int C, int NH, float p, uint64_t seed,
                      uint64_t stream, uint64_t row0);
/* d of mha_forward: dinp (B,T,C) +=, g +=. dout (B,T,C) is not modified. mask: the forward's. */
void rbp__mha_backward(float *dinp, rbp__mha_grads *g, const rbp__mha_scratch *s, const float *dout,
                       const rbp__mha_acts *a, const float *inp, const uint8_t *mask, const rbp__mha_weights *w,
                       int B, int T, int C, int NH, float p, uint64_t seed, uint64_t stream, uint64_t row0);
/* The attention maps of batch row b of the last rbp__mha_forward (from a->qkv): out (NH,T,T)
 * softmax probabilities before dropout, bit-identical to those the forward used; mask as
 * given to the forward. Writes a->scr. */
void rbp__mha_probs(float *out, const rbp__mha_acts *a, const uint8_t *mask, int b, int T, int C, int NH);

/* ---------------------------------------------------------------- position-wise feed-forward */

typedef struct rbp__ffn_weights {
    const float *fcw;   /* (F, C) */
    const float *fcb;   /* (F) */
    const float *projw; /* (C, F) */
    const float *projb; /* (C) */
} rbp__ffn_weights;

typedef struct rbp__ffn_grads {
    float *fcw, *fcb, *projw, *projb;
} rbp__ffn_grads;

typedef struct rbp__ffn_acts {
    float *h;  /* (N,F) activation output */
    float *hp; /* (N,F) pre-activation, GELU only (NULL for ReLU) */
} rbp__ffn_acts;

/* inp (N,C) -> out (N,C) = act(inp @ fcw^T + fcb) @ projw^T + projb, act RELU or GELU */
void rbp__ffn_forward(float *out, rbp__ffn_acts *a, const float *inp, const rbp__ffn_weights *w, int N, int C,
                      int F, rbp__act act);
/* d of ffn_forward: dinp (N,C) +=, g +=; dh (N,F) scratch; dout (N,C) not modified */
void rbp__ffn_backward(float *dinp, rbp__ffn_grads *g, float *dh, const float *dout, const rbp__ffn_acts *a,
                       const float *inp, const rbp__ffn_weights *w, int N, int C, int F, rbp__act act);

/* ---------------------------------------------------------------- encoder layer */

enum { RBP__ENCODER_STREAMS = 3 }; /* dropout sites: attention weights, after MHA, after FFN */

typedef struct rbp__encoder_dims {
    int B, T, C, NH, F;
    int pre_norm;     /* 0: post-norm x = LN(x + Drop(MHA(x))), 1: pre-norm x = x + Drop(MHA(LN(x))) */
    rbp__act act;     /* FFN activation */
    float eps;        /* layer-norm epsilon */
    float p;          /* dropout rate (0 = off) */
    uint64_t seed;    /* dropout seed */
    uint64_t stream;  /* first of RBP__ENCODER_STREAMS dropout streams */
    uint64_t row0;    /* batch row of the first of the B rows (dropout masks, see the top) */
} rbp__encoder_dims;

typedef struct rbp__encoder_weights {
    rbp__mha_weights attn;
    const float *ln1w, *ln1b; /* (C) */
    rbp__ffn_weights ffn;
    const float *ln2w, *ln2b; /* (C) */
} rbp__encoder_weights;

typedef struct rbp__encoder_grads {
    rbp__mha_grads attn;
    float *ln1w, *ln1b;
    rbp__ffn_grads ffn;
    float *ln2w, *ln2b;
} rbp__encoder_grads;

/*
 * Saved activations, (N,C) unless noted. post-norm: res1 = x + Drop(MHA(x)), ln1 = LN1(res1),
 * res2 = ln1 + Drop(FFN(ln1)), ln2 = LN2(res2) = output. pre-norm: ln1 = LN1(x),
 * res1 = x + Drop(MHA(ln1)), ln2 = LN2(res1), res2 = res1 + Drop(FFN(ln2)) = output.
 */
typedef struct rbp__encoder_acts {
    rbp__mha_acts attn;
    float *res1, *ln1, *ln1_mean, *ln1_rstd; /* stats (N) */
    rbp__ffn_acts ffn;
    float *res2, *ln2, *ln2_mean, *ln2_rstd;
} rbp__encoder_acts;

typedef struct rbp__encoder_scratch {
    rbp__mha_scratch attn;
    float *tmp;  /* (N,C) */
    float *dres; /* (N,C) */
    float *dmid; /* (N,C) */
    float *dh;   /* (N,F) */
} rbp__encoder_scratch;

/* The layer output inside `a` (ln2 for post-norm, res2 for pre-norm). */
const float *rbp__encoder_output(const rbp__encoder_acts *a, const rbp__encoder_dims *d);

/* inp (B,T,C), mask (B,T) -> layer output in `a`. tmp (N,C) scratch. */
void rbp__encoder_forward(rbp__encoder_acts *a, float *tmp, const float *inp, const uint8_t *mask,
                          const rbp__encoder_weights *w, const rbp__encoder_dims *d);
/* d of encoder_forward: dout (N,C) -> dinp (N,C) +=, g +=. dout is not modified; mask: the forward's. */
void rbp__encoder_backward(float *dinp, rbp__encoder_grads *g, const rbp__encoder_scratch *s, const float *dout,
                           const rbp__encoder_acts *a, const float *inp, const uint8_t *mask,
                           const rbp__encoder_weights *w, const rbp__encoder_dims *d);

/* ---------------------------------------------------------------- input block */

typedef struct rbp__input_weights {
    const float *tok;  /* (V,C) token embedding, V = RBP_VOCAB_SIZE */
    const float *str;  /* (RBP_STRUCT_VOCAB_SIZE,C) structure embedding, or NULL */
    const float *view; /* (2,C) viewpoint embedding, or NULL */
    const float *pe;   /* (T,C) positional encoding (fixed, not trained) */
} rbp__input_weights;

typedef struct rbp__input_grads {
    float *tok, *str, *view; /* str/view NULL when not used */
} rbp__input_grads;

/*
 * tokens (B,T), structure (B,T) (read when w->str), viewpoint (B,T) (read when w->view) ->
 * emb (B,T,C) = tok[tokens]*sqrt(C) + str[structure] + view[viewpoint] + pe, and
 * out (B,T,C) = Drop(emb) (site `stream`). Token values must be valid (checked by the caller).
 */
void rbp__input_forward(float *out, float *emb, const uint8_t *tokens, const uint8_t *structure,
                        const uint8_t *viewpoint, const rbp__input_weights *w, int B, int T, int C, float p,
                        uint64_t seed, uint64_t stream, uint64_t row0);
/* d of input_forward: demb (B,T,C) = d emb (OVERWRITTEN, kept for saliency), g += */
void rbp__input_backward(float *demb, rbp__input_grads *g, const float *dout, const uint8_t *tokens,
                         const uint8_t *structure, const uint8_t *viewpoint, int B, int T, int C, float p,
                         uint64_t seed, uint64_t stream, uint64_t row0);

/* ---------------------------------------------------------------- convolutional stem */

/* The stem's weights: w (F, K*C), b (F); pw (C, F) and pb (C) project the F filters back to
 * d_model, or are NULL when the stem has C filters added to x as they are (F == C). */
typedef struct rbp__conv_stem_weights {
    const float *w, *b, *pw, *pb;
} rbp__conv_stem_weights;
typedef struct rbp__conv_stem_grads {
    float *w, *b, *pw, *pb; /* accumulated (+=), like the weights */
} rbp__conv_stem_grads;

/*
 * inp (B,T,C), mask (B,T) or NULL, K odd -> out (B,T,C) = inp + ReLU(conv) (no projection) or
 * inp + ReLU(conv) @ pw^T + pb, conv[b,t] = b + sum_j w[:, j*C:(j+1)*C] @ x[b, t + j - K/2],
 * where x is inp with rows outside [0,T) and padded rows (mask 0) taken as zero ('same'
 * padding). direct (only when rbp__sgemm_window_ok()) reads each position's window in place,
 * else through an im2col matrix; the two differ only by rounding. Saves col
 * (rbp__conv_stem_col_floats: the padded rows, or the im2col matrix) and h (B*T, F) =
 * ReLU(conv). out must not alias inp.
 */
size_t rbp__conv_stem_col_floats(int direct, int B, int T, int C, int K);
/* col (B*T, K*C): row t of each sequence = its K input rows around t side by side, rows outside
 * the sequence and padded rows (mask 0) zero (the im2col path's matrix) */
void rbp__conv_stem_im2col(float *col, const float *inp, const uint8_t *mask, int B, int T, int C, int K);
void rbp__conv_stem_forward(float *out, float *col, float *h, const float *inp, const uint8_t *mask,
                            const rbp__conv_stem_weights *w, int B, int T, int C, int F, int K, int direct);
/* d of conv_stem_forward (the same direct): dout (B,T,C) -> dinp (B,T,C) +=, g +=. dh (B*T, F)
 * and scr (rbp__conv_stem_scratch_floats) are scratch; dout is not modified and must not alias
 * dinp. */
size_t rbp__conv_stem_scratch_floats(int direct, int B, int T, int C, int F, int K);
void rbp__conv_stem_backward(float *dinp, rbp__conv_stem_grads *g, float *dh, float *scr, const float *dout,
                             const float *col, const float *h, const uint8_t *mask, const rbp__conv_stem_weights *w,
                             int B, int T, int C, int F, int K, int direct);

/* ---------------------------------------------------------------- head */

typedef enum rbp__pool { RBP__POOL_FLATTEN = 0, RBP__POOL_MEAN = 1, RBP__POOL_MAX = 2 } rbp__pool;

typedef struct rbp__head_weights {
    const float *w1; /* (H, P), P = T*C for flatten, C for mean/max */
    const float *b1; /* (H) */
    const float *w2; /* (1, H) */
    const float *b2; /* (1) */
} rbp__head_weights;

typedef struct rbp__head_grads {
    float *w1, *b1, *w2, *b2;
} rbp__head_grads;

typedef struct rbp__head_acts {
    float *pooled;   /* (B,C) mean/max pooling output (unused for flatten) */
    int32_t *argmax; /* (B,C) max pooling (unused otherwise) */
    float *hid;      /* (B,H) ReLU output of the hidden dense layer */
} rbp__head_acts;

typedef struct rbp__head_scratch {
    float *dhid;    /* (B,H) */
    float *dpooled; /* (B,C) (mean/max) */
} rbp__head_scratch;

/* inp (B,T,C), mask (B,T) -> logits (B) = Dense(1)(ReLU(Dense(H)(pool(inp)))) */
void rbp__head_forward(float *logits, rbp__head_acts *a, const float *inp, const uint8_t *mask,
                       const rbp__head_weights *w, int B, int T, int C, int H, rbp__pool pool);
/* d of head_forward: dlogits (B) -> dinp (B,T,C) +=, g += */
void rbp__head_backward(float *dinp, rbp__head_grads *g, const rbp__head_scratch *s, const float *dlogits,
                        const rbp__head_acts *a, const float *inp, const uint8_t *mask, const rbp__head_weights *w,
                        int B, int T, int C, int H, rbp__pool pool);

#endif /* RBP_LAYERS_H */
