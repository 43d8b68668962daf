/*
 * scan.c - rbpattn-scan: slide a trained model along transcripts, regions or whole genomes and
 * write a per-position track (bedGraph), peaks (BED6) and window scores (TSV).
 *
 * Input is FASTA of any record length (plain or .gz, '-' = stdin), streamed in pieces through
 * the library's rbp_scanner, so memory does not grow with a chromosome; or BED regions cut
 * out of a genome (--bed with --genome), minus-strand regions reverse-complemented; or a
 * whole genome (--genome alone). Minus-strand sequences are written in genomic order, which
 * needs their track in memory (4 bytes per position of that sequence).
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rbpattn/rbpattn.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "genome/seqio.h"

static const char *const reduce_names[] = {"max", "mean", NULL};

typedef struct args {
    const char *model, *out, *peaks, *windows, *bed, *genome;
    int32_t step, reduce, logit, merge, threads, batch, chunk, quiet;
    double threshold;
} args;

/* A run of equal values of the bedGraph being written. */
typedef struct run {
    int open;
    int64_t start, end;
    char value[32];
} run;

typedef struct scan_ctx {
    const args *a;
    int32_t L, task;
    rbp_scanner *sc;
    seq_out *graph, *bed, *win;
    seq_region g;     /* the current sequence */
    int64_t n_peaks_total;
    /* minus strand: the whole track and the peaks, written in genomic order at the end */
    float *track;
    size_t track_len, track_cap;
    rbp_scan_peak *peaks;
    size_t n_peaks, peaks_cap;
    run r;
    /* progress */
    cli_progress progress;
    double t0;
    int64_t done_nt;
    const fa_reader *fa;
    /* buffers of the input loops, held here (not only in locals) so that they stay reachable
     * when an error exits from inside a loop: leak checkers then report real leaks only */
    char *region; /* region_buffer */
    size_t region_cap;
    char *piece;
    bed_region *regions;
    char *done;
    genome *gen;
} scan_ctx;

static void run_flush(scan_ctx *c)
{
    if (c->r.open)
        seq_out_printf(c->graph, "%s\t%lld\t%lld\t%s\n", c->g.chrom, (long long)c->r.start, (long long)c->r.end,
                       c->r.value);
    c->r.open = 0;
}

/* One position of the bedGraph, in increasing genomic order within a sequence. */
static void graph_put(scan_ctx *c, int64_t coord, float v)
{
    char s[32];
    snprintf(s, sizeof s, "%.6g", (double)v);
    if (c->r.open && c->r.end == coord && strcmp(s, c->r.value) == 0) {
        c->r.end++;
        return;
    }
    run_flush(c);
    c->r.open = 1;
    c->r.start = coord;
    c->r.end = coord + 1;
    memcpy(c->r.value, s, sizeof s);
}

static void show_progress(scan_ctx *c, int force);
static void check_interrupt(scan_ctx *c);

static int on_track(void *ctx, int64_t first, const float *v, size_t n)
{
    scan_ctx *c = ctx;
    /* called after every round of windows: a long chromosome shows progress and stops on ^C */
    check_interrupt(c);
    show_progress(c, 0);
    if (c->g.strand == '-') {
        if (c->track_len + n > c->track_cap) {
            c->track_cap = (c->track_len + n) * 2;
            c->track = cli_xrealloc(c->track, c->track_cap * sizeof *c->track);
        }
        memcpy(c->track + c->track_len, v, n * sizeof *v);
        c->track_len += n;
    } else if (c->graph) {
        for (size_t i = 0; i < n; i++)
            graph_put(c, seq_region_coord(&c->g, first + (int64_t)i), v[i]);
    }
    return 0;
}

/* BED score: 0..1000 from the peak's probability (a logit goes through the sigmoid). */
static int bed_score(const scan_ctx *c, float v)
{
    double p = c->a->logit && c->task == RBP_TASK_CLASSIFICATION ? 1.0 / (1.0 + exp(-(double)v)) : (double)v;
    long s = lround(1000.0 * p);
    return s < 0 ? 0 : s > 1000 ? 1000 : (int)s;
}

static void write_peak(scan_ctx *c, const rbp_scan_peak *p)
{
    int64_t s = seq_region_coord(&c->g, p->start), e = seq_region_coord(&c->g, p->end - 1);
    if (s > e) {
        int64_t t = s;
        s = e;
        e = t;
    }
    c->n_peaks_total++;
    seq_out_printf(c->bed, "%s\t%lld\t%lld\tpeak%lld;summit=%lld;max=%.6g\t%d\t%c\n", c->g.chrom, (long long)s,
                   (long long)e + 1, (long long)c->n_peaks_total, (long long)seq_region_coord(&c->g, p->summit),
                   (double)p->score, bed_score(c, p->score), c->g.strand);
}

