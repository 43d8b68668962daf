/*
 * model/metadata.c - the typed key/value store of a model (rbpattn/metadata.h), its encoding
 * in format-3 checkpoints, and the input encoding it records (rbp_dataset_options_from_model).
 *
 * A sorted array of entries: lookups are binary searches, and the encoded block comes out in
 * the same byte order whatever order keys were set in (same model, same file). The encoded
 * size is kept up to date so a setter can refuse what the reader would refuse.
 */
#define _POSIX_C_SOURCE 200809L
#include "model/metadata_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rbpattn/version.h"

typedef struct entry {
    char *key;
    int32_t type; /* rbp_meta_type */
    int64_t i;
    double d;
    char *s;
    size_t slen;
} entry;

struct rbp__meta {
    entry *e;
    size_t n, cap;
    size_t bytes;       /* encoded size of the whole block */
    int32_t file_format; /* format of the file it was loaded from, 0 = none */
};

#define BLOCK_PREFIX 8u /* u32 version + u32 count */

static size_t entry_bytes(size_t klen, int32_t type, size_t slen)
{
    return 2 + klen + 1 + (type == RBP_META_STRING ? 4 + slen : 8);
}

/* ---------------------------------------------------------------- validation */

/* NULL when the key is valid, else why not. */
static const char *key_problem(const char *key, size_t len)
{
    if (len == 0)
        return "is empty";
    if (len > RBP_META_KEY_MAX)
        return "is longer than RBP_META_KEY_MAX (64) bytes";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return "may hold only letters, digits, '_', '.' and '-'";
    }
    return NULL;
}

/* Well-formed UTF-8 without NUL bytes (shortest forms only, no surrogates). */
static int utf8_ok(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1, cp = c & 0x1Fu;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0Fu;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, cp = c & 0x07u;
        } else {
            return 0;
        }
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3Fu);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* ---------------------------------------------------------------- the store */

static void entry_clear(entry *x)
{
    rbp__free(x->key);
    rbp__free(x->s);
}

void rbp__meta_free(rbp__meta *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        entry_clear(&m->e[i]);
    rbp__free(m->e);
    rbp__free(m);
}

static rbp__meta *meta_new(void)
{
    rbp__meta *m = rbp__calloc(1, sizeof *m);
    if (m)
        m->bytes = BLOCK_PREFIX;
    return m;
}

rbp_status rbp__meta_new(rbp__meta **out)
{
    *out = meta_new();
    return *out ? RBP_OK : rbp__oom();
}

void rbp__meta_set_file_format(rbp__meta *m, int32_t format)
{
    if (m)
        m->file_format = format;
}

