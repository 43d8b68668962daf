/*
 * train/preset.c - the named configurations of rbpattn/preset.h. Each preset starts from the
 * library's initial values (the study's) and changes what it needs, so a field a preset does
 * not mention means the study's value. The numbers of "default" are those of the RBP-31
 * benchmark runs in bench/results/ (bench/rbp31.sh uses the preset, so they cannot drift).
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "model/model_internal.h"
#include "rbpattn/preset.h"
#include "train/optim.h"

typedef struct preset_values {
    rbp_model_config m;
    rbp_train_config t;
    int32_t truncate;
    double val_fraction;
    int32_t members; /* models trained and combined (an ensemble of seeds when > 1) */
} preset_values;

static void study(preset_values *v)
{
    (void)v; /* the initial values are the study's: embedding + sinusoidal positions, 2 post-norm
                layers of d 64, flatten + two dense layers, Adam with 4,000 warmup steps */
}

static void default_model(preset_values *v)
{
    /* RBP-31 benchmark: a K=9 convolutional stem finds the motifs, one narrow encoder layer
     * relates them, mean pooling keeps the head small; a constant rate with early stopping
     * on validation AUC replaces the study's warmup, which is longer than a whole run; the
     * weight average smooths the validation noise that picks the best epoch (+0.003 AUC on
     * 6 RBP-31 sets, bench/results/rbp31-levers-2026-12-01.md) */
    v->m.seq_len = 101;
    v->m.conv_kernel = 9;
    v->m.pooling = RBP_POOL_MEAN;
    v->m.d_model = 32;
    v->m.n_heads = 4;
    v->m.n_layers = 1;
    v->m.d_ff = 64;
    v->m.head_hidden = 32;
    v->m.dropout = 0.3f;
    v->t.schedule = RBP_SCHED_CONSTANT;
    v->t.warmup_steps = 0;
    v->t.lr = 1e-3f;
    v->t.epochs = 30;
    v->t.batch_size = 64;
    v->t.monitor = RBP_MONITOR_VAL_AUC;
    v->t.patience = 5;
    v->t.restore_best = 1;
    v->t.ema_decay = 0.999f;
    v->truncate = RBP_TRUNCATE_CENTER;
    v->val_fraction = 0.1;
    /* two seeds, each with its own validation draw: +0.0041 mean AUC over the seeds' mean on
     * the 31 sets, up on all 31 (bench/results/rbp31-2026-12-01-ensemble2.md: 0.8744, above
     * every published method); on 2 cores the two train at once */
    v->members = 2;
}

static void small(preset_values *v)
{
    v->m.d_model = 32;
    v->m.n_heads = 2;
    v->m.n_layers = 1;
    v->m.d_ff = 64;
    v->m.head_hidden = 32;
}

static void tiny(preset_values *v)
{
    v->m.d_model = 16;
    v->m.n_heads = 2;
    v->m.n_layers = 1;
    v->m.d_ff = 32;
    v->m.head_hidden = 16;
    v->m.pooling = RBP_POOL_MAX;
}

static const struct {
    const char *name, *summary;
    void (*fill)(preset_values *);
} presets[] = {
    {"default",
     "the RBP-31 benchmark's model: conv stem 9, d_model 32, 4 heads, 1 layer, d_ff 64, head 32, mean pooling, "
     "dropout 0.3; Adam at a constant 1e-3, batch 64, up to 30 epochs, weight average 0.999, early stopping on "
     "validation AUC (patience 5, 10% held out); length 101, centred; an ensemble of 2 seeds",
     default_model},
    {"study",
     "the COMSW 4762 study's transformer: d_model 64, 4 heads, 2 post-norm layers, d_ff 256, flatten + dense 64, "
     "dropout 0.1; Adam with the transformer schedule (4,000 warmup steps), batch 64, 20 epochs; the longest "
     "training sequence, no validation",
     study},
    {"small", "the study's model narrowed for examples: d_model 32, 2 heads, 1 layer, d_ff 64, head 32", small},
    {"tiny", "a minimal model for tests: d_model 16, 2 heads, 1 layer, d_ff 32, head 16, max pooling", tiny},
};
#define NUM_PRESETS (sizeof presets / sizeof presets[0])

size_t rbp_preset_count(void)
{
    return NUM_PRESETS;
}

