/**
 * @file
 * rbpattn/session.h - inference state: sessions over a shared, read-only model.
 *
 * An rbp_model holds weights and configuration only and is never written by inference. An
 * rbp_session holds everything a forward (or saliency's backward) pass writes: the activation
 * workspace, the last forward pass (for rbp_session_attention), gradient buffers and its own
 * worker threads. Rules:
 *  - one session per thread at a time; any number of sessions may share one const model;
 *  - the model must outlive its sessions and must not be modified (trained, loaded into,
 *    written through rbp_model_params) while a session uses it;
 *  - with the same model and batch, a session's outputs do not depend on the session, its
 *    thread count or on other sessions running at the same time (bit for bit).
 * Memory: a session's workspace grows to the largest batch it has seen; after that, predict
 * calls with batches no larger allocate nothing.
 */
#ifndef RBPATTN_SESSION_H
#define RBPATTN_SESSION_H

#include "rbpattn/common.h"
#include "rbpattn/dataset.h"
#include "rbpattn/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The current version of rbp_session_options. */
#define RBP_SESSION_OPTIONS_VERSION 1

/** Options of rbp_session_create. */
typedef struct rbp_session_options {
    uint32_t version;  /**< RBP_SESSION_OPTIONS_VERSION */
    int32_t n_threads; /**< threads of rbp_session_predict, the calling one included, in 1..1024
                          (default 1). Each has its own workspace. The BLAS thread count is
                          separate (rbp_set_num_threads). */
} rbp_session_options;

/** Fill `opt` with the defaults above. */
RBP_API rbp_status rbp_session_options_init(rbp_session_options *opt, uint32_t version);

/** Inference state over one const model: workspace, last pass, worker threads (opaque). */
typedef struct rbp_session rbp_session;

/** A session over `model` (borrowed, must outlive the session); opt NULL = defaults.
 * Allocates no workspace yet (the first predict does). */
RBP_API rbp_status rbp_session_create(rbp_session **out, const rbp_model *model, const rbp_session_options *opt);
/** Free the session (not its model) and stop its threads; NULL is ignored. */
RBP_API void rbp_session_free(rbp_session *session);

/** The session's model; NULL for a NULL session (and rbp_last_error names it). */
RBP_API const rbp_model *rbp_session_model(const rbp_session *session);

/**
 * Inference on a batch (no dropout): out (B) receives probabilities (classification, after
 * the sigmoid) or values (regression). batch->length must equal the model's seq_len. The
 * first call with a larger B than before sizes the workspace; later calls allocate nothing.
 * Runs on the calling thread only. Keeps the pass for rbp_session_attention.
 */
RBP_API rbp_status rbp_session_predict_batch(rbp_session *session, const rbp_batch *batch, float *out);
/** As rbp_session_predict_batch, but out receives the raw logits (no sigmoid) for both tasks. */
RBP_API rbp_status rbp_session_predict_batch_logits(rbp_session *session, const rbp_batch *batch, float *out);

/**
 * Inference over a whole dataset in batches of `batch_size` (rows [k*batch_size, ...)):
 * out has rbp_dataset_size(ds) slots. With n_threads > 1 the batches are shared out among
 * the session's threads and each result is written by index, so out is bit-identical to a
 * single-thread run with the same batch_size. The calling thread runs the last batch, so
 * rbp_session_attention then refers to it (example i = row last_batch_start + i).
 * @param session     the session (one thread at a time)
 * @param ds          rows of the model's length (rbp_dataset_length == seq_len)
 * @param batch_size  rows per forward pass, >= 1
 * @param out         receives rbp_dataset_size(ds) probabilities or values
 * @return RBP_OK, RBP_ERR_INVALID_ARG, RBP_ERR_SHAPE (length differs) or RBP_ERR_NOMEM
 */
RBP_API rbp_status rbp_session_predict(rbp_session *session, const rbp_dataset *ds, int32_t batch_size, float *out);
/** As rbp_session_predict, but out receives the raw logits. */
RBP_API rbp_status rbp_session_predict_logits(rbp_session *session, const rbp_dataset *ds, int32_t batch_size,
                                              float *out);

/**
 * Attention weights of one example of the session's last forward pass (rbp_session_predict_batch,
 * rbp_session_saliency, or the last batch of rbp_session_predict): out (n_layers, n_heads, L, L), row = query, column = key; padded
 * keys are 0 and each real query row sums to 1. Returns RBP_ERR_STATE if no such pass was run.
 */
RBP_API rbp_status rbp_session_attention(const rbp_session *session, int32_t example, float *out);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_SESSION_H */
