/*
 * model/session.c - sessions: the per-thread inference state over a shared, read-only model,
 * and the dataset-level predict that shares batches out among worker threads.
 *
 * Determinism: rbp_session_predict cuts the dataset into the same batches whatever the thread
 * count, and a batch's outputs depend only on the model and the batch, so writing each
 * batch's results at its own rows gives bit-identical output for 1 or n threads.
 *
 * One batch (rbp_session_predict_batch) is split by rows among the session's threads, each
 * part run by one of them in its own workspace; rows are independent in inference, so the
 * outputs are those of the rows run alone, up to the GEMM's rounding for a different number
 * of rows (and fixed for a given thread count).
 */
#include <pthread.h>
#include <string.h>

#include "core/internal.h"
#include "core/team.h"
#include "model/model_internal.h"
#include "rbpattn/session.h"

#define MAX_THREADS 1024

rbp_status rbp_session_options_init(rbp_session_options *opt, uint32_t version)
{
    RBP_CHECK_NULL(opt);
    if (version != RBP_SESSION_OPTIONS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_session_options_init: unknown options version %u (this library has %u)",
                              (unsigned)version, (unsigned)RBP_SESSION_OPTIONS_VERSION);
    memset(opt, 0, sizeof *opt);
    opt->version = RBP_SESSION_OPTIONS_VERSION;
    opt->n_threads = 1;
    return RBP_OK;
}

static rbp_status session_new(rbp_session **out, const rbp_model *model, int32_t n_threads)
{
    rbp_session *s = rbp__calloc(1, sizeof *s);
    if (!s)
        return rbp__oom();
    s->model = model;
    s->n_threads = n_threads;
    rbp_status st = rbp__state_create(&s->st, model);
    if (st == RBP_OK && n_threads > 1) {
        s->workers = rbp__calloc((size_t)n_threads - 1, sizeof *s->workers);
        if (!s->workers)
            st = rbp__oom();
        for (int32_t i = 0; st == RBP_OK && i < n_threads - 1; i++)
            st = session_new(&s->workers[i], model, 1);
    }
    if (st != RBP_OK) {
        rbp_session_free(s);
        return st;
    }
    *out = s;
    return RBP_OK;
}

rbp_status rbp_session_create(rbp_session **out, const rbp_model *model, const rbp_session_options *opt)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(model);
    rbp_session_options defaults;
    if (!opt) {
        rbp_session_options_init(&defaults, RBP_SESSION_OPTIONS_VERSION);
        opt = &defaults;
    }
    RBP_CHECK(opt->version == RBP_SESSION_OPTIONS_VERSION, RBP_ERR_INVALID_ARG,
              "rbp_session_create: rbp_session_options.version %u is unknown (initialise them with "
              "rbp_session_options_init)",
              (unsigned)opt->version);
    RBP_CHECK(opt->n_threads >= 1 && opt->n_threads <= MAX_THREADS, RBP_ERR_INVALID_ARG,
              "rbp_session_create: rbp_session_options.n_threads (--threads) = %d, expected 1..%d",
              (int)opt->n_threads, MAX_THREADS);
    return session_new(out, model, opt->n_threads);
}

void rbp_session_free(rbp_session *s)
{
    if (!s)
        return;
    if (s->workers)
        for (int32_t i = 0; i < s->n_threads - 1; i++)
            rbp_session_free(s->workers[i]);
    rbp__free(s->workers);
    rbp__team_free(s->pool);
    rbp__state_free(s->st);
    rbp__free(s);
}

const rbp_model *rbp_session_model(const rbp_session *s)
{
    if (!s) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_session_model: argument 'session' is NULL");
        return NULL;
    }
    return s->model;
}

