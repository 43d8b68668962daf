/*
 * train/optim.h - the optimizer kernels of the training layer: Adam / AdamW updates and
 * global-norm gradient clipping, as flat loops over a parameter buffer whose gradients and
 * moments share its layout (llm.c gpt2_update). Internal: used by the trainer and tests.
 */
#ifndef RBP_TRAIN_OPTIM_H
#define RBP_TRAIN_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "rbpattn/train.h"

/*
 * One Adam step over n parameters, PyTorch's formulation (torch.optim.Adam / AdamW,
 * single-tensor path) with bias correction, at 1-based step t:
 *   params *= 1 - lr * weight_decay                 (decoupled decay; pass 0 for plain Adam)
 *   m = m + (1 - beta1) * (g - m)                   (= beta1 m + (1-beta1) g)
 *   v = beta2 v + (1 - beta2) g^2
 *   params -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * params, m, v, grads (n); m and v start at zero.
 */
void rbp__adam_update(float *params, float *m, float *v, const float *grads, size_t n, double lr, float beta1,
                      float beta2, float eps, float weight_decay, int64_t t);

/* sqrt(sum g^2) over the whole buffer, accumulated in double. grads (n). */
double rbp__grad_global_norm(const float *grads, size_t n);

/*
 * Scale grads (n) so that their global norm is at most max_norm (torch.nn.utils.clip_grad_norm_:
 * coef = max_norm / (norm + 1e-6), applied when < 1). Returns the norm before clipping
 * (non-finite when the gradient is; then nothing is scaled).
 */
double rbp__clip_grad_norm(float *grads, size_t n, double max_norm);

/* d(mean loss)/d(output) of n examples (rows of a batch of n_total) into dout (n): the
 * gradients of rbp_loss_bce_logits (classification != 0, with pos_weight) or rbp_loss_mse
 * over the whole batch, for these rows; a thread's share of a split batch. */
void rbp__loss_grad(int classification, const float *out, const float *targets, size_t n, size_t n_total,
                    float pos_weight, float *dout);

/* Older versions of rbp_train_config end before a later field: such structs are read and
 * written only that far. Version 1 ended before n_threads, version 2 before ema_decay. */
#define RBP__TRAIN_CONFIG_V1_SIZE offsetof(rbp_train_config, n_threads)
#define RBP__TRAIN_CONFIG_V2_SIZE offsetof(rbp_train_config, ema_decay)
/* Bytes of a caller's struct of `version` (0 for an unknown one). */
size_t rbp__train_config_size(uint32_t version);

/* ema = d * ema + (1 - d) * params over n values (the weight average of ema_decay). */
void rbp__ema_update(float *ema, const float *params, size_t n, float d);

/* A caller's configuration of any known version as the current one (later fields at their
 * defaults); -1 for an unknown version. */
int rbp__train_config_current(rbp_train_config *dst, const rbp_train_config *src);

#endif /* RBP_TRAIN_OPTIM_H */
