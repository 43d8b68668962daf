/*
 * data/reader.c - the streaming line reader every text format goes through.
 *
 * Files and a caller's FILE* (or stdin) are read the same way: fread, and when the data
 * start with the gzip magic they are inflated here (concatenated members too). zlib's gzread
 * is not used because it silently ignores whatever follows the last member and treats an
 * unknown compressed file as text; here any byte after the gzip stream is an error, and
 * bzip2, xz and zstd data are named as unsupported instead of failing as a syntax error on
 * line 1. Text is pulled through a buffer of RBP__READ_CHUNK bytes that grows only when a
 * single line is longer (up to the caller's max_line), so memory never depends on the file's
 * size. A stream cut inside a member is "truncated gzip data", a damaged one (bad block, CRC
 * mismatch) "corrupt gzip data", so a damaged file never passes for a shorter valid one.
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
    errno = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        memset(r, 0, sizeof *r);
        if (errno)
            return rbp__set_error(RBP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return rbp__set_error(RBP_ERR_IO, "%s: cannot open", path);
    }
    rbp_status st = rbp__reader_open_file(r, fp, path, max_line);
    if (st != RBP_OK) {
        fclose(fp);
        return st;
    }
    r->own_fp = 1;
    return RBP_OK;
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
    if (r->own_fp && r->fp)
        fclose((FILE *)r->fp);
    if (r->zs) {
        inflateEnd((z_stream *)r->zs);
        rbp__free(r->zs);
    }
    rbp__free(r->in);
    rbp__free(r->buf);
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
    double done = (double)(ftello((FILE *)r->fp) - r->fp_start);
    double f = done / (double)r->size;
    return f < 0 ? 0.0 : f > 1 ? 1.0 : f;
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

/* Compressed formats the reader cannot inflate, recognised by their magic numbers so that
 * the message says what the file is rather than "bad syntax on line 1". */
static rbp_status check_compression(const rbp__reader *r, const unsigned char *b, size_t n)
{
    static const struct {
        const char *name, *tool;
        unsigned char magic[6];
        size_t len;
    } kinds[] = {{"bzip2", "bunzip2", {'B', 'Z', 'h'}, 3},
                 {"xz", "xz -d", {0xFD, '7', 'z', 'X', 'Z', 0x00}, 6},
                 {"zstd", "zstd -d", {0x28, 0xB5, 0x2F, 0xFD}, 4},
                 {"zip", "unzip", {'P', 'K', 0x03, 0x04}, 4}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (n >= kinds[i].len && memcmp(b, kinds[i].magic, kinds[i].len) == 0 &&
            /* "BZh" is also how a text line may start: bzip2 has a block size digit next. */
            (i != 0 || (n >= 4 && b[3] >= '1' && b[3] <= '9')))
            return rbp__set_error(RBP_ERR_FORMAT,
                                  "%s: %s-compressed data are not supported (only gzip): decompress first (%s)",
                                  r->path, kinds[i].name, kinds[i].tool);
    return RBP_OK;
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
        rbp_status st = check_compression(r, r->in, (size_t)got);
        if (st != RBP_OK)
            return st;
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
            if (zs->avail_in > 0) /* not another member: nothing may be dropped unread */
                return rbp__set_error(RBP_ERR_FORMAT, "%s: data after the end of the gzip stream (not gzip)",
                                      r->path);
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
            return rbp__set_error(RBP_ERR_FORMAT,
                                  "%s:%lld: line longer than %zu bytes (raise the maximum record length: "
                                  "rbp_dataset_options.max_record_length, --max-length)",
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
        long got = fp_fill(r, r->buf + r->end, want);
        if (got < 0)
            return (int)got;
        if (got == 0)
            r->eof = 1;
        r->end += (size_t)got;
        r->bytes += (uint64_t)got;
    }
}
