/*
 * io/checkpoint.c - reading and writing the checkpoint format described in
 * docs/checkpoint.md.
 *
 * Every field is serialised one by one in little-endian order (never a struct image, whose
 * padding and byte order depend on the compiler and machine), followed by float32 arrays
 * and a CRC32 (zlib) of all preceding bytes. Writes go through rbp_atomic_file (temporary
 * file, fsync, rename), so a crash leaves either the old file or the new one. Reads
 * verify magic, version, sizes and checksum before a single header value is trusted, so a
 * damaged file gives RBP_ERR_FORMAT instead of a huge allocation or a crash.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/checkpoint.h"
#include "rbpattn/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---------------------------------------------------------------- little-endian codecs */

static void put_u32(uint8_t *p, uint32_t x)
{
    p[0] = (uint8_t)x;
    p[1] = (uint8_t)(x >> 8);
    p[2] = (uint8_t)(x >> 16);
    p[3] = (uint8_t)(x >> 24);
}

static void put_u64(uint8_t *p, uint64_t x)
{
    put_u32(p, (uint32_t)x);
    put_u32(p + 4, (uint32_t)(x >> 32));
}

static void put_f32(uint8_t *p, float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    put_u32(p, u);
}

static void put_f64(uint8_t *p, double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    put_u64(p, u);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static int32_t get_i32(const uint8_t *p)
{
    uint32_t u = get_u32(p);
    int32_t x;
    memcpy(&x, &u, 4); /* two's complement reinterpretation without implementation-defined casts */
    return x;
}

static float get_f32(const uint8_t *p)
{
    uint32_t u = get_u32(p);
    float x;
    memcpy(&x, &u, 4);
    return x;
}

static double get_f64(const uint8_t *p)
{
    uint64_t u = get_u64(p);
    double x;
    memcpy(&x, &u, 8);
    return x;
}

#define put_i32(p, x) put_u32((p), (uint32_t)(x))
#define put_i64(p, x) put_u64((p), (uint64_t)(x))
#define get_i64(p) ((int64_t)get_u64(p))

/* ---------------------------------------------------------------- header */

/* Size of the model part of the header (where the trainer block starts) in format `version`. */
static uint32_t model_header_size(uint32_t version)
{
    return version == 1   ? RBP__CKPT_V1_MODEL_HEADER_SIZE
           : version == 2 ? RBP__CKPT_V2_MODEL_HEADER_SIZE
           : version == 3 ? RBP__CKPT_V3_MODEL_HEADER_SIZE
           : version <= 5 ? RBP__CKPT_V5_MODEL_HEADER_SIZE
                          : RBP__CKPT_MODEL_HEADER_SIZE;
}

static uint32_t header_size_for(uint32_t version, uint32_t flags)
{
    /* the trainer block is the same since format 5 (format 4's ends before ema_decay) */
    const uint32_t train = (version >= 5 ? RBP__CKPT_V5_TRAINER_HEADER_SIZE : RBP__CKPT_V4_TRAINER_HEADER_SIZE) -
                           RBP__CKPT_V5_MODEL_HEADER_SIZE;
    return model_header_size(version) + ((flags & RBP__CKPT_HAS_TRAINER) ? train : 0u);
}

static uint32_t arrays_for(uint32_t flags)
{
    return 1u + ((flags & RBP__CKPT_HAS_TRAINER) ? 2u : 0u) + ((flags & RBP__CKPT_HAS_BEST) ? 1u : 0u) +
           ((flags & RBP__CKPT_HAS_EMA) ? 1u : 0u);
}

/* Flags a file of `version` may carry: known bits, the trainer's arrays only with its block. */
static int flags_valid(uint32_t flags, uint32_t version)
{
    if (flags & ~RBP__CKPT_KNOWN_FLAGS)
        return 0;
    if ((flags & (RBP__CKPT_HAS_BEST | RBP__CKPT_HAS_EMA)) && !(flags & RBP__CKPT_HAS_TRAINER))
        return 0;
    return !(flags & RBP__CKPT_HAS_EMA) || version >= 5;
}

/* Serialise h into buf (header_size_for(version, h->flags) bytes) in format `version`, with a
 * metadata block of meta_size bytes (format 3). Offsets: docs/checkpoint.md. */
static void encode_header(uint8_t *b, const rbp__ckpt_header *h, uint32_t version, uint32_t meta_size)
{
    const rbp_model_config *mc = &h->model;
    memcpy(b, RBP__CKPT_MAGIC, 4);
    put_u32(b + 4, version);
    put_u32(b + 8, header_size_for(version, h->flags));
    put_u32(b + 12, h->flags);
    /* formats before 4 predate configuration version 2 (which only added stem_filters), formats
     * before 6 version 3 (which only added stem_pool) */
    put_u32(b + 16, version < 4 ? 1u : version < 6 ? 2u : mc->version);
    put_i32(b + 20, mc->seq_len);
    put_i32(b + 24, mc->d_model);
    put_i32(b + 28, mc->n_heads);
    put_i32(b + 32, mc->n_layers);
    put_i32(b + 36, mc->d_ff);
    put_i32(b + 40, mc->head_hidden);
    put_f32(b + 44, mc->dropout);
    put_f32(b + 48, mc->ln_eps);
    put_i32(b + 52, mc->task);
    put_i32(b + 56, mc->norm);
    put_i32(b + 60, mc->activation);
    put_i32(b + 64, mc->pooling);
    put_i32(b + 68, mc->use_structure);
    put_i32(b + 72, mc->use_viewpoint);
    put_u64(b + 76, mc->seed);
    put_u64(b + 84, h->num_params);
    if (version >= 2)
        put_i32(b + 92, mc->conv_kernel); /* format 2 */
    if (version >= 3)
        put_u32(b + 96, meta_size); /* format 3 */
    if (version >= 4)
        put_i32(b + 100, mc->stem_filters); /* format 4 */
    if (version >= 6)
        put_i32(b + 104, mc->stem_pool); /* format 6 */
    if (!(h->flags & RBP__CKPT_HAS_TRAINER))
        return;
    /* the trainer block follows the model part; its offsets below are those of format 1 */
    b += model_header_size(version) - RBP__CKPT_V1_MODEL_HEADER_SIZE;
    const rbp_train_config *tc = &h->train.cfg;
    put_u32(b + 92, tc->version);
    put_i32(b + 96, tc->epochs);
    put_i32(b + 100, tc->batch_size);
    put_i32(b + 104, tc->optimizer);
    put_f32(b + 108, tc->lr);
    put_f32(b + 112, tc->lr_scale);
    put_f32(b + 116, tc->beta1);
    put_f32(b + 120, tc->beta2);
    put_f32(b + 124, tc->eps);
    put_f32(b + 128, tc->weight_decay);
    put_i32(b + 132, tc->schedule);
    put_i32(b + 136, tc->warmup_steps);
    put_f32(b + 140, tc->clip_norm);
    put_f32(b + 144, tc->pos_weight);
    put_u64(b + 148, tc->seed);
    put_i32(b + 156, tc->patience);
    put_i32(b + 160, tc->monitor);
    put_i32(b + 164, tc->restore_best);
    put_i32(b + 168, tc->eval_batch_size);
    put_i64(b + 172, h->train.step);
    put_i32(b + 180, h->train.epoch);
    put_i32(b + 184, h->train.best_epoch);
    put_i32(b + 188, h->train.bad_epochs);
    put_f64(b + 192, h->train.best_value);
    if (version >= 5)
        put_f32(b + 200, tc->ema_decay);
}

static void decode_header(rbp__ckpt_header *h, const uint8_t *b)
{
    rbp_model_config *mc = &h->model;
    memset(h, 0, sizeof *h);
    h->format_version = get_u32(b + 4);
    h->header_size = get_u32(b + 8);
    h->flags = get_u32(b + 12);
    mc->version = get_u32(b + 16);
    mc->seq_len = get_i32(b + 20);
    mc->d_model = get_i32(b + 24);
    mc->n_heads = get_i32(b + 28);
    mc->n_layers = get_i32(b + 32);
    mc->d_ff = get_i32(b + 36);
    mc->head_hidden = get_i32(b + 40);
    mc->dropout = get_f32(b + 44);
    mc->ln_eps = get_f32(b + 48);
    mc->task = get_i32(b + 52);
    mc->norm = get_i32(b + 56);
    mc->activation = get_i32(b + 60);
    mc->pooling = get_i32(b + 64);
    mc->use_structure = get_i32(b + 68);
    mc->use_viewpoint = get_i32(b + 72);
    mc->seed = get_u64(b + 76);
    h->num_params = get_u64(b + 84);
    mc->conv_kernel = h->format_version >= 2 ? get_i32(b + 92) : 0; /* format 1 had no stem */
    h->meta_size = h->format_version >= 3 ? get_u32(b + 96) : 0;      /* no metadata before 3 */
    mc->stem_filters = h->format_version >= 4 ? get_i32(b + 100) : 0; /* no wide stem before 4 */
    mc->stem_pool = h->format_version >= 6 ? get_i32(b + 104) : 0;    /* no pooling before 6 */
    /* configuration versions 2 and 3 only added stem_filters and stem_pool: an older
     * configuration is the same model with them 0 */
    if (mc->version == 1 || mc->version == 2)
        mc->version = RBP_MODEL_CONFIG_VERSION;
    h->bad_array = -1;
    if (!(h->flags & RBP__CKPT_HAS_TRAINER))
        return;
    b += model_header_size(h->format_version) - RBP__CKPT_V1_MODEL_HEADER_SIZE;
    rbp_train_config *tc = &h->train.cfg;
    tc->version = get_u32(b + 92);
    tc->epochs = get_i32(b + 96);
    tc->batch_size = get_i32(b + 100);
    tc->optimizer = get_i32(b + 104);
    tc->lr = get_f32(b + 108);
    tc->lr_scale = get_f32(b + 112);
    tc->beta1 = get_f32(b + 116);
    tc->beta2 = get_f32(b + 120);
    tc->eps = get_f32(b + 124);
    tc->weight_decay = get_f32(b + 128);
    tc->schedule = get_i32(b + 132);
    tc->warmup_steps = get_i32(b + 136);
    tc->clip_norm = get_f32(b + 140);
    tc->pos_weight = get_f32(b + 144);
    tc->seed = get_u64(b + 148);
    tc->patience = get_i32(b + 156);
    tc->monitor = get_i32(b + 160);
    tc->restore_best = get_i32(b + 164);
    tc->eval_batch_size = get_i32(b + 168);
    tc->n_threads = 1; /* not stored: how a run is executed, not what it trains */
    h->train.step = get_i64(b + 172);
    h->train.epoch = get_i32(b + 180);
    h->train.best_epoch = get_i32(b + 184);
    h->train.bad_epochs = get_i32(b + 188);
    h->train.best_value = get_f64(b + 192);
    tc->ema_decay = h->format_version >= 5 ? get_f32(b + 200) : 0.0f; /* no weight average before 5 */
}

/* ---------------------------------------------------------------- writing */

typedef struct writer {
    FILE *f;
    uLong crc;
    int failed; /* errno of the first failed write, 0 if none */
} writer;

static void w_bytes(writer *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (fwrite(p, 1, n, w->f) != n) {
        w->failed = errno ? errno : EIO;
        return;
    }
    /* zlib's crc32 takes uInt lengths; our chunks are far below that */
    w->crc = crc32(w->crc, (const Bytef *)p, (uInt)n);
}

/* Floats in chunks through a byte buffer: the file is little-endian whatever the host is. */
#define CHUNK 4096

static void w_floats(writer *w, const float *x, uint64_t n)
{
    uint8_t buf[CHUNK * 4];
    for (uint64_t i = 0; i < n && !w->failed; i += CHUNK) {
        size_t k = (size_t)(n - i < CHUNK ? n - i : CHUNK);
        for (size_t j = 0; j < k; j++)
            put_f32(buf + 4 * j, x[i + j]);
        w_bytes(w, buf, 4 * k);
    }
}

rbp_status rbp__ckpt_write(const char *path, const rbp__ckpt_header *h, const float *params, const float *m,
                           const float *v, const float *best, const float *ema)
{
    RBP_CHECK_NULL(path);
    RBP_CHECK_NULL(h);
    RBP_CHECK_NULL(params);
    const uint32_t version = h->format_version == 0 ? RBP__CKPT_FORMAT_VERSION : h->format_version;
    if (!flags_valid(h->flags, version))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "checkpoint '%s': invalid flags 0x%x", path, (unsigned)h->flags);
    if ((h->flags & RBP__CKPT_HAS_TRAINER) && (m == NULL || v == NULL))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "checkpoint '%s': optimizer state missing", path);
    if ((h->flags & RBP__CKPT_HAS_BEST) && best == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "checkpoint '%s': best weights missing", path);
    if ((h->flags & RBP__CKPT_HAS_EMA) && ema == NULL)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "checkpoint '%s': weight average missing", path);

    if (version > RBP__CKPT_FORMAT_VERSION || (version == 1 && h->model.conv_kernel != 0) ||
        (version < 4 && h->model.stem_filters != 0) || (version < 6 && h->model.stem_pool != 0) ||
        (version < 5 && (h->flags & RBP__CKPT_HAS_TRAINER) && h->train.cfg.ema_decay != 0.0f) ||
        (version < 3 && h->meta != NULL))
        return rbp__set_error(RBP_ERR_INVALID_ARG, "checkpoint '%s': cannot write format %u with this content", path,
                              (unsigned)version);

    /* The metadata block is encoded first: an allocation failure must not leave a file. */
    size_t meta_size = version >= 3 ? rbp__meta_encoded_size(h->meta) : 0;
    uint8_t *meta_buf = NULL;
    if (meta_size > 0) {
        meta_buf = rbp__malloc(meta_size);
        if (!meta_buf)
            return rbp__oom();
        rbp__meta_encode(h->meta, meta_buf);
    }

    rbp_atomic_file *af;
    rbp_status st = rbp_atomic_file_open(&af, path);
    if (st != RBP_OK) {
        rbp__free(meta_buf);
        return st;
    }
    FILE *f = rbp_atomic_file_stream(af);

    uint8_t hdr[RBP__CKPT_TRAINER_HEADER_SIZE];
    memset(hdr, 0, sizeof hdr);
    encode_header(hdr, h, version, (uint32_t)meta_size);
    writer w = {f, crc32(0L, Z_NULL, 0), 0};
    w_bytes(&w, hdr, header_size_for(version, h->flags));
    w_floats(&w, params, h->num_params);
    if (h->flags & RBP__CKPT_HAS_TRAINER) {
        w_floats(&w, m, h->num_params);
        w_floats(&w, v, h->num_params);
    }
    if (h->flags & RBP__CKPT_HAS_BEST)
        w_floats(&w, best, h->num_params);
    if (h->flags & RBP__CKPT_HAS_EMA)
        w_floats(&w, ema, h->num_params);
    w_bytes(&w, meta_buf, meta_size);
    rbp__free(meta_buf);
    uint8_t trailer[4];
    put_u32(trailer, (uint32_t)w.crc);
    if (!w.failed && fwrite(trailer, 1, 4, f) != 4)
        w.failed = errno ? errno : EIO;
    if (w.failed) {
        rbp_atomic_file_abort(af);
        return rbp__set_error(RBP_ERR_IO, "writing checkpoint '%s': %s", path, strerror(w.failed));
    }
    return rbp_atomic_file_commit(af);
}

