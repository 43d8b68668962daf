/*
 * test_api_errors.c - the whole public API against bad input, function by function.
 *
 * The project promise is "bad input never crashes: every public function reports failure
 * through a status code plus a readable message". Each module has its own error tests; this
 * file checks the promise systematically: every function declared with RBP_API in
 * include/rbpattn/ (any header) is called with each NULL pointer argument in turn and with the
 * valid-but-wrong arguments it can be given (zero or negative sizes, out-of-range enum
 * fields, unknown struct versions, a batch that does not fit the model, an index out of
 * range, a missing or malformed file, an object in the wrong state). For each call:
 *   - the status is the documented one (mostly RBP_ERR_INVALID_ARG; SHAPE, STATE, IO and
 *     FORMAT where the headers say so),
 *   - rbp_last_error() names the offending argument or field (a substring is asserted),
 *   - out-parameters are NULL (handles) or NaN (metric values) after the failure.
 * Functions without a status (free, accessors, string getters, losses) must not crash and
 * must return their documented neutral value (0, NULL, NaN, a constant string).
 *
 * tests/check_api_coverage.cmake (ctest "api_error_coverage") fails when a function declared
 * with RBP_API is not called in this file, so a new public function cannot go untested here.
 * The non-NULL arguments are tiny valid objects: a model with L=8, d=8, 2 heads, 1 layer,
 * d_ff 8, head_hidden 4, and a dataset of 4 strings of length 8.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <rbpattn/plot.h>
#include <rbpattn/rbpattn.h>

/* ------------------------------------------------------------------ checking helpers */

/* RBP_SHOW_ERRORS=1 in the environment prints every checked message (to review them by eye). */
static void show(const char *msg)
{
    static int on = -1;
    if (on < 0)
        on = getenv("RBP_SHOW_ERRORS") != NULL;
    if (on)
        printf("    %s\n", msg ? msg : "(NULL)");
}

/* Fails the test with the call, the status and the message when they are not as expected. */
static void expect_fail_(long long got, rbp_status want, const char *needle, const char *expr, int line)
{
    const char *msg = rbp_last_error();
    show(msg);
    if (got == (long long)want && msg != NULL && strstr(msg, needle) != NULL)
        return;
    print_error("test_api_errors.c:%d: %s\n  returned %lld (%s), expected %d (%s)\n  rbp_last_error() = \"%s\", "
                "expected to contain \"%s\"\n",
                line, expr, got, rbp_status_str((rbp_status)got), (int)want, rbp_status_str(want),
                msg ? msg : "(NULL)", needle);
    fail();
}

