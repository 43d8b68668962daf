/*
 * kernels/attn_fused.c - scaled dot-product attention of one (batch row, head), fused.
 *
 * The head depths of our models are small (hs = 8 or 16), where a GEMM with inner dimension
 * hs runs far below peak and the (T,T) score matrix of a whole batch leaves the cache. Here
 * the query rows are processed in blocks of R rows: scores, the masked softmax (the semantics
 * of rbp__softmax_forward: scale, max subtraction, masked keys exactly 0, a row without a real
 * key all 0), attention dropout (rbp__dropout_range on each row's global indices, so the masks
 * are those of the whole (B,NH,T,T) tensor) and P V run on an (R,Tp) block that stays in L1/L2.
 * Rows are padded to Tp (a multiple of 16) with keys of probability 0, so no loop has a tail;
 * the key mask and the row maximum are applied while the scores are still in registers.
 * Nothing of size T x T is kept: the backward recomputes the probabilities block by block from
 * Q and K, bit for bit the same, since every step is a per-row function of the same inputs.
 *
 * The three register-tiled loops (scores, P V, P^T X) use 8-lane GCC vectors, and every output
 * is a sum in one fixed order (no FMA contraction in ISO C), so the RBP_HOT clones agree bit
 * for bit and results depend on neither the block size nor the ISA.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "kernels/fastmath.h"
#include "kernels/kernels.h"
#include "kernels/simd.h"


/* which half of a 64-bit pair holds the first float (pack_pv stores the keys to match; the two
 * lanes are added at the end, a + b == b + a, so the results do not depend on it) */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PAIR_SWAP 1
#else
#define PAIR_SWAP 0
#endif

/* elements of a score block: (R,Tp) with R * Tp about this many floats (64 KB: three blocks
 * and the packed K and V stay in L2; larger R means fewer passes over the accumulators) */
#define BLOCK_ELEMS 16384
#define MAX_R 64

static size_t round_up(size_t n, size_t m)
{
    return (n + m - 1) / m * m;
}

/* Where everything lives in the scratch buffer. Each region starts on a 64-byte line. */
typedef struct layout {
    int Tp;  /* T rounded up to 16: the row length of the transposed K and V and of the blocks */
    int hsp; /* hs rounded up to 8, 16 or a multiple of 32: the row length of packed rows */
    int R;   /* query rows per block, a multiple of 8 */
    size_t bias, kt, vt, kp, vp, dk, dv, o, s, pd, dp, f, total; /* offsets in floats */
} layout;

static layout make_layout(int T, int hs)
{
    layout l;
    l.Tp = (int)round_up((size_t)T, 16);
    l.hsp = hs <= 8 ? 8 : hs <= 16 ? 16 : (int)round_up((size_t)hs, 32);
    int R = (BLOCK_ELEMS / l.Tp) & ~7;
    l.R = R < 8 ? 8 : R > MAX_R ? MAX_R : R;
    const size_t t_sz = round_up((size_t)hs * (size_t)l.Tp, 16);     /* (hs, Tp) */
    const size_t r_sz = (size_t)l.Tp * (size_t)l.hsp;                 /* (Tp, hsp) */
    const size_t x_sz = (size_t)l.R * (size_t)l.hsp;                  /* (R, hsp) */
    const size_t b_sz = (size_t)l.R * (size_t)l.Tp;                   /* (R, Tp) */
    size_t o = 0;
    l.bias = o, o += (size_t)l.Tp;
    l.kt = o, o += t_sz;
    l.vt = o, o += t_sz;
    l.kp = o, o += r_sz;
    l.vp = o, o += r_sz;
    l.dk = o, o += t_sz;
    l.dv = o, o += t_sz;
    l.o = o, o += x_sz;
    l.s = o, o += b_sz;
    l.pd = o, o += b_sz;
    l.dp = o, o += b_sz;
    l.f = o, o += b_sz + 16;
    l.total = o;
    return l;
}

