/*
 * test_metadata.c - model metadata (rbpattn/metadata.h) and its block in format-3 files:
 * every value type through set/get and through a file, key order, replacing and removing,
 * the limits, the keys a save adds, trainer checkpoints, the input encoding, and loaders
 * that refuse damaged metadata, impossible sizes and non-finite weights with a clear
 * message before allocating.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>
#include "io/checkpoint.h"
#include "model/model_internal.h"

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(x >> (8 * i));
}

static rbp_model *make_model(int32_t use_structure)
{
    rbp_model_config mc;
    assert_int_equal(rbp_model_config_init(&mc, RBP_MODEL_CONFIG_VERSION), RBP_OK);
    mc.seq_len = 12;
    mc.d_model = 8;
    mc.n_heads = 2;
    mc.n_layers = 1;
    mc.d_ff = 16;
    mc.head_hidden = 4;
    mc.use_structure = use_structure;
    rbp_model *m = NULL;
    assert_int_equal(rbp_model_create(&m, &mc), RBP_OK);
    return m;
}

static rbp_model *save_load(const rbp_model *m, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s", rbp_test_path(name));
    assert_int_equal(rbp_model_save(m, path), RBP_OK);
    rbp_model *back = NULL;
    if (rbp_model_load(&back, path) != RBP_OK)
        fail_msg("%s", rbp_last_error());
    return back;
}

static const char *get_s(const rbp_model *m, const char *key)
{
    const char *s = NULL;
    if (rbp_model_meta_get_string(m, key, &s) != RBP_OK)
        fail_msg("%s", rbp_last_error());
    return s;
}

/* ---------------------------------------------------------------- round trips */

