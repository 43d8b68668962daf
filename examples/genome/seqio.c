/*
 * genome/seqio.c - see seqio.h. FASTA is read through zlib's gzread, which reads plain files
 * as they are, with a fixed buffer: a record may be a whole chromosome on one line.
 */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cli/cli.h"
#include "genome/seqio.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---------------------------------------------------------------- outputs */

struct seq_out {
    FILE *fp;
    gzFile gz;
    char *path;
};

seq_out *seq_out_open(const char *path)
{
    seq_out *o = cli_xcalloc(1, sizeof *o);
    o->path = cli_xstrdup(path);
    o->fp = cli_open_output(path);
    if (strcmp(path, "-") != 0 && ends_with(path, ".gz")) {
        /* zlib writes to a duplicate of the temporary file's descriptor; the atomic writer
         * then syncs and renames the file it owns */
        int fd = dup(fileno(o->fp));
        if (fd < 0 || (o->gz = gzdopen(fd, "wb6")) == NULL)
            cli_fail("%s: cannot start gzip output: %s", path, strerror(errno));
        gzbuffer(o->gz, 1 << 17);
    }
    return o;
}

void seq_out_write(seq_out *o, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (o->gz) {
        if (gzwrite(o->gz, s, (unsigned)n) != (int)n) {
            int err;
            cli_fail("%s: write error: %s", o->path, gzerror(o->gz, &err));
        }
    } else if (fwrite(s, 1, n, o->fp) != n) {
        cli_fail("%s: write error: %s", o->path, strerror(errno));
    }
}

void seq_out_printf(seq_out *o, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        cli_fail("%s: formatting error", o->path);
    if ((size_t)n < sizeof buf) {
        seq_out_write(o, buf, (size_t)n);
        return;
    }
    char *big = cli_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    seq_out_write(o, big, (size_t)n);
    free(big);
}

void seq_out_close(seq_out *o)
{
    if (!o)
        return;
    if (o->gz) {
        int rc = gzclose(o->gz);
        if (rc != Z_OK)
            cli_fail("%s: write error (gzip status %d)", o->path, rc);
    }
    cli_close_output(o->fp, o->path);
    free(o->path);
    free(o);
}

/* ---------------------------------------------------------------- FASTA streaming */

struct fa_reader {
    gzFile gz;
    char *name;
    char *buf;
    size_t pos, len;
    int eof;
    int bol;        /* at the beginning of a line */
    int in_record;  /* between a header and the next one */
    char *header;
    size_t header_cap;
    int64_t line;
    double size;    /* bytes of the file, 0 when unknown */
};

enum { FA_BUF = 1 << 20 };

fa_reader *fa_open(const char *path)
{
    fa_reader *r = cli_xcalloc(1, sizeof *r);
    const int in = strcmp(path, "-") == 0;
    r->name = cli_xstrdup(in ? "<stdin>" : path);
    r->gz = in ? gzdopen(dup(0), "rb") : gzopen(path, "rb");
    if (!r->gz)
        cli_fail("%s: cannot open: %s", r->name, strerror(errno));
    gzbuffer(r->gz, 1 << 18);
    struct stat st;
    if (!in && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        r->size = (double)st.st_size;
    r->buf = cli_xmalloc(FA_BUF);
    r->bol = 1;
    r->line = 1;
    return r;
}

static int fa_fill(fa_reader *r)
{
    if (r->pos < r->len)
        return 1;
    if (r->eof)
        return 0;
    int n = gzread(r->gz, r->buf, FA_BUF);
    if (n < 0) {
        int err;
        cli_fail("%s: read error: %s", r->name, gzerror(r->gz, &err));
    }
    r->pos = 0;
    r->len = (size_t)n;
    if (n == 0)
        r->eof = 1;
    return n > 0;
}

int fa_next(fa_reader *r, const char **header)
{
    char skip[4096];
    while (r->in_record && fa_read(r, skip, sizeof skip) > 0) {
    }
    /* at the beginning of a line: blank lines and ';' comments may come first */
    for (;;) {
        if (!fa_fill(r))
            return 0;
        char c = r->buf[r->pos];
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
            r->line += c == '\n';
            r->pos++;
            continue;
        }
        if (c == '>')
            break;
        cli_fail("%s:%lld: expected a FASTA header ('>'), found '%c'", r->name, (long long)r->line, c);
    }
    r->pos++;
    size_t n = 0;
    for (;;) {
        if (!fa_fill(r))
            break;
        char c = r->buf[r->pos++];
        if (c == '\n')
            break;
        if (n + 2 > r->header_cap) {
            r->header_cap = r->header_cap ? 2 * r->header_cap : 256;
            r->header = cli_xrealloc(r->header, r->header_cap);
        }
        r->header[n++] = c;
    }
    r->line++;
    if (!r->header)
        r->header = cli_xcalloc(1, 1);
    while (n > 0 && isspace((unsigned char)r->header[n - 1]))
        n--;
    r->header[n] = '\0';
    char *h = r->header;
    while (*h == ' ' || *h == '\t')
        h++;
    *header = h;
    r->in_record = 1;
    r->bol = 1;
    return 1;
}

