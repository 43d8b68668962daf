/*
 * test_train.c - the trainer end to end: argument and config errors, allocation-free steps,
 * step wiring against a hand-driven step, determinism, exact resume from a checkpoint,
 * callbacks and cancellation, divergence detection, early stopping with best-weights
 * restore, and that the model learns: a planted-motif task (classification AUC, regression
 * R^2, as /work/shared/peers/torch_ref.py generates it) and the GraphProt toy data.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>
#include "core/internal.h"
#include "model/model_internal.h"
#include "core/team.h"
#include "train/optim.h"

/* ---------------------------------------------------------------- data */

static const char BASES[4] = {'A', 'C', 'G', 'U'};
static const char MOTIF[] = "UGCAUG";

static int count_motif(const char *s, int L)
{
    int c = 0, m = (int)strlen(MOTIF);
    for (int i = 0; i + m <= L; i++)
        c += memcmp(s + i, MOTIF, (size_t)m) == 0;
    return c;
}

/*
 * torch_ref.py's synthetic task: uniform ACGU of length L; in half of the sequences the
 * motif is planted 1..3 times at uniform positions (overlaps allowed); target = occurrences
 * (regression) or occurrences > 0 (classification).
 */
static rbp_dataset *motif_dataset(size_t n, int L, uint64_t seed, int regression)
{
    rbp_test_rng r;
    rbp_test_rng_seed(&r, seed);
    char **seqs = malloc(n * sizeof *seqs);
    float *y = malloc(n * sizeof *y);
    const int m = (int)strlen(MOTIF);
    for (size_t i = 0; i < n; i++) {
        seqs[i] = malloc((size_t)L + 1);
        for (int t = 0; t < L; t++)
            seqs[i][t] = BASES[rbp_test_rng_u64(&r) % 4];
        seqs[i][L] = '\0';
        if (rbp_test_rng_u64(&r) % 2) {
            int k = 1 + (int)(rbp_test_rng_u64(&r) % 3);
            for (int j = 0; j < k; j++)
                memcpy(seqs[i] + rbp_test_rng_u64(&r) % (uint64_t)(L - m + 1), MOTIF, (size_t)m);
        }
        int c = count_motif(seqs[i], L);
        y[i] = regression ? (float)c : (float)(c > 0);
    }
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_from_strings(&ds, (const char *const *)seqs, y, NULL, n, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_length(ds), L);
    for (size_t i = 0; i < n; i++)
        free(seqs[i]);
    free(seqs);
    free(y);
    return ds;
}

static void small_model_config(rbp_model_config *mc, int L, int task)
{
    assert_int_equal(rbp_model_config_init(mc, RBP_MODEL_CONFIG_VERSION), RBP_OK);
    mc->seq_len = L;
    mc->d_model = 16;
    mc->n_heads = 2;
    mc->n_layers = 1;
    mc->d_ff = 32;
    mc->head_hidden = 16;
    mc->dropout = 0.1f;
    mc->pooling = RBP_POOL_MAX;
    mc->task = task;
    mc->seed = 3;
}

static void small_train_config(rbp_train_config *tc)
{
    assert_int_equal(rbp_train_config_init(tc, RBP_TRAIN_CONFIG_VERSION), RBP_OK);
    tc->epochs = 2;
    tc->batch_size = 16;
    tc->eval_batch_size = 32;
    tc->schedule = RBP_SCHED_CONSTANT;
    tc->lr = 3e-3f;
    tc->warmup_steps = 5;
    tc->seed = 42;
}

typedef struct fixture {
    rbp_model *model;
    rbp_trainer *trainer;
    rbp_dataset *train, *val;
} fixture;

static void fixture_make(fixture *f, const rbp_model_config *mc, const rbp_train_config *tc)
{
    assert_int_equal(rbp_model_create(&f->model, mc), RBP_OK);
    assert_int_equal(rbp_trainer_create(&f->trainer, f->model, tc), RBP_OK);
}

static void fixture_free(fixture *f)
{
    rbp_trainer_free(f->trainer);
    rbp_model_free(f->model);
    f->trainer = NULL;
    f->model = NULL;
}

/* A copy of the model's parameters (caller frees). */
static float *params_copy(rbp_model *m)
{
    size_t n = rbp_model_num_params(m);
    float *p = malloc(n * sizeof(float));
    memcpy(p, rbp_model_params(m), n * sizeof(float));
    return p;
}

/* Score a dataset through a throw-away session over the trained model. */
static rbp_status predict_all(const rbp_model *m, const rbp_dataset *ds, int32_t batch_size, float *out)
{
    rbp_session *s = NULL;
    rbp_status st = rbp_session_create(&s, m, NULL);
    if (st == RBP_OK)
        st = rbp_session_predict(s, ds, batch_size, out);
    rbp_session_free(s);
    return st;
}

