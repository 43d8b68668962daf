/*
 * cli/seqstream.c - a streaming reader of unlabelled sequences for rbpattn-predict.
 *
 * The library's reader loads a whole file; a genome-scale FASTA does not fit that way. This
 * reader pulls records in chunks (FASTA with wrapped lines, CSV/TSV with a header, or plain
 * one-sequence-per-line text), through zlib so that .gz and plain input (and stdin) read the
 * same way. Each chunk is handed to rbp_dataset_from_strings, so memory stays bounded by the
 * chunk size whatever the input size. Sequences are checked here against the reader's
 * alphabet so that a bad character is reported with its file and line, which the library
 * cannot know for in-memory strings.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cli/cli.h"

const char *const cli_seq_format_names[] = {"auto", "fasta", "csv", "tsv", "lines", NULL};

struct cli_seqreader {
    gzFile gz;
    char *path;                 /* for messages ("<stdin>" for -) */
    long long file_size;        /* compressed size on disk, -1 if unknown */
    cli_seqreader_options opt;
    int format;

    char *line;                 /* current line (NUL-terminated, no newline) */
    size_t line_len, line_cap;
    long lineno;
    int pending;                /* `line` holds a line not consumed yet */
    int eof;

    /* CSV/TSV columns. */
    char delim;
    int seq_col, id_col, ncols;
    char **fields;
    int fields_cap;
    char *row;                  /* unquoted copy of the current row */
    long row_line;              /* line number where the current row starts */
    size_t row_cap;

    size_t records;             /* records read so far (for default ids) */

    /* Chunk storage: NUL-terminated strings back to back, addressed by offsets. */
    char *buf;
    size_t buf_len, buf_cap;
    size_t *seq_off, *id_off;
    const char **seqs, **ids;
    size_t rec_cap;
};

/* The reader's alphabet (dataset.h): nucleotides, N and the IUPAC ambiguity codes, any case. */
static int valid_base(int c)
{
    return c != '\0' && strchr("ACGTUNRYSWKMBDHVacgtunryswkmbdhv", c) != NULL;
}

static int set_err(char *err, size_t len, const char *fmt, ...) CLI_PRINTF(3, 4);

