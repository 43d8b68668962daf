/*
 * test_kernels.c - every kernel of src/kernels against a naive double-precision reference
 * written here, every backward against central finite differences, plus the properties the
 * model relies on: softmax rows sum to 1 with masked keys exactly 0, dropout masks that are
 * reproducible and keep 1-p of the elements, a stateless RNG, scatter-add embeddings.
 *
 * Shapes are deliberately odd (1, 7, 13, 101, non-multiples of 8/16) so that vector tails and
 * blocking edges are exercised.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "gradcheck.h"
#include "kernels/fastmath.h"
#include "kernels/kernels.h"

/* ------------------------------------------------------------------ helpers */

static float *falloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

static float *frand(rbp_test_rng *r, size_t n, float lo, float hi)
{
    float *p = falloc(n);
    rbp_test_fill_uniform(r, p, n, lo, hi);
    return p;
}

/* ------------------------------------------------------------------ GEMM */

/* C = alpha op(A) op(B) + beta C in double; the reference for rbp__sgemm_rm */
static void sgemm_naive(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                        int ldb, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0.0;
            for (int k = 0; k < K; k++) {
                double a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                double b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                s += a * b;
            }
            double c = beta == 0.0f ? 0.0 : (double)beta * C[(size_t)i * ldc + j];
            C[(size_t)i * ldc + j] = (float)(alpha * s + c);
        }
}

/* out (N,OC) = inp (N,C) @ weight (OC,C)^T + bias, double accumulation (the llm.c naive kernel) */
static void matmul_forward_naive(float *out, const float *inp, const float *weight, const float *bias, int N, int C,
                                 int OC)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double s = bias ? bias[o] : 0.0;
            for (int c = 0; c < C; c++)
                s += (double)inp[(size_t)n * C + c] * weight[(size_t)o * C + c];
            out[(size_t)n * OC + o] = (float)s;
        }
}

static void test_sgemm_vs_naive(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 11);
    const int shapes[][3] = {{1, 1, 1}, {7, 13, 101}, {13, 1, 7}, {101, 17, 9}, {33, 65, 16}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                /* leading dimensions larger than the logical width (sub-matrix views) */
                const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 5;
                const int arows = ta ? K : M, brows = tb ? N : K;
                float *A = frand(&r, (size_t)arows * lda, -1, 1), *B = frand(&r, (size_t)brows * ldb, -1, 1);
                float *C1 = frand(&r, (size_t)M * ldc, -1, 1), *C2 = falloc((size_t)M * ldc);
                memcpy(C2, C1, (size_t)M * ldc * sizeof(float));
                rbp__sgemm_rm(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, 0.5f, C1, ldc);
                sgemm_naive(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, 0.5f, C2, ldc);
                assert_tensor_close(C1, C2, (size_t)M * ldc, 1e-5, 1e-5);
                /* beta = 0 ignores C, even NaN */
                for (size_t i = 0; i < (size_t)M * ldc; i++)
                    C1[i] = NAN;
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++)
                        C1[(size_t)i * ldc + j] = NAN;
                sgemm_naive(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C2, ldc);
                rbp__sgemm_rm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C1, ldc);
                for (int i = 0; i < M; i++)
                    assert_tensor_close(C1 + (size_t)i * ldc, C2 + (size_t)i * ldc, (size_t)N, 1e-5, 1e-5);
                free(A);
                free(B);
                free(C1);
                free(C2);
            }
}

static void test_sgemm_builtin(void **state)
{
    (void)state;
    /* the built-in kernels (used when the BLAS runs a slow fallback) against the naive GEMM,
     * on shapes that cover every edge: ragged M and N tiles, N <= 16 (narrow kernel), K above
     * the K block (the later blocks accumulate onto the first one's beta), transposes, and
     * leading dimensions larger than the rows */
    printf("  built-in GEMM ISA: %d, rbp__sgemm_rm uses: %s\n", rbp__sgemm_builtin_isa(), rbp_gemm_backend());
    float one = 1.0f, c = 0.0f;
    if (!rbp__sgemm_builtin_isa()) {
        assert_int_equal(rbp__sgemm_builtin(0, 0, 1, 1, 1, 1.0f, &one, 1, &one, 1, 0.0f, &c, 1), 0);
        skip();
    }
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 21);
    const int shapes[][3] = {{1, 1, 1},   {7, 13, 101}, {13, 16, 5},  {101, 101, 16}, {101, 16, 101},
                             {33, 65, 300}, {9, 32, 129}, {64, 64, 517}, {25, 48, 64},  {6, 17, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int bz = 0; bz < 2; bz++) {
                    const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                    const int lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 3, ldc = N + 2;
                    float *A = frand(&r, (size_t)(ta ? K : M) * lda, -1, 1);
                    float *B = frand(&r, (size_t)(tb ? N : K) * ldb, -1, 1);
                    float *C1 = frand(&r, (size_t)M * ldc, -1, 1), *C2 = falloc((size_t)M * ldc);
                    if (bz) /* beta = 0 must not read C */
                        for (int i = 0; i < M; i++)
                            for (int j = 0; j < N; j++)
                                C1[(size_t)i * ldc + j] = NAN;
                    memcpy(C2, C1, sizeof(float) * (size_t)M * ldc);
                    const float beta = bz ? 0.0f : -0.5f;
                    assert_int_equal(rbp__sgemm_builtin(ta, tb, M, N, K, 1.25f, A, lda, B, ldb, beta, C1, ldc), 1);
                    sgemm_naive(ta, tb, M, N, K, 1.25f, A, lda, B, ldb, beta, C2, ldc);
                    /* padding columns between N and ldc are untouched */
                    assert_tensor_close(C1, C2, (size_t)M * ldc - 2, 1e-5 * sqrt((double)K), 1e-5);
                    free(A);
                    free(B);
                    free(C1);
                    free(C2);
                }
    /* K = 0: C = beta C */
    float cc[2] = {2.0f, 4.0f};
    assert_int_equal(rbp__sgemm_builtin(0, 0, 1, 2, 0, 1.0f, &one, 1, &one, 2, 0.5f, cc, 2), 1);
    assert_float_equal(cc[1], 2.0f, 0.0f);
}

