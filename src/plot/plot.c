/*
 * plot/plot.c - the figures of rbpattn/plot.h: heatmaps (single or a grid of panels with one
 * shared colour bar), importance tracks (bars or stretched letters) and line plots of curves.
 *
 * Each figure is laid out first (every size is a function of the arguments, no drawing
 * needed), then drawn once through the canvas calls of plot_canvas.h onto either the raster
 * backend (then written as PNG) or the SVG backend. Files go through rbp_atomic_file and
 * are renamed over `path` only when complete. Nothing here formats numbers with printf's %f
 * or %g: tick labels are built from integers so the host program's locale cannot change them.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_canvas.h"
#include "rbpattn/atomic_file.h"

/* ------------------------------------------------------------------ colours */

const rbp__rgb rbp__viridis[256] = {
    {68, 1, 84}, {68, 2, 86}, {69, 4, 87}, {69, 5, 89},
    {70, 7, 90}, {70, 8, 92}, {70, 10, 93}, {70, 11, 94},
    {71, 13, 96}, {71, 14, 97}, {71, 16, 99}, {71, 17, 100},
    {71, 19, 101}, {72, 20, 103}, {72, 22, 104}, {72, 23, 105},
    {72, 24, 106}, {72, 26, 108}, {72, 27, 109}, {72, 28, 110},
    {72, 29, 111}, {72, 31, 112}, {72, 32, 113}, {72, 33, 115},
    {72, 35, 116}, {72, 36, 117}, {72, 37, 118}, {72, 38, 119},
    {72, 40, 120}, {72, 41, 121}, {71, 42, 122}, {71, 44, 122},
    {71, 45, 123}, {71, 46, 124}, {71, 47, 125}, {70, 48, 126},
    {70, 50, 126}, {70, 51, 127}, {70, 52, 128}, {69, 53, 129},
    {69, 55, 129}, {69, 56, 130}, {68, 57, 131}, {68, 58, 131},
    {68, 59, 132}, {67, 61, 132}, {67, 62, 133}, {66, 63, 133},
    {66, 64, 134}, {66, 65, 134}, {65, 66, 135}, {65, 68, 135},
    {64, 69, 136}, {64, 70, 136}, {63, 71, 136}, {63, 72, 137},
    {62, 73, 137}, {62, 74, 137}, {62, 76, 138}, {61, 77, 138},
    {61, 78, 138}, {60, 79, 138}, {60, 80, 139}, {59, 81, 139},
    {59, 82, 139}, {58, 83, 139}, {58, 84, 140}, {57, 85, 140},
    {57, 86, 140}, {56, 88, 140}, {56, 89, 140}, {55, 90, 140},
    {55, 91, 141}, {54, 92, 141}, {54, 93, 141}, {53, 94, 141},
    {53, 95, 141}, {52, 96, 141}, {52, 97, 141}, {51, 98, 141},
    {51, 99, 141}, {50, 100, 142}, {50, 101, 142}, {49, 102, 142},
    {49, 103, 142}, {49, 104, 142}, {48, 105, 142}, {48, 106, 142},
    {47, 107, 142}, {47, 108, 142}, {46, 109, 142}, {46, 110, 142},
    {46, 111, 142}, {45, 112, 142}, {45, 113, 142}, {44, 113, 142},
    {44, 114, 142}, {44, 115, 142}, {43, 116, 142}, {43, 117, 142},
    {42, 118, 142}, {42, 119, 142}, {42, 120, 142}, {41, 121, 142},
    {41, 122, 142}, {41, 123, 142}, {40, 124, 142}, {40, 125, 142},
    {39, 126, 142}, {39, 127, 142}, {39, 128, 142}, {38, 129, 142},
    {38, 130, 142}, {38, 130, 142}, {37, 131, 142}, {37, 132, 142},
    {37, 133, 142}, {36, 134, 142}, {36, 135, 142}, {35, 136, 142},
    {35, 137, 142}, {35, 138, 141}, {34, 139, 141}, {34, 140, 141},
    {34, 141, 141}, {33, 142, 141}, {33, 143, 141}, {33, 144, 141},
    {33, 145, 140}, {32, 146, 140}, {32, 146, 140}, {32, 147, 140},
    {31, 148, 140}, {31, 149, 139}, {31, 150, 139}, {31, 151, 139},
    {31, 152, 139}, {31, 153, 138}, {31, 154, 138}, {30, 155, 138},
    {30, 156, 137}, {30, 157, 137}, {31, 158, 137}, {31, 159, 136},
    {31, 160, 136}, {31, 161, 136}, {31, 161, 135}, {31, 162, 135},
    {32, 163, 134}, {32, 164, 134}, {33, 165, 133}, {33, 166, 133},
    {34, 167, 133}, {34, 168, 132}, {35, 169, 131}, {36, 170, 131},
    {37, 171, 130}, {37, 172, 130}, {38, 173, 129}, {39, 173, 129},
    {40, 174, 128}, {41, 175, 127}, {42, 176, 127}, {44, 177, 126},
    {45, 178, 125}, {46, 179, 124}, {47, 180, 124}, {49, 181, 123},
    {50, 182, 122}, {52, 182, 121}, {53, 183, 121}, {55, 184, 120},
    {56, 185, 119}, {58, 186, 118}, {59, 187, 117}, {61, 188, 116},
    {63, 188, 115}, {64, 189, 114}, {66, 190, 113}, {68, 191, 112},
    {70, 192, 111}, {72, 193, 110}, {74, 193, 109}, {76, 194, 108},
    {78, 195, 107}, {80, 196, 106}, {82, 197, 105}, {84, 197, 104},
    {86, 198, 103}, {88, 199, 101}, {90, 200, 100}, {92, 200, 99},
    {94, 201, 98}, {96, 202, 96}, {99, 203, 95}, {101, 203, 94},
    {103, 204, 92}, {105, 205, 91}, {108, 205, 90}, {110, 206, 88},
    {112, 207, 87}, {115, 208, 86}, {117, 208, 84}, {119, 209, 83},
    {122, 209, 81}, {124, 210, 80}, {127, 211, 78}, {129, 211, 77},
    {132, 212, 75}, {134, 213, 73}, {137, 213, 72}, {139, 214, 70},
    {142, 214, 69}, {144, 215, 67}, {147, 215, 65}, {149, 216, 64},
    {152, 216, 62}, {155, 217, 60}, {157, 217, 59}, {160, 218, 57},
    {162, 218, 55}, {165, 219, 54}, {168, 219, 52}, {170, 220, 50},
    {173, 220, 48}, {176, 221, 47}, {178, 221, 45}, {181, 222, 43},
    {184, 222, 41}, {186, 222, 40}, {189, 223, 38}, {192, 223, 37},
    {194, 223, 35}, {197, 224, 33}, {200, 224, 32}, {202, 225, 31},
    {205, 225, 29}, {208, 225, 28}, {210, 226, 27}, {213, 226, 26},
    {216, 226, 25}, {218, 227, 25}, {221, 227, 24}, {223, 227, 24},
    {226, 228, 24}, {229, 228, 25}, {231, 228, 25}, {234, 229, 26},
    {236, 229, 27}, {239, 229, 28}, {241, 229, 29}, {244, 230, 30},
    {246, 230, 32}, {248, 230, 33}, {251, 231, 35}, {253, 231, 37},
};

static const rbp__rgb BLACK = {0, 0, 0};
static const rbp__rgb DARK = {51, 51, 51};
static const rbp__rgb GREY = {128, 128, 128};
static const rbp__rgb LIGHT = {230, 230, 230};
static const rbp__rgb MISSING = {217, 217, 217};
static const rbp__rgb WHITE = {255, 255, 255};
static const rbp__rgb BAR = {68, 119, 170};

