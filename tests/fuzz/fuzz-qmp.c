/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: QMP from a hostile QEMU.  Each line goes through the message
 * parser and, for replies, the query-cpus-fast and query-status parsers; the
 * whole input is also what the peer of a connection sends (greeting,
 * capabilities, one command) over a socketpair.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/qmp-conn.h"
#include "core/qmp.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_lines(const char *text, size_t size)
{
	const char *line = text, *end = text + size;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		struct qmp_msg m = {0};
		struct qmp_vcpus v = {0};
		char status[16];
		bool running;

		if (qmp_msg_parse(line, len, &m, NULL) == 0 && m.kind == QMP_MSG_RETURN) {
			(void)qmp_parse_cpus_fast(m.data, &v, NULL);
			(void)qmp_parse_status(m.data, &running, status, sizeof(status), NULL);
		}
		qmp_vcpus_release(&v);
		qmp_msg_release(&m);
		line += len + 1;
	}
}

static void converse(const uint8_t *data, size_t size)
{
	struct qmp_conn *c = NULL;
	struct json_object *v = NULL;
	int sv[2];

	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	(void)shutdown(sv[1], SHUT_WR);
	if (qmp_conn_open_fd(sv[0], 50, &c, NULL) == 0) {
		(void)qmp_conn_execute(c, "query-cpus-fast", NULL, 50, &v, NULL);
		json_object_put(v);
		qmp_conn_free(c);
	}
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_lines((const char *)data, size);
	converse(data, size);
	return 0;
}
