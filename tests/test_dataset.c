/*
 * test_dataset.c - the dataset reader: every input format on files in tests/data (real
 * GraphProt and RBP-31 samples, synthetic CSV/TSV/lines), encoding, truncation, splits and
 * batches, and one test per kind of bad input (status code and the message naming file and
 * line). Bad files are written to a scratch directory by the tests themselves.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>
#include "core/internal.h"
#include "data/data_internal.h"

#define DATA(x) RBP_TEST_DATA_DIR "/" x
#define RBP31 DATA("rbp31/PUM2_training_sample_0_first200.fa.gz")
#define GP_POS DATA("graphprot/testclip.train.positives.fa")
#define GP_NEG DATA("graphprot/testclip.train.negatives.fa")
#define RNAC_FA DATA("graphprot/test_data_full_A.train.fa")
#define RNAC_AFFYS DATA("graphprot/test_data_full_A.train.affys")
#define STUDY_CSV DATA("csv/study_format.csv")
#define STUDY_TSV DATA("csv/study_format.tsv")
#define LINES DATA("lines/sample.txt")

/* ---------------------------------------------------------------- helpers */

/* The status is `code` and the last error contains every one of the NULL-terminated strings. */
static void check_error(rbp_status st, rbp_status code, ...)
{
    if (st != code)
        printf("  expected status %d, got %d (%s)\n", code, st, rbp_last_error());
    assert_int_equal(st, code);
    va_list ap;
    va_start(ap, code);
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL) {
        if (!strstr(rbp_last_error(), s))
            printf("  message \"%s\" lacks \"%s\"\n", rbp_last_error(), s);
        assert_non_null(strstr(rbp_last_error(), s));
    }
    va_end(ap);
}
#define expect_error(st, code, ...) check_error((st), (code), __VA_ARGS__, (const char *)NULL)

static rbp_dataset_options defaults(void)
{
    rbp_dataset_options o;
    assert_int_equal(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION), RBP_OK);
    return o;
}

/* Token of a sequence letter, the reference for the tables. */
static int ref_token(int c)
{
    switch (c) {
    case 'A': case 'a': return RBP_TOK_A;
    case 'C': case 'c': return RBP_TOK_C;
    case 'G': case 'g': return RBP_TOK_G;
    case 'T': case 't': case 'U': case 'u': return RBP_TOK_U;
    default: break;
    }
    if (c && strchr("NRYSWKMBDHVnryswkmbdhv", c))
        return RBP_TOK_N;
    return -1;
}

/* Row `i` of the dataset's tokens spells `seq` (ACGTUN..., any case) from column `col`. */
static void assert_row_spells(const rbp_dataset *ds, size_t i, size_t col, const char *seq)
{
    const uint8_t *tok = rbp_dataset_tokens(ds) + i * (size_t)rbp_dataset_length(ds);
    for (size_t j = 0; seq[j]; j++) {
        if (tok[col + j] != ref_token(seq[j]))
            printf("  row %zu col %zu: token %d, expected %c\n", i, col + j, tok[col + j], seq[j]);
        assert_int_equal(tok[col + j], ref_token(seq[j]));
    }
}

static size_t row_sum(const uint8_t *a, const rbp_dataset *ds, size_t i)
{
    size_t T = (size_t)rbp_dataset_length(ds), s = 0;
    for (size_t j = 0; j < T; j++)
        s += a[i * T + j];
    return s;
}

/* Loaded datasets are consistent: tokens/structure in range, mask = a prefix of ones,
 * padding where the mask is 0, viewpoint only on real positions. */
static void check_invariants(const rbp_dataset *ds)
{
    size_t n = rbp_dataset_size(ds), T = (size_t)rbp_dataset_length(ds);
    assert_true(n > 0 && T > 0);
    const uint8_t *tok = rbp_dataset_tokens(ds), *mask = rbp_dataset_mask(ds), *vp = rbp_dataset_viewpoint(ds);
    const uint8_t *st = rbp_dataset_structure(ds);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(mask[i * T], 1);
        assert_non_null(rbp_dataset_id(ds, i));
        assert_true(isfinite(rbp_dataset_targets(ds)[i]));
        for (size_t j = 0; j < T; j++) {
            size_t k = i * T + j;
            assert_true(mask[k] <= 1 && vp[k] <= mask[k]);
            if (j)
                assert_true(mask[k] <= mask[k - 1]);
            assert_true(mask[k] ? tok[k] < RBP_TOK_PAD : tok[k] == RBP_TOK_PAD);
            if (st)
                assert_true(mask[k] ? st[k] < RBP_STRUCT_PAD : st[k] == RBP_STRUCT_PAD);
        }
    }
}

/* Write `text` gzip-compressed to a scratch file; returns its path. */
static const char *write_gz(const char *name, const char *text)
{
    const char *path = rbp_test_path(name);
    gzFile f = gzopen(path, "wb9");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(f), Z_OK);
    return path;
}

/* A FASTA text of `n` records of 101 nt, big enough to span several deflate blocks. */
static char *make_fasta(size_t n)
{
    size_t cap = n * 160 + 1, w = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    rbp_test_rng rng;
    rbp_test_rng_seed(&rng, 42);
    for (size_t i = 0; i < n; i++) {
        w += (size_t)snprintf(s + w, cap - w, "> r%zu; class:%d\n", i, (int)(i % 5 == 0));
        for (int j = 0; j < 101; j++) {
            s[w++] = "ACGT"[rbp_test_rng_u64(&rng) % 4];
            if (j == 59 || j == 100)
                s[w++] = '\n';
        }
    }
    s[w] = '\0';
    return s;
}

/* ---------------------------------------------------------------- options, tables, numbers */

static void test_options_init(void **state)
{
    (void)state;
    rbp_dataset_options o = defaults();
    assert_int_equal(o.version, RBP_DATASET_OPTIONS_VERSION);
    assert_int_equal(o.format, RBP_FORMAT_AUTO);
    assert_int_equal(o.length, 0);
    assert_int_equal(o.truncate, RBP_TRUNCATE_RIGHT);
    assert_int_equal(o.max_record_length, 100000);
    assert_string_equal(o.sequence_column, "sequence");
    assert_null(o.structure_column);
    assert_string_equal(o.target_column, "RKA");
    assert_int_equal(o.delimiter, 0);
    assert_string_equal(o.label_key, "class:");
    assert_null(o.affinity_path);
    assert_int_equal(o.case_viewpoint, 1);
    assert_int_equal(o.require_target, 1);
    assert_null(o.id_column);
    expect_error(rbp_dataset_options_init(NULL, RBP_DATASET_OPTIONS_VERSION), RBP_ERR_INVALID_ARG, "opt");
    expect_error(rbp_dataset_options_init(&o, 99), RBP_ERR_INVALID_ARG, "version 99");
}

static void test_char_tables(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        unsigned v = rbp__seq_table[c];
        int ref = ref_token(c);
        if (ref >= 0) {
            assert_int_equal(v & RBP__ENC_TOKEN, ref);
            assert_int_equal(!!(v & RBP__ENC_UPPER), c >= 'A' && c <= 'Z');
            assert_int_equal(!!(v & RBP__ENC_LOWER), c >= 'a' && c <= 'z');
            assert_int_equal(v & (RBP__ENC_BAD | RBP__ENC_SKIP), 0);
        } else if (c == ' ' || c == '\t' || c == '\r') {
            assert_int_equal(v, RBP__ENC_SKIP);
        } else {
            assert_int_equal(v, RBP__ENC_BAD);
        }
        unsigned s = rbp__struct_table[c];
        if (c == '.')
            assert_int_equal(s, RBP_STRUCT_UNPAIRED);
        else if (c && strchr("([{<", c))
            assert_int_equal(s, RBP_STRUCT_OPEN);
        else if (c && strchr(")]}>", c))
            assert_int_equal(s, RBP_STRUCT_CLOSE);
        else if (c == ' ' || c == '\t' || c == '\r')
            assert_int_equal(s, RBP__ENC_SKIP);
        else
            assert_int_equal(s, RBP__ENC_BAD);
    }
}

static void test_parse_number(void **state)
{
    (void)state;
    /* Against (float)strtod in the C locale (the test program never calls setlocale). */
    static const char *good[] = {"1", "0", "-0.25", "+3", ".5", "1.", "3e-2", "1E+2", "0.29", "-11.15",
                                 "0.0001", "123456789", "1.5e-1", "6.02214076e23", "1e-50",
                                 "0.1234567890123456789012345", "123456789012345678901234567890", "00017", "-0"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        float v = -99.0f;
        assert_int_equal(rbp__parse_number(good[i], strlen(good[i]), &v), 0);
        float ref = (float)strtod(good[i], NULL);
        if (v != ref)
            printf("  %s: %.9g vs %.9g\n", good[i], v, ref);
        assert_true(v == ref);
    }
    static const char *bad[] = {"", "-", ".", "e5", "1e", "1e+", "abc", "1.2.3", "1,5", "0x10", " 1", "1 ", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        float v;
        assert_int_equal(rbp__parse_number(bad[i], strlen(bad[i]), &v), -1);
    }
    static const char *nonfinite[] = {"nan", "NaN", "-inf", "Inf", "Infinity", "+INFINITY", "1e39", "-4e38"};
    for (size_t i = 0; i < sizeof nonfinite / sizeof nonfinite[0]; i++) {
        float v;
        assert_int_equal(rbp__parse_number(nonfinite[i], strlen(nonfinite[i]), &v), -2);
    }
}

