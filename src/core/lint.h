/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lint of a VM's memory configuration against the host: findings with an
 * id, a severity, the evidence and the fix.  Pure: reads the spec and the
 * host model only.
 */
#ifndef KVMTUNE_CORE_LINT_H
#define KVMTUNE_CORE_LINT_H

#include <stdbool.h>
#include <stddef.h>

struct host_model;
struct vm_spec;

enum lint_severity {
	LINT_INFO,
	LINT_WARNING,
	LINT_ERROR,
};

struct lint_finding {
	const char *id; /* static, e.g. "locked-without-hard-limit" */
	enum lint_severity severity;
	char *evidence;
	char *fix;
};

struct lint_report {
	struct lint_finding *findings;
	size_t count;
};

struct lint_opts {
	bool numad_installed; /* a placement advisor exists on the host */
};

/* Check vm on host m; appends to ret (zeroed by the caller). Never fails. */
void lint_vm(const struct vm_spec *vm, const struct host_model *m, const struct lint_opts *opts,
	     struct lint_report *ret);
/* Add a finding (evidence and fix are copied). */
void lint_add(struct lint_report *r, const char *id, enum lint_severity sev, const char *evidence,
	      const char *fix);
void lint_report_release(struct lint_report *r);
const char *lint_severity_name(enum lint_severity s);

#endif