static void test_types_roundtrip(void **state)
{
    (void)state;
    rbp_model *m = make_model(0);
    assert_int_equal(rbp_model_meta_count(m), 0);
    assert_int_equal(rbp_model_file_format(m), 0);
    /* set in non-sorted order: keys come back sorted */
    assert_int_equal(rbp_model_meta_set_string(m, "protein", "PUM2"), RBP_OK);
    assert_int_equal(rbp_model_meta_set_string(m, "cell_line", "HEK293 \xc3\xa9\xe2\x82\xac\xf0\x9f\xa7\xac"), RBP_OK);
    assert_int_equal(rbp_model_meta_set_string(m, "empty", ""), RBP_OK);
    assert_int_equal(rbp_model_meta_set_int(m, "i.max", INT64_MAX), RBP_OK);
    assert_int_equal(rbp_model_meta_set_int(m, "i.min", INT64_MIN), RBP_OK);
    assert_int_equal(rbp_model_meta_set_int(m, "i.zero", 0), RBP_OK);
    assert_int_equal(rbp_model_meta_set_double(m, "d.neg0", -0.0), RBP_OK);
    assert_int_equal(rbp_model_meta_set_double(m, "d.nan", NAN), RBP_OK);
    assert_int_equal(rbp_model_meta_set_double(m, "d.inf", -INFINITY), RBP_OK);
    assert_int_equal(rbp_model_meta_set_double(m, "d.tiny", 4.9406564584124654e-324), RBP_OK);
    assert_int_equal(rbp_model_meta_set_double(m, "d.pi", 3.141592653589793), RBP_OK);
    /* replacing changes value and type; removing */
    assert_int_equal(rbp_model_meta_set_int(m, "experiment", 1), RBP_OK);
    assert_int_equal(rbp_model_meta_set_string(m, "experiment", "eCLIP rep 2"), RBP_OK);
    assert_int_equal(rbp_model_meta_set_string(m, "gone", "x"), RBP_OK);
    assert_int_equal(rbp_model_meta_remove(m, "gone"), RBP_OK);
    assert_int_equal(rbp_model_meta_type(m, "gone"), RBP_META_NONE);
    assert_int_equal(rbp_model_meta_count(m), 12);

    rbp_model *back = save_load(m, "types.rbpm");
    assert_int_equal(rbp_model_file_format(back), 6);
    /* the save added task, rbpattn.version, created and encoding.length */
    assert_int_equal(rbp_model_meta_count(back), 16);
    for (size_t i = 1; i < rbp_model_meta_count(back); i++)
        assert_true(strcmp(rbp_model_meta_key(back, i - 1), rbp_model_meta_key(back, i)) < 0);
    assert_null(rbp_model_meta_key(back, 16));
    assert_string_equal(get_s(back, "protein"), "PUM2");
    assert_string_equal(get_s(back, "cell_line"), "HEK293 \xc3\xa9\xe2\x82\xac\xf0\x9f\xa7\xac");
    assert_string_equal(get_s(back, "empty"), "");
    assert_string_equal(get_s(back, "experiment"), "eCLIP rep 2");
    assert_string_equal(get_s(back, "task"), "classification");
    assert_string_equal(get_s(back, "rbpattn.version"), rbp_version_string());
    const char *created = get_s(back, "created");
    assert_int_equal(strlen(created), 20); /* 2026-12-01T11:07:50Z */
    assert_true(created[4] == '-' && created[10] == 'T' && created[19] == 'Z');
    int64_t i;
    assert_int_equal(rbp_model_meta_get_int(back, "i.max", &i), RBP_OK);
    assert_true(i == INT64_MAX);
    assert_int_equal(rbp_model_meta_get_int(back, "i.min", &i), RBP_OK);
    assert_true(i == INT64_MIN);
    assert_int_equal(rbp_model_meta_get_int(back, "encoding.length", &i), RBP_OK);
    assert_int_equal(i, 12);
    double d;
    assert_int_equal(rbp_model_meta_get_double(back, "i.zero", &d), RBP_OK); /* an integer reads as a double */
    assert_true(d == 0.0);
    assert_int_equal(rbp_model_meta_get_double(back, "d.neg0", &d), RBP_OK);
    assert_true(d == 0.0 && signbit(d));
    assert_int_equal(rbp_model_meta_get_double(back, "d.nan", &d), RBP_OK);
    assert_true(isnan(d));
    assert_int_equal(rbp_model_meta_get_double(back, "d.inf", &d), RBP_OK);
    assert_true(isinf(d) && d < 0);
    assert_int_equal(rbp_model_meta_get_double(back, "d.tiny", &d), RBP_OK);
    assert_true(d == 4.9406564584124654e-324);
    assert_int_equal(rbp_model_meta_get_double(back, "d.pi", &d), RBP_OK);
    assert_true(d == 3.141592653589793);
    assert_int_equal(rbp_model_meta_type(back, "d.pi"), RBP_META_DOUBLE);
    assert_int_equal(rbp_model_meta_type(back, "i.min"), RBP_META_INT);
    assert_int_equal(rbp_model_meta_type(back, "protein"), RBP_META_STRING);

    /* a re-save keeps the creation time and writes the same bytes for the same content */
    rbp_model *again = save_load(back, "types2.rbpm");
    assert_string_equal(get_s(again, "created"), created);
    size_t n1, n2;
    unsigned char *b1 = rbp_test_read_file(rbp_test_path("types.rbpm"), &n1);
    unsigned char *b2 = rbp_test_read_file(rbp_test_path("types2.rbpm"), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);
    rbp_model_free(again);
    rbp_model_free(back);
    rbp_model_free(m);
}

static void test_limits(void **state)
{
    (void)state;
    rbp_model *m = make_model(0);
    char key[16];
    /* the setters leave room for the 4 keys a save adds */
    for (int k = 0; k < RBP_META_MAX_ENTRIES - 4; k++) {
        snprintf(key, sizeof key, "k%03d", k);
        assert_int_equal(rbp_model_meta_set_int(m, key, k), RBP_OK);
    }
    assert_int_equal(rbp_model_meta_set_int(m, "one.more", 1), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "RBP_META_MAX_ENTRIES"));
    assert_int_equal(rbp_model_meta_set_int(m, "k000", -1), RBP_OK); /* replacing is fine */
    rbp_model *full = save_load(m, "full.rbpm");
    assert_int_equal(rbp_model_meta_count(full), RBP_META_MAX_ENTRIES);
    rbp_model_free(full);
    rbp_model_free(m);

    /* the encoded size: 16 strings of 64 KiB would pass 1 MiB */
    m = make_model(0);
    char *big = malloc(RBP_META_STRING_MAX + 1);
    memset(big, 'x', RBP_META_STRING_MAX);
    big[RBP_META_STRING_MAX] = '\0';
    rbp_status st = RBP_OK;
    int k = 0;
    for (; k < 20 && st == RBP_OK; k++) {
        snprintf(key, sizeof key, "big%d", k);
        st = rbp_model_meta_set_string(m, key, big);
    }
    assert_int_equal(st, RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "RBP_META_BYTES_MAX"));
    assert_int_equal(k, 16);
    /* what fits still saves (the save adds its keys within the bound) */
    assert_int_equal(rbp_model_meta_remove(m, "big0"), RBP_OK);
    rbp_model *back = save_load(m, "big.rbpm");
    assert_int_equal(rbp_model_meta_count(back), 14 + 4);
    rbp_model_free(back);
    free(big);
    rbp_model_free(m);
}

