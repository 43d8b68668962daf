/*
 * interpret/saliency.c - gradient x input saliency through the model's backward pass, run in
 * the caller's session (its gradient buffer; the model is not written).
 *
 * Every example's logit depends only on its own row (no batch statistics), so one backward
 * pass with d(logit_b) = 1 for all b gives each example's input gradient at once.
 */
#include <string.h>

#include "core/internal.h"
#include "kernels/kernels.h"
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
     * `out` temporarily (B <= B*L) and serve as the ones-vector after. An ensemble's saliency is
     * the mean of its members' (each with its own embedding x): member 0 is computed so, the
     * others with a workspace ones-vector, added, and the sum scaled. */
    const int32_t M = rbp__session_members(session);
    rbp_status st = RBP_OK;
    for (int32_t m = 0; m < M && st == RBP_OK; m++) {
        rbp__session_select_member(session, m);
        float *ones = m == 0 ? out : NULL;
        st = rbp__model_forward(session, batch, 0, 0, 0, ones);
        if (st != RBP_OK) {
            st = rbp__wrap_error(st, "rbp_session_saliency");
            break;
        }
        if (m == 0) {
            for (int32_t b = 0; b < B; b++)
                ones[b] = 1.0f;
        } else if ((ones = rbp__session_ones(session, B)) == NULL) {
            st = rbp__set_error(RBP_ERR_STATE, "rbp_session_saliency: no workspace for member %d", (int)m);
            break;
        }
        rbp__session_zero_grad(session);
        st = rbp__model_backward(session, ones);
        if (st != RBP_OK)
            break;
        const float *x = rbp__session_input_embedding(session);
        const float *dx = rbp__session_input_embedding_grad(session);
        if (!x || !dx) {
            st = rbp__set_error(RBP_ERR_STATE, "rbp_session_saliency: the session kept no input-embedding gradient");
            break;
        }
        for (int32_t b = 0; b < B; b++)
            for (int32_t t = 0; t < L; t++) {
                size_t row = ((size_t)b * L + t);
                float sum = 0.0f;
                if (!batch->mask || batch->mask[row]) {
                    const float *xr = x + row * C, *gr = dx + row * C;
                    for (int32_t c = 0; c < C; c++)
                        sum += xr[c] * gr[c];
                }
                out[row] = m == 0 ? sum : out[row] + sum;
            }
    }
    rbp__session_select_member(session, 0);
    if (st == RBP_OK && M > 1)
        rbp__scale(out, 1.0f / (float)M, (size_t)B * (size_t)L);
    return st;
}
