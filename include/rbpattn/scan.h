/**
 * @file
 * rbpattn/scan.h - scanning long sequences with a model: windows of the model's length slide
 * along a sequence with a step, are scored in batches through a session (its threads), and
 * the scores are reduced to a per-position track and to peaks; plus every single-nucleotide
 * substitution's effect on one sequence (a mutation map).
 *
 * Windows: for a sequence of N letters and a model of length L, windows start at 0, step,
 * 2*step, ... while they fit (start + L <= N), plus one window ending exactly at the end of
 * the sequence (start N - L) when the step does not land there, so every position is
 * covered. A sequence shorter than L is one window, padded on the right as in training.
 * The track value of a position is the maximum (or the mean) of the scores of the windows
 * covering it; scores are probabilities (classification), values (regression) or, with
 * options.logits, the raw logits.
 *
 * Encoding: A C G and T/U in either case (DNA reads as RNA); N and IUPAC codes are N;
 * blanks and line breaks are skipped; any other character is an error naming its position.
 * Lowercase letters (soft-masked genomes) are sequence like any other: every real position
 * is a viewpoint position (models trained with a viewpoint channel see windows as one-case
 * records). Models with a structure channel cannot scan (there is no structure to give).
 *
 * Memory and streaming: a scanner keeps only the letters of the windows not yet scored and
 * the track of the positions not yet final (about L + chunk_windows * step positions), so a
 * chromosome can be fed in pieces of any size. Track values, window scores and peaks are
 * handed to callbacks as soon as they are final, in increasing position order. Once the
 * first chunk was scored, feeding and scoring allocate nothing.
 *
 * Determinism: the windows of a sequence are cut into the same batches whatever the pieces
 * it is fed in and whatever the session's thread count, so the output is bit-identical.
 */
#ifndef RBPATTN_SCAN_H
#define RBPATTN_SCAN_H

#include "rbpattn/common.h"
#include "rbpattn/session.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the windows covering a position make its track value (rbp_scan_options.reduce). */
typedef enum rbp_scan_reduce {
    RBP_SCAN_REDUCE_MAX = 0, /**< a position gets the best window covering it */
    RBP_SCAN_REDUCE_MEAN = 1 /**< the mean over the windows covering it */
} rbp_scan_reduce;

/** The current version of rbp_scan_options. */
#define RBP_SCAN_OPTIONS_VERSION 1

/** Options of scanning (rbp_scanner_create, rbp_scan_sequence). */
typedef struct rbp_scan_options {
    uint32_t version;      /**< RBP_SCAN_OPTIONS_VERSION */
    int32_t step;          /**< window step in positions, 1..L (default 1) */
    int32_t reduce;        /**< rbp_scan_reduce (default MAX) */
    int32_t logits;        /**< 1: raw logits instead of probabilities / values (default 0) */
    int32_t batch_size;    /**< windows per forward pass (default 64: a session's workspace grows
                              with its batch, ~0.5 MB per 101-nt window for a small model) */
    int32_t chunk_windows; /**< windows scored per round, shared out among the session's
                              threads; >= batch_size (default 4096) */
    float peak_threshold;  /**< peaks: maximal runs of track values >= this (in the track's
                              unit: probabilities, or logits with `logits`); NaN = no peak
                              calling (default NaN) */
    int32_t peak_merge;    /**< runs separated by at most this many positions below the
                              threshold are one peak (default 0) */
} rbp_scan_options;

/** Fill `opt` with the defaults above. RBP_ERR_INVALID_ARG for NULL or an unknown version. */
RBP_API rbp_status rbp_scan_options_init(rbp_scan_options *opt, uint32_t version);

/** A peak in sequence positions (0-based, half-open [start, end)): `score` is the highest
 * track value in it and `summit` the middle of the first run of consecutive positions holding
 * that value (rounded down): under max reduction, the centre of the best window. */
typedef struct rbp_scan_peak {
    /** @{ */
    int64_t start, end, summit; /**< positions, see above */
    /** @} */
    float score;                /**< the highest track value in the peak */
} rbp_scan_peak;

/** Track callback: values of positions first .. first + n - 1. Callbacks return 0 to go on;
 * anything else stops the scan with RBP_ERR_CANCELLED (the callback may set its own message
 * with rbp_set_error first). Arrays are borrowed for the call. */
typedef int (*rbp_scan_track_fn)(void *ctx, int64_t first, const float *values, size_t n);
/** Windows callback: the scores of n windows by start position; returns as rbp_scan_track_fn. */
typedef int (*rbp_scan_windows_fn)(void *ctx, const int64_t *starts, const float *scores, size_t n);
/** Peak callback: one peak once it has ended; returns as rbp_scan_track_fn. */
typedef int (*rbp_scan_peak_fn)(void *ctx, const rbp_scan_peak *peak);

/** Streaming scanner of sequences of any length over one session (opaque). */
typedef struct rbp_scanner rbp_scanner;

/**
 * A scanner over `session` (borrowed; it must outlive the scanner and is used by the scanner
 * only during its calls). `opt` NULL = defaults. Callbacks (each may be NULL), all passed `ctx`:
 * `track` gets the final track values of positions first .. first + n - 1, `windows` the
 * scores of windows by start position, `peak` each peak once it has ended (only with a
 * finite opt->peak_threshold).
 */
RBP_API rbp_status rbp_scanner_create(rbp_scanner **out, rbp_session *session, const rbp_scan_options *opt,
                                      rbp_scan_track_fn track, rbp_scan_windows_fn windows, rbp_scan_peak_fn peak,
                                      void *ctx);
/** Free the scanner (not its session); NULL is ignored. */
RBP_API void rbp_scanner_free(rbp_scanner *sc);

/** Append `n` characters of the current sequence (any piece size). Windows are scored, and
 * callbacks called, as soon as a chunk of them is complete. A bad character is
 * RBP_ERR_FORMAT naming it and its position in the sequence. */
RBP_API rbp_status rbp_scanner_feed(rbp_scanner *sc, const char *text, size_t n);
/** End the current sequence: score the remaining windows, call back the rest of the track and
 * the last peak; the scanner is then ready for the next sequence (positions restart at 0).
 * An empty sequence produces nothing. */
RBP_API rbp_status rbp_scanner_finish(rbp_scanner *sc);
/** Drop the current sequence without scoring the rest (after an error, or to skip it). */
RBP_API rbp_status rbp_scanner_reset(rbp_scanner *sc);
/** Positions fed in the current sequence so far (< 0 for NULL). */
RBP_API int64_t rbp_scanner_position(const rbp_scanner *sc);

/** One sequence in memory: track (n values) as from a scanner (peaks are not called). */
RBP_API rbp_status rbp_scan_sequence(rbp_session *session, const char *seq, size_t n, const rbp_scan_options *opt,
                                     float *track);

/**
 * Mutation map of one sequence of 1..L letters (L = the model's length; shorter ones are
 * padded as in training): *ref_logit gets its logit and delta (n x 4, row = position,
 * columns A C G U) the logit of each single substitution minus *ref_logit (0 where the letter
 * is already that base). Blanks are not allowed here: n letters are n positions.
 * `batch_size` as for rbp_session_predict (the 4n + 1 variants are scored with its threads).
 */
RBP_API rbp_status rbp_mutation_map(rbp_session *session, const char *seq, size_t n, int32_t batch_size,
                                    float *ref_logit, float *delta);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_SCAN_H */
