/*
 * model/model.c - the transformer encoder model: configuration, parameters, and the
 * per-session pass state: workspace, forward and backward passes, inference, attention maps.
 *
 * Memory (llm.c style): all trainable scalars live in ONE aligned buffer described by the
 * param_sizes[] table and viewed through a struct of float pointers filled by a pointer walk;
 * it belongs to the model, which passes only read. Each session's state (rbp__state) has a
 * gradient buffer of the same layout, so optimizers and clipping are flat loops, and ONE
 * workspace allocation holding all activations, backward scratch and the copied batch, whose
 * tensors are sized by the act_sizes[] table for (B_max, L). The workspace only ever grows
 * (inference-only layout first if that is all that was asked for); once it is large enough,
 * forward, backward and prediction allocate nothing.
 *
 * Dropout is counter-based: site k of step s uses stream s * n_sites + k with the caller's
 * dropout seed, so every site of every step has its own mask and the backward recomputes it.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "kernels/kernels.h"
#include "layers/layers.h"
#include "io/checkpoint.h"
#include "model/model_internal.h"
#include "model/metadata_internal.h"


/* ------------------------------------------------------------------ parameters */

enum {
    P_TOK,      /* (V, C) */
    P_STR,      /* (RBP_STRUCT_VOCAB_SIZE, C) or empty */
    P_VIEW,     /* (2, C) or empty */
    P_QKVW,     /* (NL, 3C, C) */
    P_QKVB,     /* (NL, 3C) */
    P_ATTPROJW, /* (NL, C, C) */
    P_ATTPROJB, /* (NL, C) */
    P_LN1W,     /* (NL, C) */
    P_LN1B,     /* (NL, C) */
    P_FCW,      /* (NL, F, C) */
    P_FCB,      /* (NL, F) */
    P_FCPROJW,  /* (NL, C, F) */
    P_FCPROJB,  /* (NL, C) */
    P_LN2W,     /* (NL, C) */
    P_LN2B,     /* (NL, C) */
    P_LNFW,     /* (C) pre-norm only */
    P_LNFB,     /* (C) pre-norm only */
    P_HEAD1W,   /* (H, P), P = L*C (flatten) or C */
    P_HEAD1B,   /* (H) */
    P_HEAD2W,   /* (1, H) */
    P_HEAD2B,   /* (1) */
    /* appended after the study's tensors so that their init streams (tensor id) are unchanged */
    P_STEMW,    /* (S, K*C) convolutional stem, S = stem_filters or C; or empty */
    P_STEMB,    /* (S) or empty */
    P_STEMPW,   /* (C, S) projection of a stem with stem_filters > 0, or empty */
    P_STEMPB,   /* (C) or empty */
    NUM_PARAM_TENSORS
};

static const char *const param_names[NUM_PARAM_TENSORS] = {
    "tok_emb",       "struct_emb",    "view_emb",   "layers.qkv_w", "layers.qkv_b",   "layers.attproj_w",
    "layers.attproj_b", "layers.ln1_w", "layers.ln1_b", "layers.fc_w",  "layers.fc_b",    "layers.fcproj_w",
    "layers.fcproj_b", "layers.ln2_w", "layers.ln2_b", "lnf_w",        "lnf_b",          "head1_w",
    "head1_b",       "head2_w",       "head2_b",    "stem.conv_w",  "stem.conv_b",    "stem.proj_w",
    "stem.proj_b"};

/* ------------------------------------------------------------------ workspace */

enum {
    /* forward (inference and training) */
    A_EMB,      /* (B,L,C) input embedding sum, kept for saliency */
    A_X0,       /* (B,L,C) after input dropout */
    A_STEM,     /* (B,L,C) convolutional stem output (conv_kernel > 0) */
    A_COL,      /* the stem's input rows: padded (B, L+K-1, C), or the (B*L, K*C) im2col matrix */
    A_STEMH,    /* (B*L, S) stem ReLU output */
    A_SPOOL,    /* (B,Le,C) the stem's output max-pooled over windows (stem_pool > 1), Le = the
                   encoder length; every tensor below of length L has Le positions then */
    A_SPARG,    /* (B,Le,C) int32 position of each window's maximum */
    A_SPMASK,   /* (B,Le) uint8 the encoder's mask: a window is real if one of its positions is */
    A_TMP,      /* (B,L,C) sub-layer output scratch (forward and backward) */
    A_ASCR,     /* attention scratch (rbp__mha_scratch_floats): forward, backward and the maps */
    A_QKV,      /* (M,NL,B,L,3C): each member's Q, K, V (M = 1 but for ensembles), kept so that
                   rbp_session_attention can recompute the maps of every member */
    A_ATT,      /* (NL, rbp__mha_kept_floats) attention probabilities kept for the backward (training, short L) */
    A_CTX,      /* (NL,B,L,C) */
    A_RES1,     /* (NL,B,L,C) */
    A_LN1,      /* (NL,B,L,C) */
    A_LN1_MEAN, /* (NL,B,L) */
    A_LN1_RSTD, /* (NL,B,L) */
    A_H,        /* (NL,B,L,F) FFN hidden (activation output) */
    A_HP,       /* (NL,B,L,F) FFN pre-activation (GELU only) */
    A_RES2,     /* (NL,B,L,C) */
    A_LN2,      /* (NL,B,L,C) */
    A_LN2_MEAN, /* (NL,B,L) */
    A_LN2_RSTD, /* (NL,B,L) */
    A_LNF,      /* (B,L,C) final LN (pre-norm only) */
    A_LNF_MEAN, /* (B,L) */
    A_LNF_RSTD, /* (B,L) */
    A_POOLED,   /* (B,C) mean/max pooling */
    A_ARGMAX,   /* (B,C) int32, max pooling */
    A_HID,      /* (B,H) */
    A_LOGITS,   /* (B) */
    A_TOKENS,   /* (B,L) uint8 copies of the batch, validated */
    A_MASK,
    A_STRUCT,
    A_VIEW,
    A_MAPS,     /* ensembles, pooling stems: (NH,Le,Le) one member's maps of one example and layer */
    A_LOGSUM,   /* ensembles: (B) the members' logits, summed */
    /* training only: backward scratch */
    A_DX0,      /* (B,L,C) residual-stream gradients, used alternately */
    A_DX1,
    A_DEMB,     /* (B,L,C) gradient of the input embedding sum (saliency) */
    A_DRES,     /* (B,L,C) */
    A_DMID,     /* (B,L,C) */
    A_DH,       /* (B,L,F) */
    A_DQKV,     /* (B,L,3C) */
    A_DCTX,     /* (B,L,C) */
    A_DHID,     /* (B,H) */
    A_DPOOLED,  /* (B,C) */
    A_DCOL,     /* stem backward scratch (conv_kernel > 0; rbp__conv_stem_scratch_floats) */
    A_DSTEMH,   /* (B*L, S) stem backward */
    A_ONES,     /* (B) d(logit) = 1 for the saliency of ensemble members after the first */
    NUM_ACTS
};
#define FIRST_TRAIN_ACT A_DX0

typedef struct workspace {
    void *mem;             /* the one allocation (rbp__malloc_aligned) */
    int32_t B;             /* capacity in examples */
    int train;             /* whether the training tensors are present */
    size_t sizes[NUM_ACTS]; /* in floats (bytes/4 for the uint8 arrays), padded to 64 bytes */
    size_t layer_stride[NUM_ACTS]; /* per-layer slice of the stacked (NL, ...) tensors */
    float *a[NUM_ACTS];
} workspace;

typedef struct params {
    float *t[NUM_PARAM_TENSORS];
} params;

struct rbp_model {
    rbp_model_config cfg;
    size_t param_sizes[NUM_PARAM_TENSORS];
    size_t num_params;    /* n_members * member_params */
    size_t member_params; /* one member's: what the configuration needs */
    int32_t n_members;    /* 1, or the members of an ensemble (rbp_model_ensemble) */
    float *param_mem;     /* the members' parameters one after the other */
    params p;        /* views into param_mem (member 0) */
    float *pe;       /* (L, C) positional encoding */
    rbp__meta *meta; /* key/value metadata (model/metadata.c); NULL = none */
};

/* What a forward/backward pass writes, one per session (the model itself is read only). */
struct rbp__state {
    rbp_model_config cfg; /* copy of the model's: the layer helpers read it often */
    params p;             /* views into the parameters of member `member`, read only */
    const float *pe;
    const float *pbase;   /* the model's parameters (all members) */
    size_t psizes[NUM_PARAM_TENSORS];
    int32_t n_members, member;
    size_t num_params;    /* one member's */
    float *grad_mem;      /* (num_params), allocated with the training tensors */
    params g;             /* views into grad_mem */
    workspace ws;

