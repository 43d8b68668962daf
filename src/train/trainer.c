/*
 * train/trainer.c - the training loop: mini-batch Adam/AdamW over a borrowed model, with
 * learning-rate schedules, gradient clipping, per-epoch validation (loss, ROC AUC or R^2),
 * early stopping, best-weights restore, callbacks, and exact save/resume.
 *
 * Determinism: the batch order of epoch e is a pure function of (cfg.seed, e) (rbp_batcher),
 * dropout of step s a pure function of (cfg.seed, s) (rbp__model_forward), and the learning
 * rate a pure function of s. So a run depends only on (seed, thread count), and a trainer
 * restored with rbp_trainer_load at an epoch boundary continues bit for bit as if never
 * interrupted.
 *
 * Memory: every buffer (Adam moments, logits and their gradient, validation logits, the
 * best-weights copy, the session's activations and gradients) is allocated in
 * rbp_trainer_create or at the start of rbp_trainer_fit; rbp_trainer_step allocates nothing
 * (tests/test_train.c counts). The model holds only the weights, which the trainer updates.
 *
 * Threads (cfg.n_threads = P): a step cuts the batch into P parts of consecutive rows
 * (rbp__team_share); part k runs forward, the loss gradient (normalised by the whole batch)
 * and backward in the session's part k, with its own workspace and gradient buffer, on
 * thread k of the session's team. The P gradient buffers are then summed into part 0's in
 * the fixed order 0, 1, .., P-1 (each thread sums one slice of the parameters), so a run is
 * bit-identical for a given (seed, P); dropout masks are those of the whole batch's rows
 * (rbp__model_forward_part), so P changes only the rounding of the sums. Workspaces hold
 * ceil(batch_size / P) rows of training tensors each, or fewer when those would exceed the
 * memory budget (TRAIN_WORKSPACE_MIB): a part then runs its rows in equal chunks whose
 * gradients add up in its buffer (the chunking is fixed by the model, batch size and P, so
 * runs stay bit-identical). Evaluation runs through the workspaces in chunks of that size.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "core/team.h"
#include "io/checkpoint.h"
#include "kernels/kernels.h"
#include "model/model_internal.h"
#include "rbpattn/metrics.h"
#include "rbpattn/train.h"
#include "train/optim.h"

/*
 * The training workspace of each part (thread) is kept under this many bytes: a part whose
 * rows need more runs them in equal chunks, one forward and backward each, and adds their
 * gradients (the matrix products stay thousands of rows tall, so the speed is that of a whole
 * batch; the activations of config A's batch of 64 would take 88 MB). RBP_TRAIN_WORKSPACE_MIB
 * in the environment changes it (tests; 0 = no limit).
 */
#define TRAIN_WORKSPACE_MIB 32

static size_t train_workspace_budget(void)
{
    const char *env = getenv("RBP_TRAIN_WORKSPACE_MIB");
    if (env && *env) {
        char *end;
        const unsigned long long v = strtoull(env, &end, 10);
        if (*end == '\0')
            return v == 0 || v > (SIZE_MAX >> 20) ? SIZE_MAX : (size_t)v << 20;
    }
    return (size_t)TRAIN_WORKSPACE_MIB << 20;
}

struct rbp_trainer {
    rbp_model *model; /* borrowed; the trainer is its one writer (parameter updates) */
    rbp_session *session; /* the trainer's own: activations and the gradient buffer */
    rbp_train_config cfg;
    rbp_model_config mcfg;
    size_t n;         /* parameters */
    float *m, *v;     /* Adam moments (n), same layout as the parameters */
    float *logits;    /* (cap) */
    float *dlogits;   /* (cap) */
    int32_t cap;      /* max(batch_size, eval_batch_size): largest batch the buffers take */
    int32_t part_cap; /* rows of training workspace in each of the session's n_threads parts */
    rbp__team *pool;  /* the session's thread team */
    float *val_logits;
    size_t val_cap;
    float *best;      /* (n) parameters of the best epoch, allocated on first need */
    float *ema;       /* (n) moving average of the weights (cfg.ema_decay > 0), else NULL */
    float *live;      /* (n) the trained weights while the average stands in for them */
    int has_best_weights;

