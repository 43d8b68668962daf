/*
 * train.c - rbpattn-train: train a binding-site model on labelled sequences and report test
 * metrics.
 *
 * Reads any format of the reader (RBP-31 FASTA, the study's CSV, GraphProt pairs, RNAcompete,
 * plain lines), holds out a test set (a file, or a seeded stratified split as in the study),
 * optionally a validation set for early stopping, trains with progress on the terminal and a
 * line of metrics per epoch, then prints the test metrics (AUC, AUPRC, accuracy, log loss for
 * classification; R-squared, Pearson, Spearman, MSE for regression, and AUC/accuracy of a
 * binarised target on request). Saves the model, per-epoch checkpoints to resume from, and a
 * JSON summary of the whole run.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rbpattn/rbpattn.h>

#include "cli/cli.h"
#include "cli/opts.h"

static const char *const task_names[] = {"auto", "classification", "regression", NULL};
static const char *const optimizer_names[] = {"adam", "adamw", NULL};
static const char *const schedule_names[] = {"transformer", "constant", "cosine", NULL};
static const char *const monitor_names[] = {"loss", "auc", NULL};
static const char *const pooling_names[] = {"flatten", "mean", "max", NULL};

typedef struct args {
    cli_data_args data;
    const char *preset; /* --preset NAME (applied before the other options) */
    const char *test, *test_pos, *test_neg, *test_affys;
    double split, val_fraction;
    int32_t no_stratify;
    int32_t task; /* index into task_names */
    /* model */
    int32_t length, d_model, heads, layers, d_ff, head_hidden, pre_norm, gelu, pooling, viewpoint, conv_kernel, stem_filters,
        stem_pool;
    double dropout;
    /* training */
    int32_t epochs, batch, eval_batch, optimizer, schedule, warmup, patience, monitor, no_restore_best;
    int32_t monitor_given; /* --monitor on the command line (not the preset's) */
    double lr, lr_scale, clip, weight_decay, beta2, ema;
    const char *pos_weight;
    uint64_t seed;
    int32_t threads;
    int32_t members; /* --members N: an ensemble of N models, seeds seed .. seed+N-1 */
    /* output */
    const char *save, *checkpoint, *resume, *json, *predictions;
    cli_list meta; /* --meta KEY=VALUE */
    double binarize, threshold;
    int32_t quiet;
} args;

/* What the members training at once share: the terminal, and which member shows progress. */
typedef struct shared_out {
    pthread_mutex_t lock;
    int32_t count;   /* members */
    int32_t *done;   /* done[i]: member i finished (its bar gives way to the next one's) */
    atomic_int failed; /* a member failed: the others stop */
} shared_out;

/* State shared with the trainer callbacks (one per member). */
typedef struct run {
    const args *a;
    shared_out *out;
    int32_t index;            /* the member (0-based) */
    rbp_trainer *trainer;
    cli_progress *progress;   /* one bar for all members (under out->lock) */
    int32_t epochs;
    int64_t batches;
    int32_t first_epoch;      /* epoch the run started at (after a resume) */
    const char *checkpoint;   /* this member's --checkpoint file, or NULL */
    double fit_start;
    int64_t steps_this_run;
    double epoch_loss_sum;
    int64_t epoch_loss_n;
    int32_t current_epoch;
    rbp_epoch_info *history;  /* per-epoch records for the JSON summary */
    size_t n_history, cap_history;
    char callback_error[512]; /* why a callback stopped training ("" = it did not) */
    int has_val;
    int task;
} run;

static int32_t on_step(const rbp_step_info *info, void *user)
{
    run *r = user;
    if (cli_interrupted() || atomic_load(&r->out->failed))
        return 1;
    if (info->epoch != r->current_epoch) {
        r->current_epoch = info->epoch;
        r->epoch_loss_sum = 0;
        r->epoch_loss_n = 0;
    }
    r->steps_this_run++;
    r->epoch_loss_sum += info->loss;
    r->epoch_loss_n++;
    if (!r->progress->enabled)
        return 0;
    shared_out *o = r->out;
    pthread_mutex_lock(&o->lock);
    int32_t first = 0; /* the bar is the first unfinished member's */
    while (first < o->count && o->done[first])
        first++;
    if (first != r->index) {
        pthread_mutex_unlock(&o->lock);
        return 0;
    }
    /* ETA over the whole run from this run's mean time per step (validation time included). */
    double elapsed = cli_now() - r->fit_start;
    int64_t total = (int64_t)(r->epochs - r->first_epoch) * info->batches;
    int64_t left = total - r->steps_this_run;
    double eta = r->steps_this_run > 0 && left >= 0 ? elapsed / (double)r->steps_this_run * (double)left : -1;
    char label[64], extra[64];
    if (o->count > 1)
        snprintf(label, sizeof label, "member %d/%d epoch %d/%d", r->index + 1, o->count, info->epoch + 1, r->epochs);
    else
        snprintf(label, sizeof label, "epoch %d/%d", info->epoch + 1, r->epochs);
    snprintf(extra, sizeof extra, " loss %.4f", r->epoch_loss_sum / (double)r->epoch_loss_n);
    cli_progress_show(r->progress, label, (double)(info->batch + 1), (double)info->batches, extra,
                      info->seqs_per_sec, "seq", eta, info->batch + 1 == info->batches);
    pthread_mutex_unlock(&o->lock);
    return 0;
}

static int32_t on_epoch(const rbp_epoch_info *info, void *user)
{
    run *r = user;
    if (r->n_history == r->cap_history) {
        r->cap_history = r->cap_history ? 2 * r->cap_history : 32;
        r->history = cli_xrealloc(r->history, r->cap_history * sizeof *r->history);
    }
    r->history[r->n_history++] = *info;

    if (!r->a->quiet) {
        char line[512], b1[32], b2[32], dur[32];
        int w = 0;
        if (r->out->count > 1)
            w = snprintf(line, sizeof line, "member %d: ", r->index + 1);
        w += snprintf(line + w, sizeof line - (size_t)w, "epoch %*d/%d  loss %s", info->epochs >= 100 ? 3 : 2,
                      info->epoch + 1, info->epochs, cli_fmt(b1, sizeof b1, info->train_loss, 4));
        if (r->has_val) {
            w += snprintf(line + w, sizeof line - (size_t)w, "  val loss %s", cli_fmt(b1, sizeof b1, info->val_loss, 4));
            if (r->task == RBP_TASK_CLASSIFICATION)
                w += snprintf(line + w, sizeof line - (size_t)w, "  val AUC %s", cli_fmt(b2, sizeof b2, info->val_auc, 4));
            else
                w += snprintf(line + w, sizeof line - (size_t)w, "  val R2 %s", cli_fmt(b2, sizeof b2, info->val_r2, 4));
        }
        snprintf(line + w, sizeof line - (size_t)w, "  lr %.2e  %s  %.0f seq/s%s", info->lr,
                 cli_format_duration(dur, sizeof dur, info->seconds), info->seqs_per_sec,
                 r->has_val && info->improved ? "  *" : "");
        pthread_mutex_lock(&r->out->lock);
        cli_progress_clear(r->progress);
        printf("%s\n", line);
        fflush(stdout);
        pthread_mutex_unlock(&r->out->lock);
    }
    if (r->checkpoint != NULL) {
        rbp_status st = rbp_trainer_save(r->trainer, r->checkpoint);
        if (st != RBP_OK) {
            snprintf(r->callback_error, sizeof r->callback_error, "saving the checkpoint: %s", rbp_last_error());
            return 1;
        }
    }
    return cli_interrupted() ? 1 : 0;
}

/* A float setting as the decimal it was written as (0.1f -> 0.1, not 0.100000001), so that
 * defaults read well in the JSON summary. */
static double f2d(float x)
{
    char b[32];
    snprintf(b, sizeof b, "%.7g", (double)x);
    return strtod(b, NULL);
}

/* ---------------------------------------------------------------- data */

static cli_data_args test_data_args(const args *a)
{
    /* The test file is read like the training input (same format flag and columns). */
    cli_data_args t = a->data;
    t.fasta = t.csv = t.tsv = t.lines = t.pos = t.neg = t.affys = t.generic = NULL;
    if (a->data.pos != NULL) {
        if (a->test_pos == NULL || a->test_neg == NULL)
            cli_usage_error("a GraphProt test set needs --test-pos FILE and --test-neg FILE");
        t.pos = a->test_pos;
        t.neg = a->test_neg;
        return t;
    }
    if (a->test_pos != NULL || a->test_neg != NULL)
        cli_usage_error("--test-pos/--test-neg go with GraphProt training input (--pos/--neg)");
    if (a->test_affys != NULL && a->data.affys == NULL)
        cli_usage_error("--test-affys goes with RNAcompete training input (--fasta FILE --affys FILE)");
    if (a->data.fasta != NULL)
        t.fasta = a->test;
    else if (a->data.csv != NULL)
        t.csv = a->test;
    else if (a->data.tsv != NULL)
        t.tsv = a->test;
    else if (a->data.lines != NULL)
        t.lines = a->test;
    else
        t.generic = a->test;
    if (a->data.affys != NULL) {
        if (a->test_affys == NULL)
            cli_usage_error("an RNAcompete test set needs --test-affys FILE");
        t.affys = a->test_affys;
    }
    return t;
}

