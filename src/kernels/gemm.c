/*
 * kernels/gemm.c - the library's single entry into CBLAS, plus the dense (linear) layer.
 *
 * All matrix products go through rbp__sgemm_rm so that the BLAS interface (row-major,
 * CblasTrans flags, the width of blasint) is handled in exactly one place. The integer
 * arguments are converted to the prototype's type (blasint, which is 64 bits in an
 * INTERFACE64 OpenBLAS and `int` in the reference CBLAS) by the prototype itself. When the
 * BLAS is known to run far below the CPU (see rbp__blas_check), the built-in kernels of
 * gemm_builtin.c take its place.
 */
#include <cblas.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

/*
 * Which GEMM to use, decided once per process: the environment variable RBP_GEMM=blas or
 * RBP_GEMM=builtin forces a choice; by default the built-in kernels replace the BLAS only when
 * rbp__blas_check() finds OpenBLAS running its pre-AVX fallback on an AVX2/AVX-512 CPU.
 */
static int use_builtin(void)
{
    static atomic_int decided = -1;
    int d = atomic_load_explicit(&decided, memory_order_relaxed);
    if (d >= 0)
        return d;
    const char *env = getenv("RBP_GEMM");
    if (env && !strcmp(env, "blas"))
        d = 0;
    else if (env && !strcmp(env, "builtin"))
        d = rbp__sgemm_builtin_isa() != 0;
    else
        d = rbp__blas_check() && rbp__sgemm_builtin_isa() != 0;
    atomic_store_explicit(&decided, d, memory_order_relaxed);
    return d;
}

const char *rbp__gemm_backend(void)
{
    return use_builtin() ? (rbp__sgemm_builtin_isa() == 512 ? "built-in AVX-512" : "built-in AVX2") : "BLAS";
}

void rbp__sgemm_rm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {
        /* op(A) @ op(B) is empty: C = beta * C (BLAS implementations disagree on K = 0). */
        for (int i = 0; i < M; i++) {
            float *c = C + (size_t)i * (size_t)ldc;
            if (beta == 0.0f)
                memset(c, 0, (size_t)N * sizeof(float));
            else
                for (int j = 0; j < N; j++)
                    c[j] *= beta;
        }
        return;
    }
    if (use_builtin() && rbp__sgemm_builtin(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))
        return;
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N,
                K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void rbp__sgemm_strided_batched(int transA, int transB, int M, int N, int K, float alpha,
                                const float *A, int lda, size_t strideA, const float *B, int ldb,
                                size_t strideB, float beta, float *C, int ldc, size_t strideC, int batch)
{
    for (int i = 0; i < batch; i++)
        rbp__sgemm_rm(transA, transB, M, N, K, alpha, A + (size_t)i * strideA, lda, B + (size_t)i * strideB,
                      ldb, beta, C + (size_t)i * strideC, ldc);
}

/* dbias (OC) += column sums of dout (N,OC), row by row: the inner loop is contiguous */
RBP_HOT
static void column_sums(float *dbias, const float *dout, int N, int OC)
{
    for (int n = 0; n < N; n++) {
        const float *d = dout + (size_t)n * (size_t)OC;
        for (int o = 0; o < OC; o++)
            dbias[o] += d[o];
    }
}

void rbp__matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                         int N, int C, int OC)
{
    // inp (N,C), weight (OC,C), bias (OC) -> out (N,OC)
    // With a bias, pre-fill the rows and let the GEMM accumulate (beta = 1): one pass
    // over `out` fewer than adding the bias afterwards.
    float beta = 0.0f;
    if (bias) {
        for (int n = 0; n < N; n++)
            memcpy(out + (size_t)n * (size_t)OC, bias, (size_t)OC * sizeof(float));
        beta = 1.0f;
    }
    rbp__sgemm_rm(0, 1, N, OC, C, 1.0f, inp, C, weight, C, beta, out, OC);
}

void rbp__matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, int N, int C, int OC)
{
    // forward: out (N,OC) = inp (N,C) @ weight (OC,C)^T + bias (OC)
    if (dinp)
        rbp__sgemm_rm(0, 0, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    if (dweight)
        rbp__sgemm_rm(1, 0, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias)
        column_sums(dbias, dout, N, OC);
}

/* ------------------------------------------------------------------ BLAS back-end check */

const char *rbp__blas_corename(void)
{
#ifdef RBP_HAVE_OPENBLAS_THREADS
    const char *name = openblas_get_corename();
    return name ? name : "unknown";
#else
    return "unknown (not OpenBLAS)";
#endif
}

int rbp__blas_check(void)
{
    /* Once per process: OpenBLAS picks its kernels when it is loaded, from CPUID. A CPU
     * newer than the OpenBLAS release (e.g. Xeon model 207 with OpenBLAS 0.3.21) falls back
     * to the SSE3 "Prescott" kernels, ~5x slower than the AVX-512 ones on the same chip.
     * Only the environment (OPENBLAS_CORETYPE, read at load time) can change that. */
    static atomic_int checked = 0;
    static int slow = 0;
    if (atomic_exchange(&checked, 1))
        return slow;
#if defined(RBP_HAVE_OPENBLAS_THREADS) && defined(__x86_64__) && defined(__GNUC__)
    static const char *const old_cores[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Banias",
                                            "Northwood", "Katmai", "Coppermine", "Unknown"};
    const char *core = rbp__blas_corename();
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2"), avx512 = __builtin_cpu_supports("avx512f");
    for (size_t i = 0; avx2 && i < sizeof old_cores / sizeof old_cores[0]; i++)
        if (!strcmp(core, old_cores[i])) {
            slow = 1;
            rbp__log(RBP_LOG_WARN,
                     "OpenBLAS runs its '%s' kernels on a CPU with %s (the CPU is probably newer than this "
                     "OpenBLAS): matrix products are several times slower than they could be. Set "
                     "OPENBLAS_CORETYPE=%s in the environment before starting the program.",
                     core, avx512 ? "AVX-512" : "AVX2", avx512 ? "SkylakeX" : "Haswell");
        }
#endif
    return slow;
}
