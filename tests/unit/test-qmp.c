/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for QMP: every recorded or hand-written message in tests/qmp
 * parsed into the model described in CASE.expected, and the transport over
 * a socketpair with a scripted peer (greeting, events between replies,
 * replies to other ids, errors, silence, a closed peer, an endless line).
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/qmp-conn.h"
#include "core/qmp.h"
#include "util/diag.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define QMP_DIR TEST_DATA_DIR "/../qmp"

static void describe_return(struct sbuf *out, const struct qmp_msg *m)
{
	struct qmp_vcpus v = {0};
	struct diag d = {0};
	char status[32];
	bool running;

	if (json_object_is_type(m->data, json_type_array)) {
		if (qmp_parse_cpus_fast(m->data, &v, &d) < 0) {
			sbuf_addf(out, "  cpus-fast invalid: %s\n", d.msg);
			return;
		}
		for (size_t i = 0; i < v.n; i++)
			sbuf_addf(out,
				  "  vcpu index=%u tid=%d node=%d socket=%d core=%d thread=%d\n",
				  v.v[i].index, v.v[i].tid, v.v[i].node, v.v[i].socket, v.v[i].core,
				  v.v[i].thread);
		qmp_vcpus_release(&v);
	} else if (json_object_is_type(m->data, json_type_object) &&
		   json_object_object_length(m->data) > 0) {
		if (qmp_parse_status(m->data, &running, status, sizeof(status), &d) < 0)
			sbuf_addf(out, "  status invalid: %s\n", d.msg);
		else
			sbuf_addf(out, "  status %s running=%d\n", status, running);
	}
}

static void describe(struct sbuf *out, const char *line)
{
	struct qmp_msg m = {0};
	struct diag d = {0};

	if (qmp_msg_parse(line, strlen(line), &m, &d) < 0) {
		sbuf_addf(out, "invalid: %s\n", d.msg);
		return;
	}
	switch (m.kind) {
	case QMP_MSG_GREETING:
		sbuf_addf(out, "greeting qemu %u.%u.%u\n", m.version.major, m.version.minor,
			  m.version.micro);
		break;
	case QMP_MSG_RETURN:
		sbuf_addf(out, "return id=%s\n", m.id ? m.id : "(none)");
		describe_return(out, &m);
		break;
	case QMP_MSG_ERROR:
		sbuf_addf(out, "error id=%s class=%s desc=%s\n", m.id ? m.id : "(none)",
			  m.error_class, m.error_desc);
		break;
	case QMP_MSG_EVENT:
		sbuf_addf(out, "event %s%s\n", m.event, m.data ? " (data)" : "");
		break;
	}
	qmp_msg_release(&m);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(&sb, buf, n);
	fclose(f);
	return sbuf_detach(&sb, NULL);
}

static void run_case(const char *name)
{
	char *path = xasprintf("%s/%s.json", QMP_DIR, name);
	char *exp_path = xasprintf("%s/%s.expected", QMP_DIR, name);
	char *text = slurp(path), *expected;
	struct sbuf out = SBUF_INIT;

	assert_non_null(text);
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		describe(&out, line);
	}
	if (getenv("GOLDEN_UPDATE") && strcmp(getenv("GOLDEN_UPDATE"), "1") == 0) {
		FILE *f = fopen(exp_path, "we");

		assert_non_null(f);
		fputs(out.buf, f);
		fclose(f);
	}
	expected = slurp(exp_path);
	if (!expected || strcmp(expected, out.buf) != 0)
		fprintf(stderr, "%s: got\n%s", name, out.buf);
	assert_non_null(expected);
	assert_string_equal(expected, out.buf);
	free(expected);
	sbuf_release(&out);
	free(text);
	free(path);
	free(exp_path);
}

static void test_cases(void **state)
{
	DIR *dir = opendir(QMP_DIR);
	struct dirent *de;
	unsigned n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);

		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) {
			char *name = xstrndup(de->d_name, len - 5);

			run_case(name);
			free(name);
			n++;
		}
	}
	closedir(dir);
	assert_true(n >= 4);
}

static void test_command_text(void **state)
{
	struct json_object *args = json_object_new_object();
	char *t;

	json_object_object_add(args, "a", json_object_new_int(1));
	t = qmp_command_text("query-cpus-fast", NULL, "x1");
	assert_string_equal(t, "{\"execute\":\"query-cpus-fast\",\"id\":\"x1\"}\n");
	free(t);
	t = qmp_command_text("cont", args, NULL);
	assert_string_equal(t, "{\"execute\":\"cont\",\"arguments\":{\"a\":1}}\n");
	free(t);
	json_object_put(args);
}

/* ------------------------------------------------------------ transport */

enum peer_mode {
	PEER_NORMAL,	 /* answers everything */
	PEER_SILENT,	 /* greeting, then never answers */
	PEER_CLOSES,	 /* greeting, answers capabilities, closes */
	PEER_ENDLESS,	 /* a line that never ends */
	PEER_NO_GREETING /* a reply first */
};

/* Read one line from fd (the command) into buf; false at EOF. */
static bool peer_read(int fd, char *buf, size_t n)
{
	size_t len = 0;

	while (len + 1 < n) {
		ssize_t r = read(fd, buf + len, 1);

		if (r <= 0)
			return false;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return true;
}

static void peer_write(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t r = write(fd, s + off, len - off);

		if (r <= 0)
			_exit(3);
		off += (size_t)r;
	}
}

