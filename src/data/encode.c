/*
 * data/encode.c - turning text into tokens: the nucleotide and dot-bracket tables, the number
 * parser, and the record builder that packs each record into a byte arena and finally expands
 * all of them into fixed-length (n, T) rows (truncating and padding).
 *
 * One packed byte per position (token | viewpoint << 3 | structure << 4) keeps the arena at
 * the size of the sequences themselves; T is only known once the last record has been read
 * when options.length is 0, which is why the expansion is a second pass.
 */
#define _POSIX_C_SOURCE 200809L
#include <locale.h>
#include <stdarg.h>
#include <math.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "data/data_internal.h"

/* ---------------------------------------------------------------- tables */

#define UP(t) ((uint8_t)((t) | RBP__ENC_UPPER))
#define LO(t) ((uint8_t)((t) | RBP__ENC_LOWER))
#define B RBP__ENC_BAD

/* Full 256-entry tables: with designated initializers every unlisted byte would default to
 * 0, which is a valid token ('A' / '.'), so each entry is spelled out (the unit test checks
 * every byte against a reference). Blanks (space, tab, CR) are skipped inside a sequence. */
const uint8_t rbp__seq_table[256] = {
    /* 0x00 */ B, B, B, B, B, B, B, B, B, RBP__ENC_SKIP, B, B, B, RBP__ENC_SKIP, B, B,
    /* 0x10 */ B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    /* 0x20 */ RBP__ENC_SKIP, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    /* 0x30 */ B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    /* 0x40 '@' A B C D E F G H I J K L M N O */
    B, UP(RBP_TOK_A), UP(RBP_TOK_N), UP(RBP_TOK_C), UP(RBP_TOK_N), B, B, UP(RBP_TOK_G), UP(RBP_TOK_N), B, B,
    UP(RBP_TOK_N), B, UP(RBP_TOK_N), UP(RBP_TOK_N), B,
    /* 0x50 P Q R S T U V W X Y Z ... */
    B, B, UP(RBP_TOK_N), UP(RBP_TOK_N), UP(RBP_TOK_U), UP(RBP_TOK_U), UP(RBP_TOK_N), UP(RBP_TOK_N), B,
    UP(RBP_TOK_N), B, B, B, B, B, B,
    /* 0x60 '`' a b c d e f g h i j k l m n o */
    B, LO(RBP_TOK_A), LO(RBP_TOK_N), LO(RBP_TOK_C), LO(RBP_TOK_N), B, B, LO(RBP_TOK_G), LO(RBP_TOK_N), B, B,
    LO(RBP_TOK_N), B, LO(RBP_TOK_N), LO(RBP_TOK_N), B,
    /* 0x70 p q r s t u v w x y z ... */
    B, B, LO(RBP_TOK_N), LO(RBP_TOK_N), LO(RBP_TOK_U), LO(RBP_TOK_U), LO(RBP_TOK_N), LO(RBP_TOK_N), B,
    LO(RBP_TOK_N), B, B, B, B, B, B,
    /* 0x80 - 0xFF */
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
};

#define SO RBP_STRUCT_OPEN
#define SC RBP_STRUCT_CLOSE
#define SU RBP_STRUCT_UNPAIRED
#define SK RBP__ENC_SKIP
const uint8_t rbp__struct_table[256] = {
    /* 0x00 */ B, B, B, B, B, B, B, B, B, SK, B, B, B, SK, B, B,
    /* 0x10 */ B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    /* 0x20   ! " # $ % & ' ( ) * + , - . / */
    SK, B, B, B, B, B, B, B, SO, SC, B, B, B, B, SU, B,
    /* 0x30 0-9 : ; < = > ? */
    B, B, B, B, B, B, B, B, B, B, B, B, SO, B, SC, B,
    /* 0x40 */ B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    /* 0x50 ... [ \ ] ^ _ */
    B, B, B, B, B, B, B, B, B, B, B, SO, B, SC, B, B,
    /* 0x60 */ B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    /* 0x70 ... { | } ~ */
    B, B, B, B, B, B, B, B, B, B, B, SO, B, SC, B, B,
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
};
#undef SO
#undef SC
#undef SU
#undef SK
#undef B
#undef UP
#undef LO

const char *rbp__char_repr(char *buf, unsigned char c)
{
    if (c >= 0x20 && c < 0x7F)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "'\\x%02X'", c);
    return buf;
}

/* ---------------------------------------------------------------- numbers */

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int ieq(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i])
            return 0;
    return 1;
}