size_t rbp__attn_scratch_floats(int T, int hs)
{
    return make_layout(T, hs).total;
}

size_t rbp__attn_probs_floats(int T)
{
    return (size_t)T * round_up((size_t)T, 16);
}

/* ------------------------------------------------------------------ packing */

/* dst (hs, Tp) = src (T, hs; row stride ld) transposed, columns T..Tp-1 zero */
RBP_INLINE void pack_t(float *restrict dst, const float *restrict src, int ld, int T, int hs, int Tp)
{
    for (int d = 0; d < hs; d++) {
        float *row = dst + (size_t)d * (size_t)Tp;
        for (int j = 0; j < T; j++)
            row[j] = src[(size_t)j * (size_t)ld + (size_t)d];
        for (int j = T; j < Tp; j++)
            row[j] = 0.0f;
    }
}

/* The X operand of pv from src (T, hs; row stride ld), Tp rows (zero past T): hsp = 8 in key
 * pairs (lane 2d + e of pair m = src[2m + e][d]), else (Tp, hsp) rows */
RBP_INLINE void pack_pv(float *restrict dst, const float *restrict src, int ld, int T, int hs, int hsp, int Tp)
{
    memset(dst, 0, (size_t)Tp * (size_t)hsp * sizeof(float));
    for (int j = 0; j < T; j++)
        for (int d = 0; d < hs; d++)
            dst[hsp == 8 ? (size_t)(j / 2) * 16 + (size_t)(2 * d + ((j & 1) ^ PAIR_SWAP))
                         : (size_t)j * (size_t)hsp + (size_t)d] =
                src[(size_t)j * (size_t)ld + (size_t)d];
}

/* dst (n, hs; row stride ld) = the first hs columns of src (n, hsp) */
RBP_INLINE void unpack_rows(float *restrict dst, int ld, const float *restrict src, int n, int hs, int hsp)
{
    for (int r = 0; r < n; r++)
        memcpy(dst + (size_t)r * (size_t)ld, src + (size_t)r * (size_t)hsp, (size_t)hs * sizeof(float));
}

/* ------------------------------------------------------------------ register tiles */

typedef rbp__v16sf v16;

/*
 * S (nr, n; row stride lds) = A (nr, hs; row stride lda) @ Bt (hs, n; row stride ldb), n a
 * multiple of 16. Tiles of 4 rows x 16 columns in 16-lane vectors (one AVX-512 register, or
 * two AVX2 ones: 8 accumulators, within the 16 registers of AVX2). S[r][j] = sum over d in
 * order. With bias (n) != NULL, S[r][j] += bias[j] (0 or -inf: masked and padding keys) and
 * rowmax[r] = max over j of S[r][j] (a constant at each call).
 */
RBP_INLINE void dots(float *restrict S, int lds, const float *restrict A, int lda, int nr, const float *restrict Bt,
                     int ldb, int hs, int n, const float *restrict bias, float *restrict rowmax)
{
    const v16 ninf = (v16){0} - INFINITY;
    for (int r = 0; r < nr; r += 4) {
        const int mr = nr - r < 4 ? nr - r : 4;
        /* rows past nr repeat the last one; their results are not stored */
        const float *a0 = A + (size_t)r * (size_t)lda;
        const float *a1 = a0 + (mr > 1 ? (size_t)lda : 0);
        const float *a2 = a0 + (size_t)(mr > 2 ? 2 : mr - 1) * (size_t)lda;
        const float *a3 = a0 + (size_t)(mr - 1) * (size_t)lda;
        float *s0 = S + (size_t)r * (size_t)lds;
        v16 mx[4] = {ninf, ninf, ninf, ninf};
        for (int j = 0; j < n; j += 16) {
            v16 c[4] = {{0}};
            const float *b = Bt + j;
            for (int d = 0; d < hs; d++, b += ldb) {
                v16 bv;
                memcpy(&bv, b, sizeof bv);
                c[0] += a0[d] * bv;
                c[1] += a1[d] * bv;
                c[2] += a2[d] * bv;
                c[3] += a3[d] * bv;
            }
            if (bias) {
                v16 m;
                memcpy(&m, bias + j, sizeof m);
                for (int i = 0; i < 4; i++) {
                    c[i] += m;
                    mx[i] = RBP__SEL16(c[i] > mx[i], c[i], mx[i]);
                }
            }
            for (int i = 0; i < 4; i++)
                if (i < mr) /* S may be the kept probabilities: no row past nr */
                    memcpy(s0 + (size_t)i * (size_t)lds + j, &c[i], sizeof c[i]);
        }
        if (bias)
            for (int i = 0; i < 4; i++) {
                float best = mx[i][0];
                for (int k = 1; k < 16; k++)
                    best = mx[i][k] > best ? mx[i][k] : best;
                rowmax[r + i] = best;
            }
    }
}

