/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files the user names on the command line (a domain XML, a log, a spec),
 * as opposed to the host's own files below --root: read with a size limit,
 * never blocking on a FIFO or device; replaced safely (core/safe-write.h).
 */
#ifndef KVMTUNE_CORE_USERFILE_H
#define KVMTUNE_CORE_USERFILE_H

#include <stddef.h>
#include <sys/types.h>

struct diag;

/*
 * Read path (a regular file; "-" is not special here) into a NUL-terminated
 * buffer of at most max_bytes (caller frees).  -EINVAL for a FIFO, device or
 * directory, -EFBIG for a larger file, other -errno of open/read; d names
 * the path.
 */
int userfile_read(const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
		  struct diag *d);

/*
 * Replace path by content, keeping its owner and mode and a backup
 * (SAFE_WRITE_BACKUP | SAFE_WRITE_KEEP_OWNER).  A symlink is followed to the
 * file it names, which is the one updated (the link stays a link);
 * ret_target gets that file's path, ret_backup the backup's path (both may
 * be NULL; caller frees).  Errors as safe_write_at().
 */
int userfile_replace(const char *path, const char *content, size_t len, char **ret_target,
		     char **ret_backup, struct diag *d);

/*
 * Write an output file the user named (metrics for node_exporter's textfile
 * collector): path, which need not exist, is replaced by content through a
 * temporary file beside it and a rename, so a reader sees the old file or
 * the new one, never a part; no backup; an existing file's owner and mode
 * are kept, a new one gets mode.  A final symlink is refused (-EINVAL), as
 * is a FIFO or device.  Errors as safe_write_at().
 */
int userfile_write_output(const char *path, const char *content, size_t len, mode_t mode,
			  struct diag *d);

/*
 * One writer at a time for path: an exclusive flock on the directory of the
 * file path resolves to (a replace renames a new file in, so the file itself
 * cannot carry the lock), waiting at most timeout_ms.  Returns the lock's fd
 * (close it to unlock) or -errno: -EAGAIN when another writer held it for
 * the whole wait; d names the path.
 */
int userfile_lock(const char *path, unsigned timeout_ms, struct diag *d);

#endif
