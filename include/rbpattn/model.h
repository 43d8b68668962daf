/**
 * @file
 * rbpattn/model.h - the transformer encoder model: configuration, creation and checkpoints.
 * A model is read only once created, loaded or trained: inference, attention and saliency
 * run in an rbp_session (rbpattn/session.h) over it.
 *
 * Architecture (the study's, as torch_ref.py in the peers): token embedding * sqrt(d)
 * (+ structure and viewpoint embeddings when enabled) + sinusoidal positions -> dropout ->
 * [optional convolutional stem x = x + ReLU(Conv1d_K(x)), or with stem_filters F a wide stem
 * x = x + W_p ReLU(Conv1d_K(x)) + b_p; 'same' padding, padded positions read
 * as zero; then, with stem_pool P, max pooling over windows of P positions] -> n_layers x encoder layer [post-norm: x = LN(x + Drop(MHA(x))); x = LN(x + Drop(FFN(x)));
 * pre-norm: x = x + Drop(MHA(LN(x))); x = x + Drop(FFN(LN(x))) then a final LN] ->
 * pooling (flatten, mean or max over real positions) -> Dense(head_hidden, ReLU) -> Dense(1).
 * MHA uses a key padding mask; attention weights get dropout during training.
 *
 * All parameters live in one contiguous float buffer (gradients and optimizer moments, owned
 * by sessions and the trainer, share its layout). Activations live in each session's workspace.
 */
#ifndef RBPATTN_MODEL_H
#define RBPATTN_MODEL_H

#include "rbpattn/common.h"
#include "rbpattn/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the model predicts: a binding probability (BCE loss) or a value (MSE loss). */
typedef enum rbp_task { RBP_TASK_CLASSIFICATION = 0, RBP_TASK_REGRESSION = 1 } rbp_task;
/** Where layer normalisation sits in an encoder layer: after the residual sum (the study's) or before. */
typedef enum rbp_norm { RBP_NORM_POST = 0, RBP_NORM_PRE = 1 } rbp_norm;
/** Activation of the feed-forward block. */
typedef enum rbp_activation { RBP_ACT_RELU = 0, RBP_ACT_GELU = 1 } rbp_activation;
/** How the encoder's positions are reduced before the dense head. */
typedef enum rbp_pooling { RBP_POOL_FLATTEN = 0, RBP_POOL_MEAN = 1, RBP_POOL_MAX = 2 } rbp_pooling;

/** The current version of rbp_model_config (2 added stem_filters, 3 stem_pool; version-1 and -2
 * structs are still accepted by rbp_model_config_init, rbp_model_config_check, rbp_model_create
 * and rbp_preset_apply, which read and write them only that far). */
#define RBP_MODEL_CONFIG_VERSION 3

/** Model hyper-parameters. Enum-valued fields are int32_t so the layout is fixed for FFI. */
typedef struct rbp_model_config {
    uint32_t version;      /**< RBP_MODEL_CONFIG_VERSION */
    int32_t seq_len;       /**< L, positions per sequence (default 101) */
    int32_t d_model;       /**< d (default 64) */
    int32_t n_heads;       /**< heads; d_model % n_heads == 0 (default 4) */
    int32_t n_layers;      /**< encoder layers (default 2) */
    int32_t d_ff;          /**< FFN width (default 256) */
    int32_t head_hidden;   /**< units of the dense head's hidden layer (default 64) */
    float dropout;         /**< dropout rate everywhere, incl. attention weights (default 0.1) */
    float ln_eps;          /**< layer-norm epsilon (default 1e-6, as Keras) */
    int32_t task;          /**< rbp_task (default CLASSIFICATION) */
    int32_t norm;          /**< rbp_norm (default POST, the study's) */
    int32_t activation;    /**< rbp_activation of the FFN (default RELU) */
    int32_t pooling;       /**< rbp_pooling before the head (default FLATTEN, the study's) */
    int32_t use_structure; /**< add a structure-token embedding (default 0) */
    int32_t use_viewpoint; /**< add a viewpoint-flag embedding (default 0) */
    uint64_t seed;         /**< weight initialisation seed (default 1) */
    int32_t conv_kernel;   /**< convolutional stem width K: 0 = none (default, the study's model) or
                              odd in [3, 31]: x = x + ReLU(Conv1d_K(x)) after the input block */
    int32_t stem_filters;  /**< filters of that stem: 0 = d_model, added to x as they are (default);
                              1..4096 = a wide stem x = x + W_p ReLU(Conv1d_K(x)) + b_p, its F
                              filters projected back to d_model (new in config version 2) */
    int32_t stem_pool;     /**< max pooling of the stem's output over windows of P positions, stride P:
                              0 = none (default), 2..16 with a stem. The encoder then runs on
                              ceil(L / P) positions, so attention costs P^2 times less: the lever
                              for long inputs (whole GraphProt records). A pooled position is real
                              when any of its positions is (new in config version 3) */
} rbp_model_config;

/** Fill `cfg` with the defaults above. */
RBP_API rbp_status rbp_model_config_init(rbp_model_config *cfg, uint32_t version);

