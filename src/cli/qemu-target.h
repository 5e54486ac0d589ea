/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU the arguments are for, from --qemu BINARY, --qemu-version X.Y, or
 * the qemu-system-x86_64 in PATH (shared by qemu-args and run).
 */
#ifndef KVMTUNE_CLI_QEMU_TARGET_H
#define KVMTUNE_CLI_QEMU_TARGET_H

#include "core/qemu-version.h"

struct json_object;

/* How long 'BINARY --version' may take. */
#define QEMU_TARGET_PROBE_MS 5000

struct qemu_target {
	struct qemu_caps caps;
	char source[300]; /* "--qemu-version", the binary's path, or why the newest rules apply */
	bool known;	  /* false: no QEMU found, the newest rules apply */
};

/*
 * Fill t: from version (X.Y[.Z]) when given, else by running 'binary
 * --version' (binary NULL: qemu-system-x86_64 searched in PATH; when there
 * is none, the newest rules and known false).  Prints the error and returns
 * an exit code (EXIT_USAGE for a bad or too old version, EXIT_FAILED when
 * the binary cannot be run), EXIT_OK on success.
 */
int qemu_target_resolve(const char *binary, const char *version, struct qemu_target *t);

/* {"version": "7.2.22" | null, "source": ..., "rules": {"object-json": true, ...}} */
struct json_object *qemu_target_json(const struct qemu_target *t);

/* Look name up in PATH (a name with '/' is returned as is); NULL when absent.  Caller frees. */
char *qemu_target_which(const char *name);

#endif
