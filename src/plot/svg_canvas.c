/*
 * plot/svg_canvas.c - the SVG backend of the plot canvas: the same drawing calls as the raster,
 * written as SVG 1.1 elements.
 *
 * Numbers are formatted by hand (integer hundredths), never with %f, so a caller's
 * setlocale(LC_NUMERIC, "de_DE") cannot turn "1.5" into "1,5" and break the file. Text is
 * escaped for XML and reduced to printable ASCII, like the bitmap font of the PNG backend.
 * Text uses a monospace font at 10 px per scale step: its 0.6 em advance is the bitmap
 * font's 6 px, so labels take the room the layout reserved for them.
 */
#include <math.h>
#include <stdio.h>

#include "plot/plot_canvas.h"

/* Write v rounded to 0.01 without locale: "12", "12.5", "-0.25". */
static void num(FILE *f, double v)
{
    long long h = (long long)floor(v * 100.0 + 0.5);
    if (h < 0) {
        fputc('-', f);
        h = -h;
    }
    fprintf(f, "%lld", h / 100);
    int frac = (int)(h % 100);
    if (frac) {
        if (frac % 10)
            fprintf(f, ".%02d", frac);
        else
            fprintf(f, ".%d", frac / 10);
    }
}

static void color(FILE *f, rbp__rgb c)
{
    fprintf(f, "#%02x%02x%02x", c.r, c.g, c.b);
}

void rbp__svg_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(ch >= 32 && ch <= 126 ? (int)ch : '?', f); break;
        }
    }
}

void rbp__svg_begin(rbp__canvas *cv, FILE *f, int width, int height, const char *title)
{
    cv->kind = RBP__CANVAS_SVG;
    cv->f = f;
    cv->width = width;
    cv->height = height;
    cv->next_id = 0;
    cv->clip = 0;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\">\n",
            width, height, width, height);
    if (title && title[0]) {
        fputs("<title>", f);
        rbp__svg_escape(f, title);
        fputs("</title>\n", f);
    }
    /* Cells must abut without anti-aliased seams; text and curves stay smooth. */
    fputs("<style>rect { shape-rendering: crispEdges }</style>\n", f);
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
}

void rbp__svg_end(rbp__canvas *cv)
{
    fputs("</svg>\n", cv->f);
}

/* x="" y="" width="" height="" of a <rect> (the opening quote of x is the caller's). */
static void rect_box(FILE *f, double x, double y, double w, double h)
{
    num(f, x);
    fputs("\" y=\"", f);
    num(f, y);
    fputs("\" width=\"", f);
    num(f, w);
    fputs("\" height=\"", f);
    num(f, h);
}

void rbp__svg_rect(rbp__canvas *cv, double x, double y, double w, double h, rbp__rgb c)
{
    FILE *f = cv->f;
    fputs("<rect x=\"", f);
    rect_box(f, x, y, w, h);
    fputs("\" fill=\"", f);
    color(f, c);
    fputs("\"/>\n", f);
}

void rbp__svg_line(rbp__canvas *cv, double x0, double y0, double x1, double y1, double width, rbp__rgb c, int dashed)
{
    FILE *f = cv->f;
    fputs("<line x1=\"", f);
    num(f, x0);
    fputs("\" y1=\"", f);
    num(f, y0);
    fputs("\" x2=\"", f);
    num(f, x1);
    fputs("\" y2=\"", f);
    num(f, y1);
    fputs("\" stroke=\"", f);
    color(f, c);
    fputs("\" stroke-width=\"", f);
    num(f, width);
    fputs(dashed ? "\" stroke-dasharray=\"6 4\"/>\n" : "\"/>\n", f);
}

void rbp__svg_polyline(rbp__canvas *cv, const double *x, const double *y, size_t n, double width, rbp__rgb c)
{
    FILE *f = cv->f;
    fputs("<polyline fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\" stroke=\"", f);
    color(f, c);
    fputs("\" stroke-width=\"", f);
    num(f, width);
    fputs("\" points=\"", f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(' ', f);
        num(f, x[i]);
        fputc(',', f);
        num(f, y[i]);
    }
    fputs("\"/>\n", f);
}

