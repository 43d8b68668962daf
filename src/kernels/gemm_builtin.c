/*
 * kernels/gemm_builtin.c - a small AVX-512 / AVX2 SGEMM used when the BLAS back-end is known
 * to run far below the machine (OpenBLAS built before the CPU existed falls back to its SSE3
 * "Prescott" kernels: ~30 GFLOP/s on a core that does ~160 with AVX-512).
 *
 * It is tuned for the shapes of this library (skinny token-by-feature products, M up to a few
 * thousand, N and K from 16 to a few hundred, plus K ~ 6464 for weight gradients of the flatten
 * head) and reaches about 60% of OpenBLAS's AVX-512 kernels, 2-3x its fallback kernels.
 * Register-blocked micro-kernel (MR rows x NR columns of C in vector registers), A read in
 * place (both layouts give contiguous or evenly strided scalars to broadcast), B read in
 * place when its NR columns are contiguous, else packed (transposed or ragged edge) into a
 * zero-padded panel on the stack. K is blocked by KC so the panel stays in L1/L2.
 *
 * The kernels are compiled with target attributes and selected by CPUID at run time; FMA
 * contraction is enabled for them only. Results are deterministic for a given machine (fixed
 * summation order) but not bit-identical to the BLAS path.
 */
#include <stdatomic.h>
#include <string.h>

#include "kernels/kernels.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 9
#define RBP_HAVE_BUILTIN_GEMM 1
#endif

#ifdef RBP_HAVE_BUILTIN_GEMM

#define KC 128

/*
 * One micro-kernel per ISA, from one template: C[0:m, 0:n] = alpha * A[0:m, 0:kc] B[0:kc, 0:NR]
 * + beta * C (beta == 0: C is not read). A(i, k) = A[i*a_rs + k*a_cs]; B row k holds NR
 * contiguous floats at B + k*ldb. Rows i >= m reuse row m-1 (results discarded), so the loads
 * stay in bounds without a separate edge kernel.
 */
#define DEFINE_KERNEL(NAME, TARGET, VT, VBYTES, LANES, MR_, NR_)                                             \
    typedef float VT __attribute__((vector_size(VBYTES)));                                                  \
    __attribute__((target(TARGET), optimize("fp-contract=fast"))) static void NAME(                        \
        int kc, const float *A, size_t a_rs, size_t a_cs, const float *B, size_t ldb, float *C, size_t ldc, \
        float alpha, float beta, int m, int n)                                                              \
    {                                                                                                       \
        enum { MR = MR_, NV = (NR_) / (LANES) };                                                            \
        const float *ar[MR];                                                                                \
        _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++) ar[i] = A + (size_t)(i < m ? i : m - 1) * a_rs; \
        VT c[MR][NV];                                                                                       \
        _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                               \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) c[i][v] = (VT){0};                         \
        for (int k = 0; k < kc; k++) {                                                                      \
            VT b[NV];                                                                                       \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                                            \
                memcpy(&b[v], B + (size_t)k * ldb + (size_t)v * (LANES), sizeof(VT));                       \
            const size_t ko = (size_t)k * a_cs;                                                             \
            _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++) {                                         \
                const VT a = ar[i][ko] - (VT){0}; /* a broadcast: x - 0 folds, 0 + x does not */  \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) c[i][v] += a * b[v];                   \
            }                                                                                               \
        }                                                                                                   \
        if (m == MR && n == (NR_)) {                                                                        \
            _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++) {                                         \
                float *cr = C + (size_t)i * ldc;                                                            \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {                                      \
                    VT o = alpha * c[i][v];                                                                 \
                    if (beta != 0.0f) {                                                                     \
                        VT x;                                                                               \
                        memcpy(&x, cr + v * (LANES), sizeof x);                                             \
                        o += beta * x;                                                                      \
                    }                                                                                       \
                    memcpy(cr + v * (LANES), &o, sizeof o);                                                 \
                }                                                                                           \
            }                                                                                               \
        } else {                                                                                            \
            float t[MR][NR_];                                                                               \
            memcpy(t, c, sizeof t);                                                                         \
            for (int i = 0; i < m; i++) {                                                                   \
                float *cr = C + (size_t)i * ldc;                                                            \
                for (int j = 0; j < n; j++)                                                                 \
                    cr[j] = beta == 0.0f ? alpha * t[i][j] : alpha * t[i][j] + beta * cr[j];                \
            }                                                                                               \
        }                                                                                                   \
    }

