/*
 * bench_model.c - throughput of the model's training step (forward + backward + a plain SGD
 * update; the optimizer proper lives in src/train) and of inference, on random data, plus an
 * optional per-component profile of one forward and backward pass at the same shapes.
 *
 * Usage: bench_model [-L 101] [-d 64] [--heads 4] [--layers 2] [--d-ff 256] [-B 64]
 *                    [--infer-batch 256] [--reps 7] [--steps 10] [--threads 1] [--dropout 0.1]
 *                    [--norm post|pre] [--act relu|gelu] [--pool flatten|mean|max] [--profile]
 * Prints the median over --reps repetitions (each of --steps steps or batches) in sequences/s.
 * Reference (peers/torch_ref.py, same machine, 1 thread, with Adam): ~400 train, ~1160 infer.
 *
 * Measured on the 2-core development VM (Xeon model 207, OpenBLAS 0.3.21, which does not know
 * this CPU and falls back to its SSE3 kernels), L=101 d=64 heads=4 layers=2 d_ff=256, batch
 * 64, 1 thread, median of 7:
 *   default (built-in AVX-512 GEMM)     train 832 seq/s, infer 2443 (batch 64) / 1976 (256)
 *   RBP_GEMM=blas (Prescott kernels)    train 326 seq/s, infer  926 (batch 64) /  898 (256)
 *   OPENBLAS_CORETYPE=SkylakeX          train 843 seq/s, infer 2565 (batch 64) / 2228 (256)
 * The machine is shared; figures vary by +-15% from run to run.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rbpattn/rbpattn.h>

#include "bench_util.h"
#include "layers/layers.h"
#include "model/model_internal.h"

/* after bench_median(): the array is sorted */
static double best(const double *x, int n)
{
    return x[n - 1];
}

static void die(const char *what)
{
    fprintf(stderr, "bench_model: %s: %s\n", what, rbp_last_error());
    exit(1);
}

typedef struct {
    uint8_t *tokens, *mask;
    float *targets;
    rbp_batch batch;
} data;

/* random ACGU sequences; every fourth one is padded after 80% of its length */
static void make_data(data *d, int B, int L, uint64_t seed)
{
    d->tokens = malloc((size_t)B * L);
    d->mask = malloc((size_t)B * L);
    d->targets = malloc(sizeof(float) * (size_t)B);
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int b = 0; b < B; b++) {
        int real = b % 4 == 3 ? L * 4 / 5 : L;
        for (int t = 0; t < L; t++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            d->tokens[(size_t)b * L + t] = t < real ? (uint8_t)(s % 4) : RBP_TOK_PAD;
            d->mask[(size_t)b * L + t] = t < real;
        }
        d->targets[b] = (float)(b % 2);
    }
    d->batch = (rbp_batch){B, L, d->tokens, d->mask, NULL, NULL, d->targets, NULL};
}

static void free_data(data *d)
{
    free(d->tokens);
    free(d->mask);
    free(d->targets);
}

/* one training step: forward, BCE gradient, backward, SGD */
static void train_step(rbp_model *m, rbp_session *ss, const rbp_batch *b, float *logits, float *dl, uint64_t step)
{
    const int B = b->size;
    rbp__session_zero_grad(ss);
    if (rbp__model_forward(ss, b, 1, 1234, step, logits) != RBP_OK)
        die("forward");
    for (int i = 0; i < B; i++) {
        float p = 1.0f / (1.0f + expf(-logits[i]));
        dl[i] = (p - b->targets[i]) / (float)B;
    }
    if (rbp__model_backward(ss, dl) != RBP_OK)
        die("backward");
    float *w = rbp_model_params(m);
    const float *g = rbp__session_grads(ss);
    const size_t n = rbp_model_num_params(m);
    for (size_t i = 0; i < n; i++)
        w[i] -= 1e-3f * g[i];
}

/* ------------------------------------------------------------------ profile */

/* Times each component of one forward and backward pass at the model's shapes, using the layer
 * functions directly on scratch buffers (the model's own pass is the sum of these). */