static void test_sgemm_k0_and_batched(void **state)
{
    (void)state;
    /* the back-end check is idempotent and names a kernel set */
    assert_non_null(rbp__blas_corename());
    int slow = rbp__blas_check();
    assert_int_equal(rbp__blas_check(), slow);
    printf("  BLAS kernels: %s%s\n", rbp__blas_corename(), slow ? " (slow fallback)" : "");
    /* K = 0: C = beta C */
    float C[6] = {1, 2, 3, 4, 5, 6}, dummy = 0.0f;
    rbp__sgemm_rm(0, 0, 2, 3, 0, 1.0f, &dummy, 1, &dummy, 3, 2.0f, C, 3);
    assert_float_equal(C[5], 12.0f, 0.0f);
    rbp__sgemm_rm(0, 0, 2, 3, 0, 1.0f, &dummy, 1, &dummy, 3, 0.0f, C, 3);
    assert_float_equal(C[0], 0.0f, 0.0f);

    /* strided batched == a loop of single GEMMs over interleaved heads (attention layout) */
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 12);
    const int T = 13, hs = 3, NH = 5, W = NH * hs;
    float *Q = frand(&r, (size_t)T * W, -1, 1), *K = frand(&r, (size_t)T * W, -1, 1);
    float *S1 = falloc((size_t)NH * T * T), *S2 = falloc((size_t)NH * T * T);
    rbp__sgemm_strided_batched(0, 1, T, T, hs, 0.5f, Q, W, (size_t)hs, K, W, (size_t)hs, 0.0f, S1, T,
                               (size_t)T * T, NH);
    for (int h = 0; h < NH; h++)
        sgemm_naive(0, 1, T, T, hs, 0.5f, Q + h * hs, W, K + h * hs, W, 0.0f, S2 + (size_t)h * T * T, T);
    assert_tensor_close(S1, S2, (size_t)NH * T * T, 1e-6, 1e-5);
    free(Q);
    free(K);
    free(S1);
    free(S2);
}

static void test_matmul_forward(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 1);
    const int shapes[][3] = {{1, 1, 1}, {7, 13, 101}, {101, 7, 13}, {13, 64, 192}, {5, 100, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int N = shapes[s][0], C = shapes[s][1], OC = shapes[s][2];
        float *inp = frand(&r, (size_t)N * C, -1, 1), *w = frand(&r, (size_t)OC * C, -1, 1);
        float *b = frand(&r, (size_t)OC, -1, 1);
        float *o1 = falloc((size_t)N * OC), *o2 = falloc((size_t)N * OC);
        rbp__matmul_forward(o1, inp, w, b, N, C, OC);
        matmul_forward_naive(o2, inp, w, b, N, C, OC);
        assert_tensor_close(o1, o2, (size_t)N * OC, 1e-5, 1e-5);
        rbp__matmul_forward(o1, inp, w, NULL, N, C, OC);
        matmul_forward_naive(o2, inp, w, NULL, N, C, OC);
        assert_tensor_close(o1, o2, (size_t)N * OC, 1e-5, 1e-5);
        free(inp);
        free(w);
        free(b);
        free(o1);
        free(o2);
    }
}

typedef struct {
    float *out, *inp, *w, *b, *g;
    int N, C, OC;
} mm_ctx;

static double mm_loss(void *p)
{
    mm_ctx *c = p;
    rbp__matmul_forward(c->out, c->inp, c->w, c->b, c->N, c->C, c->OC);
    return gc_dot(c->out, c->g, (size_t)c->N * c->OC);
}

static void test_matmul_backward(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 2);
    const int N = 7, C = 13, OC = 5;
    mm_ctx c = {falloc((size_t)N * OC), frand(&r, (size_t)N * C, -1, 1), frand(&r, (size_t)OC * C, -1, 1),
                frand(&r, (size_t)OC, -1, 1), frand(&r, (size_t)N * OC, -1, 1), N, C, OC};
    /* gradients start non-zero: backward must accumulate */
    float *dinp = frand(&r, (size_t)N * C, -1, 1), *dw = frand(&r, (size_t)OC * C, -1, 1);
    float *db = frand(&r, (size_t)OC, -1, 1);
    float *dinp0 = falloc((size_t)N * C), *dw0 = falloc((size_t)OC * C), *db0 = falloc((size_t)OC);
    memcpy(dinp0, dinp, (size_t)N * C * sizeof(float));
    memcpy(dw0, dw, (size_t)OC * C * sizeof(float));
    memcpy(db0, db, (size_t)OC * sizeof(float));
    rbp__matmul_backward(dinp, dw, db, c.g, c.inp, c.w, N, C, OC);
    for (size_t i = 0; i < (size_t)N * C; i++)
        dinp[i] -= dinp0[i];
    for (size_t i = 0; i < (size_t)OC * C; i++)
        dw[i] -= dw0[i];
    for (size_t i = 0; i < (size_t)OC; i++)
        db[i] -= db0[i];

    assert_true(gc_check(dinp, c.inp, (size_t)N * C, mm_loss, &c, "matmul dinp") < 1.0);
    assert_true(gc_check(dw, c.w, (size_t)OC * C, mm_loss, &c, "matmul dweight") < 1.0);
    assert_true(gc_check(db, c.b, (size_t)OC, mm_loss, &c, "matmul dbias") < 1.0);

    /* NULL gradients are skipped */
    rbp__matmul_backward(NULL, NULL, db, c.g, c.inp, c.w, N, C, OC);
    free(c.out);
    free(c.inp);
    free(c.w);
    free(c.b);
    free(c.g);
    free(dinp);
    free(dw);
    free(db);
    free(dinp0);
    free(dw0);
    free(db0);
}