static double seconds(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- errors */

static void expect_msg(rbp_status got, rbp_status want, const char *words)
{
    if (got != want)
        fail_msg("status %d (%s), expected %d; message: %s", got, rbp_status_str(got), want, rbp_last_error());
    if (words && strstr(rbp_last_error(), words) == NULL)
        fail_msg("message lacks '%s': %s", words, rbp_last_error());
}

static void test_errors(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 20, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    rbp_model *model = NULL;
    assert_int_equal(rbp_model_create(&model, &mc), RBP_OK);
    rbp_trainer *t = (rbp_trainer *)&mc; /* must be overwritten with NULL on failure */

    expect_msg(rbp_trainer_create(NULL, model, &tc), RBP_ERR_INVALID_ARG, "out");
    expect_msg(rbp_trainer_create(&t, NULL, &tc), RBP_ERR_INVALID_ARG, "model");
    assert_null(t);
    expect_msg(rbp_trainer_create(&t, model, NULL), RBP_ERR_INVALID_ARG, "cfg");
    /* every config check surfaces with the field's name */
    rbp_train_config bad = tc;
    bad.batch_size = 0;
    expect_msg(rbp_trainer_create(&t, model, &bad), RBP_ERR_INVALID_ARG, "batch_size");
    bad = tc;
    bad.lr = -1.0f;
    expect_msg(rbp_trainer_create(&t, model, &bad), RBP_ERR_INVALID_ARG, "rbp_train_config.lr (--lr) must be");
    bad = tc;
    bad.beta2 = 1.5f;
    expect_msg(rbp_trainer_create(&t, model, &bad), RBP_ERR_INVALID_ARG, "beta2");
    bad = tc;
    bad.version = 7;
    expect_msg(rbp_trainer_create(&t, model, &bad), RBP_ERR_INVALID_ARG, "version");
    bad = tc;
    bad.monitor = RBP_MONITOR_VAL_R2; /* classification model */
    expect_msg(rbp_trainer_create(&t, model, &bad), RBP_ERR_INVALID_ARG, "VAL_R2");
    assert_null(t);

    assert_int_equal(rbp_trainer_create(&t, model, &tc), RBP_OK);
    rbp_dataset *ds = motif_dataset(40, 20, 1, 0);
    rbp_dataset *wrong_len = motif_dataset(40, 24, 1, 0);
    double loss;
    rbp_batch b;
    memset(&b, 0, sizeof b);
    expect_msg(rbp_trainer_set_callbacks(NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "t");
    expect_msg(rbp_trainer_fit(NULL, ds, NULL), RBP_ERR_INVALID_ARG, "'t'");
    expect_msg(rbp_trainer_fit(t, NULL, NULL), RBP_ERR_INVALID_ARG, "train");
    expect_msg(rbp_trainer_fit(t, wrong_len, NULL), RBP_ERR_SHAPE, "the model expects 20 (rbp_model_config.seq_len)");
    expect_msg(rbp_trainer_fit(t, ds, wrong_len), RBP_ERR_SHAPE, "validation");
    expect_msg(rbp_trainer_step(NULL, &b, &loss), RBP_ERR_INVALID_ARG, "'t'");
    expect_msg(rbp_trainer_step(t, NULL, &loss), RBP_ERR_INVALID_ARG, "batch");
    expect_msg(rbp_trainer_step(t, &b, &loss), RBP_ERR_SHAPE, "batch size 0");
    b.size = 4;
    b.length = 21;
    expect_msg(rbp_trainer_step(t, &b, &loss), RBP_ERR_SHAPE, "length 21");
    b.length = 20;
    expect_msg(rbp_trainer_step(t, &b, &loss), RBP_ERR_INVALID_ARG, "NULL");
    b.size = 33; /* more than max(batch_size, eval_batch_size) */
    expect_msg(rbp_trainer_step(t, &b, &loss), RBP_ERR_SHAPE, "batch size 33");
    expect_msg(rbp_trainer_evaluate_loss(NULL, ds, &loss), RBP_ERR_INVALID_ARG, "'t'");
    expect_msg(rbp_trainer_evaluate_loss(t, NULL, &loss), RBP_ERR_INVALID_ARG, "ds");
    expect_msg(rbp_trainer_evaluate_loss(t, ds, NULL), RBP_ERR_INVALID_ARG, "loss");
    expect_msg(rbp_trainer_evaluate_loss(t, wrong_len, &loss), RBP_ERR_SHAPE, "length 24");
    expect_msg(rbp_trainer_save(NULL, "x"), RBP_ERR_INVALID_ARG, "'t'");
    expect_msg(rbp_trainer_save(t, NULL), RBP_ERR_INVALID_ARG, "path");
    expect_msg(rbp_trainer_load(NULL, "x"), RBP_ERR_INVALID_ARG, "'t'");
    expect_msg(rbp_trainer_load(t, NULL), RBP_ERR_INVALID_ARG, "path");
    expect_msg(rbp_trainer_set_total_steps(t, -1), RBP_ERR_INVALID_ARG, "total_steps");
    assert_int_equal(rbp_trainer_epoch(NULL), 0);
    assert_int_equal(rbp_trainer_step_count(NULL), 0);
    /* nothing above changed the trainer */
    assert_int_equal(rbp_trainer_step_count(t), 0);
    assert_int_equal(rbp_trainer_epoch(t), 0);
    rbp_trainer_free(NULL);

    /* regression model + AUC monitor */
    rbp_model *reg = NULL;
    mc.task = RBP_TASK_REGRESSION;
    assert_int_equal(rbp_model_create(&reg, &mc), RBP_OK);
    bad = tc;
    bad.monitor = RBP_MONITOR_VAL_AUC;
    rbp_trainer *t2 = NULL;
    expect_msg(rbp_trainer_create(&t2, reg, &bad), RBP_ERR_INVALID_ARG, "VAL_AUC");
    rbp_model_free(reg);

    rbp_dataset_free(ds);
    rbp_dataset_free(wrong_len);
    rbp_trainer_free(t);
    rbp_model_free(model);
}

/* ---------------------------------------------------------------- steps */

/* After a warm-up step, a training step performs no allocation at all. */
static void test_step_allocates_nothing(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 24, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    tc.clip_norm = 1.0f;
    tc.optimizer = RBP_OPT_ADAMW;
    fixture f;
    fixture_make(&f, &mc, &tc);
    rbp_dataset *ds = motif_dataset(64, 24, 5, 0);
    rbp_batcher *bt = NULL;
    assert_int_equal(rbp_batcher_create(&bt, ds, tc.batch_size, 1, 0, 9), RBP_OK);
    assert_int_equal(rbp_batcher_reset(bt, 0), RBP_OK);
    rbp_batch b;
    double loss;
    assert_int_equal(rbp_batcher_next(bt, &b), 1);
    assert_int_equal(rbp_trainer_step(f.trainer, &b, &loss), RBP_OK); /* warm-up */
    uint64_t before = rbp__alloc_count();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rbp_batcher_next(bt, &b), 1);
        assert_int_equal(rbp_trainer_step(f.trainer, &b, &loss), RBP_OK);
        assert_true(isfinite(loss));
    }
    assert_int_equal(rbp__alloc_count() - before, 0);
    /* evaluation reuses the trainer's buffers too */
    before = rbp__alloc_count();
    assert_int_equal(rbp_trainer_evaluate_loss(f.trainer, ds, &loss), RBP_OK);
    assert_int_equal(rbp__alloc_count() - before, 0);
    assert_int_equal(rbp_trainer_step_count(f.trainer), 4);
    rbp_batcher_free(bt);
    rbp_dataset_free(ds);
    fixture_free(&f);
}

/*
 * A batch whose training workspace exceeds the budget (RBP_TRAIN_WORKSPACE_MIB) runs in equal
 * chunks of rows, their gradients added: the same step, bit for bit, as a twin driven chunk by
 * chunk by hand, within rounding of the step without a budget, and still allocation-free.
 */
