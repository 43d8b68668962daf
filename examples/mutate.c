/*
 * mutate.c - rbpattn-mutate: what single-nucleotide changes do to a model's score.
 *
 * Mutation maps: for every sequence of a FASTA file, every substitution at every position is
 * scored (rbp_mutation_map) and written as TSV, and optionally drawn as a DeepBind-style map
 * (substitutions x positions heatmap of the logit change, above the sequence drawn as letters
 * as high as the largest loss at their position).
 *
 * Variants: a VCF (SNVs and short indels) or a TSV of (sequence id, position, ref, alt) against
 * a genome or transcript FASTA. A variant's score for an allele is the highest logit of the
 * model windows overlapping the allele (rbp_scan_sequence over the allele with L - 1 letters
 * of flank on each side, max reduction), for the reference and the alternative sequence; the
 * delta is alt - ref. A REF that does not match the genome is reported and not scored.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <rbpattn/plot.h>
#include <rbpattn/rbpattn.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "genome/seqio.h"

static const char *const strand_names[] = {"+", "-", NULL};
static const char BASES[4] = {'A', 'C', 'G', 'U'};

typedef struct args {
    const char *model, *out, *plot_dir, *vcf, *variants, *genome;
    int32_t max_plots, strand, max_indel, threads, batch, quiet;
} args;

typedef struct ctx {
    const args *a;
    rbp_session *session;
    int32_t L, task;
    seq_out *out;
} ctx;

/* The buffers of the input loops, also held here so that they stay reachable when an error
 * exits from inside a loop: leak checkers then report real leaks only. */
static struct {
    fa_reader *fa;
    char *seq;
    float *delta;
    void *variants;
    char *done;
    genome *genome;
} held;

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* A letter as the table prints it: upper case, T as U. */
static char rna(char c)
{
    c = (char)toupper((unsigned char)c);
    return c == 'T' ? 'U' : c;
}

/* ---------------------------------------------------------------- mutation maps */

static void safe_name(char *dst, size_t cap, const char *id)
{
    size_t k = 0;
    for (const char *p = id; *p && k + 1 < cap; p++)
        dst[k++] = isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.' ? *p : '_';
    dst[k] = '\0';
}

static void plot_map(const ctx *c, const char *id, const char *seq, int32_t n, int32_t first, float ref,
                     const float *delta)
{
    /* rows = substitutions A C G U, columns = positions */
    float *m = cli_xmalloc((size_t)n * 4 * sizeof *m);
    float *loss = cli_xmalloc((size_t)n * sizeof *loss);
    char *letters = cli_xmalloc((size_t)n + 1);
    for (int32_t i = 0; i < n; i++) {
        float worst = 0;
        for (int b = 0; b < 4; b++) {
            m[(size_t)b * n + i] = delta[(size_t)i * 4 + b];
            worst = fminf(worst, delta[(size_t)i * 4 + b]);
        }
        loss[i] = -worst;
        letters[i] = rna(seq[i]);
    }
    letters[n] = '\0';
    char title[256], name[200], path[4096];
    snprintf(title, sizeof title, "%.120s  value %.3f", id, (double)ref);
    if (c->task == RBP_TASK_CLASSIFICATION)
        snprintf(title, sizeof title, "%.120s  logit %.3f  P(bound) %.3f", id, (double)ref, sigmoid(ref));
    rbp_plot_heatmap_opts o;
    cli_check(rbp_plot_heatmap_opts_init(&o, RBP_PLOT_HEATMAP_OPTS_VERSION));
    o.title = title;
    o.row_labels = "ACGU";
    o.col_labels = letters;
    o.row_title = "to";
    o.hide_row_numbers = 1;
    o.col_title = "position";
    o.value_label = "change in logit";
    o.track = loss;
    o.track_label = "largest loss";
    o.track_style = RBP_PLOT_TRACK_LOGO;
    o.first_position = first + 1;
    o.cell_px = n <= 60 ? 14 : 10;
    safe_name(name, sizeof name, id);
    snprintf(path, sizeof path, "%s/%s.png", c->a->plot_dir, name);
    cli_check(rbp_plot_heatmap_png(path, m, 4, n, &o));
    snprintf(path, sizeof path, "%s/%s.svg", c->a->plot_dir, name);
    cli_check(rbp_plot_heatmap_svg(path, m, 4, n, &o));
    free(m);
    free(loss);
    free(letters);
}

