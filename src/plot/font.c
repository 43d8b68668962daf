/*
 * plot/font.c - the hand-made bitmap font used to draw text into PNG pictures.
 *
 * Printable ASCII 32..126 in a 5x9 cell: rows 0-6 hold capitals and digits (7 px), rows 7-8
 * the descenders of g j p q y , ; _ ; lowercase letters are 5 px high (rows 2-6). Each row is
 * a 5-bit mask, leftmost pixel in bit 4, spelled with the X/_ macros below so the glyphs can
 * be read (and edited) in the source. Glyphs advance by 6 px (one blank column), lines by
 * 11 px; the SVG writer uses a monospace font of the same metrics (0.6 em advance at 10 px).
 */
#include <stdint.h>

#include "plot/plot_canvas.h"

/* One macro per 5-bit row pattern: B, then X = ink, _ = paper per pixel. */
#define B_____ 0x00
#define B____X 0x01
#define B___X_ 0x02
#define B___XX 0x03
#define B__X__ 0x04
#define B__X_X 0x05
#define B__XX_ 0x06
#define B__XXX 0x07
#define B_X___ 0x08
#define B_X__X 0x09
#define B_X_X_ 0x0a
#define B_X_XX 0x0b
#define B_XX__ 0x0c
#define B_XX_X 0x0d
#define B_XXX_ 0x0e
#define B_XXXX 0x0f
#define BX____ 0x10
#define BX___X 0x11
#define BX__X_ 0x12
#define BX__XX 0x13
#define BX_X__ 0x14
#define BX_X_X 0x15
#define BX_XX_ 0x16
#define BX_XXX 0x17
#define BXX___ 0x18
#define BXX__X 0x19
#define BXX_X_ 0x1a
#define BXX_XX 0x1b
#define BXXX__ 0x1c
#define BXXX_X 0x1d
#define BXXXX_ 0x1e
#define BXXXXX 0x1f

