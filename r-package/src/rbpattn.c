/*
 * rbpattn.c - .Call glue between R and librbpattn (built against the installed library through
 * pkg-config, see Makevars). A model is an external pointer to an rbp_r_model (the model and
 * one inference session over it), freed by its finalizer. Every failure becomes an R error
 * carrying rbp_last_error(); C resources are released before Rf_error, which does not return.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>

#include <rbpattn/rbpattn.h>

typedef struct rbp_r_model {
    rbp_model *model;
    rbp_session *session;
} rbp_r_model;

static char rbp_r_msg[1024];

/* Copy the library's message (Rf_error may run R code that calls the library again). */
static void fail(const char *what)
{
    snprintf(rbp_r_msg, sizeof rbp_r_msg, "%s: %s", what, rbp_last_error());
    Rf_error("%s", rbp_r_msg);
}

static void finalize(SEXP ptr)
{
    rbp_r_model *m = R_ExternalPtrAddr(ptr);
    if (m == NULL)
        return;
    rbp_session_free(m->session);
    rbp_model_free(m->model);
    free(m);
    R_ClearExternalPtr(ptr);
}

/* Wrap a model (owned from here on) with a 1-thread session. */
static SEXP wrap(rbp_model *model)
{
    rbp_r_model *m = calloc(1, sizeof *m);
    if (m == NULL) {
        rbp_model_free(model);
        Rf_error("rbpattn: out of memory");
    }
    m->model = model;
    if (rbp_session_create(&m->session, model, NULL) != RBP_OK) {
        rbp_model_free(model);
        free(m);
        fail("rbp_session_create");
    }
    SEXP ptr = PROTECT(R_MakeExternalPtr(m, Rf_install("rbp_model"), R_NilValue));
    R_RegisterCFinalizerEx(ptr, finalize, TRUE);
    UNPROTECT(1);
    return ptr;
}

static rbp_r_model *get(SEXP ptr)
{
    if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrAddr(ptr) == NULL)
        Rf_error("rbpattn: not a loaded model (or it was freed)");
    return R_ExternalPtrAddr(ptr);
}

static const char *string_arg(SEXP x, const char *what)
{
    if (!Rf_isString(x) || XLENGTH(x) != 1 || STRING_ELT(x, 0) == NA_STRING)
        Rf_error("rbpattn: %s must be one string", what);
    return Rf_translateCharUTF8(STRING_ELT(x, 0));
}

/* Reader options that encode sequences as the model expects: its recorded encoding when the
 * library has metadata, else the defaults with the model's length; unlabelled input. */
static void model_options(const rbp_model *model, rbp_dataset_options *opt)
{
    rbp_model_config cfg;
    rbp_model_get_config(model, &cfg);
#ifdef RBPATTN_METADATA_H
    if (rbp_dataset_options_from_model(opt, model) != RBP_OK)
        fail("rbp_dataset_options_from_model");
#else
    rbp_dataset_options_init(opt, RBP_DATASET_OPTIONS_VERSION);
#endif
    opt->length = cfg.seq_len;
    opt->require_target = 0;
    opt->target_column = NULL;
}

/* A dataset of R character vector `seqs`, encoded for `m` (NULL after an R error). */
static rbp_dataset *encode(rbp_r_model *m, SEXP seqs)
{
    if (!Rf_isString(seqs) || XLENGTH(seqs) == 0)
        Rf_error("rbpattn: sequences must be a non-empty character vector");
    R_xlen_t n = XLENGTH(seqs);
    const char **s = (const char **)R_alloc((size_t)n, sizeof *s);
    for (R_xlen_t i = 0; i < n; i++) {
        if (STRING_ELT(seqs, i) == NA_STRING)
            Rf_error("rbpattn: sequence %ld is NA", (long)(i + 1));
        s[i] = Rf_translateCharUTF8(STRING_ELT(seqs, i));
    }
    rbp_dataset_options opt;
    model_options(m->model, &opt);
    rbp_dataset *ds = NULL;
    if (rbp_dataset_from_strings(&ds, s, NULL, NULL, (size_t)n, &opt) != RBP_OK)
        fail("sequences");
    return ds;
}

SEXP rbp_r_version(void)
{
    return Rf_mkString(rbp_version_string());
}

