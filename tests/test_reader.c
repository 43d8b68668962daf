/*
 * test_reader.c - the streaming reader (rbp_reader): for every format, reading in chunks of
 * 1, 7 and "all" gives exactly what rbp_dataset_load gives (rows, targets, ids), from gzip
 * and plain files, from a caller's FILE* (with and without a file descriptor) and from
 * standard input; errors carry the same "<file>:<line>:" as loading; a FASTA record split
 * over many lines and over the reader's buffer refills; and memory bounded by the chunk: a
 * steady stream allocates nothing per chunk, and the allocation count of a whole pass does
 * not depend on the length of the file.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>
#include "core/internal.h"

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

static void check_error(rbp_status st, rbp_status code, const char *a, const char *b)
{
    if (st != code || !strstr(rbp_last_error(), a) || (b && !strstr(rbp_last_error(), b)))
        print_error("  status %d (expected %d), message \"%s\" (expected \"%s\" and \"%s\")\n", st, code,
                    rbp_last_error(), a, b ? b : "");
    assert_int_equal(st, code);
    assert_non_null(strstr(rbp_last_error(), a));
    if (b)
        assert_non_null(strstr(rbp_last_error(), b));
}

/* Write `text` gzip-compressed (`members` concatenated gzip members) to a scratch file. */
static const char *write_gz(const char *name, const char *text, int members)
{
    const char *path = rbp_test_path(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t n = strlen(text), per = (n + (size_t)members - 1) / (size_t)members;
    for (size_t off = 0; off < n || off == 0; off += per) {
        size_t k = n - off < per ? n - off : per;
        uLongf cap = compressBound((uLong)k) + 64;
        unsigned char *buf = malloc(cap);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        zs.next_in = (Bytef *)(uintptr_t)(text + off);
        zs.avail_in = (uInt)k;
        zs.next_out = buf;
        zs.avail_out = (uInt)cap;
        assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
        assert_int_equal(fwrite(buf, 1, zs.total_out, f), zs.total_out);
        deflateEnd(&zs);
        free(buf);
        if (n == 0)
            break;
    }
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Rows i of a and j of b are identical (tokens, mask, viewpoint, structure, target, id). */
static void assert_same_row(const rbp_dataset *a, size_t i, const rbp_dataset *b, size_t j)
{
    size_t T = (size_t)rbp_dataset_length(a);
    assert_int_equal(rbp_dataset_length(b), T);
    assert_int_equal(rbp_dataset_has_structure(a), rbp_dataset_has_structure(b));
    assert_memory_equal(rbp_dataset_tokens(a) + i * T, rbp_dataset_tokens(b) + j * T, T);
    assert_memory_equal(rbp_dataset_mask(a) + i * T, rbp_dataset_mask(b) + j * T, T);
    assert_memory_equal(rbp_dataset_viewpoint(a) + i * T, rbp_dataset_viewpoint(b) + j * T, T);
    if (rbp_dataset_has_structure(a))
        assert_memory_equal(rbp_dataset_structure(a) + i * T, rbp_dataset_structure(b) + j * T, T);
    assert_true(rbp_dataset_targets(a)[i] == rbp_dataset_targets(b)[j]);
    assert_string_equal(rbp_dataset_id(a, i), rbp_dataset_id(b, j));
}

/* Read `r` to the end in chunks of `chunk` and compare with `whole`, row by row; frees r. */
static void assert_stream_equals(rbp_reader *r, size_t chunk, const rbp_dataset *whole)
{
    size_t n = rbp_dataset_size(whole), row = 0, chunks = 0;
    const rbp_dataset *c = NULL;
    int32_t rc;
    while ((rc = rbp_reader_next(r, chunk, &c)) == 1) {
        size_t k = rbp_dataset_size(c);
        assert_true(k >= 1 && k <= chunk);
        assert_true(row + k <= n);
        if (row + k < n)
            assert_int_equal(k, chunk); /* only the last chunk may be short */
        for (size_t i = 0; i < k; i++)
            assert_same_row(whole, row + i, c, i);
        row += k;
        chunks++;
    }
    if (rc < 0)
        print_error("  %s\n", rbp_last_error());
    assert_int_equal(rc, 0);
    assert_null(c);
    assert_int_equal(row, n);
    assert_int_equal(chunks, (n + chunk - 1) / chunk);
    assert_int_equal(rbp_reader_count(r), n);
    assert_int_equal(rbp_reader_next(r, chunk, &c), 0); /* and stays at the end */
    rbp_reader_free(r);
}

static const size_t chunk_sizes[] = {1, 7, 1000000};

/* Load `path` whole with `o`, then stream it (path, FILE*) in every chunk size: the same. */
static void check_format(const char *path, rbp_dataset_options *o, int32_t want_format)
{
    rbp_dataset *whole = NULL;
    if (rbp_dataset_load(&whole, path, o) != RBP_OK)
        print_error("  %s\n", rbp_last_error());
    assert_non_null(whole);
    /* fixed-width chunks: the model length as predict sets it */
    rbp_dataset_options so = *o;
    so.length = rbp_dataset_length(whole);
    rbp_dataset *fixed = NULL;
    assert_int_equal(rbp_dataset_load(&fixed, path, &so), RBP_OK);
    for (size_t k = 0; k < sizeof chunk_sizes / sizeof chunk_sizes[0]; k++) {
        rbp_reader *r = NULL;
        assert_int_equal(rbp_reader_open(&r, path, &so), RBP_OK);
        assert_int_equal(rbp_reader_format(r), want_format);
        assert_stream_equals(r, chunk_sizes[k], fixed);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        assert_int_equal(rbp_reader_open_file(&r, fp, path, &so), RBP_OK);
        assert_stream_equals(r, chunk_sizes[k], fixed);
        fclose(fp);
    }
    /* options.length 0 and one big chunk: exactly the loaded dataset, T included */
    rbp_reader *r = NULL;
    assert_int_equal(rbp_reader_open(&r, path, o), RBP_OK);
    assert_stream_equals(r, 1000000, whole);
    rbp_dataset_free(fixed);
    rbp_dataset_free(whole);
}

/* ---------------------------------------------------------------- formats */

static void test_fasta_gz_rbp31(void **state)
{
    (void)state;
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    check_format(RBP31, &o, RBP_FORMAT_FASTA);
    o.truncate = RBP_TRUNCATE_CENTER;
    o.length = 41;
    check_format(RBP31, &o, RBP_FORMAT_FASTA);
}

static void test_fasta_multiline_plain_and_gz(void **state)
{
    (void)state;
    /* wrapped lines, blank lines, ';' comments, CRLF, a BOM, mixed case, a label as last word */
    const char *text = "\xEF\xBB\xBF>r1 class:1\r\nACGU\r\nacgu\r\n\r\n>r2; class:0\nGGGG\n;comment\nCCCC\nAAAA\n"
                       ">r3 class:1\nNNRY\n>r4 0.25\nuuuuACGUuuuu\n>  \nACG\n";
    const char *plain = rbp_test_write_file("multi.fa", text, (size_t)-1);
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.require_target = 0; /* the empty header has no label */
    check_format(plain, &o, RBP_FORMAT_FASTA);
    check_format(write_gz("multi.fa.gz", text, 1), &o, RBP_FORMAT_FASTA);
    /* several gzip members (bgzip style), and no extension: the format from the content */
    check_format(write_gz("multi_members.gz", text, 3), &o, RBP_FORMAT_FASTA);
    o.fasta_full_header = 1;
    check_format(plain, &o, RBP_FORMAT_FASTA);
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_load(&ds, plain, &o), RBP_OK);
    assert_string_equal(rbp_dataset_id(ds, 1), "r2; class:0");
    assert_string_equal(rbp_dataset_id(ds, 4), "line14"); /* an empty header */
    rbp_dataset_free(ds);
}

static void test_csv_tsv_lines(void **state)
{
    (void)state;
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    check_format(STUDY_CSV, &o, RBP_FORMAT_CSV);
    check_format(STUDY_TSV, &o, RBP_FORMAT_TSV);
    o.structure_column = "structure";
    check_format(STUDY_CSV, &o, RBP_FORMAT_CSV);
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    check_format(LINES, &o, RBP_FORMAT_LINES);
    /* quotes, a line break inside a quoted field, an id column, unlabelled */
    const char *csv = rbp_test_write_file("q.csv", "name,\"sequence\"\r\n\"a,1\",ACGU\n\"b\"\"\nx\",\"ACGU\"\n\n"
                                          "c,GGGa\n", (size_t)-1);
    o.target_column = NULL;
    o.require_target = 0;
    o.id_column = "name";
    check_format(csv, &o, RBP_FORMAT_CSV);
    check_format(write_gz("q.csv.gz", "name,\"sequence\"\r\n\"a,1\",ACGU\n\"b\nx\",\"ACGU\"\n", 1), &o,
                 RBP_FORMAT_CSV);
}

static void test_graphprot_pair_and_rnacompete(void **state)
{
    (void)state;
    rbp_dataset *whole = NULL;
    assert_int_equal(rbp_dataset_load_pair(&whole, GP_POS, GP_NEG, NULL), RBP_OK);
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.length = rbp_dataset_length(whole);
    rbp_dataset *fixed = NULL;
    assert_int_equal(rbp_dataset_load_pair(&fixed, GP_POS, GP_NEG, &o), RBP_OK);
    for (size_t k = 0; k < sizeof chunk_sizes / sizeof chunk_sizes[0]; k++) {
        rbp_reader *r = NULL;
        assert_int_equal(rbp_reader_open_pair(&r, GP_POS, GP_NEG, &o), RBP_OK);
        assert_int_equal(rbp_reader_format(r), RBP_FORMAT_GRAPHPROT);
        assert_stream_equals(r, chunk_sizes[k], fixed); /* 7 straddles the file change */
    }
    rbp_dataset_free(fixed);
    rbp_dataset_free(whole);
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.affinity_path = RNAC_AFFYS;
    check_format(RNAC_FA, &o, RBP_FORMAT_RNACOMPETE);
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    check_format(RNAC_FA, &o, RBP_FORMAT_FASTA); /* values in the headers */
}

/* ---------------------------------------------------------------- streams */

/* A scratch file opened for reading with `text` in it. */
static FILE *file_with(const char *text, size_t n)
{
    FILE *fp = tmpfile();
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, n, fp), n);
    rewind(fp);
    return fp;
}

