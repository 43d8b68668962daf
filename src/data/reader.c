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
 *
 * A caller's FILE* (and stdin) cannot go through gzdopen without losing what stdio has
 * already buffered, so it is read with fread and, when it starts with the gzip magic,
 * inflated here (concatenated members too, as gzread does); the same two kinds of damage
 * get the same messages.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/internal.h"
#include "data/data_internal.h"

#define RBP__READ_CHUNK ((size_t)1 << 18)
#define RBP__GZ_BUFFER (1u << 17)

/* FILE* states. */
enum { FP_START = 0, FP_PLAIN, FP_GZIP, FP_GZIP_END };

static rbp_status alloc_buffer(rbp__reader *r)
{
    r->cap = RBP__READ_CHUNK;
    r->buf = rbp__malloc(r->cap);
    return r->buf ? RBP_OK : rbp__oom();
}

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
    struct stat sb;
    r->size = stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : -1;
    rbp_status st = alloc_buffer(r);
    if (st != RBP_OK)
        rbp__reader_close(r);
    return st;
}

rbp_status rbp__reader_open_file(rbp__reader *r, void *fp, const char *name, size_t max_line)
{
    memset(r, 0, sizeof *r);
    r->path = name;
    r->max_line = max_line;
    r->fp = fp;
    struct stat sb;
    int fd = fileno((FILE *)fp);
    off_t pos = ftello((FILE *)fp);
    r->size = fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && pos >= 0 ? (int64_t)(sb.st_size - pos) : -1;
    r->fp_start = pos;
    r->in_cap = RBP__GZ_BUFFER;
    r->in = rbp__malloc(r->in_cap);
    rbp_status st = r->in ? alloc_buffer(r) : rbp__oom();
    if (st != RBP_OK)
        rbp__reader_close(r);
    return st;
}

void rbp__reader_close(rbp__reader *r)
{
    if (r->gz)
        gzclose((gzFile)r->gz);
    if (r->zs) {
        inflateEnd((z_stream *)r->zs);
        rbp__free(r->zs);
    }
    rbp__free(r->in);
    rbp__free(r->buf);
    r->gz = NULL;
    r->fp = NULL;
    r->zs = NULL;
    r->in = NULL;
    r->buf = NULL;
}

void rbp__reader_unget(rbp__reader *r)
{
    r->pending = 1;
    r->line--;
}

double rbp__reader_progress(const rbp__reader *r)
{
    if (r->size <= 0)
        return -1.0;
    double done = r->gz ? (double)gzoffset((gzFile)r->gz) : (double)(ftello((FILE *)r->fp) - r->fp_start);
    double f = done / (double)r->size;
    return f < 0 ? 0.0 : f > 1 ? 1.0 : f;
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
    *line = r->last = p;
    *len = r->last_len = n;
    return 1;
}

static rbp_status fp_error(rbp__reader *r, int truncated, const char *msg)
{
    long long line = (long long)r->line + 1;
    if (truncated)
        return rbp__set_error(RBP_ERR_FORMAT, "%s:%lld: truncated gzip data (unexpected end of file)", r->path, line);
    return rbp__set_error(RBP_ERR_FORMAT, "%s:%lld: corrupt gzip data (%s)", r->path, line, msg ? msg : "data error");
}

/* fread into r->in after the `keep` unread bytes at its front; 0 at the end, < 0 on error. */
static long fp_refill(rbp__reader *r, size_t keep)
{
    FILE *fp = r->fp;
    size_t got = fread(r->in + keep, 1, r->in_cap - keep, fp);
    if (got == 0 && ferror(fp))
        return rbp__set_error(RBP_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
    return (long)got;
}

/* Up to `want` bytes of text from a FILE*: its bytes as they are, or inflated when the stream
 * starts with the gzip magic. Returns the count (0 = end) or an rbp_status. A stream cut
 * inside a member first delivers the text before the cut, then the error on the next call. */
static long fp_fill(rbp__reader *r, char *dst, size_t want)
{
    z_stream *zs = r->zs;
    if (r->fp_mode == FP_START) {
        long got = fp_refill(r, 0);
        if (got < 0)
            return got;
        r->in_len = (size_t)got;
        r->fp_mode = FP_PLAIN;
        if (got >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) {
            zs = rbp__calloc(1, sizeof *zs);
            if (!zs)
                return rbp__oom();
            if (inflateInit2(zs, 15 + 16) != Z_OK) {
                rbp__free(zs);
                return rbp__oom();
            }
            r->zs = zs;
            zs->next_in = r->in;
            zs->avail_in = (uInt)got;
            r->in_len = 0;
            r->fp_mode = FP_GZIP;
        }
    }
    if (r->fp_mode == FP_PLAIN) {
        if (r->in_len > 0) { /* the bytes peeked at for the magic go first */
            size_t k = r->in_len < want ? r->in_len : want;
            memcpy(dst, r->in, k);
            memmove(r->in, r->in + k, r->in_len - k);
            r->in_len -= k;
            return (long)k;
        }
        size_t got = fread(dst, 1, want, (FILE *)r->fp);
        if (got == 0 && ferror((FILE *)r->fp))
            return rbp__set_error(RBP_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
        return (long)got;
    }
    if (r->fp_mode == FP_GZIP_END)
        return 0;
    zs->next_out = (Bytef *)dst;
    zs->avail_out = (uInt)want;
    while (zs->avail_out == want) {
        if (zs->avail_in == 0) {
            long got = fp_refill(r, 0);
            if (got < 0)
                return got;
            if (got == 0) /* the stream stops inside a member */
                return fp_error(r, 1, NULL);
            zs->next_in = r->in;
            zs->avail_in = (uInt)got;
        }
        int zr = inflate(zs, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            /* Another member follows (concatenated gzip, as gzread reads)? Otherwise the rest
             * of the stream is ignored, as gzread ignores trailing garbage. */
            if (zs->avail_in < 2) {
                size_t keep = zs->avail_in;
                if (keep)
                    memmove(r->in, zs->next_in, keep);
                long got = fp_refill(r, keep);
                if (got < 0)
                    return got;
                zs->next_in = r->in;
                zs->avail_in = (uInt)(keep + (size_t)got);
            }
            if (zs->avail_in >= 2 && zs->next_in[0] == 0x1f && zs->next_in[1] == 0x8b) {
                inflateReset(zs);
                continue;
            }
            r->fp_mode = FP_GZIP_END;
            break;
        }
        if (zr == Z_MEM_ERROR)
            return rbp__oom();
        if (zr != Z_OK && !(zr == Z_BUF_ERROR && zs->avail_in == 0))
            return fp_error(r, 0, zs->msg);
    }
    return (long)(want - zs->avail_out);
}

int rbp__reader_next(rbp__reader *r, char **line, size_t *len)
{
    if (r->pending) {
        r->pending = 0;
        r->line++;
        *line = r->last;
        *len = r->last_len;
        return 1;
    }
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
        if (r->fp) {
            long got = fp_fill(r, r->buf + r->end, want);
            if (got < 0)
                return (int)got;
            if (got == 0)
                r->eof = 1;
            r->end += (size_t)got;
            r->bytes += (uint64_t)got;
            continue;
        }
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