static int on_peak(void *ctx, const rbp_scan_peak *p)
{
    scan_ctx *c = ctx;
    if (c->g.strand != '-') {
        write_peak(c, p);
        return 0;
    }
    if (c->n_peaks == c->peaks_cap) {
        c->peaks_cap = c->peaks_cap ? 2 * c->peaks_cap : 64;
        c->peaks = cli_xrealloc(c->peaks, c->peaks_cap * sizeof *c->peaks);
    }
    c->peaks[c->n_peaks++] = *p;
    return 0;
}

static int on_windows(void *ctx, const int64_t *starts, const float *scores, size_t n)
{
    scan_ctx *c = ctx;
    const int64_t fed = rbp_scanner_position(c->sc);
    for (size_t i = 0; i < n; i++) {
        const int64_t len = fed - starts[i] < c->L ? fed - starts[i] : c->L;
        int64_t s = seq_region_coord(&c->g, starts[i]), e = seq_region_coord(&c->g, starts[i] + len - 1);
        if (s > e) {
            int64_t t = s;
            s = e;
            e = t;
        }
        seq_out_printf(c->win, "%s\t%lld\t%lld\t%c\t%.6g\n", c->g.chrom, (long long)s, (long long)e + 1,
                       c->g.strand, (double)scores[i]);
    }
    return 0;
}

static void show_progress(scan_ctx *c, int force)
{
    const double el = cli_now() - c->t0;
    const int64_t nt = c->done_nt + rbp_scanner_position(c->sc);
    const double frac = c->fa ? fa_progress(c->fa) : -1;
    char extra[96];
    snprintf(extra, sizeof extra, "%s%lld nt, %.40s", frac >= 0 ? " " : "", (long long)nt, c->g.name);
    c->progress.percent = frac >= 0;
    cli_progress_show(&c->progress, "scan", frac >= 0 ? frac : (double)nt, frac >= 0 ? 1.0 : 0, extra,
                      el > 0 ? (double)nt / el : 0, "nt", frac > 0.01 ? el * (1 - frac) / frac : -1, force);
}

static void scan_begin(scan_ctx *c, const seq_region *g)
{
    c->g = *g;
    c->track_len = 0;
    c->n_peaks = 0;
    c->r.open = 0;
}

/* ^C: the outputs' temporary files are removed at exit (cli_open_output), the old files stay. */
static void check_interrupt(scan_ctx *c)
{
    if (cli_interrupted()) {
        cli_progress_clear(&c->progress);
        fprintf(stderr, "%s: interrupted; no output written\n", cli_program());
        exit(CLI_EXIT_INTERRUPTED);
    }
}

static void scan_feed(scan_ctx *c, const char *s, size_t n)
{
    check_interrupt(c);
    rbp_status st = rbp_scanner_feed(c->sc, s, n);
    if (st != RBP_OK) {
        cli_progress_clear(&c->progress);
        cli_fail("%s: %s", c->g.name, rbp_last_error());
    }
    show_progress(c, 0);
}

static void scan_end(scan_ctx *c)
{
    const int64_t n = rbp_scanner_position(c->sc);
    if (c->g.end >= 0 && c->g.end - c->g.start != n) {
        cli_progress_clear(&c->progress);
        cli_warn("%s: the header's region has %lld nt, the record %lld: coordinates count from its start",
                 c->g.name, (long long)(c->g.end - c->g.start), (long long)n);
        c->g.end = c->g.start + n;
    }
    if (n == 0) {
        cli_progress_clear(&c->progress);
        cli_warn("%s: empty sequence, skipped", c->g.name);
    }
    rbp_status st = rbp_scanner_finish(c->sc);
    if (st != RBP_OK) {
        cli_progress_clear(&c->progress);
        cli_fail("%s: %s", c->g.name, rbp_last_error());
    }
    if (c->g.strand == '-') {
        /* genomic order: the track backwards, then the peaks backwards */
        for (size_t i = c->track_len; c->graph && i-- > 0;)
            graph_put(c, seq_region_coord(&c->g, (int64_t)i), c->track[i]);
        for (size_t i = c->n_peaks; i-- > 0;)
            write_peak(c, &c->peaks[i]);
    }
    if (c->graph)
        run_flush(c);
    c->done_nt += n;
}

