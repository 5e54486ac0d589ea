/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host seam: every read and write of /sys, /proc, /etc, /dev and /run
 * goes through a struct host, which holds a directory fd for the root ("/"
 * on a live host, a fixture tree in tests, --root DIR for users).  Paths are
 * given as absolute paths of the host ("/proc/meminfo") and resolved below the
 * root.  Writes go through one function that tests can record or make fail.
 */
#ifndef KVMTUNE_CORE_HOST_H
#define KVMTUNE_CORE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct diag;
struct host;

/*
 * Called instead of the real write when set.  Return >= 0 to let the write
 * proceed (the hook only recorded it), 1 to skip the real write, or -errno
 * to make it fail with that error.
 */
typedef int (*host_write_hook_fn)(void *userdata, const char *path, const char *value);

/*
 * Open root (NULL means "/").  Fails with -ENOENT/-ENOTDIR/-EACCES when
 * root cannot be opened, and -EINVAL when it does not look like a Linux
 * root (no sys/devices/system/cpu and no proc/cpuinfo below it).
 */
int host_open(const char *root, struct host **ret, struct diag *d);

enum host_open_flags {
	/*
	 * Resolve paths below a root other than "/" by our own walk (each
	 * component with O_NOFOLLOW, links expanded inside the root), as on
	 * kernels without openat2 (< 5.6) or sandboxes that refuse it: for tests
	 * of that path (KVMTUNE_NO_OPENAT2=1 in the environment of the CLI).
	 */
	HOST_OPEN_NO_OPENAT2 = 1u << 0,
};
/* host_open() with flags.  root "" is refused (-EINVAL), not taken as "/". */
int host_open_flags(const char *root, unsigned flags, struct host **ret, struct diag *d);

/* Largest host file read whole (64 MiB), and streamed line by line (256 MiB). */
#define HOST_MAX_FILE_BYTES (64u << 20)
#define HOST_MAX_STREAM_BYTES (256u << 20)
void host_free(struct host *h);
/* The root as given ("/" for the live host). */
const char *host_root(const struct host *h);
/* True when the root is the live system's "/". */
bool host_is_live(const struct host *h);

/*
 * Paths: absolute paths of the host, resolved below the root.  Below a root
 * other than "/" no path ever leads out of it: ".." stops at the root and
 * symlinks (absolute or relative) are resolved inside it, for reads and
 * writes alike.  Changes (write, replace, unlink, mkdir, rename) never
 * follow a symlink in the last component.
 *
 * Read a whole regular file into a NUL-terminated buffer (caller frees).
 * Returns -ENOENT when it is absent (callers decide whether that matters),
 * -EINVAL for a FIFO, device or directory (refused without blocking),
 * -EFBIG beyond HOST_MAX_FILE_BYTES, other -errno on failure; fills d with
 * the path and reason.
 */
int host_read(struct host *h, const char *path, char **ret_buf, size_t *ret_len, struct diag *d);
/*
 * host_read for a file the kernel writes in one go: a sysfs attribute, a
 * cgroup file without records (memory.numa_stat, not cgroup.procs), a
 * single_open proc file (meminfo, PID/stat, PID/cgroup, PID/comm), a
 * fixture's regular file.  A read shorter than asked for is taken as the
 * end, saving the read() that would return 0.  Never for files of records
 * (numa_maps, mounts, cpuinfo, cgroup.procs): they can stop short mid-file.
 */
int host_read_attr(struct host *h, const char *path, char **ret_buf, size_t *ret_len,
		   struct diag *d);
/*
 * Read a file of lines through the caller's buf (bufsz bytes), handing fn
 * complete lines in order, a bufferful at most at a time: a large numa_maps
 * costs no growing buffer.  fn never gets part of a line: a line longer than
 * buf (a long file name, a thousand N<node>= fields) is collected on the heap
 * and handed over on its own; a last line without a newline comes last.
 * fn's negative return ends the read with that value.  ret_total (may be
 * NULL) gets the file's size in bytes.
 */
