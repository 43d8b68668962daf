/*
 * interpret/scan.c - sliding-window scanning (rbp_scanner), peak calling on the track, and
 * mutation maps. See rbpattn/scan.h for the window layout.
 *
 * One buffer holds the positions [base, fed) of the current sequence: their tokens (needed by
 * windows not yet scored) and their track accumulators (positions not yet final). A position
 * p is final once no future window can cover it: future regular windows start at >= next,
 * and the end window at N - L >= fed - L, so p < min(next, fed - L) is final; that bound is
 * also the first token a future window needs, so both arrays share one base. Windows are
 * scored in full chunks of chunk_windows while feeding (and the rest at the end), which
 * keeps the buffer within L + chunk_windows * step positions and the batches independent of
 * how the sequence was cut into pieces.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "data/data_internal.h"
#include "model/model_internal.h"
#include "rbpattn/metadata.h"
#include "rbpattn/scan.h"

struct rbp_scanner {
    rbp_session *session;
    rbp_scan_options opt;
    rbp_scan_track_fn track_cb;
    rbp_scan_windows_fn windows_cb;
    rbp_scan_peak_fn peak_cb;
    void *ctx;
    int32_t L;
    size_t cap; /* positions of the buffer */
    /* the buffer over positions [base, fed) */
    uint8_t *tok;
    float *acc; /* max, or sum for the mean */
    int32_t *cnt;
    float *vals; /* final values handed to the track callback */
    int64_t base, fed, next;
    int end_done;
    /* one chunk of windows */
    uint8_t *wtok, *wmask, *wvp;
    int64_t *wstart;
    float *wscore;
    /* peak in progress */
    int in_peak;
    rbp_scan_peak peak;
    int64_t last_above;
    int64_t summit_lo, summit_hi; /* first run of positions at the peak's maximum */
};

/* The input encoding of a model, from its own metadata (rbpattn/metadata.h): the window length
 * and an alphabet this version reads (the windows are encoded with the reader's table). The
 * recorded truncation does not apply to windows, and case never marks a viewpoint here. */
static rbp_status scan_encoding(const rbp_model *m, int32_t *L, const char *fn)
{
    rbp_model_config cfg;
    RBP_TRY(rbp_model_get_config(m, &cfg));
    RBP_CHECK(!cfg.use_structure, RBP_ERR_INVALID_ARG,
              "%s: the model uses a structure channel, which scanning cannot provide", fn);
    rbp_dataset_options enc;
    rbp_status st = rbp_dataset_options_from_model(&enc, m);
    if (st != RBP_OK)
        return rbp__wrap_error(st, "%s: the model's input encoding", fn);
    *L = enc.length;
    return RBP_OK;
}

rbp_status rbp_scan_options_init(rbp_scan_options *opt, uint32_t version)
{
    RBP_CHECK_NULL(opt);
    RBP_CHECK(version == RBP_SCAN_OPTIONS_VERSION, RBP_ERR_INVALID_ARG,
              "rbp_scan_options_init: unknown options version %u (this library has %u)", (unsigned)version,
              (unsigned)RBP_SCAN_OPTIONS_VERSION);
    memset(opt, 0, sizeof *opt);
    opt->version = RBP_SCAN_OPTIONS_VERSION;
    opt->step = 1;
    opt->reduce = RBP_SCAN_REDUCE_MAX;
    opt->batch_size = 64;
    opt->chunk_windows = 4096;
    opt->peak_threshold = NAN;
    return RBP_OK;
}

