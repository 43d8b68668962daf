/*
 * test_checkpoint.c - the checkpoint format (docs/checkpoint.md): exact byte layout, round
 * trips bit for bit, atomic replacement, and rejection of every kind of damaged file
 * (missing, truncated at any length, any single byte flipped, wrong magic, newer version,
 * trailing data) with RBP_ERR_IO / RBP_ERR_FORMAT and the path in the message.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>
#include "io/checkpoint.h"

/* ---------------------------------------------------------------- helpers */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void model_config(rbp_model_config *mc)
{
    memset(mc, 0, sizeof *mc);
    mc->version = RBP_MODEL_CONFIG_VERSION;
    mc->seq_len = 41;
    mc->d_model = 32;
    mc->n_heads = 4;
    mc->n_layers = 3;
    mc->d_ff = 64;
    mc->head_hidden = 16;
    mc->dropout = 0.1f;
    mc->ln_eps = 1e-6f;
    mc->task = RBP_TASK_REGRESSION;
    mc->norm = RBP_NORM_PRE;
    mc->activation = RBP_ACT_GELU;
    mc->pooling = RBP_POOL_MAX;
    mc->use_structure = 1;
    mc->use_viewpoint = 0;
    mc->seed = 0x0123456789ABCDEFull;
    mc->conv_kernel = 7;
    mc->stem_filters = 9;
    mc->stem_pool = 3;
}

/* Values whose bits must survive: signed zero, denormals, infinities, NaN payloads. */
static void fill_params(float *x, size_t n, uint64_t seed)
{
    rbp_test_rng r;
    rbp_test_rng_seed(&r, seed);
    rbp_test_fill_uniform(&r, x, n, -3.0f, 3.0f);
    if (n >= 5) {
        uint32_t nan_bits = 0x7FC12345u;
        x[0] = -0.0f;
        x[1] = 1e-42f; /* denormal */
        x[2] = INFINITY;
        memcpy(&x[3], &nan_bits, 4);
        x[4] = -3.4028235e38f;
    }
}

/* A model-only file with N parameters; returns its path. */
enum { N = 10 };

static const char *write_model_file(const char *name, float *params)
{
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    model_config(&h.model);
    h.num_params = N;
    fill_params(params, N, 7);
    const char *path = rbp_test_path(name);
    assert_int_equal(rbp__ckpt_write(path, &h, params, NULL, NULL, NULL, NULL), RBP_OK);
    return path;
}

static void expect_error(const char *path, rbp_status code, const char *words)
{
    rbp__ckpt_reader r;
    rbp_status st = rbp__ckpt_open(&r, path);
    if (st != code)
        fail_msg("%s: status %d (%s), expected %d; message: %s", path, st, rbp_status_str(st), code,
                 rbp_last_error());
    assert_null(r.f);
    if (strstr(rbp_last_error(), path) == NULL)
        fail_msg("message does not name the file: %s", rbp_last_error());
    if (words && strstr(rbp_last_error(), words) == NULL)
        fail_msg("message lacks '%s': %s", words, rbp_last_error());
}

/* ---------------------------------------------------------------- tests */

/* The byte layout of docs/checkpoint.md, checked offset by offset. */
static void test_layout_model_only(void **state)
{
    (void)state;
    float params[N];
    const char *path = write_model_file("layout.rbpm", params);
    size_t n;
    unsigned char *b = rbp_test_read_file(path, &n);
    assert_int_equal(n, 108 + 4 * N + 8 + 4);
    assert_memory_equal(b, "RBPM", 4);
    assert_int_equal(le32(b + 4), 6);   /* format version */
    assert_int_equal(le32(b + 8), 108); /* header size */
    assert_int_equal(le32(b + 12), 0); /* flags */
    assert_int_equal(le32(b + 16), RBP_MODEL_CONFIG_VERSION);
    const uint32_t ints[6] = {41, 32, 4, 3, 64, 16};
    for (int i = 0; i < 6; i++)
        assert_int_equal(le32(b + 20 + 4 * i), ints[i]);
    float f;
    uint32_t u = le32(b + 44);
    memcpy(&f, &u, 4);
    assert_float_equal(f, 0.1f, 0.0f);
    u = le32(b + 48);
    memcpy(&f, &u, 4);
    assert_float_equal(f, 1e-6f, 0.0f);
    assert_int_equal(le32(b + 52), RBP_TASK_REGRESSION);
    assert_int_equal(le32(b + 56), RBP_NORM_PRE);
    assert_int_equal(le32(b + 60), RBP_ACT_GELU);
    assert_int_equal(le32(b + 64), RBP_POOL_MAX);
    assert_int_equal(le32(b + 68), 1);
    assert_int_equal(le32(b + 72), 0);
    assert_true(le64(b + 76) == 0x0123456789ABCDEFull);
    assert_int_equal(le64(b + 84), N);
    assert_int_equal(le32(b + 92), 7); /* conv_kernel (format 2) */
    assert_int_equal(le32(b + 96), 8); /* metadata size (format 3): an empty block */
    assert_int_equal(le32(b + 100), 9); /* stem_filters (format 4) */
    assert_int_equal(le32(b + 104), 3); /* stem_pool (format 6) */
    for (int i = 0; i < N; i++) {
        uint32_t bits;
        memcpy(&bits, &params[i], 4);
        assert_int_equal(le32(b + 108 + 4 * i), bits);
    }
    assert_int_equal(le32(b + 108 + 4 * N), 1);     /* metadata version */
    assert_int_equal(le32(b + 108 + 4 * N + 4), 0); /* entries */
    /* CRC32 (zlib) of every byte before the trailer */
    uLong crc = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    assert_int_equal(le32(b + n - 4), (uint32_t)crc);
    free(b);
}

