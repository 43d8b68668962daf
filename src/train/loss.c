/*
 * train/loss.c - the two training losses: binary cross-entropy on logits (with a weight
 * for the positive class, as torch.nn.BCEWithLogitsLoss(pos_weight=...)) and mean squared
 * error. Each returns the mean over n examples and, on request, d(mean)/d(input).
 *
 * Sums run in double: a batch mean of thousands of float terms would otherwise lose the
 * low digits that the finite-difference tests (and loss curves) look at.
 */
#include <math.h>

#include "core/internal.h"
#include "rbpattn/train.h"
#include "train/optim.h"

/* log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)). */
static double softplus(double x)
{
    return (x > 0.0 ? x : 0.0) + log1p(exp(-fabs(x)));
}

/* 1 / (1 + exp(-x)) evaluated on the side where exp cannot overflow. */
static double sigmoid(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* NULL arrays or n == 0: set the last error naming the argument and return NaN. */
static double bad_input(const char *fn, const float *a, const char *an, const float *b, size_t n)
{
    if (a == NULL)
        rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument '%s' is NULL", fn, an);
    else if (b == NULL)
        rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'targets' is NULL", fn);
    else if (n == 0)
        rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n is 0 (the mean of no examples)", fn);
    return NAN;
}

/* sum of the BCE terms over n examples; dlogits (may be NULL) = d/dx of the sum * inv_n */
static double bce_sum(const float *logits, const float *targets, size_t n, float pos_weight, double inv_n,
                      float *dlogits)
{
    /*
     * loss_i = pw * y * softplus(-x) + (1 - y) * softplus(x); for pw = 1 this is the familiar
     * max(x,0) - x*y + log1p(exp(-|x|)). d loss_i / dx = pw*y*(sigmoid(x) - 1) + (1-y)*sigmoid(x).
     */
    const double pw = pos_weight;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = logits[i], y = targets[i];
        double sp = softplus(x);
        sum += pw * y * (sp - x) + (1.0 - y) * sp; /* softplus(-x) = softplus(x) - x */
        if (dlogits) {
            double s = sigmoid(x);
            dlogits[i] = (float)((pw * y * (s - 1.0) + (1.0 - y) * s) * inv_n);
        }
    }
    return sum;
}

double rbp_loss_bce_logits(const float *logits, const float *targets, size_t n, float pos_weight, float *dlogits)
{
    if (logits == NULL || targets == NULL || n == 0)
        return bad_input("rbp_loss_bce_logits", logits, "logits", targets, n);
    const double inv_n = 1.0 / (double)n;
    return bce_sum(logits, targets, n, pos_weight, inv_n, dlogits) * inv_n;
}

static double mse_sum(const float *pred, const float *targets, size_t n, double inv_n, float *dpred)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - (double)targets[i];
        sum += d * d;
        if (dpred)
            dpred[i] = (float)(2.0 * d * inv_n);
    }
    return sum;
}

double rbp_loss_mse(const float *pred, const float *targets, size_t n, float *dpred)
{
    if (pred == NULL || targets == NULL || n == 0)
        return bad_input("rbp_loss_mse", pred, "pred", targets, n);
    const double inv_n = 1.0 / (double)n;
    return mse_sum(pred, targets, n, inv_n, dpred) * inv_n;
}

void rbp__loss_grad(int classification, const float *out, const float *targets, size_t n, size_t n_total,
                    float pos_weight, float *dout)
{
    const double inv_n = 1.0 / (double)n_total;
    if (classification)
        bce_sum(out, targets, n, pos_weight, inv_n, dout);
    else
        mse_sum(out, targets, n, inv_n, dout);
}