/* Index of `key`, or -(insertion point) - 1. */
static long find(const rbp__meta *m, const char *key, size_t klen)
{
    size_t lo = 0, hi = m ? m->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = m->e[mid].key;
        size_t kl = strlen(k);
        int c = memcmp(k, key, kl < klen ? kl : klen);
        if (c == 0)
            c = kl < klen ? -1 : kl > klen ? 1 : 0;
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = rbp__malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/*
 * Set key = value in *slot (creating the store). The checks are those of the reader, with
 * messages naming `what` (the function, or the file for decoding).
 */
static rbp_status meta_put(rbp__meta **slot, const char *key, size_t klen, int32_t type, int64_t i, double d,
                           const char *s, size_t slen, const char *what)
{
    const char *why = key_problem(key, klen);
    if (why)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: metadata key '%.*s' %s", what, (int)(klen < 80 ? klen : 80),
                              key, why);
    if (type == RBP_META_STRING) {
        if (slen > RBP_META_STRING_MAX)
            return rbp__set_error(RBP_ERR_INVALID_ARG,
                                  "%s: value of metadata key '%.*s' has %zu bytes (at most RBP_META_STRING_MAX = %d)",
                                  what, (int)klen, key, slen, RBP_META_STRING_MAX);
        if (!utf8_ok((const uint8_t *)s, slen))
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: value of metadata key '%.*s' is not valid UTF-8", what,
                                  (int)klen, key);
    }
    if (!*slot && !(*slot = meta_new()))
        return rbp__oom();
    rbp__meta *m = *slot;
    long at = find(m, key, klen);
    size_t add = entry_bytes(klen, type, slen), drop = 0;
    if (at >= 0)
        drop = entry_bytes(klen, m->e[at].type, m->e[at].slen);
    else if (m->n >= RBP_META_MAX_ENTRIES)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: metadata is full (RBP_META_MAX_ENTRIES = %d keys)", what,
                              RBP_META_MAX_ENTRIES);
    if (m->bytes - drop + add > (size_t)RBP_META_BYTES_MAX)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: metadata would exceed RBP_META_BYTES_MAX (%d bytes) with key '%.*s'",
                              what, RBP_META_BYTES_MAX, (int)klen, key);
    char *sv = NULL;
    if (type == RBP_META_STRING && !(sv = dup_n(s, slen)))
        return rbp__oom();
    if (at < 0) {
        if (m->n == m->cap) {
            size_t cap = m->cap ? 2 * m->cap : 16;
            entry *e = rbp__realloc(m->e, cap * sizeof *e);
            if (!e) {
                rbp__free(sv);
                return rbp__oom();
            }
            m->e = e;
            m->cap = cap;
        }
        char *kv = dup_n(key, klen);
        if (!kv) {
            rbp__free(sv);
            return rbp__oom();
        }
        size_t pos = (size_t)(-at - 1);
        memmove(m->e + pos + 1, m->e + pos, (m->n - pos) * sizeof *m->e);
        m->n++;
        at = (long)pos;
        memset(&m->e[at], 0, sizeof m->e[at]);
        m->e[at].key = kv;
    }
    entry *x = &m->e[at];
    rbp__free(x->s);
    x->type = type;
    x->i = i;
    x->d = d;
    x->s = sv;
    x->slen = slen;
    m->bytes = m->bytes - drop + add;
    return RBP_OK;
}

/* Room every store keeps for the keys a save adds (task, rbpattn.version, created,
 * encoding.length: 4 entries, well under 4 KiB), so that a save never fails on a full store. */
#define SAVE_KEYS 4
#define SAVE_BYTES 4096

/* meta_put with the limits of the setters: the hard ones minus the room a save needs. */
static rbp_status user_put(rbp__meta **slot, const char *key, size_t klen, int32_t type, int64_t i, double d,
                           const char *s, size_t slen, const char *what)
{
    const rbp__meta *m = *slot;
    if (m && !key_problem(key, klen) && slen <= RBP_META_STRING_MAX) {
        long at = find(m, key, klen);
        size_t drop = at >= 0 ? entry_bytes(klen, m->e[at].type, m->e[at].slen) : 0;
        if (at < 0 && m->n >= RBP_META_MAX_ENTRIES - SAVE_KEYS)
            return rbp__set_error(RBP_ERR_INVALID_ARG,
                                  "%s: metadata is full (RBP_META_MAX_ENTRIES = %d keys, %d of them kept for "
                                  "the keys a save adds)",
                                  what, RBP_META_MAX_ENTRIES, SAVE_KEYS);
        if (m->bytes - drop + entry_bytes(klen, type, slen) > (size_t)RBP_META_BYTES_MAX - SAVE_BYTES)
            return rbp__set_error(RBP_ERR_INVALID_ARG,
                                  "%s: metadata would exceed RBP_META_BYTES_MAX (%d bytes, %d of them kept for the "
                                  "keys a save adds) with key '%.*s'",
                                  what, RBP_META_BYTES_MAX, SAVE_BYTES, (int)klen, key);
    }
    return meta_put(slot, key, klen, type, i, d, s, slen, what);
}