static void test_roundtrip_model_only(void **state)
{
    (void)state;
    float params[N], back[N];
    const char *path = write_model_file("rt.rbpm", params);
    rbp__ckpt_reader r;
    assert_int_equal(rbp__ckpt_open(&r, path), RBP_OK);
    rbp_model_config mc;
    model_config(&mc);
    assert_int_equal(r.h.format_version, 6);
    assert_int_equal(r.h.flags, 0);
    assert_int_equal(r.h.model.conv_kernel, 7);
    assert_int_equal(r.h.model.stem_filters, 9);
    assert_int_equal(r.h.model.stem_pool, 3);
    assert_int_equal(r.h.num_params, N);
    char buf[128];
    assert_null(rbp__ckpt_config_diff(&r.h.model, &mc, buf, sizeof buf));
    assert_true(r.h.model.seed == mc.seed);
    assert_int_equal(rbp__ckpt_read_arrays(&r, back, NULL, NULL, NULL, NULL), RBP_OK);
    assert_memory_equal(back, params, sizeof params);
    /* asking for optimizer state that is not there */
    float m[N], v[N];
    assert_int_equal(rbp__ckpt_read_arrays(&r, back, m, v, NULL, NULL), RBP_ERR_FORMAT);
    assert_non_null(strstr(rbp_last_error(), "optimizer"));
    rbp__ckpt_close(&r);
    rbp__ckpt_close(&r); /* idempotent */
}

static void fill_train(rbp__ckpt_header *h)
{
    memset(h, 0, sizeof *h);
    model_config(&h->model);
    h->num_params = 3000; /* more than one I/O chunk */
    h->flags = RBP__CKPT_HAS_TRAINER | RBP__CKPT_HAS_BEST | RBP__CKPT_HAS_EMA;
    rbp_train_config_init(&h->train.cfg, RBP_TRAIN_CONFIG_VERSION);
    h->train.cfg.ema_decay = 0.75f;
    h->train.cfg.epochs = 7;
    h->train.cfg.optimizer = RBP_OPT_ADAMW;
    h->train.cfg.lr = 3e-4f;
    h->train.cfg.seed = 0xFFFFFFFFFFFFFFFFull;
    h->train.cfg.monitor = RBP_MONITOR_VAL_AUC;
    h->train.cfg.patience = 2;
    h->train.step = 5000000000ll; /* needs 64 bits */
    h->train.epoch = 4;
    h->train.best_epoch = 2;
    h->train.bad_epochs = 1;
    h->train.best_value = 0.123456789012345678;
}

