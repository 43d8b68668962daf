/**
 * @file
 * rbpattn/plot.h - pictures for people: attention heatmaps, importance tracks (bars or a
 * sequence-logo-like letter track), and ROC / precision-recall curves, as PNG or SVG.
 *
 * Every picture is drawn once by the same layout code into either a pixel buffer (written
 * as 8-bit RGB PNG through libpng, text in a built-in 5x7 bitmap font) or SVG text (one
 * `<rect>` per heatmap cell, `<text>` labels, a viewBox), so the two formats look alike. Files
 * are written to a temporary name in the same directory and renamed into place, so a
 * reader never sees a half-written picture. Text is drawn as ASCII; other bytes become '?'.
 *
 * Options come in versioned structs: fill them with the matching *_init function, then set
 * the fields you need; a NULL options pointer means "all defaults". String fields are
 * borrowed for the duration of the call only.
 *
 * Errors: RBP_ERR_INVALID_ARG for NULL or inconsistent arguments (the message names the
 * argument), RBP_ERR_IO when the file cannot be written (the message names the path),
 * RBP_ERR_NOMEM.
 *
 * Memory: the size of a picture is computed before drawing; a PNG call then allocates one
 * pixel buffer (width * height * 3 bytes) plus libpng's working memory, and both formats
 * allocate one more buffer only for the mean panel of a heatmap grid or for the pixel
 * coordinates of curves; the output file (rbpattn/atomic_file.h) is one small block. Pictures are limited to 16384 pixels a side and 64 M pixels.
 */
#ifndef RBPATTN_PLOT_H
#define RBPATTN_PLOT_H

#include "rbpattn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ heatmaps */

/** The current version of rbp_plot_heatmap_opts. */
#define RBP_PLOT_HEATMAP_OPTS_VERSION 1

/**
 * Options of a heatmap (one matrix) or a grid of heatmaps (several matrices of one shape,
 * e.g. the heads of one attention layer). Defaults in brackets.
 */
typedef struct rbp_plot_heatmap_opts {
    uint32_t version;         /**< RBP_PLOT_HEATMAP_OPTS_VERSION */
    const char *title;        /**< figure title, e.g. "seq_17  P(bound) = 0.93" [NULL: none] */
    const char *row_labels;   /**< one character per row, e.g. the query nucleotides [NULL] */
    const char *col_labels;   /**< one character per column, e.g. the key nucleotides [NULL] */
    const char *row_title;    /**< y-axis title, e.g. "query position" [NULL] */
    const char *col_title;    /**< x-axis title, e.g. "key position" [NULL] */
    const char *value_label;  /**< colour-bar title, e.g. "attention weight" [NULL] */
    /** @{ */
    float vmin, vmax;         /**< colour-scale limits; NaN = min / max of the data [NaN, NaN] */
    /** @} */
    const float *track;       /**< importance per column (cols values) drawn as bars under each
                                 matrix; NaN entries are left empty [NULL: no track] */
    const char *track_label;  /**< text over the track, e.g. "attention rollout" [NULL] */
    const char *const *panel_titles; /**< grid: one title per input matrix [NULL: "panel 1".."] */
    int32_t grid_cols;        /**< grid: panels per row [0: ceil(sqrt(panels))] */
    int32_t add_mean;         /**< grid: append a panel "mean" with the element-wise mean [0] */
    int32_t cell_px;          /**< cell edge in pixels, 1..64 [0: auto, 8 px for 101 positions,
                                 up to 28 px for short sequences] */
    int32_t font_scale;       /**< label text scale 1..4 (1 = 5x7 px glyphs) [0: auto] */
    int32_t first_position;   /**< number printed for row / column 0 on the axes [1] */
    /* appended in 0.2 (still RBP_PLOT_HEATMAP_OPTS_VERSION 1): */
    int32_t track_style;      /**< how `track` is drawn: RBP_PLOT_TRACK_BARS, or RBP_PLOT_TRACK_LOGO
                                 (the col_labels letters stretched to the values, as DeepBind's
                                 mutation maps; needs col_labels) [BARS] */
    int32_t hide_row_numbers; /**< 1: no position numbers on the rows (rows that are not positions,
                                 e.g. the substitutions of a mutation map) [0] */
} rbp_plot_heatmap_opts;