SEXP rbp_r_load(SEXP path)
{
    rbp_model *model = NULL;
    const char *p = string_arg(path, "path");
    /* not a file: a bundled model's name (the library decides what is a name; a path that
     * is none is left for rbp_model_load to report) */
    char found[4096];
    FILE *f = fopen(p, "rb");
    if (f) {
        fclose(f);
    } else {
        const rbp_status st = rbp_model_find(p, found, sizeof found);
        if (st == RBP_OK)
            p = found;
        else if (st != RBP_ERR_INVALID_ARG)
            fail("rbp_load_model");
    }
    if (rbp_model_load(&model, p) != RBP_OK)
        fail("rbp_load_model");
    return wrap(model);
}

SEXP rbp_r_save(SEXP ptr, SEXP path)
{
    if (rbp_model_save(get(ptr)->model, string_arg(path, "path")) != RBP_OK)
        fail("rbp_save_model");
    return R_NilValue;
}

SEXP rbp_r_free(SEXP ptr)
{
    finalize(ptr);
    return R_NilValue;
}

SEXP rbp_r_ensemble(SEXP models)
{
    if (TYPEOF(models) != VECSXP || XLENGTH(models) < 1 || XLENGTH(models) > RBP_MAX_MEMBERS)
        Rf_error("rbp_ensemble: give a list of 1..%d models", RBP_MAX_MEMBERS);
    const rbp_model *m[RBP_MAX_MEMBERS];
    const int n = (int)XLENGTH(models);
    for (int i = 0; i < n; i++)
        m[i] = get(VECTOR_ELT(models, i))->model;
    rbp_model *out = NULL;
    if (rbp_model_ensemble(&out, m, n) != RBP_OK)
        fail("rbp_ensemble");
    return wrap(out);
}

SEXP rbp_r_config(SEXP ptr)
{
    rbp_model_config c;
    if (rbp_model_get_config(get(ptr)->model, &c) != RBP_OK)
        fail("config");
    const char *names[] = {"seq_len", "d_model", "n_heads", "n_layers", "d_ff", "head_hidden", "task",
                           "pooling", "num_params", "num_members"};
    double vals[] = {c.seq_len, c.d_model, c.n_heads, c.n_layers, c.d_ff, c.head_hidden, c.task, c.pooling,
                     (double)rbp_model_num_params(get(ptr)->model), (double)rbp_model_num_members(get(ptr)->model)};
    int n = (int)(sizeof vals / sizeof vals[0]);
    SEXP out = PROTECT(Rf_allocVector(VECSXP, n)), nm = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], "task") == 0)
            SET_VECTOR_ELT(out, i, Rf_mkString(c.task == RBP_TASK_REGRESSION ? "regression" : "classification"));
        else
            SET_VECTOR_ELT(out, i, Rf_ScalarInteger((int)vals[i]));
        SET_STRING_ELT(nm, i, Rf_mkChar(names[i]));
    }
    Rf_setAttrib(out, R_NamesSymbol, nm);
    UNPROTECT(2);
    return out;
}

SEXP rbp_r_predict(SEXP ptr, SEXP seqs, SEXP logits, SEXP threads)
{
    rbp_r_model *m = get(ptr);
    int nt = Rf_asInteger(threads);
    rbp_dataset *ds = encode(m, seqs);
    rbp_session *session = m->session, *own = NULL;
    if (nt != 1) { /* a session with its own worker threads, for this call */
        rbp_session_options so;
        rbp_session_options_init(&so, RBP_SESSION_OPTIONS_VERSION);
        so.n_threads = nt;
        if (rbp_session_create(&own, m->model, &so) != RBP_OK) {
            rbp_dataset_free(ds);
            fail("threads");
        }
        session = own;
    }
    size_t n = rbp_dataset_size(ds);
    float *buf = (float *)R_alloc(n, sizeof *buf);
    rbp_status st = Rf_asLogical(logits) == TRUE ? rbp_session_predict_logits(session, ds, 256, buf)
                                                 : rbp_session_predict(session, ds, 256, buf);
    rbp_dataset_free(ds);
    rbp_session_free(own);
    if (st != RBP_OK)
        fail("predict");
    SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++)
        REAL(out)[i] = buf[i];
    UNPROTECT(1);
    return out;
}

/* (n_layers, n_heads, L, L) row-major floats as a flat double vector; R gives it its dim. */
SEXP rbp_r_attention(SEXP ptr, SEXP seq)
{
    rbp_r_model *m = get(ptr);
    rbp_model_config c;
    rbp_model_get_config(m->model, &c);
    string_arg(seq, "seq");
    rbp_dataset *ds = encode(m, seq);
    size_t n = (size_t)c.n_layers * c.n_heads * c.seq_len * c.seq_len;
    float *buf = (float *)R_alloc(n, sizeof *buf), score;
    rbp_status st = rbp_session_predict(m->session, ds, 1, &score);
    if (st == RBP_OK)
        st = rbp_session_attention(m->session, 0, buf);
    rbp_dataset_free(ds);
    if (st != RBP_OK)
        fail("attention");
    SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++)
        REAL(out)[i] = buf[i];
    UNPROTECT(1);
    return out;
}

