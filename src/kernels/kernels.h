/*
 * kernels/kernels.h - float32 row-major tensor kernels, the bottom layer of rbpattn.
 *
 * Conventions (llm.c order): outputs first, then buffers saved for backward, then const
 * inputs, then const weights, then sizes. Shapes are in the comment of every kernel.
 * Every *_backward ACCUMULATES (+=) into its gradient outputs; callers zero gradients once
 * per step. Masks are uint8 (B,T) with 1 = real token, 0 = padding. Offsets are size_t.
 * These are internal (hidden) symbols: tests reach them through the static library.
 */
#ifndef RBP_KERNELS_H
#define RBP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"

/* ---------------------------------------------------------------- GEMM (CBLAS) */
/* C(M,N) = alpha * op(A)(M,K) @ op(B)(K,N) + beta * C, row-major; trans* nonzero = transposed. */
void rbp__sgemm_rm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc);
/* `batch` independent GEMMs; matrix i starts at A + i*strideA (etc.). Used for attention. */
void rbp__sgemm_strided_batched(int transA, int transB, int M, int N, int K, float alpha,
                                const float *A, int lda, size_t strideA, const float *B, int ldb,
                                size_t strideB, float beta, float *C, int ldc, size_t strideC, int batch);

/* The built-in SGEMM (gemm_builtin.c), same contract as rbp__sgemm_rm. Returns 1 when it ran,
 * 0 when this CPU/compiler has no built-in kernel (nothing was done). */
int rbp__sgemm_builtin(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc);
/* Vector width of the built-in kernels on this CPU: 512, 256, or 0 (none). */
int rbp__sgemm_builtin_isa(void);
/* Products whose operand rows overlap, as the K-row windows of a sequence do (row stride lda <
 * K for a row-major A, ldb < N for a row-major B): the built-in kernels read them in place,
 * which no BLAS allows. rbp__sgemm_window_ok() says whether they can run here (AVX2 + FMA,
 * and not RBP_GEMM=blas); rbp__sgemm_window is rbp__sgemm_rm's contract without its checks,
 * to be called only then. */
int rbp__sgemm_window_ok(void);
void rbp__sgemm_window(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc);
/* (rbp_gemm_backend, in rbpattn/common.h, names what rbp__sgemm_rm uses.) */

/* Name of the BLAS kernel set in use ("SkylakeX", "Prescott", ...; OpenBLAS only). */
const char *rbp__blas_corename(void);
/* Once per process: if OpenBLAS fell back to pre-AVX kernels on a CPU with AVX2/AVX-512, log a
 * warning (RBP_LOG_WARN) suggesting OPENBLAS_CORETYPE. Returns 1 in that case, else 0. */
int rbp__blas_check(void);

/* ---------------------------------------------------------------- dense layer */
/* inp (N,C), weight (OC,C), bias (OC) or NULL -> out (N,OC) = inp @ weight^T + bias */
void rbp__matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                         int N, int C, int OC);
/* d of matmul_forward: dinp (N,C) += dout @ weight; dweight (OC,C) += dout^T @ inp;
 * dbias (OC) += sum_n dout. Any gradient pointer may be NULL to skip it. */
void rbp__matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, int N, int C, int OC);

/* ---------------------------------------------------------------- softmax */
/* scores (R,T) -> probs (R,T) = softmax(scale * scores) over keys with key_mask[b,t] = 1,
 * where row r belongs to batch b = r / rows_per_batch; key_mask (B,T) or NULL (no mask).
 * Masked keys get exactly 0; a row with no unmasked key becomes all zeros. Stable (max-sub).
 * scale > 0. probs may alias scores (in-place). exp is rbp__expf (~2 ulp). */
void rbp__softmax_forward(float *probs, const float *scores, const uint8_t *key_mask, int R, int T,
                          int rows_per_batch, float scale);
/* d of softmax_forward, in place: d (R,T) holds dprobs on entry and dscores on return
 * (overwritten, NOT accumulated): d = scale * probs * (d - sum_t probs*d). */
void rbp__softmax_backward_inplace(float *d, const float *probs, int R, int T, float scale);