    /* state of the last forward pass */
    int32_t fwd_B;       /* 0 = none (or invalidated by a workspace change) */
    int fwd_backprop;    /* run by rbp__model_forward (backward possible) */
    float fwd_p;         /* dropout rate used */
    uint64_t fwd_seed, fwd_step;
    uint64_t fwd_row0;   /* batch row of the pass's first row (a part of a split batch) */
    int bwd_valid;       /* the input-embedding gradient belongs to the last forward */

    rbp__meta *meta;     /* key/value metadata (model/metadata.c); NULL = none */
};

/* dropout sites per step: input + 3 per layer */
static uint64_t n_sites(const rbp_model_config *cfg)
{
    return 1u + 3u * (uint64_t)cfg->n_layers;
}

/* filters of the convolutional stem: its own stem_filters, or d_model when it has none */
static size_t stem_width(const rbp_model_config *cfg)
{
    return (size_t)(cfg->stem_filters > 0 ? cfg->stem_filters : cfg->d_model);
}

/* ------------------------------------------------------------------ configuration */

static rbp_status config_defaults(rbp_model_config *cfg);

size_t rbp__model_config_size(uint32_t version)
{
    return version == 1                          ? RBP__MODEL_CONFIG_V1_SIZE
           : version == 2                        ? RBP__MODEL_CONFIG_V2_SIZE
           : version == RBP_MODEL_CONFIG_VERSION ? sizeof(rbp_model_config)
                                                 : 0;
}

int32_t rbp__model_encoder_length(const rbp_model_config *cfg)
{
    return cfg->stem_pool > 1 ? (cfg->seq_len + cfg->stem_pool - 1) / cfg->stem_pool : cfg->seq_len;
}

rbp_status rbp_model_config_init(rbp_model_config *cfg, uint32_t version)
{
    RBP_CHECK_NULL(cfg);
    const size_t size = rbp__model_config_size(version);
    if (size == 0)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_config_init: unknown config version %u (this library has 1..%u)",
                              (unsigned)version, (unsigned)RBP_MODEL_CONFIG_VERSION);
    rbp_model_config full;
    config_defaults(&full);
    full.version = version;
    memcpy(cfg, &full, size); /* an older struct ends earlier */
    return RBP_OK;
}

int rbp__model_config_current(rbp_model_config *dst, const rbp_model_config *src)
{
    const size_t size = rbp__model_config_size(src->version);
    if (size == 0)
        return -1;
    config_defaults(dst); /* fields after an older struct's end keep their defaults */
    memcpy(dst, src, size);
    dst->version = RBP_MODEL_CONFIG_VERSION;
    return 0;
}

static rbp_status config_defaults(rbp_model_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->version = RBP_MODEL_CONFIG_VERSION;
    cfg->seq_len = 101;
    cfg->d_model = 64;
    cfg->n_heads = 4;
    cfg->n_layers = 2;
    cfg->d_ff = 256;
    cfg->head_hidden = 64;
    cfg->dropout = 0.1f;
    cfg->ln_eps = 1e-6f;
    cfg->task = RBP_TASK_CLASSIFICATION;
    cfg->norm = RBP_NORM_POST;
    cfg->activation = RBP_ACT_RELU;
    cfg->pooling = RBP_POOL_FLATTEN;
    cfg->use_structure = 0;
    cfg->use_viewpoint = 0;
    cfg->seed = 1;
    cfg->conv_kernel = 0;
    cfg->stem_filters = 0;
    cfg->stem_pool = 0;
    return RBP_OK;
}

/* Upper bounds keep every GEMM dimension (3C, L*C, F, H) inside int. */
#define MAX_SEQ_LEN 100000
#define MAX_WIDTH 65536
#define MAX_LAYERS 1024
#define MAX_STEM_FILTERS 4096
#define MAX_STEM_POOL 16

static const char *check_current(const rbp_model_config *cfg);

const char *rbp_model_config_check(const rbp_model_config *cfg)
{
    if (!cfg)
        return "the rbp_model_config is NULL";
    rbp_model_config c;
    if (rbp__model_config_current(&c, cfg) != 0)
        return "rbp_model_config.version is unknown (initialise it with rbp_model_config_init)";
    return check_current(&c);
}

static const char *check_current(const rbp_model_config *cfg)
{
    if (cfg->seq_len < 1 || cfg->seq_len > MAX_SEQ_LEN)
        return "rbp_model_config.seq_len (--length) must be in [1, 100000]";
    if (cfg->d_model < 1 || cfg->d_model > MAX_WIDTH)
        return "rbp_model_config.d_model (--d-model) must be in [1, 65536]";
    if (cfg->n_heads < 1 || cfg->n_heads > cfg->d_model)
        return "rbp_model_config.n_heads (--heads) must be in [1, d_model]";
    if (cfg->d_model % cfg->n_heads != 0)
        return "rbp_model_config.d_model (--d-model) is not a multiple of n_heads (--heads)";
    if (cfg->n_layers < 1 || cfg->n_layers > MAX_LAYERS)
        return "rbp_model_config.n_layers (--layers) must be in [1, 1024]";
    if (cfg->d_ff < 1 || cfg->d_ff > 16 * MAX_WIDTH)
        return "rbp_model_config.d_ff (--d-ff) must be in [1, 1048576]";
    if (cfg->head_hidden < 1 || cfg->head_hidden > 16 * MAX_WIDTH)
        return "rbp_model_config.head_hidden (--head-hidden) must be in [1, 1048576]";
    if ((int64_t)cfg->seq_len * cfg->d_model > INT32_MAX / 4)
        return "rbp_model_config.seq_len * d_model (--length * --d-model) is too large";
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f))
        return "rbp_model_config.dropout (--dropout) must be in [0, 1)";
    if (!(cfg->ln_eps > 0.0f) || isinf(cfg->ln_eps))
        return "rbp_model_config.ln_eps must be a positive finite number";
    if (cfg->task != RBP_TASK_CLASSIFICATION && cfg->task != RBP_TASK_REGRESSION)
        return "rbp_model_config.task (--task) must be RBP_TASK_CLASSIFICATION or RBP_TASK_REGRESSION";
    if (cfg->norm != RBP_NORM_POST && cfg->norm != RBP_NORM_PRE)
        return "rbp_model_config.norm (--pre-norm) must be RBP_NORM_POST or RBP_NORM_PRE";
    if (cfg->activation != RBP_ACT_RELU && cfg->activation != RBP_ACT_GELU)
        return "rbp_model_config.activation (--gelu) must be RBP_ACT_RELU or RBP_ACT_GELU";
    if (cfg->pooling != RBP_POOL_FLATTEN && cfg->pooling != RBP_POOL_MEAN && cfg->pooling != RBP_POOL_MAX)
        return "rbp_model_config.pooling (--pooling) must be RBP_POOL_FLATTEN, RBP_POOL_MEAN or RBP_POOL_MAX";
    if (cfg->use_structure != 0 && cfg->use_structure != 1)
        return "rbp_model_config.use_structure (--structure-column) must be 0 or 1";
    if (cfg->use_viewpoint != 0 && cfg->use_viewpoint != 1)
        return "rbp_model_config.use_viewpoint (--viewpoint) must be 0 or 1";
    if (cfg->conv_kernel != 0 && (cfg->conv_kernel < 3 || cfg->conv_kernel > 31 || cfg->conv_kernel % 2 == 0))
        return "rbp_model_config.conv_kernel (--conv-kernel) must be 0 or odd in 3..31";
    if (cfg->stem_filters < 0 || cfg->stem_filters > MAX_STEM_FILTERS)
        return "rbp_model_config.stem_filters (--stem-filters) must be in [0, 4096]";
    if (cfg->stem_filters > 0 && cfg->conv_kernel == 0)
        return "rbp_model_config.stem_filters (--stem-filters) needs a convolutional stem (conv_kernel > 0, "
               "--conv-kernel)";
    if (cfg->stem_pool < 0 || cfg->stem_pool == 1 || cfg->stem_pool > MAX_STEM_POOL)
        return "rbp_model_config.stem_pool (--stem-pool) must be 0 or in [2, 16]";
    if (cfg->stem_pool > 0 && cfg->conv_kernel == 0)
        return "rbp_model_config.stem_pool (--stem-pool) needs a convolutional stem (conv_kernel > 0, --conv-kernel)";
    return NULL;
}

