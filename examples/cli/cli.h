/*
 * cli/cli.h - helpers shared by the bundled programs (rbpattn-train, -predict, -eval, -attn).
 *
 * Option parsing from a table (the same table prints --help), error reporting with the
 * programs' exit-code convention, a progress bar for terminals (plain log lines otherwise),
 * TSV/JSON/aligned-text output, the data options every program accepts (input formats of the
 * reader) and the metrics every program prints. Input is read by the library (rbp_reader,
 * rbp_dataset_load). These are program helpers, not library API: they print and exit.
 */
#ifndef RBPATTN_CLI_H
#define RBPATTN_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rbpattn/rbpattn.h>

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CLI_NORETURN __attribute__((noreturn))
#else
#define CLI_PRINTF(a, b)
#define CLI_NORETURN
#endif

/* Exit codes of every program. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,     /* a runtime failure (bad file, diverged training, ...) */
    CLI_EXIT_USAGE = 2,       /* bad command line */
    CLI_EXIT_INTERRUPTED = 130 /* SIGINT */
};

/* ---------------------------------------------------------------- errors */

/* Set once at the start of main: the program name used in every message ("rbpattn-train"). */
void cli_set_program(const char *name);
const char *cli_program(void);

/* "<prog>: error: <message>" on stderr, exit CLI_EXIT_USAGE, with a hint to --help. */
CLI_NORETURN void cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* "<prog>: error: <message>" on stderr, exit CLI_EXIT_FAILURE. */
CLI_NORETURN void cli_fail(const char *fmt, ...) CLI_PRINTF(1, 2);
/* "<prog>: error: <rbp_last_error()>" (or the status name when the message is empty), exit 1. */
CLI_NORETURN void cli_fail_status(rbp_status st);
/* "<prog>: warning: <message>" on stderr. */
void cli_warn(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Exit with a runtime failure unless st == RBP_OK. */
void cli_check(rbp_status st);

/* malloc/calloc/realloc that exit with a clear message when memory runs out. */
void *cli_xmalloc(size_t n);
void *cli_xcalloc(size_t count, size_t size);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);

/* ---------------------------------------------------------------- options */

typedef enum cli_opt_type {
    CLI_OPT_SECTION = 0, /* not an option: a heading in --help (help = the heading) */
    CLI_OPT_FLAG,        /* int *dest = 1 */
    CLI_OPT_INT,         /* int32_t *dest, within [min, max] */
    CLI_OPT_U64,         /* uint64_t *dest */
    CLI_OPT_DOUBLE,      /* double *dest, within [min, max] */
    CLI_OPT_STRING,      /* const char **dest (borrowed from argv) */
    CLI_OPT_CHOICE,      /* int32_t *dest = index of the value in choices */
    CLI_OPT_LIST         /* cli_list *dest: every value in order (the option may repeat) */
} cli_opt_type;

/* Values of a CLI_OPT_LIST option (borrowed from argv; the array is the program's, freed at exit). */
typedef struct cli_list {
    const char **items;
    int n;
} cli_list;

typedef struct cli_option {
    const char *name;             /* long name without "--" */
    char short_name;              /* 0 if none */
    cli_opt_type type;
    void *dest;
    const char *metavar;          /* shown in --help ("N", "FILE") */
    const char *help;             /* one line or more ('\n' continues, indented) */
    double min, max;              /* CLI_OPT_INT / CLI_OPT_DOUBLE range (min > max: unchecked) */
    const char *const *choices;   /* CLI_OPT_CHOICE: NULL-terminated value names */
    int given;                    /* set by the parser: times the option appeared */
} cli_option;

/* Description of a program for --help. */
typedef struct cli_program_info {
    const char *usage;       /* "rbpattn-train [options] --fasta FILE" */
    const char *summary;     /* a paragraph */
    const char *examples;    /* example commands */
    const char *positional;  /* name of positional arguments for the usage check, NULL = none */
    int max_positional;      /* how many positional arguments are allowed */
} cli_program_info;

/*
 * Parse argv against `opts` (terminated by an entry with name == NULL and type != SECTION).
 * Handles "--name value", "--name=value", "-x value", "--" and the built-in --help / -h and
 * --version (which print and exit 0). Positional arguments go to pos[0..*npos) (borrowed);
 * a program with max_positional == 0 may pass NULL for both.
 * Unknown options, missing or malformed values and surplus positionals are usage errors
 * (exit 2) naming the option.
 */
void cli_parse(int argc, char **argv, cli_option *opts, const cli_program_info *info, const char **pos,
               int *npos);
/* The option entry called `name` (for ->given); exits (internal error) if there is none. */
const cli_option *cli_find_option(const cli_option *opts, const char *name);
int cli_given(const cli_option *opts, const char *name);
/* Print the help text generated from the table. */
void cli_print_help(FILE *fp, const cli_option *opts, const cli_program_info *info);
/* The same as a man page (roff, section 1): what the hidden --man option prints, from which
 * the build makes man/man1/<program>.1. SEE ALSO lists CLI_PROGRAMS when the build defines it
 * (the bundled programs, blank-separated). */