/* key_mask (T) or NULL -> bias (Tp): 0 for real keys, -inf for masked keys and the padding */
RBP_INLINE void make_bias(float *restrict bias, const uint8_t *restrict key_mask, int T, int Tp)
{
    for (int j = 0; j < T; j++)
        bias[j] = !key_mask || key_mask[j] ? 0.0f : -INFINITY;
    for (int j = T; j < Tp; j++)
        bias[j] = -INFINITY;
}

/* *p = *p * f + c lane by lane, rounded once (IEEE fused multiply-add: the same bits from the
 * FMA instructions of the AVX2 and AVX-512 clones and from a software fmaf elsewhere) */
RBP_INLINE void fma16(v16 *p, const v16 *f, float c)
{
    for (int i = 0; i < 16; i++)
        (*p)[i] = __builtin_fmaf((*p)[i], (*f)[i], c);
}

/* *v = 2^*v for *v <= 0, -inf included (-> 0): 2^f on f = t - round(t) in [-1/2, 1/2] by a
 * degree-5 polynomial (relative error 1e-7), times 2^round(t) through the exponent bits;
 * t <= -127 gives exactly 0 (biased exponent 0, polynomial 1). Half the operations of
 * rbp__expf16v, which also handles the positive, huge and NaN arguments softmax never has.
 * (Pointers, not vector values: a 64-byte vector argument would change the baseline ABI.) */
RBP_INLINE void exp2_nonpos16(v16 *v)
{
    const v16 zero = {0}, lo = zero - 127.0f, magic = zero + 12582912.0f;
    const v16 t = RBP__SEL16(*v > lo, *v, lo);
    const v16 fn = (t + magic) - magic; /* round to nearest, |t| < 2^22 */
    const v16 f = t - fn;
    v16 p = zero + 1.326472731307149e-3f;
    fma16(&p, &f, 9.671512991189957e-3f);
    fma16(&p, &f, 5.550733581185341e-2f);
    fma16(&p, &f, 2.4022242426872253e-1f);
    fma16(&p, &f, 6.931470036506653e-1f);
    fma16(&p, &f, 1.0f);
    const rbp__v16si bits = (__builtin_convertvector(fn, rbp__v16si) + 127) << 23;
    v16 pow2;
    memcpy(&pow2, &bits, sizeof pow2);
    *v = p * pow2;
}

/* A row of n (a multiple of 16) biased scores with maximum mx -> its softmax in place:
 * exp(scale * (s - mx)) / sum = 2^(scale log2(e) (s - mx)) / sum (masked keys -> 0); a row with
 * no real key -> 0. 16 lanes: the exponential is the most expensive step of the attention. */
