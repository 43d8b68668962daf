/*
 * data/formats.h - the text formats as one incremental source (formats.c). A source opens a
 * file, a caller's stream, stdin ("-") or a GraphProt pair, settles the format (extension,
 * else the first non-blank line) and appends up to N complete records at a time to a
 * builder. rbp_dataset_load reads it to the end into one builder; rbp_reader (stream.c)
 * reads it a chunk at a time. Both therefore parse, encode and report errors identically.
 */
#ifndef RBP_DATA_FORMATS_H
#define RBP_DATA_FORMATS_H

#include <stdio.h>

#include "data/data_internal.h"

typedef struct rbp__source rbp__source;

/*
 * Open a source. `opt` has been checked and must outlive the source (so must `path` and
 * `negatives`). Exactly one of: `path` (a file; "-" = stdin), `fp` (a stream, `path` then
 * names it in messages), or `path` + `negatives` (a GraphProt pair: labels 1 then 0).
 * strict != 0: a file without records is an error (rbp_dataset_load), else it is just
 * empty. `fn` prefixes argument errors.
 */
rbp_status rbp__source_open(rbp__source **out, const rbp_dataset_options *opt, const char *path, FILE *fp,
                            const char *negatives, int strict, const char *fn);
/* Append up to `max` records to `b`; *added = how many (0 only at the end of the input). */
rbp_status rbp__source_read(rbp__source *s, rbp__builder *b, size_t max, size_t *added);
/* The format being read (rbp_format, never AUTO), whether rows carry a structure channel,
 * and the fraction of the input consumed (-1 when unknown). */
int rbp__source_format(const rbp__source *s);
int32_t rbp__source_has_structure(const rbp__source *s);
double rbp__source_progress(const rbp__source *s);
void rbp__source_close(rbp__source *s);

#endif /* RBP_DATA_FORMATS_H */
