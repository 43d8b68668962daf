/**
 * @file
 * rbpattn/motif.h - motifs out of a trained model: position weight matrices (PWMs) built from
 * the windows the model finds most important, a k-mer enrichment as a cross-check, a
 * TOMTOM-like comparison of two PWMs and the MEME minimal motif format (version 4).
 *
 * How rbp_motifs_discover works (docs in README, "Motifs"):
 *  1. Score the given sequences and keep the `top_sequences` highest-scoring ones.
 *  2. Importance of every position: gradient x input saliency (default) or attention rollout;
 *     window importance = sum over `width` positions, as a z-score over all windows.
 *  3. Foreground = the most important window of each sequence; background = all windows. The
 *     k-mer with the highest binomial z-score of foreground over background seeds the motif
 *     (so a mixture of two motifs is not averaged into one).
 *  4. EM-like realignment: every sequence is re-scanned with the PWM's log-odds (against the
 *     sequences' base composition) plus importance_weight * the window's importance z-score;
 *     its best window is a site when it scores at least site_threshold * the PWM's best
 *     possible log-odds (zero or one site per sequence); the PWM is rebuilt from the sites
 *     (plus pseudocounts); repeated until the sites stop changing or `iterations`.
 *  5. The sites' positions are masked and steps 3-4 repeat for the next motif.
 * Saliency is the default: it locates the motif more sharply than rollout (the planted 6-mer's
 * k-mer z-score 5.4 against 3.8 in tests/test_motif.c, which prints both; on RBP-31 QKI the top
 * motif's match 0.89 against 0.63, README "Motifs") and costs one backward pass per batch.
 *
 * Letters: the matrices have 4 columns per position in the order A C G U (T reads as U).
 */
#ifndef RBPATTN_MOTIF_H
#define RBPATTN_MOTIF_H

#include "rbpattn/common.h"
#include "rbpattn/dataset.h"
#include "rbpattn/session.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The widest motif (PWM columns). */
#define RBP_MOTIF_MAX_WIDTH 32
/** Size of rbp_motif.name, the terminating NUL included. */
#define RBP_MOTIF_NAME_MAX 64

/** Which per-position importance guides the motif search (rbp_motif_options.importance). */
typedef enum rbp_motif_importance {
    RBP_MOTIF_SALIENCY = 0, /**< gradient x input (rbp_session_saliency), signed */
    RBP_MOTIF_ROLLOUT = 1   /**< attention rollout importance (rbp_attention_rollout) */
} rbp_motif_importance;

/** The current version of rbp_motif_options. */
#define RBP_MOTIF_OPTIONS_VERSION 1

/** Options of rbp_motifs_discover. Defaults in brackets. */
typedef struct rbp_motif_options {
    uint32_t version;        /**< RBP_MOTIF_OPTIONS_VERSION */
    int32_t n_motifs;        /**< motifs to find, 1..32 [3]; fewer when sites run out */
    int32_t width;           /**< PWM columns, 4..RBP_MOTIF_MAX_WIDTH [8] */
    int32_t top_sequences;   /**< use the N highest-scoring sequences; 0 = all given [500] */
    int32_t importance;      /**< rbp_motif_importance [SALIENCY] */
    int32_t iterations;      /**< realignment rounds per motif, 1..1000 [20] */
    int32_t kmer_k;          /**< k of the seed and of the enrichment table, 3..min(8, width) [6] */
    int32_t n_kmers;         /**< rows of the enrichment table, 0..4096 [25] */
    int32_t min_sites;       /**< a motif with fewer sites ends the search, >= 2 [10] */
    int32_t batch_size;      /**< sequences per saliency / attention pass, 1..4096 [64] */
    float importance_weight; /**< weight of the importance z-score in the re-scan, >= 0 [1] */
    float site_threshold;    /**< site: score >= this * best log-odds, 0..1 [0.5] */
    float pseudocount;       /**< added to each letter's count per column, > 0 [0.25] */
    float rollout_residual;  /**< rollout's residual weight, 0..1 [0.5] */
} rbp_motif_options;

/** Fill `opt` with the defaults above. RBP_ERR_INVALID_ARG for NULL or an unknown version. */
RBP_API rbp_status rbp_motif_options_init(rbp_motif_options *opt, uint32_t version);

/** One site of a discovered motif: a window of one sequence. */
typedef struct rbp_motif_site {
    int32_t sequence; /**< row in the dataset given to rbp_motifs_discover */
    int32_t position; /**< 0-based start of the window in the encoded sequence */
    float score;      /**< log-odds + importance term at the end of the realignment */
} rbp_motif_site;

/** A motif: its position weight matrix and, when discovered, its sites. */
typedef struct rbp_motif {
    char name[RBP_MOTIF_NAME_MAX]; /**< "motif_1"..., or the MEME file's MOTIF identifier */
    int32_t width;                 /**< columns */
    float *pwm;                    /**< (width, 4) letter probabilities A C G U; rows sum to 1 */
    int32_t n_sites;               /**< sites it was built from (MEME nsites= when read) */
    rbp_motif_site *sites;         /**< n_sites entries; NULL for motifs read from a file */
    double information;            /**< bits: sum over columns of 2 + sum p log2 p */
    double importance;             /**< mean importance z-score of its sites (NaN if unknown) */
} rbp_motif;

