/*
 * data/stream.c - the public rbp_reader: the source of formats.c (the one rbp_dataset_load
 * reads to its end) read a chunk at a time into a dataset that the reader owns and reuses.
 *
 * The chunk's arrays, the builder's arena and the source's line buffer only grow, to the
 * largest chunk and the longest line, so memory is bounded by the chunk size whatever the
 * size of the input, and a steady stream allocates nothing per chunk.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "data/data_internal.h"
#include "data/formats.h"

#define NOWNED 9

struct rbp_reader {
    rbp_dataset_options opt;   /* a copy; its strings point into owned[] */
    char *owned[NOWNED];       /* copies of the option strings and paths */
    int nowned;
    rbp__source *src;
    rbp__builder b;
    rbp_dataset chunk;         /* arrays reused from chunk to chunk */
    size_t cap_rows, cap_cells, cap_ids;
    uint64_t count;
    int64_t longest;
    int ended;
    rbp_status failed;         /* sticky: a reader that failed keeps failing */
    char message[512];
};

static rbp_status own(rbp_reader *r, const char **s)
{
    if (!*s)
        return RBP_OK;
    size_t n = strlen(*s) + 1;
    char *p = rbp__malloc(n);
    if (!p)
        return rbp__oom();
    memcpy(p, *s, n);
    r->owned[r->nowned++] = p;
    *s = p;
    return RBP_OK;
}

void rbp_reader_free(rbp_reader *r)
{
    if (!r)
        return;
    rbp__source_close(r->src);
    rbp__builder_free(&r->b);
    rbp__free(r->chunk.tokens);
    rbp__free(r->chunk.mask);
    rbp__free(r->chunk.viewpoint);
    rbp__free(r->chunk.structure);
    rbp__free(r->chunk.targets);
    rbp__free(r->chunk.id_off);
    rbp__free(r->chunk.ids);
    for (int i = 0; i < r->nowned; i++)
        rbp__free(r->owned[i]);
    rbp__free(r);
}

static rbp_status open_reader(rbp_reader **out, const char *path, FILE *fp, const char *negatives,
                              const rbp_dataset_options *opt, const char *fn)
{
    rbp_dataset_options defaults;
    RBP_TRY(rbp__resolve_options(opt, &defaults, &opt, fn));
    rbp_reader *r = rbp__calloc(1, sizeof *r);
    if (!r)
        return rbp__oom();
    r->opt = *opt;
    rbp_status st = RBP_OK;
    const char **strs[] = {&r->opt.sequence_column, &r->opt.structure_column, &r->opt.target_column,
                           &r->opt.label_key,       &r->opt.affinity_path,    &r->opt.id_column,
                           &path,                   &negatives};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0] && st == RBP_OK; i++)
        st = own(r, strs[i]);
    if (st == RBP_OK)
        st = rbp__source_open(&r->src, &r->opt, path, fp, negatives, 0, fn);
    if (st != RBP_OK) {
        rbp_reader_free(r);
        return st;
    }
    rbp__builder_init(&r->b, &r->opt, rbp__source_has_structure(r->src));
    *out = r;
    return RBP_OK;
}

rbp_status rbp_reader_open(rbp_reader **out, const char *path, const rbp_dataset_options *opt)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(path);
    return open_reader(out, path, NULL, NULL, opt, __func__);
}

rbp_status rbp_reader_open_file(rbp_reader **out, FILE *fp, const char *name, const rbp_dataset_options *opt)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(fp);
    return open_reader(out, name ? name : "<stream>", fp, NULL, opt, __func__);
}

rbp_status rbp_reader_open_pair(rbp_reader **out, const char *positives, const char *negatives,
                                const rbp_dataset_options *opt)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(positives);
    RBP_CHECK_NULL(negatives);
    return open_reader(out, positives, NULL, negatives, opt, __func__);
}

int32_t rbp_reader_next(rbp_reader *r, size_t max_records, const rbp_dataset **chunk)
{
    if (chunk)
        *chunk = NULL;
    RBP_CHECK_NULL(r);
    RBP_CHECK_NULL(chunk);
    if (max_records == 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: max_records is 0", __func__);
    if (r->failed)
        return rbp__set_error(r->failed, "%s", r->message);
    if (r->ended)
        return 0;
    size_t added = 0;
    rbp_status st = rbp__source_read(r->src, &r->b, max_records, &added);
    if (st == RBP_OK && added == 0) {
        r->ended = 1;
        return 0;
    }
    int64_t longest = (int64_t)r->b.max_len;
    if (st == RBP_OK)
        st = rbp__builder_finish_into(&r->b, &r->chunk, &r->cap_rows, &r->cap_cells, &r->cap_ids);
    if (st != RBP_OK) {
        r->failed = st;
        snprintf(r->message, sizeof r->message, "%s", rbp_last_error());
        return st;
    }
    if (longest > r->longest)
        r->longest = longest;
    r->count += added;
    *chunk = &r->chunk;
    return 1;
}

int32_t rbp_reader_format(const rbp_reader *r)
{
    RBP_CHECK_NULL(r);
    return rbp__source_format(r->src);
}

uint64_t rbp_reader_count(const rbp_reader *r)
{
    if (!r) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'r' is NULL", __func__);
        return 0;
    }
    return r->count;
}

int64_t rbp_reader_longest(const rbp_reader *r)
{
    if (!r) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'r' is NULL", __func__);
        return 0;
    }
    return r->longest;
}

double rbp_reader_progress(const rbp_reader *r)
{
    if (!r) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'r' is NULL", __func__);
        return -1.0;
    }
    return rbp__source_progress(r->src);
}