/* The id of a command line: "kvmtune-N". */
static void id_of(const char *line, char *id, size_t n)
{
	const char *p = strstr(line, "\"id\":\"");

	id[0] = '\0';
	if (p)
		(void)snprintf(id, n, "%.*s", (int)strcspn(p + 6, "\""), p + 6);
}

static void peer_run(int fd, enum peer_mode mode)
{
	char line[1024], id[64], out[2048];

	if (mode == PEER_ENDLESS) {
		for (int i = 0; i < (int)(QMP_LINE_MAX / 1024) + 2; i++) {
			memset(out, 'x', 1024);
			out[1024] = '\0';
			peer_write(fd, out);
		}
		_exit(0);
	}
	if (mode == PEER_NO_GREETING)
		peer_write(fd, "{\"return\": {}}\n");
	else
		peer_write(fd,
			   "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, "
			   "\"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\n");
	while (peer_read(fd, line, sizeof(line))) {
		id_of(line, id, sizeof(id));
		if (mode == PEER_SILENT && !strstr(line, "qmp_capabilities"))
			continue;
		if (strstr(line, "query-cpus-fast")) {
			/* an event and someone else's reply come first */
			peer_write(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
				       "\"event\": \"RESUME\"}\n");
			peer_write(fd, "{\"return\": [], \"id\": \"other\"}\n");
			(void)snprintf(out, sizeof(out),
				       "{\"return\": [{\"thread-id\": 42, \"cpu-index\": 0, "
				       "\"props\": {\"node-id\": 1}}], \"id\": \"%s\"}\n",
				       id);
		} else if (strstr(line, "bogus")) {
			(void)snprintf(out, sizeof(out),
				       "{\"id\": \"%s\", \"error\": {\"class\": "
				       "\"CommandNotFound\", \"desc\": \"The command bogus has "
				       "not been found\"}}\n",
				       id);
		} else {
			(void)snprintf(out, sizeof(out), "{\"return\": {}, \"id\": \"%s\"}\n", id);
		}
		peer_write(fd, out);
		if (mode == PEER_CLOSES)
			break;
	}
	_exit(0);
}

static pid_t start_peer(enum peer_mode mode, int *ret_fd)
{
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		peer_run(sv[1], mode);
	}
	close(sv[1]);
	*ret_fd = sv[0];
	return pid;
}

static void end_peer(pid_t pid)
{
	int status;

	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
}

static void test_transport(void **state)
{
	struct qmp_conn *c = NULL;
	struct json_object *v = NULL;
	struct qmp_vcpus cpus = {0};
	struct diag d = {0};
	int fd;
	pid_t pid = start_peer(PEER_NORMAL, &fd);

	assert_int_equal(qmp_conn_open_fd(fd, 5000, &c, &d), 0);
	assert_int_equal(qmp_conn_version(c)->major, 7);
	assert_int_equal(qmp_conn_version(c)->micro, 22);
	assert_int_equal(qmp_conn_execute(c, "query-cpus-fast", NULL, 5000, &v, &d), 0);
	assert_int_equal(qmp_parse_cpus_fast(v, &cpus, &d), 0);
	assert_int_equal(cpus.n, 1);
	assert_int_equal(cpus.v[0].tid, 42);
	assert_int_equal(cpus.v[0].node, 1);
	json_object_put(v);
	qmp_vcpus_release(&cpus);
	assert_int_equal(qmp_conn_execute(c, "bogus", NULL, 5000, NULL, &d), -EIO);
	assert_string_equal(d.msg,
			    "QMP bogus: CommandNotFound: The command bogus has not been found");
	assert_int_equal(qmp_conn_execute(c, "cont", NULL, 5000, NULL, &d), 0);
	qmp_conn_free(c);
	end_peer(pid);
}

static void test_transport_failures(void **state)
{
	struct qmp_conn *c = NULL;
	struct diag d = {0};
	int fd;
	pid_t pid;

	pid = start_peer(PEER_SILENT, &fd);
	assert_int_equal(qmp_conn_open_fd(fd, 5000, &c, &d), 0);
	assert_int_equal(qmp_conn_execute(c, "query-status", NULL, 200, NULL, &d), -ETIMEDOUT);
	assert_non_null(strstr(d.msg, "no answer from QEMU"));
	qmp_conn_free(c);
	end_peer(pid);

	pid = start_peer(PEER_CLOSES, &fd);
	assert_int_equal(qmp_conn_open_fd(fd, 5000, &c, &d), 0);
	assert_int_equal(qmp_conn_execute(c, "query-status", NULL, 5000, NULL, &d), -ECONNRESET);
	qmp_conn_free(c);
	end_peer(pid);

	pid = start_peer(PEER_ENDLESS, &fd);
	assert_int_equal(qmp_conn_open_fd(fd, 10000, &c, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "longer than"));
	end_peer(pid);

	pid = start_peer(PEER_NO_GREETING, &fd);
	assert_int_equal(qmp_conn_open_fd(fd, 5000, &c, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "no greeting"));
	end_peer(pid);

	assert_int_equal(qmp_conn_connect("/nonexistent/kvmtune-qmp.sock", 100, NULL, NULL, &c, &d),
			 -ETIMEDOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_command_text),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_transport_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