/* ------------------------------------------------------------------ parameter table */

static void fill_param_sizes(size_t *s, const rbp_model_config *cfg)
{
    /* all products fit in size_t: the config check bounds every factor */
    const size_t C = (size_t)cfg->d_model, NL = (size_t)cfg->n_layers, F = (size_t)cfg->d_ff;
    const size_t H = (size_t)cfg->head_hidden, Le = (size_t)rbp__model_encoder_length(cfg);
    const size_t P = cfg->pooling == RBP_POOL_FLATTEN ? Le * C : C; /* flatten reads the encoder's positions */
    s[P_TOK] = (size_t)RBP_VOCAB_SIZE * C;
    s[P_STR] = cfg->use_structure ? (size_t)RBP_STRUCT_VOCAB_SIZE * C : 0;
    s[P_VIEW] = cfg->use_viewpoint ? 2 * C : 0;
    s[P_QKVW] = NL * 3 * C * C;
    s[P_QKVB] = NL * 3 * C;
    s[P_ATTPROJW] = NL * C * C;
    s[P_ATTPROJB] = NL * C;
    s[P_LN1W] = NL * C;
    s[P_LN1B] = NL * C;
    s[P_FCW] = NL * F * C;
    s[P_FCB] = NL * F;
    s[P_FCPROJW] = NL * C * F;
    s[P_FCPROJB] = NL * C;
    s[P_LN2W] = NL * C;
    s[P_LN2B] = NL * C;
    s[P_LNFW] = cfg->norm == RBP_NORM_PRE ? C : 0;
    s[P_LNFB] = cfg->norm == RBP_NORM_PRE ? C : 0;
    s[P_HEAD1W] = H * P;
    s[P_HEAD1B] = H;
    s[P_HEAD2W] = H;
    s[P_HEAD2B] = 1;
    const size_t S = stem_width(cfg), proj = cfg->conv_kernel && cfg->stem_filters ? 1 : 0;
    s[P_STEMW] = (size_t)cfg->conv_kernel * C * S;
    s[P_STEMB] = cfg->conv_kernel ? S : 0;
    s[P_STEMPW] = proj * C * S;
    s[P_STEMPB] = proj * C;
}

/* the llm.c pointer walk: consecutive views into one buffer; empty tensors are NULL */
static void point_params(params *v, float *mem, const size_t *sizes)
{
    float *p = mem;
    for (int i = 0; i < NUM_PARAM_TENSORS; i++) {
        v->t[i] = sizes[i] ? p : NULL;
        p += sizes[i];
    }
}

int rbp__model_param_info(const rbp_model *m, rbp__param_info *out, int max)
{
    if (!m)
        return 0;
    int n = 0;
    size_t off = 0;
    for (int i = 0; i < NUM_PARAM_TENSORS; i++) {
        if (m->param_sizes[i] == 0)
            continue;
        if (out && n < max) {
            out[n].name = param_names[i];
            out[n].offset = off;
            out[n].size = m->param_sizes[i];
            /* weight decay is conventionally applied to the dense matrices only */
            out[n].is_matrix = i == P_QKVW || i == P_ATTPROJW || i == P_FCW || i == P_FCPROJW || i == P_HEAD1W ||
                               i == P_HEAD2W || i == P_STEMW || i == P_STEMPW;
        }
        off += m->param_sizes[i];
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ initialisation */

/* x[i] = U(-bound, bound) from the counter RNG: stream = tensor id, index = element */
static void init_uniform(float *x, size_t n, float bound, uint64_t seed, uint64_t stream)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (2.0f * rbp__rng_uniform(seed, stream, (uint64_t)i) - 1.0f) * bound;
}

static float glorot(size_t fan_in, size_t fan_out)
{
    return sqrtf(6.0f / (float)(fan_in + fan_out));
}

static void init_params(rbp_model *m)
{
    const rbp_model_config *cfg = &m->cfg;
    const size_t C = (size_t)cfg->d_model, F = (size_t)cfg->d_ff, H = (size_t)cfg->head_hidden;
    const size_t P = m->param_sizes[P_HEAD1W] / H;
    const uint64_t seed = cfg->seed;
    float bound[NUM_PARAM_TENSORS] = {0};
    bound[P_TOK] = bound[P_STR] = bound[P_VIEW] = 0.05f; /* Keras Embedding default */
    bound[P_QKVW] = glorot(C, C);                         /* each of W_q, W_k, W_v is (C, C) */
    bound[P_ATTPROJW] = glorot(C, C);
    bound[P_FCW] = glorot(C, F);
    bound[P_FCPROJW] = glorot(F, C);
    bound[P_HEAD1W] = glorot(P, H);
    bound[P_HEAD2W] = glorot(H, 1);
    bound[P_STEMW] = glorot((size_t)cfg->conv_kernel * C, stem_width(cfg)); /* fan_in K*C, fan_out S */
    bound[P_STEMPW] = glorot(stem_width(cfg), C);

    /* biases stay 0 (the caller zeroed the buffer) */
    for (int i = 0; i < NUM_PARAM_TENSORS; i++) {
        if (!m->param_sizes[i])
            continue;
        if (bound[i] > 0.0f)
            init_uniform(m->p.t[i], m->param_sizes[i], bound[i], seed, (uint64_t)i + 1);
        else if (i == P_LN1W || i == P_LN2W || i == P_LNFW)
            rbp__fill(m->p.t[i], 1.0f, m->param_sizes[i]);
    }
}

/* ------------------------------------------------------------------ create / free */

/* A model of `members` members with cfg's architecture: member 0 initialised from cfg->seed,
 * the others zero (the caller fills them). */
static rbp_status model_new(rbp_model **out, const rbp_model_config *cfg, int32_t members, const char *fn)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(cfg);
    const char *why = rbp_model_config_check(cfg);
    if (why)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: invalid config: %s", fn, why);

    rbp_model *m = rbp__calloc(1, sizeof *m);
    if (!m)
        return rbp__oom();
    rbp__model_config_current(&m->cfg, cfg); /* the version was checked above */
    cfg = &m->cfg;
    fill_param_sizes(m->param_sizes, cfg);
    for (int i = 0; i < NUM_PARAM_TENSORS; i++)
        m->member_params += m->param_sizes[i];
    m->n_members = members;
    m->num_params = m->member_params * (size_t)members; /* members <= RBP_MAX_MEMBERS */
    const size_t L = (size_t)cfg->seq_len, C = (size_t)cfg->d_model;
    m->param_mem = rbp__malloc_aligned(m->num_params * sizeof(float));
    m->pe = rbp__malloc_aligned(L * C * sizeof(float));
    if (!m->param_mem || !m->pe) {
        rbp_model_free(m);
        return rbp__oom();
    }
    point_params(&m->p, m->param_mem, m->param_sizes);
    rbp__positional_encoding(m->pe, cfg->seq_len, cfg->d_model);
    memset(m->param_mem, 0, m->num_params * sizeof(float));
    init_params(m);
    rbp__blas_check(); /* warns once if OpenBLAS runs far below the CPU's vector width */
    *out = m;
    return RBP_OK;
}

rbp_status rbp_model_create(rbp_model **out, const rbp_model_config *cfg)
{
    return model_new(out, cfg, 1, "rbp_model_create");
}

rbp_status rbp__model_create_members(rbp_model **out, const rbp_model_config *cfg, int32_t members)
{
    RBP_CHECK(members >= 1 && members <= RBP_MAX_MEMBERS, RBP_ERR_INVALID_ARG,
              "an ensemble has 1..%d members, not %d", RBP_MAX_MEMBERS, (int)members);
    return model_new(out, cfg, members, "rbp_model_create");
}

int32_t rbp_model_num_members(const rbp_model *model)
{
    if (!model) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_num_members: argument 'model' is NULL");
        return 0;
    }
    return model->n_members;
}