static void test_step_chunks(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 101, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    const int32_t B = tc.batch_size;
    rbp_model *twin = NULL;
    assert_int_equal(rbp_model_create(&twin, &mc), RBP_OK);
    rbp_session *ts = NULL;
    assert_int_equal(rbp_session_create(&ts, twin, NULL), RBP_OK);
    /* the budget's rows: every row without a limit, 1 with none to spare, a few in 1 MiB */
    assert_int_equal(rbp__session_train_rows(ts, B, SIZE_MAX), B);
    assert_int_equal(rbp__session_train_rows(ts, B, 0), 1);
    const int32_t cap = rbp__session_train_rows(ts, B, (size_t)1 << 20);
    assert_true(cap >= 2 && cap < B / 2); /* 3 or more chunks, of unequal rows */
    assert_int_equal(rbp__session_reserve(ts, cap), RBP_OK);

    setenv("RBP_TRAIN_WORKSPACE_MIB", "1", 1);
    fixture f;
    fixture_make(&f, &mc, &tc);
    setenv("RBP_TRAIN_WORKSPACE_MIB", "0", 1);
    fixture whole;
    fixture_make(&whole, &mc, &tc);
    unsetenv("RBP_TRAIN_WORKSPACE_MIB");

    const size_t n = rbp_model_num_params(twin);
    float *m = calloc(n, sizeof(float)), *v = calloc(n, sizeof(float));
    float logits[16], dl[16];
    rbp_dataset *ds = motif_dataset(64, 101, 8, 0);
    rbp_batcher *bt = NULL;
    assert_int_equal(rbp_batcher_create(&bt, ds, B, 1, 0, 1), RBP_OK);
    assert_int_equal(rbp_batcher_reset(bt, 0), RBP_OK);
    rbp_batch b;
    const size_t chunks = ((size_t)B + (size_t)cap - 1) / (size_t)cap;
    for (int64_t s = 1; s <= 3; s++) {
        assert_int_equal(rbp_batcher_next(bt, &b), 1);
        double loss, loss_whole;
        const uint64_t before = rbp__alloc_count();
        assert_int_equal(rbp_trainer_step(f.trainer, &b, &loss), RBP_OK);
        if (s > 1) /* after the first step's warm-up */
            assert_int_equal(rbp__alloc_count() - before, 0);
        assert_int_equal(rbp_trainer_step(whole.trainer, &b, &loss_whole), RBP_OK);
        assert_true(fabs(loss - loss_whole) < 1e-6);

        rbp__session_zero_grad(ts);
        for (size_t c = 0; c < chunks; c++) {
            size_t r0, nr;
            rbp__team_share((size_t)B, (int)chunks, (int)c, &r0, &nr);
            rbp_batch sub;
            rbp__batch_rows(&sub, &b, r0, nr);
            assert_int_equal(rbp__model_forward_part(ts, &sub, r0, 1, tc.seed, (uint64_t)s, logits + r0), RBP_OK);
            rbp__loss_grad(1, logits + r0, sub.targets, nr, (size_t)B, tc.pos_weight, dl + r0);
            assert_int_equal(rbp__model_backward(ts, dl + r0), RBP_OK);
        }
        if (s == 3) {
            /* the chunks' gradient sums round differently from the whole batch's, by little
             * (the weights may differ more: Adam divides tiny gradients by their own size) */
            rbp_session *ws = NULL;
            assert_int_equal(rbp_session_create(&ws, twin, NULL), RBP_OK);
            assert_int_equal(rbp__session_reserve(ws, B), RBP_OK);
            rbp__session_zero_grad(ws);
            float wl[16], wdl[16];
            assert_int_equal(rbp__model_forward(ws, &b, 1, tc.seed, (uint64_t)s, wl), RBP_OK);
            rbp__loss_grad(1, wl, b.targets, (size_t)B, (size_t)B, tc.pos_weight, wdl);
            assert_int_equal(rbp__model_backward(ws, wdl), RBP_OK);
            const float *gc = rbp__session_grads(ts), *gw = rbp__session_grads(ws);
            double diff2 = 0.0, norm2 = 0.0;
            int differ = 0;
            for (size_t i = 0; i < n; i++) {
                diff2 += ((double)gc[i] - gw[i]) * ((double)gc[i] - gw[i]);
                norm2 += (double)gw[i] * gw[i];
                differ |= gc[i] != gw[i];
            }
            assert_true(differ);
            assert_true(norm2 > 0.0 && sqrt(diff2 / norm2) < 1e-5);
            rbp_session_free(ws);
        }
        rbp__adam_update(rbp_model_params(twin), m, v, rbp__session_grads(ts), n,
                         rbp_schedule_lr(&tc, mc.d_model, s, 0), tc.beta1, tc.beta2, tc.eps, 0.0f, s);
        assert_memory_equal(rbp_model_params(twin), rbp_model_params(f.model), n * sizeof(float));
    }
    /* with 2 threads each thread's 8 rows run in chunks too: the same result every run, and the
     * whole-batch 2-thread step's within rounding */
    rbp_train_config t2 = tc;
    t2.n_threads = 2;
    fixture c2[2], w2;
    setenv("RBP_TRAIN_WORKSPACE_MIB", "1", 1);
    fixture_make(&c2[0], &mc, &t2);
    fixture_make(&c2[1], &mc, &t2);
    setenv("RBP_TRAIN_WORKSPACE_MIB", "0", 1);
    fixture_make(&w2, &mc, &t2);
    unsetenv("RBP_TRAIN_WORKSPACE_MIB");
    assert_int_equal(rbp_batcher_reset(bt, 0), RBP_OK);
    for (int s = 0; s < 3; s++) {
        assert_int_equal(rbp_batcher_next(bt, &b), 1);
        double l0, l1, lw;
        assert_int_equal(rbp_trainer_step(c2[0].trainer, &b, &l0), RBP_OK);
        assert_int_equal(rbp_trainer_step(c2[1].trainer, &b, &l1), RBP_OK);
        assert_int_equal(rbp_trainer_step(w2.trainer, &b, &lw), RBP_OK);
        assert_true(l0 == l1 && fabs(l0 - lw) < 1e-6);
    }
    assert_memory_equal(rbp_model_params(c2[0].model), rbp_model_params(c2[1].model), n * sizeof(float));
    fixture_free(&c2[0]);
    fixture_free(&c2[1]);
    fixture_free(&w2);

    rbp_batcher_free(bt);
    rbp_dataset_free(ds);
    free(m);
    free(v);
    rbp_session_free(ts);
    rbp_model_free(twin);
    fixture_free(&f);
    fixture_free(&whole);
}

/*
 * rbp_trainer_step == forward(training, seed, step) -> loss -> backward -> clip -> Adam with
 * the schedule's rate and bias correction at that step, driven by hand on a twin model.
 * Checks the wiring (dropout stream, step numbering, pos_weight, clip, AdamW decay) bit for bit.
 */
static void test_step_wiring(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 20, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    tc.optimizer = RBP_OPT_ADAMW;
    tc.weight_decay = 0.1f;
    tc.clip_norm = 0.5f;
    tc.pos_weight = 2.0f;
    tc.schedule = RBP_SCHED_TRANSFORMER;
    tc.warmup_steps = 10;
    fixture f;
    fixture_make(&f, &mc, &tc);
    rbp_model *twin = NULL;
    assert_int_equal(rbp_model_create(&twin, &mc), RBP_OK);
    rbp_session *ts = NULL; /* the twin's own session: gradients live there, not in the model */
    assert_int_equal(rbp_session_create(&ts, twin, NULL), RBP_OK);
    assert_int_equal(rbp__session_reserve(ts, 16), RBP_OK);
    const size_t n = rbp_model_num_params(twin);
    assert_memory_equal(rbp_model_params(twin), rbp_model_params(f.model), n * sizeof(float));
    float *m = calloc(n, sizeof(float)), *v = calloc(n, sizeof(float));
    float logits[16], dl[16];

    rbp_dataset *ds = motif_dataset(48, 20, 6, 0);
    rbp_batcher *bt = NULL;
    assert_int_equal(rbp_batcher_create(&bt, ds, 16, 1, 0, 1), RBP_OK);
    assert_int_equal(rbp_batcher_reset(bt, 0), RBP_OK);
    rbp_batch b;
    for (int64_t s = 1; s <= 3; s++) {
        assert_int_equal(rbp_batcher_next(bt, &b), 1);
        double loss;
        assert_int_equal(rbp_trainer_step(f.trainer, &b, &loss), RBP_OK);

        rbp__session_zero_grad(ts);
        assert_int_equal(rbp__model_forward(ts, &b, 1, tc.seed, (uint64_t)s, logits), RBP_OK);
        double l = rbp_loss_bce_logits(logits, b.targets, (size_t)b.size, 2.0f, dl);
        assert_true(l == loss);
        assert_int_equal(rbp__model_backward(ts, dl), RBP_OK);
        rbp__clip_grad_norm(rbp__session_grads(ts), n, 0.5);
        double lr = rbp_schedule_lr(&tc, mc.d_model, s, 0);
        rbp__adam_update(rbp_model_params(twin), m, v, rbp__session_grads(ts), n, lr, tc.beta1, tc.beta2, tc.eps,
                         0.1f, s);
        assert_memory_equal(rbp_model_params(twin), rbp_model_params(f.model), n * sizeof(float));
    }
    assert_int_equal(rbp_trainer_step_count(f.trainer), 3);
    free(m);
    free(v);
    rbp_session_free(ts);
    rbp_model_free(twin);
    rbp_batcher_free(bt);
    rbp_dataset_free(ds);
    fixture_free(&f);
}

/* Classification targets outside [0, 1] make BCE unbounded: the trainer refuses them (fit,
 * evaluate_loss and step) with a message naming the record and the value, and takes no step;
 * a regression trainer accepts the same data. */