/* ------------------------------------------------------------------ softmax */

static void softmax_naive(float *probs, const float *scores, const uint8_t *mask, int R, int T, int rpb, float scale)
{
    for (int r = 0; r < R; r++) {
        const uint8_t *m = mask ? mask + (size_t)(r / rpb) * T : NULL;
        double mx = -INFINITY, sum = 0.0;
        for (int t = 0; t < T; t++)
            if (!m || m[t])
                mx = fmax(mx, (double)scale * scores[(size_t)r * T + t]);
        for (int t = 0; t < T; t++)
            if (!m || m[t])
                sum += exp((double)scale * scores[(size_t)r * T + t] - mx);
        for (int t = 0; t < T; t++)
            probs[(size_t)r * T + t] =
                (m && !m[t]) || mx == -INFINITY ? 0.0f : (float)(exp((double)scale * scores[(size_t)r * T + t] - mx) / sum);
    }
}

static void test_softmax_forward(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 3);
    const int Bs = 3, rpb = 7, T = 101, R = Bs * rpb;
    float *s = frand(&r, (size_t)R * T, -8, 8), *p1 = falloc((size_t)R * T), *p2 = falloc((size_t)R * T);
    uint8_t *mask = calloc((size_t)Bs * T, 1);
    for (int t = 0; t < T; t++) {
        mask[t] = 1;                  /* batch 0: all real */
        mask[T + t] = t < 60;         /* batch 1: padded tail */
        mask[2 * T + t] = (t % 3) == 1; /* batch 2: scattered */
    }
    rbp__softmax_forward(p1, s, mask, R, T, rpb, 0.25f);
    softmax_naive(p2, s, mask, R, T, rpb, 0.25f);
    assert_tensor_close(p1, p2, (size_t)R * T, 1e-7, 1e-5);
    for (int row = 0; row < R; row++) {
        double sum = 0.0;
        for (int t = 0; t < T; t++) {
            sum += p1[(size_t)row * T + t];
            if (!mask[(size_t)(row / rpb) * T + t])
                assert_true(p1[(size_t)row * T + t] == 0.0f); /* exactly 0 */
        }
        assert_float_equal(sum, 1.0, 1e-5);
    }
    /* in place gives the same, no mask, and a large-magnitude row is stable */
    memcpy(p2, s, (size_t)R * T * sizeof(float));
    rbp__softmax_forward(p2, p2, mask, R, T, rpb, 0.25f);
    assert_tensor_close(p2, p1, (size_t)R * T, 0, 0);
    s[0] = 1e4f;
    s[1] = 1e4f - 1.0f;
    rbp__softmax_forward(p1, s, NULL, R, T, rpb, 1.0f);
    softmax_naive(p2, s, NULL, R, T, rpb, 1.0f);
    assert_tensor_close(p1, p2, (size_t)R * T, 1e-7, 1e-5);
    assert_float_equal(p1[0], 1.0 / (1.0 + exp(-1.0)), 1e-6);

    /* odd widths 1 and 7, and a row whose keys are all padding -> all zeros */
    uint8_t m1[2] = {0, 1};
    float s1[2] = {3.0f, -2.0f}, q1[2];
    rbp__softmax_forward(q1, s1, m1, 2, 1, 1, 1.0f);
    assert_true(q1[0] == 0.0f);
    assert_float_equal(q1[1], 1.0f, 0.0f);
    uint8_t m7[7] = {0};
    float s7[7] = {1, 2, 3, 4, 5, 6, 7}, q7[7];
    rbp__softmax_forward(q7, s7, m7, 1, 7, 1, 1.0f);
    for (int t = 0; t < 7; t++)
        assert_true(q7[t] == 0.0f);
    free(s);
    free(p1);
    free(p2);
    free(mask);
}

typedef struct {
    float *probs, *scores, *g;
    const uint8_t *mask;
    int R, T, rpb;
    float scale;
} sm_ctx;

static double sm_loss(void *p)
{
    sm_ctx *c = p;
    rbp__softmax_forward(c->probs, c->scores, c->mask, c->R, c->T, c->rpb, c->scale);
    return gc_dot(c->probs, c->g, (size_t)c->R * c->T);
}

static void test_softmax_backward(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 4);
    const int R = 6, T = 13, rpb = 3;
    uint8_t mask[2 * 13];
    for (int t = 0; t < T; t++) {
        mask[t] = t != 4;
        mask[T + t] = t < 9;
    }
    sm_ctx c = {falloc((size_t)R * T), frand(&r, (size_t)R * T, -2, 2), frand(&r, (size_t)R * T, -1, 1), mask, R, T,
                rpb, 0.7f};
    sm_loss(&c);
    /* the in-place backward (what attention uses): d holds dprobs, becomes dscores */
    float *ds = falloc((size_t)R * T);
    memcpy(ds, c.g, (size_t)R * T * sizeof(float));
    rbp__softmax_backward_inplace(ds, c.probs, R, T, c.scale);
    assert_true(gc_check(ds, c.scores, (size_t)R * T, sm_loss, &c, "softmax dscores") < 1.0);
    /* masked keys get zero gradient */
    for (int row = 0; row < R; row++)
        for (int t = 0; t < T; t++)
            if (!mask[(row / rpb) * T + t])
                assert_true(ds[(size_t)row * T + t] == 0.0f);
    free(ds);
    free(c.probs);
    free(c.scores);
    free(c.g);
}

