/*
 * motifs.c - rbpattn-motifs: the motifs a trained model has learned, as position weight
 * matrices (MEME minimal format), their sites, a k-mer enrichment table and sequence logos.
 *
 * The input is read as rbpattn-predict reads it (FASTA, CSV/TSV, lines; a file or '-'), but
 * whole, because the sequences are ranked by the model's score before the search: the
 * highest-scoring --top ones are searched (rbpattn/motif.h describes the method). With
 * --compare, each motif is matched against a MEME file of known motifs.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rbpattn/plot.h>
#include <rbpattn/rbpattn.h>

#include "cli/cli.h"
#include "cli/opts.h"

static const char *const format_names[] = {"auto", "fasta", "csv", "tsv", "lines", NULL};
static const int32_t format_values[] = {RBP_FORMAT_AUTO, RBP_FORMAT_FASTA, RBP_FORMAT_CSV, RBP_FORMAT_TSV,
                                        RBP_FORMAT_LINES};
static const char *const importance_names[] = {"saliency", "rollout", NULL};

typedef struct args {
    const char *model, *outdir, *compare, *sequence_column, *id_column, *structure_column;
    int32_t format, truncate, no_case, full_header, max_length, threads, quiet;
    int32_t n_motifs, width, top, importance, kmer, min_sites, no_png, no_svg, case_vp, force;
} args;

/* An id for a TSV field: tabs and line breaks (CSV ids may hold them) become blanks. */
static void put_field(FILE *f, const char *s)
{
    for (const char *p = s; *p; p++)
        putc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, f);
}

static void write_sites(const char *path, const rbp_motif_set *set, const rbp_dataset *ds)
{
    static const char TOK[RBP_VOCAB_SIZE] = {'A', 'C', 'G', 'U', 'N', '-'};
    FILE *f = cli_open_output(path);
    fprintf(f, "motif\tid\trecord\tstart\tend\tsite\tscore\n");
    const uint8_t *tok = rbp_dataset_tokens(ds);
    size_t L = (size_t)rbp_dataset_length(ds);
    for (int32_t m = 0; m < set->n_motifs; m++) {
        const rbp_motif *mo = &set->motifs[m];
        for (int32_t i = 0; i < mo->n_sites; i++) {
            const rbp_motif_site *s = &mo->sites[i];
            fprintf(f, "%s\t", mo->name);
            put_field(f, rbp_dataset_id(ds, (size_t)s->sequence));
            /* 1-based record number and positions, like the file and a genome browser */
            fprintf(f, "\t%d\t%d\t%d\t", (int)s->sequence + 1, (int)s->position + 1, (int)(s->position + mo->width));
            for (int32_t j = 0; j < mo->width; j++)
                putc(TOK[tok[(size_t)s->sequence * L + (size_t)s->position + (size_t)j]], f);
            fprintf(f, "\t%.4f\n", (double)s->score);
        }
    }
    cli_close_output(f, path);
}

static void write_kmers(const char *path, const rbp_motif_set *set)
{
    FILE *f = cli_open_output(path);
    fprintf(f, "kmer\tcount\tbackground\tenrichment\tz\n");
    for (int32_t i = 0; i < set->n_kmers; i++) {
        const rbp_motif_kmer *k = &set->kmers[i];
        fprintf(f, "%s\t%d\t%d\t%.4f\t%.3f\n", k->kmer, (int)k->count, (int)k->background, k->enrichment, k->z);
    }
    cli_close_output(f, path);
}

