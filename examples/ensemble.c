/*
 * ensemble.c - rbpattn-ensemble: combine trained models into one ensemble model file.
 *
 * The members are models of one architecture trained apart (rbpattn-train with other seeds:
 * each seed also draws its own validation split), so they can train as separate jobs on as
 * many cores or nodes as there are. The ensemble predicts the mean of the members' logits,
 * and every program that takes --model takes it. On request it is evaluated on labelled data
 * first, and the metrics go into its metadata (test.*) as rbpattn-train records them.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rbpattn/rbpattn.h>

#include "cli/cli.h"
#include "cli/opts.h"

typedef struct args {
    cli_data_args data;
    const char *out, *json;
    int32_t batch, threads, quiet;
} args;

/* The members must read their inputs alike: the ensemble keeps the first one's encoding. */
static void check_same_encoding(rbp_model *const *models, const char *const *paths, int n)
{
    rbp_dataset_options first;
    cli_check(rbp_dataset_options_from_model(&first, models[0]));
    for (int i = 1; i < n; i++) {
        rbp_dataset_options o;
        cli_check(rbp_dataset_options_from_model(&o, models[i]));
        if (o.length != first.length || o.truncate != first.truncate || o.case_viewpoint != first.case_viewpoint)
            cli_usage_error("%s reads its inputs unlike %s (length %d vs %d, truncate %d vs %d, case viewpoint %d vs "
                            "%d): the members of an ensemble must be trained with the same input options",
                            paths[i], paths[0], (int)o.length, (int)first.length, (int)o.truncate,
                            (int)first.truncate, (int)o.case_viewpoint, (int)first.case_viewpoint);
    }
}