static const uint8_t glyphs[95][RBP__FONT_H] = {
    {B_____, B_____, B_____, B_____, B_____, B_____, B_____, B_____, B_____}, /*   */
    {B__X__, B__X__, B__X__, B__X__, B__X__, B_____, B__X__, B_____, B_____}, /* ! */
    {B_X_X_, B_X_X_, B_____, B_____, B_____, B_____, B_____, B_____, B_____}, /* " */
    {B_X_X_, B_X_X_, BXXXXX, B_X_X_, BXXXXX, B_X_X_, B_X_X_, B_____, B_____}, /* # */
    {B__X__, B_XXXX, BX_X__, B_XXX_, B__X_X, BXXXX_, B__X__, B_____, B_____}, /* $ */
    {BXX__X, BXX__X, B___X_, B__X__, B_X___, BX__XX, BX__XX, B_____, B_____}, /* % */
    {B_XX__, BX__X_, BX_X__, B_X___, BX_X_X, BX__X_, B_XX_X, B_____, B_____}, /* & */
    {B__X__, B__X__, B_X___, B_____, B_____, B_____, B_____, B_____, B_____}, /* quote */
    {B___X_, B__X__, B_X___, B_X___, B_X___, B__X__, B___X_, B_____, B_____}, /* ( */
    {B_X___, B__X__, B___X_, B___X_, B___X_, B__X__, B_X___, B_____, B_____}, /* ) */
    {B_____, B__X__, BX_X_X, B_XXX_, BX_X_X, B__X__, B_____, B_____, B_____}, /* * */
    {B_____, B__X__, B__X__, BXXXXX, B__X__, B__X__, B_____, B_____, B_____}, /* + */
    {B_____, B_____, B_____, B_____, B_____, B_XX__, B_XX__, B__X__, B_X___}, /* , */
    {B_____, B_____, B_____, B_XXX_, B_____, B_____, B_____, B_____, B_____}, /* - */
    {B_____, B_____, B_____, B_____, B_____, B_XX__, B_XX__, B_____, B_____}, /* . */
    {B____X, B____X, B___X_, B__X__, B_X___, BX____, BX____, B_____, B_____}, /* / */
    {B_XXX_, BX___X, BX__XX, BX_X_X, BXX__X, BX___X, B_XXX_, B_____, B_____}, /* 0 */
    {B__X__, B_XX__, B__X__, B__X__, B__X__, B__X__, B_XXX_, B_____, B_____}, /* 1 */
    {B_XXX_, BX___X, B____X, B___X_, B__X__, B_X___, BXXXXX, B_____, B_____}, /* 2 */
    {BXXXXX, B___X_, B__X__, B___X_, B____X, BX___X, B_XXX_, B_____, B_____}, /* 3 */
    {B___X_, B__XX_, B_X_X_, BX__X_, BXXXXX, B___X_, B___X_, B_____, B_____}, /* 4 */
    {BXXXXX, BX____, BXXXX_, B____X, B____X, BX___X, B_XXX_, B_____, B_____}, /* 5 */
    {B__XX_, B_X___, BX____, BXXXX_, BX___X, BX___X, B_XXX_, B_____, B_____}, /* 6 */
    {BXXXXX, B____X, B___X_, B__X__, B_X___, B_X___, B_X___, B_____, B_____}, /* 7 */
    {B_XXX_, BX___X, BX___X, B_XXX_, BX___X, BX___X, B_XXX_, B_____, B_____}, /* 8 */
    {B_XXX_, BX___X, BX___X, B_XXXX, B____X, B___X_, B_XX__, B_____, B_____}, /* 9 */
    {B_____, B_XX__, B_XX__, B_____, B_XX__, B_XX__, B_____, B_____, B_____}, /* : */
    {B_____, B_XX__, B_XX__, B_____, B_XX__, B_XX__, B__X__, B_X___, B_____}, /* ; */
    {B___X_, B__X__, B_X___, BX____, B_X___, B__X__, B___X_, B_____, B_____}, /* < */
    {B_____, B_____, BXXXXX, B_____, BXXXXX, B_____, B_____, B_____, B_____}, /* = */
    {B_X___, B__X__, B___X_, B____X, B___X_, B__X__, B_X___, B_____, B_____}, /* > */
    {B_XXX_, BX___X, B____X, B___X_, B__X__, B_____, B__X__, B_____, B_____}, /* ? */
    {B_XXX_, BX___X, B____X, B_XX_X, BX_X_X, BX_X_X, B_XXX_, B_____, B_____}, /* @ */
    {B_XXX_, BX___X, BX___X, BXXXXX, BX___X, BX___X, BX___X, B_____, B_____}, /* A */
    {BXXXX_, BX___X, BX___X, BXXXX_, BX___X, BX___X, BXXXX_, B_____, B_____}, /* B */
    {B_XXX_, BX___X, BX____, BX____, BX____, BX___X, B_XXX_, B_____, B_____}, /* C */
    {BXXX__, BX__X_, BX___X, BX___X, BX___X, BX__X_, BXXX__, B_____, B_____}, /* D */
    {BXXXXX, BX____, BX____, BXXXX_, BX____, BX____, BXXXXX, B_____, B_____}, /* E */
    {BXXXXX, BX____, BX____, BXXXX_, BX____, BX____, BX____, B_____, B_____}, /* F */
    {B_XXX_, BX___X, BX____, BX_XXX, BX___X, BX___X, B_XXXX, B_____, B_____}, /* G */
    {BX___X, BX___X, BX___X, BXXXXX, BX___X, BX___X, BX___X, B_____, B_____}, /* H */
    {B_XXX_, B__X__, B__X__, B__X__, B__X__, B__X__, B_XXX_, B_____, B_____}, /* I */
    {B__XXX, B___X_, B___X_, B___X_, B___X_, BX__X_, B_XX__, B_____, B_____}, /* J */
    {BX___X, BX__X_, BX_X__, BXX___, BX_X__, BX__X_, BX___X, B_____, B_____}, /* K */
    {BX____, BX____, BX____, BX____, BX____, BX____, BXXXXX, B_____, B_____}, /* L */
    {BX___X, BXX_XX, BX_X_X, BX_X_X, BX___X, BX___X, BX___X, B_____, B_____}, /* M */
    {BX___X, BX___X, BXX__X, BX_X_X, BX__XX, BX___X, BX___X, B_____, B_____}, /* N */
    {B_XXX_, BX___X, BX___X, BX___X, BX___X, BX___X, B_XXX_, B_____, B_____}, /* O */
    {BXXXX_, BX___X, BX___X, BXXXX_, BX____, BX____, BX____, B_____, B_____}, /* P */
    {B_XXX_, BX___X, BX___X, BX___X, BX_X_X, BX__X_, B_XX_X, B_____, B_____}, /* Q */
    {BXXXX_, BX___X, BX___X, BXXXX_, BX_X__, BX__X_, BX___X, B_____, B_____}, /* R */
    {B_XXXX, BX____, BX____, B_XXX_, B____X, B____X, BXXXX_, B_____, B_____}, /* S */
    {BXXXXX, B__X__, B__X__, B__X__, B__X__, B__X__, B__X__, B_____, B_____}, /* T */
    {BX___X, BX___X, BX___X, BX___X, BX___X, BX___X, B_XXX_, B_____, B_____}, /* U */
    {BX___X, BX___X, BX___X, BX___X, BX___X, B_X_X_, B__X__, B_____, B_____}, /* V */
    {BX___X, BX___X, BX___X, BX_X_X, BX_X_X, BX_X_X, B_X_X_, B_____, B_____}, /* W */
    {BX___X, BX___X, B_X_X_, B__X__, B_X_X_, BX___X, BX___X, B_____, B_____}, /* X */
    {BX___X, BX___X, B_X_X_, B__X__, B__X__, B__X__, B__X__, B_____, B_____}, /* Y */
    {BXXXXX, B____X, B___X_, B__X__, B_X___, BX____, BXXXXX, B_____, B_____}, /* Z */
    {B_XXX_, B_X___, B_X___, B_X___, B_X___, B_X___, B_XXX_, B_____, B_____}, /* [ */
    {BX____, BX____, B_X___, B__X__, B___X_, B____X, B____X, B_____, B_____}, /* backslash */
    {B_XXX_, B___X_, B___X_, B___X_, B___X_, B___X_, B_XXX_, B_____, B_____}, /* ] */
    {B__X__, B_X_X_, BX___X, B_____, B_____, B_____, B_____, B_____, B_____}, /* ^ */
    {B_____, B_____, B_____, B_____, B_____, B_____, B_____, BXXXXX, B_____}, /* _ */
    {B_X___, B__X__, B_____, B_____, B_____, B_____, B_____, B_____, B_____}, /* ` */
    {B_____, B_____, B_XXX_, B____X, B_XXXX, BX___X, B_XXXX, B_____, B_____}, /* a */
    {BX____, BX____, BX_XX_, BXX__X, BX___X, BX___X, BXXXX_, B_____, B_____}, /* b */
    {B_____, B_____, B_XXX_, BX____, BX____, BX___X, B_XXX_, B_____, B_____}, /* c */
    {B____X, B____X, B_XX_X, BX__XX, BX___X, BX___X, B_XXXX, B_____, B_____}, /* d */
    {B_____, B_____, B_XXX_, BX___X, BXXXXX, BX____, B_XXX_, B_____, B_____}, /* e */
    {B__XX_, B_X__X, B_X___, BXXX__, B_X___, B_X___, B_X___, B_____, B_____}, /* f */
    {B_____, B_____, B_XXXX, BX___X, BX___X, BX___X, B_XXXX, B____X, B_XXX_}, /* g */
    {BX____, BX____, BX_XX_, BXX__X, BX___X, BX___X, BX___X, B_____, B_____}, /* h */
    {B__X__, B_____, B_XX__, B__X__, B__X__, B__X__, B_XXX_, B_____, B_____}, /* i */
    {B___X_, B_____, B__XX_, B___X_, B___X_, B___X_, B___X_, BX__X_, B_XX__}, /* j */
    {BX____, BX____, BX__X_, BX_X__, BXX___, BX_X__, BX__X_, B_____, B_____}, /* k */
    {B_XX__, B__X__, B__X__, B__X__, B__X__, B__X__, B_XXX_, B_____, B_____}, /* l */
    {B_____, B_____, BXX_X_, BX_X_X, BX_X_X, BX_X_X, BX_X_X, B_____, B_____}, /* m */
    {B_____, B_____, BX_XX_, BXX__X, BX___X, BX___X, BX___X, B_____, B_____}, /* n */
    {B_____, B_____, B_XXX_, BX___X, BX___X, BX___X, B_XXX_, B_____, B_____}, /* o */
    {B_____, B_____, BXXXX_, BX___X, BX___X, BX___X, BXXXX_, BX____, BX____}, /* p */
    {B_____, B_____, B_XXXX, BX___X, BX___X, BX___X, B_XXXX, B____X, B____X}, /* q */
    {B_____, B_____, BX_XX_, BXX__X, BX____, BX____, BX____, B_____, B_____}, /* r */
    {B_____, B_____, B_XXXX, BX____, B_XXX_, B____X, BXXXX_, B_____, B_____}, /* s */
    {B_X___, B_X___, BXXX__, B_X___, B_X___, B_X__X, B__XX_, B_____, B_____}, /* t */
    {B_____, B_____, BX___X, BX___X, BX___X, BX__XX, B_XX_X, B_____, B_____}, /* u */
    {B_____, B_____, BX___X, BX___X, BX___X, B_X_X_, B__X__, B_____, B_____}, /* v */
    {B_____, B_____, BX___X, BX___X, BX_X_X, BX_X_X, B_X_X_, B_____, B_____}, /* w */
    {B_____, B_____, BX___X, B_X_X_, B__X__, B_X_X_, BX___X, B_____, B_____}, /* x */
    {B_____, B_____, BX___X, BX___X, BX___X, BX___X, B_XXXX, B____X, B_XXX_}, /* y */
    {B_____, B_____, BXXXXX, B___X_, B__X__, B_X___, BXXXXX, B_____, B_____}, /* z */
    {B___XX, B__X__, B__X__, B_X___, B__X__, B__X__, B___XX, B_____, B_____}, /* { */
    {B__X__, B__X__, B__X__, B__X__, B__X__, B__X__, B__X__, B__X__, B_____}, /* | */
    {BXX___, B__X__, B__X__, B___X_, B__X__, B__X__, BXX___, B_____, B_____}, /* } */
    {B_____, B_____, B_X___, BX_X_X, B___X_, B_____, B_____, B_____, B_____}, /* ~ */
};

