/*
 * kernels/fastmath.h - branch-free float helpers that the compiler can vectorise.
 *
 * glibc's expf is accurate but scalar; softmax calls it B*NH*T*T times per layer, which made
 * it the single most expensive step of a forward pass. rbp__expf below is the Cephes
 * polynomial (relative error ~2 ulp on the whole range) written without branches or calls so
 * that loops over it vectorise.
 */
#ifndef RBP_KERNELS_FASTMATH_H
#define RBP_KERNELS_FASTMATH_H

#include <stdint.h>
#include <string.h>

#include "kernels/simd.h"

/* e^x for x in [-87, 88]; 0 below -87 (e^-87 ~ 1.6e-38, next to FLT_MIN), e^88 above 88.
 * NaN gives NaN. Softmax only evaluates it at x <= 0. */
RBP_INLINE float rbp__expf(float x)
{
    const float hi = 88.0f, lo = -87.0f;
    /* NaN-safe clamp (a NaN becomes lo here, so the integer conversion below is defined) */
    float xc = x > lo ? x : lo;
    xc = xc < hi ? xc : hi;
    /* n = round(x / ln 2) with the 1.5 * 2^23 trick (exact for |n| < 2^22, no SSE4.1 needed) */
    const float magic = 12582912.0f;
    float fn = (xc * 1.44269504088896341f + magic) - magic;
    /* r = x - n ln2 in two steps (Cody-Waite) keeps r exact to float precision */
    float r = xc - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    /* scale by 2^n through the exponent bits; n is in [-126, 127] after clamping, so the
     * biased exponent n + 127 is a normal one */
    int32_t n = (int32_t)fn;
    uint32_t bits = (uint32_t)(n + 127) << 23;
    float pow2;
    memcpy(&pow2, &bits, sizeof pow2);
    y = y * pow2;
    y = x < lo ? 0.0f : y;
    return x == x ? y : x; /* NaN in, NaN out */
}


/*
 * rbp__expf on 8 or 16 lanes, the same operations in the same order (so bit-identical to the
 * scalar function), written with GCC vector extensions: GCC does not vectorise the scalar
 * version's loop by itself (the profile showed softmax's exp running scalar, ~20% of a
 * training step). Selects are bitwise because C has no vector ?:. The 16-lane form is one
 * instruction per step in the AVX-512 clones (25% faster than two 8-lane steps) and lowers to
 * two AVX2 or four SSE instructions elsewhere, with the same results.
 */
typedef float rbp__v8sf __attribute__((vector_size(32)));
typedef int32_t rbp__v8si __attribute__((vector_size(32)));
typedef float rbp__v16sf __attribute__((vector_size(64)));
typedef int32_t rbp__v16si __attribute__((vector_size(64)));
#define RBP__SELV(VF, VI, m, a, b) ((VF)(((VI)(a) & (m)) | ((VI)(b) & ~(m))))
#define RBP__SEL8(m, a, b) RBP__SELV(rbp__v8sf, rbp__v8si, m, a, b)
#define RBP__SEL16(m, a, b) RBP__SELV(rbp__v16sf, rbp__v16si, m, a, b)

/* *v = rbp__expf(*v) lane by lane, in registers (through a pointer: passing a vector by
 * value changes the ABI of the baseline clone) */
#define RBP__DEFINE_EXPFV(name, VF, VI)                                                                         \
    RBP_INLINE void name(VF *v)                                                                                 \
    {                                                                                                           \
        const VF x = *v, zero = {0};                                                                            \
        const VF hi = zero + 88.0f, lo = zero - 87.0f;                                                          \
        VF xc = RBP__SELV(VF, VI, x > lo, x, lo);                                                               \
        xc = RBP__SELV(VF, VI, xc < hi, xc, hi);                                                                \
        const float magic = 12582912.0f;                                                                        \
        VF fn = (xc * 1.44269504088896341f + magic) - magic;                                                    \
        VF r = xc - fn * 0.693359375f;                                                                          \
        r = r - fn * -2.12194440e-4f;                                                                           \
        VF q = r * 1.9875691500e-4f + 1.3981999507e-3f;                                                         \
        q = q * r + 8.3334519073e-3f;                                                                           \
        q = q * r + 4.1665795894e-2f;                                                                           \
        q = q * r + 1.6666665459e-1f;                                                                           \
        q = q * r + 5.0000001201e-1f;                                                                           \
        VF y = q * r * r + r + 1.0f;                                                                            \
        VI n = __builtin_convertvector(fn, VI);                                                                 \
        VI bits = (n + 127) << 23;                                                                              \
        VF pow2;                                                                                                \
        memcpy(&pow2, &bits, sizeof pow2);                                                                      \
        y = y * pow2;                                                                                           \
        y = RBP__SELV(VF, VI, x < lo, zero, y);                                                                 \
        *v = RBP__SELV(VF, VI, x == x, y, x);                                                                   \
    }
RBP__DEFINE_EXPFV(rbp__expf8v, rbp__v8sf, rbp__v8si)
RBP__DEFINE_EXPFV(rbp__expf16v, rbp__v16sf, rbp__v16si)

/* p[0..7] = rbp__expf(p[0..7]) */
RBP_INLINE void rbp__expf8(float *p)
{
    rbp__v8sf x;
    memcpy(&x, p, sizeof x);
    rbp__expf8v(&x);
    memcpy(p, &x, sizeof x);
}

#endif /* RBP_KERNELS_FASTMATH_H */
