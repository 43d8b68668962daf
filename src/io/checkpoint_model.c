/*
 * io/checkpoint_model.c - rbp_model_save / rbp_model_load on top of the checkpoint format
 * (io/checkpoint.c, docs/checkpoint.md). Only the public model API is used: the
 * configuration rebuilds the model, the parameter array fills its flat buffer.
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
    return rbp__ckpt_write(path, &h, rbp__model_params_const(model), NULL, NULL, NULL);
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
    rbp_model *m = NULL;
    rbp_status st = rbp_model_create(&m, &r.h.model);
    if (st != RBP_OK) {
        rbp__ckpt_close(&r);
        return rbp__wrap_error(st, "loading checkpoint '%s'", path);
    }
    if ((uint64_t)rbp_model_num_params(m) != r.h.num_params) {
        st = rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s' holds %llu parameters, its configuration needs %zu",
                            path, (unsigned long long)r.h.num_params, rbp_model_num_params(m));
    } else {
        /* trainer checkpoints carry optimizer state after the parameters: skipped here */
        st = rbp__ckpt_read_arrays(&r, rbp_model_params(m), NULL, NULL, NULL);
    }
    rbp__ckpt_close(&r);
    if (st != RBP_OK) {
        rbp_model_free(m);
        return st;
    }
    *out = m;
    return RBP_OK;
}