/* ---------------------------------------------------------------- reading */

static rbp_status read_exact(rbp__ckpt_reader *r, void *p, size_t n)
{
    if (fread(p, 1, n, r->f) != n) {
        if (ferror(r->f))
            return rbp__set_error(RBP_ERR_IO, "reading checkpoint '%s': %s", r->path, strerror(errno));
        return rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s' is truncated", r->path);
    }
    return RBP_OK;
}

static rbp_status fail(rbp__ckpt_reader *r, rbp_status st)
{
    if (r->f)
        fclose(r->f);
    r->f = NULL;
    rbp__meta_free(r->h.meta);
    r->h.meta = NULL;
    return st;
}

rbp_status rbp__ckpt_open(rbp__ckpt_reader *r, const char *path)
{
    RBP_CHECK_NULL(r);
    memset(r, 0, sizeof *r);
    RBP_CHECK_NULL(path);
    r->path = path;
    r->f = fopen(path, "rb");
    if (!r->f)
        return rbp__set_error(RBP_ERR_IO, "cannot open checkpoint '%s': %s", path, strerror(errno));

    struct stat sb;
    if (fstat(fileno(r->f), &sb) != 0)
        return fail(r, rbp__set_error(RBP_ERR_IO, "cannot stat checkpoint '%s': %s", path, strerror(errno)));
    if (!S_ISREG(sb.st_mode))
        return fail(r, rbp__set_error(RBP_ERR_IO, "checkpoint '%s' is not a regular file", path));
    const uint64_t fsize = (uint64_t)sb.st_size;

    /* 1. Fixed prefix: magic, version, header size, flags. */
    uint8_t hdr[RBP__CKPT_TRAINER_HEADER_SIZE];
    if (fsize < 16)
        return fail(r, rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s' is truncated (%llu bytes)", path,
                                      (unsigned long long)fsize));
    rbp_status st = read_exact(r, hdr, 16);
    if (st != RBP_OK)
        return fail(r, st);
    if (memcmp(hdr, RBP__CKPT_MAGIC, 4) != 0)
        return fail(r, rbp__set_error(RBP_ERR_FORMAT, "'%s' is not an rbpattn checkpoint (bad magic)", path));
    uint32_t version = get_u32(hdr + 4), hsize = get_u32(hdr + 8), flags = get_u32(hdr + 12);
    if (version > RBP__CKPT_FORMAT_VERSION)
        return fail(r, rbp__set_error(RBP_ERR_FORMAT,
                                      "checkpoint '%s' was written by a newer rbpattn (format %u > %u); "
                                      "upgrade rbpattn to read it",
                                      path, (unsigned)version, (unsigned)RBP__CKPT_FORMAT_VERSION));
    if (version == 0)
        return fail(r, rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': invalid format version 0", path));
    if (!flags_valid(flags, version))
        return fail(r, rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': unknown flags 0x%x", path, (unsigned)flags));
    if (hsize != header_size_for(version, flags))
        return fail(r, rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': header size %u, expected %u", path,
                                      (unsigned)hsize, (unsigned)header_size_for(version, flags)));
    if (fsize < (uint64_t)hsize + 4)
        return fail(r, rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s' is truncated (%llu bytes, header needs %u)",
                                      path, (unsigned long long)fsize, (unsigned)hsize + 4));
    st = read_exact(r, hdr + 16, hsize - 16);
    if (st != RBP_OK)
        return fail(r, st);

    /* 2. Size: header + arrays + metadata + CRC must be exactly the file (no overflow for any
     * count), and the metadata size is bounded before its buffer is allocated. */
    uint64_t n = get_u64(hdr + 84);
    uint64_t n_arrays = arrays_for(flags);
    uint64_t meta_size = version >= 3 ? get_u32(hdr + 96) : 0;
    if (version >= 3 && (meta_size < 8 || meta_size > (uint64_t)RBP_META_BYTES_MAX))
        return fail(r, rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': corrupt file: metadata size %llu (must be 8..%d)",
                                      path, (unsigned long long)meta_size, RBP_META_BYTES_MAX));
    if (n > (UINT64_MAX - hsize - 4 - meta_size) / (4 * n_arrays) ||
        (uint64_t)hsize + 4 * n_arrays * n + meta_size + 4 != fsize)
        return fail(r, rbp__set_error(RBP_ERR_FORMAT,
                                      "checkpoint '%s' is truncated or has trailing data: %llu bytes, header "
                                      "announces %llu parameters x %u arrays and %llu bytes of metadata",
                                      path, (unsigned long long)fsize, (unsigned long long)n,
                                      (unsigned)n_arrays, (unsigned long long)meta_size));
    if (n > SIZE_MAX / sizeof(float))
        return fail(r, rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': %llu parameters do not fit in memory",
                                      path, (unsigned long long)n));

    /* 3. CRC32 over everything before the trailer; on the way, find the first non-finite
     * float of the arrays (the caller names its tensor) and keep the metadata bytes. */
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, hdr, hsize);
    uint8_t buf[CHUNK * 4];
    int32_t bad_array = -1, bad_negative = 0;
    uint64_t bad_index = 0, pos = 0;
    for (uint64_t left = 4 * n_arrays * n; left > 0;) {
        size_t k = (size_t)(left < sizeof buf ? left : sizeof buf);
        st = read_exact(r, buf, k);
        if (st != RBP_OK)
            return fail(r, st);
        crc = crc32(crc, buf, (uInt)k);
        for (size_t j = 0; bad_array < 0 && j < k; j += 4, pos++) {
            uint32_t u = get_u32(buf + j);
            /* Adam's second moment is a mean of squares: a negative one would make the first
             * step after a resume take a square root of it (NaN weights). */
            int negative_v = (flags & RBP__CKPT_HAS_TRAINER) && pos / n == 2 && (u & 0x80000000u) &&
                             (u & 0x7FFFFFFFu);
            if ((u & 0x7F800000u) == 0x7F800000u || negative_v) {
                bad_array = (int32_t)(pos / n);
                if (bad_array == 3 && !(flags & RBP__CKPT_HAS_BEST))
                    bad_array = 4; /* numbered as if every array were present */
                bad_index = pos % n;
                bad_negative = negative_v && (u & 0x7F800000u) != 0x7F800000u;
            }
        }
        left -= k;
    }
    uint8_t *meta_buf = NULL;
    if (meta_size > 0) {
        meta_buf = rbp__malloc((size_t)meta_size);
        if (!meta_buf)
            return fail(r, rbp__oom());
        st = read_exact(r, meta_buf, (size_t)meta_size);
        if (st != RBP_OK) {
            rbp__free(meta_buf);
            return fail(r, st);
        }
        crc = crc32(crc, meta_buf, (uInt)meta_size);
    }
    uint8_t trailer[4];
    st = read_exact(r, trailer, 4);
    if (st == RBP_OK && get_u32(trailer) != (uint32_t)crc)
        st = rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s' is corrupted (CRC32 %08x, file says %08x)", path,
                            (unsigned)crc, (unsigned)get_u32(trailer));

    /* 4. Only now trust the fields. */
    rbp__meta *meta = NULL;
    if (st == RBP_OK)
        st = meta_buf ? rbp__meta_decode(&meta, meta_buf, (size_t)meta_size, path) : rbp__meta_new(&meta);
    rbp__free(meta_buf);
    if (st != RBP_OK)
        return fail(r, st);
    rbp__meta_set_file_format(meta, (int32_t)version);
    decode_header(&r->h, hdr);
    r->h.meta = meta;
    r->h.bad_array = bad_array;
    r->h.bad_index = bad_index;
    r->h.bad_negative = bad_negative;
    if (flags & RBP__CKPT_HAS_TRAINER) {
        const char *why = rbp_train_config_check(&r->h.train.cfg);
        if (why)
            return fail(r, rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': invalid training config: %s", path, why));
        const rbp__ckpt_train *t = &r->h.train;
        if (t->step < 0 || t->epoch < 0 || t->best_epoch < -1 || t->best_epoch >= t->epoch || t->bad_epochs < 0 ||
            t->bad_epochs > t->epoch || ((flags & RBP__CKPT_HAS_BEST) && t->best_epoch < 0))
            return fail(r, rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': inconsistent training counters", path));
    }
    if (fseeko(r->f, (off_t)hsize, SEEK_SET) != 0)
        return fail(r, rbp__set_error(RBP_ERR_IO, "seeking in checkpoint '%s': %s", path, strerror(errno)));
    return RBP_OK;
}

static rbp_status read_floats(rbp__ckpt_reader *r, float *x, uint64_t n)
{
    uint8_t buf[CHUNK * 4];
    if (x == NULL) /* skip this array */
        return fseeko(r->f, (off_t)(4 * n), SEEK_CUR) == 0
                   ? RBP_OK
                   : rbp__set_error(RBP_ERR_IO, "seeking in checkpoint '%s': %s", r->path, strerror(errno));
    for (uint64_t i = 0; i < n; i += CHUNK) {
        size_t k = (size_t)(n - i < CHUNK ? n - i : CHUNK);
        RBP_TRY(read_exact(r, buf, 4 * k));
        for (size_t j = 0; j < k; j++)
            x[i + j] = get_f32(buf + 4 * j);
    }
    return RBP_OK;
}

rbp_status rbp__ckpt_read_arrays(rbp__ckpt_reader *r, float *params, float *m, float *v, float *best, float *ema)
{
    RBP_CHECK_NULL(r);
    RBP_CHECK(r->f != NULL, RBP_ERR_STATE, "rbp__ckpt_read_arrays: checkpoint is not open");
    const uint32_t flags = r->h.flags;
    RBP_CHECK((m == NULL && v == NULL) || (flags & RBP__CKPT_HAS_TRAINER), RBP_ERR_FORMAT,
              "checkpoint '%s' holds no optimizer state", r->path);
    RBP_CHECK(best == NULL || (flags & RBP__CKPT_HAS_BEST), RBP_ERR_FORMAT,
              "checkpoint '%s' holds no best-epoch weights", r->path);
    RBP_CHECK(ema == NULL || (flags & RBP__CKPT_HAS_EMA), RBP_ERR_FORMAT, "checkpoint '%s' holds no weight average",
              r->path);
    const uint64_t n = r->h.num_params;
    if (fseeko(r->f, (off_t)r->h.header_size, SEEK_SET) != 0)
        return rbp__set_error(RBP_ERR_IO, "seeking in checkpoint '%s': %s", r->path, strerror(errno));
    RBP_TRY(read_floats(r, params, n));
    if (flags & RBP__CKPT_HAS_TRAINER) {
        RBP_TRY(read_floats(r, m, n));
        RBP_TRY(read_floats(r, v, n));
    }
    if (flags & RBP__CKPT_HAS_BEST)
        RBP_TRY(read_floats(r, best, n));
    if (ema)
        RBP_TRY(read_floats(r, ema, n));
    return RBP_OK;
}

void rbp__ckpt_close(rbp__ckpt_reader *r)
{
    if (!r)
        return;
    if (r->f) {
        fclose(r->f);
        r->f = NULL;
    }
    rbp__meta_free(r->h.meta);
    r->h.meta = NULL;
}

const char *rbp__ckpt_config_diff(const rbp_model_config *a, const rbp_model_config *b, char *buf, size_t cap)
{
#define DIFF_I(field)                                                                                      \
    if (a->field != b->field) {                                                                            \
        snprintf(buf, cap, #field " %ld vs %ld", (long)a->field, (long)b->field);                         \
        return buf;                                                                                        \
    }
#define DIFF_F(field)                                                                                      \
    if (memcmp(&a->field, &b->field, sizeof(float)) != 0) {                                                \
        snprintf(buf, cap, #field " %.9g vs %.9g", (double)a->field, (double)b->field);                   \
        return buf;                                                                                        \
    }
    DIFF_I(seq_len)
    DIFF_I(d_model)
    DIFF_I(n_heads)
    DIFF_I(n_layers)
    DIFF_I(d_ff)
    DIFF_I(head_hidden)
    DIFF_F(dropout)
    DIFF_F(ln_eps)
    DIFF_I(task)
    DIFF_I(norm)
    DIFF_I(activation)
    DIFF_I(pooling)
    DIFF_I(use_structure)
    DIFF_I(use_viewpoint)
    DIFF_I(conv_kernel)
    DIFF_I(stem_filters)
    DIFF_I(stem_pool)
#undef DIFF_I
#undef DIFF_F
    return NULL;
}