    int64_t step;     /* optimizer steps taken */
    int32_t epoch;    /* epochs completed */
    int32_t best_epoch;
    int32_t bad_epochs;
    double best_value;
    int64_t total_steps; /* horizon of the cosine schedule */
    double last_lr;

    rbp_step_fn on_step;
    rbp_epoch_fn on_epoch;
    void *user;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- create / free */

rbp_status rbp_trainer_create(rbp_trainer **out, rbp_model *model, const rbp_train_config *cfg)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(model);
    RBP_CHECK_NULL(cfg);
    const char *why = rbp_train_config_check(cfg);
    if (why)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_trainer_create: invalid training config: %s", why);
    rbp_model_config mc;
    RBP_TRY(rbp_model_get_config(model, &mc));
    if (rbp_model_num_members(model) != 1)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_trainer_create: the model is an ensemble of %d members; train single models "
                              "and combine them with rbp_model_ensemble (rbp_model_member takes one out)",
                              (int)rbp_model_num_members(model));
    if (cfg->monitor == RBP_MONITOR_VAL_AUC && mc.task != RBP_TASK_CLASSIFICATION)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_trainer_create: monitor VAL_AUC needs a classification model (use VAL_R2 or VAL_LOSS)");
    if (cfg->monitor == RBP_MONITOR_VAL_R2 && mc.task != RBP_TASK_REGRESSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_trainer_create: monitor VAL_R2 needs a regression model (use VAL_AUC or VAL_LOSS)");

    rbp_trainer *t = rbp__calloc(1, sizeof *t);
    if (!t)
        return rbp__oom();
    t->model = model;
    rbp__train_config_current(&t->cfg, cfg); /* the version was checked above */
    cfg = &t->cfg;
    t->mcfg = mc;
    t->n = rbp_model_num_params(model);
    t->cap = cfg->batch_size > cfg->eval_batch_size ? cfg->batch_size : cfg->eval_batch_size;
    t->m = rbp__calloc(t->n, sizeof(float));
    t->v = rbp__calloc(t->n, sizeof(float));
    t->logits = rbp__calloc((size_t)t->cap, sizeof(float));
    t->dlogits = rbp__calloc((size_t)t->cap, sizeof(float));
    if (cfg->ema_decay > 0.0f) {
        /* the average starts from the weights training starts from */
        t->ema = rbp__malloc(t->n * sizeof(float));
        t->live = rbp__malloc(t->n * sizeof(float));
        if (t->ema)
            memcpy(t->ema, rbp__model_params_const(model), t->n * sizeof(float));
    }
    if (!t->m || !t->v || !t->logits || !t->dlogits || (cfg->ema_decay > 0.0f && (!t->ema || !t->live))) {
        rbp_trainer_free(t);
        return rbp__oom();
    }
    rbp_session_options so;
    rbp_session_options_init(&so, RBP_SESSION_OPTIONS_VERSION);
    so.n_threads = cfg->n_threads;
    rbp_status st = rbp_session_create(&t->session, model, &so);
    t->part_cap = (cfg->batch_size + cfg->n_threads - 1) / cfg->n_threads;
    if (st == RBP_OK)
        t->part_cap = rbp__session_train_rows(t->session, t->part_cap, train_workspace_budget());
    for (int k = 0; st == RBP_OK && k < cfg->n_threads; k++)
        st = rbp__session_reserve(rbp__session_part(t->session, k), t->part_cap);
    if (st == RBP_OK)
        st = rbp__session_pool(t->session, &t->pool);
    if (st != RBP_OK) {
        rbp_trainer_free(t);
        return st;
    }
    t->best_epoch = -1;
    t->best_value = NAN;
    t->last_lr = NAN;
    *out = t;
    return RBP_OK;
}

void rbp_trainer_free(rbp_trainer *t)
{
    if (!t)
        return;
    rbp__free(t->m);
    rbp__free(t->v);
    rbp__free(t->logits);
    rbp__free(t->dlogits);
    rbp__free(t->val_logits);
    rbp__free(t->best);
    rbp__free(t->ema);
    rbp__free(t->live);
    rbp_session_free(t->session);
    rbp__free(t);
}

rbp_status rbp_trainer_set_callbacks(rbp_trainer *t, rbp_step_fn on_step, rbp_epoch_fn on_epoch, void *user_data)
{
    RBP_CHECK_NULL(t);
    t->on_step = on_step;
    t->on_epoch = on_epoch;
    t->user = user_data;
    return RBP_OK;
}

