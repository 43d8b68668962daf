/*
 * data/dataset.c - the public rbp_dataset: options, loading, in-memory construction,
 * accessors, subsets and the seeded, stratified train/validation/test split.
 *
 * Files are read through the incremental source of formats.c, to the end into one builder
 * (the same source rbp_reader in stream.c reads a chunk at a time).
 *
 * A dataset is immutable once built: (n, T) row-major uint8 arrays for tokens, mask,
 * viewpoint and (optionally) structure, a float target per row and the ids in one string
 * arena. Subsets and splits copy rows, so every dataset owns all of its memory.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "data/data_internal.h"
#include "data/formats.h"

/* ---------------------------------------------------------------- options */

rbp_status rbp_dataset_options_init(rbp_dataset_options *opt, uint32_t version)
{
    RBP_CHECK_NULL(opt);
    if (version != RBP_DATASET_OPTIONS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_dataset_options_init: unknown options version %u (this "
                              "library knows %d)", (unsigned)version, RBP_DATASET_OPTIONS_VERSION);
    memset(opt, 0, sizeof *opt);
    opt->version = RBP_DATASET_OPTIONS_VERSION;
    opt->format = RBP_FORMAT_AUTO;
    opt->length = 0;
    opt->truncate = RBP_TRUNCATE_RIGHT;
    opt->max_record_length = 100000;
    opt->sequence_column = "sequence";
    opt->structure_column = NULL;
    opt->target_column = "RKA";
    opt->delimiter = 0;
    opt->label_key = "class:";
    opt->affinity_path = NULL;
    opt->case_viewpoint = 1;
    opt->require_target = 1;
    opt->id_column = NULL;
    return RBP_OK;
}

/* Largest accepted max_record_length: keeps the line buffer of the reader (4x) sane. */
#define RBP__MAX_RECORD_CAP (1 << 28)

rbp_status rbp__dataset_options_check(const rbp_dataset_options *opt)
{
    if (opt->version != RBP_DATASET_OPTIONS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_dataset_options.version is %u, expected %d (initialise the options with "
                              "rbp_dataset_options_init)", (unsigned)opt->version, RBP_DATASET_OPTIONS_VERSION);
    if (opt->format < RBP_FORMAT_AUTO || opt->format > RBP_FORMAT_RNACOMPETE)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_dataset_options.format (--format) is %d (not an rbp_format)", (int)opt->format);
    if (opt->length < 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_dataset_options.length (--length) is %d (must be >= 0; 0 = longest record)",
                              (int)opt->length);
    if (opt->truncate < RBP_TRUNCATE_RIGHT || opt->truncate > RBP_TRUNCATE_ERROR)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_dataset_options.truncate (--truncate) is %d (not an rbp_truncate)",
                              (int)opt->truncate);
    if (opt->max_record_length < 1 || opt->max_record_length > RBP__MAX_RECORD_CAP)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_dataset_options.max_record_length (--max-length) is %d (must be in [1, %d])",
                              (int)opt->max_record_length, RBP__MAX_RECORD_CAP);
    if (opt->delimiter == '"' || opt->delimiter == '\n' || opt->delimiter == '\r')
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_dataset_options.delimiter cannot be a quote or a line break");
    if (opt->case_viewpoint != 0 && opt->case_viewpoint != 1)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_dataset_options.case_viewpoint (--[no-]case-viewpoint) is %d (must be 0 or 1)",
                              (int)opt->case_viewpoint);
    if (opt->require_target != 0 && opt->require_target != 1)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_dataset_options.require_target is %d (must be 0 or 1)",
                              (int)opt->require_target);
    if (opt->fasta_full_header != 0 && opt->fasta_full_header != 1)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "rbp_dataset_options.fasta_full_header (--full-header) is %d (must be 0 or 1)",
                              (int)opt->fasta_full_header);
    return RBP_OK;
}

rbp_status rbp__resolve_options(const rbp_dataset_options *opt, rbp_dataset_options *defaults,
                                const rbp_dataset_options **use, const char *fn)
{
    if (!opt) {
        rbp_dataset_options_init(defaults, RBP_DATASET_OPTIONS_VERSION);
        *use = defaults;
        return RBP_OK;
    }
    rbp_status st = rbp__dataset_options_check(opt);
    if (st != RBP_OK)
        return rbp__wrap_error(st, "%s", fn);
    *use = opt;
    return RBP_OK;
}

/* ---------------------------------------------------------------- loading */

