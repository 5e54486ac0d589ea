/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host seam: the only file that opens host paths.  Paths resolve below a
 * root directory fd; for a root other than "/", openat2(RESOLVE_IN_ROOT)
 * keeps absolute symlinks of a captured tree inside it.
 */
#include "host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

struct host {
	int root_fd;
	char *root;
	bool live;
	bool have_openat2;
	host_write_hook_fn hook;
	void *hook_data;
};

/* Strip leading slashes: paths are relative to root_fd. */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static int host_openat(struct host *h, const char *path, int flags, mode_t mode)
{
	int fd;

	if (!h->live && h->have_openat2) {
		struct open_how how = {
			.flags = (unsigned long long)(flags | O_CLOEXEC),
			.mode = (flags & O_CREAT) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, h->root_fd, rel(path), &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd < 0 ? -errno : fd;
		h->have_openat2 = false;
	}
	fd = openat(h->root_fd, rel(path), flags | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}

int host_open(const char *root, struct host **ret, struct diag *d)
{
	struct host *h;
	int fd;

	if (!root || !*root)
		root = "/";
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return diag_set(d, errno, root, "cannot open root directory '%s': %s", root,
				strerror(errno));
	h = xcalloc(1, sizeof(*h));
	h->root_fd = fd;
	h->root = xstrdup(root);
	h->live = strcmp(root, "/") == 0;
	h->have_openat2 = true;
	if (!host_exists(h, "/sys/devices/system/cpu") && !host_exists(h, "/proc/cpuinfo")) {
		host_free(h);
		return diag_set(d, EINVAL, root,
				"'%s' is not a Linux root: it has neither sys/devices/system/cpu "
				"nor proc/cpuinfo",
				root);
	}
	*ret = h;
	return 0;
}

void host_free(struct host *h)
{
	if (!h)
		return;
	if (h->root_fd >= 0)
		(void)close(h->root_fd);
	free(h->root);
	free(h);
}

const char *host_root(const struct host *h)
{
	return h->root;
}

bool host_is_live(const struct host *h)
{
	return h->live;
}

static int read_file(struct host *h, const char *path, bool one_show, char **ret_buf,
		     size_t *ret_len, struct diag *d)
{
	AUTOCLOSE int fd = -1;
	struct sbuf sb = SBUF_INIT;

	fd = host_openat(h, path, O_RDONLY, 0);
	if (fd < 0)
		return diag_set(d, fd, path, "cannot open '%s': %s", path, strerror(-fd));
	for (;;) {
		size_t want;
		ssize_t n;

		sbuf_grow(&sb, 4096);
		want = sb.alloc - sb.len - 1;
		n = read(fd, sb.buf + sb.len, want);
		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			sbuf_release(&sb);
			return diag_set(d, err, path, "cannot read '%s': %s", path, strerror(err));
		}
		if (n == 0)
			break;
		sb.len += (size_t)n;
		sb.buf[sb.len] = '\0';
		if (one_show && (size_t)n < want)
			break; /* the kernel gave all it had in one go: no read() for EOF */
	}
	*ret_buf = sbuf_detach(&sb, ret_len);
	return 0;
}

int host_read(struct host *h, const char *path, char **ret_buf, size_t *ret_len, struct diag *d)
{
	return read_file(h, path, false, ret_buf, ret_len, d);
}

int host_read_attr(struct host *h, const char *path, char **ret_buf, size_t *ret_len,
		   struct diag *d)
{
	return read_file(h, path, true, ret_buf, ret_len, d);
}

/* Hand fn the complete lines of buf[0, have), keeping a partial last line (moved to the start). */
static int lines_flush(char *buf, size_t *have, struct sbuf *longline,
		       int (*fn)(void *ctx, const char *text, size_t len), void *ctx)
{
	char *nl = memchr(buf, '\n', *have);
	size_t whole;
	int r;

	if (longline->len) {
		/* the rest of a line longer than buf: hand it over whole */
		size_t end = nl ? (size_t)(nl - buf) + 1 : *have;

		sbuf_add(longline, buf, end);
		memmove(buf, buf + end, *have - end);
		*have -= end;
		if (!nl)
			return 0;
		r = fn(ctx, longline->buf, longline->len);
		sbuf_reset(longline);
		if (r < 0)
			return r;
		nl = memchr(buf, '\n', *have);
	}
	nl = nl ? memrchr(buf, '\n', *have) : NULL;
	whole = nl ? (size_t)(nl - buf) + 1 : 0;
	if (whole) {
		r = fn(ctx, buf, whole);
		if (r < 0)
			return r;
		memmove(buf, buf + whole, *have - whole);
		*have -= whole;
	}
	return 0;
}

int host_read_lines(struct host *h, const char *path, char *buf, size_t bufsz,
		    int (*fn)(void *ctx, const char *text, size_t len), void *ctx,
		    size_t *ret_total, struct diag *d)
{
	AUTOCLOSE int fd = -1;
	struct sbuf longline = SBUF_INIT;
	size_t have = 0, total = 0;
	int r = 0;

	fd = host_openat(h, path, O_RDONLY, 0);
	if (fd < 0)
		return diag_set(d, fd, path, "cannot open '%s': %s", path, strerror(-fd));
	for (;;) {
		ssize_t n = read(fd, buf + have, bufsz - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			sbuf_release(&longline);
			return diag_set(d, err, path, "cannot read '%s': %s", path, strerror(err));
		}
		have += (size_t)n;
		total += (size_t)n;
		r = lines_flush(buf, &have, &longline, fn, ctx);
		if (r >= 0 && have == bufsz) {
			/* a line longer than buf: collect it until its newline */
			sbuf_add(&longline, buf, have);
			have = 0;
		}
		if (r >= 0 && n == 0 && (have || longline.len)) {
			/* the last line, without a newline */
			sbuf_add(&longline, buf, have);
			r = fn(ctx, longline.buf, longline.len);
		}
		if (r < 0 || n == 0)
			break;
	}
	sbuf_release(&longline);
	if (r < 0)
		return r;
	if (ret_total)
		*ret_total = total;
	return 0;
}

int host_read_u64(struct host *h, const char *path, unsigned long long *ret, struct diag *d)
{
	AUTOFREE char *buf = NULL;
	uint64_t v;
	int r;

	r = host_read_attr(h, path, &buf, NULL, d);
	if (r < 0)
		return r;
	r = parse_u64_trim(buf, &v);
	if (r < 0) {
		size_t n = strcspn(buf, "\n");

		return diag_set(d, r, path, "'%s' holds '%.*s', expected an unsigned number", path,
				(int)(n > 64 ? 64 : n), buf);
	}
	*ret = v;
	return 0;
}

bool host_exists(struct host *h, const char *path)
{
	int fd = host_openat(h, path, O_PATH, 0);

	if (fd < 0)
		return false;
	(void)close(fd);
	return true;
}

int host_stat(struct host *h, const char *path, struct stat *ret, struct diag *d)
{
	AUTOCLOSE int fd = -1;

	fd = host_openat(h, path, O_PATH, 0);
	if (fd < 0)
		return diag_set(d, fd, path, "cannot stat '%s': %s", path, strerror(-fd));
	if (fstat(fd, ret) < 0)
		return diag_set(d, errno, path, "cannot stat '%s': %s", path, strerror(errno));
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir_entry(DIR *dp, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int list_entries(struct host *h, const char *dir, bool dirs_only, char ***ret_names,
			size_t *ret_count, struct diag *d)
{
	AUTOCLOSEDIR DIR *dp = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int fd;

	fd = host_openat(h, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return diag_set(d, fd, dir, "cannot open directory '%s': %s", dir, strerror(-fd));
	dp = fdopendir(fd);
	if (!dp) {
		int err = errno;

		(void)close(fd);
		return diag_set(d, err, dir, "cannot read directory '%s': %s", dir, strerror(err));
	}
	while ((de = readdir(dp))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (dirs_only && !is_dir_entry(dp, de))
			continue;
		names = xreallocarray(names, n + 2, sizeof(char *));
		names[n++] = xstrdup(de->d_name);
	}
	names = xreallocarray(names, n + 1, sizeof(char *));
	names[n] = NULL;
	qsort(names, n, sizeof(char *), cmp_names);
	*ret_names = names;
	if (ret_count)
		*ret_count = n;
	return 0;
}

int host_list(struct host *h, const char *dir, char ***ret_names, size_t *ret_count, struct diag *d)
{
	return list_entries(h, dir, false, ret_names, ret_count, d);
}

int host_list_dirs(struct host *h, const char *dir, char ***ret_names, size_t *ret_count,
		   struct diag *d)
{
	return list_entries(h, dir, true, ret_names, ret_count, d);
}

int host_list_optional(struct host *h, const char *dir, char ***ret_names, size_t *ret_count,
		       struct diag *d)
{
	int r = host_list(h, dir, ret_names, ret_count, d);

	if (r != -ENOENT && r != -ENOTDIR)
		return r;
	diag_clear(d);
	*ret_names = xcalloc(1, sizeof(char *));
	if (ret_count)
		*ret_count = 0;
	return 0;
}

void host_names_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

void host_set_write_hook(struct host *h, host_write_hook_fn fn, void *userdata)
{
	h->hook = fn;
	h->hook_data = userdata;
}

/* Returns 1 when the hook consumed the write, 0 to go on, -errno to fail. */
static int run_hook(struct host *h, const char *path, const char *value)
{
	if (!h->hook)
		return 0;
	return h->hook(h->hook_data, path, value);
}

int host_write(struct host *h, const char *path, const char *value, struct diag *d)
{
	AUTOCLOSE int fd = -1;
	size_t len = strlen(value), off = 0;
	int r;

	r = run_hook(h, path, value);
	if (r < 0)
		return diag_set(d, r, path, "cannot write '%s' to '%s': %s", value, path,
				strerror(-r));
	if (r > 0)
		return 0;
	/* O_TRUNC matters for fixture trees (regular files); sysfs ignores it. */
	fd = host_openat(h, path, O_WRONLY | O_TRUNC, 0);
	if (fd < 0)
		return diag_set(d, fd, path, "cannot open '%s' for writing: %s", path,
				strerror(-fd));
	while (off < len) {
		ssize_t n = write(fd, value + off, len - off);

		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			return diag_set(d, err, path, "cannot write '%s' to '%s': %s", value, path,
					strerror(err));
		}
		off += (size_t)n;
	}
	return 0;
}

static int split_dir(const char *path, char **ret_dir, const char **ret_base)
{
	const char *slash = strrchr(path, '/');

	if (!slash || !slash[1])
		return -EINVAL;
	*ret_dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	*ret_base = slash + 1;
	return 0;
}

int host_write_file_atomic(struct host *h, const char *path, const char *content, mode_t mode,
			   struct diag *d)
{
	AUTOFREE char *dir = NULL;
	AUTOFREE char *tmp = NULL;
	AUTOCLOSE int fd = -1;
	const char *base;
	size_t len = strlen(content), off = 0;
	int r;

	r = run_hook(h, path, content);
	if (r < 0)
		return diag_set(d, r, path, "cannot write '%s': %s", path, strerror(-r));
	if (r > 0)
		return 0;
	if (split_dir(path, &dir, &base) < 0)
		return diag_set(d, EINVAL, path, "'%s' is not a file path", path);
	tmp = xasprintf("%s/.%s.kvmtune-tmp", strcmp(dir, "/") ? dir : "", base);
	fd = host_openat(h, tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return diag_set(d, fd, path, "cannot create '%s': %s", tmp, strerror(-fd));
	while (off < len) {
		ssize_t n = write(fd, content + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			(void)unlinkat(h->root_fd, rel(tmp), 0);
			return diag_set(d, err, path, "cannot write '%s': %s", tmp, strerror(err));
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		int err = errno;

		(void)unlinkat(h->root_fd, rel(tmp), 0);
		return diag_set(d, err, path, "cannot write '%s': %s", tmp, strerror(err));
	}
	if (renameat(h->root_fd, rel(tmp), h->root_fd, rel(path)) < 0) {
		int err = errno;

		(void)unlinkat(h->root_fd, rel(tmp), 0);
		return diag_set(d, err, path, "cannot rename '%s' to '%s': %s", tmp, path,
				strerror(err));
	}
	return 0;
}

int host_unlink(struct host *h, const char *path, struct diag *d)
{
	int r = run_hook(h, path, "");

	if (r < 0)
		return diag_set(d, r, path, "cannot remove '%s': %s", path, strerror(-r));
	if (r > 0)
		return 0;
	if (unlinkat(h->root_fd, rel(path), 0) < 0 && errno != ENOENT)
		return diag_set(d, errno, path, "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

int host_mkdir_p(struct host *h, const char *path, mode_t mode, struct diag *d)
{
	AUTOFREE char *copy = xstrdup(path);
	int r = run_hook(h, path, "<mkdir>");

	if (r < 0)
		return diag_set(d, r, path, "cannot create directory '%s': %s", path, strerror(-r));
	if (r > 0)
		return 0;
	for (char *p = copy + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdirat(h->root_fd, rel(copy), mode) < 0 && errno != EEXIST)
			return diag_set(d, errno, path, "cannot create directory '%s': %s", copy,
					strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/* mkdir -p below the root without the write hook (infrastructure, not a change). */
static int mkdir_p_raw(struct host *h, const char *path, mode_t mode)
{
	AUTOFREE char *copy = xstrdup(path);

	for (char *p = copy + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdirat(h->root_fd, rel(copy), mode) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

int host_lock(struct host *h, const char *name, unsigned timeout_ms, struct diag *d)
{
	AUTOFREE char *path = NULL;
	struct timespec step = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
	unsigned waited_ms = 0;
	int fd, r;

	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return diag_set(d, EINVAL, name, "'%s' is not a lock name", name);
	path = xasprintf("%s/%s", HOST_LOCK_DIR, name);
	r = mkdir_p_raw(h, HOST_LOCK_DIR, 0700);
	if (r < 0)
		return diag_set(d, r, HOST_LOCK_DIR, "cannot create '%s': %s", HOST_LOCK_DIR,
				strerror(-r));
	fd = host_openat(h, path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
	if (fd < 0)
		return diag_set(d, fd, path, "cannot open lock '%s': %s", path, strerror(-fd));
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int err = errno;

			(void)close(fd);
			return diag_set(d, err, path, "cannot lock '%s': %s", path, strerror(err));
		}
		if (waited_ms >= timeout_ms) {
			(void)close(fd);
			return diag_set(d, EAGAIN, path,
					"another kvmtune holds the lock '%s' (waited %u ms); "
					"try again when it is done",
					path, waited_ms);
		}
		(void)nanosleep(&step, NULL);
		waited_ms += 20;
	}
}