static void test_file_stream_and_stdin(void **state)
{
    (void)state;
    size_t gzn = 0;
    unsigned char *gz = rbp_test_read_file(RBP31, &gzn);
    rbp_dataset *whole = NULL;
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.length = 101;
    assert_int_equal(rbp_dataset_load(&whole, RBP31, &o), RBP_OK);

    /* a FILE* without a name: gzip detected from the bytes, FASTA from the content */
    FILE *fp = file_with((const char *)gz, gzn);
    rbp_reader *r = NULL;
    assert_int_equal(rbp_reader_open_file(&r, fp, NULL, &o), RBP_OK);
    assert_int_equal(rbp_reader_format(r), RBP_FORMAT_FASTA);
    assert_stream_equals(r, 7, whole);
    fclose(fp);

    /* the stream's own position and buffering are respected: text before is skipped by the
     * caller with stdio, the reader starts there */
    size_t tn = 0;
    gzFile g = gzopen(RBP31, "rb");
    char *text = malloc(1 << 20);
    int got = gzread(g, text, 1 << 20);
    gzclose(g);
    assert_true(got > 0);
    tn = (size_t)got;
    char *prefixed = malloc(tn + 32);
    memcpy(prefixed, "skip this line\n", 15);
    memcpy(prefixed + 15, text, tn);
    fp = file_with(prefixed, tn + 15);
    char skip[64];
    assert_non_null(fgets(skip, sizeof skip, fp));
    assert_int_equal(rbp_reader_open_file(&r, fp, "<pipe>", &o), RBP_OK);
    assert_stream_equals(r, 1000, whole);
    fclose(fp);

    /* a stream without a file descriptor (fmemopen) */
    fp = fmemopen(text, tn, "rb");
    assert_non_null(fp);
    assert_int_equal(rbp_reader_open_file(&r, fp, "mem", &o), RBP_OK);
    assert_true(rbp_reader_progress(r) == -1.0); /* no size known */
    assert_stream_equals(r, 64, whole);
    fclose(fp);

    /* a pipe (gzip bytes, no size, no seeking) */
    fp = popen("cat '" RBP31 "'", "r");
    assert_non_null(fp);
    assert_int_equal(rbp_reader_open_file(&r, fp, "<pipe>", &o), RBP_OK);
    assert_true(rbp_reader_progress(r) == -1.0);
    assert_stream_equals(r, 33, whole);
    assert_int_equal(pclose(fp), 0);

    /* "-": standard input, for the reader and for rbp_dataset_load */
    fflush(stdin);
    assert_non_null(freopen(RBP31, "rb", stdin));
    assert_int_equal(rbp_reader_open(&r, "-", &o), RBP_OK);
    assert_stream_equals(r, 50, whole);
    assert_non_null(freopen(RBP31, "rb", stdin));
    rbp_dataset *ds = NULL;
    assert_int_equal(rbp_dataset_load(&ds, "-", &o), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), rbp_dataset_size(whole));
    assert_same_row(whole, 199, ds, 199);
    rbp_dataset_free(ds);
    /* an empty standard input: no records for the reader, an error naming <stdin> for load */
    assert_non_null(freopen("/dev/null", "rb", stdin));
    assert_int_equal(rbp_reader_open(&r, "-", &o), RBP_OK);
    const rbp_dataset *c = NULL;
    assert_int_equal(rbp_reader_next(r, 10, &c), 0);
    rbp_reader_free(r);
    assert_non_null(freopen("/dev/null", "rb", stdin));
    check_error(rbp_dataset_load(&ds, "-", &o), RBP_ERR_FORMAT, "<stdin>:1: no records", NULL);

    free(prefixed);
    free(text);
    free(gz);
    rbp_dataset_free(whole);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    const char *files[] = {"empty.fa", "empty.csv", "empty.txt", "blank.fa"};
    const char *texts[] = {"", "", "", "\n\n  \n"};
    for (size_t i = 0; i < 4; i++) {
        const char *p = rbp_test_write_file(files[i], texts[i], (size_t)-1);
        rbp_reader *r = NULL;
        assert_int_equal(rbp_reader_open(&r, p, NULL), RBP_OK);
        static const int poison = 0;
        const rbp_dataset *c = (const rbp_dataset *)(const void *)&poison;
        assert_int_equal(rbp_reader_next(r, 5, &c), 0);
        assert_null(c);
        assert_int_equal(rbp_reader_count(r), 0);
        rbp_reader_free(r);
        rbp_dataset *ds = NULL;
        assert_true(rbp_dataset_load(&ds, p, NULL) == RBP_ERR_FORMAT);
    }
    /* a header only */
    const char *hdr = rbp_test_write_file("hdr.csv", "sequence,RKA\n", (size_t)-1);
    rbp_reader *r = NULL;
    assert_int_equal(rbp_reader_open(&r, hdr, NULL), RBP_OK);
    const rbp_dataset *c = NULL;
    assert_int_equal(rbp_reader_next(r, 5, &c), 0);
    rbp_reader_free(r);
}