void cli_print_man(FILE *fp, const cli_option *opts, const cli_program_info *info);
/* The same as a man page (roff, section 1): what the hidden --man option prints, from which
 * the build makes man/man1/<program>.1. SEE ALSO lists CLI_PROGRAMS when the build defines it
 * (the bundled programs, blank-separated). */
void cli_print_man(FILE *fp, const cli_option *opts, const cli_program_info *info);

/* ---------------------------------------------------------------- time, progress */

/* Monotonic seconds. */
double cli_now(void);
/* "1:02:03" / "2:03" / "12.3 s" style durations into buf. */
const char *cli_format_duration(char *buf, size_t len, double seconds);

/* Install a SIGINT handler that sets a flag (a second ^C kills as usual). */
void cli_install_sigint(void);
int cli_interrupted(void);

/*
 * Progress reporting on stderr. On a terminal one line is redrawn with '\r' at most ~10 times
 * a second; elsewhere plain log lines (no '\r', no escapes): at most one every `log_every`
 * seconds, or with log_every 0 one per forced show (the end of a unit, such as an epoch: one
 * line per epoch, nothing in between). Nothing at all when disabled (--quiet).
 */
typedef struct cli_progress {
    FILE *fp;
    int enabled;
    int tty;
    int drawn;            /* a bar is on screen (must be cleared before other output) */
    double log_every;     /* seconds between plain log lines within a unit; 0 = none (default 10) */
    double last;          /* time of the last draw / line */
    int width;            /* terminal columns */
    int percent;          /* show done/total as a percentage instead of counts */
} cli_progress;

void cli_progress_init(cli_progress *p, int enabled);
/*
 * Show progress: `label` ("epoch 3/20"), done/total units (total 0 = unknown), an optional
 * extra text ("loss 0.4123"), throughput in `unit`/s and the ETA in seconds (< 0 = unknown).
 * `force` draws even if the last draw was very recent.
 */
void cli_progress_show(cli_progress *p, const char *label, double done, double total, const char *extra,
                       double rate, const char *unit, double eta, int force);
/* Erase the bar so that normal output can follow (no-op off a terminal). */
void cli_progress_clear(cli_progress *p);

/* ---------------------------------------------------------------- output */

/* Format a double for text: "%.4f" style with `digits`, "n/a" for NaN. */
const char *cli_fmt(char *buf, size_t len, double v, int digits);

/* A minimal streaming JSON writer (UTF-8 passthrough, escapes, NaN/Inf -> null). */
typedef struct cli_json {
    FILE *fp;
    int depth;
    int first[32];        /* per nesting level: no element written yet */
    int after_key;        /* a key was just written: the next value needs no comma */
} cli_json;

void cli_json_init(cli_json *j, FILE *fp);
void cli_json_begin_object(cli_json *j, const char *key);
void cli_json_end_object(cli_json *j);
void cli_json_begin_array(cli_json *j, const char *key);
void cli_json_end_array(cli_json *j);
void cli_json_string(cli_json *j, const char *key, const char *value); /* NULL -> null */
void cli_json_number(cli_json *j, const char *key, double value);
void cli_json_int(cli_json *j, const char *key, int64_t value);
void cli_json_u64(cli_json *j, const char *key, uint64_t value);
void cli_json_bool(cli_json *j, const char *key, int value);

/* Open `path` for writing ("-" = stdout) through rbp_atomic_file: the file appears only when
 * cli_close_output succeeds. Exits with a clear error on failure. */
FILE *cli_open_output(const char *path);
/* Close a file from cli_open_output, checking write errors, and put it in place (exits on
 * failure, leaving the old file). */
void cli_close_output(FILE *fp, const char *path);

/* A file (or directory) a program reads or writes, with the option that named it. */
typedef struct cli_path {
    const char *option;  /* "--save", "-o", "INPUT" */
    const char *path;    /* NULL = not given; "-" = stdin/stdout (not checked) */
    int directory;       /* an output directory (created if missing) rather than a file */
} cli_path;

/*
 * Check every output before the work starts: its directory exists and is writable and a file
 * output is not a directory ("cannot write 'X': ...", exit 1), and no output is the same file
 * as an input or another output (same path, symlink or hard link; a usage error naming both,
 * exit 2). Call right after parsing, before any file is read.
 */
void cli_check_outputs(const cli_path *inputs, size_t n_inputs, const cli_path *outputs, size_t n_outputs);
/* 1 if the two paths name the same file (same inode, or the same resolved path). */
int cli_same_file(const char *a, const char *b);
/* 1 if two open streams write to the same file or pipe (`> log 2>&1`). */
int cli_same_stream(FILE *a, FILE *b);

/* ---------------------------------------------------------------- data options */

/* Input options shared by train and eval (the reader's formats). */
typedef struct cli_data_args {
    const char *fasta, *csv, *tsv, *lines, *pos, *neg, *affys, *generic;
    int32_t format;               /* index into cli_format_names, for --train/--data FILE */
    const char *sequence_column, *target_column, *structure_column, *label_key;
    int32_t truncate;             /* index into cli_truncate_names */
    int32_t length;               /* 0 = longest */
    int32_t no_case;              /* --no-case-viewpoint */
    int32_t max_length;           /* --max-length; 0 = the library's default */
} cli_data_args;

