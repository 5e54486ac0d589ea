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

#include "core/safe-write.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
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

/* Symlinks followed on one path, as the kernel's MAXSYMLINKS. */
#define HOST_MAX_LINKS 40

/* Strip leading slashes: paths are relative to root_fd. */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

struct fd_stack {
	int *fds;
	size_t n, alloc;
};

static int fd_stack_top(const struct fd_stack *s, int root_fd)
{
	return s->n ? s->fds[s->n - 1] : root_fd;
}

static void fd_stack_push(struct fd_stack *s, int fd)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 8;
		s->fds = xreallocarray(s->fds, s->alloc, sizeof(int));
	}
	s->fds[s->n++] = fd;
}

static void fd_stack_pop(struct fd_stack *s)
{
	if (s->n)
		(void)close(s->fds[--s->n]);
}

static void fd_stack_release(struct fd_stack *s)
{
	while (s->n)
		fd_stack_pop(s);
	free(s->fds);
}

/*
 * Splice a symlink's target in front of the rest of the path (rest may be
 * empty); an absolute target starts again from the root.
 */
static char *splice_link(const char *target, const char *rest, struct fd_stack *dirs)
{
	if (target[0] == '/')
		while (dirs->n)
			fd_stack_pop(dirs);
	return xasprintf("%s/%s", target, rest);
}

/*
 * What openat2(RESOLVE_IN_ROOT) does, for kernels and sandboxes without it:
 * walk the path one component at a time with O_NOFOLLOW, expand each
 * symlink ourselves (an absolute target restarts at the root, ".." stops at
 * the root), so no component is ever resolved by the kernel outside the
 * root.  The final component follows links unless flags has O_NOFOLLOW.
 */
static int walk_in_root(struct host *h, const char *path, int flags, mode_t mode)
{
	struct fd_stack dirs = {0};
	char *unwalked = xstrdup(path);
	char *p = unwalked;
	unsigned links = 0;
	int fd = -ENOENT;

	for (;;) {
		char target[PATH_MAX];
		size_t len;
		char *next;
		bool last;
		int cur;
		ssize_t n;

		while (*p == '/')
			p++;
		cur = fd_stack_top(&dirs, h->root_fd);
		if (!*p) { /* the path names a directory already open */
			fd = openat(cur, ".", flags | O_CLOEXEC, mode);
			fd = fd < 0 ? -errno : fd;
			break;
		}
		len = strcspn(p, "/");
		next = p + len;
		while (*next == '/')
			next++;
		last = !*next;
		p[len] = '\0';
		if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
			if (p[1] == '.')
				fd_stack_pop(&dirs); /* at the root, ".." is the root */
			p = next;		     /* when last: opens the directory reached */
			continue;
		}
		n = readlinkat(cur, p, target, sizeof(target) - 1);
		if (n >= 0 && !(last && (flags & O_NOFOLLOW))) {
			char *spliced;

			if (++links > HOST_MAX_LINKS) {
				fd = -ELOOP;
				break;
			}
			target[n] = '\0';
			spliced = splice_link(target, next, &dirs);
			free(unwalked);
			unwalked = p = spliced;
			continue;
		}
		if (n < 0 && errno != EINVAL && errno != ENOENT) {
			fd = -errno;
			break;
		}
		if (last) {
			fd = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			fd = fd < 0 ? -errno : fd;
			break;
		}
		fd = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			break;
		}
		fd_stack_push(&dirs, fd);
		p = next;
	}
	fd_stack_release(&dirs);
	free(unwalked);
	return fd;
}

/*
 * Open path below the root.  Symlinks are followed but never lead out of a
 * root other than "/": openat2(RESOLVE_IN_ROOT) where the kernel has it,
 * else our own walk.  Returns the fd or -errno.
 */
static int host_openat(struct host *h, const char *path, int flags, mode_t mode)
{
	int fd;

	if (h->live) {
		fd = openat(h->root_fd, rel(path), flags | O_CLOEXEC, mode);
		return fd < 0 ? -errno : fd;
	}
	if (h->have_openat2) {
		struct open_how how = {
			.flags = (unsigned long long)(flags | O_CLOEXEC),
			.mode = (flags & O_CREAT) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, h->root_fd, rel(path), &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno == ENOSYS)
			h->have_openat2 = false; /* COMPAT(kernel < 5.6): no openat2 */
		else if (errno != EPERM && errno != E2BIG)
			return -errno;
		/* EPERM, E2BIG: a seccomp filter may refuse openat2 itself; walk instead */
	}
	return walk_in_root(h, path, flags, mode);
}

/*
 * Open the directory that holds path, inside the root, for a change of its
 * last component (which is never followed): ret_base points into path.
 * -EINVAL when path has no last component ("/", ".", "..").
 */