/* Line colours: matplotlib's "tab10" cycle, which most readers already know from papers. */
static const rbp__rgb PALETTE[10] = {
    {31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
    {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207},
};

/* The usual sequence-logo colours, slightly darkened so letters stay readable on white. */
rbp__rgb rbp__nucleotide_color(char ch, rbp__rgb other)
{
    switch (ch) {
    case 'A': case 'a': return (rbp__rgb){16, 150, 72};
    case 'C': case 'c': return (rbp__rgb){37, 92, 153};
    case 'G': case 'g': return (rbp__rgb){230, 150, 0};
    case 'U': case 'u': case 'T': case 't': return (rbp__rgb){214, 40, 57};
    default: return other;
    }
}

/* ------------------------------------------------------------------ canvas dispatch */

int rbp__text_width(const char *s, int scale)
{
    size_t n = s ? strlen(s) : 0;
    return n ? (int)n * RBP__FONT_ADV * scale - scale : 0;
}

void rbp__cv_rect(rbp__canvas *cv, double x, double y, double w, double h, rbp__rgb c)
{
    if (w <= 0 || h <= 0)
        return;
    if (cv->kind == RBP__CANVAS_SVG)
        rbp__svg_rect(cv, x, y, w, h, c);
    else
        rbp__raster_rect(cv, x, y, w, h, c);
}

void rbp__cv_line(rbp__canvas *cv, double x0, double y0, double x1, double y1, double width, rbp__rgb c, int dashed)
{
    if (cv->kind == RBP__CANVAS_SVG) {
        rbp__svg_line(cv, x0, y0, x1, y1, width, c, dashed);
        return;
    }
    if (!dashed) {
        rbp__raster_line(cv, x0, y0, x1, y1, width, c);
        return;
    }
    /* 6 px on, 4 px off, like the SVG dash array. */
    double len = hypot(x1 - x0, y1 - y0);
    if (len <= 0)
        return;
    double ux = (x1 - x0) / len, uy = (y1 - y0) / len;
    for (double s = 0; s < len; s += 10) {
        double e = fmin(s + 6, len);
        rbp__raster_line(cv, x0 + ux * s, y0 + uy * s, x0 + ux * e, y0 + uy * e, width, c);
    }
}

void rbp__cv_polyline(rbp__canvas *cv, const double *x, const double *y, size_t n, double width, rbp__rgb c)
{
    if (n < 2)
        return;
    if (cv->kind == RBP__CANVAS_SVG) {
        rbp__svg_polyline(cv, x, y, n, width, c);
        return;
    }
    for (size_t i = 0; i + 1 < n; i++)
        rbp__raster_line(cv, x[i], y[i], x[i + 1], y[i + 1], width, c);
}

void rbp__cv_text(rbp__canvas *cv, double x, double y, const char *s, int scale, int align, int vertical,
                  rbp__rgb c)
{
    if (s == NULL || s[0] == '\0')
        return;
    if (cv->kind == RBP__CANVAS_SVG) {
        rbp__svg_text(cv, x, y, s, scale, align, vertical, c);
        return;
    }
    int w = rbp__text_width(s, scale);
    double off = align == RBP__ALIGN_LEFT ? 0.0 : align == RBP__ALIGN_CENTER ? 0.5 * w : (double)w;
    if (vertical)
        rbp__raster_text(cv, x, y + off, s, scale, 1, c);
    else
        rbp__raster_text(cv, x - off, y, s, scale, 0, c);
}

void rbp__cv_glyph(rbp__canvas *cv, unsigned char ch, double x, double y, double w, double h, int flip, rbp__rgb c)
{
    if (w <= 0 || h <= 0)
        return;
    if (cv->kind == RBP__CANVAS_SVG) {
        rbp__svg_glyph(cv, ch, x, y, w, h, flip, c);
        return;
    }
    /* The same runs of ink as the SVG path, so both formats draw identical letters. */
    double cw = w / RBP__GLYPH_BOLD_W, rh = h / RBP__FONT_ASCENT;
    for (int r = 0; r < RBP__FONT_ASCENT; r++) {
        unsigned row = rbp__glyph_bold_row((unsigned char)ch, r);
        double top = y + (flip ? RBP__FONT_ASCENT - 1 - r : r) * rh;
        for (int at = 0, c0, c1; rbp__glyph_next_run(row, &at, &c0, &c1);)
            rbp__raster_rect(cv, x + c0 * cw, top, (c1 - c0 + 1) * cw, rh, c);
    }
}

void rbp__cv_ramp(rbp__canvas *cv, int x, int y, int w, int h, const rbp__rgb *lut, int n)
{
    if (cv->kind == RBP__CANVAS_SVG) {
        rbp__svg_ramp(cv, x, y, w, h, lut, n);
        return;
    }
    for (int j = 0; j < h; j++) {
        int idx = h > 1 ? (int)((long)(h - 1 - j) * (n - 1) / (h - 1)) : n - 1;
        rbp__raster_rect(cv, x, y + j, w, 1, lut[idx]);
    }
}

void rbp__cv_clip_begin(rbp__canvas *cv, double x, double y, double w, double h)
{
    cv->clip = 1;
    cv->cx0 = x;
    cv->cy0 = y;
    cv->cx1 = x + w;
    cv->cy1 = y + h;
    if (cv->kind == RBP__CANVAS_SVG)
        rbp__svg_clip_begin(cv, x, y, w, h);
}

void rbp__cv_clip_end(rbp__canvas *cv)
{
    cv->clip = 0;
    if (cv->kind == RBP__CANVAS_SVG)
        rbp__svg_clip_end(cv);
}

/* 1-px frame just outside the rectangle (x, y, w, h). */
static void frame(rbp__canvas *cv, double x, double y, double w, double h, rbp__rgb c)
{
    rbp__cv_rect(cv, x - 1, y - 1, w + 2, 1, c);
    rbp__cv_rect(cv, x - 1, y + h, w + 2, 1, c);
    rbp__cv_rect(cv, x - 1, y, 1, h, c);
    rbp__cv_rect(cv, x + w, y, 1, h, c);
}

/* ------------------------------------------------------------------ numbers and ticks */

/* `v` with `decimals` digits after the point, built from integers (locale-proof). */
static void fmt_fixed(char *buf, size_t cap, double v, int decimals)
{
    decimals = decimals < 0 ? 0 : decimals > 9 ? 9 : decimals;
    long long p10 = 1;
    for (int i = 0; i < decimals; i++)
        p10 *= 10;
    if (!(fabs(v) * (double)p10 < 9e15)) { /* beyond exact integers: rare, scientific is fine */
        snprintf(buf, cap, "%.3g", v);
        return;
    }
    long long s = llround(v * (double)p10);
    const char *sign = s < 0 ? "-" : "";
    long long a = s < 0 ? -s : s;
    if (decimals > 0)
        snprintf(buf, cap, "%s%lld.%0*lld", sign, a / p10, decimals, a % p10);
    else
        snprintf(buf, cap, "%s%lld", sign, a);
}

/* A compact readable label for an arbitrary value (track maxima): 3 significant digits. */
static void fmt_short(char *buf, size_t cap, double v)
{
    double a = fabs(v);
    int d = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : a >= 0.01 ? 4 : a >= 0.001 ? 5 : -1;
    if (d < 0 && a != 0) { /* mantissa and exponent by hand, locale-proof like the rest */
        int e = (int)floor(log10(a));
        double mant = v / pow(10, e);
        if (fabs(mant) >= 9.995) { /* rounds up to 10.00 */
            mant /= 10;
            e++;
        }
        char m[24];
        fmt_fixed(m, sizeof m, mant, 2);
        snprintf(buf, cap, "%se%d", m, e);
    } else
        fmt_fixed(buf, cap, v, d < 0 ? 0 : d);
}

#define MAX_TICKS 24

typedef struct ticks {
    int n;
    int decimals;
    double v[MAX_TICKS];
} ticks;

/* "Nice" ticks (1, 2, 5 x 10^k steps) inside [lo, hi], about `target` intervals. */
static void nice_ticks(ticks *t, double lo, double hi, int target)
{
    t->n = 0;
    t->decimals = 0;
    double range = hi - lo;
    if (!(range > 0) || !isfinite(range))
        return;
    double raw = range / target, e = floor(log10(raw)), f = raw / pow(10, e);
    double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * pow(10, e);
    int dec = (int)-floor(log10(step) + 1e-9);
    t->decimals = dec < 0 ? 0 : dec > 9 ? 9 : dec;
    double first = ceil(lo / step - 1e-9);
    for (double k = first; t->n < MAX_TICKS; k++) {
        double v = k * step;
        if (v > hi + 1e-9 * step)
            break;
        t->v[t->n++] = fabs(v) < 1e-12 * step ? 0.0 : v;
    }
}

static int ticks_label_width(const ticks *t, int scale)
{
    char buf[48];
    int w = 0;
    for (int i = 0; i < t->n; i++) {
        fmt_fixed(buf, sizeof buf, t->v[i], t->decimals);
        int tw = rbp__text_width(buf, scale);
        w = tw > w ? tw : w;
    }
    return w;
}

static int digits_of(long long v)
{
    int d = v < 0 ? 2 : 1;
    for (long long a = v < 0 ? -v : v; a >= 10; a /= 10)
        d++;
    return d;
}

/* Smallest step from 1, 2, 5, 10, 20, 50... with step * cell >= need. */
static int label_step(int cell, int need)
{
    for (int base = 1;; base *= 10) {
        if (base * cell >= need)
            return base;
        if (2 * base * cell >= need)
            return 2 * base;
        if (5 * base * cell >= need)
            return 5 * base;
        if (base > 100000000)
            return base;
    }
}

/* Auto cell size for n positions: 8 px (room for a letter) up to 128 positions, larger for
 * short sequences, smaller (no letters) beyond. */
static int auto_cell(int n)
{
    int cell = 840 / n;
    if (n <= 128)
        return cell < 8 ? 8 : cell > 28 ? 28 : cell;
    return cell < 2 ? 2 : cell > 8 ? 8 : cell;
}

/* Position i gets a number if its value is a multiple of the step, or it is the first one
 * and the next numbered position is far enough away. */
static int numbered(int i, int first, int step, int cell, int need)
{
    long long p = (long long)first + i;
    if (p % step == 0)
        return 1;
    if (i != 0)
        return 0;
    long long next = p + (step - ((p % step) + step) % step);
    return (next - p) * cell >= need;
}

/* ------------------------------------------------------------------ output files */

static rbp_status out_open(rbp__outfile *o, const char *fn, const char *path)
{
    rbp_status st = rbp_atomic_file_open(&o->af, path);
    if (st != RBP_OK)
        return rbp_set_error(st, "%s: %s", fn, rbp_last_error());
    o->f = rbp_atomic_file_stream(o->af);
    return RBP_OK;
}

static void out_abort(rbp__outfile *o)
{
    rbp_atomic_file_abort(o->af);
    o->af = NULL;
    o->f = NULL;
}

static rbp_status out_commit(rbp__outfile *o, const char *fn)
{
    rbp_status st = rbp_atomic_file_commit(o->af);
    o->af = NULL;
    o->f = NULL;
    return st == RBP_OK ? st : rbp_set_error(st, "%s: %s", fn, rbp_last_error());
}

/* Largest picture we agree to draw: 16384 px a side, 64 M pixels (192 MiB of RGB). */
rbp_status rbp__plot_check_size(const char *fn, long long w, long long h)
{
    if (w > 16384 || h > 16384 || w * h > (64ll << 20))
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: the picture would be %lld x %lld pixels (limit 16384 a side, 64 M pixels); "
                              "use a smaller rbp_plot_heatmap_opts.cell_px or fewer panels",
                              fn, w, h);
    return RBP_OK;
}