/* Value of an already validated token that the fast path cannot do exactly: strtod under
 * the "C" locale of this thread only, so a program's setlocale() cannot change '.'. */
static double slow_strtod(const char *s, size_t n)
{
    char tmp[128];
    if (n >= sizeof tmp)
        n = sizeof tmp - 1; /* only digits beyond double precision are lost */
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old = c ? uselocale(c) : (locale_t)0;
    double v = strtod(tmp, NULL);
    if (c) {
        uselocale(old);
        freelocale(c);
    }
    return v;
}

int rbp__parse_number(const char *s, size_t n, float *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (ieq(s + i, n - i, "nan") || ieq(s + i, n - i, "inf") || ieq(s + i, n - i, "infinity"))
        return -2;
    /* Clinger's fast path: up to 19 significant digits in a uint64 and a power of ten that
     * is exact in double; the product is then correctly rounded. */
    uint64_t mant = 0;
    int ndig = 0, exp10 = 0, any = 0, inexact = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        int d = s[i] - '0';
        any = 1;
        if (mant == 0 && d == 0)
            continue;
        if (ndig < 19) {
            mant = mant * 10 + (uint64_t)d;
            ndig++;
        } else {
            exp10++;
            inexact |= d != 0;
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            int d = s[i] - '0';
            any = 1;
            if (mant == 0 && d == 0) {
                exp10--;
                continue;
            }
            if (ndig < 19) {
                mant = mant * 10 + (uint64_t)d;
                ndig++;
                exp10--;
            } else {
                inexact |= d != 0;
            }
        }
    }
    if (!any)
        return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0, e = 0, edig = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, edig++)
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        if (!edig)
            return -1;
        exp10 += eneg ? -e : e;
    }
    if (i != n)
        return -1;
    double v;
    if (mant == 0)
        v = 0.0;
    else if (!inexact && mant < ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22)
        v = exp10 < 0 ? (double)mant / pow10_exact[-exp10] : (double)mant * pow10_exact[exp10];
    else
        v = fabs(slow_strtod(s, n));
    if (!(v <= (double)FLT_MAX))
        return -2;
    *out = (float)(neg ? -v : v);
    return 0;
}

/* ---------------------------------------------------------------- builder */

void rbp__builder_init(rbp__builder *b, const rbp_dataset_options *opt, int32_t has_structure)
{
    memset(b, 0, sizeof *b);
    b->opt = opt;
    b->has_structure = has_structure;
}

void rbp__builder_free(rbp__builder *b)
{
    rbp__free(b->raw);
    rbp__free(b->off);
    rbp__free(b->len);
    rbp__free(b->vp_all);
    rbp__free(b->targets);
    rbp__free(b->id_off);
    rbp__free(b->ids);
    memset(b, 0, sizeof *b);
}

/* Grow *p (elements of `size` bytes) to hold at least `need`, doubling. */
static rbp_status grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return RBP_OK;
    size_t ncap = *cap ? *cap : 1024;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size)
            return rbp__oom();
        ncap *= 2;
    }
    void *np = rbp__realloc(*p, ncap * size);
    if (!np)
        return rbp__oom();
    *p = np;
    *cap = ncap;
    return RBP_OK;
}

rbp_status rbp__builder_reserve(rbp__builder *b, size_t extra)
{
    if (extra > SIZE_MAX - b->raw_len)
        return rbp__oom();
    return grow((void **)&b->raw, &b->raw_cap, b->raw_len + extra, 1);
}

static rbp_status grow_records(rbp__builder *b)
{
    if (b->n < b->cap)
        return RBP_OK;
    size_t ncap = b->cap ? b->cap * 2 : 1024;
    /* Each array is grown to ncap; on failure the ones already grown simply stay larger. */
    void *p;
#define GROW_ARR(field)                                                   \
    p = rbp__realloc(b->field, ncap * sizeof *b->field);                  \
    if (!p)                                                               \
        return rbp__oom();                                                \
    b->field = p;
    GROW_ARR(off)
    GROW_ARR(len)
    GROW_ARR(vp_all)
    GROW_ARR(targets)
    GROW_ARR(id_off)
#undef GROW_ARR
    b->cap = ncap;
    return RBP_OK;
}

rbp_status rbp__loc_error(rbp_status code, const char *src, int64_t line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        return rbp__set_error(code, "%s:%lld: %s", src, (long long)line, msg);
    return rbp__set_error(code, "%s: %s", src, msg);
}