rbp_status rbp__meta_copy(rbp__meta **out, const rbp__meta *src)
{
    *out = NULL;
    if (!src)
        return RBP_OK;
    rbp__meta *m = meta_new();
    if (!m)
        return rbp__oom();
    for (size_t k = 0; k < src->n; k++) {
        const entry *x = &src->e[k];
        rbp_status st = meta_put(&m, x->key, strlen(x->key), x->type, x->i, x->d, x->s, x->slen, "copy");
        if (st != RBP_OK) {
            rbp__meta_free(m);
            return st;
        }
    }
    m->file_format = src->file_format;
    *out = m;
    return RBP_OK;
}

/* ---------------------------------------------------------------- encoding */

static void put_u32(uint8_t *p, uint32_t x)
{
    for (int k = 0; k < 4; k++)
        p[k] = (uint8_t)(x >> (8 * k));
}

static void put_u64(uint8_t *p, uint64_t x)
{
    for (int k = 0; k < 8; k++)
        p[k] = (uint8_t)(x >> (8 * k));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

size_t rbp__meta_encoded_size(const rbp__meta *m)
{
    return m ? m->bytes : BLOCK_PREFIX;
}

void rbp__meta_encode(const rbp__meta *m, uint8_t *p)
{
    put_u32(p, RBP__META_VERSION);
    put_u32(p + 4, m ? (uint32_t)m->n : 0u);
    p += BLOCK_PREFIX;
    for (size_t k = 0; m && k < m->n; k++) {
        const entry *x = &m->e[k];
        size_t kl = strlen(x->key);
        p[0] = (uint8_t)kl;
        p[1] = (uint8_t)(kl >> 8);
        memcpy(p + 2, x->key, kl);
        p += 2 + kl;
        *p++ = (uint8_t)x->type;
        if (x->type == RBP_META_STRING) {
            put_u32(p, (uint32_t)x->slen);
            memcpy(p + 4, x->s, x->slen);
            p += 4 + x->slen;
        } else {
            uint64_t u;
            if (x->type == RBP_META_INT)
                memcpy(&u, &x->i, 8);
            else
                memcpy(&u, &x->d, 8);
            put_u64(p, u);
            p += 8;
        }
    }
}

rbp_status rbp__meta_decode(rbp__meta **out, const uint8_t *b, size_t n, const char *path)
{
    *out = NULL;
#define CORRUPT(...)                                                                                                  \
    do {                                                                                                              \
        char why_[160];                                                                                               \
        snprintf(why_, sizeof why_, __VA_ARGS__);                                                                     \
        rbp__meta_free(m);                                                                                            \
        return rbp__set_error(RBP_ERR_FORMAT, "checkpoint '%s': corrupt file: metadata %s", path, why_);                 \
    } while (0)
    rbp__meta *m = meta_new();
    if (!m)
        return rbp__oom();
    if (n < BLOCK_PREFIX)
        CORRUPT("block of %zu bytes, at least %u needed", n, BLOCK_PREFIX);
    uint32_t version = get_u32(b), count = get_u32(b + 4);
    if (version == 0 || version > RBP__META_VERSION) {
        rbp__meta_free(m);
        return rbp__set_error(RBP_ERR_FORMAT,
                              "checkpoint '%s': metadata version %u is not known to this rbpattn (at most %u)", path,
                              (unsigned)version, (unsigned)RBP__META_VERSION);
    }
    /* the smallest entry (1-byte key, integer) has 12 bytes: a count the block cannot hold is
     * refused before anything is read */
    if (count > RBP_META_MAX_ENTRIES || (uint64_t)count * 12u > n - BLOCK_PREFIX)
        CORRUPT("block announces %u entries, its %zu bytes hold at most %zu", (unsigned)count, n,
                (n - BLOCK_PREFIX) / 12u < RBP_META_MAX_ENTRIES ? (n - BLOCK_PREFIX) / 12u : RBP_META_MAX_ENTRIES);
    size_t at = BLOCK_PREFIX;
    const char *prev = NULL;
    size_t prev_len = 0;
    for (uint32_t k = 0; k < count; k++) {
        if (n - at < 2)
            CORRUPT("entry %u: truncated key length", (unsigned)k + 1);
        size_t kl = (size_t)b[at] | (size_t)b[at + 1] << 8;
        at += 2;
        if (kl == 0 || kl > RBP_META_KEY_MAX)
            CORRUPT("entry %u: key length %zu (must be 1..%d)", (unsigned)k + 1, kl, RBP_META_KEY_MAX);
        if (n - at < kl + 1)
            CORRUPT("entry %u: key of %zu bytes runs past the end of the block", (unsigned)k + 1, kl);
        const char *key = (const char *)b + at;
        at += kl;
        if (key_problem(key, kl))
            CORRUPT("entry %u: invalid key", (unsigned)k + 1);
        if (prev) {
            int c = memcmp(prev, key, prev_len < kl ? prev_len : kl);
            if (c > 0 || (c == 0 && prev_len >= kl))
                CORRUPT("entry %u: key '%.*s' out of order or repeated", (unsigned)k + 1, (int)kl, key);
        }
        prev = key;
        prev_len = kl;
        int32_t type = b[at++];
        int64_t iv = 0;
        double dv = 0;
        const char *sv = NULL;
        size_t sl = 0;
        if (type == RBP_META_STRING) {
            if (n - at < 4)
                CORRUPT("entry '%.*s': truncated string length", (int)kl, key);
            uint32_t len = get_u32(b + at);
            at += 4;
            if (len > RBP_META_STRING_MAX || len > n - at)
                CORRUPT("entry '%.*s': string of %u bytes, %zu left in the block (at most %d allowed)", (int)kl, key,
                        (unsigned)len, n - at, RBP_META_STRING_MAX);
            sv = (const char *)b + at;
            sl = len;
            at += len;
        } else if (type == RBP_META_INT || type == RBP_META_DOUBLE) {
            if (n - at < 8)
                CORRUPT("entry '%.*s': truncated value", (int)kl, key);
            uint64_t u = get_u64(b + at);
            at += 8;
            if (type == RBP_META_INT)
                memcpy(&iv, &u, 8);
            else
                memcpy(&dv, &u, 8);
        } else {
            CORRUPT("entry '%.*s': unknown value type %d", (int)kl, key, (int)type);
        }
        rbp_status st = meta_put(&m, key, kl, type, iv, dv, sv, sl, path);
        if (st == RBP_ERR_NOMEM) {
            rbp__meta_free(m);
            return st;
        }
        if (st != RBP_OK)
            CORRUPT("entry '%.*s': %s", (int)kl, key, type == RBP_META_STRING ? "string is not valid UTF-8" : "invalid");
    }
    if (at != n)
        CORRUPT("block has %zu bytes after the last entry", n - at);
#undef CORRUPT
    *out = m;
    return RBP_OK;
}

/* ---------------------------------------------------------------- public API */

static const entry *lookup(const rbp_model *model, const char *key)
{
    const rbp__meta *m = rbp__model_meta_const(model);
    long at = find(m, key, strlen(key));
    return at >= 0 ? &m->e[at] : NULL;
}

static rbp_status set_any(rbp_model *model, const char *key, int32_t type, int64_t i, double d, const char *s,
                          const char *fn)
{
    if (!model)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'model' is NULL", fn);
    if (!key)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'key' is NULL", fn);
    if (type == RBP_META_STRING && !s)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'value' is NULL", fn);
    size_t slen = 0;
    if (s) {
        /* strnlen bounds the scan of a runaway string */
        slen = strnlen(s, (size_t)RBP_META_STRING_MAX + 1);
    }
    return user_put(rbp__model_meta(model), key, strnlen(key, RBP_META_KEY_MAX + 1), type, i, d, s, slen, fn);
}

rbp_status rbp_model_meta_set_string(rbp_model *model, const char *key, const char *value)
{
    return set_any(model, key, RBP_META_STRING, 0, 0, value, __func__);
}

rbp_status rbp_model_meta_set_int(rbp_model *model, const char *key, int64_t value)
{
    return set_any(model, key, RBP_META_INT, value, 0, NULL, __func__);
}

rbp_status rbp_model_meta_set_double(rbp_model *model, const char *key, double value)
{
    return set_any(model, key, RBP_META_DOUBLE, 0, value, NULL, __func__);
}

rbp_status rbp_model_meta_remove(rbp_model *model, const char *key)
{
    RBP_CHECK_NULL(model);
    RBP_CHECK_NULL(key);
    rbp__meta *m = *rbp__model_meta(model);
    long at = find(m, key, strlen(key));
    if (at < 0)
        return RBP_OK;
    entry *x = &m->e[at];
    m->bytes -= entry_bytes(strlen(x->key), x->type, x->slen);
    entry_clear(x);
    memmove(m->e + at, m->e + at + 1, (m->n - (size_t)at - 1) * sizeof *m->e);
    m->n--;
    return RBP_OK;
}

size_t rbp_model_meta_count(const rbp_model *model)
{
    if (!model) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_meta_count: argument 'model' is NULL");
        return 0;
    }
    const rbp__meta *m = rbp__model_meta_const(model);
    return m ? m->n : 0;
}

