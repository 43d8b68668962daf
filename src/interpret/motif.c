/*
 * interpret/motif.c - PWMs from the model's most important windows, k-mer enrichment, the
 * column-correlation comparison and the MEME minimal format (rbpattn/motif.h says how).
 *
 * The importance only chooses where to look (the seed k-mer and a prior in the re-scan); the
 * matrices themselves are counts of the sequences' letters at the sites, so they are ordinary
 * PWMs that the MEME suite can read and compare.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "rbpattn/atomic_file.h"
#include "rbpattn/attention.h"
#include "rbpattn/model.h"
#include "rbpattn/motif.h"

enum { NL = 4 }; /* letters A C G U */
static const char LETTERS[NL + 1] = "ACGU";

/* ------------------------------------------------------------------ options */

rbp_status rbp_motif_options_init(rbp_motif_options *opt, uint32_t version)
{
    RBP_CHECK_NULL(opt);
    RBP_CHECK(version == RBP_MOTIF_OPTIONS_VERSION, RBP_ERR_INVALID_ARG,
              "rbp_motif_options_init: version %u is not supported (this library knows %d)", version,
              RBP_MOTIF_OPTIONS_VERSION);
    memset(opt, 0, sizeof *opt);
    opt->version = version;
    opt->n_motifs = 3;
    opt->width = 8;
    opt->top_sequences = 500;
    opt->importance = RBP_MOTIF_SALIENCY;
    opt->iterations = 20;
    opt->kmer_k = 6;
    opt->n_kmers = 25;
    opt->min_sites = 10;
    opt->batch_size = 64;
    opt->importance_weight = 1.0f;
    opt->site_threshold = 0.5f;
    opt->pseudocount = 0.25f;
    opt->rollout_residual = 0.5f;
    return RBP_OK;
}

static rbp_status check_options(const rbp_motif_options *o)
{
    const char *fn = "rbp_motifs_discover";
    RBP_CHECK(o->version == RBP_MOTIF_OPTIONS_VERSION, RBP_ERR_INVALID_ARG,
              "%s: rbp_motif_options.version = %u, expected %d (initialise with rbp_motif_options_init)", fn,
              o->version, RBP_MOTIF_OPTIONS_VERSION);
    /* `option`: rbpattn-motifs' option for the field, "" for none */
#define RANGE(field, option, lo, hi)                                                                                \
    RBP_CHECK(o->field >= (lo) && o->field <= (hi), RBP_ERR_INVALID_ARG,                                           \
              "%s: rbp_motif_options." #field "%s = %g, expected %g..%g", fn, option, (double)o->field, (double)(lo), \
              (double)(hi))
    RANGE(n_motifs, " (--motifs)", 1, 32);
    RANGE(width, " (--width)", 4, RBP_MOTIF_MAX_WIDTH);
    RANGE(top_sequences, " (--top)", 0, INT32_MAX);
    RANGE(importance, " (--importance)", RBP_MOTIF_SALIENCY, RBP_MOTIF_ROLLOUT);
    RANGE(iterations, "", 1, 1000);
    RANGE(kmer_k, " (--kmer)", 3, o->width < 8 ? o->width : 8);
    RANGE(n_kmers, "", 0, 4096);
    RANGE(min_sites, " (--min-sites)", 2, INT32_MAX);
    RANGE(batch_size, "", 1, 4096);
    RANGE(importance_weight, "", 0.0f, 1e6f);
    RANGE(site_threshold, "", 0.0f, 1.0f);
    RANGE(pseudocount, "", 1e-6f, 1e6f);
    RANGE(rollout_residual, "", 0.0f, 1.0f);
#undef RANGE
    return RBP_OK;
}

/* ------------------------------------------------------------------ sets */

rbp_status rbp_motif_set_create(rbp_motif_set **out)
{
    RBP_CHECK_NULL(out);
    *out = rbp__calloc(1, sizeof **out);
    return *out ? RBP_OK : rbp__oom();
}

void rbp_motif_set_free(rbp_motif_set *set)
{
    if (!set)
        return;
    for (int32_t i = 0; i < set->n_motifs; i++) {
        rbp__free(set->motifs[i].pwm);
        rbp__free(set->motifs[i].sites);
    }
    rbp__free(set->motifs);
    rbp__free(set->kmers);
    rbp__free(set->sequences);
    rbp__free(set->scores);
    rbp__free(set);
}

static double column_information(const float *p)
{
    double h = 2.0;
    for (int b = 0; b < NL; b++)
        if (p[b] > 0)
            h += (double)p[b] * log2((double)p[b]);
    return h;
}

static double motif_information(const float *pwm, int32_t w)
{
    double s = 0;
    for (int32_t j = 0; j < w; j++)
        s += column_information(pwm + (size_t)j * NL);
    return s;
}

/* Append a motif taking ownership of pwm (w, 4, normalised) and sites (may be NULL). */
static rbp_status set_push(rbp_motif_set *set, const char *name, float *pwm, int32_t w, int32_t n_sites,
                           rbp_motif_site *sites, double importance)
{
    rbp_motif *m = rbp__realloc(set->motifs, (size_t)(set->n_motifs + 1) * sizeof *m);
    if (!m) {
        rbp__free(pwm);
        rbp__free(sites);
        return rbp__oom();
    }
    set->motifs = m;
    m += set->n_motifs++;
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->width = w;
    m->pwm = pwm;
    m->n_sites = n_sites;
    m->sites = sites;
    m->information = motif_information(pwm, w);
    m->importance = importance;
    return RBP_OK;
}

