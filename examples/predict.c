/*
 * predict.c - rbpattn-predict: score sequences with a trained model, as TSV "id<TAB>score".
 *
 * Input is FASTA (plain or .gz), CSV/TSV with a sequence column, or one sequence per line,
 * from a file or stdin ("-"). It is streamed through the library's rbp_reader: each chunk of
 * records is encoded with the model's length and scored in batches, so memory stays bounded
 * by the chunk size however large the input. Scores are probabilities for a classification
 * model and predicted values for a regression model.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rbpattn/rbpattn.h>

#include "cli/cli.h"
#include "cli/opts.h"

/* --format values and the reader format each one means. */
static const char *const format_names[] = {"auto", "fasta", "csv", "tsv", "lines", NULL};
static const int32_t format_values[] = {RBP_FORMAT_AUTO, RBP_FORMAT_FASTA, RBP_FORMAT_CSV, RBP_FORMAT_TSV,
                                        RBP_FORMAT_LINES};

typedef struct args {
    const char *model, *out, *sequence_column, *id_column, *structure_column;
    int32_t format, truncate, no_case, full_header, no_header, chunk, batch, max_length, threads, quiet;
    int32_t case_vp, force;
} args;

/* One row; a tab or line break inside an id (CSV ids may hold them) would break the TSV. */
static void write_row(FILE *out, const char *id, float score)
{
    for (const char *p = id; *p; p++)
        putc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, out);
    fprintf(out, "\t%.9g\n", (double)score);
}