void rbp__batch_rows(rbp_batch *dst, const rbp_batch *src, size_t r0, size_t n)
{
    const size_t off = r0 * (size_t)src->length;
    *dst = *src;
    dst->size = (int32_t)n;
    dst->tokens = src->tokens ? src->tokens + off : NULL;
    dst->mask = src->mask ? src->mask + off : NULL;
    dst->structure = src->structure ? src->structure + off : NULL;
    dst->viewpoint = src->viewpoint ? src->viewpoint + off : NULL;
    dst->targets = src->targets ? src->targets + r0 : NULL;
    dst->index = src->index ? src->index + r0 : NULL;
}

rbp_session *rbp__session_part(const rbp_session *s, int k)
{
    return k == 0 ? (rbp_session *)s : s->workers[k - 1];
}

rbp_status rbp__session_pool(rbp_session *s, rbp__team **out)
{
    if (!s->pool)
        RBP_TRY(rbp__team_create(&s->pool, s->n_threads));
    *out = s->pool;
    return RBP_OK;
}

/* ------------------------------------------------------------------ errors of parallel parts */

void rbp__first_error_init(rbp__first_error *e)
{
    pthread_mutex_init(&e->lock, NULL);
    e->which = SIZE_MAX;
    e->st = RBP_OK;
    e->msg[0] = '\0';
}

void rbp__first_error_keep(rbp__first_error *e, size_t which, rbp_status st)
{
    pthread_mutex_lock(&e->lock);
    if (which < e->which) {
        e->which = which;
        e->st = st;
        strncpy(e->msg, rbp_last_error(), sizeof e->msg - 1);
        e->msg[sizeof e->msg - 1] = '\0';
    }
    pthread_mutex_unlock(&e->lock);
}

size_t rbp__first_error_which(rbp__first_error *e)
{
    pthread_mutex_lock(&e->lock);
    const size_t which = e->which;
    pthread_mutex_unlock(&e->lock);
    return which;
}

rbp_status rbp__first_error_end(rbp__first_error *e)
{
    pthread_mutex_destroy(&e->lock);
    if (e->which == SIZE_MAX)
        return RBP_OK;
    return rbp__set_error(e->st, "%s", e->msg);
}

/* ------------------------------------------------------------------ one batch */

typedef struct split_job {
    rbp_session *s;
    const rbp_batch *b;
    float *out;
    int logits, parts;
    const char *fn;
    rbp__first_error err;
} split_job;

static void infer_part(void *arg, int k)
{
    split_job *j = arg;
    size_t r0, n;
    rbp__team_share((size_t)j->b->size, j->parts, k, &r0, &n);
    rbp_batch sub;
    rbp__batch_rows(&sub, j->b, r0, n);
    rbp_status st = rbp__session_infer(rbp__session_part(j->s, k), &sub, r0, j->out + r0, j->logits, j->fn);
    if (st != RBP_OK)
        rbp__first_error_keep(&j->err, (size_t)k, st);
}

static rbp_status predict_batch(rbp_session *s, const rbp_batch *batch, float *out, int logits, const char *fn)
{
    RBP_CHECK(batch != NULL, RBP_ERR_INVALID_ARG, "%s: argument 'batch' is NULL", fn);
    RBP_CHECK(out != NULL, RBP_ERR_INVALID_ARG, "%s: argument 'out' is NULL", fn);
    const int parts = batch->size < s->n_threads ? (int)batch->size : (int)s->n_threads;
    if (parts <= 1)
        return rbp__session_infer(s, batch, 0, out, logits, fn);
    rbp__team *pool;
    RBP_TRY(rbp__session_pool(s, &pool));
    /* every part's workspace is sized here, on the calling thread (the only allocations) */
    for (int k = 0; k < parts; k++) {
        size_t r0, n;
        rbp__team_share((size_t)batch->size, parts, k, &r0, &n);
        RBP_TRY(rbp__session_reserve_infer(rbp__session_part(s, k), (int32_t)n));
    }
    split_job j;
    memset(&j, 0, sizeof j);
    j.s = s, j.b = batch, j.out = out, j.logits = logits, j.parts = parts, j.fn = fn;
    rbp__first_error_init(&j.err);
    rbp__team_run(pool, parts, infer_part, &j);
    if (rbp__first_error_end(&j.err) != RBP_OK) {
        rbp__session_forget(s);
        return j.err.st;
    }
    s->split = parts;
    s->split_rows = batch->size;
    return RBP_OK;
}