/* ---------------------------------------------------------------- fused attention (one head) */
/* Scaled dot-product attention of one (batch row, head) without a (T,T) tensor in memory
 * (attn_fused.c). q, k, v (T, hs) have row stride ld (columns of the fused (T,3C) projection);
 * key_mask (T) or NULL; scale > 0; the probabilities are those of rbp__softmax_forward, and
 * attention dropout masks element (i, j) of the head's (T,T) block as global index
 * first + i*T + j of rbp__dropout_range (p in [0,1), 0 = none). scr: rbp__attn_scratch_floats
 * floats, contents undefined on entry and exit. */
size_t rbp__attn_scratch_floats(int T, int hs);
/* Floats of the probabilities the forward may keep for the backward: (T, Tp), Tp = T rounded
 * up to 16 (columns T..Tp-1 are 0). */
size_t rbp__attn_probs_floats(int T);
/* ctx (T, hs; row stride ldo) = dropout(softmax(scale Q K^T)) V (overwritten); keep
 * (rbp__attn_probs_floats) receives the probabilities before dropout, or is NULL */
void rbp__attn_forward(float *ctx, int ldo, float *keep, float *scr, const float *q, const float *k, const float *v,
                       int ld, const uint8_t *key_mask, int T, int hs, float scale, float p, uint64_t seed,
                       uint64_t stream, uint64_t first);
/* d of rbp__attn_forward: dctx (T, hs; row stride lddo) -> dq, dk, dv (T, hs; row stride ldd),
 * OVERWRITTEN. kept: the forward's `keep`, or NULL to recompute the probabilities (bit-identical
 * to the forward's). */
void rbp__attn_backward(float *dq, float *dk, float *dv, int ldd, float *scr, const float *kept, const float *dctx,
                        int lddo, const float *q, const float *k, const float *v, int ld, const uint8_t *key_mask, int T,
                        int hs, float scale, float p, uint64_t seed, uint64_t stream, uint64_t first);
/* P (T,T) = the forward's probabilities before dropout (the attention map) */
void rbp__attn_probs(float *P, float *scr, const float *q, const float *k, int ld, const uint8_t *key_mask, int T,
                     int hs, float scale);

/* ---------------------------------------------------------------- layer norm */
/* inp (N,C), weight (C), bias (C) -> out (N,C); saves mean (N), rstd (N) for backward.
 * No output may alias an input (also for the backward). */
void rbp__layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                            const float *weight, const float *bias, int N, int C, float eps);
/* d of layernorm_forward: dinp (N,C) +=, dweight (C) +=, dbias (C) += */
void rbp__layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, const float *mean,
                             const float *rstd, int N, int C);

/* ---------------------------------------------------------------- activations */
/* out (n) = max(inp, 0); out may alias inp */
void rbp__relu_forward(float *out, const float *inp, size_t n);
/* exact GELU: out = x * Phi(x) (erf form, as Keras/PyTorch default) */
void rbp__gelu_forward(float *out, const float *inp, size_t n);
/* Backward, in place (no scratch, no memset): d (n) holds dout on entry and dinp on return
 * (overwritten). ReLU takes the forward OUTPUT, GELU the forward INPUT. */
void rbp__relu_backward_inplace(float *d, const float *out, size_t n);
void rbp__gelu_backward_inplace(float *d, const float *inp, size_t n);

/* ---------------------------------------------------------------- randomness and dropout */
/* Counter-based RNG (stateless): uniform in [0,1) for (seed, stream, index). The same
 * triple gives the same number on any machine and any thread count. */
float rbp__rng_uniform(uint64_t seed, uint64_t stream, uint64_t index);
/* 64 random bits for (seed, stream, index) */
uint64_t rbp__rng_u64(uint64_t seed, uint64_t stream, uint64_t index);
/* The sequential form of the same generator: one SplitMix64 step (state += golden ratio,
 * then the output mixer), for shuffles that walk a stream in order. */
uint64_t rbp__splitmix64(uint64_t *state);
/* Inverted dropout: out[i] = keep(i) ? inp[i] / (1-p) : 0 with keep(i) = rbp__dropout_keep(seed,
 * stream, i, p). out may alias inp; p in [0,1). p == 0 copies. The mask is recomputed in
 * backward, not stored; applying the forward in place to a gradient is its backward too. */
