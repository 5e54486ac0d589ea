/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A QMP connection: the greeting, capability negotiation, and commands with
 * their replies matched by id (events in between are skipped), over a unix
 * socket or any connected stream fd (tests use a socketpair).  Every wait is
 * bounded; a peer that sends more than QMP_LINE_MAX without a newline, or
 * garbage, ends the connection with a diag.
 */
#ifndef KVMTUNE_CORE_QMP_CONN_H
#define KVMTUNE_CORE_QMP_CONN_H

#include "core/qemu-version.h"

struct diag;
struct json_object;
struct qmp_conn;

/*
 * Take over fd (a connected stream socket; closed by qmp_conn_free, also on
 * failure), read the greeting and send qmp_capabilities, within timeout_ms.
 * -ETIMEDOUT, -ECONNRESET (peer closed), -EINVAL (not QMP) with a diag.
 */
int qmp_conn_open_fd(int fd, unsigned timeout_ms, struct qmp_conn **ret, struct diag *d);

/*
 * Connect to the unix socket path (retrying while it does not exist or
 * refuses, up to timeout_ms, as a just-started QEMU creates it) and open
 * the connection as qmp_conn_open_fd does.  alive (may be NULL) is asked
 * between retries whether to keep waiting (e.g. whether QEMU still runs);
 * when it says no, -ECHILD.
 */
int qmp_conn_connect(const char *path, unsigned timeout_ms, int (*alive)(void *), void *ctx,
		     struct qmp_conn **ret, struct diag *d);

/* The QEMU version from the greeting. */
const struct qemu_version *qmp_conn_version(const struct qmp_conn *c);

/*
 * Run command with args (may be NULL; borrowed) and wait up to timeout_ms
 * for its reply.  On success *ret_value (may be NULL) gets the return value
 * (caller puts it).  An error reply is -EIO with "CLASS: desc" in the diag.
 */
int qmp_conn_execute(struct qmp_conn *c, const char *command, const struct json_object *args,
		     unsigned timeout_ms, struct json_object **ret_value, struct diag *d);

void qmp_conn_free(struct qmp_conn *c);

#endif