/* A whole sequence in memory (a BED region). */
static void scan_buffer(scan_ctx *c, const seq_region *g, const char *s, size_t n)
{
    scan_begin(c, g);
    for (size_t i = 0; i < n; i += 1 << 20)
        scan_feed(c, s + i, n - i < (1u << 20) ? n - i : 1u << 20);
    scan_end(c);
}

static void scan_fasta(scan_ctx *c, const char *path, int whole_genome)
{
    fa_reader *fa = fa_open(path);
    c->fa = fa;
    char *buf = c->piece = cli_xmalloc(1 << 20);
    const char *header;
    while (fa_next(fa, &header)) {
        seq_region g;
        seq_region_from_header(&g, header);
        if (whole_genome)
            g.strand = '+';
        scan_begin(c, &g);
        size_t k;
        while ((k = fa_read(fa, buf, 1 << 20)) > 0)
            scan_feed(c, buf, k);
        scan_end(c);
    }
    free(buf);
    c->piece = NULL;
    c->fa = NULL;
    fa_close(fa);
}

/* The letters of one region (in the context: see scan_ctx). */
static char *region_buffer(scan_ctx *c, size_t n)
{
    if (n > c->region_cap) {
        c->region_cap = n;
        c->region = cli_xrealloc(c->region, n);
    }
    return c->region;
}

static void scan_regions(scan_ctx *c, const char *bed_path, const char *genome_path)
{
    size_t n = 0;
    bed_region *v = c->regions = bed_read(bed_path, &n);
    genome *gen = c->gen = genome_open(genome_path);
    char *done = c->done = cli_xcalloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++)
        if (v[i].r.start == v[i].r.end) {
            cli_warn("%s:%lld: empty region %s:%lld-%lld, skipped", bed_path, (long long)v[i].line, v[i].r.chrom,
                     (long long)v[i].r.start, (long long)v[i].r.end);
            done[i] = 1;
        }
    if (genome_indexed(gen)) {
        /* every region checked before any work */
        for (size_t i = 0; i < n; i++) {
            const int64_t len = genome_length(gen, v[i].r.chrom);
            if (len < 0)
                cli_fail("%s:%lld: chromosome %s is not in %s", bed_path, (long long)v[i].line, v[i].r.chrom,
                         genome_path);
            if (v[i].r.end > len)
                cli_fail("%s:%lld: region %s:%lld-%lld ends past the end of %s (%lld nt)", bed_path,
                         (long long)v[i].line, v[i].r.chrom, (long long)v[i].r.start, (long long)v[i].r.end,
                         v[i].r.chrom, (long long)len);
        }
        for (size_t i = 0; i < n; i++) {
            if (done[i])
                continue;
            const size_t len = (size_t)(v[i].r.end - v[i].r.start);
            char *s = region_buffer(c, len + 1);
            genome_fetch(gen, v[i].r.chrom, v[i].r.start, v[i].r.end, s);
            if (v[i].r.strand == '-')
                seq_revcomp(s, len);
            scan_buffer(c, &v[i].r, s, len);
        }
    } else {
        /* the genome read once, one record at a time: its regions in BED order */
        const char *name, *seq;
        int64_t len;
        while ((name = genome_next_record(gen, &seq, &len)) != NULL) {
            for (size_t i = 0; i < n; i++) {
                if (done[i] || strcmp(v[i].r.chrom, name) != 0)
                    continue;
                if (v[i].r.end > len)
                    cli_fail("%s:%lld: region %s:%lld-%lld ends past the end of %s (%lld nt)", bed_path,
                             (long long)v[i].line, v[i].r.chrom, (long long)v[i].r.start, (long long)v[i].r.end,
                             name, (long long)len);
                const size_t rl = (size_t)(v[i].r.end - v[i].r.start);
                char *s = region_buffer(c, rl + 1);
                memcpy(s, seq + v[i].r.start, rl);
                s[rl] = '\0';
                if (v[i].r.strand == '-')
                    seq_revcomp(s, rl);
                scan_buffer(c, &v[i].r, s, rl);
                done[i] = 1;
            }
        }
        for (size_t i = 0; i < n; i++)
            if (!done[i])
                cli_fail("%s:%lld: chromosome %s is not in %s", bed_path, (long long)v[i].line, v[i].r.chrom,
                         genome_path);
    }
    if (n == 0)
        cli_warn("no regions in %s", bed_path);
    free(done);
    free(v);
    genome_close(gen);
    c->done = NULL;
    c->regions = NULL;
    c->gen = NULL;
}