static void describe_set(char *buf, size_t len, const char *name, const rbp_dataset *ds, int task)
{
    if (task == RBP_TASK_CLASSIFICATION)
        snprintf(buf, len, "%s %zu (%zu positive)", name, rbp_dataset_size(ds), rbp_dataset_count_positive(ds));
    else
        snprintf(buf, len, "%s %zu", name, rbp_dataset_size(ds));
}

/* Split with the library; a part that comes out empty or one-class is a clear error. */
static void split_two(const rbp_dataset *all, double frac, uint64_t seed, int stratify, rbp_dataset **first,
                      rbp_dataset **second, const char *what)
{
    rbp_status st = rbp_dataset_split(all, frac, 0.0, seed, stratify, first, NULL, second);
    if (st != RBP_OK)
        cli_fail("cannot split the data for %s: %s", what, rbp_last_error());
}

/*
 * With --resume the model comes from the checkpoint. Model options may be repeated (the same
 * command line plus --resume works) but must agree with it.
 */
static void check_resume_options(const args *a, const cli_option *opts, const rbp_model_config *c)
{
    const struct {
        const char *name;
        long given, saved;
    } ints[] = {
        {"length", a->length, c->seq_len},
        {"d-model", a->d_model, c->d_model},
        {"heads", a->heads, c->n_heads},
        {"layers", a->layers, c->n_layers},
        {"d-ff", a->d_ff, c->d_ff},
        {"head-hidden", a->head_hidden, c->head_hidden},
        {"pooling", a->pooling, c->pooling},
        {"pre-norm", a->pre_norm, c->norm == RBP_NORM_PRE},
        {"gelu", a->gelu, c->activation == RBP_ACT_GELU},
        {"viewpoint", a->viewpoint, c->use_viewpoint},
        {"conv-kernel", a->conv_kernel, c->conv_kernel},
        {"stem-filters", a->stem_filters, c->stem_filters},
        {"stem-pool", a->stem_pool, c->stem_pool},
        {"task", a->task == 1 ? RBP_TASK_CLASSIFICATION : RBP_TASK_REGRESSION, c->task},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (!cli_given(opts, ints[i].name) || (strcmp(ints[i].name, "task") == 0 && a->task == 0))
            continue;
        if (ints[i].given != ints[i].saved)
            cli_usage_error("--%s differs from the model in the --resume checkpoint (which has %s %ld)", ints[i].name,
                            ints[i].name, ints[i].saved);
    }
    if (cli_given(opts, "dropout") && fabs(a->dropout - c->dropout) > 1e-6)
        cli_usage_error("--dropout differs from the model in the --resume checkpoint (which has dropout %g)",
                        (double)c->dropout);
}

/* ---------------------------------------------------------------- command line */

static void set_defaults(args *a, const char *preset, const rbp_model_config *mdef, const rbp_train_config *tdef,
                         const rbp_dataset_options *ddef, double val_fraction, int32_t members)
{
    memset(a, 0, sizeof *a);
    a->preset = preset;
    a->split = 0.66;
    a->val_fraction = val_fraction;
    a->length = ddef->length;
    a->data.truncate = ddef->truncate;
    a->conv_kernel = mdef->conv_kernel;
    a->stem_filters = mdef->stem_filters;
    a->stem_pool = mdef->stem_pool;
    a->pre_norm = mdef->norm == RBP_NORM_PRE;
    a->gelu = mdef->activation == RBP_ACT_GELU;
    a->d_model = mdef->d_model;
    a->heads = mdef->n_heads;
    a->layers = mdef->n_layers;
    a->d_ff = mdef->d_ff;
    a->head_hidden = mdef->head_hidden;
    a->dropout = f2d(mdef->dropout);
    a->pooling = mdef->pooling;
    a->epochs = tdef->epochs;
    a->batch = tdef->batch_size;
    a->eval_batch = tdef->eval_batch_size;
    a->optimizer = tdef->optimizer;
    a->lr = f2d(tdef->lr);
    a->lr_scale = f2d(tdef->lr_scale);
    a->beta2 = f2d(tdef->beta2);
    a->schedule = tdef->schedule;
    a->warmup = tdef->warmup_steps;
    a->clip = f2d(tdef->clip_norm);
    a->weight_decay = f2d(tdef->weight_decay);
    a->ema = f2d(tdef->ema_decay);
    a->patience = tdef->patience;
    a->monitor = tdef->monitor;
    a->no_restore_best = !tdef->restore_best;
    a->seed = 1;
    a->threads = 1;
    a->members = members;
    a->binarize = NAN;
    a->threshold = 0.5;
}