rbp_status rbp_model_ensemble(rbp_model **out, const rbp_model *const *models, int32_t n)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(models);
    RBP_CHECK(n >= 1, RBP_ERR_INVALID_ARG, "rbp_model_ensemble: n = %d, expected >= 1", (int)n);
    int32_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        RBP_CHECK(models[i] != NULL, RBP_ERR_INVALID_ARG, "rbp_model_ensemble: models[%d] is NULL", (int)i);
        char diff[160];
        if (rbp__ckpt_config_diff(&models[i]->cfg, &models[0]->cfg, diff, sizeof diff))
            return rbp__set_error(RBP_ERR_INVALID_ARG,
                                  "rbp_model_ensemble: models[%d] has another architecture than models[0]: %s", (int)i,
                                  diff);
        total += models[i]->n_members;
        RBP_CHECK(total <= RBP_MAX_MEMBERS, RBP_ERR_INVALID_ARG,
                  "rbp_model_ensemble: more than %d members (RBP_MAX_MEMBERS)", RBP_MAX_MEMBERS);
    }
    rbp_model *m = NULL;
    RBP_TRY(model_new(&m, &models[0]->cfg, total, "rbp_model_ensemble"));
    float *dst = m->param_mem;
    for (int32_t i = 0; i < n; i++) {
        memcpy(dst, models[i]->param_mem, models[i]->num_params * sizeof(float));
        dst += models[i]->num_params;
    }
    /* the first model's description (protein, encoding, ...) describes the ensemble */
    rbp_status st = models[0]->meta ? rbp__meta_copy(&m->meta, models[0]->meta) : RBP_OK;
    if (st == RBP_OK)
        st = rbp_model_meta_set_int(m, "ensemble.members", total);
    if (st != RBP_OK) {
        rbp_model_free(m);
        return st;
    }
    *out = m;
    return RBP_OK;
}

rbp_status rbp_model_member(rbp_model **out, const rbp_model *model, int32_t i)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(model);
    RBP_CHECK(i >= 0 && i < model->n_members, RBP_ERR_INVALID_ARG,
              "rbp_model_member: member %d of a model with %d member%s", (int)i, (int)model->n_members,
              model->n_members == 1 ? "" : "s");
    rbp_model *m = NULL;
    RBP_TRY(model_new(&m, &model->cfg, 1, "rbp_model_member"));
    memcpy(m->param_mem, model->param_mem + (size_t)i * model->member_params, m->num_params * sizeof(float));
    rbp_status st = model->meta ? rbp__meta_copy(&m->meta, model->meta) : RBP_OK;
    if (st == RBP_OK && rbp_model_meta_type(m, "ensemble.members") != RBP_META_NONE)
        st = rbp_model_meta_remove(m, "ensemble.members");
    if (st != RBP_OK) {
        rbp_model_free(m);
        return st;
    }
    *out = m;
    return RBP_OK;
}

void rbp_model_free(rbp_model *m)
{
    if (!m)
        return;
    rbp__free_aligned(m->param_mem);
    rbp__free_aligned(m->pe);
    rbp__meta_free(m->meta);
    rbp__free(m);
}

rbp__meta **rbp__model_meta(rbp_model *m)
{
    return &m->meta;
}

const rbp__meta *rbp__model_meta_const(const rbp_model *m)
{
    return m->meta;
}

size_t rbp__model_config_num_params(const rbp_model_config *cfg)
{
    size_t s[NUM_PARAM_TENSORS], n = 0;
    fill_param_sizes(s, cfg);
    for (int i = 0; i < NUM_PARAM_TENSORS; i++)
        n += s[i];
    return n;
}

rbp_status rbp_model_get_config(const rbp_model *model, rbp_model_config *cfg)
{
    RBP_CHECK_NULL(model);
    RBP_CHECK_NULL(cfg);
    *cfg = model->cfg;
    return RBP_OK;
}

size_t rbp_model_num_params(const rbp_model *model)
{
    if (!model) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_num_params: argument 'model' is NULL");
        return 0;
    }
    return model->num_params;
}

float *rbp_model_params(rbp_model *model)
{
    if (!model) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_params: argument 'model' is NULL");
        return NULL;
    }
    return model->param_mem;
}

const float *rbp__model_params_const(const rbp_model *m)
{
    return m ? m->param_mem : NULL;
}

/* ------------------------------------------------------------------ per-session state */

rbp_status rbp__state_create(rbp__state **out, const rbp_model *m)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(m);
    rbp__state *s = rbp__calloc(1, sizeof *s);
    if (!s)
        return rbp__oom();
    s->cfg = m->cfg;
    s->p = m->p; /* the model's buffer never moves, so the views stay valid */
    s->pe = m->pe;
    s->pbase = m->param_mem;
    memcpy(s->psizes, m->param_sizes, sizeof s->psizes);
    s->n_members = m->n_members;
    s->num_params = m->member_params;
    *out = s;
    return RBP_OK;
}

void rbp__state_free(rbp__state *s)
{
    if (!s)
        return;
    rbp__free_aligned(s->grad_mem);
    rbp__free_aligned(s->ws.mem);
    rbp__free(s);
}

float *rbp__session_grads(rbp_session *s)
{
    return s && s->st ? s->st->grad_mem : NULL;
}

void rbp__session_zero_grad(rbp_session *s)
{
    if (s && s->st && s->st->grad_mem)
        memset(s->st->grad_mem, 0, s->st->num_params * sizeof(float));
}

/* ------------------------------------------------------------------ workspace sizing */

/* Whether the stem reads its windows in place (the same answer for the whole process). */
static int stem_direct(void)
{
    return rbp__sgemm_window_ok();
}

/* a *= b with overflow detection */
static int mul_into(size_t *a, size_t b)
{
    return rbp__mul_size(*a, b, a);
}

/* act_sizes[] for a batch of B examples; returns -1 on size_t overflow */
static int fill_act_sizes(size_t *s, const rbp_model_config *cfg, size_t B, int train, int32_t members)
{
    const size_t L = (size_t)cfg->seq_len, C = (size_t)cfg->d_model, NL = (size_t)cfg->n_layers;
    const size_t F = (size_t)cfg->d_ff, H = (size_t)cfg->head_hidden, NH = (size_t)cfg->n_heads;
    const int pre = cfg->norm == RBP_NORM_PRE, gelu = cfg->activation == RBP_ACT_GELU;
    const int pooled = cfg->pooling != RBP_POOL_FLATTEN;
    const size_t K = (size_t)cfg->conv_kernel, Le = (size_t)rbp__model_encoder_length(cfg);
    const int spool = cfg->stem_pool > 1;
    size_t N = B, NC, NS, Ne = B, NeC, NeF; /* input positions; the encoder's (Le per example) */
    int bad = mul_into(&N, L); /* tokens */
    NC = N;
    bad |= mul_into(&NC, C);
    bad |= mul_into(&Ne, Le);
    NeC = Ne;
    bad |= mul_into(&NeC, C);
    NeF = Ne;
    bad |= mul_into(&NeF, F);
    for (int i = 0; i < NUM_ACTS; i++)
        s[i] = 0;
    s[A_EMB] = s[A_X0] = NC;
    s[A_TMP] = NeC;
    s[A_SPOOL] = s[A_SPARG] = spool ? NeC : 0;
    s[A_SPMASK] = spool ? (Ne + 3) / 4 : 0; /* uint8 */
    s[A_QKV] = NeC;
    bad |= mul_into(&s[A_QKV], 3);
    s[A_ASCR] = rbp__mha_scratch_floats((int)Le, (int)C, (int)NH);
    s[A_ATT] = train ? rbp__mha_kept_floats((int)B, (int)Le, (int)NH) : 0; /* 0: recomputed */
    s[A_CTX] = s[A_RES1] = s[A_LN1] = s[A_RES2] = s[A_LN2] = NeC;
    s[A_LN1_MEAN] = s[A_LN1_RSTD] = s[A_LN2_MEAN] = s[A_LN2_RSTD] = Ne;
    s[A_H] = NeF;
    s[A_HP] = gelu ? NeF : 0;
    for (int i = A_QKV; i <= A_LN2_RSTD; i++) /* one slice per layer */
        bad |= mul_into(&s[i], NL);
    s[A_LNF] = pre ? NeC : 0;
    s[A_LNF_MEAN] = s[A_LNF_RSTD] = pre ? Ne : 0;
    s[A_POOLED] = s[A_ARGMAX] = pooled ? B * C : 0;
    s[A_HID] = B * H;
    s[A_LOGITS] = B;
    s[A_TOKENS] = s[A_MASK] = s[A_VIEW] = s[A_STRUCT] = (N + 3) / 4; /* uint8 */
    if (K) {
        s[A_STEM] = NC;
        NS = N;
        bad |= mul_into(&NS, stem_width(cfg));
        s[A_STEMH] = NS;
        s[A_COL] = NC;
        bad |= mul_into(&s[A_COL], K); /* the im2col matrix, the larger of the two layouts */
        if (!bad)
            s[A_COL] = rbp__conv_stem_col_floats(stem_direct(), (int)B, (int)L, (int)C, (int)K);
    }
    if (members > 1 || spool) {
        s[A_MAPS] = NH * Le;
        bad |= mul_into(&s[A_MAPS], Le);
    }
    if (members > 1) {
        bad |= mul_into(&s[A_QKV], (size_t)members);
        s[A_LOGSUM] = B;
    }
    if (train) {
        s[A_ONES] = members > 1 ? B : 0;
        s[A_DX0] = s[A_DX1] = s[A_DEMB] = NC; /* the stem's and the input block's gradients too */
        s[A_DRES] = s[A_DMID] = s[A_DCTX] = NeC;
        s[A_DH] = NeF;
        s[A_DQKV] = NeC;
        bad |= mul_into(&s[A_DQKV], 3);
        s[A_DHID] = B * H;
        s[A_DPOOLED] = pooled ? B * C : 0;
        s[A_DCOL] = K && !bad ? rbp__conv_stem_scratch_floats(stem_direct(), (int)B, (int)L, (int)C,
                                                              (int)stem_width(cfg), (int)K)
                              : 0;
        s[A_DSTEMH] = s[A_STEMH];
    }
    return bad ? -1 : 0;
}