static rbp_status check_scale(const char *fn, const char *name, int32_t v, int32_t lo, int32_t hi)
{
    if (v < lo || v > hi)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: %s = %d outside [%d, %d]", fn, name, (int)v, (int)lo, (int)hi);
    return RBP_OK;
}

static rbp_status check_label_len(const char *fn, const char *name, const char *s, int32_t need)
{
    if (s && strlen(s) < (size_t)need)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: %s has %zu characters, need one per position (%d)", fn, name,
                              strlen(s), (int)need);
    return RBP_OK;
}

/* ================================================================== heatmaps */

rbp_status rbp_plot_heatmap_opts_init(rbp_plot_heatmap_opts *opts, uint32_t version)
{
    RBP_CHECK_NULL(opts);
    if (version != RBP_PLOT_HEATMAP_OPTS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts_init: version %u is not supported (this "
                              "library knows %d)", version, RBP_PLOT_HEATMAP_OPTS_VERSION);
    memset(opts, 0, sizeof *opts);
    opts->version = version;
    opts->vmin = NAN;
    opts->vmax = NAN;
    opts->first_position = 1;
    return RBP_OK;
}

/* Everything the heatmap drawing needs besides the geometry. */
typedef struct heat_style {
    int fs;             /* label font scale */
    int tfs;            /* figure title scale */
    int row_letters, col_letters;
    int step;           /* position numbers every `step` */
    int num_w;          /* widest position number */
    int track_h;        /* 0: no track */
    int title_h;        /* panel title row */
    ticks cticks;       /* colour-bar ticks */
    int cticks_w;
} heat_style;

static rbp_status check_heat_opts(const char *fn, const rbp_plot_heatmap_opts *o, int32_t rows, int32_t cols)
{
    if (o->version != RBP_PLOT_HEATMAP_OPTS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: rbp_plot_heatmap_opts.version = %u, expected %d (initialise with "
                              "rbp_plot_heatmap_opts_init)", fn,
                              o->version, RBP_PLOT_HEATMAP_OPTS_VERSION);
    RBP_TRY(check_scale(fn, "rbp_plot_heatmap_opts.cell_px", o->cell_px, 0, 64));
    RBP_TRY(check_scale(fn, "rbp_plot_heatmap_opts.font_scale", o->font_scale, 0, 4));
    RBP_TRY(check_scale(fn, "rbp_plot_heatmap_opts.grid_cols", o->grid_cols, 0, 1024));
    RBP_TRY(check_scale(fn, "rbp_plot_heatmap_opts.first_position", o->first_position, -1000000000, 1000000000));
    RBP_TRY(check_label_len(fn, "rbp_plot_heatmap_opts.row_labels", o->row_labels, rows));
    RBP_TRY(check_label_len(fn, "rbp_plot_heatmap_opts.col_labels", o->col_labels, cols));
    RBP_TRY(check_scale(fn, "rbp_plot_heatmap_opts.track_style", o->track_style, RBP_PLOT_TRACK_BARS,
                        RBP_PLOT_TRACK_LOGO));
    if (o->track && o->track_style == RBP_PLOT_TRACK_LOGO && o->col_labels == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: rbp_plot_heatmap_opts.track_style is LOGO but col_labels is NULL (the letters "
                              "to draw)", fn);
    if (isinf(o->vmin) || isinf(o->vmax))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: rbp_plot_heatmap_opts.vmin / vmax must be finite or NaN (auto)",
                              fn);
    if (!isnan(o->vmin) && !isnan(o->vmax) && !(o->vmin < o->vmax))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: rbp_plot_heatmap_opts.vmin = %g is not below vmax = %g", fn,
                              (double)o->vmin, (double)o->vmax);
    return RBP_OK;
}

static void heat_style_init(heat_style *s, rbp__heat_geom *g, const rbp_plot_heatmap_opts *o, int n_panels,
                            int show_titles, int32_t rows, int32_t cols, double lo, double hi)
{
    int m = rows > cols ? rows : cols;
    int cell = o->cell_px ? o->cell_px : auto_cell(m);
    g->cell = cell;
    s->fs = o->font_scale ? o->font_scale : (cell >= 16 ? 2 : 1);
    s->tfs = s->fs + 1;
    int fs = s->fs, A = RBP__FONT_ADV * fs, LH = RBP__FONT_H * fs, cap = RBP__FONT_ASCENT * fs;
    s->col_letters = o->col_labels != NULL && cell >= RBP__FONT_W * fs + 1;
    s->row_letters = o->row_labels != NULL && cell >= cap + 1;
    int last = o->first_position + m - 1;
    int d = digits_of(last) > digits_of(o->first_position) ? digits_of(last) : digits_of(o->first_position);
    s->num_w = d * A - fs;
    int sx = label_step(cell, s->num_w + 2 * A / 3 + 2), sy = label_step(cell, cap + 4);
    s->step = sx > sy ? sx : sy;
    s->track_h = o->track ? (5 * cell < 32 ? 32 : 5 * cell > 80 ? 80 : 5 * cell) : 0;
    s->title_h = show_titles ? RBP__FONT_H * (fs + 1) + 5 : 0;

    /* panel */
    int y_title_w = o->row_title ? LH + 6 : 0;
    int row_num_w = o->hide_row_numbers ? 0 : s->num_w + 6; /* number and its gap to the letters */
    int row_let_w = s->row_letters ? A + 3 : 0;
    g->mx = y_title_w + row_num_w + row_let_w;
    g->my = s->title_h;
    int mw = cols * cell, mh = rows * cell;
    int below = 3;
    if (s->track_h)
        below += LH + 3 + s->track_h + 4;
    if (s->col_letters)
        below += LH + 2;
    below += 4 + LH + 2; /* tick + numbers */
    if (o->col_title)
        below += LH + 6;
    g->panel_w = g->mx + mw + s->num_w / 2 + 4;
    g->panel_h = g->my + mh + below;

    /* grid */
    g->n_panels = n_panels;
    int gc = o->grid_cols ? o->grid_cols : (int)ceil(sqrt((double)n_panels) - 1e-9);
    g->grid_cols = gc > n_panels ? n_panels : gc;
    int gr = (n_panels + g->grid_cols - 1) / g->grid_cols;
    g->gap = 12 + 4 * fs;
    int margin = 10;
    int title_h = o->title ? RBP__FONT_H * s->tfs + 10 : 0;
    g->grid_x = margin;
    g->grid_y = margin + title_h;
    /* 64-bit sums: absurd sizes must reach rbp__plot_check_size() as large numbers, not overflow */
    long long grid_w = (long long)g->grid_cols * g->panel_w + (long long)(g->grid_cols - 1) * g->gap;
    long long grid_h = (long long)gr * g->panel_h + (long long)(gr - 1) * g->gap;
    if (grid_w > INT_MAX / 2)
        grid_w = INT_MAX / 2;
    if (grid_h > INT_MAX / 2)
        grid_h = INT_MAX / 2;

    /* colour bar beside the first row of panels */
    nice_ticks(&s->cticks, lo, hi, 5);
    s->cticks_w = ticks_label_width(&s->cticks, fs);
    g->cbar_x = g->grid_x + (int)grid_w + 8;
    g->cbar_y = g->grid_y + g->my;
    g->cbar_w = 2 * A + 2;
    g->cbar_h = mh < 100 ? 100 : mh;
    int w = g->cbar_x + g->cbar_w + 7 + s->cticks_w + (o->value_label ? 8 + LH : 0) + margin;
    int tw = o->title ? 2 * margin + rbp__text_width(o->title, s->tfs) : 0;
    g->width = w > tw ? w : tw;
    int h1 = g->grid_y + (int)grid_h + margin, h2 = g->cbar_y + g->cbar_h + LH + margin;
    g->height = h1 > h2 ? h1 : h2;
}

/* Data range of the finite values; returns 0 if there are none. */
static int finite_range(const float *x, size_t n, double *lo, double *hi)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            continue;
        double v = x[i];
        if (!any || v < *lo)
            *lo = v;
        if (!any || v > *hi)
            *hi = v;
        any = 1;
    }
    return any;
}