/* The option table (on the heap: it points into *a and lives as long as the program). */
static cli_option *option_table(args *a)
{
    const cli_option opts[] = {
        CLI_SECTION("Training data (one of)"),
        CLI_DATA_INPUT_OPTIONS(a->data, "train", "a labelled file of any format (see --format)"),
        CLI_SECTION("Reading"),
        CLI_DATA_COLUMN_OPTIONS(a->data),
        {"length", 'L', CLI_OPT_INT, &a->length, "N",
         "model length: sequences are padded or truncated to N (0 = the\nlongest training sequence; default 101, centred, or 0 with\n--stem-pool 8 when the records mark a viewpoint in lower/upper case;\nstudy: 0)", 0,
         1000000, NULL, 0},
        CLI_SECTION("Test and validation"),
        {"test", 0, CLI_OPT_STRING, &a->test, "FILE",
         "test set, read like the training input (else a split, see --split)", CLI_RANGE_NONE, NULL, 0},
        {"test-pos", 0, CLI_OPT_STRING, &a->test_pos, "FILE", "GraphProt test positives", CLI_RANGE_NONE, NULL, 0},
        {"test-neg", 0, CLI_OPT_STRING, &a->test_neg, "FILE", "GraphProt test negatives", CLI_RANGE_NONE, NULL, 0},
        {"test-affys", 0, CLI_OPT_STRING, &a->test_affys, "FILE", "RNAcompete affinities of the --test records",
         CLI_RANGE_NONE, NULL, 0},
        {"split", 0, CLI_OPT_DOUBLE, &a->split, "F",
         "without a test file: train on this fraction, test on the rest\n(seeded, stratified; default 0.66 as in the study)",
         0.01, 0.99, NULL, 0},
        {"val-fraction", 0, CLI_OPT_DOUBLE, &a->val_fraction, "F",
         "hold out this fraction of the training part for validation\n(per-epoch metrics, early stopping; default 0.1, study: 0)",
         0.0, 0.9, NULL, 0},
        {"no-stratify", 0, CLI_OPT_FLAG, &a->no_stratify, NULL, "split at random without keeping the class balance",
         CLI_RANGE_NONE, NULL, 0},
        CLI_SECTION("Model"),
        {"preset", 0, CLI_OPT_STRING, &a->preset, "NAME",
         "start from a named configuration (default 'default', the RBP-31\nbenchmark's model; 'study', 'small', 'tiny'; see below);\nlater options change it",
         CLI_RANGE_NONE, NULL, 0},
        {"task", 0, CLI_OPT_CHOICE, &a->task, NULL,
         "default auto: classification when every target is 0 or 1", CLI_RANGE_NONE, task_names, 0},
        {"d-model", 'd', CLI_OPT_INT, &a->d_model, "N", "model width (default 32; --preset study: 64)", 1, 65536, NULL, 0},
        {"heads", 0, CLI_OPT_INT, &a->heads, "N", "attention heads; must divide --d-model (default 4)", 1, 4096, NULL, 0},
        {"layers", 0, CLI_OPT_INT, &a->layers, "N", "encoder layers (default 1; study: 2)", 1, 1024, NULL, 0},
        {"d-ff", 0, CLI_OPT_INT, &a->d_ff, "N", "feed-forward width (default 64; study: 256)", 1, 1 << 20, NULL, 0},
        {"head-hidden", 0, CLI_OPT_INT, &a->head_hidden, "N", "units of the dense head's hidden layer (default 32; study: 64)",
         1, 1 << 20, NULL, 0},
        {"dropout", 0, CLI_OPT_DOUBLE, &a->dropout, "P", "dropout rate (default 0.3; study: 0.1)", 0.0, 0.95, NULL, 0},
        {"pre-norm", 0, CLI_OPT_FLAG, &a->pre_norm, NULL, "pre-norm layers (default post-norm, the study's)",
         CLI_RANGE_NONE, NULL, 0},
        {"gelu", 0, CLI_OPT_FLAG, &a->gelu, NULL, "GELU in the feed-forward layers (default ReLU)", CLI_RANGE_NONE,
         NULL, 0},
        {"pooling", 0, CLI_OPT_CHOICE, &a->pooling, NULL, "before the head (default mean; study: flatten)",
         CLI_RANGE_NONE, pooling_names, 0},
        {"viewpoint", 0, CLI_OPT_FLAG, &a->viewpoint, NULL, "embed the viewpoint flag (UPPERCASE positions)",
         CLI_RANGE_NONE, NULL, 0},
        {"conv-kernel", 0, CLI_OPT_INT, &a->conv_kernel, "K",
         "convolutional stem x + ReLU(Conv1d_K(x)) before the encoder; odd K in 3..31,\n0 = none (default 9; study: 0)", 0, 31,
         NULL, 0},
        {"stem-filters", 0, CLI_OPT_INT, &a->stem_filters, "F",
         "a wide stem: F convolution filters projected back to d_model, x + W ReLU(Conv1d_K(x));\n"
         "needs --conv-kernel (default 0: d_model filters, no projection)",
         0, 4096, NULL, 0},
        {"stem-pool", 0, CLI_OPT_INT, &a->stem_pool, "P",
         "max-pool the stem's output over windows of P positions: the encoder attends over\n"
         "L/P positions, P^2 times cheaper (long records); needs --conv-kernel (default 0: none;\n"
         "8 for whole viewpoint records, see --length)",
         0, 16, NULL, 0},
        CLI_SECTION("Training"),
        {"epochs", 'e', CLI_OPT_INT, &a->epochs, "N", "epochs (default 30, study: 20; with --resume: the total)", 1, 1000000,
         NULL, 0},
        {"batch", 'b', CLI_OPT_INT, &a->batch, "N", "mini-batch size (default 64)", 1, 1 << 20, NULL, 0},
        {"eval-batch", 0, CLI_OPT_INT, &a->eval_batch, "N", "batch size for evaluation (default 256)", 1, 1 << 20,
         NULL, 0},
        {"optimizer", 0, CLI_OPT_CHOICE, &a->optimizer, NULL, "default adam (beta 0.9/0.98, eps 1e-9, the study's)",
         CLI_RANGE_NONE, optimizer_names, 0},
        {"lr", 0, CLI_OPT_DOUBLE, &a->lr, "X", "peak learning rate of constant/cosine (default 1e-3)", 1e-12, 10.0,
         NULL, 0},
        {"lr-scale", 0, CLI_OPT_DOUBLE, &a->lr_scale, "X", "multiplier of the transformer schedule (default 1)",
         1e-12, 1e6, NULL, 0},
        {"schedule", 0, CLI_OPT_CHOICE, &a->schedule, NULL,
         "learning-rate schedule (default constant; study: transformer,\nd^-0.5 * min(step^-0.5, step * warmup^-1.5))", CLI_RANGE_NONE,
         schedule_names, 0},
        {"warmup", 0, CLI_OPT_INT, &a->warmup, "N",
         "warmup steps (default 4000 for the transformer schedule,\n0 for constant and cosine)", 0, INT32_MAX, NULL, 0},
        {"beta2", 0, CLI_OPT_DOUBLE, &a->beta2, "X", "Adam beta2 (default 0.98)", 0.0, 0.999999, NULL, 0},
        {"weight-decay", 0, CLI_OPT_DOUBLE, &a->weight_decay, "X", "AdamW decoupled weight decay (default 0.01)",
         0.0, 10.0, NULL, 0},
        {"ema", 0, CLI_OPT_DOUBLE, &a->ema, "D",
         "validate and keep a moving average of the weights with decay D\n(~1/(1-D) steps; default 0.999; study: 0 = off)", 0.0,
         0.999999, NULL, 0},
        {"clip", 0, CLI_OPT_DOUBLE, &a->clip, "X", "clip the gradient's global norm to X (default 0 = off)", 0.0,
         1e30, NULL, 0},
        {"pos-weight", 0, CLI_OPT_STRING, &a->pos_weight, "W|auto",
         "loss weight of positives; auto = negatives/positives (default 1)", CLI_RANGE_NONE, NULL, 0},
        {"patience", 0, CLI_OPT_INT, &a->patience, "N",
         "stop after N epochs without improvement on the validation set\n(0 = off; default 5, study: 0; needs --val-fraction)", 0,
         1000000, NULL, 0},
        {"monitor", 0, CLI_OPT_CHOICE, &a->monitor, NULL,
         "validation value for early stopping and best weights\n(default auc; study: loss)", CLI_RANGE_NONE, monitor_names, 0},
        {"no-restore-best", 0, CLI_OPT_FLAG, &a->no_restore_best, NULL,
         "keep the last epoch's weights (default: the best validation epoch's)", CLI_RANGE_NONE, NULL, 0},
        {"seed", 's', CLI_OPT_U64, &a->seed, "N", "seed of the split, initialisation, shuffling and dropout (default 1)",
         CLI_RANGE_NONE, NULL, 0},
        CLI_THREADS_OPTION(a->threads),
        {"members", 0, CLI_OPT_INT, &a->members, "N",
         "train N models, seeds S..S+N-1 (--seed S), each with its own validation\n"
         "draw, and save their ensemble (the mean of their logits); with --threads T,\n"
         "min(N, T) train at once, else min(N, cores), one thread each (default 2;\n"
         "study, small, tiny: 1)",
         1, RBP_MAX_MEMBERS, NULL, 0},
        CLI_SECTION("Output"),
        {"save", 'o', CLI_OPT_STRING, &a->save, "FILE", "save the trained model (for rbpattn-predict/-eval)",
         CLI_RANGE_NONE, NULL, 0},
        {"meta", 0, CLI_OPT_LIST, &a->meta, "KEY=VALUE",
         "store KEY=VALUE in the saved model's metadata (repeatable;\n"
         "e.g. --meta protein=PUM2 --meta cell_line=HEK293; rbpattn-info shows it)",
         CLI_RANGE_NONE, NULL, 0},
        {"checkpoint", 0, CLI_OPT_STRING, &a->checkpoint, "FILE",
         "save the trainer state after every epoch (to --resume from)", CLI_RANGE_NONE, NULL, 0},
        {"resume", 0, CLI_OPT_STRING, &a->resume, "FILE",
         "continue training from a --checkpoint file (model options are\ntaken from it)", CLI_RANGE_NONE, NULL, 0},
        {"json", 0, CLI_OPT_STRING, &a->json, "FILE",
         "write a JSON summary: configuration, per-epoch metrics, test\nmetrics, timings", CLI_RANGE_NONE, NULL, 0},
        {"predictions", 0, CLI_OPT_STRING, &a->predictions, "FILE", "write test predictions as TSV (id, target, score)",
         CLI_RANGE_NONE, NULL, 0},
        {"threshold", 0, CLI_OPT_DOUBLE, &a->threshold, "X", "classification threshold for accuracy (default 0.5)",
         0.0, 1.0, NULL, 0},
        {"binarize-threshold", 0, CLI_OPT_DOUBLE, &a->binarize, "X",
         "regression: also report AUC, AUPRC and accuracy with\ntarget > X as positive", CLI_RANGE_NONE, NULL, 0},
        CLI_QUIET_OPTION(a->quiet),
        CLI_END_OPTIONS,
    };
    cli_option *table = cli_xmalloc(sizeof opts);
    memcpy(table, opts, sizeof opts);
    return table;
}

static const cli_program_info program_info = {
    "rbpattn-train [options] (--fasta|--csv|--tsv|--lines|--train FILE | --pos FILE --neg FILE)",
    "Train a transformer encoder to predict RNA-binding-protein binding from sequence, then\n"
    "report test metrics. Prints the training loss (and validation metrics) per epoch; stderr\n"
    "gets a progress bar on a terminal, else (a log) one progress line per epoch. The saved\n"
    "model records how its inputs were read, what it was trained on and its test metrics\n"
    "(rbpattn-info shows them).",
    "  # RBP-31 FASTA with a separate test file\n"
    "  rbpattn-train --fasta train.fa.gz --test test.fa.gz --epochs 10 --save pum2.rbp --meta protein=PUM2\n"
    "  # the study's CSV, regression on RKA, 66/34 split, AUC/accuracy at RKA > 0\n"
    "  rbpattn-train --csv data.csv --target-column RKA --split 0.66 --epochs 20 \\\n"
    "      --binarize-threshold 0 --json run.json\n"
    "  # GraphProt with early stopping on the validation AUC\n"
    "  rbpattn-train --pos train.pos.fa --neg train.neg.fa --test-pos t.pos.fa --test-neg t.neg.fa \\\n"
    "      --val-fraction 0.1 --patience 3 --monitor auc --viewpoint\n",
    NULL,
    0,
};

/* The examples of --help followed by the presets and their summaries (from the library, so
 * the help cannot drift from what a preset sets), wrapped at 78 columns. */
/* snprintf at buf + len, returning the new length (clamped to the buffer) */
static size_t appendf(char *buf, size_t len, size_t cap, const char *fmt, ...) CLI_PRINTF(4, 5);
static size_t appendf(char *buf, size_t len, size_t cap, const char *fmt, ...)
{
    if (len >= cap)
        return len;
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
    return n < 0 ? len : len + (size_t)n < cap ? len + (size_t)n : cap - 1;
}

static const char *examples_with_presets(void)
{
    static char buf[4096];
    size_t len = appendf(buf, 0, sizeof buf, "%s\nPresets (--preset NAME; later options change them):\n",
                         program_info.examples);
    for (size_t i = 0; i < rbp_preset_count(); i++) {
        const char *name = rbp_preset_name(i);
        len = appendf(buf, len, sizeof buf, "  %-8s", name);
        int col = 10; /* the summary's words after the name, wrapped at 78 columns */
        for (const char *w = rbp_preset_summary(name); *w;) {
            const int n = (int)strcspn(w, " ");
            if (col + 1 + n > 78) {
                len = appendf(buf, len, sizeof buf, "\n%11s%.*s", "", n, w);
                col = 11 + n;
            } else {
                len = appendf(buf, len, sizeof buf, " %.*s", n, w);
                col += 1 + n;
            }
            w += n + (w[n] == ' ');
        }
        len = appendf(buf, len, sizeof buf, "\n");
    }
    return buf;
}

/* What the command line says beyond the raw options, checked before any file is touched. */
typedef struct plan {
    char train_desc[1024], test_desc[1024];
    cli_data_args test_args;
    int have_test;
    float pos_weight;
    int auto_pos_weight;
} plan;