int host_read_lines(struct host *h, const char *path, char *buf, size_t bufsz,
		    int (*fn)(void *ctx, const char *text, size_t len), void *ctx,
		    size_t *ret_total, struct diag *d);
/* Read a file holding one unsigned decimal number (sysfs style). -EINVAL names the value. */
int host_read_u64(struct host *h, const char *path, unsigned long long *ret, struct diag *d);
/* Whether path exists below the root (following links inside it). */
bool host_exists(struct host *h, const char *path);
int host_stat(struct host *h, const char *path, struct stat *ret, struct diag *d);
/*
 * The names in a directory, sorted, without "." and "..".  ret_names is a
 * NULL-terminated array; free it with host_names_free().  -ENOENT when the
 * directory is absent.
 */
int host_list(struct host *h, const char *dir, char ***ret_names, size_t *ret_count,
	      struct diag *d);
void host_names_free(char **names);
/* Like host_list, only the subdirectories (cgroup trees: skip their many files). */
int host_list_dirs(struct host *h, const char *dir, char ***ret_names, size_t *ret_count,
		   struct diag *d);
/*
 * Like host_list, but a directory that does not exist (or a path through a
 * file) is an empty list, not an error: for kernels and hosts that lack it.
 */
int host_list_optional(struct host *h, const char *dir, char ***ret_names, size_t *ret_count,
		       struct diag *d);
/* Read a symbolic link's target (caller frees), its directory resolved within the root. */
int host_readlink(struct host *h, const char *path, char **ret, struct diag *d);

/*
 * Write value to an existing file (sysfs/procfs knobs), through the write
 * hook.  No newline is added.  On failure d names the path and the value.
 */
int host_write(struct host *h, const char *path, const char *value, struct diag *d);
/*
 * Create or replace a regular file atomically: write a temporary file in the
 * same directory, fsync, rename.  mode is the new file's mode.  Goes through
 * the write hook too.
 */
int host_write_file_atomic(struct host *h, const char *path, const char *content, mode_t mode,
			   struct diag *d);
/*
 * host_write_file_atomic() for len bytes with safe_write_at()'s flags
 * (SAFE_WRITE_BACKUP, SAFE_WRITE_KEEP_OWNER; see core/safe-write.h):
 * ret_backup gets the backup's file name (may be NULL).
 */
int host_replace_file(struct host *h, const char *path, const char *content, size_t len,
		      mode_t mode, unsigned flags, char **ret_backup, struct diag *d);
/* Rename a file within the root (through the write hook, value "<rename>", path to). */
int host_rename(struct host *h, const char *from, const char *to, struct diag *d);
/* Remove a file (through the write hook, value ""). */
int host_unlink(struct host *h, const char *path, struct diag *d);
/* Create a directory and its parents (through the write hook, value "<mkdir>"). */
int host_mkdir_p(struct host *h, const char *path, mode_t mode, struct diag *d);
void host_set_write_hook(struct host *h, host_write_hook_fn fn, void *userdata);

/* Where host_lock() keeps its lock files, below the root. */
#define HOST_LOCK_DIR "/run/kvmtune/lock"
/*
 * One writer at a time: take an exclusive flock(2) on HOST_LOCK_DIR/NAME
 * below the root (the directory is created as needed, outside the write
 * hook: a lock is not a change of the host).  Waits up to timeout_ms for
 * another holder (0: do not wait).  NAME is a plain file name: "hugepages"
 * for the pools and their reservation records, "journal" for the undo
 * journal, and so on.  Returns the lock's fd (>= 0; close it to release, or
 * let the process end) or -EAGAIN when another process still holds it
 * after timeout_ms (d names the lock), other -errno on failure.
 */
int host_lock(struct host *h, const char *name, unsigned timeout_ms, struct diag *d);

#endif
