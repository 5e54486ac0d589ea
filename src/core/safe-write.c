/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Safe replacement of a file relative to a resolved directory fd; see
 * safe-write.h.  The temporary files carry a random suffix and are created
 * with O_EXCL|O_NOFOLLOW, so a planted file or symlink of that name can
 * neither be written through nor be mistaken for ours.
 */
#include "safe-write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/diag.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define BACKUP_MAX 999

static bool name_ok(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int write_fd(int fd, const void *content, size_t len)
{
	const char *p = content;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create a fresh temporary file beside name; its name goes to ret_tmp. */
static int create_tmp(int dirfd, const char *name, mode_t mode, char **ret_tmp)
{
	for (int tries = 0; tries < 100; tries++) {
		uint64_t rnd = 0;
		char *tmp;
		int fd;

		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)tries ^
			      (uint64_t)(uintptr_t)&rnd;
		tmp = xasprintf(".%s.kvmtune-%012llx", name,
				(unsigned long long)(rnd & 0xffffffffffffULL));
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0) {
			*ret_tmp = tmp;
			return fd;
		}
		free(tmp);
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Write content into a new temporary file, owned and moded like st (or mode), synced. */
static int fill_tmp(int dirfd, const char *name, const void *content, size_t len, mode_t mode,
		    const struct stat *owner, char **ret_tmp)
{
	AUTOCLOSE int fd = -1;
	AUTOFREE char *tmp = NULL;
	int r;

	fd = create_tmp(dirfd, name, 0600, &tmp);
	if (fd < 0)
		return fd;
	r = write_fd(fd, content, len);
	if (r >= 0 && owner && fchown(fd, owner->st_uid, owner->st_gid) < 0 && errno != EPERM)
		r = -errno;
	if (r >= 0 && fchmod(fd, owner ? owner->st_mode & 07777 : mode) < 0)
		r = -errno;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return r;
	}
	*ret_tmp = steal_ptr(&tmp);
	return 0;
}

/* Link the synced temporary file to the first free NAME.bak[.N]; never replaces one. */
static int link_backup(int dirfd, const char *name, const char *tmp, char **ret_bak)
{
	for (int i = 0; i <= BACKUP_MAX; i++) {
		char *bak = i ? xasprintf("%s.bak.%d", name, i) : xasprintf("%s.bak", name);

		if (linkat(dirfd, tmp, dirfd, bak, 0) == 0) {
			*ret_bak = bak;
			return 0;
		}
		free(bak);
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int backup_old(int dirfd, const char *name, const char *display, const char *old,
		      size_t old_len, const struct stat *st, char **ret_bak, struct diag *d)
{
	AUTOFREE char *tmp = NULL;
	int r;

	r = fill_tmp(dirfd, name, old, old_len, 0600, st, &tmp);
	if (r < 0)
		return diag_set(d, r, display, "cannot back up '%s': %s; it is unchanged", display,
				strerror(-r));
	r = link_backup(dirfd, name, tmp, ret_bak);
	(void)unlinkat(dirfd, tmp, 0);
	if (r == -EEXIST)
		return diag_set(
			d, EEXIST, display,
			"cannot back up '%s': '%s.bak' to '%s.bak.%d' all exist; remove old "
			"backups first",
			display, name, name, BACKUP_MAX);
	if (r < 0)
		return diag_set(d, r, display, "cannot back up '%s': %s; it is unchanged", display,
				strerror(-r));
	return 0;
}

int safe_read_fd(int fd, const char *display, size_t max_bytes, char **ret_buf, size_t *ret_len,
		 struct diag *d)
{
	struct sbuf sb = SBUF_INIT;

	for (;;) {
		ssize_t n;

		sbuf_grow(&sb, 4096);
		n = read(fd, sb.buf + sb.len, sb.alloc - sb.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			sbuf_release(&sb);
			return diag_set(d, err, display, "cannot read '%s': %s", display,
					strerror(err));
		}
		if (n == 0)
			break;
		sb.len += (size_t)n;
		sb.buf[sb.len] = '\0';
		if (sb.len > max_bytes) {
			sbuf_release(&sb);
			return diag_set(d, EFBIG, display, "'%s' is larger than %zu bytes, refused",
					display, max_bytes);
		}
	}
	*ret_buf = sbuf_detach(&sb, ret_len);
	return 0;
}

int safe_read_at(int dirfd, const char *name, const char *display, size_t max_bytes, int nofollow,
		 char **ret_buf, size_t *ret_len, struct diag *d)
{
	AUTOCLOSE int fd = -1;
	struct stat st;
	int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);

	fd = openat(dirfd, name, flags);
	if (fd < 0)
		return diag_set(d, errno, display, "cannot open '%s': %s", display,
				errno == ELOOP && nofollow ? "it is a symbolic link"
							   : strerror(errno));
	if (fstat(fd, &st) < 0)
		return diag_set(d, errno, display, "cannot stat '%s': %s", display,
				strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_set(d, EINVAL, display, "'%s' is not a regular file, refused", display);
	if ((uint64_t)st.st_size > max_bytes)
		return diag_set(d, EFBIG, display, "'%s' is larger than %zu bytes, refused",
				display, max_bytes);
	return safe_read_fd(fd, display, max_bytes, ret_buf, ret_len, d);
}

int safe_write_at(int dirfd, const char *name, const char *display, const void *content, size_t len,
		  mode_t mode, unsigned flags, char **ret_backup, struct diag *d)
{
	AUTOFREE char *old = NULL;
	AUTOFREE char *tmp = NULL;
	AUTOFREE char *bak = NULL;
	size_t old_len = 0;
	struct stat st;
	bool have_old;
	int r;

	if (!name_ok(name))
		return diag_set(d, EINVAL, display, "'%s' is not a file name", display);
	if (len > SAFE_WRITE_MAX_BYTES)
		return diag_set(d, EFBIG, display, "refusing to write %zu bytes to '%s' (limit %u)",
				len, display, SAFE_WRITE_MAX_BYTES);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode))
			return diag_set(d, EINVAL, display,
					"'%s' is not a regular file (%s), refused", display,
					S_ISLNK(st.st_mode) ? "a symbolic link" : "a special file");
		have_old = true;
	} else if (errno == ENOENT) {
		have_old = false;
	} else {
		return diag_set(d, errno, display, "cannot stat '%s': %s", display,
				strerror(errno));
	}
	if (have_old && (flags & SAFE_WRITE_BACKUP)) {
		r = safe_read_at(dirfd, name, display, SAFE_WRITE_MAX_BYTES, 1, &old, &old_len, d);
		if (r < 0)
			return r;
		r = backup_old(dirfd, name, display, old, old_len, &st, &bak, d);
		if (r < 0)
			return r;
	}
	r = fill_tmp(dirfd, name, content, len, mode,
		     have_old && (flags & SAFE_WRITE_KEEP_OWNER) ? &st : NULL, &tmp);
	if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		(void)unlinkat(dirfd, tmp, 0);
	}
	if (r < 0) {
		if (bak) /* nothing changed: the backup of it is not needed */
			(void)unlinkat(dirfd, bak, 0);
		return diag_set(d, r, display, "cannot write '%s': %s; it is unchanged", display,
				strerror(-r));
	}
	(void)fsync(dirfd); /* the rename itself; fails harmlessly on an O_PATH fd */
	if (ret_backup)
		*ret_backup = steal_ptr(&bak);
	return 0;
}
