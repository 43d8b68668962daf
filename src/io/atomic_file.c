/*
 * io/atomic_file.c - the one atomic file writer (rbpattn/atomic_file.h).
 *
 * Not mkstemp: it creates the file with mode 0600 and cannot be told otherwise without
 * reading the umask, which no thread-safe call does; open(O_CREAT | O_EXCL, 0666) with a name
 * unique per process (pid) and per call (an atomic counter) gives the same guarantee that
 * no two writers share a temporary file, and the mode the user expects.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "rbpattn/atomic_file.h"

struct rbp_atomic_file {
    FILE *f;
    char *path;    /* the target as given (in buf), for messages */
    char *dest;    /* what is replaced: path, or the file a symbolic link points to (in buf) */
    char *tmp;     /* the temporary file beside dest (in buf); NULL when written directly */
    char buf[];    /* one allocation: path, dest, tmp */
};

static atomic_uint tmp_counter;

/* A device, FIFO or socket (/dev/stdout, /dev/null, a named pipe) cannot be replaced by a
 * rename: such a target is written directly. */
static int is_special(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

static rbp_status open_failed(rbp_atomic_file *a, const char *path, int err)
{
    rbp_status st = rbp__set_error(RBP_ERR_IO, "cannot write '%s': %s", path, strerror(err));
    rbp__free(a);
    return st;
}

rbp_status rbp_atomic_file_open(rbp_atomic_file **out, const char *path)
{
    RBP_CHECK_NULL(out);
    *out = NULL;
    RBP_CHECK_NULL(path);
    RBP_CHECK(path[0] != '\0', RBP_ERR_INVALID_ARG, "rbp_atomic_file_open: the path is empty");
    /* A symbolic link stays a link: the file it points to is the one replaced. */
    struct stat lst;
    char *resolved = NULL;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
        resolved = realpath(path, NULL); /* NULL (dangling link): replace the link itself */
    const char *dest = resolved ? resolved : path;
    const size_t plen = strlen(path), dlen = strlen(dest), cap = dlen + 48;
    rbp_atomic_file *a = rbp__malloc(sizeof *a + plen + 1 + dlen + 1 + cap);
    if (!a) {
        free(resolved);
        return rbp__oom();
    }
    a->path = a->buf;
    a->dest = a->buf + plen + 1;
    a->tmp = a->dest + dlen + 1;
    memcpy(a->path, path, plen + 1);
    memcpy(a->dest, dest, dlen + 1);
    free(resolved);

    if (is_special(a->dest)) {
        a->tmp = NULL;
        a->f = fopen(a->dest, "wb");
        if (!a->f)
            return open_failed(a, path, errno);
        *out = a;
        return RBP_OK;
    }
    int fd = -1, err = 0;
    /* EEXIST only if a crashed run left a file of that name: take the next number. */
    for (int tries = 0; tries < 64 && fd < 0; tries++) {
        snprintf(a->tmp, cap, "%s.tmp.%ld.%u", a->dest, (long)getpid(), atomic_fetch_add(&tmp_counter, 1u));
        fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        err = fd < 0 ? errno : 0;
        if (fd < 0 && err != EEXIST)
            break;
    }
    if (fd < 0)
        return open_failed(a, path, err);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        err = errno;
        close(fd);
        remove(a->tmp);
        return open_failed(a, path, err);
    }
    *out = a;
    return RBP_OK;
}

FILE *rbp_atomic_file_stream(rbp_atomic_file *f)
{
    if (!f) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_atomic_file_stream: argument 'f' is NULL");
        return NULL;
    }
    return f->f;
}

const char *rbp_atomic_file_path(const rbp_atomic_file *f)
{
    if (!f) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "rbp_atomic_file_path: argument 'f' is NULL");
        return NULL;
    }
    return f->path;
}


/* fsync the directory holding `path`, so the rename itself survives a crash. Best effort:
 * some file systems refuse fsync on directories, and the data are already safe. */
static void sync_parent_dir(char *path)
{
    char *slash = strrchr(path, '/');
    const char *dir = ".";
    if (slash == path)
        dir = "/";
    else if (slash != NULL) {
        *slash = '\0'; /* path is ours and freed next */
        dir = path;
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

rbp_status rbp_atomic_file_commit(rbp_atomic_file *f)
{
    RBP_CHECK_NULL(f);
    int err = 0;
    if (ferror(f->f))
        err = errno ? errno : EIO;
    if (!err && fflush(f->f) != 0)
        err = errno ? errno : EIO;
    if (!err && f->tmp && fsync(fileno(f->f)) != 0)
        err = errno ? errno : EIO;
    if (fclose(f->f) != 0 && !err)
        err = errno ? errno : EIO;
    f->f = NULL;
    rbp_status st = RBP_OK;
    if (err) {
        st = rbp__set_error(RBP_ERR_IO, "error writing '%s': %s", f->path, strerror(err));
        if (f->tmp)
            remove(f->tmp);
    } else if (f->tmp && rename(f->tmp, f->dest) != 0) {
        st = rbp__set_error(RBP_ERR_IO, "cannot rename '%s' to '%s': %s", f->tmp, f->dest, strerror(errno));
        remove(f->tmp);
    } else if (f->tmp) {
        sync_parent_dir(f->dest);
    }
    rbp__free(f);
    return st;
}

void rbp_atomic_file_abort(rbp_atomic_file *f)
{
    if (!f)
        return;
    if (f->f)
        fclose(f->f);
    if (f->tmp)
        remove(f->tmp);
    rbp__free(f);
}
