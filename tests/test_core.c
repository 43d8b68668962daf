/* test_core.c - status strings, last-error reporting, versions, threads, the counted allocator. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>
#include "core/internal.h"

/* The status codes as the public header declares them ("RBP_ERR_X = -N"), read from the
 * source, so that a code added later without a string fails here. Returns how many. */
static int header_status_codes(int *codes, int cap)
{
    size_t n = 0;
    char *text = (char *)rbp_test_read_file(RBP_SOURCE_DIR "/include/rbpattn/common.h", &n);
    int k = 0;
    for (char *p = text; (p = strstr(p, "RBP_ERR_")) != NULL; p++) {
        char *q = p + 8;
        while ((*q >= 'A' && *q <= 'Z') || *q == '_')
            q++;
        while (*q == ' ')
            q++;
        if (*q != '=')
            continue;
        q++;
        while (*q == ' ')
            q++;
        if (*q != '-')
            continue;
        if (k < cap)
            codes[k++] = -atoi(q + 1);
    }
    free(text);
    return k;
}

static void test_status_strings(void **state)
{
    (void)state;
    assert_string_equal(rbp_status_str(RBP_OK), "ok");
    assert_string_equal(rbp_status_str(RBP_ERR_FORMAT), "format error");
    assert_string_equal(rbp_status_str((rbp_status)-999), "unknown status");
    int codes[64];
    int n = header_status_codes(codes, 63);
    assert_true(n >= 9); /* the parser found the enum */
    codes[n++] = RBP_OK;
    /* every declared code has its own string, and none is the fallback */
    for (int a = 0; a < n; a++) {
        const char *sa = rbp_status_str((rbp_status)codes[a]);
        if (strcmp(sa, "unknown status") == 0)
            fail_msg("status %d has no string", codes[a]);
        for (int b = 0; b < a; b++)
            if (codes[a] != codes[b] && strcmp(sa, rbp_status_str((rbp_status)codes[b])) == 0)
                fail_msg("statuses %d and %d share the string '%s'", codes[a], codes[b], sa);
    }
}

static void test_last_error(void **state)
{
    (void)state;
    rbp_clear_error();
    assert_string_equal(rbp_last_error(), "");
    assert_int_equal(rbp__set_error(RBP_ERR_FORMAT, "%s:%d: bad %c", "x.fa", 12, 'X'), RBP_ERR_FORMAT);
    assert_string_equal(rbp_last_error(), "x.fa:12: bad X");
    assert_int_equal(rbp__wrap_error(RBP_ERR_FORMAT, "loading %s", "x.fa"), RBP_ERR_FORMAT);
    assert_string_equal(rbp_last_error(), "loading x.fa: x.fa:12: bad X");
    assert_int_equal(rbp__oom(), RBP_ERR_NOMEM);
    assert_string_equal(rbp_last_error(), "out of memory");
    rbp_clear_error();
    assert_string_equal(rbp_last_error(), "");
}

/* The version the build system declares (project(rbpattn VERSION x.y.z) in CMakeLists.txt),
 * not the generated header: the library and the header come from the same build, so only an
 * independent source can catch a stale version.h.in or a hard-coded number. Whether an
 * installed header matches the installed .so is the install_consumer test's job. */
static void test_version(void **state)
{
    (void)state;
    size_t n = 0;
    char *cm = (char *)rbp_test_read_file(RBP_SOURCE_DIR "/CMakeLists.txt", &n);
    const char *v = strstr(cm, "project(rbpattn VERSION ");
    assert_non_null(v);
    int want_ma = -1, want_mi = -1, want_pa = -1;
    assert_int_equal(sscanf(v, "project(rbpattn VERSION %d.%d.%d", &want_ma, &want_mi, &want_pa), 3);
    free(cm);
    int ma = -1, mi = -1, pa = -1;
    rbp_version(&ma, &mi, &pa);
    assert_int_equal(ma, want_ma);
    assert_int_equal(mi, want_mi);
    assert_int_equal(pa, want_pa);
    rbp_version(NULL, NULL, NULL);
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", want_ma, want_mi, want_pa);
    assert_string_equal(rbp_version_string(), want);
    assert_int_equal(RBP_VERSION_MAJOR, want_ma);
    assert_true(RBP_VERSION_CHECK(want_ma, want_mi, want_pa));
    assert_false(RBP_VERSION_CHECK(want_ma, want_mi, want_pa + 1));
    assert_false(RBP_VERSION_CHECK(want_ma + 1, 0, 0));
}

