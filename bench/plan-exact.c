/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Branch and bound over node sets: the exact optimum of small placement instances. */
#include "plan-exact.h"

#include <stdlib.h>
#include <string.h>

#include "core/vmspec.h"
#include "place/request.h"
#include "util/xalloc.h"

#define EXACT_MAX_NODES 16

struct subset {
	size_t nodes[PLACE_MAX_SPAN];
	size_t k;
	uint32_t distance;
};

struct exact {
	const struct place_host *h;
	const struct place_req *reqs;
	size_t n;
	const struct place_opts *o;
	size_t *order;
	struct subset *sets; /* every node set up to the span limit, by size then distance */
	size_t nsets;
	uint32_t min_pair; /* smallest distance between two nodes */
	struct place_state s;
	struct place_objective cur, best;
	uint64_t visits, max_visits;
	struct place_choice *cur_ch, *best_ch; /* per request (may be NULL) */
};

static int cmp_subset(const void *a, const void *b)
{
	const struct subset *x = a, *y = b;

	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	return memcmp(x->nodes, y->nodes, x->k * sizeof(x->nodes[0]));
}

static void make_sets(struct exact *e)
{
	const struct place_host *h = e->h;
	size_t cpu_nodes[EXACT_MAX_NODES], nc = 0;
	unsigned kmax = e->o->max_span ? e->o->max_span : PLACE_MAX_SPAN;

	e->min_pair = UINT32_MAX;
	for (size_t i = 0; i < h->nnodes && nc < EXACT_MAX_NODES; i++)
		if (h->nodes[i].ncores)
			cpu_nodes[nc++] = i;
	for (uint32_t mask = 1; mask < (1u << nc); mask++) {
		struct subset s = {0};

		for (size_t b = 0; b < nc; b++)
			if (mask & (1u << b) && s.k < PLACE_MAX_SPAN)
				s.nodes[s.k++] = cpu_nodes[b];
		if ((unsigned)__builtin_popcount(mask) != s.k || s.k > kmax)
			continue;
		for (size_t i = 0; i < s.k; i++)
			for (size_t j = i + 1; j < s.k; j++)
				s.distance += h->cost[s.nodes[i] * h->nnodes + s.nodes[j]];
		if (s.k == 2 && s.distance < e->min_pair)
			e->min_pair = s.distance;
		e->sets = xreallocarray(e->sets, e->nsets + 1, sizeof(*e->sets));
		e->sets[e->nsets++] = s;
	}
	qsort(e->sets, e->nsets, sizeof(*e->sets), cmp_subset);
	if (e->min_pair == UINT32_MAX)
		e->min_pair = 0;
}

/* What node a can still give r (as the planner counts it): vCPU room and memory units. */
static void cap(const struct exact *e, const struct place_req *r, size_t a, int64_t *ret_v,
		int64_t *ret_u)
{
	const struct place_node *n = &e->h->nodes[a];
	const struct place_nstate *ns = &e->s.n[a];
	int64_t t = n->min_threads ? n->min_threads : 1;

	*ret_v = *ret_u = 0;
	if (!n->ncores)
		return;
	if (r->pin == PLACE_PIN_SHARED && r->cells) /* cells of ceil(v / cells) each */
		*ret_v = (r->vcpus + r->cells - 1) / r->cells <= cpuset_count(&n->cpus)
				 ? INT64_MAX / 4
				 : 0;
	else if (r->pin == PLACE_PIN_SHARED)
		*ret_v = cpuset_count(&n->cpus);
	else
		*ret_v = ns->free_cores * (r->threads == PLACE_THREADS_ISOLATE ? 1 : t);
	if (r->page_kib == VM_PAGE_NORMAL) {
		*ret_u = ns->mem_kib;
		return;
	}
	for (size_t j = 0; j < n->npools; j++)
		if (n->pools[j].size_kib == r->page_kib) {
			*ret_u = ns->pool_free[j];
			if (e->o->grow_pools && n->pools[j].per_node)
				*ret_u += ns->mem_kib / (int64_t)r->page_kib;
		}
}

static int64_t units(const struct place_req *r)
{
	return (int64_t)(r->page_kib == VM_PAGE_NORMAL ? r->mem_kib : r->mem_kib / r->page_kib);
}