/* A whole file is the reader's source read to its end into one builder (formats.c), so
 * loading and streaming share every parser, check and message. */
static rbp_status load(rbp_dataset **out, const rbp_dataset_options *opt, const char *path, const char *negatives,
                       const char *fn)
{
    rbp__source *src;
    RBP_TRY(rbp__source_open(&src, opt, path, NULL, negatives, 1, fn));
    rbp__builder b;
    rbp__builder_init(&b, opt, rbp__source_has_structure(src));
    size_t added;
    rbp_status st = rbp__source_read(src, &b, SIZE_MAX, &added);
    rbp__source_close(src);
    if (st != RBP_OK) {
        rbp__builder_free(&b);
        return st;
    }
    return rbp__builder_finish(&b, out);
}

rbp_status rbp_dataset_load(rbp_dataset **out, const char *path, const rbp_dataset_options *opt)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(path);
    rbp_dataset_options defaults;
    RBP_TRY(rbp__resolve_options(opt, &defaults, &opt, __func__));
    return load(out, opt, path, NULL, __func__);
}

rbp_status rbp_dataset_load_pair(rbp_dataset **out, const char *positives, const char *negatives,
                                 const rbp_dataset_options *opt)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(positives);
    RBP_CHECK_NULL(negatives);
    rbp_dataset_options defaults;
    RBP_TRY(rbp__resolve_options(opt, &defaults, &opt, __func__));
    return load(out, opt, positives, negatives, __func__);
}

rbp_status rbp_dataset_from_strings(rbp_dataset **out, const char *const *sequences, const float *targets,
                                    const char *const *ids, size_t n, const rbp_dataset_options *opt)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(sequences);
    if (n == 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n is 0 (a dataset needs at least one sequence)", __func__);
    rbp_dataset_options defaults;
    RBP_TRY(rbp__resolve_options(opt, &defaults, &opt, __func__));
    rbp__builder b;
    rbp__builder_init(&b, opt, 0);
    rbp_status st = RBP_OK;
    for (size_t i = 0; i < n && st == RBP_OK; i++) {
        char src[48], idbuf[32];
        snprintf(src, sizeof src, "sequences[%zu]", i);
        if (!sequences[i]) {
            st = rbp__set_error(RBP_ERR_INVALID_ARG, "%s: %s is NULL", __func__, src);
            break;
        }
        if (targets && !isfinite(targets[i])) {
            st = rbp__set_error(RBP_ERR_INVALID_ARG, "%s: targets[%zu] is not finite", __func__, i);
            break;
        }
        const char *id = idbuf;
        if (ids) {
            if (!ids[i]) {
                st = rbp__set_error(RBP_ERR_INVALID_ARG, "%s: ids[%zu] is NULL", __func__, i);
                break;
            }
            id = ids[i];
        } else {
            snprintf(idbuf, sizeof idbuf, "seq%zu", i + 1);
        }
        size_t len = strlen(sequences[i]);
        size_t off = b.raw_len;
        unsigned flags = 0;
        st = rbp__builder_append_seq(&b, sequences[i], len, &flags, 0, src, 0, id);
        if (st == RBP_OK)
            st = rbp__builder_end_record(&b, off, flags, targets ? targets[i] : 0.0f, id, strlen(id), src, 0);
    }
    if (st != RBP_OK) {
        rbp__builder_free(&b);
        return st;
    }
    return rbp__builder_finish(&b, out);
}

/* ---------------------------------------------------------------- lifetime, accessors */

rbp_status rbp__dataset_alloc(rbp_dataset **out, size_t n, int32_t T, int32_t has_structure, size_t ids_len)
{
    *out = NULL;
    size_t nt, nf;
    if (n == 0 || T <= 0 || rbp__mul_size(n, (size_t)T, &nt) || rbp__mul_size(n, sizeof(size_t), &nf))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "dataset of %zu rows of length %d is empty or too large", n,
                              (int)T);
    rbp_dataset *ds = rbp__calloc(1, sizeof *ds);
    if (!ds)
        return rbp__oom();
    ds->n = n;
    ds->T = T;
    ds->has_structure = has_structure;
    ds->tokens = rbp__malloc(nt);
    ds->mask = rbp__malloc(nt);
    ds->viewpoint = rbp__malloc(nt);
    ds->structure = has_structure ? rbp__malloc(nt) : NULL;
    ds->targets = rbp__malloc(n * sizeof *ds->targets);
    ds->id_off = rbp__malloc(nf);
    ds->ids = rbp__malloc(ids_len ? ids_len : 1);
    ds->ids_len = ids_len;
    if (!ds->tokens || !ds->mask || !ds->viewpoint || (has_structure && !ds->structure) || !ds->targets ||
        !ds->id_off || !ds->ids) {
        rbp_dataset_free(ds);
        return rbp__oom();
    }
    *out = ds;
    return RBP_OK;
}

