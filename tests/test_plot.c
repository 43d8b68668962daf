/*
 * test_plot.c - pictures: PNGs read back through libpng (size, colours where the layout puts
 * the maximum / minimum / missing cells, the colour bar, curves on the right side of the
 * axes), SVGs checked by a small XML well-formedness checker (nesting, quoting, entities,
 * escaping of titles) and counted (one <rect> per heatmap cell), the bitmap font, atomic
 * writes, allocation behaviour and every error path.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <rbpattn/plot.h>
#include <rbpattn/rbpattn.h>
#include "core/internal.h"
#include "plot/plot_canvas.h"


/* ------------------------------------------------------------------ helpers */

typedef struct image {
    int w, h;
    uint8_t *px; /* RGB */
} image;

static void read_png(image *im, const char *path)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path))
        fail_msg("libpng cannot read %s: %s", path, img.message);
    img.format = PNG_FORMAT_RGB;
    im->w = (int)img.width;
    im->h = (int)img.height;
    im->px = malloc(PNG_IMAGE_SIZE(img));
    assert_non_null(im->px);
    if (!png_image_finish_read(&img, NULL, im->px, 0, NULL))
        fail_msg("libpng cannot decode %s: %s", path, img.message);
}

static rbp__rgb pixel(const image *im, int x, int y)
{
    assert_true(x >= 0 && y >= 0 && x < im->w && y < im->h);
    const uint8_t *p = im->px + ((size_t)y * im->w + x) * 3;
    return (rbp__rgb){p[0], p[1], p[2]};
}

#define assert_rgb(c, e)                                                                    \
    do {                                                                                    \
        rbp__rgb c_ = (c), e_ = (e);                                                        \
        if (c_.r != e_.r || c_.g != e_.g || c_.b != e_.b)                                   \
            fail_msg("colour (%d,%d,%d), expected (%d,%d,%d)", c_.r, c_.g, c_.b, e_.r, e_.g, e_.b); \
    } while (0)

static long count_color(const image *im, rbp__rgb c, int x0, int y0, int x1, int y1)
{
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            rbp__rgb p = pixel(im, x, y);
            n += p.r == c.r && p.g == c.g && p.b == c.b;
        }
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* ------------------------------------------------------------------ XML checker */

typedef struct xml_stats {
    int ok;
    char why[160];
    long elements;
    long cell_rects;  /* <rect> inside <g class="cells"> */
    long cell_groups; /* <g class="cells"> */
    long paths, polylines, texts;
} xml_stats;