static void test_roundtrip_trainer(void **state)
{
    (void)state;
    rbp__ckpt_header h;
    fill_train(&h);
    const size_t n = (size_t)h.num_params;
    float *a[5], *b[5];
    for (int k = 0; k < 5; k++) {
        a[k] = malloc(n * sizeof(float));
        b[k] = malloc(n * sizeof(float));
        fill_params(a[k], n, 100 + (uint64_t)k);
    }
    const char *path = rbp_test_path("trainer.rbpm");
    assert_int_equal(rbp__ckpt_write(path, &h, a[0], a[1], a[2], a[3], a[4]), RBP_OK);

    size_t fsz;
    unsigned char *raw = rbp_test_read_file(path, &fsz);
    assert_int_equal(fsz, 220 + 4 * 5 * n + 8 + 4);
    assert_int_equal(le32(raw + 8), 220);
    assert_int_equal(le32(raw + 12), 7);
    assert_int_equal(le32(raw + 92), 7);         /* conv_kernel */
    assert_int_equal(le32(raw + 96), 8);         /* metadata size */
    assert_int_equal(le32(raw + 100), 9);        /* stem_filters */
    assert_int_equal(le32(raw + 104), 3);        /* stem_pool */
    assert_int_equal(le32(raw + 112), 7);        /* epochs: the trainer block starts at 108 */
    assert_true(le64(raw + 188) == 5000000000ull);
    assert_int_equal(le32(raw + 196), 4);
    assert_int_equal(le32(raw + 216), 0x3F400000u); /* ema_decay 0.75 (format 5) */
    free(raw);

    rbp__ckpt_reader r;
    assert_int_equal(rbp__ckpt_open(&r, path), RBP_OK);
    assert_int_equal(r.h.header_size, 220);
    assert_int_equal(r.h.model.conv_kernel, 7);
    assert_int_equal(r.h.flags, 7);
    assert_memory_equal(&r.h.train.cfg, &h.train.cfg, sizeof h.train.cfg); /* no padding in the struct */
    assert_true(r.h.train.step == h.train.step);
    assert_int_equal(r.h.train.epoch, 4);
    assert_int_equal(r.h.train.best_epoch, 2);
    assert_int_equal(r.h.train.bad_epochs, 1);
    assert_true(r.h.train.best_value == h.train.best_value);
    assert_int_equal(rbp__ckpt_read_arrays(&r, b[0], b[1], b[2], b[3], b[4]), RBP_OK);
    for (int k = 0; k < 5; k++)
        assert_memory_equal(a[k], b[k], n * sizeof(float));
    /* the average past skipped best weights */
    memset(b[4], 0, n * sizeof(float));
    assert_int_equal(rbp__ckpt_read_arrays(&r, NULL, NULL, NULL, NULL, b[4]), RBP_OK);
    assert_memory_equal(a[4], b[4], n * sizeof(float));
    /* params only (the model loader's view of a trainer checkpoint) */
    memset(b[0], 0, n * sizeof(float));
    assert_int_equal(rbp__ckpt_read_arrays(&r, b[0], NULL, NULL, NULL, NULL), RBP_OK);
    assert_memory_equal(a[0], b[0], n * sizeof(float));
    rbp__ckpt_close(&r);

    /* without best weights */
    h.flags = RBP__CKPT_HAS_TRAINER;
    assert_int_equal(rbp__ckpt_write(path, &h, a[0], a[1], a[2], NULL, NULL), RBP_OK);
    assert_int_equal(rbp__ckpt_open(&r, path), RBP_OK);
    assert_int_equal(r.h.flags, RBP__CKPT_HAS_TRAINER);
    assert_int_equal(rbp__ckpt_read_arrays(&r, b[0], b[1], b[2], b[3], NULL), RBP_ERR_FORMAT);
    assert_non_null(strstr(rbp_last_error(), "best"));
    assert_int_equal(rbp__ckpt_read_arrays(&r, b[0], b[1], b[2], NULL, b[4]), RBP_ERR_FORMAT);
    assert_non_null(strstr(rbp_last_error(), "weight average"));
    assert_int_equal(rbp__ckpt_read_arrays(&r, b[0], b[1], b[2], NULL, NULL), RBP_OK);
    for (int k = 0; k < 3; k++)
        assert_memory_equal(a[k], b[k], n * sizeof(float));
    rbp__ckpt_close(&r);

    /* the average without best weights: a NaN in it is reported as array 4 */
    h.flags = RBP__CKPT_HAS_TRAINER | RBP__CKPT_HAS_EMA;
    for (int k = 0; k < 5; k++) /* finite, so that the one NaN below is the first bad value */
        for (size_t i = 0; i < n; i++)
            a[k][i] = (float)(k + 1) * 1e-3f * (float)i;
    a[4][5] = NAN;
    assert_int_equal(rbp__ckpt_write(path, &h, a[0], a[1], a[2], NULL, a[4]), RBP_OK);
    assert_int_equal(rbp__ckpt_open(&r, path), RBP_OK);
    assert_int_equal(r.h.bad_array, 4);
    assert_true(r.h.bad_index == 5);
    rbp__ckpt_close(&r);
    assert_int_equal(rbp__ckpt_write(path, &h, a[0], a[1], a[2], NULL, NULL), RBP_ERR_INVALID_ARG);

    /* format 4 (before the average): 212-byte header, ema_decay reads as 0; it cannot hold an
     * average or a trainer that keeps one */
    h.format_version = 4;
    assert_int_equal(rbp__ckpt_write(path, &h, a[0], a[1], a[2], NULL, NULL), RBP_ERR_INVALID_ARG); /* stem_pool */
    h.model.stem_pool = 0;
    assert_int_equal(rbp__ckpt_write(path, &h, a[0], a[1], a[2], NULL, a[4]), RBP_ERR_INVALID_ARG);
    h.flags = RBP__CKPT_HAS_TRAINER;
    assert_int_equal(rbp__ckpt_write(path, &h, a[0], a[1], a[2], NULL, NULL), RBP_ERR_INVALID_ARG);
    h.train.cfg.ema_decay = 0.0f;
    assert_int_equal(rbp__ckpt_write(path, &h, a[0], a[1], a[2], NULL, NULL), RBP_OK);
    raw = rbp_test_read_file(path, &fsz);
    assert_int_equal(fsz, 212 + 4 * 3 * n + 8 + 4);
    assert_int_equal(le32(raw + 4), 4);
    assert_int_equal(le32(raw + 8), 212);
    raw[12] = (unsigned char)(RBP__CKPT_HAS_TRAINER | RBP__CKPT_HAS_EMA); /* flags, little-endian */
    const char *bad = rbp_test_write_file("v4ema.rbpm", (const char *)raw, fsz);
    free(raw);
    expect_error(bad, RBP_ERR_FORMAT, "flags");
    h.train.cfg.ema_decay = 0.75f;
    assert_int_equal(rbp__ckpt_open(&r, path), RBP_OK);
    assert_int_equal(r.h.format_version, 4);
    assert_int_equal(r.h.header_size, 212);
    assert_float_equal(r.h.train.cfg.ema_decay, 0.0f, 0.0f);
    assert_true(r.h.train.step == h.train.step);
    assert_true(r.h.train.best_value == h.train.best_value);
    assert_int_equal(rbp__ckpt_read_arrays(&r, b[0], b[1], b[2], NULL, NULL), RBP_OK);
    for (int k = 0; k < 3; k++)
        assert_memory_equal(a[k], b[k], n * sizeof(float));
    rbp__ckpt_close(&r);
    for (int k = 0; k < 5; k++) {
        free(a[k]);
        free(b[k]);
    }
}

static void test_missing_and_not_a_file(void **state)
{
    (void)state;
    const char *path = rbp_test_path("does-not-exist.rbpm");
    expect_error(path, RBP_ERR_IO, "No such file");
    char dir[512];
    snprintf(dir, sizeof dir, "%s", rbp_test_path("x"));
    *strrchr(dir, '/') = '\0'; /* the scratch directory itself */
    expect_error(dir, RBP_ERR_IO, NULL);
    rbp__ckpt_reader r;
    assert_int_equal(rbp__ckpt_open(&r, NULL), RBP_ERR_INVALID_ARG);
    assert_int_equal(rbp__ckpt_open(NULL, path), RBP_ERR_INVALID_ARG);
}

/* Every proper prefix of a valid file is rejected as FORMAT, never read past. */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    float params[N];
    const char *path = write_model_file("full.rbpm", params);
    size_t n;
    unsigned char *b = rbp_test_read_file(path, &n);
    for (size_t len = 0; len < n; len++) {
        const char *p = rbp_test_write_file("trunc.rbpm", (const char *)b, len);
        expect_error(p, RBP_ERR_FORMAT, "truncated");
    }
    /* one trailing byte too many */
    unsigned char *longer = malloc(n + 1);
    memcpy(longer, b, n);
    longer[n] = 0;
    expect_error(rbp_test_write_file("long.rbpm", (const char *)longer, n + 1), RBP_ERR_FORMAT, "trailing");
    free(longer);
    free(b);
}

/* Flipping any bit of any byte is caught (CRC or an earlier check), for a model-only and
 * a trainer file. */
