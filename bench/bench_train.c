/*
 * bench_train.c - training and inference throughput of rbpattn on the protocol of the
 * PyTorch peer (../shared/peers/torch_ref.py), so the two can be run side by side:
 * synthetic uniform-ACGU sequences with UGCAUG planted 1..3 times in half of them, n_train
 * sequences per epoch in full batches with Adam(0.9, 0.98, 1e-9) and the warmup schedule,
 * 1 untimed warm-up epoch then `epochs` timed epochs (median seq/s), then inference over
 * n_test sequences in batches of infer_batch, 1 untimed + infer_reps timed passes (median).
 * Prints one JSON line (for bench/run_vs_torch.sh) and a human-readable summary on stderr.
 *
 *   bench_train [-L 101] [-d 64] [--heads 4] [--layers 2] [--d-ff 256] [--batch 64]
 *               [--threads 1] [--epochs 5] [--n-train 4096] [--n-test 4096]
 *               [--infer-batch 256] [--infer-reps 5] [--dropout 0.1] [--seed 1]
 *               [--conv-kernel 0] [--pooling flatten|mean|max] [--head-hidden 64]
 * --threads N runs the trainer's steps and the session's batches on N threads (each takes a
 * share of a batch's rows) with the BLAS at one thread.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <rbpattn/rbpattn.h>

#include "bench_util.h"

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 33) % n;
}

/* Synthetic planted-motif sequences as torch_ref.py makes them. */
static void synthetic(char **seqs, float *y, int n, int L)
{
    static const char bases[] = "ACGU";
    const char *motif = "UGCAUG";
    int m = (int)strlen(motif);
    for (int i = 0; i < n; i++) {
        char *s = seqs[i];
        for (int t = 0; t < L; t++)
            s[t] = bases[rnd(4)];
        s[L] = '\0';
        if (rnd(2)) {
            int k = 1 + (int)rnd(3);
            for (int j = 0; j < k; j++)
                memcpy(s + rnd((uint32_t)(L - m + 1)), motif, (size_t)m);
        }
        y[i] = strstr(s, motif) ? 1.0f : 0.0f;
    }
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_train: %s: %s\n", what, rbp_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    int L = 101, d = 64, heads = 4, layers = 2, dff = 256, batch = 64, threads = 1, epochs = 5;
    int n_train = 4096, n_test = 4096, infer_batch = 256, infer_reps = 5, conv_kernel = 0, head_hidden = 64, stem_pool = 0;
    const char *pooling = "flatten";
    double dropout = 0.1;
    unsigned long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench_train: option %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "-L")) L = atoi(v);
        else if (!strcmp(a, "-d")) d = atoi(v);
        else if (!strcmp(a, "--heads")) heads = atoi(v);
        else if (!strcmp(a, "--layers")) layers = atoi(v);
        else if (!strcmp(a, "--d-ff")) dff = atoi(v);
        else if (!strcmp(a, "--batch")) batch = atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--epochs")) epochs = atoi(v);
        else if (!strcmp(a, "--n-train")) n_train = atoi(v);
        else if (!strcmp(a, "--n-test")) n_test = atoi(v);
        else if (!strcmp(a, "--infer-batch")) infer_batch = atoi(v);
        else if (!strcmp(a, "--infer-reps")) infer_reps = atoi(v);
        else if (!strcmp(a, "--dropout")) dropout = atof(v);
        else if (!strcmp(a, "--seed")) seed = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--conv-kernel")) conv_kernel = atoi(v);
        else if (!strcmp(a, "--stem-pool")) stem_pool = atoi(v);
        else if (!strcmp(a, "--head-hidden")) head_hidden = atoi(v);
        else if (!strcmp(a, "--pooling")) pooling = v;
        else {
            fprintf(stderr, "bench_train: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (epochs < 1 || infer_reps < 1 || n_train < batch || n_test < 1) {
        fprintf(stderr, "bench_train: need epochs >= 1, infer-reps >= 1, n-train >= batch, n-test >= 1\n");
        return 2;
    }
    if (rbp_set_num_threads(1) != RBP_OK)
        return fail("threads");
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;

    int n_all = n_train + n_test;
    char **seqs = malloc((size_t)n_all * sizeof *seqs);
    float *y = malloc((size_t)n_all * sizeof *y);
    float *pred = malloc((size_t)n_test * sizeof *pred);
    double *tr = malloc((size_t)epochs * sizeof *tr), *inf = malloc((size_t)infer_reps * sizeof *inf);
    if (!seqs || !y || !pred || !tr || !inf)
        return 1;
    for (int i = 0; i < n_all; i++)
        if (!(seqs[i] = malloc((size_t)L + 1)))
            return 1;
    synthetic(seqs, y, n_all, L);

    rbp_dataset_options dopt;
    rbp_dataset_options_init(&dopt, RBP_DATASET_OPTIONS_VERSION);
    dopt.length = L;
    rbp_dataset *train = NULL, *test = NULL;
    if (rbp_dataset_from_strings(&train, (const char *const *)seqs, y, NULL, (size_t)n_train, &dopt) != RBP_OK)
        return fail("train data");
    if (rbp_dataset_from_strings(&test, (const char *const *)seqs + n_train, y + n_train, NULL, (size_t)n_test,
                                 &dopt) != RBP_OK)
        return fail("test data");

    rbp_model_config mc;
    rbp_model_config_init(&mc, RBP_MODEL_CONFIG_VERSION);
    mc.seq_len = L, mc.d_model = d, mc.n_heads = heads, mc.n_layers = layers, mc.d_ff = dff;
    mc.dropout = (float)dropout, mc.seed = seed;
    mc.conv_kernel = conv_kernel, mc.head_hidden = head_hidden, mc.stem_pool = stem_pool;
    mc.pooling = !strcmp(pooling, "mean") ? RBP_POOL_MEAN : !strcmp(pooling, "max") ? RBP_POOL_MAX : RBP_POOL_FLATTEN;
    rbp_model *model = NULL;
    if (rbp_model_create(&model, &mc) != RBP_OK)
        return fail("model");
    rbp_train_config tc;
    rbp_train_config_init(&tc, RBP_TRAIN_CONFIG_VERSION);
    tc.batch_size = batch, tc.seed = seed, tc.n_threads = threads;
    rbp_trainer *trainer = NULL;
    if (rbp_trainer_create(&trainer, model, &tc) != RBP_OK)
        return fail("trainer");
    rbp_batcher *bt = NULL;
    if (rbp_batcher_create(&bt, train, batch, 1, 1, seed) != RBP_OK) /* full batches only, as the peer */
        return fail("batcher");

    double first_loss = NAN, last_loss = NAN;
    for (int e = 0; e < 1 + epochs; e++) {
        rbp_batcher_reset(bt, e);
        rbp_batch b;
        int32_t r;
        int seen = 0;
        double tot = 0;
        double t0 = bench_now();
        while ((r = rbp_batcher_next(bt, &b)) == 1) {
            double loss;
            if (rbp_trainer_step(trainer, &b, &loss) != RBP_OK)
                return fail("step");
            seen += b.size;
            tot += loss * b.size;
        }
        if (r < 0)
            return fail("batcher");
        double dt = bench_now() - t0;
        if (e == 0)
            first_loss = tot / seen;
        last_loss = tot / seen;
        if (e > 0)
            tr[e - 1] = seen / dt;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru); /* peak of the training phase (data, model, trainer) */
    const double train_rss = ru.ru_maxrss / 1024.0;
    rbp_session *session = NULL;
    rbp_session_options so;
    rbp_session_options_init(&so, RBP_SESSION_OPTIONS_VERSION);
    so.n_threads = threads;
    if (rbp_session_create(&session, model, &so) != RBP_OK)
        return fail("session");
    for (int r = 0; r < 1 + infer_reps; r++) {
        double t0 = bench_now();
        if (rbp_session_predict(session, test, infer_batch, pred) != RBP_OK)
            return fail("predict");
        double dt = bench_now() - t0;
        if (r > 0)
            inf[r - 1] = n_test / dt;
    }
    double auc = NAN;
    rbp_metric_roc_auc(pred, y + n_train, (size_t)n_test, &auc);
    getrusage(RUSAGE_SELF, &ru);
    double train_med = bench_median(tr, epochs), infer_med = bench_median(inf, infer_reps);
    printf("{\"impl\": \"rbpattn\", \"threads\": %d, \"train_seq_per_s\": %.1f, \"infer_seq_per_s\": %.1f, "
           "\"test_auc\": %.4f, \"loss_first_last\": [%.4f, %.4f], \"train_peak_rss_mib\": %.1f, \"peak_rss_mib\": %.1f, "
           "\"params\": %zu, \"config\": {\"L\": %d, \"d\": %d, \"h\": %d, \"layers\": %d, \"d_ff\": %d, "
           "\"batch\": %d, \"conv_kernel\": %d, \"stem_pool\": %d, \"pooling\": \"%s\", \"head_hidden\": %d}}\n",
           threads, train_med, infer_med, auc, first_loss, last_loss, train_rss, ru.ru_maxrss / 1024.0, rbp_model_num_params(model),
           L, d, heads, layers, dff, batch, conv_kernel, stem_pool, pooling, head_hidden);
    fprintf(stderr, "rbpattn %s: train %.1f seq/s, infer %.1f seq/s (medians), test AUC %.3f, params %zu\n",
            rbp_version_string(), train_med, infer_med, auc, rbp_model_num_params(model));

    rbp_batcher_free(bt);
    rbp_trainer_free(trainer);
    rbp_session_free(session);
    rbp_model_free(model);
    rbp_dataset_free(train);
    rbp_dataset_free(test);
    for (int i = 0; i < n_all; i++)
        free(seqs[i]);
    free(seqs), free(y), free(pred), free(tr), free(inf);
    return 0;
}