/* ---------------------------------------------------------------- good input, each format */

static void test_fasta_rbp31_gz(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_load(&ds, RBP31, NULL), RBP_OK);
    check_invariants(ds);
    assert_int_equal(rbp_dataset_size(ds), 200);
    assert_int_equal(rbp_dataset_count_positive(ds), 28);
    assert_int_equal(rbp_dataset_length(ds), 101);
    assert_int_equal(rbp_dataset_has_structure(ds), 0);
    assert_null(rbp_dataset_structure(ds));
    /* "> chr1,+,69315,69415; class:0": the id is the first word without its ';' */
    assert_string_equal(rbp_dataset_id(ds, 0), "chr1,+,69315,69415");
    assert_string_equal(rbp_dataset_id(ds, 35), "chr1,+,2240849,2240949");
    assert_string_equal(rbp_dataset_id(ds, 199), "chr1,+,16863720,16863820");
    assert_null(rbp_dataset_id(ds, 200));
    const float *y = rbp_dataset_targets(ds);
    assert_true(y[0] == 0.0f && y[35] == 1.0f && y[36] == 1.0f);
    /* first line "ACTGACTTTT...", the second line of the record starts at position 60 */
    assert_row_spells(ds, 0, 0, "ACTGACTTTT");
    assert_row_spells(ds, 0, 58, "TTCTC");
    assert_row_spells(ds, 35, 0, "TGCTTTTC");
    assert_row_spells(ds, 199, 96, "TATCC");
    for (size_t i = 0; i < 200; i++) {
        assert_int_equal(row_sum(rbp_dataset_mask(ds), ds, i), 101);
        assert_int_equal(row_sum(rbp_dataset_viewpoint(ds), ds, i), 101); /* no case: all viewpoint */
    }
    rbp_dataset_free(ds);
}

static void test_graphprot_pair(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, NULL), RBP_OK);
    check_invariants(ds);
    assert_int_equal(rbp_dataset_size(ds), 100);
    assert_int_equal(rbp_dataset_count_positive(ds), 50);
    assert_int_equal(rbp_dataset_length(ds), 374); /* longest record of both files */
    const float *y = rbp_dataset_targets(ds);
    for (size_t i = 0; i < 100; i++)
        assert_true(y[i] == (i < 50 ? 1.0f : 0.0f));
    assert_string_equal(rbp_dataset_id(ds, 0), "1175_3_1");
    assert_string_equal(rbp_dataset_id(ds, 50), "PTBv1.train.neg_1");
    /* 1175_3_1: 334 nt, uppercase (viewpoint) exactly at [150, 183] */
    const size_t T = 374;
    const uint8_t *vp = rbp_dataset_viewpoint(ds), *mask = rbp_dataset_mask(ds), *tok = rbp_dataset_tokens(ds);
    assert_int_equal(row_sum(mask, ds, 0), 334);
    for (size_t j = 0; j < T; j++) {
        assert_int_equal(vp[j], j >= 150 && j <= 183);
        assert_int_equal(mask[j], j < 334);
        if (j >= 334)
            assert_int_equal(tok[j], RBP_TOK_PAD);
    }
    assert_row_spells(ds, 0, 0, "gtctc");
    assert_row_spells(ds, 0, 150, "CATAAAATAG");
    /* PTBv1.train.neg_1: 359 nt, viewpoint [150, 208] */
    assert_int_equal(row_sum(vp, ds, 50), 59);
    assert_int_equal(vp[50 * T + 150], 1);
    assert_int_equal(vp[50 * T + 208], 1);
    assert_int_equal(vp[50 * T + 209], 0);
    assert_row_spells(ds, 50, 150, "CCCAG");
    rbp_dataset_free(ds);

    /* case_viewpoint = 0: every real position is viewpoint */
    rbp_dataset_options o = defaults();
    o.case_viewpoint = 0;
    assert_int_equal(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, &o), RBP_OK);
    assert_int_equal(row_sum(rbp_dataset_viewpoint(ds), ds, 0), 334);
    rbp_dataset_free(ds);
}

static void test_truncation_modes(void **state)
{
    (void)state;
    rbp_dataset_options o = defaults();
    rbp_dataset *ds = NULL;
    o.length = 50;
    /* RIGHT: the first 50 positions, all context */
    o.truncate = RBP_TRUNCATE_RIGHT;
    assert_int_equal(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, &o), RBP_OK);
    assert_int_equal(rbp_dataset_length(ds), 50);
    assert_row_spells(ds, 0, 0, "gtctccttcaggtgggagcagctctttgaggccacctgatttctggcgtg");
    assert_int_equal(row_sum(rbp_dataset_viewpoint(ds), ds, 0), 0);
    assert_int_equal(row_sum(rbp_dataset_mask(ds), ds, 0), 50);
    rbp_dataset_free(ds);
    /* LEFT: the last 50 positions of 1175_3_1 */
    o.truncate = RBP_TRUNCATE_LEFT;
    assert_int_equal(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, &o), RBP_OK);
    assert_row_spells(ds, 0, 0, "agcaacacatttttcatttcagcttcactgctgtgtctcccagtgtaacc");
    rbp_dataset_free(ds);
    /* CENTER on the viewpoint [150, 183]: window starts at (150 + 183 + 1 - 50) / 2 = 142 */
    o.truncate = RBP_TRUNCATE_CENTER;
    assert_int_equal(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, &o), RBP_OK);
    const uint8_t *vp = rbp_dataset_viewpoint(ds);
    for (size_t j = 0; j < 50; j++)
        assert_int_equal(vp[j], j >= 8 && j <= 41);
    assert_row_spells(ds, 0, 0, "acttggttCATAAAATAGTG");
    rbp_dataset_free(ds);
    /* CENTER without case: the middle. "ACGUACGUAC" (10) -> 4 positions from (0+9+1-4)/2 = 3 */
    const char *seqs[] = {"ACGUACGUAC", "GG"};
    o.length = 4;
    assert_int_equal(rbp_dataset_from_strings(&ds, seqs, NULL, NULL, 2, &o), RBP_OK);
    assert_row_spells(ds, 0, 0, "UACG");
    assert_row_spells(ds, 1, 0, "GG");
    assert_int_equal(rbp_dataset_tokens(ds)[4 + 2], RBP_TOK_PAD);
    assert_int_equal(rbp_dataset_mask(ds)[4 + 2], 0);
    assert_int_equal(rbp_dataset_viewpoint(ds)[4 + 2], 0);
    rbp_dataset_free(ds);
    /* ERROR: a longer record is refused, naming file, line and record */
    o.length = 50;
    o.truncate = RBP_TRUNCATE_ERROR;
    expect_error(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, &o), RBP_ERR_FORMAT, "testclip.train.positives.fa:1:",
                 "1175_3_1", "length 50");
    assert_null(ds);
    /* A length longer than every record pads */
    o.length = 400;
    assert_int_equal(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, &o), RBP_OK);
    assert_int_equal(rbp_dataset_length(ds), 400);
    assert_int_equal(row_sum(rbp_dataset_mask(ds), ds, 0), 334);
    rbp_dataset_free(ds);
}

static const float full_a_first[3] = {0.29f, 0.97f, 0.66f};

static void test_rnacompete_affys(void **state)
{
    (void)state;
    rbp_dataset_options o = defaults();
    o.affinity_path = RNAC_AFFYS;
    rbp_dataset *a = NULL, *h = NULL, *r = NULL;
    assert_int_equal(rbp_dataset_load(&a, RNAC_FA, &o), RBP_OK);
    assert_int_equal(rbp_dataset_size(a), 50);
    assert_int_equal(rbp_dataset_length(a), 30);
    for (int i = 0; i < 3; i++)
        assert_true(rbp_dataset_targets(a)[i] == full_a_first[i]);
    assert_string_equal(rbp_dataset_id(a, 0), "RBM4_data_full_A_1");
    assert_row_spells(a, 0, 0, "AGAGTCTCGGCGGGCTCGGTCTGCTGAGAC");
    /* explicit RNACOMPETE format */
    o.format = RBP_FORMAT_RNACOMPETE;
    assert_int_equal(rbp_dataset_load(&r, RNAC_FA, &o), RBP_OK);
    /* the value in the header (last word) gives the same targets */
    o.affinity_path = NULL;
    assert_int_equal(rbp_dataset_load(&h, RNAC_FA, &o), RBP_OK);
    assert_int_equal(rbp_dataset_size(h), 50);
    assert_memory_equal(rbp_dataset_targets(a), rbp_dataset_targets(h), 50 * sizeof(float));
    assert_memory_equal(rbp_dataset_targets(a), rbp_dataset_targets(r), 50 * sizeof(float));
    assert_memory_equal(rbp_dataset_tokens(a), rbp_dataset_tokens(h), 50 * 30);
    rbp_dataset_free(a);
    rbp_dataset_free(h);
    rbp_dataset_free(r);
}