/* The workspace of B examples: sizes[] (floats, each padded to a 64-byte line) and the
 * per-layer strides of the stacked tensors; returns the total in floats, 0 if it overflows
 * (a float count that fits in size_t bytes). */
static size_t act_layout(const rbp__state *s, size_t B, int train, size_t *sizes, size_t *ws_stride)
{
    if (fill_act_sizes(sizes, &s->cfg, B, train, s->n_members) != 0)
        return 0;
    size_t total = 0;
    for (int i = 0; i < NUM_ACTS; i++) {
        const int stacked = i >= A_QKV && i <= A_LN2_RSTD;
        const size_t slices = (size_t)s->cfg.n_layers * (size_t)(i == A_QKV ? s->n_members : 1);
        ws_stride[i] = stacked ? sizes[i] / slices : 0;
        sizes[i] = (sizes[i] + 15) & ~(size_t)15; /* every tensor starts on a 64-byte line */
        if (total + sizes[i] < total)
            return 0;
        total += sizes[i];
    }
    return total > SIZE_MAX / sizeof(float) ? 0 : total;
}

/* Make the workspace hold B examples (and the training tensors when train). Only grows. */
static rbp_status reserve(rbp__state *s, int32_t B, int train)
{
    workspace *ws = &s->ws;
    if (ws->mem && B <= ws->B && (!train || ws->train))
        return RBP_OK;
    const int32_t newB = B > ws->B ? B : ws->B;
    const int newtrain = train || ws->train;
    size_t sizes[NUM_ACTS], ws_stride[NUM_ACTS];
    const size_t total = act_layout(s, (size_t)newB, newtrain, sizes, ws_stride);
    if (!total)
        return rbp__set_error(RBP_ERR_NOMEM, "model workspace for a batch of %d is too large", (int)newB);
    if (newtrain && !s->grad_mem) {
        /* only training and saliency differentiate: inference sessions carry no gradients */
        s->grad_mem = rbp__malloc_aligned(s->num_params * sizeof(float));
        if (!s->grad_mem)
            return rbp__set_error(RBP_ERR_NOMEM, "out of memory allocating the gradient buffer (%zu parameters)",
                                  s->num_params);
        memset(s->grad_mem, 0, s->num_params * sizeof(float));
        rbp_model_config c = s->cfg;
        size_t psizes[NUM_PARAM_TENSORS];
        fill_param_sizes(psizes, &c);
        point_params(&s->g, s->grad_mem, psizes);
    }
    float *mem = rbp__malloc_aligned(total * sizeof(float));
    if (!mem)
        return rbp__set_error(RBP_ERR_NOMEM, "out of memory allocating the model workspace (%zu MiB for a batch of %d)",
                              total * sizeof(float) >> 20, (int)newB);
    rbp__free_aligned(ws->mem);
    ws->mem = mem;
    ws->B = newB;
    ws->train = newtrain;
    float *p = mem;
    for (int i = 0; i < NUM_ACTS; i++) {
        ws->sizes[i] = sizes[i];
        ws->layer_stride[i] = ws_stride[i];
        ws->a[i] = sizes[i] ? p : NULL;
        p += sizes[i];
    }
    /* the saved activations are gone */
    s->fwd_B = 0;
    s->bwd_valid = 0;
    return RBP_OK;
}

/* Bytes of a training workspace for B rows; 0 on overflow. */
static size_t workspace_bytes(const rbp__state *s, size_t B)
{
    size_t sizes[NUM_ACTS], strides[NUM_ACTS];
    return act_layout(s, B, 1, sizes, strides) * sizeof(float);
}

int32_t rbp__session_train_rows(const rbp_session *ss, int32_t rows, size_t budget)
{
    /* the workspace is affine in B: fixed + B * per_row */
    const rbp__state *s = ss->st;
    const size_t one = workspace_bytes(s, 1), two = workspace_bytes(s, 2);
    if (!one || two <= one)
        return rows;
    const size_t per_row = two - one, fixed = one - per_row;
    const size_t fit = budget > fixed ? (budget - fixed) / per_row : 0;
    if (fit >= (size_t)rows)
        return rows;
    return fit < 1 ? 1 : (int32_t)fit;
}

rbp_status rbp__session_reserve(rbp_session *ss, int32_t B)
{
    RBP_CHECK_NULL(ss);
    RBP_CHECK(B >= 1, RBP_ERR_INVALID_ARG, "rbp__session_reserve: B = %d, expected >= 1", (int)B);
    return reserve(ss->st, B, 1);
}

rbp_status rbp__session_reserve_infer(rbp_session *ss, int32_t B)
{
    return reserve(ss->st, B, 0);
}

/* ------------------------------------------------------------------ views for the layers */

static uint8_t *ws_bytes(const rbp__state *s, int id)
{
    return (uint8_t *)s->ws.a[id];
}

/* per-layer slice of a stacked activation tensor: layer l of NL equal parts */
static float *slice(const rbp__state *s, int id, int l)
{
    return s->ws.a[id] ? s->ws.a[id] + (size_t)l * s->ws.layer_stride[id] : NULL;
}

/* Layer l's Q, K, V of member m: the members' blocks of n_layers slices follow one another, so
 * an ensemble's pass leaves every member's (a single model has only block 0). */
static float *member_qkv(const rbp__state *s, int32_t m, int l)
{
    return slice(s, A_QKV, (int)m * s->cfg.n_layers + l);
}

static rbp__encoder_dims layer_dims(const rbp__state *s, int32_t B, int l)
{
    const rbp_model_config *c = &s->cfg;
    rbp__encoder_dims d;
    d.B = B;
    d.T = rbp__model_encoder_length(c);
    d.C = c->d_model;
    d.NH = c->n_heads;
    d.F = c->d_ff;
    d.pre_norm = c->norm == RBP_NORM_PRE;
    d.act = c->activation == RBP_ACT_GELU ? RBP__ACT_GELU : RBP__ACT_RELU;
    d.eps = c->ln_eps;
    d.p = s->fwd_p;
    d.seed = s->fwd_seed;
    d.stream = s->fwd_step * n_sites(c) + 1 + 3 * (uint64_t)l;
    d.row0 = s->fwd_row0;
    return d;
}

static rbp__encoder_weights layer_weights(const params *v, const rbp_model_config *c, int l)
{
    const size_t C = (size_t)c->d_model, F = (size_t)c->d_ff, L = (size_t)l;
    rbp__encoder_weights w;
    w.attn.qkvw = v->t[P_QKVW] + L * 3 * C * C;
    w.attn.qkvb = v->t[P_QKVB] + L * 3 * C;
    w.attn.projw = v->t[P_ATTPROJW] + L * C * C;
    w.attn.projb = v->t[P_ATTPROJB] + L * C;
    w.ln1w = v->t[P_LN1W] + L * C;
    w.ln1b = v->t[P_LN1B] + L * C;
    w.ffn.fcw = v->t[P_FCW] + L * F * C;
    w.ffn.fcb = v->t[P_FCB] + L * F;
    w.ffn.projw = v->t[P_FCPROJW] + L * C * F;
    w.ffn.projb = v->t[P_FCPROJB] + L * C;
    w.ln2w = v->t[P_LN2W] + L * C;
    w.ln2b = v->t[P_LN2B] + L * C;
    return w;
}