/* Trainer checkpoints carry the model's metadata both ways. */
static void test_trainer_checkpoint(void **state)
{
    (void)state;
    rbp_model *m = make_model(0);
    assert_int_equal(rbp_model_meta_set_string(m, "protein", "QKI"), RBP_OK);
    rbp_train_config tc;
    assert_int_equal(rbp_train_config_init(&tc, RBP_TRAIN_CONFIG_VERSION), RBP_OK);
    rbp_trainer *t = NULL;
    assert_int_equal(rbp_trainer_create(&t, m, &tc), RBP_OK);
    char path[512];
    snprintf(path, sizeof path, "%s", rbp_test_path("trainer.rbpm"));
    assert_int_equal(rbp_trainer_save(t, path), RBP_OK);
    rbp_model *back = NULL;
    assert_int_equal(rbp_model_load(&back, path), RBP_OK);
    assert_string_equal(get_s(back, "protein"), "QKI");
    assert_string_equal(get_s(back, "task"), "classification");

    rbp_model *m2 = make_model(0);
    rbp_trainer *t2 = NULL;
    assert_int_equal(rbp_trainer_create(&t2, m2, &tc), RBP_OK);
    assert_int_equal(rbp_trainer_load(t2, path), RBP_OK);
    assert_string_equal(get_s(m2, "protein"), "QKI");
    assert_int_equal(rbp_model_file_format(m2), 6);
    rbp_trainer_free(t2);
    rbp_trainer_free(t);
    rbp_model_free(m2);
    rbp_model_free(back);
    rbp_model_free(m);
}

/* ---------------------------------------------------------------- input encoding */

static void test_encoding(void **state)
{
    (void)state;
    rbp_model *m = make_model(1);
    rbp_dataset_options o;
    /* a model without encoding keys: the defaults of the programs before format 3 */
    assert_int_equal(rbp_dataset_options_from_model(&o, m), RBP_OK);
    assert_int_equal(o.length, 12);
    assert_int_equal(o.truncate, RBP_TRUNCATE_RIGHT);
    assert_int_equal(o.case_viewpoint, 1);
    assert_string_equal(o.label_key, "class:");
    assert_null(o.structure_column);

    assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    o.truncate = RBP_TRUNCATE_CENTER;
    o.case_viewpoint = 0;
    o.label_key = "label=";
    o.structure_column = "structure";
    assert_int_equal(rbp_model_meta_set_encoding(m, &o), RBP_OK);
    rbp_model *back = save_load(m, "enc.rbpm");
    rbp_dataset_options r;
    assert_int_equal(rbp_dataset_options_from_model(&r, back), RBP_OK);
    assert_int_equal(r.version, RBP_DATASET_OPTIONS_VERSION);
    assert_int_equal(r.length, 12);
    assert_int_equal(r.truncate, RBP_TRUNCATE_CENTER);
    assert_int_equal(r.case_viewpoint, 0);
    assert_string_equal(r.label_key, "label=");
    assert_string_equal(r.structure_column, "structure");
    assert_string_equal(get_s(back, "encoding.alphabet"), RBP_META_ALPHABET);
    assert_string_equal(get_s(back, "encoding.truncate"), "center");
    rbp_model_free(back);
    rbp_model_free(m);

    /* A model trained without case_viewpoint: soft-masked (lowercase) letters do not move the
     * centre window; with case_viewpoint the uppercase run is the centre. */
    m = make_model(0);
    assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    o.truncate = RBP_TRUNCATE_CENTER;
    o.case_viewpoint = 0;
    assert_int_equal(rbp_model_meta_set_encoding(m, &o), RBP_OK);
    assert_int_equal(rbp_dataset_options_from_model(&r, m), RBP_OK);
    /* 24 letters, model length 12: the middle is positions 6..17 */
    const char *seq[1] = {"AAAAAACCCCCCggggggUUUUUU"};
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_from_strings(&ds, seq, NULL, NULL, 1, &r), RBP_OK);
    const uint8_t *tok = rbp_dataset_tokens(ds);
    assert_int_equal(tok[0], RBP_TOK_C);
    assert_int_equal(tok[11], RBP_TOK_G);
    rbp_dataset_free(ds);
    r.case_viewpoint = 1; /* the uppercase letters (0..11 and 18..23) then span everything */
    const char *seq2[1] = {"aaaaaaaaaaaaaaaaaaCCCCCC"};
    assert_int_equal(rbp_dataset_from_strings(&ds, seq2, NULL, NULL, 1, &r), RBP_OK);
    tok = rbp_dataset_tokens(ds);
    assert_int_equal(tok[11], RBP_TOK_C); /* window moved right to centre on CCCCCC */
    rbp_dataset_free(ds);
    r.case_viewpoint = 0;
    assert_int_equal(rbp_dataset_from_strings(&ds, seq2, NULL, NULL, 1, &r), RBP_OK);
    tok = rbp_dataset_tokens(ds);
    assert_int_equal(tok[11], RBP_TOK_A); /* the middle, whatever the case */
    rbp_dataset_free(ds);
    rbp_model_free(m);
}

