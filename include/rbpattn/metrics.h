/*
 * rbpattn/metrics.h - evaluation metrics for binding prediction.
 *
 * Plain functions over arrays (no handle): scores and labels of n examples; a label > 0.5 is
 * a positive. Each returns RBP_OK and writes *out, or an error (NULL pointer, n too small, a
 * single class where two are needed, non-finite input).
 */
#ifndef RBPATTN_METRICS_H
#define RBPATTN_METRICS_H

#include "rbpattn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fraction of examples with (score >= threshold) == (label > 0.5). */
RBP_API rbp_status rbp_metric_accuracy(const float *scores, const float *labels, size_t n, double threshold,
                                       double *out);
/* Exact ROC AUC (Mann-Whitney), ties counted by mid-rank. Needs both classes. */
RBP_API rbp_status rbp_metric_roc_auc(const float *scores, const float *labels, size_t n, double *out);
/* Average precision (area under the PR curve, step-wise as scikit-learn). */
RBP_API rbp_status rbp_metric_average_precision(const float *scores, const float *labels, size_t n, double *out);
/* Coefficient of determination of predictions vs targets (1 - SS_res/SS_tot). */
RBP_API rbp_status rbp_metric_r2(const float *pred, const float *target, size_t n, double *out);
RBP_API rbp_status rbp_metric_pearson(const float *x, const float *y, size_t n, double *out);
/* Spearman rank correlation, ties by mid-rank. */
RBP_API rbp_status rbp_metric_spearman(const float *x, const float *y, size_t n, double *out);
RBP_API rbp_status rbp_metric_mse(const float *pred, const float *target, size_t n, double *out);
/* Mean binary log loss of probabilities (clipped to [1e-15, 1-1e-15]). */
RBP_API rbp_status rbp_metric_log_loss(const float *probs, const float *labels, size_t n, double *out);

/*
 * ROC curve points (false positive rate, true positive rate) at each distinct threshold,
 * starting at (0,0) and ending at (1,1): at most n + 1 points. fpr/tpr/thresholds have room
 * for `cap` points (thresholds may be NULL); *count receives the number written.
 */
RBP_API rbp_status rbp_metric_roc_curve(const float *scores, const float *labels, size_t n, double *fpr,
                                        double *tpr, double *thresholds, size_t cap, size_t *count);
/* Precision-recall points at each distinct threshold (recall decreasing, ends at recall 0,
 * precision 1, as scikit-learn): at most n + 1 points. */
RBP_API rbp_status rbp_metric_pr_curve(const float *scores, const float *labels, size_t n, double *precision,
                                       double *recall, double *thresholds, size_t cap, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_METRICS_H */