static void mutation_maps(const ctx *c, const char *input)
{
    fa_reader *fa = held.fa = fa_open(input);
    size_t cap = 1 << 16, n_seq = 0;
    char *seq = held.seq = cli_xmalloc(cap);
    float *delta = held.delta = cli_xmalloc((size_t)c->L * 4 * sizeof *delta);
    int warned = 0;
    seq_out_printf(c->out, "id\tposition\tref\talt\tref_logit\talt_logit\tdelta_logit\n");
    const char *header;
    while (fa_next(fa, &header)) {
        char id[256];
        size_t w = strcspn(header, " \t");
        snprintf(id, sizeof id, "%.*s", (int)(w < 255 ? w : 255), header);
        size_t n = 0, k;
        while ((k = fa_read(fa, seq + n, cap - n)) > 0) {
            n += k;
            if (n == cap)
                seq = held.seq = cli_xrealloc(seq, cap *= 2);
        }
        if (n == 0) {
            cli_warn("%s: empty sequence, skipped", id);
            continue;
        }
        /* a longer sequence: its middle window (as --truncate center in training) */
        size_t first = 0;
        if (n > (size_t)c->L) {
            first = (n - (size_t)c->L) / 2;
            if (!warned)
                cli_warn("%s: %zu nt, longer than the model (%d): the middle %d nt are mapped (positions keep "
                         "their numbers)", id, n, c->L, c->L);
            warned = 1;
            n = (size_t)c->L;
        }
        float ref = 0;
        rbp_status st = rbp_mutation_map(c->session, seq + first, n, c->a->batch, &ref, delta);
        if (st != RBP_OK)
            cli_fail("%s: %s", id, rbp_last_error());
        for (size_t i = 0; i < n; i++) {
            const char r = rna(seq[first + i]);
            for (int b = 0; b < 4; b++) {
                if (BASES[b] == r)
                    continue;
                const float d = delta[i * 4 + (size_t)b];
                seq_out_printf(c->out, "%s\t%zu\t%c\t%c\t%.6g\t%.6g\t%.6g\n", id, first + i + 1, r, BASES[b],
                               (double)ref, (double)(ref + d), (double)d);
            }
        }
        if (c->a->plot_dir && (int32_t)n_seq < c->a->max_plots)
            plot_map(c, id, seq + first, (int32_t)n, (int32_t)first, ref, delta);
        n_seq++;
    }
    if (n_seq == 0)
        cli_warn("no sequences in %s", fa_name(fa));
    if (!c->a->quiet)
        fprintf(stderr, "%s: %zu sequences mapped%s%s\n", cli_program(), n_seq, c->a->plot_dir ? "; pictures in " : "",
                c->a->plot_dir ? c->a->plot_dir : "");
    free(seq);
    free(delta);
    fa_close(fa);
    memset(&held, 0, sizeof held);
}

/* ---------------------------------------------------------------- variants */

typedef struct variant {
    char chrom[256], id[256];
    int64_t pos; /* 1-based */
    char *ref, *alt;
    int64_t line;
    /* results */
    int status; /* 0 ok, else one of the statuses below */
    float ref_logit, alt_logit;
} variant;

enum { V_OK = 0, V_MISMATCH, V_RANGE, V_UNSUPPORTED, V_NOCHROM };
static const char *const status_names[] = {"ok", "ref_mismatch", "out_of_range", "unsupported", "no_chromosome"};

static int allele_ok(const char *s, int allow_empty)
{
    if (!*s)
        return allow_empty;
    for (; *s; s++)
        if (!strchr("ACGTUNacgtun", *s))
            return 0;
    return 1;
}

static void add_variant(variant **v, size_t *n, size_t *cap, const variant *x)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        held.variants = *v = cli_xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = *x;
}

/* VCF 4.x (CHROM POS ID REF ALT ...; several ALT alleles become one variant each) or a TSV of
 * id, position, ref, alt (an optional header line; '-' = an empty allele). */
