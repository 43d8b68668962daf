/*
 * test_session.c - sessions over one shared, read-only model.
 *
 * What is promised (rbpattn/session.h): many sessions, one per thread, may share a const
 * model and get bit-identical outputs to a single-thread run; a session's own worker threads
 * (n_threads > 1) do not change rbp_session_predict's output either; attention maps belong
 * to the session that ran the pass; nothing is allocated per predict after warm-up; creating
 * models and sessions leaves process-global settings (the BLAS thread count) alone, and the
 * GEMM back-end is named and logged once. This file also runs under ThreadSanitizer in CI
 * (.ci/run), which checks that the sharing is free of data races.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "testutil.h"
#include <rbpattn/rbpattn.h>

#ifdef RBP_HAVE_OPENBLAS_THREADS
#include <cblas.h>
#endif

enum { L = 24, N = 203, N_THREADS = 8 };

static const int32_t thread_batch[N_THREADS] = {32, 1, 7, 64, 203, 13, 32, 50};

typedef struct fixture {
    rbp_model *model;  /* the ONE shared model */
    rbp_dataset *ds;   /* N sequences of 10..L nt, some padded */
    float ref[N];      /* 1 session, 1 thread, batch 32 */
    float ref_logits[N];
    float *ref_sal;    /* saliency of the first 16 rows (16, L) */
    float *ref_att;    /* attention of row 3 in a batch of the first 16 rows */
    size_t att_size;
} fixture;

static fixture F;

/* log capture for the GEMM back-end message */
static int n_gemm_logs;
static char gemm_log[256];
static void capture(int32_t level, const char *msg, void *user)
{
    (void)user;
    if (level == RBP_LOG_INFO && strstr(msg, "matrix products use")) {
        n_gemm_logs++;
        snprintf(gemm_log, sizeof gemm_log, "%s", msg);
    }
}

static rbp_batch rows(size_t i0, size_t B)
{
    rbp_batch b = {(int32_t)B, L, rbp_dataset_tokens(F.ds) + i0 * L, rbp_dataset_mask(F.ds) + i0 * L, NULL, NULL,
                   NULL, NULL};
    return b;
}

static rbp_session *session_ok(const rbp_model *m, int32_t n_threads)
{
    rbp_session_options o;
    assert_int_equal(rbp_session_options_init(&o, RBP_SESSION_OPTIONS_VERSION), RBP_OK);
    o.n_threads = n_threads;
    rbp_session *s = NULL;
    assert_int_equal(rbp_session_create(&s, m, &o), RBP_OK);
    return s;
}

static int setup(void **state)
{
    (void)state;
    /* before anything runs a matrix product: the back-end choice must be logged exactly once */
    rbp_set_log_callback(capture, NULL);
    rbp_model_config c;
    if (rbp_model_config_init(&c, RBP_MODEL_CONFIG_VERSION) != RBP_OK)
        return -1;
    c.seq_len = L;
    c.d_model = 16;
    c.n_heads = 2;
    c.n_layers = 2;
    c.d_ff = 32;
    c.head_hidden = 8;
    c.seed = 11;
    if (rbp_model_create(&F.model, &c) != RBP_OK)
        return -1;
    /* weights away from the initial ones, so outputs spread over (0, 1) */
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 3);
    rbp_test_fill_uniform(&r, rbp_model_params(F.model), rbp_model_num_params(F.model), -0.3f, 0.3f);

    static char buf[N][L + 1];
    const char *seqs[N];
    for (int i = 0; i < N; i++) {
        int len = 10 + (int)(rbp_test_rng_u64(&r) % (L - 9));
        for (int t = 0; t < len; t++)
            buf[i][t] = "ACGU"[rbp_test_rng_u64(&r) % 4];
        buf[i][len] = '\0';
        seqs[i] = buf[i];
    }
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.length = L;
    o.require_target = 0;
    if (rbp_dataset_from_strings(&F.ds, seqs, NULL, NULL, N, &o) != RBP_OK)
        return -1;

    rbp_session *s = NULL;
    if (rbp_session_create(&s, F.model, NULL) != RBP_OK)
        return -1;
    if (rbp_session_predict(s, F.ds, 32, F.ref) != RBP_OK || rbp_session_predict_logits(s, F.ds, 32, F.ref_logits))
        return -1;
    F.att_size = (size_t)c.n_layers * c.n_heads * L * L;
    F.ref_sal = malloc(16 * L * sizeof(float));
    F.ref_att = malloc(F.att_size * sizeof(float));
    rbp_batch b = rows(0, 16);
    if (rbp_session_saliency(s, &b, F.ref_sal) != RBP_OK)
        return -1;
    float p[16];
    if (rbp_session_predict_batch(s, &b, p) != RBP_OK || rbp_session_attention(s, 3, F.ref_att) != RBP_OK)
        return -1;
    rbp_session_free(s);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rbp_set_log_callback(NULL, NULL);
    free(F.ref_sal);
    free(F.ref_att);
    rbp_dataset_free(F.ds);
    rbp_model_free(F.model);
    return 0;
}

