/*
 * core/alloc.c - the library's only allocator.
 *
 * Every allocation is counted (atomically) so that a test can bracket a training or
 * inference step and prove that it allocated nothing; the brief forbids allocation inside
 * a step, and a counter is the cheapest proof.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/internal.h"

static atomic_uint_fast64_t n_allocs;

void *rbp__malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p)
        atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return p;
}

void *rbp__calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p)
        atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return p;
}

void *rbp__realloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (p)
        atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return p;
}

void rbp__free(void *p)
{
    free(p);
}

void *rbp__malloc_aligned(size_t n)
{
    /* aligned_alloc wants a size that is a multiple of the alignment. */
    size_t sz = (n + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, sz ? sz : 64);
    if (p)
        atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return p;
}

void rbp__free_aligned(void *p)
{
    free(p);
}

uint64_t rbp__alloc_count(void)
{
    return (uint64_t)atomic_load_explicit(&n_allocs, memory_order_relaxed);
}

int rbp__mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}