static void test_classification_targets_in_unit_interval(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 20, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    tc.epochs = 1;
    fixture f;
    fixture_make(&f, &mc, &tc);
    rbp_dataset *ds = motif_dataset(16, 20, 7, 0);
    const char *seqs[16];
    float y[16];
    char buf[16][21];
    for (size_t i = 0; i < 16; i++) {
        memcpy(buf[i], "ACGUACGUACGUACGUACGU", 21);
        buf[i][i] = 'G';
        seqs[i] = buf[i];
        y[i] = (float)(i % 2);
    }
    y[3] = 5.0f;
    const char *ids[16] = {"r1", "r2", "r3", "five", "r5", "r6", "r7", "r8",
                           "r9", "r10", "r11", "r12", "r13", "r14", "r15", "r16"};
    rbp_dataset *bad = NULL;
    assert_int_equal(rbp_dataset_from_strings(&bad, seqs, y, ids, 16, NULL), RBP_OK);
    float *before = params_copy(f.model);
    expect_msg(rbp_trainer_fit(f.trainer, bad, NULL), RBP_ERR_INVALID_ARG,
               "training set record 4 ('five') has target 5; classification needs targets in [0, 1]");
    expect_msg(rbp_trainer_fit(f.trainer, ds, bad), RBP_ERR_INVALID_ARG, "validation set record 4");
    double loss;
    expect_msg(rbp_trainer_evaluate_loss(f.trainer, bad, &loss), RBP_ERR_INVALID_ARG, "target 5");
    rbp_batch b;
    memset(&b, 0, sizeof b);
    b.size = 16;
    b.length = 20;
    b.tokens = rbp_dataset_tokens(bad);
    b.mask = rbp_dataset_mask(bad);
    b.viewpoint = rbp_dataset_viewpoint(bad);
    b.targets = y;
    expect_msg(rbp_trainer_step(f.trainer, &b, &loss), RBP_ERR_INVALID_ARG, "batch->targets[3] = 5; classification");
    y[3] = -0.5f;
    expect_msg(rbp_trainer_step(f.trainer, &b, &loss), RBP_ERR_INVALID_ARG, "batch->targets[3] = -0.5");
    y[3] = NAN;
    expect_msg(rbp_trainer_step(f.trainer, &b, &loss), RBP_ERR_INVALID_ARG, "batch->targets[3] = nan");
    assert_memory_equal(before, rbp_model_params(f.model), rbp_model_num_params(f.model) * sizeof(float));
    assert_int_equal(rbp_trainer_step_count(f.trainer), 0);
    /* probabilities (soft labels) are fine */
    y[3] = 0.25f;
    assert_int_equal(rbp_trainer_step(f.trainer, &b, &loss), RBP_OK);
    fixture_free(&f);
    /* regression: any finite target */
    mc.task = RBP_TASK_REGRESSION;
    fixture_make(&f, &mc, &tc);
    assert_int_equal(rbp_trainer_fit(f.trainer, bad, NULL), RBP_OK);
    free(before);
    rbp_dataset_free(bad);
    rbp_dataset_free(ds);
    fixture_free(&f);
}

/* A NaN target makes the loss NaN: RBP_ERR_NUMERIC naming the step, and no update. */
static void test_divergence_detected(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 20, RBP_TASK_REGRESSION);
    small_train_config(&tc);
    fixture f;
    fixture_make(&f, &mc, &tc);
    rbp_dataset *ds = motif_dataset(16, 20, 7, 1);
    rbp_batch b;
    memset(&b, 0, sizeof b);
    float y[16];
    memcpy(y, rbp_dataset_targets(ds), sizeof y);
    y[5] = NAN;
    b.size = 16;
    b.length = 20;
    b.tokens = rbp_dataset_tokens(ds);
    b.mask = rbp_dataset_mask(ds);
    b.viewpoint = rbp_dataset_viewpoint(ds);
    b.targets = y;
    double loss;
    float *before = params_copy(f.model);
    y[5] = 1.0f;
    assert_int_equal(rbp_trainer_step(f.trainer, &b, &loss), RBP_OK);
    free(before);
    before = params_copy(f.model);
    y[5] = NAN;
    expect_msg(rbp_trainer_step(f.trainer, &b, &loss), RBP_ERR_NUMERIC, "step 2");
    assert_memory_equal(before, rbp_model_params(f.model), rbp_model_num_params(f.model) * sizeof(float));
    assert_int_equal(rbp_trainer_step_count(f.trainer), 1);
    /* the same through fit, from weights that went NaN: the first step reports it */
    fixture_free(&f);
    fixture_make(&f, &mc, &tc);
    float *w = rbp_model_params(f.model);
    for (size_t i = 0; i < rbp_model_num_params(f.model); i++)
        w[i] = NAN;
    expect_msg(rbp_trainer_fit(f.trainer, ds, NULL), RBP_ERR_NUMERIC, "step 1");
    assert_int_equal(rbp_trainer_step_count(f.trainer), 0);
    assert_int_equal(rbp_trainer_epoch(f.trainer), 0);
    free(before);
    rbp_dataset_free(ds);
    fixture_free(&f);
}

/* ---------------------------------------------------------------- callbacks */

typedef struct cb_log {
    int steps, epochs, stop_at_step, stop_at_epoch;
    int64_t last_step;
    double first_lr, last_lr;
    rbp_epoch_info info[32];
    float *snap[32];     /* parameters at the end of each epoch (optional) */
    rbp_model *model;
} cb_log;

static int32_t on_step(const rbp_step_info *si, void *user)
{
    cb_log *c = user;
    c->steps++;
    assert_int_equal(si->step, c->last_step + 1);
    assert_true(si->batch >= 0 && si->batch < si->batches);
    assert_true(isfinite(si->loss) && si->loss >= 0.0);
    if (c->steps == 1)
        c->first_lr = si->lr;
    c->last_lr = si->lr;
    c->last_step = si->step;
    return c->stop_at_step && c->steps == c->stop_at_step;
}

static int32_t on_epoch(const rbp_epoch_info *ei, void *user)
{
    cb_log *c = user;
    assert_true(c->epochs < 32);
    c->info[c->epochs] = *ei;
    if (c->model)
        c->snap[c->epochs] = params_copy(c->model);
    c->epochs++;
    return c->stop_at_epoch && c->epochs == c->stop_at_epoch;
}

static void cb_free(cb_log *c)
{
    for (int i = 0; i < 32; i++)
        free(c->snap[i]);
}