/* ---------------------------------------------------------------- damaged files */

/* A saved model file with some metadata; returns its bytes, the block's offset and size. */
static unsigned char *good_file(size_t *n, size_t *meta_at, size_t *meta_size)
{
    rbp_model *m = make_model(0);
    assert_int_equal(rbp_model_meta_set_string(m, "protein", "PUM2"), RBP_OK);
    assert_int_equal(rbp_model_meta_set_int(m, "records", 1000), RBP_OK);
    const char *path = rbp_test_path("good.rbpm");
    assert_int_equal(rbp_model_save(m, path), RBP_OK);
    unsigned char *b = rbp_test_read_file(path, n);
    assert_int_equal(le32(b + 4), 6);
    *meta_size = le32(b + 96);
    *meta_at = 108 + 4 * rbp_model_num_params(m);
    assert_int_equal(*meta_at + *meta_size + 4, *n);
    rbp_model_free(m);
    return b;
}

static void reseal(unsigned char *b, size_t n)
{
    put32(b + n - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4)));
}

static void expect_refused(const unsigned char *b, size_t n, const char *name, const char *words)
{
    const char *path = rbp_test_write_file(name, (const char *)b, n);
    rbp_model *m = (rbp_model *)b;
    rbp_status st = rbp_model_load(&m, path);
    if (st != RBP_ERR_FORMAT)
        fail_msg("%s: status %d (%s), expected RBP_ERR_FORMAT: %s", name, st, rbp_status_str(st), rbp_last_error());
    assert_null(m);
    if (strstr(rbp_last_error(), path) == NULL || strstr(rbp_last_error(), words) == NULL)
        fail_msg("%s: message lacks the path or '%s': %s", name, words, rbp_last_error());
}

/* Entries: u16 key length, key, u8 type, value; sorted: created, encoding.length, protein,
 * rbpattn.version, records, task. */