static rbp_status check_options(const rbp_scan_options *o, const char *fn)
{
    RBP_CHECK(o->version == RBP_SCAN_OPTIONS_VERSION, RBP_ERR_INVALID_ARG,
              "%s: rbp_scan_options.version %u is unknown (initialise them with rbp_scan_options_init)", fn,
              (unsigned)o->version);
    RBP_CHECK(o->step >= 1 && o->step <= (1 << 24), RBP_ERR_INVALID_ARG,
              "%s: rbp_scan_options.step (--step) = %d, expected 1..%d", fn, (int)o->step, 1 << 24);
    RBP_CHECK(o->reduce == RBP_SCAN_REDUCE_MAX || o->reduce == RBP_SCAN_REDUCE_MEAN, RBP_ERR_INVALID_ARG,
              "%s: rbp_scan_options.reduce (--reduce) = %d, expected RBP_SCAN_REDUCE_MAX or _MEAN", fn,
              (int)o->reduce);
    RBP_CHECK(o->batch_size >= 1 && o->batch_size <= (1 << 20), RBP_ERR_INVALID_ARG,
              "%s: rbp_scan_options.batch_size (--batch) = %d, expected 1..%d", fn, (int)o->batch_size, 1 << 20);
    RBP_CHECK(o->chunk_windows >= o->batch_size && o->chunk_windows <= (1 << 24), RBP_ERR_INVALID_ARG,
              "%s: rbp_scan_options.chunk_windows (--chunk) = %d, expected batch_size (%d) .. %d", fn,
              (int)o->chunk_windows, (int)o->batch_size, 1 << 24);
    RBP_CHECK(o->peak_merge >= 0, RBP_ERR_INVALID_ARG, "%s: rbp_scan_options.peak_merge (--merge) = %d, expected >= 0",
              fn, (int)o->peak_merge);
    return RBP_OK;
}

void rbp_scanner_free(rbp_scanner *sc)
{
    if (!sc)
        return;
    rbp__free(sc->tok);
    rbp__free(sc->acc);
    rbp__free(sc->cnt);
    rbp__free(sc->vals);
    rbp__free(sc->wtok);
    rbp__free(sc->wmask);
    rbp__free(sc->wvp);
    rbp__free(sc->wstart);
    rbp__free(sc->wscore);
    rbp__free(sc);
}

static void scanner_clear(rbp_scanner *sc)
{
    sc->base = sc->fed = sc->next = 0;
    sc->end_done = 0;
    sc->in_peak = 0;
}

rbp_status rbp_scanner_create(rbp_scanner **out, rbp_session *session, const rbp_scan_options *opt,
                              rbp_scan_track_fn track, rbp_scan_windows_fn windows, rbp_scan_peak_fn peak, void *ctx)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(session);
    rbp_scan_options defaults;
    if (!opt) {
        rbp_scan_options_init(&defaults, RBP_SCAN_OPTIONS_VERSION);
        opt = &defaults;
    }
    RBP_TRY(check_options(opt, "rbp_scanner_create"));
    int32_t L = 0;
    RBP_TRY(scan_encoding(session->model, &L, "rbp_scanner_create"));
    RBP_CHECK(opt->step <= L, RBP_ERR_INVALID_ARG,
              "rbp_scanner_create: rbp_scan_options.step (--step) = %d is longer than the model's windows (%d): "
              "positions between windows would get no score", (int)opt->step, (int)L);
    rbp_scanner *sc = rbp__calloc(1, sizeof *sc);
    if (!sc)
        return rbp__oom();
    sc->session = session;
    sc->opt = *opt;
    sc->track_cb = track;
    sc->windows_cb = windows;
    sc->peak_cb = peak;
    sc->ctx = ctx;
    sc->L = L;
    const size_t C = (size_t)opt->chunk_windows;
    sc->cap = (size_t)L + C * (size_t)opt->step;
    sc->tok = rbp__malloc(sc->cap);
    sc->acc = rbp__malloc(sc->cap * sizeof *sc->acc);
    sc->cnt = rbp__malloc(sc->cap * sizeof *sc->cnt);
    sc->vals = rbp__malloc(sc->cap * sizeof *sc->vals);
    sc->wtok = rbp__malloc(C * (size_t)L);
    sc->wmask = rbp__malloc(C * (size_t)L);
    sc->wvp = rbp__malloc(C * (size_t)L);
    sc->wstart = rbp__malloc(C * sizeof *sc->wstart);
    sc->wscore = rbp__malloc(C * sizeof *sc->wscore);
    if (!sc->tok || !sc->acc || !sc->cnt || !sc->vals || !sc->wtok || !sc->wmask || !sc->wvp || !sc->wstart ||
        !sc->wscore) {
        rbp_scanner_free(sc);
        return rbp__oom();
    }
    scanner_clear(sc);
    *out = sc;
    return RBP_OK;
}

static rbp_status cancelled(const char *what)
{
    /* keep a message the callback may have set; otherwise say who stopped */
    const char *msg = rbp_last_error();
    if (msg && *msg)
        return rbp__wrap_error(RBP_ERR_CANCELLED, "the %s callback stopped the scan", what);
    return rbp__set_error(RBP_ERR_CANCELLED, "the %s callback stopped the scan", what);
}