const char *rbp_model_meta_key(const rbp_model *model, size_t index)
{
    if (!model) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_meta_key: argument 'model' is NULL");
        return NULL;
    }
    const rbp__meta *m = rbp__model_meta_const(model);
    if (!m || index >= m->n) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_meta_key: index %zu out of range (%zu keys)", index,
                       m ? m->n : 0);
        return NULL;
    }
    return m->e[index].key;
}

rbp_meta_type rbp_model_meta_type(const rbp_model *model, const char *key)
{
    if (!model || !key) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_meta_type: argument '%s' is NULL", model ? "key" : "model");
        return RBP_META_NONE;
    }
    const entry *x = lookup(model, key);
    return x ? (rbp_meta_type)x->type : RBP_META_NONE;
}

static const char *type_name(int32_t t)
{
    return t == RBP_META_STRING ? "a string" : t == RBP_META_INT ? "an integer" : "a double";
}

static rbp_status get_entry(const rbp_model *model, const char *key, const void *value, const entry **x,
                            const char *fn)
{
    if (!model || !key || !value)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument '%s' is NULL", fn,
                              !model ? "model" : !key ? "key" : "value");
    *x = lookup(model, key);
    if (!*x)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: no metadata key '%.64s'", fn, key);
    return RBP_OK;
}