int main(int argc, char **argv)
{
    cli_set_program("rbpattn-scan");
    args a;
    memset(&a, 0, sizeof a);
    a.threads = 1;
    a.batch = 64;
    a.chunk = 4096;
    a.threshold = NAN;

    cli_option opts[] = {
        CLI_SECTION("Model and input"),
        CLI_MODEL_OPTION(a.model),
        {"bed", 0, CLI_OPT_STRING, &a.bed, "FILE",
         "regions to scan (BED3/BED6, 0-based half-open; minus-strand\nregions are reverse-complemented); needs --genome",
         CLI_RANGE_NONE, NULL, 0},
        {"genome", 'g', CLI_OPT_STRING, &a.genome, "FILE",
         "genome FASTA (.fa or .fa.gz; FILE.fai is used when present for\na plain file). Alone: scan every record on "
         "its + strand", CLI_RANGE_NONE, NULL, 0},
        CLI_SECTION("Windows and scores"),
        {"step", 's', CLI_OPT_INT, &a.step, "N",
         "window step, 1..model length (default 1; 10 for a whole genome\nwith --genome alone)", 1, 1 << 24, NULL, 0},
        {"reduce", 0, CLI_OPT_CHOICE, &a.reduce, NULL,
         "per-position score over the windows covering it (default max)", CLI_RANGE_NONE, reduce_names, 0},
        {"logit", 0, CLI_OPT_FLAG, &a.logit, NULL, "scores are logits instead of probabilities", CLI_RANGE_NONE, NULL,
         0},
        CLI_SECTION("Output"),
        {"out", 'o', CLI_OPT_STRING, &a.out, "FILE", "bedGraph of the per-position track ('-' = stdout; .gz = gzip)",
         CLI_RANGE_NONE, NULL, 0},
        {"peaks", 'p', CLI_OPT_STRING, &a.peaks, "FILE",
         "BED6 peaks: runs of track values >= --threshold, merged; name\n'peakK;summit=POS;max=VALUE', score 0..1000 = "
         "1000 x probability", CLI_RANGE_NONE, NULL, 0},
        {"threshold", 0, CLI_OPT_DOUBLE, &a.threshold, "X", "peak threshold (default 0.5, or 0 with --logit)",
         CLI_RANGE_NONE, NULL, 0},
        {"merge", 0, CLI_OPT_INT, &a.merge, "N", "merge peaks separated by at most N positions (default 0)", 0,
         1 << 30, NULL, 0},
        {"windows", 0, CLI_OPT_STRING, &a.windows, "FILE", "TSV of every window: chrom, start, end, strand, score",
         CLI_RANGE_NONE, NULL, 0},
        CLI_SECTION("Performance"),
        {"batch", 'b', CLI_OPT_INT, &a.batch, "N", "windows per forward pass (default 64; memory per thread grows\nwith it)", 1, 1 << 20, NULL, 0},
        {"chunk", 0, CLI_OPT_INT, &a.chunk, "N", "windows scored per round, shared among threads (default 4096)", 1,
         1 << 24, NULL, 0},
        CLI_THREADS_OPTION(a.threads),
        CLI_QUIET_OPTION(a.quiet),
        CLI_END_OPTIONS,
    };
    const cli_program_info info = {
        "rbpattn-scan --model FILE [options] INPUT|-\n"
        "       rbpattn-scan --model FILE --bed REGIONS.bed --genome GENOME.fa [options]",
        "Slide the model's windows along each sequence and write the per-position score (the max\n"
        "or mean of the windows covering a position) as bedGraph, peaks as BED6 and window\n"
        "scores as TSV. INPUT is FASTA of any length (.fa, .fa.gz, '-' = stdin); a header\n"
        "'chr:start-end(strand)' (bedtools getfasta) gives genomic coordinates, else the record\n"
        "id is the chromosome with 0-based positions. DNA letters read as RNA; lowercase is\n"
        "sequence. Outputs ending in .gz are gzip-compressed; all are written atomically.",
        "  rbpattn-scan -m pum2.rbp -o track.bedGraph --peaks peaks.bed transcripts.fa\n"
        "  rbpattn-scan -m pum2.rbp --bed utrs.bed --genome hg38.fa -o utrs.bedGraph.gz --threads 2\n"
        "  rbpattn-scan -m pum2.rbp --genome hg38.fa.gz --peaks genome_peaks.bed.gz\n",
        "INPUT",
        1,
    };
    const char *pos[1] = {NULL};
    int npos = 0;
    cli_parse(argc, argv, opts, &info, pos, &npos);
    cli_resolve_model(&a.model, "--model", "missing --model FILE");
    if (a.bed && !a.genome)
        cli_usage_error("--bed needs --genome FILE");
    if (npos > 0 && a.genome)
        cli_usage_error("give INPUT or --genome, not both");
    if (npos == 0 && !a.genome)
        cli_usage_error("missing INPUT (a FASTA file, or '-' for stdin), or --genome FILE");
    if (!a.out && !a.peaks && !a.windows)
        cli_usage_error("nothing to write: give -o FILE (bedGraph), --peaks FILE and/or --windows FILE");
    if (cli_given(opts, "threshold") && !a.peaks)
        cli_usage_error("--threshold applies to --peaks");
    const int whole_genome = a.genome && !a.bed;
    if (!cli_given(opts, "step"))
        a.step = whole_genome ? 10 : 1;
    if (isnan(a.threshold))
        a.threshold = a.logit ? 0.0 : 0.5;
    {
        const char *outs[3] = {a.out, a.peaks, a.windows};
        const cli_path out_paths[3] = {{"-o", a.out, 0}, {"--peaks", a.peaks, 0}, {"--windows", a.windows, 0}};
        const cli_path in_paths[4] = {{"", npos ? pos[0] : NULL, 0}, {"--bed", a.bed, 0}, {"--genome", a.genome, 0},
                                      {"--model", a.model, 0}};
        cli_check_outputs(in_paths, 4, out_paths, 3);
        int to_stdout = 0;
        for (int i = 0; i < 3; i++)
            to_stdout += outs[i] && strcmp(outs[i], "-") == 0;
        if (to_stdout > 1)
            cli_usage_error("only one output can be '-' (stdout)");
    }
    cli_check(rbp_set_num_threads(1));

    rbp_model *model = NULL;
    cli_check(rbp_model_load(&model, a.model));
    rbp_model_config cfg;
    cli_check(rbp_model_get_config(model, &cfg));
    if (a.step > cfg.seq_len)
        cli_usage_error("--step %d is longer than the model's windows (%d nt)", a.step, cfg.seq_len);
    rbp_session_options sopt;
    cli_check(rbp_session_options_init(&sopt, RBP_SESSION_OPTIONS_VERSION));
    sopt.n_threads = a.threads;
    rbp_session *session = NULL;
    cli_check(rbp_session_create(&session, model, &sopt));

    scan_ctx c;
    memset(&c, 0, sizeof c);
    c.a = &a;
    c.L = cfg.seq_len;
    c.task = cfg.task;
    rbp_scan_options so;
    cli_check(rbp_scan_options_init(&so, RBP_SCAN_OPTIONS_VERSION));
    so.step = a.step;
    so.reduce = a.reduce;
    so.logits = a.logit;
    so.batch_size = a.batch;
    so.chunk_windows = a.chunk > a.batch ? a.chunk : a.batch;
    if (a.peaks) {
        so.peak_threshold = (float)a.threshold;
        so.peak_merge = a.merge;
    }
    cli_check(rbp_scanner_create(&c.sc, session, &so, on_track, a.windows ? on_windows : NULL,
                                 a.peaks ? on_peak : NULL, &c));

    /* outputs first: a directory that cannot be written fails before any work */
    if (a.out)
        c.graph = seq_out_open(a.out);
    if (a.peaks)
        c.bed = seq_out_open(a.peaks);
    if (a.windows) {
        c.win = seq_out_open(a.windows);
        seq_out_printf(c.win, "chrom\tstart\tend\tstrand\tscore\n");
    }
    cli_install_sigint();
    cli_progress_init(&c.progress, !a.quiet);
    c.t0 = cli_now();
    if (a.bed)
        scan_regions(&c, a.bed, a.genome);
    else
        scan_fasta(&c, whole_genome ? a.genome : pos[0], whole_genome);
    cli_progress_clear(&c.progress);
    seq_out_close(c.graph);
    seq_out_close(c.bed);
    seq_out_close(c.win);
    if (!a.quiet) {
        char d[32];
        const double el = cli_now() - c.t0;
        fprintf(stderr, "%s: scanned %lld nt in %s (%.0f nt/s, step %d, %d thread%s)%s", cli_program(),
                (long long)c.done_nt, cli_format_duration(d, sizeof d, el), el > 0 ? (double)c.done_nt / el : 0.0,
                a.step, a.threads, a.threads == 1 ? "" : "s", a.peaks ? "" : "\n");
        if (a.peaks)
            fprintf(stderr, "; %lld peaks\n", (long long)c.n_peaks_total);
    }
    free(c.track);
    free(c.peaks);
    free(c.region);
    rbp_scanner_free(c.sc);
    rbp_session_free(session);
    rbp_model_free(model);
    return CLI_EXIT_OK;
}