static void test_fast_exp(void **state)
{
    (void)state;
    /* rbp__expf against exp in double over its whole range: a few ulp */
    double worst = 0.0;
    for (int i = 0; i <= 200000; i++) {
        float x = -87.0f + 175.0f * (float)i / 200000.0f;
        double ref = exp((double)x), rel = fabs(rbp__expf(x) - ref) / ref;
        worst = fmax(worst, rel);
    }
    printf("  rbp__expf max relative error on [-87, 88]: %.2e\n", worst);
    assert_true(worst < 5e-7); /* ~4 ulp */
    assert_true(rbp__expf(0.0f) == 1.0f);
    assert_true(rbp__expf(-100.0f) == 0.0f);
    assert_true(rbp__expf(-INFINITY) == 0.0f);
    assert_true(isfinite(rbp__expf(1000.0f)));
    assert_true(isnan(rbp__expf(NAN)));
    /* the 8-lane version (softmax) is bit-identical to the scalar one, specials included */
    float v[8];
    for (float x = -100.0f; x < 100.0f; x += 0.37f) {
        for (int k = 0; k < 8; k++)
            v[k] = k == 3 ? NAN : k == 5 ? -INFINITY : x + 0.01f * (float)k;
        rbp__expf8(v);
        for (int k = 0; k < 8; k++) {
            const float x_k = k == 3 ? NAN : k == 5 ? -INFINITY : x + 0.01f * (float)k, e = rbp__expf(x_k);
            assert_memory_equal(&v[k], &e, sizeof e);
        }
    }
}

/* ------------------------------------------------------------------ layer norm */

static void layernorm_naive(float *out, const float *inp, const float *w, const float *b, int N, int C, float eps)
{
    for (int n = 0; n < N; n++) {
        double m = 0.0, v = 0.0;
        for (int c = 0; c < C; c++)
            m += inp[(size_t)n * C + c];
        m /= C;
        for (int c = 0; c < C; c++)
            v += (inp[(size_t)n * C + c] - m) * (inp[(size_t)n * C + c] - m);
        v /= C;
        for (int c = 0; c < C; c++)
            out[(size_t)n * C + c] = (float)((inp[(size_t)n * C + c] - m) / sqrt(v + eps) * w[c] + b[c]);
    }
}

typedef struct {
    float *out, *mean, *rstd, *inp, *w, *b, *g;
    int N, C;
} ln_ctx;

static double ln_loss(void *p)
{
    ln_ctx *c = p;
    rbp__layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C, 1e-6f);
    return gc_dot(c->out, c->g, (size_t)c->N * c->C);
}

/* The layer-norm case of test_layernorm and the planted-bug test: 13 rows of 7. */
static ln_ctx ln_setup(rbp_test_rng *r)
{
    const int N = 13, C = 7;
    ln_ctx c = {falloc((size_t)N * C), falloc(N), falloc(N), frand(r, (size_t)N * C, -2, 3),
                frand(r, C, 0.5f, 1.5f), frand(r, C, -1, 1), frand(r, (size_t)N * C, -1, 1), N, C};
    return c;
}

static void ln_free(ln_ctx *c)
{
    free(c->out);
    free(c->mean);
    free(c->rstd);
    free(c->inp);
    free(c->w);
    free(c->b);
    free(c->g);
}

static void test_layernorm(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 5);
    ln_ctx c = ln_setup(&r);
    const int N = c.N, C = c.C;
    float *ref = falloc((size_t)N * C);
    ln_loss(&c);
    layernorm_naive(ref, c.inp, c.w, c.b, N, C, 1e-6f);
    assert_tensor_close(c.out, ref, (size_t)N * C, 1e-5, 1e-5);
    /* saved statistics */
    double m = 0.0;
    for (int i = 0; i < C; i++)
        m += c.inp[i];
    assert_float_equal(c.mean[0], m / C, 1e-6);

    float *dinp = falloc((size_t)N * C), *dw = falloc(C), *db = falloc(C);
    rbp__layernorm_backward(dinp, dw, db, c.g, c.inp, c.w, c.mean, c.rstd, N, C);
    assert_true(gc_check(dinp, c.inp, (size_t)N * C, ln_loss, &c, "layernorm dinp") < 1.0);
    assert_true(gc_check(dw, c.w, C, ln_loss, &c, "layernorm dweight") < 1.0);
    assert_true(gc_check(db, c.b, C, ln_loss, &c, "layernorm dbias") < 1.0);

    /* a constant row normalises to the bias (variance 0 is handled by eps) */
    for (int i = 0; i < C; i++)
        c.inp[i] = 2.5f;
    ln_loss(&c);
    for (int i = 0; i < C; i++)
        assert_float_equal(c.out[i], c.b[i], 1e-6);
    free(dinp);
    free(dw);
    free(db);
    free(ref);
    ln_free(&c);
}

/* f(x) = sum_i g_i |x_i - c_i|: every kink c_i lies closer to x_i than the smallest step */
typedef struct {
    float *x, *c, *g;
    size_t n;
} abs_ctx;

static double abs_loss(void *p)
{
    abs_ctx *a = p;
    double s = 0.0;
    for (size_t i = 0; i < a->n; i++)
        s += (double)a->g[i] * fabs((double)a->x[i] - (double)a->c[i]);
    return s;
}

