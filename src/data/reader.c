/*
 * data/reader.c - the streaming line reader every text format goes through.
 *
 * zlib's gzread reads gzip and plain files alike, so one code path serves "x.fa" and
 * "x.fa.gz". Text is pulled through a buffer of RBP__READ_CHUNK bytes that grows only when a
 * single line is longer (up to the caller's max_line), so memory never depends on the file's
 * size. zlib reports a gzip stream that ends early as Z_BUF_ERROR ("unexpected end of file")
 * while gzread itself returns a short count, and a damaged stream (bad block, CRC mismatch)
 * as Z_DATA_ERROR with gzread returning -1: gzerror is checked after every read so that a
 * damaged file never passes for a shorter valid one.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <zlib.h>

#include "core/internal.h"
#include "data/data_internal.h"

#define RBP__READ_CHUNK ((size_t)1 << 18)
#define RBP__GZ_BUFFER (1u << 17)

rbp_status rbp__reader_open(rbp__reader *r, const char *path, size_t max_line)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->max_line = max_line;
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        if (errno)
            return rbp__set_error(RBP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return rbp__set_error(RBP_ERR_IO, "%s: cannot open", path);
    }
    gzbuffer(gz, RBP__GZ_BUFFER);
    r->gz = gz;
    r->cap = RBP__READ_CHUNK;
    r->buf = rbp__malloc(r->cap);
    if (!r->buf) {
        gzclose(gz);
        r->gz = NULL;
        return rbp__oom();
    }
    return RBP_OK;
}

void rbp__reader_close(rbp__reader *r)
{
    if (r->gz)
        gzclose((gzFile)r->gz);
    rbp__free(r->buf);
    r->gz = NULL;
    r->buf = NULL;
}

/* zlib's messages start with "<path>: "; drop that, ours already names the file. */
static const char *zmsg(const rbp__reader *r, const char *msg, const char *fallback)
{
    size_t k = strlen(r->path);
    if (!msg || !*msg)
        return fallback;
    if (strncmp(msg, r->path, k) == 0 && msg[k] == ':' && msg[k + 1] == ' ')
        return msg + k + 2;
    return msg;
}

/* The error zlib recorded for this file as a status; RBP_OK when there is none. */
static rbp_status gz_status(rbp__reader *r)
{
    int err = Z_OK;
    const char *msg = gzerror((gzFile)r->gz, &err);
    long long line = (long long)r->line + 1; /* the line being assembled when the data ran out */
    switch (err) {
    case Z_OK:
        return RBP_OK;
    case Z_BUF_ERROR:
        return rbp__set_error(RBP_ERR_FORMAT, "%s:%lld: truncated gzip data (%s)", r->path, line,
                              zmsg(r, msg, "unexpected end of file"));
    case Z_DATA_ERROR:
        return rbp__set_error(RBP_ERR_FORMAT, "%s:%lld: corrupt gzip data (%s)", r->path, line,
                              zmsg(r, msg, "data error"));
    case Z_MEM_ERROR:
        return rbp__oom();
    case Z_ERRNO:
        return rbp__set_error(RBP_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
    default:
        return rbp__set_error(RBP_ERR_IO, "%s: read error (%s)", r->path, zmsg(r, msg, "unknown"));
    }
}

static int emit(rbp__reader *r, char *p, size_t n, char **line, size_t *len)
{
    if (n && p[n - 1] == '\r')
        n--;
    p[n] = '\0';
    r->line++;
    if (r->line == 1 && n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF) {
        p += 3;
        n -= 3;
    }
    *line = p;
    *len = n;
    return 1;
}

int rbp__reader_next(rbp__reader *r, char **line, size_t *len)
{
    for (;;) {
        char *p = r->buf + r->beg;
        size_t avail = r->end - r->beg;
        /* r->scan: bytes after beg already known to hold no newline. */
        char *nl = avail > r->scan ? memchr(p + r->scan, '\n', avail - r->scan) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - p);
            r->beg += n + 1;
            r->scan = 0;
            return emit(r, p, n, line, len);
        }
        r->scan = avail;
        if (avail > r->max_line)
            return rbp__set_error(RBP_ERR_FORMAT, "%s:%lld: line longer than %zu bytes (raise max_record_length?)",
                                  r->path, (long long)r->line + 1, r->max_line);
        if (r->eof) {
            if (avail == 0)
                return 0;
            r->beg = r->end;
            r->scan = 0;
            return emit(r, p, avail, line, len); /* last line without "\n"; buf has room for the NUL */
        }
        /* Move the partial line to the front, grow if it fills the buffer, read more. */
        if (r->beg > 0) {
            memmove(r->buf, p, avail);
            r->beg = 0;
            r->end = avail;
        }
        if (r->cap - r->end < RBP__READ_CHUNK / 4) {
            size_t ncap = r->cap * 2;
            char *nb = rbp__realloc(r->buf, ncap);
            if (!nb)
                return rbp__oom();
            r->buf = nb;
            r->cap = ncap;
        }
        size_t want = r->cap - r->end - 1;
        if (want > (size_t)INT_MAX)
            want = (size_t)INT_MAX;
        /* A truncated stream still delivers good text up to the cut: hand that out line by
         * line and report the truncation when the parser needs the text beyond it, so that
         * the message points at the line where the data stop. Other damage (Z_DATA_ERROR)
         * makes the text read with it suspect, so it is reported at once. */
        if (r->gz_failed)
            return gz_status(r);
        int got = gzread((gzFile)r->gz, r->buf + r->end, (unsigned)want);
        int zerr = Z_OK;
        gzerror((gzFile)r->gz, &zerr);
        if (zerr != Z_OK && (got <= 0 || zerr != Z_BUF_ERROR))
            return gz_status(r);
        r->gz_failed = zerr != Z_OK;
        if (got < 0) /* an error zlib did not record: should not happen */
            return rbp__set_error(RBP_ERR_IO, "%s: read error", r->path);
        if (got == 0)
            r->eof = 1;
        r->end += (size_t)got;
        r->bytes += (uint64_t)got;
    }
}
