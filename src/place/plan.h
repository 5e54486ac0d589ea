/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The placement plan: one struct from which every output is rendered (text,
 * JSON, libvirt XML and --write, QEMU arguments with pins, Proxmox lines,
 * the 'hugepages set' each node needs).  Per VM: the node set and cells,
 * the CPU pins, or why it fits nowhere (per node) and what would make it
 * fit; per node: free cores and pages before and after, pool growth.
 */
#ifndef KVMTUNE_PLACE_PLAN_H
#define KVMTUNE_PLACE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "place/host.h"
#include "place/pins.h"
#include "place/request.h"
#include "place/solve.h"

struct place_why_node {
	int node;
	char text[256];
};

struct place_vm_plan {
	struct place_req req;
	struct place_choice choice;
	struct place_pins pins;
	struct place_why_node *why; /* not placed: the shortfall on each node */
	size_t nwhy;
	char fix[256]; /* not placed: what would make it fit ("" when nothing simple) */
};

struct place_pool_plan {
	uint64_t size_kib;
	int64_t total_pages;		 /* nr_hugepages now */
	int64_t free_before, free_after; /* usable free pages */
	int64_t grow_pages;		 /* growth the plan needs (--grow-pools) */
};

struct place_node_plan {
	int node;
	bool has_cpus;
	unsigned ncores, host_cores;
	int64_t free_cores_before, free_cores_after;
	int64_t mem_before_kib, mem_after_kib;
	struct place_pool_plan pools[PLACE_MAX_POOLS];
	size_t npools;
};

struct place_plan {
	struct place_vm_plan *vms; /* in request order */
	size_t nvms;
	struct place_node_plan *nodes;
	size_t nnodes;
	struct place_objective objective;
	struct place_opts opts;
};

/*
 * Solve the batch (place_batch), assign pins (h's cores get their planned
 * owners), and gather the per-node view and the reasons.  reqs must be
 * resolved.  ret must be zeroed; release with place_plan_release().
 */
void place_plan_build(struct place_host *h, const struct place_req *reqs, size_t n,
		      const struct place_opts *o, struct place_plan *ret);
void place_plan_release(struct place_plan *p);

#endif