rbp_status rbp_model_meta_get_string(const rbp_model *model, const char *key, const char **value)
{
    const entry *x;
    RBP_TRY(get_entry(model, key, value, &x, __func__));
    if (x->type != RBP_META_STRING)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: metadata key '%s' is %s, not a string", __func__, key,
                              type_name(x->type));
    *value = x->s;
    return RBP_OK;
}

rbp_status rbp_model_meta_get_int(const rbp_model *model, const char *key, int64_t *value)
{
    const entry *x;
    RBP_TRY(get_entry(model, key, value, &x, __func__));
    if (x->type != RBP_META_INT)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: metadata key '%s' is %s, not an integer", __func__, key,
                              type_name(x->type));
    *value = x->i;
    return RBP_OK;
}

rbp_status rbp_model_meta_get_double(const rbp_model *model, const char *key, double *value)
{
    const entry *x;
    RBP_TRY(get_entry(model, key, value, &x, __func__));
    if (x->type == RBP_META_STRING)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: metadata key '%s' is a string, not a number", __func__, key);
    *value = x->type == RBP_META_INT ? (double)x->i : x->d;
    return RBP_OK;
}

int32_t rbp_model_file_format(const rbp_model *model)
{
    if (!model) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_file_format: argument 'model' is NULL");
        return 0;
    }
    const rbp__meta *m = rbp__model_meta_const(model);
    return m ? m->file_format : 0;
}