RBP_INLINE void softmax_row(float *restrict row, int n, float mx, float scale)
{
    if (mx == -INFINITY) {
        memset(row, 0, (size_t)n * sizeof(float));
        return;
    }
    const float k = scale * 1.44269504088896341f;
    rbp__v16sf acc = {0};
    for (int j = 0; j < n; j += 16) {
        rbp__v16sf v;
        memcpy(&v, row + j, sizeof v);
        v = (v - mx) * k;
        exp2_nonpos16(&v);
        memcpy(row + j, &v, sizeof v);
        acc += v;
    }
    float sum = 0.0f;
    for (int k2 = 0; k2 < 16; k2++)
        sum += acc[k2];
    const float inv = 1.0f / sum; /* sum >= 1: the maximum contributes 2^0 */
    for (int j = 0; j < n; j += 16) {
        rbp__v16sf v;
        memcpy(&v, row + j, sizeof v);
        v *= inv;
        memcpy(row + j, &v, sizeof v);
    }
}

/*
 * One tile of O = P @ X in 16-lane vectors: O rows r .. r+MR-1 (mr of them real; rows past mr
 * repeat the last one and are stored too: O has room), columns c0 .. c0+16 NV-1 of X (n, hsp),
 * hsp a multiple of 16. O[r][c] = sum over j in order. MR and NV are constants at every call.
 */
RBP_INLINE void pv_tile(float *restrict O, int hsp, const float *restrict P, int ldp, int mr, const float *restrict X,
                        int n, int c0, const int MR, const int NV)
{
    v16 acc[4];
    const float *pr[4];
    for (int i = 0; i < MR; i++) {
        pr[i] = P + (size_t)(i < mr ? i : mr - 1) * (size_t)ldp;
        for (int v = 0; v < NV; v++)
            acc[i * NV + v] = (v16){0};
    }
    const float *x = X + c0;
    for (int j = 0; j < n; j++, x += hsp) {
        v16 xv[2];
        for (int v = 0; v < NV; v++)
            memcpy(&xv[v], x + 16 * v, sizeof xv[v]);
        for (int i = 0; i < MR; i++)
            for (int v = 0; v < NV; v++)
                acc[i * NV + v] += pr[i][j] * xv[v];
    }
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++)
            memcpy(O + (size_t)i * (size_t)hsp + (size_t)(c0 + 16 * v), &acc[i * NV + v], sizeof acc[i * NV + v]);
}

typedef uint64_t v8du __attribute__((vector_size(64)));

/*
 * hs <= 8: O (nr, 8) = P (nr, Tp; row stride ldp) @ X, X packed by pack_pairs: keys in pairs,
 * lane 2d + e of pair m holding X[2m + e][d]. One vector per query row takes two keys at once
 * (the pair P[r][2m], P[r][2m+1] broadcast as one 64-bit value), so lanes 2d and 2d + 1 sum
 * the even and the odd keys, in order, and O[r][d] is their sum.
 */
RBP_INLINE void pv8(float *restrict O, const float *restrict P, int ldp, int nr, const float *restrict X, int Tp)
{
    for (int r = 0; r < nr; r += 8) {
        const int mr = nr - r < 8 ? nr - r : 8;
        const float *pr[8];
        for (int i = 0; i < 8; i++)
            pr[i] = P + (size_t)(r + (i < mr ? i : mr - 1)) * (size_t)ldp;
        v16 acc[8];
        for (int i = 0; i < 8; i++)
            acc[i] = (v16){0};
        const float *x = X;
        for (int j = 0; j < Tp; j += 2, x += 16) {
            v16 xv;
            memcpy(&xv, x, sizeof xv);
            for (int i = 0; i < 8; i++) {
                uint64_t pair;
                memcpy(&pair, pr[i] + j, sizeof pair);
                const v8du pp = (v8du){0} + pair;
                acc[i] += (v16)pp * xv;
            }
        }
        for (int i = 0; i < mr; i++)
            for (int d = 0; d < 8; d++)
                O[(size_t)(r + i) * 8 + (size_t)d] = acc[i][2 * d] + acc[i][2 * d + 1];
    }
}

