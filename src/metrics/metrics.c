/*
 * metrics/metrics.c - evaluation metrics: accuracy, ROC AUC, average precision, ROC and
 * precision-recall curves, R^2, Pearson, Spearman, MSE and log loss.
 *
 * The ranking metrics share one scheme: copy (score, class) pairs into scratch, stable merge
 * sort them by descending score, then walk the groups of tied scores once. Counting whole tie
 * groups (never single items) is what makes the results independent of the input order and
 * equal to scikit-learn's, which also collapses ties into one threshold. Counts are integers
 * held in double (exact below 2^53), sums are accumulated in double.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/internal.h"
#include "rbpattn/metrics.h"

/* ------------------------------------------------------------------ argument checks */

#define CHECK_NULL(fn, p)                                                                   \
    do {                                                                                    \
        if ((p) == NULL)                                                                    \
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument '%s' is NULL", (fn), #p); \
    } while (0)

/* Every public entry sets *out to NaN first, so an ignored error cannot look like a value. */
static void set_nan(double *out)
{
    if (out)
        *out = NAN;
}

static rbp_status check_finite(const char *fn, const char *name, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: %s[%zu] is not finite (%g)", fn, name, i,
                                  (double)x[i]);
    return RBP_OK;
}

static rbp_status check_n(const char *fn, size_t n, size_t min)
{
    if (n < min)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n = %zu, need at least %zu example%s", fn, n, min,
                              min == 1 ? "" : "s");
    return RBP_OK;
}

