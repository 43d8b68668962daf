/*
 * core/runtime.c - version, logging callback and thread count.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/internal.h"

#ifdef RBP_HAVE_OPENBLAS_THREADS
#include <cblas.h>
#endif

static rbp_log_fn log_fn = NULL;
static void *log_user = NULL;
static int32_t n_threads = 1;

void rbp_version(int *major, int *minor, int *patch)
{
    if (major)
        *major = RBP_VERSION_MAJOR;
    if (minor)
        *minor = RBP_VERSION_MINOR;
    if (patch)
        *patch = RBP_VERSION_PATCH;
}

const char *rbp_version_string(void)
{
    return RBP_VERSION_STRING;
}

void rbp_set_log_callback(rbp_log_fn fn, void *user_data)
{
    log_fn = fn;
    log_user = user_data;
}

void rbp__log(rbp_log_level level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    if (!log_fn)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_fn((int32_t)level, buf, log_user);
}

rbp_status rbp_set_num_threads(int32_t n)
{
    if (n < 1 || n > 1024)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_set_num_threads: n = %d, expected 1..1024", (int)n);
    n_threads = n;
#ifdef RBP_HAVE_OPENBLAS_THREADS
    openblas_set_num_threads((int)n);
#endif
    return RBP_OK;
}

int32_t rbp_get_num_threads(void)
{
    return n_threads;
}
