/**
 * @file
 * rbpattn/train.h - training: losses, optimizers, learning-rate schedules and the trainer.
 *
 * A trainer borrows a model and owns the optimizer state (Adam moments share the layout of
 * the model's flat parameter buffer, so the update is one flat loop). Shuffling is seeded per
 * epoch and dropout per step, so a run is a pure function of (seed, thread count), and a run
 * resumed from rbp_trainer_save equals the uninterrupted one bit for bit.
 */
#ifndef RBPATTN_TRAIN_H
#define RBPATTN_TRAIN_H

#include "rbpattn/common.h"
#include "rbpattn/dataset.h"
#include "rbpattn/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The optimizer of rbp_train_config.optimizer: Adam, or AdamW (decoupled weight decay). */
typedef enum rbp_optimizer_kind { RBP_OPT_ADAM = 0, RBP_OPT_ADAMW = 1 } rbp_optimizer_kind;

/** The learning-rate schedule of rbp_train_config.schedule. */
typedef enum rbp_schedule {
    RBP_SCHED_TRANSFORMER = 0, /**< lr_scale * d^-0.5 * min(step^-0.5, step * warmup^-1.5) */
    RBP_SCHED_CONSTANT = 1,    /**< lr (after a linear warmup over warmup_steps, if > 0) */
    RBP_SCHED_COSINE = 2       /**< linear warmup to lr, then cosine decay to 0 at the last step */
} rbp_schedule;

/** What early stopping and the best-weights copy watch: validation loss (lower is better),
 * ROC AUC (classification) or R-squared (regression); higher is better for both. */
typedef enum rbp_monitor {
    RBP_MONITOR_VAL_LOSS = 0,
    RBP_MONITOR_VAL_AUC = 1,
    RBP_MONITOR_VAL_R2 = 2
} rbp_monitor;

/** The current version of rbp_train_config. */
#define RBP_TRAIN_CONFIG_VERSION 3

/** Training settings (defaults from rbp_train_config_init, the study's). */
typedef struct rbp_train_config {
    uint32_t version;        /**< RBP_TRAIN_CONFIG_VERSION */
    int32_t epochs;          /**< default 20 */
    int32_t batch_size;      /**< default 64 */
    int32_t optimizer;       /**< rbp_optimizer_kind, default ADAM */
    float lr;                /**< peak rate for CONSTANT/COSINE (default 1e-3) */
    float lr_scale;          /**< multiplier of the TRANSFORMER schedule (default 1) */
    /** @{ */
    float beta1, beta2, eps; /**< Adam moments and epsilon: default 0.9, 0.98, 1e-9 (the study's) */
    /** @} */
    float weight_decay;      /**< AdamW decoupled decay (default 0.01; ignored by Adam) */
    int32_t schedule;        /**< rbp_schedule, default TRANSFORMER */
    int32_t warmup_steps;    /**< default 4000 */
    float clip_norm;         /**< global-norm gradient clipping, 0 = off (default 0) */
    float pos_weight;        /**< BCE weight of positive examples (default 1) */
    uint64_t seed;           /**< shuffling and dropout (default 1) */
    int32_t patience;        /**< early stopping after this many epochs without improvement; 0 = off */
    int32_t monitor;         /**< rbp_monitor for early stopping / best weights (default VAL_LOSS) */
    int32_t restore_best;    /**< with a validation set: end with the best epoch's weights (default 1) */
    int32_t eval_batch_size; /**< default 256 */
    /** threads of a step, the calling one included (default 1; added in version 2, whose
     * structs version 1 callers do not pass: the library reads and writes theirs only up to
     * here and runs them on 1 thread): each takes a
     * share of the batch's rows; results are bit-identical for a given (seed, n_threads).
     * Keep the BLAS at 1 thread (rbp_set_num_threads(1)) when > 1. Not saved in checkpoints. */
    int32_t n_threads;
    /** Exponential moving average of the weights (Polyak averaging), in [0, 1); 0 = off
     * (default; added in version 3). After step s the average moves towards the weights with
     * rate 1 - min(ema_decay, (1 + s) / (10 + s)); validation, early stopping and the
     * best-weights copy then see the averaged weights, and fit ends with them (or with the
     * best epoch's average). 0.999 averages over ~1,000 steps: it smooths the epoch-to-epoch
     * noise of the validation metric that makes the best epoch partly chance. */
    float ema_decay;
} rbp_train_config;

