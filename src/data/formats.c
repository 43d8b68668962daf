/*
 * data/formats.c - the text formats: FASTA (labels from the header, from the file in a
 * GraphProt pair, or from an RNAcompete .affys file read in lockstep), CSV/TSV with a header
 * (RFC 4180 quoting) and plain "SEQUENCE TARGET" lines.
 *
 * Every parser streams its input through rbp__reader and hands each record's sequence to
 * the builder as it goes, so a record is encoded straight from the read buffer. Parsing is
 * incremental: a call appends up to N complete records and stops between records (a FASTA
 * record ends at the next header, which is handed back to the line reader), so the same
 * code serves rbp_dataset_load (one call, no limit) and rbp_reader (a chunk per call).
 * Every error names the file and the line (the header line of a FASTA record, the first
 * line of a CSV record).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "data/data_internal.h"
#include "data/formats.h"

/* Where a FASTA record's target comes from. */
enum {
    RBP__LABEL_HEADER = 0, /* options.label_key in the header, else a number as its last word */
    RBP__LABEL_FIXED = 1,  /* one value per file (GraphProt positives / negatives) */
    RBP__LABEL_AFFYS = 2   /* the .affys file, one value per line, read in lockstep */
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static size_t reader_max_line(const rbp_dataset_options *opt)
{
    /* A line holds at most a sequence and its structure plus other columns. */
    return (size_t)opt->max_record_length * 4 + ((size_t)1 << 20);
}

/* Trim blanks at both ends of [*p, *p + *n). */
static void trim(const char **p, size_t *n)
{
    const char *s = *p;
    size_t len = *n;
    while (len && is_blank(*s)) {
        s++;
        len--;
    }
    while (len && is_blank(s[len - 1]))
        len--;
    *p = s;
    *n = len;
}

/* A small growable string (ids, copies of lines). */
typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static rbp_status strbuf_set(strbuf *s, const char *src, size_t n)
{
    if (n + 1 > s->cap) {
        size_t ncap = s->cap ? s->cap : 64;
        while (ncap < n + 1)
            ncap *= 2;
        char *np = rbp__realloc(s->p, ncap);
        if (!np)
            return rbp__oom();
        s->p = np;
        s->cap = ncap;
    }
    memcpy(s->p, src, n);
    s->p[n] = '\0';
    s->n = n;
    return RBP_OK;
}

static rbp_status strbuf_append(strbuf *s, const char *src, size_t n)
{
    size_t old = s->n;
    if (n + old + 1 > s->cap) {
        size_t ncap = s->cap ? s->cap : 64;
        while (ncap < n + old + 1)
            ncap *= 2;
        char *np = rbp__realloc(s->p, ncap);
        if (!np)
            return rbp__oom();
        s->p = np;
        s->cap = ncap;
    }
    memcpy(s->p + old, src, n);
    s->p[old + n] = '\0';
    s->n = old + n;
    return RBP_OK;
}

static rbp_status strbuf_line_id(strbuf *s, int64_t line)
{
    /* by hand: this runs once per CSV/lines record, snprintf would dominate the parse */
    char tmp[32], digits[24];
    size_t nd = 0;
    uint64_t v = line > 0 ? (uint64_t)line : 0;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(tmp, "line", 4);
    for (size_t i = 0; i < nd; i++)
        tmp[4 + i] = digits[nd - 1 - i];
    return strbuf_set(s, tmp, 4 + nd);
}

/* Parse a target token; errors name `what` (e.g. "column 'RKA'"). */
static rbp_status parse_target(const char *tok, size_t n, float *out, const char *src, int64_t line,
                               const char *what)
{
    int rc = rbp__parse_number(tok, n, out);
    if (rc == 0)
        return RBP_OK;
    if (rc == -2)
        return rbp__loc_error(RBP_ERR_FORMAT, src, line, "%s: '%.*s' is not a finite number", what,
                              (int)(n < 64 ? n : 64), tok);
    return rbp__loc_error(RBP_ERR_FORMAT, src, line, "%s: '%.*s' is not a number", what, (int)(n < 64 ? n : 64),
                          tok);
}

/* ---------------------------------------------------------------- FASTA */

/* The id of a header: its first word, without a trailing ';' or ',' (RBP-31 writes
 * "> chr1,+,866159,866259; class:0"). */
static void header_id(const char *h, size_t n, int full, const char **id, size_t *id_len)
{
    size_t a = 0;
    while (a < n && is_blank(h[a]))
        a++;
    if (full) { /* options.fasta_full_header: the whole header line (trimmed) */
        size_t z = n;
        while (z > a && is_blank(h[z - 1]))
            z--;
        *id = h + a;
        *id_len = z - a;
        return;
    }
    size_t z = a;
    while (z < n && !is_blank(h[z]))
        z++;
    while (z > a && (h[z - 1] == ';' || h[z - 1] == ','))
        z--;
    *id = h + a;
    *id_len = z - a;
}

/*
 * The label in a header: the number after options.label_key ("class:1"), or else the last
 * word when the header has at least two ("RBM4_data_full_A_1 0.29"). *found = 0 if neither.
 */
static rbp_status header_label(const char *h, size_t n, const rbp_dataset_options *opt, float *out, int *found,
                               const char *src, int64_t line)
{
    *found = 0;
    const char *key = opt->label_key;
    if (key && *key) {
        const char *k = strstr(h, key); /* h is NUL-terminated at n */
        if (k) {
            const char *v = k + strlen(key);
            const char *e = h + n;
            while (v < e && is_blank(*v))
                v++;
            const char *t = v;
            while (t < e && !is_blank(*t) && *t != ';' && *t != ',')
                t++;
            if (t == v)
                return rbp__loc_error(RBP_ERR_FORMAT, src, line, "label after '%.40s' is missing", key);
            if (rbp__parse_number(v, (size_t)(t - v), out) != 0) { /* message only on failure */
                char what[80];
                snprintf(what, sizeof what, "label after '%.40s'", key);
                return parse_target(v, (size_t)(t - v), out, src, line, what);
            }
            *found = 1;
            return RBP_OK;
        }
    }
    /* last word, if there are at least two words */
    size_t z = n;
    while (z > 0 && is_blank(h[z - 1]))
        z--;
    size_t a = z;
    while (a > 0 && !is_blank(h[a - 1]))
        a--;
    size_t first = 0;
    while (first < n && is_blank(h[first]))
        first++;
    if (a == z || a <= first)
        return RBP_OK;
    int rc = rbp__parse_number(h + a, z - a, out);
    if (rc == -2)
        return parse_target(h + a, z - a, out, src, line, "label in header");
    *found = rc == 0;
    return RBP_OK;
}

/* Next value of the .affys file: one number per line; blank and '#' lines are skipped.
 * Returns 1 with *v, 0 at its end, < 0 on error. */
static int next_affy(rbp__reader *ra, float *v)
{
    char *line;
    size_t n;
    int rc;
    while ((rc = rbp__reader_next(ra, &line, &n)) == 1) {
        const char *p = line;
        trim(&p, &n);
        if (n == 0 || *p == '#')
            continue;
        rbp_status st = parse_target(p, n, v, ra->path, ra->line, "affinity value");
        if (st != RBP_OK)
            return st;
        return 1;
    }
    return rc;
}

/* ---------------------------------------------------------------- CSV / TSV */

typedef struct field {
    char *p;    /* content (inside the quotes for a quoted field) */
    size_t n;
    int quoted; /* doubled quotes still to collapse */
} field;

/*
 * Split one record into fields without modifying it (so that a record whose quoted field
 * continues on the next line can be extended and split again). Blanks around a field are
 * not part of it (unless quoted). Returns the number of fields (only the first maxf are
 * stored), -1 when a quoted field is still open at the end, -2 for text after a closing
 * quote (*where = its offset).
 */
static long csv_split(char *s, size_t n, char delim, field *f, size_t maxf, size_t *where)
{
    size_t i = 0, nf = 0;
    for (;;) {
        size_t j = i;
        while (j < n && s[j] != delim && is_blank(s[j]))
            j++;
        field cur;
        if (j < n && s[j] == '"') {
            size_t a = ++j;
            for (;;) {
                if (j >= n)
                    return -1;
                if (s[j] == '"') {
                    if (j + 1 < n && s[j + 1] == '"') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j++;
            }
            cur.p = s + a;
            cur.n = j - a;
            cur.quoted = 1;
            j++;
            while (j < n && s[j] != delim && is_blank(s[j]))
                j++;
            if (j < n && s[j] != delim) {
                *where = j;
                return -2;
            }
        } else {
            size_t k = j;
            while (k < n && s[k] != delim)
                k++;
            size_t e = k;
            while (e > j && is_blank(s[e - 1]) && s[e - 1] != delim)
                e--;
            cur.p = s + j;
            cur.n = e - j;
            cur.quoted = 0;
            j = k;
        }
        if (nf < maxf)
            f[nf] = cur;
        nf++;
        if (j >= n)
            break;
        i = j + 1; /* past the delimiter */
    }
    return (long)nf;
}

/* Collapse the doubled quotes of a quoted field in place. */
static void unquote(field *f)
{
    if (!f->quoted)
        return;
    size_t w = 0;
    for (size_t i = 0; i < f->n; i++) {
        f->p[w++] = f->p[i];
        if (f->p[i] == '"' && i + 1 < f->n && f->p[i + 1] == '"')
            i++;
    }
    f->n = w;
    f->quoted = 0;
}

typedef struct csv_state {
    rbp__reader *r;
    char delim;
    strbuf rec;     /* a record that spans lines */
    field *f;
    size_t fcap;
    int64_t line;   /* first line of the current record */
} csv_state;

/* Next non-blank record split into fields: 1 (*nf fields in s->f), 0 at the end, < 0 error. */
static int csv_next(csv_state *s, size_t *nf)
{
    char *line;
    size_t n;
    int rc;
    for (;;) {
        rc = rbp__reader_next(s->r, &line, &n);
        if (rc <= 0)
            return rc;
        const char *t = line;
        size_t tn = n;
        trim(&t, &tn);
        if (tn > 0)
            break;
    }
    s->line = s->r->line;
    char *rec = line;
    size_t rn = n;
    for (;;) {
        size_t where = 0;
        long k = csv_split(rec, rn, s->delim, s->f, s->fcap, &where);
        if (k == -2)
            return rbp__loc_error(RBP_ERR_FORMAT, s->r->path, s->line, "unexpected character after a closing quote "
                                  "(column %zu of the record)", where + 1);
        if (k >= 0 && (size_t)k > s->fcap) { /* more fields than room: grow and split again */
            size_t ncap = (size_t)k + 8;
            field *nf2 = rbp__realloc(s->f, ncap * sizeof *nf2);
            if (!nf2)
                return rbp__oom();
            s->f = nf2;
            s->fcap = ncap;
            continue;
        }
        if (k >= 0) {
            *nf = (size_t)k;
            return 1;
        }
        /* k == -1: a quoted field continues on the next line (RFC 4180 allows line breaks). */
        if (rec == line) {
            rbp_status st = strbuf_set(&s->rec, line, n);
            if (st != RBP_OK)
                return st;
        }
        rc = rbp__reader_next(s->r, &line, &n);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return rbp__loc_error(RBP_ERR_FORMAT, s->r->path, s->line, "quoted field is not closed before the end "
                                  "of the file");
        if (s->rec.n + n + 1 > s->r->max_line)
            return rbp__loc_error(RBP_ERR_FORMAT, s->r->path, s->line, "record longer than %zu bytes",
                                  s->r->max_line);
        rbp_status st = strbuf_append(&s->rec, "\n", 1);
        if (st == RBP_OK)
            st = strbuf_append(&s->rec, line, n);
        if (st != RBP_OK)
            return st;
        rec = s->rec.p;
        rn = s->rec.n;
    }
}

static int name_eq(const field *f, const char *name)
{
    size_t k = strlen(name);
    if (f->n != k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char a = f->p[i], c = name[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a + 32);
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (a != c)
            return 0;
    }
    return 1;
}

/* Index of column `name` in the header, or an error listing the columns there are. */
static rbp_status find_column(const csv_state *s, size_t nf, const char *name, const char *option, long *out)
{
    for (size_t i = 0; i < nf; i++)
        if (name_eq(&s->f[i], name)) {
            *out = (long)i;
            return RBP_OK;
        }
    char cols[200];
    size_t w = 0;
    cols[0] = '\0';
    for (size_t i = 0; i < nf && w + 4 < sizeof cols; i++) {
        int k = snprintf(cols + w, sizeof cols - w, "%s%.*s", i ? ", " : "", (int)(s->f[i].n < 40 ? s->f[i].n : 40),
                         s->f[i].p);
        if (k < 0)
            break;
        w += (size_t)k;
        if (w >= sizeof cols)
            w = sizeof cols - 1;
    }
    return rbp__loc_error(RBP_ERR_FORMAT, s->r->path, s->line, "no column '%s' (%s) in the header; columns: %s", name,
                          option, cols);
}

/* Encode a dot-bracket field onto the record at raw[off..off+len). */
static rbp_status encode_structure(rbp__builder *b, size_t off, const field *f, const char *src, int64_t line,
                                   const char *id)
{
    size_t len = b->raw_len - off, k = 0;
    uint8_t *raw = b->raw + off;
    for (size_t i = 0; i < f->n; i++) {
        unsigned v = rbp__struct_table[(unsigned char)f->p[i]];
        if (v == RBP__ENC_SKIP)
            continue;
        if (v == RBP__ENC_BAD) {
            char cb[8];
            return rbp__loc_error(RBP_ERR_FORMAT, src, line,
                                  "unknown character %s at position %zu of the structure of record '%.200s' "
                                  "(expected dot-bracket: . ( ) [ ] { } < >)",
                                  rbp__char_repr(cb, (unsigned char)f->p[i]), k + 1, id);
        }
        if (k < len)
            raw[k] |= (uint8_t)(v << RBP__RAW_STRUCT_SHIFT);
        k++;
    }
    if (k != len)
        return rbp__loc_error(RBP_ERR_FORMAT, src, line,
                              "structure of record '%.200s' has %zu positions but its sequence has %zu", id, k, len);
    return RBP_OK;
}

/* ---------------------------------------------------------------- the source */

struct rbp__source {
    const rbp_dataset_options *opt;
    int fmt;                  /* rbp_format being read (never AUTO) */
    int strict;               /* a file without records is an error */
    const char *fn;           /* for argument errors */
    const char *paths[2];     /* the file(s); "<stdin>" / the stream's name for messages */
    float labels[2];          /* GraphProt: the label of each file */
    int nfiles, cur;          /* inputs, and the one being read */
    FILE *fp;                 /* a caller's stream (or stdin) instead of paths[0] */
    int label_mode;           /* FASTA: where targets come from */
    rbp__reader r, ra;        /* the file being read, the .affys file */
    int r_open, ra_open, ended;
    size_t file_records;      /* records of the current file */
    strbuf id;
    /* CSV/TSV */
    csv_state csv;
    int header_read;
    size_t ncols;
    long c_seq, c_struct, c_target, c_id;
};

/* Close the record just built (raw[off..]) and count it. */
static rbp_status end_record(rbp__source *s, rbp__builder *b, size_t off, unsigned flags, float target,
                             int64_t line)
{
    RBP_TRY(rbp__builder_end_record(b, off, flags, target, s->id.p, s->id.n, s->r.path, line));
    s->file_records++;
    return RBP_OK;
}

/*
 * FASTA: append up to `room` records. Returns 1 when `room` records were added (the header
 * of the next one is handed back to the line reader), 0 at the end of the file, or a status.
 * A record never stays open across calls.
 */
static int fasta_read(rbp__source *s, rbp__builder *b, size_t room)
{
    const rbp_dataset_options *opt = s->opt;
    rbp__reader *r = &s->r;
    const char *path = r->path;
    int open = 0, has_target = 0;
    int64_t hline = 0;
    size_t off = 0, n0 = b->n;
    unsigned flags = 0;
    float target = 0.0f;
    char *line = NULL;
    size_t n = 0;
    rbp_status st;
    for (;;) {
        int rc = rbp__reader_next(r, &line, &n);
        if (rc < 0)
            return rc;
        int at_end = rc == 0;
        const char *p = line;
        if (!at_end) {
            trim(&p, &n);
            if (n == 0 || *p == ';') /* blank line, or an old-style ';' comment */
                continue;
        }
        if (at_end || *p == '>') {
            if (open) { /* close the previous record */
                if (s->label_mode == RBP__LABEL_FIXED) {
                    target = s->labels[s->cur];
                } else if (s->label_mode == RBP__LABEL_AFFYS) {
                    int ar = next_affy(&s->ra, &target);
                    if (ar < 0)
                        return ar;
                    if (ar == 0)
                        return rbp__loc_error(RBP_ERR_FORMAT, s->ra.path, s->ra.line,
                                              "ends after %zu values, but %s has more records (record '%.200s' "
                                              "at line %lld)",
                                              s->file_records, path, s->id.p, (long long)hline);
                } else if (!has_target) {
                    target = 0.0f;
                }
                RBP_TRY(end_record(s, b, off, flags, target, hline));
                open = 0;
            }
            if (at_end)
                return 0;
            if (b->n - n0 >= room) {
                rbp__reader_unget(r); /* this header starts the next chunk */
                return 1;
            }
            /* a new record: id and (header mode) label from the header */
            hline = r->line;
            const char *h = p + 1, *idp;
            size_t hn = n - 1, idn;
            header_id(h, hn, opt->fasta_full_header, &idp, &idn);
            st = idn ? strbuf_set(&s->id, idp, idn) : strbuf_line_id(&s->id, hline);
            if (st != RBP_OK)
                return st;
            has_target = 0;
            if (s->label_mode == RBP__LABEL_HEADER) {
                RBP_TRY(header_label(h, hn, opt, &target, &has_target, path, hline));
                if (!has_target && opt->require_target)
                    return rbp__loc_error(RBP_ERR_FORMAT, path, hline,
                                          "no label in the header of record '%.200s' (expected '%s<number>' or a "
                                          "number as the last word)",
                                          s->id.p, opt->label_key ? opt->label_key : "");
            }
            open = 1;
            off = b->raw_len;
            flags = 0;
            continue;
        }
        if (!open)
            return rbp__loc_error(RBP_ERR_FORMAT, path, r->line, "sequence data before the first '>' header");
        RBP_TRY(rbp__builder_append_seq(b, p, n, &flags, b->raw_len - off, path, r->line, s->id.p));
        if (b->raw_len - off > (size_t)opt->max_record_length)
            return rbp__loc_error(RBP_ERR_FORMAT, path, r->line,
                                  "sequence of record '%.200s' is longer than the maximum record length %lld "
                                  "(rbp_dataset_options.max_record_length, --max-length)",
                                  s->id.p, (long long)opt->max_record_length);
    }
}

/* CSV/TSV: the header (once per file), then up to `room` records; returns as fasta_read. */
static int csv_read(rbp__source *s, rbp__builder *b, size_t room)
{
    const rbp_dataset_options *opt = s->opt;
    const char *path = s->r.path;
    size_t nf = 0, n0 = b->n;
    int rc;
    if (!s->header_read) {
        rc = csv_next(&s->csv, &nf);
        if (rc <= 0)
            return rc; /* an empty file: rbp__source_read decides whether that is an error */
        for (size_t i = 0; i < nf; i++)
            unquote(&s->csv.f[i]);
        RBP_TRY(find_column(&s->csv, nf, opt->sequence_column, "sequence_column", &s->c_seq));
        s->c_struct = s->c_target = s->c_id = -1;
        if (opt->structure_column)
            RBP_TRY(find_column(&s->csv, nf, opt->structure_column, "structure_column", &s->c_struct));
        if (opt->target_column)
            RBP_TRY(find_column(&s->csv, nf, opt->target_column, "target_column", &s->c_target));
        if (opt->id_column)
            RBP_TRY(find_column(&s->csv, nf, opt->id_column, "id_column", &s->c_id));
        s->ncols = nf;
        s->header_read = 1;
    }
    while (b->n - n0 < room) {
        rc = csv_next(&s->csv, &nf);
        if (rc <= 0)
            return rc;
        int64_t line = s->csv.line;
        if (nf != s->ncols)
            return rbp__loc_error(RBP_ERR_FORMAT, path, line, "%zu fields, but the header has %zu", nf, s->ncols);
        field *f = s->csv.f;
        field *seq = &f[s->c_seq];
        unquote(seq);
        if (s->c_id >= 0 && f[s->c_id].n) {
            unquote(&f[s->c_id]);
            RBP_TRY(strbuf_set(&s->id, f[s->c_id].p, f[s->c_id].n));
        } else {
            RBP_TRY(strbuf_line_id(&s->id, line));
        }
        float target = 0.0f;
        if (s->c_target >= 0) {
            field *t = &f[s->c_target];
            unquote(t);
            const char *tp = t->p;
            size_t tn = t->n;
            trim(&tp, &tn);
            if (tn == 0) {
                if (opt->require_target)
                    return rbp__loc_error(RBP_ERR_FORMAT, path, line, "column '%.40s': empty target",
                                          opt->target_column);
            } else if (rbp__parse_number(tp, tn, &target) != 0) { /* message only on failure */
                char what[80];
                snprintf(what, sizeof what, "column '%.40s'", opt->target_column);
                return parse_target(tp, tn, &target, path, line, what);
            }
        }
        size_t off = b->raw_len;
        unsigned flags = 0;
        RBP_TRY(rbp__builder_append_seq(b, seq->p, seq->n, &flags, 0, path, line, s->id.p));
        if (s->c_struct >= 0) {
            unquote(&f[s->c_struct]);
            RBP_TRY(encode_structure(b, off, &f[s->c_struct], path, line, s->id.p));
        }
        RBP_TRY(end_record(s, b, off, flags, target, line));
    }
    return 1;
}

/* ---------------------------------------------------------------- SEQUENCE TARGET lines */

static int lines_read(rbp__source *s, rbp__builder *b, size_t room)
{
    const rbp_dataset_options *opt = s->opt;
    rbp__reader *r = &s->r;
    const char *path = r->path;
    size_t n0 = b->n;
    char *line;
    size_t n;
    while (b->n - n0 < room) {
        int rc = rbp__reader_next(r, &line, &n);
        if (rc <= 0)
            return rc;
        char *hash = memchr(line, '#', n); /* comments run to the end of the line */
        if (hash)
            n = (size_t)(hash - line);
        const char *w[3];
        size_t wn[3], nw = 0;
        for (size_t i = 0; i < n;) {
            while (i < n && is_blank(line[i]))
                i++;
            if (i >= n)
                break;
            size_t a = i;
            while (i < n && !is_blank(line[i]))
                i++;
            if (nw < 3) {
                w[nw] = line + a;
                wn[nw] = i - a;
            }
            nw++;
        }
        if (nw == 0)
            continue;
        if (nw > 2)
            return rbp__loc_error(RBP_ERR_FORMAT, path, r->line, "expected 'SEQUENCE TARGET', found %zu fields", nw);
        RBP_TRY(strbuf_line_id(&s->id, r->line));
        float target = 0.0f;
        if (nw == 2)
            RBP_TRY(parse_target(w[1], wn[1], &target, path, r->line, "target"));
        else if (opt->require_target)
            return rbp__loc_error(RBP_ERR_FORMAT, path, r->line, "expected 'SEQUENCE TARGET', found no target");
        size_t off = b->raw_len;
        unsigned flags = 0;
        RBP_TRY(rbp__builder_append_seq(b, w[0], wn[0], &flags, 0, path, r->line, s->id.p));
        RBP_TRY(end_record(s, b, off, flags, target, r->line));
    }
    return 1;
}

/* ---------------------------------------------------------------- format detection */

static int ends_with_ci(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[n - k + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != suffix[i])
            return 0;
    }
    return 1;
}

/* From the extension (a trailing .gz ignored); AUTO when it says nothing. */
static int format_from_name(const char *path, const rbp_dataset_options *opt)
{
    size_t n = strlen(path);
    if (ends_with_ci(path, n, ".gz"))
        n -= 3;
    static const struct {
        const char *ext;
        int fmt;
    } table[] = {
        {".csv", RBP_FORMAT_CSV},     {".tsv", RBP_FORMAT_TSV},   {".fa", RBP_FORMAT_FASTA},
        {".fasta", RBP_FORMAT_FASTA}, {".fna", RBP_FORMAT_FASTA}, {".fas", RBP_FORMAT_FASTA},
        {".txt", RBP_FORMAT_LINES},   {".tab", RBP_FORMAT_LINES},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (ends_with_ci(path, n, table[i].ext))
            return table[i].fmt == RBP_FORMAT_FASTA && opt->affinity_path ? RBP_FORMAT_RNACOMPETE : table[i].fmt;
    return RBP_FORMAT_AUTO;
}

/* From the first non-blank line, which is handed back to the reader: '>' = FASTA, a
 * delimiter = CSV/TSV, else lines (also for an empty input). */
static rbp_status sniff_format(rbp__reader *r, const rbp_dataset_options *opt, int *fmt)
{
    char *line;
    size_t n;
    int rc;
    *fmt = RBP_FORMAT_LINES;
    while ((rc = rbp__reader_next(r, &line, &n)) == 1) {
        size_t i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == n)
            continue;
        if (line[i] == '>')
            *fmt = opt->affinity_path ? RBP_FORMAT_RNACOMPETE : RBP_FORMAT_FASTA;
        else if (opt->delimiter && memchr(line, opt->delimiter, n))
            *fmt = opt->delimiter == '\t' ? RBP_FORMAT_TSV : RBP_FORMAT_CSV;
        else if (memchr(line, ',', n))
            *fmt = RBP_FORMAT_CSV;
        else if (memchr(line, '\t', n) && line[i] != '#')
            *fmt = RBP_FORMAT_TSV;
        rbp__reader_unget(r);
        break;
    }
    return rc < 0 ? (rbp_status)rc : RBP_OK;
}

/* ---------------------------------------------------------------- open / read / close */

static rbp_status open_file(rbp__source *s, int k)
{
    size_t max_line = reader_max_line(s->opt);
    rbp_status st = s->fp || strcmp(s->paths[k], "-") == 0
                        ? rbp__reader_open_file(&s->r, s->fp ? s->fp : stdin, s->fp ? s->paths[k] : "<stdin>",
                                                max_line)
                        : rbp__reader_open(&s->r, s->paths[k], max_line);
    if (st != RBP_OK)
        return st;
    s->r_open = 1;
    s->cur = k;
    s->file_records = 0;
    s->header_read = 0;
    s->csv.r = &s->r;
    return RBP_OK;
}

/* The format settled, check that the options fit it (as rbp_dataset_load always did). */
static rbp_status check_format(const rbp__source *s)
{
    const rbp_dataset_options *opt = s->opt;
    const char *fn = s->fn;
    int fmt = s->fmt;
    if (fmt == RBP_FORMAT_GRAPHPROT && s->nfiles == 1)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: the GraphProt format is a pair of files: use "
                              "rbp_dataset_load_pair (or rbp_reader_open_pair)", fn);
    int csv = fmt == RBP_FORMAT_CSV || fmt == RBP_FORMAT_TSV;
    if (opt->affinity_path && (csv || fmt == RBP_FORMAT_LINES))
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: rbp_dataset_options.affinity_path (--affys) is only used with FASTA input, but %s "
                              "is read as %s", fn, s->r.path, csv ? "CSV/TSV" : "SEQUENCE TARGET lines");
    if (csv && (!opt->sequence_column || !*opt->sequence_column))
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: rbp_dataset_options.sequence_column (--sequence-column) is NULL or empty", fn);
    if (csv && !opt->target_column && opt->require_target)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: rbp_dataset_options.target_column (--target-column) is NULL but "
                              "rbp_dataset_options.require_target is 1 (set it to 0 to load without targets)", fn);
    return RBP_OK;
}

