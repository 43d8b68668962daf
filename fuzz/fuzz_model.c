/* fuzz/fuzz_model.c - the model loader (formats 1-3, metadata): rbp_model_load, every metadata
 * key read back, the encoding taken from it, one prediction with the loaded weights, then
 * rbp_trainer_load of the same bytes into a trainer for that model (the optimizer state of a
 * checkpoint). Seeds: small model and checkpoint files of each format (make_seeds). */
#include "fuzz_common.h"

#include <zlib.h>

static void read_metadata(const rbp_model *m)
{
    size_t n = rbp_model_meta_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *key = rbp_model_meta_key(m, i);
        if (!key)
            abort();
        const char *s;
        int64_t v;
        double d;
        switch (rbp_model_meta_type(m, key)) {
        case RBP_META_STRING:
            if (rbp_model_meta_get_string(m, key, &s) != RBP_OK)
                abort();
            (void)strlen(s);
            break;
        case RBP_META_INT:
            if (rbp_model_meta_get_int(m, key, &v) != RBP_OK)
                abort();
            break;
        case RBP_META_DOUBLE:
            if (rbp_model_meta_get_double(m, key, &d) != RBP_OK)
                abort();
            break;
        default:
            abort(); /* a key the model lists must have a type */
        }
    }
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    fuzz_check(rbp_dataset_options_from_model(&o, m));
}

static void predict_one(const rbp_model *m)
{
    rbp_model_config cfg;
    if (rbp_model_get_config(m, &cfg) != RBP_OK)
        abort();
    if (cfg.use_structure || (size_t)cfg.seq_len * (size_t)cfg.d_model > (1u << 16))
        return; /* a structure input needs a column; big models cost time, not coverage */
    const char *seq[] = {"ACGUACGUACGUNACGU"};
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.length = cfg.seq_len;
    rbp_dataset *ds = NULL;
    if (rbp_dataset_from_strings(&ds, seq, NULL, NULL, 1, &o) != RBP_OK)
        return;
    rbp_session *s = NULL;
    rbp_status st = rbp_session_create(&s, m, NULL);
    fuzz_check(st);
    if (st == RBP_OK) {
        float y = 0;
        fuzz_check(rbp_session_predict(s, ds, 1, &y));
    }
    rbp_session_free(s);
    rbp_dataset_free(ds);
}

static void load(const char *p)
{
    rbp_model *m = NULL;
    rbp_status st = rbp_model_load(&m, p);
    fuzz_check(st);
    if (st != RBP_OK)
        return;
    read_metadata(m);
    (void)rbp_model_file_format(m);
    predict_one(m);
    rbp_train_config tc;
    rbp_train_config_init(&tc, RBP_TRAIN_CONFIG_VERSION);
    rbp_trainer *t = NULL;
    if (rbp_trainer_create(&t, m, &tc) == RBP_OK) {
        fuzz_check(rbp_trainer_load(t, p));
        rbp_trainer_free(t);
    }
    rbp_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(fuzz_write("model", data, size));
    /* The same bytes with a correct CRC32 trailer: a mutation would almost always fail the
     * checksum, and the checks behind it (sizes, config, metadata, NaN) are what matter. */
    if (size >= 8) {
        uint8_t *b = malloc(size);
        memcpy(b, data, size);
        uLong crc = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4));
        for (int i = 0; i < 4; i++)
            b[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
        if (memcmp(b + size - 4, data + size - 4, 4) != 0)
            load(fuzz_write("model-sealed", b, size));
        free(b);
    }
    return 0;
}