int main(int argc, char **argv)
{
    cli_set_program("rbpattn-predict");
    args a;
    memset(&a, 0, sizeof a);
    a.chunk = 4096;
    a.batch = 256;
    a.max_length = 100000;
    a.threads = 1;
    a.truncate = RBP_TRUNCATE_RIGHT;

    cli_option opts[] = {
        CLI_SECTION("Model and input"),
        CLI_MODEL_OPTION(a.model),
        {"format", 'f', CLI_OPT_CHOICE, &a.format, NULL,
         "input format (default auto: from the extension, else from the\ncontent)", CLI_RANGE_NONE,
         format_names, 0},
        {"sequence-column", 0, CLI_OPT_STRING, &a.sequence_column, "NAME",
         "CSV/TSV column of the sequences (default sequence)", CLI_RANGE_NONE, NULL, 0},
        {"id-column", 0, CLI_OPT_STRING, &a.id_column, "NAME", "CSV/TSV column of the ids (default line<N>)",
         CLI_RANGE_NONE, NULL, 0},
        {"structure-column", 0, CLI_OPT_STRING, &a.structure_column, "NAME",
         "CSV/TSV column of dot-bracket structures, for models trained with\none",
         CLI_RANGE_NONE, NULL, 0},
        {"full-header", 0, CLI_OPT_FLAG, &a.full_header, NULL,
         "FASTA: the whole header line is the id (default: its first\nword, without a trailing ';' or ',')", CLI_RANGE_NONE, NULL, 0},
        {"truncate", 0, CLI_OPT_CHOICE, &a.truncate, NULL,
         "which part of a sequence longer than the model to keep (right = the\nstart, center = around the viewpoint; default: as in training)",
         CLI_RANGE_NONE, cli_truncate_names, 0},
        {"no-case-viewpoint", 0, CLI_OPT_FLAG, &a.no_case, NULL,
         "ignore letter case (else lowercase = context, UPPERCASE = viewpoint)", CLI_RANGE_NONE, NULL, 0},
        CLI_MODEL_ENCODING_OPTIONS(a.case_vp, a.force),
        {"max-length", 0, CLI_OPT_INT, &a.max_length, "N", "reject a sequence longer than N (default 100000)", 1,
         INT32_MAX, NULL, 0},
        CLI_SECTION("Output and performance"),
        {"out", 'o', CLI_OPT_STRING, &a.out, "FILE", "write the TSV here (default stdout)", CLI_RANGE_NONE, NULL, 0},
        {"no-header", 0, CLI_OPT_FLAG, &a.no_header, NULL, "omit the 'id<TAB>score' header line", CLI_RANGE_NONE,
         NULL, 0},
        {"chunk", 0, CLI_OPT_INT, &a.chunk, "N", "records read and scored per chunk (default 4096)", 1, 1 << 24,
         NULL, 0},
        {"batch", 'b', CLI_OPT_INT, &a.batch, "N", "inference batch size (default 256)", 1, 1 << 20, NULL, 0},
        CLI_THREADS_OPTION(a.threads),
        CLI_QUIET_OPTION(a.quiet),
        CLI_END_OPTIONS,
    };
    const cli_program_info info = {
        "rbpattn-predict --model FILE [options] INPUT|-",
        "Score sequences with a trained model: one line 'id<TAB>score' per record (a probability\n"
        "for classification models, a value for regression models). INPUT is FASTA (.fa,\n"
        ".fa.gz), CSV/TSV with a header, or one sequence per line; '-' reads stdin (plain or\n"
        "gzip). The input is streamed in chunks, so it may be as large as a genome.",
        "  rbpattn-predict --model pum2.rbp data/pum2/test.fa.gz > scores.tsv\n"
        "  zcat windows.fa.gz | rbpattn-predict -m pum2.rbp --threads 4 -o scores.tsv -\n"
        "  rbpattn-predict -m model.rbp --sequence-column seq --id-column name probes.csv\n",
        "INPUT",
        1,
    };
    const char *pos[1] = {NULL};
    int npos = 0;
    cli_parse(argc, argv, opts, &info, pos, &npos);
    cli_resolve_model(&a.model, "--model", "missing --model FILE");
    if (npos == 0)
        cli_usage_error("missing INPUT (a file, or '-' for stdin)");
    {
        const cli_path in[] = {{"--model", a.model, 0}, {"", pos[0], 0}};
        const cli_path out[] = {{"-o", a.out, 0}};
        cli_check_outputs(in, 2, out, 1);
    }
    int32_t fmt = format_values[a.format];
    /* Threads go to the session (batches scored side by side), not to the BLAS inside each
     * batch: the models are small, and data parallelism scales where BLAS threads do not. */
    cli_check(rbp_set_num_threads(1));

    rbp_model *model = NULL;
    cli_check(rbp_model_load(&model, a.model));
    rbp_model_config cfg;
    cli_check(rbp_model_get_config(model, &cfg));
    rbp_session_options sopt;
    cli_check(rbp_session_options_init(&sopt, RBP_SESSION_OPTIONS_VERSION));
    sopt.n_threads = a.threads;
    rbp_session *session = NULL;
    cli_check(rbp_session_create(&session, model, &sopt));
    rbp_dataset_options dopt;
    cli_check(rbp_dataset_options_init(&dopt, RBP_DATASET_OPTIONS_VERSION));
    dopt.structure_column = a.structure_column;
    cli_model_encoding(&dopt, model, a.model, opts); /* length, truncation, case: as trained */
    if (cfg.use_structure && dopt.structure_column == NULL)
        cli_usage_error("%s uses a structure channel: give --structure-column NAME (CSV/TSV input)", a.model);
    if (!cfg.use_structure && a.structure_column != NULL)
        cli_usage_error("--structure-column: %s does not use structure", a.model);

    const char *out_path = a.out != NULL ? a.out : "-";
    const char *in_name = strcmp(pos[0], "-") == 0 ? "<stdin>" : pos[0];
    dopt.format = fmt;
    dopt.max_record_length = a.max_length;
    dopt.require_target = 0; /* unlabelled input; a label that is there is read and ignored */
    dopt.target_column = NULL;
    dopt.id_column = a.id_column;
    dopt.fasta_full_header = a.full_header;
    if (a.sequence_column != NULL)
        dopt.sequence_column = a.sequence_column;
    rbp_reader *reader = NULL;
    cli_check(rbp_reader_open(&reader, pos[0], &dopt));
    int32_t got_fmt = rbp_reader_format(reader);
    if (cfg.use_structure && got_fmt != RBP_FORMAT_CSV && got_fmt != RBP_FORMAT_TSV)
        cli_usage_error("%s uses a structure channel: the input must be CSV/TSV with a structure column", a.model);
    if (a.id_column != NULL && got_fmt != RBP_FORMAT_CSV && got_fmt != RBP_FORMAT_TSV)
        cli_usage_error("--id-column applies to CSV/TSV input");

    FILE *out = cli_open_output(out_path);
    if (!a.no_header)
        fprintf(out, "id\tscore\n");

    cli_progress progress;
    cli_progress_init(&progress, !a.quiet);
    float *pred = cli_xmalloc((size_t)a.chunk * sizeof *pred);
    double t0 = cli_now();
    size_t done = 0;
    int warned_long = 0;
    for (;;) {
        const rbp_dataset *chunk = NULL;
        int32_t rc = rbp_reader_next(reader, (size_t)a.chunk, &chunk);
        if (rc < 0) {
            cli_progress_clear(&progress);
            cli_fail_status((rbp_status)rc);
        }
        if (rc == 0)
            break;
        size_t n = rbp_dataset_size(chunk);
        rbp_status st = rbp_session_predict(session, chunk, a.batch, pred);
        if (st != RBP_OK) {
            cli_progress_clear(&progress);
            cli_fail("%s: records %zu-%zu: %s", in_name, done + 1, done + n, rbp_last_error());
        }
        for (size_t i = 0; i < n; i++)
            write_row(out, rbp_dataset_id(chunk, i), pred[i]);
        int64_t longest = rbp_reader_longest(reader);
        /* only a model that does not record its truncation (formats 1 and 2) can be misread */
        if (!warned_long && !cli_given(opts, "truncate") && !a.quiet && longest > cfg.seq_len &&
            rbp_model_meta_type(model, "encoding.truncate") == RBP_META_NONE) {
            cli_progress_clear(&progress);
            cli_warn("some sequences (up to %lld nt) are longer than the model (%d): their first %d nt are scored "
                     "(use --truncate as in training)",
                     (long long)longest, cfg.seq_len, cfg.seq_len);
            warned_long = 1;
        }
        if (ferror(out))
            break; /* reported by cli_close_output */
        done += n;
        double elapsed = cli_now() - t0;
        double frac = rbp_reader_progress(reader);
        double eta = frac > 0.01 ? elapsed * (1.0 - frac) / frac : -1;
        char extra[48];
        snprintf(extra, sizeof extra, "%s%zu sequences", frac >= 0 ? " " : "", done);
        progress.percent = frac >= 0;
        cli_progress_show(&progress, "predict", frac >= 0 ? frac : (double)done, frac >= 0 ? 1.0 : 0,
                          frac >= 0 ? extra : NULL, (double)done / elapsed, "seq", eta, 0);
    }
    cli_progress_clear(&progress);
    cli_close_output(out, out_path);
    if (!a.quiet && done > 0) {
        char d[32];
        double el = cli_now() - t0;
        fprintf(stderr, "%s: scored %zu sequences in %s (%.0f seq/s)\n", cli_program(), done,
                cli_format_duration(d, sizeof d, el), el > 0 ? (double)done / el : 0.0);
    }
    if (done == 0)
        cli_warn("no sequences in %s", in_name);
    free(pred);
    rbp_reader_free(reader);
    rbp_session_free(session);
    rbp_model_free(model);
    return CLI_EXIT_OK;
}
