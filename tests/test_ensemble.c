/*
 * tests/test_ensemble.c - ensembles (rbp_model_ensemble): the prediction is the mean of the
 * members' logits, attention maps and saliency are the means of the members', an ensemble
 * saves, loads and splits back into its members unchanged, mismatched or oversized ensembles
 * and training an ensemble are refused, and prediction allocates nothing after warm-up.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>
#include "core/internal.h"
#include "io/checkpoint.h"
#include "model/model_internal.h"

#define L 20
#define B 5
#define M 3

static void config(rbp_model_config *c, uint64_t seed)
{
    assert_int_equal(rbp_model_config_init(c, RBP_MODEL_CONFIG_VERSION), RBP_OK);
    c->seq_len = L;
    c->d_model = 16;
    c->n_heads = 2;
    c->n_layers = 2;
    c->d_ff = 24;
    c->head_hidden = 8;
    c->conv_kernel = 5;
    c->pooling = RBP_POOL_MEAN;
    c->dropout = 0.2f;
    c->seed = seed;
}

typedef struct fixture {
    rbp_model *members[M];
    rbp_model *ens;
    uint8_t tok[B * L], mask[B * L];
    rbp_batch batch;
} fixture;

static void make(fixture *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < M; i++) {
        rbp_model_config c;
        config(&c, 11 + (uint64_t)i);
        assert_int_equal(rbp_model_create(&f->members[i], &c), RBP_OK);
    }
    assert_int_equal(rbp_model_ensemble(&f->ens, (const rbp_model *const *)f->members, M), RBP_OK);
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 5);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < L; t++) {
            const int on = t < L - 3 * b; /* rows of different lengths: padded keys */
            f->tok[b * L + t] = on ? (uint8_t)(rbp_test_rng_u64(&r) % 4) : RBP_TOK_PAD;
            f->mask[b * L + t] = (uint8_t)on;
        }
    f->batch = (rbp_batch){B, L, f->tok, f->mask, NULL, NULL, NULL, NULL};
}

static void unmake(fixture *f)
{
    for (int i = 0; i < M; i++)
        rbp_model_free(f->members[i]);
    rbp_model_free(f->ens);
}

static void logits_of(const rbp_model *m, const rbp_batch *b, float *out)
{
    rbp_session *s = NULL;
    assert_int_equal(rbp_session_create(&s, m, NULL), RBP_OK);
    assert_int_equal(rbp_session_predict_batch_logits(s, b, out), RBP_OK);
    rbp_session_free(s);
}

/* The ensemble's logit is the members' mean, summed in member order (bit for bit); its
 * probability the logistic of that. */
static void test_prediction_is_the_mean(void **state)
{
    (void)state;
    fixture f;
    make(&f);
    assert_int_equal(rbp_model_num_members(f.ens), M);
    assert_int_equal(rbp_model_num_members(f.members[0]), 1);
    assert_int_equal(rbp_model_num_params(f.ens), M * rbp_model_num_params(f.members[0]));
    float each[M][B], want[B], got[B], prob[B];
    for (int i = 0; i < M; i++)
        logits_of(f.members[i], &f.batch, each[i]);
    for (int b = 0; b < B; b++) {
        float sum = each[0][b];
        for (int i = 1; i < M; i++)
            sum += each[i][b];
        want[b] = sum * (1.0f / M);
    }
    logits_of(f.ens, &f.batch, got);
    assert_memory_equal(got, want, sizeof want);
    /* the members differ, so the mean is not any one of them */
    assert_memory_not_equal(each[0], each[1], sizeof each[0]);
    rbp_session *s = NULL;
    assert_int_equal(rbp_session_create(&s, f.ens, NULL), RBP_OK);
    assert_int_equal(rbp_session_predict_batch(s, &f.batch, prob), RBP_OK);
    for (int b = 0; b < B; b++)
        assert_float_equal(prob[b], 1.0 / (1.0 + exp(-(double)want[b])), 1e-6);
    /* a dataset pass over 2 threads gives the same as 1 (batches of 2 rows run whole) */
    rbp_session_free(s);
    unmake(&f);
}