static rbp__encoder_grads layer_grads(const params *v, const rbp_model_config *c, int l)
{
    /* same offsets as layer_weights, non-const */
    rbp__encoder_weights w = layer_weights(v, c, l);
    rbp__encoder_grads g;
    g.attn.qkvw = (float *)w.attn.qkvw;
    g.attn.qkvb = (float *)w.attn.qkvb;
    g.attn.projw = (float *)w.attn.projw;
    g.attn.projb = (float *)w.attn.projb;
    g.ln1w = (float *)w.ln1w;
    g.ln1b = (float *)w.ln1b;
    g.ffn.fcw = (float *)w.ffn.fcw;
    g.ffn.fcb = (float *)w.ffn.fcb;
    g.ffn.projw = (float *)w.ffn.projw;
    g.ffn.projb = (float *)w.ffn.projb;
    g.ln2w = (float *)w.ln2w;
    g.ln2b = (float *)w.ln2b;
    return g;
}

static rbp__encoder_acts layer_acts(const rbp__state *s, int l)
{
    rbp__encoder_acts a;
    a.attn.qkv = member_qkv(s, s->member, l);
    a.attn.att = slice(s, A_ATT, l);
    a.attn.scr = s->ws.a[A_ASCR];
    a.attn.ctx = slice(s, A_CTX, l);
    a.res1 = slice(s, A_RES1, l);
    a.ln1 = slice(s, A_LN1, l);
    a.ln1_mean = slice(s, A_LN1_MEAN, l);
    a.ln1_rstd = slice(s, A_LN1_RSTD, l);
    a.ffn.h = slice(s, A_H, l);
    a.ffn.hp = s->ws.a[A_HP] ? slice(s, A_HP, l) : NULL;
    a.res2 = slice(s, A_RES2, l);
    a.ln2 = slice(s, A_LN2, l);
    a.ln2_mean = slice(s, A_LN2_MEAN, l);
    a.ln2_rstd = slice(s, A_LN2_RSTD, l);
    return a;
}

static rbp__head_weights head_weights(const params *v)
{
    rbp__head_weights w = {v->t[P_HEAD1W], v->t[P_HEAD1B], v->t[P_HEAD2W], v->t[P_HEAD2B]};
    return w;
}

static rbp__head_acts head_acts(const rbp__state *s)
{
    rbp__head_acts a = {s->ws.a[A_POOLED], (int32_t *)(void *)s->ws.a[A_ARGMAX], s->ws.a[A_HID]};
    return a;
}

/* the encoder output fed to the head: last layer's output, or the final LN (pre-norm) */
static const float *encoder_top(const rbp__state *s, int32_t B)
{
    if (s->cfg.norm == RBP_NORM_PRE)
        return s->ws.a[A_LNF];
    rbp__encoder_acts a = layer_acts(s, s->cfg.n_layers - 1);
    rbp__encoder_dims d = layer_dims(s, B, s->cfg.n_layers - 1);
    return rbp__encoder_output(&a, &d);
}

/* ------------------------------------------------------------------ batch validation */

/* Check the batch against the model and copy it (tokens, mask as 0/1, structure, viewpoint)
 * into the workspace, so backward never reads caller memory. */
static rbp_status load_batch(rbp__state *s, const rbp_batch *batch, const char *fn)
{
    const rbp_model_config *c = &s->cfg;
    const int32_t B = batch->size, L = c->seq_len;
    const size_t N = (size_t)B * (size_t)L;
    uint8_t *tok = ws_bytes(s, A_TOKENS), *mask = ws_bytes(s, A_MASK);
    uint8_t *str = ws_bytes(s, A_STRUCT), *view = ws_bytes(s, A_VIEW);
    for (size_t i = 0; i < N; i++) {
        if (batch->tokens[i] >= RBP_VOCAB_SIZE)
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: batch->tokens[b=%zu, t=%zu] = %u is not a token (expected < %d)",
                                  fn, (size_t)s->fwd_row0 + i / (size_t)L, i % (size_t)L, (unsigned)batch->tokens[i],
                                  RBP_VOCAB_SIZE);
        tok[i] = batch->tokens[i];
    }
    if (batch->mask)
        for (size_t i = 0; i < N; i++)
            mask[i] = batch->mask[i] != 0;
    else
        memset(mask, 1, N);
    if (c->use_structure) {
        for (size_t i = 0; i < N; i++) {
            if (batch->structure[i] >= RBP_STRUCT_VOCAB_SIZE)
                return rbp__set_error(RBP_ERR_INVALID_ARG,
                                      "%s: batch->structure[b=%zu, t=%zu] = %u is not a structure token (expected < %d)",
                                      fn, (size_t)s->fwd_row0 + i / (size_t)L, i % (size_t)L, (unsigned)batch->structure[i],
                                      RBP_STRUCT_VOCAB_SIZE);
            str[i] = batch->structure[i];
        }
    }
    if (c->use_viewpoint) {
        for (size_t i = 0; i < N; i++) {
            if (batch->viewpoint[i] > 1)
                return rbp__set_error(RBP_ERR_INVALID_ARG,
                                      "%s: batch->viewpoint[b=%zu, t=%zu] = %u is not a viewpoint flag (expected 0 or 1)",
                                      fn, (size_t)s->fwd_row0 + i / (size_t)L, i % (size_t)L,
                                      (unsigned)batch->viewpoint[i]);
            view[i] = batch->viewpoint[i];
        }
    }
    return RBP_OK;
}

/* Argument checks shared by every entry point that takes a batch (before any reservation). */
static rbp_status check_batch(const rbp__state *s, const rbp_batch *batch, const char *fn)
{
    if (!batch)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'batch' is NULL", fn);
    if (batch->size < 1)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: batch->size = %d, expected >= 1", fn, (int)batch->size);
    if (batch->length != s->cfg.seq_len)
        return rbp__set_error(RBP_ERR_SHAPE, "%s: batch->length = %d but the model's (rbp_model_config.seq_len) is %d",
                              fn, (int)batch->length, (int)s->cfg.seq_len);
    if (!batch->tokens)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: batch->tokens is NULL", fn);
    if (s->cfg.use_structure && !batch->structure)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: the model uses structure but batch->structure is NULL", fn);
    if (s->cfg.use_viewpoint && !batch->viewpoint)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: the model uses the viewpoint but batch->viewpoint is NULL", fn);
    return RBP_OK;
}

/* ------------------------------------------------------------------ forward / backward */

/* The mask the encoder and the head see: the batch's, or the pooled windows' (stem_pool). */
static const uint8_t *encoder_mask(const rbp__state *s)
{
    return s->cfg.stem_pool > 1 ? ws_bytes(s, A_SPMASK) : ws_bytes(s, A_MASK);
}

/* The encoder's input: the pooled stem output, the stem output or the input block's. */
static const float *encoder_input(const rbp__state *s)
{
    return s->ws.a[s->cfg.stem_pool > 1 ? A_SPOOL : s->cfg.conv_kernel ? A_STEM : A_X0];
}