/* Run `call` with a cleared last error and check its status and message. */
#define EXPECT_FAIL(call, want, needle)                                                     \
    do {                                                                                    \
        rbp_clear_error();                                                                  \
        long long got_ = (long long)(call);                                                 \
        expect_fail_(got_, (want), (needle), #call, __LINE__);                              \
    } while (0)

/* For functions without a status: the last error (set by `call`) contains `needle`. */
static void expect_msg_(const char *needle, const char *expr, int line)
{
    const char *msg = rbp_last_error();
    show(msg);
    if (msg != NULL && strstr(msg, needle) != NULL)
        return;
    print_error("test_api_errors.c:%d: %s\n  rbp_last_error() = \"%s\", expected to contain \"%s\"\n", line, expr,
                msg ? msg : "(NULL)", needle);
    fail();
}
#define EXPECT_MSG(call, needle)                                                            \
    do {                                                                                    \
        rbp_clear_error();                                                                  \
        (void)(call);                                                                       \
        expect_msg_((needle), #call, __LINE__);                                             \
    } while (0)

/* A config-check reason (a constant string) that names the field. */
static void expect_reason_(const char *why, const char *needle, const char *expr, int line)
{
    show(why);
    if (why != NULL && strstr(why, needle) != NULL)
        return;
    print_error("test_api_errors.c:%d: %s\n  returned \"%s\", expected a reason containing \"%s\"\n", line, expr,
                why ? why : "(NULL)", needle);
    fail();
}
#define EXPECT_REASON(call, needle) expect_reason_((call), (needle), #call, __LINE__)

/* A non-NULL pointer no library function may ever return: out-parameters start with it and
 * must be NULL after a failure. */
static int poison_target;
#define POISON ((void *)&poison_target)

/* ------------------------------------------------------------------ fixture */

#define L_MODEL 8
#define N_ROWS 4

static const char *const seqs[N_ROWS] = {"ACGUACGU", "GGGAAACC", "uuuACGac", "CAGUCAGU"};
static const char *const short_seqs[N_ROWS] = {"ACGUAC", "GGGAAA", "UUUACG", "CAGUCA"};
static const float targets[N_ROWS] = {1.0f, 0.0f, 1.0f, 0.0f};

typedef struct fixture {
    rbp_dataset *ds;       /* 4 rows of length 8, classes 1 0 1 0 */
    rbp_dataset *ds_short; /* 4 rows of length 6: does not fit the model */
    rbp_model *model;      /* tiny classification model, L = 8 */
    rbp_model *model_sv;   /* as model, with structure and viewpoint embeddings */
    rbp_model *model_reg;  /* as model, regression */
    rbp_trainer *trainer;  /* over model: batch_size 2, eval_batch_size 4 */
    rbp_session *sess;     /* over model */
    rbp_session *sess_sv;  /* over model_sv */
    rbp_train_config tcfg;
    uint8_t tokens[N_ROWS * L_MODEL], mask[N_ROWS * L_MODEL], structure[N_ROWS * L_MODEL],
        viewpoint[N_ROWS * L_MODEL];
    float targets[N_ROWS];
} fixture;

static fixture F;

static void tiny_model_config(rbp_model_config *cfg)
{
    assert_int_equal(rbp_model_config_init(cfg, RBP_MODEL_CONFIG_VERSION), RBP_OK);
    cfg->seq_len = L_MODEL;
    cfg->d_model = 8;
    cfg->n_heads = 2;
    cfg->n_layers = 1;
    cfg->d_ff = 8;
    cfg->head_hidden = 4;
    cfg->dropout = 0.0f;
}

/* A batch of all 4 rows of the fixture, valid for F.model (and F.model_sv). */
static rbp_batch good_batch(void)
{
    rbp_batch b = {N_ROWS, L_MODEL, F.tokens, F.mask, F.structure, F.viewpoint, F.targets, NULL};
    return b;
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    if (rbp_dataset_from_strings(&F.ds, seqs, targets, NULL, N_ROWS, NULL) != RBP_OK ||
        rbp_dataset_from_strings(&F.ds_short, short_seqs, targets, NULL, N_ROWS, NULL) != RBP_OK)
        return -1;
    if (rbp_dataset_length(F.ds) != L_MODEL || rbp_dataset_length(F.ds_short) != 6)
        return -1;
    rbp_model_config cfg;
    tiny_model_config(&cfg);
    if (rbp_model_create(&F.model, &cfg) != RBP_OK)
        return -1;
    cfg.use_structure = 1;
    cfg.use_viewpoint = 1;
    if (rbp_model_create(&F.model_sv, &cfg) != RBP_OK)
        return -1;
    tiny_model_config(&cfg);
    cfg.task = RBP_TASK_REGRESSION;
    if (rbp_model_create(&F.model_reg, &cfg) != RBP_OK)
        return -1;
    if (rbp_train_config_init(&F.tcfg, RBP_TRAIN_CONFIG_VERSION) != RBP_OK)
        return -1;
    F.tcfg.epochs = 1;
    F.tcfg.batch_size = 2;
    F.tcfg.eval_batch_size = 4;
    if (rbp_session_create(&F.sess, F.model, NULL) != RBP_OK || rbp_session_create(&F.sess_sv, F.model_sv, NULL) != RBP_OK)
        return -1;
    if (rbp_trainer_create(&F.trainer, F.model, &F.tcfg) != RBP_OK)
        return -1;
    memcpy(F.tokens, rbp_dataset_tokens(F.ds), sizeof F.tokens);
    memcpy(F.mask, rbp_dataset_mask(F.ds), sizeof F.mask);
    memcpy(F.viewpoint, rbp_dataset_viewpoint(F.ds), sizeof F.viewpoint);
    memset(F.structure, RBP_STRUCT_UNPAIRED, sizeof F.structure);
    memcpy(F.targets, targets, sizeof F.targets);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rbp_trainer_free(F.trainer);
    rbp_session_free(F.sess);
    rbp_session_free(F.sess_sv);
    rbp_model_free(F.model);
    rbp_model_free(F.model_sv);
    rbp_model_free(F.model_reg);
    rbp_dataset_free(F.ds);
    rbp_dataset_free(F.ds_short);
    return 0;
}

/* A path in a directory that does not exist: writing there is an I/O error. */
static const char *unwritable(const char *name)
{
    static char buf[600];
    snprintf(buf, sizeof buf, "%s/%s", rbp_test_path("no_such_dir"), name);
    return buf;
}

/* ================================================================== common.h */

static void test_common(void **state)
{
    (void)state;
    /* rbp_status_str: never NULL, a constant for unknown codes */
    for (int s = -20; s <= 20; s++) {
        const char *str = rbp_status_str((rbp_status)s);
        assert_non_null(str);
        assert_true(str[0] != '\0');
    }
    assert_string_equal(rbp_status_str((rbp_status)INT32_MIN), "unknown status");
    assert_string_equal(rbp_status_str((rbp_status)1), "unknown status");

    /* rbp_last_error / rbp_clear_error: "" (never NULL) when there is no error */
    rbp_clear_error();
    assert_non_null(rbp_last_error());
    assert_string_equal(rbp_last_error(), "");
    rbp_clear_error(); /* twice is fine */
    assert_string_equal(rbp_last_error(), "");

    /* rbp_set_error: returns the code; may take the current message to add context */
    assert_int_equal(rbp_set_error(RBP_ERR_IO, "%s:%d: cannot read", "x.fa", 3), RBP_ERR_IO);
    assert_string_equal(rbp_last_error(), "x.fa:3: cannot read");
    assert_int_equal(rbp_set_error(RBP_ERR_IO, "loading %s: %s", "x.fa", rbp_last_error()), RBP_ERR_IO);
    assert_string_equal(rbp_last_error(), "loading x.fa: x.fa:3: cannot read");
    char longer[700];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    rbp_set_error(RBP_ERR_FORMAT, "%s", longer);
    assert_int_equal(strlen(rbp_last_error()), 511); /* cut, not overflowing */
    rbp_clear_error();

    /* rbp_version: any pointer may be NULL */
    int major = -1;
    rbp_version(NULL, NULL, NULL);
    rbp_version(&major, NULL, NULL);
    assert_int_equal(major, RBP_VERSION_MAJOR);
    assert_non_null(rbp_version_string());
    assert_string_equal(rbp_version_string(), RBP_VERSION_STRING);

    /* rbp_set_log_callback: NULL silences */
    rbp_set_log_callback(NULL, NULL);

    /* rbp_set_num_threads: n < 1 (and absurd n) is an error that leaves the setting alone */
    int32_t before = rbp_get_num_threads();
    assert_true(before >= 1);
    EXPECT_FAIL(rbp_set_num_threads(0), RBP_ERR_INVALID_ARG, "n = 0");
    EXPECT_FAIL(rbp_set_num_threads(-1), RBP_ERR_INVALID_ARG, "n = -1");
    EXPECT_FAIL(rbp_set_num_threads(INT32_MIN), RBP_ERR_INVALID_ARG, "rbp_set_num_threads");
    EXPECT_FAIL(rbp_set_num_threads(1025), RBP_ERR_INVALID_ARG, "n = 1025");
    assert_int_equal(rbp_get_num_threads(), before);
}

/* ================================================================== atomic_file.h */

static void test_atomic_file(void **state)
{
    (void)state;
    rbp_atomic_file *f = POISON;
    EXPECT_FAIL(rbp_atomic_file_open(NULL, "x"), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_atomic_file_open(&f, NULL), RBP_ERR_INVALID_ARG, "'path'");
    assert_null(f);
    f = POISON;
    EXPECT_FAIL(rbp_atomic_file_open(&f, ""), RBP_ERR_INVALID_ARG, "empty");
    assert_null(f);
    EXPECT_FAIL(rbp_atomic_file_open(&f, rbp_test_path("no_such_dir/x.txt")), RBP_ERR_IO, "no_such_dir/x.txt");
    assert_null(f);
    EXPECT_FAIL(rbp_atomic_file_commit(NULL), RBP_ERR_INVALID_ARG, "'f'");
    EXPECT_MSG(rbp_atomic_file_stream(NULL), "'f'");
    assert_null(rbp_atomic_file_stream(NULL));
    EXPECT_MSG(rbp_atomic_file_path(NULL), "'f'");
    assert_null(rbp_atomic_file_path(NULL));
    rbp_atomic_file_abort(NULL);
}

/* ================================================================== dataset.h */

static void test_dataset_options_init(void **state)
{
    (void)state;
    rbp_dataset_options o;
    EXPECT_FAIL(rbp_dataset_options_init(NULL, RBP_DATASET_OPTIONS_VERSION), RBP_ERR_INVALID_ARG, "'opt'");
    EXPECT_FAIL(rbp_dataset_options_init(&o, 0), RBP_ERR_INVALID_ARG, "version 0");
    EXPECT_FAIL(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION + 1), RBP_ERR_INVALID_ARG, "version");
}

/* Every way to spoil a valid options struct, with the field the message must name. */
typedef struct bad_option {
    void (*spoil)(rbp_dataset_options *o);
    const char *needle;
} bad_option;

static void spoil_version(rbp_dataset_options *o) { o->version = 99; }
static void spoil_version0(rbp_dataset_options *o) { o->version = 0; }
static void spoil_format(rbp_dataset_options *o) { o->format = 99; }
static void spoil_format_neg(rbp_dataset_options *o) { o->format = -1; }
static void spoil_length(rbp_dataset_options *o) { o->length = -1; }
static void spoil_truncate(rbp_dataset_options *o) { o->truncate = 4; }
static void spoil_truncate_neg(rbp_dataset_options *o) { o->truncate = -1; }
static void spoil_max_record(rbp_dataset_options *o) { o->max_record_length = 0; }
static void spoil_max_record_neg(rbp_dataset_options *o) { o->max_record_length = -5; }
static void spoil_delimiter(rbp_dataset_options *o) { o->delimiter = '"'; }
static void spoil_delimiter_nl(rbp_dataset_options *o) { o->delimiter = '\n'; }
static void spoil_case_viewpoint(rbp_dataset_options *o) { o->case_viewpoint = 2; }
static void spoil_require_target(rbp_dataset_options *o) { o->require_target = -1; }
static void spoil_full_header(rbp_dataset_options *o) { o->fasta_full_header = 2; }

static const bad_option bad_options[] = {
    {spoil_version, "rbp_dataset_options.version"},           {spoil_version0, "rbp_dataset_options.version"},
    {spoil_format, "rbp_dataset_options.format"},             {spoil_format_neg, "rbp_dataset_options.format"},
    {spoil_length, "rbp_dataset_options.length"},             {spoil_truncate, "rbp_dataset_options.truncate"},
    {spoil_truncate_neg, "rbp_dataset_options.truncate"},     {spoil_max_record, "rbp_dataset_options.max_record_length"},
    {spoil_max_record_neg, "rbp_dataset_options.max_record_length"}, {spoil_delimiter, "rbp_dataset_options.delimiter"},
    {spoil_delimiter_nl, "rbp_dataset_options.delimiter"},    {spoil_case_viewpoint, "rbp_dataset_options.case_viewpoint"},
    {spoil_require_target, "rbp_dataset_options.require_target"}, {spoil_full_header, "rbp_dataset_options.fasta_full_header"},
};

static void test_dataset_load(void **state)
{
    (void)state;
    const char *csv = rbp_test_write_file("ok.csv", "sequence,RKA\nACGU,0.5\nGGCA,0.1\n", (size_t)-1);
    rbp_dataset *ds = POISON;

    EXPECT_FAIL(rbp_dataset_load(NULL, csv, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_dataset_load(&ds, NULL, NULL), RBP_ERR_INVALID_ARG, "'path'");
    assert_null(ds);

    rbp_dataset_options o;
    for (size_t i = 0; i < sizeof bad_options / sizeof bad_options[0]; i++) {
        assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
        bad_options[i].spoil(&o);
        ds = POISON;
        EXPECT_FAIL(rbp_dataset_load(&ds, csv, &o), RBP_ERR_INVALID_ARG, bad_options[i].needle);
        assert_null(ds);
        /* the message also says which call failed */
        assert_non_null(strstr(rbp_last_error(), "rbp_dataset_load"));
    }

    /* options that do not fit the file's format */
    assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    o.format = RBP_FORMAT_GRAPHPROT;
    EXPECT_FAIL(rbp_dataset_load(&ds, csv, &o), RBP_ERR_INVALID_ARG, "rbp_dataset_load_pair");
    o.format = RBP_FORMAT_AUTO;
    o.affinity_path = "x.affys";
    EXPECT_FAIL(rbp_dataset_load(&ds, csv, &o), RBP_ERR_INVALID_ARG, "options.affinity_path");
    o.affinity_path = NULL;
    o.sequence_column = NULL;
    EXPECT_FAIL(rbp_dataset_load(&ds, csv, &o), RBP_ERR_INVALID_ARG, "options.sequence_column");
    o.sequence_column = "";
    EXPECT_FAIL(rbp_dataset_load(&ds, csv, &o), RBP_ERR_INVALID_ARG, "options.sequence_column");
    o.sequence_column = "sequence";
    o.target_column = NULL;
    EXPECT_FAIL(rbp_dataset_load(&ds, csv, &o), RBP_ERR_INVALID_ARG, "options.target_column");
    o.target_column = "no_such_column";
    EXPECT_FAIL(rbp_dataset_load(&ds, csv, &o), RBP_ERR_FORMAT, "no_such_column");
    assert_null(ds);

    /* missing file, a directory, malformed content: file (and line) in the message */
    const char *missing = rbp_test_path("missing.csv");
    EXPECT_FAIL(rbp_dataset_load(&ds, missing, NULL), RBP_ERR_IO, missing);
    EXPECT_FAIL(rbp_dataset_load(&ds, rbp_test_path("missing.fa"), NULL), RBP_ERR_IO, "missing.fa");
    const char *bad = rbp_test_write_file("bad.csv", "sequence,RKA\nACGU,0.5\nAC#U,0.1\n", (size_t)-1);
    EXPECT_FAIL(rbp_dataset_load(&ds, bad, NULL), RBP_ERR_FORMAT, "bad.csv:3");
    const char *badnum = rbp_test_write_file("badnum.csv", "sequence,RKA\nACGU,zero\n", (size_t)-1);
    EXPECT_FAIL(rbp_dataset_load(&ds, badnum, NULL), RBP_ERR_FORMAT, "badnum.csv:2");
    const char *empty = rbp_test_write_file("empty.txt", "", 0);
    EXPECT_FAIL(rbp_dataset_load(&ds, empty, NULL), RBP_ERR_FORMAT, "empty.txt:1: no records");
    const char *gz = rbp_test_write_file("corrupt.csv.gz", "\x1f\x8b\x08\x00garbage-not-deflate", 22);
    EXPECT_FAIL(rbp_dataset_load(&ds, gz, NULL), RBP_ERR_FORMAT, "corrupt.csv.gz:1: corrupt gzip data");
    const char *fasta = rbp_test_write_file("nolabel.fa", ">a\nACGU\n", (size_t)-1);
    EXPECT_FAIL(rbp_dataset_load(&ds, fasta, NULL), RBP_ERR_FORMAT, "nolabel.fa:1: no label");
    const char *dir = rbp_test_path("");
    EXPECT_FAIL(rbp_dataset_load(&ds, dir, NULL), RBP_ERR_IO, dir);
    assert_null(ds);
}

static void test_dataset_load_pair(void **state)
{
    (void)state;
    const char *pos = rbp_test_write_file("pos.fa", ">a\nACGUacgu\n", (size_t)-1);
    const char *neg = rbp_test_write_file("neg.fa", ">b\nGGGAAACC\n", (size_t)-1);
    rbp_dataset *ds = POISON;
    EXPECT_FAIL(rbp_dataset_load_pair(NULL, pos, neg, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_dataset_load_pair(&ds, NULL, neg, NULL), RBP_ERR_INVALID_ARG, "'positives'");
    assert_null(ds);
    ds = POISON;
    EXPECT_FAIL(rbp_dataset_load_pair(&ds, pos, NULL, NULL), RBP_ERR_INVALID_ARG, "'negatives'");
    assert_null(ds);

    rbp_dataset_options o;
    for (size_t i = 0; i < sizeof bad_options / sizeof bad_options[0]; i++) {
        assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
        bad_options[i].spoil(&o);
        EXPECT_FAIL(rbp_dataset_load_pair(&ds, pos, neg, &o), RBP_ERR_INVALID_ARG, bad_options[i].needle);
    }
    assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    o.format = RBP_FORMAT_CSV;
    EXPECT_FAIL(rbp_dataset_load_pair(&ds, pos, neg, &o), RBP_ERR_INVALID_ARG, "options.format");
    o.format = RBP_FORMAT_AUTO;
    o.affinity_path = "x.affys";
    EXPECT_FAIL(rbp_dataset_load_pair(&ds, pos, neg, &o), RBP_ERR_INVALID_ARG, "options.affinity_path");

    const char *missing = rbp_test_path("missing_neg.fa");
    EXPECT_FAIL(rbp_dataset_load_pair(&ds, pos, missing, NULL), RBP_ERR_IO, "missing_neg.fa");
    const char *bad = rbp_test_write_file("bad_neg.fa", ">b\nGGG\nAA!C\n", (size_t)-1);
    EXPECT_FAIL(rbp_dataset_load_pair(&ds, pos, bad, NULL), RBP_ERR_FORMAT, "bad_neg.fa:3");
    assert_null(ds);
}

static void test_reader(void **state)
{
    (void)state;
    const char *csv = rbp_test_write_file("rd.csv", "sequence,RKA\nACGU,0.5\nGGCA,0.1\n", (size_t)-1);
    const char *pos = rbp_test_write_file("rd_pos.fa", ">a\nACGUacgu\n", (size_t)-1);
    rbp_reader *r = POISON;
    EXPECT_FAIL(rbp_reader_open(NULL, csv, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_reader_open(&r, NULL, NULL), RBP_ERR_INVALID_ARG, "'path'");
    assert_null(r);
    r = POISON;
    EXPECT_FAIL(rbp_reader_open_file(NULL, stdin, "x", NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_reader_open_file(&r, NULL, "x", NULL), RBP_ERR_INVALID_ARG, "'fp'");
    assert_null(r);
    r = POISON;
    EXPECT_FAIL(rbp_reader_open_pair(NULL, pos, pos, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_reader_open_pair(&r, NULL, pos, NULL), RBP_ERR_INVALID_ARG, "'positives'");
    EXPECT_FAIL(rbp_reader_open_pair(&r, pos, NULL, NULL), RBP_ERR_INVALID_ARG, "'negatives'");
    assert_null(r);
    rbp_dataset_options o;
    for (size_t i = 0; i < sizeof bad_options / sizeof bad_options[0]; i++) {
        assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
        bad_options[i].spoil(&o);
        r = POISON;
        EXPECT_FAIL(rbp_reader_open(&r, csv, &o), RBP_ERR_INVALID_ARG, bad_options[i].needle);
        assert_null(r);
        EXPECT_FAIL(rbp_reader_open_pair(&r, pos, pos, &o), RBP_ERR_INVALID_ARG, bad_options[i].needle);
        assert_null(r);
    }
    assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    o.format = RBP_FORMAT_GRAPHPROT;
    EXPECT_FAIL(rbp_reader_open(&r, csv, &o), RBP_ERR_INVALID_ARG, "rbp_reader_open_pair");
    o.format = RBP_FORMAT_CSV;
    EXPECT_FAIL(rbp_reader_open_pair(&r, pos, pos, &o), RBP_ERR_INVALID_ARG, "options.format");
    o.format = RBP_FORMAT_AUTO;
    o.target_column = "no_such_column";
    rbp_reader *ok = NULL;
    /* the header is read by the first rbp_reader_next: the column error comes from there */
    assert_int_equal(rbp_reader_open(&ok, csv, &o), RBP_OK);
    const rbp_dataset *chunk = POISON;
    EXPECT_FAIL(rbp_reader_next(ok, 10, &chunk), RBP_ERR_FORMAT, "no_such_column");
    assert_null(chunk);
    EXPECT_FAIL(rbp_reader_next(ok, 10, &chunk), RBP_ERR_FORMAT, "no_such_column"); /* sticky */
    rbp_reader_free(ok);
    EXPECT_FAIL(rbp_reader_open(&r, rbp_test_path("missing.fa"), NULL), RBP_ERR_IO, "missing.fa");
    assert_null(r);

    assert_int_equal(rbp_reader_open(&ok, csv, NULL), RBP_OK);
    chunk = POISON;
    EXPECT_FAIL(rbp_reader_next(NULL, 10, &chunk), RBP_ERR_INVALID_ARG, "'r'");
    assert_null(chunk);
    EXPECT_FAIL(rbp_reader_next(ok, 10, NULL), RBP_ERR_INVALID_ARG, "'chunk'");
    EXPECT_FAIL(rbp_reader_next(ok, 0, &chunk), RBP_ERR_INVALID_ARG, "max_records");
    assert_int_equal(rbp_reader_next(ok, 10, &chunk), 1);
    assert_int_equal(rbp_dataset_size(chunk), 2);
    assert_int_equal(rbp_reader_next(ok, 10, &chunk), 0);
    assert_null(chunk);
    assert_int_equal(rbp_reader_format(ok), RBP_FORMAT_CSV);
    assert_int_equal(rbp_reader_count(ok), 2);
    assert_int_equal(rbp_reader_longest(ok), 4);
    assert_true(rbp_reader_progress(ok) == 1.0);
    rbp_reader_free(ok);

    EXPECT_FAIL(rbp_reader_format(NULL), RBP_ERR_INVALID_ARG, "'r'");
    EXPECT_MSG(assert_int_equal(rbp_reader_count(NULL), 0), "'r'");
    EXPECT_MSG(assert_int_equal(rbp_reader_longest(NULL), 0), "'r'");
    EXPECT_MSG(assert_true(rbp_reader_progress(NULL) == -1.0), "'r'");
    rbp_reader_free(NULL);
}

static void test_dataset_from_strings(void **state)
{
    (void)state;
    rbp_dataset *ds = POISON;
    EXPECT_FAIL(rbp_dataset_from_strings(NULL, seqs, targets, NULL, N_ROWS, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_dataset_from_strings(&ds, NULL, targets, NULL, N_ROWS, NULL), RBP_ERR_INVALID_ARG,
                "'sequences'");
    assert_null(ds);
    ds = POISON;
    EXPECT_FAIL(rbp_dataset_from_strings(&ds, seqs, targets, NULL, 0, NULL), RBP_ERR_INVALID_ARG, "n is 0");
    assert_null(ds);

    const char *with_null[3] = {"ACGU", NULL, "GGCC"};
    EXPECT_FAIL(rbp_dataset_from_strings(&ds, with_null, NULL, NULL, 3, NULL), RBP_ERR_INVALID_ARG,
                "sequences[1] is NULL");
    const char *ids[3] = {"a", "b", NULL};
    const char *three[3] = {"ACGU", "CCGU", "GGCC"};
    EXPECT_FAIL(rbp_dataset_from_strings(&ds, three, NULL, ids, 3, NULL), RBP_ERR_INVALID_ARG, "ids[2] is NULL");
    const float nan_targets[3] = {0.0f, NAN, 1.0f};
    EXPECT_FAIL(rbp_dataset_from_strings(&ds, three, nan_targets, NULL, 3, NULL), RBP_ERR_INVALID_ARG,
                "targets[1]");
    const float inf_targets[3] = {INFINITY, 0.0f, 1.0f};
    EXPECT_FAIL(rbp_dataset_from_strings(&ds, three, inf_targets, NULL, 3, NULL), RBP_ERR_INVALID_ARG,
                "targets[0]");
    const char *bad_char[3] = {"ACGU", "CCGU", "GGXC"};
    EXPECT_FAIL(rbp_dataset_from_strings(&ds, bad_char, NULL, NULL, 3, NULL), RBP_ERR_FORMAT, "sequences[2]");

    rbp_dataset_options o;
    for (size_t i = 0; i < sizeof bad_options / sizeof bad_options[0]; i++) {
        assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
        bad_options[i].spoil(&o);
        EXPECT_FAIL(rbp_dataset_from_strings(&ds, three, NULL, NULL, 3, &o), RBP_ERR_INVALID_ARG,
                    bad_options[i].needle);
    }
    /* a sequence longer than options.length with truncate = ERROR */
    assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    o.length = 3;
    o.truncate = RBP_TRUNCATE_ERROR;
    EXPECT_FAIL(rbp_dataset_from_strings(&ds, three, NULL, NULL, 3, &o), RBP_ERR_FORMAT, "sequences[0]");
    /* a raw record longer than options.max_record_length */
    assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    o.max_record_length = 2;
    EXPECT_FAIL(rbp_dataset_from_strings(&ds, three, NULL, NULL, 3, &o), RBP_ERR_FORMAT, "sequences[0]");
    assert_null(ds);
}

static void test_dataset_accessors(void **state)
{
    (void)state;
    rbp_dataset_free(NULL); /* accepts NULL */

    /* A NULL dataset gives the neutral value and a message naming 'ds'. */
    rbp_clear_error();
    assert_int_equal(rbp_dataset_size(NULL), 0);
    assert_non_null(strstr(rbp_last_error(), "'ds'"));
    EXPECT_MSG(rbp_dataset_size(NULL), "rbp_dataset_size");
    assert_int_equal(rbp_dataset_length(NULL), 0);
    EXPECT_MSG(rbp_dataset_length(NULL), "rbp_dataset_length: argument 'ds' is NULL");
    assert_int_equal(rbp_dataset_has_structure(NULL), 0);
    EXPECT_MSG(rbp_dataset_has_structure(NULL), "rbp_dataset_has_structure: argument 'ds'");
    assert_null(rbp_dataset_tokens(NULL));
    EXPECT_MSG(rbp_dataset_tokens(NULL), "rbp_dataset_tokens: argument 'ds'");
    assert_null(rbp_dataset_mask(NULL));
    EXPECT_MSG(rbp_dataset_mask(NULL), "rbp_dataset_mask: argument 'ds'");
    assert_null(rbp_dataset_structure(NULL));
    EXPECT_MSG(rbp_dataset_structure(NULL), "rbp_dataset_structure: argument 'ds'");
    assert_null(rbp_dataset_viewpoint(NULL));
    EXPECT_MSG(rbp_dataset_viewpoint(NULL), "rbp_dataset_viewpoint: argument 'ds'");
    assert_null(rbp_dataset_targets(NULL));
    EXPECT_MSG(rbp_dataset_targets(NULL), "rbp_dataset_targets: argument 'ds'");
    assert_null(rbp_dataset_id(NULL, 0));
    EXPECT_MSG(rbp_dataset_id(NULL, 0), "rbp_dataset_id: argument 'ds'");
    assert_int_equal(rbp_dataset_count_positive(NULL), 0);
    EXPECT_MSG(rbp_dataset_count_positive(NULL), "rbp_dataset_count_positive: argument 'ds'");

    /* index out of range */
    rbp_clear_error();
    assert_null(rbp_dataset_id(F.ds, N_ROWS));
    EXPECT_MSG(rbp_dataset_id(F.ds, N_ROWS), "row 4 out of range");
    assert_null(rbp_dataset_id(F.ds, SIZE_MAX));
    /* the valid calls still work and do not leave an error behind */
    rbp_clear_error();
    assert_string_equal(rbp_dataset_id(F.ds, 0), "seq1");
    assert_int_equal(rbp_dataset_size(F.ds), N_ROWS);
    assert_int_equal(rbp_dataset_count_positive(F.ds), 2);
    assert_null(rbp_dataset_structure(F.ds)); /* no structure channel: NULL, not an error */
    assert_string_equal(rbp_last_error(), "");
}

static void test_dataset_subset(void **state)
{
    (void)state;
    const size_t idx[2] = {0, 3}, bad_idx[3] = {0, 4, 1};
    rbp_dataset *s = POISON;
    EXPECT_FAIL(rbp_dataset_subset(NULL, F.ds, idx, 2), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_dataset_subset(&s, NULL, idx, 2), RBP_ERR_INVALID_ARG, "'ds'");
    assert_null(s);
    s = POISON;
    EXPECT_FAIL(rbp_dataset_subset(&s, F.ds, NULL, 2), RBP_ERR_INVALID_ARG, "'idx'");
    assert_null(s);
    EXPECT_FAIL(rbp_dataset_subset(&s, F.ds, idx, 0), RBP_ERR_INVALID_ARG, "n is 0");
    EXPECT_FAIL(rbp_dataset_subset(&s, F.ds, bad_idx, 3), RBP_ERR_INVALID_ARG, "idx[1] = 4");
    assert_null(s);
}

static void test_dataset_split(void **state)
{
    (void)state;
    rbp_dataset *tr = POISON, *va = POISON, *te = POISON;
    EXPECT_FAIL(rbp_dataset_split(NULL, 0.5, 0.0, 1, 0, &tr, &va, &te), RBP_ERR_INVALID_ARG, "'ds'");
    assert_null(tr);
    assert_null(va);
    assert_null(te);
    EXPECT_FAIL(rbp_dataset_split(F.ds, 0.5, 0.0, 1, 0, NULL, NULL, NULL), RBP_ERR_INVALID_ARG,
                "train, val and test are all NULL");
    EXPECT_FAIL(rbp_dataset_split(F.ds, -0.1, 0.0, 1, 0, &tr, NULL, &te), RBP_ERR_INVALID_ARG, "train_frac");
    EXPECT_FAIL(rbp_dataset_split(F.ds, 1.5, 0.0, 1, 0, &tr, NULL, &te), RBP_ERR_INVALID_ARG, "train_frac");
    EXPECT_FAIL(rbp_dataset_split(F.ds, NAN, 0.0, 1, 0, &tr, NULL, &te), RBP_ERR_INVALID_ARG, "train_frac");
    EXPECT_FAIL(rbp_dataset_split(F.ds, 0.5, -1.0, 1, 0, &tr, &va, &te), RBP_ERR_INVALID_ARG, "val_frac");
    EXPECT_FAIL(rbp_dataset_split(F.ds, 0.7, 0.7, 1, 0, &tr, &va, &te), RBP_ERR_INVALID_ARG, "sum");
    /* a part that would be empty, a stratified part without one class */
    EXPECT_FAIL(rbp_dataset_split(F.ds, 1.0, 0.0, 1, 0, &tr, NULL, &te), RBP_ERR_INVALID_ARG, "test part");
    EXPECT_FAIL(rbp_dataset_split(F.ds, 0.5, 0.0, 1, 0, &tr, &va, NULL), RBP_ERR_INVALID_ARG, "validation part");
    rbp_dataset *five = NULL; /* 2 positives, 3 negatives: 0.75 leaves the test part no positive */
    const size_t rows5[5] = {0, 1, 2, 3, 1};
    assert_int_equal(rbp_dataset_subset(&five, F.ds, rows5, 5), RBP_OK);
    EXPECT_FAIL(rbp_dataset_split(five, 0.75, 0.0, 1, 1, &tr, NULL, &te), RBP_ERR_INVALID_ARG,
                "test part would have no positives");
    rbp_dataset_free(five);
    assert_null(tr);
    assert_null(va);
    assert_null(te);
}

/* ================================================================== batches */

static void test_batcher(void **state)
{
    (void)state;
    rbp_batcher *b = POISON;
    EXPECT_FAIL(rbp_batcher_create(NULL, F.ds, 2, 0, 0, 1), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_batcher_create(&b, NULL, 2, 0, 0, 1), RBP_ERR_INVALID_ARG, "'ds'");
    assert_null(b);
    b = POISON;
    EXPECT_FAIL(rbp_batcher_create(&b, F.ds, 0, 0, 0, 1), RBP_ERR_INVALID_ARG, "batch_size is 0");
    assert_null(b);
    EXPECT_FAIL(rbp_batcher_create(&b, F.ds, -3, 1, 0, 1), RBP_ERR_INVALID_ARG, "batch_size is -3");
    EXPECT_FAIL(rbp_batcher_create(&b, F.ds, N_ROWS + 1, 0, 1, 1), RBP_ERR_INVALID_ARG, "drop_last");
    assert_null(b);
    rbp_batcher_free(NULL); /* accepts NULL */

    rbp_batch batch;
    EXPECT_FAIL(rbp_batcher_reset(NULL, 0), RBP_ERR_INVALID_ARG, "'b'");
    EXPECT_FAIL(rbp_batcher_next(NULL, &batch), RBP_ERR_INVALID_ARG, "'b'");
    EXPECT_FAIL(rbp_batcher_num_batches(NULL), RBP_ERR_INVALID_ARG, "'b'");

    assert_int_equal(rbp_batcher_create(&b, F.ds, 3, 1, 0, 7), RBP_OK);
    EXPECT_FAIL(rbp_batcher_next(b, NULL), RBP_ERR_INVALID_ARG, "'batch'");
    EXPECT_FAIL(rbp_batcher_reset(b, -1), RBP_ERR_INVALID_ARG, "epoch is -1");
    EXPECT_FAIL(rbp_batcher_reset(b, INT64_MIN), RBP_ERR_INVALID_ARG, "epoch");
    /* the batcher still works after the errors; past the end of the epoch it says 0 */
    assert_int_equal(rbp_batcher_num_batches(b), 2);
    assert_int_equal(rbp_batcher_next(b, &batch), 1);
    assert_int_equal(rbp_batcher_next(b, &batch), 1);
    assert_int_equal(rbp_batcher_next(b, &batch), 0);
    assert_int_equal(rbp_batcher_next(b, &batch), 0);
    rbp_batcher_free(b);
}

/* ================================================================== model.h */

static void test_model_config(void **state)
{
    (void)state;
    rbp_model_config c;
    EXPECT_FAIL(rbp_model_config_init(NULL, RBP_MODEL_CONFIG_VERSION), RBP_ERR_INVALID_ARG, "'cfg'");
    EXPECT_FAIL(rbp_model_config_init(&c, 0), RBP_ERR_INVALID_ARG, "version 0");
    EXPECT_FAIL(rbp_model_config_init(&c, RBP_MODEL_CONFIG_VERSION + 1), RBP_ERR_INVALID_ARG, "version");

    assert_non_null(rbp_model_config_check(NULL));
    EXPECT_REASON(rbp_model_config_check(NULL), "NULL");
    tiny_model_config(&c);
    assert_null(rbp_model_config_check(&c));
#define BAD_MODEL_FIELD(field, value, needle)                                               \
    do {                                                                                    \
        tiny_model_config(&c);                                                              \
        c.field = (value);                                                                  \
        EXPECT_REASON(rbp_model_config_check(&c), needle);                                  \
        rbp_model *m_ = POISON;                                                             \
        EXPECT_FAIL(rbp_model_create(&m_, &c), RBP_ERR_INVALID_ARG, needle);                \
        assert_null(m_);                                                                    \
    } while (0)
    BAD_MODEL_FIELD(version, 0, "rbp_model_config.version");
    BAD_MODEL_FIELD(version, RBP_MODEL_CONFIG_VERSION + 1, "rbp_model_config.version");
    BAD_MODEL_FIELD(seq_len, 0, "rbp_model_config.seq_len");
    BAD_MODEL_FIELD(seq_len, -8, "rbp_model_config.seq_len");
    BAD_MODEL_FIELD(d_model, 0, "rbp_model_config.d_model");
    BAD_MODEL_FIELD(n_heads, 0, "rbp_model_config.n_heads");
    BAD_MODEL_FIELD(n_heads, 3, "rbp_model_config.d_model (--d-model) is not a multiple of n_heads");
    BAD_MODEL_FIELD(n_heads, 16, "rbp_model_config.n_heads");
    BAD_MODEL_FIELD(n_layers, 0, "rbp_model_config.n_layers");
    BAD_MODEL_FIELD(d_ff, -1, "rbp_model_config.d_ff");
    BAD_MODEL_FIELD(head_hidden, 0, "rbp_model_config.head_hidden");
    BAD_MODEL_FIELD(dropout, 1.0f, "rbp_model_config.dropout");
    BAD_MODEL_FIELD(dropout, -0.1f, "rbp_model_config.dropout");
    BAD_MODEL_FIELD(dropout, NAN, "rbp_model_config.dropout");
    BAD_MODEL_FIELD(ln_eps, 0.0f, "rbp_model_config.ln_eps");
    BAD_MODEL_FIELD(ln_eps, INFINITY, "rbp_model_config.ln_eps");
    BAD_MODEL_FIELD(task, 2, "rbp_model_config.task");
    BAD_MODEL_FIELD(task, -1, "rbp_model_config.task");
    BAD_MODEL_FIELD(norm, 2, "rbp_model_config.norm");
    BAD_MODEL_FIELD(activation, 7, "rbp_model_config.activation");
    BAD_MODEL_FIELD(pooling, 3, "rbp_model_config.pooling");
    BAD_MODEL_FIELD(pooling, -1, "rbp_model_config.pooling");
    BAD_MODEL_FIELD(use_structure, 2, "rbp_model_config.use_structure");
    BAD_MODEL_FIELD(use_viewpoint, -1, "rbp_model_config.use_viewpoint");
    BAD_MODEL_FIELD(conv_kernel, 2, "rbp_model_config.conv_kernel (--conv-kernel) must be 0 or odd in 3..31");
    BAD_MODEL_FIELD(conv_kernel, 35, "rbp_model_config.conv_kernel");
#undef BAD_MODEL_FIELD
}

static void test_model_create_and_accessors(void **state)
{
    (void)state;
    rbp_model_config c;
    tiny_model_config(&c);
    rbp_model *m = POISON;
    EXPECT_FAIL(rbp_model_create(NULL, &c), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_model_create(&m, NULL), RBP_ERR_INVALID_ARG, "'cfg'");
    assert_null(m);
    rbp_model_free(NULL); /* accepts NULL */

    EXPECT_FAIL(rbp_model_get_config(NULL, &c), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_get_config(F.model, NULL), RBP_ERR_INVALID_ARG, "'cfg'");

    /* accessors: neutral values and a message for NULL */
    assert_int_equal(rbp_model_num_params(NULL), 0);
    EXPECT_MSG(rbp_model_num_params(NULL), "rbp_model_num_params: argument 'model' is NULL");
    assert_null(rbp_model_params(NULL));
    EXPECT_MSG(rbp_model_params(NULL), "rbp_model_params: argument 'model' is NULL");
    assert_true(rbp_model_num_params(F.model) > 0);
    assert_non_null(rbp_model_params(F.model));
    /* ensembles */
    assert_int_equal(rbp_model_num_members(NULL), 0);
    EXPECT_MSG(rbp_model_num_members(NULL), "rbp_model_num_members: argument 'model' is NULL");
    assert_int_equal(rbp_model_num_members(F.model), 1);
    {
        rbp_model *e = NULL;
        const rbp_model *one[1] = {F.model};
        EXPECT_FAIL(rbp_model_ensemble(NULL, one, 1), RBP_ERR_INVALID_ARG, "'out'");
        EXPECT_FAIL(rbp_model_ensemble(&e, NULL, 1), RBP_ERR_INVALID_ARG, "'models'");
        EXPECT_FAIL(rbp_model_ensemble(&e, one, -1), RBP_ERR_INVALID_ARG, "n = -1");
        EXPECT_FAIL(rbp_model_member(NULL, F.model, 0), RBP_ERR_INVALID_ARG, "'out'");
        EXPECT_FAIL(rbp_model_member(&e, NULL, 0), RBP_ERR_INVALID_ARG, "'model'");
        EXPECT_FAIL(rbp_model_member(&e, F.model, 1), RBP_ERR_INVALID_ARG, "member 1 of a model with 1 member");
        assert_null(e);
    }
}

static void test_model_predict_batch(void **state)
{
    (void)state;
    float out[N_ROWS];
    rbp_batch b = good_batch();
    EXPECT_FAIL(rbp_session_predict_batch(NULL, &b, out), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_session_predict_batch(F.sess, NULL, out), RBP_ERR_INVALID_ARG, "'batch'");
    EXPECT_FAIL(rbp_session_predict_batch(F.sess, &b, NULL), RBP_ERR_INVALID_ARG, "'out'");

    b.size = 0;
    EXPECT_FAIL(rbp_session_predict_batch(F.sess, &b, out), RBP_ERR_INVALID_ARG, "batch->size = 0");
    b.size = -2;
    EXPECT_FAIL(rbp_session_predict_batch(F.sess, &b, out), RBP_ERR_INVALID_ARG, "batch->size = -2");
    b = good_batch();
    b.length = 6; /* the batch does not fit the model */
    EXPECT_FAIL(rbp_session_predict_batch(F.sess, &b, out), RBP_ERR_SHAPE, "batch->length = 6");
    b = good_batch();
    b.tokens = NULL;
    EXPECT_FAIL(rbp_session_predict_batch(F.sess, &b, out), RBP_ERR_INVALID_ARG, "batch->tokens");
    uint8_t bad_tokens[N_ROWS * L_MODEL];
    memcpy(bad_tokens, F.tokens, sizeof bad_tokens);
    bad_tokens[L_MODEL + 3] = RBP_VOCAB_SIZE;
    b = good_batch();
    b.tokens = bad_tokens;
    EXPECT_FAIL(rbp_session_predict_batch(F.sess, &b, out), RBP_ERR_INVALID_ARG, "batch->tokens[b=1, t=3]");

    /* structure / viewpoint inputs of a model that uses them */
    b = good_batch();
    b.structure = NULL;
    EXPECT_FAIL(rbp_session_predict_batch(F.sess_sv, &b, out), RBP_ERR_INVALID_ARG, "batch->structure");
    b = good_batch();
    b.viewpoint = NULL;
    EXPECT_FAIL(rbp_session_predict_batch(F.sess_sv, &b, out), RBP_ERR_INVALID_ARG, "batch->viewpoint");
    uint8_t bad[N_ROWS * L_MODEL];
    memset(bad, RBP_STRUCT_VOCAB_SIZE, sizeof bad);
    b = good_batch();
    b.structure = bad;
    EXPECT_FAIL(rbp_session_predict_batch(F.sess_sv, &b, out), RBP_ERR_INVALID_ARG, "batch->structure[b=0, t=0]");
    memset(bad, 2, sizeof bad);
    b = good_batch();
    b.viewpoint = bad;
    EXPECT_FAIL(rbp_session_predict_batch(F.sess_sv, &b, out), RBP_ERR_INVALID_ARG, "batch->viewpoint[b=0, t=0]");

    /* the logits variant checks the same way */
    EXPECT_FAIL(rbp_session_predict_batch_logits(NULL, &b, out), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_session_predict_batch_logits(F.sess, NULL, out), RBP_ERR_INVALID_ARG, "'batch'");
    EXPECT_FAIL(rbp_session_predict_batch_logits(F.sess, &b, NULL), RBP_ERR_INVALID_ARG, "'out'");
    b.tokens = bad_tokens;
    EXPECT_FAIL(rbp_session_predict_batch_logits(F.sess, &b, out), RBP_ERR_INVALID_ARG, "batch->tokens[b=1, t=3]");

    /* the session is still usable after all of this */
    b = good_batch();
    assert_int_equal(rbp_session_predict_batch(F.sess, &b, out), RBP_OK);
    assert_int_equal(rbp_session_predict_batch(F.sess_sv, &b, out), RBP_OK);
}

static void test_model_predict(void **state)
{
    (void)state;
    float out[N_ROWS];
    EXPECT_FAIL(rbp_session_predict(NULL, F.ds, 2, out), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_session_predict(F.sess, NULL, 2, out), RBP_ERR_INVALID_ARG, "'ds'");
    EXPECT_FAIL(rbp_session_predict(F.sess, F.ds, 2, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_session_predict(F.sess, F.ds, 0, out), RBP_ERR_INVALID_ARG, "batch_size = 0");
    EXPECT_FAIL(rbp_session_predict(F.sess, F.ds, -1, out), RBP_ERR_INVALID_ARG, "batch_size = -1");
    EXPECT_FAIL(rbp_session_predict(F.sess, F.ds_short, 2, out), RBP_ERR_SHAPE, "length is 6");
    EXPECT_FAIL(rbp_session_predict(F.sess_sv, F.ds, 2, out), RBP_ERR_INVALID_ARG, "structure");
    assert_int_equal(rbp_session_predict(F.sess, F.ds, 3, out), RBP_OK);
    EXPECT_FAIL(rbp_session_predict_logits(NULL, F.ds, 2, out), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_session_predict_logits(F.sess, NULL, 2, out), RBP_ERR_INVALID_ARG, "'ds'");
    EXPECT_FAIL(rbp_session_predict_logits(F.sess, F.ds, 2, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_session_predict_logits(F.sess, F.ds, 0, out), RBP_ERR_INVALID_ARG, "batch_size = 0");
    EXPECT_FAIL(rbp_session_predict_logits(F.sess, F.ds_short, 2, out), RBP_ERR_SHAPE, "length is 6");
    assert_int_equal(rbp_session_predict_logits(F.sess, F.ds, 3, out), RBP_OK);

    /* a bad row in a dataset is reported with its batch, with 1 thread and with 3 */
    rbp_dataset *bad = NULL;
    const char *bad_seqs[N_ROWS] = {"ACGUACGU", "GGGAAACC", "uuuACGac", "CAGUCAGU"};
    assert_int_equal(rbp_dataset_from_strings(&bad, bad_seqs, targets, NULL, N_ROWS, NULL), RBP_OK);
    /* the reader never makes a bad token: poke one into row 2 */
    ((uint8_t *)(uintptr_t)rbp_dataset_tokens(bad))[2 * L_MODEL + 1] = RBP_VOCAB_SIZE;
    EXPECT_FAIL(rbp_session_predict(F.sess, bad, 1, out), RBP_ERR_INVALID_ARG, "batch at rows 2..2");
    rbp_session_options o;
    assert_int_equal(rbp_session_options_init(&o, RBP_SESSION_OPTIONS_VERSION), RBP_OK);
    o.n_threads = 3;
    rbp_session *mt = NULL;
    assert_int_equal(rbp_session_create(&mt, F.model, &o), RBP_OK);
    EXPECT_FAIL(rbp_session_predict(mt, bad, 1, out), RBP_ERR_INVALID_ARG, "batch at rows 2..2");
    EXPECT_FAIL(rbp_session_predict(mt, bad, 2, out), RBP_ERR_INVALID_ARG, "batch->tokens[b=0, t=1]");
    /* two bad batches on different threads (1 row each: batch 3 is the caller's, batch 1 another
     * thread's): the lower one is reported, on every run */
    ((uint8_t *)(uintptr_t)rbp_dataset_tokens(bad))[2 * L_MODEL + 1] = 0;
    ((uint8_t *)(uintptr_t)rbp_dataset_tokens(bad))[1 * L_MODEL + 2] = RBP_VOCAB_SIZE;
    ((uint8_t *)(uintptr_t)rbp_dataset_tokens(bad))[3 * L_MODEL + 2] = RBP_VOCAB_SIZE;
    for (int rep = 0; rep < 20; rep++)
        EXPECT_FAIL(rbp_session_predict(mt, bad, 1, out), RBP_ERR_INVALID_ARG, "batch at rows 1..1");
    EXPECT_FAIL(rbp_session_predict(F.sess, bad, 1, out), RBP_ERR_INVALID_ARG, "batch at rows 1..1");
    rbp_session_free(mt);
    rbp_dataset_free(bad);
}

static void test_scan(void **state)
{
    (void)state;
    rbp_scan_options o;
    EXPECT_FAIL(rbp_scan_options_init(NULL, RBP_SCAN_OPTIONS_VERSION), RBP_ERR_INVALID_ARG, "'opt'");
    EXPECT_FAIL(rbp_scan_options_init(&o, 99), RBP_ERR_INVALID_ARG, "unknown options version 99");
    assert_int_equal(rbp_scan_options_init(&o, RBP_SCAN_OPTIONS_VERSION), RBP_OK);
    rbp_scanner *sc = NULL;
    EXPECT_FAIL(rbp_scanner_create(NULL, F.sess, NULL, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_scanner_create(&sc, NULL, NULL, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_scanner_create(&sc, F.sess_sv, NULL, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "structure");
    o.reduce = 7;
    EXPECT_FAIL(rbp_scanner_create(&sc, F.sess, &o, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "rbp_scan_options.reduce (--reduce) = 7");
    o.reduce = RBP_SCAN_REDUCE_MEAN, o.batch_size = 0;
    EXPECT_FAIL(rbp_scanner_create(&sc, F.sess, &o, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "rbp_scan_options.batch_size (--batch) = 0");
    o.batch_size = 4, o.chunk_windows = 8, o.peak_merge = -1;
    EXPECT_FAIL(rbp_scanner_create(&sc, F.sess, &o, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "rbp_scan_options.peak_merge (--merge) = -1");
    o.peak_merge = 0, o.version = 5;
    EXPECT_FAIL(rbp_scanner_create(&sc, F.sess, &o, NULL, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "rbp_scan_options.version 5 is unknown");
    o.version = RBP_SCAN_OPTIONS_VERSION;
    assert_int_equal(rbp_scanner_create(&sc, F.sess, &o, NULL, NULL, NULL, NULL), RBP_OK);
    EXPECT_FAIL(rbp_scanner_feed(NULL, "ACGU", 4), RBP_ERR_INVALID_ARG, "'sc'");
    EXPECT_FAIL(rbp_scanner_feed(sc, NULL, 4), RBP_ERR_INVALID_ARG, "'text'");
    assert_int_equal(rbp_scanner_feed(sc, NULL, 0), RBP_OK);
    EXPECT_FAIL(rbp_scanner_feed(sc, "AC#", 3), RBP_ERR_FORMAT, "'#' at position 3");
    EXPECT_FAIL(rbp_scanner_finish(NULL), RBP_ERR_INVALID_ARG, "'sc'");
    EXPECT_FAIL(rbp_scanner_reset(NULL), RBP_ERR_INVALID_ARG, "'sc'");
    EXPECT_FAIL(rbp_scanner_position(NULL), RBP_ERR_INVALID_ARG, "'sc'");
    assert_int_equal(rbp_scanner_position(sc), 2);
    assert_int_equal(rbp_scanner_finish(sc), RBP_OK);
    rbp_scanner_free(sc);
    rbp_scanner_free(NULL);
    float track[16], ref, delta[4 * L_MODEL];
    EXPECT_FAIL(rbp_scan_sequence(NULL, "ACGU", 4, NULL, track), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_scan_sequence(F.sess, NULL, 4, NULL, track), RBP_ERR_INVALID_ARG, "'seq'");
    EXPECT_FAIL(rbp_scan_sequence(F.sess, "ACGU", 4, NULL, NULL), RBP_ERR_INVALID_ARG, "'track'");
    o.step = 9;
    EXPECT_FAIL(rbp_scan_sequence(F.sess, "ACGU", 4, &o, track), RBP_ERR_INVALID_ARG, "rbp_scan_options.step (--step) = 9");
    assert_int_equal(rbp_scan_sequence(F.sess, "ACGUACGUACGU", 12, NULL, track), RBP_OK);
    EXPECT_FAIL(rbp_mutation_map(NULL, "ACGU", 4, 4, &ref, delta), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_mutation_map(F.sess, NULL, 4, 4, &ref, delta), RBP_ERR_INVALID_ARG, "'seq'");
    EXPECT_FAIL(rbp_mutation_map(F.sess, "ACGU", 4, 4, NULL, delta), RBP_ERR_INVALID_ARG, "'ref_logit'");
    EXPECT_FAIL(rbp_mutation_map(F.sess, "ACGU", 4, 4, &ref, NULL), RBP_ERR_INVALID_ARG, "'delta'");
    EXPECT_FAIL(rbp_mutation_map(F.sess, "ACGU", 4, 0, &ref, delta), RBP_ERR_INVALID_ARG, "batch_size = 0");
    EXPECT_FAIL(rbp_mutation_map(F.sess, "ACGU", 0, 4, &ref, delta), RBP_ERR_INVALID_ARG, "0 letters");
    EXPECT_FAIL(rbp_mutation_map(F.sess_sv, "ACGU", 4, 4, &ref, delta), RBP_ERR_INVALID_ARG, "structure");
    assert_int_equal(rbp_mutation_map(F.sess, "ACGU", 4, 4, &ref, delta), RBP_OK);
}

static void test_session(void **state)
{
    (void)state;
    rbp_session_options o;
    EXPECT_FAIL(rbp_session_options_init(NULL, RBP_SESSION_OPTIONS_VERSION), RBP_ERR_INVALID_ARG, "'opt'");
    EXPECT_FAIL(rbp_session_options_init(&o, 99), RBP_ERR_INVALID_ARG, "unknown options version 99");
    assert_int_equal(rbp_session_options_init(&o, RBP_SESSION_OPTIONS_VERSION), RBP_OK);
    assert_int_equal(o.n_threads, 1);

    rbp_session *s = POISON;
    EXPECT_FAIL(rbp_session_create(NULL, F.model, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_session_create(&s, NULL, NULL), RBP_ERR_INVALID_ARG, "'model'");
    assert_null(s);
    o.n_threads = 0;
    s = POISON;
    EXPECT_FAIL(rbp_session_create(&s, F.model, &o), RBP_ERR_INVALID_ARG, "rbp_session_options.n_threads (--threads) = 0");
    assert_null(s);
    o.n_threads = 1025;
    EXPECT_FAIL(rbp_session_create(&s, F.model, &o), RBP_ERR_INVALID_ARG, "rbp_session_options.n_threads (--threads) = 1025");
    o.n_threads = 2;
    o.version = 7;
    EXPECT_FAIL(rbp_session_create(&s, F.model, &o), RBP_ERR_INVALID_ARG, "rbp_session_options.version 7 is unknown");
    assert_null(s);
    rbp_session_free(NULL); /* accepts NULL */

    assert_null(rbp_session_model(NULL));
    EXPECT_MSG(rbp_session_model(NULL), "rbp_session_model: argument 'session' is NULL");
    assert_ptr_equal(rbp_session_model(F.sess), F.model);

    /* the GEMM back-end is named, whatever it is */
    const char *gemm = rbp_gemm_backend();
    assert_non_null(gemm);
    assert_true(!strcmp(gemm, "BLAS") || !strncmp(gemm, "built-in", 8));
}

static void test_model_attention(void **state)
{
    (void)state;
    rbp_model_config c;
    tiny_model_config(&c);
    rbp_model *fresh_model = NULL;
    assert_int_equal(rbp_model_create(&fresh_model, &c), RBP_OK);
    rbp_session *fresh = NULL;
    assert_int_equal(rbp_session_create(&fresh, fresh_model, NULL), RBP_OK);
    float attn[1 * 2 * L_MODEL * L_MODEL], out[N_ROWS];

    EXPECT_FAIL(rbp_session_attention(NULL, 0, attn), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_session_attention(fresh, 0, NULL), RBP_ERR_INVALID_ARG, "'out'");
    /* wrong state: no forward pass yet */
    EXPECT_FAIL(rbp_session_attention(fresh, 0, attn), RBP_ERR_STATE, "no forward pass");

    rbp_batch b = good_batch();
    b.size = 2;
    assert_int_equal(rbp_session_predict_batch(fresh, &b, out), RBP_OK);
    assert_int_equal(rbp_session_attention(fresh, 1, attn), RBP_OK);
    EXPECT_FAIL(rbp_session_attention(fresh, 2, attn), RBP_ERR_INVALID_ARG, "example 2");
    EXPECT_FAIL(rbp_session_attention(fresh, -1, attn), RBP_ERR_INVALID_ARG, "example -1");

    /* a failed forward pass leaves no attention behind: the state error again */
    b.length = 5;
    EXPECT_FAIL(rbp_session_predict_batch(fresh, &b, out), RBP_ERR_SHAPE, "batch->length = 5");
    b.length = L_MODEL;
    uint8_t bad_tokens[N_ROWS * L_MODEL];
    memset(bad_tokens, 0xff, sizeof bad_tokens);
    b.tokens = bad_tokens;
    EXPECT_FAIL(rbp_session_predict_batch(fresh, &b, out), RBP_ERR_INVALID_ARG, "batch->tokens[b=0, t=0]");
    EXPECT_FAIL(rbp_session_attention(fresh, 0, attn), RBP_ERR_STATE, "no forward pass");
    rbp_session_free(fresh);
    rbp_model_free(fresh_model);
}

static void test_model_save_load(void **state)
{
    (void)state;
    const char *path = rbp_test_path("tiny.rbpm");
    EXPECT_FAIL(rbp_model_save(NULL, path), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_save(F.model, NULL), RBP_ERR_INVALID_ARG, "'path'");
    const char *bad_dir = unwritable("tiny.rbpm");
    EXPECT_FAIL(rbp_model_save(F.model, bad_dir), RBP_ERR_IO, "no_such_dir");

    rbp_model *m = POISON;
    EXPECT_FAIL(rbp_model_load(NULL, path), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_model_load(&m, NULL), RBP_ERR_INVALID_ARG, "'path'");
    assert_null(m);
    m = POISON;
    EXPECT_FAIL(rbp_model_load(&m, rbp_test_path("missing.rbpm")), RBP_ERR_IO, "missing.rbpm");
    assert_null(m);
    EXPECT_FAIL(rbp_model_load(&m, rbp_test_path("")), RBP_ERR_IO, "not a regular file");
    const char *garbage = rbp_test_write_file("garbage.rbpm", "this is not a checkpoint, just some text that is "
                                              "long enough to hold a header..................................."
                                              "................................................................",
                                              (size_t)-1);
    EXPECT_FAIL(rbp_model_load(&m, garbage), RBP_ERR_FORMAT, "magic");
    const char *tiny = rbp_test_write_file("tiny_file.rbpm", "RBPM", 4);
    EXPECT_FAIL(rbp_model_load(&m, tiny), RBP_ERR_FORMAT, "truncated");

    /* a valid checkpoint with its tail cut off */
    assert_int_equal(rbp_model_save(F.model, path), RBP_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 16 && n < sizeof buf);
    const char *cut = rbp_test_write_file("cut.rbpm", buf, n - 8);
    EXPECT_FAIL(rbp_model_load(&m, cut), RBP_ERR_FORMAT, "cut.rbpm");
    /* a flipped byte in the parameters: the checksum catches it */
    buf[n - 12] ^= 0x5a;
    const char *flipped = rbp_test_write_file("flipped.rbpm", buf, n);
    EXPECT_FAIL(rbp_model_load(&m, flipped), RBP_ERR_FORMAT, "flipped.rbpm");
    assert_null(m);
}

/* ================================================================== metadata.h */

static void test_model_metadata(void **state)
{
    (void)state;
    /* a model of its own: the fixture's is shared by the other tests */
    rbp_model_config cfg;
    assert_int_equal(rbp_model_get_config(F.model, &cfg), RBP_OK);
    rbp_model *m = NULL;
    assert_int_equal(rbp_model_create(&m, &cfg), RBP_OK);
    const char *s = POISON;
    int64_t i = 7;
    double d = 1.5;

    EXPECT_FAIL(rbp_model_meta_set_string(NULL, "k", "v"), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_meta_set_string(m, NULL, "v"), RBP_ERR_INVALID_ARG, "'key'");
    EXPECT_FAIL(rbp_model_meta_set_string(m, "k", NULL), RBP_ERR_INVALID_ARG, "'value'");
    EXPECT_FAIL(rbp_model_meta_set_string(m, "", "v"), RBP_ERR_INVALID_ARG, "is empty");
    EXPECT_FAIL(rbp_model_meta_set_string(m, "bad key", "v"), RBP_ERR_INVALID_ARG, "letters, digits");
    EXPECT_FAIL(rbp_model_meta_set_string(m, "k", "\xff"), RBP_ERR_INVALID_ARG, "UTF-8");
    static char long_key[RBP_META_KEY_MAX + 2];
    memset(long_key, 'k', RBP_META_KEY_MAX + 1);
    EXPECT_FAIL(rbp_model_meta_set_int(m, long_key, 1), RBP_ERR_INVALID_ARG, "RBP_META_KEY_MAX");
    static char long_value[RBP_META_STRING_MAX + 2];
    memset(long_value, 'v', RBP_META_STRING_MAX + 1);
    EXPECT_FAIL(rbp_model_meta_set_string(m, "k", long_value), RBP_ERR_INVALID_ARG, "RBP_META_STRING_MAX");
    EXPECT_FAIL(rbp_model_meta_set_int(NULL, "k", 1), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_meta_set_double(NULL, "k", 1), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_meta_set_double(m, NULL, 1), RBP_ERR_INVALID_ARG, "'key'");
    EXPECT_FAIL(rbp_model_meta_remove(NULL, "k"), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_meta_remove(m, NULL), RBP_ERR_INVALID_ARG, "'key'");
    assert_int_equal(rbp_model_meta_remove(m, "absent"), RBP_OK);

    EXPECT_MSG(assert_int_equal(rbp_model_meta_count(NULL), 0), "'model'");
    EXPECT_MSG(assert_null(rbp_model_meta_key(NULL, 0)), "'model'");
    EXPECT_MSG(assert_null(rbp_model_meta_key(m, 0)), "out of range");
    EXPECT_MSG(assert_int_equal(rbp_model_meta_type(NULL, "k"), RBP_META_NONE), "'model'");
    EXPECT_MSG(assert_int_equal(rbp_model_meta_type(m, NULL), RBP_META_NONE), "'key'");
    EXPECT_MSG(assert_int_equal(rbp_model_file_format(NULL), 0), "'model'");

    EXPECT_FAIL(rbp_model_meta_get_string(NULL, "k", &s), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_meta_get_string(m, NULL, &s), RBP_ERR_INVALID_ARG, "'key'");
    EXPECT_FAIL(rbp_model_meta_get_string(m, "k", NULL), RBP_ERR_INVALID_ARG, "'value'");
    EXPECT_FAIL(rbp_model_meta_get_string(m, "absent", &s), RBP_ERR_INVALID_ARG, "no metadata key 'absent'");
    EXPECT_FAIL(rbp_model_meta_get_int(NULL, "k", &i), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_meta_get_int(m, "absent", &i), RBP_ERR_INVALID_ARG, "no metadata key");
    EXPECT_FAIL(rbp_model_meta_get_double(NULL, "k", &d), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_meta_get_double(m, "k", NULL), RBP_ERR_INVALID_ARG, "'value'");
    /* the wrong type */
    assert_int_equal(rbp_model_meta_set_string(m, "protein", "PUM2"), RBP_OK);
    assert_int_equal(rbp_model_meta_set_double(m, "auc", 0.9), RBP_OK);
    EXPECT_FAIL(rbp_model_meta_get_int(m, "protein", &i), RBP_ERR_INVALID_ARG, "is a string, not an integer");
    EXPECT_FAIL(rbp_model_meta_get_int(m, "auc", &i), RBP_ERR_INVALID_ARG, "is a double, not an integer");
    EXPECT_FAIL(rbp_model_meta_get_double(m, "protein", &d), RBP_ERR_INVALID_ARG, "not a number");
    EXPECT_FAIL(rbp_model_meta_get_string(m, "auc", &s), RBP_ERR_INVALID_ARG, "not a string");

    rbp_dataset_options o;
    assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    EXPECT_FAIL(rbp_model_meta_set_encoding(NULL, &o), RBP_ERR_INVALID_ARG, "'model'");
    EXPECT_FAIL(rbp_model_meta_set_encoding(m, NULL), RBP_ERR_INVALID_ARG, "'opt'");
    o.length = cfg.seq_len + 1;
    EXPECT_FAIL(rbp_model_meta_set_encoding(m, &o), RBP_ERR_INVALID_ARG, "options.length");
    o.length = 0;
    o.truncate = 9;
    EXPECT_FAIL(rbp_model_meta_set_encoding(m, &o), RBP_ERR_INVALID_ARG, "options.truncate");
    o.truncate = RBP_TRUNCATE_RIGHT;
    o.case_viewpoint = 2;
    EXPECT_FAIL(rbp_model_meta_set_encoding(m, &o), RBP_ERR_INVALID_ARG, "options.case_viewpoint");
    EXPECT_FAIL(rbp_dataset_options_from_model(NULL, m), RBP_ERR_INVALID_ARG, "'opt'");
    EXPECT_FAIL(rbp_dataset_options_from_model(&o, NULL), RBP_ERR_INVALID_ARG, "'model'");
    /* an encoding this version cannot reproduce */
    assert_int_equal(rbp_model_meta_set_string(m, "encoding.alphabet", "ACGT;T!=U"), RBP_OK);
    EXPECT_FAIL(rbp_dataset_options_from_model(&o, m), RBP_ERR_FORMAT, "encoding.alphabet");
    assert_int_equal(rbp_model_meta_remove(m, "encoding.alphabet"), RBP_OK);
    assert_int_equal(rbp_model_meta_set_string(m, "encoding.truncate", "middle"), RBP_OK);
    EXPECT_FAIL(rbp_dataset_options_from_model(&o, m), RBP_ERR_FORMAT, "encoding.truncate 'middle'");
    assert_int_equal(rbp_model_meta_set_int(m, "encoding.truncate", 2), RBP_OK);
    EXPECT_FAIL(rbp_dataset_options_from_model(&o, m), RBP_ERR_FORMAT, "encoding.truncate");
    assert_int_equal(rbp_model_meta_remove(m, "encoding.truncate"), RBP_OK);
    assert_int_equal(rbp_model_meta_set_int(m, "encoding.case_viewpoint", 3), RBP_OK);
    EXPECT_FAIL(rbp_dataset_options_from_model(&o, m), RBP_ERR_FORMAT, "encoding.case_viewpoint");
    assert_int_equal(rbp_model_meta_remove(m, "encoding.case_viewpoint"), RBP_OK);
    assert_int_equal(rbp_model_meta_set_int(m, "encoding.length", cfg.seq_len + 1), RBP_OK);
    EXPECT_FAIL(rbp_dataset_options_from_model(&o, m), RBP_ERR_FORMAT, "encoding.length");
    rbp_model_free(m);
}

/* ================================================================== train.h */

static void test_train_config(void **state)
{
    (void)state;
    rbp_train_config c;
    EXPECT_FAIL(rbp_train_config_init(NULL, RBP_TRAIN_CONFIG_VERSION), RBP_ERR_INVALID_ARG, "'cfg'");
    EXPECT_FAIL(rbp_train_config_init(&c, 0), RBP_ERR_INVALID_ARG, "version 0");
    EXPECT_FAIL(rbp_train_config_init(&c, RBP_TRAIN_CONFIG_VERSION + 1), RBP_ERR_INVALID_ARG, "version");

    EXPECT_REASON(rbp_train_config_check(NULL), "NULL");
    assert_null(rbp_train_config_check(&F.tcfg));
#define BAD_TRAIN_FIELD(field, value, needle)                                               \
    do {                                                                                    \
        c = F.tcfg;                                                                         \
        c.field = (value);                                                                  \
        EXPECT_REASON(rbp_train_config_check(&c), needle);                                  \
        rbp_trainer *t_ = POISON;                                                           \
        EXPECT_FAIL(rbp_trainer_create(&t_, F.model, &c), RBP_ERR_INVALID_ARG, needle);     \
        assert_null(t_);                                                                    \
    } while (0)
    BAD_TRAIN_FIELD(version, 0, "rbp_train_config.version");
    BAD_TRAIN_FIELD(version, 7, "rbp_train_config.version");
    BAD_TRAIN_FIELD(epochs, 0, "rbp_train_config.epochs");
    BAD_TRAIN_FIELD(batch_size, 0, "rbp_train_config.batch_size");
    BAD_TRAIN_FIELD(batch_size, -4, "rbp_train_config.batch_size");
    BAD_TRAIN_FIELD(optimizer, 2, "rbp_train_config.optimizer");
    BAD_TRAIN_FIELD(optimizer, -1, "rbp_train_config.optimizer");
    BAD_TRAIN_FIELD(lr, 0.0f, "rbp_train_config.lr");
    BAD_TRAIN_FIELD(lr, NAN, "rbp_train_config.lr");
    BAD_TRAIN_FIELD(lr_scale, -1.0f, "rbp_train_config.lr_scale");
    BAD_TRAIN_FIELD(beta1, 1.0f, "rbp_train_config.beta1");
    BAD_TRAIN_FIELD(beta2, -0.5f, "rbp_train_config.beta2");
    BAD_TRAIN_FIELD(eps, 0.0f, "rbp_train_config.eps");
    BAD_TRAIN_FIELD(weight_decay, -0.01f, "rbp_train_config.weight_decay");
    BAD_TRAIN_FIELD(schedule, 3, "rbp_train_config.schedule");
    BAD_TRAIN_FIELD(schedule, -1, "rbp_train_config.schedule");
    BAD_TRAIN_FIELD(warmup_steps, -1, "rbp_train_config.warmup_steps");
    BAD_TRAIN_FIELD(clip_norm, -1.0f, "rbp_train_config.clip_norm");
    BAD_TRAIN_FIELD(clip_norm, INFINITY, "rbp_train_config.clip_norm");
    BAD_TRAIN_FIELD(pos_weight, 0.0f, "rbp_train_config.pos_weight");
    BAD_TRAIN_FIELD(patience, -1, "rbp_train_config.patience");
    BAD_TRAIN_FIELD(monitor, 3, "rbp_train_config.monitor");
    BAD_TRAIN_FIELD(restore_best, 2, "rbp_train_config.restore_best");
    BAD_TRAIN_FIELD(eval_batch_size, 0, "rbp_train_config.eval_batch_size");
#undef BAD_TRAIN_FIELD
}

static void test_presets(void **state)
{
    (void)state;
    rbp_model_config m;
    rbp_train_config t;
    rbp_dataset_options d;
    double vf = -1.0;
    assert_int_equal(rbp_model_config_init(&m, RBP_MODEL_CONFIG_VERSION), RBP_OK);
    assert_int_equal(rbp_train_config_init(&t, RBP_TRAIN_CONFIG_VERSION), RBP_OK);
    assert_int_equal(rbp_dataset_options_init(&d, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    EXPECT_FAIL(rbp_preset_apply(NULL, &m, &t, &d, &vf), RBP_ERR_INVALID_ARG, "name is NULL");
    EXPECT_FAIL(rbp_preset_apply("huge", &m, &t, &d, &vf), RBP_ERR_INVALID_ARG,
                "unknown preset 'huge', expected one of: default, study, small, tiny");
    assert_true(vf == -1.0); /* nothing written on failure */
    rbp_model_config bad_m = m;
    bad_m.version = 99;
    EXPECT_FAIL(rbp_preset_apply("default", &bad_m, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "rbp_model_config.version 99");
    assert_int_equal(bad_m.d_model, m.d_model);
    rbp_train_config bad_t = t;
    bad_t.version = 0;
    EXPECT_FAIL(rbp_preset_apply("default", NULL, &bad_t, NULL, NULL), RBP_ERR_INVALID_ARG, "rbp_train_config.version 0");
    rbp_dataset_options bad_d = d;
    bad_d.version = 7;
    EXPECT_FAIL(rbp_preset_apply("default", NULL, NULL, &bad_d, NULL), RBP_ERR_INVALID_ARG,
                "rbp_dataset_options.version 7");
    int32_t members = 7;
    EXPECT_FAIL(rbp_preset_members(NULL, &members), RBP_ERR_INVALID_ARG, "name is NULL");
    EXPECT_FAIL(rbp_preset_members("nope", &members), RBP_ERR_INVALID_ARG, "unknown preset 'nope'");
    EXPECT_FAIL(rbp_preset_members("default", NULL), RBP_ERR_INVALID_ARG, "members");
    assert_int_equal(members, 7);
    assert_null(rbp_preset_summary(NULL));
    EXPECT_MSG(rbp_preset_summary(NULL), "name is NULL");
    assert_null(rbp_preset_summary("nope"));
    EXPECT_MSG(rbp_preset_summary("nope"), "unknown preset 'nope'");
    assert_null(rbp_preset_name(rbp_preset_count()));
    EXPECT_MSG(rbp_preset_name(rbp_preset_count()), "index 4, expected 0..3");
    assert_int_equal(rbp_preset_count(), 4);
}

static void test_bundled_models(void **state)
{
    (void)state;
    char buf[64], tiny[4];
    EXPECT_FAIL(rbp_model_search_dir(0, NULL, 10), RBP_ERR_INVALID_ARG, "'dir'");
    EXPECT_FAIL(rbp_model_search_dir(0, buf, 0), RBP_ERR_INVALID_ARG, "size is 0");
    EXPECT_FAIL(rbp_model_search_dir(1000, buf, sizeof buf), RBP_ERR_INVALID_ARG, "index 1000, the search path has");
    EXPECT_FAIL(rbp_model_search_dir(0, tiny, sizeof tiny), RBP_ERR_INVALID_ARG, "too small");
    EXPECT_FAIL(rbp_model_find(NULL, buf, sizeof buf), RBP_ERR_INVALID_ARG, "'name'");
    EXPECT_FAIL(rbp_model_find("PUM2", NULL, 1), RBP_ERR_INVALID_ARG, "'path'");
    EXPECT_FAIL(rbp_model_find("PUM2", buf, 0), RBP_ERR_INVALID_ARG, "size is 0");
    EXPECT_FAIL(rbp_model_find("", buf, sizeof buf), RBP_ERR_INVALID_ARG, "not a model name");
    EXPECT_FAIL(rbp_model_find("a/b", buf, sizeof buf), RBP_ERR_INVALID_ARG, "not a model name");
    EXPECT_FAIL(rbp_model_find("m.rbp", buf, sizeof buf), RBP_ERR_INVALID_ARG, "not a model name");
    EXPECT_FAIL(rbp_model_find("NoSuchModelAnywhere", buf, sizeof buf), RBP_ERR_IO,
                "no bundled model named 'NoSuchModelAnywhere' (searched ");
    assert_string_equal(buf, "");
    EXPECT_FAIL(rbp_model_bundled(0, NULL, 1), RBP_ERR_INVALID_ARG, "'path'");
    EXPECT_FAIL(rbp_model_bundled(0, buf, 0), RBP_ERR_INVALID_ARG, "size is 0");
    EXPECT_FAIL(rbp_model_bundled((size_t)1 << 40, buf, sizeof buf), RBP_ERR_INVALID_ARG, "bundled models");
}

static void test_schedule_and_losses(void **state)
{
    (void)state;
    /* rbp_schedule_lr: NaN with a message for NULL, an unknown schedule or d_model < 1 */
    assert_true(isnan(rbp_schedule_lr(NULL, 8, 1, 10)));
    EXPECT_MSG(rbp_schedule_lr(NULL, 8, 1, 10), "'cfg'");
    rbp_train_config c = F.tcfg;
    c.schedule = 99;
    assert_true(isnan(rbp_schedule_lr(&c, 8, 1, 10)));
    EXPECT_MSG(rbp_schedule_lr(&c, 8, 1, 10), "schedule");
    c.schedule = RBP_SCHED_TRANSFORMER;
    assert_true(isnan(rbp_schedule_lr(&c, 0, 1, 10)));
    EXPECT_MSG(rbp_schedule_lr(&c, 0, 1, 10), "d_model");
    assert_true(isnan(rbp_schedule_lr(&c, -8, 1, 10)));
    assert_true(isfinite(rbp_schedule_lr(&c, 8, 1, 10)));

    /* losses: NaN with a message for NULL arrays or n == 0 */
    const float x[2] = {0.5f, -1.0f}, y[2] = {1.0f, 0.0f};
    float d[2];
    assert_true(isnan(rbp_loss_bce_logits(NULL, y, 2, 1.0f, d)));
    EXPECT_MSG(rbp_loss_bce_logits(NULL, y, 2, 1.0f, d), "'logits'");
    assert_true(isnan(rbp_loss_bce_logits(x, NULL, 2, 1.0f, NULL)));
    EXPECT_MSG(rbp_loss_bce_logits(x, NULL, 2, 1.0f, NULL), "'targets'");
    assert_true(isnan(rbp_loss_bce_logits(x, y, 0, 1.0f, d)));
    EXPECT_MSG(rbp_loss_bce_logits(x, y, 0, 1.0f, d), "n is 0");
    assert_true(isfinite(rbp_loss_bce_logits(x, y, 2, 1.0f, NULL)));
    assert_true(isnan(rbp_loss_mse(NULL, y, 2, d)));
    EXPECT_MSG(rbp_loss_mse(NULL, y, 2, d), "'pred'");
    assert_true(isnan(rbp_loss_mse(x, NULL, 2, NULL)));
    EXPECT_MSG(rbp_loss_mse(x, NULL, 2, NULL), "'targets'");
    assert_true(isnan(rbp_loss_mse(x, y, 0, d)));
    EXPECT_MSG(rbp_loss_mse(x, y, 0, d), "n is 0");
    assert_true(isfinite(rbp_loss_mse(x, y, 2, NULL)));
}

static int32_t never_called(const rbp_step_info *info, void *user)
{
    (void)info;
    (void)user;
    return 1;
}

static void test_trainer_create_and_small_calls(void **state)
{
    (void)state;
    rbp_trainer *t = POISON;
    EXPECT_FAIL(rbp_trainer_create(NULL, F.model, &F.tcfg), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_trainer_create(&t, NULL, &F.tcfg), RBP_ERR_INVALID_ARG, "'model'");
    assert_null(t);
    t = POISON;
    EXPECT_FAIL(rbp_trainer_create(&t, F.model, NULL), RBP_ERR_INVALID_ARG, "'cfg'");
    assert_null(t);
    /* a monitor that does not fit the model's task */
    rbp_train_config c = F.tcfg;
    c.monitor = RBP_MONITOR_VAL_AUC;
    t = POISON;
    EXPECT_FAIL(rbp_trainer_create(&t, F.model_reg, &c), RBP_ERR_INVALID_ARG, "VAL_AUC");
    assert_null(t);
    c.monitor = RBP_MONITOR_VAL_R2;
    EXPECT_FAIL(rbp_trainer_create(&t, F.model, &c), RBP_ERR_INVALID_ARG, "VAL_R2");
    rbp_trainer_free(NULL); /* accepts NULL */

    EXPECT_FAIL(rbp_trainer_set_callbacks(NULL, never_called, NULL, NULL), RBP_ERR_INVALID_ARG, "'t'");
    assert_int_equal(rbp_trainer_set_callbacks(F.trainer, NULL, NULL, NULL), RBP_OK); /* NULL callbacks are fine */
    EXPECT_FAIL(rbp_trainer_set_total_steps(NULL, 10), RBP_ERR_INVALID_ARG, "'t'");
    EXPECT_FAIL(rbp_trainer_set_total_steps(F.trainer, -1), RBP_ERR_INVALID_ARG, "total_steps = -1");

    /* counters: 0 with a message for NULL */
    assert_int_equal(rbp_trainer_epoch(NULL), 0);
    EXPECT_MSG(rbp_trainer_epoch(NULL), "rbp_trainer_epoch: argument 't' is NULL");
    assert_int_equal(rbp_trainer_step_count(NULL), 0);
    EXPECT_MSG(rbp_trainer_step_count(NULL), "rbp_trainer_step_count: argument 't' is NULL");
}

static void test_trainer_step(void **state)
{
    (void)state;
    double loss = 0.0;
    rbp_batch b = good_batch();
    b.size = 2;
    const int64_t steps = rbp_trainer_step_count(F.trainer);
    const size_t np = rbp_model_num_params(F.model);
    float *before = malloc(np * sizeof *before);
    assert_non_null(before);
    memcpy(before, rbp_model_params(F.model), np * sizeof *before);
    EXPECT_FAIL(rbp_trainer_step(NULL, &b, &loss), RBP_ERR_INVALID_ARG, "'t'");
    EXPECT_FAIL(rbp_trainer_step(F.trainer, NULL, &loss), RBP_ERR_INVALID_ARG, "'batch'");
    /* outside 1..max(batch_size, eval_batch_size) = 1..4: a shape error (train.h) */
    b.size = 0;
    EXPECT_FAIL(rbp_trainer_step(F.trainer, &b, &loss), RBP_ERR_SHAPE, "batch size 0");
    b.size = -1;
    EXPECT_FAIL(rbp_trainer_step(F.trainer, &b, &loss), RBP_ERR_SHAPE, "batch size -1");
    b.size = 5;
    EXPECT_FAIL(rbp_trainer_step(F.trainer, &b, &loss), RBP_ERR_SHAPE, "batch size 5");
    b = good_batch();
    b.length = 6;
    EXPECT_FAIL(rbp_trainer_step(F.trainer, &b, &loss), RBP_ERR_SHAPE, "length 6");
    b = good_batch();
    b.tokens = NULL;
    EXPECT_FAIL(rbp_trainer_step(F.trainer, &b, &loss), RBP_ERR_INVALID_ARG, "batch->tokens is NULL");
    b = good_batch();
    b.mask = NULL;
    EXPECT_FAIL(rbp_trainer_step(F.trainer, &b, &loss), RBP_ERR_INVALID_ARG, "batch->mask is NULL");
    b = good_batch();
    b.targets = NULL;
    EXPECT_FAIL(rbp_trainer_step(F.trainer, &b, &loss), RBP_ERR_INVALID_ARG, "batch->targets is NULL");
    uint8_t bad_tokens[N_ROWS * L_MODEL];
    memset(bad_tokens, 7, sizeof bad_tokens);
    b = good_batch();
    b.tokens = bad_tokens;
    EXPECT_FAIL(rbp_trainer_step(F.trainer, &b, &loss), RBP_ERR_INVALID_ARG, "batch->tokens[b=0, t=0]");
    /* none of the failures took a step */
    assert_int_equal(rbp_trainer_step_count(F.trainer), steps);
    assert_memory_equal(before, rbp_model_params(F.model), np * sizeof *before);
    free(before);
}

static void test_trainer_evaluate_and_fit(void **state)
{
    (void)state;
    double loss = 0.0;
    EXPECT_FAIL(rbp_trainer_evaluate_loss(NULL, F.ds, &loss), RBP_ERR_INVALID_ARG, "'t'");
    EXPECT_FAIL(rbp_trainer_evaluate_loss(F.trainer, NULL, &loss), RBP_ERR_INVALID_ARG, "'ds'");
    EXPECT_FAIL(rbp_trainer_evaluate_loss(F.trainer, F.ds, NULL), RBP_ERR_INVALID_ARG, "'loss'");
    EXPECT_FAIL(rbp_trainer_evaluate_loss(F.trainer, F.ds_short, &loss), RBP_ERR_SHAPE, "rbp_trainer_evaluate_loss: evaluation set has sequence length 6");

    const int32_t epoch = rbp_trainer_epoch(F.trainer);
    EXPECT_FAIL(rbp_trainer_fit(NULL, F.ds, NULL), RBP_ERR_INVALID_ARG, "'t'");
    EXPECT_FAIL(rbp_trainer_fit(F.trainer, NULL, F.ds), RBP_ERR_INVALID_ARG, "'train'");
    EXPECT_FAIL(rbp_trainer_fit(F.trainer, F.ds_short, NULL), RBP_ERR_SHAPE,
                "rbp_trainer_fit: training set has sequence length 6");
    EXPECT_FAIL(rbp_trainer_fit(F.trainer, F.ds, F.ds_short), RBP_ERR_SHAPE,
                "validation set has sequence length 6");
    assert_int_equal(rbp_trainer_epoch(F.trainer), epoch);

    /* a model with a structure embedding and a dataset without the channel */
    rbp_trainer *t = NULL;
    assert_int_equal(rbp_trainer_create(&t, F.model_sv, &F.tcfg), RBP_OK);
    EXPECT_FAIL(rbp_trainer_fit(t, F.ds, NULL), RBP_ERR_INVALID_ARG, "structure");
    EXPECT_FAIL(rbp_trainer_evaluate_loss(t, F.ds, &loss), RBP_ERR_INVALID_ARG, "structure");
    rbp_trainer_free(t);
}

static void test_trainer_save_load(void **state)
{
    (void)state;
    const char *path = rbp_test_path("trainer.rbpm");
    EXPECT_FAIL(rbp_trainer_save(NULL, path), RBP_ERR_INVALID_ARG, "'t'");
    EXPECT_FAIL(rbp_trainer_save(F.trainer, NULL), RBP_ERR_INVALID_ARG, "'path'");
    EXPECT_FAIL(rbp_trainer_save(F.trainer, unwritable("trainer.rbpm")), RBP_ERR_IO, "no_such_dir");

    EXPECT_FAIL(rbp_trainer_load(NULL, path), RBP_ERR_INVALID_ARG, "'t'");
    EXPECT_FAIL(rbp_trainer_load(F.trainer, NULL), RBP_ERR_INVALID_ARG, "'path'");
    EXPECT_FAIL(rbp_trainer_load(F.trainer, rbp_test_path("missing_trainer.rbpm")), RBP_ERR_IO,
                "missing_trainer.rbpm");
    const char *garbage = rbp_test_write_file("garbage_trainer.rbpm", "RBPX0000000000000000000000000000000000000"
                                              "000000000000000000000000000000000000000000000000000000000000000"
                                              "0000000000000000000000000000000000000000000000000000000000000000",
                                              (size_t)-1);
    EXPECT_FAIL(rbp_trainer_load(F.trainer, garbage), RBP_ERR_FORMAT, "magic");

    /* wrong pairing: a model-only checkpoint, and a trainer checkpoint of another model */
    const int64_t steps = rbp_trainer_step_count(F.trainer);
    const char *model_only = rbp_test_path("model_only.rbpm");
    assert_int_equal(rbp_model_save(F.model, model_only), RBP_OK);
    EXPECT_FAIL(rbp_trainer_load(F.trainer, model_only), RBP_ERR_FORMAT, "no optimizer state");
    rbp_model_config c;
    tiny_model_config(&c);
    c.d_ff = 16;
    rbp_model *other = NULL;
    rbp_trainer *other_t = NULL;
    assert_int_equal(rbp_model_create(&other, &c), RBP_OK);
    assert_int_equal(rbp_trainer_create(&other_t, other, &F.tcfg), RBP_OK);
    const char *other_path = rbp_test_path("other_trainer.rbpm");
    assert_int_equal(rbp_trainer_save(other_t, other_path), RBP_OK);
    EXPECT_FAIL(rbp_trainer_load(F.trainer, other_path), RBP_ERR_FORMAT, "d_ff");
    rbp_trainer_free(other_t);
    rbp_model_free(other);
    assert_int_equal(rbp_trainer_step_count(F.trainer), steps);
}

/* ================================================================== metrics.h */

static const float m_scores[4] = {0.9f, 0.2f, 0.6f, 0.4f};
static const float m_labels[4] = {1.0f, 0.0f, 1.0f, 0.0f};
static const float m_ones[4] = {1.0f, 1.0f, 1.0f, 1.0f};
static const float m_nan[4] = {0.1f, NAN, 0.3f, 0.4f};

/* The checks every two-array metric shares; `min_n` is its smallest valid n. */
typedef rbp_status (*metric_fn)(const float *a, const float *b, size_t n, double *out);

static void check_metric(metric_fn f, const char *name, const char *an, const char *bn, size_t min_n,
                         int needs_classes)
{
    double out;
    char needle[64];
    snprintf(needle, sizeof needle, "'%s'", an);
    out = 0.0;
    EXPECT_FAIL(f(NULL, m_labels, 4, &out), RBP_ERR_INVALID_ARG, needle);
    assert_true(isnan(out));
    snprintf(needle, sizeof needle, "'%s'", bn);
    out = 0.0;
    EXPECT_FAIL(f(m_scores, NULL, 4, &out), RBP_ERR_INVALID_ARG, needle);
    assert_true(isnan(out));
    EXPECT_FAIL(f(m_scores, m_labels, 4, NULL), RBP_ERR_INVALID_ARG, "'out'");
    out = 0.0;
    EXPECT_FAIL(f(m_scores, m_labels, 0, &out), RBP_ERR_INVALID_ARG, "n = 0");
    assert_true(isnan(out));
    if (min_n > 1)
        EXPECT_FAIL(f(m_scores, m_labels, min_n - 1, &out), RBP_ERR_INVALID_ARG, "n = 1");
    snprintf(needle, sizeof needle, "%s[1] is not finite", an);
    EXPECT_FAIL(f(m_nan, m_labels, 4, &out), RBP_ERR_INVALID_ARG, needle);
    snprintf(needle, sizeof needle, "%s[1] is not finite", bn);
    EXPECT_FAIL(f(m_scores, m_nan, 4, &out), RBP_ERR_INVALID_ARG, needle);
    if (needs_classes)
        EXPECT_FAIL(f(m_scores, m_ones, 4, &out), RBP_ERR_INVALID_ARG, "both classes");
    assert_non_null(strstr(rbp_last_error(), name));
    assert_int_equal(f(m_scores, m_labels, 4, &out), RBP_OK);
    assert_false(isnan(out));
}

static rbp_status accuracy_half(const float *a, const float *b, size_t n, double *out)
{
    return rbp_metric_accuracy(a, b, n, 0.5, out);
}

static void test_metrics_plain(void **state)
{
    (void)state;
    check_metric(accuracy_half, "rbp_metric_accuracy", "scores", "labels", 1, 0);
    double out = 0.0;
    EXPECT_FAIL(rbp_metric_accuracy(m_scores, m_labels, 4, NAN, &out), RBP_ERR_INVALID_ARG, "threshold");
    assert_true(isnan(out));
    check_metric(rbp_metric_roc_auc, "rbp_metric_roc_auc", "scores", "labels", 1, 1);
    check_metric(rbp_metric_average_precision, "rbp_metric_average_precision", "scores", "labels", 1, 1);
    check_metric(rbp_metric_r2, "rbp_metric_r2", "pred", "target", 2, 0);
    check_metric(rbp_metric_pearson, "rbp_metric_pearson", "x", "y", 2, 0);
    EXPECT_FAIL(rbp_metric_pearson(m_ones, m_labels, 4, &out), RBP_ERR_INVALID_ARG, "x is constant");
    EXPECT_FAIL(rbp_metric_pearson(m_labels, m_ones, 4, &out), RBP_ERR_INVALID_ARG, "y is constant");
    check_metric(rbp_metric_spearman, "rbp_metric_spearman", "x", "y", 2, 0);
    EXPECT_FAIL(rbp_metric_spearman(m_scores, m_ones, 4, &out), RBP_ERR_INVALID_ARG, "y is constant");
    check_metric(rbp_metric_mse, "rbp_metric_mse", "pred", "target", 1, 0);
    check_metric(rbp_metric_log_loss, "rbp_metric_log_loss", "probs", "labels", 1, 0);
    const float logits[4] = {2.0f, -1.0f, 0.5f, 0.1f};
    EXPECT_FAIL(rbp_metric_log_loss(logits, m_labels, 4, &out), RBP_ERR_INVALID_ARG, "probs[0] = 2");
}

static void test_metrics_ws(void **state)
{
    (void)state;
    /* rbp_metric_work_size: 0 when the size overflows */
    assert_int_equal(rbp_metric_work_size(SIZE_MAX), 0);
    assert_int_equal(rbp_metric_work_size(SIZE_MAX / 8), 0);
    const size_t need = rbp_metric_work_size(4);
    assert_true(need > 0);
    double work[64];
    assert_true(need <= sizeof work);
    double out = 0.0;

    EXPECT_FAIL(rbp_metric_roc_auc_ws(NULL, m_labels, 4, work, need, &out), RBP_ERR_INVALID_ARG, "'scores'");
    assert_true(isnan(out));
    EXPECT_FAIL(rbp_metric_roc_auc_ws(m_scores, NULL, 4, work, need, &out), RBP_ERR_INVALID_ARG, "'labels'");
    EXPECT_FAIL(rbp_metric_roc_auc_ws(m_scores, m_labels, 4, NULL, need, &out), RBP_ERR_INVALID_ARG, "'work'");
    EXPECT_FAIL(rbp_metric_roc_auc_ws(m_scores, m_labels, 4, work, need - 1, &out), RBP_ERR_INVALID_ARG,
                "work_size");
    EXPECT_FAIL(rbp_metric_roc_auc_ws(m_scores, m_labels, 4, (char *)work + 1, need, &out), RBP_ERR_INVALID_ARG,
                "aligned");
    EXPECT_FAIL(rbp_metric_roc_auc_ws(m_scores, m_labels, 4, work, need, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_metric_roc_auc_ws(m_scores, m_labels, 0, work, need, &out), RBP_ERR_INVALID_ARG, "n = 0");
    EXPECT_FAIL(rbp_metric_roc_auc_ws(m_scores, m_ones, 4, work, need, &out), RBP_ERR_INVALID_ARG, "both classes");

    EXPECT_FAIL(rbp_metric_average_precision_ws(NULL, m_labels, 4, work, need, &out), RBP_ERR_INVALID_ARG,
                "'scores'");
    EXPECT_FAIL(rbp_metric_average_precision_ws(m_scores, NULL, 4, work, need, &out), RBP_ERR_INVALID_ARG,
                "'labels'");
    EXPECT_FAIL(rbp_metric_average_precision_ws(m_scores, m_labels, 4, NULL, need, &out), RBP_ERR_INVALID_ARG,
                "'work'");
    EXPECT_FAIL(rbp_metric_average_precision_ws(m_scores, m_labels, 4, work, 1, &out), RBP_ERR_INVALID_ARG,
                "work_size = 1");
    EXPECT_FAIL(rbp_metric_average_precision_ws(m_scores, m_labels, 4, work, need, NULL), RBP_ERR_INVALID_ARG,
                "'out'");
    EXPECT_FAIL(rbp_metric_average_precision_ws(m_scores, m_ones, 4, work, need, &out), RBP_ERR_INVALID_ARG,
                "both classes");

    EXPECT_FAIL(rbp_metric_spearman_ws(NULL, m_labels, 4, work, need, &out), RBP_ERR_INVALID_ARG, "'x'");
    EXPECT_FAIL(rbp_metric_spearman_ws(m_scores, NULL, 4, work, need, &out), RBP_ERR_INVALID_ARG, "'y'");
    EXPECT_FAIL(rbp_metric_spearman_ws(m_scores, m_labels, 4, NULL, need, &out), RBP_ERR_INVALID_ARG, "'work'");
    EXPECT_FAIL(rbp_metric_spearman_ws(m_scores, m_labels, 4, work, 0, &out), RBP_ERR_INVALID_ARG, "work_size = 0");
    EXPECT_FAIL(rbp_metric_spearman_ws(m_scores, m_labels, 4, work, need, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_metric_spearman_ws(m_scores, m_labels, 1, work, need, &out), RBP_ERR_INVALID_ARG, "n = 1");
    assert_true(isnan(out));
    assert_int_equal(rbp_metric_spearman_ws(m_scores, m_labels, 4, work, need, &out), RBP_OK);
}

/* The curve functions share their argument checks; `ws` selects the *_ws variant. */
static rbp_status curve(int pr, int ws, const float *s, const float *l, size_t n, double *a, double *b, double *t,
                        size_t cap, size_t *count, void *work, size_t work_size)
{
    if (pr)
        return ws ? rbp_metric_pr_curve_ws(s, l, n, a, b, t, cap, count, work, work_size)
                  : rbp_metric_pr_curve(s, l, n, a, b, t, cap, count);
    return ws ? rbp_metric_roc_curve_ws(s, l, n, a, b, t, cap, count, work, work_size)
              : rbp_metric_roc_curve(s, l, n, a, b, t, cap, count);
}

static void test_metric_curves(void **state)
{
    (void)state;
    double a[5], b[5], t[5], work[64];
    const size_t need = rbp_metric_work_size(4);
    size_t count;
    for (int pr = 0; pr < 2; pr++)
        for (int ws = 0; ws < 2; ws++) {
            const char *an = pr ? "'precision'" : "'fpr'", *bn = pr ? "'recall'" : "'tpr'";
            EXPECT_FAIL(curve(pr, ws, m_scores, m_labels, 4, a, b, t, 5, NULL, work, need), RBP_ERR_INVALID_ARG,
                        "'count'");
            count = 99;
            EXPECT_FAIL(curve(pr, ws, NULL, m_labels, 4, a, b, t, 5, &count, work, need), RBP_ERR_INVALID_ARG,
                        "'scores'");
            assert_int_equal(count, 0);
            EXPECT_FAIL(curve(pr, ws, m_scores, NULL, 4, a, b, t, 5, &count, work, need), RBP_ERR_INVALID_ARG,
                        "'labels'");
            EXPECT_FAIL(curve(pr, ws, m_scores, m_labels, 4, NULL, b, t, 5, &count, work, need),
                        RBP_ERR_INVALID_ARG, an);
            EXPECT_FAIL(curve(pr, ws, m_scores, m_labels, 4, a, NULL, NULL, 5, &count, work, need),
                        RBP_ERR_INVALID_ARG, bn);
            EXPECT_FAIL(curve(pr, ws, m_scores, m_labels, 0, a, b, t, 5, &count, work, need), RBP_ERR_INVALID_ARG,
                        "n = 0");
            EXPECT_FAIL(curve(pr, ws, m_scores, m_ones, 4, a, b, t, 5, &count, work, need), RBP_ERR_INVALID_ARG,
                        "both classes");
            EXPECT_FAIL(curve(pr, ws, m_nan, m_labels, 4, a, b, t, 5, &count, work, need), RBP_ERR_INVALID_ARG,
                        "scores[1] is not finite");
            /* too small: the error says so and *count tells how much is needed */
            EXPECT_FAIL(curve(pr, ws, m_scores, m_labels, 4, a, b, t, 2, &count, work, need), RBP_ERR_INVALID_ARG,
                        "cap = 2");
            assert_int_equal(count, 5);
            if (ws) {
                EXPECT_FAIL(curve(pr, ws, m_scores, m_labels, 4, a, b, t, 5, &count, NULL, need),
                            RBP_ERR_INVALID_ARG, "'work'");
                EXPECT_FAIL(curve(pr, ws, m_scores, m_labels, 4, a, b, t, 5, &count, work, need - 8),
                            RBP_ERR_INVALID_ARG, "work_size");
            }
            assert_non_null(strstr(rbp_last_error(), pr ? "rbp_metric_pr_curve" : "rbp_metric_roc_curve"));
            assert_int_equal(curve(pr, ws, m_scores, m_labels, 4, a, b, t, 5, &count, work, need), RBP_OK);
        }
}

/* ================================================================== plot.h */

static void test_plot_opts_init(void **state)
{
    (void)state;
    rbp_plot_heatmap_opts h;
    rbp_plot_track_opts t;
    rbp_plot_curve_opts c;
    EXPECT_FAIL(rbp_plot_heatmap_opts_init(NULL, RBP_PLOT_HEATMAP_OPTS_VERSION), RBP_ERR_INVALID_ARG, "'opts'");
    EXPECT_FAIL(rbp_plot_heatmap_opts_init(&h, 0), RBP_ERR_INVALID_ARG, "version 0");
    EXPECT_FAIL(rbp_plot_heatmap_opts_init(&h, 2), RBP_ERR_INVALID_ARG, "version 2");
    EXPECT_FAIL(rbp_plot_track_opts_init(NULL, RBP_PLOT_TRACK_OPTS_VERSION), RBP_ERR_INVALID_ARG, "'opts'");
    EXPECT_FAIL(rbp_plot_track_opts_init(&t, 0), RBP_ERR_INVALID_ARG, "version 0");
    EXPECT_FAIL(rbp_plot_curve_opts_init(NULL, RBP_PLOT_CURVE_OPTS_VERSION), RBP_ERR_INVALID_ARG, "'opts'");
    EXPECT_FAIL(rbp_plot_curve_opts_init(&c, 99), RBP_ERR_INVALID_ARG, "version 99");
}

typedef rbp_status (*heatmap_fn)(const char *path, const float *matrix, int32_t rows, int32_t cols,
                                 const rbp_plot_heatmap_opts *opts);
typedef rbp_status (*heatmaps_fn)(const char *path, const float *matrices, int32_t n_panels, int32_t rows,
                                  int32_t cols, const rbp_plot_heatmap_opts *opts);

/* Option values the heatmap calls must refuse, with the field the message names. */
static void check_heat_opts(heatmaps_fn grid, heatmap_fn single, const char *path, const float *m)
{
    rbp_plot_heatmap_opts o;
#define BAD_HEAT(field, value, needle)                                                      \
    do {                                                                                    \
        assert_int_equal(rbp_plot_heatmap_opts_init(&o, RBP_PLOT_HEATMAP_OPTS_VERSION), RBP_OK); \
        o.field = (value);                                                                  \
        if (grid)                                                                           \
            EXPECT_FAIL(grid(path, m, 2, 3, 3, &o), RBP_ERR_INVALID_ARG, needle);           \
        else                                                                                \
            EXPECT_FAIL(single(path, m, 3, 3, &o), RBP_ERR_INVALID_ARG, needle);            \
    } while (0)
    BAD_HEAT(version, 0, "rbp_plot_heatmap_opts.version");
    BAD_HEAT(version, 2, "rbp_plot_heatmap_opts.version");
    BAD_HEAT(cell_px, 65, "rbp_plot_heatmap_opts.cell_px");
    BAD_HEAT(cell_px, -1, "rbp_plot_heatmap_opts.cell_px");
    BAD_HEAT(font_scale, 5, "rbp_plot_heatmap_opts.font_scale");
    BAD_HEAT(grid_cols, -1, "rbp_plot_heatmap_opts.grid_cols");
    BAD_HEAT(row_labels, "AC", "rbp_plot_heatmap_opts.row_labels");
    BAD_HEAT(col_labels, "", "rbp_plot_heatmap_opts.col_labels");
    BAD_HEAT(vmin, INFINITY, "rbp_plot_heatmap_opts.vmin");
    BAD_HEAT(vmax, -INFINITY, "vmax");
    /* vmin >= vmax */
    assert_int_equal(rbp_plot_heatmap_opts_init(&o, RBP_PLOT_HEATMAP_OPTS_VERSION), RBP_OK);
    o.vmin = 1.0f;
    o.vmax = 1.0f;
    if (grid)
        EXPECT_FAIL(grid(path, m, 2, 3, 3, &o), RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts.vmin");
    else
        EXPECT_FAIL(single(path, m, 3, 3, &o), RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts.vmin");
#undef BAD_HEAT
}

static void test_plot_heatmap(void **state)
{
    (void)state;
    const float m[2 * 3 * 3] = {0};
    static const heatmap_fn fns[2] = {rbp_plot_heatmap_png, rbp_plot_heatmap_svg};
    static const char *names[2] = {"rbp_plot_heatmap_png", "rbp_plot_heatmap_svg"};
    for (int k = 0; k < 2; k++) {
        const char *path = rbp_test_path(k ? "h.svg" : "h.png");
        EXPECT_FAIL(fns[k](NULL, m, 3, 3, NULL), RBP_ERR_INVALID_ARG, "'path'");
        EXPECT_FAIL(fns[k](path, NULL, 3, 3, NULL), RBP_ERR_INVALID_ARG, "'matrix'");
        EXPECT_FAIL(fns[k](path, m, 0, 3, NULL), RBP_ERR_INVALID_ARG, "rows = 0");
        EXPECT_FAIL(fns[k](path, m, 3, -1, NULL), RBP_ERR_INVALID_ARG, "cols = -1");
        EXPECT_FAIL(fns[k](path, m, 20000, 3, NULL), RBP_ERR_INVALID_ARG, "pixels");
        check_heat_opts(NULL, fns[k], path, m);
        EXPECT_FAIL(fns[k](unwritable("h.img"), m, 3, 3, NULL), RBP_ERR_IO, "no_such_dir");
        assert_non_null(strstr(rbp_last_error(), names[k]));
    }
}

static void test_plot_heatmaps(void **state)
{
    (void)state;
    const float m[2 * 3 * 3] = {0};
    static const heatmaps_fn fns[2] = {rbp_plot_heatmaps_png, rbp_plot_heatmaps_svg};
    static const char *names[2] = {"rbp_plot_heatmaps_png", "rbp_plot_heatmaps_svg"};
    for (int k = 0; k < 2; k++) {
        const char *path = rbp_test_path(k ? "g.svg" : "g.png");
        EXPECT_FAIL(fns[k](NULL, m, 2, 3, 3, NULL), RBP_ERR_INVALID_ARG, "'path'");
        EXPECT_FAIL(fns[k](path, NULL, 2, 3, 3, NULL), RBP_ERR_INVALID_ARG, "'matrices'");
        EXPECT_FAIL(fns[k](path, m, 0, 3, 3, NULL), RBP_ERR_INVALID_ARG, "n_panels = 0");
        EXPECT_FAIL(fns[k](path, m, -2, 3, 3, NULL), RBP_ERR_INVALID_ARG, "n_panels = -2");
        EXPECT_FAIL(fns[k](path, m, 2, 0, 3, NULL), RBP_ERR_INVALID_ARG, "rows = 0");
        EXPECT_FAIL(fns[k](path, m, 2, 3, INT32_MIN, NULL), RBP_ERR_INVALID_ARG, "cols = ");
        check_heat_opts(fns[k], NULL, path, m);
        EXPECT_FAIL(fns[k](unwritable("g.img"), m, 2, 3, 3, NULL), RBP_ERR_IO, "no_such_dir");
        assert_non_null(strstr(rbp_last_error(), names[k]));
    }
}

static void test_plot_track(void **state)
{
    (void)state;
    const float v[4] = {0.1f, -0.2f, 0.3f, 0.0f};
    typedef rbp_status (*track_fn)(const char *, const float *, const char *, int32_t, const rbp_plot_track_opts *);
    static const track_fn fns[2] = {rbp_plot_track_png, rbp_plot_track_svg};
    static const char *names[2] = {"rbp_plot_track_png", "rbp_plot_track_svg"};
    rbp_plot_track_opts o;
    for (int k = 0; k < 2; k++) {
        const char *path = rbp_test_path(k ? "t.svg" : "t.png");
        EXPECT_FAIL(fns[k](NULL, v, "ACGU", 4, NULL), RBP_ERR_INVALID_ARG, "'path'");
        EXPECT_FAIL(fns[k](path, NULL, "ACGU", 4, NULL), RBP_ERR_INVALID_ARG, "'values'");
        EXPECT_FAIL(fns[k](path, v, "ACGU", 0, NULL), RBP_ERR_INVALID_ARG, "n = 0");
        EXPECT_FAIL(fns[k](path, v, "ACGU", -4, NULL), RBP_ERR_INVALID_ARG, "n = -4");
        EXPECT_FAIL(fns[k](path, v, "AC", 4, NULL), RBP_ERR_INVALID_ARG, "sequence");
        assert_int_equal(rbp_plot_track_opts_init(&o, RBP_PLOT_TRACK_OPTS_VERSION), RBP_OK);
        o.style = RBP_PLOT_TRACK_LOGO;
        EXPECT_FAIL(fns[k](path, v, NULL, 4, &o), RBP_ERR_INVALID_ARG, "'sequence'");
#define BAD_TRACK(field, value, needle)                                                     \
    do {                                                                                    \
        assert_int_equal(rbp_plot_track_opts_init(&o, RBP_PLOT_TRACK_OPTS_VERSION), RBP_OK); \
        o.field = (value);                                                                  \
        EXPECT_FAIL(fns[k](path, v, "ACGU", 4, &o), RBP_ERR_INVALID_ARG, needle);           \
    } while (0)
        BAD_TRACK(version, 0, "rbp_plot_track_opts.version");
        BAD_TRACK(style, 2, "rbp_plot_track_opts.style");
        BAD_TRACK(style, -1, "rbp_plot_track_opts.style");
        BAD_TRACK(cell_px, 100, "rbp_plot_track_opts.cell_px");
        BAD_TRACK(height, 8, "rbp_plot_track_opts.height");
        BAD_TRACK(height, -1, "rbp_plot_track_opts.height");
        BAD_TRACK(font_scale, -1, "rbp_plot_track_opts.font_scale");
#undef BAD_TRACK
        EXPECT_FAIL(fns[k](unwritable("t.img"), v, "ACGU", 4, NULL), RBP_ERR_IO, "no_such_dir");
        assert_non_null(strstr(rbp_last_error(), names[k]));
    }
}

static void test_plot_curves(void **state)
{
    (void)state;
    const double x[3] = {0.0, 0.5, 1.0}, y[3] = {0.0, 0.7, 1.0}, bad[3] = {0.0, NAN, 1.0};
    rbp_plot_series s[2] = {{x, y, 3, "a"}, {x, y, 3, NULL}};
    typedef rbp_status (*curves_fn)(const char *, const rbp_plot_series *, int32_t, const rbp_plot_curve_opts *);
    static const curves_fn fns[2] = {rbp_plot_curves_png, rbp_plot_curves_svg};
    static const char *names[2] = {"rbp_plot_curves_png", "rbp_plot_curves_svg"};
    rbp_plot_curve_opts o;
    for (int k = 0; k < 2; k++) {
        const char *path = rbp_test_path(k ? "c.svg" : "c.png");
        EXPECT_FAIL(fns[k](NULL, s, 2, NULL), RBP_ERR_INVALID_ARG, "'path'");
        EXPECT_FAIL(fns[k](path, NULL, 2, NULL), RBP_ERR_INVALID_ARG, "'series'");
        EXPECT_FAIL(fns[k](path, s, 0, NULL), RBP_ERR_INVALID_ARG, "n_series = 0");
        EXPECT_FAIL(fns[k](path, s, 65, NULL), RBP_ERR_INVALID_ARG, "n_series = 65");
        rbp_plot_series broken[2] = {{x, y, 3, "a"}, {x, NULL, 3, "b"}};
        EXPECT_FAIL(fns[k](path, broken, 2, NULL), RBP_ERR_INVALID_ARG, "series[1].y is NULL");
        broken[1].y = bad;
        EXPECT_FAIL(fns[k](path, broken, 2, NULL), RBP_ERR_INVALID_ARG, "series[1].y[1] is not finite");
#define BAD_CURVE(field, value, needle)                                                     \
    do {                                                                                    \
        assert_int_equal(rbp_plot_curve_opts_init(&o, RBP_PLOT_CURVE_OPTS_VERSION), RBP_OK); \
        o.field = (value);                                                                  \
        EXPECT_FAIL(fns[k](path, s, 2, &o), RBP_ERR_INVALID_ARG, needle);                   \
    } while (0)
        BAD_CURVE(version, 0, "rbp_plot_curve_opts.version");
        BAD_CURVE(x_min, 2.0, "rbp_plot_curve_opts.x_min");
        BAD_CURVE(x_max, NAN, "rbp_plot_curve_opts.x_min");
        BAD_CURVE(y_max, -1.0, "rbp_plot_curve_opts.y_min");
        BAD_CURVE(hline, INFINITY, "rbp_plot_curve_opts.hline");
        BAD_CURVE(width, 10, "rbp_plot_curve_opts.width");
        BAD_CURVE(height, 5000, "rbp_plot_curve_opts.height");
        BAD_CURVE(font_scale, 9, "rbp_plot_curve_opts.font_scale");
#undef BAD_CURVE
        EXPECT_FAIL(fns[k](unwritable("c.img"), s, 2, NULL), RBP_ERR_IO, "no_such_dir");
        assert_non_null(strstr(rbp_last_error(), names[k]));
    }
}

/* ================================================================== attention.h */

static void test_attention_maps(void **state)
{
    (void)state;
    enum { NL = 2, NH = 2, L = 3 };
    float attn[NL * NH * L * L], out[L * L], imp[L], scratch[3 * L * L];
    for (size_t i = 0; i < sizeof attn / sizeof attn[0]; i++)
        attn[i] = 1.0f / L;
    const uint8_t mask[L] = {1, 1, 0};

    EXPECT_FAIL(rbp_attention_rollout(NULL, NL, NH, L, mask, 0.5f, out, imp, scratch), RBP_ERR_INVALID_ARG,
                "'attn'");
    assert_non_null(strstr(rbp_last_error(), "rbp_attention_rollout"));
    EXPECT_FAIL(rbp_attention_rollout(attn, 0, NH, L, mask, 0.5f, out, imp, scratch), RBP_ERR_INVALID_ARG,
                "n_layers = 0");
    EXPECT_FAIL(rbp_attention_rollout(attn, NL, -1, L, mask, 0.5f, out, imp, scratch), RBP_ERR_INVALID_ARG,
                "n_heads = -1");
    EXPECT_FAIL(rbp_attention_rollout(attn, NL, NH, 0, mask, 0.5f, out, imp, scratch), RBP_ERR_INVALID_ARG,
                "L = 0");
    EXPECT_FAIL(rbp_attention_rollout(attn, NL, NH, L, mask, 1.5f, out, imp, scratch), RBP_ERR_INVALID_ARG,
                "residual");
    EXPECT_FAIL(rbp_attention_rollout(attn, NL, NH, L, mask, NAN, out, imp, scratch), RBP_ERR_INVALID_ARG,
                "residual");
    EXPECT_FAIL(rbp_attention_rollout(attn, NL, NH, L, mask, 0.5f, NULL, NULL, scratch), RBP_ERR_INVALID_ARG,
                "'importance'");
    /* NULL mask, NULL scratch and one NULL output are allowed */
    assert_int_equal(rbp_attention_rollout(attn, NL, NH, L, NULL, 0.5f, NULL, imp, NULL), RBP_OK);

    EXPECT_FAIL(rbp_attention_head_mean(NULL, NL, NH, L, 0, out), RBP_ERR_INVALID_ARG, "'attn'");
    assert_non_null(strstr(rbp_last_error(), "rbp_attention_head_mean"));
    EXPECT_FAIL(rbp_attention_head_mean(attn, NL, NH, L, 0, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_attention_head_mean(attn, 0, NH, L, 0, out), RBP_ERR_INVALID_ARG, "n_layers = 0");
    EXPECT_FAIL(rbp_attention_head_mean(attn, NL, 0, L, 0, out), RBP_ERR_INVALID_ARG, "n_heads = 0");
    EXPECT_FAIL(rbp_attention_head_mean(attn, NL, NH, -3, 0, out), RBP_ERR_INVALID_ARG, "L = -3");
    EXPECT_FAIL(rbp_attention_head_mean(attn, NL, NH, L, NL, out), RBP_ERR_INVALID_ARG, "layer = 2");
    EXPECT_FAIL(rbp_attention_head_mean(attn, NL, NH, L, -1, out), RBP_ERR_INVALID_ARG, "layer = -1");

    int32_t idx[L], n = -1;
    EXPECT_FAIL(rbp_attention_real_positions(NULL, L, idx, &n), RBP_ERR_INVALID_ARG, "'mask'");
    EXPECT_FAIL(rbp_attention_real_positions(mask, L, NULL, &n), RBP_ERR_INVALID_ARG, "'idx'");
    EXPECT_FAIL(rbp_attention_real_positions(mask, L, idx, NULL), RBP_ERR_INVALID_ARG, "'n'");
    EXPECT_FAIL(rbp_attention_real_positions(mask, 0, idx, &n), RBP_ERR_INVALID_ARG, "L = 0");
    assert_int_equal(rbp_attention_real_positions(mask, L, idx, &n), RBP_OK);
    assert_int_equal(n, 2);
}

static void test_model_saliency(void **state)
{
    (void)state;
    float out[N_ROWS * L_MODEL];
    rbp_batch b = good_batch();
    EXPECT_FAIL(rbp_session_saliency(NULL, &b, out), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_session_saliency(F.sess, NULL, out), RBP_ERR_INVALID_ARG, "'batch'");
    EXPECT_FAIL(rbp_session_saliency(F.sess, &b, NULL), RBP_ERR_INVALID_ARG, "'out'");
    b.size = 0;
    EXPECT_FAIL(rbp_session_saliency(F.sess, &b, out), RBP_ERR_INVALID_ARG, "batch size 0");
    b = good_batch();
    b.length = 9;
    EXPECT_FAIL(rbp_session_saliency(F.sess, &b, out), RBP_ERR_SHAPE, "batch->length = 9");
    assert_non_null(strstr(rbp_last_error(), "rbp_session_saliency"));
    b = good_batch();
    b.tokens = NULL;
    EXPECT_FAIL(rbp_session_saliency(F.sess, &b, out), RBP_ERR_INVALID_ARG, "batch->tokens");
    b = good_batch();
    b.structure = NULL;
    EXPECT_FAIL(rbp_session_saliency(F.sess_sv, &b, out), RBP_ERR_INVALID_ARG, "batch->structure");
    b = good_batch();
    assert_int_equal(rbp_session_saliency(F.sess, &b, out), RBP_OK);
}

/* ================================================================== motif.h */

static void test_motif_options_and_sets(void **state)
{
    (void)state;
    rbp_motif_options o;
    EXPECT_FAIL(rbp_motif_options_init(NULL, RBP_MOTIF_OPTIONS_VERSION), RBP_ERR_INVALID_ARG, "'opt'");
    EXPECT_FAIL(rbp_motif_options_init(&o, 0), RBP_ERR_INVALID_ARG, "version 0");
    EXPECT_FAIL(rbp_motif_set_create(NULL), RBP_ERR_INVALID_ARG, "'out'");
    rbp_motif_set *set = NULL;
    assert_int_equal(rbp_motif_set_create(&set), RBP_OK);
    const float pwm[2 * 4] = {1, 0, 0, 0, 0, 0.5f, 0.5f, 0}, neg[4] = {1, -1, 0, 0}, zero[4] = {0, 0, 0, 0};
    EXPECT_FAIL(rbp_motif_set_add(NULL, "m", pwm, 2, 0), RBP_ERR_INVALID_ARG, "'set'");
    EXPECT_FAIL(rbp_motif_set_add(set, NULL, pwm, 2, 0), RBP_ERR_INVALID_ARG, "name");
    EXPECT_FAIL(rbp_motif_set_add(set, "m", NULL, 2, 0), RBP_ERR_INVALID_ARG, "'pwm'");
    EXPECT_FAIL(rbp_motif_set_add(set, "", pwm, 2, 0), RBP_ERR_INVALID_ARG, "empty");
    EXPECT_FAIL(rbp_motif_set_add(set, "two words", pwm, 2, 0), RBP_ERR_INVALID_ARG, "blank");
    EXPECT_FAIL(rbp_motif_set_add(set, "m", pwm, 0, 0), RBP_ERR_INVALID_ARG, "width = 0");
    EXPECT_FAIL(rbp_motif_set_add(set, "m", pwm, 2, -1), RBP_ERR_INVALID_ARG, "n_sites = -1");
    EXPECT_FAIL(rbp_motif_set_add(set, "m", neg, 1, 0), RBP_ERR_INVALID_ARG, "negative");
    EXPECT_FAIL(rbp_motif_set_add(set, "m", zero, 1, 0), RBP_ERR_INVALID_ARG, "sums to 0");
    assert_int_equal(set->n_motifs, 0);
    assert_int_equal(rbp_motif_set_add(set, "m", pwm, 2, 3), RBP_OK);
    char cons[8];
    EXPECT_FAIL(rbp_motif_consensus(NULL, cons, sizeof cons), RBP_ERR_INVALID_ARG, "'m'");
    EXPECT_FAIL(rbp_motif_consensus(&set->motifs[0], NULL, sizeof cons), RBP_ERR_INVALID_ARG, "'buf'");
    EXPECT_FAIL(rbp_motif_consensus(&set->motifs[0], cons, 2), RBP_ERR_INVALID_ARG, "buffer of 2 bytes");
    rbp_motif_match m;
    int32_t idx;
    EXPECT_FAIL(rbp_motif_compare(NULL, &set->motifs[0], &m), RBP_ERR_INVALID_ARG, "'a'");
    EXPECT_FAIL(rbp_motif_compare(&set->motifs[0], NULL, &m), RBP_ERR_INVALID_ARG, "'b'");
    EXPECT_FAIL(rbp_motif_compare(&set->motifs[0], &set->motifs[0], NULL), RBP_ERR_INVALID_ARG, "'out'");
    rbp_motif hollow = set->motifs[0];
    hollow.pwm = NULL;
    EXPECT_FAIL(rbp_motif_compare(&hollow, &set->motifs[0], &m), RBP_ERR_INVALID_ARG, "no matrix");
    EXPECT_FAIL(rbp_motif_best_match(NULL, set, &idx, &m), RBP_ERR_INVALID_ARG, "'m'");
    EXPECT_FAIL(rbp_motif_best_match(&set->motifs[0], NULL, &idx, &m), RBP_ERR_INVALID_ARG, "'known'");
    EXPECT_FAIL(rbp_motif_best_match(&set->motifs[0], set, NULL, &m), RBP_ERR_INVALID_ARG, "'index'");
    EXPECT_FAIL(rbp_motif_best_match(&set->motifs[0], set, &idx, NULL), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_motif_write_meme(NULL, rbp_test_path("x.meme")), RBP_ERR_INVALID_ARG, "'set'");
    EXPECT_FAIL(rbp_motif_write_meme(set, NULL), RBP_ERR_INVALID_ARG, "'path'");
    EXPECT_FAIL(rbp_motif_write_meme(set, unwritable("x.meme")), RBP_ERR_IO, "no_such_dir");
    assert_non_null(strstr(rbp_last_error(), "rbp_motif_write_meme"));
    rbp_motif_set *back = NULL;
    EXPECT_FAIL(rbp_motif_read_meme(NULL, "x.meme"), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_motif_read_meme(&back, NULL), RBP_ERR_INVALID_ARG, "'path'");
    EXPECT_FAIL(rbp_motif_read_meme(&back, unwritable("x.meme")), RBP_ERR_IO, "no_such_dir");
    rbp_motif_set_free(set);
    rbp_motif_set_free(NULL);
}

static void test_motifs_discover(void **state)
{
    (void)state;
    rbp_motif_set *set = NULL;
    rbp_motif_options o;
    rbp_motif_options_init(&o, RBP_MOTIF_OPTIONS_VERSION);
    o.width = 4, o.kmer_k = 3, o.min_sites = 2;
    const size_t rows[2] = {0, 7};
    EXPECT_FAIL(rbp_motifs_discover(NULL, F.sess, F.ds, NULL, 0, &o), RBP_ERR_INVALID_ARG, "'out'");
    EXPECT_FAIL(rbp_motifs_discover(&set, NULL, F.ds, NULL, 0, &o), RBP_ERR_INVALID_ARG, "'session'");
    EXPECT_FAIL(rbp_motifs_discover(&set, F.sess, NULL, NULL, 0, &o), RBP_ERR_INVALID_ARG, "'ds'");
    EXPECT_FAIL(rbp_motifs_discover(&set, F.sess, F.ds_short, NULL, 0, &o), RBP_ERR_INVALID_ARG, "length 6");
    EXPECT_FAIL(rbp_motifs_discover(&set, F.sess, F.ds, rows, 2, &o), RBP_ERR_INVALID_ARG, "rows[1] = 7");
    EXPECT_FAIL(rbp_motifs_discover(&set, F.sess, F.ds, rows, 0, &o), RBP_ERR_INVALID_ARG, "0 sequences");
#define BAD_MOTIF(field, value, needle)                                                     \
    do {                                                                                    \
        rbp_motif_options_init(&o, RBP_MOTIF_OPTIONS_VERSION);                              \
        o.width = 4, o.kmer_k = 3, o.min_sites = 2;                                         \
        o.field = (value);                                                                  \
        EXPECT_FAIL(rbp_motifs_discover(&set, F.sess, F.ds, NULL, 0, &o), RBP_ERR_INVALID_ARG, needle); \
        assert_null(set);                                                                   \
    } while (0)
    BAD_MOTIF(version, 0, "rbp_motif_options.version");
    BAD_MOTIF(n_motifs, 0, "rbp_motif_options.n_motifs");
    BAD_MOTIF(width, 3, "rbp_motif_options.width");
    BAD_MOTIF(width, 33, "rbp_motif_options.width");
    BAD_MOTIF(width, 9, "shorter than the motif width 9");
    BAD_MOTIF(importance, 2, "rbp_motif_options.importance");
    BAD_MOTIF(kmer_k, 5, "rbp_motif_options.kmer_k");
    BAD_MOTIF(iterations, 0, "rbp_motif_options.iterations");
    BAD_MOTIF(min_sites, 1, "rbp_motif_options.min_sites");
    BAD_MOTIF(batch_size, 0, "rbp_motif_options.batch_size");
    BAD_MOTIF(site_threshold, 1.5f, "rbp_motif_options.site_threshold");
    BAD_MOTIF(pseudocount, 0.0f, "rbp_motif_options.pseudocount");
    BAD_MOTIF(importance_weight, NAN, "rbp_motif_options.importance_weight");
    BAD_MOTIF(rollout_residual, -0.5f, "rbp_motif_options.rollout_residual");
#undef BAD_MOTIF
    /* an untrained model on 4 sequences runs (finding little) with both importance sources */
    rbp_motif_options_init(&o, RBP_MOTIF_OPTIONS_VERSION);
    o.width = 4, o.kmer_k = 3, o.min_sites = 2;
    assert_int_equal(rbp_motifs_discover(&set, F.sess, F.ds, NULL, 0, &o), RBP_OK);
    assert_int_equal(set->n_sequences, N_ROWS);
    rbp_motif_set_free(set);
    o.importance = RBP_MOTIF_ROLLOUT;
    assert_int_equal(rbp_motifs_discover(&set, F.sess, F.ds, rows, 1, &o), RBP_OK);
    assert_int_equal(set->n_sequences, 1);
    rbp_motif_set_free(set);
}

static void test_plot_logo(void **state)
{
    (void)state;
    const float pwm[2 * 4] = {1, 0, 0, 0, 0.25f, 0.25f, 0.25f, 0.25f}, bad[4] = {0, 0, NAN, 0};
    typedef rbp_status (*logo_fn)(const char *, const float *, int32_t, const rbp_plot_logo_opts *);
    static const logo_fn fns[2] = {rbp_plot_logo_png, rbp_plot_logo_svg};
    static const char *names[2] = {"rbp_plot_logo_png", "rbp_plot_logo_svg"};
    rbp_plot_logo_opts o;
    EXPECT_FAIL(rbp_plot_logo_opts_init(NULL, RBP_PLOT_LOGO_OPTS_VERSION), RBP_ERR_INVALID_ARG, "'opts'");
    EXPECT_FAIL(rbp_plot_logo_opts_init(&o, 0), RBP_ERR_INVALID_ARG, "version 0");
    for (int k = 0; k < 2; k++) {
        const char *path = rbp_test_path(k ? "l.svg" : "l.png");
        EXPECT_FAIL(fns[k](NULL, pwm, 2, NULL), RBP_ERR_INVALID_ARG, "'path'");
        EXPECT_FAIL(fns[k](path, NULL, 2, NULL), RBP_ERR_INVALID_ARG, "'pwm'");
        EXPECT_FAIL(fns[k](path, pwm, 0, NULL), RBP_ERR_INVALID_ARG, "width = 0");
        EXPECT_FAIL(fns[k](path, bad, 1, NULL), RBP_ERR_INVALID_ARG, "column 1");
#define BAD_LOGO(field, value, needle)                                                      \
    do {                                                                                    \
        assert_int_equal(rbp_plot_logo_opts_init(&o, RBP_PLOT_LOGO_OPTS_VERSION), RBP_OK);  \
        o.field = (value);                                                                  \
        EXPECT_FAIL(fns[k](path, pwm, 2, &o), RBP_ERR_INVALID_ARG, needle);                 \
    } while (0)
        BAD_LOGO(version, 0, "rbp_plot_logo_opts.version");
        BAD_LOGO(column_px, 4, "rbp_plot_logo_opts.column_px");
        BAD_LOGO(height, 5000, "rbp_plot_logo_opts.height");
        BAD_LOGO(font_scale, 5, "rbp_plot_logo_opts.font_scale");
#undef BAD_LOGO
        EXPECT_FAIL(fns[k](unwritable("l.img"), pwm, 2, NULL), RBP_ERR_IO, "no_such_dir");
        assert_non_null(strstr(rbp_last_error(), names[k]));
        assert_int_equal(fns[k](path, pwm, 2, NULL), RBP_OK);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common),
        cmocka_unit_test(test_atomic_file),
        cmocka_unit_test(test_dataset_options_init),
        cmocka_unit_test(test_dataset_load),
        cmocka_unit_test(test_dataset_load_pair),
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_dataset_from_strings),
        cmocka_unit_test(test_dataset_accessors),
        cmocka_unit_test(test_dataset_subset),
        cmocka_unit_test(test_dataset_split),
        cmocka_unit_test(test_batcher),
        cmocka_unit_test(test_model_config),
        cmocka_unit_test(test_model_create_and_accessors),
        cmocka_unit_test(test_model_predict_batch),
        cmocka_unit_test(test_model_predict),
        cmocka_unit_test(test_model_attention),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_model_save_load),
        cmocka_unit_test(test_model_metadata),
        cmocka_unit_test(test_train_config),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_bundled_models),
        cmocka_unit_test(test_schedule_and_losses),
        cmocka_unit_test(test_trainer_create_and_small_calls),
        cmocka_unit_test(test_trainer_step),
        cmocka_unit_test(test_trainer_evaluate_and_fit),
        cmocka_unit_test(test_trainer_save_load),
        cmocka_unit_test(test_metrics_plain),
        cmocka_unit_test(test_metrics_ws),
        cmocka_unit_test(test_metric_curves),
        cmocka_unit_test(test_plot_opts_init),
        cmocka_unit_test(test_plot_heatmap),
        cmocka_unit_test(test_plot_heatmaps),
        cmocka_unit_test(test_plot_track),
        cmocka_unit_test(test_plot_curves),
        cmocka_unit_test(test_attention_maps),
        cmocka_unit_test(test_model_saliency),
        cmocka_unit_test(test_motif_options_and_sets),
        cmocka_unit_test(test_motifs_discover),
        cmocka_unit_test(test_plot_logo),
    };
    return cmocka_run_group_tests_name("api_errors", tests, setup, teardown);
}
