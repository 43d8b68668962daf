/*
 * test_attn_fused.c - the fused attention kernel of src/kernels/attn_fused.c against a naive
 * double-precision reference written here: forward output, probabilities and the analytic
 * gradients dq, dk, dv, with padded keys (including a row of keys all padded), attention
 * dropout (the masks of rbp__dropout_keep at the documented global indices), lengths that are
 * not multiples of the 16-key padding nor of the query block (several blocks), and head
 * depths around every tile width (1 .. 64). Also: the backward with kept probabilities equals
 * the one that recomputes them bit for bit, rbp__attn_probs equals what the forward kept, and
 * a second run gives the same bits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "kernels/kernels.h"

static float *falloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

typedef struct {
    int T, hs, ld, ldo;
    float p, scale;
    uint64_t seed, stream, first;
    float *qkv;   /* (T, ld): q at column 0, k at hs + 1, v at 2 hs + 3 (odd offsets on purpose) */
    float *dctx;  /* (T, ldo) */
    uint8_t *mask; /* (T) or NULL */
} problem;

static const float *Q(const problem *P) { return P->qkv; }
static const float *K(const problem *P) { return P->qkv + P->hs + 1; }
static const float *V(const problem *P) { return P->qkv + 2 * P->hs + 3; }

static void problem_make(problem *P, rbp_test_rng *r, int T, int hs, float p, int masked)
{
    P->T = T, P->hs = hs, P->ld = 3 * hs + 5, P->ldo = hs + 2;
    P->p = p;
    P->scale = 1.0f / sqrtf((float)hs);
    P->seed = 77, P->stream = 5, P->first = 12345; /* odd: the mask starts on a high half */
    P->qkv = falloc((size_t)T * (size_t)P->ld);
    rbp_test_fill_uniform(r, P->qkv, (size_t)T * (size_t)P->ld, -2.0f, 2.0f);
    P->dctx = falloc((size_t)T * (size_t)P->ldo);
    rbp_test_fill_uniform(r, P->dctx, (size_t)T * (size_t)P->ldo, -1.0f, 1.0f);
    P->mask = NULL;
    if (masked) {
        P->mask = malloc((size_t)T);
        assert_non_null(P->mask);
        for (int j = 0; j < T; j++)
            P->mask[j] = masked == 2 ? 0 : (uint8_t)(j < T - T / 3 && j % 7 != 3);
        if (masked == 1)
            P->mask[0] = 1;
    }
}

static void problem_free(problem *P)
{
    free(P->qkv);
    free(P->dctx);
    free(P->mask);
}

/* The textbook computation in double: probabilities att (T,T), output ctx (T,hs), and for the
 * upstream gradient dctx the gradients dq, dk, dv (T,hs). */
static void naive(const problem *P, double *att, double *ctx, double *dq, double *dk, double *dv)
{
    const int T = P->T, hs = P->hs;
    const double sc = 1.0 / sqrt((double)hs), keep_scale = 1.0 / (1.0 - (double)P->p);
    double *drop = malloc(sizeof(double) * (size_t)T * (size_t)T);
    double *dS = malloc(sizeof(double) * (size_t)T * (size_t)T);
    assert_non_null(drop);
    assert_non_null(dS);
    const float *q = Q(P), *k = K(P), *v = V(P);
    for (int i = 0; i < T; i++) {
        double mx = -INFINITY, sum = 0.0;
        double *a = att + (size_t)i * (size_t)T;
        for (int j = 0; j < T; j++) {
            double s = 0.0;
            for (int d = 0; d < hs; d++)
                s += (double)q[i * P->ld + d] * k[j * P->ld + d];
            a[j] = s * sc;
            if (!P->mask || P->mask[j])
                mx = fmax(mx, a[j]);
        }
        for (int j = 0; j < T; j++) {
            a[j] = (!P->mask || P->mask[j]) ? exp(a[j] - mx) : 0.0;
            sum += a[j];
        }
        for (int j = 0; j < T; j++) {
            a[j] = sum > 0.0 ? a[j] / sum : 0.0;
            const uint64_t g = P->first + (uint64_t)i * (uint64_t)T + (uint64_t)j;
            drop[(size_t)i * T + j] =
                P->p > 0.0f ? (rbp__dropout_keep(P->seed, P->stream, (size_t)g, P->p) ? keep_scale : 0.0) : 1.0;
        }
        for (int d = 0; d < hs; d++) {
            double s = 0.0;
            for (int j = 0; j < T; j++)
                s += a[j] * drop[(size_t)i * T + j] * v[j * P->ld + d];
            ctx[i * hs + d] = s;
        }
    }
    if (!dq)
        goto done;
    // dPd = dctx V^T; dP = dPd * drop; dS = sc * P (dP - sum P dP); dV = Pd^T dctx
    memset(dv, 0, sizeof(double) * (size_t)T * (size_t)hs);
    for (int i = 0; i < T; i++) {
        const double *a = att + (size_t)i * (size_t)T;
        double dot = 0.0;
        for (int j = 0; j < T; j++) {
            double s = 0.0;
            for (int d = 0; d < hs; d++)
                s += (double)P->dctx[i * P->ldo + d] * v[j * P->ld + d];
            for (int d = 0; d < hs; d++)
                dv[j * hs + d] += a[j] * drop[(size_t)i * T + j] * P->dctx[i * P->ldo + d];
            dS[(size_t)i * T + j] = s * drop[(size_t)i * T + j];
            dot += a[j] * dS[(size_t)i * T + j];
        }
        for (int j = 0; j < T; j++)
            dS[(size_t)i * T + j] = sc * a[j] * (dS[(size_t)i * T + j] - dot);
    }
    for (int i = 0; i < T; i++)
        for (int d = 0; d < hs; d++) {
            double sq = 0.0, sk = 0.0;
            for (int j = 0; j < T; j++) {
                sq += dS[(size_t)i * T + j] * k[j * P->ld + d];
                sk += dS[(size_t)j * T + i] * q[j * P->ld + d];
            }
            dq[i * hs + d] = sq;
            dk[i * hs + d] = sk;
        }
done:
    free(drop);
    free(dS);
}