/* Two arrays of n finite values, n >= min. `an`/`bn` are the argument names for messages. */
static rbp_status check_pair(const char *fn, const float *a, const char *an, const float *b, const char *bn,
                             size_t n, size_t min)
{
    if (a == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument '%s' is NULL", fn, an);
    if (b == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument '%s' is NULL", fn, bn);
    RBP_TRY(check_n(fn, n, min));
    RBP_TRY(check_finite(fn, an, a, n));
    return check_finite(fn, bn, b, n);
}

static size_t count_positives(const float *labels, size_t n)
{
    size_t p = 0;
    for (size_t i = 0; i < n; i++)
        p += labels[i] > 0.5f;
    return p;
}

static rbp_status check_two_classes(const char *fn, size_t npos, size_t n)
{
    if (npos == 0 || npos == n)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: labels contain only %s (%zu of %zu); the metric needs both classes", fn,
                              npos == 0 ? "negatives" : "positives", n, n);
    return RBP_OK;
}

/* ------------------------------------------------------------------ stable merge sort */

/* (score, class) for the binary metrics: 8 bytes so the sort streams through cache. */
typedef struct bin_item {
    float key;
    uint32_t pos;
} bin_item;

/* (value, original index) for Spearman's ranks. */
typedef struct idx_item {
    size_t idx;
    float key;
} idx_item;

/*
 * Bottom-up merge sort of a[0..n) using tmp[0..n): insertion-sorted runs of RUN items, then
 * merges of doubling width, ping-ponging between the two buffers. Stable: the left run wins
 * ties. BEFORE(x, y) is "x strictly before y". O(n log n) worst case, no allocation.
 */
#define RUN 24
#define DEFINE_MERGE_SORT(name, T, BEFORE)                                                  \
    static void name(T *a, T *tmp, size_t n)                                                \
    {                                                                                       \
        for (size_t lo = 0; lo < n; lo += RUN) {                                            \
            size_t hi = lo + RUN < n ? lo + RUN : n;                                        \
            for (size_t i = lo + 1; i < hi; i++) {                                          \
                T v = a[i];                                                                 \
                size_t j = i;                                                               \
                while (j > lo && BEFORE(v, a[j - 1])) {                                     \
                    a[j] = a[j - 1];                                                        \
                    j--;                                                                    \
                }                                                                           \
                a[j] = v;                                                                   \
            }                                                                               \
        }                                                                                   \
        T *src = a, *dst = tmp;                                                             \
        for (size_t w = RUN; w < n; w *= 2) {                                               \
            for (size_t lo = 0; lo < n; lo += 2 * w) {                                      \
                size_t mid = lo + w < n ? lo + w : n;                                       \
                size_t hi = lo + 2 * w < n ? lo + 2 * w : n;                                \
                size_t i = lo, j = mid, k = lo;                                             \
                while (i < mid && j < hi)                                                   \
                    dst[k++] = BEFORE(src[j], src[i]) ? src[j++] : src[i++];                \
                while (i < mid)                                                             \
                    dst[k++] = src[i++];                                                    \
                while (j < hi)                                                              \
                    dst[k++] = src[j++];                                                    \
            }                                                                               \
            T *t = src;                                                                     \
            src = dst;                                                                      \
            dst = t;                                                                        \
        }                                                                                   \
        if (src != a)                                                                       \
            memcpy(a, src, n * sizeof(T));                                                  \
    }

#define DESC_KEY(x, y) ((x).key > (y).key)
#define ASC_KEY(x, y) ((x).key < (y).key)
DEFINE_MERGE_SORT(sort_bin_desc, bin_item, DESC_KEY)
DEFINE_MERGE_SORT(sort_idx_asc, idx_item, ASC_KEY)

/* ------------------------------------------------------------------ scratch */

size_t rbp_metric_work_size(size_t n)
{
    /* Binary metrics: 2n bin_items. Spearman: 2n idx_items + 2n doubles of ranks. */
    size_t a, b;
    if (rbp__mul_size(n, 2 * sizeof(idx_item) + 2 * sizeof(double), &a) != 0)
        return 0;
    if (rbp__mul_size(n, 2 * sizeof(bin_item), &b) != 0)
        return 0;
    return a > b ? a : b;
}

static rbp_status check_work(const char *fn, const void *work, size_t work_size, size_t n)
{
    size_t need = rbp_metric_work_size(n);
    if (work == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'work' is NULL", fn);
    if (need == 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n = %zu is too large (scratch size overflows)", fn, n);
    if (work_size < need)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: work_size = %zu bytes, need rbp_metric_work_size(%zu) = %zu",
                              fn, work_size, n, need);
    if ((uintptr_t)work % _Alignof(double) != 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: 'work' is not aligned for double", fn);
    return RBP_OK;
}

/* Allocate scratch for a plain (non-_ws) call. */
static rbp_status alloc_work(const char *fn, size_t n, void **work, size_t *size)
{
    *size = rbp_metric_work_size(n);
    if (*size == 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n = %zu is too large (scratch size overflows)", fn, n);
    *work = rbp__malloc(*size);
    if (*work == NULL)
        return rbp__oom();
    return RBP_OK;
}

/*
 * Shared prologue of the binary ranking metrics: validate, then leave the (score, class)
 * pairs sorted by descending score in work. *npos receives the number of positives.
 */
static rbp_status sorted_binary(const char *fn, const float *scores, const float *labels, size_t n, void *work,
                                size_t work_size, size_t *npos)
{
    RBP_TRY(check_pair(fn, scores, "scores", labels, "labels", n, 1));
    RBP_TRY(check_work(fn, work, work_size, n));
    *npos = count_positives(labels, n);
    RBP_TRY(check_two_classes(fn, *npos, n));
    bin_item *items = work;
    for (size_t i = 0; i < n; i++) {
        items[i].key = scores[i];
        items[i].pos = labels[i] > 0.5f;
    }
    sort_bin_desc(items, items + n, n);
    return RBP_OK;
}

/* One tie group starting at items[*i]: advances *i past it, returns its positives/negatives. */
static void next_group(const bin_item *items, size_t n, size_t *i, double *p, double *q)
{
    size_t j = *i;
    size_t np = 0;
    float key = items[j].key;
    while (j < n && items[j].key == key) {
        np += items[j].pos;
        j++;
    }
    *p = (double)np;
    *q = (double)(j - *i - np);
    *i = j;
}

/* ------------------------------------------------------------------ classification */

rbp_status rbp_metric_accuracy(const float *scores, const float *labels, size_t n, double threshold, double *out)
{
    static const char fn[] = "rbp_metric_accuracy";
    set_nan(out);
    CHECK_NULL(fn, out);
    RBP_TRY(check_pair(fn, scores, "scores", labels, "labels", n, 1));
    if (isnan(threshold))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: threshold is NaN", fn);
    size_t hit = 0;
    for (size_t i = 0; i < n; i++)
        hit += ((double)scores[i] >= threshold) == (labels[i] > 0.5f);
    *out = (double)hit / (double)n;
    return RBP_OK;
}

rbp_status rbp_metric_roc_auc_ws(const float *scores, const float *labels, size_t n, void *work, size_t work_size,
                                 double *out)
{
    static const char fn[] = "rbp_metric_roc_auc";
    size_t npos;
    set_nan(out);
    CHECK_NULL(fn, out);
    RBP_TRY(sorted_binary(fn, scores, labels, n, work, work_size, &npos));
    /*
     * Walking scores downwards, a positive beats every negative in a later (lower) group and
     * half of the negatives tied with it. Summed per group: p * (negatives below + q / 2).
     */
    const bin_item *items = work;
    double P = (double)npos, N = (double)(n - npos);
    double neg_above = 0.0, wins = 0.0;
    for (size_t i = 0; i < n;) {
        double p, q;
        next_group(items, n, &i, &p, &q);
        wins += p * ((N - neg_above - q) + 0.5 * q);
        neg_above += q;
    }
    *out = wins / (P * N);
    return RBP_OK;
}

rbp_status rbp_metric_average_precision_ws(const float *scores, const float *labels, size_t n, void *work,
                                           size_t work_size, double *out)
{
    static const char fn[] = "rbp_metric_average_precision";
    size_t npos;
    set_nan(out);
    CHECK_NULL(fn, out);
    RBP_TRY(sorted_binary(fn, scores, labels, n, work, work_size, &npos));
    /* AP = sum_k (R_k - R_{k-1}) P_k over thresholds k descending; R rises only by p / P. */
    const bin_item *items = work;
    double P = (double)npos, tp = 0.0, fp = 0.0, ap = 0.0;
    for (size_t i = 0; i < n;) {
        double p, q;
        next_group(items, n, &i, &p, &q);
        tp += p;
        fp += q;
        if (p > 0.0)
            ap += (p / P) * (tp / (tp + fp));
    }
    *out = ap;
    return RBP_OK;
}

/* Curve prologue: validation of the outputs shared by the ROC and PR curves. */
static rbp_status check_curve_out(const char *fn, const double *a, const char *an, const double *b, const char *bn,
                                  const double *thresholds, size_t *count, int *query)
{
    CHECK_NULL(fn, count);
    *count = 0;
    *query = a == NULL && b == NULL && thresholds == NULL;
    if (!*query) {
        if (a == NULL)
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument '%s' is NULL", fn, an);
        if (b == NULL)
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument '%s' is NULL", fn, bn);
    }
    return RBP_OK;
}

static size_t count_groups(const bin_item *items, size_t n)
{
    size_t d = n > 0;
    for (size_t i = 1; i < n; i++)
        d += items[i].key != items[i - 1].key;
    return d;
}

static rbp_status check_cap(const char *fn, size_t cap, size_t need, size_t *count)
{
    if (cap < need) {
        *count = need;
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: cap = %zu is too small, the curve has %zu points", fn, cap,
                              need);
    }
    return RBP_OK;
}

rbp_status rbp_metric_roc_curve_ws(const float *scores, const float *labels, size_t n, double *fpr, double *tpr,
                                   double *thresholds, size_t cap, size_t *count, void *work, size_t work_size)
{
    static const char fn[] = "rbp_metric_roc_curve";
    size_t npos;
    int query;
    RBP_TRY(check_curve_out(fn, fpr, "fpr", tpr, "tpr", thresholds, count, &query));
    RBP_TRY(sorted_binary(fn, scores, labels, n, work, work_size, &npos));
    const bin_item *items = work;
    size_t need = count_groups(items, n) + 1;
    if (query) {
        *count = need;
        return RBP_OK;
    }
    RBP_TRY(check_cap(fn, cap, need, count));
    double P = (double)npos, N = (double)(n - npos), tp = 0.0, fp = 0.0;
    size_t k = 0;
    fpr[k] = 0.0;
    tpr[k] = 0.0;
    if (thresholds)
        thresholds[k] = INFINITY;
    for (size_t i = 0; i < n;) {
        double p, q, t = (double)items[i].key;
        next_group(items, n, &i, &p, &q);
        tp += p;
        fp += q;
        k++;
        fpr[k] = fp / N;
        tpr[k] = tp / P;
        if (thresholds)
            thresholds[k] = t;
    }
    assert(k + 1 == need);
    *count = need;
    return RBP_OK;
}

rbp_status rbp_metric_pr_curve_ws(const float *scores, const float *labels, size_t n, double *precision,
                                  double *recall, double *thresholds, size_t cap, size_t *count, void *work,
                                  size_t work_size)
{
    static const char fn[] = "rbp_metric_pr_curve";
    size_t npos;
    int query;
    RBP_TRY(check_curve_out(fn, precision, "precision", recall, "recall", thresholds, count, &query));
    RBP_TRY(sorted_binary(fn, scores, labels, n, work, work_size, &npos));
    const bin_item *items = work;
    size_t d = count_groups(items, n);
    if (query) {
        *count = d + 1;
        return RBP_OK;
    }
    RBP_TRY(check_cap(fn, cap, d + 1, count));
    /* Groups come in descending score; scikit-learn lists thresholds ascending, so group g
     * goes to slot d - 1 - g and the (recall 0, precision 1) end point to slot d. */
    double P = (double)npos, tp = 0.0, fp = 0.0;
    size_t g = 0;
    for (size_t i = 0; i < n; g++) {
        double p, q, t = (double)items[i].key;
        next_group(items, n, &i, &p, &q);
        tp += p;
        fp += q;
        precision[d - 1 - g] = tp / (tp + fp);
        recall[d - 1 - g] = tp / P;
        if (thresholds)
            thresholds[d - 1 - g] = t;
    }
    assert(g == d);
    precision[d] = 1.0;
    recall[d] = 0.0;
    if (thresholds)
        thresholds[d] = INFINITY;
    *count = d + 1;
    return RBP_OK;
}

/* ------------------------------------------------------------------ regression */

rbp_status rbp_metric_mse(const float *pred, const float *target, size_t n, double *out)
{
    static const char fn[] = "rbp_metric_mse";
    set_nan(out);
    CHECK_NULL(fn, out);
    RBP_TRY(check_pair(fn, pred, "pred", target, "target", n, 1));
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - (double)target[i];
        s += d * d;
    }
    *out = s / (double)n;
    return RBP_OK;
}

rbp_status rbp_metric_r2(const float *pred, const float *target, size_t n, double *out)
{
    static const char fn[] = "rbp_metric_r2";
    set_nan(out);
    CHECK_NULL(fn, out);
    RBP_TRY(check_pair(fn, pred, "pred", target, "target", n, 2));
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += (double)target[i];
    mean /= (double)n;
    double ss_res = 0.0, ss_tot = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r = (double)target[i] - (double)pred[i];
        double c = (double)target[i] - mean;
        ss_res += r * r;
        ss_tot += c * c;
    }
    if (ss_tot == 0.0) /* scikit-learn's force_finite convention */
        *out = ss_res == 0.0 ? 1.0 : 0.0;
    else
        *out = 1.0 - ss_res / ss_tot;
    return RBP_OK;
}

/*
 * Pearson correlation by two passes (means, then centred sums), which stays accurate when the
 * values sit far from zero. GET(arr, i) reads element i as double. Returns 0 and writes *r, or
 * -1 (x constant) / -2 (y constant).
 */
#define DEFINE_PEARSON(name, T)                                                             \
    static int name(const T *x, const T *y, size_t n, double *r)                            \
    {                                                                                       \
        double mx = 0.0, my = 0.0;                                                          \
        for (size_t i = 0; i < n; i++) {                                                    \
            mx += (double)x[i];                                                             \
            my += (double)y[i];                                                             \
        }                                                                                   \
        mx /= (double)n;                                                                    \
        my /= (double)n;                                                                    \
        double sxx = 0.0, syy = 0.0, sxy = 0.0;                                             \
        for (size_t i = 0; i < n; i++) {                                                    \
            double dx = (double)x[i] - mx, dy = (double)y[i] - my;                          \
            sxx += dx * dx;                                                                 \
            syy += dy * dy;                                                                 \
            sxy += dx * dy;                                                                 \
        }                                                                                   \
        if (sxx == 0.0)                                                                     \
            return -1;                                                                      \
        if (syy == 0.0)                                                                     \
            return -2;                                                                      \
        double v = sxy / sqrt(sxx * syy);                                                   \
        *r = v > 1.0 ? 1.0 : v < -1.0 ? -1.0 : v;                                           \
        return 0;                                                                           \
    }

DEFINE_PEARSON(pearson_f, float)
DEFINE_PEARSON(pearson_d, double)

static rbp_status constant_error(const char *fn, int which)
{
    return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: %s is constant, the correlation is undefined", fn,
                          which == -1 ? "x" : "y");
}

