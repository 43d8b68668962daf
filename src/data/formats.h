/*
 * data/formats.h - the text parsers (formats.c). Each appends the records of one file to a
 * builder; the caller (dataset.c) picks the parser and finishes the builder.
 */
#ifndef RBP_DATA_FORMATS_H
#define RBP_DATA_FORMATS_H

#include "data/data_internal.h"

/* Where a FASTA record's target comes from. */
enum {
    RBP__LABEL_HEADER = 0, /* options.label_key in the header, else a number as its last word */
    RBP__LABEL_FIXED = 1,  /* one value for the whole file (GraphProt positives / negatives) */
    RBP__LABEL_AFFYS = 2   /* the .affys file, one value per line, read in lockstep */
};

rbp_status rbp__parse_fasta(rbp__builder *b, const char *path, int label_mode, float fixed_label,
                            const char *affys_path);
rbp_status rbp__parse_csv(rbp__builder *b, const char *path, char delim);
rbp_status rbp__parse_lines(rbp__builder *b, const char *path);

#endif /* RBP_DATA_FORMATS_H */
