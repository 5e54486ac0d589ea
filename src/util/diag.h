/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * struct diag: the reason behind a -errno.  Fixed size, never allocates.
 * Functions that read outside data take a nullable struct diag * as their
 * last parameter and fill it when they fail: the errno, the object (a path,
 * a flag, an XML element) and one sentence such as
 * "node 1: nr_hugepages: asked 512, got 510".  Only the CLI prints it.
 */
#ifndef KVMTUNE_UTIL_DIAG_H
#define KVMTUNE_UTIL_DIAG_H

struct diag {
	int err; /* positive errno, 0 when unset */
	char object[256];
	char msg[512];
};

/*
 * Record err (positive or negative errno), the object and a message in d
 * (which may be NULL).  Returns -abs(err) so that callers can write
 * "return diag_set(d, EINVAL, path, "expected ...")".
 */
int diag_set(struct diag *d, int err, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_clear(struct diag *d);
/* Prefix the message of d with a context such as "node 1: ". */
void diag_prefix(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
