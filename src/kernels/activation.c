/*
 * kernels/activation.c - ReLU and exact (erf) GELU, forward and backward.
 *
 * GELU is the exact form x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), as the default of
 * PyTorch's nn.GELU and Keras' gelu(approximate=False); its derivative is
 * Phi(x) + x * phi(x) with phi the standard normal density.
 */
#include <math.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

RBP_HOT
static void relu_forward_impl(float *restrict out, const float *restrict inp, size_t n)
{
    // inp (n) -> out (n); out may alias inp
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

RBP_HOT
static void relu_inplace_impl(float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void rbp__relu_forward(float *out, const float *inp, size_t n)
{
    // a single pointer when in place: the overlap test of the two-pointer loop would fail
    if (out == inp)
        relu_inplace_impl(out, n);
    else
        relu_forward_impl(out, inp, n);
}

#define RBP_SQRT1_2 0.70710678118654752440f
#define RBP_INV_SQRT_2PI 0.39894228040143267794f

RBP_HOT
static void gelu_forward_impl(float *out, const float *inp, size_t n)
{
    // inp (n) -> out (n) = inp * Phi(inp); out may alias inp
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + erff(x * RBP_SQRT1_2));
    }
}

void rbp__gelu_forward(float *out, const float *inp, size_t n)
{
    gelu_forward_impl(out, inp, n);
}

RBP_HOT
static void relu_backward_inplace_impl(float *restrict d, const float *restrict out, size_t n)
{
    // forward: out = max(inp, 0); d = dout * (out > 0)
    // d[i] is read unconditionally: with the read inside the ?: GCC does not if-convert the
    // loop, and it ran scalar (8% of a training step)
    for (size_t i = 0; i < n; i++) {
        const float v = d[i];
        d[i] = out[i] > 0.0f ? v : 0.0f;
    }
}

void rbp__relu_backward_inplace(float *d, const float *out, size_t n)
{
    relu_backward_inplace_impl(d, out, n);
}

RBP_HOT
static void gelu_backward_inplace_impl(float *d, const float *inp, size_t n)
{
    // forward: out = inp * Phi(inp); d = dout * (Phi(x) + x phi(x))
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float cdf = 0.5f * (1.0f + erff(x * RBP_SQRT1_2));
        float pdf = RBP_INV_SQRT_2PI * expf(-0.5f * x * x);
        d[i] *= cdf + x * pdf;
    }
}

void rbp__gelu_backward_inplace(float *d, const float *inp, size_t n)
{
    gelu_backward_inplace_impl(d, inp, n);
}