/* The checker must fail on wrong gradients (each a bug class of a real backward pass), and
 * skipping kinks must not let a check pass with nothing compared. */
static void test_gradcheck_fails_on_planted_bugs(void **state)
{
    (void)state;
    const size_t total = gc_total_elements, skipped = gc_total_skipped;
    const double worst = gc_worst_norm_error;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 5);
    ln_ctx c = ln_setup(&r);
    const int N = c.N, C = c.C;
    float *dinp = falloc((size_t)N * C), *dw = falloc(C), *db = falloc(C), *bad = falloc((size_t)N * C);
    ln_loss(&c);
    rbp__layernorm_backward(dinp, dw, db, c.g, c.inp, c.w, c.mean, c.rstd, N, C);
    assert_true(gc_check(dw, c.w, C, ln_loss, &c, "honest dweight") < 1.0);
    /* one tensor scaled by 1.01 */
    for (int i = 0; i < C; i++)
        bad[i] = 1.01f * dw[i];
    assert_true(gc_check(bad, c.w, C, ln_loss, &c, "planted: dweight x 1.01") >= 1.0);
    /* a dropped term: dinp without the xhat * mean(dy w xhat) term */
    for (int n = 0; n < N; n++) {
        double m = 0.0;
        for (int k = 0; k < C; k++)
            m += (double)c.g[n * C + k] * c.w[k];
        m /= C;
        for (int k = 0; k < C; k++)
            bad[n * C + k] = (float)(c.rstd[n] * ((double)c.g[n * C + k] * c.w[k] - m));
    }
    assert_true(gc_check(bad, c.inp, (size_t)N * C, ln_loss, &c, "planted: dinp, term dropped") >= 1.0);
    /* one wrong element, 5% off */
    memcpy(bad, dinp, sizeof(float) * (size_t)N * C);
    bad[17] *= 1.05f;
    assert_true(gc_check(bad, c.inp, (size_t)N * C, ln_loss, &c, "planted: dinp[17] x 1.05") >= 1.0);
    /* kinks within the smallest step at 4 of 20 elements: skipped, and 20% skipped fails */
    const size_t n = 20;
    abs_ctx a = {frand(&r, n, -1, 1), falloc(n), frand(&r, n, 0.5f, 1), n};
    float *da = falloc(n);
    for (size_t i = 0; i < n; i++) {
        a.c[i] = a.x[i] + (i % 5 == 0 ? 1e-5f : 0.5f);
        da[i] = -a.g[i]; /* the slope on the side of x */
    }
    assert_true(gc_check(da, a.x, n, abs_loss, &a, "planted: 4 of 20 at a kink") == INFINITY);
    assert_int_equal(gc_total_skipped - skipped, 4);
    /* one of 20 is skipped and counted; the others pass */
    for (size_t i = 5; i < n; i++)
        a.c[i] = a.x[i] + 0.5f;
    assert_true(gc_check(da, a.x, n, abs_loss, &a, "abs, 1 of 20 at a kink") < 1.0);
    assert_int_equal(gc_total_skipped - skipped, 5);
    /* a kink at every element spoils the noise figure too: the check fails, never passes */
    for (size_t i = 0; i < n; i++)
        a.c[i] = a.x[i] + 1e-5f;
    assert_true(gc_check(da, a.x, n, abs_loss, &a, "planted: a kink at every element") >= 1.0);
    gc_total_elements = total; /* the deliberate skips above are not the summary's */
    gc_total_skipped = skipped;
    gc_worst_norm_error = worst;
    free(a.x);
    free(a.c);
    free(a.g);
    free(da);
    free(dinp);
    free(dw);
    free(db);
    free(bad);
    ln_free(&c);
}

/* ------------------------------------------------------------------ activations */

typedef struct {
    float *out, *inp, *g;
    size_t n;
    int gelu;
} act_ctx;

static double act_loss(void *p)
{
    act_ctx *c = p;
    if (c->gelu)
        rbp__gelu_forward(c->out, c->inp, c->n);
    else
        rbp__relu_forward(c->out, c->inp, c->n);
    return gc_dot(c->out, c->g, c->n);
}

static void test_activations(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 6);
    const size_t n = 101;
    act_ctx c = {falloc(n), frand(&r, n, -4, 4), frand(&r, n, -1, 1), n, 0};
    /* keep ReLU inputs away from the kink so finite differences are valid */
    for (size_t i = 0; i < n; i++)
        if (fabsf(c.inp[i]) < 0.01f)
            c.inp[i] = 0.5f;
    act_loss(&c);
    for (size_t i = 0; i < n; i++)
        assert_true(c.out[i] == (c.inp[i] > 0 ? c.inp[i] : 0.0f));
    /* the in-place backward (what the dense layers use) from the forward output */
    float *d = falloc(n), *d2 = falloc(n);
    memcpy(d, c.g, n * sizeof(float));
    rbp__relu_backward_inplace(d, c.out, n);
    assert_true(gc_check(d, c.inp, n, act_loss, &c, "relu") < 1.0);

    c.gelu = 1;
    act_loss(&c);
    for (size_t i = 0; i < n; i++) {
        double x = c.inp[i];
        assert_float_equal(c.out[i], 0.5 * x * (1.0 + erf(x / sqrt(2.0))), 1e-6);
    }
    /* GELU by hand: gelu(1) = 0.8413447460685429 (scipy.stats.norm.cdf(1)) */
    float one = 1.0f, g1;
    rbp__gelu_forward(&g1, &one, 1);
    assert_float_equal(g1, 0.8413447460685429, 1e-6);
    /* the in-place backward from the forward input */
    memcpy(d, c.g, n * sizeof(float));
    rbp__gelu_backward_inplace(d, c.inp, n);
    assert_true(gc_check(d, c.inp, n, act_loss, &c, "gelu") < 1.0);
    /* in place */
    act_loss(&c); /* c.out was last computed at a perturbed input */
    memcpy(d2, c.inp, n * sizeof(float));
    rbp__gelu_forward(d2, d2, n);
    assert_tensor_close(d2, c.out, n, 0, 0);
    free(d);
    free(d2);
    free(c.out);
    free(c.inp);
    free(c.g);
}

