/*
 * layers/encoder.c - one transformer encoder layer, post-norm (the study's, as the
 * TensorFlow tutorial: x = LN(x + Drop(MHA(x))); x = LN(x + Drop(FFN(x)))) or pre-norm
 * (x = x + Drop(MHA(LN(x))); x = x + Drop(FFN(LN(x)))).
 *
 * Dropout sites use streams stream+0 (attention weights), stream+1 (after MHA) and stream+2
 * (after FFN). The residual dropouts are applied in place on the sub-layer output, and in the
 * backward in place on a copy of the incoming gradient: the masks are never stored.
 */
#include <string.h>

#include "layers/layers.h"

enum { SITE_ATT = 0, SITE_RES1 = 1, SITE_RES2 = 2 };

const float *rbp__encoder_output(const rbp__encoder_acts *a, const rbp__encoder_dims *d)
{
    return d->pre_norm ? a->res2 : a->ln2;
}

static void drop_inplace(float *x, size_t n, const rbp__encoder_dims *d, int site)
{
    if (d->p > 0.0f)
        rbp__dropout_range(x, x, n, d->row0 * (uint64_t)d->T * (uint64_t)d->C, d->p, d->seed,
                           d->stream + (uint64_t)site);
}

void rbp__encoder_forward(rbp__encoder_acts *a, float *tmp, const float *inp, const uint8_t *mask,
                          const rbp__encoder_weights *w, const rbp__encoder_dims *d)
{
    // inp (B,T,C) -> output (B,T,C) (see rbp__encoder_acts for the saved tensors)
    const int N = d->B * d->T, C = d->C;
    const size_t n = (size_t)N * (size_t)C;
    if (!d->pre_norm) {
        rbp__mha_forward(tmp, &a->attn, inp, mask, &w->attn, d->B, d->T, C, d->NH, d->p, d->seed,
                         d->stream + SITE_ATT, d->row0);
        drop_inplace(tmp, n, d, SITE_RES1);
        rbp__add(a->res1, inp, tmp, n);
        rbp__layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, a->res1, w->ln1w, w->ln1b, N, C, d->eps);
        rbp__ffn_forward(tmp, &a->ffn, a->ln1, &w->ffn, N, C, d->F, d->act);
        drop_inplace(tmp, n, d, SITE_RES2);
        rbp__add(a->res2, a->ln1, tmp, n);
        rbp__layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->res2, w->ln2w, w->ln2b, N, C, d->eps);
    } else {
        rbp__layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, inp, w->ln1w, w->ln1b, N, C, d->eps);
        rbp__mha_forward(tmp, &a->attn, a->ln1, mask, &w->attn, d->B, d->T, C, d->NH, d->p, d->seed,
                         d->stream + SITE_ATT, d->row0);
        drop_inplace(tmp, n, d, SITE_RES1);
        rbp__add(a->res1, inp, tmp, n);
        rbp__layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->res1, w->ln2w, w->ln2b, N, C, d->eps);
        rbp__ffn_forward(tmp, &a->ffn, a->ln2, &w->ffn, N, C, d->F, d->act);
        drop_inplace(tmp, n, d, SITE_RES2);
        rbp__add(a->res2, a->res1, tmp, n);
    }
}

void rbp__encoder_backward(float *dinp, rbp__encoder_grads *g, const rbp__encoder_scratch *s, const float *dout,
                           const rbp__encoder_acts *a, const float *inp, const uint8_t *mask,
                           const rbp__encoder_weights *w, const rbp__encoder_dims *d)
{
    const int N = d->B * d->T, C = d->C;
    const size_t n = (size_t)N * (size_t)C, bytes = n * sizeof(float);
    if (!d->pre_norm) {
        // forward: res1 = x + Drop(MHA(x)); ln1 = LN1(res1); res2 = ln1 + Drop(FFN(ln1)); out = LN2(res2)
        // dres = d res2
        memset(s->dres, 0, bytes);
        rbp__layernorm_backward(s->dres, g->ln2w, g->ln2b, dout, a->res2, w->ln2w, a->ln2_mean, a->ln2_rstd, N, C);
        // d ln1 = dres (residual) + FFN backward of Drop'(dres)
        memcpy(s->dmid, s->dres, bytes);
        drop_inplace(s->dres, n, d, SITE_RES2);
        rbp__ffn_backward(s->dmid, &g->ffn, s->dh, s->dres, &a->ffn, a->ln1, &w->ffn, N, C, d->F, d->act);
        // dres = d res1
        memset(s->dres, 0, bytes);
        rbp__layernorm_backward(s->dres, g->ln1w, g->ln1b, s->dmid, a->res1, w->ln1w, a->ln1_mean, a->ln1_rstd, N,
                                C);
        // dx += dres (residual) + MHA backward of Drop'(dres)
        rbp__axpy(dinp, 1.0f, s->dres, n);
        drop_inplace(s->dres, n, d, SITE_RES1);
        rbp__mha_backward(dinp, &g->attn, &s->attn, s->dres, &a->attn, inp, mask, &w->attn, d->B, d->T, C, d->NH, d->p,
                          d->seed, d->stream + SITE_ATT, d->row0);
    } else {
        // forward: ln1 = LN1(x); res1 = x + Drop(MHA(ln1)); ln2 = LN2(res1); out = res1 + Drop(FFN(ln2))
        // dmid = d res1 = dout (residual) + LN2 backward of (FFN backward of Drop'(dout))
        memcpy(s->dmid, dout, bytes);
        memcpy(s->tmp, dout, bytes);
        drop_inplace(s->tmp, n, d, SITE_RES2);
        memset(s->dres, 0, bytes);
        rbp__ffn_backward(s->dres, &g->ffn, s->dh, s->tmp, &a->ffn, a->ln2, &w->ffn, N, C, d->F, d->act);
        rbp__layernorm_backward(s->dmid, g->ln2w, g->ln2b, s->dres, a->res1, w->ln2w, a->ln2_mean, a->ln2_rstd, N,
                                C);
        // dx += dmid (residual) + LN1 backward of (MHA backward of Drop'(dmid))
        rbp__axpy(dinp, 1.0f, s->dmid, n);
        drop_inplace(s->dmid, n, d, SITE_RES1);
        memset(s->dres, 0, bytes);
        rbp__mha_backward(s->dres, &g->attn, &s->attn, s->dmid, &a->attn, a->ln1, mask, &w->attn, d->B, d->T, C, d->NH,
                          d->p, d->seed, d->stream + SITE_ATT, d->row0);
        rbp__layernorm_backward(dinp, g->ln1w, g->ln1b, s->dres, inp, w->ln1w, a->ln1_mean, a->ln1_rstd, N, C);
    }
}
