/*
 * model/catalog.c - bundled models found by name (rbp_model_find): the search path of
 * rbpattn/model.h, and a case-insensitive match of NAME.rbp in each directory and its
 * immediate subdirectories (models/rbp31/PUM2.rbp is "PUM2").
 */
#define _GNU_SOURCE /* dladdr */
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/internal.h"
#include "rbpattn/model.h"

#ifndef RBP_MODELS_INSTALLED
#define RBP_MODELS_INSTALLED "/usr/local/share/rbpattn/models"
#endif
#ifndef RBP_MODELS_SOURCE
#define RBP_MODELS_SOURCE ""
#endif

/* an object of the library, whose address dladdr maps back to the library's file */
static const char anchor = 0;

rbp_status rbp_model_search_dir(size_t i, char *dir, size_t size)
{
    RBP_CHECK_NULL(dir);
    RBP_CHECK(size > 0, RBP_ERR_INVALID_ARG, "rbp_model_search_dir: size is 0");
    const char *env = getenv("RBPATTN_MODEL_PATH");
    size_t k = 0;
    /* the environment's directories first, empty entries skipped */
    for (const char *p = env; p && *p;) {
        const size_t n = strcspn(p, ":");
        if (n > 0 && k++ == i) {
            RBP_CHECK(n < size, RBP_ERR_INVALID_ARG, "rbp_model_search_dir: buffer of %zu bytes too small", size);
            memcpy(dir, p, n);
            dir[n] = '\0';
            return RBP_OK;
        }
        p += n + (p[n] == ':');
    }
    /* then share/rbpattn/models beside the library itself (an installed tree that was moved or
     * installed to another prefix than configured), the configured install directory and the
     * source tree */
    char beside[PATH_MAX] = "";
    Dl_info dl;
    if (dladdr(&anchor, &dl) && dl.dli_fname) {
        char real[PATH_MAX];
        if (realpath(dl.dli_fname, real)) {
            char *slash = strrchr(real, '/');
            if (slash) {
                *slash = '\0';
                if (snprintf(beside, sizeof beside, "%s/../share/rbpattn/models", real) >= (int)sizeof beside)
                    beside[0] = '\0';
            }
        }
    }
    const char *fixed[3] = {beside, RBP_MODELS_INSTALLED, RBP_MODELS_SOURCE};
    for (int j = 0; j < 3; j++) {
        if (fixed[j][0] == '\0' || (j > 0 && strcmp(fixed[j], fixed[0]) == 0) || k++ != i)
            continue;
        RBP_CHECK(strlen(fixed[j]) < size, RBP_ERR_INVALID_ARG, "rbp_model_search_dir: buffer of %zu bytes too small",
                  size);
        strcpy(dir, fixed[j]);
        return RBP_OK;
    }
    return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_search_dir: index %zu, the search path has %zu directories",
                          i, k);
}

/* Visit every NAME.rbp of dir and then of its immediate subdirectories, each directory in
 * name order (so listings and the first match are stable); stop when visit returns nonzero. */
typedef int (*visit_fn)(const char *path, const char *file, void *ctx);

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_rbp_suffix(const char *name)
{
    const size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".rbp") == 0;
}

static int walk_dir(const char *dir, int depth, visit_fn visit, void *ctx)
{
    struct dirent **list = NULL;
    const int n = scandir(dir, &list, NULL, alphasort);
    int stop = 0;
    char sub[4096];
    for (int pass = 0; pass < 2; pass++) /* files first, then subdirectories */
        for (int i = 0; i < n && !stop; i++) {
            const char *e = list[i]->d_name;
            if (e[0] == '.' || snprintf(sub, sizeof sub, "%s/%s", dir, e) >= (int)sizeof sub)
                continue;
            if (pass == 0 && has_rbp_suffix(e) && !is_dir(sub))
                stop = visit(sub, e, ctx);
            else if (pass == 1 && depth == 0 && is_dir(sub))
                stop = walk_dir(sub, 1, visit, ctx);
        }
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    return stop;
}

/* walk every directory of the search path; returns nonzero if a visit stopped it */
static int walk(visit_fn visit, void *ctx, char *searched, size_t searched_size)
{
    char dir[4096];
    size_t used = 0;
    if (searched_size)
        searched[0] = '\0';
    for (size_t i = 0; rbp_model_search_dir(i, dir, sizeof dir) == RBP_OK; i++) {
        if (walk_dir(dir, 0, visit, ctx))
            return 1;
        const int w = snprintf(searched + used, searched_size - used, "%s%s", used ? ", " : "", dir);
        if (w > 0 && used + (size_t)w < searched_size)
            used += (size_t)w;
    }
    return 0;
}

typedef struct query {
    const char *name; /* find: the name; list: NULL */
    size_t index;     /* list: how many models to skip */
    char *out;
    size_t size;
    int fits;
} query;

static int take(const char *path, query *q)
{
    const int w = snprintf(q->out, q->size, "%s", path);
    q->fits = w >= 0 && (size_t)w < q->size;
    return 1;
}

static int visit_find(const char *path, const char *file, void *ctx)
{
    query *q = ctx;
    const size_t n = strlen(q->name);
    if (strlen(file) != n + 4 || strncasecmp(file, q->name, n) != 0)
        return 0;
    return take(path, q);
}

static int visit_list(const char *path, const char *file, void *ctx)
{
    (void)file;
    query *q = ctx;
    return q->index-- == 0 ? take(path, q) : 0;
}

rbp_status rbp_model_bundled(size_t i, char *path, size_t size)
{
    RBP_CHECK_NULL(path);
    RBP_CHECK(size > 0, RBP_ERR_INVALID_ARG, "rbp_model_bundled: size is 0");
    query q = {NULL, i, path, size, 0};
    char searched[1024];
    if (!walk(visit_list, &q, searched, sizeof searched)) {
        path[0] = '\0';
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_model_bundled: index %zu, there are %zu bundled models", i,
                              i - q.index);
    }
    RBP_CHECK(q.fits, RBP_ERR_INVALID_ARG, "rbp_model_bundled: buffer of %zu bytes too small", size);
    rbp_clear_error();
    return RBP_OK;
}

rbp_status rbp_model_find(const char *name, char *path, size_t size)
{
    RBP_CHECK_NULL(name);
    RBP_CHECK_NULL(path);
    RBP_CHECK(size > 0, RBP_ERR_INVALID_ARG, "rbp_model_find: size is 0");
    const size_t len = strlen(name);
    RBP_CHECK(len > 0 && strchr(name, '/') == NULL && (len < 4 || strcmp(name + len - 4, ".rbp") != 0),
              RBP_ERR_INVALID_ARG, "rbp_model_find: '%s' is not a model name (no '/', no .rbp)", name);
    query q = {name, 0, path, size, 0};
    char searched[1024];
    if (walk(visit_find, &q, searched, sizeof searched)) {
        RBP_CHECK(q.fits, RBP_ERR_INVALID_ARG, "rbp_model_find: buffer of %zu bytes too small", size);
        rbp_clear_error();
        return RBP_OK;
    }
    path[0] = '\0';
    return rbp__set_error(RBP_ERR_IO, "no bundled model named '%s' (searched %s; RBPATTN_MODEL_PATH adds directories)",
                          name, searched[0] ? searched : "nothing");
}