rbp_status rbp_session_predict_batch(rbp_session *session, const rbp_batch *batch, float *out)
{
    RBP_CHECK_NULL(session);
    return predict_batch(session, batch, out, 0, "rbp_session_predict_batch");
}

rbp_status rbp_session_predict_batch_logits(rbp_session *session, const rbp_batch *batch, float *out)
{
    RBP_CHECK_NULL(session);
    return predict_batch(session, batch, out, 1, "rbp_session_predict_batch_logits");
}

/* ------------------------------------------------------------------ a whole dataset */

typedef struct job {
    const uint8_t *tokens, *mask, *structure, *viewpoint;
    size_t n, bs, n_batches;
    int32_t L;
    float *out;
    int logits;
    size_t threads;          /* thread t runs batches n_batches - 1 - t - i * threads */
    rbp__first_error err;    /* of the lowest failing batch */
} job;

typedef struct worker {
    job *j;
    rbp_session *s;
    size_t t; /* the thread's index; 0 = the caller */
} worker;

/* Run batch k of the job in session s; a failure is kept if it is the lowest so far. */
static void run_batch(job *j, rbp_session *s, size_t k)
{
    const size_t i0 = k * j->bs;
    const size_t B = j->n - i0 < j->bs ? j->n - i0 : j->bs;
    const size_t off = i0 * (size_t)j->L;
    rbp_batch b = {(int32_t)B,
                   j->L,
                   j->tokens + off,
                   j->mask + off,
                   j->structure ? j->structure + off : NULL,
                   j->viewpoint ? j->viewpoint + off : NULL,
                   NULL,
                   NULL};
    rbp_status st = rbp__session_infer(s, &b, 0, j->out + i0, j->logits, "forward pass");
    if (st != RBP_OK)
        rbp__first_error_keep(&j->err, k, st);
}

/* Thread t's batches, in increasing order: n_batches - 1 - t, minus multiples of the thread
 * count. Every thread gets the same number of batches, give or take one, so none idles while
 * another runs two (a shared counter with the last batch kept for the caller left one thread
 * idle for a third of the time with 4 batches on 2), and the caller (t = 0) ends with the
 * dataset's last batch, so that its session keeps that pass as a single-thread run does. A
 * batch above a failed one is skipped; one below always runs, so the failure kept (the lowest
 * batch) is the same on every run. */
static void run_batches(job *j, rbp_session *s, size_t t)
{
    if (t >= j->n_batches)
        return;
    for (size_t k = (j->n_batches - 1 - t) % j->threads; k < j->n_batches; k += j->threads)
        if (k < rbp__first_error_which(&j->err)) /* one lock a batch */
            run_batch(j, s, k);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    run_batches(w->j, w->s, w->t);
    return NULL;
}

