/*
 * kernels/simd.h - run-time dispatch of the element-wise kernels to the widest vector ISA.
 *
 * The library is built for the baseline x86-64 (SSE2) so that one binary runs everywhere, but
 * the element-wise kernels (dropout masks, softmax, layer norm, activations) are several times
 * faster with AVX2 / AVX-512. RBP_HOT asks the compiler for clones of a function for
 * x86-64-v4 (AVX-512), x86-64-v3 (AVX2, FMA) and the baseline, with an ifunc resolver that
 * picks one at load time. The clones compute bit-identical results: ISO C mode does not
 * contract a*b+c into FMA, and every reduction uses the same explicit lane structure.
 *
 * Use RBP_HOT on STATIC functions only, called by a plain wrapper: GCC exports the ifunc of
 * a non-static clone from the shared library whatever its visibility (GCC bug), and only
 * rbp_* symbols may be exported.
 */
#ifndef RBP_KERNELS_SIMD_H
#define RBP_KERNELS_SIMD_H

/* GCC only: Clang 14 gives the ifunc resolvers of static clones global default visibility,
 * which would export them from the shared library. */
#if defined(__x86_64__) && defined(__ELF__) && defined(__linux__) && !defined(__AVX512F__) && \
    !defined(RBP_NO_TARGET_CLONES) && !defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 12
#define RBP_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RBP_HOT
#endif

/* Helpers called from RBP_HOT functions must be inlined into every clone: a call from an
 * AVX-512 clone into an SSE-compiled helper costs AVX/SSE transition stalls (measured: 5x
 * slower than not cloning at all). */
#if defined(__GNUC__)
#define RBP_INLINE static inline __attribute__((always_inline))
#else
#define RBP_INLINE static inline
#endif

#endif /* RBP_KERNELS_SIMD_H */