size_t fa_read(fa_reader *r, char *out, size_t cap)
{
    size_t k = 0;
    while (r->in_record && k < cap && fa_fill(r)) {
        const char *b = r->buf;
        size_t p = r->pos;
        const size_t len = r->len;
        while (p < len && k < cap) {
            const char c = b[p];
            if (c == '\n') {
                r->bol = 1;
                r->line++;
                p++;
            } else if (r->bol && c == '>') {
                r->in_record = 0;
                break;
            } else if (r->bol && c == ';') {
                while (p < len && b[p] != '\n')
                    p++; /* a comment line (may continue in the next buffer: rare enough) */
            } else {
                if (c != '\r' && c != ' ' && c != '\t')
                    out[k++] = c;
                r->bol = 0;
                p++;
            }
        }
        r->pos = p;
    }
    if (r->eof && r->pos >= r->len)
        r->in_record = 0;
    return k;
}

double fa_progress(const fa_reader *r)
{
    if (r->size <= 0)
        return -1;
    double f = (double)gzoffset(r->gz) / r->size;
    return f > 1 ? 1 : f;
}

const char *fa_name(const fa_reader *r)
{
    return r->name;
}

void fa_close(fa_reader *r)
{
    if (!r)
        return;
    gzclose(r->gz);
    free(r->buf);
    free(r->header);
    free(r->name);
    free(r);
}

/* ---------------------------------------------------------------- coordinates */

static int parse_i64(const char *s, const char *e, int64_t *v)
{
    if (s == e)
        return 0;
    int64_t x = 0;
    for (const char *p = s; p < e; p++) {
        if (*p == ',')
            continue;
        if (*p < '0' || *p > '9' || x > (INT64_MAX - 9) / 10)
            return 0;
        x = x * 10 + (*p - '0');
    }
    *v = x;
    return 1;
}

