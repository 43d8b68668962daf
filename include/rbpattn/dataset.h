/**
 * @file
 * rbpattn/dataset.h - reading RBP binding data into encoded, fixed-length tensors.
 *
 * Formats (rbp_format): CSV/TSV with a header (the study's columns sequence, structure, MFE,
 * K, KA, RKA, Qc, sevenMer), FASTA with "class:N" labels in the header (RBP-31), GraphProt
 * positive/negative FASTA pairs (lowercase = flanking context, uppercase = viewpoint),
 * RNAcompete FASTA + .affys (or a value in the header), and plain "SEQUENCE TARGET" lines.
 * Any file may be gzip-compressed (read through zlib; plain files work the same), may use
 * CRLF line endings and may start with a UTF-8 byte order mark. Text is streamed through a
 * fixed buffer, so memory grows with the encoded positions, not with the file.
 *
 * Record ids: FASTA - the first word of the header (up to the first blank) with a trailing
 * ';' or ',' removed ("> chr1,+,866159,866259; class:0" -> "chr1,+,866159,866259"), or
 * "line<N>" for an empty header; CSV/TSV - options.id_column, else "line<N>"; lines -
 * "line<N>" (N = the record's first line in the file).
 *
 * Encoding: every sequence becomes `length` uint8 tokens (RBP_TOK_*), A C G, T and U alike,
 * in any case; N and IUPAC ambiguity codes -> RBP_TOK_N; blanks inside a sequence are
 * skipped; any other character is an error naming file, line, record and position. Rows
 * are left-aligned and padded on the right with RBP_TOK_PAD; a mask byte per position
 * (1 = real); an optional structure channel (RBP_STRUCT_*) and a viewpoint flag per
 * position (with options.case_viewpoint, 1 = uppercase in a record that mixes cases, as in
 * GraphProt; all real positions are 1 when a record has one case only; 0 on padding).
 * Arrays are row-major (n, length) and owned by the dataset.
 *
 * Paths: "-" is standard input (named "<stdin>" in messages; gzip or plain, detected from the
 * content; the format from the content unless options.format says it).
 *
 * Errors: a missing or unreadable file is RBP_ERR_IO; malformed content (including truncated
 * or corrupt gzip data) is RBP_ERR_FORMAT with "<file>:<line>: <what>"; NULL arguments and
 * bad options are RBP_ERR_INVALID_ARG naming the argument or the options field.
 */
#ifndef RBPATTN_DATASET_H
#define RBPATTN_DATASET_H

#include <stdio.h>

#include "rbpattn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Nucleotide tokens. */
enum {
    RBP_TOK_A = 0,
    RBP_TOK_C = 1,
    RBP_TOK_G = 2,
    RBP_TOK_U = 3, /**< T and U */
    RBP_TOK_N = 4, /**< N and IUPAC ambiguity codes (R Y S W K M B D H V) */
    RBP_TOK_PAD = 5,
    RBP_VOCAB_SIZE = 6
};

/** Structure tokens (dot-bracket). */
enum {
    RBP_STRUCT_UNPAIRED = 0, /**< '.' (characters not listed here are errors; blanks skipped) */
    RBP_STRUCT_OPEN = 1,     /**< '(' '[' '{' '<' */
    RBP_STRUCT_CLOSE = 2,    /**< ')' ']' '}' '>' */
    RBP_STRUCT_PAD = 3,      /**< padding, or no structure given */
    RBP_STRUCT_VOCAB_SIZE = 4
};

/** Input formats (rbp_dataset_options.format). */
typedef enum rbp_format {
    RBP_FORMAT_AUTO = 0,      /**< from the extension (a trailing .gz ignored, any case): .csv, .tsv,
                                 .fa/.fasta/.fna/.fas (RNACOMPETE when affinity_path is set),
                                 .txt/.tab lines; otherwise from the first non-blank line: '>' =
                                 FASTA, a ',' = CSV, a tab = TSV, else lines */
    RBP_FORMAT_CSV = 1,       /**< header line, then records; delimiter ',' (or options.delimiter);
                                 RFC 4180 quotes (delimiters, doubled quotes and line breaks
                                 inside quotes); blanks around fields ignored; every record
                                 must have as many fields as the header */
    RBP_FORMAT_TSV = 2,       /**< as CSV with a tab delimiter */
    RBP_FORMAT_FASTA = 3,     /**< '>' header, then sequence lines (any number); blank lines and
                                 ';' comment lines skipped. Label: the number after
                                 options.label_key in the header ("class:1"), else the header's
                                 last word if it has two or more ("seq7 0.29") */
    RBP_FORMAT_LINES = 4,     /**< SEQUENCE<blanks>TARGET per line; '#' starts a comment; blank
                                 lines skipped */
    RBP_FORMAT_GRAPHPROT = 5, /**< only through rbp_dataset_load_pair / rbp_reader_open_pair */
    RBP_FORMAT_RNACOMPETE = 6 /**< FASTA + affinity file (options.affinity_path) or value in header */
} rbp_format;