static rbp_status emit_peak(rbp_scanner *sc)
{
    sc->in_peak = 0;
    if (sc->peak_cb) {
        rbp_clear_error();
        if (sc->peak_cb(sc->ctx, &sc->peak) != 0)
            return cancelled("peak");
    }
    return RBP_OK;
}

/* Peak calling over final values of positions first .. first + n - 1. The summit is the middle
 * of the first run of positions holding the peak's maximum: under max reduction that run is
 * the best window's span (where no better window overlaps), so its middle is the window's
 * centre rather than its first position. */
static rbp_status call_peaks(rbp_scanner *sc, int64_t first, const float *v, size_t n)
{
    const float thr = sc->opt.peak_threshold;
    for (size_t i = 0; i < n; i++) {
        const int64_t p = first + (int64_t)i;
        if (v[i] >= thr) {
            if (sc->in_peak && p - sc->last_above - 1 > sc->opt.peak_merge)
                RBP_TRY(emit_peak(sc));
            if (!sc->in_peak || v[i] > sc->peak.score) {
                if (!sc->in_peak)
                    sc->peak.start = p;
                sc->in_peak = 1;
                sc->peak.score = v[i];
                sc->summit_lo = sc->summit_hi = p;
            } else if (v[i] == sc->peak.score && sc->summit_hi == p - 1) {
                sc->summit_hi = p;
            }
            sc->peak.summit = sc->summit_lo + (sc->summit_hi - sc->summit_lo) / 2;
            sc->last_above = p;
            sc->peak.end = p + 1;
        } else if (sc->in_peak && p - sc->last_above > sc->opt.peak_merge) {
            RBP_TRY(emit_peak(sc));
        }
    }
    return RBP_OK;
}

/* Hand out the track of positions [base, upto) and drop them (and their tokens). */
static rbp_status emit_until(rbp_scanner *sc, int64_t upto)
{
    if (upto <= sc->base)
        return RBP_OK;
    const size_t k = (size_t)(upto - sc->base), len = (size_t)(sc->fed - sc->base);
    const int mean = sc->opt.reduce == RBP_SCAN_REDUCE_MEAN;
    for (size_t i = 0; i < k; i++)
        sc->vals[i] = mean ? sc->acc[i] / (float)sc->cnt[i] : sc->acc[i];
    if (sc->track_cb) {
        rbp_clear_error();
        if (sc->track_cb(sc->ctx, sc->base, sc->vals, k) != 0)
            return cancelled("track");
    }
    if (isfinite(sc->opt.peak_threshold))
        RBP_TRY(call_peaks(sc, sc->base, sc->vals, k));
    memmove(sc->tok, sc->tok + k, len - k);
    memmove(sc->acc, sc->acc + k, (len - k) * sizeof *sc->acc);
    memmove(sc->cnt, sc->cnt + k, (len - k) * sizeof *sc->cnt);
    sc->base = upto;
    return RBP_OK;
}

/* Collect the next windows into the chunk: full chunks only unless `final`. */
static size_t collect(rbp_scanner *sc, int final)
{
    const int64_t L = sc->L, step = sc->opt.step, C = sc->opt.chunk_windows;
    if (!final) {
        const int64_t ready = sc->next + L <= sc->fed ? (sc->fed - L - sc->next) / step + 1 : 0;
        if (ready < C)
            return 0;
    }
    size_t n = 0;
    while ((int64_t)n < C) {
        if (sc->next + L <= sc->fed) {
            sc->wstart[n++] = sc->next;
            sc->next += step;
        } else if (final && !sc->end_done) {
            sc->end_done = 1;
            if (sc->fed > 0 && sc->fed < L)
                sc->wstart[n++] = 0; /* shorter than a window: one padded window */
            else if (sc->fed >= L && sc->next - step != sc->fed - L)
                sc->wstart[n++] = sc->fed - L; /* the window ending at the last position */
        } else {
            break;
        }
    }
    return n;
}

