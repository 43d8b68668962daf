/*
 * plot/plot_canvas.h - the drawing surface behind rbpattn/plot.h.
 *
 * A canvas is either a raster (an RGB pixel buffer, later written as PNG by png_canvas.c) or
 * an SVG stream (svg_canvas.c). The layouts in plot.c draw through the rbp__cv_* calls and
 * never know which one they feed, which keeps the PNG and the SVG of a figure identical in
 * geometry. Coordinates are pixels, origin top-left, y down. Text is positioned by the top
 * of its 5x9 glyph cell, so layout arithmetic needs no font metrics beyond the constants here.
 */
#ifndef RBP_PLOT_CANVAS_H
#define RBP_PLOT_CANVAS_H

#include <stdint.h>
#include <stdio.h>

#include "core/internal.h" /* for RBP_CHECK / RBP_TRY only: they expand to rbp_set_error */
#include "rbpattn/atomic_file.h"
#include "rbpattn/plot.h"

/* librbpattn-plot is built on the public API of librbpattn (whose rbp__ internals are hidden
 * and would not link): errors go through rbp_set_error, memory comes from malloc. */
static inline rbp_status rbp__plot_oom(void)
{
    return rbp_set_error(RBP_ERR_NOMEM, "out of memory");
}

/* ------------------------------------------------------------------ font (font.c) */

#define RBP__FONT_W 5      /* glyph ink width */
#define RBP__FONT_H 9      /* glyph cell height: 7 above the baseline, 2 descender rows */
#define RBP__FONT_ASCENT 7 /* capital height; the baseline is below row 6 */
#define RBP__FONT_ADV 6    /* horizontal advance */

/* 9 rows of 5-bit masks (bit 4 = leftmost pixel) for printable ASCII; others give '?'. */
const uint8_t *rbp__font_glyph(unsigned char c);

/* Row r (0..6) of the bold form of a glyph, 6 px wide (bit 5 = leftmost): each stroke one
 * pixel wider, which keeps letters stretched for a logo from turning into hairlines. */
#define RBP__GLYPH_BOLD_W 6
unsigned rbp__glyph_bold_row(unsigned char c, int r);

/* The next horizontal run of ink in a bold-glyph row, starting at column *start: sets the
 * inclusive columns [*c0, *c1], moves *start past the run and returns 1; 0 when none is left.
 * Both canvases draw letters from these runs, so PNG and SVG letters are identical. */
int rbp__glyph_next_run(unsigned row, int *start, int *c0, int *c1);

/* ------------------------------------------------------------------ colours */

typedef struct rbp__rgb {
    uint8_t r, g, b;
} rbp__rgb;

/* matplotlib's viridis (CC0, van der Walt & Smith), 256 entries, dark blue -> yellow. */
extern const rbp__rgb rbp__viridis[256];

/* ------------------------------------------------------------------ canvas */

enum { RBP__CANVAS_RASTER = 0, RBP__CANVAS_SVG = 1 };
enum { RBP__ALIGN_LEFT = 0, RBP__ALIGN_CENTER = 1, RBP__ALIGN_RIGHT = 2 };

typedef struct rbp__canvas {
    int kind;           /* RBP__CANVAS_RASTER or RBP__CANVAS_SVG */
    int width, height;  /* picture size in pixels */
    uint8_t *pix;       /* raster: (height, width, 3) RGB, owned by the canvas */
    FILE *f;            /* svg: output stream (owned by the caller) */
    int next_id;        /* svg: counter for gradient / clip ids */
    int clip;           /* a clip rectangle is active */
    double cx0, cy0, cx1, cy1; /* its bounds */
} rbp__canvas;

/* Width in pixels of `s` drawn at `scale` (no trailing blank column). */
int rbp__text_width(const char *s, int scale);

/* Filled axis-aligned rectangle. Raster: edges rounded to whole pixels. */
void rbp__cv_rect(rbp__canvas *cv, double x, double y, double w, double h, rbp__rgb c);
/* Anti-aliased line segment of `width` px; dashed: 6 on, 4 off. Respects the clip rect. */
void rbp__cv_line(rbp__canvas *cv, double x0, double y0, double x1, double y1, double width, rbp__rgb c,
                  int dashed);
/* Connected line through n points (n >= 2). Respects the clip rect. */
void rbp__cv_polyline(rbp__canvas *cv, const double *x, const double *y, size_t n, double width, rbp__rgb c);
/*
 * Text with the top of its glyph cell at y; x is its left edge, centre or right edge by
 * `align`. vertical: rotated 90 degrees counter-clockwise (reads bottom to top); then x is
 * the left of the rotated cell and `align` applies along y (LEFT = starts at y, going up).
 */
void rbp__cv_text(rbp__canvas *cv, double x, double y, const char *s, int scale, int align, int vertical,
                  rbp__rgb c);
/* The capital part (rows 0-6) of glyph `ch` stretched to fill the box; flip = upside down. */
void rbp__cv_glyph(rbp__canvas *cv, unsigned char ch, double x, double y, double w, double h, int flip, rbp__rgb c);
/* Vertical colour ramp: lut[0] at the bottom, lut[n-1] at the top. */
void rbp__cv_ramp(rbp__canvas *cv, int x, int y, int w, int h, const rbp__rgb *lut, int n);
/* Restrict rbp__cv_line / rbp__cv_polyline to a rectangle until rbp__cv_clip_end. */
void rbp__cv_clip_begin(rbp__canvas *cv, double x, double y, double w, double h);
void rbp__cv_clip_end(rbp__canvas *cv);