/** What to keep of a sequence longer than the model length (rbp_dataset_options.truncate). */
typedef enum rbp_truncate {
    RBP_TRUNCATE_RIGHT = 0,   /**< keep the first `length` positions */
    RBP_TRUNCATE_LEFT = 1,    /**< keep the last `length` positions */
    RBP_TRUNCATE_CENTER = 2,  /**< centre on the viewpoint (uppercase) if any, else the middle */
    RBP_TRUNCATE_ERROR = 3    /**< a sequence longer than `length` is an error */
} rbp_truncate;

/** The current version of rbp_dataset_options. */
#define RBP_DATASET_OPTIONS_VERSION 1

/** How files are read and encoded (defaults from rbp_dataset_options_init). */
typedef struct rbp_dataset_options {
    uint32_t version;           /**< RBP_DATASET_OPTIONS_VERSION */
    int32_t format;             /**< rbp_format; default AUTO */
    int32_t length;             /**< model length T; 0 = longest sequence in the file (default 0) */
    int32_t truncate;           /**< rbp_truncate; default RIGHT */
    int32_t max_record_length;  /**< a longer raw sequence is an error (default 100000) */
    const char *sequence_column;   /**< CSV/TSV: default "sequence" */
    const char *structure_column;  /**< CSV/TSV: NULL = no structure channel (default NULL) */
    const char *target_column;     /**< CSV/TSV: default "RKA"; NULL = no target column (needs
                                      require_target = 0; targets are then 0); FASTA: ignored */
    char delimiter;             /**< CSV/TSV field separator; 0 (default) = ',' for CSV, a tab for TSV */
    const char *label_key;      /**< FASTA: header key before the label, default "class:" */
    const char *affinity_path;  /**< FASTA/RNACOMPETE: path of the .affys file, NULL = value in header */
    int32_t case_viewpoint;     /**< 1: lowercase = context, uppercase = viewpoint (default 1) */
    /* appended in 0.1 (still RBP_DATASET_OPTIONS_VERSION 1): */
    int32_t require_target;     /**< 1 (default): a record without a target is an error; 0: it gets 0
                                   (unlabelled data for prediction) */
    const char *id_column;      /**< CSV/TSV: column holding record ids; NULL (default) = "line<N>" */
    /* appended in 0.2 (still RBP_DATASET_OPTIONS_VERSION 1): */
    int32_t fasta_full_header;  /**< FASTA: 1 = the id is the whole header line (trimmed); 0 (default) =
                                   its first word */
} rbp_dataset_options;

/** Fill `opt` with defaults for the given struct version. Returns RBP_ERR_INVALID_ARG for an
 * unknown version or NULL. */
RBP_API rbp_status rbp_dataset_options_init(rbp_dataset_options *opt, uint32_t version);

/** Encoded records: tokens, mask, structure, viewpoint, targets and ids (opaque). */
typedef struct rbp_dataset rbp_dataset;

/**
 * Load a labelled file (format from options.format, see rbp_format). `opt` may be NULL for
 * defaults. On success *out is owned by the caller (free with rbp_dataset_free); on failure
 * *out is NULL and rbp_last_error() names the file and line. With options.affinity_path the
 * targets come from that file, one number per line in record order ('#' and blank lines
 * skipped); a count that differs from the FASTA's records is an error.
 * @param out   receives the new dataset, or NULL on failure
 * @param path  the file ("-" = standard input; .gz read as such)
 * @param opt   format, length, columns and encoding; NULL = rbp_dataset_options_init defaults
 * @return RBP_OK, RBP_ERR_IO, RBP_ERR_FORMAT ("file:line: ..."), RBP_ERR_INVALID_ARG or RBP_ERR_NOMEM
 */
RBP_API rbp_status rbp_dataset_load(rbp_dataset **out, const char *path, const rbp_dataset_options *opt);

/** GraphProt style: two FASTA files (headers are ids only); label 1 for every record of
 * `positives`, 0 for `negatives`, positives first. T is the longest record of both. */
RBP_API rbp_status rbp_dataset_load_pair(rbp_dataset **out, const char *positives, const char *negatives,
                                         const rbp_dataset_options *opt);

