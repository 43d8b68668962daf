/*
 * genome/seqio.h - sequence files for the scanning programs (rbpattn-scan, rbpattn-mutate):
 * FASTA of any record length streamed in pieces (plain or gzip, '-' = stdin), genomes with
 * or without a .fai index, BED regions, genomic coordinates in FASTA headers, reverse
 * complements, and text outputs that are gzip-compressed when their name ends in .gz and
 * always written atomically (cli_open_output). Program helpers: they print and exit on error.
 */
#ifndef RBPATTN_SEQIO_H
#define RBPATTN_SEQIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------- outputs */

typedef struct seq_out seq_out;
/* Open `path` ("-" = stdout) through cli_open_output; gzip when it ends in ".gz". */
seq_out *seq_out_open(const char *path);
void seq_out_printf(seq_out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void seq_out_write(seq_out *o, const char *s, size_t n);
/* Finish and put in place (exits on a write error, leaving the old file). NULL is fine. */
void seq_out_close(seq_out *o);

/* ---------------------------------------------------------------- FASTA streaming */

typedef struct fa_reader fa_reader;
fa_reader *fa_open(const char *path); /* exits when it cannot be opened */
/* Next record: 1 with *header (the line after '>', trimmed; valid until the next call), 0 at
 * the end. Text before the first '>' is an error. */
int fa_next(fa_reader *r, const char **header);
/* Up to `cap` letters of the current record (line breaks and blanks removed); 0 at its end. */
size_t fa_read(fa_reader *r, char *buf, size_t cap);
/* Fraction of the file read, or -1 when unknown (stdin, pipes). */
double fa_progress(const fa_reader *r);
const char *fa_name(const fa_reader *r);
void fa_close(fa_reader *r);

/* ---------------------------------------------------------------- coordinates */

/* Where a sequence lies: a record id with 0-based positions, or a genomic region. */
typedef struct seq_region {
    char chrom[256];
    int64_t start, end; /* 0-based half-open; end = -1 when unknown (plain record id) */
    char strand;        /* '+', '-' or '.' */
    char name[256];     /* BED name or record id */
} seq_region;

/* From a FASTA header: "chr1:100-200(+)", "chr1:100-200" or bedtools' "name::chr1:100-200(-)"
 * as the first word give the region; anything else is the record id at position 0. */
void seq_region_from_header(seq_region *g, const char *header);
/* Genomic coordinate of sequence position i (reversed on the minus strand). */
int64_t seq_region_coord(const seq_region *g, int64_t i);

/* Reverse complement in place (any case kept; U and T both become A, A becomes U when the
 * sequence has a U else T; IUPAC codes become N). */
void seq_revcomp(char *s, size_t n);

/* ---------------------------------------------------------------- genomes and BED */

typedef struct genome genome;
/* Open a genome FASTA: with "<path>.fai" next to a plain (not gzip) file, regions are read
 * from disk by offset; otherwise records are read once, in file order, one at a time. */
genome *genome_open(const char *path);
int genome_indexed(const genome *g);
/* Indexed: length of `chrom`, or -1 if the index does not have it. */
int64_t genome_length(const genome *g, const char *chrom);
/* Indexed: [start, end) of chrom into buf (end - start + 1 bytes); exits on a read error. */
void genome_fetch(genome *g, const char *chrom, int64_t start, int64_t end, char *buf);
/* Not indexed: load the next record whole; returns its name (first word), NULL at the end;
 * *seq / *len stay valid until the next call. */
const char *genome_next_record(genome *g, const char **seq, int64_t *len);
void genome_close(genome *g);

typedef struct bed_region {
    seq_region r;
    int64_t line; /* line in the BED file */
} bed_region;
/* All regions of a BED3/BED6(+) file ("track", "browser" and '#' lines skipped); a malformed
 * line exits with its line number. */
bed_region *bed_read(const char *path, size_t *n);

#endif /* RBPATTN_SEQIO_H */