void rbp__dropout_forward(float *out, const float *inp, size_t n, float p, uint64_t seed, uint64_t stream);
/* The same on a piece of a larger buffer: element k is masked as global index first + k, so
 * processing a buffer in pieces gives exactly the mask of processing it whole. */
void rbp__dropout_range(float *out, const float *inp, size_t n, uint64_t first, float p, uint64_t seed,
                        uint64_t stream);
/* The factors of rbp__dropout_range themselves: out[k] = keep(first + k) ? 1/(1-p) : 0, exactly
 * the factor by which rbp__dropout_range multiplies element k; p in (0,1). */
void rbp__dropout_factors(float *out, size_t n, uint64_t first, float p, uint64_t seed, uint64_t stream);
/* The keep decision of element i: the 32-bit half (i & 1) of rbp__rng_u64(seed, stream, i/2)
 * (low half for even i) is >= round(p * 2^32). Two elements per 64-bit draw, integer test. */
int rbp__dropout_keep(uint64_t seed, uint64_t stream, size_t i, float p);

/* ---------------------------------------------------------------- embeddings */
/* tokens (N) in [0,V), table (V,C) -> out (N,C) = table[tokens[n]] * scale (+= if accumulate) */
void rbp__embedding_forward(float *out, const uint8_t *tokens, const float *table, int N, int C, float scale,
                            int accumulate);
/* dtable (V,C) += scatter-add of dout (N,C) * scale at rows tokens[n] */
void rbp__embedding_backward(float *dtable, const float *dout, const uint8_t *tokens, int N, int C, float scale);
/* pe (T,C): sinusoidal table in the TensorFlow-tutorial layout: pe[t,i] = sin(ang) for even i,
 * cos(ang) for odd i, ang = t / 10000^(2*floor(i/2)/C) */
void rbp__positional_encoding(float *pe, int T, int C);
/* out (B,T,C) += pe (T,C) broadcast over B */
void rbp__add_positional(float *out, const float *pe, int B, int T, int C);

/* ---------------------------------------------------------------- pooling over positions */
/* inp (B,T,C), mask (B,T) or NULL -> out (B,C) = mean over real positions (0 if none) */
void rbp__meanpool_forward(float *out, const float *inp, const uint8_t *mask, int B, int T, int C);
void rbp__meanpool_backward(float *dinp, const float *dout, const uint8_t *mask, int B, int T, int C);
/* inp (B,T,C) -> out (B,C) = max over real positions; argmax (B,C) saved for backward
 * (first maximum wins; a row without real positions gives 0 and argmax -1) */
void rbp__maxpool_forward(float *out, int32_t *argmax, const float *inp, const uint8_t *mask, int B, int T, int C);
void rbp__maxpool_backward(float *dinp, const float *dout, const int32_t *argmax, int B, int T, int C);
/* inp (B,T,C) -> out (B,Tp,C), Tp = ceil(T/P): max over the real positions of each window of P
 * (stride P, the last window shorter when P does not divide T), with argmax (B,Tp,C) the
 * position in the sequence (first maximum wins; a window without real positions gives 0 and
 * -1) and omask (B,Tp) = 1 where the window has a real position (every window without mask) */
void rbp__windowpool_forward(float *out, int32_t *argmax, uint8_t *omask, const float *inp, const uint8_t *mask, int B,
                             int T, int C, int P);
/* dinp (B,T,C) += dout (B,Tp,C) routed to the argmax positions */
void rbp__windowpool_backward(float *dinp, const float *dout, const int32_t *argmax, int B, int T, int C, int P);

/* ---------------------------------------------------------------- element-wise and reductions */
void rbp__add(float *out, const float *a, const float *b, size_t n);     /* out = a + b (aliases ok) */
void rbp__axpy(float *y, float alpha, const float *x, size_t n);         /* y += alpha * x */
void rbp__scale(float *x, float alpha, size_t n);                        /* x *= alpha */
void rbp__fill(float *x, float value, size_t n);
double rbp__sum(const float *x, size_t n);                               /* pairwise/double sum */
double rbp__sumsq(const float *x, size_t n);                             /* sum of squares (clip norm) */
float rbp__max(const float *x, size_t n);
/* nonzero when every value is finite */
int rbp__all_finite(const float *x, size_t n);

#endif /* RBP_KERNELS_H */