/* ------------------------------------------------------------------ RNG and dropout */

static void test_rng(void **state)
{
    (void)state;
    /* pure function of (seed, stream, index) */
    assert_true(rbp__rng_u64(1, 2, 3) == rbp__rng_u64(1, 2, 3));
    assert_true(rbp__rng_u64(1, 2, 3) != rbp__rng_u64(1, 2, 4));
    assert_true(rbp__rng_u64(1, 2, 3) != rbp__rng_u64(1, 3, 3));
    assert_true(rbp__rng_u64(1, 2, 3) != rbp__rng_u64(2, 2, 3));
    assert_true(rbp__rng_u64(0, 0, 0) != 0);
    /* the sequential form is SplitMix64 itself (Vigna's splitmix64.c from state 0) */
    uint64_t sm = 0;
    assert_true(rbp__splitmix64(&sm) == 0xe220a8397b1dcdafull);
    assert_true(rbp__splitmix64(&sm) == 0x6e789e6aa1b965f4ull);
    assert_true(sm == 2 * 0x9e3779b97f4a7c15ull);
    /* uniform on [0,1): moments and a 16-bin chi-square over 160000 draws */
    const int n = 160000, bins = 16;
    int hist[16] = {0};
    double sum = 0.0, sumsq = 0.0;
    for (int i = 0; i < n; i++) {
        float u = rbp__rng_uniform(7, 1, (uint64_t)i);
        assert_true(u >= 0.0f && u < 1.0f);
        sum += u;
        sumsq += (double)u * u;
        hist[(int)(u * bins)]++;
    }
    assert_float_equal(sum / n, 0.5, 0.005);
    assert_float_equal(sumsq / n - (sum / n) * (sum / n), 1.0 / 12.0, 0.002);
    double chi2 = 0.0, e = (double)n / bins;
    for (int b = 0; b < bins; b++)
        chi2 += (hist[b] - e) * (hist[b] - e) / e;
    assert_true(chi2 < 37.7); /* 99.9% quantile of chi-square with 15 d.o.f. */
    /* adjacent streams are uncorrelated: correlation of 10000 pairs */
    double sxy = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0;
    for (int i = 0; i < 10000; i++) {
        double x = rbp__rng_uniform(7, 100, (uint64_t)i), y = rbp__rng_uniform(7, 101, (uint64_t)i);
        sxy += x * y;
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
    }
    double cov = sxy / 1e4 - (sx / 1e4) * (sy / 1e4);
    double corr = cov / sqrt((sxx / 1e4 - (sx / 1e4) * (sx / 1e4)) * (syy / 1e4 - (sy / 1e4) * (sy / 1e4)));
    assert_true(fabs(corr) < 0.05);
    /* a known value pins the generator across platforms and releases */
    printf("  rbp__rng_u64(1,2,3) = 0x%016llx\n", (unsigned long long)rbp__rng_u64(1, 2, 3));
}