rbp_status rbp_trainer_set_total_steps(rbp_trainer *t, int64_t total_steps)
{
    RBP_CHECK_NULL(t);
    RBP_CHECK(total_steps >= 0, RBP_ERR_INVALID_ARG, "rbp_trainer_set_total_steps: total_steps = %lld < 0",
              (long long)total_steps);
    t->total_steps = total_steps;
    return RBP_OK;
}

int32_t rbp_trainer_epoch(const rbp_trainer *t)
{
    if (!t) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_trainer_epoch: argument 't' is NULL");
        return 0;
    }
    return t->epoch;
}

int64_t rbp_trainer_step_count(const rbp_trainer *t)
{
    if (!t) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_trainer_step_count: argument 't' is NULL");
        return 0;
    }
    return t->step;
}

/* ---------------------------------------------------------------- one step */

static double batch_loss(const rbp_trainer *t, const float *logits, const float *targets, size_t n, float *dlogits)
{
    if (t->mcfg.task == RBP_TASK_CLASSIFICATION)
        return rbp_loss_bce_logits(logits, targets, n, t->cfg.pos_weight, dlogits);
    return rbp_loss_mse(logits, targets, n, dlogits);
}

/* Binary cross-entropy has no lower bound for a target outside [0, 1] (y = 5 drives the
 * logit to infinity), so a classification trainer refuses such targets up front. NaN fails
 * the test too. Returns the index of the first bad target, or n. */
static size_t first_bad_target(const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(y[i] >= 0.0f && y[i] <= 1.0f))
            return i;
    return n;
}

#define RBP_TARGETS_HINT "classification needs targets in [0, 1] (labels or probabilities); train a regression model for other values"

static rbp_status check_batch(const rbp_trainer *t, const rbp_batch *b, const char *fn)
{
    RBP_CHECK(b->size >= 1 && b->size <= t->cap, RBP_ERR_SHAPE,
              "%s: batch size %d outside 1..%d (the larger of rbp_train_config.batch_size and eval_batch_size)", fn,
              (int)b->size, (int)t->cap);
    RBP_CHECK(b->length == t->mcfg.seq_len, RBP_ERR_SHAPE,
              "%s: batch length %d, model length %d (rbp_model_config.seq_len)", fn, (int)b->length,
              (int)t->mcfg.seq_len);
    RBP_CHECK(b->tokens != NULL, RBP_ERR_INVALID_ARG, "%s: batch->tokens is NULL", fn);
    RBP_CHECK(b->mask != NULL, RBP_ERR_INVALID_ARG, "%s: batch->mask is NULL", fn);
    RBP_CHECK(b->targets != NULL, RBP_ERR_INVALID_ARG, "%s: batch->targets is NULL", fn);
    if (t->mcfg.task == RBP_TASK_CLASSIFICATION) {
        size_t i = first_bad_target(b->targets, (size_t)b->size);
        RBP_CHECK(i == (size_t)b->size, RBP_ERR_INVALID_ARG, "%s: batch->targets[%zu] = %g; " RBP_TARGETS_HINT, fn,
                  i, (double)b->targets[i]);
    }
    return RBP_OK;
}

/* What the parts of one parallel pass share. */
typedef struct pass_job {
    rbp_trainer *t;
    const rbp_batch *batch;
    uint64_t step;
    int parts;
    float *out; /* (B) logits */
    rbp__first_error err;
} pass_job;

/* The rows [*r0, *r0 + *n) of part k and the session part that runs them. */
static rbp_session *part_rows(const pass_job *j, int k, size_t *r0, size_t *n)
{
    rbp__team_share((size_t)j->batch->size, j->parts, k, r0, n);
    return rbp__session_part(j->t->session, k);
}

/* Part k of a training step: forward, loss gradient and backward of its rows into its own
 * gradient buffer, in as few equal chunks as its workspace (part_cap rows) takes; the chunks'
 * gradients accumulate. */