int main(int argc, char **argv)
{
    cli_set_program("rbpattn-motifs");
    args a;
    memset(&a, 0, sizeof a);
    a.max_length = 100000;
    a.threads = 1;
    a.truncate = RBP_TRUNCATE_RIGHT;
    rbp_motif_options mo;
    cli_check(rbp_motif_options_init(&mo, RBP_MOTIF_OPTIONS_VERSION));
    a.n_motifs = mo.n_motifs, a.width = mo.width, a.top = mo.top_sequences, a.kmer = mo.kmer_k;
    a.min_sites = mo.min_sites;

    cli_option opts[] = {
        CLI_SECTION("Model and input (as rbpattn-predict)"),
        CLI_MODEL_OPTION(a.model),
        {"format", 'f', CLI_OPT_CHOICE, &a.format, NULL,
         "input format (default auto: from the extension, else from the\ncontent)", CLI_RANGE_NONE,
         format_names, 0},
        {"sequence-column", 0, CLI_OPT_STRING, &a.sequence_column, "NAME",
         "CSV/TSV column of the sequences (default sequence)", CLI_RANGE_NONE, NULL, 0},
        {"id-column", 0, CLI_OPT_STRING, &a.id_column, "NAME", "CSV/TSV column of the ids (default line<N>)",
         CLI_RANGE_NONE, NULL, 0},
        {"structure-column", 0, CLI_OPT_STRING, &a.structure_column, "NAME",
         "CSV/TSV column of dot-bracket structures, for models trained with\none", CLI_RANGE_NONE, NULL, 0},
        {"full-header", 0, CLI_OPT_FLAG, &a.full_header, NULL, "FASTA: the whole header line is the id",
         CLI_RANGE_NONE, NULL, 0},
        {"truncate", 0, CLI_OPT_CHOICE, &a.truncate, NULL,
         "which part of a sequence longer than the model to keep (right = the\nstart, center = around the viewpoint; "
         "default: as in training)",
         CLI_RANGE_NONE, cli_truncate_names, 0},
        {"no-case-viewpoint", 0, CLI_OPT_FLAG, &a.no_case, NULL,
         "ignore letter case (else lowercase = context, UPPERCASE = viewpoint)", CLI_RANGE_NONE, NULL, 0},
        CLI_MODEL_ENCODING_OPTIONS(a.case_vp, a.force),
        {"max-length", 0, CLI_OPT_INT, &a.max_length, "N", "reject a sequence longer than N (default 100000)", 1,
         INT32_MAX, NULL, 0},
        CLI_SECTION("Motifs"),
        {"motifs", 'n', CLI_OPT_INT, &a.n_motifs, "N", "motifs to find (default 3; fewer when sites run out)", 1, 32,
         NULL, 0},
        {"width", 'w', CLI_OPT_INT, &a.width, "W", "motif width (default 8)", 4, RBP_MOTIF_MAX_WIDTH, NULL, 0},
        {"top", 0, CLI_OPT_INT, &a.top, "N",
         "search the N highest-scoring sequences (default 500; 0 = all)", 0, INT32_MAX, NULL, 0},
        {"importance", 0, CLI_OPT_CHOICE, &a.importance, NULL,
         "where the model looks: saliency (gradient x input, default) or\nrollout (attention rollout)",
         CLI_RANGE_NONE, importance_names, 0},
        {"kmer", 'k', CLI_OPT_INT, &a.kmer, "K", "k of the seed and of kmers.tsv (default 6, at most the width)", 3,
         8, NULL, 0},
        {"min-sites", 0, CLI_OPT_INT, &a.min_sites, "N", "stop at a motif with fewer sites (default 10)", 2,
         INT32_MAX, NULL, 0},
        {"compare", 'c', CLI_OPT_STRING, &a.compare, "FILE",
         "MEME file of known motifs: best match per motif (DIR/compare.tsv)", CLI_RANGE_NONE, NULL, 0},
        CLI_SECTION("Output and performance"),
        {"outdir", 'o', CLI_OPT_STRING, &a.outdir, "DIR", "output directory (created) [required]", CLI_RANGE_NONE,
         NULL, 0},
        {"no-png", 0, CLI_OPT_FLAG, &a.no_png, NULL, "no PNG logos", CLI_RANGE_NONE, NULL, 0},
        {"no-svg", 0, CLI_OPT_FLAG, &a.no_svg, NULL, "no SVG logos", CLI_RANGE_NONE, NULL, 0},
        {"threads", 't', CLI_OPT_INT, &a.threads, "N", "threads scoring the sequences (default 1)", 1, 1024, NULL,
         0},
        CLI_QUIET_OPTION(a.quiet),
        CLI_END_OPTIONS,
    };
    const cli_program_info info = {
        "rbpattn-motifs --model FILE -o DIR [options] INPUT|-",
        "Motifs the model has learned: the highest-scoring sequences of INPUT are searched for\n"
        "the windows the model finds most important (gradient x input saliency, or attention\n"
        "rollout); they are aligned into position weight matrices. Writes DIR/motifs.meme (MEME\n"
        "minimal format 4, for TOMTOM and FIMO), DIR/sites.tsv, DIR/kmers.tsv (k-mers enriched in\n"
        "the important windows, a cross-check), and sequence logos DIR/logo_<n>.png/.svg. With\n"
        "--compare known.meme, the best-matching known motif of each (column correlation, as\n"
        "TOMTOM's Pearson score) goes to DIR/compare.tsv and stdout.",
        "  rbpattn-motifs --model pum2.rbp -o motifs data/pum2/test.fa.gz\n"
        "  rbpattn-motifs -m pum2.rbp --compare tests/data/known_rbp.meme -o motifs test.fa.gz\n",
        "INPUT",
        1,
    };
    const char *pos[1] = {NULL};
    int npos = 0;
    cli_parse(argc, argv, opts, &info, pos, &npos);
    cli_resolve_model(&a.model, "--model", "missing --model FILE");
    if (a.outdir == NULL)
        cli_usage_error("missing -o DIR");
    if (npos == 0)
        cli_usage_error("missing INPUT (a file, or '-' for stdin)");
    if (a.kmer > a.width)
        cli_usage_error("--kmer %d is longer than --width %d", (int)a.kmer, (int)a.width);
    {
        const cli_path out_paths[1] = {{"-o", a.outdir, 1}};
        const cli_path in_paths[3] = {{"", pos[0], 0}, {"--model", a.model, 0}, {"--compare", a.compare, 0}};
        cli_check_outputs(in_paths, 3, out_paths, 1);
    }
    cli_check(rbp_set_num_threads(1));

    /* Known motifs first: a bad file should fail before minutes of work. */
    rbp_motif_set *known = NULL;
    if (a.compare)
        cli_check(rbp_motif_read_meme(&known, a.compare));

    rbp_model *model = NULL;
    cli_check(rbp_model_load(&model, a.model));
    rbp_model_config cfg;
    cli_check(rbp_model_get_config(model, &cfg));
    rbp_dataset_options dopt;
    cli_check(rbp_dataset_options_init(&dopt, RBP_DATASET_OPTIONS_VERSION));
    dopt.structure_column = a.structure_column;
    cli_model_encoding(&dopt, model, a.model, opts); /* length, truncation, case: as trained */
    if (cfg.use_structure && dopt.structure_column == NULL)
        cli_usage_error("%s uses a structure channel: give --structure-column NAME (CSV/TSV input)", a.model);
    if (!cfg.use_structure && a.structure_column != NULL)
        cli_usage_error("--structure-column: %s does not use structure", a.model);
    rbp_session_options sopt;
    cli_check(rbp_session_options_init(&sopt, RBP_SESSION_OPTIONS_VERSION));
    sopt.n_threads = a.threads;
    rbp_session *session = NULL;
    cli_check(rbp_session_create(&session, model, &sopt));

    dopt.format = format_values[a.format];
    dopt.max_record_length = a.max_length;
    dopt.require_target = 0; /* unlabelled input; a label that is there is read and ignored */
    dopt.target_column = NULL;
    dopt.id_column = a.id_column;
    dopt.fasta_full_header = a.full_header;
    if (a.sequence_column != NULL)
        dopt.sequence_column = a.sequence_column;
    rbp_dataset *ds = NULL;
    double t0 = cli_now();
    cli_check(rbp_dataset_load(&ds, pos[0], &dopt));
    size_t n = rbp_dataset_size(ds);
    if (n == 0)
        cli_fail("no sequences in %s", pos[0]);

    mo.n_motifs = a.n_motifs, mo.width = a.width, mo.top_sequences = a.top;
    mo.importance = a.importance == 1 ? RBP_MOTIF_ROLLOUT : RBP_MOTIF_SALIENCY;
    mo.kmer_k = a.kmer, mo.min_sites = a.min_sites;
    if (!a.quiet)
        fprintf(stderr, "%s: %zu sequences; searching the %zu highest-scoring (%s)\n", cli_program(), n,
                a.top > 0 && (size_t)a.top < n ? (size_t)a.top : n, importance_names[a.importance]);
    rbp_motif_set *set = NULL;
    cli_check(rbp_motifs_discover(&set, session, ds, NULL, 0, &mo));

    cli_mkdir_p(a.outdir);
    size_t plen = strlen(a.outdir) + 64;
    char *path = cli_xmalloc(plen);
    snprintf(path, plen, "%s/motifs.meme", a.outdir);
    cli_check(rbp_motif_write_meme(set, path));
    snprintf(path, plen, "%s/sites.tsv", a.outdir);
    write_sites(path, set, ds);
    snprintf(path, plen, "%s/kmers.tsv", a.outdir);
    write_kmers(path, set);
    for (int32_t m = 0; m < set->n_motifs; m++) {
        const rbp_motif *mt = &set->motifs[m];
        char cons[RBP_MOTIF_MAX_WIDTH + 1], title[160];
        cli_check(rbp_motif_consensus(mt, cons, sizeof cons));
        snprintf(title, sizeof title, "%s  %s  %d sites  %.1f bits", mt->name, cons, (int)mt->n_sites,
                 mt->information);
        rbp_plot_logo_opts lo;
        cli_check(rbp_plot_logo_opts_init(&lo, RBP_PLOT_LOGO_OPTS_VERSION));
        lo.title = title;
        if (!a.no_png) {
            snprintf(path, plen, "%s/logo_%d.png", a.outdir, (int)m + 1);
            cli_check(rbp_plot_logo_png(path, mt->pwm, mt->width, &lo));
        }
        if (!a.no_svg) {
            snprintf(path, plen, "%s/logo_%d.svg", a.outdir, (int)m + 1);
            cli_check(rbp_plot_logo_svg(path, mt->pwm, mt->width, &lo));
        }
    }

    /* Summary (stdout): one line per motif, with its best known match when comparing. */
    FILE *cmp = NULL;
    if (known) {
        snprintf(path, plen, "%s/compare.tsv", a.outdir);
        cmp = cli_open_output(path);
        fprintf(cmp, "motif\tconsensus\tsites\tbits\tbest_match\toffset\toverlap\tcorrelation\n");
    }
    printf("motif\tconsensus\tsites\tbits%s\n", known ? "\tbest_match\toffset\toverlap\tcorrelation" : "");
    for (int32_t m = 0; m < set->n_motifs; m++) {
        const rbp_motif *mt = &set->motifs[m];
        char cons[RBP_MOTIF_MAX_WIDTH + 1], line[256];
        cli_check(rbp_motif_consensus(mt, cons, sizeof cons));
        int len = snprintf(line, sizeof line, "%s\t%s\t%d\t%.2f", mt->name, cons, (int)mt->n_sites, mt->information);
        if (known) {
            int32_t k;
            rbp_motif_match mm;
            cli_check(rbp_motif_best_match(mt, known, &k, &mm));
            if (k >= 0)
                snprintf(line + len, sizeof line - (size_t)len, "\t%s\t%d\t%d\t%.3f", known->motifs[k].name,
                         (int)mm.offset, (int)mm.overlap, mm.correlation);
            else
                snprintf(line + len, sizeof line - (size_t)len, "\t-\t0\t0\tNaN");
            fprintf(cmp, "%s\n", line);
        }
        printf("%s\n", line);
    }
    if (cmp)
        cli_close_output(cmp, path);
    if (fflush(stdout) != 0 || ferror(stdout))
        cli_fail("cannot write to stdout");
    if (!a.quiet) {
        char d[32];
        fprintf(stderr, "%s: %d motifs from %d sequences in %s; files in %s/\n", cli_program(), (int)set->n_motifs,
                (int)set->n_sequences, cli_format_duration(d, sizeof d, cli_now() - t0), a.outdir);
    }
    if (set->n_motifs == 0)
        cli_warn("no motif with at least %d sites (try --min-sites, --top or --width)", (int)a.min_sites);
    free(path);
    rbp_motif_set_free(set);
    rbp_motif_set_free(known);
    rbp_dataset_free(ds);
    rbp_session_free(session);
    rbp_model_free(model);
    return CLI_EXIT_OK;
}