/**
 * Build a dataset from in-memory sequences (ACGTUN..., any case) and targets (may be NULL:
 * all 0). `ids` may be NULL (ids become "seq1", "seq2", ...). Strings are copied. Encoding,
 * options and errors as for files (the "file" of a message is "sequences[i]").
 */
RBP_API rbp_status rbp_dataset_from_strings(rbp_dataset **out, const char *const *sequences,
                                            const float *targets, const char *const *ids, size_t n,
                                            const rbp_dataset_options *opt);

/** Free the dataset; NULL is ignored. */
RBP_API void rbp_dataset_free(rbp_dataset *ds);

/** Number of records. A NULL `ds` gives 0 (and sets rbp_last_error), as do the other accessors
 * below (NULL for pointers). */
RBP_API size_t rbp_dataset_size(const rbp_dataset *ds);
/** Model length T: positions per row. */
RBP_API int32_t rbp_dataset_length(const rbp_dataset *ds);
/** 1 if the dataset has a structure channel, else 0. */
RBP_API int32_t rbp_dataset_has_structure(const rbp_dataset *ds);

/** The tokens (RBP_TOK_*), (n, T) row-major. This and the views below are borrowed from the
 * dataset and valid until rbp_dataset_free. */
RBP_API const uint8_t *rbp_dataset_tokens(const rbp_dataset *ds);
/** The mask, (n, T): 1 = real position, 0 = padding. */
RBP_API const uint8_t *rbp_dataset_mask(const rbp_dataset *ds);
/** The structure tokens (RBP_STRUCT_*), (n, T); NULL without a structure channel. */
RBP_API const uint8_t *rbp_dataset_structure(const rbp_dataset *ds);
/** The viewpoint flags, (n, T): 1 = viewpoint position (see the encoding notes above). */
RBP_API const uint8_t *rbp_dataset_viewpoint(const rbp_dataset *ds);
/** The targets, (n). */
RBP_API const float *rbp_dataset_targets(const rbp_dataset *ds);
/** The id of record `i`; NULL (with rbp_last_error naming the row) for i >= rbp_dataset_size(ds). */
RBP_API const char *rbp_dataset_id(const rbp_dataset *ds, size_t i);
/** Number of records with target > 0.5 (positives of a classification set). */
RBP_API size_t rbp_dataset_count_positive(const rbp_dataset *ds);

/**
 * A new dataset holding rows idx[0..n) of `ds` (copied, in that order; repeats allowed).
 * n == 0 or an index out of range -> RBP_ERR_INVALID_ARG.
 */
RBP_API rbp_status rbp_dataset_subset(rbp_dataset **out, const rbp_dataset *ds, const size_t *idx, size_t n);

/**
 * Seeded split into train / validation / test by fractions (train_frac + val_frac <= 1; the
 * rest is test). `stratify` != 0 keeps the positive fraction in each part (targets > 0.5 vs
 * not). Any out pointer may be NULL to skip that part; a part that would come out empty, or
 * (stratified) without one of the classes, is an error. Default of the study: 0.66 / 0 / 0.34.
 * Per class of m rows (all rows when not stratified): a Fisher-Yates shuffle seeded by
 * `seed`, then round(train_frac*m) rows to train, round(val_frac*m) to validation, the rest
 * to test. Each part keeps the rows in the order of `ds`. Same seed -> same split.
 */
RBP_API rbp_status rbp_dataset_split(const rbp_dataset *ds, double train_frac, double val_frac, uint64_t seed,
                                     int32_t stratify, rbp_dataset **train, rbp_dataset **val,
                                     rbp_dataset **test);

/* ---------------------------------------------------------------- streaming */

/**
 * A reader streams a file in chunks: each rbp_reader_next encodes up to `max_records`
 * records into a dataset owned by the reader, so memory is bounded by the chunk, not the
 * file. It is the same reader rbp_dataset_load uses (which reads to the end in one chunk):
 * same formats and format detection, encoding rules (options), record ids and
 * "<file>:<line>: ..." errors. Differences: an input without records is not an error (the
 * first rbp_reader_next returns 0), and with options.length == 0 each chunk's T is its own
 * longest record (set options.length to the model's T for fixed-width chunks).
 * affinity_path (RNAcompete) is read in lockstep as for rbp_dataset_load.
 *
 * The options (strings included) and the path are copied: they need not outlive the call.
 * One reader is used by one thread at a time; readers are independent of each other.
 */
typedef struct rbp_reader rbp_reader;

/** Open `path` ("-" = standard input). Opening reads the first line when the format must be
 * sniffed, so a missing file, an unknown column layout or bad options fail here. */
