/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `kvmtune explain`: recognise QEMU, libvirt and numactl memory errors in a
 * log or pasted text, and explain each with the state of this host read now
 * (pools, mounts, permissions, nodes) and the fix.
 */
#ifndef KVMTUNE_CORE_EXPLAIN_H
#define KVMTUNE_CORE_EXPLAIN_H

#include <stddef.h>

struct diag;
struct findings;
struct host;

struct explain_opts {
	const char *user; /* QEMU ran as this user (NULL: libvirt's from qemu.conf) */
};

/* At most this many explanations per call; the rest are dropped. */
#define EXPLAIN_MAX 64

/*
 * Find every recognised error in text (len bytes, any content: NULs and
 * binary junk are tolerated) and append one finding per distinct error to
 * ret, with quote set to the error text.  h may be NULL (no host evidence);
 * a host whose model cannot be read gives explanations without evidence.
 * Returns the number of explanations (0: nothing recognised).  Never fails
 * on input; the diag is unused today.
 */
int explain_text(struct host *h, const struct explain_opts *opts, const char *text, size_t len,
		 struct findings *ret, struct diag *d);

/* Whitespace runs (newlines too) to one space, control bytes to spaces. */
char *explain_normalize(const char *text, size_t len, size_t *ret_len);

#endif