/* ------------------------------------------------------------------ raster (png_canvas.c) */

/* Allocate the pixel buffer (once) and fill it with `bg`. */
rbp_status rbp__raster_init(rbp__canvas *cv, int width, int height, rbp__rgb bg);
void rbp__raster_free(rbp__canvas *cv);
void rbp__raster_rect(rbp__canvas *cv, double x, double y, double w, double h, rbp__rgb c);
void rbp__raster_line(rbp__canvas *cv, double x0, double y0, double x1, double y1, double width, rbp__rgb c);
void rbp__raster_text(rbp__canvas *cv, double x, double y, const char *s, int scale, int vertical, rbp__rgb c);
/* Write the raster as 8-bit RGB PNG to the open stream `f` (a "Title" text chunk when given).
 * `fn` and `path` name the caller and the destination in error messages. */
rbp_status rbp__png_write(FILE *f, const rbp__canvas *cv, const char *title, const char *fn, const char *path);

/* ------------------------------------------------------------------ svg (svg_canvas.c) */

/* Header (XML declaration, <svg> with viewBox, <title>, white background) / closing tag. */
void rbp__svg_begin(rbp__canvas *cv, FILE *f, int width, int height, const char *title);
void rbp__svg_end(rbp__canvas *cv);
/* Write `s` with &, <, >, " and ' escaped; non-ASCII and control bytes become '?'. */
void rbp__svg_escape(FILE *f, const char *s);
void rbp__svg_rect(rbp__canvas *cv, double x, double y, double w, double h, rbp__rgb c);
void rbp__svg_line(rbp__canvas *cv, double x0, double y0, double x1, double y1, double width, rbp__rgb c, int dashed);
void rbp__svg_polyline(rbp__canvas *cv, const double *x, const double *y, size_t n, double width, rbp__rgb c);
void rbp__svg_text(rbp__canvas *cv, double x, double y, const char *s, int scale, int align, int vertical,
                   rbp__rgb c);
void rbp__svg_glyph(rbp__canvas *cv, unsigned char ch, double x, double y, double w, double h, int flip, rbp__rgb c);
void rbp__svg_ramp(rbp__canvas *cv, int x, int y, int w, int h, const rbp__rgb *lut, int n);
void rbp__svg_clip_begin(rbp__canvas *cv, double x, double y, double w, double h);
void rbp__svg_clip_end(rbp__canvas *cv);
/* Open / close a group; used to put the heatmap cells of a panel in <g class="cells">. */
void rbp__svg_group_begin(rbp__canvas *cv, const char *cls);
void rbp__svg_group_end(rbp__canvas *cv);

/* ------------------------------------------------------------------ figures (plot.c) */

/* Shared by the figure files (plot.c, logo.c): output through rbp_atomic_file (a reader never
 * sees half a picture), the size limit, the nucleotide colours. */
enum { RBP__FMT_PNG = 0, RBP__FMT_SVG = 1 };

typedef struct rbp__outfile {
    FILE *f; /* the stream of af */
    rbp_atomic_file *af;
} rbp__outfile;

/* Open the output for format `fmt` and set up a canvas of w x h; the caller draws, then calls
 * rbp__plot_finish (which writes, commits and frees). `fn` names the caller in errors. */
rbp_status rbp__plot_begin(rbp__canvas *cv, rbp__outfile *o, int fmt, const char *fn, const char *path, int w, int h,
                           const char *title);
rbp_status rbp__plot_finish(rbp__canvas *cv, rbp__outfile *o, int fmt, const char *fn, const char *path,
                            const char *title);
/* RBP_ERR_INVALID_ARG beyond 16384 px a side or 64 M pixels. */
rbp_status rbp__plot_check_size(const char *fn, long long w, long long h);
/* The saliency track's letter colours: A green, C blue, G orange, U/T red; `other` otherwise. */
rbp__rgb rbp__nucleotide_color(char ch, rbp__rgb other);

/* ------------------------------------------------------------------ layout (plot.c) */

/* Where the heatmap layout puts things, for tests and callers that annotate pictures. */
typedef struct rbp__heat_geom {
    int width, height;      /* picture size */
    int cell;               /* cell edge in px */
    int n_panels;           /* drawn panels (including the mean panel) */
    int grid_cols;          /* panels per row */
    int panel_w, panel_h;   /* one panel including its labels */
    int grid_x, grid_y;     /* top-left of panel 0 */
    int gap;                /* space between panels */
    int mx, my;             /* matrix origin inside a panel */
    int cbar_x, cbar_y, cbar_w, cbar_h; /* colour bar */
} rbp__heat_geom;

/* Geometry of rbp_plot_heatmap_* (single != 0) or rbp_plot_heatmaps_* for these arguments
 * and colour range [lo, hi] (validated as the public calls do). */
rbp_status rbp__heatmap_geometry(rbp__heat_geom *g, int32_t n_panels, int32_t rows, int32_t cols,
                                 const rbp_plot_heatmap_opts *opts, int single, double lo, double hi);

#endif /* RBP_PLOT_CANVAS_H */
