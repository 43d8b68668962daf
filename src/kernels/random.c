/*
 * kernels/random.c - the counter-based random number generator and dropout.
 *
 * There is no generator state: a number is a pure function of (seed, stream, index), so any
 * element of any mask can be produced by any thread in any order, and dropout masks are
 * recomputed in the backward pass instead of being stored. The function is the SplitMix64
 * output function (Steele, Lea & Flood 2014; the "Mix13" finaliser of Stafford) applied to
 * key(seed, stream) + (index + 1) * golden-ratio: every (seed, stream) pair selects an
 * independent-looking SplitMix64 sequence, and each value passes BigCrush-level tests.
 *
 * Dropout uses the two 32-bit halves of one 64-bit value for two consecutive elements
 * (element i uses value i/2, low half for even i, high half for odd i) and keeps an element
 * when its 32 bits are >= round(p * 2^32): an exact integer test, half the hashing work.
 */
#include <assert.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

#define GOLDEN 0x9e3779b97f4a7c15ull

RBP_INLINE uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The starting point of the (seed, stream) sequence: both words go through the mixer so that
 * nearby seeds and streams land far apart. */
static inline uint64_t stream_key(uint64_t seed, uint64_t stream)
{
    return mix64(mix64(seed ^ 0x6a09e667f3bcc909ull) + stream * 0xd1b54a32d192ed03ull + 0xbb67ae8584caa73bull);
}

uint64_t rbp__rng_u64(uint64_t seed, uint64_t stream, uint64_t index)
{
    return mix64(stream_key(seed, stream) + (index + 1) * GOLDEN);
}

float rbp__rng_uniform(uint64_t seed, uint64_t stream, uint64_t index)
{
    /* the top 24 bits: every value is an exact float in [0, 1) */
    return (float)(rbp__rng_u64(seed, stream, index) >> 40) * 0x1p-24f;
}

/* keep an element when its 32 random bits are >= threshold(p) */
static uint32_t drop_threshold(float p)
{
    double t = (double)p * 4294967296.0 + 0.5;
    return t >= 4294967295.0 ? 0xffffffffu : (uint32_t)t;
}

int rbp__dropout_keep(uint64_t seed, uint64_t stream, size_t i, float p)
{
    uint64_t u = rbp__rng_u64(seed, stream, (uint64_t)(i >> 1));
    uint32_t bits = (i & 1) ? (uint32_t)(u >> 32) : (uint32_t)u;
    return bits >= drop_threshold(p);
}

/* y[i] = keep(i) ? x[i] * s : 0; two elements per 64-bit draw. Separate loops for = and +=
 * keep the bodies branch-free so they vectorise. */
RBP_HOT
static void dropout_set(float *restrict y, const float *restrict x, size_t n, uint64_t key, uint32_t thr, float s)
{
    size_t i = 0;
    for (uint64_t j = 0; i + 1 < n; i += 2, j++) {
        const uint64_t u = mix64(key + (j + 1) * GOLDEN);
        y[i] = x[i] * ((uint32_t)u >= thr ? s : 0.0f);
        y[i + 1] = x[i + 1] * ((uint32_t)(u >> 32) >= thr ? s : 0.0f);
    }
    if (i < n) {
        const uint64_t u = mix64(key + ((uint64_t)(i >> 1) + 1) * GOLDEN);
        y[i] = x[i] * ((uint32_t)u >= thr ? s : 0.0f);
    }
}

/* in place: x[i] = keep(i) ? x[i] * s : 0 (one pointer, so the loop vectorises) */
RBP_HOT
static void dropout_inplace(float *restrict x, size_t n, uint64_t key, uint32_t thr, float s)
{
    size_t i = 0;
    for (uint64_t j = 0; i + 1 < n; i += 2, j++) {
        const uint64_t u = mix64(key + (j + 1) * GOLDEN);
        x[i] *= (uint32_t)u >= thr ? s : 0.0f;
        x[i + 1] *= (uint32_t)(u >> 32) >= thr ? s : 0.0f;
    }
    if (i < n) {
        const uint64_t u = mix64(key + ((uint64_t)(i >> 1) + 1) * GOLDEN);
        x[i] *= (uint32_t)u >= thr ? s : 0.0f;
    }
}

/* y[i] += keep(i) ? x[i] * s : 0 */
RBP_HOT
static void dropout_acc(float *restrict y, const float *restrict x, size_t n, uint64_t key, uint32_t thr, float s)
{
    size_t i = 0;
    for (uint64_t j = 0; i + 1 < n; i += 2, j++) {
        const uint64_t u = mix64(key + (j + 1) * GOLDEN);
        y[i] += x[i] * ((uint32_t)u >= thr ? s : 0.0f);
        y[i + 1] += x[i + 1] * ((uint32_t)(u >> 32) >= thr ? s : 0.0f);
    }
    if (i < n) {
        const uint64_t u = mix64(key + ((uint64_t)(i >> 1) + 1) * GOLDEN);
        y[i] += x[i] * ((uint32_t)u >= thr ? s : 0.0f);
    }
}

void rbp__dropout_forward(float *out, const float *inp, size_t n, float p, uint64_t seed, uint64_t stream)
{
    // inp (n) -> out (n); out may alias inp
    assert(p >= 0.0f && p < 1.0f);
    if (p == 0.0f) {
        if (out != inp)
            memmove(out, inp, n * sizeof(float));
        return;
    }
    if (out == inp)
        dropout_inplace(out, n, stream_key(seed, stream), drop_threshold(p), 1.0f / (1.0f - p));
    else
        dropout_set(out, inp, n, stream_key(seed, stream), drop_threshold(p), 1.0f / (1.0f - p));
}

void rbp__dropout_backward(float *dinp, const float *dout, size_t n, float p, uint64_t seed, uint64_t stream)
{
    // forward: out = keep ? inp / (1-p) : 0  ->  dinp += keep ? dout / (1-p) : 0
    assert(p >= 0.0f && p < 1.0f);
    if (p == 0.0f) {
        for (size_t i = 0; i < n; i++)
            dinp[i] += dout[i];
        return;
    }
    dropout_acc(dinp, dout, n, stream_key(seed, stream), drop_threshold(p), 1.0f / (1.0f - p));
}