static void profile(const rbp_model_config *c, int B, int reps)
{
    const int L = c->seq_len, C = c->d_model, NH = c->n_heads, F = c->d_ff, H = c->head_hidden;
    const size_t N = (size_t)B * L, NC = N * C, NF = N * F, NS = rbp__mha_scratch_floats(L, C, NH);
    const size_t NK = rbp__mha_kept_floats(B, L, NH);
    const int P = c->pooling == RBP_POOL_FLATTEN ? L * C : C;
    const float p = c->dropout;
    float *buf[32];
    size_t sizes[32] = {NC, NC, 3 * NC, NS, NK ? NK : 1, NC, NC, NC, NF, NF, NC, NC, NC, 3 * NC, NS, NC, NF,
                        (size_t)3 * C * C + 3 * C, (size_t)C * C + C, (size_t)F * C + F, (size_t)C * F + C,
                        (size_t)H * P + H, (size_t)H + 1, N, N, (size_t)B * H, (size_t)B * H, NC};
    for (int i = 0; i < 28; i++) {
        buf[i] = calloc(sizes[i], sizeof(float));
        for (size_t k = 0; k < sizes[i]; k++)
            buf[i][k] = 0.01f * (float)((k * 2654435761u) % 200) - 1.0f;
    }
    float *x = buf[0], *out = buf[1];
    rbp__mha_acts ma = {buf[2], NK ? buf[4] : NULL, buf[5], buf[3]};
    rbp__mha_scratch ms = {buf[13], buf[15], buf[14]};
    rbp__ffn_acts fa = {buf[8], c->activation == RBP_ACT_GELU ? buf[9] : NULL};
    float *qkv = buf[17], *proj = buf[18], *fc = buf[19], *fcp = buf[20], *h1 = buf[21], *h2 = buf[22];
    rbp__mha_weights mw = {qkv, qkv + 3 * C * C, proj, proj + C * C};
    rbp__mha_grads mg = {qkv, qkv + 3 * C * C, proj, proj + C * C}; /* values do not matter here */
    rbp__ffn_weights fw = {fc, fc + F * C, fcp, fcp + C * F};
    rbp__ffn_grads fg = {fc, fc + F * C, fcp, fcp + C * F};
    rbp__head_weights hw = {h1, h1 + (size_t)H * P, h2, h2 + H};
    rbp__head_grads hg = {h1, h1 + (size_t)H * P, h2, h2 + H};
    rbp__head_acts ha = {buf[10], (int32_t *)(void *)buf[11], buf[25]};
    rbp__head_scratch hsc = {buf[26], buf[12]};
    uint8_t *mask = malloc(N);
    for (size_t i = 0; i < N; i++)
        mask[i] = (i % (size_t)L) < (size_t)(L - (int)(i / (size_t)L) % 3);
    float logits[4096], dl[4096];
    for (int i = 0; i < B && i < 4096; i++)
        dl[i] = 0.01f;

    const int n_items = 10;
    const char *names[10] = {"fwd qkv+fused attention+proj (mha)", "  fwd qkv projection", "fwd ffn",
                             "fwd layernorm", "fwd dropout (N*C)", "fwd head", "bwd mha", "bwd ffn", "bwd layernorm", "bwd head"};
    double t[10];
    for (int i = 0; i < 10; i++)
        t[i] = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        rbp__mha_forward(out, &ma, x, mask, &mw, B, L, C, NH, p, 1, 1, 0);
        double t1 = bench_now();
        rbp__matmul_forward(ma.qkv, x, mw.qkvw, mw.qkvb, (int)N, C, 3 * C);
        double t2 = bench_now();
        rbp__ffn_forward(out, &fa, x, &fw, (int)N, C, F, c->activation == RBP_ACT_GELU ? RBP__ACT_GELU : RBP__ACT_RELU);
        double t6 = bench_now();
        rbp__layernorm_forward(out, buf[23], buf[24], x, fc, fc, (int)N, C, 1e-6f);
        double t7 = bench_now();
        rbp__dropout_forward(out, out, NC, p > 0 ? p : 0.1f, 1, 2);
        double t8 = bench_now();
        rbp__head_forward(logits, &ha, x, mask, &hw, B, L, C, H, (rbp__pool)c->pooling);
        double t9 = bench_now();
        rbp__mha_forward(out, &ma, x, mask, &mw, B, L, C, NH, p, 1, 1, 0);
        double t10 = bench_now();
        rbp__mha_backward(buf[27], &mg, &ms, out, &ma, x, mask, &mw, B, L, C, NH, p, 1, 1, 0);
        double t11 = bench_now();
        rbp__ffn_forward(out, &fa, x, &fw, (int)N, C, F, c->activation == RBP_ACT_GELU ? RBP__ACT_GELU : RBP__ACT_RELU);
        double t12 = bench_now();
        rbp__ffn_backward(buf[27], &fg, buf[16], out, &fa, x, &fw, (int)N, C, F,
                          c->activation == RBP_ACT_GELU ? RBP__ACT_GELU : RBP__ACT_RELU);
        double t13 = bench_now();
        rbp__layernorm_backward(buf[27], fc, fc, out, x, fc, buf[23], buf[24], (int)N, C);
        double t14 = bench_now();
        rbp__head_forward(logits, &ha, x, mask, &hw, B, L, C, H, (rbp__pool)c->pooling);
        double t15 = bench_now();
        rbp__head_backward(buf[27], &hg, &hsc, dl, &ha, x, mask, &hw, B, L, C, H, (rbp__pool)c->pooling);
        double t16 = bench_now();
        double d[10] = {t1 - t0, t2 - t1, t6 - t2, t7 - t6, t8 - t7, t9 - t8,
                        t11 - t10, t13 - t12, t14 - t13, t16 - t15};
        (void)t10;
        (void)t12;
        (void)t15;
        for (int i = 0; i < n_items; i++)
            t[i] = d[i] < t[i] ? d[i] : t[i]; /* the minimum: the machine may be shared */
    }
    printf("\nprofile (batch %d, ms per call, best of %d; a model step = layers x (mha + ffn + 2 LN + "
           "3 dropouts) + head):\n",
           B, reps);
    for (int i = 0; i < n_items; i++)
        printf("  %-40s %8.3f ms\n", names[i], 1e3 * t[i]);
    for (int i = 0; i < 28; i++)
        free(buf[i]);
    free(mask);
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    rbp_model_config cfg;
    rbp_model_config_init(&cfg, RBP_MODEL_CONFIG_VERSION);
    int B = 64, infer_B = 256, reps = 7, steps = 10, threads = 1, do_profile = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && v && ++i)
        if (ARG("-L"))
            cfg.seq_len = atoi(v);
        else if (ARG("-d"))
            cfg.d_model = atoi(v);
        else if (ARG("--heads"))
            cfg.n_heads = atoi(v);
        else if (ARG("--layers"))
            cfg.n_layers = atoi(v);
        else if (ARG("--d-ff"))
            cfg.d_ff = atoi(v);
        else if (ARG("-B"))
            B = atoi(v);
        else if (ARG("--infer-batch"))
            infer_B = atoi(v);
        else if (ARG("--reps"))
            reps = atoi(v);
        else if (ARG("--steps"))
            steps = atoi(v);
        else if (ARG("--threads"))
            threads = atoi(v);
        else if (ARG("--dropout"))
            cfg.dropout = (float)atof(v);
        else if (ARG("--norm"))
            cfg.norm = !strcmp(v, "pre") ? RBP_NORM_PRE : RBP_NORM_POST;
        else if (ARG("--act"))
            cfg.activation = !strcmp(v, "gelu") ? RBP_ACT_GELU : RBP_ACT_RELU;
        else if (ARG("--pool"))
            cfg.pooling = !strcmp(v, "mean") ? RBP_POOL_MEAN : !strcmp(v, "max") ? RBP_POOL_MAX : RBP_POOL_FLATTEN;
        else if (!strcmp(a, "--profile"))
            do_profile = 1;
        else {
            fprintf(stderr, "usage: see the comment at the top of bench/bench_model.c (bad argument '%s')\n", a);
            return 2;
        }