/* The forward pass over the batch already copied into the workspace. */
static void forward(rbp__state *s, int32_t B)
{
    const rbp_model_config *c = &s->cfg;
    const int L = c->seq_len, C = c->d_model;
    const uint8_t *mask = ws_bytes(s, A_MASK);
    rbp__input_weights iw = {s->p.t[P_TOK], s->p.t[P_STR], s->p.t[P_VIEW], s->pe};
    rbp__input_forward(s->ws.a[A_X0], s->ws.a[A_EMB], ws_bytes(s, A_TOKENS), ws_bytes(s, A_STRUCT),
                       ws_bytes(s, A_VIEW), &iw, B, L, C, s->fwd_p, s->fwd_seed, s->fwd_step * n_sites(c),
                       s->fwd_row0);
    const float *x = s->ws.a[A_X0];
    if (c->conv_kernel) {
        const rbp__conv_stem_weights sw = {s->p.t[P_STEMW], s->p.t[P_STEMB], s->p.t[P_STEMPW], s->p.t[P_STEMPB]};
        rbp__conv_stem_forward(s->ws.a[A_STEM], s->ws.a[A_COL], s->ws.a[A_STEMH], x, mask, &sw, B, L, C,
                               (int)stem_width(c), c->conv_kernel, stem_direct());
        x = s->ws.a[A_STEM];
    }
    if (c->stem_pool > 1) /* from here on the sequence has Le positions */
        rbp__windowpool_forward(s->ws.a[A_SPOOL], (int32_t *)(void *)s->ws.a[A_SPARG], ws_bytes(s, A_SPMASK), x, mask,
                                B, L, C, c->stem_pool);
    x = encoder_input(s);
    const uint8_t *emask = encoder_mask(s);
    const int Le = rbp__model_encoder_length(c);
    for (int l = 0; l < c->n_layers; l++) {
        rbp__encoder_acts a = layer_acts(s, l);
        rbp__encoder_weights w = layer_weights(&s->p, c, l);
        rbp__encoder_dims d = layer_dims(s, B, l);
        rbp__encoder_forward(&a, s->ws.a[A_TMP], x, emask, &w, &d);
        x = rbp__encoder_output(&a, &d);
    }
    if (c->norm == RBP_NORM_PRE) {
        rbp__layernorm_forward(s->ws.a[A_LNF], s->ws.a[A_LNF_MEAN], s->ws.a[A_LNF_RSTD], x, s->p.t[P_LNFW],
                               s->p.t[P_LNFB], B * Le, C, c->ln_eps);
        x = s->ws.a[A_LNF];
    }
    rbp__head_weights hw = head_weights(&s->p);
    rbp__head_acts ha = head_acts(s);
    rbp__head_forward(s->ws.a[A_LOGITS], &ha, x, emask, &hw, B, Le, C, c->head_hidden, (rbp__pool)c->pooling);
}

/* Check, copy and run one batch: training != 0 enables dropout; train_layout reserves the
 * backward tensors too (a pass that may be differentiated). */
static rbp_status run_forward(rbp__state *s, const rbp_batch *batch, uint64_t row0, int training,
                              int train_layout, uint64_t dropout_seed, uint64_t step, const char *fn)
{
    RBP_TRY(check_batch(s, batch, fn));
    RBP_TRY(reserve(s, batch->size, train_layout));
    s->fwd_B = 0; /* invalid until this pass completes */
    s->bwd_valid = 0;
    s->fwd_row0 = row0;
    RBP_TRY(load_batch(s, batch, fn));
    s->fwd_p = training ? s->cfg.dropout : 0.0f;
    s->fwd_seed = dropout_seed;
    s->fwd_step = step;
    forward(s, batch->size);
    s->fwd_B = batch->size;
    s->fwd_backprop = train_layout;
    return RBP_OK;
}

rbp_status rbp__model_forward_part(rbp_session *ss, const rbp_batch *batch, uint64_t row0, int training,
                                   uint64_t dropout_seed, uint64_t step, float *logits)
{
    RBP_CHECK_NULL(ss);
    rbp__state *s = ss->st;
    ss->split = 0;
    /* not a public name: the public callers prefix their own (rbp__wrap_error) */
    RBP_TRY(run_forward(s, batch, row0, training, 1, dropout_seed, step, "forward pass"));
    if (logits)
        memcpy(logits, s->ws.a[A_LOGITS], (size_t)batch->size * sizeof(float));
    return RBP_OK;
}

rbp_status rbp__model_forward(rbp_session *ss, const rbp_batch *batch, int training, uint64_t dropout_seed,
                              uint64_t step, float *logits)
{
    return rbp__model_forward_part(ss, batch, 0, training, dropout_seed, step, logits);
}

rbp_status rbp__model_backward(rbp_session *ss, const float *dlogits)
{
    RBP_CHECK_NULL(ss);
    RBP_CHECK_NULL(dlogits);
    rbp__state *s = ss->st;
    if (!s->fwd_B || !s->fwd_backprop)
        return rbp__set_error(RBP_ERR_STATE, "rbp__model_backward: no forward pass to differentiate (call "
                                             "rbp__model_forward first)");
    const rbp_model_config *c = &s->cfg;
    const int32_t B = s->fwd_B;
    const int L = c->seq_len, Le = rbp__model_encoder_length(c), C = c->d_model, N = B * L, Ne = B * Le;
    const size_t nbytes = (size_t)N * (size_t)C * sizeof(float), ebytes = (size_t)Ne * (size_t)C * sizeof(float);
    const uint8_t *mask = ws_bytes(s, A_MASK), *emask = encoder_mask(s);
    float *dx = s->ws.a[A_DX0], *dnext = s->ws.a[A_DX1];

    // head: d(encoder top)
    memset(dx, 0, ebytes);
    rbp__head_weights hw = head_weights(&s->p);
    rbp__head_grads hg = {s->g.t[P_HEAD1W], s->g.t[P_HEAD1B], s->g.t[P_HEAD2W], s->g.t[P_HEAD2B]};
    rbp__head_acts ha = head_acts(s);
    rbp__head_scratch hs = {s->ws.a[A_DHID], s->ws.a[A_DPOOLED]};
    rbp__head_backward(dx, &hg, &hs, dlogits, &ha, encoder_top(s, B), emask, &hw, B, Le, C, c->head_hidden,
                       (rbp__pool)c->pooling);

    // final layer norm (pre-norm)
    if (c->norm == RBP_NORM_PRE) {
        rbp__encoder_acts a = layer_acts(s, c->n_layers - 1);
        rbp__encoder_dims d = layer_dims(s, B, c->n_layers - 1);
        memset(dnext, 0, ebytes);
        rbp__layernorm_backward(dnext, s->g.t[P_LNFW], s->g.t[P_LNFB], dx, rbp__encoder_output(&a, &d),
                                s->p.t[P_LNFW], s->ws.a[A_LNF_MEAN], s->ws.a[A_LNF_RSTD], Ne, C);
        float *t = dx;
        dx = dnext;
        dnext = t;
    }

    // encoder layers, last to first
    rbp__encoder_scratch sc;
    sc.attn.dqkv = s->ws.a[A_DQKV];
    sc.attn.scr = s->ws.a[A_ASCR];
    sc.attn.dctx = s->ws.a[A_DCTX];
    sc.tmp = s->ws.a[A_TMP];
    sc.dres = s->ws.a[A_DRES];
    sc.dmid = s->ws.a[A_DMID];
    sc.dh = s->ws.a[A_DH];
    for (int l = c->n_layers - 1; l >= 0; l--) {
        rbp__encoder_acts a = layer_acts(s, l);
        rbp__encoder_weights w = layer_weights(&s->p, c, l);
        rbp__encoder_grads g = layer_grads(&s->g, c, l);
        rbp__encoder_dims d = layer_dims(s, B, l);
        const float *inp = encoder_input(s);
        if (l > 0) {
            rbp__encoder_acts prev = layer_acts(s, l - 1);
            inp = rbp__encoder_output(&prev, &d);
        }
        memset(dnext, 0, ebytes);
        rbp__encoder_backward(dnext, &g, &sc, dx, &a, inp, emask, &w, &d);
        float *t = dx;
        dx = dnext;
        dnext = t;
    }

    // pooling stem: d(windows) -> d(stem output), at each window's maximum
    if (c->stem_pool > 1) {
        memset(dnext, 0, nbytes);
        rbp__windowpool_backward(dnext, dx, (const int32_t *)(const void *)s->ws.a[A_SPARG], B, L, C, c->stem_pool);
        float *t = dx;
        dx = dnext;
        dnext = t;
    }

    // convolutional stem: d(stem output) -> d(input block output)
    if (c->conv_kernel) {
        memset(dnext, 0, nbytes);
        const rbp__conv_stem_weights sw = {s->p.t[P_STEMW], s->p.t[P_STEMB], s->p.t[P_STEMPW], s->p.t[P_STEMPB]};
        rbp__conv_stem_grads sg = {s->g.t[P_STEMW], s->g.t[P_STEMB], s->g.t[P_STEMPW], s->g.t[P_STEMPB]};
        rbp__conv_stem_backward(dnext, &sg, s->ws.a[A_DSTEMH], s->ws.a[A_DCOL], dx, s->ws.a[A_COL],
                                s->ws.a[A_STEMH], mask, &sw, B, L, C, (int)stem_width(c), c->conv_kernel,
                                stem_direct());
        float *t = dx;
        dx = dnext;
        dnext = t;
    }

    // input block: d(embedding sum) kept for saliency, embedding tables
    rbp__input_grads ig = {s->g.t[P_TOK], s->g.t[P_STR], s->g.t[P_VIEW]};
    rbp__input_backward(s->ws.a[A_DEMB], &ig, dx, ws_bytes(s, A_TOKENS), ws_bytes(s, A_STRUCT), ws_bytes(s, A_VIEW),
                        B, L, C, s->fwd_p, s->fwd_seed, s->fwd_step * n_sites(c), s->fwd_row0);
    s->bwd_valid = 1;
    return RBP_OK;
}