static void step_part(void *arg, int k)
{
    pass_job *j = arg;
    rbp_trainer *t = j->t;
    size_t p0, pn;
    rbp_session *ps = part_rows(j, k, &p0, &pn);
    const size_t cap = (size_t)t->part_cap, chunks = (pn + cap - 1) / cap;
    rbp__session_zero_grad(ps);
    for (size_t c = 0; c < chunks; c++) {
        size_t r0, n;
        rbp__team_share(pn, (int)chunks, (int)c, &r0, &n);
        r0 += p0;
        rbp_batch sub;
        rbp__batch_rows(&sub, j->batch, r0, n);
        rbp_status st = rbp__model_forward_part(ps, &sub, r0, 1, t->cfg.seed, j->step, t->logits + r0);
        if (st == RBP_OK) {
            rbp__loss_grad(t->mcfg.task == RBP_TASK_CLASSIFICATION, t->logits + r0, sub.targets, n,
                           (size_t)j->batch->size, t->cfg.pos_weight, t->dlogits + r0);
            st = rbp__model_backward(ps, t->dlogits + r0);
        }
        if (st != RBP_OK) {
            rbp__first_error_keep(&j->err, (size_t)k, st);
            return;
        }
    }
}

/* Slice k of the parameters: part 0's gradients += parts 1 .. P-1's, in that order. */
static void reduce_part(void *arg, int k)
{
    pass_job *j = arg;
    rbp_trainer *t = j->t;
    size_t i0, n;
    rbp__team_share(t->n, j->parts, k, &i0, &n);
    float *g = rbp__session_grads(t->session) + i0;
    for (int p = 1; p < j->parts; p++)
        rbp__axpy(g, 1.0f, rbp__session_grads(rbp__session_part(t->session, p)) + i0, n);
}

/* Part k of an inference pass over a batch (evaluation): its rows in chunks of the
 * workspace's training capacity. */
static void eval_part(void *arg, int k)
{
    pass_job *j = arg;
    const size_t cap = (size_t)j->t->part_cap;
    size_t r0, n;
    rbp_session *ps = part_rows(j, k, &r0, &n);
    for (size_t i = 0; i < n; i += cap) {
        const size_t m = n - i < cap ? n - i : cap;
        rbp_batch sub;
        rbp__batch_rows(&sub, j->batch, r0 + i, m);
        rbp_status st = rbp__model_forward_part(ps, &sub, r0 + i, 0, 0, 0, j->out + r0 + i);
        if (st != RBP_OK) {
            rbp__first_error_keep(&j->err, (size_t)k, st);
            return;
        }
    }
}

/* Run fn over the batch's parts (as many as threads, at most one per row). */
static rbp_status run_parts(rbp_trainer *t, rbp__team_fn fn, const rbp_batch *batch, uint64_t step, float *out)
{
    pass_job j;
    j.t = t;
    j.batch = batch;
    j.step = step;
    j.parts = batch->size < t->cfg.n_threads ? (int)batch->size : (int)t->cfg.n_threads;
    j.out = out;
    rbp__first_error_init(&j.err);
    rbp__team_run(t->pool, j.parts, fn, &j);
    rbp_status st = rbp__first_error_end(&j.err);
    if (st == RBP_OK && fn == step_part && j.parts > 1)
        rbp__team_run(t->pool, j.parts, reduce_part, &j);
    return st;
}