static void flip_all(const char *path)
{
    size_t n;
    unsigned char *b = rbp_test_read_file(path, &n);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (unsigned char)(1u << bit);
            const char *p = rbp_test_write_file("flip.rbpm", (const char *)b, n);
            rbp__ckpt_reader r;
            rbp_status st = rbp__ckpt_open(&r, p);
            if (st != RBP_ERR_FORMAT)
                fail_msg("byte %zu bit %d flipped: status %d (%s)", i, bit, st, rbp_last_error());
            assert_non_null(strstr(rbp_last_error(), p));
            b[i] ^= (unsigned char)(1u << bit);
        }
    }
    free(b);
}

static void test_flipped_bytes(void **state)
{
    (void)state;
    float params[N];
    flip_all(write_model_file("flipsrc.rbpm", params));

    rbp__ckpt_header h;
    fill_train(&h);
    h.num_params = 6;
    float a[6] = {1, 2, 3, 4, 5, 6};
    const char *path = rbp_test_path("flipsrc2.rbpm");
    assert_int_equal(rbp__ckpt_write(path, &h, a, a, a, a, a), RBP_OK);
    flip_all(path);
}

static void patch_u32(const char *src, const char *name, size_t off, uint32_t value, const char **out)
{
    size_t n;
    unsigned char *b = rbp_test_read_file(src, &n);
    b[off] = (unsigned char)value;
    b[off + 1] = (unsigned char)(value >> 8);
    b[off + 2] = (unsigned char)(value >> 16);
    b[off + 3] = (unsigned char)(value >> 24);
    *out = rbp_test_write_file(name, (const char *)b, n);
    free(b);
}

/* Re-seal a patched file with a correct CRC, so the check after the CRC is what fires. */
static const char *reseal(const char *path)
{
    size_t n;
    unsigned char *b = rbp_test_read_file(path, &n);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    b[n - 4] = (unsigned char)crc;
    b[n - 3] = (unsigned char)(crc >> 8);
    b[n - 2] = (unsigned char)(crc >> 16);
    b[n - 1] = (unsigned char)(crc >> 24);
    const char *p = rbp_test_write_file("sealed.rbpm", (const char *)b, n);
    free(b);
    return p;
}

static void test_specific_damage(void **state)
{
    (void)state;
    float params[N];
    char good[512]; /* rbp_test_path strings are recycled after 8 calls */
    snprintf(good, sizeof good, "%s", write_model_file("good.rbpm", params));
    const char *p;

    /* wrong magic: another format altogether */
    p = rbp_test_write_file("png.rbpm", "\x89PNG\r\n\x1a\n0123456789abcdef", (size_t)-1);
    expect_error(p, RBP_ERR_FORMAT, "not an rbpattn checkpoint");
    patch_u32(good, "magic.rbpm", 0, 0x5242504Du /* "MPBR" */, &p);
    expect_error(p, RBP_ERR_FORMAT, "bad magic");

    /* a newer format version */
    patch_u32(good, "v7.rbpm", 4, 7, &p);
    expect_error(p, RBP_ERR_FORMAT, "written by a newer rbpattn (format 7 > 6)");
    patch_u32(good, "v0.rbpm", 4, 0, &p);
    expect_error(p, RBP_ERR_FORMAT, "version 0");

    /* unknown flags; header size that disagrees with the flags */
    patch_u32(good, "flags.rbpm", 12, 4, &p);
    expect_error(p, RBP_ERR_FORMAT, "flags");
    patch_u32(good, "flags2.rbpm", 12, RBP__CKPT_HAS_BEST, &p);
    expect_error(p, RBP_ERR_FORMAT, "flags");
    patch_u32(good, "hsize.rbpm", 8, 92, &p); /* format 1's size in a format 6 file */
    expect_error(p, RBP_ERR_FORMAT, "header size");
    patch_u32(good, "hsize1.rbpm", 4, 1, &p); /* format 1 with format 6's size */
    expect_error(p, RBP_ERR_FORMAT, "header size 108, expected 92");
    patch_u32(good, "hsize2.rbpm", 4, 2, &p); /* format 2 with format 6's size */
    expect_error(p, RBP_ERR_FORMAT, "header size 108, expected 96");
    patch_u32(good, "hsize3.rbpm", 4, 3, &p); /* format 3 with format 6's size */
    expect_error(p, RBP_ERR_FORMAT, "header size 108, expected 100");
    patch_u32(good, "hsize5.rbpm", 4, 5, &p); /* format 5 with format 6's size */
    expect_error(p, RBP_ERR_FORMAT, "header size 108, expected 104");

    /* metadata sizes the format does not allow, or the file cannot hold: refused before the
     * block is allocated, even with a valid CRC */
    patch_u32(good, "msize0.rbpm", 96, 0, &p);
    expect_error(reseal(p), RBP_ERR_FORMAT, "corrupt file: metadata size 0");
    patch_u32(good, "msizehuge.rbpm", 96, 0xFFFFFFF0u, &p);
    expect_error(reseal(p), RBP_ERR_FORMAT, "corrupt file: metadata size 4294967280");
    patch_u32(good, "msize9.rbpm", 96, 9, &p);
    expect_error(reseal(p), RBP_ERR_FORMAT, "truncated or has trailing data");

    /* parameter count too large / huge (overflow-safe size check), even with a valid CRC */
    patch_u32(good, "n.rbpm", 84, N + 1, &p);
    expect_error(reseal(p), RBP_ERR_FORMAT, "parameters");
    patch_u32(good, "nhuge.rbpm", 88, 0x40000000u, &p);
    expect_error(reseal(p), RBP_ERR_FORMAT, "parameters");

    /* a data byte flipped: the CRC */
    size_t n;
    unsigned char *b = rbp_test_read_file(good, &n);
    b[110] ^= 0x10;
    expect_error(rbp_test_write_file("crc.rbpm", (const char *)b, n), RBP_ERR_FORMAT, "corrupted");
    free(b);
}

