"""Evaluation metrics over numpy arrays, computed by librbpattn (rbpattn/metrics.h).

Labels > 0.5 are positives. Every function raises rbpattn.Error with the library's message for
bad input (a single class where two are needed, non-finite values, too few examples) and
ValueError for arrays of different lengths.
"""
import ctypes as C

import numpy as np

from ._lib import check, lib


def _pair(a, b, what=("scores", "labels")):
    x = np.ascontiguousarray(a, dtype=np.float32).reshape(-1)
    y = np.ascontiguousarray(b, dtype=np.float32).reshape(-1)
    if x.size != y.size:
        raise ValueError(f"{what[0]} has {x.size} values, {what[1]} {y.size}")
    return x, y, x.ctypes.data_as(C.POINTER(C.c_float)), y.ctypes.data_as(C.POINTER(C.c_float))


def _scalar(fn, a, b, *extra, what=("scores", "labels")):
    x, y, px, py = _pair(a, b, what)
    out = C.c_double()
    check(fn(px, py, x.size, *extra, C.byref(out)))
    return out.value


def accuracy(scores, labels, threshold=0.5):
    """Fraction of examples with (score >= threshold) == (label > 0.5)."""
    x, y, px, py = _pair(scores, labels)
    out = C.c_double()
    check(lib.rbp_metric_accuracy(px, py, x.size, threshold, C.byref(out)))
    return out.value


def roc_auc(scores, labels):
    """Exact ROC AUC (ties count 1/2), as scikit-learn's roc_auc_score."""
    return _scalar(lib.rbp_metric_roc_auc, scores, labels)


def average_precision(scores, labels):
    """Average precision (step-wise area under the PR curve), as scikit-learn."""
    return _scalar(lib.rbp_metric_average_precision, scores, labels)


def r2(pred, target):
    """Coefficient of determination 1 - SS_res/SS_tot, as scikit-learn's r2_score."""
    return _scalar(lib.rbp_metric_r2, pred, target, what=("pred", "target"))


def pearson(x, y):
    """Pearson correlation (a constant input is an error)."""
    return _scalar(lib.rbp_metric_pearson, x, y, what=("x", "y"))


def spearman(x, y):
    """Spearman rank correlation, ties by mid-rank."""
    return _scalar(lib.rbp_metric_spearman, x, y, what=("x", "y"))


def mse(pred, target):
    """Mean squared error."""
    return _scalar(lib.rbp_metric_mse, pred, target, what=("pred", "target"))


def log_loss(probs, labels):
    """Mean binary log loss of probabilities in [0, 1] (clipped to [1e-15, 1 - 1e-15])."""
    return _scalar(lib.rbp_metric_log_loss, probs, labels, what=("probs", "labels"))


def _curve(fn, scores, labels):
    x, y, px, py = _pair(scores, labels)
    count = C.c_size_t()
    check(fn(px, py, x.size, None, None, None, 0, C.byref(count)))  # size query
    a, b, t = (np.empty(count.value, dtype=np.float64) for _ in range(3))
    dp = C.POINTER(C.c_double)
    check(fn(px, py, x.size, a.ctypes.data_as(dp), b.ctypes.data_as(dp), t.ctypes.data_as(dp), count.value,
             C.byref(count)))
    return a[:count.value], b[:count.value], t[:count.value]


def roc_curve(scores, labels):
    """(fpr, tpr, thresholds) float64 arrays from (0, 0) to (1, 1); thresholds[0] is +inf."""
    return _curve(lib.rbp_metric_roc_curve, scores, labels)


def pr_curve(scores, labels):
    """(precision, recall, thresholds) float64 arrays, recall decreasing to 0; the last
    threshold is +inf."""
    return _curve(lib.rbp_metric_pr_curve, scores, labels)