rbp_status rbp_trainer_step(rbp_trainer *t, const rbp_batch *batch, double *loss)
{
    RBP_CHECK_NULL(t);
    RBP_CHECK_NULL(batch);
    RBP_TRY(check_batch(t, batch, "rbp_trainer_step"));
    const int64_t s = t->step + 1;
    const size_t B = (size_t)batch->size;

    /* 1.-2. forward with dropout streams of this step, d(loss)/d(logits), backward, summed
     * over the parts (in the gradient buffer of part 0) */
    rbp_status st = run_parts(t, step_part, batch, (uint64_t)s, t->logits);
    if (st != RBP_OK)
        return rbp__wrap_error(st, "rbp_trainer_step");
    double l = batch_loss(t, t->logits, batch->targets, B, NULL);
    if (!isfinite(l))
        return rbp__set_error(RBP_ERR_NUMERIC,
                              "training diverged: loss is %g at step %lld (epoch %d); lower the learning rate "
                              "(rbp_train_config.lr, --lr) or clip gradients (rbp_train_config.clip_norm, --clip)",
                              l, (long long)s, (int)t->epoch);

    float *grads = rbp__session_grads(t->session);

    /* 3. clip by global norm; the norm doubles as a NaN/Inf detector for the gradients */
    double norm = t->cfg.clip_norm > 0.0f ? rbp__clip_grad_norm(grads, t->n, (double)t->cfg.clip_norm)
                                          : rbp__grad_global_norm(grads, t->n);
    if (!isfinite(norm))
        return rbp__set_error(RBP_ERR_NUMERIC, "training diverged: gradient norm is %g at step %lld (epoch %d)",
                              norm, (long long)s, (int)t->epoch);

    /* 4. Adam / AdamW update */
    double lr = rbp_schedule_lr(&t->cfg, t->mcfg.d_model, s, t->total_steps);
    float wd = t->cfg.optimizer == RBP_OPT_ADAMW ? t->cfg.weight_decay : 0.0f;
    rbp__adam_update(rbp_model_params(t->model), t->m, t->v, grads, t->n, lr, t->cfg.beta1, t->cfg.beta2,
                     t->cfg.eps, wd, s);
    if (t->ema) {
        /* a short average at first (TensorFlow's num_updates rule), so early weights do not
         * linger in it */
        const double warm = (1.0 + (double)s) / (10.0 + (double)s);
        rbp__ema_update(t->ema, rbp__model_params_const(t->model), t->n,
                        (float)(warm < (double)t->cfg.ema_decay ? warm : (double)t->cfg.ema_decay));
    }
    t->step = s;
    t->last_lr = lr;
    if (loss)
        *loss = l;
    return RBP_OK;
}

/* ---------------------------------------------------------------- evaluation */

static rbp_status check_dataset(const rbp_trainer *t, const rbp_dataset *ds, const char *fn, const char *what)
{
    RBP_CHECK(rbp_dataset_size(ds) > 0, RBP_ERR_INVALID_ARG, "%s: %s set is empty", fn, what);
    RBP_CHECK(rbp_dataset_length(ds) == t->mcfg.seq_len, RBP_ERR_SHAPE,
              "%s: %s set has sequence length %d, the model expects %d (rbp_model_config.seq_len)", fn, what,
              (int)rbp_dataset_length(ds), (int)t->mcfg.seq_len);
    RBP_CHECK(!t->mcfg.use_structure || rbp_dataset_has_structure(ds), RBP_ERR_INVALID_ARG,
              "%s: %s set has no structure channel, but the model uses structure", fn, what);
    if (t->mcfg.task == RBP_TASK_CLASSIFICATION) {
        size_t n = rbp_dataset_size(ds), i = first_bad_target(rbp_dataset_targets(ds), n);
        const char *id = i < n ? rbp_dataset_id(ds, i) : NULL;
        RBP_CHECK(i == n, RBP_ERR_INVALID_ARG, "%s: %s set record %zu%s%s%s has target %g; " RBP_TARGETS_HINT, fn, what,
                  i + 1, id ? " ('" : "", id ? id : "", id ? "')" : "", (double)rbp_dataset_targets(ds)[i]);
    }
    return RBP_OK;
}

/* The i-th row range [i, i+B) of a dataset as a batch view (no copy, no allocation). */
static void dataset_rows(rbp_batch *b, const rbp_dataset *ds, size_t i, size_t B)
{
    const size_t T = (size_t)rbp_dataset_length(ds);
    const uint8_t *st = rbp_dataset_structure(ds), *vp = rbp_dataset_viewpoint(ds);
    b->size = (int32_t)B;
    b->length = (int32_t)T;
    b->tokens = rbp_dataset_tokens(ds) + i * T;
    b->mask = rbp_dataset_mask(ds) + i * T;
    b->structure = st ? st + i * T : NULL;
    b->viewpoint = vp ? vp + i * T : NULL;
    b->targets = rbp_dataset_targets(ds) + i;
    b->index = NULL;
}

/* Inference logits (no dropout) for all of `ds`, into out (size) or, if out is NULL, only
 * the summed loss. Runs in eval_batch_size chunks through t->logits. */