/** Fill `opts` with the defaults above. RBP_ERR_INVALID_ARG for NULL or an unknown version. */
RBP_API rbp_status rbp_plot_heatmap_opts_init(rbp_plot_heatmap_opts *opts, uint32_t version);

/**
 * One heatmap of `matrix` (rows, cols), row-major, row 0 at the top, column 0 at the left,
 * with a viridis colour scale and a colour bar with tick values. Non-finite cells are drawn
 * light grey. Axis labels: the row/column characters at every position when they fit, and
 * position numbers every k-th position. `opts` may be NULL.
 */
RBP_API rbp_status rbp_plot_heatmap_png(const char *path, const float *matrix, int32_t rows, int32_t cols,
                                        const rbp_plot_heatmap_opts *opts);
/** As rbp_plot_heatmap_png, as SVG. */
RBP_API rbp_status rbp_plot_heatmap_svg(const char *path, const float *matrix, int32_t rows, int32_t cols,
                                        const rbp_plot_heatmap_opts *opts);

/**
 * A grid of `n_panels` heatmaps from `matrices` (n_panels, rows, cols) - e.g. the
 * (n_heads, L, L) block of one layer from rbp_session_attention - plus, with opts->add_mean,
 * their element-wise mean as a last panel. All panels share one colour scale (so they can be
 * compared) and one colour bar; each has its own small title.
 */
RBP_API rbp_status rbp_plot_heatmaps_png(const char *path, const float *matrices, int32_t n_panels, int32_t rows,
                                         int32_t cols, const rbp_plot_heatmap_opts *opts);
/** As rbp_plot_heatmaps_png, as SVG. */
RBP_API rbp_status rbp_plot_heatmaps_svg(const char *path, const float *matrices, int32_t n_panels, int32_t rows,
                                         int32_t cols, const rbp_plot_heatmap_opts *opts);

/* ------------------------------------------------------------------ importance tracks */

/** How an importance track is drawn (rbp_plot_track_opts.style, rbp_plot_heatmap_opts.track_style). */
typedef enum rbp_plot_track_style {
    RBP_PLOT_TRACK_BARS = 0, /**< one bar per position, coloured by nucleotide */
    RBP_PLOT_TRACK_LOGO = 1  /**< the nucleotide letter itself, stretched to the value's height
                                (negative values: upside down, below the axis) */
} rbp_plot_track_style;

/** The current version of rbp_plot_track_opts. */
#define RBP_PLOT_TRACK_OPTS_VERSION 1

/** Options of an importance track. Defaults in brackets. */
typedef struct rbp_plot_track_opts {
    uint32_t version;       /**< RBP_PLOT_TRACK_OPTS_VERSION */
    const char *title;      /**< [NULL] */
    const char *y_title;    /**< value-axis title, e.g. "saliency" [NULL] */
    const char *x_title;    /**< [NULL: "position"] */
    int32_t style;          /**< rbp_plot_track_style [BARS] */
    int32_t cell_px;        /**< width per position 1..64 [0: auto] */
    int32_t height;         /**< height of the value axis in pixels, 16..2048 [0: 160] */
    int32_t font_scale;     /**< 1..4 [0: auto] */
    int32_t first_position; /**< number of position 0 [1] */
} rbp_plot_track_opts;

/** Fill `opts` with the defaults above. RBP_ERR_INVALID_ARG for NULL or an unknown version. */
RBP_API rbp_status rbp_plot_track_opts_init(rbp_plot_track_opts *opts, uint32_t version);

/**
 * Per-position importance (saliency, attention rollout...) of one sequence: `values` (n),
 * `sequence` (at least n characters, drawn under the axis; NULL allowed for bars only).
 * NaN values are left empty. Bars and letters use the usual nucleotide colours (A green,
 * C blue, G orange, U/T red).
 */
RBP_API rbp_status rbp_plot_track_png(const char *path, const float *values, const char *sequence, int32_t n,
                                      const rbp_plot_track_opts *opts);
/** As rbp_plot_track_png, as SVG. */
RBP_API rbp_status rbp_plot_track_svg(const char *path, const float *values, const char *sequence, int32_t n,
                                      const rbp_plot_track_opts *opts);

/* ------------------------------------------------------------------ curves */

