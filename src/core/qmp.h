/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP messages (QEMU's monitor protocol, one JSON object per line): parsing
 * the greeting, command replies, errors and events, and the replies kvmtune
 * uses (query-cpus-fast for the vCPU threads, query-status).  Everything a
 * QEMU sends is outside data: wrong types, missing keys, negative or huge
 * numbers and duplicates are refused with a diag.  The transport is
 * core/qmp-conn.h.
 */
#ifndef KVMTUNE_CORE_QMP_H
#define KVMTUNE_CORE_QMP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/qemu-version.h"

struct diag;
struct json_object;

/* The longest QMP line accepted (a query-cpus-fast of 4096 vCPUs is ~700 KiB). */
#define QMP_LINE_MAX (4u << 20)

enum qmp_msg_kind {
	QMP_MSG_GREETING,
	QMP_MSG_RETURN,
	QMP_MSG_ERROR,
	QMP_MSG_EVENT,
};

struct qmp_msg {
	enum qmp_msg_kind kind;
	char *id;		     /* a reply's "id" when it is a string, else NULL */
	struct qemu_version version; /* GREETING */
	char *error_class;	     /* ERROR */
	char *error_desc;	     /* ERROR */
	char *event;		     /* EVENT: its name */
	struct json_object *data;    /* RETURN: the value; EVENT: "data" or NULL (owned) */
};

/*
 * Parse one message of len bytes (no NUL needed).  ret is replaced (release
 * with qmp_msg_release).  -EINVAL with a diag for text that is not a JSON
 * object, or an object that is none of the four kinds.
 */
int qmp_msg_parse(const char *text, size_t len, struct qmp_msg *ret, struct diag *d);
void qmp_msg_release(struct qmp_msg *m);

/* A command line to send: {"execute":CMD,"arguments":ARGS,"id":ID}\n (caller frees). */
char *qmp_command_text(const char *command, const struct json_object *args, const char *id);

/* One vCPU of query-cpus-fast. */
struct qmp_vcpu {
	unsigned index;		  /* cpu-index */
	int tid;		  /* thread-id: the host thread running it (> 0) */
	int node;		  /* props node-id: its guest NUMA node, -1 when absent */
	int socket, core, thread; /* props, -1 when absent */
};

struct qmp_vcpus {
	struct qmp_vcpu *v; /* sorted by index, no duplicates */
	size_t n;
};

/*
 * Parse the return value of query-cpus-fast.  -EINVAL with a diag naming the
 * entry for a value that is not an array of objects with a cpu-index (0 to
 * 65535) and a thread-id (1 to INT_MAX), for props out of range and for a
 * cpu-index given twice.
 */
int qmp_parse_cpus_fast(const struct json_object *value, struct qmp_vcpus *ret, struct diag *d);
void qmp_vcpus_release(struct qmp_vcpus *v);

/*
 * Parse the return value of query-status: "running" (a bool) and "status"
 * (copied into status, truncated to statusz).  -EINVAL otherwise.
 */
int qmp_parse_status(const struct json_object *value, bool *ret_running, char *status,
		     size_t statusz, struct diag *d);

#endif
