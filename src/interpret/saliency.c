/*
 * interpret/saliency.c - gradient x input saliency through the model's backward pass, run in
 * the caller's session (its gradient buffer; the model is not written).
 *
 * Every example's logit depends only on its own row (no batch statistics), so one backward
 * pass with d(logit_b) = 1 for all b gives each example's input gradient at once.
 */
#include <string.h>

#include "core/internal.h"
#include "model/model_internal.h"
#include "rbpattn/attention.h"

rbp_status rbp_session_saliency(rbp_session *session, const rbp_batch *batch, float *out)
{
    RBP_CHECK_NULL(session);
    RBP_CHECK_NULL(batch);
    RBP_CHECK_NULL(out);
    RBP_CHECK(batch->size >= 1, RBP_ERR_INVALID_ARG, "rbp_session_saliency: batch size %d, expected >= 1",
              (int)batch->size);
    rbp_model_config cfg;
    RBP_TRY(rbp_model_get_config(rbp_session_model(session), &cfg));
    const int32_t B = batch->size, L = cfg.seq_len, C = cfg.d_model;

    /* The forward pass validates the batch before it sizes the workspace. The logits land in
     * `out` temporarily (B <= B*L) and serve as the ones-vector after. */
    float *ones = out;
    rbp_status st = rbp__model_forward(session, batch, 0, 0, 0, ones);
    if (st != RBP_OK)
        return rbp__wrap_error(st, "rbp_session_saliency");
    for (int32_t b = 0; b < B; b++)
        ones[b] = 1.0f;
    rbp__session_zero_grad(session);
    RBP_TRY(rbp__model_backward(session, ones));
    const float *x = rbp__session_input_embedding(session);
    const float *dx = rbp__session_input_embedding_grad(session);
    if (!x || !dx)
        return rbp__set_error(RBP_ERR_STATE, "rbp_session_saliency: the session kept no input-embedding gradient");
    for (int32_t b = 0; b < B; b++)
        for (int32_t t = 0; t < L; t++) {
            size_t row = ((size_t)b * L + t);
            float s = 0.0f;
            if (!batch->mask || batch->mask[row]) {
                const float *xr = x + row * C, *gr = dx + row * C;
                for (int32_t c = 0; c < C; c++)
                    s += xr[c] * gr[c];
            }
            out[row] = s;
        }
    return RBP_OK;
}