rbp_status rbp_metric_pearson(const float *x, const float *y, size_t n, double *out)
{
    static const char fn[] = "rbp_metric_pearson";
    set_nan(out);
    CHECK_NULL(fn, out);
    RBP_TRY(check_pair(fn, x, "x", y, "y", n, 2));
    double r = 0.0;
    int rc = pearson_f(x, y, n, &r);
    if (rc != 0)
        return constant_error(fn, rc);
    *out = r;
    return RBP_OK;
}

/* 1-based mid-ranks of v[0..n) into rank[] (ties share the mean of their positions). */
static void midranks(double *rank, const float *v, size_t n, idx_item *items, idx_item *tmp)
{
    for (size_t i = 0; i < n; i++) {
        items[i].key = v[i];
        items[i].idx = i;
    }
    sort_idx_asc(items, tmp, n);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && items[j].key == items[i].key)
            j++;
        /* positions i+1 .. j (1-based) share their mean */
        double r = 0.5 * ((double)(i + 1) + (double)j);
        for (size_t k = i; k < j; k++)
            rank[items[k].idx] = r;
        i = j;
    }
}

rbp_status rbp_metric_spearman_ws(const float *x, const float *y, size_t n, void *work, size_t work_size,
                                  double *out)
{
    static const char fn[] = "rbp_metric_spearman";
    set_nan(out);
    CHECK_NULL(fn, out);
    RBP_TRY(check_pair(fn, x, "x", y, "y", n, 2));
    RBP_TRY(check_work(fn, work, work_size, n));
    /* Layout: ranks of x (n doubles), ranks of y (n doubles), then 2n idx_items. */
    double *rx = work;
    double *ry = rx + n;
    idx_item *items = (idx_item *)(ry + n);
    midranks(rx, x, n, items, items + n);
    midranks(ry, y, n, items, items + n);
    double r = 0.0;
    int rc = pearson_d(rx, ry, n, &r);
    if (rc != 0)
        return constant_error(fn, rc);
    *out = r;
    return RBP_OK;
}