static rbp_status eval_pass(rbp_trainer *t, const rbp_dataset *ds, float *out, double *loss_sum)
{
    const size_t n = rbp_dataset_size(ds), eb = (size_t)t->cfg.eval_batch_size;
    double sum = 0.0;
    for (size_t i = 0; i < n; i += eb) {
        size_t B = n - i < eb ? n - i : eb;
        rbp_batch b;
        dataset_rows(&b, ds, i, B);
        float *dst = out ? out + i : t->logits;
        RBP_TRY(run_parts(t, eval_part, &b, 0, dst));
        sum += batch_loss(t, dst, b.targets, B, NULL) * (double)B;
    }
    *loss_sum = sum;
    return RBP_OK;
}

rbp_status rbp_trainer_evaluate_loss(rbp_trainer *t, const rbp_dataset *ds, double *loss)
{
    RBP_CHECK_NULL(t);
    RBP_CHECK_NULL(ds);
    RBP_CHECK_NULL(loss);
    RBP_TRY(check_dataset(t, ds, "rbp_trainer_evaluate_loss", "evaluation"));
    double sum;
    RBP_TRY(eval_pass(t, ds, NULL, &sum));
    *loss = sum / (double)rbp_dataset_size(ds);
    return RBP_OK;
}

/* ---------------------------------------------------------------- fit */

/* Is `value` better than the best so far for the monitored quantity? NaN never is. */
static int improves(const rbp_trainer *t, double value)
{
    if (isnan(value))
        return 0;
    if (t->best_epoch < 0 || isnan(t->best_value))
        return 1;
    return t->cfg.monitor == RBP_MONITOR_VAL_LOSS ? value < t->best_value : value > t->best_value;
}

static rbp_status validate(rbp_trainer *t, const rbp_dataset *val, rbp_epoch_info *info)
{
    const size_t n = rbp_dataset_size(val);
    double sum;
    RBP_TRY(eval_pass(t, val, t->val_logits, &sum));
    info->val_loss = sum / (double)n;
    const float *y = rbp_dataset_targets(val);
    double q;
    /* Metrics that cannot be computed (one class only, constant targets) are reported as NaN
     * rather than failing the run; they then never count as an improvement. */
    if (t->mcfg.task == RBP_TASK_CLASSIFICATION) {
        /* logits rank like probabilities, so the AUC needs no sigmoid */
        info->val_auc = rbp_metric_roc_auc(t->val_logits, y, n, &q) == RBP_OK ? q : NAN;
    } else {
        info->val_r2 = rbp_metric_r2(t->val_logits, y, n, &q) == RBP_OK ? q : NAN;
    }
    rbp_clear_error();
    return RBP_OK;
}