static int set_err(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* Read one line into r->line; 1 = a line, 0 = end of input, -1 = read error. */
static int read_line(cli_seqreader *r, char *err, size_t errlen)
{
    if (r->pending) {
        r->pending = 0;
        return 1;
    }
    if (r->eof)
        return 0;
    r->line_len = 0;
    for (;;) {
        if (r->line_cap - r->line_len < 2) {
            r->line_cap = r->line_cap ? 2 * r->line_cap : 4096;
            r->line = cli_xrealloc(r->line, r->line_cap);
        }
        if (gzgets(r->gz, r->line + r->line_len, (int)(r->line_cap - r->line_len)) == NULL) {
            int zerr = 0;
            const char *msg = gzerror(r->gz, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                return set_err(err, errlen, "%s: read error: %s", r->path,
                               zerr == Z_ERRNO ? strerror(errno) : msg);
            if (zerr == Z_BUF_ERROR)
                return set_err(err, errlen, "%s: unexpected end of gzip data (truncated file?)", r->path);
            r->eof = 1;
            if (r->line_len == 0)
                return 0;
            break;
        }
        r->line_len += strlen(r->line + r->line_len);
        if (r->line_len > 0 && r->line[r->line_len - 1] == '\n')
            break;
        /* A longer line than the buffer: grow and continue. A sequence line may legitimately be
         * long (unwrapped FASTA), but not unboundedly so. */
        if (r->line_len > r->opt.max_record_length + 65536)
            return set_err(err, errlen, "%s:%ld: line longer than %zu characters (see --max-length)", r->path,
                           r->lineno + 1, r->opt.max_record_length);
    }
    while (r->line_len > 0 && (r->line[r->line_len - 1] == '\n' || r->line[r->line_len - 1] == '\r'))
        r->line[--r->line_len] = '\0';
    r->lineno++;
    if (r->lineno == 1 && (unsigned char)r->line[0] == 0xEF && (unsigned char)r->line[1] == 0xBB &&
        (unsigned char)r->line[2] == 0xBF) {
        /* A UTF-8 byte order mark, as some spreadsheet exports write. */
        memmove(r->line, r->line + 3, r->line_len - 2);
        r->line_len -= 3;
    }
    return 1;
}

static int blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '\0';
}

/* ---------------------------------------------------------------- chunk storage */

static size_t store(cli_seqreader *r, const char *s, size_t n)
{
    if (r->buf_cap - r->buf_len < n + 1) {
        size_t cap = r->buf_cap ? r->buf_cap : 1 << 16;
        while (cap - r->buf_len < n + 1)
            cap *= 2;
        r->buf = cli_xrealloc(r->buf, cap);
        r->buf_cap = cap;
    }
    size_t off = r->buf_len;
    memcpy(r->buf + off, s, n);
    r->buf[off + n] = '\0';
    r->buf_len += n + 1;
    return off;
}

/* Append sequence characters of `s` to the open record (already stored up to buf_len - 1). */
static int append_seq(cli_seqreader *r, size_t seq_off, const char *s, char *err, size_t errlen)
{
    for (const char *p = s; *p; p++) {
        if (*p == ' ' || *p == '\t')
            continue;
        if (!valid_base((unsigned char)*p))
            return set_err(err, errlen, "%s:%ld: unexpected character '%c' in sequence", r->path, r->lineno, *p);
        if (r->buf_len - 1 - seq_off >= r->opt.max_record_length)
            return set_err(err, errlen, "%s:%ld: sequence longer than %zu (see --max-length)", r->path, r->lineno,
                           r->opt.max_record_length);
        /* Overwrite the terminating NUL, then terminate again. */
        r->buf[r->buf_len - 1] = *p;
        store(r, "", 0);
    }
    return 0;
}

static void ensure_records(cli_seqreader *r, size_t n)
{
    if (n <= r->rec_cap)
        return;
    r->rec_cap = n;
    r->seq_off = cli_xrealloc(r->seq_off, n * sizeof *r->seq_off);
    r->id_off = cli_xrealloc(r->id_off, n * sizeof *r->id_off);
    r->seqs = cli_xrealloc((void *)r->seqs, n * sizeof *r->seqs);
    r->ids = cli_xrealloc((void *)r->ids, n * sizeof *r->ids);
}

/* "line<N>", the library reader's id for records without one (N = the record's first line). */
static size_t store_line_id(cli_seqreader *r, long line)
{
    char id[48];
    snprintf(id, sizeof id, "line%ld", line);
    return store(r, id, strlen(id));
}

/* ---------------------------------------------------------------- CSV */

/* Split r->line into fields (RFC 4180 quotes); returns the field count. */
static int split_row(cli_seqreader *r, char *err, size_t errlen)
{
    if (r->row_cap < r->line_len + 1) {
        r->row_cap = r->line_len + 1;
        r->row = cli_xrealloc(r->row, r->row_cap);
    }
    int n = 0;
    const char *p = r->line;
    char *out = r->row;
    for (;;) {
        if (n == r->fields_cap) {
            r->fields_cap = r->fields_cap ? 2 * r->fields_cap : 16;
            r->fields = cli_xrealloc(r->fields, (size_t)r->fields_cap * sizeof *r->fields);
        }
        r->fields[n++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    return -2; /* the quoted field continues on the next line */
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            if (*p != '\0' && *p != r->delim)
                return set_err(err, errlen, "%s:%ld: text after a closing quote", r->path, r->lineno);
        } else {
            while (*p != '\0' && *p != r->delim)
                *out++ = *p++;
        }
        *out++ = '\0';
        if (*p == '\0')
            break;
        p++; /* delimiter */
    }
    return n;
}

/* Read the next row into r->line (joining lines while a quoted field spans them) and split
 * it; returns the field count, 0 at the end of input, -1 on error. */
static int read_row(cli_seqreader *r, char *err, size_t errlen)
{
    int rc;
    do {
        rc = read_line(r, err, errlen);
    } while (rc == 1 && blank(r->line));
    if (rc <= 0)
        return rc;
    long first = r->lineno;
    r->row_line = first;
    for (;;) {
        int n = split_row(r, err, errlen);
        if (n != -2)
            return n;
        /* Keep the partial row, append "\n" and the next physical line. */
        char *saved = cli_xstrdup(r->line);
        size_t saved_len = r->line_len;
        rc = read_line(r, err, errlen);
        if (rc < 0) {
            free(saved);
            return -1;
        }
        if (rc == 0) {
            free(saved);
            return set_err(err, errlen, "%s:%ld: unterminated quoted field", r->path, first);
        }
        size_t need = saved_len + 1 + r->line_len + 1;
        if (need > r->line_cap) {
            r->line_cap = need;
            r->line = cli_xrealloc(r->line, r->line_cap);
        }
        memmove(r->line + saved_len + 1, r->line, r->line_len + 1);
        memcpy(r->line, saved, saved_len);
        r->line[saved_len] = '\n';
        r->line_len = saved_len + 1 + r->line_len;
        free(saved);
    }
}

/* Fields without surrounding blanks (the library's reader ignores them too). */
static char *trim(char *f)
{
    while (*f == ' ' || *f == '\t')
        f++;
    size_t len = strlen(f);
    while (len > 0 && (f[len - 1] == ' ' || f[len - 1] == '\t'))
        f[--len] = '\0';
    return f;
}

static int find_column(cli_seqreader *r, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        const char *f = r->fields[i];
        while (*f == ' ')
            f++;
        size_t len = strlen(f);
        while (len > 0 && f[len - 1] == ' ')
            len--;
        if (len == strlen(name) && strncmp(f, name, len) == 0)
            return i;
    }
    return -1;
}