/* (N, L) row-major saliency as a flat double vector. */
SEXP rbp_r_saliency(SEXP ptr, SEXP seqs)
{
    rbp_r_model *m = get(ptr);
    rbp_dataset *ds = encode(m, seqs);
    size_t n = rbp_dataset_size(ds), L = (size_t)rbp_dataset_length(ds);
    float *buf = (float *)R_alloc(n * L, sizeof *buf);
    rbp_status st = RBP_OK;
    for (size_t start = 0; start < n && st == RBP_OK; start += 64) {
        rbp_batch b;
        memset(&b, 0, sizeof b);
        b.size = (int32_t)(n - start < 64 ? n - start : 64);
        b.length = (int32_t)L;
        b.tokens = rbp_dataset_tokens(ds) + start * L;
        b.mask = rbp_dataset_mask(ds) + start * L;
        b.viewpoint = rbp_dataset_viewpoint(ds) + start * L;
        b.targets = rbp_dataset_targets(ds) + start;
        st = rbp_session_saliency(m->session, &b, buf + start * L);
    }
    rbp_dataset_free(ds);
    if (st != RBP_OK)
        fail("saliency");
    SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)(n * L)));
    for (size_t i = 0; i < n * L; i++)
        REAL(out)[i] = buf[i];
    UNPROTECT(1);
    return out;
}

/* Option `k` of a named list: a number, or one of `names` (mapped to `values`). */
static double option(SEXP v, const char *k, const char *const *names, const int *values)
{
    if (names != NULL && Rf_isString(v) && XLENGTH(v) == 1) {
        const char *s = CHAR(STRING_ELT(v, 0));
        for (int i = 0; names[i] != NULL; i++)
            if (strcmp(s, names[i]) == 0)
                return values[i];
        Rf_error("rbp_train: %s: unknown value '%s'", k, s);
    }
    if (!Rf_isNumeric(v) || XLENGTH(v) != 1)
        Rf_error("rbp_train: %s must be one number", k);
    return Rf_asReal(v);
}

static const char *const pooling_names[] = {"flatten", "mean", "max", NULL};
static const int pooling_values[] = {RBP_POOL_FLATTEN, RBP_POOL_MEAN, RBP_POOL_MAX};
static const char *const schedule_names[] = {"transformer", "constant", "cosine", NULL};
static const int schedule_values[] = {RBP_SCHED_TRANSFORMER, RBP_SCHED_CONSTANT, RBP_SCHED_COSINE};

/* Train on a labelled FASTA ("class:N" headers): options in a named list (fields of
 * rbp_model_config and rbp_train_config over the library's defaults). */