#undef B_____
#undef B____X
#undef B___X_
#undef B___XX
#undef B__X__
#undef B__X_X
#undef B__XX_
#undef B__XXX
#undef B_X___
#undef B_X__X
#undef B_X_X_
#undef B_X_XX
#undef B_XX__
#undef B_XX_X
#undef B_XXX_
#undef B_XXXX
#undef BX____
#undef BX___X
#undef BX__X_
#undef BX__XX
#undef BX_X__
#undef BX_X_X
#undef BX_XX_
#undef BX_XXX
#undef BXX___
#undef BXX__X
#undef BXX_X_
#undef BXX_XX
#undef BXXX__
#undef BXXX_X
#undef BXXXX_
#undef BXXXXX

const uint8_t *rbp__font_glyph(unsigned char c)
{
    /* Anything outside printable ASCII (control bytes, UTF-8) is drawn as '?'. */
    if (c < 32 || c > 126)
        c = '?';
    return glyphs[c - 32];
}

unsigned rbp__glyph_bold_row(unsigned char c, int r)
{
    unsigned g = rbp__font_glyph(c)[r];
    return ((g << 1) | g) & 0x3fu;
}

int rbp__glyph_next_run(unsigned row, int *start, int *c0, int *c1)
{
    int c = *start;
    while (c < RBP__GLYPH_BOLD_W && !(row & (1u << (RBP__GLYPH_BOLD_W - 1 - c))))
        c++;
    if (c >= RBP__GLYPH_BOLD_W)
        return 0;
    int e = c;
    while (e + 1 < RBP__GLYPH_BOLD_W && (row & (1u << (RBP__GLYPH_BOLD_W - 2 - e))))
        e++;
    *c0 = c;
    *c1 = e;
    *start = e + 1;
    return 1;
}
