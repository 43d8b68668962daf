/*
 * data/reader.c - the streaming line reader every text format goes through.
 *
 * zlib's gzread reads gzip and plain files alike, so one code path serves "x.fa" and
 * "x.fa.gz". Text is pulled through a buffer of RBP__READ_CHUNK bytes that grows only when a
 * single line is longer (up to the caller's max_line), so memory never depends on the file's
 * size. zlib reports a gzip stream that ends early as Z_BUF_ERROR ("unexpected end of file")
 * while gzread itself returns a short count, and a damaged stream (bad block, CRC mismatch)
 * as Z_DATA_ERROR with gzread returning -1: both are checked after every read so that a
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

/* Translate zlib's state after a read into a status (RBP_OK when nothing is wrong). */
static rbp_status check_gz(rbp__reader *r, int got)
{
    int err = Z_OK;
    const char *msg = gzerror((gzFile)r->gz, &err);
    if (got >= 0 && err == Z_OK)
        return RBP_OK;
    if (err == Z_BUF_ERROR)
        return rbp__set_error(RBP_ERR_FORMAT, "%s:%lld: truncated gzip data (%s)", r->path,
                              (long long)r->line + 1, msg && *msg ? msg : "unexpected end of file");
    if (err == Z_DATA_ERROR)
        return rbp__set_error(RBP_ERR_FORMAT, "%s:%lld: corrupt gzip data (%s)", r->path, (long long)r->line + 1,
                              msg && *msg ? msg : "data error");
    if (err == Z_MEM_ERROR)
        return rbp__oom();
    if (err == Z_ERRNO)
        return rbp__set_error(RBP_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
    return rbp__set_error(RBP_ERR_IO, "%s: read error (%s)", r->path, msg ? msg : "unknown");
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
        int got = gzread((gzFile)r->gz, r->buf + r->end, (unsigned)want);
        rbp_status st = check_gz(r, got);
        if (st != RBP_OK)
            return st;
        if (got == 0)
            r->eof = 1;
        r->end += (size_t)got;
        r->bytes += (uint64_t)got;
    }
}