rbp_status rbp_metric_log_loss(const float *probs, const float *labels, size_t n, double *out)
{
    static const char fn[] = "rbp_metric_log_loss";
    const double eps = 1e-15;
    set_nan(out);
    CHECK_NULL(fn, out);
    RBP_TRY(check_pair(fn, probs, "probs", labels, "labels", n, 1));
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double p = (double)probs[i];
        if (p < 0.0 || p > 1.0)
            return rbp__set_error(RBP_ERR_INVALID_ARG,
                                  "%s: probs[%zu] = %g is outside [0, 1] (probabilities expected, not logits)", fn, i,
                                  p);
        p = p < eps ? eps : p > 1.0 - eps ? 1.0 - eps : p;
        s -= labels[i] > 0.5f ? log(p) : log1p(-p);
    }
    *out = s / (double)n;
    return RBP_OK;
}

/* ------------------------------------------------------------------ allocating wrappers */

/* The scalar metrics that need scratch share one wrapper: check, allocate, call the _ws form. */
typedef rbp_status (*scalar_ws_fn)(const float *, const float *, size_t, void *, size_t, double *);

static rbp_status scalar_with_work(const char *fn, scalar_ws_fn ws_fn, const float *a, const char *an,
                                   const float *b, const char *bn, size_t n, size_t min_n, double *out)
{
    void *work;
    size_t size;
    set_nan(out);
    CHECK_NULL(fn, out);
    RBP_TRY(check_pair(fn, a, an, b, bn, n, min_n));
    RBP_TRY(alloc_work(fn, n, &work, &size));
    rbp_status st = ws_fn(a, b, n, work, size, out);
    rbp__free(work);
    return st;
}