static void test_dropout(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 8);
    const size_t n = 100001; /* odd: exercises the tail of the pairwise loop */
    const float p = 0.3f;
    float *x = frand(&r, n, 0.5f, 1.5f), *y1 = falloc(n), *y2 = falloc(n);
    rbp__dropout_forward(y1, x, n, p, 42, 5);
    rbp__dropout_forward(y2, x, n, p, 42, 5);
    assert_memory_equal(y1, y2, n * sizeof(float)); /* deterministic */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        int keep = rbp__dropout_keep(42, 5, i, p);
        if (keep) {
            kept++;
            assert_float_equal(y1[i], x[i] / (1.0f - p), 1e-6);
        } else {
            assert_true(y1[i] == 0.0f);
        }
    }
    /* keep rate 1-p within 5 standard deviations (binomial) */
    double rate = (double)kept / n, sd = sqrt(p * (1 - p) / n);
    assert_true(fabs(rate - (1.0 - p)) < 5 * sd);
    /* another stream or seed gives another mask */
    rbp__dropout_forward(y2, x, n, p, 42, 6);
    assert_true(memcmp(y1, y2, n * sizeof(float)) != 0);
    rbp__dropout_forward(y2, x, n, p, 43, 5);
    assert_true(memcmp(y1, y2, n * sizeof(float)) != 0);
    /* in place equals out of place */
    memcpy(y2, x, n * sizeof(float));
    rbp__dropout_forward(y2, y2, n, p, 42, 5);
    assert_memory_equal(y1, y2, n * sizeof(float));
    /* backward is the forward applied to the gradient (same mask): dinp = dout * keep / (1-p) */
    float *g = frand(&r, n, -1, 1), *dx = falloc(n);
    rbp__dropout_forward(dx, g, n, p, 42, 5);
    for (size_t i = 0; i < n; i++)
        assert_float_equal(dx[i], y1[i] != 0.0f ? g[i] / (1.0f - p) : 0.0f, 1e-6);
    /* pieces at any offset (odd or even, any length) give the mask of the whole */
    memcpy(y2, x, n * sizeof(float));
    const size_t cuts[] = {0, 1, 2, 5, 8, 9, 1000, 1001, 54321, n};
    for (size_t c = 0; c + 1 < sizeof cuts / sizeof cuts[0]; c++)
        rbp__dropout_range(y2 + cuts[c], y2 + cuts[c], cuts[c + 1] - cuts[c], cuts[c], p, 42, 5);
    assert_memory_equal(y1, y2, n * sizeof(float));
    float *z = falloc(n);
    for (size_t c = 0; c + 1 < sizeof cuts / sizeof cuts[0]; c++)
        rbp__dropout_range(z + cuts[c], x + cuts[c], cuts[c + 1] - cuts[c], cuts[c], p, 42, 5);
    assert_memory_equal(y1, z, n * sizeof(float));
    /* the factors themselves, in the same pieces: x * factor is exactly the masked x */
    for (size_t c = 0; c + 1 < sizeof cuts / sizeof cuts[0]; c++)
        rbp__dropout_factors(z + cuts[c], cuts[c + 1] - cuts[c], cuts[c], p, 42, 5);
    for (size_t i = 0; i < n; i++) {
        assert_true(z[i] == 0.0f || z[i] == 1.0f / (1.0f - p));
        const float v = x[i] * z[i];
        assert_memory_equal(&v, &y1[i], sizeof v);
    }
    free(z);
    /* a sub-range recomputes the same decisions (mask is a function of the index) */
    float *part = falloc(7);
    rbp__dropout_forward(part, x, 7, p, 42, 5);
    assert_memory_equal(part, y1, 7 * sizeof(float));
    /* p = 0: copy */
    rbp__dropout_forward(y2, x, n, 0.0f, 42, 5);
    assert_memory_equal(y2, x, n * sizeof(float));
    /* high rate */
    kept = 0;
    rbp__dropout_forward(y2, x, n, 0.9f, 3, 3);
    for (size_t i = 0; i < n; i++)
        kept += y2[i] != 0.0f;
    assert_true(fabs((double)kept / n - 0.1) < 5 * sqrt(0.09 / n));
    free(part);
    free(x);
    free(y1);
    free(y2);
    free(g);
    free(dx);
}

/* ------------------------------------------------------------------ embeddings */

static void test_embedding(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 9);
    const int V = 6, N = 13, C = 7;
    float *table = frand(&r, (size_t)V * C, -1, 1), *out = falloc((size_t)N * C);
    uint8_t tok[13];
    for (int i = 0; i < N; i++)
        tok[i] = (uint8_t)((i * 5) % 4); /* tokens 0..3 repeated, 4 and 5 unused */
    rbp__embedding_forward(out, tok, table, N, C, 8.0f, 0);
    for (int i = 0; i < N; i++)
        for (int c = 0; c < C; c++)
            assert_float_equal(out[i * C + c], 8.0f * table[tok[i] * C + c], 1e-6);
    rbp__embedding_forward(out, tok, table, N, C, 1.0f, 1); /* accumulate */
    for (int i = 0; i < N; i++)
        for (int c = 0; c < C; c++)
            assert_float_equal(out[i * C + c], 9.0f * table[tok[i] * C + c], 1e-5);

    /* backward: scatter-add of repeated tokens; unused rows untouched */
    float *g = frand(&r, (size_t)N * C, -1, 1), *dt = falloc((size_t)V * C);
    dt[5 * C] = 3.0f;
    rbp__embedding_backward(dt, g, tok, N, C, 2.0f);
    for (int v = 0; v < V; v++)
        for (int c = 0; c < C; c++) {
            double s = (v == 5 && c == 0) ? 3.0 : 0.0;
            for (int i = 0; i < N; i++)
                if (tok[i] == v)
                    s += 2.0 * g[i * C + c];
            assert_float_equal(dt[v * C + c], s, 1e-5);
        }
    free(table);
    free(out);
    free(g);
    free(dt);
}

static void test_positional(void **state)
{
    (void)state;
    const int T = 101, C = 8;
    float *pe = falloc((size_t)T * C);
    rbp__positional_encoding(pe, T, C);
    /* by hand: t = 0 -> sin 0 = 0 (even i), cos 0 = 1 (odd i) */
    for (int i = 0; i < C; i++)
        assert_float_equal(pe[i], (i % 2) ? 1.0f : 0.0f, 0.0f);
    /* t = 1: i = 0,1 -> sin(1), cos(1); i = 2,3 -> angle 1/10000^(2/8) = 0.1 */
    assert_float_equal(pe[C + 0], 0.8414709848078965, 1e-7);
    assert_float_equal(pe[C + 1], 0.5403023058681398, 1e-7);
    assert_float_equal(pe[C + 2], 0.09983341664682815, 1e-7);
    assert_float_equal(pe[C + 3], 0.9950041652780258, 1e-7);
    /* t = 100, i = 6: angle 100 / 10000^(6/8) = 0.1 */
    assert_float_equal(pe[100 * C + 6], 0.09983341664682815, 1e-7);
    /* broadcast add over B */
    float *x = falloc((size_t)2 * T * C);
    x[T * C] = 1.0f;
    rbp__add_positional(x, pe, 2, T, C);
    assert_float_equal(x[0], pe[0], 0.0f);
    assert_float_equal(x[T * C], 1.0f + pe[0], 0.0f);
    assert_float_equal(x[T * C + 1], pe[1], 0.0f);
    free(pe);
    free(x);
}

/* ------------------------------------------------------------------ pooling */

typedef struct {
    float *out, *inp, *g;
    int32_t *argmax;
    const uint8_t *mask;
    int B, T, C, max;
} pool_ctx;

