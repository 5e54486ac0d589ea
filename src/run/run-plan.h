/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nodes of a VM started by 'kvmtune run' without --nodes: asked of the
 * planner (src/place), as 'kvmtune plan --vm vcpus=N,mem=SIZE,page=P,
 * pin=shared --grow-pools' would place it on this host: the VMs already
 * there (defined domains, running QEMUs, other owners' reservation records)
 * count as used, pools may grow (run's reservation grows them).  Reads the
 * host through its seam (inventory); decides nothing itself.
 */
#ifndef KVMTUNE_RUN_RUN_PLAN_H
#define KVMTUNE_RUN_RUN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"

struct diag;
struct host;
struct host_model;
struct run_place_req;

struct run_plan_opts {
	const char *owner;     /* the VM's reservation owner: what it holds counts as free */
	int64_t keep_free_kib; /* per node, -1: the hugepages guard */
};

/* One line of the planner's reasoning: a node (-1: none) and what it says. */
struct run_plan_line {
	int node;
	char text[300];
};

struct run_plan_result {
	bool placed;
	struct cpuset nodes;	     /* the chosen host nodes (placed) */
	char reason[300];	     /* placed: why this set; else what would make it fit ("") */
	struct run_plan_line *lines; /* per host node: fits alone (and how) or its shortfall */
	size_t nlines;
	char **notes; /* how existing usage was counted (the planner's notes) */
	size_t nnotes;
};

/*
 * Ask the planner where req (its vCPUs, memory and page size; req->nodes
 * ignored) goes on the host h with model m (loaded with its topology).  0
 * with ret->placed true and the node set, or ret->placed false with the
 * shortfall per node (the caller refuses: nothing is reserved).  -errno
 * with a diag when the host cannot be read or the request does not resolve
 * (a page size the host lacks, more vCPUs than CPUs).  ret must be zeroed;
 * release with run_plan_result_release().
 */
int run_plan_nodes(struct host *h, const struct host_model *m, const struct run_place_req *req,
		   const struct run_plan_opts *o, struct run_plan_result *ret, struct diag *d);
void run_plan_result_release(struct run_plan_result *r);

#endif
