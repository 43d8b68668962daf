/*
 * model/model_internal.h - what the training layer (src/train) and the attention-map code
 * need from the model beyond the public API. The model owns: config, one parameter buffer,
 * one gradient buffer (same layout), and a workspace of activations sized for (B_max, L).
 */
#ifndef RBP_MODEL_INTERNAL_H
#define RBP_MODEL_INTERNAL_H

#include "rbpattn/model.h"
#include "core/internal.h"

/*
 * Make sure the workspace holds activations for batches of up to B rows (allocates only when
 * B exceeds the current capacity; training code calls it once before the loop).
 */
rbp_status rbp__model_reserve(rbp_model *m, int32_t B);

/*
 * Forward pass. training != 0 enables dropout with random streams derived from
 * (dropout_seed, step); inference uses no dropout. logits (B) receives the raw output of the
 * last dense layer (no sigmoid). Saves what backward needs. Never allocates once reserved.
 */
rbp_status rbp__model_forward(rbp_model *m, const rbp_batch *batch, int training, uint64_t dropout_seed,
                              uint64_t step, float *logits);

/* Backward pass of the last forward: dlogits (B) -> ACCUMULATES into the gradient buffer. */
rbp_status rbp__model_backward(rbp_model *m, const float *dlogits);

/* memset the gradient buffer to 0. */
void rbp__model_zero_grad(rbp_model *m);

/* The flat buffers (n = rbp_model_num_params). */
float *rbp__model_grads(rbp_model *m);
const float *rbp__model_params_const(const rbp_model *m);

/* Gradient of the loss w.r.t. the input embedding sum (B, L, d) of the last backward, for
 * gradient x input saliency; NULL if not available. */
const float *rbp__model_input_embedding(const rbp_model *m);
const float *rbp__model_input_embedding_grad(const rbp_model *m);

#endif /* RBP_MODEL_INTERNAL_H */