/* Metadata keys that rbpattn-train writes itself: --meta cannot set them. */
static int reserved_key(const char *key, size_t len)
{
    static const char *const prefixes[] = {"encoding.", "train.", "test.", "rbpattn."};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (len >= strlen(prefixes[i]) && strncmp(key, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return (len == 4 && strncmp(key, "task", 4) == 0) || (len == 7 && strncmp(key, "created", 7) == 0);
}

static void check_command_line(const args *a, const cli_option *opts, plan *p)
{
    memset(p, 0, sizeof *p);
    cli_data_describe(&a->data, "--train", p->train_desc, sizeof p->train_desc);
    p->have_test = a->test != NULL || a->test_pos != NULL || a->test_neg != NULL;
    if (p->have_test) {
        p->test_args = test_data_args(a);
        cli_data_describe(&p->test_args, "--test", p->test_desc, sizeof p->test_desc);
    } else if (a->test_affys != NULL) {
        cli_usage_error("--test-affys needs --test FILE");
    }
    if (p->have_test && cli_given(opts, "split"))
        cli_usage_error("--split and --test exclude each other (the test set is given)");
    if (cli_given(opts, "weight-decay") && a->optimizer != RBP_OPT_ADAMW)
        cli_usage_error("--weight-decay applies to --optimizer adamw (Adam has no decoupled weight decay)");
    if (a->patience > 0 && a->val_fraction <= 0)
        cli_usage_error("--patience needs a validation set (--val-fraction F)");
    p->pos_weight = 1.0f;
    if (a->pos_weight != NULL) {
        if (strcmp(a->pos_weight, "auto") == 0) {
            p->auto_pos_weight = 1;
        } else {
            char *end = NULL;
            double w = strtod(a->pos_weight, &end);
            if (end == a->pos_weight || *end != '\0' || !(w > 0) || !isfinite(w))
                cli_usage_error("option '--pos-weight': expected a positive number or 'auto', got '%s'", a->pos_weight);
            p->pos_weight = (float)w;
        }
    }
    for (int i = 0; i < a->meta.n; i++) {
        const char *kv = a->meta.items[i], *eq = strchr(kv, '=');
        if (eq == NULL || eq == kv)
            cli_usage_error("option '--meta': expected KEY=VALUE, got '%s'", kv);
        if (reserved_key(kv, (size_t)(eq - kv)))
            cli_usage_error("option '--meta': key '%.*s' is written by rbpattn-train itself", (int)(eq - kv), kv);
    }
}

/* ---------------------------------------------------------------- data */

typedef struct data {
    rbp_dataset *all, *train, *val, *test, *train_part;
    rbp_dataset_options dopt; /* how the training input was read */
    int32_t length;
    int task, stratify;
    double seconds;
} data;

static void validation_split(const args *a, const data *d, uint64_t seed, rbp_dataset **train, rbp_dataset **val);

static void load_data(const args *a, plan *p, const rbp_model_config *resumed, data *d)
{
    memset(d, 0, sizeof *d);
    double t0 = cli_now();
    cli_data_options(&d->dopt, &a->data, resumed != NULL ? resumed->seq_len : a->length);
    d->all = cli_data_load(&a->data, &d->dopt);
    d->length = rbp_dataset_length(d->all);
    rbp_dataset *test_all = NULL;
    if (p->have_test) {
        rbp_dataset_options topt;
        cli_data_options(&topt, &p->test_args, d->length);
        test_all = cli_data_load(&p->test_args, &topt);
    }

    int task;
    if (resumed != NULL)
        task = resumed->task;
    else if (a->task == 0)
        task = cli_targets_binary(d->all) ? RBP_TASK_CLASSIFICATION : RBP_TASK_REGRESSION;
    else
        task = a->task == 1 ? RBP_TASK_CLASSIFICATION : RBP_TASK_REGRESSION;
    if (task == RBP_TASK_CLASSIFICATION) {
        const float *y = rbp_dataset_targets(d->all);
        for (size_t i = 0; i < rbp_dataset_size(d->all); i++)
            if (!(y[i] >= 0.0f && y[i] <= 1.0f))
                cli_fail("classification needs targets in [0, 1], but record %zu ('%s') has %g; "
                         "use --task regression", i + 1, rbp_dataset_id(d->all, i), (double)y[i]);
    }
    if (task == RBP_TASK_REGRESSION && p->auto_pos_weight)
        cli_usage_error("--pos-weight applies to classification only");
    if (a->monitor == RBP_MONITOR_VAL_AUC && task == RBP_TASK_REGRESSION && a->monitor_given)
        cli_usage_error("--monitor auc needs a classification task");
    d->task = task;
    d->stratify = task == RBP_TASK_CLASSIFICATION && !a->no_stratify;

    if (p->have_test) {
        d->train_part = d->all;
        d->test = test_all;
        d->all = NULL;
    } else {
        split_two(d->all, a->split, a->seed, d->stratify, &d->train_part, &d->test, "--split");
    }
    if (a->val_fraction > 0) {
        validation_split(a, d, a->seed, &d->train, &d->val);
    } else {
        d->train = d->train_part;
        d->train_part = NULL;
    }
    d->seconds = cli_now() - t0;
}

/* --pos-weight auto: negatives / positives of this training set. */
static float auto_pos_weight(const rbp_dataset *train)
{
    size_t np = rbp_dataset_count_positive(train), n = rbp_dataset_size(train);
    if (np == 0 || np == n)
        cli_fail("--pos-weight auto: the training set has %s", np == 0 ? "no positives" : "no negatives");
    return (float)((double)(n - np) / (double)np);
}

/* The validation draw of a run with seed `seed`, as load_data makes it for --seed: member i of
 * an ensemble is then the model a separate run with --seed S+i would train. */
static void validation_split(const args *a, const data *d, uint64_t seed, rbp_dataset **train, rbp_dataset **val)
{
    /* A different seed than the test split, so the two draws are independent. */
    split_two(d->train_part, 1.0 - a->val_fraction, seed ^ 0x9e3779b97f4a7c15ULL, d->stratify, train, val,
              "--val-fraction");
}

static void free_data(data *d)
{
    rbp_dataset_free(d->train);
    rbp_dataset_free(d->val);
    rbp_dataset_free(d->test);
    rbp_dataset_free(d->train_part);
    rbp_dataset_free(d->all);
}

/* 1 if some training record mixed lower- and uppercase, i.e. letter case marked a viewpoint
 * (the reader then flags lowercase positions 0); otherwise case carried no information. */
static int case_was_used(const rbp_dataset *ds)
{
    const uint8_t *mask = rbp_dataset_mask(ds), *vp = rbp_dataset_viewpoint(ds);
    size_t n = rbp_dataset_size(ds) * (size_t)rbp_dataset_length(ds);
    for (size_t i = 0; i < n; i++)
        if (mask[i] && !vp[i])
            return 1;
    return 0;
}

/* Windows of the pooling stem for whole viewpoint records (below). */
#define RECORD_POOL 8

/*
 * The default preset's 101-nt window suits CLIP sites cut to about that length. Records whose
 * letter case marks a viewpoint inside a longer context (GraphProt's format: lowercase flanks
 * around an UPPERCASE site) are read whole instead, with a pooling stem to pay for the length.
 * On GraphProt CAPRIN1 the default ensemble reaches 0.797 on a 150-nt window, 0.938 on the
 * whole record but in 1,274 s, and 0.929 in 245 s pooled over 8 (4: 0.932 in 308 s, over the
 * 5-minute budget; bench/results/rbp24-2026-12-01-gp-ens-full-pool*.md). Only the default
 * preset does this, and only when neither --length nor --stem-pool was given (nor --resume,
 * whose checkpoint fixes both).
 */
static int read_whole_records(const args *a, const cli_option *opts, const data *d)
{
    return a->resume == NULL && strcmp(a->preset, "default") == 0 && a->conv_kernel > 0 &&
           !cli_given(opts, "length") && !cli_given(opts, "stem-pool") && case_was_used(d->train);
}

/* ---------------------------------------------------------------- model and trainer */

static rbp_model *create_model(const args *a, const data *d, rbp_model_config *mcfg, uint64_t seed)
{
    mcfg->seq_len = d->length;
    mcfg->d_model = a->d_model;
    mcfg->n_heads = a->heads;
    mcfg->n_layers = a->layers;
    mcfg->d_ff = a->d_ff;
    mcfg->head_hidden = a->head_hidden;
    mcfg->dropout = (float)a->dropout;
    mcfg->task = d->task;
    mcfg->norm = a->pre_norm ? RBP_NORM_PRE : RBP_NORM_POST;
    mcfg->activation = a->gelu ? RBP_ACT_GELU : RBP_ACT_RELU;
    mcfg->pooling = a->pooling;
    mcfg->use_structure = rbp_dataset_has_structure(d->train);
    mcfg->use_viewpoint = a->viewpoint;
    mcfg->conv_kernel = a->conv_kernel;
    mcfg->stem_filters = a->stem_filters;
    mcfg->stem_pool = a->stem_pool;
    mcfg->seed = seed;
    const char *why = rbp_model_config_check(mcfg);
    if (why != NULL)
        cli_usage_error("invalid model configuration: %s", why);
    rbp_model *model = NULL;
    cli_check(rbp_model_create(&model, mcfg));
    return model;
}

static rbp_train_config train_config(const args *a, const cli_option *opts, const rbp_train_config *tdef,
                                     float pos_weight, rbp_task task, uint64_t seed)
{
    rbp_train_config tcfg = *tdef;
    tcfg.epochs = a->epochs;
    tcfg.batch_size = a->batch;
    tcfg.eval_batch_size = a->eval_batch;
    tcfg.optimizer = a->optimizer;
    tcfg.lr = (float)a->lr;
    tcfg.lr_scale = (float)a->lr_scale;
    tcfg.beta2 = (float)a->beta2;
    tcfg.schedule = a->schedule;
    /* The library's default warmup (4000 steps) belongs to the transformer schedule; a
     * constant or cosine rate starts at once unless asked otherwise. */
    tcfg.warmup_steps = a->schedule != RBP_SCHED_TRANSFORMER && !cli_given(opts, "warmup") ? 0 : a->warmup;
    if (a->schedule == RBP_SCHED_TRANSFORMER && !cli_given(opts, "warmup") && a->warmup == 0)
        tcfg.warmup_steps = 4000; /* a preset without warmup asked for the study's schedule */
    tcfg.clip_norm = (float)a->clip;
    tcfg.weight_decay = (float)a->weight_decay;
    tcfg.ema_decay = (float)a->ema;
    tcfg.pos_weight = pos_weight;
    tcfg.seed = seed;
    tcfg.patience = a->patience;
    /* the preset's validation AUC means validation loss for a regression (an explicit
     * --monitor auc was refused by load_data) */
    tcfg.monitor = a->monitor == RBP_MONITOR_VAL_AUC && task == RBP_TASK_REGRESSION ? RBP_MONITOR_VAL_LOSS : a->monitor;
    tcfg.restore_best = !a->no_restore_best;
    const char *why = rbp_train_config_check(&tcfg);
    if (why != NULL)
        cli_usage_error("invalid training configuration: %s", why);
    return tcfg;
}

static void print_setup(const args *a, const plan *p, const data *d, const rbp_model_config *mcfg,
                        const rbp_model *model, const rbp_train_config *tcfg, const rbp_trainer *trainer,
                        int32_t first_epoch, int32_t members, int32_t workers)
{
    char s1[128], s2[128], s3[128] = "";
    describe_set(s1, sizeof s1, "train", d->train, d->task);
    describe_set(s2, sizeof s2, "test", d->test, d->task);
    if (d->val != NULL)
        describe_set(s3, sizeof s3, ", validation", d->val, d->task);
    printf("data: %s\n", p->train_desc);
    if (p->have_test)
        printf("test: %s\n", p->test_desc);
    else
        printf("test: %.0f%% of the data (seeded%s split)\n", 100.0 * (1.0 - a->split),
               d->stratify ? " stratified" : "");
    printf("sequences: %s%s, %s; length %d; %s\n", s1, s3, s2, d->length,
           d->task == RBP_TASK_CLASSIFICATION ? "classification" : "regression");
    char stem[64] = "", pool[24] = "";
    if (mcfg->stem_pool)
        snprintf(pool, sizeof pool, " pool %d", (int)mcfg->stem_pool);
    if (mcfg->conv_kernel && mcfg->stem_filters)
        snprintf(stem, sizeof stem, "conv stem %d x %d filters%s, ", (int)mcfg->conv_kernel, (int)mcfg->stem_filters,
                 pool);
    else if (mcfg->conv_kernel)
        snprintf(stem, sizeof stem, "conv stem %d%s, ", (int)mcfg->conv_kernel, pool);
    printf("model: %sd_model %d, %d head%s, %d layer%s, d_ff %d, head %d, %s pooling, %s, %s%s%s; %zu parameters\n",
           stem, mcfg->d_model, mcfg->n_heads, mcfg->n_heads == 1 ? "" : "s", mcfg->n_layers,
           mcfg->n_layers == 1 ? "" : "s", mcfg->d_ff, mcfg->head_hidden, pooling_names[mcfg->pooling],
           mcfg->norm == RBP_NORM_PRE ? "pre-norm" : "post-norm", mcfg->activation == RBP_ACT_GELU ? "gelu" : "relu",
           mcfg->use_structure ? ", structure" : "", mcfg->use_viewpoint ? ", viewpoint" : "",
           rbp_model_num_params(model));
    printf("training: %d epoch%s, batch %d, %s, %s schedule", a->epochs, a->epochs == 1 ? "" : "s", a->batch,
           optimizer_names[a->optimizer], schedule_names[a->schedule]);
    if (a->schedule == RBP_SCHED_TRANSFORMER)
        printf(" (warmup %d, scale %g)", a->warmup, a->lr_scale);
    else
        printf(" (lr %g, warmup %d)", a->lr, tcfg->warmup_steps);
    if (d->task == RBP_TASK_CLASSIFICATION && tcfg->pos_weight != 1.0f)
        printf(", pos-weight %.3g", (double)tcfg->pos_weight);
    if (tcfg->ema_decay > 0.0f)
        printf(", weight average %g", a->ema);
    if (members > 1)
        printf(", seeds %llu-%llu, %d members %s, %d thread%s each\n", (unsigned long long)a->seed,
               (unsigned long long)(a->seed + (uint64_t)members - 1), members,
               workers == 1 ? "in turn" : workers == members ? "at once" : "a few at once", tcfg->n_threads,
               tcfg->n_threads == 1 ? "" : "s");
    else
        printf(", seed %llu, %d thread%s\n", (unsigned long long)a->seed, a->threads, a->threads == 1 ? "" : "s");
    if (a->resume != NULL)
        printf("resumed from %s after epoch %d (step %lld)\n", a->resume, first_epoch,
               (long long)rbp_trainer_step_count(trainer));
    fflush(stdout);
}

/* ---------------------------------------------------------------- members */

/* One model of the run: its seed, validation draw, trainer and callback state. With
 * --members N the N members train at once on min(N, --threads) worker threads. */
typedef struct member {
    run r;
    uint64_t seed;
    rbp_model *model;
    rbp_trainer *trainer;
    rbp_train_config tcfg;
    rbp_dataset *train, *val; /* member 0: the data's own; the others: their draws (owned) */
    rbp_status status;        /* of rbp_trainer_fit */
    char error[512];          /* its message (rbp_last_error is per thread) */
    const char *stopped;      /* "completed" or "early_stopping" */
    double t_fit;
    cli_metrics test;         /* the member alone, with --members > 1 */
} member;

typedef struct crew {
    member *m;
    int32_t n, workers;
    int32_t w; /* this worker's index (in the per-worker copies) */
} crew;

static void train_member(member *m)
{
    double t0 = cli_now();
    m->r.fit_start = t0;
    m->status = rbp_trainer_fit(m->trainer, m->train, m->val);
    if (m->status != RBP_OK) {
        const char *msg = rbp_last_error();
        snprintf(m->error, sizeof m->error, "%s", msg != NULL && msg[0] ? msg : rbp_status_str(m->status));
        if (m->status != RBP_ERR_CANCELLED)
            atomic_store(&m->r.out->failed, 1); /* the others stop at their next step */
    }
    m->t_fit = cli_now() - t0;
    pthread_mutex_lock(&m->r.out->lock);
    m->r.out->done[m->r.index] = 1;
    pthread_mutex_unlock(&m->r.out->lock);
}

/* Worker w trains members w, w + workers, ... in turn: which thread trains a member, and with
 * how many step threads, depends only on (N, --threads), so every run trains the same models. */
static void *crew_worker(void *arg)
{
    const crew *c = arg;
    for (int32_t i = c->w; i < c->n; i += c->workers)
        train_member(&c->m[i]);
    return NULL;
}

/* Train every member; exits on a failure (the first member's, in member order) and on ^C
 * (CLI_EXIT_INTERRUPTED). Sets each member's `stopped`. */
static void fit_members(const args *a, member *m, int32_t n, int32_t workers, cli_progress *progress)
{
    /* A member resumed after its last epoch (or after it stopped early) still goes through
     * rbp_trainer_fit, which trains no further and ends it as the uninterrupted run did: with
     * the best epoch's weights or the average. */
    if (m[0].r.first_epoch >= a->epochs && n == 1 && !a->quiet)
        printf("already trained %d of %d epochs: nothing to train\n", m[0].r.first_epoch, a->epochs);
    if (workers <= 1) {
        for (int32_t i = 0; i < n; i++)
            train_member(&m[i]);
    } else {
        crew c[RBP_MAX_MEMBERS];
        pthread_t tid[RBP_MAX_MEMBERS];
        for (int32_t w = 0; w < workers; w++) {
            c[w] = (crew){m, n, workers, w};
            if (pthread_create(&tid[w], NULL, crew_worker, &c[w]) != 0)
                cli_fail("cannot start a training thread (%d of %d)", w + 1, workers);
        }
        for (int32_t w = 0; w < workers; w++)
            pthread_join(tid[w], NULL);
    }
    cli_progress_clear(progress);
    char who[64] = "";
    for (int32_t i = 0; i < n; i++) { /* a real failure first: it cancelled the others */
        if (n > 1)
            snprintf(who, sizeof who, "member %d (seed %llu): ", i + 1, (unsigned long long)m[i].seed);
        if (m[i].status != RBP_OK && m[i].status != RBP_ERR_CANCELLED)
            cli_fail("%s%s", who, m[i].error);
        if (m[i].status == RBP_ERR_CANCELLED && m[i].r.callback_error[0] != '\0')
            cli_fail("%s%s", who, m[i].r.callback_error);
    }
    for (int32_t i = 0; i < n; i++) {
        if (m[i].status != RBP_OK) { /* cancelled: by ^C */
            const int32_t e = rbp_trainer_epoch(m[i].trainer);
            fprintf(stderr, "%s: interrupted after %d completed epoch%s", cli_program(), e, e == 1 ? "" : "s");
            if (n > 1)
                fprintf(stderr, " of member %d", i + 1);
            if (a->checkpoint != NULL && e > m[i].r.first_epoch)
                fprintf(stderr, "; continue with --resume %s", a->checkpoint);
            fputc('\n', stderr);
            exit(CLI_EXIT_INTERRUPTED);
        }
    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t e = rbp_trainer_epoch(m[i].trainer);
        m[i].stopped = e < a->epochs ? "early_stopping" : "completed";
        if (e < a->epochs && !a->quiet) {
            if (n > 1)
                printf("member %d: ", i + 1);
            printf("early stopping after epoch %d (no improvement in %d epochs)\n", e, a->patience);
        }
    }
}

/* ---------------------------------------------------------------- metadata */

/* The command line as one shell-quoted string, cut to the store's bound. */
static char *command_line(int argc, char **argv)
{
    size_t cap = 1;
    for (int i = 0; i < argc; i++)
        cap += 4 * strlen(argv[i]) + 3;
    char *s = cli_xmalloc(cap), *o = s;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        int plain = w[0] != '\0';
        for (const char *c = w; *c && plain; c++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *c) != NULL;
        if (i > 0)
            *o++ = ' ';
        if (plain) {
            o += sprintf(o, "%s", w);
            continue;
        }
        *o++ = '\'';
        for (const char *c = w; *c; c++) {
            if (*c == '\'')
                o += sprintf(o, "'\\''");
            else
                *o++ = *c;
        }
        *o++ = '\'';
    }
    *o = '\0';
    if (strlen(s) > RBP_META_STRING_MAX) {
        size_t cut = RBP_META_STRING_MAX - 3;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--; /* not inside a UTF-8 sequence */
        memcpy(s + cut, "...", 4);
    }
    return s;
}

/* What the model records before training: how its inputs were read, what it is trained on, and
 * the user's --meta keys (so that per-epoch checkpoints carry them too). */
static void write_train_metadata(rbp_model *model, const args *a, const plan *p, const data *d, const member *m,
                                 int argc, char **argv)
{
    rbp_dataset_options enc = d->dopt;
    enc.length = 0;
    /* Case is recorded as used only when it marked something: a model trained on one-case
     * records must not let soft-masked (lowercase) input move its window later. */
    enc.case_viewpoint = d->dopt.case_viewpoint && case_was_used(d->train);
    if (!rbp_dataset_has_structure(d->train))
        enc.structure_column = NULL;
    cli_check(rbp_model_meta_set_encoding(model, &enc));
    char *cmd = command_line(argc, argv);
    cli_meta_check(rbp_model_meta_set_string(model, "train.command", cmd), "train.command");
    free(cmd);
    cli_meta_check(rbp_model_meta_set_string(model, "train.data", p->train_desc), "train.data");
    cli_meta_check(rbp_model_meta_set_int(model, "train.records", (int64_t)rbp_dataset_size(m->train)), "train.records");
    if (d->task == RBP_TASK_CLASSIFICATION)
        cli_meta_check(rbp_model_meta_set_int(model, "train.positives", (int64_t)rbp_dataset_count_positive(m->train)),
                   "train.positives");
    cli_meta_check(rbp_model_meta_set_int(model, "train.validation_records", m->val ? (int64_t)rbp_dataset_size(m->val) : 0),
               "train.validation_records");
    cli_meta_check(rbp_model_meta_set_int(model, "train.seed", (int64_t)m->seed), "train.seed");
    cli_meta_check(rbp_model_meta_set_string(model, "train.preset", a->preset), "train.preset");
    for (int i = 0; i < a->meta.n; i++) {
        const char *kv = a->meta.items[i], *eq = strchr(kv, '=');
        char key[RBP_META_KEY_MAX + 1];
        size_t klen = (size_t)(eq - kv);
        if (klen > RBP_META_KEY_MAX)
            cli_usage_error("option '--meta': key '%.*s...' is longer than %d characters", 20, kv, RBP_META_KEY_MAX);
        memcpy(key, kv, klen);
        key[klen] = '\0';
        if (rbp_model_meta_set_string(model, key, eq + 1) != RBP_OK)
            cli_usage_error("option '--meta': %s", rbp_last_error());
    }
}

/* How the members' training ended, as a whole: the longest member's epochs, the steps of all,
 * and "completed" if any member ran every epoch (else "early_stopping"). */
typedef struct fit_summary {
    int32_t epochs;
    int64_t steps;
    const char *stopped;
} fit_summary;

static fit_summary summarize(const member *mem, int32_t n)
{
    fit_summary f = {0, 0, "early_stopping"};
    for (int32_t i = 0; i < n; i++) {
        const int32_t e = rbp_trainer_epoch(mem[i].trainer);
        f.epochs = e > f.epochs ? e : f.epochs;
        f.steps += rbp_trainer_step_count(mem[i].trainer);
        if (strcmp(mem[i].stopped, "completed") == 0)
            f.stopped = "completed";
    }
    return f;
}

/* After the test: the test set and its metrics (those defined for the task), how training
 * ended (fit_summary) and, for an ensemble, each member's epochs and test AUC
 * (train.member_epochs, test.member_auc: comma-separated). */
static void write_test_metadata(rbp_model *model, const args *a, const plan *p, const cli_metrics *m,
                                const member *mem, int32_t n, const fit_summary *f)
{
    char split[64];
    snprintf(split, sizeof split, "split: %.0f%% of the data", 100.0 * (1.0 - a->split));
    cli_metrics_meta(model, m, p->have_test ? p->test_desc : split);
    char list[RBP_MAX_MEMBERS * 12] = "", aucs[RBP_MAX_MEMBERS * 12] = "";
    size_t w = 0, wa = 0;
    for (int32_t i = 0; i < n; i++) {
        w += (size_t)snprintf(list + w, sizeof list - w, "%s%d", i ? "," : "", (int)rbp_trainer_epoch(mem[i].trainer));
        if (isfinite(mem[i].test.auc))
            wa += (size_t)snprintf(aucs + wa, sizeof aucs - wa, "%s%.6f", i ? "," : "", mem[i].test.auc);
    }
    cli_meta_check(rbp_model_meta_set_int(model, "train.epochs", f->epochs), "train.epochs");
    cli_meta_check(rbp_model_meta_set_string(model, "train.stopped", f->stopped), "train.stopped");
    if (n > 1) {
        cli_meta_check(rbp_model_meta_set_string(model, "train.member_epochs", list), "train.member_epochs");
        if (wa > 0)
            cli_meta_check(rbp_model_meta_set_string(model, "test.member_auc", aucs), "test.member_auc");
    }
}

/* ---------------------------------------------------------------- JSON summary */

/* The per-epoch records of one member as the array "epochs". */
static void json_epochs(cli_json *jp, const run *r, int task)
{
    cli_json_begin_array(jp, "epochs");
    for (size_t i = 0; i < r->n_history; i++) {
        const rbp_epoch_info *e = &r->history[i];
        cli_json_begin_object(jp, NULL);
        cli_json_int(jp, "epoch", e->epoch + 1);
        cli_json_int(jp, "step", e->step);
        cli_json_number(jp, "train_loss", e->train_loss);
        cli_json_number(jp, "val_loss", e->val_loss);
        if (task == RBP_TASK_CLASSIFICATION)
            cli_json_number(jp, "val_auc", e->val_auc);
        else
            cli_json_number(jp, "val_r2", e->val_r2);
        cli_json_number(jp, "lr", e->lr);
        cli_json_number(jp, "seconds", e->seconds);
        cli_json_number(jp, "seqs_per_sec", e->seqs_per_sec);
        cli_json_bool(jp, "improved", e->improved);
        cli_json_end_object(jp);
    }
    cli_json_end_array(jp);
}

typedef struct outcome {
    const fit_summary *fit;
    const cli_metrics *test;
    double t_start, t_fit, t_eval;
} outcome;

static void write_json(const args *a, const plan *p, const data *d, const rbp_model_config *mcfg,
                       const member *mem, int32_t n, const outcome *o, int argc, char **argv)
{
    const rbp_model *model = mem[0].model;
    const rbp_train_config *tcfg = &mem[0].tcfg;
    const int task = d->task;
    FILE *fp = cli_open_output(a->json);
    cli_json j;
    cli_json_init(&j, fp);
    cli_json_begin_object(&j, NULL);
    cli_json_string(&j, "program", cli_program());
    cli_json_string(&j, "version", rbp_version_string());
    cli_json_begin_array(&j, "command");
    for (int i = 0; i < argc; i++)
        cli_json_string(&j, NULL, argv[i]);
    cli_json_end_array(&j);
    cli_json_begin_object(&j, "data");
    cli_json_string(&j, "train_input", p->train_desc);
    cli_json_string(&j, "test_input", p->have_test ? p->test_desc : NULL);
    if (!p->have_test)
        cli_json_number(&j, "split", a->split);
    cli_json_number(&j, "val_fraction", a->val_fraction);
    cli_json_bool(&j, "stratified", d->stratify);
    cli_json_int(&j, "length", d->length);
    cli_json_int(&j, "train", (int64_t)rbp_dataset_size(d->train));
    cli_json_int(&j, "validation", d->val ? (int64_t)rbp_dataset_size(d->val) : 0);
    cli_json_int(&j, "test", (int64_t)rbp_dataset_size(d->test));
    if (task == RBP_TASK_CLASSIFICATION) {
        cli_json_int(&j, "train_positives", (int64_t)rbp_dataset_count_positive(d->train));
        cli_json_int(&j, "test_positives", (int64_t)rbp_dataset_count_positive(d->test));
    }
    cli_json_end_object(&j);
    cli_json_string(&j, "task", task == RBP_TASK_CLASSIFICATION ? "classification" : "regression");
    cli_json_string(&j, "preset", a->preset);
    cli_json_begin_object(&j, "model");
    cli_json_int(&j, "seq_len", mcfg->seq_len);
    cli_json_int(&j, "d_model", mcfg->d_model);
    cli_json_int(&j, "heads", mcfg->n_heads);
    cli_json_int(&j, "layers", mcfg->n_layers);
    cli_json_int(&j, "d_ff", mcfg->d_ff);
    cli_json_int(&j, "head_hidden", mcfg->head_hidden);
    cli_json_number(&j, "dropout", f2d(mcfg->dropout));
    cli_json_string(&j, "norm", mcfg->norm == RBP_NORM_PRE ? "pre" : "post");
    cli_json_string(&j, "activation", mcfg->activation == RBP_ACT_GELU ? "gelu" : "relu");
    cli_json_string(&j, "pooling", pooling_names[mcfg->pooling]);
    cli_json_bool(&j, "structure", mcfg->use_structure);
    cli_json_bool(&j, "viewpoint", mcfg->use_viewpoint);
    cli_json_int(&j, "conv_kernel", mcfg->conv_kernel);
    cli_json_int(&j, "stem_filters", mcfg->stem_filters);
    cli_json_int(&j, "stem_pool", mcfg->stem_pool);
    cli_json_int(&j, "parameters", (int64_t)rbp_model_num_params(model));
    cli_json_end_object(&j);
    cli_json_begin_object(&j, "training");
    cli_json_int(&j, "epochs", a->epochs);
    cli_json_int(&j, "epochs_run", o->fit->epochs); /* an ensemble's: its longest member's */
    cli_json_int(&j, "steps", o->fit->steps);
    cli_json_int(&j, "batch", a->batch);
    cli_json_string(&j, "optimizer", optimizer_names[a->optimizer]);
    cli_json_string(&j, "schedule", schedule_names[a->schedule]);
    cli_json_number(&j, "lr", a->lr);
    cli_json_number(&j, "lr_scale", a->lr_scale);
    cli_json_int(&j, "warmup", tcfg->warmup_steps);
    cli_json_number(&j, "beta2", a->beta2);
    cli_json_number(&j, "weight_decay", a->optimizer == RBP_OPT_ADAMW ? a->weight_decay : 0.0);
    cli_json_number(&j, "ema", a->ema);
    cli_json_number(&j, "clip", a->clip);
    cli_json_number(&j, "pos_weight", f2d(tcfg->pos_weight));
    cli_json_int(&j, "patience", a->patience);
    cli_json_string(&j, "monitor", monitor_names[tcfg->monitor]);
    cli_json_u64(&j, "seed", a->seed);
    cli_json_int(&j, "threads", a->threads);
    cli_json_int(&j, "members", n);
    cli_json_int(&j, "member_threads", tcfg->n_threads); /* step threads of each member */
    cli_json_string(&j, "resumed_from", a->resume);
    cli_json_string(&j, "stopped", o->fit->stopped);
    cli_json_end_object(&j);
    json_epochs(&j, &mem[0].r, task); /* an ensemble's first member's; each in "member_runs" */
    if (n > 1) {
        cli_json_begin_array(&j, "member_runs");
        for (int32_t m = 0; m < n; m++) {
            cli_json_begin_object(&j, NULL);
            cli_json_int(&j, "member", m + 1);
            cli_json_u64(&j, "seed", mem[m].seed);
            cli_json_int(&j, "epochs_run", rbp_trainer_epoch(mem[m].trainer));
            cli_json_int(&j, "steps", rbp_trainer_step_count(mem[m].trainer));
            cli_json_string(&j, "stopped", mem[m].stopped);
            cli_json_number(&j, "train_s", mem[m].t_fit);
            cli_metrics_json(&j, "test", &mem[m].test);
            json_epochs(&j, &mem[m].r, task);
            cli_json_end_object(&j);
        }
        cli_json_end_array(&j);
    }
    cli_metrics_json(&j, "test", o->test);
    cli_json_begin_object(&j, "timings");
    cli_json_number(&j, "load_s", d->seconds);
    cli_json_number(&j, "train_s", o->t_fit);
    cli_json_number(&j, "eval_s", o->t_eval);
    cli_json_number(&j, "total_s", cli_now() - o->t_start);
    cli_json_end_object(&j);
    cli_json_end_object(&j);
    cli_close_output(fp, a->json);
}

/* The files of a --checkpoint or --resume path: the path itself for one model; with --members
 * N > 1 one file per member, PATH.m1 .. PATH.mN (each member's trainer state). NULL stays NULL. */
static char *member_path(const char *path, int32_t i)
{
    const size_t len = strlen(path) + 16;
    char *p = cli_xmalloc(len);
    snprintf(p, len, "%s.m%d", path, (int)i + 1);
    return p;
}

static char **member_paths(const char *path, int32_t n)
{
    char **v = cli_xmalloc((size_t)n * sizeof *v);
    for (int32_t i = 0; i < n; i++)
        v[i] = path == NULL ? NULL : n == 1 ? cli_xstrdup(path) : member_path(path, i);
    return v;
}

/* --resume PATH without --members continues what was saved there: one model (PATH exists) or
 * the members PATH.m1, PATH.m2, ... (as many as there are in a row). */
static int32_t resume_members(const char *path)
{
    if (access(path, F_OK) == 0)
        return 1;
    int32_t n = 0;
    for (int found = 1; found && n < RBP_MAX_MEMBERS; n += found) {
        char *p = member_path(path, n);
        found = access(p, F_OK) == 0;
        free(p);
    }
    return n > 0 ? n : 1; /* neither: the load names PATH */
}

static void free_paths(char **v, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    double t_start = cli_now();
    cli_set_program("rbpattn-train");

    /* The preset gives the defaults of every other option, so it is found before parsing;
     * cli_parse then reads it again (and reports a missing value). */
    const char *preset = "default";
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc)
            preset = argv[i + 1];
        else if (strncmp(argv[i], "--preset=", 9) == 0)
            preset = argv[i] + 9;
    }
    rbp_model_config mdef;
    rbp_train_config tdef;
    rbp_dataset_options ddef;
    double val_fraction = 0.0;
    int32_t members = 1;
    cli_check(rbp_model_config_init(&mdef, RBP_MODEL_CONFIG_VERSION));
    cli_check(rbp_train_config_init(&tdef, RBP_TRAIN_CONFIG_VERSION));
    cli_check(rbp_dataset_options_init(&ddef, RBP_DATASET_OPTIONS_VERSION));
    if (rbp_preset_apply(preset, &mdef, &tdef, &ddef, &val_fraction) != RBP_OK ||
        rbp_preset_members(preset, &members) != RBP_OK)
        cli_usage_error("option '--preset': %s", rbp_last_error());
    args a;
    set_defaults(&a, preset, &mdef, &tdef, &ddef, val_fraction, members);
    cli_option *opts = option_table(&a);
    cli_program_info info = program_info;
    info.examples = examples_with_presets();
    const char *pos[1];
    int npos = 0;
    cli_parse(argc, argv, opts, &info, pos, &npos);

    /* ---- check the command line before touching any file */
    if (a.resume != NULL && !cli_given(opts, "members"))
        a.members = resume_members(a.resume);
    if (a.members > 1 && !cli_given(opts, "threads")) {
        /* the members train at once, one step thread each: the models are those of any
         * thread count up to N, so the default gives the same result on every machine */
        const long cores = sysconf(_SC_NPROCESSORS_ONLN);
        a.threads = cores < 1 ? 1 : cores < a.members ? (int32_t)cores : a.members;
    }
    plan p;
    a.monitor_given = cli_given(opts, "monitor");
    check_command_line(&a, opts, &p);
    char **ckpt_path = member_paths(a.checkpoint, a.members), **resume_path = member_paths(a.resume, a.members);
    {
        /* Outputs checked now, not after the epochs: a run that cannot save is refused. */
        cli_path in[16 + RBP_MAX_MEMBERS], out[4 + RBP_MAX_MEMBERS];
        size_t nin = cli_data_inputs(&a.data, "--train", in, 10), nout = 0;
        const cli_path tests[] = {{"--test", a.test, 0},
                                  {"--test-pos", a.test_pos, 0},
                                  {"--test-neg", a.test_neg, 0},
                                  {"--test-affys", a.test_affys, 0}};
        for (size_t i = 0; i < 4; i++)
            if (tests[i].path != NULL)
                in[nin++] = tests[i];
        /* --checkpoint may name the --resume file: continuing into the file one resumed from
         * is the intended use (each save replaces it atomically). */
        for (int32_t i = 0; i < a.members; i++) {
            if (resume_path[i] != NULL && !(ckpt_path[i] != NULL && cli_same_file(ckpt_path[i], resume_path[i])))
                in[nin++] = (cli_path){"--resume", resume_path[i], 0};
            out[nout++] = (cli_path){"--checkpoint", ckpt_path[i], 0};
        }
        if (a.members > 1) { /* the names given, too: --save over the --resume name is a mistake */
            if (a.resume != NULL && !(a.checkpoint != NULL && cli_same_file(a.checkpoint, a.resume)))
                in[nin++] = (cli_path){"--resume", a.resume, 0};
            out[nout++] = (cli_path){"--checkpoint", a.checkpoint, 0};
        }
        out[nout++] = (cli_path){"--save", a.save, 0};
        out[nout++] = (cli_path){"--json", a.json, 0};
        out[nout++] = (cli_path){"--predictions", a.predictions, 0};
        cli_check_outputs(in, nin, out, nout);
    }
    /* the threads share out each step's rows; the BLAS stays at one thread inside them */
    cli_check(rbp_set_num_threads(1));
    cli_install_sigint();

    /* ---- model from the checkpoint first when resuming: it fixes the length and the task */
    rbp_model *resumed = NULL;
    rbp_model_config mcfg = mdef;
    if (a.resume != NULL) { /* the first member's; the others must match it (rbp_model_ensemble) */
        cli_check(rbp_model_load(&resumed, resume_path[0]));
        cli_check(rbp_model_get_config(resumed, &mcfg));
        check_resume_options(&a, opts, &mcfg);
    }

    /* ---- data, then per member: validation draw, model, trainer */
    data d;
    load_data(&a, &p, a.resume != NULL ? &mcfg : NULL, &d);
    if (read_whole_records(&a, opts, &d)) {
        const double first_read = d.seconds; /* the data were read twice: count both */
        free_data(&d);
        a.length = 0;
        a.stem_pool = RECORD_POOL;
        load_data(&a, &p, NULL, &d);
        d.seconds += first_read;
        if (!a.quiet)
            printf("records mark a viewpoint in a longer context: read whole (length %d) with a pooling stem of %d "
                   "(--length and --stem-pool choose otherwise)\n",
                   (int)d.length, RECORD_POOL);
    }
    if (resumed != NULL && mcfg.use_structure && !rbp_dataset_has_structure(d.train))
        cli_usage_error("the checkpoint's model uses structure: give --structure-column");
    const int32_t nm = a.members;
    /* members train at once on the threads; each gets an equal share for its steps */
    const int32_t workers = nm < a.threads ? nm : a.threads;
    member *mem = cli_xmalloc((size_t)nm * sizeof *mem);
    memset(mem, 0, (size_t)nm * sizeof *mem);
    shared_out out;
    memset(&out, 0, sizeof out);
    pthread_mutex_init(&out.lock, NULL);
    out.count = nm;
    out.done = cli_xmalloc((size_t)nm * sizeof *out.done);
    memset(out.done, 0, (size_t)nm * sizeof *out.done);
    atomic_init(&out.failed, 0);
    cli_progress progress;
    cli_progress_init(&progress, !a.quiet);
    /* In a log: one progress line per epoch, at its last step, and nothing in between - and
     * none when stderr goes where stdout does (`> log 2>&1`), which has each epoch's line. */
    progress.log_every = 0;
    if (!progress.tty && cli_same_stream(stdout, stderr))
        progress.enabled = 0;
    for (int32_t i = 0; i < nm; i++) {
        member *m = &mem[i];
        m->seed = a.seed + (uint64_t)i;
        m->stopped = "completed";
        m->test.auc = NAN;
        if (i == 0) {
            m->train = d.train;
            m->val = d.val;
        } else if (a.val_fraction > 0) {
            validation_split(&a, &d, m->seed, &m->train, &m->val);
        } else {
            m->train = d.train;
        }
        if (a.resume == NULL)
            m->model = create_model(&a, &d, &mcfg, m->seed);
        else if (i == 0)
            m->model = resumed;
        else
            cli_check(rbp_model_load(&m->model, resume_path[i]));
        write_train_metadata(m->model, &a, &p, &d, m, argc, argv);
        float pw = p.auto_pos_weight ? auto_pos_weight(m->train) : p.pos_weight;
        m->tcfg = train_config(&a, opts, &tdef, pw, d.task, m->seed);
        m->tcfg.n_threads = a.threads / workers;
        cli_check(rbp_trainer_create(&m->trainer, m->model, &m->tcfg));
        if (a.resume != NULL) {
            cli_check(rbp_trainer_load(m->trainer, resume_path[i]));
            write_train_metadata(m->model, &a, &p, &d, m, argc, argv); /* this run's, over the checkpoint's */
        }
        run *r = &m->r;
        r->a = &a;
        r->out = &out;
        r->index = i;
        r->trainer = m->trainer;
        r->progress = &progress;
        r->epochs = a.epochs;
        r->first_epoch = rbp_trainer_epoch(m->trainer);
        r->checkpoint = ckpt_path[i];
        r->current_epoch = -1;
        r->has_val = m->val != NULL;
        r->task = d.task;
        cli_check(rbp_trainer_set_callbacks(m->trainer, on_step, on_epoch, r));
    }
    if (!a.quiet)
        print_setup(&a, &p, &d, &mcfg, mem[0].model, &mem[0].tcfg, mem[0].trainer, mem[0].r.first_epoch, nm, workers);

    /* ---- train */
    double t_fit0 = cli_now();
    fit_members(&a, mem, nm, workers, &progress);
    double t_fit = cli_now() - t_fit0;
    const fit_summary fit = summarize(mem, nm);

    /* ---- the model: the one trained, or the members' ensemble (training is over: read only) */
    rbp_model *model = mem[0].model, *ensemble = NULL;
    if (nm > 1) {
        const rbp_model *parts[RBP_MAX_MEMBERS];
        for (int32_t i = 0; i < nm; i++)
            parts[i] = mem[i].model;
        cli_check(rbp_model_ensemble(&ensemble, parts, nm));
        model = ensemble;
    }

    /* ---- test (each member alone too, to show what the ensemble adds) */
    double t_eval0 = cli_now();
    size_t nt = rbp_dataset_size(d.test);
    float *pred = cli_xmalloc(nt * sizeof *pred);
    rbp_session_options sopt;
    cli_check(rbp_session_options_init(&sopt, RBP_SESSION_OPTIONS_VERSION));
    sopt.n_threads = a.threads;
    for (int32_t i = nm > 1 ? 0 : nm; i <= nm; i++) {
        rbp_session *session = NULL;
        cli_check(rbp_session_create(&session, i < nm ? mem[i].model : model, &sopt));
        cli_check(rbp_session_predict(session, d.test, a.eval_batch, pred));
        rbp_session_free(session);
        if (i < nm)
            cli_metrics_compute(&mem[i].test, pred, rbp_dataset_targets(d.test), nt, d.task, a.threshold, a.binarize);
    }
    cli_metrics m;
    cli_metrics_compute(&m, pred, rbp_dataset_targets(d.test), nt, d.task, a.threshold, a.binarize);
    double t_eval = cli_now() - t_eval0;
    if (!a.quiet)
        printf("\n");
    if (nm > 1) {
        for (int32_t i = 0; i < nm; i++) {
            char line[256];
            cli_metrics_line(line, sizeof line, &mem[i].test);
            printf("member %d (seed %llu): %s\n", i + 1, (unsigned long long)mem[i].seed, line);
        }
    }
    cli_metrics_print(stdout, &m, nm > 1 ? "test (ensemble)" : "test", 0);
    if (!a.quiet) {
        char d1[32], d2[32];
        printf("time: training %s, total %s\n", cli_format_duration(d1, sizeof d1, t_fit),
               cli_format_duration(d2, sizeof d2, cli_now() - t_start));
    }
    fflush(stdout);

    /* The model first: a failure writing the other outputs must not lose the training. */
    if (a.save != NULL) {
        write_test_metadata(model, &a, &p, &m, mem, nm, &fit);
        cli_check(rbp_model_save(model, a.save));
        if (!a.quiet)
            printf("saved %s to %s\n", nm > 1 ? "ensemble" : "model", a.save);
    }
    if (a.predictions != NULL) {
        FILE *fp = cli_open_output(a.predictions);
        fprintf(fp, "id\ttarget\tscore\n");
        const float *y = rbp_dataset_targets(d.test);
        for (size_t i = 0; i < nt; i++)
            fprintf(fp, "%s\t%.9g\t%.9g\n", rbp_dataset_id(d.test, i), (double)y[i], (double)pred[i]);
        cli_close_output(fp, a.predictions);
    }
    if (a.json != NULL) {
        outcome o = {&fit, &m, t_start, t_fit, t_eval};
        write_json(&a, &p, &d, &mcfg, mem, nm, &o, argc, argv);
    }

    free(pred);
    for (int32_t i = 0; i < nm; i++) {
        free(mem[i].r.history);
        rbp_trainer_free(mem[i].trainer);
        rbp_model_free(mem[i].model);
        if (i > 0 && mem[i].train != d.train) {
            rbp_dataset_free(mem[i].train);
            rbp_dataset_free(mem[i].val);
        }
    }
    rbp_model_free(ensemble);
    free(mem);
    free(out.done);
    pthread_mutex_destroy(&out.lock);
    free_paths(ckpt_path, nm);
    free_paths(resume_path, nm);
    free(a.meta.items);
    free(opts);
    free_data(&d);
    return CLI_EXIT_OK;
}
