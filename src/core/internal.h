/*
 * core/internal.h - what every library source file shares and no user ever sees:
 * error setting, the counted allocator, logging, and small helpers.
 *
 * Rules (see README "Contributing"): all heap memory of the library goes through
 * rbp__malloc/rbp__calloc/rbp__free so tests can prove that a training or inference
 * step allocates nothing; every failure path calls rbp__set_error and returns its code.
 */
#ifndef RBP_CORE_INTERNAL_H
#define RBP_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "rbpattn/common.h"

#if defined(__GNUC__)
#define RBP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define RBP_PRINTF(a, b)
#endif

/* Record `code` with a printf-style message as this thread's last error; returns `code`.
 * The public rbp_set_error is the one implementation; the library keeps this spelling. */
#define rbp__set_error rbp_set_error

/* Prefix the current last error with "prefix: " (adds context on the way up). Returns code. */
rbp_status rbp__wrap_error(rbp_status code, const char *fmt, ...) RBP_PRINTF(2, 3);

/* Set RBP_ERR_NOMEM with a static message; never allocates. */
rbp_status rbp__oom(void);

/* Counted allocator. Sizes of 0 return a valid unique pointer-or-NULL like malloc. */
void *rbp__malloc(size_t n);
void *rbp__calloc(size_t count, size_t size);
void *rbp__realloc(void *p, size_t n);
void rbp__free(void *p);
/* 64-byte aligned allocation for tensors (free with rbp__free_aligned). */
void *rbp__malloc_aligned(size_t n);
void rbp__free_aligned(void *p);
/* Number of successful allocations since the process started (all threads). */
uint64_t rbp__alloc_count(void);

/* Multiply with overflow check: returns 0 and sets *out on success, -1 on overflow. */
int rbp__mul_size(size_t a, size_t b, size_t *out);

/* Log through the user's callback, if any. */
void rbp__log(rbp_log_level level, const char *fmt, ...) RBP_PRINTF(2, 3);

/* Macros for the common argument checks; they name the argument in the message. */
#define RBP_CHECK_NULL(p)                                                                   \
    do {                                                                                    \
        if ((p) == NULL)                                                                    \
            return rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument '%s' is NULL", __func__, #p); \
    } while (0)

#define RBP_CHECK(cond, code, ...)                                                          \
    do {                                                                                    \
        if (!(cond))                                                                        \
            return rbp__set_error((code), __VA_ARGS__);                                     \
    } while (0)

#define RBP_TRY(expr)                                                                       \
    do {                                                                                    \
        rbp_status rbp__st_ = (expr);                                                       \
        if (rbp__st_ != RBP_OK)                                                             \
            return rbp__st_;                                                                \
    } while (0)

#endif /* RBP_CORE_INTERNAL_H */
