/*
 * layers/input.c - the input block: token embedding scaled by sqrt(d) (as the TensorFlow
 * tutorial), plus the optional structure and viewpoint embeddings, plus the fixed sinusoidal
 * positional encoding, then dropout.
 *
 * The sum before dropout (emb) is kept, and its gradient is written out in full, so that the
 * model can offer gradient x input saliency maps.
 */
#include <math.h>
#include <string.h>

#include "layers/layers.h"

void rbp__input_forward(float *out, float *emb, const uint8_t *tokens, const uint8_t *structure,
                        const uint8_t *viewpoint, const rbp__input_weights *w, int B, int T, int C, float p,
                        uint64_t seed, uint64_t stream, uint64_t row0)
{
    // tokens/structure/viewpoint (B,T) -> emb (B,T,C) -> out (B,T,C) = Drop(emb)
    const int N = B * T;
    rbp__embedding_forward(emb, tokens, w->tok, N, C, sqrtf((float)C), 0);
    if (w->str)
        rbp__embedding_forward(emb, structure, w->str, N, C, 1.0f, 1);
    if (w->view)
        rbp__embedding_forward(emb, viewpoint, w->view, N, C, 1.0f, 1);
    rbp__add_positional(emb, w->pe, B, T, C);
    rbp__dropout_range(out, emb, (size_t)N * (size_t)C, row0 * (uint64_t)T * (uint64_t)C, p, seed, stream);
}

void rbp__input_backward(float *demb, rbp__input_grads *g, const float *dout, const uint8_t *tokens,
                         const uint8_t *structure, const uint8_t *viewpoint, int B, int T, int C, float p,
                         uint64_t seed, uint64_t stream, uint64_t row0)
{
    // forward: emb = tok[tokens] sqrt(C) + str[structure] + view[viewpoint] + pe; out = Drop(emb)
    const int N = B * T;
    // = d emb (mask reapplied)
    rbp__dropout_range(demb, dout, (size_t)N * (size_t)C, row0 * (uint64_t)T * (uint64_t)C, p, seed, stream);
    rbp__embedding_backward(g->tok, demb, tokens, N, C, sqrtf((float)C));
    if (g->str)
        rbp__embedding_backward(g->str, demb, structure, N, C, 1.0f);
    if (g->view)
        rbp__embedding_backward(g->view, demb, viewpoint, N, C, 1.0f);
}
