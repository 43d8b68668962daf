/*
 * io/checkpoint_model.c - rbp_model_save / rbp_model_load on top of the checkpoint format
 * (io/checkpoint.c, docs/checkpoint.md). Only the public model API is used: the
 * configuration rebuilds the model, the parameter array fills its flat buffer, and the
 * metadata block becomes the model's metadata.
 */
#include <string.h>

#include "io/checkpoint.h"
#include "model/model_internal.h"

rbp_status rbp_model_save(const rbp_model *model, const char *path)
{
    RBP_CHECK_NULL(model);
    RBP_CHECK_NULL(path);
    rbp__ckpt_header h;
    memset(&h, 0, sizeof h);
    RBP_TRY(rbp_model_get_config(model, &h.model));
    h.num_params = rbp_model_num_params(model);
    /* the model is not changed: the required keys go into a copy */
    RBP_TRY(rbp__meta_for_save(&h.meta, model));
    rbp_status st = rbp__ckpt_write(path, &h, rbp__model_params_const(model), NULL, NULL, NULL, NULL);
    rbp__meta_free(h.meta);
    return st;
}

rbp_status rbp__ckpt_check_finite(const rbp__ckpt_reader *r, const rbp_model *model)
{
    if (r->h.bad_array < 0)
        return RBP_OK;
    static const char *const arrays[5] = {"parameters", "Adam first moment", "Adam second moment",
                                          "best-epoch parameters", "weight average"};
    const char *tensor = "?";
    /* an ensemble's members share the layout of the first */
    const size_t per_member = rbp__model_config_num_params(&r->h.model);
    size_t at = per_member ? (size_t)r->h.bad_index % per_member : (size_t)r->h.bad_index;
    rbp__param_info info[64];
    int k = rbp__model_param_info(model, info, 64);
    for (int i = 0; i < k && i < 64; i++)
        if (at >= info[i].offset && at < info[i].offset + info[i].size) {
            tensor = info[i].name;
            at -= info[i].offset;
            break;
        }
    return rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': %s in the %s, tensor '%s' [%zu]", r->path,
                          r->h.bad_negative ? "negative value" : "non-finite value (NaN or infinity)",
                          arrays[r->h.bad_array < 5 ? r->h.bad_array : 0], tensor, at);
}

rbp_status rbp_model_load(rbp_model **out, const char *path)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(path);
    rbp__ckpt_reader r;
    RBP_TRY(rbp__ckpt_open(&r, path));
    const char *why = rbp_model_config_check(&r.h.model);
    if (why) {
        rbp__ckpt_close(&r);
        return rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': invalid model config: %s", path, why);
    }
    /* The parameter count of the configuration against the one the file's size vouches for,
     * before the model (and its buffers) are allocated: one member's, or an ensemble's
     * 2..RBP_MAX_MEMBERS members' (never with optimizer state). */
    size_t need = rbp__model_config_num_params(&r.h.model);
    const uint64_t members = need ? r.h.num_params / need : 0;
    if (members < 1 || members > RBP_MAX_MEMBERS || members * need != r.h.num_params ||
        (members > 1 && (r.h.flags & RBP__CKPT_HAS_TRAINER))) {
        rbp__ckpt_close(&r);
        return rbp__set_error(RBP_ERR_FORMAT,
                              "checkpoint '%s': corrupt file: it holds %llu parameters, its configuration needs %zu "
                              "(or a multiple up to %d for an ensemble)",
                              path, (unsigned long long)r.h.num_params, need, RBP_MAX_MEMBERS);
    }
    rbp_model *m = NULL;
    rbp_status st = rbp__model_create_members(&m, &r.h.model, (int32_t)members);
    if (st != RBP_OK) {
        rbp__ckpt_close(&r);
        return rbp__wrap_error(st, "loading checkpoint '%s'", path);
    }
    st = rbp__ckpt_check_finite(&r, m);
    /* trainer checkpoints carry optimizer state after the parameters: skipped here */
    if (st == RBP_OK)
        st = rbp__ckpt_read_arrays(&r, rbp_model_params(m), NULL, NULL, NULL, NULL);
    if (st == RBP_OK) {
        *rbp__model_meta(m) = r.h.meta;
        r.h.meta = NULL;
    }
    rbp__ckpt_close(&r);
    if (st != RBP_OK) {
        rbp_model_free(m);
        return st;
    }
    *out = m;
    return RBP_OK;
}
