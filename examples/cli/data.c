/*
 * cli/data.c - the input options every program shares, and the metrics they print.
 *
 * Inputs map one to one onto the reader's formats (rbp_dataset_load / _load_pair): --fasta,
 * --csv, --tsv, --lines, --pos + --neg (GraphProt), --fasta + --affys (RNAcompete), or a
 * generic file with --format. Metrics are everything defined for the task, NaN otherwise,
 * so a table or JSON shows "n/a" / null instead of a made-up number.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

const char *const cli_format_names[] = {"auto", "csv", "tsv", "fasta", "lines", "graphprot", "rnacompete", NULL};
const char *const cli_truncate_names[] = {"right", "left", "center", "error", NULL};

void cli_data_options(rbp_dataset_options *opt, const cli_data_args *args, int32_t length)
{
    cli_check(rbp_dataset_options_init(opt, RBP_DATASET_OPTIONS_VERSION));
    opt->length = length > 0 ? length : args->length;
    opt->truncate = args->truncate;
    if (args->sequence_column != NULL)
        opt->sequence_column = args->sequence_column;
    if (args->target_column != NULL)
        opt->target_column = args->target_column;
    if (args->structure_column != NULL)
        opt->structure_column = args->structure_column;
    if (args->label_key != NULL)
        opt->label_key = args->label_key;
    opt->case_viewpoint = args->no_case ? 0 : 1;
    if (args->max_length > 0)
        opt->max_record_length = args->max_length;
}

/* The entry `name` of an option table, or NULL (unlike cli_find_option, absence is fine). */
static const cli_option *table_option(const cli_option *opts, const char *name)
{
    for (const cli_option *o = opts; o->name != NULL || o->type == CLI_OPT_SECTION; o++)
        if (o->name != NULL && strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

static int table_given(const cli_option *opts, const char *name)
{
    const cli_option *o = table_option(opts, name);
    return o != NULL && o->given;
}

void cli_resolve_model(const char **model, const char *option, const char *missing)
{
    const char *m = *model;
    if (m == NULL)
        cli_usage_error("%s", missing);
    struct stat st;
    if (stat(m, &st) == 0)
        return; /* a file */
    /* the library decides what is a name: a path (RBP_ERR_INVALID_ARG) is left for the loader
     * to report as a missing file */
    static char path[4096];
    const rbp_status found = rbp_model_find(m, path, sizeof path);
    if (found == RBP_OK)
        *model = path;
    else if (found != RBP_ERR_INVALID_ARG)
        cli_usage_error("%s%s%s: no such file, and %s", option, option[0] ? " " : "", m, rbp_last_error());
}

void cli_model_encoding(rbp_dataset_options *opt, const rbp_model *model, const char *model_path,
                        const cli_option *opts)
{
    rbp_dataset_options enc;
    rbp_status st = rbp_dataset_options_from_model(&enc, model);
    if (st != RBP_OK)
        cli_fail("%s: %s", model_path, rbp_last_error());
    const int force = table_given(opts, "force");
    const cli_option *len = table_option(opts, "length");
    if (len != NULL && len->given && *(const int32_t *)len->dest != enc.length)
        cli_usage_error("--length %d: %s has length %d (fixed when it was trained)", (int)*(const int32_t *)len->dest,
                        model_path, (int)enc.length);
    opt->length = enc.length;

    /* A flag contradicts the model only where the model records its encoding. */
    const cli_option *tr = table_option(opts, "truncate");
    opt->truncate = enc.truncate;
    if (tr != NULL && tr->given) {
        int32_t want = *(const int32_t *)tr->dest;
        if (want != enc.truncate && rbp_model_meta_type(model, "encoding.truncate") != RBP_META_NONE) {
            if (!force)
                cli_usage_error("--truncate %s contradicts %s, which was trained with --truncate %s: drop the option "
                                "(the model's encoding is used) or add --force",
                                cli_truncate_names[want], model_path, cli_truncate_names[enc.truncate]);
            cli_warn("--truncate %s overrides the model's encoding (--truncate %s), as --force says",
                     cli_truncate_names[want], cli_truncate_names[enc.truncate]);
        }
        opt->truncate = want;
    }
    const int yes = table_given(opts, "case-viewpoint"), no = table_given(opts, "no-case-viewpoint");
    if (yes && no)
        cli_usage_error("--case-viewpoint and --no-case-viewpoint exclude each other");
    opt->case_viewpoint = enc.case_viewpoint;
    if (yes || no) {
        int32_t want = yes ? 1 : 0;
        if (want != enc.case_viewpoint && rbp_model_meta_type(model, "encoding.case_viewpoint") != RBP_META_NONE) {
            const char *model_says = enc.case_viewpoint ? "letter case marking the viewpoint (--case-viewpoint)"
                                                        : "letter case ignored (--no-case-viewpoint)";
            if (!force)
                cli_usage_error("--%s contradicts %s, which was trained with %s: drop the option or add --force",
                                yes ? "case-viewpoint" : "no-case-viewpoint", model_path, model_says);
            cli_warn("--%s overrides the model's encoding (%s), as --force says",
                     yes ? "case-viewpoint" : "no-case-viewpoint", model_says);
        }
        opt->case_viewpoint = want;
    }
    /* Where the labels and structures are is a property of the data file: a flag just wins. */
    if (!table_given(opts, "label-key"))
        opt->label_key = enc.label_key;
    if (!table_given(opts, "structure-column") && enc.structure_column != NULL)
        opt->structure_column = enc.structure_column;
}

const char *cli_data_describe(const cli_data_args *a, const char *generic_option, char *buf, size_t len)
{
    int count = (a->fasta != NULL) + (a->csv != NULL) + (a->tsv != NULL) + (a->lines != NULL) +
                (a->pos != NULL || a->neg != NULL) + (a->generic != NULL);
    if (count == 0)
        cli_usage_error("no input: give one of --fasta, --csv, --tsv, --lines, --pos/--neg or %s FILE",
                        generic_option);
    if (count > 1)
        cli_usage_error("give only one input (--fasta, --csv, --tsv, --lines, --pos/--neg or %s)", generic_option);
    if ((a->pos != NULL) != (a->neg != NULL))
        cli_usage_error("GraphProt input needs both --pos and --neg");
    if (a->affys != NULL && a->fasta == NULL &&
        !(a->generic != NULL && a->format == RBP_FORMAT_RNACOMPETE))
        cli_usage_error("--affys goes with --fasta (RNAcompete sequences)");
    if (a->generic != NULL && a->format == RBP_FORMAT_GRAPHPROT)
        cli_usage_error("GraphProt input is a pair of files: use --pos FILE --neg FILE");
    if (a->generic != NULL && a->format == RBP_FORMAT_RNACOMPETE && a->affys == NULL)
        snprintf(buf, len, "%s (rnacompete, values in the headers)", a->generic);
    else if (a->generic != NULL)
        snprintf(buf, len, "%s (%s)", a->generic, cli_format_names[a->format]);
    else if (a->pos != NULL)
        snprintf(buf, len, "%s + %s (GraphProt)", a->pos, a->neg);
    else if (a->affys != NULL)
        snprintf(buf, len, "%s + %s (RNAcompete)", a->fasta, a->affys);
    else if (a->fasta != NULL)
        snprintf(buf, len, "%s (fasta)", a->fasta);
    else if (a->csv != NULL)
        snprintf(buf, len, "%s (csv)", a->csv);
    else if (a->tsv != NULL)
        snprintf(buf, len, "%s (tsv)", a->tsv);
    else
        snprintf(buf, len, "%s (lines)", a->lines);
    return buf;
}

rbp_dataset *cli_data_load(const cli_data_args *a, const rbp_dataset_options *base)
{
    rbp_dataset_options opt = *base;
    rbp_dataset *ds = NULL;
    rbp_status st;
    if (a->pos != NULL) {
        opt.format = RBP_FORMAT_GRAPHPROT;
        st = rbp_dataset_load_pair(&ds, a->pos, a->neg, &opt);
    } else {
        const char *path;
        if (a->generic != NULL) {
            path = a->generic;
            opt.format = a->format;
        } else if (a->fasta != NULL) {
            path = a->fasta;
            opt.format = RBP_FORMAT_FASTA;
        } else if (a->csv != NULL) {
            path = a->csv;
            opt.format = RBP_FORMAT_CSV;
        } else if (a->tsv != NULL) {
            path = a->tsv;
            opt.format = RBP_FORMAT_TSV;
            opt.delimiter = '\t';
        } else {
            path = a->lines;
            opt.format = RBP_FORMAT_LINES;
        }
        if (a->affys != NULL) {
            opt.format = RBP_FORMAT_RNACOMPETE;
            opt.affinity_path = a->affys;
        }
        if (opt.format == RBP_FORMAT_TSV)
            opt.delimiter = '\t';
        st = rbp_dataset_load(&ds, path, &opt);
    }
    if (st != RBP_OK)
        cli_fail_status(st);
    if (rbp_dataset_size(ds) == 0)
        cli_fail("%s: no records", a->generic ? a->generic : a->fasta ? a->fasta : a->csv ? a->csv
                 : a->tsv ? a->tsv : a->lines ? a->lines : a->pos);
    return ds;
}

int cli_targets_binary(const rbp_dataset *ds)
{
    const float *y = rbp_dataset_targets(ds);
    size_t n = rbp_dataset_size(ds);
    for (size_t i = 0; i < n; i++)
        if (y[i] != 0.0f && y[i] != 1.0f)
            return 0;
    return 1;
}

/* ---------------------------------------------------------------- metrics */

/* The result of one metric call; an undefined value (one class only, constant input) becomes
 * NaN. (Takes a pointer: the call must have written *v before it is read.) */
static double metric_or_nan(rbp_status st, const double *v)
{
    if (st != RBP_OK) {
        rbp_clear_error();
        return NAN;
    }
    return *v;
}

void cli_metrics_compute(cli_metrics *m, const float *pred, const float *targets, size_t n, int task,
                         double threshold, double binarize)
{
    double v = NAN;
    memset(m, 0, sizeof *m);
    m->n = n;
    m->task = task;
    m->auc = m->auprc = m->accuracy = m->log_loss = NAN;
    m->r2 = m->pearson = m->spearman = m->mse = NAN;
    m->threshold = threshold;

    const float *labels = targets;
    float *binary = NULL;
    if (task == RBP_TASK_REGRESSION) {
        m->r2 = metric_or_nan(rbp_metric_r2(pred, targets, n, &v), &v);
        m->pearson = metric_or_nan(rbp_metric_pearson(pred, targets, n, &v), &v);
        m->spearman = metric_or_nan(rbp_metric_spearman(pred, targets, n, &v), &v);
        m->mse = metric_or_nan(rbp_metric_mse(pred, targets, n, &v), &v);
        if (!isfinite(binarize))
            return;
        binary = cli_xmalloc(n * sizeof *binary);
        for (size_t i = 0; i < n; i++)
            binary[i] = targets[i] > binarize ? 1.0f : 0.0f;
        labels = binary;
        m->threshold = binarize;
        m->binarized = 1;
    } else {
        m->log_loss = metric_or_nan(rbp_metric_log_loss(pred, targets, n, &v), &v);
        /* The study reports R-squared for every model: here that of the probabilities. */
        m->r2 = metric_or_nan(rbp_metric_r2(pred, targets, n, &v), &v);
        m->mse = metric_or_nan(rbp_metric_mse(pred, targets, n, &v), &v);
    }
    for (size_t i = 0; i < n; i++)
        m->positives += labels[i] > 0.5f;
    m->auc = metric_or_nan(rbp_metric_roc_auc(pred, labels, n, &v), &v);
    m->auprc = metric_or_nan(rbp_metric_average_precision(pred, labels, n, &v), &v);
    m->accuracy = metric_or_nan(rbp_metric_accuracy(pred, labels, n, m->threshold, &v), &v);
    free(binary);
}

typedef struct metric_row {
    const char *name, *key;
    double value;
} metric_row;

static int metric_rows(const cli_metrics *m, metric_row rows[8])
{
    int k = 0;
    /* Order: the study's three first (AUC, accuracy, R-squared), then the rest. */
    const metric_row all[] = {
        {"AUC", "auc", m->auc},
        {"AUPRC", "auprc", m->auprc},
        {"accuracy", "accuracy", m->accuracy},
        {"log loss", "log_loss", m->log_loss},
        {"R-squared", "r2", m->r2},
        {"Pearson", "pearson", m->pearson},
        {"Spearman", "spearman", m->spearman},
        {"MSE", "mse", m->mse},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        /* Only what the task defines; an undefined value that is defined for the task (the
         * AUC of a one-class set) stays visible as n/a. */
        const char *key = all[i].key;
        int is_class = strcmp(key, "auc") == 0 || strcmp(key, "auprc") == 0 || strcmp(key, "accuracy") == 0;
        int defined_for_task;
        if (m->task == RBP_TASK_CLASSIFICATION)
            defined_for_task = strcmp(key, "pearson") != 0 && strcmp(key, "spearman") != 0;
        else
            defined_for_task = strcmp(key, "log_loss") != 0 && (!is_class || m->binarized);
        if (defined_for_task)
            rows[k++] = all[i];
    }
    return k;
}

void cli_metrics_print(FILE *fp, const cli_metrics *m, const char *title, int tsv)
{
    metric_row rows[8];
    int k = metric_rows(m, rows);
    if (tsv) {
        fprintf(fp, "metric\tvalue\n");
        fprintf(fp, "n\t%zu\n", m->n);
        if (m->task == RBP_TASK_CLASSIFICATION || m->binarized)
            fprintf(fp, "positives\t%zu\n", m->positives);
        for (int i = 0; i < k; i++) {
            if (isnan(rows[i].value))
                fprintf(fp, "%s\tNA\n", rows[i].key);
            else
                fprintf(fp, "%s\t%.9g\n", rows[i].key, rows[i].value);
        }
        return;
    }
    if (title != NULL) {
        if (m->task == RBP_TASK_CLASSIFICATION || m->binarized)
            fprintf(fp, "%s (n=%zu, %zu positive)\n", title, m->n, m->positives);
        else
            fprintf(fp, "%s (n=%zu)\n", title, m->n);
    }
    for (int i = 0; i < k; i++) {
        char b[32];
        fprintf(fp, "  %-10s %s\n", rows[i].name, cli_fmt(b, sizeof b, rows[i].value, 4));
    }
}

void cli_metrics_json(cli_json *j, const char *key, const cli_metrics *m)
{
    metric_row rows[8];
    int k = metric_rows(m, rows);
    cli_json_begin_object(j, key);
    cli_json_int(j, "n", (int64_t)m->n);
    if (m->task == RBP_TASK_CLASSIFICATION || m->binarized) {
        cli_json_int(j, "positives", (int64_t)m->positives);
        cli_json_number(j, "threshold", m->threshold);
    }
    for (int i = 0; i < k; i++)
        cli_json_number(j, rows[i].key, rows[i].value);
    cli_json_end_object(j);
}

void cli_metrics_line(char *buf, size_t len, const cli_metrics *m)
{
    metric_row rows[8];
    int k = metric_rows(m, rows);
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < k && used < len; i++) {
        char b[32];
        int w = snprintf(buf + used, len - used, "%s%s %s", i ? "  " : "", rows[i].name,
                         cli_fmt(b, sizeof b, rows[i].value, 4));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

void cli_meta_check(rbp_status st, const char *key)
{
    if (st != RBP_OK)
        cli_warn("metadata key '%s' not stored: %s", key, rbp_last_error());
}

void cli_metrics_meta(rbp_model *model, const cli_metrics *m, const char *data)
{
    cli_meta_check(rbp_model_meta_set_string(model, "test.data", data), "test.data");
    cli_meta_check(rbp_model_meta_set_int(model, "test.records", (int64_t)m->n), "test.records");
    if (m->task == RBP_TASK_CLASSIFICATION || m->binarized)
        cli_meta_check(rbp_model_meta_set_int(model, "test.positives", (int64_t)m->positives), "test.positives");
    const struct {
        const char *key;
        double v;
    } vals[] = {{"test.auc", m->auc},         {"test.auprc", m->auprc},       {"test.accuracy", m->accuracy},
                {"test.log_loss", m->log_loss}, {"test.r2", m->r2},             {"test.pearson", m->pearson},
                {"test.spearman", m->spearman}, {"test.mse", m->mse}};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        if (!isnan(vals[i].v))
            cli_meta_check(rbp_model_meta_set_double(model, vals[i].key, vals[i].v), vals[i].key);
}
