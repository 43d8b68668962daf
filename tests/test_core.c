/* test_core.c - status strings, last-error reporting, versions, threads, the counted allocator. */
#include <string.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>
#include "core/internal.h"

static void test_status_strings(void **state)
{
    (void)state;
    assert_string_equal(rbp_status_str(RBP_OK), "ok");
    assert_string_equal(rbp_status_str(RBP_ERR_FORMAT), "format error");
    assert_string_equal(rbp_status_str((rbp_status)-999), "unknown status");
    /* every defined code has its own string */
    for (int a = RBP_ERR_CANCELLED; a <= RBP_OK; a++)
        for (int b = RBP_ERR_CANCELLED; b < a; b++)
            assert_string_not_equal(rbp_status_str((rbp_status)a), rbp_status_str((rbp_status)b));
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

static void test_version(void **state)
{
    (void)state;
    int ma = -1, mi = -1, pa = -1;
    rbp_version(&ma, &mi, &pa);
    assert_int_equal(ma, RBP_VERSION_MAJOR);
    assert_int_equal(mi, RBP_VERSION_MINOR);
    assert_int_equal(pa, RBP_VERSION_PATCH);
    rbp_version(NULL, NULL, NULL);
    assert_string_equal(rbp_version_string(), RBP_VERSION_STRING);
    assert_true(RBP_VERSION_CHECK(RBP_VERSION_MAJOR, RBP_VERSION_MINOR, 0));
    assert_false(RBP_VERSION_CHECK(RBP_VERSION_MAJOR + 1, 0, 0));
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