RBP_API rbp_status rbp_reader_open(rbp_reader **out, const char *path, const rbp_dataset_options *opt);
/** Read a caller's stream from its current position (plain or gzip, detected from the first
 * bytes; stdio buffering is respected). `fp` is not closed by rbp_reader_free and must stay
 * open until then. `name` (may be NULL: "<stream>") names it in messages and, when it has a
 * known extension, gives the format under RBP_FORMAT_AUTO; otherwise the content does. */
RBP_API rbp_status rbp_reader_open_file(rbp_reader **out, FILE *fp, const char *name,
                                        const rbp_dataset_options *opt);
/** GraphProt pair: the records of `positives` (label 1), then those of `negatives` (label 0). */
RBP_API rbp_status rbp_reader_open_pair(rbp_reader **out, const char *positives, const char *negatives,
                                        const rbp_dataset_options *opt);
/**
 * The next chunk: *chunk points to a dataset of 1..max_records rows (ids, targets, encoded
 * rows as from rbp_dataset_load), borrowed from the reader and valid until the next call or
 * rbp_reader_free (do not free it). Returns 1 with a chunk, 0 at the end of the input (and
 * on every later call), or a negative rbp_status (*chunk NULL; the error names file and
 * line; every later call fails the same way). The reader's buffers grow to the largest chunk
 * and are reused, so a stream of similar chunks allocates nothing after the first.
 */
RBP_API int32_t rbp_reader_next(rbp_reader *r, size_t max_records, const rbp_dataset **chunk);
/** The format being read (an rbp_format, never AUTO), or a negative rbp_status for NULL. */
RBP_API int32_t rbp_reader_format(const rbp_reader *r);
/** Records returned so far; 0 for NULL. */
RBP_API uint64_t rbp_reader_count(const rbp_reader *r);
/** The longest record returned so far, before truncation (positions); 0 for NULL. */
RBP_API int64_t rbp_reader_longest(const rbp_reader *r);
/** Fraction of the input consumed (compressed bytes for gzip) in [0, 1], or -1 when unknown
 * (pipes, standard input, NULL). */
RBP_API double rbp_reader_progress(const rbp_reader *r);
/** Close the reader (and its file, unless rbp_reader_open_file's); NULL is ignored. */
RBP_API void rbp_reader_free(rbp_reader *r);

/* ---------------------------------------------------------------- batches */

/** A mini-batch view. All pointers are borrowed from the batcher (or the caller) and valid
 * until the next rbp_batcher_next. Arrays are (size, length) row-major. */
typedef struct rbp_batch {
    int32_t size;              /**< B: rows in this batch (the last one may be short) */
    int32_t length;            /**< T */
    const uint8_t *tokens;     /**< (B,T) RBP_TOK_* */
    const uint8_t *mask;       /**< (B,T) 1 = real position */
    const uint8_t *structure;  /**< (B,T) RBP_STRUCT_* or NULL */
    const uint8_t *viewpoint;  /**< (B,T) 0/1 or NULL */
    const float *targets;      /**< (B) */
    const size_t *index;       /**< (B) row of each example in the dataset, or NULL */
} rbp_batch;

/** Iterator over a dataset in mini-batches, shuffled per epoch (opaque). */
typedef struct rbp_batcher rbp_batcher;

/**
 * Iterate over `ds` in mini-batches of `batch_size`. shuffle != 0 draws a new permutation per
 * epoch from (seed, epoch) alone (Fisher-Yates driven by splitmix64), so an epoch's order
 * does not depend on the epochs before it; drop_last != 0 skips a short final batch (then
 * batch_size > rows is an error). All buffers are allocated here; rbp_batcher_next never
 * allocates. `ds` must outlive the batcher. The batcher starts at epoch 0.
 */
RBP_API rbp_status rbp_batcher_create(rbp_batcher **out, const rbp_dataset *ds, int32_t batch_size,
                                      int32_t shuffle, int32_t drop_last, uint64_t seed);
/** Free the batcher (not its dataset); NULL is ignored. */
RBP_API void rbp_batcher_free(rbp_batcher *b);
/** Start epoch `epoch` (re-shuffles deterministically from (seed, epoch)). */
RBP_API rbp_status rbp_batcher_reset(rbp_batcher *b, int64_t epoch);
/** Fill *batch with the next batch; returns 1 when a batch was produced, 0 at the end of the
 * epoch (and on every later call until rbp_batcher_reset), or a negative rbp_status on
 * error. Without shuffling the batch points into the dataset itself. */
RBP_API int32_t rbp_batcher_next(rbp_batcher *b, rbp_batch *batch);
/** Batches per epoch (a negative rbp_status for a NULL batcher). */
RBP_API int64_t rbp_batcher_num_batches(const rbp_batcher *b);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_DATASET_H */