static void test_callbacks_and_cancel(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 20, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    tc.epochs = 3;
    tc.schedule = RBP_SCHED_COSINE;
    tc.warmup_steps = 2;
    fixture f;
    fixture_make(&f, &mc, &tc);
    rbp_dataset *train = motif_dataset(50, 20, 8, 0); /* 16+16+16+2: a short last batch */
    rbp_dataset *val = motif_dataset(40, 20, 9, 0);
    cb_log c = {0};
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, on_step, on_epoch, &c), RBP_OK);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, val), RBP_OK);
    assert_int_equal(c.steps, 12);
    assert_int_equal(c.epochs, 3);
    assert_int_equal(rbp_trainer_step_count(f.trainer), 12);
    assert_int_equal(rbp_trainer_epoch(f.trainer), 3);
    /* cosine: warmup ramp from lr/2 at step 1, 0 at the last step */
    assert_float_equal(c.first_lr, 0.5 * (double)tc.lr, 1e-12);
    assert_float_equal(c.last_lr, 0.0, 1e-12);
    for (int e = 0; e < 3; e++) {
        assert_int_equal(c.info[e].epoch, e);
        assert_int_equal(c.info[e].epochs, 3);
        assert_int_equal(c.info[e].step, 4 * (e + 1));
        assert_true(isfinite(c.info[e].train_loss));
        assert_true(isfinite(c.info[e].val_loss));
        assert_true(c.info[e].val_auc >= 0.0 && c.info[e].val_auc <= 1.0);
        assert_true(isnan(c.info[e].val_r2));
    }
    assert_int_equal(c.info[0].improved, 1);
    /* the reported validation loss is the one evaluate_loss computes for those weights */
    rbp_train_config tc0 = tc;
    tc0.restore_best = 0;
    fixture g;
    fixture_make(&g, &mc, &tc0);
    cb_log d = {0};
    assert_int_equal(rbp_trainer_set_callbacks(g.trainer, NULL, on_epoch, &d), RBP_OK);
    assert_int_equal(rbp_trainer_fit(g.trainer, train, val), RBP_OK);
    double vl;
    assert_int_equal(rbp_trainer_evaluate_loss(g.trainer, val, &vl), RBP_OK);
    assert_float_equal(vl, d.info[2].val_loss, 1e-12);
    fixture_free(&g);

    /* cancel from the step callback: CANCELLED, counters where it stopped */
    fixture_free(&f);
    fixture_make(&f, &mc, &tc);
    cb_log c2 = {0};
    c2.stop_at_step = 6;
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, on_step, on_epoch, &c2), RBP_OK);
    expect_msg(rbp_trainer_fit(f.trainer, train, val), RBP_ERR_CANCELLED, "step 6");
    assert_int_equal(rbp_trainer_step_count(f.trainer), 6);
    assert_int_equal(rbp_trainer_epoch(f.trainer), 1);
    assert_int_equal(c2.epochs, 1);
    /* cancel from the epoch callback */
    fixture_free(&f);
    fixture_make(&f, &mc, &tc);
    cb_log c3 = {0};
    c3.stop_at_epoch = 2;
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, NULL, on_epoch, &c3), RBP_OK);
    expect_msg(rbp_trainer_fit(f.trainer, train, NULL), RBP_ERR_CANCELLED, "epoch 2");
    assert_int_equal(rbp_trainer_epoch(f.trainer), 2);
    assert_int_equal(rbp_trainer_step_count(f.trainer), 8);
    assert_true(isnan(c3.info[0].val_loss) && isnan(c3.info[0].val_auc));
    assert_int_equal(c3.info[0].improved, 0);
    /* callbacks can be removed */
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, NULL, NULL, NULL), RBP_OK);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, NULL), RBP_OK);
    assert_int_equal(rbp_trainer_epoch(f.trainer), 3);

    rbp_dataset_free(train);
    rbp_dataset_free(val);
    fixture_free(&f);
}

/* ---------------------------------------------------------------- determinism and resume */

static float *train_run(const rbp_model_config *mc, const rbp_train_config *tc, rbp_dataset *train,
                        rbp_dataset *val)
{
    fixture f;
    fixture_make(&f, mc, tc);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, val), RBP_OK);
    float *p = params_copy(f.model);
    fixture_free(&f);
    return p;
}

static void test_determinism(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 24, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    rbp_dataset *train = motif_dataset(100, 24, 10, 0);
    rbp_dataset *val = motif_dataset(30, 24, 11, 0);
    rbp_model *probe = NULL;
    assert_int_equal(rbp_model_create(&probe, &mc), RBP_OK);
    const size_t n = rbp_model_num_params(probe);
    float *init = params_copy(probe);
    rbp_model_free(probe);

    float *a = train_run(&mc, &tc, train, val);
    float *b = train_run(&mc, &tc, train, val);
    assert_memory_equal(a, b, n * sizeof(float));
    assert_memory_not_equal(a, init, n * sizeof(float));
    /* another training seed (shuffle + dropout) gives other weights */
    tc.seed = 43;
    float *c = train_run(&mc, &tc, train, val);
    assert_memory_not_equal(a, c, n * sizeof(float));
    /* and the same again with 2 threads: bit-identical to itself */
    tc.seed = 42;
    assert_int_equal(rbp_set_num_threads(2), RBP_OK);
    float *d = train_run(&mc, &tc, train, val);
    float *e = train_run(&mc, &tc, train, val);
    assert_int_equal(rbp_set_num_threads(1), RBP_OK);
    assert_memory_equal(d, e, n * sizeof(float));
    free(init);
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
    rbp_dataset_free(train);
    rbp_dataset_free(val);
}

/*
 * 2 epochs, save, load into a fresh model + trainer, 1 more epoch == 3 uninterrupted epochs,
 * bit for bit: weights, Adam state (via a second save), counters, best-epoch bookkeeping.
 */
static void resume_case(const rbp_train_config *tc_in, int with_val)
{
    rbp_model_config mc;
    rbp_train_config tc = *tc_in;
    small_model_config(&mc, 24, RBP_TASK_CLASSIFICATION);
    rbp_dataset *train = motif_dataset(90, 24, 12, 0);
    rbp_dataset *val = with_val ? motif_dataset(30, 24, 13, 0) : NULL;
    tc.epochs = 3;

    /* uninterrupted */
    fixture u;
    fixture_make(&u, &mc, &tc);
    assert_int_equal(rbp_trainer_fit(u.trainer, train, val), RBP_OK);

    /* interrupted after 2 epochs (the epoch callback stops it), saved */
    fixture a;
    fixture_make(&a, &mc, &tc);
    cb_log c = {0};
    c.stop_at_epoch = 2;
    assert_int_equal(rbp_trainer_set_callbacks(a.trainer, NULL, on_epoch, &c), RBP_OK);
    assert_int_equal(rbp_trainer_fit(a.trainer, train, val), RBP_ERR_CANCELLED);
    char path[512];
    snprintf(path, sizeof path, "%s", rbp_test_path("resume.rbpm"));
    assert_int_equal(rbp_trainer_save(a.trainer, path), RBP_OK);
    fixture_free(&a);

    /* a fresh model whose weights are scrambled (so the load must replace them), continued */
    fixture b;
    fixture_make(&b, &mc, &tc);
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 999);
    rbp_test_fill_uniform(&r, rbp_model_params(b.model), rbp_model_num_params(b.model), -1.0f, 1.0f);
    assert_int_equal(rbp_trainer_load(b.trainer, path), RBP_OK);
    assert_int_equal(rbp_trainer_epoch(b.trainer), 2);
    assert_int_equal(rbp_trainer_step_count(b.trainer), 12);
    assert_int_equal(rbp_trainer_fit(b.trainer, train, val), RBP_OK);
    assert_int_equal(rbp_trainer_epoch(b.trainer), 3);
    assert_int_equal(rbp_trainer_step_count(b.trainer), rbp_trainer_step_count(u.trainer));

    const size_t n = rbp_model_num_params(u.model);
    assert_memory_equal(rbp_model_params(b.model), rbp_model_params(u.model), n * sizeof(float));
    /* the full trainer state agrees too: the two checkpoints are byte-identical */
    char pu[512], pb[512];
    snprintf(pu, sizeof pu, "%s", rbp_test_path("u.rbpm"));
    snprintf(pb, sizeof pb, "%s", rbp_test_path("b.rbpm"));
    /* the first save's clock time (metadata key "created") is the only part that may differ */
    assert_int_equal(rbp_model_meta_set_string(u.model, "created", "2026-01-01T00:00:00Z"), RBP_OK);
    assert_int_equal(rbp_model_meta_set_string(b.model, "created", "2026-01-01T00:00:00Z"), RBP_OK);
    assert_int_equal(rbp_trainer_save(u.trainer, pu), RBP_OK);
    assert_int_equal(rbp_trainer_save(b.trainer, pb), RBP_OK);
    FILE *fu = fopen(pu, "rb"), *fb = fopen(pb, "rb");
    assert_non_null(fu);
    assert_non_null(fb);
    int cu, cb;
    size_t pos = 0;
    do {
        cu = fgetc(fu);
        cb = fgetc(fb);
        if (cu != cb)
            fail_msg("trainer checkpoints differ at byte %zu", pos);
        pos++;
    } while (cu != EOF);
    fclose(fu);
    fclose(fb);

    fixture_free(&u);
    fixture_free(&b);
    rbp_dataset_free(train);
    rbp_dataset_free(val);
}

