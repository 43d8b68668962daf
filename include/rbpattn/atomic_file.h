/**
 * @file
 * rbpattn/atomic_file.h - write a file so that readers see the old or the new content, never
 * a part: the library's own model and checkpoint saving, the plotting library and the bundled
 * programs all write through this one routine.
 *
 * rbp_atomic_file_open creates a new temporary file "<path>.tmp.<host>.<pid>.<n>" in the
 * directory of `path` (O_CREAT | O_EXCL, so two writers never share one, even two threads
 * saving the same path; the host part is this host's short name); the caller writes to its
 * stream; rbp_atomic_file_commit flushes it, fsyncs it, renames it over `path` and fsyncs the
 * directory, so the new file survives a crash once commit returns RBP_OK. On any failure, and
 * on rbp_atomic_file_abort, the temporary file is removed and `path` keeps its old content.
 * The new file gets the mode fopen would give it (0666 less the umask). A symbolic link stays
 * a link: the file it points to is replaced. A path that names a device, FIFO or socket
 * (/dev/stdout, /dev/null, a named pipe) cannot be replaced and is written directly (no
 * temporary file, no fsync).
 *
 * Stale temporaries: a process killed (SIGKILL, power loss) between open and commit leaves its
 * temporary file. rbp_atomic_file_open removes those of the same `path`: a temporary of that
 * path (the older "<path>.tmp.<pid>.<n>" names too) whose host part is this host, whose pid
 * no longer exists here (kill(pid, 0) fails with ESRCH), and which was last modified more than a
 * minute ago. A live writer's, another host's (a shared directory) and other paths'
 * temporaries are kept. Best effort: the cleanup never fails the open.
 */
#ifndef RBPATTN_ATOMIC_FILE_H
#define RBPATTN_ATOMIC_FILE_H

#include <stdio.h>

#include "rbpattn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A file being written under a temporary name, put in place by rbp_atomic_file_commit (opaque). */
typedef struct rbp_atomic_file rbp_atomic_file;

/** Start replacing `path`. Errors: RBP_ERR_INVALID_ARG (NULL or empty path), RBP_ERR_IO (the
 * temporary file cannot be created, e.g. the directory does not exist), RBP_ERR_NOMEM. */
RBP_API rbp_status rbp_atomic_file_open(rbp_atomic_file **out, const char *path);

/** The stream to write to (binary mode); owned by `f`: do not fclose it. NULL (and an error)
 * for a NULL `f`. */
RBP_API FILE *rbp_atomic_file_stream(rbp_atomic_file *f);

/** The path being replaced (as given to open), or NULL for a NULL `f`. */
RBP_API const char *rbp_atomic_file_path(const rbp_atomic_file *f);

/**
 * Finish: check the stream for write errors, flush, fsync, close, rename over the path,
 * fsync the directory. Frees `f` whatever the outcome. RBP_ERR_IO with the path and the
 * system's reason on failure (then the temporary file is gone and the path untouched).
 */
RBP_API rbp_status rbp_atomic_file_commit(rbp_atomic_file *f);

/** Give up: close and remove the temporary file, free `f`. NULL is fine. */
RBP_API void rbp_atomic_file_abort(rbp_atomic_file *f);

#ifdef __cplusplus
}
#endif

#endif /* RBPATTN_ATOMIC_FILE_H */