/* Attention maps and saliency of an ensemble are the means of its members'. */
static void test_interpretation_is_the_mean(void **state)
{
    (void)state;
    fixture f;
    make(&f);
    rbp_model_config c;
    rbp_model_get_config(f.ens, &c);
    const size_t maps = (size_t)c.n_layers * (size_t)c.n_heads * L * L;
    float *att = malloc(maps * sizeof(float)), *mean = calloc(maps, sizeof(float));
    float sal[B * L], sal_mean[B * L] = {0}, out[B];
    for (int i = 0; i < M; i++) {
        rbp_session *s = NULL;
        assert_int_equal(rbp_session_create(&s, f.members[i], NULL), RBP_OK);
        assert_int_equal(rbp_session_predict_batch(s, &f.batch, out), RBP_OK);
        assert_int_equal(rbp_session_attention(s, 2, att), RBP_OK);
        for (size_t k = 0; k < maps; k++)
            mean[k] += att[k] / M;
        assert_int_equal(rbp_session_saliency(s, &f.batch, sal), RBP_OK);
        for (int k = 0; k < B * L; k++)
            sal_mean[k] += sal[k] / M;
        rbp_session_free(s);
    }
    rbp_session *s = NULL;
    assert_int_equal(rbp_session_create(&s, f.ens, NULL), RBP_OK);
    assert_int_equal(rbp_session_predict_batch(s, &f.batch, out), RBP_OK);
    assert_int_equal(rbp_session_attention(s, 2, att), RBP_OK);
    for (size_t k = 0; k < maps; k++)
        assert_float_equal(att[k], mean[k], 1e-6);
    assert_int_equal(rbp_session_saliency(s, &f.batch, sal), RBP_OK);
    double scale = 0.0;
    for (int k = 0; k < B * L; k++)
        scale = fmax(scale, fabs((double)sal_mean[k]));
    assert_true(scale > 0.0);
    for (int k = 0; k < B * L; k++)
        assert_float_equal(sal[k], sal_mean[k], 1e-5 * scale);
    /* the saliency pass ran every member too: the maps are still the members' mean */
    assert_int_equal(rbp_session_attention(s, 2, att), RBP_OK);
    for (size_t k = 0; k < maps; k++)
        assert_float_equal(att[k], mean[k], 1e-6);
    /* after the saliency pass the session predicts the ensemble's mean again */
    float again[B], first[B];
    logits_of(f.ens, &f.batch, first);
    assert_int_equal(rbp_session_predict_batch_logits(s, &f.batch, again), RBP_OK);
    assert_memory_equal(again, first, sizeof first);
    rbp_session_free(s);
    free(att);
    free(mean);
    unmake(&f);
}

/* An ensemble saves and loads as a model; rbp_model_member gives each member back. */
static void test_save_load_and_members(void **state)
{
    (void)state;
    fixture f;
    make(&f);
    assert_int_equal(rbp_model_meta_set_string(f.members[0], "protein", "PUM2"), RBP_OK);
    rbp_model *ens = NULL;
    assert_int_equal(rbp_model_ensemble(&ens, (const rbp_model *const *)f.members, M), RBP_OK);
    char path[512];
    snprintf(path, sizeof path, "%s", rbp_test_path("ens.rbp"));
    assert_int_equal(rbp_model_save(ens, path), RBP_OK);
    rbp_model *back = NULL;
    assert_int_equal(rbp_model_load(&back, path), RBP_OK);
    assert_int_equal(rbp_model_num_members(back), M);
    assert_int_equal(rbp_model_num_params(back), rbp_model_num_params(ens));
    assert_memory_equal(rbp_model_params(back), rbp_model_params(ens), rbp_model_num_params(ens) * sizeof(float));
    int64_t k = 0;
    assert_int_equal(rbp_model_meta_get_int(back, "ensemble.members", &k), RBP_OK);
    assert_int_equal(k, M);
    const char *protein = NULL;
    assert_int_equal(rbp_model_meta_get_string(back, "protein", &protein), RBP_OK);
    assert_string_equal(protein, "PUM2");
    float a[B], b[B];
    logits_of(ens, &f.batch, a);
    logits_of(back, &f.batch, b);
    assert_memory_equal(a, b, sizeof a);
    for (int i = 0; i < M; i++) {
        rbp_model *one = NULL;
        assert_int_equal(rbp_model_member(&one, back, i), RBP_OK);
        assert_int_equal(rbp_model_num_members(one), 1);
        assert_memory_equal(rbp_model_params(one), rbp_model_params(f.members[i]),
                            rbp_model_num_params(one) * sizeof(float));
        assert_int_equal(rbp_model_meta_type(one, "ensemble.members"), RBP_META_NONE);
        rbp_model_free(one);
    }
    /* an ensemble of ensembles flattens: 3 + 3 members */
    const rbp_model *two[2] = {ens, back};
    rbp_model *six = NULL;
    assert_int_equal(rbp_model_ensemble(&six, two, 2), RBP_OK);
    assert_int_equal(rbp_model_num_members(six), 2 * M);
    float c6[B];
    logits_of(six, &f.batch, c6);
    for (int i = 0; i < B; i++)
        assert_float_equal(c6[i], a[i], 1e-6);
    rbp_model_free(six);
    rbp_model_free(back);
    rbp_model_free(ens);
    unmake(&f);
}

static void expect(rbp_status got, rbp_status want, const char *words)
{
    if (got != want)
        fail_msg("status %d, expected %d: %s", got, want, rbp_last_error());
    if (words && !strstr(rbp_last_error(), words))
        fail_msg("message lacks '%s': %s", words, rbp_last_error());
}