int main(int argc, char **argv)
{
    const double t0 = cli_now();
    cli_set_program("rbpattn-ensemble");
    args a;
    memset(&a, 0, sizeof a);
    a.batch = 256;
    a.threads = 1;
    cli_option opts[] = {
        CLI_SECTION("Output"),
        {"out", 'o', CLI_OPT_STRING, &a.out, "FILE", "the ensemble model to write [required]", CLI_RANGE_NONE, NULL,
         0},
        {"json", 0, CLI_OPT_STRING, &a.json, "FILE", "write the members and the test metrics as JSON", CLI_RANGE_NONE,
         NULL, 0},
        CLI_SECTION("Test data (optional, one of): evaluate the ensemble and record the metrics"),
        CLI_DATA_INPUT_OPTIONS(a.data, "test", "a labelled file of any format (see --format)"),
        CLI_SECTION("Reading"),
        CLI_DATA_COLUMN_OPTIONS(a.data),
        CLI_SECTION("Performance"),
        {"batch", 'b', CLI_OPT_INT, &a.batch, "N", "inference batch size (default 256)", 1, 1 << 20, NULL, 0},
        CLI_THREADS_OPTION(a.threads),
        CLI_QUIET_OPTION(a.quiet),
        CLI_END_OPTIONS,
    };
    const cli_program_info info = {
        "rbpattn-ensemble -o OUT.rbp [options] MODEL MODEL...",
        "Combine trained models of one architecture (e.g. rbpattn-train with --seed 1, 2, 3)\n"
        "into one ensemble model, which predicts the mean of its members' logits and whose\n"
        "attention maps and saliency are the means of theirs. MODEL is a model file or a\n"
        "bundled model's name; an ensemble given as MODEL adds all its members. With test\n"
        "data the ensemble is evaluated and the metrics are stored in its metadata.",
        "  rbpattn-ensemble -o pum2.rbp pum2.s1.rbp pum2.s2.rbp pum2.s3.rbp\n"
        "  rbpattn-ensemble -o pum2.rbp --fasta test.fa.gz pum2.s*.rbp\n",
        "MODEL",
        RBP_MAX_MEMBERS,
    };
    const char *pos[RBP_MAX_MEMBERS];
    int npos = 0;
    cli_parse(argc, argv, opts, &info, pos, &npos);
    if (a.out == NULL)
        cli_usage_error("missing -o/--out FILE");
    if (npos < 1)
        cli_usage_error("give at least one MODEL (two or more make an ensemble)");
    for (int i = 0; i < npos; i++) {
        cli_resolve_model(&pos[i], "MODEL", NULL);
        pos[i] = cli_xstrdup(pos[i]); /* a resolved name lives in a buffer the next call reuses */
    }
    const cli_data_args *d = &a.data;
    const int have_test = d->fasta || d->csv || d->tsv || d->lines || d->pos || d->neg || d->generic;
    {
        cli_path in[RBP_MAX_MEMBERS + 10];
        size_t nin = 0;
        for (int i = 0; i < npos; i++)
            in[nin++] = (cli_path){"MODEL", pos[i], 0};
        nin += cli_data_inputs(&a.data, "--test", in + nin, 10);
        const cli_path out[] = {{"--out", a.out, 0}, {"--json", a.json, 0}};
        cli_check_outputs(in, nin, out, sizeof out / sizeof out[0]);
    }
    cli_check(rbp_set_num_threads(1));

    rbp_model *models[RBP_MAX_MEMBERS];
    int32_t total = 0;
    for (int i = 0; i < npos; i++) {
        cli_check(rbp_model_load(&models[i], pos[i]));
        total += rbp_model_num_members(models[i]);
        if (total > RBP_MAX_MEMBERS)
            cli_usage_error("more than %d members in all", RBP_MAX_MEMBERS);
    }
    check_same_encoding(models, pos, npos);
    rbp_model *ens = NULL;
    cli_check(rbp_model_ensemble(&ens, (const rbp_model *const *)models, npos));
    /* the members' own test metrics and training record are not the ensemble's */
    for (int32_t k = rbp_model_meta_count(ens) - 1; k >= 0; k--) {
        const char *key = rbp_model_meta_key(ens, k);
        if (key && (strncmp(key, "test.", 5) == 0 || strcmp(key, "train.epochs") == 0 ||
                    strcmp(key, "train.stopped") == 0 || strcmp(key, "train.seed") == 0))
            cli_check(rbp_model_meta_remove(ens, key));
    }
    {
        size_t cap = 1;
        for (int i = 0; i < npos; i++)
            cap += strlen(pos[i]) + 2;
        char *sources = cli_xmalloc(cap);
        sources[0] = '\0';
        for (int i = 0; i < npos; i++) {
            if (i)
                strcat(sources, ", ");
            strcat(sources, pos[i]);
        }
        cli_meta_check(rbp_model_meta_set_string(ens, "ensemble.sources", sources), "ensemble.sources");
        free(sources);
    }
    rbp_model_config cfg;
    cli_check(rbp_model_get_config(ens, &cfg));
    if (!a.quiet)
        printf("ensemble: %d members of %d parameters each (%s)\n", (int)total,
               (int)(rbp_model_num_params(ens) / (size_t)total),
               cfg.task == RBP_TASK_CLASSIFICATION ? "classification" : "regression");

    cli_metrics m;
    char desc[1024] = "";
    if (have_test) {
        cli_data_describe(&a.data, "--test", desc, sizeof desc);
        rbp_dataset_options dopt;
        cli_data_options(&dopt, &a.data, cfg.seq_len);
        cli_model_encoding(&dopt, ens, pos[0], opts);
        if (!cfg.use_structure)
            dopt.structure_column = NULL;
        rbp_dataset *ds = cli_data_load(&a.data, &dopt);
        const size_t n = rbp_dataset_size(ds);
        float *pred = cli_xmalloc(n * sizeof *pred);
        rbp_session *session = NULL;
        rbp_session_options sopt;
        cli_check(rbp_session_options_init(&sopt, RBP_SESSION_OPTIONS_VERSION));
        sopt.n_threads = a.threads;
        cli_check(rbp_session_create(&session, ens, &sopt));
        cli_check(rbp_session_predict(session, ds, a.batch, pred));
        rbp_session_free(session);
        cli_metrics_compute(&m, pred, rbp_dataset_targets(ds), n, cfg.task, 0.5, NAN);
        cli_metrics_print(stdout, &m, "test", 0);
        cli_metrics_meta(ens, &m, desc);
        free(pred);
        rbp_dataset_free(ds);
    }
    cli_check(rbp_model_save(ens, a.out));
    if (!a.quiet)
        printf("saved ensemble to %s\n", a.out);
    if (a.json != NULL) {
        FILE *fp = cli_open_output(a.json);
        cli_json j;
        cli_json_init(&j, fp);
        cli_json_begin_object(&j, NULL);
        cli_json_string(&j, "program", cli_program());
        cli_json_string(&j, "version", rbp_version_string());
        cli_json_string(&j, "out", a.out);
        cli_json_int(&j, "members", total);
        cli_json_begin_array(&j, "sources");
        for (int i = 0; i < npos; i++)
            cli_json_string(&j, NULL, pos[i]);
        cli_json_end_array(&j);
        if (have_test) {
            cli_json_string(&j, "data", desc);
            cli_metrics_json(&j, "test", &m);
        }
        cli_json_number(&j, "seconds", cli_now() - t0);
        cli_json_end_object(&j);
        cli_close_output(fp, a.json);
    }
    for (int i = 0; i < npos; i++) {
        rbp_model_free(models[i]);
        free((char *)pos[i]);
    }
    rbp_model_free(ens);
    return CLI_EXIT_OK;
}
