/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the planner sees of a host: per NUMA node its cores (SMT siblings,
 * last-level cache), the cores still free for dedicated vCPUs, the hugepages
 * free per size after reservations and after what defined or running VMs have
 * not faulted yet, the memory left for VMs and pool growth after the
 * keep-free guard, an optional CPU load figure, and a cost matrix between
 * nodes (SLIT distances unless measured costs are set).  Built from the host
 * model and the existing VMs' usage, or filled directly (tests, the
 * benchmark's generated hosts).  Pure data; no I/O.
 */
#ifndef KVMTUNE_PLACE_HOST_H
#define KVMTUNE_PLACE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"

struct diag;
struct host_model;
struct hp_mem;
struct memcost;

/* Hugepage sizes tracked per node. */
#define PLACE_MAX_POOLS 4
/* Nodes one VM may span, and guest NUMA cells one VM may have (Proxmox's limit too). */
#define PLACE_MAX_SPAN 8
#define PLACE_MAX_CELLS 8

struct place_pool {
	uint64_t size_kib;
	int64_t total_pages; /* nr_hugepages now */
	int64_t free_pages;  /* usable: free, less reservations and unfaulted demand (>= 0) */
	bool per_node;	     /* the node has its own sysfs pool of this size: it can grow */
};

struct place_node {
	int node;	      /* kernel node number */
	struct cpuset cpus;   /* online CPUs */
	unsigned ncores;      /* cores with an online CPU here */
	unsigned free_cores;  /* cores free for dedicated vCPUs */
	unsigned host_cores;  /* cores kept for the host, emulators and I/O threads */
	unsigned min_threads; /* fewest online threads of one core here (0 without CPUs) */
	double cpu_free;      /* free CPU capacity in CPUs (load input), < 0: unknown */
	int64_t mem_total_kib;
	int64_t mem_kib; /* for VMs' normal memory and pool growth: after the guard, >= 0 */
	struct place_pool pools[PLACE_MAX_POOLS];
	size_t npools;
};

/* A core's owner: free, kept for the host, taken by an existing VM, or planned VM n (>= 0). */
enum place_core_owner {
	PLACE_CORE_FREE = -1,
	PLACE_CORE_HOST = -2,
	PLACE_CORE_TAKEN = -3,
};

struct place_core {
	size_t node_idx;
	int cache;	    /* last-level cache group, -1 unknown */
	struct cpuset cpus; /* its online CPUs (SMT siblings) */
	int owner;	    /* enum place_core_owner */
	char *taken_by;	    /* the existing VM using it (PLACE_CORE_TAKEN), else NULL */
};

struct place_host {
	struct place_node *nodes; /* sorted by node number */
	size_t nnodes;
	struct place_core *cores; /* by node, then cache group, then first CPU */
	size_t ncores;
	uint32_t *cost;	      /* nnodes x nnodes, row-major in node order */
	uint64_t *page_sizes; /* hugepage sizes the CPU and kernel offer, sorted */
	size_t npage_sizes;
	uint64_t default_hugepage_kib; /* 0: none */
	char **notes;		       /* how existing usage was accounted, for the report */
	size_t nnotes;
};

/* Memory an existing VM holds or will hold: per node (-1: not bound) and page size (0: normal). */
struct place_mem_use {
	int node;
	uint64_t page_kib;
	uint64_t want_kib; /* what its configuration or reservation asks for */
	uint64_t have_kib; /* faulted now */
};

/* One existing VM (running, defined, or only a hugepage reservation). */
struct place_vm_use {
	char *name;
	int pid;		 /* 0: not running */
	bool defined;		 /* from a domain XML */
	bool replanned;		 /* being placed again: what it holds counts as free */
	struct cpuset dedicated; /* CPUs one of its vCPUs is pinned to (their cores are taken) */
	struct place_mem_use *mem;
	size_t nmem;
};

struct place_usage {
	struct place_vm_use *vms;
	size_t nvms;
};

void place_usage_release(struct place_usage *u);
/* Append a VM (name copied) and return it. */
struct place_vm_use *place_usage_add(struct place_usage *u, const char *name);
/* Add want/have KiB to the VM's entry for (node, page), creating it. */
void place_vm_use_add_mem(struct place_vm_use *v, int node, uint64_t page_kib, uint64_t want_kib,
			  uint64_t have_kib);

struct place_host_opts {
	int64_t keep_free_kib; /* per node, -1: the hugepages module's default guard */
	unsigned host_cores;   /* cores per node kept from dedicated use */
};

/*
 * Build the planner's host from the model, what each node could give up
 * (mem: hugepages_mem_load(); its guard is the one 'hugepages set' uses) and
 * the existing VMs (u may be NULL).  Pools: free pages less each VM's
 * unfaulted pages (want - have) on its node; a VM not bound to a node takes
 * them from the nodes with the most free pages first (a note says so).
 * Memory: available less the guard less unfaulted normal memory.  Cores with
 * a CPU an existing vCPU is pinned to alone are taken; then host_cores free
 * cores per node (lowest CPUs first) are kept for the host, always leaving
 * one core of the node to VMs (a node of one core keeps none).  A VM marked
 * replanned gives back what it holds instead (its next start is planned).  The cost
 * matrix is the SLIT distances.  ret must be zeroed.  -EINVAL with a diag
 * for a model without nodes.
 */
int place_host_build(const struct host_model *m, const struct hp_mem *mem,
		     const struct place_usage *u, const struct place_host_opts *o,
		     struct place_host *ret, struct diag *d);
void place_host_release(struct place_host *h);

/* The index of kernel node `node` in h->nodes, or -1. */
int place_host_node_idx(const struct place_host *h, int node);
/* The pool of size_kib of node n, or NULL. */
struct place_pool *place_node_pool(struct place_node *n, uint64_t size_kib);
const struct place_pool *place_node_pool_c(const struct place_node *n, uint64_t size_kib);
/* Whether the CPU and kernel offer hugepages of size_kib. */
bool place_host_has_page_size(const struct place_host *h, uint64_t size_kib);
/*
 * Replace the cost matrix (nnodes x nnodes, row-major in node order, e.g.
 * measured latencies); diagonal entries must be the smallest of their row.
 * -EINVAL with a diag otherwise.
 */
int place_host_set_cost(struct place_host *h, const uint32_t *cost, size_t n, struct diag *d);
/*
 * Costs measured by 'kvmtune bench memory --save' (core/memcost.h) in place
 * of SLIT distances: from each node with CPUs and memory to each node with
 * memory, 10 x the 4K latency ratio to its own memory (so 10 stays local,
 * as in SLIT); rows of nodes without CPUs or memory keep their SLIT
 * distances.  -ENODATA (costs unchanged) when a pair was not measured.
 */
int place_host_use_memcost(struct place_host *h, const struct memcost *mc, struct diag *d);
/* Set a node's free CPU capacity in CPUs (e.g. from /proc/stat deltas); < 0: unknown. */
void place_host_set_cpu_free(struct place_host *h, size_t node_idx, double cpus);
/* Append a note (printf format). */
void place_host_note(struct place_host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Deep copy (the daemon re-plans from one snapshot many times). */
void place_host_copy(struct place_host *dst, const struct place_host *src);

#endif
