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
#include <assert.h>
#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

/*
 * Which GEMM to use, decided once per process: the environment variable RBP_GEMM=blas or
 * RBP_GEMM=builtin forces a choice; by default the built-in kernels replace the BLAS only when
 * rbp__blas_check() finds OpenBLAS running its pre-AVX fallback on an AVX2/AVX-512 CPU. The
 * choice is logged once (RBP_LOG_INFO) and readable through rbp_gemm_backend().
 */
static pthread_once_t gemm_once = PTHREAD_ONCE_INIT;
static int gemm_builtin; /* written once under gemm_once, read after it */
static int window_ok;    /* the built-in kernels may read overlapping rows (same once) */

static void decide_gemm(void)
{
    const char *env = getenv("RBP_GEMM");
    const char *why;
    if (env && !strcmp(env, "blas")) {
        gemm_builtin = 0;
        why = "RBP_GEMM=blas";
    } else if (env && !strcmp(env, "builtin")) {
        gemm_builtin = rbp__sgemm_builtin_isa() != 0;
        why = gemm_builtin ? "RBP_GEMM=builtin" : "RBP_GEMM=builtin, but this CPU has no AVX2";
    } else {
        gemm_builtin = rbp__blas_check() && rbp__sgemm_builtin_isa() != 0;
        why = gemm_builtin ? "the BLAS runs pre-AVX kernels" : "default";
    }
    /* products with overlapping rows (rbp__sgemm_window) need the built-in kernels, which
     * RBP_GEMM=blas turns off too */
    window_ok = rbp__sgemm_builtin_isa() != 0 && !(env && !strcmp(env, "blas"));
    rbp__log(RBP_LOG_INFO, "matrix products use the %s GEMM (%s; BLAS kernels: %s)",
             gemm_builtin ? (rbp__sgemm_builtin_isa() == 512 ? "built-in AVX-512" : "built-in AVX2") : "BLAS", why,
             rbp__blas_corename());
}

static int use_builtin(void)
{
    pthread_once(&gemm_once, decide_gemm);
    return gemm_builtin;
}

int rbp__sgemm_window_ok(void)
{
    pthread_once(&gemm_once, decide_gemm);
    return window_ok;
}

void rbp__sgemm_window(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc)
{
    /* only called after rbp__sgemm_window_ok(): the built-in kernels run */
    const int ran = rbp__sgemm_builtin(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    (void)ran;
    assert(ran);
}

const char *rbp_gemm_backend(void)
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

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static int blas_slow; /* written once under blas_once */

static void check_blas(void)
{
    /* OpenBLAS picks its kernels when it is loaded, from CPUID. A CPU newer than the
     * OpenBLAS release (e.g. Xeon model 207 with OpenBLAS 0.3.21) falls back to the SSE3
     * "Prescott" kernels, ~5x slower than the AVX-512 ones on the same chip. Only the
     * environment (OPENBLAS_CORETYPE, read at load time) can change that. */
#if defined(RBP_HAVE_OPENBLAS_THREADS) && defined(__x86_64__) && defined(__GNUC__)
    static const char *const old_cores[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Banias",
                                            "Northwood", "Katmai", "Coppermine", "Unknown"};
    const char *core = rbp__blas_corename();
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2"), avx512 = __builtin_cpu_supports("avx512f");
    for (size_t i = 0; avx2 && i < sizeof old_cores / sizeof old_cores[0]; i++)
        if (!strcmp(core, old_cores[i])) {
            blas_slow = 1;
            rbp__log(RBP_LOG_WARN,
                     "OpenBLAS runs its '%s' kernels on a CPU with %s (the CPU is probably newer than this "
                     "OpenBLAS): matrix products are several times slower than they could be. Set "
                     "OPENBLAS_CORETYPE=%s in the environment before starting the program.",
                     core, avx512 ? "AVX-512" : "AVX2", avx512 ? "SkylakeX" : "Haswell");
        }
#endif
}

int rbp__blas_check(void)
{
    /* once per process, and safe when several threads ask first at the same time */
    pthread_once(&blas_once, check_blas);
    return blas_slow;
}
