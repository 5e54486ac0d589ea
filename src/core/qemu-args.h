/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM's memory as QEMU arguments, following libvirt's rules
 * (qemuBuildMemoryBackendProps): one memory-backend-{file,memfd,ram} per guest
 * NUMA cell ("ram-nodeN", with -numa node,memdev=) or one for the whole VM
 * ("pc.ram", with -machine memory-backend=); host-nodes and policy from the
 * numatune (never for 'restrictive'); prealloc with hugepages or immediate
 * allocation, with a thread-context on the bound nodes; mem-path below the
 * hugetlbfs mount of the page size.  Never -mem-path where QEMU has
 * -machine memory-backend=: it cannot carry a NUMA policy (libvirt's 2016
 * bug, libvirt list: "qemu: host NUMA hugepage policy without guest
 * NUMA").  Only what the target QEMU accepts (core/qemu-version.h):
 * key=value -object before 6.0, no thread-context before 7.2, and before 5.2
 * a VM without guest cells gets libvirt's legacy -mem-path/-mem-prealloc or
 * is refused when that would lose its policy.  Pure: reads only the host
 * model.
 */
#ifndef KVMTUNE_CORE_QEMU_ARGS_H
#define KVMTUNE_CORE_QEMU_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"
#include "core/qemu-version.h"
#include "core/vmspec.h"

struct diag;
struct host_model;

enum qprop_kind {
	QPROP_STR,
	QPROP_U64,
	QPROP_BOOL,
	QPROP_LIST, /* list of numbers (host-nodes, node-affinity) */
};

struct qprop {
	const char *key; /* static */
	enum qprop_kind kind;
	char *str;
	uint64_t u64;
	bool b;
	struct cpuset list;
};

/* One -object: a memory backend or a thread-context. */
struct qobject {
	char *qom_type;
	char *id;
	struct qprop *props; /* in libvirt's order, after qom-type and id */
	size_t nprops;
};

/* What was decided for one backend, for reports and the JSON output. */
struct qbackend {
	char *id;
	int cell; /* guest cell, -1 for the whole VM */
	uint64_t size_kib;
	uint64_t page_kib; /* 0: normal pages */
	/*
	 * "memory-backend-file", ... (static); "mem-path" for the legacy
	 * -mem-path, "default" for QEMU's own RAM (no object) before 5.2
	 */
	const char *type;
	char *mem_path; /* NULL unless file */
	enum vm_policy policy;
	struct cpuset host_nodes; /* empty unless a policy is applied */
	bool prealloc;
};

struct qemu_mem_args {
	uint64_t mem_kib;
	uint64_t max_mem_kib;
	unsigned slots;
	struct qobject *objects;
	size_t nobjects;
	struct qbackend *backends;
	size_t nbackends;
	/*
	 * Options with their values (NULL-terminated): every option starts with
	 * '-' and takes one value, except -mem-prealloc; values never start
	 * with '-'.
	 */
	char **argv;
	size_t argc;
	struct qemu_caps caps; /* the rules the arguments follow */
};

struct qemu_args_opts {
	/* Directory for non-hugepage file backends (NULL: "/dev/shm/kvmtune"). */
	const char *file_dir;
	/*
	 * hugetlbfs mount to use instead of the first one of the page size (NULL:
	 * that first one).  Must be a mount of the model with the backend's size.
	 */
	const char *hugetlbfs_dir;
	/* The target QEMU's rules (NULL: the newest QEMU). */
	const struct qemu_caps *caps;
};

/*
 * Build the memory arguments of vm for the host m.  ret must be zeroed.
 * -EINVAL with a diag for what cannot run on this host: a page size the host
 * has no hugetlbfs mount for (file backends) or no default hugepage size,
 * a size that is not a multiple of its page size, a host node the host lacks.
 * -EDOM with a diag for what the target QEMU cannot express (naming the
 * version that can): prealloc-threads before 5.0, a policy, shared or
 * memfd memory without guest cells before 5.2.
 */
int qemu_args_build(const struct vm_spec *vm, const struct host_model *m,
		    const struct qemu_args_opts *opts, struct qemu_mem_args *ret, struct diag *d);
void qemu_mem_args_release(struct qemu_mem_args *a);

/* One object as QEMU's JSON -object value (caller frees). */
char *qobject_to_json(const struct qobject *o);
/*
 * One object as the key=value -object value of QEMU before 6.0, as libvirt
 * writes it (virQEMUBuildCommandLineJSON): booleans on/off, a list as
 * "host-nodes=0-1,host-nodes=3", commas in strings doubled.  Caller frees.
 */
char *qobject_to_keyval(const struct qobject *o);

/*
 * Quote an argument for a POSIX shell when it needs it (caller frees); one
 * with control characters as $'...' with \xHH escapes, so that printing the
 * command line never sends them to the terminal.
 */
char *qemu_shell_quote(const char *arg);

#endif