rbp_status rbp_metric_roc_auc(const float *scores, const float *labels, size_t n, double *out)
{
    return scalar_with_work("rbp_metric_roc_auc", rbp_metric_roc_auc_ws, scores, "scores", labels, "labels", n, 1,
                            out);
}

rbp_status rbp_metric_average_precision(const float *scores, const float *labels, size_t n, double *out)
{
    return scalar_with_work("rbp_metric_average_precision", rbp_metric_average_precision_ws, scores, "scores",
                            labels, "labels", n, 1, out);
}

rbp_status rbp_metric_spearman(const float *x, const float *y, size_t n, double *out)
{
    return scalar_with_work("rbp_metric_spearman", rbp_metric_spearman_ws, x, "x", y, "y", n, 2, out);
}

rbp_status rbp_metric_roc_curve(const float *scores, const float *labels, size_t n, double *fpr, double *tpr,
                                double *thresholds, size_t cap, size_t *count)
{
    static const char fn[] = "rbp_metric_roc_curve";
    void *work;
    size_t size;
    int query;
    RBP_TRY(check_curve_out(fn, fpr, "fpr", tpr, "tpr", thresholds, count, &query));
    RBP_TRY(check_pair(fn, scores, "scores", labels, "labels", n, 1));
    RBP_TRY(alloc_work(fn, n, &work, &size));
    rbp_status st = rbp_metric_roc_curve_ws(scores, labels, n, fpr, tpr, thresholds, cap, count, work, size);
    rbp__free(work);
    return st;
}

rbp_status rbp_metric_pr_curve(const float *scores, const float *labels, size_t n, double *precision,
                               double *recall, double *thresholds, size_t cap, size_t *count)
{
    static const char fn[] = "rbp_metric_pr_curve";
    void *work;
    size_t size;
    int query;
    RBP_TRY(check_curve_out(fn, precision, "precision", recall, "recall", thresholds, count, &query));
    RBP_TRY(check_pair(fn, scores, "scores", labels, "labels", n, 1));
    RBP_TRY(alloc_work(fn, n, &work, &size));
    rbp_status st = rbp_metric_pr_curve_ws(scores, labels, n, precision, recall, thresholds, cap, count, work, size);
    rbp__free(work);
    return st;
}