/* A necessary condition for r on one node: some node has the room. */
static bool may_fit_single(const struct exact *e, const struct place_req *r)
{
	int64_t v, u;

	for (size_t i = 0; i < e->h->nnodes; i++) {
		cap(e, r, i, &v, &u);
		if (v >= (int64_t)r->vcpus && u >= units(r))
			return true;
	}
	return false;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * How many of the remaining VMs could be placed at most: for each resource
 * (cores, each page size, normal memory) the most VMs whose demands fit the
 * host's total, smallest first; the least over the resources.
 */
static size_t count_bound(const struct exact *e, size_t depth)
{
	size_t rem = e->n - depth, best = rem;
	int64_t d[64];

	for (int kind = 0; kind < 2 + PLACE_MAX_POOLS; kind++) {
		int64_t total = 0, sum = 0;
		uint64_t page = 0;
		size_t m = 0, fit = 0;

		if (kind >= 2) {
			bool have = false;

			for (size_t i = 0; i < e->h->nnodes && !have; i++)
				if ((size_t)(kind - 2) < e->h->nodes[i].npools) {
					page = e->h->nodes[i].pools[kind - 2].size_kib;
					have = true;
				}
			if (!have)
				continue;
		}
		for (size_t i = 0; i < e->h->nnodes; i++) {
			const struct place_node *n = &e->h->nodes[i];

			if (!n->ncores)
				continue;
			if (kind == 0)
				total += e->s.n[i].free_cores;
			else if (kind == 1)
				total += e->s.n[i].mem_kib;
			for (size_t j = 0; kind >= 2 && j < n->npools; j++)
				if (n->pools[j].size_kib == page)
					total += e->s.n[i].pool_free[j] +
						 (e->o->grow_pools
							  ? e->s.n[i].mem_kib / (int64_t)page
							  : 0);
		}
		for (size_t i = depth; i < e->n && m < 64; i++) {
			const struct place_req *r = &e->reqs[e->order[i]];

			if (kind == 0)
				d[m++] = r->pin == PLACE_PIN_SHARED ? 0
					 : r->threads == PLACE_THREADS_ISOLATE
						 ? (int64_t)r->vcpus
						 : (int64_t)(r->vcpus + 1) / 2;
			else if (kind == 1)
				d[m++] = r->page_kib == VM_PAGE_NORMAL ? (int64_t)r->mem_kib : 0;
			else
				d[m++] = r->page_kib == page ? units(r) : 0;
		}
		qsort(d, m, sizeof(*d), cmp_i64);
		while (fit < m && sum + d[fit] <= total)
			sum += d[fit++];
		if (fit < best)
			best = fit;
	}
	return best;
}

/* Whether the best the remaining VMs (from depth on) could reach beats the incumbent. */
static bool promising(const struct exact *e, size_t depth)
{
	struct place_objective bound = e->cur;
	size_t most = count_bound(e, depth), rem = e->n - depth, nosingle = 0;

	bound.placed += (unsigned)most;
	if (bound.placed != e->best.placed)
		return bound.placed > e->best.placed;
	/*
	 * As many placed as the incumbent: VMs without room on any single node
	 * span, except those among the rem - most the bound leaves unplaced.
	 */
	for (size_t i = depth; i < e->n; i++)
		nosingle += !may_fit_single(e, &e->reqs[e->order[i]]);
	if (nosingle > rem - most) {
		bound.split += (unsigned)(nosingle - (rem - most));
		bound.distance += (nosingle - (rem - most)) * e->min_pair;
	}
	return place_objective_cmp(&bound, &e->best) < 0;
}

static void search(struct exact *e, size_t depth)
{
	const struct place_req *r;
	struct place_choice c;

	if (e->visits++ >= e->max_visits)
		return;
	if (depth == e->n) {
		if (place_objective_cmp(&e->cur, &e->best) < 0) {
			e->best = e->cur;
			if (e->best_ch)
				memcpy(e->best_ch, e->cur_ch, e->n * sizeof(*e->best_ch));
		}
		return;
	}
	if (!promising(e, depth))
		return;
	r = &e->reqs[e->order[depth]];
	for (size_t i = 0; i < e->nsets && e->visits < e->max_visits; i++) {
		const struct subset *s = &e->sets[i];

		if (s->k > 1 && (r->cells ? s->k > r->cells : s->k > r->vcpus))
			continue;
		if (!place_try(e->h, &e->s, r, e->o, s->nodes, s->k, &c))
			continue;
		place_apply(e->h, &e->s, r, &c, 1);
		if (e->cur_ch)
			e->cur_ch[e->order[depth]] = c;
		e->cur.placed++;
		e->cur.split += s->k > 1;
		e->cur.distance += c.distance;
		search(e, depth + 1);
		e->cur.placed--;
		e->cur.split -= s->k > 1;
		e->cur.distance -= c.distance;
		place_apply(e->h, &e->s, r, &c, -1);
	}
	if (e->cur_ch)
		memset(&e->cur_ch[e->order[depth]], 0, sizeof(e->cur_ch[0]));
	search(e, depth + 1); /* unplaced */
}

static int cmp_mem_desc(const void *a, const void *b, void *ctx)
{
	const struct place_req *reqs = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (reqs[x].mem_kib != reqs[y].mem_kib)
		return reqs[x].mem_kib > reqs[y].mem_kib ? -1 : 1;
	return x < y ? -1 : x > y;
}

bool exact_solve(const struct place_host *h, const struct place_req *reqs, size_t n,
		 const struct place_opts *o, const struct place_objective *incumbent,
		 uint64_t max_visits, struct place_objective *ret)
{
	return exact_solve_choices(h, reqs, n, o, incumbent, max_visits, ret, NULL);
}

bool exact_solve_choices(const struct place_host *h, const struct place_req *reqs, size_t n,
			 const struct place_opts *o, const struct place_objective *incumbent,
			 uint64_t max_visits, struct place_objective *ret,
			 struct place_choice *ret_choices)
{
	struct exact e = {h, reqs, n, o};
	bool complete;

	if (ret_choices) {
		e.cur_ch = xcalloc(n + 1, sizeof(*e.cur_ch));
		e.best_ch = ret_choices;
	}
	e.order = xcalloc(n + 1, sizeof(*e.order));
	for (size_t i = 0; i < n; i++)
		e.order[i] = i;
	qsort_r(e.order, n, sizeof(*e.order), cmp_mem_desc, (void *)reqs);
	make_sets(&e);
	place_state_init(&e.s, h);
	e.max_visits = max_visits;
	if (incumbent)
		e.best = *incumbent;
	search(&e, 0);
	complete = e.visits < e.max_visits;
	*ret = e.best;
	place_state_release(&e.s);
	free(e.sets);
	free(e.order);
	free(e.cur_ch);
	return complete;
}
