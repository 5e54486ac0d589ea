/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The placement solver: which host nodes each VM goes to, as one guest cell
 * per node (or the VM's own cells spread over them), so that as many VMs as
 * possible are placed, then as few as possible span nodes, then the spanned
 * ones on the nearest sets (least cost).  Resources per node: free cores for
 * dedicated vCPUs (a core never holds two VMs), shared CPUs, free hugepages
 * of the VM's size (grown from free memory beyond the guard only when asked)
 * or memory.  Deterministic, no I/O, no time budgets: a batch of 1024 VMs
 * on 64 nodes takes milliseconds (bench/plan).
 */
#ifndef KVMTUNE_PLACE_SOLVE_H
#define KVMTUNE_PLACE_SOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "place/host.h"

struct place_req;

/* Kept small: the solver copies choices by the million. */
struct place_cell {
	uint64_t mem_kib;
	uint64_t pages;		    /* hugepages of the VM's size (0 with normal memory) */
	uint64_t grow_pages;	    /* of those, what the node's pool must grow by */
	uint32_t node_idx;	    /* the host node (index) */
	uint32_t cores;		    /* dedicated cores */
	uint16_t first_vcpu, vcpus; /* guest vCPUs first_vcpu .. first_vcpu + vcpus - 1 */
};

struct place_choice {
	bool placed;
	size_t ncells;
	struct place_cell cells[PLACE_MAX_CELLS];
	size_t nnodes;
	size_t nodes[PLACE_MAX_SPAN]; /* node indexes, ascending */
	uint32_t distance;	      /* sum of the costs between its nodes, each pair once */
	double score;		      /* lower is better: spans, distance, growth, fit */
};

struct place_opts {
	bool grow_pools;      /* hugepages may come from growing a node's pool (free memory) */
	bool spread;	      /* a single node with the most room left, not the tightest fit */
	unsigned max_span;    /* nodes one VM may span; 0: PLACE_MAX_SPAN */
	uint64_t work_budget; /* search work a batch may spend (a fit check is 8); 0: default */
};

/* Resources left per node during a search. */
struct place_nstate {
	int64_t free_cores;
	int64_t mem_kib;
	int64_t pool_free[PLACE_MAX_POOLS]; /* same order as the node's pools */
};

struct place_state {
	struct place_nstate *n;
	size_t nnodes;
};

/* The objective, compared lexicographically: placed (more), split (fewer), distance (less). */
struct place_objective {
	unsigned placed;
	unsigned split;
	uint64_t distance;
};

void place_state_init(struct place_state *s, const struct place_host *h);
void place_state_copy(struct place_state *dst, const struct place_state *src);
void place_state_release(struct place_state *s);

/*
 * Split r over nodes (node indexes; as many cells as nodes when r->cells is
 * 0, else r's cells in blocks) and check that each node can hold its share
 * in s.  Fills ret (placed, cells, nodes, distance, score) and returns
 * whether it fits.  r must be resolved (place_req_resolve).
 */
bool place_try(const struct place_host *h, const struct place_state *s, const struct place_req *r,
	       const struct place_opts *o, const size_t *nodes, size_t nnodes,
	       struct place_choice *ret);
/* Take (sign 1) or give back (sign -1) a placed choice's resources. */
void place_apply(const struct place_host *h, struct place_state *s, const struct place_req *r,
		 const struct place_choice *c, int sign);

/* Compare two objectives: < 0 when a is better. */
int place_objective_cmp(const struct place_objective *a, const struct place_objective *b);
struct place_objective place_objective_of(const struct place_choice *c, size_t n);

/*
 * Place a batch of resolved requests on h (whose state already holds the
 * existing VMs).  ret gets n choices, in request order (placed false for a
 * VM that fits nowhere).  Greedy over several orders with a repair step that
 * moves one placed VM to make room for an unplaced or split one, then ruin
 * and recreate around each node and pair of nodes while it improves the
 * objective, within a budget of counted work (batch.c).
 */
void place_batch(const struct place_host *h, const struct place_req *reqs, size_t n,
		 const struct place_opts *o, struct place_choice *ret);
/* The same, starting from state s (left unchanged). */
void place_batch_from(const struct place_host *h, const struct place_state *s,
		      const struct place_req *reqs, size_t n, const struct place_opts *o,
		      struct place_choice *ret);

/* The best placement of one VM in s, or placed false. */
bool place_best(const struct place_host *h, const struct place_state *s, const struct place_req *r,
		const struct place_opts *o, struct place_choice *ret);

/* One candidate node set of place_one(). */
struct place_candidate {
	struct place_choice choice;
	bool fits;
	char why[256]; /* the shortfall when it does not fit */
};

/*
 * Place or re-place one VM: every single node and, for each span size up to
 * the first that fits, the nearest set around each node, each with its
 * score (lower is better; a VM that fits on one node scores below any span,
 * a span below a larger one, then the distance, pool growth, CPU load and
 * fit).  The daemon compares the best against the VM's current set (scored
 * with place_score_nodes after giving back its own resources) for
 * hysteresis.  ret gets a new array sorted best first (fitting ones first).
 */
void place_one(const struct place_host *h, const struct place_state *s, const struct place_req *r,
	       const struct place_opts *o, struct place_candidate **ret, size_t *ret_n);
/* Score one given node set (node indexes) for r in s. */
void place_score_nodes(const struct place_host *h, const struct place_state *s,
		       const struct place_req *r, const struct place_opts *o, const size_t *nodes,
		       size_t nnodes, struct place_candidate *ret);

#endif