/* O (nr, hsp) = P (nr, Tp; row stride ldp) @ X (X as packed by pack_pv) */
RBP_INLINE void pv(float *restrict O, const float *restrict P, int ldp, int nr, const float *restrict X, int Tp,
                   int hsp)
{
    if (hsp == 8) {
        pv8(O, P, ldp, nr, X, Tp);
    } else if (hsp == 16) {
        for (int r = 0; r < nr; r += 4)
            pv_tile(O + (size_t)r * 16, 16, P + (size_t)r * (size_t)ldp, ldp, nr - r < 4 ? nr - r : 4, X, Tp, 0, 4,
                    1);
    } else {
        for (int r = 0; r < nr; r += 2)
            for (int c0 = 0; c0 < hsp; c0 += 32)
                pv_tile(O + (size_t)r * (size_t)hsp, hsp, P + (size_t)r * (size_t)ldp, ldp, nr - r < 2 ? nr - r : 2,
                        X, Tp, c0, 2, 2);
    }
}

/*
 * AccT (hs, Tp) += (P^T X)^T for P (nr, Tp; row stride Tp) and X (nr, hs; row stride ldx):
 * AccT[d][j] += P[r][j] X[r][d] for r in order, so a key's sum over all query blocks runs over
 * the queries in order. 16 keys x 4 depths per tile (4 accumulators: 8 AVX2 registers).
 */
RBP_INLINE void ptx(float *restrict AccT, int Tp, const float *restrict P, int nr, const float *restrict X, int ldx,
                    int hs)
{
    for (int d0 = 0; d0 < hs; d0 += 4) {
        /* depths past hs repeat the last one: they store the same values again */
        int dd[4];
        for (int k = 0; k < 4; k++)
            dd[k] = d0 + k < hs ? d0 + k : hs - 1;
        for (int j = 0; j < Tp; j += 16) {
            v16 acc[4];
            for (int k = 0; k < 4; k++)
                memcpy(&acc[k], AccT + (size_t)dd[k] * (size_t)Tp + (size_t)j, sizeof acc[k]);
            const float *p = P + j, *x = X;
            for (int r = 0; r < nr; r++, p += Tp, x += ldx) {
                v16 pv;
                memcpy(&pv, p, sizeof pv);
                for (int k = 0; k < 4; k++)
                    acc[k] += x[dd[k]] * pv;
            }
            for (int k = 0; k < 4; k++)
                memcpy(AccT + (size_t)dd[k] * (size_t)Tp + (size_t)j, &acc[k], sizeof acc[k]);
        }
    }
}

/* dst (T, hs; row stride ld) = AccT (hs, Tp) transposed */
RBP_INLINE void unpack_t(float *restrict dst, int ld, const float *restrict AccT, int T, int hs, int Tp)
{
    for (int j = 0; j < T; j++)
        for (int d = 0; d < hs; d++)
            dst[(size_t)j * (size_t)ld + (size_t)d] = AccT[(size_t)d * (size_t)Tp + (size_t)j];
}

/* ------------------------------------------------------------------ the passes */

/* probabilities of query rows i0 .. i0+nr-1: S (nr, Tp) = softmax(scale * Q K^T), masked;
 * scr holds the packed K^T and the bias */
RBP_INLINE void block_probs(float *restrict S, const layout *l, const float *scr, const float *q, int ld, int i0,
                            int nr, int hs, float scale)
{
    float rowmax[MAX_R];
    dots(S, l->Tp, q + (size_t)i0 * (size_t)ld, ld, nr, scr + l->kt, l->Tp, hs, l->Tp, scr + l->bias, rowmax);
    for (int r = 0; r < nr; r++)
        softmax_row(S + (size_t)r * (size_t)l->Tp, l->Tp, rowmax[r], scale);
}

/* The dropout factors of rows i0 .. i0+nr-1 of the head's (T,T) block: F (nr*T + 16) with
 * F[r*T + j] that of element (i0 + r, j), global index first + (i0 + r)*T + j, in one call;
 * the 16 floats past the end stay finite (the padding keys read them, times 0). */