/* AVX-512: 8 x 32 tile = 16 zmm accumulators, or 12 x 16 for narrow products (attention heads
 * of 16); AVX2: 6 x 16 tile = 12 ymm accumulators */
#define AVX512 "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"
DEFINE_KERNEL(kernel_avx512, AVX512, v16sf_t, 64, 16, 8, 32)
DEFINE_KERNEL(kernel_avx512_n16, AVX512, v16sf_n16_t, 64, 16, 12, 16)
DEFINE_KERNEL(kernel_avx2, "avx2,fma", v8sf_t, 32, 8, 6, 16)

typedef void (*kernel_fn)(int, const float *, size_t, size_t, const float *, size_t, float *, size_t, float, float,
                          int, int);

static void gemm_driver(kernel_fn kern, int MR, int NR, int transA, int transB, int M, int N, int K, float alpha,
                        const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    const size_t a_rs = transA ? 1 : (size_t)lda, a_cs = transA ? (size_t)lda : 1;
    float panel[KC * 32]; /* one B panel, KC x NR (NR <= 32): 16 KiB of stack */
    for (int k0 = 0; k0 < K; k0 += KC) {
        const int kc = K - k0 < KC ? K - k0 : KC;
        const float bk = k0 == 0 ? beta : 1.0f; /* later K blocks accumulate */
        for (int j0 = 0; j0 < N; j0 += NR) {
            const int n = N - j0 < NR ? N - j0 : NR;
            const float *bp;
            size_t ldbp;
            if (!transB && n == NR) {
                bp = B + (size_t)k0 * (size_t)ldb + (size_t)j0;
                ldbp = (size_t)ldb;
            } else {
                for (int k = 0; k < kc; k++) {
                    float *row = panel + (size_t)k * (size_t)NR;
                    if (transB)
                        for (int j = 0; j < n; j++)
                            row[j] = B[(size_t)(j0 + j) * (size_t)ldb + (size_t)(k0 + k)];
                    else
                        memcpy(row, B + (size_t)(k0 + k) * (size_t)ldb + (size_t)j0, (size_t)n * sizeof(float));
                    for (int j = n; j < NR; j++)
                        row[j] = 0.0f;
                }
                bp = panel;
                ldbp = (size_t)NR;
            }
            for (int i0 = 0; i0 < M; i0 += MR) {
                const int m = M - i0 < MR ? M - i0 : MR;
                kern(kc, A + (size_t)i0 * a_rs + (size_t)k0 * a_cs, a_rs, a_cs, bp, ldbp,
                     C + (size_t)i0 * (size_t)ldc + (size_t)j0, (size_t)ldc, alpha, bk, m, n);
            }
        }
    }
}

int rbp__sgemm_builtin_isa(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma"))
        return 512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 256;
    return 0;
}

int rbp__sgemm_builtin(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc)
{
    /* every thread computes the same value; relaxed atomics make the first calls from two
     * threads at once well defined (a plain int was a data race, which TSan reports) */
    static atomic_int isa_cache = -1;
    int isa = atomic_load_explicit(&isa_cache, memory_order_relaxed);
    if (isa < 0) {
        isa = rbp__sgemm_builtin_isa();
        atomic_store_explicit(&isa_cache, isa, memory_order_relaxed);
    }
    if (!isa)
        return 0;
    if (M <= 0 || N <= 0)
        return 1;
    if (K <= 0) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                float *c = C + (size_t)i * (size_t)ldc + (size_t)j;
                *c = beta == 0.0f ? 0.0f : beta * *c;
            }
        return 1;
    }
    if (isa == 512 && N <= 16)
        gemm_driver(kernel_avx512_n16, 12, 16, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else if (isa == 512)
        gemm_driver(kernel_avx512, 8, 32, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        gemm_driver(kernel_avx2, 6, 16, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return 1;
}

#else /* no built-in kernels for this compiler / architecture */

int rbp__sgemm_builtin_isa(void)
{
    return 0;
}

int rbp__sgemm_builtin(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc)
{
    (void)transA, (void)transB, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb;
    (void)beta, (void)C, (void)ldc;
    return 0;
}

#endif
