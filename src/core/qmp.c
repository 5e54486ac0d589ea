/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP message and reply parsing with json-c. */
#include "qmp.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* An integer member in [lo, hi]; absent: *ret = dflt and 0 unless required. */
static int get_int(const struct json_object *o, const char *key, int64_t lo, int64_t hi,
		   bool required, int64_t dflt, int64_t *ret)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || !v) {
		*ret = dflt;
		return required ? -ENOENT : 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	errno = 0;
	n = json_object_get_int64(v);
	/* json-c clamps out-of-range numbers to INT64_MIN/MAX; uint64 ones set errno */
	if (errno || n < lo || n > hi)
		return -ERANGE;
	*ret = n;
	return 0;
}

static char *get_str(const struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return xstrdup(json_object_get_string(v));
}

static int parse_greeting(struct json_object *qmp, struct qmp_msg *m, struct diag *d)
{
	struct json_object *ver, *q;
	int64_t major, minor, micro;

	if (!json_object_object_get_ex(qmp, "version", &ver) ||
	    !json_object_object_get_ex(ver, "qemu", &q) ||
	    !json_object_is_type(q, json_type_object) ||
	    get_int(q, "major", 0, 999, true, 0, &major) < 0 ||
	    get_int(q, "minor", 0, 999, true, 0, &minor) < 0 ||
	    get_int(q, "micro", 0, 9999, true, 0, &micro) < 0)
		return diag_set(d, EINVAL, "qmp", "QMP greeting without a valid version.qemu");
	m->kind = QMP_MSG_GREETING;
	m->version.major = (unsigned)major;
	m->version.minor = (unsigned)minor;
	m->version.micro = (unsigned)micro;
	return 0;
}

static int classify(struct json_object *o, struct qmp_msg *m, struct diag *d)
{
	struct json_object *v;

	m->id = get_str(o, "id");
	if (json_object_object_get_ex(o, "QMP", &v) && json_object_is_type(v, json_type_object))
		return parse_greeting(v, m, d);
	if (json_object_object_get_ex(o, "return", &v)) {
		m->kind = QMP_MSG_RETURN;
		m->data = json_object_get(v);
		return 0;
	}
	if (json_object_object_get_ex(o, "error", &v) && json_object_is_type(v, json_type_object)) {
		m->kind = QMP_MSG_ERROR;
		m->error_class = get_str(v, "class");
		m->error_desc = get_str(v, "desc");
		if (!m->error_class)
			m->error_class = xstrdup("GenericError");
		if (!m->error_desc)
			m->error_desc = xstrdup("(no description)");
		return 0;
	}
	m->event = get_str(o, "event");
	if (m->event) {
		m->kind = QMP_MSG_EVENT;
		if (json_object_object_get_ex(o, "data", &v))
			m->data = json_object_get(v);
		return 0;
	}
	return diag_set(d, EINVAL, "qmp", "QMP message is no greeting, return, error or event");
}

int qmp_msg_parse(const char *text, size_t len, struct qmp_msg *ret, struct diag *d)
{
	struct json_tokener *tok;
	struct json_object *o;
	struct qmp_msg m = {0};
	int r;

	if (len > QMP_LINE_MAX || len > INT_MAX)
		return diag_set(d, EINVAL, "qmp", "QMP message of %zu bytes is too long", len);
	tok = json_tokener_new_ex(64);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		char shown[61];
		size_t n = len < 60 ? len : 60;

		/* QEMU's bytes go to a terminal: control characters become '?' */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
				shown[i] = '?';
			else
				shown[i] = text[i];
		shown[n] = '\0';
		json_object_put(o);
		json_tokener_free(tok);
		return diag_set(d, EINVAL, "qmp", "QMP message is not a JSON object: '%s'", shown);
	}
	json_tokener_free(tok);
	r = classify(o, &m, d);
	json_object_put(o);
	if (r < 0) {
		qmp_msg_release(&m);
		return r;
	}
	qmp_msg_release(ret);
	*ret = m;
	return 0;
}

void qmp_msg_release(struct qmp_msg *m)
{
	free(m->id);
	free(m->error_class);
	free(m->error_desc);
	free(m->event);
	json_object_put(m->data);
	memset(m, 0, sizeof(*m));
}