/* ------------------------------------------------------------------ back-end, no global effects */

static void test_gemm_backend_logged_once(void **state)
{
    (void)state;
    /* setup ran matrix products already */
    assert_int_equal(n_gemm_logs, 1);
    assert_non_null(strstr(gemm_log, rbp_gemm_backend()));
    printf("  %s\n", gemm_log);
    float out[N];
    rbp_session *s = session_ok(F.model, 1);
    assert_int_equal(rbp_session_predict(s, F.ds, 64, out), RBP_OK);
    rbp_session_free(s);
    assert_int_equal(n_gemm_logs, 1);
    /* the environment's choice is what the function reports */
    const char *env = getenv("RBP_GEMM");
    if (env && !strcmp(env, "blas"))
        assert_string_equal(rbp_gemm_backend(), "BLAS");
}

static void test_no_global_side_effects(void **state)
{
    (void)state;
#ifdef RBP_HAVE_OPENBLAS_THREADS
    /* a host that set the BLAS to 2 threads still has 2 after creating models and sessions */
    openblas_set_num_threads(2);
    rbp_model_config c;
    rbp_model_get_config(F.model, &c);
    rbp_model *m = NULL;
    assert_int_equal(rbp_model_create(&m, &c), RBP_OK);
    rbp_session *s = session_ok(m, 3);
    float out[N];
    assert_int_equal(rbp_session_predict(s, F.ds, 50, out), RBP_OK);
    assert_int_equal(openblas_get_num_threads(), 2);
    rbp_session_free(s);
    rbp_model_free(m);
    openblas_set_num_threads(1);
#else
    skip();
#endif
}

/* ------------------------------------------------------------------ errors */

static void test_errors(void **state)
{
    (void)state;
    rbp_session *s = (rbp_session *)&F;
    assert_int_equal(rbp_session_create(&s, NULL, NULL), RBP_ERR_INVALID_ARG);
    assert_null(s);
    assert_non_null(strstr(rbp_last_error(), "model"));
    float out[N], att[1];
    assert_int_equal(rbp_session_predict(NULL, F.ds, 8, out), RBP_ERR_INVALID_ARG);
    assert_int_equal(rbp_session_attention(NULL, 0, att), RBP_ERR_INVALID_ARG);
    s = session_ok(F.model, 2);
    assert_int_equal(rbp_session_attention(s, 0, att), RBP_ERR_STATE);
    rbp_session_free(s);
}

/* ------------------------------------------------------------------ one model, 8 threads */

typedef struct thread_arg {
    int id;
    int32_t batch;
    const float *ref, *ref_logits; /* 1 thread, the same batch size */
    int ok_pred, ok_logits, ok_sal, ok_att;
} thread_arg;

