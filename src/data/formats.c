/*
 * data/formats.c - the text formats: FASTA (labels from the header, from the file in a
 * GraphProt pair, or from an RNAcompete .affys file read in lockstep), CSV/TSV with a header
 * (RFC 4180 quoting) and plain "SEQUENCE TARGET" lines.
 *
 * Every parser streams its input through rbp__reader and hands each record's sequence to
 * the builder as it goes, so a record is encoded straight from the read buffer. Every error
 * names the file and the line (the header line of a FASTA record, the first line of a CSV
 * record).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "data/data_internal.h"
#include "data/formats.h"

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
static void header_id(const char *h, size_t n, const char **id, size_t *id_len)
{
    size_t a = 0;
    while (a < n && is_blank(h[a]))
        a++;
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

rbp_status rbp__parse_fasta(rbp__builder *b, const char *path, int label_mode, float fixed_label,
                            const char *affys_path)
{
    const rbp_dataset_options *opt = b->opt;
    rbp__reader r, ra;
    memset(&ra, 0, sizeof ra);
    RBP_TRY(rbp__reader_open(&r, path, reader_max_line(opt)));
    rbp_status st = RBP_OK;
    if (label_mode == RBP__LABEL_AFFYS) {
        st = rbp__reader_open(&ra, affys_path, reader_max_line(opt));
        if (st != RBP_OK) {
            rbp__reader_close(&r);
            return st;
        }
    }
    strbuf id = {0};
    int open = 0, has_target = 0;
    int64_t hline = 0;
    size_t off = 0, n0 = b->n;
    unsigned flags = 0;
    float target = 0.0f;
    char *line = NULL;
    size_t n = 0;
    int rc;
    for (;;) {
        rc = rbp__reader_next(&r, &line, &n);
        if (rc < 0) {
            st = (rbp_status)rc;
            break;
        }
        int at_end = rc == 0;
        const char *p = line;
        if (!at_end) {
            trim(&p, &n);
            if (n == 0 || *p == ';') /* blank line, or an old-style ';' comment */
                continue;
        }
        if (at_end || *p == '>') {
            if (open) { /* close the previous record */
                if (label_mode == RBP__LABEL_FIXED) {
                    target = fixed_label;
                } else if (label_mode == RBP__LABEL_AFFYS) {
                    int ar = next_affy(&ra, &target);
                    if (ar < 0) {
                        st = (rbp_status)ar;
                        break;
                    }
                    if (ar == 0) {
                        st = rbp__loc_error(RBP_ERR_FORMAT, ra.path, ra.line,
                                            "ends after %zu values, but %s has more records (record '%.200s' "
                                            "at line %lld)",
                                            b->n - n0, path, id.p, (long long)hline);
                        break;
                    }
                } else if (!has_target) {
                    target = 0.0f;
                }
                st = rbp__builder_end_record(b, off, flags, target, id.p, id.n, path, hline);
                if (st != RBP_OK)
                    break;
                open = 0;
            }
            if (at_end)
                break;
            /* a new record: id and (header mode) label from the header */
            hline = r.line;
            const char *h = p + 1, *idp;
            size_t hn = n - 1, idn;
            header_id(h, hn, &idp, &idn);
            st = idn ? strbuf_set(&id, idp, idn) : strbuf_line_id(&id, hline);
            if (st != RBP_OK)
                break;
            has_target = 0;
            if (label_mode == RBP__LABEL_HEADER) {
                st = header_label(h, hn, opt, &target, &has_target, path, hline);
                if (st != RBP_OK)
                    break;
                if (!has_target && opt->require_target) {
                    st = rbp__loc_error(RBP_ERR_FORMAT, path, hline,
                                        "no label in the header of record '%.200s' (expected '%s<number>' or a "
                                        "number as the last word)",
                                        id.p, opt->label_key ? opt->label_key : "");
                    break;
                }
            }
            open = 1;
            off = b->raw_len;
            flags = 0;
            continue;
        }
        if (!open) {
            st = rbp__loc_error(RBP_ERR_FORMAT, path, r.line, "sequence data before the first '>' header");
            break;
        }
        st = rbp__builder_append_seq(b, p, n, &flags, b->raw_len - off, path, r.line, id.p);
        if (st != RBP_OK)
            break;
        if (b->raw_len - off > (size_t)opt->max_record_length) {
            st = rbp__loc_error(RBP_ERR_FORMAT, path, r.line,
                                "sequence of record '%.200s' is longer than max_record_length (%lld)", id.p,
                                (long long)opt->max_record_length);
            break;
        }
    }
    if (st == RBP_OK && b->n == n0)
        st = rbp__loc_error(RBP_ERR_FORMAT, path, r.line + 1, "no FASTA records (empty file?)");
    if (st == RBP_OK && label_mode == RBP__LABEL_AFFYS) {
        float extra;
        int ar = next_affy(&ra, &extra);
        if (ar < 0)
            st = (rbp_status)ar;
        else if (ar == 1)
            st = rbp__loc_error(RBP_ERR_FORMAT, ra.path, ra.line, "more values than the %zu records of %s",
                                b->n - n0, path);
    }
    rbp__free(id.p);
    rbp__reader_close(&r);
    if (label_mode == RBP__LABEL_AFFYS)
        rbp__reader_close(&ra);
    return st;
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
    rbp__reader r;
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
        rc = rbp__reader_next(&s->r, &line, &n);
        if (rc <= 0)
            return rc;
        const char *t = line;
        size_t tn = n;
        trim(&t, &tn);
        if (tn > 0)
            break;
    }
    s->line = s->r.line;
    char *rec = line;
    size_t rn = n;
    for (;;) {
        size_t where = 0;
        long k = csv_split(rec, rn, s->delim, s->f, s->fcap, &where);
        if (k == -2)
            return rbp__loc_error(RBP_ERR_FORMAT, s->r.path, s->line, "unexpected character after a closing quote "
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
        rc = rbp__reader_next(&s->r, &line, &n);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return rbp__loc_error(RBP_ERR_FORMAT, s->r.path, s->line, "quoted field is not closed before the end "
                                  "of the file");
        if (s->rec.n + n + 1 > s->r.max_line)
            return rbp__loc_error(RBP_ERR_FORMAT, s->r.path, s->line, "record longer than %zu bytes",
                                  s->r.max_line);
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
    return rbp__loc_error(RBP_ERR_FORMAT, s->r.path, s->line, "no column '%s' (%s) in the header; columns: %s", name,
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

rbp_status rbp__parse_csv(rbp__builder *b, const char *path, char delim)
{
    const rbp_dataset_options *opt = b->opt;
    csv_state s;
    memset(&s, 0, sizeof s);
    s.delim = delim;
    RBP_TRY(rbp__reader_open(&s.r, path, reader_max_line(opt)));
    strbuf id = {0};
    size_t nf = 0, n0 = b->n;
    long c_seq = -1, c_struct = -1, c_target = -1, c_id = -1;
    rbp_status st;
    int rc = csv_next(&s, &nf);
    if (rc == 0)
        st = rbp__loc_error(RBP_ERR_FORMAT, path, s.r.line + 1, "empty file (expected a header line)");
    else if (rc < 0)
        st = (rbp_status)rc;
    else {
        for (size_t i = 0; i < nf; i++)
            unquote(&s.f[i]);
        st = find_column(&s, nf, opt->sequence_column, "sequence_column", &c_seq);
        if (st == RBP_OK && opt->structure_column)
            st = find_column(&s, nf, opt->structure_column, "structure_column", &c_struct);
        if (st == RBP_OK && opt->target_column)
            st = find_column(&s, nf, opt->target_column, "target_column", &c_target);
        if (st == RBP_OK && opt->id_column)
            st = find_column(&s, nf, opt->id_column, "id_column", &c_id);
    }
    size_t ncols = nf;
    while (st == RBP_OK) {
        rc = csv_next(&s, &nf);
        if (rc <= 0) {
            st = (rbp_status)rc;
            break;
        }
        if (nf != ncols) {
            st = rbp__loc_error(RBP_ERR_FORMAT, path, s.line, "%zu fields, but the header has %zu", nf, ncols);
            break;
        }
        field *seq = &s.f[c_seq];
        unquote(seq);
        if (c_id >= 0 && s.f[c_id].n) {
            unquote(&s.f[c_id]);
            st = strbuf_set(&id, s.f[c_id].p, s.f[c_id].n);
        } else {
            st = strbuf_line_id(&id, s.line);
        }
        if (st != RBP_OK)
            break;
        float target = 0.0f;
        if (c_target >= 0) {
            field *t = &s.f[c_target];
            unquote(t);
            const char *tp = t->p;
            size_t tn = t->n;
            trim(&tp, &tn);
            if (tn == 0) {
                if (opt->require_target) {
                    st = rbp__loc_error(RBP_ERR_FORMAT, path, s.line, "column '%.40s': empty target",
                                        opt->target_column);
                    break;
                }
            } else if (rbp__parse_number(tp, tn, &target) != 0) { /* message only on failure */
                char what[80];
                snprintf(what, sizeof what, "column '%.40s'", opt->target_column);
                st = parse_target(tp, tn, &target, path, s.line, what);
                break;
            }
        }
        size_t off = b->raw_len;
        unsigned flags = 0;
        st = rbp__builder_append_seq(b, seq->p, seq->n, &flags, 0, path, s.line, id.p);
        if (st == RBP_OK && c_struct >= 0) {
            unquote(&s.f[c_struct]);
            st = encode_structure(b, off, &s.f[c_struct], path, s.line, id.p);
        }
        if (st == RBP_OK)
            st = rbp__builder_end_record(b, off, flags, target, id.p, id.n, path, s.line);
    }
    if (st == RBP_OK && b->n == n0)
        st = rbp__loc_error(RBP_ERR_FORMAT, path, s.r.line + 1, "no records after the header");
    rbp__free(id.p);
    rbp__free(s.rec.p);
    rbp__free(s.f);
    rbp__reader_close(&s.r);
    return st;
}

/* ---------------------------------------------------------------- SEQUENCE TARGET lines */

rbp_status rbp__parse_lines(rbp__builder *b, const char *path)
{
    const rbp_dataset_options *opt = b->opt;
    rbp__reader r;
    RBP_TRY(rbp__reader_open(&r, path, reader_max_line(opt)));
    strbuf id = {0};
    size_t n0 = b->n;
    rbp_status st = RBP_OK;
    char *line;
    size_t n;
    int rc;
    while ((rc = rbp__reader_next(&r, &line, &n)) == 1) {
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
        if (nw > 2) {
            st = rbp__loc_error(RBP_ERR_FORMAT, path, r.line, "expected 'SEQUENCE TARGET', found %zu fields", nw);
            break;
        }
        st = strbuf_line_id(&id, r.line);
        if (st != RBP_OK)
            break;
        float target = 0.0f;
        if (nw == 2) {
            st = parse_target(w[1], wn[1], &target, path, r.line, "target");
            if (st != RBP_OK)
                break;
        } else if (opt->require_target) {
            st = rbp__loc_error(RBP_ERR_FORMAT, path, r.line, "expected 'SEQUENCE TARGET', found no target");
            break;
        }
        size_t off = b->raw_len;
        unsigned flags = 0;
        st = rbp__builder_append_seq(b, w[0], wn[0], &flags, 0, path, r.line, id.p);
        if (st == RBP_OK)
            st = rbp__builder_end_record(b, off, flags, target, id.p, id.n, path, r.line);
        if (st != RBP_OK)
            break;
    }
    if (rc < 0)
        st = (rbp_status)rc;
    if (st == RBP_OK && b->n == n0)
        st = rbp__loc_error(RBP_ERR_FORMAT, path, r.line + 1, "no records (empty file?)");
    rbp__free(id.p);
    rbp__reader_close(&r);
    return st;
}