/* ---------------------------------------------------------------- errors */

/* The error of loading `path` whole and of streaming it in chunks of 1 and 7 is the same. */
static void check_same_error(const char *path, const rbp_dataset_options *o, rbp_status code, const char *where,
                             const char *what)
{
    rbp_dataset *ds = NULL;
    check_error(rbp_dataset_load(&ds, path, o), code, where, what);
    char whole_msg[512];
    snprintf(whole_msg, sizeof whole_msg, "%s", rbp_last_error());
    for (size_t k = 0; k < 2; k++) {
        rbp_reader *r = NULL;
        rbp_status st = rbp_reader_open(&r, path, o);
        if (st == RBP_OK) {
            const rbp_dataset *c = NULL;
            int32_t rc;
            size_t rows = 0;
            while ((rc = rbp_reader_next(r, chunk_sizes[k], &c)) == 1)
                rows += rbp_dataset_size(c);
            st = (rbp_status)rc;
            assert_null(c);
            rbp_reader_free(r);
        }
        check_error(st, code, where, what);
        assert_string_equal(rbp_last_error(), whole_msg);
    }
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    /* a bad character in the 9th record, past the first chunks */
    char text[4096] = "";
    for (int i = 0; i < 8; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), ">r%d class:1\nACGU\nACGU\n", i);
    strcat(text, ">bad class:0\nACGU\nAC*U\n");
    check_same_error(rbp_test_write_file("bad.fa", text, (size_t)-1), &o, RBP_ERR_FORMAT, "bad.fa:27:",
                     "unknown character '*' at position 7 of the sequence of record 'bad'");
    check_same_error(write_gz("bad.fa.gz", text, 1), &o, RBP_ERR_FORMAT, "bad.fa.gz:27:", "'*'");
    check_same_error(rbp_test_write_file("nolabel.fa", ">a class:1\nACGU\n>b\nACGU\n", (size_t)-1), &o,
                     RBP_ERR_FORMAT, "nolabel.fa:3:", "no label");
    check_same_error(rbp_test_write_file("bad.csv", "sequence,RKA\nACGU,1\nACGU,1\nACGU\n", (size_t)-1), &o,
                     RBP_ERR_FORMAT, "bad.csv:4:", "1 fields, but the header has 2");
    check_same_error(rbp_test_write_file("bad.txt", "ACGU 1\nACGU 1\nACGU x\n", (size_t)-1), &o, RBP_ERR_FORMAT,
                     "bad.txt:3:", "not a number");
    check_same_error(rbp_test_write_file("open.csv", "sequence,RKA\nACGU,1\n\"ACGU,1\n", (size_t)-1), &o,
                     RBP_ERR_FORMAT, "open.csv:3:", "not closed");
    o.max_record_length = 10;
    check_same_error(rbp_test_write_file("long.fa", ">a 1\nACGU\n>b 1\nACGUAC\nACGUAC\n", (size_t)-1), &o,
                     RBP_ERR_FORMAT, "long.fa:5:", "longer than the maximum record length 10");
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.affinity_path = rbp_test_write_file("short.affys", "1\n2\n", (size_t)-1);
    check_same_error(rbp_test_write_file("three.fa", ">a\nACGU\n>b\nACGU\n>c\nACGU\n", (size_t)-1), &o,
                     RBP_ERR_FORMAT, "short.affys:2:", "ends after 2 values");

    /* damaged gzip through a FILE*: the same messages as through a path */
    size_t n = 0;
    unsigned char *gz = rbp_test_read_file(RBP31, &n);
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    size_t cuts[] = {n / 3, n - 4};
    for (size_t i = 0; i < 2; i++) {
        const char *p = rbp_test_write_file("cut.fa.gz", (const char *)gz, cuts[i]);
        rbp_dataset *ds = NULL;
        check_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "truncated gzip data", NULL);
        char want[64];
        snprintf(want, sizeof want, "%s", strstr(rbp_last_error(), "cut.fa.gz:"));
        *strstr(want, " truncated") = '\0'; /* "cut.fa.gz:<line>:" */
        FILE *fp = file_with((const char *)gz, cuts[i]);
        rbp_reader *r = NULL;
        assert_int_equal(rbp_reader_open_file(&r, fp, "cut.fa.gz", &o), RBP_OK);
        const rbp_dataset *c;
        int32_t rc;
        while ((rc = rbp_reader_next(r, 7, &c)) == 1)
            ;
        check_error((rbp_status)rc, RBP_ERR_FORMAT, want, "truncated gzip data");
        rbp_reader_free(r);
        fclose(fp);
    }
    gz[n / 2] ^= 0xA5;
    gz[n / 2 + 1] ^= 0x5A;
    /* with "bad.fa.gz" the format comes from the name and the damage shows while reading;
     * with "bad.gz" it is sniffed, and opening already reads (and fails) */
    FILE *fp = file_with((const char *)gz, n);
    rbp_reader *r = NULL;
    assert_int_equal(rbp_reader_open_file(&r, fp, "bad.fa.gz", &o), RBP_OK);
    const rbp_dataset *c;
    int32_t rc;
    while ((rc = rbp_reader_next(r, 7, &c)) == 1)
        ;
    check_error((rbp_status)rc, RBP_ERR_FORMAT, "bad.fa.gz:1: corrupt gzip data", NULL);
    check_error(rbp_reader_next(r, 7, &c), RBP_ERR_FORMAT, "bad.fa.gz:1: corrupt gzip data", NULL); /* sticky */
    rbp_reader_free(r);
    rewind(fp);
    check_error(rbp_reader_open_file(&r, fp, "bad.gz", &o), RBP_ERR_FORMAT, "bad.gz:1: corrupt gzip data", NULL);
    assert_null(r);
    fclose(fp);
    free(gz);
}