static void *score(void *p)
{
    thread_arg *a = p;
    float *out = malloc(N * sizeof(float)), *sal = malloc(16 * L * sizeof(float));
    float *att = malloc(F.att_size * sizeof(float));
    rbp_session *s = NULL;
    /* CMocka asserts are not thread-safe: record, check on the main thread */
    if (rbp_session_create(&s, F.model, NULL) == RBP_OK) {
        a->ok_pred = a->ok_logits = a->ok_sal = a->ok_att = 1;
        for (int rep = 0; rep < 2; rep++) {
            a->ok_pred &= rbp_session_predict(s, F.ds, a->batch, out) == RBP_OK &&
                          !memcmp(out, a->ref, N * sizeof(float));
            a->ok_logits &= rbp_session_predict_logits(s, F.ds, a->batch, out) == RBP_OK &&
                            !memcmp(out, a->ref_logits, N * sizeof(float));
            rbp_batch b = rows(0, 16);
            a->ok_sal &= rbp_session_saliency(s, &b, sal) == RBP_OK && !memcmp(sal, F.ref_sal, 16 * L * sizeof(float));
            a->ok_att &= rbp_session_attention(s, 3, att) == RBP_OK &&
                         !memcmp(att, F.ref_att, F.att_size * sizeof(float));
        }
    }
    rbp_session_free(s);
    free(out);
    free(sal);
    free(att);
    return NULL;
}