static const float study_rka[12] = {1.25f, -0.5f, 0.15f, 2.0f, 0.0f, 0.15f, 3.5f, -1.0f, 0.5f, 1.0f, 0.05f, 4.0f};

static void check_study(const rbp_dataset *ds, int with_structure)
{
    check_invariants(ds);
    assert_int_equal(rbp_dataset_size(ds), 12);
    assert_int_equal(rbp_dataset_length(ds), 36);
    for (int i = 0; i < 12; i++)
        assert_true(rbp_dataset_targets(ds)[i] == study_rka[i]);
    assert_string_equal(rbp_dataset_id(ds, 0), "line2");
    assert_string_equal(rbp_dataset_id(ds, 11), "line13");
    assert_row_spells(ds, 0, 0, "AGAGUCUCGGCGGGCUCGGUCUGCUGAGAC");
    assert_row_spells(ds, 1, 0, "AGGGAGAGAGCGGGCUGCGUCUGCUCUUUC"); /* quoted field */
    assert_row_spells(ds, 3, 0, "cagcacgaaacttguugg");              /* lowercase, t */
    assert_row_spells(ds, 4, 0, "CGCUUNAGGRUUAAGUAAGU");            /* N and R -> N */
    assert_int_equal(rbp_dataset_tokens(ds)[4 * 36 + 9], RBP_TOK_N);
    assert_row_spells(ds, 6, 0, "UCGGACUGGC"); /* the blank inside the quotes is skipped */
    assert_int_equal(row_sum(rbp_dataset_mask(ds), ds, 6), 30);
    assert_int_equal(row_sum(rbp_dataset_mask(ds), ds, 4), 20);
    assert_int_equal(row_sum(rbp_dataset_mask(ds), ds, 5), 36);
    assert_int_equal(row_sum(rbp_dataset_viewpoint(ds), ds, 3), 30); /* single case: all viewpoint */
    assert_int_equal(rbp_dataset_has_structure(ds), with_structure);
    if (!with_structure) {
        assert_null(rbp_dataset_structure(ds));
        return;
    }
    /* row 0: "......(((((((....)))))))......" then padding */
    const uint8_t *s = rbp_dataset_structure(ds);
    for (int j = 0; j < 36; j++) {
        int want = j < 6 ? RBP_STRUCT_UNPAIRED : j < 13 ? RBP_STRUCT_OPEN : j < 17 ? RBP_STRUCT_UNPAIRED
                 : j < 24 ? RBP_STRUCT_CLOSE : j < 30 ? RBP_STRUCT_UNPAIRED : RBP_STRUCT_PAD;
        assert_int_equal(s[j], want);
    }
}

static void test_csv_study_format(void **state)
{
    (void)state;
    rbp_dataset_options o = defaults();
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_load(&ds, STUDY_CSV, NULL), RBP_OK);
    check_study(ds, 0);
    rbp_dataset_free(ds);
    o.structure_column = "structure";
    assert_int_equal(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_OK);
    check_study(ds, 1);
    rbp_dataset_free(ds);
    /* any numeric column as target; an id column with quotes, a comma and doubled quotes */
    o.target_column = "MFE";
    o.id_column = "sevenMer";
    assert_int_equal(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_OK);
    assert_true(rbp_dataset_targets(ds)[0] == -11.15f);
    assert_string_equal(rbp_dataset_id(ds, 0), "AGAGUCU");
    assert_string_equal(rbp_dataset_id(ds, 2), "GCUAAAG,\"x\"");
    rbp_dataset_free(ds);
    /* column names match case-insensitively */
    o = defaults();
    o.target_column = "rka";
    o.sequence_column = "SEQUENCE";
    assert_int_equal(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_OK);
    check_study(ds, 0);
    rbp_dataset_free(ds);
}

static void test_tsv(void **state)
{
    (void)state;
    rbp_dataset_options o = defaults();
    o.structure_column = "structure";
    rbp_dataset *t = NULL, *c = NULL;
    assert_int_equal(rbp_dataset_load(&t, STUDY_TSV, &o), RBP_OK);
    check_study(t, 1);
    assert_int_equal(rbp_dataset_load(&c, STUDY_CSV, &o), RBP_OK);
    assert_memory_equal(rbp_dataset_tokens(t), rbp_dataset_tokens(c), 12 * 36);
    assert_memory_equal(rbp_dataset_structure(t), rbp_dataset_structure(c), 12 * 36);
    rbp_dataset_free(t);
    rbp_dataset_free(c);
    /* explicit format and delimiter on a file without a known extension */
    const char *p = rbp_test_write_file("semi.dat", "id;sequence;RKA\nx;ACGU;1\ny;GG;2\n", (size_t)-1);
    o = defaults();
    o.format = RBP_FORMAT_CSV;
    o.delimiter = ';';
    o.id_column = "id";
    assert_int_equal(rbp_dataset_load(&t, p, &o), RBP_OK);
    assert_int_equal(rbp_dataset_size(t), 2);
    assert_string_equal(rbp_dataset_id(t, 1), "y");
    assert_true(rbp_dataset_targets(t)[1] == 2.0f);
    rbp_dataset_free(t);
}

static void test_lines(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_load(&ds, LINES, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 4);
    assert_int_equal(rbp_dataset_length(ds), 16);
    static const float y[4] = {1.0f, 0.5f, -2.25f, 0.0f};
    static const char *ids[4] = {"line3", "line4", "line7", "line8"};
    for (int i = 0; i < 4; i++) {
        assert_true(rbp_dataset_targets(ds)[i] == y[i]);
        assert_string_equal(rbp_dataset_id(ds, (size_t)i), ids[i]);
    }
    assert_row_spells(ds, 1, 0, "acgtNNacgt");
    assert_int_equal(rbp_dataset_tokens(ds)[16 + 4], RBP_TOK_N);
    assert_int_equal(row_sum(rbp_dataset_mask(ds), ds, 3), 3);
    rbp_dataset_free(ds);
}