static variant *read_variants(const char *path, int vcf, size_t *n_out)
{
    gzFile gz = strcmp(path, "-") == 0 ? gzdopen(dup(0), "rb") : gzopen(path, "rb");
    if (!gz)
        cli_fail("%s: cannot open", path);
    variant *v = NULL;
    size_t n = 0, cap = 0;
    char line[1 << 16];
    int64_t ln = 0;
    while (gzgets(gz, line, sizeof line)) {
        ln++;
        size_t len = strlen(line);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        char *f[5] = {0};
        int nf = 0;
        for (char *p = line; nf < 5 && p;) {
            f[nf++] = p;
            p = strpbrk(p, vcf ? "\t" : "\t ");
            if (p)
                *p++ = '\0';
        }
        if (nf < (vcf ? 5 : 4))
            cli_fail("%s:%lld: expected %s", path, (long long)ln,
                     vcf ? "CHROM POS ID REF ALT (tab-separated)" : "id, position, ref, alt");
        const char *chrom = f[0], *spos = f[1], *id = vcf ? f[2] : ".", *ref = vcf ? f[3] : f[2];
        char *alts = vcf ? f[4] : f[3];
        char *end;
        long long pos = strtoll(spos, &end, 10);
        if (*end || pos < 1) {
            if (!vcf && n == 0 && ln == 1)
                continue; /* a header line */
            cli_fail("%s:%lld: position '%s' is not a positive integer", path, (long long)ln, spos);
        }
        for (char *alt = strtok(alts, ","); alt; alt = strtok(NULL, ",")) {
            variant x;
            memset(&x, 0, sizeof x);
            snprintf(x.chrom, sizeof x.chrom, "%s", chrom);
            x.pos = pos;
            x.line = ln;
            const char *r = strcmp(ref, "-") == 0 ? "" : ref, *a = strcmp(alt, "-") == 0 ? "" : alt;
            x.ref = cli_xstrdup(r);
            x.alt = cli_xstrdup(a);
            if (strcmp(id, ".") != 0)
                snprintf(x.id, sizeof x.id, "%s", id);
            else
                snprintf(x.id, sizeof x.id, "%.100s:%lld:%.60s>%.60s", chrom, pos, *r ? r : "-", *a ? a : "-");
            if (!allele_ok(x.ref, !vcf) || !allele_ok(x.alt, !vcf) || (!*x.ref && !*x.alt))
                x.status = V_UNSUPPORTED;
            add_variant(&v, &n, &cap, &x);
        }
    }
    gzclose(gz);
    *n_out = n;
    return v;
}

static int same_base(char a, char b)
{
    return rna(a) == rna(b);
}

/* Highest track value over [s, e) clipped to [0, n); an empty span reads the junction. */
static float span_max(const float *t, int64_t n, int64_t s, int64_t e)
{
    if (e <= s) {
        s = s - 1;
        e = e + 1;
    }
    if (s < 0)
        s = 0;
    if (e > n)
        e = n;
    float m = -INFINITY;
    for (int64_t i = s; i < e; i++)
        m = fmaxf(m, t[i]);
    return m;
}

/* Score one variant against its chromosome (whole, in memory or fetched: `chrom_seq` covers
 * [off, off + clen) of a chromosome of `chrom_len` nt). */