static void copy_word(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

void seq_region_from_header(seq_region *g, const char *header)
{
    size_t w = strcspn(header, " \t");
    copy_word(g->name, sizeof g->name, header, w);
    copy_word(g->chrom, sizeof g->chrom, header, w);
    g->start = 0;
    g->end = -1;
    g->strand = '.';
    const char *s = header, *e = header + w;
    for (const char *p = s; p + 1 < e; p++)
        if (p[0] == ':' && p[1] == ':')
            s = p + 2;
    const char *colon = NULL;
    for (const char *p = s; p < e; p++)
        if (*p == ':')
            colon = p;
    if (!colon)
        return;
    const char *dash = memchr(colon, '-', (size_t)(e - colon));
    if (!dash)
        return;
    const char *end_e = e;
    char strand = '.';
    if (e - dash >= 4 && e[-1] == ')' && e[-3] == '(' && (e[-2] == '+' || e[-2] == '-' || e[-2] == '.')) {
        strand = e[-2];
        end_e = e - 3;
    }
    int64_t a, b;
    if (!parse_i64(colon + 1, dash, &a) || !parse_i64(dash + 1, end_e, &b) || b < a)
        return;
    copy_word(g->chrom, sizeof g->chrom, s, (size_t)(colon - s));
    g->start = a;
    g->end = b;
    g->strand = strand;
}

int64_t seq_region_coord(const seq_region *g, int64_t i)
{
    return g->strand == '-' ? g->end - 1 - i : g->start + i;
}

void seq_revcomp(char *s, size_t n)
{
    static char comp[256];
    if (!comp['A']) {
        for (int c = 0; c < 256; c++)
            comp[c] = islower(c) ? 'n' : 'N';
        const char *from = "ACGTUacgtu", *to = "TGCAAtgcaa";
        for (int i = 0; from[i]; i++)
            comp[(unsigned char)from[i]] = to[i];
    }
    for (size_t i = 0, j = n ? n - 1 : 0; i < n / 2; i++, j--) {
        char a = comp[(unsigned char)s[i]];
        s[i] = comp[(unsigned char)s[j]];
        s[j] = a;
    }
    if (n % 2)
        s[n / 2] = comp[(unsigned char)s[n / 2]];
}

/* ---------------------------------------------------------------- genomes */

typedef struct fai_entry {
    char *name;
    int64_t length, offset, line_bases, line_bytes;
} fai_entry;

struct genome {
    char *path;
    FILE *fp;          /* indexed */
    fai_entry *fai;
    size_t n_fai;
    fa_reader *fa;     /* not indexed */
    char *seq;
    size_t cap;
    char *tmp;
    size_t tmp_cap;
};

static void read_fai(genome *g, const char *fai_path)
{
    FILE *fp = fopen(fai_path, "r");
    if (!fp)
        cli_fail("%s: cannot open: %s", fai_path, strerror(errno));
    char line[4096];
    size_t cap = 0;
    int64_t ln = 0;
    while (fgets(line, sizeof line, fp)) {
        ln++;
        char name[1024];
        long long len, off, lb, lw;
        if (sscanf(line, "%1023s %lld %lld %lld %lld", name, &len, &off, &lb, &lw) != 5 || len < 0 || off < 0 ||
            lb <= 0 || lw < lb)
            cli_fail("%s:%lld: not a .fai line (name, length, offset, bases and bytes per line)", fai_path,
                     (long long)ln);
        if (g->n_fai == cap) {
            cap = cap ? 2 * cap : 64;
            g->fai = cli_xrealloc(g->fai, cap * sizeof *g->fai);
        }
        g->fai[g->n_fai++] = (fai_entry){cli_xstrdup(name), len, off, lb, lw};
    }
    fclose(fp);
}

genome *genome_open(const char *path)
{
    genome *g = cli_xcalloc(1, sizeof *g);
    g->path = cli_xstrdup(path);
    char fai[4096];
    snprintf(fai, sizeof fai, "%s.fai", path);
    if (!ends_with(path, ".gz") && access(fai, R_OK) == 0) {
        read_fai(g, fai);
        g->fp = fopen(path, "rb");
        if (!g->fp)
            cli_fail("%s: cannot open: %s", path, strerror(errno));
    } else {
        g->fa = fa_open(path);
    }
    return g;
}

int genome_indexed(const genome *g)
{
    return g->fp != NULL;
}

static const fai_entry *fai_find(const genome *g, const char *chrom)
{
    for (size_t i = 0; i < g->n_fai; i++)
        if (strcmp(g->fai[i].name, chrom) == 0)
            return &g->fai[i];
    return NULL;
}

int64_t genome_length(const genome *g, const char *chrom)
{
    const fai_entry *e = fai_find(g, chrom);
    return e ? e->length : -1;
}

void genome_fetch(genome *g, const char *chrom, int64_t start, int64_t end, char *buf)
{
    const fai_entry *e = fai_find(g, chrom);
    if (!e || start < 0 || end > e->length || start > end)
        cli_fail("%s: %s:%lld-%lld is not in the genome", g->path, chrom, (long long)start, (long long)end);
    const int64_t n = end - start;
    const int64_t off = e->offset + start / e->line_bases * e->line_bytes + start % e->line_bases;
    const size_t bytes = (size_t)(n + (n / e->line_bases + 2) * (e->line_bytes - e->line_bases));
    if (bytes > g->tmp_cap) {
        g->tmp_cap = bytes;
        g->tmp = cli_xrealloc(g->tmp, bytes);
    }
    if (fseeko(g->fp, (off_t)off, SEEK_SET) != 0)
        cli_fail("%s: cannot seek: %s", g->path, strerror(errno));
    size_t got = fread(g->tmp, 1, bytes, g->fp);
    int64_t k = 0;
    for (size_t i = 0; i < got && k < n; i++)
        if (g->tmp[i] != '\n' && g->tmp[i] != '\r')
            buf[k++] = g->tmp[i];
    if (k < n)
        cli_fail("%s: %s:%lld-%lld: the file is shorter than its .fai says (rebuild it with samtools faidx)",
                 g->path, chrom, (long long)start, (long long)end);
    buf[n] = '\0';
}

const char *genome_next_record(genome *g, const char **seq, int64_t *len)
{
    const char *header;
    if (!fa_next(g->fa, &header))
        return NULL;
    size_t n = 0;
    for (;;) {
        if (g->cap - n < (1u << 20)) {
            g->cap = g->cap ? 2 * g->cap : (4u << 20);
            g->seq = cli_xrealloc(g->seq, g->cap);
        }
        size_t k = fa_read(g->fa, g->seq + n, g->cap - n - 1);
        if (k == 0)
            break;
        n += k;
    }
    g->seq[n] = '\0';
    *seq = g->seq;
    *len = (int64_t)n;
    /* the name is the header's first word */
    size_t w = strcspn(header, " \t");
    ((char *)header)[w] = '\0';
    return header;
}

void genome_close(genome *g)
{
    if (!g)
        return;
    if (g->fp)
        fclose(g->fp);
    for (size_t i = 0; i < g->n_fai; i++)
        free(g->fai[i].name);
    free(g->fai);
    fa_close(g->fa);
    free(g->seq);
    free(g->tmp);
    free(g->path);
    free(g);
}

/* ---------------------------------------------------------------- BED */

bed_region *bed_read(const char *path, size_t *n_out)
{
    gzFile gz = strcmp(path, "-") == 0 ? gzdopen(dup(0), "rb") : gzopen(path, "rb");
    if (!gz)
        cli_fail("%s: cannot open: %s", path, strerror(errno));
    bed_region *v = NULL;
    size_t n = 0, cap = 0;
    char line[65536];
    int64_t ln = 0;
    while (gzgets(gz, line, sizeof line)) {
        ln++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n')
            cli_fail("%s:%lld: line too long", path, (long long)ln);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#' || strncmp(line, "track", 5) == 0 || strncmp(line, "browser", 7) == 0)
            continue;
        char *f[6] = {0};
        int nf = 0;
        for (char *p = line; nf < 6 && p;) {
            f[nf++] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        if (nf < 3)
            cli_fail("%s:%lld: a BED line needs chrom, start and end separated by tabs", path, (long long)ln);
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            v = cli_xrealloc(v, cap * sizeof *v);
        }
        bed_region *b = &v[n];
        memset(b, 0, sizeof *b);
        b->line = ln;
        if (strlen(f[0]) == 0 || strlen(f[0]) >= sizeof b->r.chrom)
            cli_fail("%s:%lld: bad chromosome name", path, (long long)ln);
        strcpy(b->r.chrom, f[0]);
        if (!parse_i64(f[1], f[1] + strlen(f[1]), &b->r.start) || !parse_i64(f[2], f[2] + strlen(f[2]), &b->r.end))
            cli_fail("%s:%lld: start and end must be non-negative integers ('%s', '%s')", path, (long long)ln, f[1],
                     f[2]);
        if (b->r.end < b->r.start)
            cli_fail("%s:%lld: end %lld is before start %lld", path, (long long)ln, (long long)b->r.end,
                     (long long)b->r.start);
        if (nf >= 4 && f[3][0])
            copy_word(b->r.name, sizeof b->r.name, f[3], strlen(f[3]));
        else
            snprintf(b->r.name, sizeof b->r.name, "%s:%lld-%lld", b->r.chrom, (long long)b->r.start,
                     (long long)b->r.end);
        b->r.strand = '.';
        if (nf >= 6) {
            if (strcmp(f[5], "+") && strcmp(f[5], "-") && strcmp(f[5], "."))
                cli_fail("%s:%lld: strand must be +, - or . (got '%s')", path, (long long)ln, f[5]);
            b->r.strand = f[5][0];
        }
        n++;
    }
    int err;
    const char *msg = gzerror(gz, &err);
    if (err != Z_OK && err != Z_STREAM_END)
        cli_fail("%s: read error: %s", path, msg);
    gzclose(gz);
    *n_out = n;
    return v;
}