static void test_from_strings(void **state)
{
    (void)state;
    const char *seqs[] = {"ACGU", "acgtn", "Rgu"};
    const float y[] = {1.0f, 0.0f, 0.25f};
    const char *ids[] = {"a", "b", "c"};
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_from_strings(&ds, seqs, y, ids, 3, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_length(ds), 5);
    assert_string_equal(rbp_dataset_id(ds, 2), "c");
    assert_true(rbp_dataset_targets(ds)[2] == 0.25f);
    static const uint8_t want[15] = {0, 1, 2, 3, 5, 0, 1, 2, 3, 4, 4, 2, 3, 5, 5};
    assert_memory_equal(rbp_dataset_tokens(ds), want, 15);
    /* "Rgu" mixes case: viewpoint only on R */
    static const uint8_t vp[15] = {1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    assert_memory_equal(rbp_dataset_viewpoint(ds), vp, 15);
    rbp_dataset_free(ds);
    assert_int_equal(rbp_dataset_from_strings(&ds, seqs, NULL, NULL, 3, NULL), RBP_OK);
    assert_string_equal(rbp_dataset_id(ds, 0), "seq1");
    assert_string_equal(rbp_dataset_id(ds, 2), "seq3");
    assert_true(rbp_dataset_targets(ds)[1] == 0.0f);
    rbp_dataset_free(ds);
    const char *bad[] = {"ACGU", "AC-GU"};
    expect_error(rbp_dataset_from_strings(&ds, bad, NULL, NULL, 2, NULL), RBP_ERR_FORMAT, "sequences[1]",
                 "unknown character '-' at position 3");
    assert_null(ds);
}

static void test_crlf_and_bom(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    const char *fa = rbp_test_write_file("crlf.fa", "\xEF\xBB\xBF>a class:1\r\nACGU\r\nGG\r\n>b class:0\r\nUUUU\r\n",
                                         (size_t)-1);
    assert_int_equal(rbp_dataset_load(&ds, fa, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 2);
    assert_int_equal(rbp_dataset_length(ds), 6);
    assert_string_equal(rbp_dataset_id(ds, 0), "a");
    assert_row_spells(ds, 0, 0, "ACGUGG");
    assert_true(rbp_dataset_targets(ds)[0] == 1.0f);
    rbp_dataset_free(ds);
    /* BOM before the CSV header: the first column is still "sequence" */
    const char *csv = rbp_test_write_file("bom.csv", "\xEF\xBB\xBFsequence,RKA\r\nACGU,1.5\r\nGGG,-1\r\n", (size_t)-1);
    assert_int_equal(rbp_dataset_load(&ds, csv, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 2);
    assert_true(rbp_dataset_targets(ds)[1] == -1.0f);
    rbp_dataset_free(ds);
    /* gzip of a CRLF file */
    const char *gz = write_gz("crlf.fa.gz", ">a class:1\r\nACGU\r\n");
    assert_int_equal(rbp_dataset_load(&ds, gz, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_length(ds), 4);
    rbp_dataset_free(ds);
}

static void test_fasta_layout(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    /* multi-line records, blank lines, ';' comments, trailing blanks, no final newline, empty header */
    const char *p = rbp_test_write_file("layout.fa",
                                        "; a comment\n\n>r1 class:1 extra words\nAC GU\n\nacgu  \nNN\n>\nGG\t\n"
                                        ">r3;class:0\nU",
                                        (size_t)-1);
    expect_error(rbp_dataset_load(&ds, p, NULL), RBP_ERR_FORMAT, "layout.fa:8:", "no label"); /* ">" */
    rbp_dataset_options o = defaults();
    o.require_target = 0;
    assert_int_equal(rbp_dataset_load(&ds, p, &o), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 3);
    assert_int_equal(row_sum(rbp_dataset_mask(ds), ds, 0), 10);
    assert_row_spells(ds, 0, 0, "ACGUacguNN");
    assert_string_equal(rbp_dataset_id(ds, 1), "line8");
    assert_string_equal(rbp_dataset_id(ds, 2), "r3;class:0"); /* no blank: one word */
    assert_true(rbp_dataset_targets(ds)[0] == 1.0f);
    assert_true(rbp_dataset_targets(ds)[1] == 0.0f);
    assert_true(rbp_dataset_targets(ds)[2] == 0.0f); /* "class:0" found inside the word */
    /* mixed case in r1: the uppercase positions are the viewpoint */
    static const uint8_t vp[10] = {1, 1, 1, 1, 0, 0, 0, 0, 1, 1};
    assert_memory_equal(rbp_dataset_viewpoint(ds), vp, 10);
    rbp_dataset_free(ds);
    /* a custom label key and a bare number */
    p = rbp_test_write_file("keys.fa", ">a label=0.5\nACGU\n>b 7\nACGU\n", (size_t)-1);
    o = defaults();
    o.label_key = "label=";
    assert_int_equal(rbp_dataset_load(&ds, p, &o), RBP_OK);
    assert_true(rbp_dataset_targets(ds)[0] == 0.5f);
    assert_true(rbp_dataset_targets(ds)[1] == 7.0f);
    rbp_dataset_free(ds);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    rbp_dataset_options o = defaults();
    o.id_column = "note";
    /* a quoted field spanning two lines, delimiters and doubled quotes inside quotes, blanks
     * around fields, an empty last field */
    const char *p = rbp_test_write_file("q.csv",
                                        "note,sequence,RKA,extra\n"
                                        "\"a, \"\"first\"\"\", ACGU ,1,\n"
                                        "\"two\nlines\",\"GG\",  2 ,x\n"
                                        "c,UU,3,\"\"\n",
                                        (size_t)-1);
    assert_int_equal(rbp_dataset_load(&ds, p, &o), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 3);
    assert_string_equal(rbp_dataset_id(ds, 0), "a, \"first\"");
    assert_string_equal(rbp_dataset_id(ds, 1), "two\nlines");
    assert_true(rbp_dataset_targets(ds)[1] == 2.0f);
    assert_row_spells(ds, 0, 0, "ACGU");
    rbp_dataset_free(ds);
    /* line numbers after a record that spans lines stay right */
    p = rbp_test_write_file("q2.csv", "note,sequence,RKA\n\"x\ny\",ACGU,1\nz,ACXU,1\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "q2.csv:4:", "unknown character 'X'");
    /* a quote left open */
    p = rbp_test_write_file("q3.csv", "note,sequence,RKA\n\"x,ACGU,1\nz,ACGU,1\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "q3.csv:2:", "quoted field is not closed");
    /* text after a closing quote */
    p = rbp_test_write_file("q4.csv", "note,sequence,RKA\n\"x\"y,ACGU,1\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "q4.csv:2:", "after a closing quote");
    /* wrong number of fields */
    p = rbp_test_write_file("q5.csv", "note,sequence,RKA\nx,ACGU,1\ny,ACGU\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "q5.csv:3:", "2 fields, but the header has 3");
    assert_null(ds);
}

static void test_format_detection(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    /* unknown extensions are sniffed from the first line */
    const char *fa = rbp_test_write_file("x.dat", "\n>a class:1\nACGU\n", (size_t)-1);
    assert_int_equal(rbp_dataset_load(&ds, fa, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 1);
    rbp_dataset_free(ds);
    const char *csv = rbp_test_write_file("x.data", "sequence,RKA\nACGU,1\n", (size_t)-1);
    assert_int_equal(rbp_dataset_load(&ds, csv, NULL), RBP_OK);
    assert_true(rbp_dataset_targets(ds)[0] == 1.0f);
    rbp_dataset_free(ds);
    const char *tsv = rbp_test_write_file("x.d2", "sequence\tRKA\nACGU\t1\nGG\t2\n", (size_t)-1);
    assert_int_equal(rbp_dataset_load(&ds, tsv, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 2);
    rbp_dataset_free(ds);
    const char *lines = rbp_test_write_file("x.d3", "ACGU 1\nGG 2\nU 3\n", (size_t)-1);
    assert_int_equal(rbp_dataset_load(&ds, lines, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 3);
    rbp_dataset_free(ds);
    /* upper-case extension, gzip'd CSV */
    const char *gz = write_gz("X.CSV.GZ", "sequence,RKA\nACGU,1\n");
    assert_int_equal(rbp_dataset_load(&ds, gz, NULL), RBP_OK);
    rbp_dataset_free(ds);
}

/* ---------------------------------------------------------------- subsets and splits */

static rbp_dataset *make_labelled(size_t n, size_t npos)
{
    char **seqs = malloc(n * sizeof *seqs);
    char **ids = malloc(n * sizeof *ids);
    float *y = malloc(n * sizeof *y);
    assert_true(seqs && ids && y);
    for (size_t i = 0; i < n; i++) {
        seqs[i] = malloc(8);
        ids[i] = malloc(24);
        snprintf(seqs[i], 8, "%c%c%cA", "ACGU"[i % 4], "ACGU"[(i / 4) % 4], "ACGU"[(i / 16) % 4]);
        snprintf(ids[i], 24, "r%zu", i);
        y[i] = i % (n / npos) == 0 && i / (n / npos) < npos ? 1.0f : 0.0f;
    }
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_from_strings(&ds, (const char *const *)seqs, y, (const char *const *)ids, n, NULL),
                     RBP_OK);
    for (size_t i = 0; i < n; i++) {
        free(seqs[i]);
        free(ids[i]);
    }
    free(seqs);
    free(ids);
    free(y);
    assert_int_equal(rbp_dataset_count_positive(ds), npos);
    return ds;
}

static void test_subset(void **state)
{
    (void)state;
    rbp_dataset *ds = make_labelled(20, 4), *s = NULL;
    const size_t idx[3] = {7, 0, 7};
    assert_int_equal(rbp_dataset_subset(&s, ds, idx, 3), RBP_OK);
    assert_int_equal(rbp_dataset_size(s), 3);
    assert_string_equal(rbp_dataset_id(s, 0), "r7");
    assert_string_equal(rbp_dataset_id(s, 1), "r0");
    assert_memory_equal(rbp_dataset_tokens(s), rbp_dataset_tokens(ds) + 7 * 4, 4);
    assert_true(rbp_dataset_targets(s)[1] == rbp_dataset_targets(ds)[0]);
    rbp_dataset_free(s);
    const size_t bad[2] = {1, 20};
    expect_error(rbp_dataset_subset(&s, ds, bad, 2), RBP_ERR_INVALID_ARG, "idx[1] = 20");
    expect_error(rbp_dataset_subset(&s, ds, idx, 0), RBP_ERR_INVALID_ARG, "n is 0");
    expect_error(rbp_dataset_subset(NULL, ds, idx, 1), RBP_ERR_INVALID_ARG, "out");
    expect_error(rbp_dataset_subset(&s, NULL, idx, 1), RBP_ERR_INVALID_ARG, "'ds'");
    expect_error(rbp_dataset_subset(&s, ds, NULL, 1), RBP_ERR_INVALID_ARG, "'idx'");
    rbp_dataset_free(ds);
}

/* Row number of each id "r<k>". */
static size_t id_row(const rbp_dataset *ds, size_t i)
{
    return (size_t)strtoul(rbp_dataset_id(ds, i) + 1, NULL, 10);
}

static void test_split_stratified(void **state)
{
    (void)state;
    rbp_dataset *ds = make_labelled(200, 28);
    rbp_dataset *tr = NULL, *va = NULL, *te = NULL;
    /* the study's 66/34 */
    assert_int_equal(rbp_dataset_split(ds, 0.66, 0.0, 7, 1, &tr, NULL, &te), RBP_OK);
    assert_int_equal(rbp_dataset_size(tr), 18 + 114); /* round(0.66*28), round(0.66*172) */
    assert_int_equal(rbp_dataset_count_positive(tr), 18);
    assert_int_equal(rbp_dataset_size(te), 10 + 58);
    assert_int_equal(rbp_dataset_count_positive(te), 10);
    /* a partition: every row exactly once, rows kept in file order, rows copied intact */
    int seen[200] = {0};
    const rbp_dataset *parts[2] = {tr, te};
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < rbp_dataset_size(parts[p]); i++) {
            size_t r = id_row(parts[p], i);
            seen[r]++;
            if (i)
                assert_true(r > id_row(parts[p], i - 1));
            assert_memory_equal(rbp_dataset_tokens(parts[p]) + i * 4, rbp_dataset_tokens(ds) + r * 4, 4);
            assert_true(rbp_dataset_targets(parts[p])[i] == rbp_dataset_targets(ds)[r]);
        }
    for (int r = 0; r < 200; r++)
        assert_int_equal(seen[r], 1);
    /* same seed: same split; another seed: another split */
    rbp_dataset *tr2 = NULL, *tr3 = NULL;
    assert_int_equal(rbp_dataset_split(ds, 0.66, 0.0, 7, 1, &tr2, NULL, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_split(ds, 0.66, 0.0, 8, 1, &tr3, NULL, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_size(tr2), rbp_dataset_size(tr));
    assert_int_equal(rbp_dataset_size(tr3), rbp_dataset_size(tr));
    int same2 = 1, same3 = 1;
    for (size_t i = 0; i < rbp_dataset_size(tr); i++) {
        same2 &= strcmp(rbp_dataset_id(tr, i), rbp_dataset_id(tr2, i)) == 0;
        same3 &= strcmp(rbp_dataset_id(tr, i), rbp_dataset_id(tr3, i)) == 0;
    }
    assert_true(same2);
    assert_false(same3);
    rbp_dataset_free(tr);
    rbp_dataset_free(te);
    rbp_dataset_free(tr2);
    rbp_dataset_free(tr3);
    /* three parts */
    assert_int_equal(rbp_dataset_split(ds, 0.6, 0.2, 1, 1, &tr, &va, &te), RBP_OK);
    assert_int_equal(rbp_dataset_size(tr), 17 + 103);
    assert_int_equal(rbp_dataset_count_positive(va), 6);
    assert_int_equal(rbp_dataset_size(va) + rbp_dataset_size(te) + rbp_dataset_size(tr), 200);
    assert_int_equal(rbp_dataset_count_positive(te), 5);
    rbp_dataset_free(tr);
    rbp_dataset_free(va);
    rbp_dataset_free(te);
    /* unstratified: sizes only */
    assert_int_equal(rbp_dataset_split(ds, 0.5, 0.25, 3, 0, &tr, &va, &te), RBP_OK);
    assert_int_equal(rbp_dataset_size(tr), 100);
    assert_int_equal(rbp_dataset_size(va), 50);
    assert_int_equal(rbp_dataset_size(te), 50);
    rbp_dataset_free(tr);
    rbp_dataset_free(va);
    rbp_dataset_free(te);
    rbp_dataset_free(ds);
}

static void test_split_errors(void **state)
{
    (void)state;
    rbp_dataset *ds = make_labelled(20, 1), *tr = NULL, *te = NULL, *va = NULL;
    /* 1 positive: round(0.66) = 1 goes to train, the test part has none */
    expect_error(rbp_dataset_split(ds, 0.66, 0.0, 1, 1, &tr, NULL, &te), RBP_ERR_INVALID_ARG,
                 "test part would have no positives");
    assert_null(tr);
    assert_null(te);
    /* unstratified it works */
    assert_int_equal(rbp_dataset_split(ds, 0.66, 0.0, 1, 0, &tr, NULL, &te), RBP_OK);
    rbp_dataset_free(tr);
    rbp_dataset_free(te);
    /* an empty part that was asked for */
    expect_error(rbp_dataset_split(ds, 0.66, 0.0, 1, 0, &tr, &va, &te), RBP_ERR_INVALID_ARG,
                 "validation part would be empty");
    assert_null(tr);
    assert_null(va);
    expect_error(rbp_dataset_split(ds, 0.7, 0.4, 1, 0, &tr, NULL, NULL), RBP_ERR_INVALID_ARG, "train_frac");
    expect_error(rbp_dataset_split(ds, -0.1, 0.0, 1, 0, &tr, NULL, NULL), RBP_ERR_INVALID_ARG, "train_frac");
    expect_error(rbp_dataset_split(ds, NAN, 0.0, 1, 0, &tr, NULL, NULL), RBP_ERR_INVALID_ARG, "train_frac");
    expect_error(rbp_dataset_split(ds, 0.5, 0.0, 1, 0, NULL, NULL, NULL), RBP_ERR_INVALID_ARG, "all NULL");
    expect_error(rbp_dataset_split(NULL, 0.5, 0.0, 1, 0, &tr, NULL, NULL), RBP_ERR_INVALID_ARG, "'ds'");
    rbp_dataset_free(ds);
    /* a set with no positives cannot be stratified */
    const char *seqs[] = {"A", "C", "G", "U"};
    assert_int_equal(rbp_dataset_from_strings(&ds, seqs, NULL, NULL, 4, NULL), RBP_OK);
    expect_error(rbp_dataset_split(ds, 0.5, 0.0, 1, 1, &tr, NULL, NULL), RBP_ERR_INVALID_ARG,
                 "train part would have no positives");
    rbp_dataset_free(ds);
}

/* ---------------------------------------------------------------- batches */

/* Run one epoch; every row exactly once, batch contents equal the dataset rows. Returns the
 * row order in `order` (n entries). */
static size_t run_epoch(rbp_batcher *b, const rbp_dataset *ds, int32_t B, size_t *order)
{
    size_t n = rbp_dataset_size(ds), T = (size_t)rbp_dataset_length(ds), k = 0;
    rbp_batch batch;
    int32_t rc;
    int64_t nb = 0;
    while ((rc = rbp_batcher_next(b, &batch)) == 1) {
        nb++;
        assert_true(batch.size >= 1 && batch.size <= B);
        assert_int_equal(batch.length, (int32_t)T);
        assert_non_null(batch.viewpoint);
        for (int32_t i = 0; i < batch.size; i++) {
            size_t r = batch.index[i];
            assert_true(r < n);
            assert_memory_equal(batch.tokens + (size_t)i * T, rbp_dataset_tokens(ds) + r * T, T);
            assert_memory_equal(batch.mask + (size_t)i * T, rbp_dataset_mask(ds) + r * T, T);
            assert_memory_equal(batch.viewpoint + (size_t)i * T, rbp_dataset_viewpoint(ds) + r * T, T);
            if (rbp_dataset_structure(ds))
                assert_memory_equal(batch.structure + (size_t)i * T, rbp_dataset_structure(ds) + r * T, T);
            assert_true(batch.targets[i] == rbp_dataset_targets(ds)[r]);
            order[k++] = r;
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(rbp_batcher_next(b, &batch), 0); /* stays at the end */
    assert_int_equal(nb, rbp_batcher_num_batches(b));
    return k;
}

static void test_batcher_epochs(void **state)
{
    (void)state;
    rbp_dataset *ds = make_labelled(103, 10);
    size_t n = 103, o0[103], o1[103], o0b[103], seen[103];
    rbp_batcher *b = NULL, *b2 = NULL;
    assert_int_equal(rbp_batcher_create(&b, ds, 10, 1, 0, 99), RBP_OK);
    assert_int_equal(rbp_batcher_num_batches(b), 11);
    assert_int_equal(run_epoch(b, ds, 10, o0), n);
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < n; i++)
        seen[o0[i]]++;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seen[i], 1);
    /* epoch 1 differs, epoch 0 again is the same, and so is another batcher with the seed */
    assert_int_equal(rbp_batcher_reset(b, 1), RBP_OK);
    assert_int_equal(run_epoch(b, ds, 10, o1), n);
    assert_true(memcmp(o0, o1, sizeof o0) != 0);
    assert_int_equal(rbp_batcher_reset(b, 0), RBP_OK);
    assert_int_equal(run_epoch(b, ds, 10, o0b), n);
    assert_memory_equal(o0, o0b, sizeof o0);
    assert_int_equal(rbp_batcher_create(&b2, ds, 10, 1, 0, 99), RBP_OK);
    assert_int_equal(rbp_batcher_reset(b2, 1), RBP_OK);
    assert_int_equal(run_epoch(b2, ds, 10, o0b), n);
    assert_memory_equal(o1, o0b, sizeof o1);
    rbp_batcher_free(b2);
    /* another seed: another order */
    assert_int_equal(rbp_batcher_create(&b2, ds, 10, 1, 0, 100), RBP_OK);
    assert_int_equal(run_epoch(b2, ds, 10, o0b), n);
    assert_true(memcmp(o0, o0b, sizeof o0) != 0);
    rbp_batcher_free(b2);
    rbp_batcher_free(b);
    /* drop_last: 10 full batches */
    assert_int_equal(rbp_batcher_create(&b, ds, 10, 1, 1, 5), RBP_OK);
    assert_int_equal(rbp_batcher_num_batches(b), 10);
    assert_int_equal(run_epoch(b, ds, 10, o0), 100);
    rbp_batcher_free(b);
    /* no shuffle: file order, views into the dataset */
    assert_int_equal(rbp_batcher_create(&b, ds, 16, 0, 0, 5), RBP_OK);
    assert_int_equal(run_epoch(b, ds, 16, o0), n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(o0[i], i);
    rbp_batcher_free(b);
    /* a batch larger than the data holds all of it */
    assert_int_equal(rbp_batcher_create(&b, ds, 1000, 1, 0, 5), RBP_OK);
    assert_int_equal(rbp_batcher_num_batches(b), 1);
    assert_int_equal(run_epoch(b, ds, 1000, o0), n);
    rbp_batcher_free(b);
    rbp_dataset_free(ds);
}

static void test_batcher_structure(void **state)
{
    (void)state;
    rbp_dataset_options o = defaults();
    o.structure_column = "structure";
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_OK);
    rbp_batcher *b = NULL;
    size_t order[12];
    assert_int_equal(rbp_batcher_create(&b, ds, 5, 1, 0, 3), RBP_OK);
    assert_int_equal(run_epoch(b, ds, 5, order), 12);
    rbp_batcher_free(b);
    rbp_dataset_free(ds);
}

static void test_batcher_no_alloc(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_load(&ds, RBP31, NULL), RBP_OK);
    for (int shuffle = 0; shuffle <= 1; shuffle++) {
        rbp_batcher *b = NULL;
        assert_int_equal(rbp_batcher_create(&b, ds, 32, shuffle, 0, 1), RBP_OK);
        rbp_batch batch;
        for (int64_t e = 0; e < 3; e++) {
            assert_int_equal(rbp_batcher_reset(b, e), RBP_OK);
            uint64_t before = rbp__alloc_count();
            int64_t nb = 0;
            while (rbp_batcher_next(b, &batch) == 1)
                nb++;
            assert_int_equal(rbp__alloc_count(), before);
            assert_int_equal(nb, 7);
        }
        rbp_batcher_free(b);
    }
    rbp_dataset_free(ds);
}

static void test_batcher_errors(void **state)
{
    (void)state;
    rbp_dataset *ds = make_labelled(20, 2);
    rbp_batcher *b = NULL;
    rbp_batch batch;
    expect_error(rbp_batcher_create(NULL, ds, 4, 1, 0, 1), RBP_ERR_INVALID_ARG, "'out'");
    expect_error(rbp_batcher_create(&b, NULL, 4, 1, 0, 1), RBP_ERR_INVALID_ARG, "'ds'");
    expect_error(rbp_batcher_create(&b, ds, 0, 1, 0, 1), RBP_ERR_INVALID_ARG, "batch_size is 0");
    expect_error(rbp_batcher_create(&b, ds, 21, 1, 1, 1), RBP_ERR_INVALID_ARG, "drop_last");
    assert_null(b);
    assert_int_equal(rbp_batcher_create(&b, ds, 4, 1, 0, 1), RBP_OK);
    expect_error(rbp_batcher_reset(b, -1), RBP_ERR_INVALID_ARG, "epoch is -1");
    expect_error(rbp_batcher_reset(NULL, 0), RBP_ERR_INVALID_ARG, "'b'");
    expect_error((rbp_status)rbp_batcher_next(NULL, &batch), RBP_ERR_INVALID_ARG, "'b'");
    expect_error((rbp_status)rbp_batcher_next(b, NULL), RBP_ERR_INVALID_ARG, "'batch'");
    expect_error((rbp_status)rbp_batcher_num_batches(NULL), RBP_ERR_INVALID_ARG, "'b'");
    rbp_batcher_free(b);
    rbp_batcher_free(NULL);
    rbp_dataset_free(ds);
}

/* ---------------------------------------------------------------- bad input, one test each */

static void test_bad_missing_file(void **state)
{
    (void)state;
    rbp_dataset *ds = (rbp_dataset *)&ds; /* must be reset to NULL */
    const char *p = rbp_test_path("does-not-exist.fa");
    expect_error(rbp_dataset_load(&ds, p, NULL), RBP_ERR_IO, "does-not-exist.fa", "cannot open");
    assert_null(ds);
    expect_error(rbp_dataset_load_pair(&ds, GP_POS, p, NULL), RBP_ERR_IO, "does-not-exist.fa");
    rbp_dataset_options o = defaults();
    o.affinity_path = rbp_test_path("missing.affys");
    expect_error(rbp_dataset_load(&ds, RNAC_FA, &o), RBP_ERR_IO, "missing.affys");
}

static void test_bad_directory(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    rbp_dataset_options o = defaults();
    o.format = RBP_FORMAT_FASTA;
    expect_error(rbp_dataset_load(&ds, RBP_TEST_DATA_DIR "/graphprot", &o), RBP_ERR_IO, "graphprot");
    assert_null(ds);
}

static void test_bad_empty_file(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    const char *names[] = {"empty.fa", "empty.csv", "empty.txt"};
    for (int i = 0; i < 3; i++) {
        const char *p = rbp_test_write_file(names[i], "", 0);
        expect_error(rbp_dataset_load(&ds, p, NULL), RBP_ERR_FORMAT, names[i], ":1:", "empty");
        assert_null(ds);
    }
    /* only blank lines / comments / a header */
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("blank.fa", "\n\n  \n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "blank.fa:4:", "no FASTA records");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("hdr.csv", "sequence,RKA\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "hdr.csv:2:", "no records after the header");
    expect_error(rbp_dataset_load(&ds, write_gz("empty.fa.gz", ""), NULL), RBP_ERR_FORMAT, "empty.fa.gz");
}

static void test_bad_missing_column(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("nocol.csv", "seq,RKA\nACGU,1\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "nocol.csv:1:", "no column 'sequence'", "columns: seq, RKA");
    rbp_dataset_options o = defaults();
    o.target_column = "KD";
    expect_error(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_ERR_FORMAT, "study_format.csv:1:", "no column 'KD'",
                 "target_column");
    o = defaults();
    o.structure_column = "dotbracket";
    expect_error(rbp_dataset_load(&ds, STUDY_TSV, &o), RBP_ERR_FORMAT, "study_format.tsv:1:", "'dotbracket'");
    assert_null(ds);
}

static void test_bad_target_not_numeric(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("t.csv", "sequence,RKA\nACGU,1\nACGU,high\n", (size_t)-1),
                                  NULL),
                 RBP_ERR_FORMAT, "t.csv:3:", "column 'RKA'", "'high' is not a number");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("t2.csv", "sequence,RKA\nACGU,\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "t2.csv:2:", "empty target");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("t.fa", ">a class:1\nACGU\n>b class:x\nAC\n", (size_t)-1),
                                  NULL),
                 RBP_ERR_FORMAT, "t.fa:3:", "label after 'class:'", "'x' is not a number");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("t.txt", "ACGU 1\nACGU 1.2.3\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "t.txt:2:", "'1.2.3' is not a number");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("t2.txt", "ACGU 1\nACGU\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "t2.txt:2:", "no target");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("t3.txt", "ACGU 1 2\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "t3.txt:1:", "found 3 fields");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("t2.fa", ">a\nACGU\n", (size_t)-1), NULL), RBP_ERR_FORMAT,
                 "t2.fa:1:", "no label");
    assert_null(ds);
}

static void test_bad_target_nonfinite(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("nan.csv", "sequence,RKA\nACGU,NaN\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "nan.csv:2:", "'NaN' is not a finite number");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("inf.txt", "ACGU -inf\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "inf.txt:1:", "'-inf' is not a finite number");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("inf.fa", ">a class:inf\nACGU\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "inf.fa:1:", "not a finite number");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("big.fa", ">a 1e40\nACGU\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "big.fa:1:", "'1e40' is not a finite number");
    rbp_dataset_options o = defaults();
    o.affinity_path = rbp_test_write_file("nan.affys", "0.5\nnan\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("two.fa", ">a\nACGU\n>b\nGG\n", (size_t)-1), &o),
                 RBP_ERR_FORMAT, "nan.affys:2:", "not a finite number");
    const char *seqs[] = {"ACGU"};
    const float y[] = {NAN};
    expect_error(rbp_dataset_from_strings(&ds, seqs, y, NULL, 1, NULL), RBP_ERR_INVALID_ARG, "targets[0]");
    assert_null(ds);
}

static void test_bad_unknown_character(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("x.fa", ">a class:1\nACGU\nACXU\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "x.fa:3:", "unknown character 'X' at position 7", "record 'a'");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("x2.fa", ">a class:1\nAC-U\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "x2.fa:2:", "'-'");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("x3.fa", ">a class:1\nAC\x01U\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "x3.fa:2:", "'\\x01'");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("x.csv", "sequence,RKA\nAC1U,1\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "x.csv:2:", "'1'", "record 'line2'");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("x.txt", "ACGU 1\nAC.U 1\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "x.txt:2:", "'.'");
    /* structure: an unknown character and a length mismatch */
    rbp_dataset_options o = defaults();
    o.structure_column = "structure";
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("s.csv", "sequence,structure,RKA\nACGU,(..x,1\n",
                                                           (size_t)-1), &o),
                 RBP_ERR_FORMAT, "s.csv:2:", "'x'", "structure");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("s2.csv", "sequence,structure,RKA\nACGU,(.),1\n",
                                                           (size_t)-1), &o),
                 RBP_ERR_FORMAT, "s2.csv:2:", "structure of record 'line2' has 3 positions but its sequence has 4");
    /* sequence data before the first header */
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("x4.fa", "ACGU\n>a class:1\nACGU\n", (size_t)-1), NULL),
                 RBP_ERR_FORMAT, "x4.fa:1:", "before the first '>'");
    assert_null(ds);
}

static void test_bad_record_without_sequence(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("ns.fa", ">a class:1\n>b class:0\nACGU\n", (size_t)-1),
                                  NULL),
                 RBP_ERR_FORMAT, "ns.fa:1:", "record 'a' has no sequence");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("ns2.fa", ">a class:1\nACGU\n>b class:0\n\n", (size_t)-1),
                                  NULL),
                 RBP_ERR_FORMAT, "ns2.fa:3:", "record 'b' has no sequence");
    expect_error(rbp_dataset_load(&ds, rbp_test_write_file("ns.csv", "sequence,RKA\nACGU,1\n  ,2\n", (size_t)-1),
                                  NULL),
                 RBP_ERR_FORMAT, "ns.csv:3:", "has no sequence");
    const char *seqs[] = {"ACGU", ""};
    expect_error(rbp_dataset_from_strings(&ds, seqs, NULL, NULL, 2, NULL), RBP_ERR_FORMAT, "sequences[1]",
                 "no sequence");
    assert_null(ds);
}