/** One row of the enrichment table: a k-mer in the most important windows vs all windows. */
typedef struct rbp_motif_kmer {
    char kmer[9];      /**< k letters of ACGU, NUL-terminated */
    int32_t count;     /**< occurrences inside the most important window of each sequence */
    int32_t background; /**< occurrences in all windows of the sequences */
    double enrichment; /**< (count + 1) / (fg + 1) over (background + 1) / (bg + 1), fg/bg = totals */
    double z;          /**< binomial z-score of count against the background frequency */
} rbp_motif_kmer;

/** What rbp_motifs_discover found (or motifs read from a file); free with rbp_motif_set_free. */
typedef struct rbp_motif_set {
    int32_t n_motifs;       /**< entries of `motifs` */
    rbp_motif *motifs;      /**< owned */
    int32_t n_kmers;        /**< rows of `kmers` */
    rbp_motif_kmer *kmers;  /**< owned; sorted by z, highest first (0 rows for a file) */
    int32_t n_sequences;    /**< sequences searched (after the top_sequences cut) */
    int32_t *sequences;     /**< their rows in the dataset, highest score first (owned) */
    float *scores;          /**< their model logits (owned) */
} rbp_motif_set;

/**
 * Discover motifs in `ds` (rows `rows[0..n_rows)`, or all rows when rows is NULL) with the
 * model of `session` (whose sequence length must equal the dataset's). opt NULL = defaults.
 * *out receives a new set (free with rbp_motif_set_free). Deterministic for a given model,
 * data and options. Errors: RBP_ERR_INVALID_ARG (arguments, options out of range, no window
 * of `width` real positions), RBP_ERR_NOMEM, or the session's own errors.
 */
RBP_API rbp_status rbp_motifs_discover(rbp_motif_set **out, rbp_session *session, const rbp_dataset *ds,
                                       const size_t *rows, size_t n_rows, const rbp_motif_options *opt);

/** An empty set, to fill with rbp_motif_set_add. */
RBP_API rbp_status rbp_motif_set_create(rbp_motif_set **out);
/** Append a copy of `pwm` (width, 4; non-negative, each row is normalised to sum 1) named
 * `name` (at most RBP_MOTIF_NAME_MAX - 1 bytes, no blanks) with n_sites >= 0 and no sites. */
RBP_API rbp_status rbp_motif_set_add(rbp_motif_set *set, const char *name, const float *pwm, int32_t width,
                                     int32_t n_sites);
/** Free the set and everything it owns; NULL is ignored. */
RBP_API void rbp_motif_set_free(rbp_motif_set *set);

/**
 * Consensus of a motif into buf (width + 1 bytes at least): per column the letter whose
 * probability is >= 0.5 and twice the second's; else the IUPAC code of the two most probable
 * letters when they hold >= 0.75 (R = A/G, Y = C/U, S, W, K, M); else 'N'.
 */
RBP_API rbp_status rbp_motif_consensus(const rbp_motif *m, char *buf, size_t cap);

/** A comparison of two motifs at their best offset. */
typedef struct rbp_motif_match {
    int32_t offset;     /**< column of `a` that column 0 of `b` lies on (may be negative) */
    int32_t overlap;    /**< columns paired at that offset */
    double correlation; /**< score in [-1, 1], see rbp_motif_compare */
} rbp_motif_match;

/**
 * Column-correlation comparison, like TOMTOM's Pearson correlation coefficient distance but
 * without its p-values: for every offset the paired columns' Pearson correlations (over the
 * 4 letter probabilities) are summed and divided by the number of columns of the shorter
 * motif, so columns of the shorter one left without a partner count 0 and a short overlap
 * cannot win by luck. Pairs where either column is uniform (no variance, like the 'n' of
 * UGUAnAUA) are left out of both sum and count. The best offset wins (ties: smaller |offset|).
 */
RBP_API rbp_status rbp_motif_compare(const rbp_motif *a, const rbp_motif *b, rbp_motif_match *out);

/** The motif of `known` that matches `m` best: its index (-1 when `known` is empty) and match. */
RBP_API rbp_status rbp_motif_best_match(const rbp_motif *m, const rbp_motif_set *known, int32_t *index,
                                        rbp_motif_match *out);

/**
 * MEME minimal motif format, version 4 (what TOMTOM, FIMO and the MEME suite read): the RNA
 * alphabet "ACGU", uniform background, one "MOTIF <name> <consensus>" block with a
 * letter-probability matrix (6 decimals) per motif. Written through rbp_atomic_file.
 */
RBP_API rbp_status rbp_motif_write_meme(const rbp_motif_set *set, const char *path);

/**
 * Read a MEME motif file (version 4 minimal format or a full MEME output): ALPHABET ACGU or
 * ACGT (DNA files are read as RNA), every MOTIF with its letter-probability matrix (alength=
 * must be 4; w= and nsites= are optional; rows are normalised). Errors name the file and line.
 */
RBP_API rbp_status rbp_motif_read_meme(rbp_motif_set **out, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_MOTIF_H */
