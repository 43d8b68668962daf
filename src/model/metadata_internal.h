/*
 * model/metadata_internal.h - the metadata store behind rbpattn/metadata.h and its byte
 * encoding in format-3 checkpoints (docs/checkpoint.md, "Metadata block"). The checkpoint
 * layer encodes and decodes blocks; the model holds one store (NULL = empty).
 */
#ifndef RBP_MODEL_METADATA_INTERNAL_H
#define RBP_MODEL_METADATA_INTERNAL_H

#include "core/internal.h"
#include "rbpattn/metadata.h"

#define RBP__META_VERSION 1u

typedef struct rbp__meta rbp__meta;

/* An empty store. */
rbp_status rbp__meta_new(rbp__meta **out);
void rbp__meta_free(rbp__meta *m);
/* A deep copy (*out = NULL for a NULL or empty src). */
rbp_status rbp__meta_copy(rbp__meta **out, const rbp__meta *src);

/* The file format a model was loaded from (kept with its metadata; 0 = in memory). */
void rbp__meta_set_file_format(rbp__meta *m, int32_t format);

/* Bytes of the encoded block (8 for an empty or NULL store), and the encoding itself into
 * buf (that many bytes). */
size_t rbp__meta_encoded_size(const rbp__meta *m);
void rbp__meta_encode(const rbp__meta *m, uint8_t *buf);
/* Parse a block of n bytes; every count and length is checked against the bytes left, keys
 * and values as the setters check them, keys strictly ascending. RBP_ERR_FORMAT
 * "checkpoint 'PATH': corrupt file: metadata ..." on any inconsistency. *out is always a store. */
rbp_status rbp__meta_decode(rbp__meta **out, const uint8_t *buf, size_t n, const char *path);

/* The copy of a model's metadata a save writes: with task, rbpattn.version, created (if
 * absent) and encoding.length filled in from the model. */
rbp_status rbp__meta_for_save(rbp__meta **out, const rbp_model *model);

/* The model's store (defined in model.c; the model frees it). */
rbp__meta **rbp__model_meta(rbp_model *model);
const rbp__meta *rbp__model_meta_const(const rbp_model *model);

#endif /* RBP_MODEL_METADATA_INTERNAL_H */
