/*
 * plot/png_canvas.c - the raster backend of the plot canvas and the PNG writer.
 *
 * Pictures are drawn into one RGB buffer allocated up front (its size is known from the
 * layout), then streamed row by row through libpng, so a picture costs exactly one buffer
 * plus libpng's own working memory, which is routed through the counted allocator too.
 * Lines are anti-aliased by pixel coverage (distance from the pixel centre to the segment),
 * which keeps ROC/PR curves smooth at any slope; rectangles and text are pixel-exact.
 */
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_canvas.h"

rbp_status rbp__raster_init(rbp__canvas *cv, int width, int height, rbp__rgb bg)
{
    size_t n;
    if (width <= 0 || height <= 0 || (size_t)height > SIZE_MAX / ((size_t)width * 3u))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "picture size %d x %d is invalid", width, height);
    n = (size_t)width * 3u * (size_t)height;
    cv->kind = RBP__CANVAS_RASTER;
    cv->width = width;
    cv->height = height;
    cv->clip = 0;
    cv->pix = malloc(n);
    if (cv->pix == NULL)
        return rbp__plot_oom();
    for (size_t i = 0; i < n; i += 3) {
        cv->pix[i] = bg.r;
        cv->pix[i + 1] = bg.g;
        cv->pix[i + 2] = bg.b;
    }
    return RBP_OK;
}

void rbp__raster_free(rbp__canvas *cv)
{
    free(cv->pix);
    cv->pix = NULL;
}

static int iround(double v)
{
    return (int)floor(v + 0.5);
}

static void put(rbp__canvas *cv, int x, int y, rbp__rgb c)
{
    if (x < 0 || y < 0 || x >= cv->width || y >= cv->height)
        return;
    uint8_t *p = cv->pix + ((size_t)y * (size_t)cv->width + (size_t)x) * 3;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
}

/* dst += (c - dst) * a, a in [0, 1]. */
static void blend(rbp__canvas *cv, int x, int y, rbp__rgb c, double a)
{
    uint8_t *p = cv->pix + ((size_t)y * (size_t)cv->width + (size_t)x) * 3;
    p[0] = (uint8_t)iround(p[0] + (c.r - p[0]) * a);
    p[1] = (uint8_t)iround(p[1] + (c.g - p[1]) * a);
    p[2] = (uint8_t)iround(p[2] + (c.b - p[2]) * a);
}

void rbp__raster_rect(rbp__canvas *cv, double x, double y, double w, double h, rbp__rgb c)
{
    /* Round both edges (not the size), so rectangles that share an edge never gap or overlap. */
    int x0 = iround(x), x1 = iround(x + w), y0 = iround(y), y1 = iround(y + h);
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > cv->width)
        x1 = cv->width;
    if (y1 > cv->height)
        y1 = cv->height;
    for (int yy = y0; yy < y1; yy++) {
        uint8_t *p = cv->pix + ((size_t)yy * (size_t)cv->width + (size_t)x0) * 3;
        for (int xx = x0; xx < x1; xx++, p += 3) {
            p[0] = c.r;
            p[1] = c.g;
            p[2] = c.b;
        }
    }
}

void rbp__raster_line(rbp__canvas *cv, double x0, double y0, double x1, double y1, double width, rbp__rgb c)
{
    /* Coverage of pixel (px, py): 1 inside the stroke, fading to 0 over one pixel at its edge. */
    double hw = 0.5 * width;
    double bx0 = fmin(x0, x1) - hw - 1, bx1 = fmax(x0, x1) + hw + 1;
    double by0 = fmin(y0, y1) - hw - 1, by1 = fmax(y0, y1) + hw + 1;
    if (cv->clip) {
        bx0 = fmax(bx0, cv->cx0);
        by0 = fmax(by0, cv->cy0);
        bx1 = fmin(bx1, cv->cx1);
        by1 = fmin(by1, cv->cy1);
    }
    int ix0 = (int)fmax(floor(bx0), 0), iy0 = (int)fmax(floor(by0), 0);
    int ix1 = (int)fmin(ceil(bx1), cv->width), iy1 = (int)fmin(ceil(by1), cv->height);
    double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    for (int py = iy0; py < iy1; py++) {
        for (int px = ix0; px < ix1; px++) {
            double cx = px + 0.5, cy = py + 0.5;
            if (cv->clip && (cx < cv->cx0 || cx > cv->cx1 || cy < cv->cy0 || cy > cv->cy1))
                continue;
            double t = len2 > 0 ? ((cx - x0) * dx + (cy - y0) * dy) / len2 : 0.0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double ex = x0 + t * dx - cx, ey = y0 + t * dy - cy;
            double cov = hw + 0.5 - sqrt(ex * ex + ey * ey);
            if (cov <= 0)
                continue;
            blend(cv, px, py, c, cov >= 1 ? 1.0 : cov);
        }
    }
}

