/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capacity: how many more VMs of one shape still fit, per node on its own
 * and on the whole host (copies placed one after another as the planner
 * would, single nodes first, then spans), with the free cores and pages per
 * node.  The question before every 'virsh define'.
 */
#ifndef KVMTUNE_PLACE_CAPACITY_H
#define KVMTUNE_PLACE_CAPACITY_H

#include <stddef.h>

struct place_host;
struct place_opts;
struct place_req;

/* Copies counted at most (a 1-vCPU, 1 MiB shape on a big host would count forever). */
#define PLACE_CAPACITY_MAX 100000

struct place_capacity {
	unsigned *node_fits; /* per node index: copies that fit on that node alone */
	unsigned total;	     /* copies the whole host takes */
	unsigned split;	     /* of which span nodes */
	char (*why)[256];    /* per node: why one more does not fit there */
};

/* Count for shape r (resolved) on h.  ret must be zeroed; release with place_capacity_release. */
void place_capacity_count(const struct place_host *h, const struct place_req *r,
			  const struct place_opts *o, struct place_capacity *ret);
void place_capacity_release(struct place_capacity *c);

#endif