/** Fill `cfg` with the defaults above for struct `version` (RBP_TRAIN_CONFIG_VERSION); RBP_ERR_INVALID_ARG
 * for NULL or an unknown version. */
RBP_API rbp_status rbp_train_config_init(rbp_train_config *cfg, uint32_t version);
/** NULL when valid, else a constant string naming the bad field; a NULL `cfg` gets
 * "cfg is NULL". Sets no last error. */
RBP_API const char *rbp_train_config_check(const rbp_train_config *cfg);

/** Learning rate at 1-based `step` of `total_steps` for `cfg` and model width d_model (a step
 * < 1 counts as 1). NaN, with rbp_last_error saying why, for a NULL `cfg`, an unknown
 * cfg->schedule or (TRANSFORMER) d_model < 1. */
RBP_API double rbp_schedule_lr(const rbp_train_config *cfg, int32_t d_model, int64_t step, int64_t total_steps);

/** Progress of one step, passed to the step callback. */
typedef struct rbp_step_info {
    int32_t epoch;            /**< 0-based */
    int64_t step;             /**< global optimizer step, 1-based */
    int64_t batch;            /**< 0-based within the epoch */
    int64_t batches;          /**< per epoch */
    double loss;              /**< this batch's mean loss */
    double lr;                /**< learning rate of this step */
    double seqs_per_sec;      /**< running throughput of the epoch */
} rbp_step_info;

/** Summary of one epoch, passed to the epoch callback. NaN where not computed. */
typedef struct rbp_epoch_info {
    int32_t epoch;            /**< 0-based */
    int32_t epochs;           /**< cfg.epochs */
    int64_t step;             /**< global optimizer steps after this epoch */
    double train_loss;        /**< mean training loss over the epoch's batches */
    double val_loss;          /**< validation loss (NaN without a validation set) */
    double val_auc;           /**< classification */
    double val_r2;            /**< regression */
    double seconds;           /**< wall time of the epoch, validation included */
    double seqs_per_sec;      /**< training throughput of the epoch */
    double lr;                /**< learning rate at the epoch's last step */
    int32_t improved;         /**< 1 if this epoch is the best so far on the monitored value */
} rbp_epoch_info;

/** Step callback of rbp_trainer_set_callbacks, after every optimizer step. Return 0 to continue, nonzero
 * to stop training (fit then returns RBP_ERR_CANCELLED). */
typedef int32_t (*rbp_step_fn)(const rbp_step_info *info, void *user_data);
/** Epoch callback, after every epoch (and its validation); returns as rbp_step_fn. */
typedef int32_t (*rbp_epoch_fn)(const rbp_epoch_info *info, void *user_data);

/** A training run over one model: optimizer state, its own session, counters (opaque). */
typedef struct rbp_trainer rbp_trainer;

/** `model` is borrowed and must outlive the trainer. The trainer owns its own session
 * (activations, gradients) and the optimizer state, and is the one writer of the model's
 * parameters: while it trains (step, fit, load), no other session may use the model. */
RBP_API rbp_status rbp_trainer_create(rbp_trainer **out, rbp_model *model, const rbp_train_config *cfg);
/** Free the trainer (not its model); NULL is ignored. */
RBP_API void rbp_trainer_free(rbp_trainer *t);
/** Either callback may be NULL. */
RBP_API rbp_status rbp_trainer_set_callbacks(rbp_trainer *t, rbp_step_fn on_step, rbp_epoch_fn on_epoch,
                                             void *user_data);