static void test_invalid_train_block(void **state)
{
    (void)state;
    rbp__ckpt_header h;
    fill_train(&h);
    h.num_params = 4;
    float a[4] = {1, 2, 3, 4};
    const char *path = rbp_test_path("tb.rbpm");
    /* an invalid training config inside a well-formed file */
    h.train.cfg.batch_size = 0;
    assert_int_equal(rbp__ckpt_write(path, &h, a, a, a, a, a), RBP_OK);
    expect_error(path, RBP_ERR_FORMAT, "batch_size");
    /* counters that cannot happen */
    fill_train(&h);
    h.num_params = 4;
    h.train.best_epoch = h.train.epoch;
    assert_int_equal(rbp__ckpt_write(path, &h, a, a, a, a, a), RBP_OK);
    expect_error(path, RBP_ERR_FORMAT, "counters");
    fill_train(&h);
    h.num_params = 4;
    h.train.best_epoch = -1; /* best weights flagged but no best epoch */
    assert_int_equal(rbp__ckpt_write(path, &h, a, a, a, a, a), RBP_OK);
    expect_error(path, RBP_ERR_FORMAT, "counters");
}

/* Overwriting goes through a temporary file and rename: the target is always complete,
 * no temporary stays behind, a failed write leaves the old file alone. */
static void test_atomic_write(void **state)
{
    (void)state;
    const char *dir = rbp_test_dir();

    float params[N], back[N];
    const char *path = write_model_file("atomic.rbpm", params);
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    model_config(&h.model);
    h.num_params = N;
    float other[N];
    for (int i = 0; i < N; i++)
        other[i] = (float)i;
    assert_int_equal(rbp__ckpt_write(path, &h, other, NULL, NULL, NULL, NULL), RBP_OK);
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);
    rbp__ckpt_reader r;
    assert_int_equal(rbp__ckpt_open(&r, path), RBP_OK);
    assert_int_equal(rbp__ckpt_read_arrays(&r, back, NULL, NULL, NULL, NULL), RBP_OK);
    rbp__ckpt_close(&r);
    assert_memory_equal(back, other, sizeof other);

    /* a directory that does not exist: IO error naming the path, nothing created */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no/such/dir/m.rbpm", dir);
    assert_int_equal(rbp__ckpt_write(bad, &h, other, NULL, NULL, NULL, NULL), RBP_ERR_IO);
    assert_non_null(strstr(rbp_last_error(), "no/such/dir/m.rbpm"));
    /* the target is a directory: the rename fails, the temporary is removed */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/subdir", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(rbp__ckpt_write(sub, &h, other, NULL, NULL, NULL, NULL), RBP_ERR_IO);
    assert_non_null(strstr(rbp_last_error(), "subdir"));
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);
    (void)params;
}