static void color_range(const rbp_plot_heatmap_opts *o, const float *data, size_t n, double *lo, double *hi)
{
    double dlo = 0, dhi = 1;
    if (!finite_range(data, n, &dlo, &dhi)) {
        dlo = 0;
        dhi = 1;
    }
    *lo = isnan(o->vmin) ? dlo : (double)o->vmin;
    *hi = isnan(o->vmax) ? dhi : (double)o->vmax;
    if (!(*hi > *lo)) { /* constant data, or one given limit beyond the data: widen the free side */
        if (isnan(o->vmin) && isnan(o->vmax)) {
            *lo -= 0.5;
            *hi = *lo + 1.0;
        } else if (isnan(o->vmax)) {
            *hi = *lo + 1.0;
        } else {
            *lo = *hi - 1.0;
        }
    }
}

rbp_status rbp__heatmap_geometry(rbp__heat_geom *g, int32_t n_panels, int32_t rows, int32_t cols,
                                 const rbp_plot_heatmap_opts *opts, int single, double lo, double hi)
{
    static const char fn[] = "rbp__heatmap_geometry";
    rbp_plot_heatmap_opts def;
    heat_style s;
    RBP_CHECK_NULL(g);
    if (opts == NULL) {
        rbp_plot_heatmap_opts_init(&def, RBP_PLOT_HEATMAP_OPTS_VERSION);
        opts = &def;
    }
    RBP_CHECK(n_panels > 0 && rows > 0 && cols > 0, RBP_ERR_INVALID_ARG, "%s: bad sizes", fn);
    RBP_TRY(check_heat_opts(fn, opts, rows, cols));
    if (single)
        heat_style_init(&s, g, opts, 1, 0, rows, cols, lo, hi);
    else
        heat_style_init(&s, g, opts, n_panels + (opts->add_mean != 0), 1, rows, cols, lo, hi);
    return RBP_OK;
}

static rbp__rgb cmap(double v, double lo, double hi)
{
    if (!isfinite(v))
        return MISSING;
    double t = (v - lo) / (hi - lo);
    int i = (int)floor(t * 255.0 + 0.5);
    return rbp__viridis[i < 0 ? 0 : i > 255 ? 255 : i];
}

/* The importance bars of a heatmap panel (or a bar track): values (n) on a value axis
 * [lo, hi] (lo <= 0 <= hi) drawn in a box of `h` px from (x, y), `cell` px per position,
 * coloured by the letters when given. Bars grow from the zero line. */
static void draw_bars(rbp__canvas *cv, const float *v, const char *letters, int n, double x, double y, int cell,
                      int h, double lo, double hi)
{
    double scale = h / (hi - lo), base = y + hi * scale;
    double bw = cell >= 3 ? cell - 1 : cell;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        double bh = fabs((double)v[i]) * scale;
        rbp__rgb c = rbp__nucleotide_color(letters ? letters[i] : 0, BAR);
        rbp__cv_rect(cv, x + (double)i * cell, v[i] >= 0 ? base - bh : base, bw, bh, c);
    }
    rbp__cv_rect(cv, x, fmin(floor(base), y + h - 1), (double)n * cell, 1, GREY);
}

/* A letter track: each letter stretched to its value's height from the zero line (upside
 * down below it), in the same box as draw_bars. */
static void draw_logo(rbp__canvas *cv, const float *v, const char *letters, int n, double x, double y, int cell,
                      int h, double lo, double hi)
{
    double scale = h / (hi - lo), base = y + hi * scale;
    double gw = cell >= 3 ? cell - 1 : cell;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        double gh = fabs((double)v[i]) * scale;
        rbp__cv_glyph(cv, (unsigned char)letters[i], x + (double)i * cell, v[i] >= 0 ? base - gh : base, gw, gh,
                      v[i] < 0, rbp__nucleotide_color(letters[i], DARK));
    }
    rbp__cv_rect(cv, x, fmin(floor(base), y + h - 1), (double)n * cell, 1, GREY);
}

/* Value range of a track, always including 0 (bars grow from it); [0, 1] if all zero/NaN. */
static void track_extent(const float *v, int n, double *lo, double *hi)
{
    *lo = 0;
    *hi = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        *lo = fmin(*lo, (double)v[i]);
        *hi = fmax(*hi, (double)v[i]);
    }
    if (!(*hi > *lo))
        *hi = 1;
}

/* Position numbers (every `step`) with ticks under a row of n cells starting at x; y = top.
 * `num_w` is the widest number, fs the font scale. */
static void col_numbers(rbp__canvas *cv, int fs, int num_w, int step, int first, int n, double x, double y, int cell)
{
    char buf[24];
    int need = num_w + 2 * RBP__FONT_ADV * fs / 3 + 2;
    for (int i = 0; i < n; i++) {
        if (!numbered(i, first, step, cell, need))
            continue;
        double cx = x + (i + 0.5) * cell;
        rbp__cv_rect(cv, floor(cx), y, 1, 3, DARK);
        snprintf(buf, sizeof buf, "%d", first + i);
        rbp__cv_text(cv, cx, y + 4, buf, fs, RBP__ALIGN_CENTER, 0, DARK);
    }
}

