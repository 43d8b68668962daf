/*
 * info.c - rbpattn-info: what a model file holds, without running it.
 *
 * Prints the file format, the architecture (rbp_model_config) and parameter count, the input
 * encoding that predict/eval/attn will use (rbp_dataset_options_from_model), and every
 * metadata key: what the model was trained on, its test metrics, and the user's own keys.
 * As aligned text, or with --json as one JSON object for scripts.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rbpattn/rbpattn.h>

#include "cli/cli.h"
#include "cli/opts.h"

static const char *const pooling_names[] = {"flatten", "mean", "max"};

typedef struct args {
    int32_t json, list;
} args;

/* A float setting as the decimal it was written as (0.1f -> 0.1, not 0.100000001). */
static double f2d(float x)
{
    char b[32];
    snprintf(b, sizeof b, "%.7g", (double)x);
    return strtod(b, NULL);
}

static void print_value(FILE *fp, const rbp_model *m, const char *key)
{
    const char *s;
    int64_t i;
    double d;
    switch (rbp_model_meta_type(m, key)) {
    case RBP_META_STRING:
        cli_check(rbp_model_meta_get_string(m, key, &s));
        fputs(s, fp);
        break;
    case RBP_META_INT:
        cli_check(rbp_model_meta_get_int(m, key, &i));
        fprintf(fp, "%lld", (long long)i);
        break;
    case RBP_META_DOUBLE:
        cli_check(rbp_model_meta_get_double(m, key, &d));
        fprintf(fp, "%.9g", d);
        break;
    case RBP_META_NONE:
        break;
    }
}

static void json_value(cli_json *j, const rbp_model *m, const char *key)
{
    const char *s;
    int64_t i;
    double d;
    switch (rbp_model_meta_type(m, key)) {
    case RBP_META_STRING:
        cli_check(rbp_model_meta_get_string(m, key, &s));
        cli_json_string(j, key, s);
        break;
    case RBP_META_INT:
        cli_check(rbp_model_meta_get_int(m, key, &i));
        cli_json_int(j, key, i);
        break;
    case RBP_META_DOUBLE:
        cli_check(rbp_model_meta_get_double(m, key, &d));
        cli_json_number(j, key, d);
        break;
    case RBP_META_NONE:
        break;
    }
}

/* A string metadata value, or "-" (for the --list table). */
static const char *meta_str(const rbp_model *m, const char *key, char *buf, size_t size)
{
    const char *s;
    double d;
    if (rbp_model_meta_type(m, key) == RBP_META_STRING && rbp_model_meta_get_string(m, key, &s) == RBP_OK)
        return s;
    if (rbp_model_meta_type(m, key) == RBP_META_DOUBLE && rbp_model_meta_get_double(m, key, &d) == RBP_OK) {
        snprintf(buf, size, "%.4f", d);
        return buf;
    }
    return "-";
}