char *qmp_command_text(const char *command, const struct json_object *args, const char *id)
{
	struct json_object *o = json_object_new_object();
	char *text;

	json_object_object_add(o, "execute", json_object_new_string(command));
	if (args)
		json_object_object_add(o, "arguments", json_object_get((struct json_object *)args));
	if (id)
		json_object_object_add(o, "id", json_object_new_string(id));
	text = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

static int cmp_vcpu(const void *a, const void *b)
{
	const struct qmp_vcpu *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static int parse_vcpu(const struct json_object *e, size_t i, struct qmp_vcpu *v, struct diag *d)
{
	struct json_object *props = NULL;
	int64_t idx, tid, node, socket, core, thread;

	if (!json_object_is_type(e, json_type_object))
		return diag_set(d, EINVAL, "query-cpus-fast",
				"query-cpus-fast entry %zu is not an object", i);
	if (get_int(e, "cpu-index", 0, 65535, true, 0, &idx) < 0 ||
	    get_int(e, "thread-id", 1, INT_MAX, true, 0, &tid) < 0)
		return diag_set(d, EINVAL, "query-cpus-fast",
				"query-cpus-fast entry %zu: no valid cpu-index (0-65535) and "
				"thread-id (a positive thread id)",
				i);
	if (json_object_object_get_ex(e, "props", &props) &&
	    !json_object_is_type(props, json_type_object))
		return diag_set(d, EINVAL, "query-cpus-fast",
				"query-cpus-fast entry %zu: props is not an object", i);
	if (props && (get_int(props, "node-id", 0, 65535, false, -1, &node) < 0 ||
		      get_int(props, "socket-id", 0, 65535, false, -1, &socket) < 0 ||
		      get_int(props, "core-id", 0, 65535, false, -1, &core) < 0 ||
		      get_int(props, "thread-id", 0, 65535, false, -1, &thread) < 0))
		return diag_set(d, EINVAL, "query-cpus-fast",
				"query-cpus-fast entry %zu: a props id is not a number 0-65535", i);
	if (!props)
		node = socket = core = thread = -1;
	*v = (struct qmp_vcpu){(unsigned)idx, (int)tid,	 (int)node,
			       (int)socket,   (int)core, (int)thread};
	return 0;
}

int qmp_parse_cpus_fast(const struct json_object *value, struct qmp_vcpus *ret, struct diag *d)
{
	struct qmp_vcpus out = {0};
	size_t n;
	int r;

	if (!value || !json_object_is_type(value, json_type_array))
		return diag_set(d, EINVAL, "query-cpus-fast",
				"query-cpus-fast did not return a list");
	n = json_object_array_length(value);
	out.v = xcalloc(n ? n : 1, sizeof(*out.v));
	for (size_t i = 0; i < n; i++) {
		r = parse_vcpu(json_object_array_get_idx(value, i), i, &out.v[i], d);
		if (r < 0) {
			free(out.v);
			return r;
		}
	}
	out.n = n;
	qsort(out.v, n, sizeof(*out.v), cmp_vcpu);
	for (size_t i = 1; i < n; i++)
		if (out.v[i].index == out.v[i - 1].index) {
			r = diag_set(d, EINVAL, "query-cpus-fast",
				     "query-cpus-fast lists cpu-index %u twice", out.v[i].index);
			free(out.v);
			return r;
		}
	qmp_vcpus_release(ret);
	*ret = out;
	return 0;
}

void qmp_vcpus_release(struct qmp_vcpus *v)
{
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

int qmp_parse_status(const struct json_object *value, bool *ret_running, char *status,
		     size_t statusz, struct diag *d)
{
	struct json_object *run, *st;

	if (!value || !json_object_is_type(value, json_type_object) ||
	    !json_object_object_get_ex(value, "running", &run) ||
	    !json_object_is_type(run, json_type_boolean) ||
	    !json_object_object_get_ex(value, "status", &st) ||
	    !json_object_is_type(st, json_type_string))
		return diag_set(d, EINVAL, "query-status",
				"query-status did not return 'running' and 'status'");
	*ret_running = json_object_get_boolean(run);
	if (statusz)
		(void)snprintf(status, statusz, "%s", json_object_get_string(st));
	return 0;
}