static int read_csv_header(cli_seqreader *r, char *err, size_t errlen)
{
    int n = read_row(r, err, errlen);
    if (n < 0)
        return -1;
    if (n == 0)
        return set_err(err, errlen, "%s: empty input (expected a header line)", r->path);
    r->ncols = n;
    r->seq_col = find_column(r, n, r->opt.sequence_column);
    if (r->seq_col < 0)
        return set_err(err, errlen, "%s:%ld: no column '%s' in the header (see --sequence-column)", r->path,
                       r->lineno, r->opt.sequence_column);
    r->id_col = -1;
    if (r->opt.id_column != NULL) {
        r->id_col = find_column(r, n, r->opt.id_column);
        if (r->id_col < 0)
            return set_err(err, errlen, "%s:%ld: no column '%s' in the header (see --id-column)", r->path,
                           r->lineno, r->opt.id_column);
    }
    return 0;
}

static int next_csv(cli_seqreader *r, size_t k, char *err, size_t errlen)
{
    int n = read_row(r, err, errlen);
    if (n <= 0)
        return n;
    if (n != r->ncols)
        return set_err(err, errlen, "%s:%ld: %d fields, but the header has %d", r->path, r->lineno, n, r->ncols);
    r->records++;
    if (r->id_col >= 0) {
        char *id = trim(r->fields[r->id_col]);
        r->id_off[k] = store(r, id, strlen(id));
        for (size_t i = r->id_off[k]; r->buf[i]; i++)
            if (r->buf[i] == '\t' || r->buf[i] == '\n')
                r->buf[i] = ' '; /* would break the TSV output */
    } else {
        r->id_off[k] = store_line_id(r, r->row_line);
    }
    r->seq_off[k] = store(r, "", 0);
    if (append_seq(r, r->seq_off[k], r->fields[r->seq_col], err, errlen) < 0)
        return -1;
    if (r->buf_len - 1 == r->seq_off[k])
        return set_err(err, errlen, "%s:%ld: empty sequence", r->path, r->lineno);
    return 1;
}

/* ---------------------------------------------------------------- FASTA and lines */

