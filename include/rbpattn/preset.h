/**
 * @file
 * rbpattn/preset.h - named, benchmarked configurations of model, training and input encoding.
 *
 * rbp_model_config_init and rbp_train_config_init give the study's architecture and schedule
 * (kept so that existing callers do not change behaviour). A preset is what we recommend and
 * measure: "default" is the model of the RBP-31 benchmark (bench/rbp31.sh, bench/results/),
 * which rbpattn-train and the Python package use when nothing else is asked for; "study" is
 * the COMSW 4762 study's transformer exactly; "small" and "tiny" are quick models for
 * examples and tests.
 */
#ifndef RBPATTN_PRESET_H
#define RBPATTN_PRESET_H

#include "rbpattn/common.h"
#include "rbpattn/dataset.h"
#include "rbpattn/model.h"
#include "rbpattn/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Number of presets; rbp_preset_name(i) for i in [0, count) names them, "default" first. */
RBP_API size_t rbp_preset_count(void);
/** The i-th preset's name, or NULL when i is out of range (and rbp_last_error says so). */
RBP_API const char *rbp_preset_name(size_t i);
/** A one-line description of the preset `name` (what it sets and what it is for), or NULL for
 * an unknown name (rbp_last_error lists the known ones). */
RBP_API const char *rbp_preset_summary(const char *name);

/**
 * Overwrite, in each non-NULL argument, the fields the preset `name` sets; every other field
 * keeps its value (initialise the structs with their _init functions first). The preset sets:
 * - model: every architecture field but task, use_structure and use_viewpoint (set from the
 *   data) and seed; seq_len is the preset's input length (0 = the caller decides, e.g. the
 *   longest training sequence);
 * - train: every field but seed, pos_weight, clip_norm and eval_batch_size (epochs, batch size,
 *   optimizer and its constants, learning rate and schedule, warmup, weight decay, early
 *   stopping);
 * - data: length (as seq_len) and truncate;
 * - val_fraction: the share of the training data held out for validation (0 = none); the
 *   presets that stop early need one.
 * RBP_ERR_INVALID_ARG for a NULL or unknown name (the message lists the known ones) or a
 * struct of another version; nothing is written then.
 */
RBP_API rbp_status rbp_preset_apply(const char *name, rbp_model_config *model, rbp_train_config *train,
                                    rbp_dataset_options *data, double *val_fraction);

/**
 * How many models the preset `name` trains: 1, or N > 1 for an ensemble of N seeds (each with
 * its own validation draw, combined with rbp_model_ensemble; rbpattn-train --members N). The
 * "default" preset's benchmark model is an ensemble of 2. RBP_ERR_INVALID_ARG for a NULL or
 * unknown name or a NULL `members` (nothing is written then).
 */
RBP_API rbp_status rbp_preset_members(const char *name, int32_t *members);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_PRESET_H */