/* Other compressions are named, not parsed as text; bytes after the gzip stream are an error
 * (zlib's gzread used to drop them silently); concatenated members are all read. */
static void test_compression_by_magic(void **state)
{
    (void)state;
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    static const struct {
        const char *name, *bytes, *want;
        size_t len;
    } kinds[] = {{"a.fa.bz2", "BZh91AY&SY", "bzip2-compressed data are not supported", 10},
                 {"a.fa.xz", "\xfd" "7zXZ\0\0\4", "xz-compressed data are not supported", 8},
                 {"a.fa.zst", "\x28\xb5\x2f\xfd\x24\x00", "zstd-compressed data are not supported", 6},
                 {"a.fa.zip", "PK\3\4\x14\0", "zip-compressed data are not supported", 6}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const char *p = rbp_test_write_file(kinds[i].name, kinds[i].bytes, kinds[i].len);
        rbp_dataset *ds = NULL;
        check_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, kinds[i].name, kinds[i].want);
        assert_null(ds);
    }
    /* a line that merely starts with "BZh" is text */
    const char *lines = rbp_test_write_file("bzh.txt", "BZhACGU 1\n", (size_t)-1);
    rbp_dataset *ds = NULL;
    assert_int_not_equal(rbp_dataset_load(&ds, lines, &o), RBP_OK); /* not a sequence, but ... */
    assert_null(strstr(rbp_last_error(), "compressed"));              /* ... not called bzip2 */

    const char *text = ">a class:1\nACGU\n>b class:0\nUGCA\n>c class:1\nAAAA\n";
    const char *p = write_gz("three.fa.gz", text, 3);
    assert_int_equal(rbp_dataset_load(&ds, p, &o), RBP_OK);
    assert_int_equal(rbp_dataset_size(ds), 3);
    rbp_dataset_free(ds);
    ds = NULL;
    size_t n = 0;
    unsigned char *gz = rbp_test_read_file(p, &n);
    unsigned char *junk = malloc(n + 5);
    memcpy(junk, gz, n);
    memcpy(junk + n, "junk\n", 5);
    p = rbp_test_write_file("junk.fa.gz", (const char *)junk, n + 5);
    check_error(rbp_dataset_load(&ds, p, &o), RBP_ERR_FORMAT, "junk.fa.gz", "data after the end of the gzip stream");
    assert_null(ds);
    FILE *fp = file_with((const char *)junk, n + 5);
    rbp_reader *r = NULL;
    assert_int_equal(rbp_reader_open_file(&r, fp, "junk.fa.gz", &o), RBP_OK);
    const rbp_dataset *c;
    int32_t rc;
    while ((rc = rbp_reader_next(r, 7, &c)) == 1)
        ;
    check_error((rbp_status)rc, RBP_ERR_FORMAT, "junk.fa.gz", "data after the end of the gzip stream");
    rbp_reader_free(r);
    fclose(fp);
    free(junk);
    free(gz);
}

