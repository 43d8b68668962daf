/*
 * fuzz/make_seeds.c - small model files of every format for the model loader's seed corpus:
 *   make_seeds DIR  ->  DIR/v3-model.rbp (with metadata), v3-trainer.rbpt (optimizer state,
 *   best weights), v3-conv.rbp (a stem), v2-model.rbp, v1-model.rbp, v1-trainer.rbpt.
 * Tiny dimensions keep each file a few KB, so a fuzzer mutates headers and weights alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rbpattn/rbpattn.h>

#include "io/checkpoint.h"

static void check(rbp_status st, const char *what)
{
    if (st != RBP_OK) {
        fprintf(stderr, "make_seeds: %s: %s\n", what, rbp_last_error());
        exit(1);
    }
}

static rbp_model *tiny(int32_t conv)
{
    rbp_model_config c;
    check(rbp_model_config_init(&c, RBP_MODEL_CONFIG_VERSION), "config");
    c.seq_len = 12;
    c.d_model = 8;
    c.n_heads = 2;
    c.n_layers = 1;
    c.d_ff = 8;
    c.head_hidden = 4;
    c.conv_kernel = conv;
    rbp_model *m = NULL;
    check(rbp_model_create(&m, &c), "model");
    return m;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    char p[4096];
    rbp_model *m = tiny(0);
    check(rbp_model_meta_set_string(m, "protein", "PUM2"), "meta");
    check(rbp_model_meta_set_int(m, "train.records", 400), "meta");
    check(rbp_model_meta_set_double(m, "test.auc", 0.91), "meta");
    rbp_dataset_options o;
    check(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), "options");
    o.length = 12;
    check(rbp_model_meta_set_encoding(m, &o), "encoding");
    snprintf(p, sizeof p, "%s/v3-model.rbp", argv[1]);
    check(rbp_model_save(m, p), p);

    rbp_train_config tc;
    check(rbp_train_config_init(&tc, RBP_TRAIN_CONFIG_VERSION), "train config");
    tc.epochs = 2;
    tc.batch_size = 4;
    rbp_trainer *t = NULL;
    check(rbp_trainer_create(&t, m, &tc), "trainer");
    const char *seqs[] = {"ACGUACGUAC", "UUUUGGGGAA", "ACGUUUUACG", "GGGGCCCCAA",
                          "ACACACACAC", "UGUGUGUGUG", "AAAAUUUUGG", "CCGGAAUUAC"};
    const float y[] = {1, 0, 1, 0, 1, 0, 1, 0};
    rbp_dataset *ds = NULL;
    check(rbp_dataset_from_strings(&ds, seqs, y, NULL, 8, &o), "data");
    check(rbp_trainer_fit(t, ds, ds), "fit"); /* best weights and moments that are not zero */
    snprintf(p, sizeof p, "%s/v3-trainer.rbpt", argv[1]);
    check(rbp_trainer_save(t, p), p);
    rbp_trainer_free(t);
    rbp_dataset_free(ds);

    const int versions[] = {2, 1};
    for (int i = 0; i < 2; i++) {
        rbp__ckpt_header h;
        memset(&h, 0, sizeof h);
        h.format_version = (uint32_t)versions[i];
        check(rbp_model_get_config(m, &h.model), "config");
        h.num_params = rbp_model_num_params(m);
        snprintf(p, sizeof p, "%s/v%d-model.rbp", argv[1], versions[i]);
        check(rbp__ckpt_write(p, &h, rbp_model_params(m), NULL, NULL, NULL, NULL), p);
    }
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    h.format_version = 1;
    check(rbp_model_get_config(m, &h.model), "config");
    h.num_params = rbp_model_num_params(m);
    h.flags = RBP__CKPT_HAS_TRAINER;
    h.train.cfg = tc;
    h.train.step = 4;
    h.train.epoch = 2;
    h.train.best_epoch = 1;
    h.train.best_value = 0.5;
    size_t n = rbp_model_num_params(m);
    float *zero = calloc(n, sizeof *zero);
    snprintf(p, sizeof p, "%s/v1-trainer.rbpt", argv[1]);
    check(rbp__ckpt_write(p, &h, rbp_model_params(m), zero, zero, NULL, NULL), p);
    free(zero);

    /* format 5: a trainer with a weight average, and an ensemble of 2 */
    tc.ema_decay = 0.9f;
    check(rbp_trainer_create(&t, m, &tc), "trainer");
    check(rbp_dataset_from_strings(&ds, seqs, y, NULL, 8, &o), "data");
    check(rbp_trainer_fit(t, ds, ds), "fit");
    snprintf(p, sizeof p, "%s/v5-trainer-ema.rbpt", argv[1]);
    check(rbp_trainer_save(t, p), p);
    rbp_trainer_free(t);
    rbp_dataset_free(ds);
    const rbp_model *two[2] = {m, m};
    rbp_model *ens = NULL;
    check(rbp_model_ensemble(&ens, two, 2), "ensemble");
    snprintf(p, sizeof p, "%s/v5-ensemble.rbp", argv[1]);
    check(rbp_model_save(ens, p), p);
    rbp_model_free(ens);
    rbp_model_free(m);

    m = tiny(3);
    snprintf(p, sizeof p, "%s/v3-conv.rbp", argv[1]);
    check(rbp_model_save(m, p), p);
    rbp_model_free(m);
    return 0;
}
