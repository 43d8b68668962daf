/*
 * io/atomic_file.c - the one atomic file writer (rbpattn/atomic_file.h).
 *
 * Not mkstemp: it creates the file with mode 0600 and cannot be told otherwise without
 * reading the umask, which no thread-safe call does; open(O_CREAT | O_EXCL, 0666) with a name
 * unique per process (pid) and per call (an atomic counter) gives the same guarantee that
 * no two writers share a temporary file, and the mode the user expects.
 *
 * The name "<dest>.tmp.<host>.<pid>.<n>" says who wrote it, so that a later writer of the same
 * target can remove what a killed one left (remove_stale_temps).
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* This host's short name (up to the first '.', at most 32 characters, anything but letters,
 * digits, '-' and '_' as '_'): part of the temporary names, so that a writer on another host
 * sharing the directory (NFS) is never taken for a dead local one. */
static void host_name(char out[33])
{
    char h[256];
    if (gethostname(h, sizeof h) != 0 || h[0] == '\0')
        strcpy(h, "host");
    h[sizeof h - 1] = '\0';
    size_t i = 0;
    for (; i < 32 && h[i] != '\0' && h[i] != '.'; i++) {
        const char c = h[i];
        const int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        out[i] = ok ? c : '_';
    }
    out[i] = '\0';
}

/* Parses the digits of s[0..n) into *v; 0 unless there is at least one and only digits. */
static int parse_digits(const char *s, size_t n, unsigned long long *v)
{
    *v = 0;
    if (n == 0 || n > 19)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10u + (unsigned)(s[i] - '0');
    }
    return 1;
}

/*
 * Remove the temporary files of `dest` that a writer killed before its rename left behind:
 * "<dest>.tmp.<host>.<pid>.<n>" (or the older "<dest>.tmp.<pid>.<n>") in the same directory,
 * written on this host by a process that no longer exists (kill(pid, 0) fails with ESRCH),
 * regular files last modified more than RBP__STALE_TEMP_AGE seconds ago. The age guards
 * against a reused pid's race and clocks; the host against a live writer elsewhere. Best
 * effort: nothing here can fail the write.
 */
#define RBP__STALE_TEMP_AGE 60
static void remove_stale_temps(char *dest, const char *host)
{
    /* the directory: dest cut at its last '/' for the opendir (restored at once; no allocation) */
    char *slash = strrchr(dest, '/');
    const char *base = slash ? slash + 1 : dest;
    DIR *d;
    if (!slash) {
        d = opendir(".");
    } else if (slash == dest) {
        d = opendir("/");
    } else {
        *slash = '\0';
        d = opendir(dest);
        *slash = '/';
    }
    if (!d)
        return;
    const size_t blen = strlen(base), hlen = strlen(host);
    const time_t now = time(NULL);
    const long self = (long)getpid();
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const char *name = e->d_name;
        if (strncmp(name, base, blen) != 0 || strncmp(name + blen, ".tmp.", 5) != 0)
            continue;
        const char *rest = name + blen + 5; /* "<host>.<pid>.<n>" or "<pid>.<n>" */
        const char *last = strrchr(rest, '.');
        if (!last || last == rest)
            continue;
        const char *prev = last - 1;
        while (prev > rest && *prev != '.')
            prev--;
        const char *pid_s = *prev == '.' ? prev + 1 : rest;
        const size_t host_n = *prev == '.' ? (size_t)(prev - rest) : 0;
        unsigned long long pid = 0, n = 0;
        if (!parse_digits(pid_s, (size_t)(last - pid_s), &pid) || !parse_digits(last + 1, strlen(last + 1), &n))
            continue;
        if (host_n != 0 && (host_n != hlen || strncmp(rest, host, hlen) != 0))
            continue; /* another host's writer: its pid means nothing here */
        if (pid == 0 || pid > 0x7fffffffull || (long)pid == self)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive, or not ours to signal (EPERM): it exists */
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            now - st.st_mtime <= RBP__STALE_TEMP_AGE)
            continue;
        (void)unlinkat(dirfd(d), name, 0);
    }
    closedir(d);
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
    char host[33];
    host_name(host);
    const size_t plen = strlen(path), dlen = strlen(dest), cap = dlen + 96;
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
        snprintf(a->tmp, cap, "%s.tmp.%s.%ld.%u", a->dest, host, (long)getpid(), atomic_fetch_add(&tmp_counter, 1u));
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
    remove_stale_temps(a->dest, host);
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