static void draw_panel(rbp__canvas *cv, const rbp__heat_geom *g, const heat_style *s,
                       const rbp_plot_heatmap_opts *o, const float *m, int32_t rows, int32_t cols, double lo,
                       double hi, int px, int py, const char *ptitle)
{
    int cell = g->cell, fs = s->fs, A = RBP__FONT_ADV * fs, LH = RBP__FONT_H * fs, cap = RBP__FONT_ASCENT * fs;
    double x0 = px + g->mx, y0 = py + g->my;
    double mw = (double)cols * cell, mh = (double)rows * cell;

    if (ptitle)
        rbp__cv_text(cv, x0 + 0.5 * mw, py + 1, ptitle, fs + 1, RBP__ALIGN_CENTER, 0, BLACK);

    /* cells, in their own SVG group so tools (and tests) can find them */
    if (cv->kind == RBP__CANVAS_SVG)
        rbp__svg_group_begin(cv, "cells");
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            rbp__cv_rect(cv, x0 + c * cell, y0 + r * cell, cell, cell, cmap(m[(size_t)r * cols + c], lo, hi));
    if (cv->kind == RBP__CANVAS_SVG)
        rbp__svg_group_end(cv);
    frame(cv, x0, y0, mw, mh, GREY);

    /* left: letters, then numbers with ticks, then the axis title */
    char buf[24];
    int need_y = cap + 4;
    for (int r = 0; r < rows; r++) {
        double ty = y0 + r * cell + 0.5 * (cell - cap);
        if (s->row_letters) {
            char l[2] = {o->row_labels[r], 0};
            rbp__cv_text(cv, x0 - 3, ty, l, fs, RBP__ALIGN_RIGHT, 0, rbp__nucleotide_color(l[0], DARK));
        }
        if (!o->hide_row_numbers && numbered(r, o->first_position, s->step, cell, need_y)) {
            /* no tick mark: "12-A" would read as a label; the number is centred on its row */
            double nx = x0 - (s->row_letters ? A + 3 : 0);
            snprintf(buf, sizeof buf, "%d", o->first_position + r);
            rbp__cv_text(cv, nx - 5, ty, buf, fs, RBP__ALIGN_RIGHT, 0, DARK);
        }
    }
    if (o->row_title)
        rbp__cv_text(cv, px + 2, y0 + 0.5 * mh, o->row_title, fs, RBP__ALIGN_CENTER, 1, BLACK);

    /* below: track, letters, numbers, axis title */
    double y = y0 + mh + 3;
    if (s->track_h) {
        double tlo, thi;
        char label[200], a[32], b[32];
        track_extent(o->track, cols, &tlo, &thi);
        fmt_short(a, sizeof a, tlo);
        fmt_short(b, sizeof b, thi);
        if (tlo < 0)
            snprintf(label, sizeof label, "%s (%s to %s)", o->track_label ? o->track_label : "importance", a, b);
        else
            snprintf(label, sizeof label, "%s (max %s)", o->track_label ? o->track_label : "importance", b);
        rbp__cv_text(cv, x0, y, label, fs, RBP__ALIGN_LEFT, 0, DARK);
        y += LH + 3;
        if (o->track_style == RBP_PLOT_TRACK_LOGO)
            draw_logo(cv, o->track, o->col_labels, cols, x0, y, cell, s->track_h, tlo, thi);
        else
            draw_bars(cv, o->track, s->col_letters ? o->col_labels : NULL, cols, x0, y, cell, s->track_h, tlo, thi);
        y += s->track_h + 4;
    }
    if (s->col_letters) {
        for (int c = 0; c < cols; c++) {
            char l[2] = {o->col_labels[c], 0};
            rbp__cv_text(cv, x0 + (c + 0.5) * cell, y, l, fs, RBP__ALIGN_CENTER, 0, rbp__nucleotide_color(l[0], DARK));
        }
        y += LH + 2;
    }
    col_numbers(cv, fs, s->num_w, s->step, o->first_position, cols, x0, y, cell);
    y += 4 + LH + 2;
    if (o->col_title)
        rbp__cv_text(cv, x0 + 0.5 * mw, y + 3, o->col_title, fs, RBP__ALIGN_CENTER, 0, BLACK);
}

static void draw_colorbar(rbp__canvas *cv, const rbp__heat_geom *g, const heat_style *s,
                          const rbp_plot_heatmap_opts *o, double lo, double hi)
{
    int fs = s->fs, cap = RBP__FONT_ASCENT * fs;
    rbp__cv_ramp(cv, g->cbar_x, g->cbar_y, g->cbar_w, g->cbar_h, rbp__viridis, 256);
    frame(cv, g->cbar_x, g->cbar_y, g->cbar_w, g->cbar_h, GREY);
    char buf[48];
    for (int i = 0; i < s->cticks.n; i++) {
        double t = s->cticks.v[i];
        double ty = g->cbar_y + g->cbar_h - (t - lo) / (hi - lo) * g->cbar_h;
        ty = fmin(fmax(ty, g->cbar_y), g->cbar_y + g->cbar_h - 1);
        rbp__cv_rect(cv, g->cbar_x + g->cbar_w + 1, floor(ty), 4, 1, DARK);
        fmt_fixed(buf, sizeof buf, t, s->cticks.decimals);
        rbp__cv_text(cv, g->cbar_x + g->cbar_w + 7, ty - 0.5 * cap, buf, fs, RBP__ALIGN_LEFT, 0, DARK);
    }
    if (o->value_label)
        rbp__cv_text(cv, g->cbar_x + g->cbar_w + 7 + s->cticks_w + 8, g->cbar_y + 0.5 * g->cbar_h, o->value_label,
                     fs, RBP__ALIGN_CENTER, 1, BLACK);
}

/* Open the output, set up the canvas of the given size; on success the caller draws and
 * then calls rbp__plot_finish(). */
rbp_status rbp__plot_begin(rbp__canvas *cv, rbp__outfile *o, int fmt, const char *fn, const char *path, int w, int h,
                        const char *title)
{
    memset(cv, 0, sizeof *cv);
    o->f = NULL;
    o->af = NULL;
    if (fmt == RBP__FMT_PNG)
        RBP_TRY(rbp__raster_init(cv, w, h, WHITE));
    rbp_status st = out_open(o, fn, path);
    if (st != RBP_OK) {
        rbp__raster_free(cv);
        return st;
    }
    if (fmt == RBP__FMT_SVG)
        rbp__svg_begin(cv, o->f, w, h, title);
    return RBP_OK;
}

rbp_status rbp__plot_finish(rbp__canvas *cv, rbp__outfile *o, int fmt, const char *fn, const char *path, const char *title)
{
    rbp_status st = RBP_OK;
    if (fmt == RBP__FMT_PNG) {
        st = rbp__png_write(o->f, cv, title, fn, path);
        rbp__raster_free(cv);
    } else {
        rbp__svg_end(cv);
    }
    if (st != RBP_OK) {
        out_abort(o);
        return st;
    }
    return out_commit(o, fn);
}

