/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP transport: line framing, bounded waits, replies matched by id. */
#include "qmp-conn.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/qmp.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

struct qmp_conn {
	int fd;
	char *buf; /* received bytes not yet handed out */
	size_t len, cap;
	unsigned next_id;
	struct qemu_version version;
};

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait for fd to be ready for events until deadline_ms; -ETIMEDOUT past it. */
static int wait_fd(int fd, short events, long deadline_ms)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long left = deadline_ms - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 0;
	}
}

static int send_all(struct qmp_conn *c, const char *text, long deadline_ms, struct diag *d)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t n;
		int r = wait_fd(c->fd, POLLOUT, deadline_ms);

		if (r < 0)
			return diag_set(d, r, "qmp", "QMP: sending a command: %s", strerror(-r));
		n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return diag_set(d, ECONNRESET, "qmp", "QMP: QEMU closed the connection");
		if (n < 0)
			return diag_set(d, errno, "qmp", "QMP: sending a command: %s",
					strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

/* The next line (without its newline) into *ret (caller frees). */
static int read_line(struct qmp_conn *c, long deadline_ms, char **ret, struct diag *d)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;
		int r;

		if (nl) {
			size_t l = (size_t)(nl - c->buf);

			*ret = xstrndup(c->buf, l);
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return 0;
		}
		if (c->len >= QMP_LINE_MAX)
			return diag_set(d, EINVAL, "qmp",
					"QMP: a message longer than %u bytes, giving up",
					QMP_LINE_MAX);
		if (c->cap - c->len < 4096) {
			c->cap = c->cap ? c->cap * 2 : 8192;
			c->buf = xrealloc(c->buf, c->cap);
		}
		r = wait_fd(c->fd, POLLIN, deadline_ms);
		if (r < 0)
			return diag_set(d, r, "qmp", "QMP: no answer from QEMU: %s", strerror(-r));
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == ECONNRESET)
			n = 0;
		if (n < 0)
			return diag_set(d, errno, "qmp", "QMP: %s", strerror(errno));
		if (n == 0)
			return diag_set(d, ECONNRESET, "qmp", "QMP: QEMU closed the connection");
		c->len += (size_t)n;
	}
}

/* Read messages until one that is not an event (events are skipped). */
static int read_message(struct qmp_conn *c, long deadline_ms, struct qmp_msg *m, struct diag *d)
{
	for (;;) {
		AUTOFREE char *line = NULL;
		int r = read_line(c, deadline_ms, &line, d);

		if (r < 0 || !line)
			return r < 0 ? r : diag_set(d, EIO, "qmp", "QMP: no message");
		if (!line[strspn(line, " \t\r")])
			continue;
		r = qmp_msg_parse(line, strlen(line), m, d);
		if (r < 0)
			return r;
		if (m->kind != QMP_MSG_EVENT)
			return 0;
	}
}

static int execute_until(struct qmp_conn *c, const char *command, const struct json_object *args,
			 long deadline_ms, struct json_object **ret_value, struct diag *d)
{
	char id[32];
	AUTOFREE char *text = NULL;
	struct qmp_msg m = {0};
	int r;

	(void)snprintf(id, sizeof(id), "kvmtune-%u", c->next_id++);
	text = qmp_command_text(command, args, id);
	r = send_all(c, text, deadline_ms, d);
	while (r >= 0) {
		r = read_message(c, deadline_ms, &m, d);
		if (r < 0)
			break;
		if (m.kind == QMP_MSG_GREETING || !m.id || strcmp(m.id, id) != 0)
			continue; /* a reply to someone else's command */
		if (m.kind == QMP_MSG_ERROR) {
			r = diag_set(d, EIO, command, "QMP %s: %s: %s", command, m.error_class,
				     m.error_desc);
			break;
		}
		if (ret_value)
			*ret_value = json_object_get(m.data);
		break;
	}
	qmp_msg_release(&m);
	return r < 0 ? r : 0;
}

int qmp_conn_open_fd(int fd, unsigned timeout_ms, struct qmp_conn **ret, struct diag *d)
{
	struct qmp_conn *c = xcalloc(1, sizeof(*c));
	long deadline = now_ms() + timeout_ms;
	struct qmp_msg m = {0};
	int r;

	c->fd = fd;
	r = read_message(c, deadline, &m, d);
	if (r >= 0 && m.kind != QMP_MSG_GREETING)
		r = diag_set(d, EINVAL, "qmp", "QMP: the first message is no greeting");
	if (r >= 0) {
		c->version = m.version;
		r = execute_until(c, "qmp_capabilities", NULL, deadline, NULL, d);
	}
	qmp_msg_release(&m);
	if (r < 0) {
		qmp_conn_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int qmp_conn_connect(const char *path, unsigned timeout_ms, int (*alive)(void *), void *ctx,
		     struct qmp_conn **ret, struct diag *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long deadline = now_ms() + timeout_ms;

	if (strlen(path) >= sizeof(sa.sun_path))
		return diag_set(d, ENAMETOOLONG, path, "QMP socket path '%s' is too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), e;
		struct timespec pause = {0, 20L * 1000 * 1000};

		if (fd < 0)
			return diag_set(d, errno, path, "QMP: socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return qmp_conn_open_fd(
				fd, (unsigned)(deadline - now_ms() > 0 ? deadline - now_ms() : 1),
				ret, d);
		e = errno;
		(void)close(fd);
		if (e != ENOENT && e != ECONNREFUSED)
			return diag_set(d, e, path, "QMP: cannot connect to '%s': %s", path,
					strerror(e));
		if (alive && !alive(ctx))
			return diag_set(d, ECHILD, path,
					"QEMU ended before its QMP socket '%s' answered", path);
		if (now_ms() >= deadline)
			return diag_set(d, ETIMEDOUT, path,
					"QMP: '%s' did not accept a connection within %u ms", path,
					timeout_ms);
		(void)nanosleep(&pause, NULL);
	}
}

const struct qemu_version *qmp_conn_version(const struct qmp_conn *c)
{
	return &c->version;
}

int qmp_conn_execute(struct qmp_conn *c, const char *command, const struct json_object *args,
		     unsigned timeout_ms, struct json_object **ret_value, struct diag *d)
{
	return execute_until(c, command, args, now_ms() + timeout_ms, ret_value, d);
}

void qmp_conn_free(struct qmp_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		(void)close(c->fd);
	free(c->buf);
	free(c);
}