static void test_bad_too_long(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    rbp_dataset_options o = defaults();
    o.max_record_length = 10;
    const char *p = rbp_test_write_file("long.fa", ">a class:1\nACGUACGU\n>b class:1\nACGUAC\nACGUAC\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "long.fa:5:", "record 'b'", "longer than the maximum record length 10 (rbp_dataset_options.max_record_length, --max-length)");
    p = rbp_test_write_file("long.txt", "ACGU 1\nACGUACGUACG 1\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "long.txt:2:", "rbp_dataset_options.max_record_length");
    p = rbp_test_write_file("long.csv", "sequence,RKA\nACGUACGUACGUACGUACGU,1\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "long.csv:2:", "rbp_dataset_options.max_record_length");
    /* exactly at the cap is fine */
    p = rbp_test_write_file("cap.fa", ">a class:1\nACGUACGUAC\n", (size_t)-1);
    assert_int_equal(rbp_dataset_load(&ds, p, &o), RBP_OK);
    rbp_dataset_free(ds);
    /* a line far longer than the reader's buffer limit */
    size_t n = (size_t)10 * 4 + (1u << 20) + 100;
    char *text = malloc(n + 32);
    memcpy(text, ">a class:1\n", 11);
    memset(text + 11, 'A', n);
    text[11 + n] = '\0';
    p = rbp_test_write_file("huge.fa", text, (size_t)-1);
    free(text);
    ds = NULL;
    expect_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "huge.fa:2:", "longer than");
    assert_null(ds);
}

static void test_bad_gzip(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    char *text = make_fasta(2000);
    const char *good = write_gz("good.fa.gz", text);
    free(text);
    assert_int_equal(rbp_dataset_load(&ds, good, NULL), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 2000);
    assert_int_equal(rbp_dataset_count_positive(ds), 400);
    rbp_dataset_free(ds);
    size_t n;
    unsigned char *gz = rbp_test_read_file(good, &n);
    assert_true(n > 1000);
    /* truncated: cut at several places, including just before the 8-byte trailer */
    const size_t cuts[] = {n / 2, n - 9, n - 4, 20};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *p = rbp_test_write_file("trunc.fa.gz", (const char *)gz, cuts[i]);
        ds = NULL;
        expect_error(rbp_dataset_load(&ds, p, NULL), RBP_ERR_FORMAT, "trunc.fa.gz", "truncated gzip");
        assert_null(ds);
    }
    /* the message points at the line where the data stop: complete lines before the cut + 1 */
    {
        const char *p = rbp_test_write_file("cut.fa.gz", (const char *)gz, n / 2);
        gzFile f = gzopen(p, "rb");
        assert_non_null(f);
        char buf[4096];
        int got;
        long lines = 0;
        while ((got = gzread(f, buf, sizeof buf)) > 0)
            for (int k = 0; k < got; k++)
                lines += buf[k] == '\n';
        gzclose(f);
        assert_true(lines > 100);
        char where[64];
        snprintf(where, sizeof where, "cut.fa.gz:%ld: truncated gzip data", lines + 1);
        expect_error(rbp_dataset_load(&ds, p, NULL), RBP_ERR_FORMAT, where);
    }
    /* corrupt: a damaged CRC (trailer), and damaged deflate data */
    gz[n - 6] ^= 0x55;
    const char *p = rbp_test_write_file("crc.fa.gz", (const char *)gz, n);
    expect_error(rbp_dataset_load(&ds, p, NULL), RBP_ERR_FORMAT, "crc.fa.gz", "corrupt gzip");
    gz[n - 6] ^= 0x55;
    for (size_t k = n / 3; k < n / 3 + 64; k++)
        gz[k] ^= 0xA5;
    p = rbp_test_write_file("bad.fa.gz", (const char *)gz, n);
    rbp_status st = rbp_dataset_load(&ds, p, NULL);
    assert_int_equal(st, RBP_ERR_FORMAT);
    assert_non_null(strstr(rbp_last_error(), "bad.fa.gz"));
    assert_true(strstr(rbp_last_error(), "corrupt gzip") || strstr(rbp_last_error(), "truncated gzip"));
    assert_null(ds);
    free(gz);
}

static void test_bad_affys_count(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    rbp_dataset_options o = defaults();
    const char *fa = rbp_test_write_file("three.fa", ">a\nACGU\n>b\nGG\n>c\nUU\n", (size_t)-1);
    o.affinity_path = rbp_test_write_file("two.affys", "0.5\n\n1.5\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, fa, &o), RBP_ERR_FORMAT, "two.affys:3:", "ends after 2 values", "three.fa",
                 "record 'c'");
    o.affinity_path = rbp_test_write_file("four.affys", "0.5\n1.5\n2\n3\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, fa, &o), RBP_ERR_FORMAT, "four.affys:4:", "more values than the 3 records",
                 "three.fa");
    o.affinity_path = rbp_test_write_file("x.affys", "0.5\nabc\n3\n", (size_t)-1);
    expect_error(rbp_dataset_load(&ds, fa, &o), RBP_ERR_FORMAT, "x.affys:2:", "'abc' is not a number");
    o.affinity_path = rbp_test_write_file("ok.affys", "# values\n0.5\n1.5\n2\n\n", (size_t)-1);
    assert_int_equal(rbp_dataset_load(&ds, fa, &o), RBP_OK);
    assert_true(rbp_dataset_targets(ds)[2] == 2.0f);
    rbp_dataset_free(ds);
    /* the real file with one value missing */
    size_t n;
    unsigned char *affys = rbp_test_read_file(RNAC_AFFYS, &n);
    affys[n] = '\0';
    char *last = strrchr((char *)affys, '\n');
    *last = '\0';
    last = strrchr((char *)affys, '\n'); /* drop the 50th value */
    o.affinity_path = rbp_test_write_file("49.affys", (const char *)affys, (size_t)(last - (char *)affys + 1));
    free(affys);
    expect_error(rbp_dataset_load(&ds, RNAC_FA, &o), RBP_ERR_FORMAT, "49.affys:49:", "ends after 49 values",
                 "RBM4_data_full_A_50");
    assert_null(ds);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    rbp_dataset *ds = NULL;
    rbp_dataset_options o = defaults();
    expect_error(rbp_dataset_load(NULL, RBP31, NULL), RBP_ERR_INVALID_ARG, "rbp_dataset_load", "'out'");
    expect_error(rbp_dataset_load(&ds, NULL, NULL), RBP_ERR_INVALID_ARG, "'path'");
    expect_error(rbp_dataset_load_pair(NULL, GP_POS, GP_NEG, NULL), RBP_ERR_INVALID_ARG, "'out'");
    expect_error(rbp_dataset_load_pair(&ds, NULL, GP_NEG, NULL), RBP_ERR_INVALID_ARG, "'positives'");
    expect_error(rbp_dataset_load_pair(&ds, GP_POS, NULL, NULL), RBP_ERR_INVALID_ARG, "'negatives'");
    const char *seqs[] = {"ACGU", NULL};
    const char *ids[] = {"a", NULL};
    expect_error(rbp_dataset_from_strings(NULL, seqs, NULL, NULL, 1, NULL), RBP_ERR_INVALID_ARG, "'out'");
    expect_error(rbp_dataset_from_strings(&ds, NULL, NULL, NULL, 1, NULL), RBP_ERR_INVALID_ARG, "'sequences'");
    expect_error(rbp_dataset_from_strings(&ds, seqs, NULL, NULL, 0, NULL), RBP_ERR_INVALID_ARG, "n is 0");
    expect_error(rbp_dataset_from_strings(&ds, seqs, NULL, NULL, 2, NULL), RBP_ERR_INVALID_ARG, "sequences[1] is NULL");
    seqs[1] = "GG";
    expect_error(rbp_dataset_from_strings(&ds, seqs, NULL, ids, 2, NULL), RBP_ERR_INVALID_ARG, "ids[1] is NULL");
    /* bad options, each named */
    o.version = 7;
    expect_error(rbp_dataset_load(&ds, RBP31, &o), RBP_ERR_INVALID_ARG, "rbp_dataset_load", "options.version");
    o = defaults();
    o.format = 42;
    expect_error(rbp_dataset_load(&ds, RBP31, &o), RBP_ERR_INVALID_ARG, "options.format");
    o = defaults();
    o.length = -1;
    expect_error(rbp_dataset_load(&ds, RBP31, &o), RBP_ERR_INVALID_ARG, "options.length");
    o = defaults();
    o.truncate = 9;
    expect_error(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, &o), RBP_ERR_INVALID_ARG, "options.truncate");
    o = defaults();
    o.max_record_length = 0;
    expect_error(rbp_dataset_from_strings(&ds, seqs, NULL, NULL, 1, &o), RBP_ERR_INVALID_ARG,
                 "rbp_dataset_options.max_record_length");
    o = defaults();
    o.delimiter = '"';
    expect_error(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_ERR_INVALID_ARG, "options.delimiter");
    o = defaults();
    o.case_viewpoint = 2;
    expect_error(rbp_dataset_load(&ds, RBP31, &o), RBP_ERR_INVALID_ARG, "options.case_viewpoint");
    o = defaults();
    o.require_target = -1;
    expect_error(rbp_dataset_load(&ds, RBP31, &o), RBP_ERR_INVALID_ARG, "options.require_target");
    o = defaults();
    o.sequence_column = NULL;
    expect_error(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_ERR_INVALID_ARG, "options.sequence_column");
    o = defaults();
    o.target_column = NULL;
    expect_error(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_ERR_INVALID_ARG, "options.target_column");
    o.require_target = 0; /* then it loads without targets */
    assert_int_equal(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_OK);
    assert_true(rbp_dataset_targets(ds)[0] == 0.0f);
    rbp_dataset_free(ds);
    o = defaults();
    o.affinity_path = RNAC_AFFYS;
    expect_error(rbp_dataset_load(&ds, STUDY_CSV, &o), RBP_ERR_INVALID_ARG, "options.affinity_path");
    expect_error(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, &o), RBP_ERR_INVALID_ARG, "options.affinity_path");
    o = defaults();
    o.format = RBP_FORMAT_GRAPHPROT;
    expect_error(rbp_dataset_load(&ds, GP_POS, &o), RBP_ERR_INVALID_ARG, "rbp_dataset_load_pair");
    o.format = RBP_FORMAT_CSV;
    expect_error(rbp_dataset_load_pair(&ds, GP_POS, GP_NEG, &o), RBP_ERR_INVALID_ARG, "options.format");
    assert_null(ds);
    /* accessors on NULL */
    assert_int_equal(rbp_dataset_size(NULL), 0);
    assert_non_null(strstr(rbp_last_error(), "'ds'"));
    assert_int_equal(rbp_dataset_length(NULL), 0);
    assert_int_equal(rbp_dataset_has_structure(NULL), 0);
    assert_null(rbp_dataset_tokens(NULL));
    assert_null(rbp_dataset_mask(NULL));
    assert_null(rbp_dataset_structure(NULL));
    assert_null(rbp_dataset_viewpoint(NULL));
    assert_null(rbp_dataset_targets(NULL));
    assert_null(rbp_dataset_id(NULL, 0));
    assert_int_equal(rbp_dataset_count_positive(NULL), 0);
    rbp_dataset_free(NULL);
}