static void test_resume_exact(void **state)
{
    (void)state;
    rbp_train_config tc;
    small_train_config(&tc);
    resume_case(&tc, 0);
    /* AdamW, clipping, the transformer schedule, a validation set with restore_best */
    tc.optimizer = RBP_OPT_ADAMW;
    tc.clip_norm = 0.5f;
    tc.schedule = RBP_SCHED_TRANSFORMER;
    tc.warmup_steps = 8;
    tc.lr_scale = 4.0f;
    tc.monitor = RBP_MONITOR_VAL_AUC;
    resume_case(&tc, 1);
    /* cosine (horizon = all epochs) with early-stopping bookkeeping */
    tc.schedule = RBP_SCHED_COSINE;
    tc.patience = 5;
    tc.monitor = RBP_MONITOR_VAL_LOSS;
    resume_case(&tc, 1);
    /* the weight average is part of the state (format 5), with and without validation */
    tc.ema_decay = 0.95f;
    resume_case(&tc, 1);
    tc.schedule = RBP_SCHED_CONSTANT;
    resume_case(&tc, 0);
}

static void capture_log(int32_t level, const char *msg, void *user)
{
    if (level == RBP_LOG_WARN)
        snprintf((char *)user, 512, "%s", msg);
}

/* Checkpoints that do not fit the trainer are refused and change nothing. */
static void test_trainer_checkpoint_mismatch(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 20, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    fixture f;
    fixture_make(&f, &mc, &tc);
    char tpath[512], mpath[512];
    snprintf(tpath, sizeof tpath, "%s", rbp_test_path("t.rbpm"));
    snprintf(mpath, sizeof mpath, "%s", rbp_test_path("m.rbpm"));
    assert_int_equal(rbp_trainer_save(f.trainer, tpath), RBP_OK);
    assert_int_equal(rbp_model_save(f.model, mpath), RBP_OK);

    rbp_model_config other = mc;
    other.d_model = 32;
    fixture g;
    fixture_make(&g, &other, &tc);
    float *before = params_copy(g.model);
    expect_msg(rbp_trainer_load(g.trainer, tpath), RBP_ERR_FORMAT, "d_model 16 vs 32");
    assert_non_null(strstr(rbp_last_error(), tpath));
    assert_memory_equal(before, rbp_model_params(g.model), rbp_model_num_params(g.model) * sizeof(float));
    free(before);
    fixture_free(&g);

    /* a model-only checkpoint has no optimizer state */
    expect_msg(rbp_trainer_load(f.trainer, mpath), RBP_ERR_FORMAT, "no optimizer state");
    /* missing file */
    expect_msg(rbp_trainer_load(f.trainer, rbp_test_path("nope.rbpm")), RBP_ERR_IO, "nope.rbpm");
    /* but a model loads from a trainer checkpoint */
    rbp_model *m2 = NULL;
    assert_int_equal(rbp_model_load(&m2, tpath), RBP_OK);
    assert_memory_equal(rbp_model_params(m2), rbp_model_params(f.model),
                        rbp_model_num_params(f.model) * sizeof(float));
    rbp_model_free(m2);
    /* a trainer with a different training config still resumes, with a logged warning */
    rbp_train_config tc2 = tc;
    tc2.lr = 1e-4f;
    fixture h;
    fixture_make(&h, &mc, &tc2);
    char logged[512] = "";
    rbp_set_log_callback(capture_log, logged);
    assert_int_equal(rbp_trainer_load(h.trainer, tpath), RBP_OK);
    rbp_set_log_callback(NULL, NULL);
    assert_non_null(strstr(logged, "different lr "));
    fixture_free(&h);
    fixture_free(&f);
}

/* ---------------------------------------------------------------- early stopping */

/*
 * Validation labels are the opposite of the training labels for the same sequences, so the
 * validation loss rises as soon as the model fits the training set: with patience 2 the run
 * stops after epoch 1 + 2, and restore_best brings back the weights of the best epoch.
 */
typedef struct saver {
    const rbp_trainer *trainer;
    const char *path;
} saver;

/* A checkpoint after every epoch, as rbpattn-train --checkpoint keeps it. */
static int32_t save_on_epoch(const rbp_epoch_info *info, void *user)
{
    (void)info;
    const saver *sv = user;
    return rbp_trainer_save(sv->trainer, sv->path) == RBP_OK ? 0 : 1;
}

static void test_early_stopping(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 24, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    tc.epochs = 20;
    tc.patience = 2;
    tc.lr = 5e-3f;
    rbp_dataset *train = motif_dataset(128, 24, 14, 0);
    /* flipped labels */
    size_t n = rbp_dataset_size(train);
    const char **seqs = malloc(n * sizeof *seqs);
    char *buf = malloc(n * 25);
    float *y = malloc(n * sizeof *y);
    const uint8_t *tok = rbp_dataset_tokens(train);
    for (size_t i = 0; i < n; i++) {
        for (int t = 0; t < 24; t++)
            buf[i * 25 + (size_t)t] = BASES[tok[i * 24 + (size_t)t]];
        buf[i * 25 + 24] = '\0';
        seqs[i] = buf + i * 25;
        y[i] = 1.0f - rbp_dataset_targets(train)[i];
    }
    rbp_dataset *val = NULL;
    assert_int_equal(rbp_dataset_from_strings(&val, seqs, y, NULL, n, NULL), RBP_OK);

    fixture f;
    fixture_make(&f, &mc, &tc);
    cb_log c = {0};
    c.model = f.model;
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, NULL, on_epoch, &c), RBP_OK);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, val), RBP_OK);
    assert_true(c.epochs < tc.epochs);
    assert_int_equal(rbp_trainer_epoch(f.trainer), c.epochs);
    /* find the best epoch from the callbacks: the last one flagged improved, with the lowest loss */
    int best = -1;
    for (int e = 0; e < c.epochs; e++) {
        if (c.info[e].improved) {
            assert_true(best < 0 || c.info[e].val_loss < c.info[best].val_loss);
            best = e;
        } else {
            assert_true(c.info[e].val_loss >= c.info[best].val_loss);
        }
    }
    assert_true(best >= 0);
    /* it stopped exactly `patience` epochs after the best one */
    assert_int_equal(c.epochs, best + 1 + tc.patience);
    const size_t np = rbp_model_num_params(f.model);
    assert_memory_equal(rbp_model_params(f.model), c.snap[best], np * sizeof(float));
    assert_memory_not_equal(rbp_model_params(f.model), c.snap[c.epochs - 1], np * sizeof(float));
    double vl;
    assert_int_equal(rbp_trainer_evaluate_loss(f.trainer, val, &vl), RBP_OK);
    assert_float_equal(vl, c.info[best].val_loss, 1e-12);

    /* resumed from the checkpoint of its last epoch, a trainer that stopped early trains no
     * further and ends as the uninterrupted run did (the best epoch's weights) */
    fixture g;
    fixture_make(&g, &mc, &tc);
    char ck[512];
    snprintf(ck, sizeof ck, "%s", rbp_test_path("stopped.rbpm"));
    saver sv = {g.trainer, ck};
    assert_int_equal(rbp_trainer_set_callbacks(g.trainer, NULL, save_on_epoch, &sv), RBP_OK);
    assert_int_equal(rbp_trainer_fit(g.trainer, train, val), RBP_OK);
    assert_int_equal(rbp_trainer_epoch(g.trainer), c.epochs);
    fixture_free(&g);
    fixture_make(&g, &mc, &tc);
    assert_int_equal(rbp_trainer_load(g.trainer, ck), RBP_OK);
    const int64_t steps = rbp_trainer_step_count(g.trainer);
    assert_int_equal(rbp_trainer_fit(g.trainer, train, val), RBP_OK);
    assert_int_equal(rbp_trainer_epoch(g.trainer), c.epochs);
    assert_int_equal(rbp_trainer_step_count(g.trainer), steps);
    assert_memory_equal(rbp_model_params(g.model), rbp_model_params(f.model), np * sizeof(float));
    fixture_free(&g);
    /* a larger patience goes on */
    rbp_train_config tc2 = tc;
    tc2.patience = tc.patience + 1;
    fixture_make(&g, &mc, &tc2);
    assert_int_equal(rbp_trainer_load(g.trainer, ck), RBP_OK);
    assert_int_equal(rbp_trainer_fit(g.trainer, train, val), RBP_OK);
    assert_true(rbp_trainer_epoch(g.trainer) > c.epochs);
    fixture_free(&g);
    cb_free(&c);
    fixture_free(&f);

    /* restore_best = 0: the last epoch's weights stay */
    tc.restore_best = 0;
    fixture_make(&f, &mc, &tc);
    cb_log d = {0};
    d.model = f.model;
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, NULL, on_epoch, &d), RBP_OK);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, val), RBP_OK);
    assert_int_equal(d.epochs, c.epochs);
    assert_memory_equal(rbp_model_params(f.model), d.snap[d.epochs - 1], np * sizeof(float));
    cb_free(&d);
    fixture_free(&f);

    free(seqs);
    free(buf);
    free(y);
    rbp_dataset_free(train);
    rbp_dataset_free(val);
}

