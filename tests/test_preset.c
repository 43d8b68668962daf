/* The named presets of rbpattn/preset.h: what each sets, what it keeps, and that every preset
 * gives a valid model and training configuration. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rbpattn/rbpattn.h"

static void fresh(rbp_model_config *m, rbp_train_config *t, rbp_dataset_options *d)
{
    assert_int_equal(rbp_model_config_init(m, RBP_MODEL_CONFIG_VERSION), RBP_OK);
    assert_int_equal(rbp_train_config_init(t, RBP_TRAIN_CONFIG_VERSION), RBP_OK);
    assert_int_equal(rbp_dataset_options_init(d, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
}

/* "default" is the RBP-31 benchmark's model (bench/rbp31.sh, scripts/demo.sh) */
static void test_default_is_the_benchmark_model(void **state)
{
    (void)state;
    rbp_model_config m;
    rbp_train_config t;
    rbp_dataset_options d;
    fresh(&m, &t, &d);
    double vf = 0.0;
    assert_string_equal(rbp_preset_name(0), "default");
    assert_int_equal(rbp_preset_apply("default", &m, &t, &d, &vf), RBP_OK);
    assert_int_equal(m.seq_len, 101);
    assert_int_equal(m.conv_kernel, 9);
    assert_int_equal(m.stem_filters, 0);
    assert_int_equal(m.pooling, RBP_POOL_MEAN);
    assert_int_equal(m.d_model, 32);
    assert_int_equal(m.n_heads, 4);
    assert_int_equal(m.n_layers, 1);
    assert_int_equal(m.d_ff, 64);
    assert_int_equal(m.head_hidden, 32);
    assert_float_equal(m.dropout, 0.3f, 0.0f);
    assert_int_equal(m.norm, RBP_NORM_POST);
    assert_int_equal(t.schedule, RBP_SCHED_CONSTANT);
    assert_int_equal(t.warmup_steps, 0);
    assert_float_equal(t.lr, 1e-3f, 0.0f);
    assert_int_equal(t.epochs, 30);
    assert_int_equal(t.batch_size, 64);
    assert_int_equal(t.monitor, RBP_MONITOR_VAL_AUC);
    assert_int_equal(t.patience, 5);
    assert_float_equal(t.ema_decay, 0.999f, 0.0f);
    assert_int_equal(d.length, 101);
    assert_int_equal(d.truncate, RBP_TRUNCATE_CENTER);
    assert_true(vf == 0.1);
    /* an ensemble of two seeds; every other preset trains one model */
    int32_t n = 0;
    assert_int_equal(rbp_preset_members("default", &n), RBP_OK);
    assert_int_equal(n, 2);
    for (const char *const *p = (const char *const[]){"study", "small", "tiny", NULL}; *p; p++) {
        n = 0;
        assert_int_equal(rbp_preset_members(*p, &n), RBP_OK);
        assert_int_equal(n, 1);
    }
}

/* "study" is the library's initial values: applying it to fresh structs changes nothing */
static void test_study_is_the_initial_values(void **state)
{
    (void)state;
    rbp_model_config m0, m;
    rbp_train_config t0, t;
    rbp_dataset_options d0, d;
    fresh(&m0, &t0, &d0);
    fresh(&m, &t, &d);
    double vf = 0.5;
    assert_int_equal(rbp_preset_apply("study", &m, &t, &d, &vf), RBP_OK);
    assert_memory_equal(&m, &m0, sizeof m);
    assert_memory_equal(&t, &t0, sizeof t);
    assert_int_equal(d.length, 0);
    assert_int_equal(d.truncate, RBP_TRUNCATE_RIGHT);
    assert_true(vf == 0.0);
}

/* What comes from the data or the caller survives a preset; NULL arguments are skipped */
static void test_keeps_caller_fields(void **state)
{
    (void)state;
    rbp_model_config m;
    rbp_train_config t;
    rbp_dataset_options d;
    fresh(&m, &t, &d);
    m.task = RBP_TASK_REGRESSION;
    m.use_structure = 1;
    m.use_viewpoint = 1;
    m.seed = 77;
    m.seq_len = 45;
    t.seed = 9;
    t.pos_weight = 3.0f;
    t.clip_norm = 1.5f;
    t.eval_batch_size = 17;
    d.label_key = "label=";
    assert_int_equal(rbp_preset_apply("small", &m, &t, &d, NULL), RBP_OK);
    assert_int_equal(m.task, RBP_TASK_REGRESSION);
    assert_int_equal(m.use_structure, 1);
    assert_int_equal(m.use_viewpoint, 1);
    assert_true(m.seed == 77);
    assert_int_equal(m.seq_len, 45); /* "small" has no length of its own */
    assert_int_equal(m.d_model, 32);
    assert_true(t.seed == 9);
    assert_float_equal(t.pos_weight, 3.0f, 0.0f);
    assert_float_equal(t.clip_norm, 1.5f, 0.0f);
    assert_int_equal(t.eval_batch_size, 17);
    assert_string_equal(d.label_key, "label=");
    /* "default" has a length: it replaces the caller's */
    assert_int_equal(rbp_preset_apply("default", &m, NULL, NULL, NULL), RBP_OK);
    assert_int_equal(m.seq_len, 101);
    /* a preset over another one: every architecture field is the new preset's */
    assert_int_equal(rbp_preset_apply("tiny", &m, NULL, NULL, NULL), RBP_OK);
    assert_int_equal(m.conv_kernel, 0);
    assert_int_equal(m.pooling, RBP_POOL_MAX);
    assert_int_equal(m.d_model, 16);
}

/* Every preset names itself, has a summary and yields valid configurations and a model */
static void test_every_preset_is_valid(void **state)
{
    (void)state;
    assert_true(rbp_preset_count() >= 4);
    for (size_t i = 0; i < rbp_preset_count(); i++) {
        const char *name = rbp_preset_name(i);
        assert_non_null(name);
        const char *sum = rbp_preset_summary(name);
        assert_non_null(sum);
        assert_true(strlen(sum) > 20);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(rbp_preset_name(j), name);
        rbp_model_config m;
        rbp_train_config t;
        rbp_dataset_options d;
        fresh(&m, &t, &d);
        assert_int_equal(rbp_preset_apply(name, &m, &t, &d, NULL), RBP_OK);
        assert_null(rbp_model_config_check(&m));
        assert_null(rbp_train_config_check(&t));
        rbp_model *model = NULL;
        assert_int_equal(rbp_model_create(&model, &m), RBP_OK);
        assert_true(rbp_model_num_params(model) > 0);
        rbp_model_free(model);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_the_benchmark_model),
        cmocka_unit_test(test_study_is_the_initial_values),
        cmocka_unit_test(test_keeps_caller_fields),
        cmocka_unit_test(test_every_preset_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