/** NULL when `cfg` is valid, else a constant string naming the field and what is wrong
 * ("d_model % n_heads != 0"); a NULL `cfg` gets "config is NULL". Sets no last error. */
RBP_API const char *rbp_model_config_check(const rbp_model_config *cfg);

/** An encoder: configuration, weights and metadata (opaque; read-only to inference). */
typedef struct rbp_model rbp_model;

/** Create a model with freshly initialised weights (Glorot-uniform dense layers, zero biases,
 * embeddings U(-0.05, 0.05), LN weight 1 / bias 0) from cfg->seed. *out owned by the caller. */
RBP_API rbp_status rbp_model_create(rbp_model **out, const rbp_model_config *cfg);
/** Free the model; NULL is ignored. Its sessions and trainers must be freed first. */
RBP_API void rbp_model_free(rbp_model *model);

/** A copy of the model's configuration. */
RBP_API rbp_status rbp_model_get_config(const rbp_model *model, rbp_model_config *cfg);
/** Number of scalars (of all members, for an ensemble); 0 for a NULL model (and rbp_last_error
 * names it). */
RBP_API size_t rbp_model_num_params(const rbp_model *model);

/**
 * @name Ensembles
 * An ensemble is one model holding several members of the same architecture (typically the
 * same model trained with different seeds, each with its own validation split): it predicts
 * the mean of its members' logits (a classifier's probability is the logistic of that mean),
 * its attention maps (rbp_session_attention) and saliency (rbp_session_saliency) are the
 * means of its members', and it is saved and loaded like any model (the parameter array holds
 * the members one after the other; a single model is an ensemble of 1). Every inference and
 * interpretation function takes one; a trainer takes only a single model (train the members,
 * then combine them). Each prediction costs one forward pass per member.
 * @{
 */
/** Largest number of members of an ensemble. */
#define RBP_MAX_MEMBERS 64
/** Members of the model: 1 for a model trained alone; 0 for NULL (and rbp_last_error names it). */
RBP_API int32_t rbp_model_num_members(const rbp_model *model);
/** A new model whose members are those of models[0..n-1] in order (each may itself be an
 * ensemble; at most RBP_MAX_MEMBERS in all). Every model must have the same architecture
 * (the configuration without its init seed; RBP_ERR_INVALID_ARG names the first difference).
 * The ensemble carries models[0]'s metadata plus the key "ensemble.members". */
RBP_API rbp_status rbp_model_ensemble(rbp_model **out, const rbp_model *const *models, int32_t n);
/** A new single model holding a copy of member i (0-based) of `model`, with its metadata
 * (without "ensemble.members"). */
RBP_API rbp_status rbp_model_member(rbp_model **out, const rbp_model *model, int32_t i);
/** @} */

/**
 * Save config + weights + metadata (rbpattn/metadata.h) to `path` atomically (temp file +
 * rename). Format: see docs/checkpoint.md (magic "RBPM", version, little-endian, CRC32).
 */
RBP_API rbp_status rbp_model_save(const rbp_model *model, const char *path);
/** Load a model saved by rbp_model_save (or by rbp_trainer_save: the optimizer part is skipped),
 * with its metadata. Verifies magic, version, sizes and checksum, the parameter count against
 * the configuration before allocating, and that every weight is finite (RBP_ERR_FORMAT). */
RBP_API rbp_status rbp_model_load(rbp_model **out, const char *path);

/**
 * @name Bundled models
 * Trained models shipped with rbpattn (one per RBP-31 protein, models/ in the source tree,
 * installed under DATADIR/rbpattn/models), found by name. The search path is, in order: each
 * directory of the environment variable RBPATTN_MODEL_PATH (':'-separated), share/rbpattn/models
 * beside the library itself, the configured install directory, then the source tree's models/
 * (so a build tree finds them before installation). In each directory, NAME.rbp and
 * SUBDIR/NAME.rbp are models.
 * @{
 */
/** Write the i-th directory of the search path to `dir` (`size` bytes); RBP_ERR_INVALID_ARG
 * past the last one (or for a NULL or too small buffer). */
RBP_API rbp_status rbp_model_search_dir(size_t i, char *dir, size_t size);
/** Write the path of the first model named `name` (compared without regard to case; a name has
 * no '/' and no ".rbp") to `path`; RBP_ERR_IO when there is none, with a message naming the
 * directories searched. */
RBP_API rbp_status rbp_model_find(const char *name, char *path, size_t size);
/** The path of the i-th bundled model of the search path (directories in search-path order,
 * files in name order, a directory's own files before its subdirectories'), for listings;
 * RBP_ERR_INVALID_ARG past the last one (the message says how many there are). */
RBP_API rbp_status rbp_model_bundled(size_t i, char *path, size_t size);
/** @} */

/** Borrowed view of the flat parameter buffer (rbp_model_num_params floats); NULL for a NULL
 * model (and rbp_last_error names it). Writing through it while a session runs on the model
 * is a data race: the trainer is the one writer, between its steps. */
RBP_API float *rbp_model_params(rbp_model *model);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_MODEL_H */