static void test_threads_share_one_model(void **state)
{
    (void)state;
    const size_t np = rbp_model_num_params(F.model);
    float *before = malloc(np * sizeof(float));
    memcpy(before, rbp_model_params(F.model), np * sizeof(float));
    /* references: one session, one thread, each thread's batch size */
    static float ref[N_THREADS][N], ref_logits[N_THREADS][N];
    rbp_session *one = session_ok(F.model, 1);
    int batch_invariant = 1;
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(rbp_session_predict(one, F.ds, thread_batch[i], ref[i]), RBP_OK);
        assert_int_equal(rbp_session_predict_logits(one, F.ds, thread_batch[i], ref_logits[i]), RBP_OK);
        batch_invariant &= !memcmp(ref[i], F.ref, sizeof F.ref);
    }
    rbp_session_free(one);
    /* The built-in GEMM sums in the same order whatever the matrix shape, so there the batch
     * size cannot matter either; a BLAS may pick other kernels for other shapes (OpenBLAS's
     * small-matrix paths), so there only the batch size's own reference is promised. */
    if (strncmp(rbp_gemm_backend(), "built-in", 8) == 0)
        assert_true(batch_invariant);

    pthread_t tid[N_THREADS];
    thread_arg arg[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        arg[i] = (thread_arg){i, thread_batch[i], ref[i], ref_logits[i], 0, 0, 0, 0};
        assert_int_equal(pthread_create(&tid[i], NULL, score, &arg[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_join(tid[i], NULL), 0);
    for (int i = 0; i < N_THREADS; i++) {
        if (!(arg[i].ok_pred && arg[i].ok_logits && arg[i].ok_sal && arg[i].ok_att))
            print_error("thread %d (batch %d): predict %d logits %d saliency %d attention %d\n", i,
                        (int)arg[i].batch, arg[i].ok_pred, arg[i].ok_logits, arg[i].ok_sal, arg[i].ok_att);
        assert_true(arg[i].ok_pred && arg[i].ok_logits && arg[i].ok_sal && arg[i].ok_att);
    }
    /* the model was only read */
    assert_memory_equal(before, rbp_model_params(F.model), np * sizeof(float));
    free(before);
    printf("  %d threads, one session each over one model, batch sizes 1..%d: %d x 2 x %d outputs (+ logits, "
           "saliency, attention) bit-identical to 1 thread; %s GEMM, outputs %s of the batch size\n",
           N_THREADS, N, N_THREADS, N, rbp_gemm_backend(), batch_invariant ? "independent" : "NOT independent");
}

/* ------------------------------------------------------------------ a session's own threads */

static void test_session_threads(void **state)
{
    (void)state;
    const int32_t threads[] = {2, 3, 8};
    const int32_t batches[] = {1, 16, 32, 37, 203, 500};
    float out[N], one[N], one_logits[N];
    float *att1 = malloc(F.att_size * sizeof(float)), *attn = malloc(F.att_size * sizeof(float));
    for (size_t k = 0; k < sizeof batches / sizeof batches[0]; k++) {
        rbp_session *s1 = session_ok(F.model, 1);
        assert_int_equal(rbp_session_predict(s1, F.ds, batches[k], one), RBP_OK);
        /* the pass kept is the last batch's, whatever the thread count */
        assert_int_equal(rbp_session_attention(s1, 0, att1), RBP_OK);
        assert_int_equal(rbp_session_predict_logits(s1, F.ds, batches[k], one_logits), RBP_OK);
        if (batches[k] == 32)
            assert_memory_equal(one, F.ref, sizeof one);
        for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
            rbp_session *s = session_ok(F.model, threads[t]);
            assert_int_equal(rbp_session_predict(s, F.ds, batches[k], out), RBP_OK);
            assert_memory_equal(out, one, sizeof out);
            assert_int_equal(rbp_session_attention(s, 0, attn), RBP_OK);
            assert_memory_equal(attn, att1, F.att_size * sizeof(float));
            assert_int_equal(rbp_session_predict_logits(s, F.ds, batches[k], out), RBP_OK);
            assert_memory_equal(out, one_logits, sizeof out);
            rbp_session_free(s);
        }
        rbp_session_free(s1);
    }
    /* logits and probabilities agree */
    for (int i = 0; i < N; i++)
        assert_float_equal(F.ref[i], 1.0 / (1.0 + exp(-(double)F.ref_logits[i])), 1e-6);
    free(att1);
    free(attn);
}

/* ------------------------------------------------------------------ attention is per session */

static void test_attention_per_session(void **state)
{
    (void)state;
    rbp_session *a = session_ok(F.model, 1), *b = session_ok(F.model, 1);
    float p[16], *att = malloc(F.att_size * sizeof(float)), *att_b = malloc(F.att_size * sizeof(float));
    rbp_batch x = rows(0, 16), y = rows(100, 5);
    assert_int_equal(rbp_session_predict_batch(a, &x, p), RBP_OK);
    assert_int_equal(rbp_session_predict_batch(b, &y, p), RBP_OK);
    /* b's later pass leaves a's maps alone */
    assert_int_equal(rbp_session_attention(a, 3, att), RBP_OK);
    assert_memory_equal(att, F.ref_att, F.att_size * sizeof(float));
    /* and b has its own: example 3 of rows 100.. is another sequence */
    assert_int_equal(rbp_session_attention(b, 3, att_b), RBP_OK);
    assert_memory_not_equal(att_b, F.ref_att, F.att_size * sizeof(float));
    assert_int_equal(rbp_session_attention(b, 5, att_b), RBP_ERR_INVALID_ARG); /* b's batch has 5 */
    assert_int_equal(rbp_session_attention(a, 5, att), RBP_OK);                /* a's has 16 */
    rbp_session_free(a);
    rbp_session_free(b);
    free(att);
    free(att_b);
}

/* ------------------------------------------------------------------ no allocation per step */

static void test_no_allocation_after_warmup(void **state)
{
    (void)state;
    rbp_session *s = session_ok(F.model, 1);
    rbp_session *mt = session_ok(F.model, 4);
    float out[N], *sal = malloc(32 * L * sizeof(float)), *att = malloc(F.att_size * sizeof(float));
    rbp_batch b32 = rows(0, 32), b16 = rows(50, 16);
    /* warm-up: the largest batch of each kind of call sizes the workspaces */
    assert_int_equal(rbp_session_predict_batch(s, &b32, out), RBP_OK);
    assert_int_equal(rbp_session_saliency(s, &b32, sal), RBP_OK);
    assert_int_equal(rbp_session_predict(mt, F.ds, 32, out), RBP_OK);
    uint64_t before = rbp__alloc_count();
    for (int step = 0; step < 5; step++) {
        assert_int_equal(rbp_session_predict_batch(s, &b32, out), RBP_OK);
        assert_int_equal(rbp_session_predict_batch_logits(s, &b16, out), RBP_OK);
        assert_int_equal(rbp_session_attention(s, 1, att), RBP_OK);
        assert_int_equal(rbp_session_saliency(s, &b16, sal), RBP_OK);
        assert_int_equal(rbp_session_predict(s, F.ds, 32, out), RBP_OK);
        assert_int_equal(rbp_session_predict(mt, F.ds, 32, out), RBP_OK);
        assert_int_equal(rbp_session_predict_logits(mt, F.ds, 16, out), RBP_OK);
    }
    assert_int_equal(rbp__alloc_count() - before, 0);
    rbp_session_free(s);
    rbp_session_free(mt);
    free(sal);
    free(att);
}

/* ------------------------------------------------------------------ one batch split among threads */

/* rbp_session_predict_batch with n_threads > 1 cuts the batch's rows among the threads: the
 * outputs are fixed run to run, match 1 thread up to rounding, the attention maps of every
 * example are found in the part that ran it, errors name rows of the whole batch, and after
 * the warm-up nothing is allocated. */
static void test_split_batch(void **state)
{
    (void)state;
    enum { B = 37 };
    rbp_batch b = rows(20, B);
    float one[B], out[B], again[B];
    float *att1 = malloc(F.att_size * sizeof(float)), *attn = malloc(F.att_size * sizeof(float));
    rbp_session *s1 = session_ok(F.model, 1);
    assert_int_equal(rbp_session_predict_batch(s1, &b, one), RBP_OK);
    const int32_t threads[] = {2, 3, 8};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        rbp_session *s = session_ok(F.model, threads[t]);
        assert_int_equal(rbp_session_predict_batch(s, &b, out), RBP_OK);
        assert_int_equal(rbp_session_predict_batch(s, &b, again), RBP_OK);
        assert_memory_equal(out, again, sizeof out);
        for (int i = 0; i < B; i++)
            assert_float_equal(out[i], one[i], 1e-5);
        const int32_t ex[] = {0, 12, 13, 25, 36};
        for (size_t e = 0; e < sizeof ex / sizeof ex[0]; e++) {
            assert_int_equal(rbp_session_predict_batch(s1, &b, one), RBP_OK);
            assert_int_equal(rbp_session_attention(s1, ex[e], att1), RBP_OK);
            assert_int_equal(rbp_session_attention(s, ex[e], attn), RBP_OK);
            for (size_t i = 0; i < F.att_size; i++)
                assert_float_equal(attn[i], att1[i], 1e-5);
        }
        assert_int_equal(rbp_session_attention(s, B, attn), RBP_ERR_INVALID_ARG);
        assert_non_null(strstr(rbp_last_error(), "[0, 37)"));
        /* a bad token in row 30 is named as row 30 of the batch, not of a part */
        uint8_t tok[B * L];
        memcpy(tok, b.tokens, sizeof tok);
        tok[30 * L + 2] = 200;
        rbp_batch bad = b;
        bad.tokens = tok;
        assert_int_equal(rbp_session_predict_batch(s, &bad, out), RBP_ERR_INVALID_ARG);
        assert_non_null(strstr(rbp_last_error(), "b=30, t=2"));
        bad.tokens = NULL;
        assert_int_equal(rbp_session_predict_batch(s, &bad, out), RBP_ERR_INVALID_ARG);
        assert_non_null(strstr(rbp_last_error(), "tokens"));
        /* no allocation once the parts' workspaces are sized */
        assert_int_equal(rbp_session_predict_batch(s, &b, out), RBP_OK);
        uint64_t before = rbp__alloc_count();
        for (int k = 0; k < 3; k++)
            assert_int_equal(rbp_session_predict_batch_logits(s, &b, out), RBP_OK);
        assert_int_equal(rbp__alloc_count() - before, 0);
        rbp_session_free(s);
    }
    rbp_session_free(s1);
    free(att1);
    free(attn);
}