static void score_variant(const ctx *c, variant *v, const char *region, int64_t off, int64_t chrom_len, const char *fn,
                          float **track, size_t *track_cap, char **buf, size_t *buf_cap)
{
    const int64_t L = c->L, p0 = v->pos - 1, nr = (int64_t)strlen(v->ref), na = (int64_t)strlen(v->alt);
    if (p0 + nr > chrom_len || p0 >= chrom_len) {
        v->status = V_RANGE;
        cli_warn("%s:%lld: %s:%lld is past the end of %s (%lld nt); not scored", fn, (long long)v->line, v->chrom,
                 (long long)v->pos, v->chrom, (long long)chrom_len);
        return;
    }
    for (int64_t i = 0; i < nr; i++)
        if (!same_base(region[p0 - off + i], v->ref[i])) {
            v->status = V_MISMATCH;
            cli_warn("%s:%lld: REF %s does not match the genome at %s:%lld (%.*s); not scored", fn, (long long)v->line,
                     v->ref, v->chrom, (long long)v->pos, (int)nr, region + (p0 - off));
            return;
        }
    const int64_t left = p0 - (L - 1) > 0 ? p0 - (L - 1) : 0;
    const int64_t right = p0 + nr + L - 1 < chrom_len ? p0 + nr + L - 1 : chrom_len;
    const int64_t a = p0 - left, n_ref = right - left, n_alt = n_ref - nr + na;
    const size_t need = (size_t)(n_ref > n_alt ? n_ref : n_alt) + 1;
    if (need > *buf_cap) {
        *buf_cap = need;
        *buf = cli_xrealloc(*buf, need);
    }
    if (need > *track_cap) {
        *track_cap = need;
        *track = cli_xrealloc(*track, need * sizeof **track);
    }
    rbp_scan_options so;
    cli_check(rbp_scan_options_init(&so, RBP_SCAN_OPTIONS_VERSION));
    so.logits = 1;
    so.batch_size = c->a->batch;
    for (int allele = 0; allele < 2; allele++) {
        char *s = *buf;
        int64_t n, span = allele ? na : nr;
        memcpy(s, region + (left - off), (size_t)a);
        memcpy(s + a, allele ? v->alt : v->ref, (size_t)span);
        memcpy(s + a + span, region + (p0 + nr - off), (size_t)(right - p0 - nr));
        n = a + span + (right - p0 - nr);
        int64_t ss = a, se = a + span;
        if (c->a->strand == 1) {
            seq_revcomp(s, (size_t)n);
            ss = n - (a + span);
            se = n - a;
        }
        rbp_status st = rbp_scan_sequence(c->session, s, (size_t)n, &so, *track);
        if (st != RBP_OK)
            cli_fail("%s:%lld: %s", fn, (long long)v->line, rbp_last_error());
        const float m = span_max(*track, n, ss, se);
        if (allele)
            v->alt_logit = m;
        else
            v->ref_logit = m;
    }
}

static void score_variants(const ctx *c, const char *path, int vcf, const char *genome_path)
{
    size_t n = 0;
    variant *v = read_variants(path, vcf, &n);
    genome *g = held.genome = genome_open(genome_path);
    float *track = NULL;
    char *buf = NULL, *region = NULL;
    size_t track_cap = 0, buf_cap = 0, region_cap = 0;
    char *done = held.done = cli_xcalloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++)
        if (v[i].status == V_UNSUPPORTED) {
            cli_warn("%s:%lld: %s: only SNVs and indels of A C G T/U N letters are scored", path, (long long)v[i].line,
                     v[i].id);
            done[i] = 1;
        } else if ((int64_t)strlen(v[i].ref) > c->a->max_indel || (int64_t)strlen(v[i].alt) > c->a->max_indel) {
            v[i].status = V_UNSUPPORTED;
            cli_warn("%s:%lld: %s: alleles longer than --max-indel %d are not scored", path, (long long)v[i].line,
                     v[i].id, c->a->max_indel);
            done[i] = 1;
        }
    if (genome_indexed(g)) {
        for (size_t i = 0; i < n; i++) {
            if (done[i])
                continue;
            const int64_t len = genome_length(g, v[i].chrom);
            if (len < 0) {
                v[i].status = V_NOCHROM;
                cli_warn("%s:%lld: %s is not in %s; not scored", path, (long long)v[i].line, v[i].chrom, genome_path);
                continue;
            }
            /* just the variant and its flanks */
            const int64_t p0 = v[i].pos - 1, nr = (int64_t)strlen(v[i].ref);
            int64_t s = p0 - c->L + 1, e = p0 + nr + c->L - 1;
            s = s < 0 ? 0 : s > len ? len : s;
            e = e > len ? len : e;
            if (e < s)
                e = s;
            if ((size_t)(e - s) + 1 > region_cap) {
                region_cap = (size_t)(e - s) + 1;
                region = cli_xrealloc(region, region_cap);
            }
            genome_fetch(g, v[i].chrom, s, e, region);
            score_variant(c, &v[i], region, s, len, path, &track, &track_cap, &buf, &buf_cap);
        }
    } else {
        const char *name, *seq;
        int64_t len;
        while ((name = genome_next_record(g, &seq, &len)) != NULL)
            for (size_t i = 0; i < n; i++)
                if (!done[i] && strcmp(v[i].chrom, name) == 0) {
                    score_variant(c, &v[i], seq, 0, len, path, &track, &track_cap, &buf, &buf_cap);
                    done[i] = 1;
                }
        for (size_t i = 0; i < n; i++)
            if (!done[i]) {
                v[i].status = V_NOCHROM;
                cli_warn("%s:%lld: %s is not in %s; not scored", path, (long long)v[i].line, v[i].chrom, genome_path);
            }
    }
    seq_out_printf(c->out, "id\tchrom\tpos\tref\talt\tref_logit\talt_logit\tdelta_logit\tref_prob\talt_prob\t"
                           "delta_prob\tstatus\n");
    size_t scored = 0;
    for (size_t i = 0; i < n; i++) {
        const variant *x = &v[i];
        seq_out_printf(c->out, "%s\t%s\t%lld\t%s\t%s\t", x->id, x->chrom, (long long)x->pos, *x->ref ? x->ref : "-",
                       *x->alt ? x->alt : "-");
        if (x->status == V_OK) {
            const double r = x->ref_logit, a = x->alt_logit;
            if (c->task == RBP_TASK_CLASSIFICATION)
                seq_out_printf(c->out, "%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\tok\n", r, a, a - r, sigmoid(r), sigmoid(a),
                               sigmoid(a) - sigmoid(r));
            else
                seq_out_printf(c->out, "%.6g\t%.6g\t%.6g\tNA\tNA\tNA\tok\n", r, a, a - r);
            scored++;
        } else {
            seq_out_printf(c->out, "NA\tNA\tNA\tNA\tNA\tNA\t%s\n", status_names[x->status]);
        }
    }
    if (!c->a->quiet)
        fprintf(stderr, "%s: %zu of %zu variants scored\n", cli_program(), scored, n);
    for (size_t i = 0; i < n; i++) {
        free(v[i].ref);
        free(v[i].alt);
    }
    free(v);
    free(done);
    free(track);
    free(buf);
    free(region);
    genome_close(g);
    memset(&held, 0, sizeof held);
}