static rbp_status check_name(const char *fn, const char *name)
{
    RBP_CHECK(name != NULL && name[0] != '\0', RBP_ERR_INVALID_ARG, "%s: the motif name is NULL or empty", fn);
    RBP_CHECK(strlen(name) < RBP_MOTIF_NAME_MAX, RBP_ERR_INVALID_ARG, "%s: motif name '%.20s...' is longer than %d bytes",
              fn, name, RBP_MOTIF_NAME_MAX - 1);
    for (const char *p = name; *p; p++)
        RBP_CHECK(isgraph((unsigned char)*p), RBP_ERR_INVALID_ARG,
                  "%s: motif name '%s' holds a blank or control character (MEME names are one word)", fn, name);
    return RBP_OK;
}

/* Normalise one row of 4 into dst; `what` and `row` name it in errors. A row that sums to 1
 * within the rounding of 6 decimals is kept as it is, so a file read and written again gives
 * the same text. */
static rbp_status normalise_row(const char *fn, const char *what, int32_t row, const double *src, float *dst)
{
    double s = 0;
    for (int b = 0; b < NL; b++) {
        RBP_CHECK(isfinite(src[b]) && src[b] >= 0, RBP_ERR_INVALID_ARG,
                  "%s: %s column %d: probability %g is negative or not finite", fn, what, (int)row + 1, src[b]);
        s += src[b];
    }
    RBP_CHECK(s > 0, RBP_ERR_INVALID_ARG, "%s: %s column %d sums to 0", fn, what, (int)row + 1);
    if (fabs(s - 1.0) <= 4e-6)
        s = 1.0;
    for (int b = 0; b < NL; b++)
        dst[b] = (float)(src[b] / s);
    return RBP_OK;
}

rbp_status rbp_motif_set_add(rbp_motif_set *set, const char *name, const float *pwm, int32_t width, int32_t n_sites)
{
    const char *fn = "rbp_motif_set_add";
    RBP_CHECK_NULL(set);
    RBP_CHECK_NULL(pwm);
    RBP_TRY(check_name(fn, name));
    RBP_CHECK(width >= 1 && width <= 1000, RBP_ERR_INVALID_ARG, "%s: width = %d, expected 1..1000", fn, (int)width);
    RBP_CHECK(n_sites >= 0, RBP_ERR_INVALID_ARG, "%s: n_sites = %d, expected >= 0", fn, (int)n_sites);
    float *p = rbp__malloc((size_t)width * NL * sizeof *p);
    if (!p)
        return rbp__oom();
    for (int32_t j = 0; j < width; j++) {
        double row[NL];
        for (int b = 0; b < NL; b++)
            row[b] = pwm[(size_t)j * NL + b];
        rbp_status st = normalise_row(fn, name, j, row, p + (size_t)j * NL);
        if (st != RBP_OK) {
            rbp__free(p);
            return st;
        }
    }
    return set_push(set, name, p, width, n_sites, NULL, NAN);
}

/* ------------------------------------------------------------------ consensus */

static char iupac2(int a, int b)
{
    int m = (1 << a) | (1 << b); /* A=1 C=2 G=4 U=8 */
    switch (m) {
    case 1 | 4: return 'R';
    case 2 | 8: return 'Y';
    case 2 | 4: return 'S';
    case 1 | 8: return 'W';
    case 4 | 8: return 'K';
    case 1 | 2: return 'M';
    default: return 'N';
    }
}

static void consensus_of(const float *pwm, int32_t w, char *buf)
{
    for (int32_t j = 0; j < w; j++) {
        const float *p = pwm + (size_t)j * NL;
        int a = 0, b = -1;
        for (int k = 1; k < NL; k++)
            if (p[k] > p[a])
                a = k;
        for (int k = 0; k < NL; k++)
            if (k != a && (b < 0 || p[k] > p[b]))
                b = k;
        if (p[a] >= 0.5f && p[a] >= 2 * p[b])
            buf[j] = LETTERS[a];
        else if (p[a] + p[b] >= 0.75f)
            buf[j] = iupac2(a, b);
        else
            buf[j] = 'N';
    }
    buf[w] = '\0';
}

rbp_status rbp_motif_consensus(const rbp_motif *m, char *buf, size_t cap)
{
    RBP_CHECK_NULL(m);
    RBP_CHECK_NULL(buf);
    RBP_CHECK(m->pwm != NULL && m->width >= 1, RBP_ERR_INVALID_ARG, "rbp_motif_consensus: the motif has no matrix");
    RBP_CHECK(cap > (size_t)m->width, RBP_ERR_INVALID_ARG,
              "rbp_motif_consensus: buffer of %zu bytes, the consensus of width %d needs %d", cap, (int)m->width,
              (int)m->width + 1);
    consensus_of(m->pwm, m->width, buf);
    return RBP_OK;
}

/* ------------------------------------------------------------------ comparison */

/* Pearson correlation of two columns; *ok = 0 when either has no variance. */
static double column_pcc(const float *x, const float *y, int *ok)
{
    double mx = 0, my = 0;
    for (int b = 0; b < NL; b++)
        mx += x[b], my += y[b];
    mx /= NL, my /= NL;
    double sxy = 0, sxx = 0, syy = 0;
    for (int b = 0; b < NL; b++) {
        double dx = x[b] - mx, dy = y[b] - my;
        sxy += dx * dy, sxx += dx * dx, syy += dy * dy;
    }
    *ok = sxx > 1e-9 && syy > 1e-9;
    return *ok ? sxy / sqrt(sxx * syy) : 0.0;
}

static int column_informative(const float *x)
{
    int ok;
    column_pcc(x, x, &ok);
    return ok;
}