/* ---------------------------------------------------------------- input encoding */

static const char *const truncate_names[] = {"right", "left", "center", "error"};

rbp_status rbp_model_meta_set_encoding(rbp_model *model, const rbp_dataset_options *opt)
{
    RBP_CHECK_NULL(model);
    RBP_CHECK_NULL(opt);
    rbp_model_config cfg;
    RBP_TRY(rbp_model_get_config(model, &cfg));
    RBP_CHECK(opt->length == 0 || opt->length == cfg.seq_len, RBP_ERR_INVALID_ARG,
              "%s: rbp_dataset_options.length (--length) %d differs from the model's length %d", __func__,
              (int)opt->length, (int)cfg.seq_len);
    RBP_CHECK(opt->truncate >= RBP_TRUNCATE_RIGHT && opt->truncate <= RBP_TRUNCATE_ERROR, RBP_ERR_INVALID_ARG,
              "%s: rbp_dataset_options.truncate (--truncate) is %d", __func__, (int)opt->truncate);
    RBP_CHECK(opt->case_viewpoint == 0 || opt->case_viewpoint == 1, RBP_ERR_INVALID_ARG,
              "%s: rbp_dataset_options.case_viewpoint (--[no-]case-viewpoint) is %d (must be 0 or 1)", __func__,
              (int)opt->case_viewpoint);
    /* everything on a copy first, so that a failure leaves the model's metadata as it was */
    rbp__meta *m = NULL;
    rbp_status st = rbp__meta_copy(&m, rbp__model_meta_const(model));
#define PUT(expr)                                                                                                     \
    if (st == RBP_OK)                                                                                                 \
    st = (expr)
    PUT(user_put(&m, "encoding.version", 16, RBP_META_INT, 1, 0, NULL, 0, __func__));
    PUT(user_put(&m, "encoding.length", 15, RBP_META_INT, cfg.seq_len, 0, NULL, 0, __func__));
    const char *tn = truncate_names[opt->truncate];
    PUT(user_put(&m, "encoding.truncate", 17, RBP_META_STRING, 0, 0, tn, strlen(tn), __func__));
    PUT(user_put(&m, "encoding.case_viewpoint", 23, RBP_META_INT, opt->case_viewpoint, 0, NULL, 0, __func__));
    PUT(user_put(&m, "encoding.alphabet", 17, RBP_META_STRING, 0, 0, RBP_META_ALPHABET, strlen(RBP_META_ALPHABET),
                 __func__));
    if (opt->label_key)
        PUT(user_put(&m, "encoding.label_key", 18, RBP_META_STRING, 0, 0, opt->label_key,
                     strnlen(opt->label_key, (size_t)RBP_META_STRING_MAX + 1), __func__));
    if (cfg.use_structure && opt->structure_column)
        PUT(user_put(&m, "encoding.structure_column", 25, RBP_META_STRING, 0, 0, opt->structure_column,
                     strnlen(opt->structure_column, (size_t)RBP_META_STRING_MAX + 1), __func__));
#undef PUT
    if (st != RBP_OK) {
        rbp__meta_free(m);
        return st;
    }
    rbp__meta **slot = rbp__model_meta(model);
    rbp__meta_free(*slot);
    *slot = m;
    return RBP_OK;
}

