/*
 * train/optim.c - Adam / AdamW updates and global-norm gradient clipping.
 *
 * The model keeps parameters, gradients and both Adam moments in four buffers of one layout,
 * so an update is a single flat loop (llm.c gpt2_update). The arithmetic follows PyTorch's
 * single-tensor Adam (torch.optim.Adam/AdamW, the CPU default) operation by operation, in
 * float32 with the step-dependent scalars computed in double, so our steps track torch's to
 * the last few ulps and tests can compare against numbers dumped from torch.
 */
#include <math.h>

#include "train/optim.h"
#include "kernels/kernels.h"

void rbp__adam_update(float *params, float *m, float *v, const float *grads, size_t n, double lr, float beta1,
                      float beta2, float eps, float weight_decay, int64_t t)
{
    /* Scalars as torch forms them: Python doubles, cast to float where they meet a tensor. */
    const double bc1 = 1.0 - pow((double)beta1, (double)t);
    const double bc2 = 1.0 - pow((double)beta2, (double)t);
    const float step_size = (float)(-(lr / bc1));
    const float bc2_sqrt = (float)sqrt(bc2);
    const float w1 = (float)(1.0 - (double)beta1); /* exp_avg.lerp_(grad, 1 - beta1) */
    const float w2 = (float)(1.0 - (double)beta2); /* exp_avg_sq.mul_(beta2).addcmul_(g, g, 1 - beta2) */
    const float decay = (float)(1.0 - lr * (double)weight_decay); /* AdamW: param.mul_(1 - lr*wd) */
    const int decoupled = weight_decay != 0.0f;

    for (size_t i = 0; i < n; i++) {
        float g = grads[i];
        float p = params[i];
        if (decoupled)
            p *= decay;
        float mi = m[i] + w1 * (g - m[i]);
        float vi = v[i] * beta2 + w2 * g * g;
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        m[i] = mi;
        v[i] = vi;
        params[i] = p + step_size * mi / denom;
    }
}

double rbp__grad_global_norm(const float *grads, size_t n)
{
    return sqrt(rbp__sumsq(grads, n)); /* the kernels' four-accumulator sum of squares */
}

double rbp__clip_grad_norm(float *grads, size_t n, double max_norm)
{
    double norm = rbp__grad_global_norm(grads, n);
    if (!isfinite(norm))
        return norm;
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        const float c = (float)coef;
        for (size_t i = 0; i < n; i++)
            grads[i] *= c;
    }
    return norm;
}

void rbp__ema_update(float *ema, const float *params, size_t n, float d)
{
    /* ema + (1 - d) (p - ema): one rounding fewer than d ema + (1 - d) p, and exact when
     * the weights stand still */
    const float w = 1.0f - d;
    for (size_t i = 0; i < n; i++)
        ema[i] += w * (params[i] - ema[i]);
}