/* Score chunks of windows, accumulate the track, emit what is final. */
static rbp_status drain(rbp_scanner *sc, int final)
{
    const int32_t L = sc->L;
    for (;;) {
        const size_t n = collect(sc, final);
        if (n == 0)
            break;
        for (size_t w = 0; w < n; w++) {
            const int64_t s = sc->wstart[w];
            const size_t real = (size_t)(sc->fed - s < L ? sc->fed - s : L);
            uint8_t *t = sc->wtok + w * (size_t)L, *m = sc->wmask + w * (size_t)L, *v = sc->wvp + w * (size_t)L;
            memcpy(t, sc->tok + (s - sc->base), real);
            memset(m, 1, real);
            memset(v, 1, real);
            memset(t + real, RBP_TOK_PAD, (size_t)L - real);
            memset(m + real, 0, (size_t)L - real);
            memset(v + real, 0, (size_t)L - real);
        }
        RBP_TRY(rbp__session_predict_rows(sc->session, sc->wtok, sc->wmask, NULL, sc->wvp, n, L,
                                          sc->opt.batch_size, sc->wscore, sc->opt.logits, "rbp_scanner"));
        if (sc->windows_cb) {
            rbp_clear_error();
            if (sc->windows_cb(sc->ctx, sc->wstart, sc->wscore, n) != 0)
                return cancelled("windows");
        }
        const int mean = sc->opt.reduce == RBP_SCAN_REDUCE_MEAN;
        for (size_t w = 0; w < n; w++) {
            const int64_t s = sc->wstart[w], e = sc->fed - s < L ? sc->fed : s + L;
            const float y = sc->wscore[w];
            for (int64_t p = s - sc->base; p < e - sc->base; p++) {
                if (sc->cnt[p] == 0)
                    sc->acc[p] = y;
                else if (mean)
                    sc->acc[p] += y;
                else if (y > sc->acc[p])
                    sc->acc[p] = y;
                sc->cnt[p]++;
            }
        }
        RBP_TRY(emit_until(sc, sc->next < sc->fed - L ? sc->next : sc->fed - L));
    }
    /* at the end every window has been scored: the rest of the track is final */
    return final ? emit_until(sc, sc->fed) : RBP_OK;
}

rbp_status rbp_scanner_feed(rbp_scanner *sc, const char *text, size_t n)
{
    RBP_CHECK_NULL(sc);
    RBP_CHECK(text != NULL || n == 0, RBP_ERR_INVALID_ARG, "rbp_scanner_feed: argument 'text' is NULL");
    size_t i = 0;
    while (i < n) {
        size_t len = (size_t)(sc->fed - sc->base);
        if (len == sc->cap) {
            RBP_TRY(drain(sc, 0));
            len = (size_t)(sc->fed - sc->base);
        }
        const size_t room = sc->cap - len;
        size_t added = 0;
        for (; i < n && added < room; i++) {
            const uint8_t e = rbp__seq_table[(unsigned char)text[i]];
            if ((e & RBP__ENC_SKIP) || text[i] == '\n')
                continue;
            if (e & RBP__ENC_BAD) {
                char buf[16];
                const int64_t pos = sc->fed + (int64_t)added;
                sc->fed += (int64_t)added; /* the letters before it stay fed */
                return rbp__set_error(RBP_ERR_FORMAT, "rbp_scanner_feed: character %s at position %lld is not a nucleotide",
                                      rbp__char_repr(buf, (unsigned char)text[i]), (long long)pos + 1);
            }
            sc->tok[len + added] = (uint8_t)(e & RBP__ENC_TOKEN);
            sc->cnt[len + added] = 0;
            added++;
        }
        sc->fed += (int64_t)added;
        RBP_TRY(drain(sc, 0));
    }
    return RBP_OK;
}

rbp_status rbp_scanner_finish(rbp_scanner *sc)
{
    RBP_CHECK_NULL(sc);
    rbp_status st = drain(sc, 1);
    if (st == RBP_OK && sc->in_peak)
        st = emit_peak(sc);
    scanner_clear(sc);
    return st;
}

rbp_status rbp_scanner_reset(rbp_scanner *sc)
{
    RBP_CHECK_NULL(sc);
    scanner_clear(sc);
    return RBP_OK;
}

int64_t rbp_scanner_position(const rbp_scanner *sc)
{
    if (!sc)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_scanner_position: argument 'sc' is NULL");
    return sc->fed;
}

/* ------------------------------------------------------------------ whole sequences */

typedef struct copy_ctx {
    float *track;
} copy_ctx;

static int copy_track(void *ctx, int64_t first, const float *values, size_t n)
{
    memcpy(((copy_ctx *)ctx)->track + first, values, n * sizeof *values);
    return 0;
}

