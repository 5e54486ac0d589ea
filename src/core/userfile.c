/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading and safely replacing files the user names; see userfile.h. */
#include "userfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/safe-write.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

int userfile_read(const char *path, size_t max_bytes, char **ret_buf, size_t *ret_len,
		  struct diag *d)
{
	return safe_read_at(AT_FDCWD, path, path, max_bytes, 0, ret_buf, ret_len, d);
}

int userfile_replace(const char *path, const char *content, size_t len, char **ret_target,
		     char **ret_backup, struct diag *d)
{
	AUTOFREE char *real = NULL;
	AUTOFREE char *dir = NULL;
	AUTOFREE char *bak = NULL;
	AUTOCLOSE int dirfd = -1;
	const char *slash, *base;
	int r;

	real = realpath(path, NULL);
	if (!real)
		return diag_set(d, errno, path, "cannot resolve '%s': %s", path, strerror(errno));
	slash = strrchr(real, '/');
	dir = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));
	base = slash + 1;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return diag_set(d, errno, path, "cannot open directory '%s': %s", dir,
				strerror(errno));
	r = safe_write_at(dirfd, base, real, content, len, 0600,
			  SAFE_WRITE_BACKUP | SAFE_WRITE_KEEP_OWNER, &bak, d);
	if (r < 0)
		return r;
	if (ret_backup)
		*ret_backup = bak ? xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", bak) : NULL;
	if (ret_target)
		*ret_target = steal_ptr(&real);
	return 0;
}

int userfile_write_output(const char *path, const char *content, size_t len, mode_t mode,
			  struct diag *d)
{
	const char *slash = strrchr(path, '/');
	AUTOFREE char *dir = !slash	     ? xstrdup(".")
			     : slash == path ? xstrdup("/")
					     : xstrndup(path, (size_t)(slash - path));
	const char *base = slash ? slash + 1 : path;
	AUTOCLOSE int dirfd = -1;

	if (!*base)
		return diag_set(d, EINVAL, path, "'%s' names a directory, not a file", path);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return diag_set(d, errno, path, "cannot open directory '%s': %s", dir,
				strerror(errno));
	return safe_write_at(dirfd, base, path, content, len, mode, SAFE_WRITE_KEEP_OWNER, NULL, d);
}

int userfile_lock(const char *path, unsigned timeout_ms, struct diag *d)
{
	struct timespec step = {.tv_sec = 0, .tv_nsec = 20L * 1000 * 1000};
	AUTOFREE char *real = NULL;
	AUTOFREE char *dir = NULL;
	unsigned waited_ms = 0;
	const char *slash;
	int fd, err;

	real = realpath(path, NULL);
	if (!real)
		return diag_set(d, errno, path, "cannot resolve '%s': %s", path, strerror(errno));
	slash = strrchr(real, '/');
	dir = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return diag_set(d, errno, path, "cannot open '%s' to lock '%s': %s", dir, path,
				strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno;
		if ((err != EWOULDBLOCK && err != EINTR) || waited_ms >= timeout_ms) {
			(void)close(fd);
			if (err == EWOULDBLOCK || err == EINTR)
				return diag_set(
					d, EAGAIN, path,
					"another kvmtune is writing in '%s' (waited %u ms); "
					"try again when it is done",
					dir, waited_ms);
			return diag_set(d, err, path, "cannot lock '%s': %s", dir, strerror(err));
		}
		(void)nanosleep(&step, NULL);
		waited_ms += 20;
	}
	return fd;
}