/* ---------------------------------------------------------------- weight average */

/* The average the trainer should keep, recomputed after every step from the weights. */
typedef struct ema_log {
    rbp_model *model;
    float *ema;
    float decay;
} ema_log;

static int32_t ema_on_step(const rbp_step_info *si, void *user)
{
    ema_log *e = user;
    const double warm = (1.0 + (double)si->step) / (10.0 + (double)si->step);
    const float d = (float)(warm < (double)e->decay ? warm : (double)e->decay);
    const float *p = rbp_model_params(e->model);
    for (size_t i = 0; i < rbp_model_num_params(e->model); i++)
        e->ema[i] += (1.0f - d) * (p[i] - e->ema[i]);
    return 0;
}

/*
 * ema_decay: without validation, fit ends with the average of the weights (recomputed here
 * step by step, bit for bit); with validation, the monitored value and the best-epoch copy are
 * those of the average, not of the weights being trained.
 */
static void test_weight_average(void **state)
{
    (void)state;
    rbp_model_config mc;
    rbp_train_config tc;
    small_model_config(&mc, 24, RBP_TASK_CLASSIFICATION);
    small_train_config(&tc);
    tc.epochs = 3;
    tc.ema_decay = 0.9f;
    rbp_dataset *train = motif_dataset(96, 24, 15, 0);
    rbp_dataset *val = motif_dataset(40, 24, 16, 0);

    fixture f;
    fixture_make(&f, &mc, &tc);
    const size_t n = rbp_model_num_params(f.model);
    ema_log e = {f.model, params_copy(f.model), tc.ema_decay};
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, ema_on_step, NULL, &e), RBP_OK);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, NULL), RBP_OK);
    assert_int_equal(rbp_trainer_step_count(f.trainer), 18);
    assert_memory_equal(rbp_model_params(f.model), e.ema, n * sizeof(float));
    free(e.ema);
    fixture_free(&f);

    /* the same run without the average ends elsewhere */
    tc.ema_decay = 0.0f;
    float *plain = train_run(&mc, &tc, train, NULL);
    tc.ema_decay = 0.9f;
    float *avg = train_run(&mc, &tc, train, NULL);
    assert_memory_not_equal(plain, avg, n * sizeof(float));
    free(plain);
    free(avg);

    /* with validation on the loss: the weights fit ends with score the best epoch's value */
    tc.monitor = RBP_MONITOR_VAL_LOSS;
    tc.epochs = 4;
    fixture_make(&f, &mc, &tc);
    cb_log c = {0};
    c.model = f.model;
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, NULL, on_epoch, &c), RBP_OK);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, val), RBP_OK);
    int best = -1;
    for (int k = 0; k < c.epochs; k++)
        if (c.info[k].improved)
            best = k;
    assert_true(best >= 0);
    double vl;
    assert_int_equal(rbp_trainer_evaluate_loss(f.trainer, val, &vl), RBP_OK);
    assert_float_equal(vl, c.info[best].val_loss, 1e-12);
    /* the callback saw the weights being trained, which are not the average */
    assert_memory_not_equal(rbp_model_params(f.model), c.snap[best], n * sizeof(float));
    cb_free(&c);
    fixture_free(&f);

    /* a trainer with an average resumes from a checkpoint without one (the average starts
     * from the loaded weights) and one without loads a file with one (ignoring it) */
    char path[512];
    snprintf(path, sizeof path, "%s", rbp_test_path("ema.rbpm"));
    tc.ema_decay = 0.0f;
    fixture_make(&f, &mc, &tc);
    assert_int_equal(rbp_trainer_save(f.trainer, path), RBP_OK);
    fixture_free(&f);
    tc.ema_decay = 0.9f;
    fixture_make(&f, &mc, &tc);
    assert_int_equal(rbp_trainer_load(f.trainer, path), RBP_OK);
    assert_int_equal(rbp_trainer_save(f.trainer, path), RBP_OK);
    fixture_free(&f);
    tc.ema_decay = 0.0f;
    fixture_make(&f, &mc, &tc);
    assert_int_equal(rbp_trainer_load(f.trainer, path), RBP_OK);
    fixture_free(&f);

    rbp_dataset_free(train);
    rbp_dataset_free(val);
}

/* ---------------------------------------------------------------- the model learns */

/*
 * The planted-motif task. Configuration found by a sweep (tests/test_train.c history, report):
 * a 1-layer encoder needs many high-learning-rate steps before its attention locks onto the
 * motif's relative offsets, and overfits small sets; at L = 40 it stays near AUC 0.8 with
 * 4000 sequences (PyTorch with the same model behaves the same), so we use L = 24, 8 heads,
 * no dropout (dropout 0.1 slows the same run to AUC 0.85) and a cosine schedule.
 */
static void motif_configs(rbp_model_config *mc, rbp_train_config *tc, int L, int task, int pooling)
{
    small_model_config(mc, L, task);
    mc->d_model = 32;
    mc->n_heads = 8;
    mc->n_layers = 1;
    mc->d_ff = 64;
    mc->head_hidden = 32;
    mc->dropout = 0.0f;
    mc->pooling = pooling;
    small_train_config(tc);
    tc->epochs = 20;
    tc->batch_size = 32;
    tc->eval_batch_size = 250;
    tc->schedule = RBP_SCHED_COSINE;
    tc->lr = 3e-3f;
    tc->warmup_steps = 100;
}

