/**
 * @file
 * rbpattn/metrics.h - evaluation metrics for binding prediction.
 *
 * Plain functions over arrays (no handle): scores and labels of n examples; a label > 0.5 is
 * a positive. Each returns RBP_OK and writes *out, or an error (NULL pointer, n too small, a
 * single class where two are needed, non-finite input) with a message naming the argument;
 * on error a non-NULL *out is set to NaN so an unchecked result cannot pass for a number.
 *
 * All sums are accumulated in double. Ranking metrics (AUC, AP, Spearman, curves) sort once,
 * O(n log n), with a stable merge sort; ties (scores that compare equal as floats, so -0 and
 * +0 tie) are handled as groups, so the results never depend on the input order. They use one
 * scratch buffer of rbp_metric_work_size(n) bytes: allocated per call by the plain functions,
 * passed by the caller to the *_ws variants (which then allocate nothing).
 *
 * Agreement with scikit-learn (tests/data/make_metric_refs.py, scikit-learn 1.2.1):
 * roc_auc_score, average_precision_score, r2_score, mean_squared_error, log_loss(eps=1e-15),
 * roc_curve(drop_intermediate=False) and precision_recall_curve, with the differences noted
 * at each function. Pearson and Spearman agree with scipy.stats.pearsonr / spearmanr.
 */
#ifndef RBPATTN_METRICS_H
#define RBPATTN_METRICS_H

#include "rbpattn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Fraction of examples with (score >= threshold) == (label > 0.5). */
RBP_API rbp_status rbp_metric_accuracy(const float *scores, const float *labels, size_t n, double threshold,
                                       double *out);
/** Exact ROC AUC (Mann-Whitney), ties counted by mid-rank (a tied positive/negative pair
 * counts 1/2). Needs both classes.
 * @param scores  (n) any real scores, higher = more likely positive
 * @param labels  (n) positive when > 0.5
 * @param n       number of examples
 * @param out     receives the AUC in [0, 1] (NaN on failure)
 * @return RBP_OK, RBP_ERR_INVALID_ARG (NULL, n == 0, one class only) or RBP_ERR_NOMEM */
RBP_API rbp_status rbp_metric_roc_auc(const float *scores, const float *labels, size_t n, double *out);
/** Average precision (area under the PR curve, step-wise as scikit-learn):
 * sum over distinct thresholds t (descending) of (R(t) - R(previous t)) * P(t). Needs both
 * classes (scikit-learn warns and returns -0.0 without positives; this is an error here). */
RBP_API rbp_status rbp_metric_average_precision(const float *scores, const float *labels, size_t n, double *out);
/** Coefficient of determination of predictions vs targets (1 - SS_res/SS_tot). n >= 2. As
 * scikit-learn's r2_score (force_finite): a constant target gives 1 if the predictions are
 * exact, else 0. */
RBP_API rbp_status rbp_metric_r2(const float *pred, const float *target, size_t n, double *out);
/** Pearson correlation. n >= 2; a constant x or y (correlation undefined) is an error. */
RBP_API rbp_status rbp_metric_pearson(const float *x, const float *y, size_t n, double *out);
/** Spearman rank correlation, ties by mid-rank (Pearson of the mid-ranks). n >= 2; a constant
 * x or y is an error. */
RBP_API rbp_status rbp_metric_spearman(const float *x, const float *y, size_t n, double *out);
/** Mean squared error of predictions vs targets. n >= 1. */
RBP_API rbp_status rbp_metric_mse(const float *pred, const float *target, size_t n, double *out);
/** Mean binary log loss of probabilities (clipped to [1e-15, 1-1e-15]); labels are hard
 * (label > 0.5). Probabilities outside [0, 1] are an error (they are usually logits). A single
 * class is allowed (scikit-learn raises unless given `labels`). */
RBP_API rbp_status rbp_metric_log_loss(const float *probs, const float *labels, size_t n, double *out);

/**
 * ROC curve points (false positive rate, true positive rate) at each distinct threshold,
 * starting at (0,0) and ending at (1,1): at most n + 1 points. fpr/tpr/thresholds have room
 * for `cap` points (thresholds may be NULL); *count receives the number written.
 *
 * Point i > 0 is "predict positive when score >= thresholds[i]", thresholds decreasing; as
 * scikit-learn's roc_curve(drop_intermediate=False). Difference: thresholds[0] is +inf
 * (scikit-learn >= 1.3 does the same; older versions wrote max(score) + 1).
 * Size query: with fpr, tpr and thresholds all NULL only *count is computed. When `cap` is
 * too small, RBP_ERR_INVALID_ARG is returned and *count holds the number of points needed.
 */
RBP_API rbp_status rbp_metric_roc_curve(const float *scores, const float *labels, size_t n, double *fpr,
                                        double *tpr, double *thresholds, size_t cap, size_t *count);
/** Precision-recall points at each distinct threshold (recall decreasing, ends at recall 0,
 * precision 1, as scikit-learn): at most n + 1 points. Thresholds increase with the index
 * (point i: predict positive when score >= thresholds[i]). Difference: scikit-learn returns
 * one threshold fewer than points; here the last point (recall 0, precision 1) gets
 * thresholds[count-1] = +inf. Size query and `cap` as rbp_metric_roc_curve. */
RBP_API rbp_status rbp_metric_pr_curve(const float *scores, const float *labels, size_t n, double *precision,
                                       double *recall, double *thresholds, size_t cap, size_t *count);

/**
 * Scratch bytes that every *_ws variant below needs for n examples (0 for n == 0, and 0 if
 * the size overflows size_t: the *_ws variants then refuse n). The buffer must be aligned for double (malloc'd memory is); its content on entry
 * does not matter and is garbage afterwards.
 */
RBP_API size_t rbp_metric_work_size(size_t n);

/** @{ */
/** The ranking metrics with caller-provided scratch `work` of `work_size` >=
 * rbp_metric_work_size(n) bytes: same results, no allocation. */
RBP_API rbp_status rbp_metric_roc_auc_ws(const float *scores, const float *labels, size_t n, void *work,
                                         size_t work_size, double *out);
RBP_API rbp_status rbp_metric_average_precision_ws(const float *scores, const float *labels, size_t n, void *work,
                                                   size_t work_size, double *out);
RBP_API rbp_status rbp_metric_spearman_ws(const float *x, const float *y, size_t n, void *work, size_t work_size,
                                          double *out);
RBP_API rbp_status rbp_metric_roc_curve_ws(const float *scores, const float *labels, size_t n, double *fpr,
                                           double *tpr, double *thresholds, size_t cap, size_t *count, void *work,
                                           size_t work_size);
RBP_API rbp_status rbp_metric_pr_curve_ws(const float *scores, const float *labels, size_t n, double *precision,
                                          double *recall, double *thresholds, size_t cap, size_t *count, void *work,
                                          size_t work_size);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_METRICS_H */