static rbp_status heatmaps(int fmt, const char *fn, const char *path, const float *matrices, int32_t n_panels,
                           int32_t rows, int32_t cols, const rbp_plot_heatmap_opts *opts, int single)
{
    rbp_plot_heatmap_opts def;
    if (path == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'path' is NULL", fn);
    if (matrices == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument '%s' is NULL", fn, single ? "matrix" : "matrices");
    if (rows <= 0 || cols <= 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: rows = %d and cols = %d must be positive", fn, (int)rows,
                              (int)cols);
    if (n_panels <= 0 || n_panels > 4096)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n_panels = %d outside [1, 4096]", fn, (int)n_panels);
    if (opts == NULL) {
        rbp_plot_heatmap_opts_init(&def, RBP_PLOT_HEATMAP_OPTS_VERSION);
        opts = &def;
    }
    RBP_TRY(check_heat_opts(fn, opts, rows, cols));
    if (rows > 16384 || cols > 16384)
        return rbp__plot_check_size(fn, (long long)cols, (long long)rows);
    size_t per = (size_t)rows * (size_t)cols, total = per * (size_t)n_panels;
    if (per > SIZE_MAX / (size_t)n_panels)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n_panels * rows * cols overflows", fn);
    /* The single-map calls ignore the grid fields (panel titles, mean panel). */
    int drawn = single ? 1 : n_panels + (opts->add_mean != 0);

    /* Size check before touching the data (a provisional colour range only changes the
     * width of the colour-bar labels, checked again below). */
    rbp__heat_geom g;
    heat_style s;
    heat_style_init(&s, &g, opts, drawn, !single, rows, cols, 0.0, 1.0);
    RBP_TRY(rbp__plot_check_size(fn, g.width, g.height));
    double lo, hi;
    color_range(opts, matrices, total, &lo, &hi);
    heat_style_init(&s, &g, opts, drawn, !single, rows, cols, lo, hi);
    RBP_TRY(rbp__plot_check_size(fn, g.width, g.height));

    float *mean = NULL;
    if (drawn > n_panels) {
        /* The mean panel is the one extra buffer; it shares the colour scale. */
        mean = malloc(per * sizeof *mean);
        if (mean == NULL)
            return rbp__plot_oom();
        for (size_t i = 0; i < per; i++) {
            double acc = 0;
            for (int p = 0; p < n_panels; p++)
                acc += matrices[(size_t)p * per + i];
            mean[i] = (float)(acc / n_panels);
        }
    }

    rbp__canvas cv;
    rbp__outfile out;
    rbp_status st = rbp__plot_begin(&cv, &out, fmt, fn, path, g.width, g.height, opts->title);
    if (st != RBP_OK) {
        free(mean);
        return st;
    }
    if (opts->title)
        rbp__cv_text(&cv, 10, 10, opts->title, s.tfs, RBP__ALIGN_LEFT, 0, BLACK);
    for (int p = 0; p < drawn; p++) {
        int px = g.grid_x + (p % g.grid_cols) * (g.panel_w + g.gap);
        int py = g.grid_y + (p / g.grid_cols) * (g.panel_h + g.gap);
        char tbuf[32];
        const char *pt = NULL;
        const float *m = p < n_panels ? matrices + (size_t)p * per : mean;
        if (p == n_panels)
            pt = "mean";
        else if (opts->panel_titles && opts->panel_titles[p])
            pt = opts->panel_titles[p];
        else if (s.title_h) {
            snprintf(tbuf, sizeof tbuf, "panel %d", p + 1);
            pt = tbuf;
        }
        draw_panel(&cv, &g, &s, opts, m, rows, cols, lo, hi, px, py, s.title_h ? pt : NULL);
    }
    draw_colorbar(&cv, &g, &s, opts, lo, hi);
    free(mean);
    return rbp__plot_finish(&cv, &out, fmt, fn, path, opts->title);
}

rbp_status rbp_plot_heatmap_png(const char *path, const float *matrix, int32_t rows, int32_t cols,
                                const rbp_plot_heatmap_opts *opts)
{
    return heatmaps(RBP__FMT_PNG, "rbp_plot_heatmap_png", path, matrix, 1, rows, cols, opts, 1);
}

rbp_status rbp_plot_heatmap_svg(const char *path, const float *matrix, int32_t rows, int32_t cols,
                                const rbp_plot_heatmap_opts *opts)
{
    return heatmaps(RBP__FMT_SVG, "rbp_plot_heatmap_svg", path, matrix, 1, rows, cols, opts, 1);
}

rbp_status rbp_plot_heatmaps_png(const char *path, const float *matrices, int32_t n_panels, int32_t rows,
                                 int32_t cols, const rbp_plot_heatmap_opts *opts)
{
    return heatmaps(RBP__FMT_PNG, "rbp_plot_heatmaps_png", path, matrices, n_panels, rows, cols, opts, 0);
}

rbp_status rbp_plot_heatmaps_svg(const char *path, const float *matrices, int32_t n_panels, int32_t rows,
                                 int32_t cols, const rbp_plot_heatmap_opts *opts)
{
    return heatmaps(RBP__FMT_SVG, "rbp_plot_heatmaps_svg", path, matrices, n_panels, rows, cols, opts, 0);
}

/* ================================================================== importance tracks */

rbp_status rbp_plot_track_opts_init(rbp_plot_track_opts *opts, uint32_t version)
{
    RBP_CHECK_NULL(opts);
    if (version != RBP_PLOT_TRACK_OPTS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_plot_track_opts_init: version %u is not supported (this "
                              "library knows %d)", version, RBP_PLOT_TRACK_OPTS_VERSION);
    memset(opts, 0, sizeof *opts);
    opts->version = version;
    opts->style = RBP_PLOT_TRACK_BARS;
    opts->first_position = 1;
    return RBP_OK;
}

static rbp_status track(int fmt, const char *fn, const char *path, const float *values, const char *seq, int32_t n,
                        const rbp_plot_track_opts *opts)
{
    rbp_plot_track_opts def;
    if (path == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'path' is NULL", fn);
    if (values == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'values' is NULL", fn);
    if (n <= 0 || n > 16384)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n = %d outside [1, 16384]", fn, (int)n);
    if (opts == NULL) {
        rbp_plot_track_opts_init(&def, RBP_PLOT_TRACK_OPTS_VERSION);
        opts = &def;
    }
    const rbp_plot_track_opts *o = opts;
    if (o->version != RBP_PLOT_TRACK_OPTS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: rbp_plot_track_opts.version = %u, expected %d (initialise with "
                              "rbp_plot_track_opts_init)", fn,
                              o->version, RBP_PLOT_TRACK_OPTS_VERSION);
    RBP_TRY(check_scale(fn, "rbp_plot_track_opts.style", o->style, RBP_PLOT_TRACK_BARS, RBP_PLOT_TRACK_LOGO));
    RBP_TRY(check_scale(fn, "rbp_plot_track_opts.cell_px", o->cell_px, 0, 64));
    RBP_TRY(check_scale(fn, "rbp_plot_track_opts.font_scale", o->font_scale, 0, 4));
    if (o->height != 0)
        RBP_TRY(check_scale(fn, "rbp_plot_track_opts.height", o->height, 16, 2048));
    RBP_TRY(check_scale(fn, "rbp_plot_track_opts.first_position", o->first_position, -1000000000, 1000000000));
    if (o->style == RBP_PLOT_TRACK_LOGO && seq == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'sequence' is NULL (the logo style draws its letters)",
                              fn);
    RBP_TRY(check_label_len(fn, "sequence", seq, n));

    /* layout */
    int cell = o->cell_px ? o->cell_px : auto_cell(n);
    int fs = o->font_scale ? o->font_scale : (cell >= 16 ? 2 : 1), tfs = fs + 1;
    int A = RBP__FONT_ADV * fs, LH = RBP__FONT_H * fs, cap = RBP__FONT_ASCENT * fs;
    int H = o->height ? o->height : 160;
    double lo, hi;
    track_extent(values, n, &lo, &hi);
    ticks yt;
    nice_ticks(&yt, lo, hi, 4);
    int ytw = ticks_label_width(&yt, fs);
    int letters = seq != NULL && cell >= RBP__FONT_W * fs + 1;
    int last = o->first_position + n - 1;
    int d = digits_of(last) > digits_of(o->first_position) ? digits_of(last) : digits_of(o->first_position);
    int num_w = d * A - fs;
    int step = label_step(cell, num_w + 2 * A / 3 + 2);
    const char *x_title = o->x_title ? o->x_title : "position";
    int margin = 10, title_h = o->title ? RBP__FONT_H * tfs + 10 : 0;
    int ax_x = margin + (o->y_title ? LH + 8 : 0) + ytw + 7;
    int ax_y = margin + title_h + cap;
    int pw = n * cell;
    int below = 4 + (letters ? LH + 2 : 0) + 4 + LH + 2 + LH + 6;
    long long width = ax_x + pw + num_w / 2 + margin + 4, height = ax_y + H + below + margin;
    if (o->title && width < 2 * margin + rbp__text_width(o->title, tfs))
        width = 2 * margin + rbp__text_width(o->title, tfs);
    RBP_TRY(rbp__plot_check_size(fn, width, height));

    rbp__canvas cv;
    rbp__outfile out;
    RBP_TRY(rbp__plot_begin(&cv, &out, fmt, fn, path, (int)width, (int)height, o->title));
    if (o->title)
        rbp__cv_text(&cv, margin, margin, o->title, tfs, RBP__ALIGN_LEFT, 0, BLACK);

    /* value axis: light grid at the ticks, labels on the left */
    char buf[48];
    for (int i = 0; i < yt.n; i++) {
        double ty = ax_y + (hi - yt.v[i]) / (hi - lo) * H;
        ty = fmin(floor(ty), ax_y + H - 1);
        rbp__cv_rect(&cv, ax_x, ty, pw, 1, yt.v[i] == 0 ? GREY : LIGHT);
        rbp__cv_rect(&cv, ax_x - 4, ty, 4, 1, DARK);
        fmt_fixed(buf, sizeof buf, yt.v[i], yt.decimals);
        rbp__cv_text(&cv, ax_x - 7, ty - 0.5 * cap, buf, fs, RBP__ALIGN_RIGHT, 0, DARK);
    }
    rbp__cv_rect(&cv, ax_x - 1, ax_y, 1, H, DARK);
    if (o->y_title)
        rbp__cv_text(&cv, margin, ax_y + 0.5 * H, o->y_title, fs, RBP__ALIGN_CENTER, 1, BLACK);

    if (o->style == RBP_PLOT_TRACK_BARS) {
        draw_bars(&cv, values, seq, n, ax_x, ax_y, cell, H, lo, hi);
    } else {
        draw_logo(&cv, values, seq, n, ax_x, ax_y, cell, H, lo, hi);
    }

    double y = ax_y + H + 4;
    if (letters) {
        for (int i = 0; i < n; i++) {
            char l[2] = {seq[i], 0};
            rbp__cv_text(&cv, ax_x + (i + 0.5) * cell, y, l, fs, RBP__ALIGN_CENTER, 0, rbp__nucleotide_color(l[0], DARK));
        }
        y += LH + 2;
    }
    col_numbers(&cv, fs, num_w, step, o->first_position, n, ax_x, y, cell);
    y += 4 + LH + 2;
    rbp__cv_text(&cv, ax_x + 0.5 * pw, y + 3, x_title, fs, RBP__ALIGN_CENTER, 0, BLACK);
    return rbp__plot_finish(&cv, &out, fmt, fn, path, o->title);
}

rbp_status rbp_plot_track_png(const char *path, const float *values, const char *sequence, int32_t n,
                              const rbp_plot_track_opts *opts)
{
    return track(RBP__FMT_PNG, "rbp_plot_track_png", path, values, sequence, n, opts);
}

rbp_status rbp_plot_track_svg(const char *path, const float *values, const char *sequence, int32_t n,
                              const rbp_plot_track_opts *opts)
{
    return track(RBP__FMT_SVG, "rbp_plot_track_svg", path, values, sequence, n, opts);
}

/* ================================================================== curves */

rbp_status rbp_plot_curve_opts_init(rbp_plot_curve_opts *opts, uint32_t version)
{
    RBP_CHECK_NULL(opts);
    if (version != RBP_PLOT_CURVE_OPTS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_plot_curve_opts_init: version %u is not supported (this "
                              "library knows %d)", version, RBP_PLOT_CURVE_OPTS_VERSION);
    memset(opts, 0, sizeof *opts);
    opts->version = version;
    opts->x_min = 0;
    opts->x_max = 1;
    opts->y_min = 0;
    opts->y_max = 1;
    opts->hline = NAN;
    return RBP_OK;
}

typedef struct plot_area {
    double x0, y0, w, h;             /* pixels */
    double xmin, xmax, ymin, ymax;   /* data */
} plot_area;

static double map_x(const plot_area *a, double x)
{
    return a->x0 + (x - a->xmin) / (a->xmax - a->xmin) * a->w;
}

static double map_y(const plot_area *a, double y)
{
    return a->y0 + a->h - (y - a->ymin) / (a->ymax - a->ymin) * a->h;
}

/* Series -> pixel points in (px, py), as steps if asked; drops points closer than 0.3 px to
 * the previous one (invisible, and keeps SVGs of 10^5-point curves small). Returns the count. */
static size_t transform(const plot_area *a, const rbp_plot_series *s, int steps, double *px, double *py)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        double x = map_x(a, s->x[i]), y = map_y(a, s->y[i]);
        for (int pass = (steps && i > 0) ? 0 : 1; pass < 2; pass++) {
            /* steps: first the corner (x_i, y_{i-1}), then the point */
            double qx = x, qy = pass == 0 ? py[k - 1] : y;
            int keep = k == 0 || (pass == 1 && i + 1 == s->n) || fabs(qx - px[k - 1]) >= 0.3 ||
                       fabs(qy - py[k - 1]) >= 0.3;
            if (keep) {
                px[k] = qx;
                py[k] = qy;
                k++;
            }
        }
    }
    return k;
}

typedef struct legend {
    int n;            /* labelled series */
    double x, y, w, h;
} legend;

static rbp_status check_series(const char *fn, const rbp_plot_series *series, int32_t n_series, size_t *maxn)
{
    *maxn = 0;
    for (int32_t i = 0; i < n_series; i++) {
        const rbp_plot_series *s = &series[i];
        if (s->n > 0 && (s->x == NULL || s->y == NULL))
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: series[%d].%s is NULL", fn, (int)i,
                                  s->x == NULL ? "x" : "y");
        if (s->n > 10000000)
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: series[%d].n = %zu is too large", fn, (int)i, s->n);
        for (size_t j = 0; j < s->n; j++)
            if (!isfinite(s->x[j]) || !isfinite(s->y[j]))
                return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: series[%d].%s[%zu] is not finite", fn, (int)i,
                                      isfinite(s->x[j]) ? "y" : "x", j);
        *maxn = s->n > *maxn ? s->n : *maxn;
    }
    return RBP_OK;
}

static rbp_status curves(int fmt, const char *fn, const char *path, const rbp_plot_series *series, int32_t n_series,
                         const rbp_plot_curve_opts *opts)
{
    rbp_plot_curve_opts def;
    if (path == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'path' is NULL", fn);
    if (series == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'series' is NULL", fn);
    if (n_series <= 0 || n_series > 64)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: n_series = %d outside [1, 64]", fn, (int)n_series);
    if (opts == NULL) {
        rbp_plot_curve_opts_init(&def, RBP_PLOT_CURVE_OPTS_VERSION);
        opts = &def;
    }
    const rbp_plot_curve_opts *o = opts;
    if (o->version != RBP_PLOT_CURVE_OPTS_VERSION)
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: rbp_plot_curve_opts.version = %u, expected %d (initialise with "
                              "rbp_plot_curve_opts_init)", fn,
                              o->version, RBP_PLOT_CURVE_OPTS_VERSION);
    if (!(isfinite(o->x_min) && isfinite(o->x_max) && o->x_min < o->x_max))
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: rbp_plot_curve_opts.x_min = %g must be finite and below x_max = %g", fn, o->x_min,
                              o->x_max);
    if (!(isfinite(o->y_min) && isfinite(o->y_max) && o->y_min < o->y_max))
        return rbp__set_error(RBP_ERR_INVALID_ARG,
                              "%s: rbp_plot_curve_opts.y_min = %g must be finite and below y_max = %g", fn, o->y_min,
                              o->y_max);
    if (isinf(o->hline))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: rbp_plot_curve_opts.hline must be finite or NaN (none)", fn);
    if (o->width != 0)
        RBP_TRY(check_scale(fn, "rbp_plot_curve_opts.width", o->width, 64, 4096));
    if (o->height != 0)
        RBP_TRY(check_scale(fn, "rbp_plot_curve_opts.height", o->height, 64, 4096));
    RBP_TRY(check_scale(fn, "rbp_plot_curve_opts.font_scale", o->font_scale, 0, 4));
    size_t maxn;
    RBP_TRY(check_series(fn, series, n_series, &maxn));

    /* layout */
    plot_area a;
    a.w = o->width ? o->width : 400;
    a.h = o->height ? o->height : 400;
    a.xmin = o->x_min;
    a.xmax = o->x_max;
    a.ymin = o->y_min;
    a.ymax = o->y_max;
    int fs = o->font_scale ? o->font_scale : (a.w >= 640 ? 2 : 1), tfs = fs + 1;
    int LH = RBP__FONT_H * fs, cap = RBP__FONT_ASCENT * fs;
    ticks xt, yt;
    nice_ticks(&xt, a.xmin, a.xmax, 5);
    nice_ticks(&yt, a.ymin, a.ymax, 5);
    int ytw = ticks_label_width(&yt, fs), xtw = ticks_label_width(&xt, fs);
    int margin = 10, title_h = o->title ? RBP__FONT_H * tfs + 10 : 0;
    a.x0 = margin + (o->y_title ? LH + 8 : 0) + ytw + 7;
    a.y0 = margin + title_h + cap;
    long long width = (long long)(a.x0 + a.w) + xtw / 2 + margin + 4;
    long long height = (long long)(a.y0 + a.h) + 4 + 3 + LH + (o->x_title ? 8 + LH : 0) + margin;
    if (o->title && width < 2 * margin + rbp__text_width(o->title, tfs))
        width = 2 * margin + rbp__text_width(o->title, tfs);
    RBP_TRY(rbp__plot_check_size(fn, width, height));

    /* One buffer for the pixel coordinates of the longest series (steps double the points). */
    size_t cap_pts = 2 * (maxn ? maxn : 1);
    double *buf = malloc(2 * cap_pts * sizeof *buf);
    if (buf == NULL)
        return rbp__plot_oom();
    double *px = buf, *py = buf + cap_pts;

    /* Legend in the corner crossed by the fewest curve samples (preference: lower right,
     * lower left, upper right, upper left). */
    legend lg = {0, 0, 0, 0, 0};
    int maxw = 0;
    for (int32_t i = 0; i < n_series; i++)
        if (series[i].label) {
            lg.n++;
            int tw = rbp__text_width(series[i].label, fs);
            maxw = tw > maxw ? tw : maxw;
        }
    if (lg.n) {
        lg.w = 8 + 24 + 6 + maxw + 8;
        lg.h = 6 + lg.n * (LH + 4) - 4 + 6;
        double cx[4] = {a.x0 + a.w - 8 - lg.w, a.x0 + 8, a.x0 + a.w - 8 - lg.w, a.x0 + 8};
        double cy[4] = {a.y0 + a.h - 8 - lg.h, a.y0 + a.h - 8 - lg.h, a.y0 + 8, a.y0 + 8};
        long hits[4] = {0, 0, 0, 0};
        for (int32_t i = 0; i < n_series; i++) {
            size_t k = transform(&a, &series[i], o->steps, px, py);
            for (size_t j = 0; j < k; j++) {
                double x1 = j + 1 < k ? px[j + 1] : px[j], y1 = j + 1 < k ? py[j + 1] : py[j];
                int ns = 1 + (int)(hypot(x1 - px[j], y1 - py[j]) / 4.0);
                for (int t = 0; t < ns; t++) {
                    double sx = px[j] + (x1 - px[j]) * t / ns, sy = py[j] + (y1 - py[j]) * t / ns;
                    for (int c = 0; c < 4; c++)
                        hits[c] += sx >= cx[c] && sx <= cx[c] + lg.w && sy >= cy[c] && sy <= cy[c] + lg.h;
                }
            }
        }
        int best = 0;
        for (int c = 1; c < 4; c++)
            if (hits[c] < hits[best])
                best = c;
        lg.x = cx[best];
        lg.y = cy[best];
    }

    rbp__canvas cv;
    rbp__outfile out;
    rbp_status st = rbp__plot_begin(&cv, &out, fmt, fn, path, (int)width, (int)height, o->title);
    if (st != RBP_OK) {
        free(buf);
        return st;
    }
    if (o->title)
        rbp__cv_text(&cv, margin, margin, o->title, tfs, RBP__ALIGN_LEFT, 0, BLACK);

    /* grid, ticks, labels */
    char lb[48];
    for (int i = 0; i < xt.n; i++) {
        double x = fmin(floor(map_x(&a, xt.v[i])), a.x0 + a.w - 1);
        rbp__cv_rect(&cv, x, a.y0, 1, a.h, LIGHT);
        rbp__cv_rect(&cv, x, a.y0 + a.h, 1, 4, DARK);
        fmt_fixed(lb, sizeof lb, xt.v[i], xt.decimals);
        rbp__cv_text(&cv, x + 0.5, a.y0 + a.h + 7, lb, fs, RBP__ALIGN_CENTER, 0, DARK);
    }
    for (int i = 0; i < yt.n; i++) {
        double y = fmin(floor(map_y(&a, yt.v[i])), a.y0 + a.h - 1);
        rbp__cv_rect(&cv, a.x0, y, a.w, 1, LIGHT);
        rbp__cv_rect(&cv, a.x0 - 4, y, 4, 1, DARK);
        fmt_fixed(lb, sizeof lb, yt.v[i], yt.decimals);
        rbp__cv_text(&cv, a.x0 - 7, y + 0.5 - 0.5 * cap, lb, fs, RBP__ALIGN_RIGHT, 0, DARK);
    }
    frame(&cv, a.x0, a.y0, a.w, a.h, DARK);
    if (o->x_title)
        rbp__cv_text(&cv, a.x0 + 0.5 * a.w, a.y0 + a.h + 7 + LH + 8, o->x_title, fs, RBP__ALIGN_CENTER, 0, BLACK);
    if (o->y_title)
        rbp__cv_text(&cv, margin, a.y0 + 0.5 * a.h, o->y_title, fs, RBP__ALIGN_CENTER, 1, BLACK);

    /* chance lines and curves, clipped to the axes */
    /* 2 px of slack so curves running along an axis (TPR = 1, FPR = 0) show their full width */
    rbp__cv_clip_begin(&cv, a.x0 - 2, a.y0 - 2, a.w + 4, a.h + 4);
    if (o->diagonal) {
        double lo = fmax(a.xmin, a.ymin), hi = fmin(a.xmax, a.ymax);
        if (lo < hi)
            rbp__cv_line(&cv, map_x(&a, lo), map_y(&a, lo), map_x(&a, hi), map_y(&a, hi), 1.25, GREY, 1);
    }
    if (!isnan(o->hline) && o->hline >= a.ymin && o->hline <= a.ymax)
        rbp__cv_line(&cv, a.x0, map_y(&a, o->hline), a.x0 + a.w, map_y(&a, o->hline), 1.25, GREY, 1);
    for (int32_t i = 0; i < n_series; i++) {
        rbp__rgb c = PALETTE[i % 10];
        size_t k = transform(&a, &series[i], o->steps, px, py);
        if (k == 1)
            rbp__cv_rect(&cv, px[0] - 2, py[0] - 2, 4, 4, c);
        else
            rbp__cv_polyline(&cv, px, py, k, 2.0, c);
    }
    rbp__cv_clip_end(&cv);

    if (lg.n) {
        rbp__cv_rect(&cv, lg.x, lg.y, lg.w, lg.h, WHITE);
        frame(&cv, lg.x, lg.y, lg.w, lg.h, GREY);
        int row = 0;
        for (int32_t i = 0; i < n_series; i++) {
            if (!series[i].label)
                continue;
            double ty = lg.y + 6 + row * (LH + 4);
            double ly = floor(ty + 0.5 * cap) + 0.5;
            rbp__cv_line(&cv, lg.x + 8, ly, lg.x + 32, ly, 2.0, PALETTE[i % 10], 0);
            rbp__cv_text(&cv, lg.x + 38, ty, series[i].label, fs, RBP__ALIGN_LEFT, 0, BLACK);
            row++;
        }
    }
    free(buf);
    return rbp__plot_finish(&cv, &out, fmt, fn, path, o->title);
}

rbp_status rbp_plot_curves_png(const char *path, const rbp_plot_series *series, int32_t n_series,
                               const rbp_plot_curve_opts *opts)
{
    return curves(RBP__FMT_PNG, "rbp_plot_curves_png", path, series, n_series, opts);
}

rbp_status rbp_plot_curves_svg(const char *path, const rbp_plot_series *series, int32_t n_series,
                               const rbp_plot_curve_opts *opts)
{
    return curves(RBP__FMT_SVG, "rbp_plot_curves_svg", path, series, n_series, opts);
}