/* ------------------------------------------------------------------ training steps on threads */

enum { TN = 64, TB = 16, TSTEPS = 3 };

/* TSTEPS steps of a fresh model (dropout on) with n_threads; returns its weights (malloc). */
static float *train_steps(int32_t n_threads, const rbp_dataset *ds, size_t *n_params, int check_allocs,
                          double losses[TSTEPS + 1])
{
    rbp_model_config c;
    assert_int_equal(rbp_model_config_init(&c, RBP_MODEL_CONFIG_VERSION), RBP_OK);
    c.seq_len = L, c.d_model = 16, c.n_heads = 2, c.n_layers = 2, c.d_ff = 32, c.head_hidden = 8;
    c.dropout = 0.2f, c.seed = 5;
    rbp_model *m = NULL;
    assert_int_equal(rbp_model_create(&m, &c), RBP_OK);
    rbp_train_config tc;
    assert_int_equal(rbp_train_config_init(&tc, RBP_TRAIN_CONFIG_VERSION), RBP_OK);
    tc.batch_size = TB, tc.eval_batch_size = 40, tc.schedule = RBP_SCHED_CONSTANT, tc.lr = 3e-3f, tc.seed = 9;
    tc.n_threads = n_threads;
    rbp_trainer *t = NULL;
    assert_int_equal(rbp_trainer_create(&t, m, &tc), RBP_OK);
    double loss = 0.0;
    uint64_t before = 0;
    for (int k = 0; k < TSTEPS; k++) {
        if (k == 1)
            before = rbp__alloc_count();
        rbp_batch b = {TB, L, rbp_dataset_tokens(ds) + (size_t)k * TB * L, rbp_dataset_mask(ds) + (size_t)k * TB * L,
                       NULL, NULL, rbp_dataset_targets(ds) + (size_t)k * TB, NULL};
        assert_int_equal(rbp_trainer_step(t, &b, &loss), RBP_OK);
        assert_true(isfinite(loss));
        losses[k] = loss;
    }
    assert_int_equal(rbp_trainer_evaluate_loss(t, ds, &loss), RBP_OK);
    losses[TSTEPS] = loss;
    if (check_allocs) /* steps and evaluation after the first step allocate nothing */
        assert_int_equal(rbp__alloc_count() - before, 0);
    *n_params = rbp_model_num_params(m);
    float *w = malloc(*n_params * sizeof(float));
    memcpy(w, rbp_model_params(m), *n_params * sizeof(float));
    rbp_trainer_free(t);
    rbp_model_free(m);
    return w;
}