static void test_corrupt_metadata(void **state)
{
    (void)state;
    size_t n, at, sz;
    unsigned char *good = good_file(&n, &at, &sz);
    unsigned char *b = malloc(n + 16);
    const size_t e0 = at + 8; /* first entry: "created", a 20-byte string */
    assert_int_equal(good[e0], 7);
    assert_memory_equal(good + e0 + 2, "created", 7);
    const size_t e1 = e0 + 2 + 7 + 1 + 4 + 20; /* "encoding.length", an integer */
    assert_int_equal(good[e1], 15);
    assert_int_equal(good[e1 + 17], RBP_META_INT);
    const size_t e2 = e1 + 2 + 15 + 1 + 8; /* "protein" */
    assert_int_equal(good[e2], 7);
    const size_t e2v = e2 + 2 + 7 + 1; /* its string length */
    assert_int_equal(le32(good + e2v), 4);

#define FRESH() memcpy(b, good, n)
    FRESH();
    put32(b + at, 2); /* a newer metadata version */
    reseal(b, n);
    expect_refused(b, n, "mver.rbpm", "metadata version 2");
    FRESH();
    put32(b + at + 4, 0xFFFFFFFFu); /* a count the block cannot hold: refused before reading */
    reseal(b, n);
    expect_refused(b, n, "mcount.rbpm", "corrupt file: metadata block announces 4294967295 entries");
    FRESH();
    put32(b + at + 4, le32(good + at + 4) - 1); /* one entry fewer: bytes left over */
    reseal(b, n);
    expect_refused(b, n, "mtrail.rbpm", "bytes after the last entry");
    FRESH();
    put32(b + at + 4, le32(good + at + 4) + 1); /* one more than there is */
    reseal(b, n);
    expect_refused(b, n, "mmore.rbpm", "corrupt file: metadata");
    FRESH();
    b[e0] = 0; /* key length 0 */
    reseal(b, n);
    expect_refused(b, n, "mk0.rbpm", "key length 0");
    FRESH();
    b[e0] = 0xFF;
    b[e0 + 1] = 0xFF; /* key length 65535 */
    reseal(b, n);
    expect_refused(b, n, "mkbig.rbpm", "key length 65535");
    FRESH();
    b[e0 + 2] = ' '; /* a key character that is not allowed */
    reseal(b, n);
    expect_refused(b, n, "mkchar.rbpm", "invalid key");
    FRESH();
    b[e2 + 2] = 'a'; /* "protein" -> "arotein": before "encoding.length", out of order */
    reseal(b, n);
    expect_refused(b, n, "morder.rbpm", "out of order");
    FRESH();
    b[e1 + 17] = 9; /* unknown type */
    reseal(b, n);
    expect_refused(b, n, "mtype.rbpm", "unknown value type 9");
    FRESH();
    put32(b + e2v, 0x7FFFFFF0u); /* a string longer than the block */
    reseal(b, n);
    expect_refused(b, n, "mslen.rbpm", "string of 2147483632 bytes");
    FRESH();
    b[e2v + 4] = 0xFF; /* "PUM2" with a byte that is not UTF-8 */
    reseal(b, n);
    expect_refused(b, n, "mutf8.rbpm", "UTF-8");
    FRESH();
    b[e2v + 4] ^= 0x01; /* any change without a new CRC */
    expect_refused(b, n, "mcrc.rbpm", "corrupted");
    FRESH();
    expect_refused(b, n - 3, "mcut.rbpm", "truncated"); /* cut inside the block */
    FRESH();
    put32(b + 96, (uint32_t)sz - 1); /* metadata size disagrees with the file */
    reseal(b, n);
    expect_refused(b, n, "msize.rbpm", "truncated or has trailing data");
    FRESH();
    put32(b + 96, 0xFFFFFFFFu); /* a size the format does not allow: not "out of memory" */
    reseal(b, n);
    expect_refused(b, n, "mhuge.rbpm", "corrupt file: metadata size 4294967295");
#undef FRESH
    free(b);
    free(good);
}

/* Dimensions that need more parameters than the file holds: refused from the header, before
 * the model would be allocated (these would need terabytes: "out of memory" otherwise). */
static void test_impossible_dimensions(void **state)
{
    (void)state;
    size_t n, at, sz;
    unsigned char *b = good_file(&n, &at, &sz);
    put32(b + 24, 65536);   /* d_model */
    put32(b + 28, 1);       /* n_heads */
    put32(b + 32, 1024);    /* n_layers */
    put32(b + 36, 1 << 20); /* d_ff */
    put32(b + 20, 8);       /* seq_len (seq_len * d_model bounded) */
    reseal(b, n);
    expect_refused(b, n, "dims.rbpm", "parameters, its configuration needs");
    free(b);
}