const char *rbp_preset_name(size_t i)
{
    if (i >= NUM_PRESETS) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_preset_name: index %zu, expected 0..%zu", i, NUM_PRESETS - 1);
        return NULL;
    }
    return presets[i].name;
}

/* preset i's values over the library's initial ones (the study's) */
static rbp_status fill(int i, preset_values *v)
{
    RBP_TRY(rbp_model_config_init(&v->m, RBP_MODEL_CONFIG_VERSION));
    RBP_TRY(rbp_train_config_init(&v->t, RBP_TRAIN_CONFIG_VERSION));
    v->m.seq_len = 0;
    v->truncate = RBP_TRUNCATE_RIGHT;
    v->val_fraction = 0.0;
    v->members = 1;
    presets[i].fill(v);
    return RBP_OK;
}

/* index of `name`, or -1 with the last error listing the known names */
static int find(const char *fn, const char *name)
{
    for (size_t i = 0; name && i < NUM_PRESETS; i++)
        if (strcmp(presets[i].name, name) == 0)
            return (int)i;
    char known[128];
    size_t len = 0;
    for (size_t i = 0; i < NUM_PRESETS && len < sizeof known; i++) {
        const int n = snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", presets[i].name);
        len += n > 0 ? (size_t)n : 0;
    }
    rbp__set_error(RBP_ERR_INVALID_ARG, "%s: %s%s%s, expected one of: %s", fn, name ? "unknown preset '" : "",
                   name ? name : "name is NULL", name ? "'" : "", known);
    return -1;
}

const char *rbp_preset_summary(const char *name)
{
    const int i = find("rbp_preset_summary", name);
    return i < 0 ? NULL : presets[i].summary;
}

rbp_status rbp_preset_apply(const char *name, rbp_model_config *model, rbp_train_config *train,
                            rbp_dataset_options *data, double *val_fraction)
{
    const int i = find("rbp_preset_apply", name);
    if (i < 0)
        return RBP_ERR_INVALID_ARG;
    if (model && rbp__model_config_size(model->version) == 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_preset_apply: rbp_model_config.version %u, expected 1..%u",
                              (unsigned)model->version, (unsigned)RBP_MODEL_CONFIG_VERSION);
    if (train && rbp__train_config_size(train->version) == 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_preset_apply: rbp_train_config.version %u, expected 1..%u",
                              (unsigned)train->version, (unsigned)RBP_TRAIN_CONFIG_VERSION);
    if (data && data->version != RBP_DATASET_OPTIONS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_preset_apply: rbp_dataset_options.version %u, expected %u",
                              (unsigned)data->version, (unsigned)RBP_DATASET_OPTIONS_VERSION);
    preset_values v;
    RBP_TRY(fill(i, &v));
    if (model) {
        /* what comes from the data (task, channels) or the caller (seed) is kept; a caller's
         * older struct ends before later fields and is written only that far */
        rbp_model_config keep;
        rbp__model_config_current(&keep, model);
        rbp_model_config out = v.m;
        out.version = model->version;
        out.task = keep.task;
        out.use_structure = keep.use_structure;
        out.use_viewpoint = keep.use_viewpoint;
        out.seed = keep.seed;
        if (v.m.seq_len == 0)
            out.seq_len = keep.seq_len;
        memcpy(model, &out, rbp__model_config_size(model->version));
    }
    if (train) {
        /* a caller's older struct ends before later fields and is written only that far */
        rbp_train_config keep;
        rbp__train_config_current(&keep, train);
        rbp_train_config out = v.t;
        out.version = train->version;
        out.seed = keep.seed;
        out.pos_weight = keep.pos_weight;
        out.clip_norm = keep.clip_norm;
        out.eval_batch_size = keep.eval_batch_size;
        out.n_threads = keep.n_threads; /* how to run, not what to train */
        memcpy(train, &out, rbp__train_config_size(train->version));
    }
    if (data) {
        data->length = v.m.seq_len;
        data->truncate = v.truncate;
    }
    if (val_fraction)
        *val_fraction = v.val_fraction;
    return RBP_OK;
}

rbp_status rbp_preset_members(const char *name, int32_t *members)
{
    const int i = find("rbp_preset_members", name);
    if (i < 0)
        return RBP_ERR_INVALID_ARG;
    RBP_CHECK_NULL(members);
    preset_values v;
    RBP_TRY(fill(i, &v));
    *members = v.members;
    return RBP_OK;
}