/**
 * Train epochs rbp_trainer_epoch(t) .. cfg.epochs-1 (so after rbp_trainer_load it continues
 * where the saved run stopped). Epoch e visits `train` in the order drawn from (cfg.seed, e),
 * in batches of cfg.batch_size (the last one may be short). `val` may be NULL; with it, each
 * epoch reports validation loss and AUC (classification) or R^2 (regression), tracks the best
 * epoch on cfg.monitor, stops early after cfg.patience epochs without improvement (if > 0), and
 * with cfg.restore_best ends with the best epoch's weights. A trainer that has already stopped
 * early (its last cfg.patience epochs without improvement, e.g. loaded from the checkpoint of
 * its last epoch) trains no further and only ends as an uninterrupted run does (the best
 * weights, or the average), so resuming after the stop is exact; a larger cfg.patience lets
 * it continue. Both datasets must have length
 * cfg.seq_len of the model (RBP_ERR_SHAPE otherwise). A classification model needs every
 * target in [0, 1] (BCE is unbounded otherwise): RBP_ERR_INVALID_ARG naming the first record
 * outside it, before any step (the same check guards rbp_trainer_step and _evaluate_loss).
 * Returns RBP_ERR_NUMERIC if the loss or gradient becomes NaN/Inf (the message names the step;
 * that step is not applied) and RBP_ERR_CANCELLED if a callback asked to stop; in both cases
 * the weights are those of the last completed step (no restore), so the trainer can still be
 * saved. Resuming is exact from epoch boundaries (a run cancelled mid-epoch restarts that
 * epoch's batch order). All buffers are allocated before the first step; steps allocate nothing.
 */
RBP_API rbp_status rbp_trainer_fit(rbp_trainer *t, const rbp_dataset *train, const rbp_dataset *val);

/** One optimizer step on one batch (for custom loops); *loss (may be NULL) receives the batch
 * loss. batch->tokens, mask and targets must be set (RBP_ERR_INVALID_ARG); batch->size must be
 * in 1..max(cfg.batch_size, cfg.eval_batch_size) and batch->length the model's seq_len
 * (RBP_ERR_SHAPE). A failed step leaves the weights, the optimizer state and the step
 * counter as they were. The step uses dropout stream (cfg.seed, step number) and allocates
 * nothing. */
RBP_API rbp_status rbp_trainer_step(rbp_trainer *t, const rbp_batch *batch, double *loss);

/** Mean loss of the model on `ds` (BCE with logits or MSE, with pos_weight), no dropout,
 * in batches of cfg.eval_batch_size. Allocates nothing. */
RBP_API rbp_status rbp_trainer_evaluate_loss(rbp_trainer *t, const rbp_dataset *ds, double *loss);

/** Horizon of the COSINE schedule for custom loops built on rbp_trainer_step (rbp_trainer_fit
 * sets it to epochs x batches per epoch). 0 = unknown: the rate stays at its peak. */
RBP_API rbp_status rbp_trainer_set_total_steps(rbp_trainer *t, int64_t total_steps);

/** Epochs completed so far; 0 for a NULL trainer (and rbp_last_error names it). */
RBP_API int32_t rbp_trainer_epoch(const rbp_trainer *t);
/** Optimizer steps taken so far; 0 for a NULL trainer (and rbp_last_error names it). */
RBP_API int64_t rbp_trainer_step_count(const rbp_trainer *t);

/** Save model + optimizer state + counters atomically, so training resumes exactly. */
RBP_API rbp_status rbp_trainer_save(const rbp_trainer *t, const char *path);
/** Restore a rbp_trainer_save checkpoint into this trainer and its model: weights, Adam
 * moments, step and epoch counters, best-epoch state. The model configuration must match (all
 * fields but the init seed; RBP_ERR_FORMAT names the first difference). The trainer keeps its
 * own rbp_train_config (a different one is logged as a warning), so cfg.epochs can be raised
 * to train longer. On error the trainer and model are unchanged (see docs/checkpoint.md). */
RBP_API rbp_status rbp_trainer_load(rbp_trainer *t, const char *path);

/* ---------------------------------------------------------------- losses (also used by tests) */
/** Mean BCE-with-logits over n: pos_weight * y * softplus(-x) + (1 - y) * softplus(x), as
 * torch.nn.BCEWithLogitsLoss(pos_weight=...); if dlogits != NULL it receives d(mean loss)/dlogit.
 * Returns NaN (and sets rbp_last_error) for NULL arrays or n == 0. */
RBP_API double rbp_loss_bce_logits(const float *logits, const float *targets, size_t n, float pos_weight,
                                   float *dlogits);
/** Mean squared error; if dpred != NULL it receives d(mean loss)/dpred. NaN (and the last error)
 * for NULL arrays or n == 0. */
RBP_API double rbp_loss_mse(const float *pred, const float *targets, size_t n, float *dpred);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_TRAIN_H */