rbp_status rbp__builder_append_seq(rbp__builder *b, const char *s, size_t n, unsigned *flags, size_t pos0,
                                   const char *src, int64_t line, const char *id)
{
    if (n == 0) /* nothing to add (and b->raw may still be NULL: no pointer arithmetic on it) */
        return RBP_OK;
    RBP_TRY(rbp__builder_reserve(b, n));
    uint8_t *dst = b->raw + b->raw_len;
    unsigned acc = 0;
    size_t k = 0;
    /* Branch-free inner loop: always store, advance unless the byte is a blank. */
    for (size_t i = 0; i < n; i++) {
        unsigned v = rbp__seq_table[(unsigned char)s[i]];
        dst[k] = (uint8_t)(v & (RBP__ENC_TOKEN | RBP__ENC_UPPER));
        k += !(v & RBP__ENC_SKIP);
        acc |= v;
    }
    if (acc & RBP__ENC_BAD) {
        size_t pos = pos0;
        for (size_t i = 0; i < n; i++) {
            unsigned v = rbp__seq_table[(unsigned char)s[i]];
            if (v & RBP__ENC_BAD) {
                char cb[8];
                return rbp__loc_error(RBP_ERR_FORMAT, src, line,
                                 "unknown character %s at position %zu of the sequence of record '%.200s'",
                                 rbp__char_repr(cb, (unsigned char)s[i]), pos + 1, id ? id : "?");
            }
            pos += !(v & RBP__ENC_SKIP);
        }
    }
    b->raw_len += k;
    *flags |= acc;
    return RBP_OK;
}

rbp_status rbp__builder_end_record(rbp__builder *b, size_t off, unsigned flags, float target, const char *id,
                                   size_t id_len, const char *src, int64_t line)
{
    const rbp_dataset_options *opt = b->opt;
    size_t len = b->raw_len - off;
    int idn = (int)(id_len < 200 ? id_len : 200); /* ids in messages are cut at 200 bytes */
    if (len == 0)
        return rbp__loc_error(RBP_ERR_FORMAT, src, line, "record '%.*s' has no sequence", idn, id);
    if (len > (size_t)opt->max_record_length)
        return rbp__loc_error(RBP_ERR_FORMAT, src, line,
                              "sequence of record '%.*s' is longer than the maximum record length %lld "
                              "(rbp_dataset_options.max_record_length, --max-length)",
                              idn, id, (long long)opt->max_record_length);
    if (opt->truncate == RBP_TRUNCATE_ERROR && opt->length > 0 && len > (size_t)opt->length)
        return rbp__loc_error(RBP_ERR_FORMAT, src, line,
                              "record '%.*s' has %lld positions, more than the length %lld "
                              "(rbp_dataset_options.length, --length) with rbp_dataset_options.truncate = "
                              "RBP_TRUNCATE_ERROR (--truncate error)",
                              idn, id, (long long)len, (long long)opt->length);
    RBP_TRY(grow_records(b));
    if (id_len > SIZE_MAX - b->ids_len - 1)
        return rbp__oom();
    RBP_TRY(grow((void **)&b->ids, &b->ids_cap, b->ids_len + id_len + 1, 1));
    memcpy(b->ids + b->ids_len, id, id_len);
    b->ids[b->ids_len + id_len] = '\0';
    size_t i = b->n++;
    b->id_off[i] = b->ids_len;
    b->ids_len += id_len + 1;
    b->off[i] = off;
    b->len[i] = (uint32_t)len;
    /* Case marks the viewpoint only when the record mixes both cases. */
    b->vp_all[i] = !(opt->case_viewpoint && (flags & RBP__ENC_UPPER) && (flags & RBP__ENC_LOWER));
    b->targets[i] = target;
    if (len > b->max_len)
        b->max_len = (uint32_t)len;
    return RBP_OK;
}

/* First position of the window of T kept from a record of len L > T. */
static size_t window_start(const uint8_t *raw, size_t L, size_t T, int truncate, int vp_all)
{
    if (truncate == RBP_TRUNCATE_LEFT)
        return L - T;
    if (truncate != RBP_TRUNCATE_CENTER)
        return 0;
    size_t a = 0, z = L - 1;
    if (!vp_all) {
        while (a < L && !(raw[a] & RBP__RAW_VP))
            a++;
        while (z > a && !(raw[z] & RBP__RAW_VP))
            z--;
        if (a == L) { /* cannot happen: mixed case implies an uppercase position */
            a = 0;
            z = L - 1;
        }
    }
    /* centre (a+z)/2, window [s, s+T) with s = floor((a + z + 1 - T) / 2), clamped */
    if (a + z + 1 < T)
        return 0;
    size_t s = (a + z + 1 - T) / 2;
    return s > L - T ? L - T : s;
}