rbp_status rbp_trainer_fit(rbp_trainer *t, const rbp_dataset *train, const rbp_dataset *val)
{
    RBP_CHECK_NULL(t);
    RBP_CHECK_NULL(train);
    RBP_TRY(check_dataset(t, train, "rbp_trainer_fit", "training"));
    if (val)
        RBP_TRY(check_dataset(t, val, "rbp_trainer_fit", "validation"));

    /* All allocation happens here, before the first step. */
    if (val && rbp_dataset_size(val) > t->val_cap) {
        float *p = rbp__malloc(rbp_dataset_size(val) * sizeof(float));
        if (!p)
            return rbp__oom();
        rbp__free(t->val_logits);
        t->val_logits = p;
        t->val_cap = rbp_dataset_size(val);
    }
    if (val && t->cfg.restore_best && !t->best) {
        t->best = rbp__malloc(t->n * sizeof(float));
        if (!t->best)
            return rbp__oom();
    }
    rbp_batcher *bt = NULL;
    RBP_TRY(rbp_batcher_create(&bt, train, t->cfg.batch_size, 1, 0, t->cfg.seed));
    const int64_t nb = rbp_batcher_num_batches(bt);
    t->total_steps = (int64_t)t->cfg.epochs * nb;
    float *params = rbp_model_params(t->model);

    rbp_status st = RBP_OK;
    /* A trainer that stopped early (restored from its checkpoint) trains no further, so a run
     * resumed after it stopped ends exactly as the run that was not interrupted; a larger
     * patience lets it go on. */
    const int stopped = val && t->cfg.patience > 0 && t->bad_epochs >= t->cfg.patience;
    for (int32_t e = stopped ? t->cfg.epochs : t->epoch; e < t->cfg.epochs; e++) {
        st = rbp_batcher_reset(bt, e);
        if (st != RBP_OK)
            break;
        const double t0 = now_seconds();
        double loss_sum = 0.0;
        int64_t seen = 0, bi = 0;
        rbp_batch b;
        int32_t more;
        while ((more = rbp_batcher_next(bt, &b)) == 1) {
            double l;
            st = rbp_trainer_step(t, &b, &l);
            if (st != RBP_OK)
                break;
            loss_sum += l * (double)b.size;
            seen += b.size;
            if (t->on_step) {
                double dt = now_seconds() - t0;
                rbp_step_info si = {e, t->step, bi, nb, l, t->last_lr, dt > 0.0 ? (double)seen / dt : 0.0};
                if (t->on_step(&si, t->user) != 0) {
                    st = rbp__set_error(RBP_ERR_CANCELLED, "training cancelled by the step callback at step %lld",
                                        (long long)t->step);
                    break;
                }
            }
            bi++;
        }
        if (st != RBP_OK)
            break;
        if (more < 0) {
            st = (rbp_status)more;
            break;
        }

        rbp_epoch_info info = {e, t->cfg.epochs, t->step, NAN, NAN, NAN, NAN, 0.0, 0.0, t->last_lr, 0};
        info.train_loss = seen ? loss_sum / (double)seen : NAN;
        const double train_seconds = now_seconds() - t0;
        info.seqs_per_sec = train_seconds > 0.0 ? (double)seen / train_seconds : 0.0;
        if (val) {
            /* with a weight average, validation (and the best copy) sees the average */
            if (t->ema) {
                memcpy(t->live, params, t->n * sizeof(float));
                memcpy(params, t->ema, t->n * sizeof(float));
            }
            st = validate(t, val, &info);
            const double value = t->cfg.monitor == RBP_MONITOR_VAL_AUC ? info.val_auc
                                 : t->cfg.monitor == RBP_MONITOR_VAL_R2 ? info.val_r2
                                                                        : info.val_loss;
            if (st != RBP_OK) {
                /* reported below, once the trained weights are back */
            } else if (improves(t, value)) {
                info.improved = 1;
                t->best_value = value;
                t->best_epoch = e;
                t->bad_epochs = 0;
                if (t->best) {
                    memcpy(t->best, params, t->n * sizeof(float));
                    t->has_best_weights = 1;
                }
            } else {
                t->bad_epochs++;
            }
            if (t->ema)
                memcpy(params, t->live, t->n * sizeof(float));
            if (st != RBP_OK)
                break;
        }
        info.seconds = now_seconds() - t0;
        t->epoch = e + 1;
        if (t->on_epoch && t->on_epoch(&info, t->user) != 0) {
            st = rbp__set_error(RBP_ERR_CANCELLED, "training cancelled by the epoch callback after epoch %d",
                                (int)e + 1);
            break;
        }
        if (val && t->cfg.patience > 0 && t->bad_epochs >= t->cfg.patience) {
            rbp__log(RBP_LOG_INFO, "early stopping after epoch %d: no improvement for %d epochs (best: epoch %d)",
                     (int)e + 1, (int)t->bad_epochs, (int)t->best_epoch + 1);
            break;
        }
    }
    rbp_batcher_free(bt);
    /* A cancelled or failed run keeps its last weights, so that it can be saved and resumed;
     * a finished one ends with the best epoch's weights, else with the average, if kept. */
    if (st == RBP_OK && val && t->cfg.restore_best && t->has_best_weights)
        memcpy(params, t->best, t->n * sizeof(float));
    else if (st == RBP_OK && t->ema)
        memcpy(params, t->ema, t->n * sizeof(float));
    return st;
}

/* ---------------------------------------------------------------- save / load */

rbp_status rbp_trainer_save(const rbp_trainer *t, const char *path)
{
    RBP_CHECK_NULL(t);
    RBP_CHECK_NULL(path);
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    h.flags = RBP__CKPT_HAS_TRAINER | (t->has_best_weights ? RBP__CKPT_HAS_BEST : 0u) |
              (t->ema ? RBP__CKPT_HAS_EMA : 0u);
    h.model = t->mcfg;
    h.num_params = t->n;
    h.train.cfg = t->cfg;
    h.train.step = t->step;
    h.train.epoch = t->epoch;
    h.train.best_epoch = t->best_epoch;
    h.train.bad_epochs = t->bad_epochs;
    h.train.best_value = t->best_value;
    RBP_TRY(rbp__meta_for_save(&h.meta, t->model));
    rbp_status st = rbp__ckpt_write(path, &h, rbp__model_params_const(t->model), t->m, t->v,
                                    t->has_best_weights ? t->best : NULL, t->ema);
    rbp__meta_free(h.meta);
    return st;
}

