/*
 * cli/opts.h - option-table fragments shared by several programs, so that the same input
 * options read the same way (and are documented the same way) in train and eval.
 */
#ifndef RBPATTN_CLI_OPTS_H
#define RBPATTN_CLI_OPTS_H

#include "cli/cli.h"

#define CLI_RANGE_NONE 1, 0 /* min > max: no range check */

/* The input-format options; `a` is a cli_data_args lvalue, `gname` the name of the generic
 * file option ("train" or "data") and `gname_help` its help line. */
#define CLI_DATA_INPUT_OPTIONS(a, gname, gname_help)                                                      \
    {"fasta", 0, CLI_OPT_STRING, &(a).fasta, "FILE",                                                         \
     "FASTA (.fa/.fa.gz) with labels in the headers ('class:1', RBP-31)", CLI_RANGE_NONE, NULL, 0},          \
    {"csv", 0, CLI_OPT_STRING, &(a).csv, "FILE", "CSV with a header (the study's columns: sequence, ..., RKA)",    \
     CLI_RANGE_NONE, NULL, 0},                                                                                \
    {"tsv", 0, CLI_OPT_STRING, &(a).tsv, "FILE", "TSV with a header", CLI_RANGE_NONE, NULL, 0},               \
    {"lines", 0, CLI_OPT_STRING, &(a).lines, "FILE", "plain 'SEQUENCE TARGET' lines ('#' comments)",           \
     CLI_RANGE_NONE, NULL, 0},                                                                                \
    {"pos", 0, CLI_OPT_STRING, &(a).pos, "FILE",                                                             \
     "GraphProt positives FASTA (with --neg; lowercase = context,\nUPPERCASE = viewpoint)", CLI_RANGE_NONE,   \
     NULL, 0},                                                                                                \
    {"neg", 0, CLI_OPT_STRING, &(a).neg, "FILE", "GraphProt negatives FASTA (with --pos)", CLI_RANGE_NONE,     \
     NULL, 0},                                                                                                \
    {"affys", 0, CLI_OPT_STRING, &(a).affys, "FILE",                                                         \
     "RNAcompete affinities, one per line, for the --fasta records", CLI_RANGE_NONE, NULL, 0},                \
    {gname, 0, CLI_OPT_STRING, &(a).generic, "FILE", gname_help, CLI_RANGE_NONE, NULL, 0},                \
    {"format", 0, CLI_OPT_CHOICE, &(a).format, NULL,                                                          \
     "format of the --" gname " file (default auto: from the extension)", CLI_RANGE_NONE, cli_format_names, 0}

#define CLI_DATA_COLUMN_OPTIONS(a)                                                                            \
    {"sequence-column", 0, CLI_OPT_STRING, &(a).sequence_column, "NAME",                                     \
     "CSV/TSV column of the sequences (default sequence)", CLI_RANGE_NONE, NULL, 0},                          \
    {"target-column", 0, CLI_OPT_STRING, &(a).target_column, "NAME",                                         \
     "CSV/TSV column of the targets (default RKA)", CLI_RANGE_NONE, NULL, 0},                                 \
    {"structure-column", 0, CLI_OPT_STRING, &(a).structure_column, "NAME",                                   \
     "CSV/TSV column of dot-bracket structures: adds a structure channel", CLI_RANGE_NONE, NULL, 0},         \
    {"label-key", 0, CLI_OPT_STRING, &(a).label_key, "KEY",                                                  \
     "FASTA header key before the label (default 'class:')", CLI_RANGE_NONE, NULL, 0},                        \
    {"truncate", 0, CLI_OPT_CHOICE, &(a).truncate, NULL,                                                      \
     "which part of a longer sequence to keep (default right = the start;\n"                                 \
     "center = around the viewpoint; eval, predict, attn: the model's)",                                     \
     CLI_RANGE_NONE, cli_truncate_names, 0},                                                                  \
    {"no-case-viewpoint", 0, CLI_OPT_FLAG, &(a).no_case, NULL,                                               \
     "ignore letter case (else lowercase = context, UPPERCASE = viewpoint)", CLI_RANGE_NONE, NULL, 0},        \
    {"max-length", 0, CLI_OPT_INT, &(a).max_length, "N", "reject a sequence longer than N (default 100000)",   \
     1, INT32_MAX, NULL, 0}

/* --model of the programs that score with a trained model: a file or a bundled model's name
 * (cli_resolve_model turns the name into the file). */
#define CLI_MODEL_OPTION(dest)                                                                              \
    {"model", 'm', CLI_OPT_STRING, &(dest), "FILE|NAME",                                                    \
     "trained model (rbpattn-train --save) or a bundled model's name\n(e.g. PUM2; rbpattn-info --list) [required]", \
     CLI_RANGE_NONE, NULL, 0}

/* The options of programs that take the input encoding from the model (cli_model_encoding). */
#define CLI_MODEL_ENCODING_OPTIONS(case_dest, force_dest)                                                   \
    {"case-viewpoint", 0, CLI_OPT_FLAG, &(case_dest), NULL,                                                  \
     "lowercase = context, UPPERCASE = viewpoint (--truncate and the\n"                                     \
     "[no-]case-viewpoint flags default to what the model was trained with)", CLI_RANGE_NONE, NULL, 0},     \
    {"force", 0, CLI_OPT_FLAG, &(force_dest), NULL,                                                          \
     "let --truncate / --[no-]case-viewpoint override the model's encoding", CLI_RANGE_NONE, NULL, 0}

#define CLI_THREADS_OPTION(dest)                                                                              \
    {"threads", 't', CLI_OPT_INT, &(dest), "N", "worker threads sharing each batch's rows (default 1; the\n"  \
     "BLAS runs at 1 inside them; results are reproducible for a\n"                                          \
     "given seed and thread count)", 1, 1024, NULL, 0}

#define CLI_QUIET_OPTION(dest)                                                                                \
    {"quiet", 'q', CLI_OPT_FLAG, &(dest), NULL, "no progress display or informational lines\n(results, warnings and errors only)",  \
     CLI_RANGE_NONE, NULL, 0}

#define CLI_END_OPTIONS {NULL, 0, CLI_OPT_FLAG, NULL, NULL, NULL, CLI_RANGE_NONE, NULL, 0}
#define CLI_SECTION(title) {NULL, 0, CLI_OPT_SECTION, NULL, NULL, title, CLI_RANGE_NONE, NULL, 0}

#endif /* RBPATTN_CLI_OPTS_H */