/* The same (seed, thread count) gives bit-identical weights; 2 and 3 threads match 1 thread
 * up to the rounding of the summed gradients (the dropout masks are the same). */
static void test_trainer_threads(void **state)
{
    (void)state;
    static char buf[TN][L + 1];
    const char *seqs[TN];
    float y[TN];
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 17);
    for (int i = 0; i < TN; i++) {
        for (int t = 0; t < L; t++)
            buf[i][t] = "ACGU"[rbp_test_rng_u64(&r) % 4];
        buf[i][L] = '\0';
        seqs[i] = buf[i];
        y[i] = (float)(i % 2);
    }
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.length = L;
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_from_strings(&ds, seqs, y, NULL, TN, &o), RBP_OK);
    size_t n = 0;
    double ref_loss[TSTEPS + 1], la[TSTEPS + 1], lb[TSTEPS + 1];
    float *ref = train_steps(1, ds, &n, 0, ref_loss);
    const int32_t threads[] = {1, 2, 3};
    for (size_t k = 0; k < sizeof threads / sizeof threads[0]; k++) {
        float *a = train_steps(threads[k], ds, &n, threads[k] == 2, la);
        float *b = train_steps(threads[k], ds, &n, 0, lb);
        assert_memory_equal(a, b, n * sizeof(float));
        assert_memory_equal(la, lb, sizeof la);
        /* the step losses (dropout masks of the whole batch) and the evaluation loss */
        for (int i = 0; i <= TSTEPS; i++)
            assert_float_equal(la[i], ref_loss[i], 1e-5);
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double d = fabs((double)a[i] - (double)ref[i]);
            worst = d > worst ? d : worst;
        }
        printf("  %d threads: max |w - w(1 thread)| = %.2e\n", (int)threads[k], worst);
        assert_true(worst < 2e-5);
        free(a);
        free(b);
    }
    free(ref);
    rbp_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_backend_logged_once),
        cmocka_unit_test(test_no_global_side_effects),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_threads_share_one_model),
        cmocka_unit_test(test_session_threads),
        cmocka_unit_test(test_attention_per_session),
        cmocka_unit_test(test_no_allocation_after_warmup),
        cmocka_unit_test(test_split_batch),
        cmocka_unit_test(test_trainer_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