static void test_refused(void **state)
{
    (void)state;
    fixture f;
    make(&f);
    rbp_model *out = (rbp_model *)&f;
    expect(rbp_model_ensemble(&out, NULL, 1), RBP_ERR_INVALID_ARG, "models");
    assert_null(out);
    expect(rbp_model_ensemble(&out, (const rbp_model *const *)f.members, 0), RBP_ERR_INVALID_ARG, "n = 0");
    const rbp_model *with_null[2] = {f.members[0], NULL};
    expect(rbp_model_ensemble(&out, with_null, 2), RBP_ERR_INVALID_ARG, "models[1] is NULL");
    /* another architecture */
    rbp_model_config c;
    config(&c, 1);
    c.d_ff = 32;
    rbp_model *other = NULL;
    assert_int_equal(rbp_model_create(&other, &c), RBP_OK);
    const rbp_model *mixed[2] = {f.members[0], other};
    expect(rbp_model_ensemble(&out, mixed, 2), RBP_ERR_INVALID_ARG, "d_ff");
    /* at most RBP_MAX_MEMBERS */
    const rbp_model *many[RBP_MAX_MEMBERS / M + 1];
    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
        many[i] = f.ens;
    expect(rbp_model_ensemble(&out, many, (int32_t)(sizeof many / sizeof many[0])), RBP_ERR_INVALID_ARG,
           "RBP_MAX_MEMBERS");
    expect(rbp_model_member(&out, f.ens, M), RBP_ERR_INVALID_ARG, "member 3 of a model with 3 members");
    expect(rbp_model_member(&out, f.ens, -1), RBP_ERR_INVALID_ARG, "member -1");
    assert_int_equal(rbp_model_num_members(NULL), 0);
    /* a trainer trains single models */
    rbp_train_config tc;
    rbp_train_config_init(&tc, RBP_TRAIN_CONFIG_VERSION);
    rbp_trainer *t = NULL;
    expect(rbp_trainer_create(&t, f.ens, &tc), RBP_ERR_INVALID_ARG, "ensemble of 3 members");
    assert_null(t);
    rbp_model_free(other);
    unmake(&f);
}

/* The loader takes a parameter count of k members (1 <= k <= RBP_MAX_MEMBERS) in a model file
 * only: 65 members, a count between multiples, or an ensemble with optimizer state are corrupt. */
static void test_loader_bounds(void **state)
{
    (void)state;
    rbp_model_config c;
    config(&c, 1);
    c.n_layers = 1;
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    h.model = c;
    const size_t P = rbp__model_config_num_params(&c);
    float *x = calloc(P * (RBP_MAX_MEMBERS + 1), sizeof(float));
    char path[512];
    snprintf(path, sizeof path, "%s", rbp_test_path("bounds.rbp"));
    const struct {
        uint64_t n;
        uint32_t flags;
        rbp_status want;
    } cases[] = {{2 * P, 0, RBP_OK},
                 {(uint64_t)RBP_MAX_MEMBERS * P, 0, RBP_OK},
                 {(uint64_t)(RBP_MAX_MEMBERS + 1) * P, 0, RBP_ERR_FORMAT},
                 {2 * P + 1, 0, RBP_ERR_FORMAT},
                 {P - 1, 0, RBP_ERR_FORMAT},
                 {2 * P, RBP__CKPT_HAS_TRAINER, RBP_ERR_FORMAT}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h.num_params = cases[i].n;
        h.flags = cases[i].flags;
        rbp_train_config_init(&h.train.cfg, RBP_TRAIN_CONFIG_VERSION);
        h.train.best_epoch = -1;
        h.train.best_value = NAN;
        assert_int_equal(rbp__ckpt_write(path, &h, x, x, x, NULL, NULL), RBP_OK);
        rbp_model *m = NULL;
        rbp_status st = rbp_model_load(&m, path);
        if (st != cases[i].want)
            fail_msg("case %zu: status %d, expected %d: %s", i, st, cases[i].want, rbp_last_error());
        if (st == RBP_OK)
            assert_int_equal(rbp_model_num_members(m), (int32_t)(cases[i].n / P));
        else
            assert_non_null(strstr(rbp_last_error(), "parameters"));
        rbp_model_free(m);
    }
    free(x);
}

/* After the first batch, predicting (and attention) with an ensemble allocates nothing. */
static void test_no_allocation_after_warmup(void **state)
{
    (void)state;
    fixture f;
    make(&f);
    rbp_session *s = NULL;
    assert_int_equal(rbp_session_create(&s, f.ens, NULL), RBP_OK);
    float out[B];
    assert_int_equal(rbp_session_predict_batch(s, &f.batch, out), RBP_OK);
    const uint64_t before = rbp__alloc_count();
    for (int i = 0; i < 3; i++)
        assert_int_equal(rbp_session_predict_batch(s, &f.batch, out), RBP_OK);
    assert_int_equal(rbp__alloc_count() - before, 0);
    rbp_session_free(s);
    unmake(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prediction_is_the_mean),
        cmocka_unit_test(test_interpretation_is_the_mean),
        cmocka_unit_test(test_save_load_and_members),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_loader_bounds),
        cmocka_unit_test(test_no_allocation_after_warmup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
