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

uint64_t rbp__splitmix64(uint64_t *state)
{
    return mix64(*state += GOLDEN);
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

/*
 * The loops below apply the mask to elements whose global indices are first .. first+n-1
 * (element k has index first + k), so a buffer can be processed in pieces with the same mask
 * as in one go. An odd first index is peeled off, and the pair counter of the main loop starts
 * at 0 with the key advanced instead (key + j0 * GOLDEN): loops of exactly this shape are the
 * ones the compiler vectorises.
 */
#define KEEP_LO(u) ((uint32_t)(u) >= thr ? s : 0.0f)
#define KEEP_HI(u) ((uint32_t)((u) >> 32) >= thr ? s : 0.0f)

typedef enum { DROP_SET, DROP_INPLACE, DROP_FACTORS } drop_mode;

/* pairs (2j, 2j+1) of y/x, j = 0.., drawing mix64(key + (j+1) * GOLDEN) */
/*
 * 8 pairs (16 elements) at once with GCC vector extensions, the same integer arithmetic as
 * mix64, so the masks are bit-identical to the scalar loop: GCC does not vectorise the
 * scalar loops (the profile had them at 15% of a training step). The eight 64-bit values,
 * viewed as sixteen 32-bit lanes on a little-endian machine, are exactly (low, high) per
 * pair, i.e. one lane per element. 64-byte vectors: one instruction per step (vpmullq) in the
 * AVX-512 clones, two in the AVX2 ones.
 */
typedef uint64_t v8du_ __attribute__((vector_size(64)));
typedef uint32_t v16su_ __attribute__((vector_size(64)));
typedef int32_t v16si_ __attribute__((vector_size(64)));
typedef float v16sf_ __attribute__((vector_size(64)));

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define RBP_DROP_VEC 1
/* factors (s or 0) of elements 2j .. 2j+15 (through a pointer: returning a vector changes
 * the ABI of the baseline clone) */
RBP_INLINE void keep16(v16sf_ *f, uint64_t key, uint64_t j, uint32_t thr, float s)
{
    const v8du_ idx = {j + 1, j + 2, j + 3, j + 4, j + 5, j + 6, j + 7, j + 8};
    v8du_ z = key + idx * GOLDEN;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z = z ^ (z >> 31);
    v16su_ bits;
    memcpy(&bits, &z, sizeof bits);
    const v16si_ m = (v16si_)(bits >= thr);
    const v16sf_ sv = (v16sf_){0} + s;
    *f = (v16sf_)((v16si_)sv & m);
}
#endif

/* y[i] = x[i] * factor (x != NULL) or factor itself (x == NULL) for the leading multiple of 16
 * elements; returns how many were done. y may equal x (each block is loaded before it is
 * stored). */
RBP_INLINE size_t pairs_vec(float *y, const float *x, size_t n, uint64_t key, uint32_t thr, float s)
{
    size_t i = 0;
#ifdef RBP_DROP_VEC
    for (uint64_t j = 0; i + 16 <= n; i += 16, j += 8) {
        v16sf_ v, f;
        keep16(&f, key, j, thr, s);
        if (x) {
            memcpy(&v, x + i, sizeof v);
            v = v * f;
        } else {
            v = f;
        }
        memcpy(y + i, &v, sizeof v);
    }
#else
    (void)y, (void)x, (void)n, (void)key, (void)thr, (void)s;
#endif
    return i;
}

RBP_HOT
static void pairs_set(float *restrict y, const float *restrict x, size_t n, uint64_t key, uint32_t thr, float s)
{
    size_t i = pairs_vec(y, x, n, key, thr, s);
    for (uint64_t j = i / 2; i + 1 < n; i += 2, j++) {
        const uint64_t u = mix64(key + (j + 1) * GOLDEN);
        y[i] = x[i] * KEEP_LO(u);
        y[i + 1] = x[i + 1] * KEEP_HI(u);
    }
    if (i < n)
        y[i] = x[i] * KEEP_LO(mix64(key + ((uint64_t)(i >> 1) + 1) * GOLDEN));
}

RBP_HOT
static void pairs_inplace(float *restrict x, size_t n, uint64_t key, uint32_t thr, float s)
{
    size_t i = pairs_vec(x, x, n, key, thr, s);
    for (uint64_t j = i / 2; i + 1 < n; i += 2, j++) {
        const uint64_t u = mix64(key + (j + 1) * GOLDEN);
        x[i] *= KEEP_LO(u);
        x[i + 1] *= KEEP_HI(u);
    }
    if (i < n)
        x[i] *= KEEP_LO(mix64(key + ((uint64_t)(i >> 1) + 1) * GOLDEN));
}

RBP_HOT
static void pairs_factors(float *restrict y, size_t n, uint64_t key, uint32_t thr, float s)
{
    size_t i = pairs_vec(y, NULL, n, key, thr, s);
    for (uint64_t j = i / 2; i + 1 < n; i += 2, j++) {
        const uint64_t u = mix64(key + (j + 1) * GOLDEN);
        y[i] = KEEP_LO(u);
        y[i + 1] = KEEP_HI(u);
    }
    if (i < n)
        y[i] = KEEP_LO(mix64(key + ((uint64_t)(i >> 1) + 1) * GOLDEN));
}

/* y = mask(first + k) * x[k] * s for k < n; y may equal x for DROP_INPLACE; x is not read
 * for DROP_FACTORS (y = the factors) */
static void dropout_apply(drop_mode mode, float *y, const float *x, size_t n, uint64_t first, float p,
                          uint64_t seed, uint64_t stream)
{
    const uint64_t key = stream_key(seed, stream);
    const uint32_t thr = drop_threshold(p);
    const float s = 1.0f / (1.0f - p);
    if ((first & 1) && n) { /* odd start: the high half of pair first/2 */
        const float k0 = KEEP_HI(mix64(key + ((first >> 1) + 1) * GOLDEN));
        y[0] = mode == DROP_FACTORS ? k0 : x[0] * k0;
        y++, n--, first++;
        if (mode != DROP_FACTORS)
            x++;
    }
    const uint64_t k2 = key + (first >> 1) * GOLDEN; /* pair first/2 becomes pair 0 */
    if (mode == DROP_INPLACE)
        pairs_inplace(y, n, k2, thr, s);
    else if (mode == DROP_FACTORS)
        pairs_factors(y, n, k2, thr, s);
    else
        pairs_set(y, x, n, k2, thr, s);
}

void rbp__dropout_range(float *out, const float *inp, size_t n, uint64_t first, float p, uint64_t seed,
                        uint64_t stream)
{
    // inp (n) -> out (n), element k masked as global index first + k; out may alias inp
    assert(p >= 0.0f && p < 1.0f);
    if (p == 0.0f) {
        if (out != inp)
            memmove(out, inp, n * sizeof(float));
        return;
    }
    dropout_apply(out == inp ? DROP_INPLACE : DROP_SET, out, inp, n, first, p, seed, stream);
}

void rbp__dropout_factors(float *out, size_t n, uint64_t first, float p, uint64_t seed, uint64_t stream)
{
    assert(p > 0.0f && p < 1.0f);
    dropout_apply(DROP_FACTORS, out, NULL, n, first, p, seed, stream);
}

void rbp__dropout_forward(float *out, const float *inp, size_t n, float p, uint64_t seed, uint64_t stream)
{
    // inp (n) -> out (n); out may alias inp
    rbp__dropout_range(out, inp, n, 0, p, seed, stream);
}
