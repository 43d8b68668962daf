/*
 * attn.c - rbpattn-attn: show what a trained model looks at in a sequence.
 *
 * For each chosen record: the attention maps of one layer (every head in a grid plus their
 * mean, or one head, or the mean alone) as PNG and SVG heatmaps with the nucleotides on both
 * axes and the attention rollout drawn as a track underneath; a per-position importance
 * picture (attention rollout as bars and gradient x input saliency as scaled letters); and
 * the numbers as TSV (every layer's and head's weights, and the per-position importances)
 * for users' own plotting. Maps are cropped to the real (unpadded) positions.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rbpattn/plot.h>
#include <rbpattn/rbpattn.h>

#include "cli/cli.h"
#include "cli/opts.h"

typedef struct args {
    const char *model, *sequence, *id, *fasta, *ids, *outdir;
    int32_t first, layer, head, mean, truncate, no_case, no_png, no_svg, no_tsv, threads, quiet;
    int32_t case_vp, force;
    double residual;
} args;

/* The records to explain, encoded with the model's length L: ids and (n, L) rows (owned). */
typedef struct records {
    size_t n, cap, L;
    char **id;
    uint8_t *tokens, *mask, *viewpoint;
    float *targets;
} records;

/* A file-name-safe version of a record id ("chr1,+,866159,866259" -> "chr1_+_866159_866259"). */
static void safe_name(char *dst, size_t cap, const char *id)
{
    size_t k = 0;
    for (const char *p = id; *p && k + 1 < cap; p++)
        dst[k++] = (isalnum((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.') ? *p : '_';
    dst[k] = '\0';
    if (k == 0)
        snprintf(dst, cap, "record");
}

/* The next id of a whitespace-separated list (ids are first words: never contain blanks;
 * RBP-31 ids contain commas, so commas cannot separate them). Returns NULL at the end. */
static const char *next_id(const char *p, size_t *len)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    if (!*p)
        return NULL;
    size_t n = 0;
    while (p[n] && !isspace((unsigned char)p[n]))
        n++;
    *len = n;
    return p;
}

static int id_selected(const char *id, const char *list)
{
    size_t n = strlen(id), len;
    for (const char *p = next_id(list, &len); p; p = next_id(p + len, &len))
        if (len == n && strncmp(p, id, n) == 0)
            return 1;
    return 0;
}

/* Append row i of `ds` (length L) to the records. */
static void add_row(records *R, const rbp_dataset *ds, size_t i)
{
    size_t L = R->L;
    if (R->n == R->cap) {
        R->cap = R->cap ? 2 * R->cap : 16;
        R->id = cli_xrealloc(R->id, R->cap * sizeof *R->id);
        R->tokens = cli_xrealloc(R->tokens, R->cap * L);
        R->mask = cli_xrealloc(R->mask, R->cap * L);
        R->viewpoint = cli_xrealloc(R->viewpoint, R->cap * L);
        R->targets = cli_xrealloc(R->targets, R->cap * sizeof *R->targets);
    }
    memcpy(R->tokens + R->n * L, rbp_dataset_tokens(ds) + i * L, L);
    memcpy(R->mask + R->n * L, rbp_dataset_mask(ds) + i * L, L);
    memcpy(R->viewpoint + R->n * L, rbp_dataset_viewpoint(ds) + i * L, L);
    R->targets[R->n] = rbp_dataset_targets(ds)[i];
    R->id[R->n] = cli_xstrdup(rbp_dataset_id(ds, i));
    R->n++;
}

/* Read the records to explain: --sequence, or --fasta (streamed by the library's reader)
 * filtered by --ids / --first. */
static void read_records(const args *a, const rbp_dataset_options *dopt, records *R)
{
    if (a->sequence) {
        const char *seq = a->sequence, *id = a->id ? a->id : "sequence";
        rbp_dataset *ds = NULL;
        cli_check(rbp_dataset_from_strings(&ds, &seq, NULL, &id, 1, dopt));
        add_row(R, ds, 0);
        rbp_dataset_free(ds);
        return;
    }
    rbp_dataset_options opt = *dopt;
    opt.target_column = NULL; /* unlabelled input (CSV/TSV work too) */
    rbp_reader *r = NULL;
    cli_check(rbp_reader_open(&r, a->fasta, &opt));
    size_t limit = a->ids ? (size_t)-1 : (size_t)a->first;
    while (R->n < limit) {
        const rbp_dataset *chunk = NULL;
        int32_t rc = rbp_reader_next(r, 256, &chunk);
        if (rc < 0)
            cli_fail_status((rbp_status)rc);
        if (rc == 0)
            break;
        size_t got = rbp_dataset_size(chunk);
        for (size_t i = 0; i < got && R->n < limit; i++)
            if (!a->ids || id_selected(rbp_dataset_id(chunk, i), a->ids))
                add_row(R, chunk, i);
    }
    rbp_reader_free(r);
    if (R->n == 0 && !a->ids)
        cli_fail("%s: no records", a->fasta);
    if (a->ids) { /* every requested id must exist: a typo should not pass silently */
        size_t len;
        for (const char *p = next_id(a->ids, &len); p; p = next_id(p + len, &len)) {
            int found = 0;
            for (size_t i = 0; i < R->n && !found; i++)
                found = strlen(R->id[i]) == len && strncmp(R->id[i], p, len) == 0;
            if (!found)
                cli_fail("%s: no record with id '%.*s'", a->fasta, (int)len, p);
        }
    }
}

static void out_path(char *buf, size_t cap, const char *dir, const char *name, const char *suffix)
{
    int w = snprintf(buf, cap, "%s/%s%s", dir, name, suffix);
    if (w < 0 || (size_t)w >= cap)
        cli_fail("output path too long: %s/%s%s", dir, name, suffix);
}

int main(int argc, char **argv)
{
    cli_set_program("rbpattn-attn");
    args a;
    memset(&a, 0, sizeof a);
    a.first = 1;
    a.layer = 0; /* 0 = last */
    a.head = 0;  /* 0 = all heads + mean */
    a.residual = 0.5;
    a.threads = 1;
    a.outdir = "attn";
    a.truncate = RBP_TRUNCATE_RIGHT;

    cli_option opts[] = {
        CLI_SECTION("Model and sequences"),
        CLI_MODEL_OPTION(a.model),
        {"sequence", 's', CLI_OPT_STRING, &a.sequence, "SEQ", "explain this sequence (ACGU/T, any case)",
         CLI_RANGE_NONE, NULL, 0},
        {"id", 0, CLI_OPT_STRING, &a.id, "NAME", "name of --sequence in titles and file names (default sequence)",
         CLI_RANGE_NONE, NULL, 0},
        {"fasta", 'f', CLI_OPT_STRING, &a.fasta, "FILE",
         "explain records of this FASTA / CSV / lines file (plain or .gz)", CLI_RANGE_NONE, NULL, 0},
        {"ids", 0, CLI_OPT_STRING, &a.ids, "'ID ID ...'", "with --fasta: the records with these ids (blank-separated;\nids are the header's first word, e.g. chr1,+,866159,866259)", CLI_RANGE_NONE,
         NULL, 0},
        {"first", 'n', CLI_OPT_INT, &a.first, "N", "with --fasta and no --ids: the first N records (default 1)", 1,
         100000, NULL, 0},
        {"truncate", 0, CLI_OPT_CHOICE, &a.truncate, NULL,
         "which part of a sequence longer than the model to keep (default: as\nin training)", CLI_RANGE_NONE,
         cli_truncate_names, 0},
        {"no-case-viewpoint", 0, CLI_OPT_FLAG, &a.no_case, NULL,
         "ignore letter case (else lowercase = context, UPPERCASE = viewpoint)", CLI_RANGE_NONE, NULL, 0},
        CLI_MODEL_ENCODING_OPTIONS(a.case_vp, a.force),
        CLI_SECTION("What to draw"),
        {"layer", 'l', CLI_OPT_INT, &a.layer, "K", "layer to draw, 1-based (default: the last)", 1, 1024, NULL, 0},
        {"head", 0, CLI_OPT_INT, &a.head, "H", "draw only head H, 1-based (default: every head and their mean)", 1,
         1024, NULL, 0},
        {"mean", 0, CLI_OPT_FLAG, &a.mean, NULL, "draw only the mean over heads", CLI_RANGE_NONE, NULL, 0},
        {"residual", 0, CLI_OPT_DOUBLE, &a.residual, "R",
         "identity weight of attention rollout, 0..1 (default 0.5)", 0, 1, NULL, 0},
        CLI_SECTION("Output"),
        {"out", 'o', CLI_OPT_STRING, &a.outdir, "DIR", "output directory (default attn/, created if missing)",
         CLI_RANGE_NONE, NULL, 0},
        {"no-png", 0, CLI_OPT_FLAG, &a.no_png, NULL, "do not write PNG pictures", CLI_RANGE_NONE, NULL, 0},
        {"no-svg", 0, CLI_OPT_FLAG, &a.no_svg, NULL, "do not write SVG pictures", CLI_RANGE_NONE, NULL, 0},
        {"no-tsv", 0, CLI_OPT_FLAG, &a.no_tsv, NULL, "do not write the TSV tables", CLI_RANGE_NONE, NULL, 0},
        CLI_THREADS_OPTION(a.threads),
        CLI_QUIET_OPTION(a.quiet),
        CLI_END_OPTIONS,
    };
    const cli_program_info info = {
        "rbpattn-attn --model FILE (--sequence SEQ | --fasta FILE [--ids 'ID ...']) [options]",
        "Draw what a trained model attends to. For each record, in DIR:\n"
        "  <id>.attn.png/.svg        heatmaps of one layer's attention (query rows, key\n"
        "                            columns, nucleotides on both axes), every head and\n"
        "                            their mean, with the attention rollout underneath\n"
        "  <id>.importance.png/.svg  per-position importance: gradient x input saliency\n"
        "  <id>.attention.tsv        layer, head, query, key, weight for every layer and head\n"
        "  <id>.importance.tsv       position, nucleotide, rollout, saliency\n"
        "Maps cover the real positions only (padding is cropped). A summary line per record\n"
        "(score and most important positions) goes to stdout.",
        "  rbpattn-attn -m pum2.rbp --fasta data/pum2/test.fa.gz --first 3 -o out/attn\n"
        "  rbpattn-attn -m pum2.rbp -s UGUAAAUAUUGUAAAUAUA --id probe1 --layer 1 --mean\n",
        NULL,
        0,
    };
    cli_parse(argc, argv, opts, &info, NULL, NULL);
    cli_resolve_model(&a.model, "--model", "missing --model FILE");
    if (!a.sequence == !a.fasta)
        cli_usage_error("give exactly one of --sequence SEQ and --fasta FILE");
    if (a.ids && !a.fasta)
        cli_usage_error("--ids needs --fasta");
    if (a.id && !a.sequence)
        cli_usage_error("--id names a --sequence");
    if (a.mean && a.head)
        cli_usage_error("--mean and --head exclude each other");
    if (a.no_png && a.no_svg && a.no_tsv)
        cli_usage_error("--no-png, --no-svg and --no-tsv together leave nothing to write");
    {
        const cli_path in[] = {{"--model", a.model, 0}, {"--fasta", a.fasta, 0}};
        const cli_path out[] = {{"-o", a.outdir, 1}};
        cli_check_outputs(in, 2, out, 1);
    }
    cli_check(rbp_set_num_threads(a.threads));

    rbp_model *model = NULL;
    cli_check(rbp_model_load(&model, a.model));
    rbp_model_config cfg;
    cli_check(rbp_model_get_config(model, &cfg));
    rbp_session *session = NULL;
    cli_check(rbp_session_create(&session, model, NULL));
    if (cfg.use_structure)
        cli_fail("%s uses a structure channel, which rbpattn-attn cannot take yet (sequence input only)", a.model);
    const int32_t NL = cfg.n_layers, NH = cfg.n_heads, L = cfg.seq_len;
    if (a.layer > NL)
        cli_usage_error("--layer %d: %s has %d layer(s)", (int)a.layer, a.model, (int)NL);
    if (a.head > NH)
        cli_usage_error("--head %d: %s has %d head(s)", (int)a.head, a.model, (int)NH);
    const int32_t layer = a.layer ? a.layer - 1 : NL - 1;

    /* Encode the chosen records with the model's length; explain them one at a time. */
    rbp_dataset_options dopt;
    cli_check(rbp_dataset_options_init(&dopt, RBP_DATASET_OPTIONS_VERSION));
    cli_model_encoding(&dopt, model, a.model, opts);
    dopt.require_target = 0;
    records recs;
    memset(&recs, 0, sizeof recs);
    recs.L = (size_t)L;
    read_records(&a, &dopt, &recs);
    const size_t n_rec = recs.n;
    cli_mkdir_p(a.outdir);

    const size_t LL = (size_t)L * (size_t)L, maps = (size_t)NL * (size_t)NH * LL;
    float *A = cli_xmalloc(maps * sizeof *A);
    float *crop = cli_xmalloc(((size_t)NH + 1) * LL * sizeof *crop);
    float *roll_imp = cli_xmalloc((size_t)L * sizeof *roll_imp), *roll_crop = cli_xmalloc((size_t)L * sizeof(float));
    float *sal = cli_xmalloc((size_t)L * sizeof *sal), *sal_crop = cli_xmalloc((size_t)L * sizeof(float));
    float *scratch = cli_xmalloc(3 * LL * sizeof *scratch);
    int32_t *real = cli_xmalloc((size_t)L * sizeof *real);
    char *letters = cli_xmalloc((size_t)L + 1);
    static const char tokchar[RBP_VOCAB_SIZE] = {'A', 'C', 'G', 'U', 'N', '-'};

    const uint8_t *tokens = recs.tokens, *mask = recs.mask, *viewpoint = recs.viewpoint;
    const float *targets = recs.targets;
    printf("id\tscore\tlength\ttop_rollout_positions\ttop_saliency_positions\n");
    for (size_t r = 0; r < n_rec; r++) {
        /* A batch of one: the row's views into the dataset. */
        rbp_batch b;
        memset(&b, 0, sizeof b);
        b.size = 1, b.length = L;
        b.tokens = tokens + r * (size_t)L, b.mask = mask + r * (size_t)L;
        b.viewpoint = viewpoint ? viewpoint + r * (size_t)L : NULL;
        b.targets = targets + r;
        float score;
        cli_check(rbp_session_predict_batch(session, &b, &score));
        cli_check(rbp_session_attention(session, 0, A));
        cli_check(rbp_attention_rollout(A, NL, NH, L, b.mask, (float)a.residual, NULL, roll_imp, scratch));
        cli_check(rbp_session_saliency(session, &b, sal));
        int32_t n = 0;
        cli_check(rbp_attention_real_positions(b.mask, L, real, &n));
        if (n == 0)
            cli_fail("record '%s' has no real positions", recs.id[r]);
        for (int32_t i = 0; i < n; i++) {
            letters[i] = tokchar[b.tokens[real[i]]];
            roll_crop[i] = roll_imp[real[i]];
            sal_crop[i] = sal[real[i]];
        }
        letters[n] = '\0';

        /* Panels of the chosen layer, cropped to n x n: heads (+ mean), one head, or the mean. */
        int32_t panels = 0;
        const char *titles[1025];
        char title_buf[1025][24];
        for (int32_t h = 0; h < NH; h++) {
            if (a.mean || (a.head && h != a.head - 1))
                continue;
            const float *src = A + ((size_t)layer * NH + h) * LL;
            float *dst = crop + (size_t)panels * n * n;
            for (int32_t i = 0; i < n; i++)
                for (int32_t j = 0; j < n; j++)
                    dst[(size_t)i * n + j] = src[(size_t)real[i] * L + real[j]];
            snprintf(title_buf[panels], sizeof title_buf[panels], "head %d", (int)h + 1);
            titles[panels] = title_buf[panels];
            panels++;
        }
        if (a.mean) {
            float *tmp = scratch; /* (L, L) mean of the layer, then cropped */
            cli_check(rbp_attention_head_mean(A, NL, NH, L, layer, tmp));
            for (int32_t i = 0; i < n; i++)
                for (int32_t j = 0; j < n; j++)
                    crop[(size_t)i * n + j] = tmp[(size_t)real[i] * L + real[j]];
            titles[0] = "mean over heads";
            panels = 1;
        }

        char name[256], path[4096], title[512];
        safe_name(name, sizeof name, recs.id[r]);
        snprintf(title, sizeof title, "%s  %s = %.3f  layer %d%s", recs.id[r],
                 cfg.task == RBP_TASK_CLASSIFICATION ? "P(bound)" : "score", (double)score, (int)layer + 1,
                 a.mean ? ", mean of heads" : "");
        rbp_plot_heatmap_opts ho;
        cli_check(rbp_plot_heatmap_opts_init(&ho, RBP_PLOT_HEATMAP_OPTS_VERSION));
        ho.title = title;
        ho.row_labels = letters, ho.col_labels = letters;
        ho.row_title = "query position", ho.col_title = "key position";
        ho.value_label = "attention weight";
        ho.track = roll_crop, ho.track_label = "attention rollout (all layers)";
        ho.panel_titles = titles;
        ho.first_position = real[0] + 1;
        const int grid = panels > 1;
        ho.add_mean = grid;
        if (!a.no_png) {
            out_path(path, sizeof path, a.outdir, name, ".attn.png");
            cli_check(grid ? rbp_plot_heatmaps_png(path, crop, panels, n, n, &ho)
                           : rbp_plot_heatmap_png(path, crop, n, n, &ho));
        }
        if (!a.no_svg) {
            out_path(path, sizeof path, a.outdir, name, ".attn.svg");
            cli_check(grid ? rbp_plot_heatmaps_svg(path, crop, panels, n, n, &ho)
                           : rbp_plot_heatmap_svg(path, crop, n, n, &ho));
        }
        rbp_plot_track_opts to;
        cli_check(rbp_plot_track_opts_init(&to, RBP_PLOT_TRACK_OPTS_VERSION));
        char ttitle[512];
        snprintf(ttitle, sizeof ttitle, "%s  gradient x input saliency", recs.id[r]);
        to.title = ttitle;
        to.y_title = "saliency";
        to.style = RBP_PLOT_TRACK_LOGO;
        to.first_position = real[0] + 1;
        if (!a.no_png) {
            out_path(path, sizeof path, a.outdir, name, ".importance.png");
            cli_check(rbp_plot_track_png(path, sal_crop, letters, n, &to));
        }
        if (!a.no_svg) {
            out_path(path, sizeof path, a.outdir, name, ".importance.svg");
            cli_check(rbp_plot_track_svg(path, sal_crop, letters, n, &to));
        }
        if (!a.no_tsv) {
            out_path(path, sizeof path, a.outdir, name, ".attention.tsv");
            FILE *f = cli_open_output(path);
            fprintf(f, "layer\thead\tquery\tkey\tquery_nt\tkey_nt\tweight\n");
            for (int32_t l = 0; l < NL; l++)
                for (int32_t h = 0; h < NH; h++)
                    for (int32_t i = 0; i < n; i++)
                        for (int32_t j = 0; j < n; j++)
                            fprintf(f, "%d\t%d\t%d\t%d\t%c\t%c\t%.6g\n", (int)l + 1, (int)h + 1, (int)real[i] + 1,
                                    (int)real[j] + 1, letters[i], letters[j],
                                    (double)A[(((size_t)l * NH + h) * L + real[i]) * L + real[j]]);
            cli_close_output(f, path);
            out_path(path, sizeof path, a.outdir, name, ".importance.tsv");
            f = cli_open_output(path);
            fprintf(f, "position\tnucleotide\trollout\tsaliency\n");
            for (int32_t i = 0; i < n; i++)
                fprintf(f, "%d\t%c\t%.6g\t%.6g\n", (int)real[i] + 1, letters[i], (double)roll_crop[i],
                        (double)sal_crop[i]);
            cli_close_output(f, path);
        }

        /* Summary: the 5 highest-rollout and highest-|saliency| positions (1-based). */
        printf("%s\t%.6g\t%d\t", recs.id[r], (double)score, (int)n);
        for (int pass = 0; pass < 2; pass++) {
            const float *v = pass == 0 ? roll_crop : sal_crop;
            int used[5] = {-1, -1, -1, -1, -1};
            for (int k = 0; k < 5 && k < n; k++) {
                int best = -1;
                for (int32_t i = 0; i < n; i++) {
                    int taken = 0;
                    for (int q = 0; q < k; q++)
                        taken |= used[q] == i;
                    if (!taken && (best < 0 || fabsf(v[i]) > fabsf(v[best])))
                        best = i;
                }
                used[k] = best;
                printf("%s%d%c", k ? "," : "", (int)real[best] + 1, letters[best]);
            }
            printf(pass == 0 ? "\t" : "\n");
        }
    }
    if (!a.quiet)
        fprintf(stderr, "%s: wrote pictures and tables for %zu record(s) to %s/\n", cli_program(), n_rec, a.outdir);

    for (size_t i = 0; i < n_rec; i++)
        free(recs.id[i]);
    free(recs.id), free(recs.tokens), free(recs.mask), free(recs.viewpoint), free(recs.targets);
    free(A), free(crop), free(roll_imp), free(roll_crop), free(sal), free(sal_crop);
    free(scratch), free(real), free(letters);
    rbp_session_free(session);
    rbp_model_free(model);
    return CLI_EXIT_OK;
}
