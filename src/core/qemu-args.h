/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM's memory as QEMU arguments, following libvirt's rules
 * (qemuBuildMemoryBackendProps): one memory-backend-{file,memfd,ram} per guest
 * NUMA cell ("ram-nodeN", with -numa node,memdev=) or one for the whole VM
 * ("pc.ram", with -machine memory-backend=); host-nodes and policy from the
 * numatune (never for 'restrictive'); prealloc with hugepages or immediate
 * allocation, with a thread-context on the bound nodes; mem-path below the
 * hugetlbfs mount of the page size.  Never -mem-path: it cannot carry a NUMA
 * policy (libvirt's 2016 bug, libvirt list: "qemu: host NUMA hugepage policy without guest NUMA").
 * Pure: reads only the host model.
 */
#ifndef KVMTUNE_CORE_QEMU_ARGS_H
#define KVMTUNE_CORE_QEMU_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"
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
	const char *type;  /* "memory-backend-file", ... (static) */
	char *mem_path;	   /* NULL unless file */
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
	char **argv; /* option, value, option, value, ... (NULL-terminated) */
	size_t argc;
};

struct qemu_args_opts {
	/* Directory for non-hugepage file backends (NULL: "/dev/shm/kvmtune"). */
	const char *file_dir;
	/*
	 * hugetlbfs mount to use instead of the first one of the page size (NULL:
	 * that first one).  Must be a mount of the model with the backend's size.
	 */
	const char *hugetlbfs_dir;
};

/*
 * Build the memory arguments of vm for the host m.  ret must be zeroed.
 * -EINVAL with a diag for what cannot run on this host: a page size the host
 * has no hugetlbfs mount for (file backends) or no default hugepage size,
 * a size that is not a multiple of its page size, a host node the host lacks.
 */
int qemu_args_build(const struct vm_spec *vm, const struct host_model *m,
		    const struct qemu_args_opts *opts, struct qemu_mem_args *ret, struct diag *d);
void qemu_mem_args_release(struct qemu_mem_args *a);

/* One object as QEMU's JSON -object value (caller frees). */
char *qobject_to_json(const struct qobject *o);

/* Quote an argument for a POSIX shell when it needs it (caller frees). */
char *qemu_shell_quote(const char *arg);

#endif
