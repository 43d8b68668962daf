/*
 * data/batcher.c - mini-batches over a dataset.
 *
 * The permutation of an epoch is a Fisher-Yates shuffle of the identity driven by splitmix64
 * seeded from (seed, epoch) alone, so epoch e is the same whatever happened before it (a run
 * resumed at epoch e sees the batches it would have seen). Shuffled rows are gathered into
 * buffers allocated once at create; without shuffling the batch points straight into the
 * dataset (rows are contiguous), so rbp_batcher_next never allocates either way.
 */
#include <string.h>

#include "core/internal.h"
#include "data/data_internal.h"

struct rbp_batcher {
    const rbp_dataset *ds; /* borrowed; must outlive the batcher */
    int32_t B;
    int32_t shuffle, drop_last;
    uint64_t seed;
    int64_t epoch;
    size_t pos;            /* next position in perm */
    size_t *perm;          /* (n) row order of this epoch */
    uint8_t *tokens, *mask, *structure, *viewpoint; /* (B,T) gather buffers (shuffle only) */
    float *targets;        /* (B) */
};

void rbp_batcher_free(rbp_batcher *b)
{
    if (!b)
        return;
    rbp__free(b->perm);
    rbp__free(b->tokens);
    rbp__free(b->mask);
    rbp__free(b->structure);
    rbp__free(b->viewpoint);
    rbp__free(b->targets);
    rbp__free(b);
}

rbp_status rbp_batcher_create(rbp_batcher **out, const rbp_dataset *ds, int32_t batch_size, int32_t shuffle,
                              int32_t drop_last, uint64_t seed)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(ds);
    if (batch_size < 1)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: batch_size is %d (must be >= 1)", __func__, (int)batch_size);
    if (drop_last && (size_t)batch_size > ds->n)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: batch_size %d is larger than the %zu rows and drop_last is "
                              "set: an epoch would have no batch", __func__, (int)batch_size, ds->n);
    rbp_batcher *b = rbp__calloc(1, sizeof *b);
    if (!b)
        return rbp__oom();
    b->ds = ds;
    /* A batch never holds more rows than the dataset. */
    b->B = (size_t)batch_size > ds->n ? (int32_t)ds->n : batch_size;
    b->shuffle = shuffle != 0;
    b->drop_last = drop_last != 0;
    b->seed = seed;
    b->perm = rbp__malloc(ds->n * sizeof *b->perm);
    int ok = b->perm != NULL;
    if (ok && b->shuffle) {
        size_t bt = (size_t)b->B * (size_t)ds->T;
        b->tokens = rbp__malloc(bt);
        b->mask = rbp__malloc(bt);
        b->viewpoint = rbp__malloc(bt);
        b->structure = ds->structure ? rbp__malloc(bt) : NULL;
        b->targets = rbp__malloc((size_t)b->B * sizeof *b->targets);
        ok = b->tokens && b->mask && b->viewpoint && (!ds->structure || b->structure) && b->targets;
    }
    if (!ok) {
        rbp_batcher_free(b);
        return rbp__oom();
    }
    rbp_batcher_reset(b, 0);
    *out = b;
    return RBP_OK;
}

rbp_status rbp_batcher_reset(rbp_batcher *b, int64_t epoch)
{
    RBP_CHECK_NULL(b);
    if (epoch < 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: epoch is %lld (must be >= 0)", __func__, (long long)epoch);
    size_t n = b->ds->n;
    for (size_t i = 0; i < n; i++)
        b->perm[i] = i;
    if (b->shuffle) {
        /* Mix seed and epoch so that neighbouring seeds / epochs give unrelated streams. */
        uint64_t e = (uint64_t)epoch ^ 0x6A09E667F3BCC909ull;
        uint64_t state = b->seed ^ rbp__splitmix64(&e);
        rbp__shuffle(b->perm, n, &state);
    }
    b->epoch = epoch;
    b->pos = 0;
    return RBP_OK;
}

int32_t rbp_batcher_next(rbp_batcher *b, rbp_batch *batch)
{
    RBP_CHECK_NULL(b);
    RBP_CHECK_NULL(batch);
    const rbp_dataset *ds = b->ds;
    size_t left = ds->n - b->pos;
    if (left == 0 || (b->drop_last && left < (size_t)b->B)) {
        b->pos = ds->n;
        return 0;
    }
    size_t bs = left < (size_t)b->B ? left : (size_t)b->B;
    size_t T = (size_t)ds->T;
    const size_t *rows = b->perm + b->pos;
    batch->size = (int32_t)bs;
    batch->length = ds->T;
    batch->index = rows;
    if (!b->shuffle) { /* rows pos..pos+bs are contiguous in the dataset */
        size_t r0 = rows[0];
        batch->tokens = ds->tokens + r0 * T;
        batch->mask = ds->mask + r0 * T;
        batch->viewpoint = ds->viewpoint + r0 * T;
        batch->structure = ds->structure ? ds->structure + r0 * T : NULL;
        batch->targets = ds->targets + r0;
    } else {
        for (size_t i = 0; i < bs; i++) {
            size_t r = rows[i];
            memcpy(b->tokens + i * T, ds->tokens + r * T, T);
            memcpy(b->mask + i * T, ds->mask + r * T, T);
            memcpy(b->viewpoint + i * T, ds->viewpoint + r * T, T);
            if (b->structure)
                memcpy(b->structure + i * T, ds->structure + r * T, T);
            b->targets[i] = ds->targets[r];
        }
        batch->tokens = b->tokens;
        batch->mask = b->mask;
        batch->viewpoint = b->viewpoint;
        batch->structure = b->structure;
        batch->targets = b->targets;
    }
    b->pos += bs;
    return 1;
}

int64_t rbp_batcher_num_batches(const rbp_batcher *b)
{
    RBP_CHECK_NULL(b);
    size_t n = b->ds->n, B = (size_t)b->B;
    return (int64_t)(b->drop_last ? n / B : (n + B - 1) / B);
}
