/**
 * @file
 * rbpattn/metadata.h - typed key/value metadata carried by a model and saved with it (model
 * file format 3, docs/checkpoint.md): how its inputs were encoded, what it was trained on,
 * how well it did, and free keys of the user's ("protein", "cell_line", "experiment", ...).
 *
 * Keys are 1..RBP_META_KEY_MAX characters of [A-Za-z0-9_.-]; values are UTF-8 strings of at
 * most RBP_META_STRING_MAX bytes, 64-bit integers or doubles (NaN and infinities allowed: an
 * undefined metric is NaN). A model holds at most RBP_META_MAX_ENTRIES keys and RBP_META_BYTES_MAX
 * bytes of encoded metadata, of which the setters leave 4 keys and 4 KiB for the keys a save
 * adds (so a save never fails on full metadata); setting a key
 * replaces its value (and type). Keys are kept sorted (bytewise), so index order is stable.
 *
 * Metadata is not a weight: setting it on a loaded or trained model is allowed and changes
 * nothing the model computes. It is, however, a write: do it before the model is shared by
 * threads (reading is safe from any number of threads once nobody writes).
 *
 * Keys the library and the bundled programs write (see docs/checkpoint.md, "Metadata keys"):
 *   encoding.*  how sequences were read for training (rbp_model_meta_set_encoding), read back
 *               by rbp_dataset_options_from_model
 *   task, rbpattn.version, created   written by rbp_model_save / rbp_trainer_save
 *   train.*, test.*                  written by rbpattn-train (command, data, counts, metrics)
 */
#ifndef RBPATTN_METADATA_H
#define RBPATTN_METADATA_H

#include "rbpattn/common.h"
#include "rbpattn/dataset.h"
#include "rbpattn/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RBP_META_KEY_MAX 64          /**< bytes of a key */
#define RBP_META_STRING_MAX 65535    /**< bytes of a string value */
#define RBP_META_MAX_ENTRIES 256     /**< keys per model */
#define RBP_META_BYTES_MAX (1 << 20) /**< the whole table, encoded (docs/checkpoint.md) */

/** The only alphabet this version reads (encoding.alphabet): A C G, T and U as one token, N
 * and the IUPAC ambiguity codes as N, any other letter an error. */
#define RBP_META_ALPHABET "ACGU;T=U;IUPAC=N"

/** The type of a metadata value. */
typedef enum rbp_meta_type {
    RBP_META_NONE = 0, /**< no such key */
    RBP_META_STRING = 1,
    RBP_META_INT = 2,
    RBP_META_DOUBLE = 3
} rbp_meta_type;

/** @{ */
/** Set (add or replace) a key. Errors: RBP_ERR_INVALID_ARG for a NULL argument, a bad key, a
 * string that is too long or not UTF-8, or a full table (the message says which). */
RBP_API rbp_status rbp_model_meta_set_string(rbp_model *model, const char *key, const char *value);
RBP_API rbp_status rbp_model_meta_set_int(rbp_model *model, const char *key, int64_t value);
RBP_API rbp_status rbp_model_meta_set_double(rbp_model *model, const char *key, double value);
/** @} */
/** Remove a key; removing a key that is not there is not an error. */
RBP_API rbp_status rbp_model_meta_remove(rbp_model *model, const char *key);

/** Number of keys (0 for a NULL model, with rbp_last_error naming it). */
RBP_API size_t rbp_model_meta_count(const rbp_model *model);
/** The key at `index` in [0, count) (borrowed, valid until the model changes or is freed;
 * NULL out of range). */
RBP_API const char *rbp_model_meta_key(const rbp_model *model, size_t index);
/** Type of a key, RBP_META_NONE when absent (or on a NULL argument, with rbp_last_error set). */
RBP_API rbp_meta_type rbp_model_meta_type(const rbp_model *model, const char *key);

/** @{ */
/**
 * Typed reads. A missing key is RBP_ERR_INVALID_ARG ("no metadata key 'x'"), a key of another
 * type too, except that get_double also reads an integer. The string is borrowed (valid
 * until the key changes or the model is freed).
 */
RBP_API rbp_status rbp_model_meta_get_string(const rbp_model *model, const char *key, const char **value);
RBP_API rbp_status rbp_model_meta_get_int(const rbp_model *model, const char *key, int64_t *value);
RBP_API rbp_status rbp_model_meta_get_double(const rbp_model *model, const char *key, double *value);
/** @} */

/**
 * Record how the training inputs were encoded: encoding.length (the model's seq_len; a
 * non-zero opt->length must equal it), encoding.truncate, encoding.case_viewpoint,
 * encoding.alphabet (RBP_META_ALPHABET), encoding.label_key, and encoding.structure_column
 * when the model uses structure and opt names the column.
 */
RBP_API rbp_status rbp_model_meta_set_encoding(rbp_model *model, const rbp_dataset_options *opt);

/**
 * Reader options that encode data as the model's training data was: rbp_dataset_options_init
 * defaults, then length = seq_len and truncate, case_viewpoint, label_key and (if recorded)
 * structure_column from the encoding.* keys. A model without them (format 1 and 2 files, or
 * saved without rbp_model_meta_set_encoding) gets the defaults the programs used before
 * format 3: truncate RIGHT, case_viewpoint 1, label_key "class:". String fields are borrowed
 * from the model. An encoding this version cannot reproduce (another alphabet, an unknown
 * truncation) is RBP_ERR_FORMAT naming the key.
 */
RBP_API rbp_status rbp_dataset_options_from_model(rbp_dataset_options *opt, const rbp_model *model);

/** Format version of the file the model was loaded from (1, 2, 3), 0 for a model created in
 * memory (or a NULL model, with rbp_last_error set). */
RBP_API int32_t rbp_model_file_format(const rbp_model *model);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_METADATA_H */