RBP_INLINE void block_factors(float *F, int i0, int nr, int T, float p, uint64_t seed, uint64_t stream,
                              uint64_t first)
{
    const size_t n = (size_t)nr * (size_t)T;
    rbp__dropout_factors(F, n, first + (uint64_t)i0 * (uint64_t)T, p, seed, stream);
    memset(F + n, 0, 16 * sizeof(float));
}

/* Y (nr, Tp) = A (nr, Tp) * the factors F of block_factors (row stride T); Y may be A. The
 * padding columns of A are 0, and stay 0. */
RBP_INLINE void apply_factors(float *Y, const float *A, const float *restrict F, int nr, int T, int Tp)
{
    for (int r = 0; r < nr; r++) {
        const size_t o = (size_t)r * (size_t)Tp;
        const float *f = F + (size_t)r * (size_t)T;
        for (int j = 0; j < Tp; j += 16) {
            v16 a, m;
            memcpy(&a, A + o + (size_t)j, sizeof a);
            memcpy(&m, f + j, sizeof m);
            a *= m;
            memcpy(Y + o + (size_t)j, &a, sizeof a);
        }
    }
}

RBP_HOT
static void attn_forward_impl(float *ctx, int ldo, float *keep, float *scr, const float *q, const float *k, const float *v, int ld,
                              const uint8_t *key_mask, int T, int hs, float scale, float p, uint64_t seed,
                              uint64_t stream, uint64_t first)
{
    const layout l = make_layout(T, hs);
    make_bias(scr + l.bias, key_mask, T, l.Tp);
    pack_t(scr + l.kt, k, ld, T, hs, l.Tp);
    pack_pv(scr + l.vp, v, ld, T, hs, l.hsp, l.Tp);
    float *S = scr + l.s, *O = scr + l.o;
    for (int i0 = 0; i0 < T; i0 += l.R) {
        const int nr = T - i0 < l.R ? T - i0 : l.R;
        // the probabilities straight into the kept copy if there is one, then the dropout
        float *P = keep ? keep + (size_t)i0 * (size_t)l.Tp : S;
        block_probs(P, &l, scr, q, ld, i0, nr, hs, scale);
        if (p > 0.0f) {
            block_factors(scr + l.f, i0, nr, T, p, seed, stream, first);
            apply_factors(S, P, scr + l.f, nr, T, l.Tp);
        }
        pv(O, p > 0.0f ? S : P, l.Tp, nr, scr + l.vp, l.Tp, l.hsp);
        unpack_rows(ctx + (size_t)i0 * (size_t)ldo, ldo, O, nr, hs, l.hsp);
    }
}

void rbp__attn_forward(float *ctx, int ldo, float *keep, float *scr, const float *q, const float *k, const float *v,
                       int ld, const uint8_t *key_mask, int T, int hs, float scale, float p, uint64_t seed,
                       uint64_t stream, uint64_t first)
{
    assert(T >= 1 && hs >= 1 && scale > 0.0f && p >= 0.0f && p < 1.0f);
    attn_forward_impl(ctx, ldo, keep, scr, q, k, v, ld, key_mask, T, hs, scale, p, seed, stream, first);
}

