/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * struct vm_spec: what a VM's memory should look like (size, guest NUMA
 * cells, page size, host nodes and policy, locking, sharing, backing source,
 * preallocation), independent of where it came from (command-line flags or a
 * libvirt domain XML) and of what it is turned into (QEMU arguments, libvirt
 * XML fragments, lint findings).  Pure data; no I/O.
 */
#ifndef KVMTUNE_CORE_VMSPEC_H
#define KVMTUNE_CORE_VMSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"

struct diag;

/* Page size of a backend: a size in KiB, or one of these. */
#define VM_PAGE_NORMAL 0       /* the system page size: no hugepages */
#define VM_PAGE_HOST_DEFAULT 1 /* the host's default hugepage size (<hugepages/>) */

enum vm_source {
	VM_SOURCE_DEFAULT = 0, /* ram, or file when hugepages or sharing ask for it */
	VM_SOURCE_RAM,
	VM_SOURCE_FILE,
	VM_SOURCE_MEMFD,
};

/* Host memory policy.  NONE: no numatune at all. */
enum vm_policy {
	VM_POLICY_NONE = 0,
	VM_POLICY_BIND, /* libvirt 'strict' */
	VM_POLICY_PREFERRED,
	VM_POLICY_INTERLEAVE,
	VM_POLICY_RESTRICTIVE, /* libvirt: cgroup cpuset.mems only, no mbind() */
};

enum vm_placement {
	VM_PLACEMENT_STATIC = 0,
	VM_PLACEMENT_AUTO, /* nodes chosen at start-up (numad, or kvmtune) */
};

/* An unset/no/yes setting (libvirt's virTristateBool). */
enum vm_tristate {
	VM_UNSET = 0,
	VM_NO,
	VM_YES,
};

struct vm_cell {
	unsigned id;
	uint64_t mem_kib;
	struct cpuset cpus; /* guest vCPUs; may be empty (memory-only cell) */
	uint64_t page_kib;  /* VM_PAGE_* or a size; resolved per cell */
	bool has_memnode;   /* <memnode cellid=...>: policy/host_nodes below apply */
	enum vm_policy policy;
	struct cpuset host_nodes;
	enum vm_tristate share;	  /* memAccess */
	enum vm_tristate discard; /* discard='yes|no' */
	unsigned *distances;	  /* indexed by sibling cell id, 0 = not given */
	size_t ndistances;
};

/*
 * <cputune> pins and the guest CPU topology: host CPUs per vCPU (index = vCPU
 * id; an empty set means not pinned), for the emulator and per I/O thread
 * (index = iothread id - 1, libvirt numbers them from 1).
 */
struct vm_cputune {
	struct cpuset *vcpupin;
	size_t nvcpupin;
	struct cpuset emulatorpin;
	struct cpuset *iothreadpin;
	size_t niothreadpin;
};

/* <cpu><topology>; all 0 when absent. */
struct vm_topology {
	unsigned sockets, dies, clusters, cores, threads;
};

struct vm_spec {
	char *name;		   /* may be NULL */
	uint64_t mem_kib;	   /* guest RAM (the sum of the cells when there are cells) */
	uint64_t mem_declared_kib; /* <memory> as written (libvirt lets the cells win) */
	uint64_t max_mem_kib;	   /* 0: no memory hotplug */
	unsigned slots;
	uint64_t page_kib; /* VM_PAGE_* or a size, for a VM without cells */
	enum vm_source source;
	enum vm_tristate share; /* <access mode='shared|private'> */
	enum vm_tristate discard;
	bool locked;
	bool nosharepages;
	bool prealloc;		   /* <allocation mode='immediate'> or --prealloc */
	unsigned prealloc_threads; /* 0: QEMU's default */
	enum vm_policy policy;	   /* <numatune><memory mode> */
	enum vm_placement placement;
	bool placement_given;	  /* placement was explicit */
	struct cpuset host_nodes; /* <numatune><memory nodeset> */
	enum vm_placement vcpu_placement;
	struct cpuset vcpu_cpuset; /* <vcpu cpuset> (host CPUs), may be empty */
	unsigned vcpus;
	unsigned iothreads; /* <iothreads> */
	struct vm_cputune tune;
	struct vm_topology topology;
	uint64_t hard_limit_kib; /* <memtune><hard_limit>, 0 when absent */
	bool hard_limit_given;
	struct vm_cell *cells;
	size_t ncells;
};

void vm_spec_init(struct vm_spec *vm);
void vm_spec_release(struct vm_spec *vm);

/* Append a zeroed cell with the given id; returns it (owned by vm). */
struct vm_cell *vm_spec_add_cell(struct vm_spec *vm, unsigned id);
struct vm_cell *vm_spec_find_cell(const struct vm_spec *vm, unsigned id);
/* The pin set of vCPU vcpu, grown as needed (owned by vm). */
struct cpuset *vm_spec_vcpupin(struct vm_spec *vm, unsigned vcpu);
/* The pin set of I/O thread id (1-based), grown as needed (owned by vm). */
struct cpuset *vm_spec_iothreadpin(struct vm_spec *vm, unsigned id);
/* Whether any vCPU, the emulator or an I/O thread is pinned. */
bool vm_spec_has_pins(const struct vm_spec *vm);

/*
 * Check what does not depend on the host: cells numbered 0..n-1 once each,
 * a non-zero size, cells adding up to mem_kib, distances naming existing
 * cells, vCPUs in at most one cell, a nodeset for static placement with a
 * policy, restrictive mode used for all or nothing.  -EINVAL with a diag
 * naming the element or flag.
 */
int vm_spec_validate(const struct vm_spec *vm, struct diag *d);

/* Names used in messages and output: "bind", "preferred", ... */
const char *vm_policy_name(enum vm_policy p);
const char *vm_source_name(enum vm_source s);
/* "strict", "preferred", "interleave", "restrictive" (libvirt's numatune modes). */
const char *vm_policy_libvirt_mode(enum vm_policy p);
/* Parse a --policy value or libvirt mode ("strict" and "bind" are the same). -EINVAL otherwise. */
int vm_policy_parse(const char *s, enum vm_policy *ret);
int vm_source_parse(const char *s, enum vm_source *ret);

#endif