#undef ARG
    }
    if (reps < 1 || steps < 1 || B < 1 || infer_B < 1 || rbp_set_num_threads(threads) != RBP_OK) {
        fprintf(stderr, "bench_model: bad --reps/--steps/-B/--threads\n");
        return 2;
    }
    rbp_model *m;
    if (rbp_model_create(&m, &cfg) != RBP_OK)
        die("rbp_model_create");
    printf("GEMM: %s; BLAS kernels: %s%s\n", rbp_gemm_backend(), rbp__blas_corename(),
           rbp__blas_check() ? " (slow fallback: set OPENBLAS_CORETYPE=SkylakeX or Haswell)" : "");
    printf("config: L=%d d=%d heads=%d layers=%d d_ff=%d head_hidden=%d dropout=%.2f %s %s %s, batch %d, "
           "threads %d, params %zu\n",
           cfg.seq_len, cfg.d_model, cfg.n_heads, cfg.n_layers, cfg.d_ff, cfg.head_hidden, cfg.dropout,
           cfg.norm == RBP_NORM_PRE ? "pre-norm" : "post-norm", cfg.activation == RBP_ACT_GELU ? "gelu" : "relu",
           cfg.pooling == RBP_POOL_FLATTEN ? "flatten" : cfg.pooling == RBP_POOL_MEAN ? "mean" : "max", B, threads,
           rbp_model_num_params(m));

    data d, di;
    make_data(&d, B, cfg.seq_len, 1);
    make_data(&di, infer_B, cfg.seq_len, 2);
    float *logits = malloc(sizeof(float) * (size_t)(B > infer_B ? B : infer_B)), *dl = malloc(sizeof(float) * (size_t)B);
    double *sps = malloc(sizeof(double) * (size_t)reps);

    /* training: forward + backward + SGD; the first steps are warm-up (workspace, caches) */
    rbp_session *ss = NULL;
    if (rbp_session_create(&ss, m, NULL) != RBP_OK || rbp__session_reserve(ss, B) != RBP_OK)
        die("reserve");
    uint64_t step = 0;
    for (int s = 0; s < 3; s++)
        train_step(m, ss, &d.batch, logits, dl, step++);
    uint64_t allocs = rbp__alloc_count();
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        for (int s = 0; s < steps; s++)
            train_step(m, ss, &d.batch, logits, dl, step++);
        sps[r] = (double)steps * B / (bench_now() - t0);
    }
    allocs = rbp__alloc_count() - allocs;
    double train = bench_median(sps, reps);
    printf("train (fwd+bwd+SGD, batch %d): %8.1f seq/s  (median of %d x %d steps, best %.1f; %.2f ms/step; "
           "%llu allocations)\n",
           B, train, reps, steps, best(sps, reps), 1e3 * B / train, (unsigned long long)allocs);

    /* inference */
    const int ib[2] = {B, infer_B};
    for (int k = 0; k < 2; k++) {
        rbp_batch b = di.batch;
        b.size = ib[k];
        if (ib[k] > infer_B)
            continue;
        if (rbp_session_predict_batch(ss, &b, logits) != RBP_OK)
            die("predict");
        uint64_t a0 = rbp__alloc_count();
        for (int r = 0; r < reps; r++) {
            double t0 = bench_now();
            for (int s = 0; s < steps; s++)
                if (rbp_session_predict_batch(ss, &b, logits) != RBP_OK)
                    die("predict");
            sps[r] = (double)steps * b.size / (bench_now() - t0);
        }
        a0 = rbp__alloc_count() - a0;
        double inf = bench_median(sps, reps);
        printf("infer (predict_batch, batch %d):  %8.1f seq/s  (best %.1f; %.2f ms/batch; %llu allocations)\n",
               b.size, inf, best(sps, reps), 1e3 * b.size / inf, (unsigned long long)a0);
    }
    if (do_profile)
        profile(&cfg, B, reps * 2);
    free(logits);
    free(dl);
    free(sps);
    free_data(&d);
    free_data(&di);
    rbp_session_free(ss);
    rbp_model_free(m);
    return 0;
}