rbp_status rbp__source_open(rbp__source **out, const rbp_dataset_options *opt, const char *path, FILE *fp,
                            const char *negatives, int strict, const char *fn)
{
    *out = NULL;
    if (negatives) {
        if (opt->format != RBP_FORMAT_AUTO && opt->format != RBP_FORMAT_FASTA && opt->format != RBP_FORMAT_GRAPHPROT)
            return rbp__set_error(RBP_ERR_INVALID_ARG,
                                  "%s: rbp_dataset_options.format (--format) is %d, but a pair is read as FASTA (use "
                                  "AUTO, FASTA or GRAPHPROT)", fn, (int)opt->format);
        if (opt->affinity_path)
            return rbp__set_error(RBP_ERR_INVALID_ARG,
                                  "%s: rbp_dataset_options.affinity_path (--affys) is set, but a pair takes its labels "
                                  "from the files", fn);
    }
    rbp__source *s = rbp__calloc(1, sizeof *s);
    if (!s)
        return rbp__oom();
    s->opt = opt;
    s->strict = strict;
    s->fn = fn;
    s->fp = fp;
    s->paths[0] = path;
    s->nfiles = 1;
    s->label_mode = RBP__LABEL_HEADER;
    if (negatives) {
        s->paths[1] = negatives;
        s->labels[0] = 1.0f;
        s->labels[1] = 0.0f;
        s->nfiles = 2;
        s->fmt = RBP_FORMAT_GRAPHPROT;
        s->label_mode = RBP__LABEL_FIXED;
    } else {
        s->fmt = opt->format;
        if (s->fmt == RBP_FORMAT_AUTO && strcmp(path, "-") != 0)
            s->fmt = format_from_name(path, opt);
    }
    rbp_status st = open_file(s, 0);
    if (st == RBP_OK && s->fmt == RBP_FORMAT_AUTO)
        st = sniff_format(&s->r, opt, &s->fmt);
    if (st == RBP_OK)
        st = check_format(s);
    if (st == RBP_OK && (s->fmt == RBP_FORMAT_FASTA || s->fmt == RBP_FORMAT_RNACOMPETE) && opt->affinity_path) {
        s->label_mode = RBP__LABEL_AFFYS;
        st = rbp__reader_open(&s->ra, opt->affinity_path, reader_max_line(opt));
        s->ra_open = st == RBP_OK;
    }
    if (st == RBP_OK) {
        int fmt = s->fmt;
        s->csv.delim = opt->delimiter ? opt->delimiter : fmt == RBP_FORMAT_TSV ? '\t' : ',';
    }
    if (st != RBP_OK) {
        rbp__source_close(s);
        return st;
    }
    *out = s;
    return RBP_OK;
}

