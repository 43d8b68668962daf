/*
 * data/data_internal.h - what the dataset sources share: the rbp_dataset body, the streaming
 * line reader, the record builder (raw encoded records -> fixed-length rows), the character
 * tables, the locale-independent number parser and the counter-based RNG of splits/batches.
 *
 * Design (see dataset.c for the public side): parsers stream the text line by line through a
 * fixed buffer and append each record's encoded positions to one growable byte arena (one
 * byte per position: token, viewpoint and structure packed). When the input is exhausted the
 * model length T is known (options.length, or the longest record) and the builder expands the
 * arena into the (n, T) arrays in one pass and frees it. Memory therefore grows with the
 * encoded positions (~1 byte per nucleotide during reading, 4 bytes per row position after),
 * never with the size of the file, its headers or its other columns.
 */
#ifndef RBP_DATA_INTERNAL_H
#define RBP_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "kernels/kernels.h"
#include "rbpattn/dataset.h"

/* ---------------------------------------------------------------- the dataset */

struct rbp_dataset {
    size_t n;              /* rows */
    int32_t T;             /* model length */
    int32_t has_structure; /* 1 if `structure` is present */
    uint8_t *tokens;       /* (n,T) RBP_TOK_* */
    uint8_t *mask;         /* (n,T) 1 = real position */
    uint8_t *structure;    /* (n,T) RBP_STRUCT_* or NULL */
    uint8_t *viewpoint;    /* (n,T) 0/1 */
    float *targets;        /* (n) */
    size_t *id_off;        /* (n) offsets of the NUL-terminated ids in `ids` */
    char *ids;             /* id arena */
    size_t ids_len;        /* bytes used in `ids` */
};

/* Allocate a dataset of n rows of length T with an id arena of ids_len bytes (contents
 * uninitialised). On failure returns RBP_ERR_NOMEM (or INVALID_ARG on size overflow). */
rbp_status rbp__dataset_alloc(rbp_dataset **out, size_t n, int32_t T, int32_t has_structure, size_t ids_len);

/* Check an options struct; returns RBP_OK or RBP_ERR_INVALID_ARG naming the field. */
rbp_status rbp__dataset_options_check(const rbp_dataset_options *opt);
/* Options to use: `opt`, checked, or (NULL) the defaults in *defaults. Errors are prefixed
 * with `fn`. */
rbp_status rbp__resolve_options(const rbp_dataset_options *opt, rbp_dataset_options *defaults,
                                const rbp_dataset_options **use, const char *fn);

/* ---------------------------------------------------------------- streaming line reader */

/*
 * Reads a file (plain or gzip) line by line through a buffer that only grows to hold the
 * longest line (at most max_line bytes). A path or a caller's FILE* (or stdin) is read with
 * fread and inflated here when it starts with the gzip magic, so a stream's own buffering and
 * position are respected; other compressed formats and bytes after the gzip stream are
 * RBP_ERR_FORMAT. Lines come back
 * NUL-terminated, without "\n" or "\r\n", writable (parsers unquote in place) and valid until
 * the next call. A UTF-8 byte order mark at the start of the file is skipped. Truncated or
 * corrupt gzip data become RBP_ERR_FORMAT, read errors RBP_ERR_IO, both naming the file.
 */
typedef struct rbp__reader {
    void *fp;            /* FILE*: opened from a path (own_fp), or a caller's stream or stdin */
    int own_fp;          /* fp was opened here and is closed by rbp__reader_close */
    void *zs;            /* z_stream* while fp carries gzip data */
    unsigned char *in;   /* compressed input read from fp */
    size_t in_cap, in_len; /* in_len: plain bytes peeked at for the gzip magic, not yet handed out */
    int fp_mode;         /* FILE* state: see reader.c */
    const char *path;    /* borrowed; for messages */
    char *buf;           /* [beg, end) holds unread text; one byte is kept for a NUL */
    size_t cap, beg, end, scan;
    size_t max_line;
    int64_t line;        /* number of the line last returned (1-based) */
    uint64_t bytes;      /* decompressed bytes read so far */
    int64_t size;        /* size of the file on disk (of a FILE*: from its start position), -1 if unknown */
    int64_t fp_start;    /* a FILE*'s position when opened */
    int eof;
    int pending;         /* rbp__reader_unget: return the last line again */
    char *last;          /* the last line returned, and its length */
    size_t last_len;
} rbp__reader;

rbp_status rbp__reader_open(rbp__reader *r, const char *path, size_t max_line);
/* Read a caller's stream (not closed by rbp__reader_close); `name` is used in messages. */
rbp_status rbp__reader_open_file(rbp__reader *r, void *fp, const char *name, size_t max_line);
/* 1: *line and *len hold the next line; 0: end of file; < 0: an rbp_status (error set). */
int rbp__reader_next(rbp__reader *r, char **line, size_t *len);
/* Hand the line just returned out again on the next call (one line of lookahead: format
 * sniffing, and the header that ends a FASTA record at a chunk boundary). The line must not
 * have been modified. */
