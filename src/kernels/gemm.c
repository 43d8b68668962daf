/*
 * kernels/gemm.c - the library's single entry into CBLAS, plus the dense (linear) layer.
 *
 * All matrix products go through rbp__sgemm_rm so that the BLAS interface (row-major,
 * CblasTrans flags, the width of blasint) is handled in exactly one place. The integer
 * arguments are converted to the prototype's type (blasint, which is 64 bits in an
 * INTERFACE64 OpenBLAS and `int` in the reference CBLAS) by the prototype itself.
 */
#include <cblas.h>
#include <string.h>

#include "kernels/kernels.h"

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
    if (dbias) {
        // Column sums, row by row: the inner loop is contiguous and vectorises.
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * (size_t)OC;
            for (int o = 0; o < OC; o++)
                dbias[o] += d[o];
        }
    }
}
