/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host validation for hugepage- and NUMA-tuned VMs (`kvmtune check`): a
 * table of checks over the host model, the root's kernel config, libvirt's
 * qemu.conf, passwd/group and the defined domains.  Each problem becomes a
 * finding with an id, a severity, the evidence (file and value) and the fix.
 */
#ifndef KVMTUNE_CORE_CHECK_H
#define KVMTUNE_CORE_CHECK_H

#include <stdarg.h>
#include <stddef.h>

struct diag;
struct host;

enum check_severity {
	CHECK_ERROR,
	CHECK_WARNING,
	CHECK_INFO,
	CHECK_NOT_CHECKED, /* a check that could not run: the message says why */
};

struct evidence {
	char *file;  /* the file (or "" for a derived value) */
	char *value; /* what it said */
};

struct finding {
	const char *id; /* static, e.g. "mount-mode-typo" */
	char *quote;	/* explain: the log text this explains; NULL for check */
	enum check_severity severity;
	char *message; /* one sentence: what is wrong and why it matters */
	struct evidence *evidence;
	size_t nevidence;
	char *fix; /* exact commands or file content; may hold newlines */
};

struct findings {
	struct finding *items;
	size_t n;
};

/*
 * Run every check against the host.  Appends findings to ret (zeroed or
 * from a previous run), in table order.  Fails with -errno (and d) only
 * when the host model itself cannot be read; unreadable optional files
 * become findings or are skipped.
 */
int check_run(struct host *h, struct findings *ret, struct diag *d);
void findings_release(struct findings *f);
/* Count of findings with this severity. */
size_t findings_count(const struct findings *f, enum check_severity sev);
const char *check_severity_name(enum check_severity sev);

/* Building blocks, also used by `explain`. */
struct finding *findings_add(struct findings *f, const char *id, enum check_severity sev,
			     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void finding_evidence(struct finding *fd, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void finding_fix(struct finding *fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