/* Found by fuzz_csv/fuzz_tsv/fuzz_stream: an empty first sequence field did pointer
 * arithmetic on the builder's still-NULL buffer (UBSan). It is an error naming the record. */
static void test_empty_first_sequence(void **state)
{
    (void)state;
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    rbp_dataset *ds = NULL;
    check_error(rbp_dataset_load(&ds, rbp_test_write_file("empty_seq.csv", "sequence,RKA\n,1\nACGU,0\n", (size_t)-1), &o),
                RBP_ERR_FORMAT, "empty_seq.csv:2:", "has no sequence");
    assert_null(ds);
    o.format = RBP_FORMAT_TSV;
    check_error(rbp_dataset_load(&ds, rbp_test_write_file("empty_seq.tsv", "sequence\tRKA\n\t1\n", (size_t)-1), &o),
                RBP_ERR_FORMAT, "empty_seq.tsv:2:", "has no sequence");
}

/* ---------------------------------------------------------------- long records */

static void test_record_spanning_chunks_and_buffers(void **state)
{
    (void)state;
    /* record 2 is 700,000 nt over 60-column lines (the line reader's buffer is 256 KiB, so it
     * spans several refills); records around it are short */
    size_t big = 700000, cap = big + big / 60 + 4096, w = 0;
    char *text = malloc(cap);
    w += (size_t)snprintf(text + w, cap - w, ">a class:1\nACGU\n>big class:0\n");
    rbp_test_rng rng;
    rbp_test_rng_seed(&rng, 7);
    for (size_t i = 0; i < big; i++) {
        text[w++] = "ACGUacgu"[rbp_test_rng_u64(&rng) % 8];
        if (i % 60 == 59)
            text[w++] = '\n';
    }
    w += (size_t)snprintf(text + w, cap - w, "\n>c class:1\nGG\nGG\n>d class:0\nUUUU\n");
    const char *path = rbp_test_write_file("big.fa", text, w);
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.max_record_length = 1000000;
    check_format(path, &o, RBP_FORMAT_FASTA);
    o.truncate = RBP_TRUNCATE_CENTER;
    o.length = 101;
    check_format(path, &o, RBP_FORMAT_FASTA);
    rbp_reader *r = NULL;
    assert_int_equal(rbp_reader_open(&r, path, &o), RBP_OK);
    const rbp_dataset *c = NULL;
    assert_int_equal(rbp_reader_next(r, 2, &c), 1);
    assert_int_equal(rbp_dataset_size(c), 2);
    assert_string_equal(rbp_dataset_id(c, 1), "big");
    assert_int_equal(rbp_reader_longest(r), (int64_t)big);
    double f = rbp_reader_progress(r);
    assert_true(f > 0.0 && f <= 1.0);
    assert_int_equal(rbp_reader_next(r, 2, &c), 1);
    assert_string_equal(rbp_dataset_id(c, 0), "c");
    assert_int_equal(rbp_reader_next(r, 2, &c), 0);
    assert_true(rbp_reader_progress(r) == 1.0);
    rbp_reader_free(r);
    free(text);
}