rbp_status rbp_motif_compare(const rbp_motif *a, const rbp_motif *b, rbp_motif_match *out)
{
    RBP_CHECK_NULL(a);
    RBP_CHECK_NULL(b);
    RBP_CHECK_NULL(out);
    RBP_CHECK(a->pwm && b->pwm && a->width >= 1 && b->width >= 1, RBP_ERR_INVALID_ARG,
              "rbp_motif_compare: a motif has no matrix (width %d and %d)", (int)a->width, (int)b->width);
    const rbp_motif *shorter = a->width < b->width ? a : b;
    int informative = 0;
    for (int32_t j = 0; j < shorter->width; j++)
        informative += column_informative(shorter->pwm + (size_t)j * NL);
    out->offset = 0, out->overlap = 0, out->correlation = -2;
    for (int32_t off = -(b->width - 1); off < a->width; off++) {
        double sum = 0;
        int paired = 0, skipped = 0;
        for (int32_t j = 0; j < b->width; j++) {
            int32_t i = j + off;
            if (i < 0 || i >= a->width)
                continue;
            paired++;
            int ok;
            double r = column_pcc(a->pwm + (size_t)i * NL, b->pwm + (size_t)j * NL, &ok);
            if (ok)
                sum += r;
            else if (column_informative((shorter == a ? a->pwm + (size_t)i * NL : b->pwm + (size_t)j * NL)))
                skipped++; /* the shorter's column is informative, its partner is not */
        }
        int denom = informative - skipped;
        double score = denom > 0 ? sum / denom : 0.0;
        int better = score > out->correlation + 1e-12 ||
                     (fabs(score - out->correlation) <= 1e-12 && abs(off) < abs(out->offset));
        if (better)
            out->offset = off, out->overlap = paired, out->correlation = score;
    }
    return RBP_OK;
}

rbp_status rbp_motif_best_match(const rbp_motif *m, const rbp_motif_set *known, int32_t *index, rbp_motif_match *out)
{
    RBP_CHECK_NULL(m);
    RBP_CHECK_NULL(known);
    RBP_CHECK_NULL(index);
    RBP_CHECK_NULL(out);
    *index = -1;
    memset(out, 0, sizeof *out);
    for (int32_t k = 0; k < known->n_motifs; k++) {
        rbp_motif_match r;
        RBP_TRY(rbp_motif_compare(m, &known->motifs[k], &r));
        if (*index < 0 || r.correlation > out->correlation)
            *index = k, *out = r;
    }
    return RBP_OK;
}

/* ------------------------------------------------------------------ MEME format */

rbp_status rbp_motif_write_meme(const rbp_motif_set *set, const char *path)
{
    RBP_CHECK_NULL(set);
    RBP_CHECK_NULL(path);
    for (int32_t i = 0; i < set->n_motifs; i++) {
        RBP_CHECK(set->motifs[i].pwm && set->motifs[i].width >= 1, RBP_ERR_INVALID_ARG,
                  "rbp_motif_write_meme: motif %d has no matrix", (int)i + 1);
        RBP_TRY(check_name("rbp_motif_write_meme", set->motifs[i].name));
    }
    rbp_atomic_file *af = NULL;
    rbp_status st = rbp_atomic_file_open(&af, path);
    if (st != RBP_OK)
        return rbp__wrap_error(st, "rbp_motif_write_meme");
    FILE *f = rbp_atomic_file_stream(af);
    fprintf(f, "MEME version 4\n\nALPHABET= ACGU\n\nstrands: +\n\nBackground letter frequencies\n"
               "A 0.25 C 0.25 G 0.25 U 0.25\n");
    char cons[1001];
    for (int32_t i = 0; i < set->n_motifs; i++) {
        const rbp_motif *m = &set->motifs[i];
        char *c = m->width < (int32_t)sizeof cons ? cons : NULL;
        if (c)
            consensus_of(m->pwm, m->width, c);
        fprintf(f, "\nMOTIF %s%s%s\nletter-probability matrix: alength= 4 w= %d", m->name, c ? " " : "", c ? c : "",
                (int)m->width);
        if (m->n_sites > 0)
            fprintf(f, " nsites= %d", (int)m->n_sites);
        fprintf(f, " E= 0\n");
        for (int32_t j = 0; j < m->width; j++) {
            const float *p = m->pwm + (size_t)j * NL;
            fprintf(f, " %.6f  %.6f  %.6f  %.6f\n", (double)p[0], (double)p[1], (double)p[2], (double)p[3]);
        }
    }
    st = rbp_atomic_file_commit(af);
    return st == RBP_OK ? st : rbp__wrap_error(st, "rbp_motif_write_meme");
}

/* Reader state: the file, its name and the current line for messages. */
typedef struct meme_in {
    FILE *f;
    const char *path;
    char *line;
    size_t cap;
    long lineno;
} meme_in;