/* --list: every bundled model of the search path (rbp_model_bundled), one row each. */
static int list_bundled(int json)
{
    char path[4096], dir[4096];
    cli_json j;
    if (json) {
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j, NULL);
        cli_json_begin_array(&j, "search_path");
        for (size_t i = 0; rbp_model_search_dir(i, dir, sizeof dir) == RBP_OK; i++)
            cli_json_string(&j, NULL, dir);
        cli_json_end_array(&j);
        cli_json_begin_array(&j, "models");
    } else {
        printf("name\tprotein\tprotocol\ttest_auc\tdataset\tpath\n");
    }
    size_t n = 0;
    for (size_t i = 0; rbp_model_bundled(i, path, sizeof path) == RBP_OK; i++, n++) {
        rbp_model *m = NULL;
        if (rbp_model_load(&m, path) != RBP_OK) {
            cli_warn("%s", rbp_last_error()); /* one bad file does not hide the others */
            continue;
        }
        char stem[256], b1[32];
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(base) - 4), base);
        if (json) {
            cli_json_begin_object(&j, NULL);
            cli_json_string(&j, "name", stem);
            cli_json_string(&j, "path", path);
            json_value(&j, m, "protein");
            json_value(&j, m, "protocol");
            json_value(&j, m, "dataset");
            json_value(&j, m, "test.auc");
            cli_json_end_object(&j);
        } else {
            char b2[32], b3[32], b4[32];
            printf("%s\t%s\t%s\t%s\t%s\t%s\n", stem, meta_str(m, "protein", b1, sizeof b1),
                   meta_str(m, "protocol", b2, sizeof b2), meta_str(m, "test.auc", b3, sizeof b3),
                   meta_str(m, "dataset", b4, sizeof b4), path);
        }
        rbp_model_free(m);
    }
    if (json) {
        cli_json_end_array(&j);
        cli_json_end_object(&j);
        fputc('\n', stdout);
    } else if (n == 0) {
        fprintf(stderr, "rbpattn-info: no bundled models in the search path:");
        for (size_t i = 0; rbp_model_search_dir(i, dir, sizeof dir) == RBP_OK; i++)
            fprintf(stderr, " %s", dir);
        fprintf(stderr, "\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli_set_program("rbpattn-info");
    args a;
    memset(&a, 0, sizeof a);
    cli_option opts[] = {
        {"json", 0, CLI_OPT_FLAG, &a.json, NULL, "print one JSON object instead of text", CLI_RANGE_NONE, NULL, 0},
        {"list", 0, CLI_OPT_FLAG, &a.list, NULL,
         "list the bundled models (name, protein, test AUC, path): the names\n"
         "--model NAME takes in rbpattn-predict, -eval, -attn, -scan, -mutate, -motifs",
         CLI_RANGE_NONE, NULL, 0},
        CLI_END_OPTIONS,
    };
    const cli_program_info info = {
        "rbpattn-info [--json] MODEL | rbpattn-info --list [--json]",
        "Show what a model file holds: its format, architecture and parameter count, the\n"
        "input encoding rbpattn-predict, -eval and -attn use with it, and its metadata (what\n"
        "it was trained on, test metrics, keys added with rbpattn-train --meta).",
        "  rbpattn-info pum2.rbp\n"
        "  rbpattn-info PUM2            # a bundled model, by name\n"
        "  rbpattn-info --list\n"
        "  rbpattn-info --json pum2.rbp | jq .metadata.protein\n",
        "MODEL",
        1,
    };
    const char *pos[1] = {NULL};
    int npos = 0;
    cli_parse(argc, argv, opts, &info, pos, &npos);
    if (a.list) {
        if (npos > 0)
            cli_usage_error("--list takes no MODEL");
        return list_bundled(a.json);
    }
    cli_resolve_model(&pos[0], "", "missing MODEL (a file saved by rbpattn-train --save)");
    const char *path = pos[0];

    rbp_model *m = NULL;
    cli_check(rbp_model_load(&m, path));
    rbp_model_config c;
    cli_check(rbp_model_get_config(m, &c));
    rbp_dataset_options enc;
    rbp_status enc_st = rbp_dataset_options_from_model(&enc, m);
    const char *enc_error = enc_st == RBP_OK ? NULL : rbp_last_error();
    char enc_msg[512] = "";
    if (enc_error)
        snprintf(enc_msg, sizeof enc_msg, "%s", enc_error);
    const int recorded = rbp_model_meta_type(m, "encoding.truncate") != RBP_META_NONE;
    const int32_t format = rbp_model_file_format(m);
    const size_t nkeys = rbp_model_meta_count(m);
    const char *task = c.task == RBP_TASK_CLASSIFICATION ? "classification" : "regression";

    if (a.json) {
        cli_json j;
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j, NULL);
        cli_json_string(&j, "file", path);
        cli_json_int(&j, "format", format);
        cli_json_u64(&j, "parameters", (uint64_t)rbp_model_num_params(m));
        cli_json_int(&j, "members", rbp_model_num_members(m));
        cli_json_begin_object(&j, "config");
        cli_json_string(&j, "task", task);
        cli_json_int(&j, "seq_len", c.seq_len);
        cli_json_int(&j, "d_model", c.d_model);
        cli_json_int(&j, "heads", c.n_heads);
        cli_json_int(&j, "layers", c.n_layers);
        cli_json_int(&j, "d_ff", c.d_ff);
        cli_json_int(&j, "head_hidden", c.head_hidden);
        cli_json_number(&j, "dropout", f2d(c.dropout));
        cli_json_number(&j, "ln_eps", f2d(c.ln_eps));
        cli_json_string(&j, "norm", c.norm == RBP_NORM_PRE ? "pre" : "post");
        cli_json_string(&j, "activation", c.activation == RBP_ACT_GELU ? "gelu" : "relu");
        cli_json_string(&j, "pooling", pooling_names[c.pooling]);
        cli_json_bool(&j, "structure", c.use_structure);
        cli_json_bool(&j, "viewpoint", c.use_viewpoint);
        cli_json_int(&j, "conv_kernel", c.conv_kernel);
        cli_json_int(&j, "stem_filters", c.stem_filters);
        cli_json_int(&j, "stem_pool", c.stem_pool);
        cli_json_u64(&j, "seed", c.seed);
        cli_json_end_object(&j);
        cli_json_begin_object(&j, "encoding");
        cli_json_bool(&j, "recorded", recorded);
        if (enc_error) {
            cli_json_string(&j, "error", enc_msg);
        } else {
            cli_json_int(&j, "length", enc.length);
            cli_json_string(&j, "truncate", cli_truncate_names[enc.truncate]);
            cli_json_bool(&j, "case_viewpoint", enc.case_viewpoint);
            cli_json_string(&j, "label_key", enc.label_key);
            cli_json_string(&j, "structure_column", enc.structure_column);
        }
        cli_json_end_object(&j);
        cli_json_begin_object(&j, "metadata");
        for (size_t i = 0; i < nkeys; i++)
            json_value(&j, m, rbp_model_meta_key(m, i));
        cli_json_end_object(&j);
        cli_json_end_object(&j);
        fputc('\n', stdout);
    } else {
        const int32_t members = rbp_model_num_members(m);
        if (members > 1)
            printf("model: %s (format %d, ensemble of %d members x %zu parameters)\n", path, (int)format, (int)members,
                   rbp_model_num_params(m) / (size_t)members);
        else
            printf("model: %s (format %d, %zu parameters)\n", path, (int)format, rbp_model_num_params(m));
        printf("architecture: %s, length %d, d_model %d, %d head%s, %d layer%s, d_ff %d, head %d, %s pooling,\n"
               "  %s, %s, dropout %g%s%s",
               task, c.seq_len, c.d_model, c.n_heads, c.n_heads == 1 ? "" : "s", c.n_layers,
               c.n_layers == 1 ? "" : "s", c.d_ff, c.head_hidden, pooling_names[c.pooling],
               c.norm == RBP_NORM_PRE ? "pre-norm" : "post-norm", c.activation == RBP_ACT_GELU ? "gelu" : "relu",
               (double)c.dropout, c.use_structure ? ", structure" : "", c.use_viewpoint ? ", viewpoint" : "");
        if (c.conv_kernel)
            printf(", conv stem %d", (int)c.conv_kernel);
        if (c.stem_filters)
            printf(" x %d filters", (int)c.stem_filters);
        if (c.stem_pool)
            printf(", max pooling over %d positions", (int)c.stem_pool);
        printf("\n");
        if (enc_error) {
            printf("input encoding: unusable: %s\n", enc_msg);
        } else {
            printf("input encoding%s: length %d, truncate %s, %s, FASTA label key '%s'", recorded ? "" : " (not recorded: defaults)",
                   enc.length, cli_truncate_names[enc.truncate],
                   enc.case_viewpoint ? "case marks the viewpoint" : "case ignored", enc.label_key);
            if (enc.structure_column)
                printf(", structure column '%s'", enc.structure_column);
            printf("\n");
        }
        printf("metadata: %zu key%s\n", nkeys, nkeys == 1 ? "" : "s");
        size_t w = 0;
        for (size_t i = 0; i < nkeys; i++)
            if (strlen(rbp_model_meta_key(m, i)) > w)
                w = strlen(rbp_model_meta_key(m, i));
        for (size_t i = 0; i < nkeys; i++) {
            const char *key = rbp_model_meta_key(m, i);
            printf("  %-*s  ", (int)w, key);
            print_value(stdout, m, key);
            printf("\n");
        }
    }
    rbp_model_free(m);
    if (fflush(stdout) != 0 || ferror(stdout))
        cli_fail("writing to stdout failed");
    return CLI_EXIT_OK;
}
