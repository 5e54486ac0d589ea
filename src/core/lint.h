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

#include "core/cpuset.h"

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

/* Another VM's dedicated CPUs (a vCPU pinned to that CPU alone), for the core check. */
struct lint_other {
	const char *name;
	struct cpuset dedicated;
};

struct lint_opts {
	bool numad_installed;		 /* a placement advisor exists on the host */
	const struct lint_other *others; /* the host's other VMs (may be NULL) */
	size_t nothers;
};

/* Check vm on host m; appends to ret (zeroed by the caller). Never fails. */
void lint_vm(const struct vm_spec *vm, const struct host_model *m, const struct lint_opts *opts,
	     struct lint_report *ret);
/*
 * The CPU pins (<cputune>) against the host and the memory binding:
 * vcpupin-missing-cpu, vcpus-pinned-away-from-memory (per cell),
 * vcpupin-shared-cpu (two vCPUs of the VM on one CPU), dedicated-core-shared
 * (a core one of its dedicated vCPUs uses also holds another VM's),
 * emulator-on-vcpu-core, bound-nodes-too-small (memory strictly bound to
 * nodes whose whole memory is smaller).  Called by lint_vm().
 */
void lint_pins(const struct vm_spec *vm, const struct host_model *m, const struct lint_opts *opts,
	       struct lint_report *ret);
/* Add a finding (evidence and fix are copied). */
void lint_add(struct lint_report *r, const char *id, enum lint_severity sev, const char *evidence,
	      const char *fix);
/* The same with the evidence as printf(fmt, ...). */
void lint_addf(struct lint_report *r, const char *id, enum lint_severity sev, const char *fix,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void lint_report_release(struct lint_report *r);
const char *lint_severity_name(enum lint_severity s);

#endif