void rbp_dataset_free(rbp_dataset *ds)
{
    if (!ds)
        return;
    rbp__free(ds->tokens);
    rbp__free(ds->mask);
    rbp__free(ds->viewpoint);
    rbp__free(ds->structure);
    rbp__free(ds->targets);
    rbp__free(ds->id_off);
    rbp__free(ds->ids);
    rbp__free(ds);
}

#define NULL_DS(fn, ret)                                                                        \
    do {                                                                                        \
        if (!ds) {                                                                              \
            rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'ds' is NULL", fn);               \
            return ret;                                                                         \
        }                                                                                       \
    } while (0)

size_t rbp_dataset_size(const rbp_dataset *ds)
{
    NULL_DS(__func__, 0);
    return ds->n;
}

int32_t rbp_dataset_length(const rbp_dataset *ds)
{
    NULL_DS(__func__, 0);
    return ds->T;
}

int32_t rbp_dataset_has_structure(const rbp_dataset *ds)
{
    NULL_DS(__func__, 0);
    return ds->has_structure;
}

const uint8_t *rbp_dataset_tokens(const rbp_dataset *ds)
{
    NULL_DS(__func__, NULL);
    return ds->tokens;
}

const uint8_t *rbp_dataset_mask(const rbp_dataset *ds)
{
    NULL_DS(__func__, NULL);
    return ds->mask;
}

const uint8_t *rbp_dataset_structure(const rbp_dataset *ds)
{
    NULL_DS(__func__, NULL);
    return ds->structure;
}

const uint8_t *rbp_dataset_viewpoint(const rbp_dataset *ds)
{
    NULL_DS(__func__, NULL);
    return ds->viewpoint;
}

const float *rbp_dataset_targets(const rbp_dataset *ds)
{
    NULL_DS(__func__, NULL);
    return ds->targets;
}

const char *rbp_dataset_id(const rbp_dataset *ds, size_t i)
{
    NULL_DS(__func__, NULL);
    if (i >= ds->n) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "%s: row %zu out of range (%zu rows)", __func__, i, ds->n);
        return NULL;
    }
    return ds->ids + ds->id_off[i];
}

size_t rbp_dataset_count_positive(const rbp_dataset *ds)
{
    NULL_DS(__func__, 0);
    size_t k = 0;
    for (size_t i = 0; i < ds->n; i++)
        k += ds->targets[i] > 0.5f;
    return k;
}

/* ---------------------------------------------------------------- subsets and splits */

/* Copy rows idx[0..n) (already validated) into a new dataset. */
static rbp_status gather(rbp_dataset **out, const rbp_dataset *ds, const size_t *idx, size_t n)
{
    size_t ids_len = 0;
    for (size_t i = 0; i < n; i++)
        ids_len += strlen(ds->ids + ds->id_off[idx[i]]) + 1;
    rbp_dataset *s;
    RBP_TRY(rbp__dataset_alloc(&s, n, ds->T, ds->has_structure, ids_len));
    size_t T = (size_t)ds->T, w = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = idx[i];
        memcpy(s->tokens + i * T, ds->tokens + r * T, T);
        memcpy(s->mask + i * T, ds->mask + r * T, T);
        memcpy(s->viewpoint + i * T, ds->viewpoint + r * T, T);
        if (ds->structure)
            memcpy(s->structure + i * T, ds->structure + r * T, T);
        s->targets[i] = ds->targets[r];
        const char *id = ds->ids + ds->id_off[r];
        size_t k = strlen(id) + 1;
        memcpy(s->ids + w, id, k);
        s->id_off[i] = w;
        w += k;
    }
    *out = s;
    return RBP_OK;
}

rbp_status rbp_dataset_subset(rbp_dataset **out, const rbp_dataset *ds, const size_t *idx, size_t n)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(ds);
    RBP_CHECK_NULL(idx);
    if (n == 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n is 0 (a dataset needs at least one row)", __func__);
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= ds->n)
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: idx[%zu] = %zu is out of range (the dataset has %zu rows)",
                                  __func__, i, idx[i], ds->n);
    return gather(out, ds, idx, n);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