/* max |a - b| / (atol + max |b|) over the (n, hs) matrix a with row stride lda */
static double rel_err(const float *a, int lda, const double *b, int n, int hs)
{
    double mx = 0.0, err = 0.0;
    for (int i = 0; i < n * hs; i++)
        mx = fmax(mx, fabs(b[i]));
    for (int i = 0; i < n; i++)
        for (int d = 0; d < hs; d++)
            err = fmax(err, fabs((double)a[i * lda + d] - b[i * hs + d]));
    return err / (1e-6 + mx);
}

static void check_case(int T, int hs, float p, int masked, uint64_t seed)
{
    rbp_test_rng r;
    rbp_test_rng_seed(&r, seed);
    problem P;
    problem_make(&P, &r, T, hs, p, masked);
    const size_t TT = (size_t)T * (size_t)T, Tp = rbp__attn_probs_floats(T) / (size_t)T;
    float *scr = falloc(rbp__attn_scratch_floats(T, hs));
    float *ctx = falloc((size_t)T * (size_t)P.ldo), *ctx2 = falloc((size_t)T * (size_t)P.ldo);
    float *keep = falloc(rbp__attn_probs_floats(T)), *probs = falloc(TT);
    const int ldd = 3 * hs + 1;
    float *dA = falloc((size_t)T * (size_t)ldd), *dB = falloc((size_t)T * (size_t)ldd);
    double *att = malloc(sizeof(double) * TT), *rctx = malloc(sizeof(double) * (size_t)T * (size_t)hs);
    double *rdq = malloc(sizeof(double) * (size_t)T * (size_t)hs), *rdk = malloc(sizeof(double) * (size_t)T * (size_t)hs);
    double *rdv = malloc(sizeof(double) * (size_t)T * (size_t)hs);
    assert_true(att && rctx && rdq && rdk && rdv);
    naive(&P, att, rctx, rdq, rdk, rdv);

    rbp__attn_forward(ctx, P.ldo, keep, scr, Q(&P), K(&P), V(&P), P.ld, P.mask, T, hs, P.scale, P.p, P.seed, P.stream,
                      P.first);
    char label[96];
    snprintf(label, sizeof label, "T=%d hs=%d p=%.1f mask=%d", T, hs, p, masked);
    const double e_ctx = rel_err(ctx, P.ldo, rctx, T, hs);
    // the maps, kept and recomputed: equal to each other bit for bit, to the reference closely
    rbp__attn_probs(probs, scr, Q(&P), K(&P), P.ld, P.mask, T, hs, P.scale);
    double e_att = 0.0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < (int)Tp; j++) {
            const float kv = keep[(size_t)i * Tp + (size_t)j];
            if (j >= T) {
                assert_true(kv == 0.0f);
                continue;
            }
            assert_memory_equal(&kv, &probs[(size_t)i * T + j], sizeof kv);
            if (P.mask && !P.mask[j])
                assert_true(kv == 0.0f);
            e_att = fmax(e_att, fabs((double)kv - att[(size_t)i * T + j]));
        }
    // the backward, recomputing and with the kept probabilities
    rbp__attn_backward(dA, dA + hs, dA + 2 * hs, ldd, scr, NULL, P.dctx, P.ldo, Q(&P), K(&P), V(&P), P.ld, P.mask, T,
                       hs, P.scale, P.p, P.seed, P.stream, P.first);
    rbp__attn_backward(dB, dB + hs, dB + 2 * hs, ldd, scr, keep, P.dctx, P.ldo, Q(&P), K(&P), V(&P), P.ld, P.mask, T,
                       hs, P.scale, P.p, P.seed, P.stream, P.first);
    assert_memory_equal(dA, dB, sizeof(float) * (size_t)T * (size_t)ldd);
    const double e_dq = rel_err(dA, ldd, rdq, T, hs), e_dk = rel_err(dA + hs, ldd, rdk, T, hs);
    const double e_dv = rel_err(dA + 2 * hs, ldd, rdv, T, hs);
    if (e_ctx > 2e-5 || e_att > 2e-6 || e_dq > 2e-5 || e_dk > 2e-5 || e_dv > 2e-5)
        fail_msg("%s: relative errors ctx %.2e att %.2e dq %.2e dk %.2e dv %.2e", label, e_ctx, e_att, e_dq, e_dk,
                 e_dv);
    // same inputs, same bits (the scratch holds nothing between calls)
    memset(scr, 0xff, sizeof(float) * rbp__attn_scratch_floats(T, hs));
    rbp__attn_forward(ctx2, P.ldo, NULL, scr, Q(&P), K(&P), V(&P), P.ld, P.mask, T, hs, P.scale, P.p, P.seed,
                      P.stream, P.first);
    for (int i = 0; i < T; i++)
        assert_memory_equal(ctx + (size_t)i * P.ldo, ctx2 + (size_t)i * P.ldo, sizeof(float) * (size_t)hs);
    free(scr);
    free(ctx);
    free(ctx2);
    free(keep);
    free(probs);
    free(dA);
    free(dB);
    free(att);
    free(rctx);
    free(rdq);
    free(rdk);
    free(rdv);
    problem_free(&P);
}