/* ---------------------------------------------------------------- bounded memory */

/* A FASTA of n records of 101 nt over two lines, with fixed-width ids and labels. */
static const char *write_windows(const char *name, size_t n, int gz)
{
    size_t cap = n * 140 + 16, w = 0;
    char *text = malloc(cap);
    rbp_test_rng rng;
    rbp_test_rng_seed(&rng, 11);
    for (size_t i = 0; i < n; i++) {
        w += (size_t)snprintf(text + w, cap - w, ">w%08zu class:%d\n", i, (int)(i % 2));
        for (int j = 0; j < 101; j++) {
            text[w++] = "ACGU"[rbp_test_rng_u64(&rng) % 4];
            if (j == 59)
                text[w++] = '\n';
        }
        text[w++] = '\n';
    }
    text[w] = '\0';
    const char *p = gz ? write_gz(name, text, 1) : rbp_test_write_file(name, text, w);
    free(text);
    return p;
}

/* Allocations of one whole pass in chunks of 100, and of the chunks after the first two. */
static void pass_allocations(const char *path, uint64_t *total, uint64_t *steady, size_t *rows)
{
    rbp_dataset_options o;
    rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION);
    o.length = 101;
    uint64_t a0 = rbp__alloc_count(), a2 = 0;
    rbp_reader *r = NULL;
    assert_int_equal(rbp_reader_open(&r, path, &o), RBP_OK);
    const rbp_dataset *c = NULL;
    size_t k = 0;
    *rows = 0;
    while (rbp_reader_next(r, 100, &c) == 1) {
        *rows += rbp_dataset_size(c);
        if (++k == 2)
            a2 = rbp__alloc_count();
    }
    *steady = rbp__alloc_count() - a2;
    rbp_reader_free(r);
    *total = rbp__alloc_count() - a0;
}

