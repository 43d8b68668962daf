/*
 * model/model_internal.h - what the training layer (src/train) and the attention-map code
 * need from the model and the session beyond the public API. The model owns its config and
 * one parameter buffer and is read only during passes; a session owns the workspace of
 * activations sized for (B_max, L), the last-forward state and the gradient buffer.
 */
#ifndef RBP_MODEL_INTERNAL_H
#define RBP_MODEL_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "rbpattn/model.h"
#include "rbpattn/session.h"
#include "core/internal.h"

/*
 * What one forward/backward pass writes (model.c): the activation workspace, the state of the
 * last forward pass and, once something differentiates, a gradient buffer with the
 * parameters' layout. The model itself stays read only.
 */
typedef struct rbp__state rbp__state;
rbp_status rbp__state_create(rbp__state **out, const rbp_model *m);
void rbp__state_free(rbp__state *s);

/* A session (session.c): one state for the calling thread plus n_threads - 1 single-thread
 * worker sessions that rbp_session_predict hands batches to. One batch can also be split by
 * rows among them (part 0 = the session itself, part k = workers[k - 1]), run by `pool`. */
struct rbp__team;
struct rbp_session {
    const rbp_model *model; /* borrowed */
    int32_t n_threads;
    rbp__state *st;
    rbp_session **workers; /* (n_threads - 1) or NULL */
    struct rbp__team *pool; /* the thread team of split batches, created on first need */
    int32_t split;          /* parts of the last forward pass if it was split (> 1), else 0 */
    int32_t split_rows;     /* rows of that split batch */
};

/* dst = rows [r0, r0 + n) of src (a view, no copy; NULL arrays stay NULL). */
void rbp__batch_rows(rbp_batch *dst, const rbp_batch *src, size_t r0, size_t n);

/* The error of the lowest-numbered failing part (or batch) of a parallel run, kept for the
 * calling thread: the last-error message is thread-local where it was set. */
typedef struct rbp__first_error {
    pthread_mutex_t lock;
    size_t which; /* SIZE_MAX: none */
    rbp_status st;
    char msg[512];
} rbp__first_error;
void rbp__first_error_init(rbp__first_error *e);
void rbp__first_error_keep(rbp__first_error *e, size_t which, rbp_status st);
/* The lowest part that failed so far (SIZE_MAX: none), for parts that skip work above it. */
size_t rbp__first_error_which(rbp__first_error *e);
/* Ends the run's record: RBP_OK, or sets the kept error on the calling thread and returns it. */
rbp_status rbp__first_error_end(rbp__first_error *e);

/* Part k (0 .. n_threads - 1) of a split batch: the session itself or one of its workers. */
rbp_session *rbp__session_part(const rbp_session *s, int k);

/* The session's thread team (started on the first call; NULL and an error if it cannot be). */
rbp_status rbp__session_pool(rbp_session *s, struct rbp__team **out);

/*
 * Make sure the session's workspace holds activations and backward tensors for batches of
 * up to B rows (allocates only when B exceeds the current capacity; training code calls it
 * once before the loop).
 */
rbp_status rbp__session_reserve(rbp_session *s, int32_t B);
/* The same for inference only (no backward tensors); B >= 1. */
rbp_status rbp__session_reserve_infer(rbp_session *s, int32_t B);
/* The most rows (1 .. rows) whose training workspace fits in budget bytes (at least 1, even if
 * one row does not fit). */
int32_t rbp__session_train_rows(const rbp_session *s, int32_t rows, size_t budget);

/*
 * Forward pass. training != 0 enables dropout with random streams derived from
 * (dropout_seed, step); inference uses no dropout. logits (B) receives the raw output of the
 * last dense layer (no sigmoid); it may be NULL (only the saved activations are wanted).
 * Saves what backward needs. Never allocates once reserved (it reserves B itself otherwise).
 * Errors: RBP_ERR_INVALID_ARG for a NULL/empty batch or a bad token/structure/viewpoint
 * value (named with its (b, t)), RBP_ERR_SHAPE when batch->length != seq_len.
 */
rbp_status rbp__model_forward(rbp_session *s, const rbp_batch *batch, int training, uint64_t dropout_seed,
                              uint64_t step, float *logits);
/* The same for rows row0 .. row0 + batch->size - 1 of a larger batch (split among threads):
 * dropout masks are those of these rows of the whole batch, and error messages name rows
 * of the whole batch. */
rbp_status rbp__model_forward_part(rbp_session *s, const rbp_batch *batch, uint64_t row0, int training,
                                   uint64_t dropout_seed, uint64_t step, float *logits);

/* Backward pass of the last forward: dlogits (B) -> ACCUMULATES into the session's gradient
 * buffer. */
rbp_status rbp__model_backward(rbp_session *s, const float *dlogits);

/* Inference forward (no dropout, inference-only workspace layout) of the session's own state:
 * out (B) gets logits (want_logits) or the task's output (probabilities for classification).
 * row0 as for rbp__model_forward_part (0 for a whole batch). Errors are named after fn. */