SEXP rbp_r_train(SEXP fasta, SEXP seq_len, SEXP opts)
{
    const char *path = string_arg(fasta, "fasta");
    rbp_model_config mc;
    rbp_train_config tc;
    rbp_model_config_init(&mc, RBP_MODEL_CONFIG_VERSION);
    rbp_train_config_init(&tc, RBP_TRAIN_CONFIG_VERSION);
    mc.seq_len = Rf_asInteger(seq_len);
    SEXP names = Rf_getAttrib(opts, R_NamesSymbol);
    for (R_xlen_t i = 0; i < XLENGTH(opts); i++) {
        const char *k = CHAR(STRING_ELT(names, i));
        SEXP v = VECTOR_ELT(opts, i);
        if (!strcmp(k, "d_model")) mc.d_model = (int32_t)option(v, k, NULL, NULL);
        else if (!strcmp(k, "n_heads")) mc.n_heads = (int32_t)option(v, k, NULL, NULL);
        else if (!strcmp(k, "n_layers")) mc.n_layers = (int32_t)option(v, k, NULL, NULL);
        else if (!strcmp(k, "d_ff")) mc.d_ff = (int32_t)option(v, k, NULL, NULL);
        else if (!strcmp(k, "head_hidden")) mc.head_hidden = (int32_t)option(v, k, NULL, NULL);
        else if (!strcmp(k, "dropout")) mc.dropout = (float)option(v, k, NULL, NULL);
        else if (!strcmp(k, "pooling")) mc.pooling = (int32_t)option(v, k, pooling_names, pooling_values);
        else if (!strcmp(k, "seed")) mc.seed = tc.seed = (uint64_t)option(v, k, NULL, NULL);
        else if (!strcmp(k, "epochs")) tc.epochs = (int32_t)option(v, k, NULL, NULL);
        else if (!strcmp(k, "batch_size")) tc.batch_size = (int32_t)option(v, k, NULL, NULL);
        else if (!strcmp(k, "lr")) tc.lr = (float)option(v, k, NULL, NULL);
        else if (!strcmp(k, "schedule")) tc.schedule = (int32_t)option(v, k, schedule_names, schedule_values);
        else if (!strcmp(k, "warmup_steps")) tc.warmup_steps = (int32_t)option(v, k, NULL, NULL);
        else Rf_error("rbp_train: unknown option '%s'", k);
    }
    rbp_dataset_options opt;
    rbp_dataset_options_init(&opt, RBP_DATASET_OPTIONS_VERSION);
    opt.format = RBP_FORMAT_FASTA;
    opt.length = mc.seq_len;
    rbp_dataset *ds = NULL;
    if (rbp_dataset_load(&ds, path, &opt) != RBP_OK)
        fail("rbp_train");
    rbp_model *model = NULL;
    rbp_trainer *t = NULL;
    rbp_status st = rbp_model_create(&model, &mc);
    if (st == RBP_OK)
        st = rbp_trainer_create(&t, model, &tc);
    if (st == RBP_OK)
        st = rbp_trainer_fit(t, ds, NULL);
#ifdef RBPATTN_METADATA_H
    if (st == RBP_OK)
        st = rbp_model_meta_set_encoding(model, &opt);
#endif
    if (st != RBP_OK) {
        snprintf(rbp_r_msg, sizeof rbp_r_msg, "rbp_train: %s", rbp_last_error());
        rbp_trainer_free(t);
        rbp_model_free(model);
        rbp_dataset_free(ds);
        Rf_error("%s", rbp_r_msg);
    }
    rbp_trainer_free(t);
    rbp_dataset_free(ds);
    return wrap(model);
}

/* Metadata as a named list (empty when the library has no metadata, before 0.2). */
SEXP rbp_r_metadata(SEXP ptr)
{
    rbp_r_model *m = get(ptr);
#ifdef RBPATTN_METADATA_H
    size_t n = rbp_model_meta_count(m->model);
    SEXP out = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t)n)), nm = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        const char *key = rbp_model_meta_key(m->model, i);
        const char *s;
        int64_t iv;
        double dv;
        SET_STRING_ELT(nm, (R_xlen_t)i, Rf_mkCharCE(key, CE_UTF8));
        switch (rbp_model_meta_type(m->model, key)) {
        case RBP_META_STRING:
            rbp_model_meta_get_string(m->model, key, &s);
            SET_VECTOR_ELT(out, (R_xlen_t)i, Rf_ScalarString(Rf_mkCharCE(s, CE_UTF8)));
            break;
        case RBP_META_INT:
            rbp_model_meta_get_int(m->model, key, &iv);
            SET_VECTOR_ELT(out, (R_xlen_t)i, Rf_ScalarReal((double)iv));
            break;
        default:
            rbp_model_meta_get_double(m->model, key, &dv);
            SET_VECTOR_ELT(out, (R_xlen_t)i, Rf_ScalarReal(dv));
        }
    }
    Rf_setAttrib(out, R_NamesSymbol, nm);
    UNPROTECT(2);
    return out;
#else
    (void)m;
    return Rf_allocVector(VECSXP, 0);
#endif
}

static const R_CallMethodDef calls[] = {
    {"rbp_r_version", (DL_FUNC)&rbp_r_version, 0},
    {"rbp_r_load", (DL_FUNC)&rbp_r_load, 1},
    {"rbp_r_save", (DL_FUNC)&rbp_r_save, 2},
    {"rbp_r_free", (DL_FUNC)&rbp_r_free, 1},
    {"rbp_r_config", (DL_FUNC)&rbp_r_config, 1},
    {"rbp_r_ensemble", (DL_FUNC)&rbp_r_ensemble, 1},
    {"rbp_r_predict", (DL_FUNC)&rbp_r_predict, 4},
    {"rbp_r_attention", (DL_FUNC)&rbp_r_attention, 2},
    {"rbp_r_saliency", (DL_FUNC)&rbp_r_saliency, 2},
    {"rbp_r_train", (DL_FUNC)&rbp_r_train, 3},
    {"rbp_r_metadata", (DL_FUNC)&rbp_r_metadata, 1},
    {NULL, NULL, 0},
};

void R_init_rbpattn(DllInfo *dll)
{
    R_registerRoutines(dll, NULL, calls, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
}
