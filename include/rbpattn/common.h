/**
 * @file
 * rbpattn/common.h - status codes, error reporting, versions, logging and threads.
 *
 * Conventions used by every rbpattn header:
 *  - Every fallible function returns an rbp_status; RBP_OK (0) is success, errors are negative.
 *  - On failure, rbp_last_error() gives a readable message with context ("reads.fa:12:
 *    unexpected character 'X' in sequence"). It is per thread and valid until the next
 *    failing rbpattn call on that thread.
 *  - Handles are opaque and come in create/free pairs; the out-parameter comes first, is set
 *    to NULL on failure, and every *_free accepts NULL.
 *  - Config structs start with a `version` field; initialise them with the matching *_init
 *    function so that fields appended in later releases get their defaults.
 *  - The library never prints, exits or aborts on bad input.
 *  - Functions that return a value instead of a status (accessors, losses, the learning-rate
 *    schedule) return a neutral value on bad input - 0, NULL or NaN, as each declaration
 *    says - and set rbp_last_error() too, so "why did I get 0?" has an answer. The *_check
 *    functions return their reason as a string instead.
 */
#ifndef RBPATTN_COMMON_H
#define RBPATTN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "rbpattn/version.h"

#if defined(RBP_BUILDING_LIBRARY) && defined(__GNUC__)
#define RBP_API __attribute__((visibility("default")))
#else
#define RBP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes. Add new codes last, never renumber: they are part of the ABI. */
typedef enum rbp_status {
    RBP_OK = 0,
    RBP_ERR_INVALID_ARG = -1, /**< a NULL handle, an out-of-range value, a bad option */
    RBP_ERR_NOMEM = -2,       /**< an allocation failed */
    RBP_ERR_IO = -3,          /**< a file could not be opened, read, written or renamed */
    RBP_ERR_FORMAT = -4,      /**< input or checkpoint content is malformed */
    RBP_ERR_SHAPE = -5,       /**< tensor or batch dimensions do not agree */
    RBP_ERR_STATE = -6,       /**< the call is not valid in the object's current state */
    RBP_ERR_BLAS = -7,        /**< the BLAS backend failed or is unusable */
    RBP_ERR_NUMERIC = -8,     /**< a NaN/Inf appeared (e.g. diverging training) */
    RBP_ERR_CANCELLED = -9    /**< a callback asked to stop */
} rbp_status;

/** A short constant name for a status code ("invalid argument"); never NULL. */
RBP_API const char *rbp_status_str(rbp_status status);

/**
 * The message of the last failing rbpattn call on this thread, or "" when there was none.
 * The pointer is owned by the library and valid until the next rbpattn call on this thread.
 */
RBP_API const char *rbp_last_error(void);

/** Forget the last error on this thread. */
RBP_API void rbp_clear_error(void);

/**
 * Record `code` with a printf-style message as this thread's last error and return `code`:
 * for libraries built on rbpattn (librbpattn-plot reports through it) and for callbacks that
 * want their reason to reach the caller of rbp_trainer_fit. The arguments may include
 * rbp_last_error() itself, to add context: rbp_set_error(st, "loading %s: %s", path,
 * rbp_last_error()). Messages longer than 511 bytes are cut.
 */
RBP_API rbp_status rbp_set_error(rbp_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Run-time library version (the compile-time one is in rbpattn/version.h). Any pointer may be NULL. */
RBP_API void rbp_version(int *major, int *minor, int *patch);

/** Run-time version as a string, e.g. "0.1.0"; never NULL. */
RBP_API const char *rbp_version_string(void);

/** Log levels for the log callback. */
typedef enum rbp_log_level {
    RBP_LOG_DEBUG = 0,
    RBP_LOG_INFO = 1,
    RBP_LOG_WARN = 2,
    RBP_LOG_ERROR = 3
} rbp_log_level;

/** A log callback (rbp_set_log_callback): `level` is an rbp_log_level; `message` (at most 1023
 * bytes) is valid during the call only. */
typedef void (*rbp_log_fn)(int32_t level, const char *message, void *user_data);

/**
 * Route library log messages to `fn` (NULL: silence, the default). Not thread-safe: set it
 * once before using the library from several threads. The callback may run on any thread
 * that calls into rbpattn.
 */
RBP_API void rbp_set_log_callback(rbp_log_fn fn, void *user_data);

/**
 * Set the BLAS back-end's thread count for the whole process (openblas_set_num_threads with
 * OpenBLAS) - a process-global setting, changed only by this call: creating models or
 * sessions leaves it alone. Results are bit identical for a given seed and thread count.
 * Sessions have their own worker threads (rbp_session_options). Returns RBP_ERR_INVALID_ARG
 * (and keeps the current setting) for n outside 1..1024.
 */
RBP_API rbp_status rbp_set_num_threads(int32_t n);

/** The thread count last set by rbp_set_num_threads (1 if it was never called). */
RBP_API int32_t rbp_get_num_threads(void);

/**
 * The matrix-product back-end this process uses: "BLAS", "built-in AVX-512" or "built-in
 * AVX2"; never NULL. Decided once, on first use: RBP_GEMM=blas or RBP_GEMM=builtin in the
 * environment forces it; by default the built-in kernels stand in only for an OpenBLAS that
 * runs pre-AVX kernels on an AVX2 CPU. The decision is logged once (RBP_LOG_INFO).
 */
RBP_API const char *rbp_gemm_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_COMMON_H */