/* The end of the current file: its checks, then the next file or the end. */
static rbp_status end_file(rbp__source *s)
{
    rbp__reader *r = &s->r;
    const char *path = r->path;
    int fasta = s->fmt != RBP_FORMAT_CSV && s->fmt != RBP_FORMAT_TSV && s->fmt != RBP_FORMAT_LINES;
    if (s->file_records == 0 && s->strict) {
        if (fasta)
            return rbp__loc_error(RBP_ERR_FORMAT, path, r->line + 1, "no FASTA records (empty file?)");
        if (s->fmt == RBP_FORMAT_LINES)
            return rbp__loc_error(RBP_ERR_FORMAT, path, r->line + 1, "no records (empty file?)");
        if (!s->header_read)
            return rbp__loc_error(RBP_ERR_FORMAT, path, r->line + 1, "empty file (expected a header line)");
        return rbp__loc_error(RBP_ERR_FORMAT, path, r->line + 1, "no records after the header");
    }
    if (s->label_mode == RBP__LABEL_AFFYS) {
        float extra;
        int ar = next_affy(&s->ra, &extra);
        if (ar < 0)
            return (rbp_status)ar;
        if (ar == 1)
            return rbp__loc_error(RBP_ERR_FORMAT, s->ra.path, s->ra.line, "more values than the %zu records of %s",
                                  s->file_records, path);
    }
    if (s->cur + 1 < s->nfiles) {
        rbp__reader_close(r);
        s->r_open = 0;
        return open_file(s, s->cur + 1);
    }
    s->ended = 1;
    return RBP_OK;
}