rbp_status rbp__session_predict_rows(rbp_session *s, const uint8_t *tokens, const uint8_t *mask,
                                     const uint8_t *structure, const uint8_t *viewpoint, size_t n, int32_t L,
                                     int32_t batch_size, float *out, int logits, const char *fn)
{
    job j;
    memset(&j, 0, sizeof j);
    j.tokens = tokens;
    j.mask = mask;
    j.structure = structure;
    j.viewpoint = viewpoint;
    j.n = n;
    j.bs = (size_t)batch_size;
    j.L = L;
    j.out = out;
    j.logits = logits;

    /* no more threads than batches */
    j.n_batches = (j.n + j.bs - 1) / j.bs;
    size_t n_extra = (size_t)s->n_threads - 1;
    if (n_extra + 1 > j.n_batches)
        n_extra = j.n_batches > 0 ? j.n_batches - 1 : 0;
    j.threads = n_extra + 1;
    /* Size every workspace that may take a batch here, before any thread starts (a thread that
     * cannot start leaves its share to the caller), and a later call must allocate nothing. */
    const int32_t B_max = j.n < j.bs ? (int32_t)j.n : batch_size;
    for (size_t i = 0; B_max > 0 && i < n_extra; i++)
        RBP_TRY(rbp__session_reserve_infer(s->workers[i], B_max));
    if (B_max > 0)
        RBP_TRY(rbp__session_reserve_infer(s, B_max));
    rbp__first_error_init(&j.err);
    pthread_t tid[MAX_THREADS];
    worker w[MAX_THREADS];
    size_t started = 0, orphans[MAX_THREADS], n_orphans = 0;
    for (size_t i = 0; i < n_extra; i++) {
        w[started].j = &j;
        w[started].s = s->workers[i];
        w[started].t = i + 1;
        if (pthread_create(&tid[started], NULL, worker_main, &w[started]) == 0)
            started++;
        else
            orphans[n_orphans++] = i + 1;
    }
    /* the shares of threads that did not start, then the caller's own, which ends with the
     * last batch */
    for (size_t i = 0; i < n_orphans; i++)
        run_batches(&j, s, orphans[i]);
    run_batches(&j, s, 0);
    for (size_t i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    if (j.n_batches == 0)
        rbp__session_forget(s);
    if (rbp__first_error_end(&j.err) != RBP_OK) {
        const size_t i0 = j.err.which * j.bs, last = i0 + j.bs < j.n ? i0 + j.bs - 1 : j.n - 1;
        return rbp__wrap_error(j.err.st, "%s: batch at rows %zu..%zu", fn, i0, last);
    }
    return RBP_OK;
}

static rbp_status predict_dataset(rbp_session *s, const rbp_dataset *ds, int32_t batch_size, float *out,
                                  int logits, const char *fn)
{
    RBP_CHECK(ds != NULL, RBP_ERR_INVALID_ARG, "%s: argument 'ds' is NULL", fn);
    RBP_CHECK(out != NULL, RBP_ERR_INVALID_ARG, "%s: argument 'out' is NULL", fn);
    RBP_CHECK(batch_size >= 1, RBP_ERR_INVALID_ARG, "%s: batch_size = %d, expected >= 1", fn, (int)batch_size);
    rbp_model_config cfg;
    RBP_TRY(rbp_model_get_config(s->model, &cfg));
    const int32_t L = rbp_dataset_length(ds);
    RBP_CHECK(L == cfg.seq_len, RBP_ERR_SHAPE,
              "%s: the dataset's length is %d but the model's (rbp_model_config.seq_len) is %d", fn, (int)L,
              (int)cfg.seq_len);
    RBP_CHECK(!cfg.use_structure || rbp_dataset_structure(ds), RBP_ERR_INVALID_ARG,
              "%s: the model uses structure but the dataset has no structure channel", fn);
    return rbp__session_predict_rows(s, rbp_dataset_tokens(ds), rbp_dataset_mask(ds), rbp_dataset_structure(ds),
                                     rbp_dataset_viewpoint(ds), rbp_dataset_size(ds), L, batch_size, out, logits,
                                     fn);
}

rbp_status rbp_session_predict(rbp_session *session, const rbp_dataset *ds, int32_t batch_size, float *out)
{
    RBP_CHECK_NULL(session);
    return predict_dataset(session, ds, batch_size, out, 0, "rbp_session_predict");
}

rbp_status rbp_session_predict_logits(rbp_session *session, const rbp_dataset *ds, int32_t batch_size, float *out)
{
    RBP_CHECK_NULL(session);
    return predict_dataset(session, ds, batch_size, out, 1, "rbp_session_predict_logits");
}