void rbp__reader_unget(rbp__reader *r);
/* Fraction of the file consumed (compressed bytes for gzip), or -1 when the size is unknown. */
double rbp__reader_progress(const rbp__reader *r);
void rbp__reader_close(rbp__reader *r);

/* Set an error "<src>:<line>: <message>" ("<src>: <message>" when line <= 0); returns code. */
rbp_status rbp__loc_error(rbp_status code, const char *src, int64_t line, const char *fmt, ...) RBP_PRINTF(4, 5);

/* ---------------------------------------------------------------- character tables */

/* Sequence table entry: bits 0-2 token, ENC_UPPER/ENC_LOWER for letters, ENC_SKIP for
 * blanks inside a sequence, ENC_BAD for anything else. */
enum {
    RBP__ENC_TOKEN = 0x07,
    RBP__ENC_UPPER = 0x08, /* doubles as the viewpoint bit of the packed raw byte */
    RBP__ENC_LOWER = 0x10,
    RBP__ENC_SKIP = 0x20,
    RBP__ENC_BAD = 0x80
};
/* Packed raw byte of the arena: token (bits 0-2), viewpoint (bit 3), structure (bits 4-5). */
#define RBP__RAW_VP 0x08u
#define RBP__RAW_STRUCT_SHIFT 4

extern const uint8_t rbp__seq_table[256];
extern const uint8_t rbp__struct_table[256]; /* RBP_STRUCT_* or RBP__ENC_SKIP / RBP__ENC_BAD */

/* Printable form of a byte for messages ("'X'" or "'\xHH'"); buf needs 8 bytes. */
const char *rbp__char_repr(char *buf, unsigned char c);

/* ---------------------------------------------------------------- numbers */

/*
 * Parse a whole token as a decimal number ("1", "-0.25", ".5", "3e-2"), independent of the
 * C locale. Returns 0 and *out on success, -1 if the token is not a number, -2 if it is not
 * finite ("nan", "inf", or out of float range).
 */
int rbp__parse_number(const char *s, size_t n, float *out);

/* ---------------------------------------------------------------- record builder */

typedef struct rbp__builder {
    const rbp_dataset_options *opt;
    uint8_t *raw;              /* packed positions of all records */
    size_t raw_len, raw_cap;
    size_t n, cap;             /* records */
    size_t *off;               /* (n) record start in raw */
    uint32_t *len;             /* (n) record length */
    uint8_t *vp_all;           /* (n) 1: no case information -> every position is viewpoint */
    float *targets;            /* (n) */
    size_t *id_off;            /* (n) */
    char *ids;
    size_t ids_len, ids_cap;
    int32_t has_structure;
    uint32_t max_len;
} rbp__builder;

void rbp__builder_init(rbp__builder *b, const rbp_dataset_options *opt, int32_t has_structure);
void rbp__builder_free(rbp__builder *b);
/* Make room for `extra` more raw bytes (b->raw may move). */
rbp_status rbp__builder_reserve(rbp__builder *b, size_t extra);
/*
 * Encode s[0..n) (a sequence or part of one) onto the end of the raw arena. *flags collects
 * the OR of the table entries (case seen). `pos0` is the number of positions of this record
 * already encoded (for messages). On an unknown character returns RBP_ERR_FORMAT with
 * "<src>:<line>: unknown character ..." (line <= 0: "<src>: ...").
 */
rbp_status rbp__builder_append_seq(rbp__builder *b, const char *s, size_t n, unsigned *flags, size_t pos0,
                                   const char *src, int64_t line, const char *id);
/*
 * Close the record whose positions start at raw offset `off` (the rest of the arena): checks
 * it is non-empty, within max_record_length and (RBP_TRUNCATE_ERROR) within length, then
 * stores the target and the id. `flags` is what append_seq collected.
 */
rbp_status rbp__builder_end_record(rbp__builder *b, size_t off, unsigned flags, float target, const char *id,
                                   size_t id_len, const char *src, int64_t line);
/* Expand into a dataset (T = options.length or the longest record). The builder is freed. */
rbp_status rbp__builder_finish(rbp__builder *b, rbp_dataset **out);
/*
 * Expand into `ds`, whose arrays are reused and grown only when this chunk needs more than
 * *cap_cells row positions, *cap_rows rows or *cap_ids id bytes (updated); then empty the
 * builder, keeping its buffers. A stream of chunks of the same shape therefore allocates
 * nothing after the first.
 */
rbp_status rbp__builder_finish_into(rbp__builder *b, rbp_dataset *ds, size_t *cap_rows, size_t *cap_cells,
                                    size_t *cap_ids);

/* ---------------------------------------------------------------- RNG */
/* The generator is rbp__splitmix64 of kernels/random.c, the library's one RNG. */

/* Uniform integer in [0, n), n >= 1, without modulo bias (rejection). */
static inline uint64_t rbp__rng_below(uint64_t *state, uint64_t n)
{
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t r = rbp__splitmix64(state);
        if (r >= threshold)
            return r % n;
    }
}

/* In-place Fisher-Yates shuffle of v[0..n). */
static inline void rbp__shuffle(size_t *v, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rbp__rng_below(state, (uint64_t)i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

#endif /* RBP_DATA_INTERNAL_H */