/* Expand the builder's records into rows of length T in `ds` (sized for them). */
static void expand(const rbp__builder *b, rbp_dataset *ds, size_t T)
{
    const rbp_dataset_options *opt = b->opt;
    for (size_t i = 0; i < b->n; i++) {
        const uint8_t *raw = b->raw + b->off[i];
        size_t L = b->len[i];
        size_t s = L > T ? window_start(raw, L, T, opt->truncate, b->vp_all[i]) : 0;
        size_t c = L > T ? T : L;
        uint8_t *tok = ds->tokens + i * T, *msk = ds->mask + i * T, *vp = ds->viewpoint + i * T;
        const uint8_t *r = raw + s;
        uint8_t vp_or = b->vp_all[i] ? 1 : 0;
        for (size_t j = 0; j < c; j++) {
            tok[j] = r[j] & RBP__ENC_TOKEN;
            vp[j] = (uint8_t)(((r[j] & RBP__RAW_VP) >> 3) | vp_or);
        }
        memset(msk, 1, c);
        memset(tok + c, RBP_TOK_PAD, T - c);
        memset(msk + c, 0, T - c);
        memset(vp + c, 0, T - c);
        if (ds->structure) {
            uint8_t *st_row = ds->structure + i * T;
            for (size_t j = 0; j < c; j++)
                st_row[j] = (uint8_t)(r[j] >> RBP__RAW_STRUCT_SHIFT);
            memset(st_row + c, RBP_STRUCT_PAD, T - c);
        }
    }
    memcpy(ds->targets, b->targets, b->n * sizeof *ds->targets);
    memcpy(ds->id_off, b->id_off, b->n * sizeof *ds->id_off);
    memcpy(ds->ids, b->ids, b->ids_len);
}

static size_t builder_T(const rbp__builder *b)
{
    return b->opt->length > 0 ? (size_t)b->opt->length : b->max_len;
}

rbp_status rbp__builder_finish(rbp__builder *b, rbp_dataset **out)
{
    size_t T = builder_T(b);
    rbp_dataset *ds = NULL;
    rbp_status st = rbp__dataset_alloc(&ds, b->n, (int32_t)T, b->has_structure, b->ids_len);
    if (st != RBP_OK) {
        rbp__builder_free(b);
        return st;
    }
    expand(b, ds, T);
    rbp__builder_free(b);
    *out = ds;
    return RBP_OK;
}

/* Resize a dataset array to `need` bytes (the caller grows only). */
static rbp_status grow_array(void **p, size_t need)
{
    void *np = rbp__realloc(*p, need ? need : 1);
    if (!np)
        return rbp__oom();
    *p = np;
    return RBP_OK;
}

rbp_status rbp__builder_finish_into(rbp__builder *b, rbp_dataset *ds, size_t *cap_rows, size_t *cap_cells,
                                    size_t *cap_ids)
{
    size_t T = builder_T(b), cells;
    if (b->n == 0 || T == 0 || T > INT32_MAX || rbp__mul_size(b->n, T, &cells))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "chunk of %zu rows of length %zu is empty or too large", b->n, T);
    if (cells > *cap_cells || (b->has_structure && !ds->structure)) {
        RBP_TRY(grow_array((void **)&ds->tokens, cells));
        RBP_TRY(grow_array((void **)&ds->mask, cells));
        RBP_TRY(grow_array((void **)&ds->viewpoint, cells));
        if (b->has_structure)
            RBP_TRY(grow_array((void **)&ds->structure, cells));
        *cap_cells = cells;
    }
    if (b->n > *cap_rows) {
        RBP_TRY(grow_array((void **)&ds->targets, b->n * sizeof *ds->targets));
        RBP_TRY(grow_array((void **)&ds->id_off, b->n * sizeof *ds->id_off));
        *cap_rows = b->n;
    }
    if (b->ids_len > *cap_ids) {
        RBP_TRY(grow_array((void **)&ds->ids, b->ids_len));
        *cap_ids = b->ids_len;
    }
    ds->n = b->n;
    ds->T = (int32_t)T;
    ds->has_structure = b->has_structure;
    ds->ids_len = b->ids_len;
    expand(b, ds, T);
    b->n = 0;
    b->raw_len = 0;
    b->ids_len = 0;
    b->max_len = 0;
    return RBP_OK;
}
