/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The solver's search primitives, shared by solve.c (one VM) and batch.c
 * (a batch: orders, repair, ruin and recreate).  Not for use outside
 * src/place.
 */
#ifndef KVMTUNE_PLACE_SOLVE_INTERNAL_H
#define KVMTUNE_PLACE_SOLVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "place/solve.h"

struct solver {
	const struct place_host *h;
	const struct place_opts *o;
	size_t *nbr;	 /* per node: the other nodes with CPUs, nearest first (nnodes each) */
	size_t *nnbr;	 /* how many per node */
	int64_t *cap_v;	 /* scratch: per node vCPU capacity for one request */
	int64_t *cap_u;	 /* scratch: per node memory units */
	int64_t *sorted; /* scratch */
	uint64_t work;	 /* work done: place_try counts 8, a capacity look 1 (deterministic) */
};

void solver_init(struct solver *sv, const struct place_host *h, const struct place_opts *o);
void solver_release(struct solver *sv);
/* Nodes r may span: the span limit, r's cells, r's vCPUs. */
unsigned solver_max_span(const struct solver *sv, const struct place_req *r);
/* a before b: placed, then lower score, then the lower node list. */
bool solver_better(const struct place_choice *a, const struct place_choice *b);
/* What node a could still give r: vCPUs (dedicated: free cores x threads) and units. */
void solver_node_cap(const struct place_host *h, const struct place_state *s,
		     const struct place_req *r, const struct place_opts *o, size_t a,
		     int64_t *ret_vcpus, int64_t *ret_units);
/* r's memory in units: pages of its size, or KiB of normal memory. */
int64_t solver_need_units(const struct place_req *r);
/* The best single node for r (not skip; SIZE_MAX: none skipped). */
bool solver_best_single(struct solver *sv, const struct place_state *s, const struct place_req *r,
			size_t skip, struct place_choice *ret);
/* The best span of the fewest nodes that fits. */
bool solver_best_span(struct solver *sv, const struct place_state *s, const struct place_req *r,
		      struct place_choice *ret);
/* The same, over at least kfrom nodes (a wider span leaves smaller shares on each node). */
bool solver_best_span_from(struct solver *sv, const struct place_state *s,
			   const struct place_req *r, size_t kfrom, struct place_choice *ret);
/* Single node first, then a span; placed false when neither fits. */
bool solver_choose(struct solver *sv, const struct place_state *s, const struct place_req *r,
		   struct place_choice *ret);

#endif
