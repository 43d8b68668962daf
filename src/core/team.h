/*
 * core/team.h - a fixed team of threads for the parallel parts of one training or inference
 * step. The threads are started once (rbp__team_create) and wait on a condition variable
 * between runs, so a run allocates nothing and costs a wake-up, not a thread start.
 */
#ifndef RBP_CORE_TEAM_H
#define RBP_CORE_TEAM_H

#include "core/internal.h"

typedef struct rbp__team rbp__team;

/* fn(arg, part) for one part of a run; parts run concurrently, each exactly once */
typedef void (*rbp__team_fn)(void *arg, int part);

/* A team of n_threads (>= 1): n_threads - 1 started threads plus the caller of run. */
rbp_status rbp__team_create(rbp__team **out, int n_threads);
void rbp__team_free(rbp__team *p);
int rbp__team_size(const rbp__team *p);

/* Run fn(arg, k) for k = 0 .. n_parts - 1 (part 0 and any beyond the team size on the calling
 * thread, part k on thread k) and return when all have finished. One run at a time per pool. */
void rbp__team_run(rbp__team *p, int n_parts, rbp__team_fn fn, void *arg);

/* Rows [first, first + count) of part k when n rows are cut into n_parts parts that differ by
 * at most one row (the earlier parts get the smaller share). */
void rbp__team_share(size_t n, int n_parts, int k, size_t *first, size_t *count);

#endif /* RBP_CORE_TEAM_H */
