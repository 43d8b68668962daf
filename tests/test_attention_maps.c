/*
 * test_attention_maps.c - attention rollout and head averaging on hand-made maps (values
 * worked out by hand in the comments), masks, argument errors.
 */
#include <math.h>
#include <string.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>

static void test_identity_maps(void **state)
{
    (void)state;
    enum { L = 4 };
    float attn[2 * 1 * L * L] = {0}, roll[L * L], imp[L];
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < L; i++)
            attn[l * L * L + i * L + i] = 1.0f;
    assert_int_equal(rbp_attention_rollout(attn, 2, 1, L, NULL, 0.5f, roll, imp, NULL), RBP_OK);
    for (int i = 0; i < L; i++)
        for (int j = 0; j < L; j++)
            assert_float_equal(roll[i * L + j], i == j ? 1.0f : 0.0f, 1e-6);
    for (int j = 0; j < L; j++)
        assert_float_equal(imp[j], 0.25f, 1e-6);
}

static void test_hand_values(void **state)
{
    (void)state;
    /* One layer, two heads, L = 2. Head 0 sends everything to position 0, head 1 is the
     * identity: mean A = [[1, 0], [0.5, 0.5]]. With residual 0.5:
     * A' = 0.5*A + 0.5*I = [[1, 0], [0.25, 0.75]]; importance = column means = [0.625, 0.375]. */
    float attn[2 * 4] = {1, 0, 1, 0, /* head 1 */ 1, 0, 0, 1};
    float roll[4], imp[2], mean[4];
    assert_int_equal(rbp_attention_head_mean(attn, 1, 2, 2, 0, mean), RBP_OK);
    assert_float_equal(mean[0], 1.0f, 1e-6);
    assert_float_equal(mean[2], 0.5f, 1e-6);
    assert_int_equal(rbp_attention_rollout(attn, 1, 2, 2, NULL, 0.5f, roll, imp, NULL), RBP_OK);
    assert_float_equal(roll[0], 1.0f, 1e-6);
    assert_float_equal(roll[1], 0.0f, 1e-6);
    assert_float_equal(roll[2], 0.25f, 1e-6);
    assert_float_equal(roll[3], 0.75f, 1e-6);
    assert_float_equal(imp[0], 0.625f, 1e-6);
    assert_float_equal(imp[1], 0.375f, 1e-6);
    /* Two identical layers: R = A'^2 = [[1, 0], [0.25 + 0.1875, 0.5625]] = [[1,0],[0.4375,0.5625]]. */
    float attn2[2 * 2 * 4];
    memcpy(attn2, attn, sizeof attn);
    memcpy(attn2 + 8, attn, sizeof attn);
    assert_int_equal(rbp_attention_rollout(attn2, 2, 2, 2, NULL, 0.5f, roll, imp, NULL), RBP_OK);
    assert_float_equal(roll[2], 0.4375f, 1e-6);
    assert_float_equal(roll[3], 0.5625f, 1e-6);
    assert_float_equal(imp[0], 0.71875f, 1e-6);
}

static void test_mask_and_random(void **state)
{
    (void)state;
    enum { NL = 3, NH = 2, L = 9 };
    const uint8_t mask[L] = {1, 1, 1, 1, 1, 1, 0, 0, 0};
    float attn[NL * NH * L * L], roll[L * L], imp[L], scratch[3 * L * L];
    rbp_test_rng rng;
    rbp_test_rng_seed(&rng, 7);
    /* random row-stochastic maps over the 6 real keys */
    for (int m = 0; m < NL * NH * L; m++) {
        float *row = attn + (size_t)m * L;
        double s = 0;
        for (int j = 0; j < L; j++) {
            row[j] = mask[j] ? rbp_test_rng_uniform(&rng, 0.0f, 1.0f) : 0.0f;
            s += row[j];
        }
        for (int j = 0; j < L; j++)
            row[j] = (float)(row[j] / s);
    }
    assert_int_equal(rbp_attention_rollout(attn, NL, NH, L, mask, 0.5f, roll, imp, scratch), RBP_OK);
    double total = 0;
    for (int i = 0; i < L; i++) {
        double rs = 0;
        for (int j = 0; j < L; j++) {
            if (!mask[i] || !mask[j])
                assert_float_equal(roll[i * L + j], 0.0f, 0.0);
            rs += roll[i * L + j];
        }
        assert_float_equal(rs, mask[i] ? 1.0 : 0.0, 1e-5); /* products of stochastic rows */
    }
    for (int j = 0; j < L; j++) {
        total += imp[j];
        if (!mask[j])
            assert_float_equal(imp[j], 0.0f, 0.0);
    }
    assert_float_equal(total, 1.0, 1e-5);
    /* residual 1 ignores attention entirely: identity */
    assert_int_equal(rbp_attention_rollout(attn, NL, NH, L, mask, 1.0f, roll, NULL, NULL), RBP_OK);
    assert_float_equal(roll[3 * L + 3], 1.0f, 1e-6);
    int32_t idx[L], n = -1;
    assert_int_equal(rbp_attention_real_positions(mask, L, idx, &n), RBP_OK);
    assert_int_equal(n, 6);
    assert_int_equal(idx[5], 5);
}

static void test_errors(void **state)
{
    (void)state;
    float a[4] = {1, 0, 0, 1}, out[4];
    assert_int_equal(rbp_attention_rollout(NULL, 1, 1, 2, NULL, 0.5f, out, NULL, NULL), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "attn"));
    assert_int_equal(rbp_attention_rollout(a, 0, 1, 2, NULL, 0.5f, out, NULL, NULL), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "n_layers"));
    assert_int_equal(rbp_attention_rollout(a, 1, 1, 2, NULL, 1.5f, out, NULL, NULL), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "residual"));
    assert_int_equal(rbp_attention_rollout(a, 1, 1, 2, NULL, 0.5f, NULL, NULL, NULL), RBP_ERR_INVALID_ARG);
    assert_int_equal(rbp_attention_head_mean(a, 1, 1, 2, 1, out), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "layer"));
    assert_int_equal(rbp_attention_head_mean(a, 1, 1, 2, 0, NULL), RBP_ERR_INVALID_ARG);
    int32_t idx[2], n;
    assert_int_equal(rbp_attention_real_positions(NULL, 2, idx, &n), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "mask"));
    assert_int_equal(rbp_session_saliency(NULL, NULL, NULL), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "session"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_maps),
        cmocka_unit_test(test_hand_values),
        cmocka_unit_test(test_mask_and_random),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("attention_maps", tests, NULL, NULL);
}
