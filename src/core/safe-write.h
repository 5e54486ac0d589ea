/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replacing a file safely, relative to a directory fd that the caller has
 * already resolved (inside --root through the host seam, or a file the user
 * named): a temporary file created exclusively beside it, never through a
 * symlink; the old owner and mode kept; a backup that never overwrites an
 * earlier one and is never left half-written; an atomic rename at the end.
 */
#ifndef KVMTUNE_CORE_SAFE_WRITE_H
#define KVMTUNE_CORE_SAFE_WRITE_H

#include <stddef.h>
#include <sys/types.h>

struct diag;

/* Largest file kvmtune writes (and reads as a whole): 64 MiB. */
#define SAFE_WRITE_MAX_BYTES (64u << 20)

enum safe_write_flags {
	/*
	 * Keep the old content as NAME.bak, or, when that exists already, as
	 * the first free NAME.bak.1 ... NAME.bak.999: an earlier original is
	 * never overwritten.
	 */
	SAFE_WRITE_BACKUP = 1u << 0,
	/* The new file gets the old one's owner, group and mode (mode is used when there is none).
	 */
	SAFE_WRITE_KEEP_OWNER = 1u << 1,
};

/*
 * Replace dirfd/name (name: one path component, no '/') by content (len
 * bytes).  dirfd must be opened for reading (it is fsync'ed after the
 * rename).  display is the path used in messages.  The old file, when there
 * is one, must be a regular file (a symlink, FIFO or device is refused with
 * -EINVAL; resolve symlinks before, if they are to be followed).  On any
 * failure the old file is untouched and no temporary file is left behind.
 * ret_backup (may be NULL) gets the backup's file name, or NULL when none
 * was written (caller frees).  Returns 0, -EFBIG when len exceeds
 * SAFE_WRITE_MAX_BYTES, -EINVAL for a bad name or old file, -errno of the
 * file system (ENOSPC, EROFS, EPERM for an immutable file, ...).
 */
int safe_write_at(int dirfd, const char *name, const char *display, const void *content, size_t len,
		  mode_t mode, unsigned flags, char **ret_backup, struct diag *d);

/*
 * Read the regular file dirfd/name (not following a final symlink when
 * nofollow is set) into a NUL-terminated buffer of at most max_bytes
 * (caller frees).  A FIFO, device, socket or directory is refused with
 * -EINVAL without blocking; a larger file with -EFBIG.
 */
int safe_read_at(int dirfd, const char *name, const char *display, size_t max_bytes, int nofollow,
		 char **ret_buf, size_t *ret_len, struct diag *d);

/* Read all of fd (already opened and checked) up to max_bytes; -EFBIG beyond. */
int safe_read_fd(int fd, const char *display, size_t max_bytes, char **ret_buf, size_t *ret_len,
		 struct diag *d);

#endif