rbp_status rbp_scan_sequence(rbp_session *session, const char *seq, size_t n, const rbp_scan_options *opt,
                             float *track)
{
    RBP_CHECK_NULL(session);
    RBP_CHECK_NULL(seq);
    RBP_CHECK_NULL(track);
    rbp_scan_options o;
    if (opt)
        o = *opt;
    else
        rbp_scan_options_init(&o, RBP_SCAN_OPTIONS_VERSION);
    RBP_TRY(check_options(&o, "rbp_scan_sequence"));
    o.peak_threshold = NAN;
    /* no bigger chunk than the sequence needs */
    const int64_t windows = (int64_t)n / o.step + 2;
    if (windows < o.chunk_windows)
        o.chunk_windows = windows > o.batch_size ? (int32_t)windows : o.batch_size;
    copy_ctx ctx = {track};
    rbp_scanner *sc = NULL;
    RBP_TRY(rbp_scanner_create(&sc, session, &o, copy_track, NULL, NULL, &ctx));
    rbp_status st = rbp_scanner_feed(sc, seq, n);
    if (st == RBP_OK)
        st = rbp_scanner_finish(sc);
    rbp_scanner_free(sc);
    return st;
}

/* ------------------------------------------------------------------ mutation maps */

rbp_status rbp_mutation_map(rbp_session *session, const char *seq, size_t n, int32_t batch_size, float *ref_logit,
                            float *delta)
{
    RBP_CHECK_NULL(session);
    RBP_CHECK_NULL(seq);
    RBP_CHECK_NULL(ref_logit);
    RBP_CHECK_NULL(delta);
    RBP_CHECK(batch_size >= 1, RBP_ERR_INVALID_ARG, "rbp_mutation_map: batch_size = %d, expected >= 1",
              (int)batch_size);
    int32_t L = 0;
    RBP_TRY(scan_encoding(session->model, &L, "rbp_mutation_map"));
    RBP_CHECK(n >= 1 && n <= (size_t)L, RBP_ERR_INVALID_ARG,
              "rbp_mutation_map: the sequence has %zu letters, expected 1..%d (the model's length)", n, (int)L);
    const size_t rows = 1 + 4 * n;
    uint8_t *tok = rbp__malloc(rows * (size_t)L * 3);
    float *y = rbp__malloc(rows * sizeof *y);
    if (!tok || !y) {
        rbp__free(tok);
        rbp__free(y);
        return rbp__oom();
    }
    uint8_t *mask = tok + rows * (size_t)L, *vp = mask + rows * (size_t)L;
    rbp_status st = RBP_OK;
    for (size_t i = 0; i < n; i++) {
        const uint8_t e = rbp__seq_table[(unsigned char)seq[i]];
        if (e & (RBP__ENC_BAD | RBP__ENC_SKIP)) {
            char buf[16];
            st = rbp__set_error(RBP_ERR_FORMAT, "rbp_mutation_map: character %s at position %zu is not a nucleotide",
                                rbp__char_repr(buf, (unsigned char)seq[i]), i + 1);
            break;
        }
        tok[i] = (uint8_t)(e & RBP__ENC_TOKEN);
    }
    if (st == RBP_OK) {
        memset(tok + n, RBP_TOK_PAD, (size_t)L - n);
        memset(mask, 1, n);
        memset(mask + n, 0, (size_t)L - n);
        for (size_t r = 1; r < rows; r++) {
            memcpy(tok + r * (size_t)L, tok, (size_t)L);
            memcpy(mask + r * (size_t)L, mask, (size_t)L);
        }
        memcpy(vp, mask, rows * (size_t)L);
        /* row 1 + 4i + b: position i set to base b (the row of its own base is scored too, so
         * that an N gets all four) */
        for (size_t i = 0; i < n; i++)
            for (uint8_t b = 0; b < 4; b++)
                tok[(1 + 4 * i + b) * (size_t)L + i] = b;
        st = rbp__session_predict_rows(session, tok, mask, NULL, vp, rows, L, batch_size, y, 1, "rbp_mutation_map");
    }
    if (st == RBP_OK) {
        *ref_logit = y[0];
        for (size_t i = 0; i < n; i++)
            for (uint8_t b = 0; b < 4; b++)
                delta[i * 4 + b] = b != tok[i] ? y[1 + 4 * i + b] - y[0] : 0.0f;
    }
    rbp__free(tok);
    rbp__free(y);
    return st;
}