rbp_status rbp__session_infer(rbp_session *s, const rbp_batch *batch, uint64_t row0, float *out, int want_logits,
                              const char *fn);

/* rbp_session_predict over caller-owned rows (n, L) (structure, viewpoint may be NULL): the
 * batches of `batch_size` are shared out among the session's threads as for a dataset, with
 * the same determinism and workspace reservation. Used by scanning (src/interpret/scan.c). */
rbp_status rbp__session_predict_rows(rbp_session *s, const uint8_t *tokens, const uint8_t *mask,
                                     const uint8_t *structure, const uint8_t *viewpoint, size_t n, int32_t L,
                                     int32_t batch_size, float *out, int logits, const char *fn);

/* A model of `members` (1..RBP_MAX_MEMBERS) members of cfg's architecture, member 0
 * initialised from cfg->seed and the others zero (the loader fills them all). */
rbp_status rbp__model_create_members(rbp_model **out, const rbp_model_config *cfg, int32_t members);

/* Ensembles in a session: the members of its model, and which one the parameter views of
 * its own state point at for training-layout passes (rbp__model_forward/_backward; inference
 * runs every member itself). Saliency selects each in turn and goes back to member 0. */
int32_t rbp__session_members(const rbp_session *s);
void rbp__session_select_member(rbp_session *s, int32_t m);
/* A workspace vector of B ones (the d(logit) of a saliency pass), or NULL before a training
 * reserve of at least B rows of an ensemble's session. */
float *rbp__session_ones(rbp_session *s, int32_t B);

/* Drop the last-forward state (attention and saliency inputs become unavailable). */
void rbp__session_forget(rbp_session *s);

/* memset the session's gradient buffer to 0 (no-op before the first training reserve). */
void rbp__session_zero_grad(rbp_session *s);

/* The session's gradient buffer (rbp_model_num_params floats, the parameters' layout), or
 * NULL until rbp__session_reserve / rbp__model_forward allocated it. */
float *rbp__session_grads(rbp_session *s);
const float *rbp__model_params_const(const rbp_model *m);

/* The input embedding sum (B, L, d) of the last forward and the gradient w.r.t. it of the
 * last backward, for gradient x input saliency; NULL if not available. */
const float *rbp__session_input_embedding(const rbp_session *s);
const float *rbp__session_input_embedding_grad(const rbp_session *s);

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
 * What the non-differentiable points of the last forward pass read, for the gradient checks
 * of tests/test_model.c (which compute the distance to the nearest ReLU kink or max-pooling
 * tie from them). All NULL and B = 0 when there was no forward pass.
 */
typedef struct rbp__pass_view {
    int32_t B;              /* rows of the last forward pass */
    const float *stem_in;   /* (B*L, C) the stem's input (the input block's output); NULL without a stem */
    const float *stem_out;  /* (B, L, C) the stem's output, what a pooling stem reads; NULL without one */
    int32_t Le;             /* positions of the encoder (rbp__model_encoder_length) */
    const float *top;       /* (B, Le, C) encoder output, what pooling reads */
    const float *head_in;   /* (B, P) what the head's hidden dense + ReLU reads (P = Le*C or C) */
    const uint8_t *mask;    /* (B, L) the batch's */
    const uint8_t *emask;   /* (B, Le) the encoder's (the pooled windows' with a pooling stem) */
} rbp__pass_view;
void rbp__session_pass_view(const rbp_session *s, rbp__pass_view *v);
/* (B*Le, C) what layer `layer`'s first FFN dense layer (then the activation) read; NULL if
 * there was no forward pass or the layer does not exist. */
const float *rbp__session_ffn_input(const rbp_session *s, int32_t layer);

/* rbp_model_num_params of a model with this (valid) configuration, without creating it:
 * loaders compare it with a file's size before allocating anything. */
size_t rbp__model_config_num_params(const rbp_model_config *cfg);

/* Version 1 of rbp_model_config ended before stem_filters, version 2 before stem_pool: such
 * structs are read and written only that far. */
#define RBP__MODEL_CONFIG_V1_SIZE offsetof(rbp_model_config, stem_filters)
#define RBP__MODEL_CONFIG_V2_SIZE offsetof(rbp_model_config, stem_pool)

/* Bytes of an rbp_model_config of `version` (1..current); 0 for an unknown version. */
size_t rbp__model_config_size(uint32_t version);

/* Positions the encoder runs on: ceil(seq_len / stem_pool) with a pooling stem, else seq_len. */
int32_t rbp__model_encoder_length(const rbp_model_config *cfg);

/* A caller's configuration of any known version as the current one (later fields at their
 * defaults); -1 for an unknown version. */
int rbp__model_config_current(rbp_model_config *dst, const rbp_model_config *src);

#endif /* RBP_MODEL_INTERNAL_H */