static int name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static int name_char(int c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Checks an entity at s ('&'); returns its length or 0 if invalid. */
static size_t entity_len(const char *s)
{
    static const char *named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (int i = 0; i < 5; i++)
        if (strncmp(s, named[i], strlen(named[i])) == 0)
            return strlen(named[i]);
    if (s[1] == '#') {
        size_t i = 2;
        int hex = s[2] == 'x';
        if (hex)
            i++;
        size_t start = i;
        while (hex ? strchr("0123456789abcdefABCDEF", s[i]) && s[i] : (s[i] >= '0' && s[i] <= '9'))
            i++;
        if (i > start && s[i] == ';')
            return i + 1;
    }
    return 0;
}

#define XML_FAIL(...)                                                                       \
    do {                                                                                    \
        snprintf(st->why, sizeof st->why, __VA_ARGS__);                                     \
        return;                                                                             \
    } while (0)

/* A strict subset of XML 1.0: declaration, elements, attributes in matching quotes, text,
 * comments; checks nesting, one root, unique attribute names, valid entities, no raw '<'
 * or '&' in attribute values or text. */
static void xml_check(const char *s, xml_stats *st)
{
    enum { DEPTH = 64 };
    char stack[DEPTH][32];
    int cells_at[DEPTH];
    int depth = 0, roots = 0, in_cells = 0;
    memset(st, 0, sizeof *st);
    if (strncmp(s, "<?xml ", 6) == 0) {
        const char *e = strstr(s, "?>");
        if (!e)
            XML_FAIL("unterminated XML declaration");
        s = e + 2;
    }
    while (*s) {
        if (*s != '<') {
            if (depth == 0 && !strchr(" \t\r\n", *s))
                XML_FAIL("text outside the root element near '%.20s'", s);
            if (*s == '&') {
                size_t n = entity_len(s);
                if (!n)
                    XML_FAIL("bad entity in text near '%.20s'", s);
                s += n;
            } else {
                s++;
            }
            continue;
        }
        if (strncmp(s, "<!--", 4) == 0) {
            const char *e = strstr(s, "-->");
            if (!e)
                XML_FAIL("unterminated comment");
            s = e + 3;
            continue;
        }
        if (s[1] == '/') { /* closing tag */
            const char *p = s + 2;
            char name[32];
            size_t n = 0;
            while (name_char(*p) && n < sizeof name - 1)
                name[n++] = *p++;
            name[n] = '\0';
            while (*p == ' ')
                p++;
            if (*p != '>')
                XML_FAIL("bad closing tag '%.20s'", s);
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
                XML_FAIL("closing </%s> does not match <%s>", name, depth ? stack[depth - 1] : "(none)");
            depth--;
            if (cells_at[depth])
                in_cells--;
            s = p + 1;
            continue;
        }
        /* start tag */
        const char *p = s + 1;
        char name[32];
        size_t n = 0;
        if (!name_start(*p))
            XML_FAIL("bad tag start '%.20s'", s);
        while (name_char(*p) && n < sizeof name - 1)
            name[n++] = *p++;
        name[n] = '\0';
        if (depth == 0 && ++roots > 1)
            XML_FAIL("more than one root element");
        char attrs[32][32];
        int nattr = 0, is_cells = 0;
        for (;;) {
            int ws = 0;
            while (*p == ' ' || *p == '\n' || *p == '\t') {
                p++;
                ws = 1;
            }
            if (*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            if (!ws || !name_start(*p))
                XML_FAIL("bad attribute in <%s> near '%.20s'", name, p);
            char an[32];
            size_t k = 0;
            while (name_char(*p) && k < sizeof an - 1)
                an[k++] = *p++;
            an[k] = '\0';
            for (int i = 0; i < nattr; i++)
                if (strcmp(attrs[i], an) == 0)
                    XML_FAIL("duplicate attribute %s in <%s>", an, name);
            if (nattr < 32)
                strcpy(attrs[nattr++], an);
            if (*p++ != '=')
                XML_FAIL("attribute %s of <%s> has no '='", an, name);
            char q = *p++;
            if (q != '"' && q != '\'')
                XML_FAIL("attribute %s of <%s> is not quoted", an, name);
            const char *v = p;
            while (*p && *p != q) {
                if (*p == '<')
                    XML_FAIL("raw '<' in attribute %s of <%s>", an, name);
                if (*p == '&') {
                    size_t e = entity_len(p);
                    if (!e)
                        XML_FAIL("bad entity in attribute %s of <%s>", an, name);
                    p += e;
                } else {
                    p++;
                }
            }
            if (*p != q)
                XML_FAIL("unterminated attribute %s of <%s>", an, name);
            if (strcmp(name, "g") == 0 && strcmp(an, "class") == 0 && strncmp(v, "cells", 5) == 0 && v[5] == q)
                is_cells = 1;
            p++;
        }
        st->elements++;
        if (strcmp(name, "rect") == 0 && in_cells > 0)
            st->cell_rects++;
        st->paths += strcmp(name, "path") == 0;
        st->polylines += strcmp(name, "polyline") == 0;
        st->texts += strcmp(name, "text") == 0;
        st->cell_groups += is_cells;
        if (*p == '/') { /* empty element (an empty root is fine too) */
            s = p + 2;
            continue;
        }
        if (depth == DEPTH)
            XML_FAIL("nesting too deep");
        strcpy(stack[depth], name);
        cells_at[depth] = is_cells;
        in_cells += is_cells;
        depth++;
        s = p + 1;
    }
    if (depth != 0)
        XML_FAIL("%d element(s) left open, innermost <%s>", depth, stack[depth - 1]);
    if (roots != 1)
        XML_FAIL("no root element");
    st->ok = 1;
}

static void assert_xml_ok(const char *text, xml_stats *st)
{
    xml_check(text, st);
    if (!st->ok)
        fail_msg("SVG is not well-formed: %s", st->why);
}

/* The checker itself must reject what it claims to reject. */
static void test_xml_checker(void **state)
{
    (void)state;
    xml_stats st;
    const char *good = "<?xml version=\"1.0\"?>\n<svg a=\"1\" b='x &amp; y'><g class=\"cells\"><rect/><rect x=\"1\"/>"
                       "</g><text>a &lt; b &#38; &#x26;</text><!-- c --></svg>\n";
    xml_check(good, &st);
    assert_true(st.ok);
    assert_int_equal(st.cell_rects, 2);
    assert_int_equal(st.cell_groups, 1);
    const char *bad[] = {
        "<svg><g></svg>",                 /* unbalanced */
        "<svg></g>",                      /* wrong close */
        "<svg a=1></svg>",                /* unquoted */
        "<svg a=\"1></svg>",              /* unterminated */
        "<svg a=\"1\" a=\"2\"></svg>",    /* duplicate */
        "<svg><text>a & b</text></svg>",  /* raw & */
        "<svg a=\"<\"></svg>",            /* raw < */
        "<svg><text>&nbsp;</text></svg>", /* not an XML entity */
        "<svg></svg><svg></svg>",         /* two roots */
        "<svg>",                          /* open */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xml_check(bad[i], &st);
        if (st.ok)
            fail_msg("checker accepted bad XML: %s", bad[i]);
    }
}

static void dir_of(char *out, size_t cap, const char *path)
{
    snprintf(out, cap, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
}

/* ------------------------------------------------------------------ font */

static void test_font(void **state)
{
    (void)state;
    /* every printable glyph but the space has ink, and no two glyphs are the same */
    for (int c = 33; c < 127; c++) {
        const uint8_t *g = rbp__font_glyph((unsigned char)c);
        int ink = 0;
        for (int r = 0; r < RBP__FONT_H; r++) {
            ink |= g[r];
            assert_true(g[r] < 32); /* 5 bits */
        }
        if (!ink)
            fail_msg("glyph '%c' is empty", c);
        for (int d = 32; d < c; d++)
            if (memcmp(g, rbp__font_glyph((unsigned char)d), RBP__FONT_H) == 0)
                fail_msg("glyphs '%c' and '%c' are identical", c, d);
    }
    for (int r = 0; r < RBP__FONT_H; r++)
        assert_int_equal(rbp__font_glyph(' ')[r], 0);
    /* capitals and digits stay above the baseline; only a few glyphs descend */
    for (const char *p = "ACGUTN0123456789"; *p; p++)
        assert_int_equal(rbp__font_glyph((unsigned char)*p)[7] | rbp__font_glyph((unsigned char)*p)[8], 0);
    assert_true(rbp__font_glyph('g')[8] != 0);
    /* non-ASCII (e.g. UTF-8 bytes) and control bytes draw as '?' */
    assert_ptr_equal(rbp__font_glyph(0xC3), rbp__font_glyph('?'));
    assert_ptr_equal(rbp__font_glyph('\n'), rbp__font_glyph('?'));
    assert_int_equal(rbp__text_width("ACGU", 1), 4 * 6 - 1);
    assert_int_equal(rbp__text_width("ACGU", 2), 2 * (4 * 6 - 1));
    assert_int_equal(rbp__text_width("", 2), 0);
}

/* Text lands in the raster exactly as the glyph bits say, at scale 2 and rotated. */
static void test_raster_text(void **state)
{
    (void)state;
    rbp__canvas cv;
    memset(&cv, 0, sizeof cv);
    const rbp__rgb white = {255, 255, 255}, ink = {10, 20, 30};
    assert_int_equal(rbp__raster_init(&cv, 40, 40, white), RBP_OK);
    rbp__cv_text(&cv, 3, 4, "G", 2, RBP__ALIGN_LEFT, 0, ink);
    const uint8_t *g = rbp__font_glyph('G');
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 40; x++) {
            int gx = (x - 3) / 2, gy = (y - 4) / 2;
            int on = x >= 3 && y >= 4 && gx < RBP__FONT_W && gy < RBP__FONT_H && (g[gy] & (0x10 >> gx));
            const uint8_t *p = cv.pix + ((size_t)y * 40 + x) * 3;
            if (on != (p[0] == 10))
                fail_msg("pixel (%d,%d) should be %s", x, y, on ? "ink" : "paper");
        }
    /* right alignment ends the text at x; vertical text reads bottom to top:
     * glyph column 0 (left) becomes the bottom row, glyph row 0 (top) the left column */
    memset(cv.pix, 255, 40 * 40 * 3);
    rbp__cv_text(&cv, 10, 30, "L", 1, RBP__ALIGN_LEFT, 1, ink);
    /* 'L' is a vertical bar in column 0 (rows 0-6) and a bottom row 6 (columns 0-4):
     * rotated, column 0 is the bottom row y = 29 spanning x = 10..16 */
    for (int x = 10; x <= 16; x++)
        assert_int_equal(cv.pix[((size_t)29 * 40 + x) * 3], 10);
    for (int y = 25; y <= 29; y++) /* row 6 -> the column x = 16 from y = 29 up to 25 */
        assert_int_equal(cv.pix[((size_t)y * 40 + 16) * 3], 10);
    assert_int_equal(cv.pix[((size_t)28 * 40 + 10) * 3], 255);
    rbp__raster_free(&cv);
    assert_null(cv.pix);
}

/* ------------------------------------------------------------------ heatmaps */

static void geom_cell_center(const rbp__heat_geom *g, int panel, int r, int c, int *x, int *y)
{
    int px = g->grid_x + (panel % g->grid_cols) * (g->panel_w + g->gap);
    int py = g->grid_y + (panel / g->grid_cols) * (g->panel_h + g->gap);
    *x = px + g->mx + c * g->cell + g->cell / 2;
    *y = py + g->my + r * g->cell + g->cell / 2;
}

/* The cells (3,5), (0,0) and (1,1) of the test matrix hold its maximum, its minimum and the
 * middle of the colour scale. */
static void assert_max_min_mid_cells(const image *im, const rbp__heat_geom *g)
{
    int x, y;
    geom_cell_center(g, 0, 3, 5, &x, &y);
    assert_rgb(pixel(im, x, y), rbp__viridis[255]);
    geom_cell_center(g, 0, 0, 0, &x, &y);
    assert_rgb(pixel(im, x, y), rbp__viridis[0]);
    geom_cell_center(g, 0, 1, 1, &x, &y);
    assert_rgb(pixel(im, x, y), rbp__viridis[128]);
}

static void test_heatmap_png(void **state)
{
    (void)state;
    enum { R = 7, C = 9 };
    float m[R * C];
    for (int i = 0; i < R * C; i++)
        m[i] = 0.25f + 0.5f * (float)i / (R * C); /* inside (0, 1) */
    m[0] = 0.0f;                                  /* the minimum at (0, 0) */
    m[3 * C + 5] = 1.0f;                          /* the maximum at (3, 5) */
    m[6 * C + 8] = NAN;                           /* missing at (6, 8) */
    m[1 * C + 1] = 0.5f;                          /* the middle of the scale */
    rbp_plot_heatmap_opts o;
    assert_int_equal(rbp_plot_heatmap_opts_init(&o, RBP_PLOT_HEATMAP_OPTS_VERSION), RBP_OK);
    o.title = "seq_1  score 0.93";
    o.row_labels = "ACGUACG";
    o.col_labels = "GGCAUUACG";
    o.row_title = "query";
    o.col_title = "key";
    o.value_label = "weight";
    float track[C] = {0.1f, 0.5f, 0, 0.2f, 0.9f, 0.3f, NAN, 0.1f, 0.4f};
    o.track = track;
    o.track_label = "rollout";
    const char *path = rbp_test_path("heat.png");
    assert_int_equal(rbp_plot_heatmap_png(path, m, R, C, &o), RBP_OK);

    rbp__heat_geom g;
    assert_int_equal(rbp__heatmap_geometry(&g, 1, R, C, &o, 1, 0.0, 1.0), RBP_OK);
    assert_int_equal(g.cell, 28); /* short sequences get big cells */
    image im;
    read_png(&im, path);
    assert_int_equal(im.w, g.width);
    assert_int_equal(im.h, g.height);
    int x, y;
    assert_max_min_mid_cells(&im, &g);
    geom_cell_center(&g, 0, 6, 8, &x, &y);
    assert_rgb(pixel(&im, x, y), ((rbp__rgb){217, 217, 217}));
    /* a whole cell is one colour, edge to edge */
    int x0 = g.grid_x + g.mx + 5 * g.cell, y0 = g.grid_y + g.my + 3 * g.cell;
    assert_int_equal(count_color(&im, rbp__viridis[255], x0, y0, x0 + g.cell, y0 + g.cell), g.cell * g.cell);
    /* the colour bar runs from the minimum colour at the bottom to the maximum at the top */
    assert_rgb(pixel(&im, g.cbar_x + g.cbar_w / 2, g.cbar_y), rbp__viridis[255]);
    assert_rgb(pixel(&im, g.cbar_x + g.cbar_w / 2, g.cbar_y + g.cbar_h - 1), rbp__viridis[0]);
    /* labels were drawn: the nucleotide colours of A/C/G/U appear (letters and bars) */
    assert_true(count_color(&im, ((rbp__rgb){230, 150, 0}), 0, 0, im.w, im.h) > 50);
    assert_true(count_color(&im, ((rbp__rgb){214, 40, 57}), 0, 0, im.w, im.h) > 50);
    free(im.px);

    /* explicit scale: values above vmax saturate, below vmin clamp */
    o.vmin = 0.25f; /* exact binary fractions: 0.5 maps to 127.5 -> 128 without rounding noise */
    o.vmax = 0.75f;
    assert_int_equal(rbp_plot_heatmap_png(path, m, R, C, &o), RBP_OK);
    assert_int_equal(rbp__heatmap_geometry(&g, 1, R, C, &o, 1, 0.25, 0.75), RBP_OK);
    read_png(&im, path);
    assert_int_equal(im.w, g.width);
    assert_max_min_mid_cells(&im, &g);
    free(im.px);

    /* 101 positions: the 8 px cells the attention maps use, defaults otherwise */
    static float big[101 * 101];
    for (int i = 0; i < 101 * 101; i++)
        big[i] = (float)(i % 101) / 100.0f;
    assert_int_equal(rbp_plot_heatmap_png(path, big, 101, 101, NULL), RBP_OK);
    assert_int_equal(rbp__heatmap_geometry(&g, 1, 101, 101, NULL, 1, 0.0, 1.0), RBP_OK);
    assert_int_equal(g.cell, 8);
    read_png(&im, path);
    assert_int_equal(im.w, g.width);
    assert_int_equal(im.h, g.height);
    geom_cell_center(&g, 0, 50, 100, &x, &y);
    assert_rgb(pixel(&im, x, y), rbp__viridis[255]);
    free(im.px);

    char dir[512];
    dir_of(dir, sizeof dir, path);
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);
}

static void test_heatmap_grid_png(void **state)
{
    (void)state;
    enum { P = 3, R = 5, C = 6 };
    float m[P * R * C];
    for (int i = 0; i < P * R * C; i++)
        m[i] = 0.5f;
    /* panel p has 0 at (p, p) and 1 at (4, 5): the mean panel is 0.5 except (4, 5) = 1 and
     * (p, p) = (0.5 + 0.5 + 0) / 3 = 1/3 */
    for (int p = 0; p < P; p++) {
        m[p * R * C + p * C + p] = 0.0f;
        m[p * R * C + 4 * C + 5] = 1.0f;
    }
    rbp_plot_heatmap_opts o;
    rbp_plot_heatmap_opts_init(&o, RBP_PLOT_HEATMAP_OPTS_VERSION);
    const char *titles[P] = {"head 1", "head 2", NULL};
    o.panel_titles = titles;
    o.add_mean = 1;
    o.title = "layer 1";
    const char *path = rbp_test_path("grid.png");
    assert_int_equal(rbp_plot_heatmaps_png(path, m, P, R, C, &o), RBP_OK);
    rbp__heat_geom g;
    assert_int_equal(rbp__heatmap_geometry(&g, P, R, C, &o, 0, 0.0, 1.0), RBP_OK);
    assert_int_equal(g.n_panels, P + 1);
    assert_int_equal(g.grid_cols, 2); /* ceil(sqrt(4)) */
    image im;
    read_png(&im, path);
    assert_int_equal(im.w, g.width);
    assert_int_equal(im.h, g.height);
    int x, y;
    for (int p = 0; p < P; p++) {
        geom_cell_center(&g, p, p, p, &x, &y);
        assert_rgb(pixel(&im, x, y), rbp__viridis[0]);
        geom_cell_center(&g, p, 4, 5, &x, &y);
        assert_rgb(pixel(&im, x, y), rbp__viridis[255]);
        geom_cell_center(&g, p, 2, 3, &x, &y);
        assert_rgb(pixel(&im, x, y), rbp__viridis[128]);
    }
    geom_cell_center(&g, P, 4, 5, &x, &y); /* mean panel */
    assert_rgb(pixel(&im, x, y), rbp__viridis[255]);
    geom_cell_center(&g, P, 1, 1, &x, &y);
    assert_rgb(pixel(&im, x, y), rbp__viridis[85]); /* 1/3 * 255 = 85 */
    free(im.px);

    /* explicit grid columns: one row of four */
    o.grid_cols = 4;
    assert_int_equal(rbp_plot_heatmaps_png(path, m, P, R, C, &o), RBP_OK);
    assert_int_equal(rbp__heatmap_geometry(&g, P, R, C, &o, 0, 0.0, 1.0), RBP_OK);
    read_png(&im, path);
    assert_int_equal(im.w, g.width);
    assert_int_equal(im.h, g.height);
    assert_true(im.w > 4 * g.panel_w && im.h < 2 * g.panel_h + 60);
    free(im.px);
}

static void test_heatmap_svg(void **state)
{
    (void)state;
    enum { R = 4, C = 5 };
    float m[R * C];
    for (int i = 0; i < R * C; i++)
        m[i] = (float)i;
    rbp_plot_heatmap_opts o;
    rbp_plot_heatmap_opts_init(&o, RBP_PLOT_HEATMAP_OPTS_VERSION);
    o.title = "seq <7> & \"friends\" 'quoted'";
    o.row_labels = "ACGU";
    o.col_labels = "A<&>C";
    o.value_label = "p > 0.5 & more";
    const char *path = rbp_test_path("heat.svg");
    uint64_t before = rbp__alloc_count();
    assert_int_equal(rbp_plot_heatmap_svg(path, m, R, C, &o), RBP_OK);
    assert_int_equal(rbp__alloc_count(), before + 1); /* SVG: only the atomic file handle */
    char *svg = slurp(path);
    xml_stats st;
    assert_xml_ok(svg, &st);
    assert_int_equal(st.cell_groups, 1);
    assert_int_equal(st.cell_rects, R * C);
    assert_non_null(strstr(svg, "<title>seq &lt;7&gt; &amp; &quot;friends&quot; &apos;quoted&apos;</title>"));
    assert_non_null(strstr(svg, ">&lt;</text>")); /* column label '<' */
    assert_non_null(strstr(svg, "viewBox=\"0 0 "));
    rbp__heat_geom g;
    assert_int_equal(rbp__heatmap_geometry(&g, 1, R, C, &o, 1, 0.0, 19.0), RBP_OK);
    char expect[96];
    snprintf(expect, sizeof expect, "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\"", g.width, g.height, g.width,
             g.height);
    assert_non_null(strstr(svg, expect));
    /* the maximum cell (3, 4) has the top colour; NaN-free map has no grey cell */
    snprintf(expect, sizeof expect, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fde725\"/>",
             g.grid_x + g.mx + 4 * g.cell, g.grid_y + g.my + 3 * g.cell, g.cell, g.cell);
    assert_non_null(strstr(svg, expect));
    assert_null(strstr(svg, "#d9d9d9"));
    free(svg);

    /* grid: one cells group per panel, including the mean */
    float m3[3 * R * C];
    for (int i = 0; i < 3 * R * C; i++)
        m3[i] = (float)(i % 7);
    o.add_mean = 1;
    float track[C] = {-1, 2, 0, 0.5f, NAN};
    o.track = track;
    assert_int_equal(rbp_plot_heatmaps_svg(path, m3, 3, R, C, &o), RBP_OK);
    svg = slurp(path);
    assert_xml_ok(svg, &st);
    assert_int_equal(st.cell_groups, 4);
    assert_int_equal(st.cell_rects, 4 * R * C);
    assert_non_null(strstr(svg, ">mean</text>"));
    assert_non_null(strstr(svg, ">panel 3</text>"));
    free(svg);

    /* a mutation map: the track as letters (one path per non-zero finite value), not bars */
    o.add_mean = 0;
    o.col_labels = "ACGUA";
    o.track_style = RBP_PLOT_TRACK_LOGO;
    o.first_position = 7;
    assert_int_equal(rbp_plot_heatmap_svg(path, m, R, C, &o), RBP_OK);
    svg = slurp(path);
    assert_xml_ok(svg, &st);
    assert_int_equal(st.paths, 3); /* -1, 2 and 0.5; 0 and NaN draw nothing */
    const long texts_numbered = st.texts;
    free(svg);
    o.hide_row_numbers = 1; /* rows that are not positions: R fewer numbers */
    assert_int_equal(rbp_plot_heatmap_svg(path, m, R, C, &o), RBP_OK);
    svg = slurp(path);
    assert_xml_ok(svg, &st);
    assert_true(st.texts < texts_numbered);
    free(svg);
    assert_int_equal(rbp_plot_heatmap_png(rbp_test_path("mutmap.png"), m, R, C, &o), RBP_OK);
    o.col_labels = NULL;
    assert_error_mentions(rbp_plot_heatmap_svg(path, m, R, C, &o), RBP_ERR_INVALID_ARG, "col_labels is NULL");
    o.track_style = 5;
    assert_error_mentions(rbp_plot_heatmap_svg(path, m, R, C, &o), RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts.track_style");
}

/* ------------------------------------------------------------------ tracks */

static void test_track(void **state)
{
    (void)state;
    const rbp__rgb G = {230, 150, 0};
    float v[8] = {0, 0, 0, 1.0f, 0, 0, 0, 0};
    const char *seq = "AAAGAAAA";
    rbp_plot_track_opts o;
    assert_int_equal(rbp_plot_track_opts_init(&o, RBP_PLOT_TRACK_OPTS_VERSION), RBP_OK);
    o.title = "saliency";
    o.y_title = "grad x input";
    const char *path = rbp_test_path("track.png");
    assert_int_equal(rbp_plot_track_png(path, v, seq, 8, &o), RBP_OK);
    image im;
    read_png(&im, path);
    /* 8 positions -> 28 px cells; the only G-coloured ink is its bar (27 px wide, 160 px
     * high, the zero line drawn over its last row) and the scale-2 letter G under it */
    int gbits = 0;
    for (int r = 0; r < RBP__FONT_H; r++)
        for (int c = 0; c < 5; c++)
            gbits += (rbp__font_glyph('G')[r] >> c) & 1;
    long n = count_color(&im, G, 0, 0, im.w, im.h);
    assert_int_equal(n, 27 * 159 + 4 * gbits);
    assert_true(im.w >= 8 * 28 && im.h >= 160);
    free(im.px);

    /* logo: letters stretched to the values, upside down below zero; SVG draws one path
     * per non-zero finite value */
    float w[5] = {0.5f, -0.25f, 0, NAN, 1.0f};
    o.style = RBP_PLOT_TRACK_LOGO;
    const char *spath = rbp_test_path("logo.svg");
    assert_int_equal(rbp_plot_track_svg(spath, w, "ACGUA", 5, &o), RBP_OK);
    char *svg = slurp(spath);
    xml_stats st;
    assert_xml_ok(svg, &st);
    assert_int_equal(st.paths, 3); /* zero height and NaN draw nothing */
    free(svg);
    assert_int_equal(rbp_plot_track_png(path, w, "ACGUA", 5, &o), RBP_OK);
    read_png(&im, path);
    assert_true(count_color(&im, ((rbp__rgb){16, 150, 72}), 0, 0, im.w, im.h) > 200); /* the A letters */
    free(im.px);
    /* bars without a sequence, defaults */
    assert_int_equal(rbp_plot_track_png(path, v, NULL, 8, NULL), RBP_OK);
    assert_int_equal(rbp_plot_track_svg(spath, v, NULL, 8, NULL), RBP_OK);
    svg = slurp(spath);
    assert_xml_ok(svg, &st);
    free(svg);
}

/* ------------------------------------------------------------------ curves */

static void test_curves(void **state)
{
    (void)state;
    const rbp__rgb C0 = {31, 119, 180}, C1 = {255, 127, 14}, C2 = {44, 160, 44};
    double x[2] = {0, 1}, y_hi[2] = {0.75, 0.75}, y_lo[2] = {0.25, 0.25}, y_out[2] = {2.0, 2.0};
    rbp_plot_series s[3] = {
        {x, y_hi, 2, "upper (AUC 0.75)"},
        {x, y_lo, 2, "lower"},
        {x, y_out, 2, NULL}, /* entirely above the axes: clipped away, not in the legend */
    };
    rbp_plot_curve_opts o;
    assert_int_equal(rbp_plot_curve_opts_init(&o, RBP_PLOT_CURVE_OPTS_VERSION), RBP_OK);
    o.title = "ROC";
    o.x_title = "false positive rate";
    o.y_title = "true positive rate";
    o.diagonal = 1;
    const char *path = rbp_test_path("roc.png");
    assert_int_equal(rbp_plot_curves_png(path, s, 3, &o), RBP_OK);
    image im;
    read_png(&im, path);
    assert_true(im.w > 400 && im.h > 400);
    /* in the middle column the upper curve lies above the lower one (y grows upwards) */
    int cx = im.w / 2, y0 = -1, y1 = -1;
    for (int y = 0; y < im.h; y++) {
        rbp__rgb p = pixel(&im, cx, y);
        if (p.r == C0.r && p.g == C0.g && p.b == C0.b && y0 < 0)
            y0 = y;
        if (p.r == C1.r && p.g == C1.g && p.b == C1.b && y1 < 0)
            y1 = y;
    }
    assert_true(y0 > 0 && y1 > 0);
    assert_true(y0 < y1);
    assert_true(abs((y1 - y0) - 200) <= 2); /* 0.5 of a 400 px axis */
    assert_int_equal(count_color(&im, C2, 0, 0, im.w, im.h), 0);
    free(im.px);

    /* steps, hline, SVG */
    double rx[4] = {1.0, 0.5, 0.5, 0.0}, py[4] = {0.4, 0.6, 0.8, 1.0};
    rbp_plot_series pr = {rx, py, 4, "model (AP 0.70)"};
    rbp_plot_curve_opts_init(&o, RBP_PLOT_CURVE_OPTS_VERSION);
    o.steps = 1;
    o.hline = 0.4;
    o.title = "PR <test> & \"more\"";
    const char *spath = rbp_test_path("pr.svg");
    assert_int_equal(rbp_plot_curves_svg(spath, &pr, 1, &o), RBP_OK);
    char *svg = slurp(spath);
    xml_stats st;
    assert_xml_ok(svg, &st);
    assert_int_equal(st.polylines, 1);
    assert_non_null(strstr(svg, "stroke-dasharray")); /* the hline */
    assert_non_null(strstr(svg, "clip-path=\"url(#clip"));
    assert_non_null(strstr(svg, ">model (AP 0.70)</text>"));
    /* steps: 4 points -> 7 vertices (a corner before each point after the first), minus the
     * corner that coincides with its point (x repeats at 0.5) */
    const char *pts = strstr(svg, "points=\"");
    assert_non_null(pts);
    int spaces = 0;
    for (const char *p = pts + 8; *p != '"'; p++)
        spaces += *p == ' ';
    assert_int_equal(spaces + 1, 6);
    free(svg);

    /* a wider plot and custom ranges; series with one point is a marker; 0 points allowed */
    double one_x[1] = {5}, one_y[1] = {50};
    rbp_plot_series mixed[2] = {{one_x, one_y, 1, "single"}, {NULL, NULL, 0, "empty"}};
    rbp_plot_curve_opts_init(&o, RBP_PLOT_CURVE_OPTS_VERSION);
    o.x_min = 0;
    o.x_max = 10;
    o.y_min = 0;
    o.y_max = 100;
    o.width = 640;
    o.height = 320;
    assert_int_equal(rbp_plot_curves_png(path, mixed, 2, &o), RBP_OK);
    read_png(&im, path);
    assert_true(im.w > 640 && im.h > 320 && im.h < 480);
    assert_int_equal(count_color(&im, C0, 0, 0, im.w, im.h) >= 16, 1);
    free(im.px);
}

/* ------------------------------------------------------------------ files and errors */

static void test_overwrite_and_io_errors(void **state)
{
    (void)state;
    float m[4] = {0, 1, 2, 3};
    const char *path = rbp_test_path("twice.png");
    assert_int_equal(rbp_plot_heatmap_png(path, m, 2, 2, NULL), RBP_OK);
    assert_int_equal(rbp_plot_heatmap_png(path, m, 1, 4, NULL), RBP_OK); /* replaces it */
    image im;
    read_png(&im, path);
    rbp__heat_geom g;
    assert_int_equal(rbp__heatmap_geometry(&g, 1, 1, 4, NULL, 1, 0.0, 3.0), RBP_OK);
    assert_int_equal(im.w, g.width);
    assert_int_equal(im.h, g.height);
    free(im.px);
    char dir[512];
    dir_of(dir, sizeof dir, path);
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);

    assert_error_mentions(rbp_plot_heatmap_png("/nonexistent/dir/x.png", m, 2, 2, NULL), RBP_ERR_IO,
                          "'/nonexistent/dir/x.png'");
    assert_error_mentions(rbp_plot_heatmap_svg("/nonexistent/dir/x.svg", m, 2, 2, NULL), RBP_ERR_IO,
                          "/nonexistent/dir/x.svg");
    double x[2] = {0, 1};
    rbp_plot_series s = {x, x, 2, "a"};
    assert_error_mentions(rbp_plot_curves_png("/nonexistent/dir/r.png", &s, 1, NULL), RBP_ERR_IO,
                          "/nonexistent/dir/r.png");
    assert_error_mentions(rbp_plot_track_svg("/nonexistent/dir/t.svg", m, "ACGU", 4, NULL), RBP_ERR_IO,
                          "/nonexistent/dir/t.svg");
    /* a directory in the way of the rename */
    assert_error_mentions(rbp_plot_heatmap_png(dir, m, 2, 2, NULL), RBP_ERR_IO, dir);
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);
}