static void test_write_bad_args(void **state)
{
    (void)state;
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    model_config(&h.model);
    h.num_params = 1;
    float x = 1.0f;
    const char *path = rbp_test_path("args.rbpm");
    assert_int_equal(rbp__ckpt_write(NULL, &h, &x, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG);
    assert_int_equal(rbp__ckpt_write(path, NULL, &x, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG);
    assert_int_equal(rbp__ckpt_write(path, &h, NULL, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG);
    h.flags = RBP__CKPT_HAS_TRAINER;
    assert_int_equal(rbp__ckpt_write(path, &h, &x, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "optimizer"));
    h.flags = RBP__CKPT_HAS_BEST;
    assert_int_equal(rbp__ckpt_write(path, &h, &x, &x, &x, &x, NULL), RBP_ERR_INVALID_ARG);
    h.flags = 8;
    assert_int_equal(rbp__ckpt_write(path, &h, &x, &x, &x, &x, NULL), RBP_ERR_INVALID_ARG);
}

static void test_config_diff(void **state)
{
    (void)state;
    rbp_model_config a, b;
    char buf[128];
    model_config(&a);
    model_config(&b);
    b.seed = 99; /* the init seed does not matter once weights are loaded */
    assert_null(rbp__ckpt_config_diff(&a, &b, buf, sizeof buf));
    b.d_model = 64;
    assert_string_equal(rbp__ckpt_config_diff(&a, &b, buf, sizeof buf), "d_model 32 vs 64");
    model_config(&b);
    b.dropout = 0.2f;
    assert_non_null(strstr(rbp__ckpt_config_diff(&a, &b, buf, sizeof buf), "dropout"));
    model_config(&b);
    b.use_viewpoint = 1;
    assert_string_equal(rbp__ckpt_config_diff(&a, &b, buf, sizeof buf), "use_viewpoint 0 vs 1");
    model_config(&b);
    b.conv_kernel = 0;
    assert_string_equal(rbp__ckpt_config_diff(&a, &b, buf, sizeof buf), "conv_kernel 7 vs 0");
}


/* ---------------------------------------------------------------- rbp_model_save / rbp_model_load */

static rbp_model *make_model_ks(int32_t conv_kernel, int32_t stem_filters)
{
    rbp_model_config mc;
    assert_int_equal(rbp_model_config_init(&mc, RBP_MODEL_CONFIG_VERSION), RBP_OK);
    mc.seq_len = 12;
    mc.d_model = 8;
    mc.n_heads = 2;
    mc.n_layers = 2;
    mc.d_ff = 16;
    mc.head_hidden = 4;
    mc.pooling = RBP_POOL_MEAN;
    mc.seed = 77;
    mc.conv_kernel = conv_kernel;
    mc.stem_filters = stem_filters;
    rbp_model *m = NULL;
    assert_int_equal(rbp_model_create(&m, &mc), RBP_OK);
    /* weights that are not the initial ones, so a load that re-initialises would be caught */
    rbp_test_rng r;
    rbp_test_rng_seed(&r, 5);
    rbp_test_fill_uniform(&r, rbp_model_params(m), rbp_model_num_params(m), -0.5f, 0.5f);
    return m;
}

static rbp_model *make_model_k(int32_t conv_kernel)
{
    return make_model_ks(conv_kernel, 0);
}

static rbp_model *make_model(void)
{
    return make_model_k(0);
}

/* Bytes of the metadata block rbp_model_save writes for a model without metadata of its own:
 * the 8-byte prefix and the keys task, rbpattn.version, encoding.length and created. */
static size_t meta_block_size(const rbp_model *m)
{
    rbp_model_config c;
    assert_int_equal(rbp_model_get_config(m, &c), RBP_OK);
    const char *task = c.task == RBP_TASK_REGRESSION ? "regression" : "classification";
    return 8 + (2 + 4 + 1 + 4 + strlen(task)) + (2 + 15 + 1 + 4 + strlen(rbp_version_string())) +
           (2 + 15 + 1 + 8) + (2 + 7 + 1 + 4 + strlen("2026-12-01T11:07:50Z"));
}

/* save, load, compare config, weights and predictions; returns the file size */
static size_t model_roundtrip(rbp_model *m)
{
    char path[512];
    snprintf(path, sizeof path, "%s", rbp_test_path("model.rbpm"));
    assert_int_equal(rbp_model_save(m, path), RBP_OK);
    rbp_model *back = (rbp_model *)path;
    assert_int_equal(rbp_model_load(&back, path), RBP_OK);
    rbp_model_config a, b;
    assert_int_equal(rbp_model_get_config(m, &a), RBP_OK);
    assert_int_equal(rbp_model_get_config(back, &b), RBP_OK);
    assert_memory_equal(&a, &b, sizeof a); /* every field, the init seed included */
    assert_int_equal(rbp_model_num_params(back), rbp_model_num_params(m));
    assert_memory_equal(rbp_model_params(back), rbp_model_params(m), rbp_model_num_params(m) * sizeof(float));
    /* same predictions */
    uint8_t tok[2 * 12], mask[2 * 12];
    float y[2] = {0, 1}, p1[2], p2[2];
    for (int i = 0; i < 24; i++) {
        tok[i] = (uint8_t)(i * 7 % 4);
        mask[i] = (uint8_t)(i < 20);
    }
    rbp_batch bt = {2, 12, tok, mask, NULL, NULL, y, NULL};
    rbp_session *s1 = NULL, *s2 = NULL;
    assert_int_equal(rbp_session_create(&s1, m, NULL), RBP_OK);
    assert_int_equal(rbp_session_create(&s2, back, NULL), RBP_OK);
    assert_int_equal(rbp_session_predict_batch(s1, &bt, p1), RBP_OK);
    assert_int_equal(rbp_session_predict_batch(s2, &bt, p2), RBP_OK);
    rbp_session_free(s1);
    rbp_session_free(s2);
    assert_memory_equal(p1, p2, sizeof p1);
    size_t n;
    unsigned char *raw = rbp_test_read_file(path, &n);
    free(raw);
    rbp_model_free(back);
    return n;
}

static void test_model_roundtrip(void **state)
{
    (void)state;
    rbp_model *m = make_model();
    /* the file is what docs/checkpoint.md says: 108-byte header, N floats, metadata, CRC */
    assert_int_equal(model_roundtrip(m), 108 + 4 * rbp_model_num_params(m) + meta_block_size(m) + 4);
    /* with the convolutional stem: its K*C*C + C weights travel with the rest */
    const size_t n0 = rbp_model_num_params(m);
    rbp_model_free(m);
    m = make_model_k(5);
    assert_int_equal(rbp_model_num_params(m), n0 + 5 * 8 * 8 + 8); /* K*C*C + C, C = 8 */
    assert_int_equal(model_roundtrip(m), 108 + 4 * rbp_model_num_params(m) + meta_block_size(m) + 4);
    rbp_model_free(m);
    /* a wide stem: S*K*C + S conv weights and C*S + C projection weights */
    m = make_model_ks(5, 12);
    assert_int_equal(rbp_model_num_params(m), n0 + 12 * 5 * 8 + 12 + 8 * 12 + 8);
    assert_int_equal(model_roundtrip(m), 108 + 4 * rbp_model_num_params(m) + meta_block_size(m) + 4);
    rbp_model_free(m);
}

/* Turn a format-2 file into the format-1 file an older rbpattn wrote: version 1, no
 * conv_kernel field (bytes 92..95), header size 4 smaller, fresh CRC. */
static const char *to_format1(const char *src, const char *name)
{
    size_t n;
    unsigned char *b = rbp_test_read_file(src, &n);
    assert_int_equal(le32(b + 4), 2);
    assert_int_equal(le32(b + 92), 0); /* only stem-less models existed in format 1 */
    const uint32_t hsize = le32(b + 8) - 4;
    memmove(b + 92, b + 96, n - 96);
    n -= 4;
    b[4] = 1;
    b[8] = (unsigned char)hsize;
    b[9] = (unsigned char)(hsize >> 8);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    for (int i = 0; i < 4; i++)
        b[n - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
    const char *p = rbp_test_write_file(name, (const char *)b, n);
    free(b);
    return p;
}

/* A format-2 (or 3) model file, as rbpattn 0.1 (or before the wide stem) wrote it (the
 * writer's old-format path). */
static void write_old(const rbp_model *m, const char *path, uint32_t format)
{
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    h.format_version = format;
    assert_int_equal(rbp_model_get_config(m, &h.model), RBP_OK);
    h.num_params = rbp_model_num_params(m);
    assert_int_equal(rbp__ckpt_write(path, &h, rbp_model_params((rbp_model *)m), NULL, NULL, NULL, NULL), RBP_OK);
}

/* An old file loads with the same config and weights, no metadata, and the documented
 * input-encoding defaults. */
static void expect_old_model(const rbp_model *m, const char *path, int32_t format)
{
    rbp_model *back = NULL;
    assert_int_equal(rbp_model_load(&back, path), RBP_OK);
    rbp_model_config a, b;
    assert_int_equal(rbp_model_get_config(m, &a), RBP_OK);
    assert_int_equal(rbp_model_get_config(back, &b), RBP_OK);
    assert_int_equal(b.conv_kernel, 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_memory_equal(rbp_model_params(back), rbp_model_params((rbp_model *)m),
                        rbp_model_num_params(m) * sizeof(float));
    assert_int_equal(rbp_model_file_format(back), format);
    assert_int_equal(rbp_model_meta_count(back), 0);
    rbp_dataset_options o;
    assert_int_equal(rbp_dataset_options_from_model(&o, back), RBP_OK);
    assert_int_equal(o.length, a.seq_len);
    assert_int_equal(o.truncate, RBP_TRUNCATE_RIGHT);
    assert_int_equal(o.case_viewpoint, 1);
    assert_string_equal(o.label_key, "class:");
    rbp_model_free(back);
}

/* The first fields of an old-format file: format, header size, configuration version, and
 * one field of that format at `at`. */
static void expect_old_header(const char *path, uint32_t format, uint32_t hsize, uint32_t cfg_version, size_t at,
                              uint32_t value)
{
    size_t n;
    unsigned char *raw = rbp_test_read_file(path, &n);
    assert_int_equal(le32(raw + 4), format);
    assert_int_equal(le32(raw + 8), hsize);
    assert_int_equal(le32(raw + 16), cfg_version);
    assert_int_equal(le32(raw + at), value);
    free(raw);
}

/* path (an older format) loads as m: the current configuration version, the same fields and
 * weights, and rbp_model_file_format says which format it was. */
static void expect_reloads(rbp_model *m, const char *path, int32_t format)
{
    rbp_model *back = NULL;
    assert_int_equal(rbp_model_load(&back, path), RBP_OK);
    rbp_model_config a, b;
    assert_int_equal(rbp_model_get_config(m, &a), RBP_OK);
    assert_int_equal(rbp_model_get_config(back, &b), RBP_OK);
    assert_int_equal(b.version, RBP_MODEL_CONFIG_VERSION);
    assert_memory_equal(&a, &b, sizeof a);
    assert_memory_equal(rbp_model_params(back), rbp_model_params(m), rbp_model_num_params(m) * sizeof(float));
    assert_int_equal(rbp_model_file_format(back), format);
    rbp_model_free(back);
}

/* Files of format 5 (before the pooling stem, configuration version 2) still load, as the same
 * model with stem_pool 0; a pooled model cannot be written in format 5. */
static void test_format5_still_loads(void **state)
{
    (void)state;
    rbp_model *m = make_model_ks(5, 12);
    const char *v5 = rbp_test_path("m5.rbpm");
    write_old(m, v5, 5);
    expect_old_header(v5, 5, 104, 2, 100, 12); /* configuration version 2: no stem_pool yet */
    expect_reloads(m, v5, 5); /* with stem_pool 0, as m has */
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    h.format_version = 5;
    assert_int_equal(rbp_model_get_config(m, &h.model), RBP_OK);
    h.model.stem_pool = 2;
    h.num_params = rbp_model_num_params(m);
    assert_int_equal(rbp__ckpt_write(v5, &h, rbp_model_params(m), NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG);
    rbp_model_free(m);
}

/* Files of format 3 (before the wide stem, configuration version 1) still load, as the same
 * model with stem_filters 0; a wide-stem model cannot be written in format 3. */
static void test_format3_still_loads(void **state)
{
    (void)state;
    rbp_model *m = make_model_k(5);
    const char *v3 = rbp_test_path("m3.rbpm");
    write_old(m, v3, 3);
    expect_old_header(v3, 3, 100, 1, 92, 5); /* configuration version 1: no stem_filters yet */
    expect_reloads(m, v3, 3); /* with stem_filters 0, as m has */
    rbp_model_free(m);

    m = make_model_ks(5, 12);
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    h.format_version = 3;
    assert_int_equal(rbp_model_get_config(m, &h.model), RBP_OK);
    h.num_params = rbp_model_num_params(m);
    assert_int_equal(rbp__ckpt_write(v3, &h, rbp_model_params(m), NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG);
    rbp_model_free(m);
}

/* Files of format 2 (before metadata) and 1 (before conv_kernel) still load. */
static void test_format1_still_loads(void **state)
{
    (void)state;
    rbp_model *m = make_model();
    char v2[512], v1[512];
    snprintf(v2, sizeof v2, "%s", rbp_test_path("m2.rbpm"));
    write_old(m, v2, 2);
    size_t n;
    unsigned char *raw = rbp_test_read_file(v2, &n);
    assert_int_equal(n, 96 + 4 * rbp_model_num_params(m) + 4); /* format 2: no metadata */
    assert_int_equal(le32(raw + 4), 2);
    assert_int_equal(le32(raw + 8), 96);
    free(raw);
    expect_old_model(m, v2, 2);
    snprintf(v1, sizeof v1, "%s", to_format1(v2, "m1.rbpm"));
    raw = rbp_test_read_file(v1, &n);
    assert_int_equal(n, 92 + 4 * rbp_model_num_params(m) + 4);
    free(raw);
    expect_old_model(m, v1, 1);
    /* the old-format path writes no stem into format 1 */
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    h.format_version = 1;
    model_config(&h.model);
    h.num_params = 1;
    float one = 1;
    assert_int_equal(rbp__ckpt_write(v1, &h, &one, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG);
    rbp_model_free(m);

    /* a format-1 trainer file: the trainer block is read from its format-1 offsets */
    fill_train(&h);
    h.model.conv_kernel = 0;
    h.model.stem_filters = 0;
    h.model.stem_pool = 0;
    h.flags = RBP__CKPT_HAS_TRAINER | RBP__CKPT_HAS_BEST; /* no weight average before format 5 */
    h.train.cfg.ema_decay = 0.0f;
    const size_t np = (size_t)h.num_params;
    float *x = malloc(np * sizeof(float));
    fill_params(x, np, 3);
    char t2[512], t1[512];
    snprintf(t2, sizeof t2, "%s", rbp_test_path("t2.rbpm"));
    h.format_version = 2;
    assert_int_equal(rbp__ckpt_write(t2, &h, x, x, x, x, NULL), RBP_OK);
    snprintf(t1, sizeof t1, "%s", to_format1(t2, "t1.rbpm"));
    rbp__ckpt_reader r;
    assert_int_equal(rbp__ckpt_open(&r, t1), RBP_OK);
    assert_int_equal(r.h.format_version, 1);
    assert_int_equal(r.h.header_size, 200);
    assert_int_equal(r.h.model.conv_kernel, 0);
    char buf[128];
    assert_null(rbp__ckpt_config_diff(&r.h.model, &h.model, buf, sizeof buf));
    assert_memory_equal(&r.h.train.cfg, &h.train.cfg, sizeof h.train.cfg);
    assert_true(r.h.train.step == h.train.step);
    assert_int_equal(r.h.train.epoch, 4);
    assert_int_equal(r.h.train.best_epoch, 2);
    assert_true(r.h.train.best_value == h.train.best_value);
    float *y = malloc(np * sizeof(float));
    assert_int_equal(rbp__ckpt_read_arrays(&r, NULL, NULL, NULL, y, NULL), RBP_OK);
    assert_memory_equal(x, y, np * sizeof(float));
    rbp__ckpt_close(&r);
    free(x);
    free(y);
}

static void expect_model_error(const char *path, rbp_status code, const char *words)
{
    rbp_model *m = (rbp_model *)path;
    rbp_status st = rbp_model_load(&m, path);
    if (st != code)
        fail_msg("%s: status %d (%s), expected %d; message: %s", path, st, rbp_status_str(st), code,
                 rbp_last_error());
    assert_null(m);
    if (strstr(rbp_last_error(), path) == NULL)
        fail_msg("message does not name the file: %s", rbp_last_error());
    if (words && strstr(rbp_last_error(), words) == NULL)
        fail_msg("message lacks '%s': %s", words, rbp_last_error());
}

static void test_model_load_errors(void **state)
{
    (void)state;
    rbp_model *m = make_model();
    char good[512];
    snprintf(good, sizeof good, "%s", rbp_test_path("mgood.rbpm"));
    assert_int_equal(rbp_model_save(m, good), RBP_OK);
    size_t n;
    unsigned char *b = rbp_test_read_file(good, &n);
    const char *p;

    expect_model_error(rbp_test_path("missing.rbpm"), RBP_ERR_IO, "No such file");
    expect_model_error(rbp_test_write_file("mtrunc.rbpm", (const char *)b, n - 9), RBP_ERR_FORMAT, "truncated");
    expect_model_error(rbp_test_write_file("mtrunc2.rbpm", (const char *)b, 40), RBP_ERR_FORMAT, "truncated");
    b[n / 2] ^= 0x01;
    expect_model_error(rbp_test_write_file("mflip.rbpm", (const char *)b, n), RBP_ERR_FORMAT, "corrupted");
    b[n / 2] ^= 0x01;
    b[0] = 'X';
    expect_model_error(rbp_test_write_file("mmagic.rbpm", (const char *)b, n), RBP_ERR_FORMAT, "magic");
    b[0] = 'R';
    patch_u32(good, "mv9.rbpm", 4, 9, &p);
    expect_model_error(p, RBP_ERR_FORMAT, "written by a newer rbpattn (format 9 > 6)");
    /* an even stem width inside an otherwise valid file */
    patch_u32(good, "mconv.rbpm", 92, 4, &p);
    expect_model_error(reseal(p), RBP_ERR_FORMAT, "rbp_model_config.conv_kernel (--conv-kernel) must be 0 or odd in 3..31");
    /* an invalid configuration inside an otherwise valid file (n_heads 3 with d_model 8) */
    patch_u32(good, "mheads.rbpm", 28, 3, &p);
    expect_model_error(reseal(p), RBP_ERR_FORMAT, "invalid model config");
    /* a valid configuration whose parameter count disagrees with the arrays (d_model 8 -> 4) */
    patch_u32(good, "mdmodel.rbpm", 24, 4, &p);
    expect_model_error(reseal(p), RBP_ERR_FORMAT, "parameters");

    rbp_model *out = m;
    assert_int_equal(rbp_model_load(&out, NULL), RBP_ERR_INVALID_ARG);
    assert_null(out);
    assert_non_null(strstr(rbp_last_error(), "path"));
    assert_int_equal(rbp_model_load(NULL, good), RBP_ERR_INVALID_ARG);
    assert_int_equal(rbp_model_save(NULL, good), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "model"));
    assert_int_equal(rbp_model_save(m, NULL), RBP_ERR_INVALID_ARG);
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing-dir/m.rbpm", good);
    assert_int_equal(rbp_model_save(m, bad), RBP_ERR_IO);
    assert_non_null(strstr(rbp_last_error(), "missing-dir/m.rbpm"));
    free(b);
    rbp_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_model_only),
        cmocka_unit_test(test_roundtrip_model_only),
        cmocka_unit_test(test_roundtrip_trainer),
        cmocka_unit_test(test_missing_and_not_a_file),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_specific_damage),
        cmocka_unit_test(test_invalid_train_block),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_write_bad_args),
        cmocka_unit_test(test_config_diff),
        cmocka_unit_test(test_model_roundtrip),
        cmocka_unit_test(test_model_load_errors),
        cmocka_unit_test(test_format1_still_loads),
        cmocka_unit_test(test_format5_still_loads),
        cmocka_unit_test(test_format3_still_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