static int next_line(meme_in *in)
{
    ssize_t n = getline(&in->line, &in->cap, in->f);
    if (n < 0)
        return 0;
    in->lineno++;
    while (n > 0 && (in->line[n - 1] == '\n' || in->line[n - 1] == '\r'))
        in->line[--n] = '\0';
    return 1;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Value of "key= value" in a matrix header line; 1 if found. */
static int header_value(const char *line, const char *key, double *v)
{
    const char *p = strstr(line, key);
    if (!p)
        return 0;
    p = skip_ws(p + strlen(key));
    char *end;
    errno = 0;
    double x = strtod(p, &end);
    if (end == p || errno)
        return 0;
    *v = x;
    return 1;
}

/* Parse up to 4 numbers of a matrix row; returns how many. */
static int parse_row(const char *s, double *v)
{
    int n = 0;
    for (;;) {
        s = skip_ws(s);
        if (*s == '\0')
            return n;
        char *end;
        double x = strtod(s, &end);
        if (end == s || n == NL)
            return -1;
        v[n++] = x;
        s = end;
    }
}

static rbp_status read_meme(meme_in *in, rbp_motif_set *set)
{
    const char *fn = "rbp_motif_read_meme";
    int have_version = 0, pending = 0; /* pending: a MOTIF line still waiting for its matrix */
    char name[RBP_MOTIF_NAME_MAX] = "";
    long motif_line = 0;
    while (next_line(in)) {
        const char *s = skip_ws(in->line);
        if (starts_with(s, "MEME version")) {
            have_version = 1;
        } else if (starts_with(s, "ALPHABET")) {
            const char *p = strchr(s, '=');
            RBP_CHECK(p != NULL, RBP_ERR_FORMAT,
                      "%s: %s:%ld: custom alphabet definitions are not supported (use ALPHABET= ACGU or ACGT)", fn,
                      in->path, in->lineno);
            p = skip_ws(p + 1);
            RBP_CHECK(starts_with(p, "ACGU") || starts_with(p, "ACGT"), RBP_ERR_FORMAT,
                      "%s: %s:%ld: alphabet '%s', expected ACGU (RNA) or ACGT (DNA, read as RNA)", fn, in->path,
                      in->lineno, p);
        } else if (starts_with(s, "MOTIF")) {
            RBP_CHECK(have_version, RBP_ERR_FORMAT, "%s: %s:%ld: MOTIF before the 'MEME version' line (not a MEME file?)",
                      fn, in->path, in->lineno);
            RBP_CHECK(!pending, RBP_ERR_FORMAT, "%s: %s:%ld: motif '%s' (line %ld) has no letter-probability matrix",
                      fn, in->path, in->lineno, name, motif_line);
            const char *p = skip_ws(s + 5);
            size_t n = strcspn(p, " \t");
            RBP_CHECK(n > 0, RBP_ERR_FORMAT, "%s: %s:%ld: MOTIF without a name", fn, in->path, in->lineno);
            RBP_CHECK(n < sizeof name, RBP_ERR_FORMAT, "%s: %s:%ld: motif name longer than %d bytes", fn, in->path,
                      in->lineno, RBP_MOTIF_NAME_MAX - 1);
            memcpy(name, p, n);
            name[n] = '\0';
            pending = 1;
            motif_line = in->lineno;
        } else if (starts_with(s, "letter-probability matrix")) {
            RBP_CHECK(pending, RBP_ERR_FORMAT, "%s: %s:%ld: a letter-probability matrix outside a MOTIF", fn,
                      in->path, in->lineno);
            double alen = 4, w = -1, nsites = 0;
            header_value(s, "alength=", &alen);
            header_value(s, "nsites=", &nsites);
            int have_w = header_value(s, "w=", &w);
            RBP_CHECK(alen == 4, RBP_ERR_FORMAT, "%s: %s:%ld: alength= %g, expected 4 (A C G U)", fn, in->path,
                      in->lineno, alen);
            RBP_CHECK(!have_w || (w >= 1 && w <= 1000 && w == floor(w)), RBP_ERR_FORMAT,
                      "%s: %s:%ld: w= %g, expected 1..1000", fn, in->path, in->lineno, w);
            RBP_CHECK(nsites >= 0 && nsites < 2147483647.0, RBP_ERR_FORMAT, "%s: %s:%ld: nsites= %g out of range",
                      fn, in->path, in->lineno, nsites);
            size_t cap = have_w ? (size_t)w : 16;
            float *pwm = rbp__malloc(cap * NL * sizeof *pwm);
            if (!pwm)
                return rbp__oom();
            int32_t rows = 0;
            rbp_status st = RBP_OK;
            long start = in->lineno;
            while ((!have_w || rows < (int32_t)w)) {
                long pos = ftell(in->f);
                if (!next_line(in))
                    break;
                double v[NL];
                int k = parse_row(in->line, v);
                if (k == 0 && rows == 0)
                    continue; /* blank lines before the first row */
                if (k != NL) {
                    if (have_w || k > 0) {
                        st = rbp__set_error(RBP_ERR_FORMAT, "%s: %s:%ld: matrix row %d of motif '%s': expected 4 "
                                            "numbers", fn, in->path, in->lineno, (int)rows + 1, name);
                        break;
                    }
                    /* without w=, the matrix ends at the first line that is not a row */
                    if (pos >= 0 && fseek(in->f, pos, SEEK_SET) == 0)
                        in->lineno--;
                    break;
                }
                if ((size_t)rows == cap) {
                    float *grown = rbp__realloc(pwm, 2 * cap * NL * sizeof *pwm);
                    if (!grown) {
                        st = rbp__oom();
                        break;
                    }
                    pwm = grown, cap *= 2;
                }
                char what[RBP_MOTIF_NAME_MAX + 16];
                snprintf(what, sizeof what, "motif '%s'", name);
                st = normalise_row(fn, what, rows, v, pwm + (size_t)rows * NL);
                if (st != RBP_OK) {
                    st = rbp__wrap_error(RBP_ERR_FORMAT, "%s:%ld", in->path, in->lineno);
                    break;
                }
                rows++;
            }
            if (st == RBP_OK && (rows == 0 || (have_w && rows < (int32_t)w)))
                st = rbp__set_error(RBP_ERR_FORMAT, "%s: %s:%ld: motif '%s' has %d of %g matrix rows", fn, in->path,
                                    start, name, (int)rows, have_w ? w : 1.0);
            if (st != RBP_OK) {
                rbp__free(pwm);
                return st;
            }
            RBP_TRY(set_push(set, name, pwm, rows, (int32_t)nsites, NULL, NAN));
            pending = 0;
        }
    }
    RBP_CHECK(!ferror(in->f), RBP_ERR_IO, "%s: %s: read error: %s", fn, in->path, strerror(errno));
    RBP_CHECK(have_version, RBP_ERR_FORMAT, "%s: %s: no 'MEME version' line (not a MEME motif file)", fn, in->path);
    RBP_CHECK(!pending, RBP_ERR_FORMAT, "%s: %s:%ld: motif '%s' has no letter-probability matrix", fn, in->path,
              motif_line, name);
    return RBP_OK;
}

rbp_status rbp_motif_read_meme(rbp_motif_set **out, const char *path)
{
    RBP_CHECK_NULL(out);
    RBP_CHECK_NULL(path);
    *out = NULL;
    meme_in in = {fopen(path, "rb"), path, NULL, 0, 0};
    RBP_CHECK(in.f != NULL, RBP_ERR_IO, "rbp_motif_read_meme: cannot open %s: %s", path, strerror(errno));
    rbp_motif_set *set = NULL;
    rbp_status st = rbp_motif_set_create(&set);
    if (st == RBP_OK)
        st = read_meme(&in, set);
    free(in.line); /* getline's buffer comes from malloc */
    fclose(in.f);
    if (st != RBP_OK) {
        rbp_motif_set_free(set);
        return st;
    }
    *out = set;
    return RBP_OK;
}

/* ------------------------------------------------------------------ discovery */

/* Everything the search works on: n sequences of length L (tokens, real-position mask), the
 * window importance z-scores and which positions earlier motifs have taken. */
typedef struct search {
    int32_t n, L, w, k;
    const uint8_t *tok, *mask;
    float *z;      /* (n, L - w + 1) window importance z-score; NAN = no such window */
    uint8_t *used; /* (n, L) position belongs to a site of an earlier motif */
    double bg[NL]; /* base composition */
} search;

static int window_free(const search *S, int32_t s, int32_t p)
{
    if (isnan(S->z[(size_t)s * (S->L - S->w + 1) + p]))
        return 0;
    const uint8_t *u = S->used + (size_t)s * S->L + p;
    for (int32_t j = 0; j < S->w; j++)
        if (u[j])
            return 0;
    return 1;
}

/* Code of the k-mer at (s, q) in base 4, or -1 if it holds N, padding or a used position. */
static int32_t kmer_code(const search *S, int32_t s, int32_t q, int respect_used)
{
    int32_t c = 0;
    for (int32_t j = 0; j < S->k; j++) {
        size_t at = (size_t)s * S->L + q + j;
        if (!S->mask[at] || S->tok[at] >= NL || (respect_used && S->used[at]))
            return -1;
        c = c * NL + S->tok[at];
    }
    return c;
}

/* Foreground (inside each sequence's most important free window) and background (every free
 * position) k-mer counts; returns the foreground and background totals. */
static void count_kmers(const search *S, int respect_used, int32_t *fg, int32_t *bg, int64_t *nfg, int64_t *nbg)
{
    size_t K = (size_t)1 << (2 * S->k);
    memset(fg, 0, K * sizeof *fg);
    memset(bg, 0, K * sizeof *bg);
    *nfg = *nbg = 0;
    int32_t nw = S->L - S->w + 1;
    for (int32_t s = 0; s < S->n; s++) {
        for (int32_t q = 0; q + S->k <= S->L; q++) {
            int32_t c = kmer_code(S, s, q, respect_used);
            if (c >= 0)
                bg[c]++, (*nbg)++;
        }
        int32_t best = -1;
        for (int32_t p = 0; p < nw; p++)
            if ((!respect_used ? !isnan(S->z[(size_t)s * nw + p]) : window_free(S, s, p)) &&
                (best < 0 || S->z[(size_t)s * nw + p] > S->z[(size_t)s * nw + best]))
                best = p;
        if (best < 0)
            continue;
        for (int32_t q = best; q + S->k <= best + S->w; q++) {
            int32_t c = kmer_code(S, s, q, respect_used);
            if (c >= 0)
                fg[c]++, (*nfg)++;
        }
    }
}

static double kmer_z(int32_t c, int32_t b, int64_t nfg, int64_t nbg)
{
    if (b <= 0 || nfg <= 0 || nbg <= 0)
        return -INFINITY;
    double pb = (double)b / (double)nbg;
    double var = (double)nfg * pb * (1 - pb);
    return var > 0 ? ((double)c - (double)nfg * pb) / sqrt(var) : -INFINITY;
}

static void kmer_string(int32_t code, int32_t k, char *out)
{
    for (int32_t j = k - 1; j >= 0; j--, code /= NL)
        out[j] = LETTERS[code % NL];
    out[k] = '\0';
}

static int cmp_kmer(const void *x, const void *y)
{
    const rbp_motif_kmer *a = x, *b = y;
    if (a->z != b->z)
        return a->z > b->z ? -1 : 1;
    return strcmp(a->kmer, b->kmer);
}

static rbp_status kmer_table(rbp_motif_set *set, const search *S, int32_t n_rows, int32_t *fg, int32_t *bg)
{
    int64_t nfg, nbg;
    count_kmers(S, 0, fg, bg, &nfg, &nbg);
    size_t K = (size_t)1 << (2 * S->k), n = 0;
    rbp_motif_kmer *all = rbp__malloc(K * sizeof *all);
    if (!all)
        return rbp__oom();
    for (size_t c = 0; c < K; c++) {
        if (fg[c] == 0)
            continue;
        rbp_motif_kmer *r = &all[n++];
        kmer_string((int32_t)c, S->k, r->kmer);
        r->count = fg[c];
        r->background = bg[c];
        r->enrichment = ((fg[c] + 1.0) / (nfg + 1.0)) / ((bg[c] + 1.0) / (nbg + 1.0));
        r->z = kmer_z(fg[c], bg[c], nfg, nbg);
    }
    qsort(all, n, sizeof *all, cmp_kmer);
    set->n_kmers = (int32_t)(n < (size_t)n_rows ? n : (size_t)n_rows);
    rbp_motif_kmer *kept = rbp__realloc(all, ((size_t)set->n_kmers + 1) * sizeof *all);
    set->kmers = kept ? kept : all; /* shrinking cannot really fail; if it does, keep it all */
    return RBP_OK;
}

/* Scan every sequence with the PWM's log-odds plus the importance term. all = 0: the best free
 * window of each sequence when it reaches the threshold (the realignment's sites); all = 1:
 * every non-overlapping free window that does, best first (a motif's final sites, so that a
 * second copy in a sequence is not found again as the next motif). Returns the count. */
static int32_t scan_sites(const search *S, const rbp_motif_options *o, const float *pwm, int all,
                          rbp_motif_site *sites)
{
    const int32_t w = S->w, nw = S->L - w + 1;
    double lo[RBP_MOTIF_MAX_WIDTH][NL], top = 0;
    for (int32_t j = 0; j < w; j++) {
        double m = -INFINITY;
        for (int b = 0; b < NL; b++) {
            lo[j][b] = log2((double)pwm[j * NL + b] / S->bg[b]);
            m = lo[j][b] > m ? lo[j][b] : m;
        }
        top += m;
    }
    double thr = o->site_threshold * top;
    int32_t ns = 0;
    for (int32_t s = 0; s < S->n; s++) {
        int32_t first = ns;
        for (;;) {
            int32_t bp = -1;
            double bs = -INFINITY;
            for (int32_t p = 0; p < nw; p++) {
                if (!window_free(S, s, p))
                    continue;
                int clash = 0; /* overlaps a site already taken in this sequence */
                for (int32_t i = first; i < ns && !clash; i++)
                    clash = p < sites[i].position + w && sites[i].position < p + w;
                if (clash)
                    continue;
                const uint8_t *t = S->tok + (size_t)s * S->L + p;
                double sc = o->importance_weight * S->z[(size_t)s * nw + p];
                for (int32_t j = 0; j < w; j++)
                    sc += lo[j][t[j]];
                if (sc > bs)
                    bs = sc, bp = p;
            }
            if (bp < 0 || bs < thr)
                break;
            sites[ns++] = (rbp_motif_site){s, bp, (float)bs};
            if (!all)
                break;
        }
    }
    return ns;
}

/* The PWM of the sites' letters plus pseudocounts. */
static void build_pwm(const search *S, const rbp_motif_options *o, const rbp_motif_site *sites, int32_t ns,
                      float *pwm)
{
    const int32_t w = S->w;
    double cnt[RBP_MOTIF_MAX_WIDTH][NL];
    for (int32_t j = 0; j < w; j++)
        for (int b = 0; b < NL; b++)
            cnt[j][b] = o->pseudocount;
    for (int32_t i = 0; i < ns; i++) {
        const uint8_t *t = S->tok + (size_t)sites[i].sequence * S->L + sites[i].position;
        for (int32_t j = 0; j < w; j++)
            cnt[j][t[j]] += 1.0;
    }
    for (int32_t j = 0; j < w; j++) {
        double tot = 0;
        for (int b = 0; b < NL; b++)
            tot += cnt[j][b];
        for (int b = 0; b < NL; b++)
            pwm[j * NL + b] = (float)(cnt[j][b] / tot);
    }
}

/* One motif: seed from the best free k-mer, realign, then take all its occurrences. Returns
 * the number of sites in *n_sites (0: no seed left). pwm (w, 4) and sites are written; sites
 * and prev have room for every non-overlapping window of every sequence. */
static void find_motif(const search *S, const rbp_motif_options *o, int32_t *fg, int32_t *bg, float *pwm,
                       rbp_motif_site *sites, rbp_motif_site *prev, int32_t *n_sites)
{
    const int32_t w = S->w;
    int64_t nfg, nbg;
    count_kmers(S, 1, fg, bg, &nfg, &nbg);
    size_t K = (size_t)1 << (2 * S->k);
    int32_t seed = -1;
    double best = -INFINITY;
    for (size_t c = 0; c < K; c++) {
        double z = fg[c] >= 2 ? kmer_z(fg[c], bg[c], nfg, nbg) : -INFINITY;
        if (z > best)
            best = z, seed = (int32_t)c;
    }
    *n_sites = 0;
    if (seed < 0)
        return;
    /* The seed's letters at 0.7 in the middle columns, the flanks uniform. */
    int32_t off = (w - S->k) / 2;
    for (int32_t j = 0; j < w; j++)
        for (int b = 0; b < NL; b++)
            pwm[j * NL + b] = 0.25f;
    for (int32_t j = 0, code = seed; j < S->k; j++, code /= NL) {
        int32_t col = off + S->k - 1 - j, letter = code % NL;
        for (int b = 0; b < NL; b++)
            pwm[col * NL + b] = b == letter ? 0.7f : 0.1f;
    }
    /* Realign; then, as MEME's shifts do, move the sites as a block to where their matrix holds
     * the most information (a seed from a window's edge catches only part of the motif), and
     * realign again from there. */
    for (int round = 0; round < 4; round++) {
        int32_t n_prev = -1, ns = 0;
        for (int32_t it = 0; it < o->iterations; it++) {
            ns = scan_sites(S, o, pwm, 0, sites);
            if (ns < 2)
                return;
            int same = ns == n_prev;
            for (int32_t i = 0; same && i < ns; i++)
                same = sites[i].sequence == prev[i].sequence && sites[i].position == prev[i].position;
            if (same)
                break; /* the matrix already is the one these sites give */
            build_pwm(S, o, sites, ns, pwm);
            memcpy(prev, sites, (size_t)ns * sizeof *sites);
            n_prev = ns;
        }
        int32_t best_d = 0;
        double best_ic = motif_information(pwm, w);
        for (int32_t d = -(w / 2); d <= w / 2; d++) {
            if (d == 0)
                continue;
            int32_t m = 0;
            for (int32_t i = 0; i < ns; i++) {
                int32_t p = sites[i].position + d;
                if (p >= 0 && p + w <= S->L && !isnan(S->z[(size_t)sites[i].sequence * (S->L - w + 1) + p]))
                    prev[m++] = (rbp_motif_site){sites[i].sequence, p, 0};
            }
            if (m < ns * 3 / 4)
                continue; /* too many sites would fall off the sequences */
            float trial[RBP_MOTIF_MAX_WIDTH * NL];
            build_pwm(S, o, prev, m, trial);
            double ic = motif_information(trial, w);
            if (ic > best_ic + 0.25) /* a clear gain only, so a converged motif stays put */
                best_ic = ic, best_d = d;
        }
        if (best_d == 0)
            break;
        int32_t m = 0;
        for (int32_t i = 0; i < ns; i++) {
            int32_t p = sites[i].position + best_d;
            if (p >= 0 && p + w <= S->L && !isnan(S->z[(size_t)sites[i].sequence * (S->L - w + 1) + p]))
                prev[m++] = (rbp_motif_site){sites[i].sequence, p, 0};
        }
        build_pwm(S, o, prev, m, pwm);
    }
    int32_t ns = scan_sites(S, o, pwm, 1, sites);
    if (ns >= 2)
        build_pwm(S, o, sites, ns, pwm);
    *n_sites = ns;
}

/* Per-position importance of every sequence of `ds` into imp (n, L). */
static rbp_status compute_importance(rbp_session *session, const rbp_dataset *ds, const rbp_motif_options *o,
                                     float *imp)
{
    rbp_model_config cfg;
    RBP_TRY(rbp_model_get_config(rbp_session_model(session), &cfg));
    const int32_t L = cfg.seq_len, n = (int32_t)rbp_dataset_size(ds), B = o->batch_size;
    float *A = NULL, *scratch = NULL, *prob = NULL;
    if (o->importance == RBP_MOTIF_ROLLOUT) {
        A = rbp__malloc((size_t)cfg.n_layers * cfg.n_heads * L * L * sizeof *A);
        scratch = rbp__malloc((size_t)3 * L * L * sizeof *scratch);
        prob = rbp__malloc((size_t)B * sizeof *prob);
        if (!A || !scratch || !prob) {
            rbp__free(A), rbp__free(scratch), rbp__free(prob);
            return rbp__oom();
        }
    }
    const uint8_t *tok = rbp_dataset_tokens(ds), *mask = rbp_dataset_mask(ds);
    const uint8_t *st = rbp_dataset_structure(ds), *vp = rbp_dataset_viewpoint(ds);
    const float *y = rbp_dataset_targets(ds);
    rbp_status rc = RBP_OK;
    for (int32_t b0 = 0; b0 < n && rc == RBP_OK; b0 += B) {
        rbp_batch b;
        memset(&b, 0, sizeof b);
        b.size = n - b0 < B ? n - b0 : B;
        b.length = L;
        size_t at = (size_t)b0 * L;
        b.tokens = tok + at, b.mask = mask + at;
        b.structure = st ? st + at : NULL, b.viewpoint = vp ? vp + at : NULL;
        b.targets = y ? y + b0 : NULL;
        if (o->importance == RBP_MOTIF_SALIENCY) {
            rc = rbp_session_saliency(session, &b, imp + at);
            continue;
        }
        rc = rbp_session_predict_batch(session, &b, prob);
        for (int32_t i = 0; i < b.size && rc == RBP_OK; i++) {
            rc = rbp_session_attention(session, i, A);
            if (rc == RBP_OK)
                rc = rbp_attention_rollout(A, cfg.n_layers, cfg.n_heads, L, mask + at + (size_t)i * L,
                                           o->rollout_residual, NULL, imp + at + (size_t)i * L, scratch);
        }
    }
    rbp__free(A), rbp__free(scratch), rbp__free(prob);
    return rc == RBP_OK ? RBP_OK : rbp__wrap_error(rc, "rbp_motifs_discover");
}

/* Row order by score, highest first, ties by lower row (deterministic). A merge sort with the
 * keys passed in: qsort has no context argument in C11 and a global key would not be
 * thread-safe. */
static void sort_by_score(size_t *idx, size_t *tmp, size_t n, const float *score)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_by_score(idx, tmp, h, score);
    sort_by_score(idx + h, tmp, n - h, score);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        size_t a = idx[i], b = idx[j];
        int take_b = score[b] > score[a] || (score[b] == score[a] && b < a);
        tmp[k++] = take_b ? idx[j++] : idx[i++];
    }
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