rbp_status rbp_dataset_split(const rbp_dataset *ds, double train_frac, double val_frac, uint64_t seed,
                             int32_t stratify, rbp_dataset **train, rbp_dataset **val, rbp_dataset **test)
{
    if (train)
        *train = NULL;
    if (val)
        *val = NULL;
    if (test)
        *test = NULL;
    RBP_CHECK_NULL(ds);
    if (!train && !val && !test)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: train, val and test are all NULL", __func__);
    if (!(train_frac >= 0.0 && train_frac <= 1.0) || !(val_frac >= 0.0 && val_frac <= 1.0) ||
        train_frac + val_frac > 1.0 + 1e-9)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: train_frac %g and val_frac %g must be in [0, 1] with a sum "
                              "<= 1", __func__, train_frac, val_frac);
    size_t n = ds->n;
    size_t *order = rbp__malloc(n * sizeof *order);
    if (!order)
        return rbp__oom();
    /* Group by class (positives first) when stratifying, then shuffle each group. */
    size_t groups[2][2]; /* [g] = {start, count} in `order` */
    size_t npos = 0;
    int ngroups;
    if (stratify) {
        for (size_t i = 0; i < n; i++)
            if (ds->targets[i] > 0.5f)
                order[npos++] = i;
        size_t k = npos;
        for (size_t i = 0; i < n; i++)
            if (!(ds->targets[i] > 0.5f))
                order[k++] = i;
        groups[0][0] = 0;
        groups[0][1] = npos;
        groups[1][0] = npos;
        groups[1][1] = n - npos;
        ngroups = 2;
    } else {
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        groups[0][0] = 0;
        groups[0][1] = n;
        ngroups = 1;
    }
    uint64_t rng = seed;
    size_t cut[2][3]; /* per group: rows for train, val, test */
    size_t part_n[3] = {0, 0, 0};
    for (int g = 0; g < ngroups; g++) {
        size_t m = groups[g][1];
        rbp__shuffle(order + groups[g][0], m, &rng);
        size_t ntr = (size_t)floor(train_frac * (double)m + 0.5);
        size_t nva = (size_t)floor(val_frac * (double)m + 0.5);
        if (ntr > m)
            ntr = m;
        if (nva > m - ntr)
            nva = m - ntr;
        cut[g][0] = ntr;
        cut[g][1] = nva;
        cut[g][2] = m - ntr - nva;
        for (int p = 0; p < 3; p++)
            part_n[p] += cut[g][p];
    }
    static const char *names[3] = {"train", "validation", "test"};
    rbp_dataset **outs[3] = {train, val, test};
    rbp_status st = RBP_OK;
    for (int p = 0; p < 3 && st == RBP_OK; p++) {
        if (!outs[p])
            continue;
        if (part_n[p] == 0) {
            st = rbp__set_error(RBP_ERR_INVALID_ARG, "%s: the %s part would be empty (%zu rows, train_frac %g, "
                                "val_frac %g)", __func__, names[p], n, train_frac, val_frac);
            break;
        }
        if (stratify)
            for (int g = 0; g < 2; g++)
                if (cut[g][p] == 0) {
                    st = rbp__set_error(RBP_ERR_INVALID_ARG, "%s: the %s part would have no %s (%zu positives and %zu "
                                        "negatives in %zu rows, train_frac %g, val_frac %g)", __func__, names[p],
                                        g == 0 ? "positives" : "negatives", npos, n - npos, n, train_frac, val_frac);
                    break;
                }
    }
    /* Gather each part in the original row order (sorted indices), so parts keep file order. */
    size_t *idx = st == RBP_OK ? rbp__malloc(n * sizeof *idx) : NULL;
    if (st == RBP_OK && !idx)
        st = rbp__oom();
    for (int p = 0; p < 3 && st == RBP_OK; p++) {
        if (!outs[p])
            continue;
        size_t k = 0;
        for (int g = 0; g < ngroups; g++) {
            size_t start = groups[g][0];
            for (int q = 0; q < p; q++)
                start += cut[g][q];
            memcpy(idx + k, order + start, cut[g][p] * sizeof *idx);
            k += cut[g][p];
        }
        qsort(idx, k, sizeof *idx, cmp_size);
        st = gather(outs[p], ds, idx, k);
    }
    rbp__free(idx);
    rbp__free(order);
    if (st != RBP_OK)
        for (int p = 0; p < 3; p++)
            if (outs[p]) {
                rbp_dataset_free(*outs[p]);
                *outs[p] = NULL;
            }
    return st;
}
