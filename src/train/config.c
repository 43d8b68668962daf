/*
 * train/config.c - defaults and validation of rbp_train_config (the libsvm check_parameter
 * pattern: the checker returns a constant reason string, rbp_trainer_create copies it into
 * the last error).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "core/internal.h"
#include "rbpattn/train.h"
#include "train/optim.h"

static void config_defaults(rbp_train_config *cfg);

rbp_status rbp_train_config_init(rbp_train_config *cfg, uint32_t version)
{
    RBP_CHECK_NULL(cfg);
    const size_t size = rbp__train_config_size(version);
    if (size == 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_train_config_init: version %u unknown (this library knows 1..%u)",
                              (unsigned)version, (unsigned)RBP_TRAIN_CONFIG_VERSION);
    rbp_train_config full;
    config_defaults(&full);
    full.version = version;
    memcpy(cfg, &full, size); /* an older caller's struct is written only as far as it goes */
    return RBP_OK;
}

size_t rbp__train_config_size(uint32_t version)
{
    return version == 1                          ? RBP__TRAIN_CONFIG_V1_SIZE
           : version == 2                        ? RBP__TRAIN_CONFIG_V2_SIZE
           : version == RBP_TRAIN_CONFIG_VERSION ? sizeof(rbp_train_config)
                                                 : 0;
}

int rbp__train_config_current(rbp_train_config *dst, const rbp_train_config *src)
{
    const size_t size = rbp__train_config_size(src->version);
    if (size == 0)
        return -1;
    config_defaults(dst);
    memcpy(dst, src, size);
    dst->version = RBP_TRAIN_CONFIG_VERSION;
    return 0;
}

static void config_defaults(rbp_train_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->version = RBP_TRAIN_CONFIG_VERSION;
    cfg->epochs = 20;
    cfg->batch_size = 64;
    cfg->optimizer = RBP_OPT_ADAM;
    cfg->lr = 1e-3f;
    cfg->lr_scale = 1.0f;
    cfg->beta1 = 0.9f;
    cfg->beta2 = 0.98f;
    cfg->eps = 1e-9f;
    cfg->weight_decay = 0.01f;
    cfg->schedule = RBP_SCHED_TRANSFORMER;
    cfg->warmup_steps = 4000;
    cfg->clip_norm = 0.0f;
    cfg->pos_weight = 1.0f;
    cfg->seed = 1;
    cfg->patience = 0;
    cfg->monitor = RBP_MONITOR_VAL_LOSS;
    cfg->restore_best = 1;
    cfg->eval_batch_size = 256;
    cfg->n_threads = 1;
    cfg->ema_decay = 0.0f;
}

/* Upper bound on batch sizes: keeps every (B * L * d) product far from overflow. */
#define MAX_BATCH (1 << 20)

static const char *check_current(const rbp_train_config *cfg);

const char *rbp_train_config_check(const rbp_train_config *cfg)
{
    if (cfg == NULL)
        return "the rbp_train_config is NULL";
    rbp_train_config c;
    if (rbp__train_config_current(&c, cfg) != 0)
        return "rbp_train_config.version is unknown (initialise it with rbp_train_config_init)";
    return check_current(&c);
}

static const char *check_current(const rbp_train_config *cfg)
{
    if (cfg->epochs < 1)
        return "rbp_train_config.epochs (--epochs) must be >= 1";
    if (cfg->batch_size < 1 || cfg->batch_size > MAX_BATCH)
        return "rbp_train_config.batch_size (--batch) must be in 1..1048576";
    if (cfg->optimizer != RBP_OPT_ADAM && cfg->optimizer != RBP_OPT_ADAMW)
        return "rbp_train_config.optimizer (--optimizer) must be RBP_OPT_ADAM or RBP_OPT_ADAMW";
    if (!(isfinite(cfg->lr) && cfg->lr > 0.0f))
        return "rbp_train_config.lr (--lr) must be finite and > 0";
    if (!(isfinite(cfg->lr_scale) && cfg->lr_scale > 0.0f))
        return "rbp_train_config.lr_scale (--lr-scale) must be finite and > 0";
    if (!(cfg->beta1 >= 0.0f && cfg->beta1 < 1.0f))
        return "rbp_train_config.beta1 must be in [0, 1)";
    if (!(cfg->beta2 >= 0.0f && cfg->beta2 < 1.0f))
        return "rbp_train_config.beta2 (--beta2) must be in [0, 1)";
    if (!(isfinite(cfg->eps) && cfg->eps > 0.0f))
        return "rbp_train_config.eps must be finite and > 0";
    if (!(isfinite(cfg->weight_decay) && cfg->weight_decay >= 0.0f))
        return "rbp_train_config.weight_decay (--weight-decay) must be finite and >= 0";
    if (cfg->schedule != RBP_SCHED_TRANSFORMER && cfg->schedule != RBP_SCHED_CONSTANT &&
        cfg->schedule != RBP_SCHED_COSINE)
        return "rbp_train_config.schedule (--schedule) must be RBP_SCHED_TRANSFORMER, RBP_SCHED_CONSTANT or "
               "RBP_SCHED_COSINE";
    if (cfg->warmup_steps < 0)
        return "rbp_train_config.warmup_steps (--warmup) must be >= 0";
    if (!(isfinite(cfg->clip_norm) && cfg->clip_norm >= 0.0f))
        return "rbp_train_config.clip_norm (--clip) must be finite and >= 0 (0 = off)";
    if (!(isfinite(cfg->pos_weight) && cfg->pos_weight > 0.0f))
        return "rbp_train_config.pos_weight (--pos-weight) must be finite and > 0";
    if (cfg->patience < 0)
        return "rbp_train_config.patience (--patience) must be >= 0 (0 = no early stopping)";
    if (cfg->monitor != RBP_MONITOR_VAL_LOSS && cfg->monitor != RBP_MONITOR_VAL_AUC &&
        cfg->monitor != RBP_MONITOR_VAL_R2)
        return "rbp_train_config.monitor (--monitor) must be RBP_MONITOR_VAL_LOSS, RBP_MONITOR_VAL_AUC or "
               "RBP_MONITOR_VAL_R2";
    if (cfg->restore_best != 0 && cfg->restore_best != 1)
        return "rbp_train_config.restore_best (--no-restore-best) must be 0 or 1";
    if (cfg->eval_batch_size < 1 || cfg->eval_batch_size > MAX_BATCH)
        return "rbp_train_config.eval_batch_size (--eval-batch) must be in 1..1048576";
    if (cfg->n_threads < 1 || cfg->n_threads > 1024)
        return "rbp_train_config.n_threads (--threads) must be in 1..1024";
    if (!(cfg->ema_decay >= 0.0f && cfg->ema_decay < 1.0f))
        return "rbp_train_config.ema_decay (--ema) must be in [0, 1) (0 = off)";
    return NULL;
}
