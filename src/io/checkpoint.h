/*
 * io/checkpoint.h - the checkpoint file format (docs/checkpoint.md), below the model and
 * trainer APIs that use it: an explicit little-endian header, float32 arrays, a CRC32
 * trailer, atomic writes. Nothing here knows the model's internals, so the format can be
 * tested on its own.
 */
#ifndef RBP_IO_CHECKPOINT_H
#define RBP_IO_CHECKPOINT_H

#include <stdio.h>

#include "core/internal.h"
#include "model/metadata_internal.h"
#include "rbpattn/model.h"
#include "rbpattn/train.h"

#define RBP__CKPT_MAGIC "RBPM"
#define RBP__CKPT_FORMAT_VERSION 6u

/* flags */
#define RBP__CKPT_HAS_TRAINER 0x1u /* trainer block + Adam m and v arrays follow */
#define RBP__CKPT_HAS_BEST 0x2u    /* best-epoch weights follow (only with HAS_TRAINER) */
#define RBP__CKPT_HAS_EMA 0x4u     /* the weight average follows (format 5, only with HAS_TRAINER) */
#define RBP__CKPT_KNOWN_FLAGS (RBP__CKPT_HAS_TRAINER | RBP__CKPT_HAS_BEST | RBP__CKPT_HAS_EMA)

/* Header sizes of the current format (6): up to stem_pool, and with the trainer block (which
 * ends with ema_decay since format 5). */
#define RBP__CKPT_MODEL_HEADER_SIZE 108u
#define RBP__CKPT_TRAINER_HEADER_SIZE 220u
/* Format 5 (still read): no stem_pool; the model part ends after stem_filters. */
#define RBP__CKPT_V5_MODEL_HEADER_SIZE 104u
#define RBP__CKPT_V5_TRAINER_HEADER_SIZE 216u
/* Format 4 (still read): the trainer block ends before ema_decay. */
#define RBP__CKPT_V4_TRAINER_HEADER_SIZE 212u
/* Format 3 (still read): no stem_filters; header up to the metadata size. */
#define RBP__CKPT_V3_MODEL_HEADER_SIZE 100u
#define RBP__CKPT_V3_TRAINER_HEADER_SIZE 208u
/* Format 2 (still read): no metadata; header up to conv_kernel. */
#define RBP__CKPT_V2_MODEL_HEADER_SIZE 96u
#define RBP__CKPT_V2_TRAINER_HEADER_SIZE 204u
/* Format 1 (still read): no conv_kernel field, so everything after num_params is 4 bytes earlier. */
#define RBP__CKPT_V1_MODEL_HEADER_SIZE 92u
#define RBP__CKPT_V1_TRAINER_HEADER_SIZE 200u

/* What a trainer checkpoint adds to the model: everything needed to resume exactly. */
typedef struct rbp__ckpt_train {
    rbp_train_config cfg; /* the configuration training ran with (informational on load;
                             ema_decay 0 before format 5) */
    int64_t step;         /* optimizer steps taken */
    int32_t epoch;        /* epochs completed */
    int32_t best_epoch;   /* epoch (0-based) of the best monitored value; -1 = none yet */
    int32_t bad_epochs;   /* epochs since the best one (early-stopping counter) */
    double best_value;    /* best monitored value (NaN when best_epoch < 0) */
} rbp__ckpt_train;

typedef struct rbp__ckpt_header {
    uint32_t format_version; /* as read; format 1 files load with model.conv_kernel = 0. For
                                rbp__ckpt_write: 0 = current; 1 or 2 write that older layout
                                (only tests of the readers do) */
    uint32_t header_size;
    uint32_t flags;
    rbp_model_config model;
    uint64_t num_params;
    rbp__ckpt_train train; /* valid when flags & RBP__CKPT_HAS_TRAINER */
    /* Format 3: the metadata block. Writing: the store to encode (NULL = empty). Reading: the
     * decoded store (never NULL after a successful open), owned by the reader until a caller
     * takes it (sets the field to NULL); rbp__ckpt_close frees what is left. */
    rbp__meta *meta;
    uint64_t meta_size; /* bytes of the block as read (0 before format 3) */
    /* Set by rbp__ckpt_open: the first non-finite float of the arrays (array 0 params, 1 m,
     * 2 v, 3 best, 4 ema; -1 = every value finite) and its index; callers name the tensor. */
    int32_t bad_array;
    uint64_t bad_index;
    int32_t bad_negative;    /* the bad value is a negative Adam second moment, not NaN/Inf */
} rbp__ckpt_header;

/*
 * Write a checkpoint (always the current format) atomically (rbp_atomic_file: temporary file, fsync, rename,
 * fsync of the directory). h->format_version and h->header_size are filled in here; h->flags decides which
 * arrays are written: params always, m and v with HAS_TRAINER, best with HAS_BEST, ema with
 * HAS_EMA (each h->num_params floats). On failure the temporary file is removed and `path` is untouched.
 */
rbp_status rbp__ckpt_write(const char *path, const rbp__ckpt_header *h, const float *params, const float *m,
                           const float *v, const float *best, const float *ema);

/* An open, verified checkpoint positioned at its first array. */
typedef struct rbp__ckpt_reader {
    FILE *f;
    const char *path; /* borrowed from the caller of rbp__ckpt_open, for messages */
    rbp__ckpt_header h;
} rbp__ckpt_reader;

/*
 * Open `path` and verify it before anything is trusted: magic, format version (a newer one is
 * refused with "written by a newer rbpattn"), header size and flags, file size against the
 * header (and the metadata size, bounded by RBP_META_BYTES_MAX, before it is allocated), CRC32,
 * the metadata block, and the training configuration when present. The model configuration is
 * parsed but checked by the caller (rbp_model_config_check). Errors are RBP_ERR_IO (cannot
 * open/read) or RBP_ERR_FORMAT, with the path in the message; on failure nothing stays open.
 */
rbp_status rbp__ckpt_open(rbp__ckpt_reader *r, const char *path);

/* Read the arrays in file order into the given buffers (num_params floats each); NULL skips
 * one. m/v/best/ema must be NULL when the file lacks them. */
rbp_status rbp__ckpt_read_arrays(rbp__ckpt_reader *r, float *params, float *m, float *v, float *best, float *ema);

void rbp__ckpt_close(rbp__ckpt_reader *r);

/* "seq_len 40 vs 101"-style description of the first architecture field in which a and b
 * differ (the init seed is ignored), or NULL when they agree. Writes into buf. */
const char *rbp__ckpt_config_diff(const rbp_model_config *a, const rbp_model_config *b, char *buf, size_t cap);

/* RBP_ERR_FORMAT naming the tensor of `model` that holds r->h's first non-finite value
 * ("checkpoint 'P': non-finite value (NaN) in parameters tensor 'layers.qkv_w' [12]"), or
 * RBP_OK when every value is finite. (io/checkpoint_model.c) */
rbp_status rbp__ckpt_check_finite(const rbp__ckpt_reader *r, const rbp_model *model);

#endif /* RBP_IO_CHECKPOINT_H */
