/*
 * core/team.c - the thread team of core/team.h: one mutex, a "start" condition that the
 * threads wait on for a new generation of work, and a "done" condition for the caller.
 */
#include <pthread.h>
#include <string.h>

#include "core/team.h"

typedef struct member {
    rbp__team *pool;
    int index;
} member;

struct rbp__team {
    int n;                  /* team size, caller included */
    pthread_t *tid;         /* (n - 1) */
    member *members;        /* (n - 1) */
    int started;            /* threads running */
    pthread_mutex_t lock;
    pthread_cond_t start, done;
    unsigned long generation; /* bumped per run (under lock) */
    int n_parts;
    rbp__team_fn fn;
    void *arg;
    int pending;            /* parts of this run not finished by the team threads */
    int quit;
};

static void *member_main(void *a)
{
    member *m = a;
    rbp__team *p = m->pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->start, &p->lock);
        if (p->quit)
            break;
        seen = p->generation;
        if (m->index < p->n_parts) {
            rbp__team_fn fn = p->fn;
            void *arg = p->arg;
            pthread_mutex_unlock(&p->lock);
            fn(arg, m->index);
            pthread_mutex_lock(&p->lock);
            if (--p->pending == 0)
                pthread_cond_signal(&p->done);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

rbp_status rbp__team_create(rbp__team **out, int n_threads)
{
    *out = NULL;
    if (n_threads < 1)
        return rbp__set_error(RBP_ERR_INVALID_ARG, "thread team of %d threads", n_threads);
    rbp__team *p = rbp__calloc(1, sizeof *p);
    if (!p)
        return rbp__oom();
    p->n = n_threads;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        rbp__free(p);
        return rbp__set_error(RBP_ERR_NOMEM, "cannot create a mutex for %d threads", n_threads);
    }
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    if (n_threads > 1) {
        p->tid = rbp__calloc((size_t)n_threads - 1, sizeof *p->tid);
        p->members = rbp__calloc((size_t)n_threads - 1, sizeof *p->members);
        if (!p->tid || !p->members) {
            rbp__team_free(p);
            return rbp__oom();
        }
    }
    for (int i = 1; i < n_threads; i++) {
        p->members[i - 1].pool = p;
        p->members[i - 1].index = i;
        if (pthread_create(&p->tid[i - 1], NULL, member_main, &p->members[i - 1]) != 0) {
            rbp__team_free(p);
            return rbp__set_error(RBP_ERR_NOMEM, "cannot start thread %d of %d", i + 1, n_threads);
        }
        p->started++;
    }
    *out = p;
    return RBP_OK;
}

void rbp__team_free(rbp__team *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    rbp__free(p->tid);
    rbp__free(p->members);
    rbp__free(p);
}

int rbp__team_size(const rbp__team *p)
{
    return p ? p->n : 1;
}

void rbp__team_run(rbp__team *p, int n_parts, rbp__team_fn fn, void *arg)
{
    if (n_parts <= 0)
        return;
    if (!p || p->n == 1 || n_parts == 1) {
        for (int k = 0; k < n_parts; k++)
            fn(arg, k);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->n_parts = n_parts;
    p->fn = fn;
    p->arg = arg;
    p->pending = (n_parts < p->n ? n_parts : p->n) - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    fn(arg, 0);
    for (int k = p->n; k < n_parts; k++) /* more parts than threads: the caller takes the rest */
        fn(arg, k);
    pthread_mutex_lock(&p->lock);
    while (p->pending > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void rbp__team_share(size_t n, int n_parts, int k, size_t *first, size_t *count)
{
    const size_t P = (size_t)n_parts, a = n * (size_t)k / P, b = n * ((size_t)k + 1) / P;
    *first = a;
    *count = b - a;
}