void rbp__raster_text(rbp__canvas *cv, double x, double y, const char *s, int scale, int vertical, rbp__rgb c)
{
    /* Horizontal: (x, y) is the top-left of the first glyph cell. Vertical (rotated CCW):
     * x is the left of the rotated cells, y the bottom where the text starts. */
    int ox = iround(x), oy = iround(y);
    for (size_t i = 0; s[i]; i++) {
        const uint8_t *g = rbp__font_glyph((unsigned char)s[i]);
        int adv = (int)i * RBP__FONT_ADV * scale;
        for (int r = 0; r < RBP__FONT_H; r++) {
            for (int col = 0; col < RBP__FONT_W; col++) {
                if (!(g[r] & (0x10 >> col)))
                    continue;
                for (int a = 0; a < scale; a++)
                    for (int b = 0; b < scale; b++) {
                        if (vertical) /* glyph (col, r) -> (r, -col): its top faces left */
                            put(cv, ox + r * scale + b, oy - adv - (col + 1) * scale + a, c);
                        else
                            put(cv, ox + adv + col * scale + b, oy + r * scale + a, c);
                    }
            }
        }
    }
}

/* ------------------------------------------------------------------ PNG */

typedef struct png_ctx {
    char msg[192];
} png_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg ? msg : "libpng error");
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* the library never prints */
}

/* tEXt chunks are Latin-1 and at most 79 bytes of key; keep the title printable ASCII. */
static void ascii_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] >= 32 && src[i] <= 126) ? src[i] : '?';
    dst[i] = '\0';
}

/* Everything libpng may longjmp out of, in one frame with no locals changed after setjmp
 * (so nothing can be clobbered). Returns 0 on success, -1 after a libpng error. */
static int png_stream(png_structp png, png_infop info, FILE *f, const rbp__canvas *cv, png_text *text, int ntext)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)cv->width, (png_uint_32)cv->height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_text(png, info, text, ntext);
    png_write_info(png, info);
    for (int y = 0; y < cv->height; y++)
        png_write_row(png, cv->pix + (size_t)y * (size_t)cv->width * 3);
    png_write_end(png, info);
    return 0;
}

rbp_status rbp__png_write(FILE *f, const rbp__canvas *cv, const char *title, const char *fn, const char *path)
{
    png_ctx ctx = {""};
    char title_buf[256], software[64];
    png_text text[2];
    int ntext = 0;
    memset(text, 0, sizeof text);
    if (title && title[0]) {
        ascii_copy(title_buf, sizeof title_buf, title);
        text[ntext].compression = PNG_TEXT_COMPRESSION_NONE;
        text[ntext].key = (png_charp) "Title";
        text[ntext].text = title_buf;
        ntext++;
    }
    snprintf(software, sizeof software, "rbpattn %s", rbp_version_string());
    text[ntext].compression = PNG_TEXT_COMPRESSION_NONE;
    text[ntext].key = (png_charp) "Software";
    text[ntext].text = software;
    ntext++;

    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_png_error, on_png_warning);
    if (png == NULL)
        return rbp__plot_oom();
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return rbp__plot_oom();
    }
    int rc = png_stream(png, info, f, cv, text, ntext);
    png_destroy_write_struct(&png, &info);
    if (rc != 0)
        return rbp__set_error(RBP_ERR_IO, "%s: writing PNG '%s': %s", fn, path, ctx.msg);
    return RBP_OK;
}