int main(int argc, char **argv)
{
    cli_set_program("rbpattn-mutate");
    args a;
    memset(&a, 0, sizeof a);
    a.threads = 1;
    a.batch = 256;
    a.max_plots = 10;
    a.max_indel = 50;

    cli_option opts[] = {
        CLI_SECTION("Model and input"),
        CLI_MODEL_OPTION(a.model),
        {"vcf", 0, CLI_OPT_STRING, &a.vcf, "FILE",
         "variants to score (VCF 4.x, plain or .gz: CHROM POS ID REF ALT);\nneeds --genome", CLI_RANGE_NONE, NULL, 0},
        {"variants", 0, CLI_OPT_STRING, &a.variants, "FILE",
         "variants as TSV: sequence id, position (1-based), ref, alt\n('-' = empty allele); needs --genome",
         CLI_RANGE_NONE, NULL, 0},
        {"genome", 'g', CLI_OPT_STRING, &a.genome, "FILE",
         "genome or transcript FASTA the variants refer to (.fai used\nwhen present)", CLI_RANGE_NONE, NULL, 0},
        {"strand", 0, CLI_OPT_CHOICE, &a.strand, NULL,
         "score variants on this strand of the genome (default +; '-'\nreverse-complements the windows)",
         CLI_RANGE_NONE, strand_names, 0},
        {"max-indel", 0, CLI_OPT_INT, &a.max_indel, "N", "longest REF or ALT allele scored (default 50)", 1, 100000,
         NULL, 0},
        CLI_SECTION("Output"),
        {"out", 'o', CLI_OPT_STRING, &a.out, "FILE", "TSV of the effects (default stdout; .gz = gzip)",
         CLI_RANGE_NONE, NULL, 0},
        {"plot", 0, CLI_OPT_STRING, &a.plot_dir, "DIR",
         "mutation maps as DIR/<id>.png and .svg (mutation-map mode)", CLI_RANGE_NONE, NULL, 0},
        {"max-plots", 0, CLI_OPT_INT, &a.max_plots, "N", "draw the first N sequences only (default 10)", 0, 1 << 20,
         NULL, 0},
        CLI_SECTION("Performance"),
        {"batch", 'b', CLI_OPT_INT, &a.batch, "N", "inference batch size (default 256)", 1, 1 << 20, NULL, 0},
        CLI_THREADS_OPTION(a.threads),
        CLI_QUIET_OPTION(a.quiet),
        CLI_END_OPTIONS,
    };
    const cli_program_info info = {
        "rbpattn-mutate --model FILE [options] INPUT.fa|-\n"
        "       rbpattn-mutate --model FILE --vcf FILE|--variants FILE --genome FILE [options]",
        "Mutation maps: for each sequence of INPUT (FASTA, .gz, '-' = stdin; up to the model's\n"
        "length, else its middle window), the change in logit of every single-nucleotide\n"
        "substitution, as TSV (id, position, ref, alt, ref_logit, alt_logit, delta_logit) and,\n"
        "with --plot, as pictures. Variants: for each VCF/TSV variant, the best logit of the\n"
        "model windows overlapping the reference and the alternative allele, their difference\n"
        "and the same as probabilities; a REF that does not match the genome is reported\n"
        "(status ref_mismatch) and not scored.",
        "  rbpattn-mutate -m pum2.rbp --plot maps -o effects.tsv sites.fa\n"
        "  rbpattn-mutate -m pum2.rbp --vcf clinvar_utr.vcf.gz --genome hg38.fa -o variants.tsv\n",
        "INPUT",
        1,
    };
    const char *pos[1] = {NULL};
    int npos = 0;
    cli_parse(argc, argv, opts, &info, pos, &npos);
    cli_resolve_model(&a.model, "--model", "missing --model FILE");
    const int variant_mode = a.vcf != NULL || a.variants != NULL;
    if (a.vcf && a.variants)
        cli_usage_error("give --vcf or --variants, not both");
    if (variant_mode && !a.genome)
        cli_usage_error("--%s needs --genome FILE (the sequences the positions refer to)", a.vcf ? "vcf" : "variants");
    if (variant_mode && npos > 0)
        cli_usage_error("INPUT is for mutation maps; variants are read from --%s", a.vcf ? "vcf" : "variants");
    if (!variant_mode && npos == 0)
        cli_usage_error("missing INPUT (a FASTA file, or '-' for stdin), or --vcf/--variants with --genome");
    if (!variant_mode && (a.genome || cli_given(opts, "strand")))
        cli_usage_error("--genome and --strand apply to variants (--vcf, --variants)");
    if (variant_mode && a.plot_dir)
        cli_usage_error("--plot draws mutation maps (FASTA INPUT), not variants");
    const char *out_path = a.out ? a.out : "-";
    {
        const cli_path out_paths[2] = {{"-o", out_path, 0}, {"--plot", a.plot_dir, 1}};
        const cli_path in_paths[5] = {{"", npos ? pos[0] : NULL, 0}, {"--vcf", a.vcf, 0}, {"--variants", a.variants, 0},
                                      {"--genome", a.genome, 0}, {"--model", a.model, 0}};
        cli_check_outputs(in_paths, 5, out_paths, 2);
    }
    cli_check(rbp_set_num_threads(1));
    rbp_model *model = NULL;
    cli_check(rbp_model_load(&model, a.model));
    rbp_model_config cfg;
    cli_check(rbp_model_get_config(model, &cfg));
    rbp_session_options sopt;
    cli_check(rbp_session_options_init(&sopt, RBP_SESSION_OPTIONS_VERSION));
    sopt.n_threads = a.threads;
    ctx c;
    memset(&c, 0, sizeof c);
    c.a = &a;
    c.L = cfg.seq_len;
    c.task = cfg.task;
    cli_check(rbp_session_create(&c.session, model, &sopt));
    if (a.plot_dir)
        cli_mkdir_p(a.plot_dir);
    c.out = seq_out_open(out_path);
    if (variant_mode)
        score_variants(&c, a.vcf ? a.vcf : a.variants, a.vcf != NULL, a.genome);
    else
        mutation_maps(&c, pos[0]);
    seq_out_close(c.out);
    rbp_session_free(c.session);
    rbp_model_free(model);
    return CLI_EXIT_OK;
}