static size_t store_fasta_id(cli_seqreader *r, const char *header)
{
    const char *h = header + 1;
    while (*h == ' ' || *h == '\t')
        h++;
    size_t len;
    if (r->opt.full_header) {
        len = strlen(h);
        while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
            len--;
    } else {
        len = strcspn(h, " \t");
        if (len > 0 && (h[len - 1] == ';' || h[len - 1] == ','))
            len--; /* "> chr1,+,866159,866259; class:0" -> "chr1,+,866159,866259", as the library */
    }
    if (len == 0)
        return store_line_id(r, r->lineno);
    size_t off = store(r, h, len);
    /* A tab inside an id would break the TSV output. */
    for (size_t i = off; i < off + len; i++)
        if (r->buf[i] == '\t')
            r->buf[i] = ' ';
    return off;
}

static int next_fasta(cli_seqreader *r, size_t k, char *err, size_t errlen)
{
    int rc;
    /* Find the header (skip blank lines and ';' comments before it). */
    for (;;) {
        rc = read_line(r, err, errlen);
        if (rc <= 0)
            return rc;
        if (r->line[0] == '>')
            break;
        if (blank(r->line) || r->line[0] == ';')
            continue;
        return set_err(err, errlen, "%s:%ld: expected a FASTA header line starting with '>'", r->path, r->lineno);
    }
    long header_line = r->lineno;
    r->records++;
    r->id_off[k] = store_fasta_id(r, r->line);
    r->seq_off[k] = store(r, "", 0);
    for (;;) {
        rc = read_line(r, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        if (r->line[0] == '>') {
            r->pending = 1;
            break;
        }
        if (r->line[0] == ';')
            continue; /* a comment line, skipped as the library does */
        if (append_seq(r, r->seq_off[k], r->line, err, errlen) < 0)
            return -1;
    }
    if (r->buf_len - 1 == r->seq_off[k])
        return set_err(err, errlen, "%s:%ld: record without a sequence", r->path, header_line);
    return 1;
}

static int next_lines(cli_seqreader *r, size_t k, char *err, size_t errlen)
{
    char *s;
    for (;;) {
        int rc = read_line(r, err, errlen);
        if (rc <= 0)
            return rc;
        s = r->line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s != '\0' && *s != '#')
            break; /* not blank, not a comment */
    }
    /* SEQUENCE [TARGET] [# comment]: the first field is the sequence (a target is ignored). */
    s[strcspn(s, " \t#")] = '\0';
    r->records++;
    r->id_off[k] = store_line_id(r, r->lineno);
    r->seq_off[k] = store(r, "", 0);
    return append_seq(r, r->seq_off[k], s, err, errlen) < 0 ? -1 : 1;
}