const float *rbp__session_input_embedding(const rbp_session *ss)
{
    const rbp__state *s = ss ? ss->st : NULL;
    return s && s->fwd_B ? s->ws.a[A_EMB] : NULL;
}

const float *rbp__session_input_embedding_grad(const rbp_session *ss)
{
    const rbp__state *s = ss ? ss->st : NULL;
    return s && s->fwd_B && s->bwd_valid ? s->ws.a[A_DEMB] : NULL;
}

/* ------------------------------------------------------------------ inference */

/* numerically stable logistic function */
static float sigmoid(float x)
{
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    const float e = expf(x);
    return e / (1.0f + e);
}

/* Point the state's parameter views at member m. */
static void select_member(rbp__state *s, int32_t m)
{
    point_params(&s->p, (float *)s->pbase + (size_t)m * s->num_params, s->psizes);
    s->member = m;
}

int32_t rbp__session_members(const rbp_session *ss)
{
    return ss->st->n_members;
}

void rbp__session_select_member(rbp_session *ss, int32_t m)
{
    select_member(ss->st, m);
}

rbp_status rbp__session_infer(rbp_session *ss, const rbp_batch *batch, uint64_t row0, float *out, int want_logits,
                              const char *fn)
{
    rbp__state *s = ss->st;
    ss->split = 0;
    const float *logits;
    if (s->n_members == 1) {
        RBP_TRY(run_forward(s, batch, row0, 0, 0, 0, 0, fn));
        logits = s->ws.a[A_LOGITS]; /* the pass may have sized the workspace */
    } else {
        /* An ensemble predicts the mean of its members' logits. The members run one after the
         * other in this workspace (the last forward's other tensors are the last member's;
         * each writes its Q, K, V into its own block, for rbp_session_attention). */
        const size_t B = (size_t)batch->size;
        for (int32_t m = 0; m < s->n_members; m++) {
            select_member(s, m);
            rbp_status st = run_forward(s, batch, row0, 0, 0, 0, 0, fn);
            if (st != RBP_OK) {
                select_member(s, 0);
                return st;
            }
            if (m == 0)
                memcpy(s->ws.a[A_LOGSUM], s->ws.a[A_LOGITS], B * sizeof(float));
            else
                rbp__axpy(s->ws.a[A_LOGSUM], 1.0f, s->ws.a[A_LOGITS], B);
        }
        select_member(s, 0);
        rbp__scale(s->ws.a[A_LOGSUM], 1.0f / (float)s->n_members, B);
        logits = s->ws.a[A_LOGSUM];
    }
    const int probs = !want_logits && s->cfg.task == RBP_TASK_CLASSIFICATION;
    for (int32_t b = 0; b < batch->size; b++)
        out[b] = probs ? sigmoid(logits[b]) : logits[b];
    return RBP_OK;
}

float *rbp__session_ones(rbp_session *ss, int32_t B)
{
    rbp__state *s = ss->st;
    if (!s->ws.a[A_ONES] || B > s->ws.B)
        return NULL;
    rbp__fill(s->ws.a[A_ONES], 1.0f, (size_t)B);
    return s->ws.a[A_ONES];
}

void rbp__session_forget(rbp_session *ss)
{
    ss->st->fwd_B = 0;
    ss->st->bwd_valid = 0;
    ss->split = 0;
}

/* A pooling stem's maps (NH,Le,Le) over windows as (NH,L,L) over positions, written (or added
 * when add): a query position gets its window's row, and a key window's weight is shared
 * equally by its real positions, so every row still sums to 1 over the real keys. */
static void expand_maps(float *dst, const float *maps, const uint8_t *mask_b, int L, int Le, int P, int NH, int add)
{
    for (int u = 0; u < Le; u++) { /* key window u: positions j0 .. j1-1 */
        const int j0 = u * P, j1 = j0 + P < L ? j0 + P : L;
        int real = 0;
        for (int j = j0; j < j1; j++)
            real += mask_b[j] != 0;
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < L; i++) {
                const float r = maps[((size_t)h * (size_t)Le + (size_t)(i / P)) * (size_t)Le + (size_t)u];
                const float w = real ? r / (float)real : 0.0f;
                float *o = dst + ((size_t)h * (size_t)L + (size_t)i) * (size_t)L;
                for (int j = j0; j < j1; j++) {
                    const float v = mask_b[j] ? w : 0.0f;
                    o[j] = add ? o[j] + v : v;
                }
            }
    }
}

rbp_status rbp_session_attention(const rbp_session *session, int32_t example, float *out)
{
    RBP_CHECK_NULL(session);
    RBP_CHECK_NULL(out);
    const rbp__state *s = session->st;
    /* after a batch split among the session's threads, part k holds its rows (session.c) */
    int32_t B = s->fwd_B;
    if (session->split > 1 && s->fwd_B) {
        B = session->split_rows;
        if (example >= 0 && example < B) {
            int k = session->split - 1;
            while (k > 0 && (int64_t)example < (int64_t)rbp__session_part(session, k)->st->fwd_row0)
                k--;
            s = rbp__session_part(session, k)->st;
            example -= (int32_t)s->fwd_row0;
        }
    }
    if (!s->fwd_B)
        return rbp__set_error(RBP_ERR_STATE, "rbp_session_attention: no forward pass has been run on this session");
    if (example < 0 || example >= B)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_session_attention: example %d is outside the last batch [0, %d)",
                              (int)example, (int)B);
    const size_t L = (size_t)s->cfg.seq_len, NH = (size_t)s->cfg.n_heads;
    const size_t per_example = NH * L * L;
    const int pooled = s->cfg.stem_pool > 1, Le = rbp__model_encoder_length(&s->cfg);
    const uint8_t *mask_b = ws_bytes(s, A_MASK) + (size_t)example * L;
    /* recomputed from the saved Q and K (the pass keeps no (B,NH,L,L) tensor); the session's
     * attention scratch is free between passes. An ensemble's pass (inference or saliency)
     * ran every member, each keeping its Q and K: the maps are the members' mean. */
    const int32_t M = s->n_members;
    for (int l = 0; l < s->cfg.n_layers; l++) {
        float *dst = out + (size_t)l * per_example;
        rbp__encoder_acts a = layer_acts(s, l);
        for (int32_t m = 0; m < M; m++) {
            a.attn.qkv = member_qkv(s, m, l);
            float *maps = m == 0 && !pooled ? dst : s->ws.a[A_MAPS];
            rbp__mha_probs(maps, &a.attn, encoder_mask(s), example, Le, s->cfg.d_model, (int)NH);
            if (pooled)
                expand_maps(dst, maps, mask_b, (int)L, Le, s->cfg.stem_pool, (int)NH, m > 0);
            else if (m > 0)
                rbp__axpy(dst, 1.0f, maps, per_example);
        }
        if (M > 1)
            rbp__scale(dst, 1.0f / (float)M, per_example);
    }
    return RBP_OK;
}

/* ------------------------------------------------------------------ views for tests */

void rbp__session_pass_view(const rbp_session *ss, rbp__pass_view *v)
{
    memset(v, 0, sizeof *v);
    const rbp__state *s = ss ? ss->st : NULL;
    if (!s || !s->fwd_B)
        return;
    v->B = s->fwd_B;
    v->stem_in = s->cfg.conv_kernel ? s->ws.a[A_X0] : NULL;
    v->stem_out = s->cfg.conv_kernel ? s->ws.a[A_STEM] : NULL;
    v->Le = rbp__model_encoder_length(&s->cfg);
    v->top = encoder_top(s, s->fwd_B);
    v->head_in = s->cfg.pooling == RBP_POOL_FLATTEN ? v->top : s->ws.a[A_POOLED];
    v->mask = ws_bytes(s, A_MASK);
    v->emask = encoder_mask(s);
}

const float *rbp__session_ffn_input(const rbp_session *ss, int32_t layer)
{
    const rbp__state *s = ss ? ss->st : NULL;
    if (!s || !s->fwd_B || layer < 0 || layer >= s->cfg.n_layers)
        return NULL;
    rbp__encoder_acts a = layer_acts(s, layer);
    return s->cfg.norm == RBP_NORM_PRE ? a.ln2 : a.ln1;
}