static void test_against_reference(void **state)
{
    (void)state;
    /* T: 1, below / at / above the 16-key padding, and several query blocks (T = 101 has 2,
     * T = 203 has 3); hs: every tile width of the kernel (8, 16, multiples of 32) and odd ones */
    const int Ts[] = {1, 5, 16, 17, 101, 203};
    const int hss[] = {1, 3, 8, 12, 16, 24, 40, 64};
    uint64_t seed = 1;
    for (size_t a = 0; a < sizeof Ts / sizeof Ts[0]; a++)
        for (size_t b = 0; b < sizeof hss / sizeof hss[0]; b++) {
            if (Ts[a] > 101 && hss[b] != 8 && hss[b] != 16)
                continue; /* the naive reference is O(T^2 hs); the long case for the model's depths */
            check_case(Ts[a], hss[b], 0.0f, 0, seed++);
            check_case(Ts[a], hss[b], 0.0f, 1, seed++);
            check_case(Ts[a], hss[b], 0.3f, 1, seed++);
        }
}

static void test_all_keys_padded(void **state)
{
    (void)state;
    /* no real key: probabilities 0, output 0, gradients 0 (as rbp__softmax_forward) */
    check_case(21, 8, 0.0f, 2, 99);
    check_case(21, 16, 0.5f, 2, 98);
}

static void test_dropout_indices(void **state)
{
    (void)state;
    /* another first index moves the mask: the output changes (the reference follows it) */
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 7);
    problem P;
    problem_make(&P, &r, 37, 8, 0.5f, 0);
    float *scr = falloc(rbp__attn_scratch_floats(37, 8));
    float *a = falloc((size_t)37 * P.ldo), *b = falloc((size_t)37 * P.ldo);
    rbp__attn_forward(a, P.ldo, NULL, scr, Q(&P), K(&P), V(&P), P.ld, NULL, 37, 8, P.scale, 0.5f, 1, 2, 0);
    rbp__attn_forward(b, P.ldo, NULL, scr, Q(&P), K(&P), V(&P), P.ld, NULL, 37, 8, P.scale, 0.5f, 1, 2, 37 * 37);
    assert_true(memcmp(a, b, sizeof(float) * (size_t)37 * P.ldo) != 0);
    free(scr);
    free(a);
    free(b);
    problem_free(&P);
    check_case(37, 8, 0.5f, 0, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_all_keys_padded),
        cmocka_unit_test(test_dropout_indices),
    };
    return cmocka_run_group_tests_name("attn_fused", tests, NULL, NULL);
}
