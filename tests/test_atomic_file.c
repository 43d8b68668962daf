/*
 * test_atomic_file.c - the one atomic writer (rbpattn/atomic_file.h): a committed file has
 * the new content and the usual mode, an aborted or failed one leaves the old file and no
 * temporary, and concurrent writers of one path (threads) never share a temporary file.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include <rbpattn/rbpattn.h>

static void write_text(const char *path, const char *text)
{
    rbp_atomic_file *f = NULL;
    assert_int_equal(rbp_atomic_file_open(&f, path), RBP_OK);
    assert_string_equal(rbp_atomic_file_path(f), path);
    assert_true(fputs(text, rbp_atomic_file_stream(f)) >= 0);
    assert_int_equal(rbp_atomic_file_commit(f), RBP_OK);
}

static void expect_content(const char *path, const char *text)
{
    size_t n = 0;
    unsigned char *got = rbp_test_read_file(path, &n);
    assert_non_null(got);
    assert_int_equal(n, strlen(text));
    assert_memory_equal(got, text, n);
    free(got);
}

static void test_commit_replaces(void **state)
{
    (void)state;
    const char *dir = rbp_test_dir();
    const char *path = rbp_test_path("a.txt");
    mode_t old = umask(022);
    write_text(path, "first\n");
    expect_content(path, "first\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644); /* 0666 less the umask, not mkstemp's 0600 */
    umask(old);
    write_text(path, "second, longer\n");
    expect_content(path, "second, longer\n");
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);
}

static void test_abort_and_failure_keep_old(void **state)
{
    (void)state;
    const char *dir = rbp_test_dir();
    const char *path = rbp_test_path("b.txt");
    write_text(path, "old\n");

    /* abort: the old content stays, the temporary goes */
    rbp_atomic_file *f = NULL;
    assert_int_equal(rbp_atomic_file_open(&f, path), RBP_OK);
    fputs("half of the new", rbp_atomic_file_stream(f));
    assert_int_equal(rbp_test_count_tmp_files(dir), 1);
    rbp_atomic_file_abort(f);
    expect_content(path, "old\n");
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);

    /* a stream in error: commit refuses, old content stays */
    assert_int_equal(rbp_atomic_file_open(&f, path), RBP_OK);
    FILE *fp = rbp_atomic_file_stream(f);
    fputs("new", fp);
    (void)fgetc(fp); /* reading a write-only stream sets its error flag */
    assert_true(ferror(fp));
    assert_int_equal(rbp_atomic_file_commit(f), RBP_ERR_IO);
    assert_non_null(strstr(rbp_last_error(), "b.txt"));
    expect_content(path, "old\n");
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);

    /* the target is a directory: the rename fails, the temporary is removed */
    const char *sub = rbp_test_path("subdir_af");
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(rbp_atomic_file_open(&f, sub), RBP_OK);
    fputs("x", rbp_atomic_file_stream(f));
    assert_int_equal(rbp_atomic_file_commit(f), RBP_ERR_IO);
    assert_non_null(strstr(rbp_last_error(), "subdir_af"));
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);

    /* a missing directory: nothing is created, the message names the path */
    f = NULL;
    assert_int_equal(rbp_atomic_file_open(&f, rbp_test_path("none/c.txt")), RBP_ERR_IO);
    assert_null(f);
    assert_non_null(strstr(rbp_last_error(), "none/c.txt"));
}

/* Two writers of one path at once: each has its own temporary; the last commit wins. */
static void test_two_writers_one_path(void **state)
{
    (void)state;
    const char *dir = rbp_test_dir();
    const char *path = rbp_test_path("d.txt");
    rbp_atomic_file *a = NULL, *b = NULL;
    assert_int_equal(rbp_atomic_file_open(&a, path), RBP_OK);
    assert_int_equal(rbp_atomic_file_open(&b, path), RBP_OK);
    assert_int_equal(rbp_test_count_tmp_files(dir), 2);
    fputs("from a\n", rbp_atomic_file_stream(a));
    fputs("from b\n", rbp_atomic_file_stream(b));
    assert_int_equal(rbp_atomic_file_commit(a), RBP_OK);
    expect_content(path, "from a\n");
    assert_int_equal(rbp_atomic_file_commit(b), RBP_OK);
    expect_content(path, "from b\n");
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);
}

/* A link keeps pointing at the (new) file; a device is written in place. */
static void test_symlink_and_device(void **state)
{
    (void)state;
    const char *dir = rbp_test_dir();
    const char *target = rbp_test_path("target.txt");
    write_text(target, "old\n");
    char link[600];
    snprintf(link, sizeof link, "%s/link.txt", dir);
    assert_int_equal(symlink("target.txt", link), 0);
    write_text(link, "through the link\n");
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    expect_content(target, "through the link\n");
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);

    rbp_atomic_file *f = NULL;
    assert_int_equal(rbp_atomic_file_open(&f, "/dev/null"), RBP_OK);
    fputs("discarded", rbp_atomic_file_stream(f));
    assert_int_equal(rbp_atomic_file_commit(f), RBP_OK);
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode)); /* still the device */
}