static double pool_loss(void *p)
{
    pool_ctx *c = p;
    if (c->max)
        rbp__maxpool_forward(c->out, c->argmax, c->inp, c->mask, c->B, c->T, c->C);
    else
        rbp__meanpool_forward(c->out, c->inp, c->mask, c->B, c->T, c->C);
    return gc_dot(c->out, c->g, (size_t)c->B * c->C);
}

static void test_pooling(void **state)
{
    (void)state;
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 10);
    const int B = 3, T = 7, C = 5;
    uint8_t mask[21];
    for (int t = 0; t < T; t++) {
        mask[t] = 1;
        mask[T + t] = t < 4;
        mask[2 * T + t] = 0; /* no real position */
    }
    pool_ctx c = {falloc((size_t)B * C), frand(&r, (size_t)B * T * C, -1, 1), frand(&r, (size_t)B * C, -1, 1),
                  calloc((size_t)B * C, sizeof(int32_t)), mask, B, T, C, 0};
    pool_loss(&c);
    for (int b = 0; b < B; b++)
        for (int ch = 0; ch < C; ch++) {
            double s = 0.0;
            int n = 0;
            for (int t = 0; t < T; t++)
                if (mask[b * T + t]) {
                    s += c.inp[(b * T + t) * C + ch];
                    n++;
                }
            assert_float_equal(c.out[b * C + ch], n ? s / n : 0.0, 1e-6);
        }
    float *d = falloc((size_t)B * T * C);
    rbp__meanpool_backward(d, c.g, mask, B, T, C);
    assert_true(gc_check(d, c.inp, (size_t)B * T * C, pool_loss, &c, "meanpool") < 1.0);

    c.max = 1;
    pool_loss(&c);
    for (int b = 0; b < B; b++)
        for (int ch = 0; ch < C; ch++) {
            float m = -INFINITY;
            int am = -1;
            for (int t = 0; t < T; t++)
                if (mask[b * T + t] && c.inp[(b * T + t) * C + ch] > m) {
                    m = c.inp[(b * T + t) * C + ch];
                    am = t;
                }
            assert_int_equal(c.argmax[b * C + ch], am);
            assert_float_equal(c.out[b * C + ch], am < 0 ? 0.0f : m, 0.0f);
        }
    memset(d, 0, sizeof(float) * (size_t)B * T * C);
    rbp__maxpool_backward(d, c.g, c.argmax, B, T, C);
    assert_true(gc_check(d, c.inp, (size_t)B * T * C, pool_loss, &c, "maxpool") < 1.0);
    /* NULL mask: all positions are real */
    rbp__meanpool_forward(c.out, c.inp, NULL, 1, T, C);
    double s = 0.0;
    for (int t = 0; t < T; t++)
        s += c.inp[t * C];
    assert_float_equal(c.out[0], s / T, 1e-6);
    free(d);
    free(c.out);
    free(c.inp);
    free(c.g);
    free(c.argmax);
}

/* ------------------------------------------------------------------ element-wise */

static void test_elementwise(void **state)
{
    (void)state;
    float a[7] = {1, -2, 3, -4, 5, -6, 7.5f}, b[7] = {1, 1, 1, 1, 1, 1, 1}, o[7];
    rbp__add(o, a, b, 7);
    assert_float_equal(o[6], 8.5f, 0.0f);
    rbp__axpy(o, -2.0f, b, 7);
    assert_float_equal(o[0], 0.0f, 0.0f);
    rbp__scale(o, 2.0f, 7);
    assert_float_equal(o[6], 13.0f, 0.0f);
    rbp__fill(o, 0.25f, 7);
    assert_float_equal(o[3], 0.25f, 0.0f);
    assert_float_equal(rbp__sum(a, 7), 4.5, 0.0);
    assert_float_equal(rbp__sumsq(a, 7), 1 + 4 + 9 + 16 + 25 + 36 + 56.25, 0.0);
    assert_float_equal(rbp__max(a, 7), 7.5f, 0.0f);
    assert_true(isinf(rbp__max(a, 0)) && rbp__max(a, 0) < 0);
    assert_true(rbp__all_finite(a, 7));
    a[3] = NAN;
    assert_false(rbp__all_finite(a, 7));
    assert_true(isnan(rbp__max(a, 7)));
    a[3] = INFINITY;
    assert_false(rbp__all_finite(a, 7));
    /* the double accumulation does not lose small terms: 1e8 + 10^6 ones */
    const size_t n = 1000001;
    float *x = falloc(n);
    x[0] = 1e8f;
    for (size_t i = 1; i < n; i++)
        x[i] = 1.0f;
    assert_float_equal(rbp__sum(x, n), 1e8 + 1e6, 0.0);
    free(x);
}

static int print_summary(void **state)
{
    (void)state;
    return gc_summary("kernels");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgemm_vs_naive),   cmocka_unit_test(test_sgemm_k0_and_batched),
        cmocka_unit_test(test_sgemm_builtin),
        cmocka_unit_test(test_matmul_forward),   cmocka_unit_test(test_matmul_backward),
        cmocka_unit_test(test_softmax_forward),  cmocka_unit_test(test_softmax_backward),
        cmocka_unit_test(test_fast_exp),
        cmocka_unit_test(test_layernorm),        cmocka_unit_test(test_gradcheck_fails_on_planted_bugs),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_rng),              cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_embedding),        cmocka_unit_test(test_positional),
        cmocka_unit_test(test_pooling),          cmocka_unit_test(test_elementwise),
    };
    return cmocka_run_group_tests_name("kernels", tests, NULL, print_summary);
}
