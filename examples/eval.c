/*
 * eval.c - rbpattn-eval: evaluate a trained model on labelled data.
 *
 * Reads any labelled format of the reader, scores it in batches (with progress on a
 * terminal), prints the metrics of the model's task as an aligned table or TSV, and on
 * request writes ROC and precision-recall curves (PNG and SVG), per-record predictions and a
 * JSON summary.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rbpattn/rbpattn.h>

#include "cli/cli.h"
#include "cli/opts.h"

static const char *const table_names[] = {"text", "tsv", NULL};

typedef struct args {
    cli_data_args data;
    const char *model, *plots, *predictions, *json;
    double threshold, binarize;
    int32_t tsv, batch, threads, quiet; /* tsv: index into table_names */
    int32_t case_vp, force;
} args;

int main(int argc, char **argv)
{
    double t0 = cli_now();
    cli_set_program("rbpattn-eval");
    args a;
    memset(&a, 0, sizeof a);
    a.threshold = 0.5;
    a.binarize = NAN;
    a.batch = 256;
    a.threads = 1;

    cli_option opts[] = {
        CLI_SECTION("Model"),
        CLI_MODEL_OPTION(a.model),
        CLI_SECTION("Labelled data (one of)"),
        CLI_DATA_INPUT_OPTIONS(a.data, "data", "a labelled file of any format (see --format)"),
        CLI_SECTION("Reading"),
        CLI_DATA_COLUMN_OPTIONS(a.data),
        CLI_MODEL_ENCODING_OPTIONS(a.case_vp, a.force),
        CLI_SECTION("Metrics and output"),
        {"threshold", 0, CLI_OPT_DOUBLE, &a.threshold, "X", "classification threshold for accuracy (default 0.5)",
         0.0, 1.0, NULL, 0},
        {"binarize-threshold", 0, CLI_OPT_DOUBLE, &a.binarize, "X",
         "regression: also report AUC, AUPRC and accuracy (and draw the\ncurves) with target > X as positive",
         CLI_RANGE_NONE, NULL, 0},
        {"table", 0, CLI_OPT_CHOICE, &a.tsv, NULL, "metrics table as aligned text (default) or TSV (metric<TAB>value)",
         CLI_RANGE_NONE, table_names, 0},
        {"plots", 'p', CLI_OPT_STRING, &a.plots, "DIR", "write ROC and PR curves: DIR/roc.png, roc.svg, pr.png, pr.svg",
         CLI_RANGE_NONE, NULL, 0},
        {"predictions", 0, CLI_OPT_STRING, &a.predictions, "FILE", "write per-record predictions as TSV (id, target, score)",
         CLI_RANGE_NONE, NULL, 0},
        {"json", 0, CLI_OPT_STRING, &a.json, "FILE", "write the metrics as JSON", CLI_RANGE_NONE, NULL, 0},
        {"batch", 'b', CLI_OPT_INT, &a.batch, "N", "inference batch size (default 256)", 1, 1 << 20, NULL, 0},
        CLI_THREADS_OPTION(a.threads),
        CLI_QUIET_OPTION(a.quiet),
        CLI_END_OPTIONS,
    };
    const cli_program_info info = {
        "rbpattn-eval --model FILE [options] (--fasta|--csv|--tsv|--lines|--data FILE | --pos F --neg F)",
        "Evaluate a trained model on labelled data: metrics of the model's task (AUC, AUPRC,\n"
        "accuracy, log loss for classification; R-squared, Pearson, Spearman, MSE for\n"
        "regression), ROC and precision-recall curves as PNG and SVG.",
        "  rbpattn-eval --model pum2.rbp --fasta data/pum2/test.fa.gz --plots out/\n"
        "  rbpattn-eval -m rka.rbp --csv held_out.csv --target-column RKA --binarize-threshold 0 --table tsv\n",
        NULL,
        0,
    };
    const char *pos[1];
    int npos = 0;
    cli_parse(argc, argv, opts, &info, pos, &npos);
    cli_resolve_model(&a.model, "--model", "missing --model FILE");
    char desc[1024];
    cli_data_describe(&a.data, "--data", desc, sizeof desc);
    {
        cli_path in[9] = {{"--model", a.model, 0}};
        size_t nin = 1 + cli_data_inputs(&a.data, "--data", in + 1, 8);
        const cli_path out[] = {{"--plots", a.plots, 1}, {"--predictions", a.predictions, 0}, {"--json", a.json, 0}};
        cli_check_outputs(in, nin, out, sizeof out / sizeof out[0]);
    }
    /* each batch's rows are shared out among the session's threads, the BLAS at one thread */
    cli_check(rbp_set_num_threads(1));

    rbp_model *model = NULL;
    cli_check(rbp_model_load(&model, a.model));
    rbp_model_config cfg;
    cli_check(rbp_model_get_config(model, &cfg));
    rbp_session *session = NULL;
    rbp_session_options sopt;
    cli_check(rbp_session_options_init(&sopt, RBP_SESSION_OPTIONS_VERSION));
    sopt.n_threads = a.threads;
    cli_check(rbp_session_create(&session, model, &sopt));
    rbp_dataset_options dopt;
    cli_data_options(&dopt, &a.data, cfg.seq_len);
    cli_model_encoding(&dopt, model, a.model, opts);
    if (cfg.use_structure && dopt.structure_column == NULL)
        cli_usage_error("%s uses a structure channel: give --structure-column NAME", a.model);
    if (!cfg.use_structure)
        dopt.structure_column = NULL; /* the model would ignore it */
    rbp_dataset *ds = cli_data_load(&a.data, &dopt);
    size_t n = rbp_dataset_size(ds);
    const float *targets = rbp_dataset_targets(ds);
    if (cfg.task == RBP_TASK_CLASSIFICATION)
        for (size_t i = 0; i < n; i++)
            if (!(targets[i] >= 0.0f && targets[i] <= 1.0f))
                cli_fail("%s: record %zu ('%s') has target %g, but the model is a classifier (labels 0/1)", desc,
                         i + 1, rbp_dataset_id(ds, i), (double)targets[i]);

    /* Score batch by batch (not rbp_session_predict) to show progress on large sets. */
    float *pred = cli_xmalloc(n * sizeof *pred);
    rbp_batcher *batcher = NULL;
    cli_check(rbp_batcher_create(&batcher, ds, a.batch, 0, 0, 0));
    cli_check(rbp_batcher_reset(batcher, 0));
    cli_progress progress;
    cli_progress_init(&progress, !a.quiet);
    int64_t nb = rbp_batcher_num_batches(batcher), b = 0;
    size_t done = 0;
    double tp = cli_now();
    rbp_batch batch;
    int32_t got;
    while ((got = rbp_batcher_next(batcher, &batch)) == 1) {
        cli_check(rbp_session_predict_batch(session, &batch, pred + done));
        done += (size_t)batch.size;
        b++;
        double el = cli_now() - tp;
        cli_progress_show(&progress, "evaluate", (double)b, (double)nb, NULL, el > 0 ? (double)done / el : 0, "seq",
                          el / (double)b * (double)(nb - b), b == nb);
    }
    cli_progress_clear(&progress);
    if (got < 0)
        cli_fail_status((rbp_status)got);
    if (done != n)
        cli_fail("internal error: scored %zu of %zu records", done, n);
    rbp_batcher_free(batcher);

    cli_metrics m;
    cli_metrics_compute(&m, pred, targets, n, cfg.task, a.threshold, a.binarize);
    if (!a.tsv && !a.quiet)
        printf("model: %s (%s, length %d)\ndata: %s\n", a.model,
               cfg.task == RBP_TASK_CLASSIFICATION ? "classification" : "regression", cfg.seq_len, desc);
    cli_metrics_print(stdout, &m, a.tsv ? NULL : "metrics", a.tsv);
    fflush(stdout);

    if (a.plots != NULL) {
        const float *labels = targets;
        float *binary = NULL;
        if (cfg.task == RBP_TASK_REGRESSION) {
            if (!isfinite(a.binarize))
                cli_usage_error("--plots of a regression model needs --binarize-threshold X (ROC/PR need classes)");
            binary = cli_xmalloc(n * sizeof *binary);
            for (size_t i = 0; i < n; i++)
                binary[i] = targets[i] > a.binarize ? 1.0f : 0.0f;
            labels = binary;
        }
        if (m.positives == 0 || m.positives == n)
            cli_fail("cannot draw ROC/PR curves: the data has only %s", m.positives == 0 ? "negatives" : "positives");
        /* Titles name the data file, without its directory (long paths would widen the picture). */
        const char *path = a.data.generic  ? a.data.generic
                           : a.data.fasta ? a.data.fasta
                           : a.data.csv   ? a.data.csv
                           : a.data.tsv   ? a.data.tsv
                           : a.data.lines ? a.data.lines
                                          : a.data.pos;
        const char *base = strrchr(path, '/');
        cli_write_curves(a.plots, pred, labels, n, base != NULL ? base + 1 : path, a.quiet || a.tsv ? NULL : stdout);
        free(binary);
    }
    if (a.predictions != NULL) {
        FILE *fp = cli_open_output(a.predictions);
        fprintf(fp, "id\ttarget\tscore\n");
        for (size_t i = 0; i < n; i++)
            fprintf(fp, "%s\t%.9g\t%.9g\n", rbp_dataset_id(ds, i), (double)targets[i], (double)pred[i]);
        cli_close_output(fp, a.predictions);
    }
    if (a.json != NULL) {
        FILE *fp = cli_open_output(a.json);
        cli_json j;
        cli_json_init(&j, fp);
        cli_json_begin_object(&j, NULL);
        cli_json_string(&j, "program", cli_program());
        cli_json_string(&j, "version", rbp_version_string());
        cli_json_string(&j, "model", a.model);
        cli_json_string(&j, "data", desc);
        cli_json_string(&j, "task", cfg.task == RBP_TASK_CLASSIFICATION ? "classification" : "regression");
        cli_metrics_json(&j, "metrics", &m);
        cli_json_number(&j, "seconds", cli_now() - t0);
        cli_json_end_object(&j);
        cli_close_output(fp, a.json);
    }
    free(pred);
    rbp_dataset_free(ds);
    rbp_session_free(session);
    rbp_model_free(model);
    return CLI_EXIT_OK;
}