typedef struct {
    const char *path;
    int id, failures;
} writer_arg;

static void *writer_thread(void *p)
{
    writer_arg *w = p;
    char text[64];
    snprintf(text, sizeof text, "thread %d: the whole line\n", w->id);
    for (int i = 0; i < 40; i++) {
        rbp_atomic_file *f = NULL;
        if (rbp_atomic_file_open(&f, w->path) != RBP_OK) {
            w->failures++;
            continue;
        }
        fputs(text, rbp_atomic_file_stream(f));
        w->failures += rbp_atomic_file_commit(f) != RBP_OK;
    }
    return NULL;
}

/* Threads saving one path (the race of a "<path>.tmp.<host>.<pid>" name): none fails, the file is
 * always one writer's whole text, no temporary stays. */
static void test_threads_one_path(void **state)
{
    (void)state;
    const char *dir = rbp_test_dir();
    const char *path = rbp_test_path("e.txt");
    enum { NT = 4 };
    pthread_t th[NT];
    writer_arg args[NT];
    for (int i = 0; i < NT; i++) {
        args[i] = (writer_arg){path, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &args[i]), 0);
    }
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    size_t n = 0;
    unsigned char *got = rbp_test_read_file(path, &n);
    assert_non_null(got);
    int id = -1;
    assert_int_equal(sscanf((const char *)got, "thread %d", &id), 1);
    char want[64];
    snprintf(want, sizeof want, "thread %d: the whole line\n", id);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(got, want, n);
    free(got);
    assert_int_equal(rbp_test_count_tmp_files(dir), 0);
}

/* A file `name` in the scratch directory, last modified `age` seconds ago; returns its path. */
static const char *fake_temp(const char *name, int age)
{
    const char *p = rbp_test_write_file(name, "partial", (size_t)-1);
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= age;
    t[1] = t[0];
    assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
    return p;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* A writer killed between creating its temporary and the rename leaves it; the next writer
 * of the same target removes it when its pid is dead on this host and it is older than a
 * minute, and keeps every other one. */
static void test_stale_temps_removed(void **state)
{
    (void)state;
    const char *dir = rbp_test_dir();
    const char *path = rbp_test_path("f.txt");
    /* this host's part of the name, as the writer spells it */
    rbp_atomic_file *f = NULL;
    assert_int_equal(rbp_atomic_file_open(&f, path), RBP_OK);
    char host[64] = "";
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, "f.txt.tmp.", 10) == 0) {
            const char *h = e->d_name + 10, *dot = strchr(h, '.');
            assert_non_null(dot);
            snprintf(host, sizeof host, "%.*s", (int)(dot - h), h);
        }
    closedir(d);
    rbp_atomic_file_abort(f);
    assert_true(host[0] != '\0');
    /* a dead pid: a child that has exited and been reaped */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    const long dead = (long)child, live = (long)getppid();
    char name[160];
    const char *stale, *stale_old_format, *live_writer, *young, *other_host, *other_target;
    snprintf(name, sizeof name, "f.txt.tmp.%s.%ld.3", host, dead);
    stale = fake_temp(name, 120);
    snprintf(name, sizeof name, "f.txt.tmp.%ld.4", dead);
    stale_old_format = fake_temp(name, 120);
    snprintf(name, sizeof name, "f.txt.tmp.%s.%ld.5", host, live);
    live_writer = fake_temp(name, 120);
    snprintf(name, sizeof name, "f.txt.tmp.%s.%ld.6", host, dead);
    young = fake_temp(name, 10);
    snprintf(name, sizeof name, "f.txt.tmp.%s-elsewhere.%ld.7", host, dead);
    other_host = fake_temp(name, 120);
    snprintf(name, sizeof name, "f.txt2.tmp.%s.%ld.8", host, dead);
    other_target = fake_temp(name, 120);
    assert_int_equal(rbp_test_count_tmp_files(dir), 6);

    write_text(path, "new\n");
    expect_content(path, "new\n");
    assert_false(exists(stale));
    assert_false(exists(stale_old_format));
    assert_true(exists(live_writer));
    assert_true(exists(young));
    assert_true(exists(other_host));
    assert_true(exists(other_target));
    assert_int_equal(rbp_test_count_tmp_files(dir), 4);
    const char *kept[4] = {live_writer, young, other_host, other_target};
    for (int i = 0; i < 4; i++)
        assert_int_equal(remove(kept[i]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_replaces),
        cmocka_unit_test(test_abort_and_failure_keep_old),
        cmocka_unit_test(test_two_writers_one_path),
        cmocka_unit_test(test_symlink_and_device),
        cmocka_unit_test(test_threads_one_path),
        cmocka_unit_test(test_stale_temps_removed),
    };
    return cmocka_run_group_tests_name("atomic_file", tests, NULL, NULL);
}