void rbp__svg_text(rbp__canvas *cv, double x, double y, const char *s, int scale, int align, int vertical,
                   rbp__rgb c)
{
    static const char *anchors[3] = {"start", "middle", "end"};
    FILE *f = cv->f;
    /* The layout gives the top of the glyph cell; SVG wants the baseline, 7 px per scale
     * lower - or, rotated, 7 px per scale to the right of the cell's left edge. */
    double bx = vertical ? x + RBP__FONT_ASCENT * scale : x;
    double by = vertical ? y : y + RBP__FONT_ASCENT * scale;
    fputs("<text x=\"", f);
    num(f, bx);
    fputs("\" y=\"", f);
    num(f, by);
    fprintf(f, "\" font-size=\"%d\" text-anchor=\"%s\" fill=\"", 10 * scale, anchors[align]);
    color(f, c);
    if (vertical) {
        fputs("\" transform=\"rotate(-90 ", f);
        num(f, bx);
        fputc(' ', f);
        num(f, by);
        fputc(')', f);
    }
    fputs("\">", f);
    rbp__svg_escape(f, s);
    fputs("</text>\n", f);
}

void rbp__svg_glyph(rbp__canvas *cv, unsigned char ch, double x, double y, double w, double h, int flip, rbp__rgb c)
{
    /* One path: a rectangle per horizontal run of ink in the capital rows of the bold
     * glyph, stretched to the box. */
    FILE *f = cv->f;
    double cw = w / RBP__GLYPH_BOLD_W, rh = h / RBP__FONT_ASCENT;
    fputs("<path fill=\"", f);
    color(f, c);
    fputs("\" d=\"", f);
    for (int r = 0; r < RBP__FONT_ASCENT; r++) {
        unsigned row = rbp__glyph_bold_row(ch, r);
        double top = y + (flip ? RBP__FONT_ASCENT - 1 - r : r) * rh;
        for (int at = 0, c0, c1; rbp__glyph_next_run(row, &at, &c0, &c1);) {
            fputc('M', f);
            num(f, x + c0 * cw);
            fputc(' ', f);
            num(f, top);
            fputc('h', f);
            num(f, (c1 - c0 + 1) * cw);
            fputc('v', f);
            num(f, rh);
            fputc('h', f);
            num(f, -(c1 - c0 + 1) * cw);
            fputc('z', f);
        }
    }
    fputs("\"/>\n", f);
}

void rbp__svg_ramp(rbp__canvas *cv, int x, int y, int w, int h, const rbp__rgb *lut, int n)
{
    /* 17 stops sampled from the table: linear interpolation between them is within a few
     * levels of the full 256-entry map, invisible on a colour bar. */
    FILE *f = cv->f;
    int id = cv->next_id++;
    fprintf(f, "<defs><linearGradient id=\"ramp%d\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n", id);
    for (int k = 0; k <= 16; k++) {
        int i = (int)((long)k * (n - 1) / 16);
        fprintf(f, "<stop offset=\"%d%%\" stop-color=\"", k * 100 / 16);
        color(f, lut[i]);
        fputs("\"/>\n", f);
    }
    fprintf(f, "</linearGradient></defs>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"url(#ramp%d)\"/>\n",
            x, y, w, h, id);
}

void rbp__svg_clip_begin(rbp__canvas *cv, double x, double y, double w, double h)
{
    FILE *f = cv->f;
    int id = cv->next_id++;
    fprintf(f, "<clipPath id=\"clip%d\"><rect x=\"", id);
    rect_box(f, x, y, w, h);
    fprintf(f, "\"/></clipPath>\n<g clip-path=\"url(#clip%d)\">\n", id);
}

void rbp__svg_clip_end(rbp__canvas *cv)
{
    fputs("</g>\n", cv->f);
}

void rbp__svg_group_begin(rbp__canvas *cv, const char *cls)
{
    fputs("<g class=\"", cv->f);
    rbp__svg_escape(cv->f, cls);
    fputs("\">\n", cv->f);
}

void rbp__svg_group_end(rbp__canvas *cv)
{
    fputs("</g>\n", cv->f);
}