/** One curve: n points (x[i], y[i]), joined in the given order. Arrays are borrowed. */
typedef struct rbp_plot_series {
    const double *x;   /**< (n) x coordinates */
    const double *y;   /**< (n) y coordinates */
    size_t n;          /**< number of points */
    const char *label; /**< legend text, e.g. "fold 1 (AUC 0.912)"; NULL: not in the legend */
} rbp_plot_series;

/** The current version of rbp_plot_curve_opts. */
#define RBP_PLOT_CURVE_OPTS_VERSION 1

/** Options of a curve plot. Defaults in brackets. */
typedef struct rbp_plot_curve_opts {
    uint32_t version;          /**< RBP_PLOT_CURVE_OPTS_VERSION */
    const char *title;         /**< [NULL] */
    const char *x_title;       /**< e.g. "false positive rate" [NULL] */
    const char *y_title;       /**< e.g. "true positive rate" [NULL] */
    /** @{ */
    double x_min, x_max;       /**< x-axis range [0, 1] */
    /** @} */
    /** @{ */
    double y_min, y_max;       /**< y-axis range [0, 1] */
    /** @} */
    int32_t diagonal;          /**< dashed y = x line, the chance level of a ROC curve [0] */
    double hline;              /**< dashed horizontal line at this y, e.g. the positive rate as
                                  the chance level of a PR curve; NaN = none [NaN] */
    int32_t steps;             /**< join points as steps (horizontal then vertical), as
                                  scikit-learn draws PR curves [0] */
    /** @{ */
    int32_t width, height;     /**< plot area in pixels, 64..4096 [0: 400 x 400] */
    /** @} */
    int32_t font_scale;        /**< 1..4 [0: auto] */
} rbp_plot_curve_opts;

/** Fill `opts` with the defaults above. RBP_ERR_INVALID_ARG for NULL or an unknown version. */
RBP_API rbp_status rbp_plot_curve_opts_init(rbp_plot_curve_opts *opts, uint32_t version);

/**
 * Line plot of `n_series` curves (1..64) with axes, ticks, a light grid, a legend of the
 * labelled series (placed in the emptiest corner) and optional chance lines. Curves are
 * clipped to the axis range. Non-finite points are an error.
 */
RBP_API rbp_status rbp_plot_curves_png(const char *path, const rbp_plot_series *series, int32_t n_series,
                                       const rbp_plot_curve_opts *opts);
/** As rbp_plot_curves_png, as SVG. */
RBP_API rbp_status rbp_plot_curves_svg(const char *path, const rbp_plot_series *series, int32_t n_series,
                                       const rbp_plot_curve_opts *opts);

/* ------------------------------------------------------------------ sequence logos */

/** The current version of rbp_plot_logo_opts. */
#define RBP_PLOT_LOGO_OPTS_VERSION 1

/** Options of a sequence logo. Defaults in brackets. */
typedef struct rbp_plot_logo_opts {
    uint32_t version;       /**< RBP_PLOT_LOGO_OPTS_VERSION */
    const char *title;      /**< e.g. "motif_1  UGUAAAUA  312 sites" [NULL] */
    const char *y_title;    /**< [NULL: "bits"] */
    const char *x_title;    /**< [NULL: "position"] */
    int32_t column_px;      /**< width of a column, 8..256 [0: 40] */
    int32_t height;         /**< pixels of 2 bits, 32..2048 [0: 160] */
    int32_t font_scale;     /**< text scale 1..4 (title included) [0: 2] */
    int32_t first_position; /**< number of column 0 [1] */
} rbp_plot_logo_opts;

/** Fill `opts` with the defaults above. RBP_ERR_INVALID_ARG for NULL or an unknown version. */
RBP_API rbp_status rbp_plot_logo_opts_init(rbp_plot_logo_opts *opts, uint32_t version);

/**
 * Sequence logo of a position weight matrix `pwm` (width, 4): letter probabilities in the
 * order A C G U (each row is normalised; negative or non-finite values are an error). Column
 * height = information content in bits (2 + sum p log2 p, axis 0..2), letter height = p *
 * that, the most probable letter on top, in the colours of the importance track.
 */
RBP_API rbp_status rbp_plot_logo_png(const char *path, const float *pwm, int32_t width,
                                     const rbp_plot_logo_opts *opts);
/** As rbp_plot_logo_png, as SVG. */
RBP_API rbp_status rbp_plot_logo_svg(const char *path, const float *pwm, int32_t width,
                                     const rbp_plot_logo_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_PLOT_H */