/* ---------------------------------------------------------------- open / next / close */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int format_from_name(const char *path)
{
    char name[512];
    snprintf(name, sizeof name, "%s", path);
    for (char *p = name; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    size_t n = strlen(name);
    if (ends_with(name, ".gz"))
        name[n - 3] = '\0';
    const char *fasta[] = {".fa", ".fasta", ".fna", ".fas", ".seq.fa", NULL};
    for (int i = 0; fasta[i]; i++)
        if (ends_with(name, fasta[i]))
            return CLI_SEQ_FASTA;
    if (ends_with(name, ".csv"))
        return CLI_SEQ_CSV;
    if (ends_with(name, ".tsv"))
        return CLI_SEQ_TSV;
    if (ends_with(name, ".txt") || ends_with(name, ".tab") || ends_with(name, ".seq"))
        return CLI_SEQ_LINES;
    return CLI_SEQ_AUTO;
}

/* Decide the format from the first non-blank line (kept pending for the parser). */
static int sniff(cli_seqreader *r, char *err, size_t errlen)
{
    int rc;
    do {
        rc = read_line(r, err, errlen);
    } while (rc == 1 && blank(r->line));
    if (rc < 0)
        return -1;
    if (rc == 0)
        return CLI_SEQ_FASTA; /* empty input: any format yields no records */
    r->pending = 1;
    if (r->line[0] == '>' || r->line[0] == ';')
        return CLI_SEQ_FASTA;
    /* As the library's reader: a ',' = CSV, a tab = TSV, else lines. */
    if (strchr(r->line, ',') != NULL)
        return CLI_SEQ_CSV;
    if (strchr(r->line, '\t') != NULL)
        return CLI_SEQ_TSV;
    return CLI_SEQ_LINES;
}

cli_seqreader *cli_seqreader_open(const char *path, const cli_seqreader_options *opt, char *err, size_t errlen)
{
    cli_seqreader *r = cli_xcalloc(1, sizeof *r);
    r->opt = *opt;
    if (r->opt.sequence_column == NULL)
        r->opt.sequence_column = "sequence";
    if (r->opt.max_record_length == 0)
        r->opt.max_record_length = 100000;
    r->file_size = -1;
    int is_stdin = strcmp(path, "-") == 0;
    r->path = cli_xstrdup(is_stdin ? "<stdin>" : path);
    if (is_stdin) {
        /* gzdopen reads plain text transparently too. dup() so gzclose leaves fd 0 alone. */
        int fd = dup(STDIN_FILENO);
        r->gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
    } else {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            set_err(err, errlen, "%s: is a directory", path);
            cli_seqreader_close(r);
            return NULL;
        }
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            r->file_size = (long long)st.st_size;
        errno = 0;
        r->gz = gzopen(path, "rb");
    }
    if (r->gz == NULL) {
        set_err(err, errlen, "%s: cannot open: %s", r->path, errno ? strerror(errno) : "out of memory");
        cli_seqreader_close(r);
        return NULL;
    }
    gzbuffer(r->gz, 1 << 17);

    r->format = opt->format;
    if (r->format == CLI_SEQ_AUTO && !is_stdin)
        r->format = format_from_name(path);
    if (r->format == CLI_SEQ_AUTO)
        r->format = sniff(r, err, errlen);
    if (r->format < 0) {
        cli_seqreader_close(r);
        return NULL;
    }
    if (r->format == CLI_SEQ_CSV || r->format == CLI_SEQ_TSV) {
        r->delim = r->format == CLI_SEQ_CSV ? ',' : '\t';
        if (read_csv_header(r, err, errlen) < 0) {
            cli_seqreader_close(r);
            return NULL;
        }
    }
    return r;
}

int cli_seqreader_next(cli_seqreader *r, size_t max, const char *const **seqs, const char *const **ids, size_t *n,
                       char *err, size_t errlen)
{
    *n = 0;
    r->buf_len = 0;
    ensure_records(r, max);
    size_t k = 0;
    while (k < max) {
        int rc;
        switch (r->format) {
        case CLI_SEQ_FASTA: rc = next_fasta(r, k, err, errlen); break;
        case CLI_SEQ_LINES: rc = next_lines(r, k, err, errlen); break;
        default: rc = next_csv(r, k, err, errlen); break;
        }
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        k++;
    }
    /* The buffer may have moved while growing: pointers only now. */
    for (size_t i = 0; i < k; i++) {
        r->seqs[i] = r->buf + r->seq_off[i];
        r->ids[i] = r->buf + r->id_off[i];
    }
    *seqs = r->seqs;
    *ids = r->ids;
    *n = k;
    return k > 0;
}

double cli_seqreader_progress(const cli_seqreader *r)
{
    if (r->file_size <= 0)
        return -1;
    z_off_t off = gzoffset(r->gz);
    if (off < 0)
        return -1;
    double f = (double)off / (double)r->file_size;
    return f > 1 ? 1 : f;
}

int cli_seqreader_format(const cli_seqreader *r)
{
    return r->format;
}

void cli_seqreader_close(cli_seqreader *r)
{
    if (r == NULL)
        return;
    if (r->gz != NULL)
        gzclose(r->gz);
    free(r->path);
    free(r->line);
    free(r->fields);
    free(r->row);
    free(r->buf);
    free(r->seq_off);
    free(r->id_off);
    free((void *)r->seqs);
    free((void *)r->ids);
    free(r);
}