RBP_HOT
static void attn_backward_impl(float *dq, float *dk, float *dv, int ldd, float *scr, const float *kept,
                               const float *dctx, int lddo,
                               const float *q, const float *k, const float *v, int ld, const uint8_t *key_mask, int T,
                               int hs, float scale, float p, uint64_t seed, uint64_t stream, uint64_t first)
{
    const layout l = make_layout(T, hs);
    const int hsp = l.hsp, Tp = l.Tp;
    make_bias(scr + l.bias, key_mask, T, Tp);
    pack_t(scr + l.kt, k, ld, T, hs, Tp);
    pack_t(scr + l.vt, v, ld, T, hs, Tp);
    pack_pv(scr + l.kp, k, ld, T, hs, hsp, Tp);
    float *dKa = scr + l.dk, *dVa = scr + l.dv; /* (hs, Tp): transposed */
    memset(dKa, 0, (size_t)hs * (size_t)Tp * sizeof(float));
    memset(dVa, 0, (size_t)hs * (size_t)Tp * sizeof(float));
    float *S = scr + l.s, *DP = scr + l.dp, *O = scr + l.o;
    float *F = scr + l.f, *PD = scr + l.pd;
    for (int i0 = 0; i0 < T; i0 += l.R) {
        const int nr = T - i0 < l.R ? T - i0 : l.R;
        const float *dout = dctx + (size_t)i0 * (size_t)lddo;
        // P (kept by the forward or recomputed), and the P after dropout that the forward
        // multiplied with V (the mask drawn once)
        const float *P = kept ? kept + (size_t)i0 * (size_t)Tp : S;
        if (!kept)
            block_probs(S, &l, scr, q, ld, i0, nr, hs, scale);
        if (p > 0.0f) {
            block_factors(F, i0, nr, T, p, seed, stream, first);
            apply_factors(PD, P, F, nr, T, Tp);
        }
        const float *Pd = p > 0.0f ? PD : P;
        // dV += PD^T dO ; dPD = dO V^T
        ptx(dVa, Tp, Pd, nr, dout, lddo, hs);
        dots(DP, Tp, dout, lddo, nr, scr + l.vt, Tp, hs, Tp, NULL, NULL);
        // through the dropout (its mask again) and the softmax (with the scale): dS; the
        // padding keys have P = 0, so dS = 0 there
        if (p > 0.0f)
            apply_factors(DP, DP, F, nr, T, Tp);
        rbp__softmax_backward_inplace(DP, P, nr, Tp, scale);
        // dQ = dS K ; dK += dS^T Q
        pv(O, DP, Tp, nr, scr + l.kp, Tp, hsp);
        unpack_rows(dq + (size_t)i0 * (size_t)ldd, ldd, O, nr, hs, hsp);
        ptx(dKa, Tp, DP, nr, q + (size_t)i0 * (size_t)ld, ld, hs);
    }
    unpack_t(dk, ldd, dKa, T, hs, Tp);
    unpack_t(dv, ldd, dVa, T, hs, Tp);
}

void rbp__attn_backward(float *dq, float *dk, float *dv, int ldd, float *scr, const float *kept, const float *dctx,
                        int lddo, const float *q, const float *k, const float *v, int ld, const uint8_t *key_mask, int T,
                        int hs, float scale, float p, uint64_t seed, uint64_t stream, uint64_t first)
{
    assert(T >= 1 && hs >= 1 && scale > 0.0f && p >= 0.0f && p < 1.0f);
    attn_backward_impl(dq, dk, dv, ldd, scr, kept, dctx, lddo, q, k, v, ld, key_mask, T, hs, scale, p, seed, stream,
                       first);
}

RBP_HOT
static void attn_probs_impl(float *P, float *scr, const float *q, const float *k, int ld, const uint8_t *key_mask,
                            int T, int hs, float scale)
{
    const layout l = make_layout(T, hs);
    make_bias(scr + l.bias, key_mask, T, l.Tp);
    pack_t(scr + l.kt, k, ld, T, hs, l.Tp);
    float *S = scr + l.s;
    for (int i0 = 0; i0 < T; i0 += l.R) {
        const int nr = T - i0 < l.R ? T - i0 : l.R;
        block_probs(S, &l, scr, q, ld, i0, nr, hs, scale);
        for (int r = 0; r < nr; r++)
            memcpy(P + (size_t)(i0 + r) * (size_t)T, S + (size_t)r * (size_t)l.Tp, (size_t)T * sizeof(float));
    }
}

void rbp__attn_probs(float *P, float *scr, const float *q, const float *k, int ld, const uint8_t *key_mask, int T,
                     int hs, float scale)
{
    assert(T >= 1 && hs >= 1 && scale > 0.0f);
    attn_probs_impl(P, scr, q, k, ld, key_mask, T, hs, scale);
}