/* Planted motif, classification: held-out AUC >= 0.9. */
static void test_learns_motif_classification(void **state)
{
    (void)state;
    const int L = 24;
    const size_t n_train = 4000, n_test = 1000;
    double t0 = seconds();
    rbp_dataset *train = motif_dataset(n_train, L, 100, 0);
    rbp_dataset *test = motif_dataset(n_test, L, 101, 0);
    rbp_model_config mc;
    rbp_train_config tc;
    motif_configs(&mc, &tc, L, RBP_TASK_CLASSIFICATION, RBP_POOL_MAX);
    fixture f;
    fixture_make(&f, &mc, &tc);
    cb_log c = {0};
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, NULL, on_epoch, &c), RBP_OK);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, NULL), RBP_OK);
    float *prob = malloc(n_test * sizeof(float));
    assert_int_equal(predict_all(f.model, test, 250, prob), RBP_OK);
    double auc;
    assert_int_equal(rbp_metric_roc_auc(prob, rbp_dataset_targets(test), n_test, &auc), RBP_OK);
    double dt = seconds() - t0;
    printf("  motif classification: L=%d d=%d heads=%d layers=%d d_ff=%d max-pool dropout 0, %d epochs x %zu "
           "seqs, batch %d, cosine lr %.0e warmup %d: train loss %.4f -> %.4f, test AUC %.4f (%zu seqs), %.1f s\n",
           L, mc.d_model, mc.n_heads, mc.n_layers, mc.d_ff, tc.epochs, n_train, tc.batch_size, (double)tc.lr,
           tc.warmup_steps, c.info[0].train_loss, c.info[c.epochs - 1].train_loss, auc, n_test, dt);
    assert_true(auc >= 0.9);
    free(prob);
    fixture_free(&f);
    rbp_dataset_free(train);
    rbp_dataset_free(test);
}

/* Planted motif, regression on the number of occurrences: held-out R^2 >= 0.8. */
static void test_learns_motif_regression(void **state)
{
    (void)state;
    const int L = 24;
    const size_t n_train = 6000, n_test = 1000;
    double t0 = seconds();
    rbp_dataset *train = motif_dataset(n_train, L, 200, 1);
    rbp_dataset *test = motif_dataset(n_test, L, 201, 1);
    rbp_model_config mc;
    rbp_train_config tc;
    motif_configs(&mc, &tc, L, RBP_TASK_REGRESSION, RBP_POOL_FLATTEN);
    fixture f;
    fixture_make(&f, &mc, &tc);
    cb_log c = {0};
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, NULL, on_epoch, &c), RBP_OK);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, NULL), RBP_OK);
    float *pred = malloc(n_test * sizeof(float));
    assert_int_equal(predict_all(f.model, test, 250, pred), RBP_OK);
    double r2;
    assert_int_equal(rbp_metric_r2(pred, rbp_dataset_targets(test), n_test, &r2), RBP_OK);
    double dt = seconds() - t0;
    printf("  motif regression: L=%d d=%d heads=%d layers=%d d_ff=%d flatten dropout 0, %d epochs x %zu seqs, "
           "batch %d, cosine lr %.0e warmup %d: train MSE %.4f -> %.4f, test R2 %.4f (%zu seqs), %.1f s\n",
           L, mc.d_model, mc.n_heads, mc.n_layers, mc.d_ff, tc.epochs, n_train, tc.batch_size, (double)tc.lr,
           tc.warmup_steps, c.info[0].train_loss, c.info[c.epochs - 1].train_loss, r2, n_test, dt);
    assert_true(r2 >= 0.8);
    free(pred);
    fixture_free(&f);
    rbp_dataset_free(train);
    rbp_dataset_free(test);
}

/*
 * The GraphProt CLIP toy set (50 positives + 50 negatives, tests/data/graphprot): windows of
 * 64 nt centred on the viewpoint. The training loss must fall well below its starting value
 * (a 100-sequence set that a model of this size can fit), and the validation loss is reported.
 */
static void test_graphprot_loss_decreases(void **state)
{
    (void)state;
    const char *dir = RBP_TEST_DATA_DIR "/graphprot/";
    char pos[512], neg[512], tpos[512], tneg[512];
    snprintf(pos, sizeof pos, "%stestclip.train.positives.fa", dir);
    snprintf(neg, sizeof neg, "%stestclip.train.negatives.fa", dir);
    snprintf(tpos, sizeof tpos, "%stestclip.test.positives.fa", dir);
    snprintf(tneg, sizeof tneg, "%stestclip.test.negatives.fa", dir);
    rbp_dataset_options opt;
    assert_int_equal(rbp_dataset_options_init(&opt, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    opt.length = 64;
    opt.truncate = RBP_TRUNCATE_CENTER;
    rbp_dataset *train = NULL, *test = NULL;
    if (rbp_dataset_load_pair(&train, pos, neg, &opt) != RBP_OK)
        fail_msg("%s", rbp_last_error());
    assert_int_equal(rbp_dataset_load_pair(&test, tpos, tneg, &opt), RBP_OK);
    assert_int_equal(rbp_dataset_size(train), 100);
    assert_int_equal(rbp_dataset_count_positive(train), 50);

    rbp_model_config mc;
    small_model_config(&mc, 64, RBP_TASK_CLASSIFICATION);
    mc.use_viewpoint = 1;
    rbp_train_config tc;
    small_train_config(&tc);
    tc.epochs = 15;
    tc.lr = 3e-3f;
    tc.restore_best = 0; /* judge the trained weights, not the best-validation ones */
    fixture f;
    fixture_make(&f, &mc, &tc);
    double before, after, val_before, val_after;
    assert_int_equal(rbp_trainer_evaluate_loss(f.trainer, train, &before), RBP_OK);
    assert_int_equal(rbp_trainer_evaluate_loss(f.trainer, test, &val_before), RBP_OK);
    cb_log c = {0};
    assert_int_equal(rbp_trainer_set_callbacks(f.trainer, NULL, on_epoch, &c), RBP_OK);
    assert_int_equal(rbp_trainer_fit(f.trainer, train, test), RBP_OK);
    assert_int_equal(rbp_trainer_evaluate_loss(f.trainer, train, &after), RBP_OK);
    assert_int_equal(rbp_trainer_evaluate_loss(f.trainer, test, &val_after), RBP_OK);
    /* (no test AUC: the toy test positives are 50 copies of one sequence) */
    printf("  graphprot toy: train loss %.4f -> %.4f (epoch means %.4f -> %.4f), test loss %.4f -> %.4f\n", before,
           after, c.info[0].train_loss, c.info[c.epochs - 1].train_loss, val_before, val_after);
    assert_true(after < 0.7 * before);
    assert_true(c.info[c.epochs - 1].train_loss < c.info[0].train_loss);
    fixture_free(&f);
    rbp_dataset_free(train);
    rbp_dataset_free(test);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_step_allocates_nothing),
        cmocka_unit_test(test_step_chunks),
        cmocka_unit_test(test_step_wiring),
        cmocka_unit_test(test_classification_targets_in_unit_interval),
        cmocka_unit_test(test_divergence_detected),
        cmocka_unit_test(test_callbacks_and_cancel),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_resume_exact),
        cmocka_unit_test(test_trainer_checkpoint_mismatch),
        cmocka_unit_test(test_early_stopping),
        cmocka_unit_test(test_weight_average),
        cmocka_unit_test(test_learns_motif_classification),
        cmocka_unit_test(test_learns_motif_regression),
        cmocka_unit_test(test_graphprot_loss_decreases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