rbp_status rbp_dataset_options_from_model(rbp_dataset_options *opt, const rbp_model *model)
{
    RBP_CHECK_NULL(opt);
    RBP_CHECK_NULL(model);
    rbp_model_config cfg;
    RBP_TRY(rbp_model_get_config(model, &cfg));
    rbp_dataset_options o;
    RBP_TRY(rbp_dataset_options_init(&o, RBP_DATASET_OPTIONS_VERSION));
    o.length = cfg.seq_len;
    /* Defaults of models without encoding keys: what the programs did before format 3. */
    o.truncate = RBP_TRUNCATE_RIGHT;
    o.case_viewpoint = 1;
    const entry *x;
    if ((x = lookup(model, "encoding.alphabet")) != NULL &&
        (x->type != RBP_META_STRING || strcmp(x->s, RBP_META_ALPHABET) != 0))
        return rbp__set_error(RBP_ERR_FORMAT,
                              "%s: the model was trained on alphabet '%s'; this rbpattn reads only '%s' "
                              "(encoding.alphabet)",
                              __func__, x->type == RBP_META_STRING ? x->s : "(not a string)", RBP_META_ALPHABET);
    if ((x = lookup(model, "encoding.length")) != NULL && (x->type != RBP_META_INT || x->i != cfg.seq_len))
        return rbp__set_error(RBP_ERR_FORMAT,
                              "%s: encoding.length differs from the model's length %d (rbp_model_config.seq_len)",
                              __func__, (int)cfg.seq_len);
    if ((x = lookup(model, "encoding.truncate")) != NULL) {
        int found = -1;
        for (int k = 0; k < 4 && x->type == RBP_META_STRING; k++)
            if (strcmp(x->s, truncate_names[k]) == 0)
                found = k;
        if (found < 0)
            return rbp__set_error(RBP_ERR_FORMAT, "%s: unknown encoding.truncate '%s' (right, left, center, error)",
                                  __func__, x->type == RBP_META_STRING ? x->s : "(not a string)");
        o.truncate = found;
    }
    if ((x = lookup(model, "encoding.case_viewpoint")) != NULL) {
        if (x->type != RBP_META_INT || (x->i != 0 && x->i != 1))
            return rbp__set_error(RBP_ERR_FORMAT, "%s: encoding.case_viewpoint must be the integer 0 or 1", __func__);
        o.case_viewpoint = (int32_t)x->i;
    }
    if ((x = lookup(model, "encoding.label_key")) != NULL && x->type == RBP_META_STRING)
        o.label_key = x->s;
    if ((x = lookup(model, "encoding.structure_column")) != NULL && x->type == RBP_META_STRING && cfg.use_structure)
        o.structure_column = x->s;
    *opt = o;
    return RBP_OK;
}

/* ---------------------------------------------------------------- required keys of a save */

rbp_status rbp__meta_for_save(rbp__meta **out, const rbp_model *model)
{
    *out = NULL;
    rbp_model_config cfg;
    RBP_TRY(rbp_model_get_config(model, &cfg));
    rbp__meta *m = NULL;
    RBP_TRY(rbp__meta_copy(&m, rbp__model_meta_const(model)));
    const char *task = cfg.task == RBP_TASK_REGRESSION ? "regression" : "classification";
    const char *version = rbp_version_string();
    rbp_status st = meta_put(&m, "task", 4, RBP_META_STRING, 0, 0, task, strlen(task), "save");
    if (st == RBP_OK)
        st = meta_put(&m, "rbpattn.version", 15, RBP_META_STRING, 0, 0, version, strlen(version), "save");
    if (st == RBP_OK)
        st = meta_put(&m, "encoding.length", 15, RBP_META_INT, cfg.seq_len, 0, NULL, 0, "save");
    if (st == RBP_OK && find(m, "created", 7) < 0) {
        /* the first save of this model's weights: a reloaded and re-saved model keeps it */
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        if (gmtime_r(&now, &tm) != NULL && strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
            st = meta_put(&m, "created", 7, RBP_META_STRING, 0, 0, stamp, strlen(stamp), "save");
    }
    if (st != RBP_OK) {
        rbp__meta_free(m);
        return st;
    }
    *out = m;
    return RBP_OK;
}