/* rbp_last_error is per thread: a thread starts with no message, its errors do not reach
 * the main thread's, and the main thread's do not reach it. */
typedef struct err_probe {
    char seen_at_start[64];
    char own[64];
    int go;
} err_probe;

static void *error_thread(void *arg)
{
    err_probe *p = arg;
    snprintf(p->seen_at_start, sizeof p->seen_at_start, "%s", rbp_last_error());
    rbp__set_error(RBP_ERR_IO, "thread error");
    __atomic_store_n(&p->go, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&p->go, __ATOMIC_ACQUIRE) != 2) /* main sets its error meanwhile */
        ;
    snprintf(p->own, sizeof p->own, "%s", rbp_last_error());
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    assert_int_equal(rbp_set_num_threads(0), RBP_ERR_INVALID_ARG);
    assert_non_null(strstr(rbp_last_error(), "rbp_set_num_threads"));
    assert_int_equal(rbp_set_num_threads(-3), RBP_ERR_INVALID_ARG);
    assert_int_equal(rbp_set_num_threads(2), RBP_OK);
    assert_int_equal(rbp_get_num_threads(), 2);
    assert_int_equal(rbp_set_num_threads(1), RBP_OK);
    assert_int_equal(rbp_get_num_threads(), 1);

    rbp__set_error(RBP_ERR_FORMAT, "main error");
    err_probe p;
    memset(&p, 0, sizeof p);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, error_thread, &p), 0);
    while (__atomic_load_n(&p.go, __ATOMIC_ACQUIRE) != 1)
        ;
    assert_string_equal(rbp_last_error(), "main error"); /* the thread's error stayed there */
    rbp__set_error(RBP_ERR_STATE, "main error 2");
    __atomic_store_n(&p.go, 2, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_string_equal(p.seen_at_start, "");
    assert_string_equal(p.own, "thread error");
    assert_string_equal(rbp_last_error(), "main error 2");
}

static int n_logged;
static void logger(int32_t level, const char *msg, void *user)
{
    assert_int_equal(level, RBP_LOG_WARN);
    assert_string_equal(msg, "hello 7");
    *(int *)user += 1;
}

static void test_log_callback(void **state)
{
    (void)state;
    rbp__log(RBP_LOG_WARN, "nobody listens %d", 1); /* silent by default */
    rbp_set_log_callback(logger, &n_logged);
    rbp__log(RBP_LOG_WARN, "hello %d", 7);
    rbp_set_log_callback(NULL, NULL);
    rbp__log(RBP_LOG_WARN, "hello %d", 8);
    assert_int_equal(n_logged, 1);
}

static void test_alloc_counter(void **state)
{
    (void)state;
    uint64_t before = rbp__alloc_count();
    void *p = rbp__malloc(10);
    float *q = rbp__malloc_aligned(100);
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal(((uintptr_t)q) % 64, 0);
    assert_int_equal(rbp__alloc_count() - before, 2);
    rbp__free(p);
    rbp__free_aligned(q);
    size_t out = 0;
    assert_int_equal(rbp__mul_size(3, 5, &out), 0);
    assert_int_equal(out, 15);
    assert_int_equal(rbp__mul_size(SIZE_MAX / 2, 3, &out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_strings), cmocka_unit_test(test_last_error),
        cmocka_unit_test(test_version),        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_log_callback),   cmocka_unit_test(test_alloc_counter),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