static void test_errors(void **state)
{
    (void)state;
    float m[6] = {0, 1, 2, 3, 4, 5};
    const char *path = rbp_test_path("err.png");
    rbp_plot_heatmap_opts o;

    assert_error_mentions(rbp_plot_heatmap_opts_init(NULL, 1), RBP_ERR_INVALID_ARG, "'opts'");
    assert_error_mentions(rbp_plot_heatmap_opts_init(&o, 99), RBP_ERR_INVALID_ARG, "version 99");
    assert_error_mentions(rbp_plot_heatmap_png(NULL, m, 2, 3, NULL), RBP_ERR_INVALID_ARG, "'path'");
    assert_error_mentions(rbp_plot_heatmap_png(path, NULL, 2, 3, NULL), RBP_ERR_INVALID_ARG, "'matrix'");
    assert_error_mentions(rbp_plot_heatmaps_svg(path, NULL, 1, 2, 3, NULL), RBP_ERR_INVALID_ARG, "'matrices'");
    assert_error_mentions(rbp_plot_heatmap_png(path, m, 0, 3, NULL), RBP_ERR_INVALID_ARG, "rows = 0");
    assert_error_mentions(rbp_plot_heatmap_svg(path, m, 2, -1, NULL), RBP_ERR_INVALID_ARG, "cols = -1");
    assert_error_mentions(rbp_plot_heatmaps_png(path, m, 0, 2, 3, NULL), RBP_ERR_INVALID_ARG, "n_panels = 0");

    rbp_plot_heatmap_opts_init(&o, RBP_PLOT_HEATMAP_OPTS_VERSION);
    o.version = 7;
    assert_error_mentions(rbp_plot_heatmap_png(path, m, 2, 3, &o), RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts.version = 7");
    rbp_plot_heatmap_opts_init(&o, RBP_PLOT_HEATMAP_OPTS_VERSION);
    o.row_labels = "A";
    assert_error_mentions(rbp_plot_heatmap_png(path, m, 2, 3, &o), RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts.row_labels has 1");
    o.row_labels = NULL;
    o.col_labels = "AC";
    assert_error_mentions(rbp_plot_heatmap_svg(path, m, 2, 3, &o), RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts.col_labels");
    o.col_labels = NULL;
    o.vmin = 2;
    o.vmax = 1;
    assert_error_mentions(rbp_plot_heatmap_png(path, m, 2, 3, &o), RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts.vmin");
    o.vmin = INFINITY;
    assert_error_mentions(rbp_plot_heatmap_png(path, m, 2, 3, &o), RBP_ERR_INVALID_ARG, "finite");
    o.vmin = NAN;
    o.vmax = NAN;
    o.cell_px = 65;
    assert_error_mentions(rbp_plot_heatmap_png(path, m, 2, 3, &o), RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts.cell_px = 65");
    o.cell_px = 0;
    o.font_scale = 9;
    assert_error_mentions(rbp_plot_heatmap_png(path, m, 2, 3, &o), RBP_ERR_INVALID_ARG, "rbp_plot_heatmap_opts.font_scale");
    o.font_scale = 0;
    o.cell_px = 64;
    static float huge[300 * 300];
    assert_error_mentions(rbp_plot_heatmap_png(path, huge, 300, 300, &o), RBP_ERR_INVALID_ARG, "pixels");

    /* sizes are checked before the data are read (so this small array is never indexed) */
    assert_error_mentions(rbp_plot_heatmaps_png(path, huge, 4000, 1000, 1000, NULL), RBP_ERR_INVALID_ARG, "pixels");
    assert_error_mentions(rbp_plot_heatmaps_svg(path, huge, 1, 16385, 2, NULL), RBP_ERR_INVALID_ARG, "pixels");

    /* one-sided scale limits and constant data are fine */
    rbp_plot_heatmap_opts_init(&o, RBP_PLOT_HEATMAP_OPTS_VERSION);
    float flat[4] = {2, 2, 2, 2}, nan4[4] = {NAN, NAN, NAN, NAN};
    assert_int_equal(rbp_plot_heatmap_png(path, flat, 2, 2, &o), RBP_OK);
    assert_int_equal(rbp_plot_heatmap_png(path, nan4, 2, 2, &o), RBP_OK);
    o.vmin = 5;
    assert_int_equal(rbp_plot_heatmap_svg(path, flat, 2, 2, &o), RBP_OK);

    /* tracks */
    rbp_plot_track_opts t;
    assert_error_mentions(rbp_plot_track_opts_init(&t, 2), RBP_ERR_INVALID_ARG, "version 2");
    rbp_plot_track_opts_init(&t, RBP_PLOT_TRACK_OPTS_VERSION);
    assert_error_mentions(rbp_plot_track_png(NULL, m, "ACGUAC", 6, &t), RBP_ERR_INVALID_ARG, "'path'");
    assert_error_mentions(rbp_plot_track_png(path, NULL, "ACGUAC", 6, &t), RBP_ERR_INVALID_ARG, "'values'");
    assert_error_mentions(rbp_plot_track_svg(path, m, "ACGUAC", 0, &t), RBP_ERR_INVALID_ARG, "n = 0");
    assert_error_mentions(rbp_plot_track_png(path, m, "ACG", 6, &t), RBP_ERR_INVALID_ARG, "sequence has 3");
    t.style = RBP_PLOT_TRACK_LOGO;
    assert_error_mentions(rbp_plot_track_png(path, m, NULL, 6, &t), RBP_ERR_INVALID_ARG, "'sequence'");
    t.style = 5;
    assert_error_mentions(rbp_plot_track_png(path, m, "ACGUAC", 6, &t), RBP_ERR_INVALID_ARG, "rbp_plot_track_opts.style");
    t.style = 0;
    t.height = 8;
    assert_error_mentions(rbp_plot_track_png(path, m, "ACGUAC", 6, &t), RBP_ERR_INVALID_ARG, "rbp_plot_track_opts.height");

    /* curves */
    double x[3] = {0, 0.5, 1}, y[3] = {0, NAN, 1};
    rbp_plot_series s = {x, x, 3, "a"};
    rbp_plot_curve_opts c;
    assert_error_mentions(rbp_plot_curve_opts_init(&c, 0), RBP_ERR_INVALID_ARG, "version 0");
    rbp_plot_curve_opts_init(&c, RBP_PLOT_CURVE_OPTS_VERSION);
    assert_error_mentions(rbp_plot_curves_png(NULL, &s, 1, &c), RBP_ERR_INVALID_ARG, "'path'");
    assert_error_mentions(rbp_plot_curves_png(path, NULL, 1, &c), RBP_ERR_INVALID_ARG, "'series'");
    assert_error_mentions(rbp_plot_curves_svg(path, &s, 0, &c), RBP_ERR_INVALID_ARG, "n_series = 0");
    rbp_plot_series bad = {x, NULL, 3, "b"};
    assert_error_mentions(rbp_plot_curves_png(path, &bad, 1, &c), RBP_ERR_INVALID_ARG, "series[0].y is NULL");
    rbp_plot_series two[2] = {s, {x, y, 3, "nan"}};
    assert_error_mentions(rbp_plot_curves_png(path, two, 2, &c), RBP_ERR_INVALID_ARG, "series[1].y[1] is not finite");
    c.x_min = 1;
    assert_error_mentions(rbp_plot_curves_png(path, &s, 1, &c), RBP_ERR_INVALID_ARG, "rbp_plot_curve_opts.x_min");
    c.x_min = 0;
    c.y_max = NAN;
    assert_error_mentions(rbp_plot_curves_png(path, &s, 1, &c), RBP_ERR_INVALID_ARG, "rbp_plot_curve_opts.y_min");
    c.y_max = 1;
    c.width = 10;
    assert_error_mentions(rbp_plot_curves_svg(path, &s, 1, &c), RBP_ERR_INVALID_ARG, "rbp_plot_curve_opts.width = 10");
    c.width = 0;
    c.hline = INFINITY;
    assert_error_mentions(rbp_plot_curves_svg(path, &s, 1, &c), RBP_ERR_INVALID_ARG, "rbp_plot_curve_opts.hline");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_checker),
        cmocka_unit_test(test_font),
        cmocka_unit_test(test_raster_text),
        cmocka_unit_test(test_heatmap_png),
        cmocka_unit_test(test_heatmap_grid_png),
        cmocka_unit_test(test_heatmap_svg),
        cmocka_unit_test(test_track),
        cmocka_unit_test(test_curves),
        cmocka_unit_test(test_overwrite_and_io_errors),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("plot", tests, NULL, NULL);
}