/* Log (once per field) where the trainer's configuration differs from the one saved. */
static void warn_config_differences(const rbp_train_config *mine, const rbp_train_config *saved, const char *path)
{
#define CMP(field)                                                                                          \
    if (memcmp(&mine->field, &saved->field, sizeof mine->field) != 0)                                       \
        rbp__log(RBP_LOG_WARN, "resuming from '%s' with a different " #field " than it was trained with", path);
    CMP(batch_size)
    CMP(optimizer)
    CMP(lr)
    CMP(lr_scale)
    CMP(beta1)
    CMP(beta2)
    CMP(eps)
    CMP(weight_decay)
    CMP(schedule)
    CMP(warmup_steps)
    CMP(clip_norm)
    CMP(pos_weight)
    CMP(seed)
    CMP(monitor)
    CMP(ema_decay)
#undef CMP
}

rbp_status rbp_trainer_load(rbp_trainer *t, const char *path)
{
    RBP_CHECK_NULL(t);
    RBP_CHECK_NULL(path);
    rbp__ckpt_reader r;
    RBP_TRY(rbp__ckpt_open(&r, path));
    rbp_status st = RBP_OK;
    char diff[160];
    const char *why = rbp_model_config_check(&r.h.model);
    if (!(r.h.flags & RBP__CKPT_HAS_TRAINER)) {
        st = rbp__set_error(RBP_ERR_FORMAT,
                            "checkpoint '%s' has no optimizer state (saved by rbp_model_save); load it with "
                            "rbp_model_load and start a new trainer",
                            path);
    } else if (why) {
        st = rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': invalid model config: %s", path, why);
    } else if (rbp__ckpt_config_diff(&r.h.model, &t->mcfg, diff, sizeof diff)) {
        st = rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s' does not fit this trainer's model: %s (file vs model)",
                            path, diff);
    } else if (r.h.num_params != (uint64_t)t->n) {
        st = rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s' holds %llu parameters, the model has %zu", path,
                            (unsigned long long)r.h.num_params, t->n);
    } else if ((st = rbp__ckpt_check_finite(&r, t->model)) != RBP_OK) {
        /* refused before anything of the trainer is overwritten */
    } else if ((r.h.flags & RBP__CKPT_HAS_BEST) && !t->best) {
        t->best = rbp__malloc(t->n * sizeof(float));
        if (!t->best)
            st = rbp__oom();
    }
    if (st != RBP_OK) {
        rbp__ckpt_close(&r);
        return st;
    }
    warn_config_differences(&t->cfg, &r.h.train.cfg, path);
    const int has_best = (r.h.flags & RBP__CKPT_HAS_BEST) != 0;
    /* a trainer with a weight average takes the file's, or starts one from its weights */
    const int has_ema = t->ema && (r.h.flags & RBP__CKPT_HAS_EMA);
    st = rbp__ckpt_read_arrays(&r, rbp_model_params(t->model), t->m, t->v, has_best ? t->best : NULL,
                               has_ema ? t->ema : NULL);
    if (st == RBP_OK && t->ema && !has_ema)
        memcpy(t->ema, rbp__model_params_const(t->model), t->n * sizeof(float));
    if (st == RBP_OK) { /* the metadata goes with the weights */
        rbp__meta **slot = rbp__model_meta(t->model);
        rbp__meta_free(*slot);
        *slot = r.h.meta;
        r.h.meta = NULL;
    }
    rbp__ckpt_close(&r);
    if (st != RBP_OK)
        return st;
    t->has_best_weights = has_best;
    t->step = r.h.train.step;
    t->epoch = r.h.train.epoch;
    t->best_epoch = r.h.train.best_epoch;
    t->bad_epochs = r.h.train.bad_epochs;
    t->best_value = r.h.train.best_value;
    return RBP_OK;
}