/* A NaN or an infinity in the weights is refused naming the tensor. */
static void test_non_finite_weights(void **state)
{
    (void)state;
    size_t n, at, sz;
    unsigned char *good = good_file(&n, &at, &sz);
    rbp_model *m = make_model(0);
    rbp__param_info info[64];
    int k = rbp__model_param_info(m, info, 64);
    assert_true(k > 3);
    unsigned char *b = malloc(n);
    const uint32_t bad[2] = {0x7FC00000u /* NaN */, 0xFF800000u /* -inf */};
    for (int j = 0; j < 2; j++) {
        memcpy(b, good, n);
        const rbp__param_info *t = &info[3]; /* the first encoder tensor */
        put32(b + 108 + 4 * (t->offset + 2), bad[j]);
        reseal(b, n);
        char want[128];
        snprintf(want, sizeof want, "non-finite value (NaN or infinity) in the parameters, tensor '%s' [2]", t->name);
        expect_refused(b, n, j ? "inf.rbpm" : "nan.rbpm", want);
    }
    free(b);
    free(good);
    rbp_model_free(m);
}

/* A trainer checkpoint with a NaN in the optimizer state is refused before the trainer's
 * weights are touched. */
static void test_non_finite_trainer_state(void **state)
{
    (void)state;
    rbp_model *m = make_model(0);
    rbp_train_config tc;
    assert_int_equal(rbp_train_config_init(&tc, RBP_TRAIN_CONFIG_VERSION), RBP_OK);
    rbp_trainer *t = NULL;
    assert_int_equal(rbp_trainer_create(&t, m, &tc), RBP_OK);
    const size_t n = rbp_model_num_params(m);
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    assert_int_equal(rbp_model_get_config(m, &h.model), RBP_OK);
    h.num_params = n;
    h.flags = RBP__CKPT_HAS_TRAINER;
    h.train.cfg = tc;
    h.train.best_epoch = -1;
    h.train.best_value = NAN;
    float *x = calloc(n, sizeof(float)), *mom = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = 0.25f;
    mom[n - 1] = NAN; /* the last tensor's last value */
    char path[512];
    snprintf(path, sizeof path, "%s", rbp_test_path("nan_trainer.rbpm"));
    assert_int_equal(rbp__ckpt_write(path, &h, x, mom, x, NULL, NULL), RBP_OK);
    float *before = malloc(n * sizeof(float));
    memcpy(before, rbp_model_params(m), n * sizeof(float));
    assert_int_equal(rbp_trainer_load(t, path), RBP_ERR_FORMAT);
    assert_non_null(strstr(rbp_last_error(), "non-finite value (NaN or infinity) in the Adam first moment"));
    assert_memory_equal(before, rbp_model_params(m), n * sizeof(float));
    /* a finite but negative Adam second moment: refused too (sqrt(v) in the next step) */
    mom[n - 1] = 0.0f;
    float *v = calloc(n, sizeof(float));
    v[1] = -1e-8f;
    assert_int_equal(rbp__ckpt_write(path, &h, x, mom, v, NULL, NULL), RBP_OK);
    assert_int_equal(rbp_trainer_load(t, path), RBP_ERR_FORMAT);
    assert_non_null(strstr(rbp_last_error(), "negative value in the Adam second moment"));
    assert_memory_equal(before, rbp_model_params(m), n * sizeof(float));
    v[1] = -0.0f; /* signed zero is a zero */
    assert_int_equal(rbp__ckpt_write(path, &h, x, mom, v, NULL, NULL), RBP_OK);
    assert_int_equal(rbp_trainer_load(t, path), RBP_OK);
    /* a NaN in the weight average (format 5) is named as such */
    h.flags |= RBP__CKPT_HAS_EMA;
    h.train.cfg.ema_decay = 0.99f;
    mom[0] = NAN;
    memcpy(before, rbp_model_params(m), n * sizeof(float));
    assert_int_equal(rbp__ckpt_write(path, &h, x, v, v, NULL, mom), RBP_OK);
    assert_int_equal(rbp_trainer_load(t, path), RBP_ERR_FORMAT);
    assert_non_null(strstr(rbp_last_error(), "non-finite value (NaN or infinity) in the weight average"));
    assert_memory_equal(before, rbp_model_params(m), n * sizeof(float));
    free(v);
    free(before);
    free(x);
    free(mom);
    rbp_trainer_free(t);
    rbp_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_roundtrip),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_trainer_checkpoint),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_corrupt_metadata),
        cmocka_unit_test(test_impossible_dimensions),
        cmocka_unit_test(test_non_finite_weights),
        cmocka_unit_test(test_non_finite_trainer_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
