/*
 * plot/logo.c - sequence logos of position weight matrices (rbp_plot_logo_png / _svg).
 *
 * Each column is a stack of the letters A C G U with heights p(letter) * IC, where IC = 2 +
 * sum p log2 p is the column's information content in bits (0..2 for four letters, no
 * small-sample correction), the most probable letter on top. Letters are the bold bitmap
 * glyphs stretched to their box (rbp__cv_glyph), in the colours of the saliency track, so
 * PNG and SVG draw the same shapes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot/plot_canvas.h"

static const rbp__rgb INK = {0, 0, 0};
static const rbp__rgb AXIS = {51, 51, 51};
static const rbp__rgb GRID = {230, 230, 230};
static const char LETTERS[4] = {'A', 'C', 'G', 'U'};

rbp_status rbp_plot_logo_opts_init(rbp_plot_logo_opts *opts, uint32_t version)
{
    if (opts == NULL)
        return rbp_set_error(RBP_ERR_INVALID_ARG, "rbp_plot_logo_opts_init: argument 'opts' is NULL");
    if (version != RBP_PLOT_LOGO_OPTS_VERSION)
        return rbp_set_error(RBP_ERR_INVALID_ARG, "rbp_plot_logo_opts_init: version %u is not supported (this "
                             "library knows %d)", version, RBP_PLOT_LOGO_OPTS_VERSION);
    memset(opts, 0, sizeof *opts);
    opts->version = version;
    opts->first_position = 1;
    return RBP_OK;
}

static rbp_status in_range(const char *fn, const char *name, int32_t v, int32_t lo, int32_t hi)
{
    if (v < lo || v > hi)
        return rbp_set_error(RBP_ERR_INVALID_ARG, "%s: %s = %d, expected %d..%d", fn, name, (int)v, (int)lo, (int)hi);
    return RBP_OK;
}

static rbp_status logo(int fmt, const char *fn, const char *path, const float *pwm, int32_t width,
                       const rbp_plot_logo_opts *opts)
{
    rbp_plot_logo_opts def;
    if (path == NULL)
        return rbp_set_error(RBP_ERR_INVALID_ARG, "%s: argument 'path' is NULL", fn);
    if (pwm == NULL)
        return rbp_set_error(RBP_ERR_INVALID_ARG, "%s: argument 'pwm' is NULL", fn);
    RBP_TRY(in_range(fn, "width", width, 1, 4096));
    if (opts == NULL) {
        rbp_plot_logo_opts_init(&def, RBP_PLOT_LOGO_OPTS_VERSION);
        opts = &def;
    }
    const rbp_plot_logo_opts *o = opts;
    if (o->version != RBP_PLOT_LOGO_OPTS_VERSION)
        return rbp_set_error(RBP_ERR_INVALID_ARG,
                             "%s: rbp_plot_logo_opts.version = %u, expected %d (initialise with "
                             "rbp_plot_logo_opts_init)", fn,
                             o->version, RBP_PLOT_LOGO_OPTS_VERSION);
    if (o->column_px != 0)
        RBP_TRY(in_range(fn, "rbp_plot_logo_opts.column_px", o->column_px, 8, 256));
    if (o->height != 0)
        RBP_TRY(in_range(fn, "rbp_plot_logo_opts.height", o->height, 32, 2048));
    RBP_TRY(in_range(fn, "rbp_plot_logo_opts.font_scale", o->font_scale, 0, 4));
    RBP_TRY(in_range(fn, "rbp_plot_logo_opts.first_position", o->first_position, -1000000, 1000000));
    for (int32_t j = 0; j < width; j++) {
        double s = 0;
        for (int b = 0; b < 4; b++) {
            float p = pwm[(size_t)j * 4 + b];
            if (!isfinite(p) || p < 0)
                return rbp_set_error(RBP_ERR_INVALID_ARG, "%s: pwm column %d: value %g is negative or not finite", fn,
                                     (int)j + 1, (double)p);
            s += p;
        }
        if (!(s > 0))
            return rbp_set_error(RBP_ERR_INVALID_ARG, "%s: pwm column %d sums to 0", fn, (int)j + 1);
    }

    /* layout: title, then the axis (bits, 0..2) with the columns, then numbers and axis title */
    int cell = o->column_px ? o->column_px : 40;
    int fs = o->font_scale ? o->font_scale : 2, tfs = fs;
    int LH = RBP__FONT_H * fs, cap = RBP__FONT_ASCENT * fs, A = RBP__FONT_ADV * fs;
    int H = o->height ? o->height : 160;
    const char *y_title = o->y_title ? o->y_title : "bits";
    const char *x_title = o->x_title ? o->x_title : "position";
    int margin = 10, title_h = o->title ? RBP__FONT_H * tfs + 10 : 0;
    int ax_x = margin + LH + 8 + A + 7;
    int ax_y = margin + title_h + cap;
    long long pw = (long long)width * cell;
    long long w_px = ax_x + pw + margin + 4, h_px = ax_y + H + 6 + LH + 4 + LH + margin;
    if (o->title && w_px < 2 * margin + rbp__text_width(o->title, tfs))
        w_px = 2 * margin + rbp__text_width(o->title, tfs);
    RBP_TRY(rbp__plot_check_size(fn, w_px, h_px));

    rbp__canvas cv;
    rbp__outfile out;
    RBP_TRY(rbp__plot_begin(&cv, &out, fmt, fn, path, (int)w_px, (int)h_px, o->title));
    if (o->title)
        rbp__cv_text(&cv, margin, margin, o->title, tfs, RBP__ALIGN_LEFT, 0, INK);
    double per_bit = H / 2.0;
    for (int t = 0; t <= 2; t++) { /* ticks at 0, 1 and 2 bits */
        double ty = fmin(floor(ax_y + H - t * per_bit), ax_y + H - 1);
        char lab[2] = {(char)('0' + t), 0};
        rbp__cv_rect(&cv, ax_x, ty, (double)pw, 1, t == 0 ? AXIS : GRID);
        rbp__cv_rect(&cv, ax_x - 4, ty, 4, 1, AXIS);
        rbp__cv_text(&cv, ax_x - 7, ty - 0.5 * cap, lab, fs, RBP__ALIGN_RIGHT, 0, AXIS);
    }
    rbp__cv_rect(&cv, ax_x - 1, ax_y, 1, H, AXIS);
    rbp__cv_text(&cv, margin, ax_y + 0.5 * H, y_title, fs, RBP__ALIGN_CENTER, 1, INK);

    double gw = cell >= 10 ? cell - 2 : cell - 1;
    for (int32_t j = 0; j < width; j++) {
        double p[4], s = 0;
        for (int b = 0; b < 4; b++)
            s += p[b] = pwm[(size_t)j * 4 + b];
        double ic = 2.0;
        for (int b = 0; b < 4; b++) {
            p[b] /= s;
            if (p[b] > 0)
                ic += p[b] * log2(p[b]);
        }
        ic = ic < 0 ? 0 : ic;
        int order[4] = {0, 1, 2, 3}; /* smallest first: it goes at the bottom */
        for (int a = 1; a < 4; a++)
            for (int b = a; b > 0 && p[order[b]] < p[order[b - 1]]; b--) {
                int t = order[b];
                order[b] = order[b - 1], order[b - 1] = t;
            }
        double y = ax_y + H, x = ax_x + (double)j * cell + (cell - gw) / 2;
        for (int r = 0; r < 4; r++) {
            int b = order[r];
            double h = p[b] * ic * per_bit;
            if (h < 0.5)
                continue; /* under half a pixel: nothing to see, only file size */
            y -= h;
            rbp__cv_glyph(&cv, (unsigned char)LETTERS[b], x, y, gw, h, 0, rbp__nucleotide_color(LETTERS[b], AXIS));
        }
        char num[16];
        snprintf(num, sizeof num, "%d", (int)(o->first_position + j));
        rbp__cv_text(&cv, ax_x + (j + 0.5) * cell, ax_y + H + 6, num, fs, RBP__ALIGN_CENTER, 0, AXIS);
    }
    rbp__cv_text(&cv, ax_x + 0.5 * (double)pw, ax_y + H + 6 + LH + 4, x_title, fs, RBP__ALIGN_CENTER, 0, INK);
    return rbp__plot_finish(&cv, &out, fmt, fn, path, o->title);
}

rbp_status rbp_plot_logo_png(const char *path, const float *pwm, int32_t width, const rbp_plot_logo_opts *opts)
{
    return logo(RBP__FMT_PNG, "rbp_plot_logo_png", path, pwm, width, opts);
}

rbp_status rbp_plot_logo_svg(const char *path, const float *pwm, int32_t width, const rbp_plot_logo_opts *opts)
{
    return logo(RBP__FMT_SVG, "rbp_plot_logo_svg", path, pwm, width, opts);
}