static void test_memory_bounded_by_chunk(void **state)
{
    (void)state;
    for (int gz = 0; gz <= 1; gz++) {
        uint64_t total_small, total_big, steady_small, steady_big;
        size_t rows_small, rows_big;
        pass_allocations(write_windows(gz ? "w1k.fa.gz" : "w1k.fa", 1000, gz), &total_small, &steady_small,
                         &rows_small);
        pass_allocations(write_windows(gz ? "w20k.fa.gz" : "w20k.fa", 20000, gz), &total_big, &steady_big,
                         &rows_big);
        assert_int_equal(rows_small, 1000);
        assert_int_equal(rows_big, 20000);
        print_message("    %s: %llu allocations for 1000 records, %llu for 20000; %llu after the second chunk\n",
                      gz ? "gzip" : "plain", (unsigned long long)total_small, (unsigned long long)total_big,
                      (unsigned long long)steady_big);
        assert_int_equal(steady_small, 0); /* chunks 3.. reuse every buffer */
        assert_int_equal(steady_big, 0);
        assert_int_equal(total_small, total_big); /* a 20x longer file costs nothing more */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fasta_gz_rbp31),
        cmocka_unit_test(test_fasta_multiline_plain_and_gz),
        cmocka_unit_test(test_csv_tsv_lines),
        cmocka_unit_test(test_graphprot_pair_and_rnacompete),
        cmocka_unit_test(test_file_stream_and_stdin),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_compression_by_magic),
        cmocka_unit_test(test_empty_first_sequence),
        cmocka_unit_test(test_record_spanning_chunks_and_buffers),
        cmocka_unit_test(test_memory_bounded_by_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