/* ---------------------------------------------------------------- robustness */

/* Random edits of valid files (bytes that matter to the parsers) either load into a
 * consistent dataset or fail with a format error that names the file; never crash. */
static void test_mutations(void **state)
{
    (void)state;
    static const char *sources[] = {STUDY_CSV, LINES, RNAC_FA};
    static const char *names[] = {"mut.csv", "mut.txt", "mut.fa"};
    static const char alphabet[] = "\"\",\n\r>X(.) \tacgNn0-e#;";
    rbp_test_rng rng;
    rbp_test_rng_seed(&rng, 2024);
    rbp_dataset_options o = defaults();
    o.structure_column = "structure";
    int ok = 0, failed = 0;
    for (int src = 0; src < 3; src++) {
        size_t n;
        unsigned char *orig = rbp_test_read_file(sources[src], &n);
        unsigned char *buf = malloc(n + 16);
        for (int round = 0; round < 150; round++) {
            memcpy(buf, orig, n);
            size_t m = n;
            int edits = 1 + (int)(rbp_test_rng_u64(&rng) % 3);
            for (int e = 0; e < edits; e++) {
                size_t at = (size_t)(rbp_test_rng_u64(&rng) % m);
                char c = alphabet[rbp_test_rng_u64(&rng) % (sizeof alphabet - 1)];
                switch (rbp_test_rng_u64(&rng) % 3) {
                case 0: buf[at] = (unsigned char)c; break;
                case 1: memmove(buf + at, buf + at + 1, m - at - 1); m--; break;
                default: memmove(buf + at + 1, buf + at, m - at); buf[at] = (unsigned char)c; m++; break;
                }
            }
            const char *p = rbp_test_write_file(names[src], (const char *)buf, m);
            rbp_dataset *ds = NULL;
            rbp_status st = rbp_dataset_load(&ds, p, src == 0 ? &o : NULL);
            if (st == RBP_OK) {
                check_invariants(ds);
                rbp_dataset_free(ds);
                ok++;
            } else {
                assert_int_equal(st, RBP_ERR_FORMAT);
                assert_null(ds);
                assert_non_null(strstr(rbp_last_error(), names[src]));
                failed++;
            }
        }
        free(buf);
        free(orig);
    }
    assert_true(ok > 0 && failed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_init),
        cmocka_unit_test(test_char_tables),
        cmocka_unit_test(test_parse_number),
        cmocka_unit_test(test_fasta_rbp31_gz),
        cmocka_unit_test(test_graphprot_pair),
        cmocka_unit_test(test_truncation_modes),
        cmocka_unit_test(test_rnacompete_affys),
        cmocka_unit_test(test_csv_study_format),
        cmocka_unit_test(test_tsv),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_from_strings),
        cmocka_unit_test(test_crlf_and_bom),
        cmocka_unit_test(test_fasta_layout),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_format_detection),
        cmocka_unit_test(test_subset),
        cmocka_unit_test(test_split_stratified),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_batcher_epochs),
        cmocka_unit_test(test_batcher_structure),
        cmocka_unit_test(test_batcher_no_alloc),
        cmocka_unit_test(test_batcher_errors),
        cmocka_unit_test(test_bad_missing_file),
        cmocka_unit_test(test_bad_directory),
        cmocka_unit_test(test_bad_empty_file),
        cmocka_unit_test(test_bad_missing_column),
        cmocka_unit_test(test_bad_target_not_numeric),
        cmocka_unit_test(test_bad_target_nonfinite),
        cmocka_unit_test(test_bad_unknown_character),
        cmocka_unit_test(test_bad_record_without_sequence),
        cmocka_unit_test(test_bad_too_long),
        cmocka_unit_test(test_bad_gzip),
        cmocka_unit_test(test_bad_affys_count),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests_name("dataset", tests, NULL, NULL);
}
