/*
 * core/error.c - status strings and the per-thread last-error message.
 *
 * The message lives in a thread-local fixed buffer so that reporting never allocates;
 * out-of-memory is reported with a static string for the same reason (libgit2's oom_error).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

#define RBP_ERRBUF 512

static _Thread_local char errbuf[RBP_ERRBUF];
static _Thread_local const char *errmsg = NULL;

const char *rbp_status_str(rbp_status status)
{
    switch (status) {
    case RBP_OK: return "ok";
    case RBP_ERR_INVALID_ARG: return "invalid argument";
    case RBP_ERR_NOMEM: return "out of memory";
    case RBP_ERR_IO: return "I/O error";
    case RBP_ERR_FORMAT: return "format error";
    case RBP_ERR_SHAPE: return "shape mismatch";
    case RBP_ERR_STATE: return "invalid state";
    case RBP_ERR_BLAS: return "BLAS error";
    case RBP_ERR_NUMERIC: return "numeric error";
    case RBP_ERR_CANCELLED: return "cancelled";
    }
    return "unknown status";
}

const char *rbp_last_error(void)
{
    return errmsg ? errmsg : "";
}

void rbp_clear_error(void)
{
    errmsg = NULL;
    errbuf[0] = '\0';
}

rbp_status rbp_set_error(rbp_status code, const char *fmt, ...)
{
    /* Format aside first: an argument may be the current message (errbuf itself). */
    char msg[RBP_ERRBUF];
    va_list ap;
    va_start(ap, fmt);
    if (fmt)
        vsnprintf(msg, sizeof msg, fmt, ap);
    else
        msg[0] = '\0';
    va_end(ap);
    memcpy(errbuf, msg, sizeof errbuf);
    errmsg = errbuf;
    return code;
}

rbp_status rbp__wrap_error(rbp_status code, const char *fmt, ...)
{
    /* Build "prefix: old" in place: copy the old message aside, write the prefix, append. */
    char old[RBP_ERRBUF];
    va_list ap;
    size_t len;
    memcpy(old, rbp_last_error(), strlen(rbp_last_error()) + 1);
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    len = strlen(errbuf);
    if (old[0] && len + 2 < sizeof errbuf) {
        memcpy(errbuf + len, ": ", 3);
        len += 2;
        for (size_t i = 0; old[i] && len + 1 < sizeof errbuf; i++)
            errbuf[len++] = old[i];
        errbuf[len] = '\0';
    }
    errmsg = errbuf;
    return code;
}

rbp_status rbp__oom(void)
{
    errmsg = "out of memory";
    return RBP_ERR_NOMEM;
}