extern const char *const cli_format_names[];   /* auto csv tsv fasta lines graphprot rnacompete */
extern const char *const cli_truncate_names[]; /* right left center error */

/* Fill the reader options from the arguments (length overrides args->length when > 0). */
void cli_data_options(rbp_dataset_options *opt, const cli_data_args *args, int32_t length);
/* Check that exactly one input was named (usage error otherwise); returns a short
 * description of it ("PUM2.fa.gz (fasta)") in buf. `what` names the role ("training"). */
const char *cli_data_describe(const cli_data_args *args, const char *generic_option, char *buf, size_t len);
/*
 * The input encoding for data scored by `model` (loaded from `model_path`), in place on `opt`
 * (already initialised by the caller): length, truncate and case_viewpoint from the model
 * (rbp_dataset_options_from_model), label_key and structure_column too unless the program's
 * option table `opts` says --label-key / --structure-column. An explicit --truncate,
 * --case-viewpoint or --no-case-viewpoint that contradicts what the model records is a usage
 * error naming what the model expects, unless --force is given (then the flag wins, with a
 * warning); models without encoding keys (format 1 and 2 files) take the flags as given.
 * --length, if the table has it, must equal the model's length. Options the table lacks are
 * not looked at. Used by predict, eval and attn alike.
 */
void cli_model_encoding(rbp_dataset_options *opt, const rbp_model *model, const char *model_path,
                        const cli_option *opts);
/* The model a program was given (`option`, e.g. "--model"): no model at all is a usage error
 * saying `missing`; an existing file is kept; a bundled model's name (rbp_model_find decides
 * what is a name) is replaced by its path, and a name with no such model is a usage error
 * listing where it looked; any other path is left for the loader to report. */
void cli_resolve_model(const char **model, const char *option, const char *missing);
/* The data files named by `args` as cli_path entries in dst[0..cap) (for cli_check_outputs);
 * `generic_option` is the program's name for args->generic ("--train", "--data"). Returns how many. */
size_t cli_data_inputs(const cli_data_args *args, const char *generic_option, cli_path *dst, size_t cap);
/* Load the input named by `args` (exits with the library's message on failure). */
rbp_dataset *cli_data_load(const cli_data_args *args, const rbp_dataset_options *opt);
/* 1 if every target is exactly 0 or 1 (a classification set). */
int cli_targets_binary(const rbp_dataset *ds);

/* ---------------------------------------------------------------- metrics */

typedef struct cli_metrics {
    size_t n, positives;          /* positives: label > 0.5 (after binarising for regression) */
    int task;                     /* rbp_task */
    int binarized;                /* regression targets were binarised for AUC / accuracy */
    double threshold;             /* decision threshold used for accuracy */
    double auc, auprc, accuracy, log_loss; /* NaN where undefined */
    double r2, pearson, spearman, mse;
} cli_metrics;

/*
 * All metrics defined for the task: classification -> AUC, AUPRC, accuracy (at `threshold`),
 * log loss, R-squared and MSE of the probabilities; regression -> R-squared, Pearson, Spearman,
 * MSE, plus AUC, AUPRC and accuracy when `binarize` is finite (label = target > binarize,
 * score = prediction, accuracy at prediction >= binarize). Undefined values are NaN.
 */
void cli_metrics_compute(cli_metrics *m, const float *pred, const float *targets, size_t n, int task,
                         double threshold, double binarize);
/* Aligned text table ("  AUC        0.9512") or TSV ("metric\tvalue") of the defined metrics. */
void cli_metrics_print(FILE *fp, const cli_metrics *m, const char *title, int tsv);
/* The metrics as JSON members of the current object. */
void cli_metrics_json(cli_json *j, const char *key, const cli_metrics *m);
/* One line: "AUC 0.9512  AUPRC 0.8123  accuracy 0.9012 ..." */
void cli_metrics_line(char *buf, size_t len, const cli_metrics *m);
/* A metadata write that cannot fail the run: a value the store refuses (a file name that is
 * not UTF-8, say) is left out with a warning. */
void cli_meta_check(rbp_status st, const char *key);
/* Record test metrics in the model's metadata: test.data (`data`), test.records,
 * test.positives, and each metric defined (test.auc, test.auprc, ..., test.mse). */
void cli_metrics_meta(rbp_model *model, const cli_metrics *m, const char *data);

/* ---------------------------------------------------------------- plots */

/*
 * ROC and precision-recall curves of scores against binary labels (> 0.5 positive) as
 * DIR/roc.png, DIR/roc.svg, DIR/pr.png and DIR/pr.svg (DIR is created if missing). `title`
 * names the data in the plot titles. Exits with a clear message on failure; the written
 * paths are printed to `log` unless it is NULL.
 */
void cli_write_curves(const char *dir, const float *scores, const float *labels, size_t n, const char *title,
                      FILE *log);

/* Create a directory (and its parents) if missing; exits on failure. */
void cli_mkdir_p(const char *dir);

#endif /* RBPATTN_CLI_H */