rbp_status rbp_motifs_discover(rbp_motif_set **out, rbp_session *session, const rbp_dataset *ds, const size_t *rows,
                               size_t n_rows, const rbp_motif_options *opt)
{
    const char *fn = "rbp_motifs_discover";
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(session);
    RBP_CHECK_NULL(ds);
    rbp_motif_options def;
    if (!opt) {
        rbp_motif_options_init(&def, RBP_MOTIF_OPTIONS_VERSION);
        opt = &def;
    }
    RBP_TRY(check_options(opt));
    rbp_model_config cfg;
    RBP_TRY(rbp_model_get_config(rbp_session_model(session), &cfg));
    RBP_CHECK(rbp_dataset_length(ds) == cfg.seq_len, RBP_ERR_INVALID_ARG,
              "%s: the dataset's sequences have length %d, the model's %d", fn, (int)rbp_dataset_length(ds),
              (int)cfg.seq_len);
    size_t total = rbp_dataset_size(ds);
    if (rows == NULL)
        n_rows = total;
    RBP_CHECK(n_rows >= 1 && n_rows <= (size_t)INT32_MAX, RBP_ERR_INVALID_ARG, "%s: %zu sequences, expected 1..%d",
              fn, n_rows, INT32_MAX);
    for (size_t i = 0; rows && i < n_rows; i++)
        RBP_CHECK(rows[i] < total, RBP_ERR_INVALID_ARG, "%s: rows[%zu] = %zu, the dataset has %zu rows", fn, i,
                  rows[i], total);
    const int32_t L = cfg.seq_len, w = opt->width;
    RBP_CHECK(L >= w, RBP_ERR_INVALID_ARG, "%s: the model's sequences (%d) are shorter than the motif width %d", fn,
              (int)L, (int)w);

    rbp_status st = RBP_OK;
    rbp_motif_set *set = NULL;
    rbp_dataset *given = NULL, *chosen = NULL;
    size_t *idx = NULL, *order = NULL, *tmp = NULL;
    float *logits = NULL, *imp = NULL;
    int32_t *fg = NULL, *bg = NULL;
    rbp_motif_site *sites = NULL, *prev = NULL;
    search S;
    memset(&S, 0, sizeof S);
#define TRY(expr)                                                                                                    \
    do {                                                                                                             \
        if ((st = (expr)) != RBP_OK)                                                                                 \
            goto done;                                                                                               \
    } while (0)
#define ALLOC(p, n)                                                                                                  \
    do {                                                                                                             \
        if (((p) = rbp__calloc((n), sizeof *(p))) == NULL) {                                                         \
            st = rbp__oom();                                                                                         \
            goto done;                                                                                               \
        }                                                                                                            \
    } while (0)

    /* 1. the highest-scoring sequences */
    ALLOC(idx, n_rows);
    ALLOC(order, n_rows);
    ALLOC(tmp, n_rows);
    for (size_t i = 0; i < n_rows; i++)
        idx[i] = rows ? rows[i] : i, order[i] = i;
    TRY(rbp_dataset_subset(&given, ds, idx, n_rows));
    ALLOC(logits, n_rows);
    TRY(rbp_session_predict_logits(session, given, opt->batch_size, logits));
    sort_by_score(order, tmp, n_rows, logits);
    size_t n = opt->top_sequences > 0 && (size_t)opt->top_sequences < n_rows ? (size_t)opt->top_sequences : n_rows;
    TRY(rbp_dataset_subset(&chosen, given, order, n));
    TRY(rbp_motif_set_create(&set));
    ALLOC(set->sequences, n);
    ALLOC(set->scores, n);
    set->n_sequences = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        set->sequences[i] = (int32_t)idx[order[i]];
        set->scores[i] = logits[order[i]];
    }

    /* 2. importance and window z-scores */
    ALLOC(imp, n * (size_t)L);
    TRY(compute_importance(session, chosen, opt, imp));
    S.n = (int32_t)n, S.L = L, S.w = w, S.k = opt->kmer_k;
    S.tok = rbp_dataset_tokens(chosen), S.mask = rbp_dataset_mask(chosen);
    const int32_t nw = L - w + 1;
    ALLOC(S.z, n * (size_t)nw);
    ALLOC(S.used, n * (size_t)L);
    double sum = 0, sum2 = 0, cnt = 0, comp[NL] = {0, 0, 0, 0};
    for (int32_t s = 0; s < S.n; s++) {
        const uint8_t *t = S.tok + (size_t)s * L, *m = S.mask + (size_t)s * L;
        for (int32_t q = 0; q < L; q++)
            if (m[q] && t[q] < NL)
                comp[t[q]] += 1;
        for (int32_t p = 0; p < nw; p++) {
            double v = 0;
            int ok = 1;
            for (int32_t j = 0; j < w && ok; j++) {
                ok = m[p + j] && t[p + j] < NL;
                v += imp[(size_t)s * L + p + j];
            }
            S.z[(size_t)s * nw + p] = ok ? (float)v : NAN;
            if (ok)
                sum += v, sum2 += v * v, cnt += 1;
        }
    }
    if (cnt < 2) {
        st = rbp__set_error(RBP_ERR_INVALID_ARG, "%s: fewer than 2 windows of %d real A/C/G/U positions in the %zu "
                            "sequences", fn, (int)w, n);
        goto done;
    }
    double mean = sum / cnt, var = sum2 / cnt - mean * mean, sd = var > 0 ? sqrt(var) : 1.0;
    for (size_t i = 0; i < n * (size_t)nw; i++)
        if (!isnan(S.z[i]))
            S.z[i] = (float)((S.z[i] - mean) / sd);
    double ctot = comp[0] + comp[1] + comp[2] + comp[3];
    for (int b = 0; b < NL; b++)
        S.bg[b] = (comp[b] + 1.0) / (ctot + 4.0);

    /* 3. the enrichment table over all windows, then the motifs one by one */
    size_t K = (size_t)1 << (2 * S.k);
    ALLOC(fg, K);
    ALLOC(bg, K);
    TRY(kmer_table(set, &S, opt->n_kmers, fg, bg));
    size_t room = n * (size_t)(L / w + 1); /* non-overlapping windows of all sequences */
    ALLOC(sites, room);
    ALLOC(prev, room);
    for (int32_t mi = 0; mi < opt->n_motifs; mi++) {
        float pwm[RBP_MOTIF_MAX_WIDTH * NL];
        int32_t ns = 0;
        find_motif(&S, opt, fg, bg, pwm, sites, prev, &ns);
        if (ns < opt->min_sites)
            break;
        float *p = rbp__malloc((size_t)w * NL * sizeof *p);
        rbp_motif_site *ms = rbp__malloc((size_t)ns * sizeof *ms);
        if (!p || !ms) {
            rbp__free(p), rbp__free(ms);
            st = rbp__oom();
            goto done;
        }
        memcpy(p, pwm, (size_t)w * NL * sizeof *p);
        double zsum = 0;
        for (int32_t i = 0; i < ns; i++) {
            ms[i] = sites[i];
            zsum += S.z[(size_t)sites[i].sequence * nw + sites[i].position];
            memset(S.used + (size_t)sites[i].sequence * L + sites[i].position, 1, (size_t)w);
            ms[i].sequence = set->sequences[sites[i].sequence];
        }
        char name[32];
        snprintf(name, sizeof name, "motif_%d", (int)mi + 1);
        TRY(set_push(set, name, p, w, ns, ms, zsum / ns));
    }
    *out = set;
    set = NULL;
done:
#undef TRY
#undef ALLOC
    rbp_motif_set_free(set);
    rbp_dataset_free(given);
    rbp_dataset_free(chosen);
    rbp__free(idx), rbp__free(order), rbp__free(tmp), rbp__free(logits), rbp__free(imp);
    rbp__free(fg), rbp__free(bg), rbp__free(sites), rbp__free(prev);
    rbp__free(S.z), rbp__free(S.used);
    return st;
}
