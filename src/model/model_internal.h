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
 * last dense layer (no sigmoid); it may be NULL (only the saved activations are wanted).
 * Saves what backward needs. Never allocates once reserved (it reserves B itself otherwise).
 * Errors: RBP_ERR_INVALID_ARG for a NULL/empty batch or a bad token/structure/viewpoint
 * value (named with its (b, t)), RBP_ERR_SHAPE when batch->length != seq_len.
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

/* One named tensor of the flat parameter buffer (for optimizers, debugging, tools). */
typedef struct rbp__param_info {
    const char *name; /* e.g. "layers.qkv_w" (static storage); per-layer tensors are stacked (n_layers, ...) */
    size_t offset;    /* in floats from the start of the buffer */
    size_t size;      /* in floats */
    int is_matrix;    /* 1 for dense-layer weight matrices (the usual weight-decay targets) */
} rbp__param_info;

/* Fill up to `max` entries of `out` (may be NULL) with the model's non-empty parameter
 * tensors in buffer order; returns how many there are (0 for a NULL model). */
int rbp__model_param_info(const rbp_model *m, rbp__param_info *out, int max);

/*
 * Diagnostic for gradient checks: the distance of the last forward pass from the nearest
 * non-differentiable point (the smallest |pre-activation| of any ReLU, and for max pooling
 * the smallest gap between the two largest candidates). Finite differences with a step
 * below this margin are valid. Allocates a scratch buffer; -1 if there was no forward pass
 * or the allocation failed.
 */
float rbp__model_kink_margin(const rbp_model *m);

/* rbp_model_num_params of a model with this (valid) configuration, without creating it:
 * loaders compare it with a file's size before allocating anything. */
size_t rbp__model_config_num_params(const rbp_model_config *cfg);

#endif /* RBP_MODEL_INTERNAL_H */