rbp_status rbp__source_read(rbp__source *s, rbp__builder *b, size_t max, size_t *added)
{
    size_t n0 = b->n;
    *added = 0;
    while (!s->ended && b->n - n0 < max) {
        size_t room = max - (b->n - n0);
        int rc;
        switch (s->fmt) {
        case RBP_FORMAT_CSV:
        case RBP_FORMAT_TSV:
            rc = csv_read(s, b, room);
            break;
        case RBP_FORMAT_LINES:
            rc = lines_read(s, b, room);
            break;
        default:
            rc = fasta_read(s, b, room);
            break;
        }
        if (rc < 0)
            return (rbp_status)rc;
        if (rc == 0)
            RBP_TRY(end_file(s));
    }
    *added = b->n - n0;
    return RBP_OK;
}

int rbp__source_format(const rbp__source *s)
{
    return s->fmt;
}

int32_t rbp__source_has_structure(const rbp__source *s)
{
    return (s->fmt == RBP_FORMAT_CSV || s->fmt == RBP_FORMAT_TSV) && s->opt->structure_column != NULL;
}

double rbp__source_progress(const rbp__source *s)
{
    if (s->ended)
        return 1.0;
    double f = s->r_open ? rbp__reader_progress(&s->r) : -1.0;
    if (f < 0)
        return -1.0;
    return ((double)s->cur + f) / (double)s->nfiles;
}

void rbp__source_close(rbp__source *s)
{
    if (!s)
        return;
    if (s->r_open)
        rbp__reader_close(&s->r);
    if (s->ra_open)
        rbp__reader_close(&s->ra);
    rbp__free(s->id.p);
    rbp__free(s->csv.rec.p);
    rbp__free(s->csv.f);
    rbp__free(s);
}
