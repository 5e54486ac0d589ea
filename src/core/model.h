/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host model: what kvmtune knows about a host's CPUs, NUMA nodes,
 * memory, hugepage pools, hugetlbfs mounts and memory knobs, read in one
 * pass through struct host.  Pure data once loaded; no printing.
 */
#ifndef KVMTUNE_CORE_MODEL_H
#define KVMTUNE_CORE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"
#include "core/knobs.h"
#include "core/mounts.h"

struct diag;
struct host;

/* Absent counters are -1 (e.g. no resv_hugepages file for a per-node pool). */
struct pool {
	uint64_t size_kib;
	int64_t total;
	int64_t free;
	int64_t surplus;
	int64_t reserved;   /* global pools only, else -1 */
	int64_t overcommit; /* global pools only, else -1 */
};

struct numa_node {
	int node;
	struct cpuset cpus;	    /* its online CPUs (all it lists when online is unknown) */
	struct cpuset cpus_offline; /* CPUs its cpulist names that are not online */
	int64_t mem_total_kib;	    /* -1 when the node has no meminfo */
	int64_t mem_free_kib;
	/*
	 * To each node of the model, in model order (ndistances == nnodes, or 0
	 * without a distance file); -1 where the row could not be matched to
	 * node numbers.
	 */
	int *distances;
	size_t ndistances;
	struct pool *pools; /* sorted by size */
	size_t npools;
};

/* One processing unit (hardware thread) as hwloc sees it. */
struct pu {
	int cpu;
	int core_idx;	 /* hwloc logical index of its core, -1 if unknown */
	int package_idx; /* hwloc logical index of its package, -1 if unknown */
	int node;	 /* NUMA node, -1 if unknown */
};

/* A set of CPUs that share a package, a core or a cache. */
struct cpu_group {
	unsigned level;	   /* caches: 1, 2, 3 (unified or data); 0 for packages and cores */
	uint64_t size_kib; /* caches only */
	struct cpuset cpus;
};

struct host_model {
	bool numa_sysfs;	 /* false: no node directory, a single node was synthesised */
	struct numa_node *nodes; /* sorted by node number */
	size_t nnodes;

	struct cpuset cpus_online;
	struct cpuset cpus_possible;
	struct cpuset cpus_nodeless; /* online CPUs that no node lists (e.g. an absent node 0) */
	struct pu *pus;
	size_t npus;
	unsigned packages, cores;
	unsigned threads_per_core;	  /* max PUs in one core */
	struct cpu_group *package_groups; /* online CPUs of each package */
	size_t npackage_groups;
	struct cpu_group *core_groups; /* SMT siblings */
	size_t ncore_groups;
	struct cpu_group *cache_groups; /* last-level (L3, else L2) data/unified caches */
	size_t ncache_groups;
	bool topology_from_hwloc;

	char cpu_model[128];
	uint64_t base_page_kib;	      /* the system's base page size (pagesize_base_kib()) */
	uint64_t *cpu_page_sizes_kib; /* page sizes the CPU supports, sorted */
	size_t ncpu_page_sizes;
	uint64_t default_hugepage_kib; /* 0 when unknown */
	int64_t mem_total_kib;	       /* -1 when /proc/meminfo is absent */
	int64_t mem_free_kib;
	int64_t mem_available_kib;
	int64_t swap_total_kib;

	struct pool *pools; /* global pools, sorted by size */
	size_t npools;

	struct hugetlbfs_mount *mounts;
	size_t nmounts;

	struct knob_value knobs[KNOB_COUNT_];
	int numad_pid; /* 0 when numad is not running */
	char kernel_release[128];
};

/*
 * Read the host into a model (ret must be zeroed or released).  Missing
 * optional files leave their fields absent (-1, empty, knob.present false);
 * malformed files fail with -EINVAL and a diag naming the file and value.
 */
int host_model_load(struct host *h, struct host_model *ret, struct diag *d);
void host_model_release(struct host_model *m);

enum host_model_flags {
	HOST_MODEL_NO_TOPOLOGY = 1u << 0,  /* skip hwloc: pus empty, packages/cores 0 */
	HOST_MODEL_NO_PROCESSES = 1u << 1, /* skip the /proc scan for numad: numad_pid 0 */
	HOST_MODEL_NO_CPUINFO = 1u << 2,   /* skip /proc/cpuinfo: no cpu_model, cpu page sizes */
	HOST_MODEL_NO_MOUNTS = 1u << 3,	   /* skip /proc/mounts: no hugetlbfs mounts */
	HOST_MODEL_NO_KNOBS = 1u << 4,	   /* skip the knobs: all absent */
	/*
	 * All of the above, and only what per-process views need: the nodes
	 * with their CPUs and the pool sizes.  Pool counters, meminfo (so the
	 * default hugepage size: 0), node meminfo, distances, the CPU lists
	 * (unless there is no node directory) and the kernel release stay
	 * absent: stat reads a dozen files fewer per node.
	 */
	HOST_MODEL_NODES_ONLY = 1u << 5,
};
/* host_model_load() without the parts flags name (for fast read-only commands). */
int host_model_load_flags(struct host *h, unsigned flags, struct host_model *ret, struct diag *d);

const struct numa_node *model_find_node(const struct host_model *m, int node);
const struct pool *model_find_pool(const struct host_model *m, uint64_t size_kib);
const struct pool *node_find_pool(const struct numa_node *n, uint64_t size_kib);
/* Whether the CPU supports this hugepage size. */
bool model_cpu_supports(const struct host_model *m, uint64_t size_kib);
/* The mount serving size_kib (first in mount order), or NULL. */
const struct hugetlbfs_mount *model_find_mount(const struct host_model *m, uint64_t size_kib);

#endif
