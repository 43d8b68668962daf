/**
 * @file
 * rbpattn/attention.h - explaining predictions: attention maps, attention rollout and
 * gradient x input saliency.
 *
 * Typical use: run rbp_session_predict_batch on a batch, then rbp_session_attention(session, b,
 * A) for example b to get A (n_layers, n_heads, L, L); rbp_attention_rollout(A, ...) turns it
 * into one importance value per position; rbp_session_saliency gives an independent,
 * gradient-based importance. rbp_attention_real_positions lists the unpadded positions so
 * maps can be cropped to the real sequence.
 */
#ifndef RBPATTN_ATTENTION_H
#define RBPATTN_ATTENTION_H

#include "rbpattn/common.h"
#include "rbpattn/dataset.h"
#include "rbpattn/model.h"
#include "rbpattn/session.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Attention rollout (Abnar & Zuidema, 2020) of one example.
 * attn (n_layers, n_heads, L, L) as from rbp_session_attention; mask (L) with 1 = real position,
 * or NULL (all real). Heads are averaged; each layer's map is mixed with the identity for the
 * residual path, A' = (1 - residual) * A + residual * I over real positions, and rows are
 * renormalised; the layers are multiplied, R = A'_last ... A'_first.
 *   rollout  (L, L) or NULL: R (row = query, column = input position); padded rows/cols are 0.
 *   importance (L) or NULL: mean over real queries of R[:, j] - sums to 1 over real positions.
 * `residual` in [0, 1] (0.5 in the paper). `scratch` must hold 3*L*L floats (no allocation),
 * or be NULL to let the function allocate.
 */
RBP_API rbp_status rbp_attention_rollout(const float *attn, int32_t n_layers, int32_t n_heads, int32_t L,
                                         const uint8_t *mask, float residual, float *rollout,
                                         float *importance, float *scratch);

/**
 * Mean over heads of one layer: attn (n_layers, n_heads, L, L) -> out (L, L).
 * layer in [0, n_layers).
 */
RBP_API rbp_status rbp_attention_head_mean(const float *attn, int32_t n_layers, int32_t n_heads, int32_t L,
                                           int32_t layer, float *out);

/**
 * Gradient x input saliency of every example of `batch`: out (B, L) receives, per position,
 * the sum over model dimensions of (input embedding) * d(logit)/d(input embedding), where the
 * input embedding is token (+ structure + viewpoint) embedding * scale + position encoding.
 * Positive values push the prediction towards binding. Padded positions get 0. Uses the
 * session's own gradient buffer (allocated on first use; the model is not written) and
 * leaves the batch's forward pass for rbp_session_attention.
 */
RBP_API rbp_status rbp_session_saliency(rbp_session *session, const rbp_batch *batch, float *out);

/**
 * Indices of the real (unpadded) positions of a mask row (L): writes them to idx (room for L)
 * and their count to *n. Maps can then be cropped: A[i][j] for i, j in idx.
 */
RBP_API rbp_status rbp_attention_real_positions(const uint8_t *mask, int32_t L, int32_t *idx, int32_t *n);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_ATTENTION_H */