static int open_parent(struct host *h, const char *path, const char **ret_base)
{
	AUTOFREE char *dir = NULL;
	const char *base, *end = path + strlen(path);

	while (end > path && end[-1] == '/')
		end--;
	base = end;
	while (base > path && base[-1] != '/')
		base--;
	if (base == end || (end - base == 1 && *base == '.') ||
	    (end - base == 2 && base[0] == '.' && base[1] == '.') || *end)
		return -EINVAL;
	dir = base == path ? xstrdup(".") : xstrndup(path, (size_t)(base - path));
	*ret_base = base;
	return host_openat(h, dir, O_RDONLY | O_DIRECTORY, 0);
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int host_open_flags(const char *root, unsigned flags, struct host **ret, struct diag *d)
{
	struct host *h;
	int fd;

	if (!root)
		root = "/";
	if (!*root)
		return diag_set(d, EINVAL, "--root", "--root '' names no directory");
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return diag_set(d, errno, root, "cannot open root directory '%s': %s", root,
				strerror(errno));
	h = xcalloc(1, sizeof(*h));
	h->root_fd = fd;
	h->root = xstrdup(root);
	/* "/", "//", "/proc/.." ... are all the live system */
	h->live = same_file(fd, "/");
	h->have_openat2 = !(flags & HOST_OPEN_NO_OPENAT2);
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

int host_open(const char *root, struct host **ret, struct diag *d)
{
	return host_open_flags(root, 0, ret, d);
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

/*
 * Open a file to read: without blocking on a FIFO, and refusing anything
 * but a regular file (sysfs and procfs attributes are regular files too).
 */
static int open_regular(struct host *h, const char *path, struct diag *d)
{
	struct stat st;
	int fd;

	fd = host_openat(h, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return diag_set(d, fd, path, "cannot open '%s': %s", path, strerror(-fd));
	if (fstat(fd, &st) < 0) {
		int err = errno;

		(void)close(fd);
		return diag_set(d, err, path, "cannot stat '%s': %s", path, strerror(err));
	}
	if (!S_ISREG(st.st_mode)) {
		(void)close(fd);
		return diag_set(d, EINVAL, path,
				"'%s' is not a regular file (a directory, FIFO or device), refused",
				path);
	}
	return fd;
}

static int read_file(struct host *h, const char *path, bool one_show, char **ret_buf,
		     size_t *ret_len, struct diag *d)
{
	AUTOCLOSE int fd = -1;
	struct sbuf sb = SBUF_INIT;

	fd = open_regular(h, path, d);
	if (fd < 0)
		return fd;
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
		if (sb.len > HOST_MAX_FILE_BYTES) {
			sbuf_release(&sb);
			return diag_set(d, EFBIG, path, "'%s' is larger than %u bytes, refused",
					path, HOST_MAX_FILE_BYTES);
		}
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

	fd = open_regular(h, path, d);
	if (fd < 0)
		return fd;
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
		if (total > HOST_MAX_STREAM_BYTES) {
			sbuf_release(&longline);
			return diag_set(d, EFBIG, path, "'%s' is larger than %u bytes, refused",
					path, HOST_MAX_STREAM_BYTES);
		}
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

int host_readlink(struct host *h, const char *path, char **ret, struct diag *d)
{
	AUTOCLOSE int dirfd = -1;
	char buf[PATH_MAX];
	const char *base;
	ssize_t n;

	dirfd = open_parent(h, path, &base);
	if (dirfd < 0)
		return diag_set(d, dirfd, path, "cannot read link '%s': %s", path,
				strerror(-dirfd));
	n = readlinkat(dirfd, base, buf, sizeof(buf) - 1);
	if (n < 0)
		return diag_set(d, errno, path, "cannot read link '%s': %s", path, strerror(errno));
	buf[n] = '\0';
	*ret = xstrdup(buf);
	return 0;
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
	AUTOCLOSE int dirfd = -1;
	AUTOCLOSE int fd = -1;
	AUTOFREE char *shown = NULL;
	size_t len = strlen(value), off = 0;
	const char *base;
	struct stat st;
	int r;

	shown = str_escape(value, 64);
	r = run_hook(h, path, value);
	if (r < 0)
		return diag_set(d, r, path, "cannot write '%s' to '%s': %s", shown, path,
				strerror(-r));
	if (r > 0)
		return 0;
	dirfd = open_parent(h, path, &base);
	if (dirfd < 0)
		return diag_set(d, dirfd, path, "cannot open '%s' for writing: %s", path,
				strerror(-dirfd));
	/*
	 * The knob itself, never a symlink in its place, never a FIFO or device
	 * (O_NONBLOCK: opening a FIFO does not wait for a reader).  O_TRUNC
	 * matters for fixture trees (regular files); sysfs ignores it.
	 */
	fd = openat(dirfd, base, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return diag_set(d, errno, path, "cannot open '%s' for writing: %s", path,
				errno == ELOOP ? "it is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return diag_set(d, EINVAL, path, "'%s' is not a regular file, refused", path);
	while (off < len) {
		ssize_t n = write(fd, value + off, len - off);

		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			return diag_set(d, err, path, "cannot write '%s' to '%s': %s", shown, path,
					strerror(err));
		}
		off += (size_t)n;
	}
	return 0;
}

int host_write_file_atomic(struct host *h, const char *path, const char *content, mode_t mode,
			   struct diag *d)
{
	return host_replace_file(h, path, content, strlen(content), mode, 0, NULL, d);
}

int host_replace_file(struct host *h, const char *path, const char *content, size_t len,
		      mode_t mode, unsigned flags, char **ret_backup, struct diag *d)
{
	AUTOCLOSE int dirfd = -1;
	const char *base;
	int r;

	r = run_hook(h, path, content);
	if (r < 0)
		return diag_set(d, r, path, "cannot write '%s': %s", path, strerror(-r));
	if (r > 0)
		return 0;
	dirfd = open_parent(h, path, &base);
	if (dirfd < 0)
		return diag_set(d, dirfd, path, "cannot write '%s': %s", path, strerror(-dirfd));
	return safe_write_at(dirfd, base, path, content, len, mode, flags, ret_backup, d);
}

int host_unlink(struct host *h, const char *path, struct diag *d)
{
	AUTOCLOSE int dirfd = -1;
	const char *base;
	int r = run_hook(h, path, "");

	if (r < 0)
		return diag_set(d, r, path, "cannot remove '%s': %s", path, strerror(-r));
	if (r > 0)
		return 0;
	dirfd = open_parent(h, path, &base);
	if (dirfd == -ENOENT)
		return 0;
	if (dirfd < 0)
		return diag_set(d, dirfd, path, "cannot remove '%s': %s", path, strerror(-dirfd));
	if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
		return diag_set(d, errno, path, "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

/* mkdir -p below the root, each component created in its contained parent. */
static int mkdir_p_contained(struct host *h, const char *path, mode_t mode, struct diag *d)
{
	AUTOFREE char *copy = xstrdup(path);

	for (char *p = copy + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (p > copy && p[-1] != '/') {
			AUTOCLOSE int dirfd = -1;
			const char *base;

			dirfd = open_parent(h, copy, &base);
			if (dirfd < 0 && dirfd != -EINVAL)
				return diag_set(d, dirfd, path, "cannot create directory '%s': %s",
						copy, strerror(-dirfd));
			if (dirfd >= 0 && mkdirat(dirfd, base, mode) < 0 && errno != EEXIST)
				return diag_set(d, errno, path, "cannot create directory '%s': %s",
						copy, strerror(errno));
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

int host_mkdir_p(struct host *h, const char *path, mode_t mode, struct diag *d)
{
	int r = run_hook(h, path, "<mkdir>");

	if (r < 0)
		return diag_set(d, r, path, "cannot create directory '%s': %s", path, strerror(-r));
	if (r > 0)
		return 0;
	return mkdir_p_contained(h, path, mode, d);
}

int host_rename(struct host *h, const char *from, const char *to, struct diag *d)
{
	AUTOCLOSE int fromfd = -1;
	AUTOCLOSE int tofd = -1;
	const char *from_base, *to_base;
	int r = run_hook(h, to, "<rename>");

	if (r < 0)
		return diag_set(d, r, to, "cannot rename '%s' to '%s': %s", from, to, strerror(-r));
	if (r > 0)
		return 0;
	fromfd = open_parent(h, from, &from_base);
	tofd = fromfd < 0 ? fromfd : open_parent(h, to, &to_base);
	if (fromfd < 0 || tofd < 0)
		return diag_set(d, fromfd < 0 ? fromfd : tofd, to, "cannot rename '%s' to '%s': %s",
				from, to, strerror(fromfd < 0 ? -fromfd : -tofd));
	if (renameat(fromfd, from_base, tofd, to_base) < 0)
		return diag_set(d, errno, to, "cannot rename '%s' to '%s': %s", from, to,
				strerror(errno));
	return 0;
}

/* 1 when fd is the regular file dirfd/base names now, 0 when the name is gone
 * or names another file, -EINVAL when the lock is not a regular file. */
static int lock_is_current(int dirfd, const char *base, int fd)
{
	struct stat held, named;

	if (fstat(fd, &held) < 0 || !S_ISREG(held.st_mode))
		return -EINVAL;
	if (fstatat(dirfd, base, &named, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

/* Whether process pid has open a removed file that was want ("DIR/NAME (deleted)") with inode ino
 * on dev. */
static bool pid_holds_removed(int pid, const char *want, dev_t dev, ino_t ino)
{
	char dir[64], link[96], target[PATH_MAX + 16];
	struct dirent *de;
	struct stat st;
	DIR *fds;
	bool found = false;

	(void)snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	fds = opendir(dir);
	if (!fds)
		return false; /* gone, or not ours to see: no evidence */
	while (!found && (de = readdir(fds))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = strcmp(target, want) == 0 && stat(link, &st) == 0 && st.st_dev == dev &&
			st.st_ino == ino;
	}
	(void)closedir(fds);
	return found;
}

/*
 * 1 when another open file holds a flock on a lock file of this name that
 * was removed (or replaced) while held: the holder still runs, but a new
 * opener would get a lock of its own on the new file.  From the kernel's
 * table of locks (/proc/locks, the machine's, also with --root: the locks
 * are this kernel's) and the holders' open files (/proc/PID/fd, "DIR/NAME
 * (deleted)").  0 when none is seen or the tables cannot be read.
 */
static int removed_lock_held(int dirfd, const char *base, int fd)
{
	char link[64], dirpath[PATH_MAX], want[PATH_MAX + 16], line[256];
	struct stat dir, held;
	FILE *fp;
	ssize_t n;
	int found = 0;

	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	n = readlink(link, dirpath, sizeof(dirpath) - 1);
	if (n <= 0 || fstat(dirfd, &dir) < 0 || fstat(fd, &held) < 0)
		return 0;
	dirpath[n] = '\0';
	if ((size_t)snprintf(want, sizeof(want), "%s/%s (deleted)", dirpath, base) >= sizeof(want))
		return 0;
	fp = fopen("/proc/locks", "re");
	if (!fp)
		return 0;
	while (!found && fgets(line, sizeof(line), fp)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; waiters ("1: -> ") skip */
		char *f[6], *save = NULL, *ino_s;
		uint64_t ino;
		int pid;
		size_t nf = 0;

		for (char *t = strtok_r(line, " \t\n", &save); t && nf < 6;
		     t = strtok_r(NULL, " \t\n", &save))
			f[nf++] = t;
		if (nf < 6 || strcmp(f[1], "FLOCK") != 0 || strcmp(f[3], "WRITE") != 0 ||
		    parse_int(f[4], &pid) < 0 || pid <= 0 || !(ino_s = strrchr(f[5], ':')) ||
		    parse_u64(ino_s + 1, &ino) < 0 || (ino_t)ino == held.st_ino)
			continue;
		/* the device is compared on the holder's open file */
		found = pid_holds_removed(pid, want, dir.st_dev, (ino_t)ino);
	}
	(void)fclose(fp);
	return found;
}

int host_lock(struct host *h, const char *name, unsigned timeout_ms, struct diag *d)
{
	AUTOFREE char *path = NULL;
	AUTOCLOSE int dirfd = -1;
	struct timespec step = {.tv_sec = 0, .tv_nsec = 20L * 1000 * 1000};
	unsigned waited_ms = 0;
	const char *base;
	int fd, r;

	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return diag_set(d, EINVAL, name, "'%s' is not a lock name", name);
	path = xasprintf("%s/%s", HOST_LOCK_DIR, name);
	r = mkdir_p_contained(h, HOST_LOCK_DIR, 0700, d);
	if (r < 0)
		return r;
	dirfd = open_parent(h, path, &base);
	if (dirfd < 0)
		return diag_set(d, dirfd, path, "cannot open lock '%s': %s", path,
				strerror(-dirfd));
	for (;;) {
		fd = openat(dirfd, base, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
			    0600);
		if (fd < 0)
			return diag_set(d, errno, path, "cannot open lock '%s': %s", path,
					strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* The lock is the file the path names now: one that was
			 * removed or replaced while we waited locks nothing. */
			r = lock_is_current(dirfd, base, fd);
			/* nor does a new file while the removed one's holder runs */
			if (r > 0 && !removed_lock_held(dirfd, base, fd))
				return fd;
			(void)close(fd);
			if (r < 0)
				return diag_set(d, r, path, "lock '%s' is not a regular file",
						path);
		} else {
			int err = errno;

			(void)close(fd);
			if (err != EWOULDBLOCK && err != EINTR)
				return diag_set(d, err, path, "cannot lock '%s': %s", path,
						strerror(err));
		}
		if (waited_ms >= timeout_ms)
			return diag_set(d, EAGAIN, path,
					"another kvmtune holds the lock '%s' (waited %u ms); "
					"try again when it is done",
					path, waited_ms);
		(void)nanosleep(&step, NULL);
		waited_ms += 20;
	}
}
