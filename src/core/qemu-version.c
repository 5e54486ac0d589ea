/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU's version (parsed or probed) and the libvirt rules of what it accepts. */
#include "qemu-version.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"

#include "util/banned.h"

extern char **environ;

/*
 * In enum order.  The evidence (libvirt's caps_X.x86_64.xml flags and the
 * functions that act on them) is in tests/data/qemu-rules.txt.
 */
static const struct qemu_cap_rule rules[QEMU_CAP_COUNT_] = {
	{QEMU_CAP_OBJECT_JSON, 6, 0, "object-json", "QEMU_CAPS_OBJECT_JSON"},
	{QEMU_CAP_THREAD_CONTEXT, 7, 2, "thread-context", "QEMU_CAPS_THREAD_CONTEXT"},
	{QEMU_CAP_PREALLOC_THREADS, 5, 0, "prealloc-threads",
	 "QEMU_CAPS_MEMORY_BACKEND_PREALLOC_THREADS"},
	{QEMU_CAP_MACHINE_MEMORY_BACKEND, 5, 2, "machine-memory-backend",
	 "virQEMUCapsGetMachineDefaultRAMid"},
};

const struct qemu_cap_rule *qemu_cap_rules(void)
{
	return rules;
}

/* "X.Y" or "X.Y.Z" at s; *ret_end after it. */
static int parse_numbers(const char *s, struct qemu_version *ret, const char **ret_end)
{
	unsigned v[3] = {0, 0, 0};
	int n = 0;

	while (n < 3) {
		char buf[8];
		size_t len = strspn(s, "0123456789");

		if (len == 0 || len >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (parse_u32(buf, &v[n]) < 0)
			return -EINVAL;
		s += len;
		n++;
		if (*s != '.' || n == 3)
			break;
		s++;
	}
	if (n < 2)
		return -EINVAL;
	ret->major = v[0];
	ret->minor = v[1];
	ret->micro = v[2];
	*ret_end = s;
	return 0;
}

int qemu_version_parse(const char *text, struct qemu_version *ret, struct diag *d)
{
	static const char marker[] = "QEMU emulator version ";
	const char *p = strstr(text, marker), *end;
	size_t show = strcspn(text, "\n");
	struct qemu_version v;

	if (show > 80)
		show = 80;
	if (p && (size_t)(p - text) <= strcspn(text, "\n"))
		p += sizeof(marker) - 1;
	else
		p = text;
	if (parse_numbers(p, &v, &end) < 0 || (p == text && *end) ||
	    (p != text && *end && *end != ' ' && *end != '(' && *end != '\n' && *end != '-'))
		return diag_set(d, EINVAL, "qemu version",
				"'%.*s' is not a QEMU version (expected X.Y, or QEMU's "
				"--version output)",
				(int)show, text);
	*ret = v;
	return 0;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Read the child's output until EOF, 4 KiB or the deadline; -ETIMEDOUT on the deadline. */
static int read_output(int fd, unsigned timeout_ms, char *buf, size_t bufsz)
{
	struct timespec t0;
	size_t len = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long left = (long)timeout_ms - elapsed_ms(&t0);
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!p.revents)
			continue;
		n = read(fd, buf + len, bufsz - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == bufsz - 1)
			break;
	}
	buf[len] = '\0';
	return 0;
}

static int spawn_version(const char *binary, int out_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = {(char *)binary, (char *)"--version", NULL};
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(ret_pid, binary, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

int qemu_version_probe(const char *binary, unsigned timeout_ms, struct qemu_version *ret,
		       struct diag *d)
{
	AUTOCLOSE int rd = -1;
	AUTOCLOSE int wr = -1;
	char out[4096];
	int fds[2], status = 0, r;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return diag_set(d, errno, binary, "'%s --version': pipe: %s", binary,
				strerror(errno));
	rd = fds[0];
	wr = fds[1];
	r = spawn_version(binary, wr, &pid);
	if (r < 0)
		return diag_set(d, r, binary, "cannot run '%s --version': %s", binary,
				strerror(-r));
	(void)close(STEAL_FD(wr));
	r = read_output(rd, timeout_ms, out, sizeof(out));
	if (r < 0)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == -ETIMEDOUT)
		return diag_set(d, ETIMEDOUT, binary,
				"'%s --version' gave no answer within %u ms (killed)", binary,
				timeout_ms);
	if (r < 0)
		return diag_set(d, r, binary, "'%s --version': %s", binary, strerror(-r));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return diag_set(d, EINVAL, binary, "'%s --version' failed (status %d)", binary,
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	r = qemu_version_parse(out, ret, d);
	if (r < 0)
		diag_prefix(d, "'%s --version': ", binary);
	return r;
}

int qemu_caps_for(const struct qemu_version *v, struct qemu_caps *ret, struct diag *d)
{
	char buf[32];

	if (v->major < QEMU_VERSION_MIN_MAJOR ||
	    (v->major == QEMU_VERSION_MIN_MAJOR && v->minor < QEMU_VERSION_MIN_MINOR))
		return diag_set(d, EDOM, "qemu version",
				"QEMU %s is older than %d.%d, the oldest QEMU kvmtune writes "
				"arguments for (libvirt's own minimum until 9.x)",
				qemu_version_format(v, buf, sizeof(buf)), QEMU_VERSION_MIN_MAJOR,
				QEMU_VERSION_MIN_MINOR);
	memset(ret, 0, sizeof(*ret));
	ret->version = *v;
	for (size_t i = 0; i < QEMU_CAP_COUNT_; i++)
		ret->has[i] = v->major > rules[i].major ||
			      (v->major == rules[i].major && v->minor >= rules[i].minor);
	return 0;
}

void qemu_caps_newest(struct qemu_caps *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < QEMU_CAP_COUNT_; i++)
		ret->has[i] = true;
}

const char *qemu_version_format(const struct qemu_version *v, char *buf, unsigned bufsz)
{
	(void)snprintf(buf, bufsz, "%u.%u.%u", v->major, v->minor, v->micro);
	return buf;
}
