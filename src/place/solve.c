/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The placement solver: splitting a VM over node sets, fit checks, the
 * greedy choice (best single node, else the nearest span that fits), the
 * repair step and the batch over several orders.
 */
#include "place/solve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vmspec.h"
#include "place/request.h"
#include "place/solve-internal.h"
#include "place/why.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Score weights: spans, then distance, then pool growth, then fit (see place_one). */
#define SCORE_SPAN 1e9
#define SCORE_DISTANCE 1e4
#define SCORE_GROW 1e3
/* Hosts up to this many nodes get every span size tried; bigger ones the likeliest two. */
#define SPAN_ALL_NODES 12

void place_state_init(struct place_state *s, const struct place_host *h)
{
	s->nnodes = h->nnodes;
	s->n = xcalloc(h->nnodes + 1, sizeof(*s->n));
	for (size_t i = 0; i < h->nnodes; i++) {
		s->n[i].free_cores = h->nodes[i].free_cores;
		s->n[i].mem_kib = h->nodes[i].mem_kib;
		for (size_t j = 0; j < h->nodes[i].npools; j++)
			s->n[i].pool_free[j] = h->nodes[i].pools[j].free_pages;
	}
}

void place_state_copy(struct place_state *dst, const struct place_state *src)
{
	dst->nnodes = src->nnodes;
	dst->n = xcalloc(src->nnodes + 1, sizeof(*dst->n));
	memcpy(dst->n, src->n, src->nnodes * sizeof(*dst->n));
}

void place_state_release(struct place_state *s)
{
	free(s->n);
	s->n = NULL;
	s->nnodes = 0;
}

static int pool_slot(const struct place_node *n, uint64_t page_kib)
{
	for (size_t i = 0; i < n->npools; i++)
		if (n->pools[i].size_kib == page_kib)
			return (int)i;
	return -1;
}

static unsigned cores_for(const struct place_req *r, const struct place_node *n, unsigned vcpus)
{
	unsigned t = n->min_threads ? n->min_threads : 1;

	if (r->pin == PLACE_PIN_SHARED)
		return 0;
	if (r->threads == PLACE_THREADS_ISOLATE)
		return vcpus;
	return (vcpus + t - 1) / t;
}

/* Whether r may use node index idx (nodes= in its spec). */
static bool allowed(const struct place_req *r, size_t idx)
{
	return !r->allowed_idx || (idx < 64 && (r->allowed_idx >> idx & 1));
}

/* What one node must hold of a choice. */
struct share {
	unsigned cores;
	unsigned shared_vcpus; /* largest shared cell */
	uint64_t units;	       /* pages, or KiB of normal memory */
	bool bad_threads;      /* threads=require on a node without SMT, or an odd cell */
};

/* Whether node idx can hold sh in s; *ret_grow gets the pages its pool must grow by. */
static bool share_fits(const struct place_host *h, const struct place_state *s,
		       const struct place_req *r, const struct place_opts *o, size_t idx,
		       const struct share *sh, uint64_t *ret_grow)
{
	const struct place_node *n = &h->nodes[idx];
	const struct place_nstate *ns = &s->n[idx];
	int slot;

	*ret_grow = 0;
	if (!n->ncores || sh->bad_threads || !allowed(r, idx))
		return false;
	if ((int64_t)sh->cores > ns->free_cores)
		return false;
	/* shared vCPUs float: a cell needs no more of them than its node has CPUs */
	if (sh->shared_vcpus > cpuset_count(&n->cpus))
		return false;
	if (r->page_kib == VM_PAGE_NORMAL)
		return (int64_t)sh->units <= ns->mem_kib;
	slot = pool_slot(n, r->page_kib);
	if (slot < 0)
		return false;
	if ((int64_t)sh->units <= ns->pool_free[slot])
		return true;
	if (!o->grow_pools || !n->pools[slot].per_node)
		return false;
	*ret_grow = sh->units - (uint64_t)ns->pool_free[slot];
	return ns->mem_kib / (int64_t)r->page_kib >= (int64_t)*ret_grow;
}

/* Cells of r over k nodes: vCPUs and memory as even as possible, cells in blocks per node. */
static bool split(const struct place_host *h, const struct place_req *r, const size_t *nodes,
		  size_t k, struct place_choice *c, struct share *shares)
{
	unsigned ncells = r->cells ? r->cells : (unsigned)k;
	uint64_t unit = r->page_kib != VM_PAGE_NORMAL ? r->page_kib : 1024;
	uint64_t units = r->mem_kib / unit;
	unsigned vcpu = 0, cell = 0;

	if (ncells < k || ncells > PLACE_MAX_CELLS || ncells > r->vcpus)
		return false;
	c->ncells = ncells;
	for (size_t j = 0; j < k; j++) {
		const struct place_node *n = &h->nodes[nodes[j]];
		unsigned end = (unsigned)(((j + 1) * ncells) / k);

		memset(&shares[j], 0, sizeof(shares[j]));
		for (; cell < end; cell++) {
			struct place_cell *pc = &c->cells[cell];
			unsigned v = r->vcpus / ncells + (cell < r->vcpus % ncells);
			uint64_t u = units / ncells + (cell < units % ncells);

			*pc = (struct place_cell){
				u * unit, 0, 0, (uint32_t)nodes[j], 0, (uint16_t)vcpu, (uint16_t)v};
			pc->pages = r->page_kib != VM_PAGE_NORMAL ? u : 0;
			pc->cores = cores_for(r, n, v);
			vcpu += v;
			shares[j].cores += pc->cores;
			shares[j].units += r->page_kib != VM_PAGE_NORMAL ? u : u * unit;
			if (r->pin == PLACE_PIN_SHARED && v > shares[j].shared_vcpus)
				shares[j].shared_vcpus = v;
			if (r->pin == PLACE_PIN_DEDICATED && r->threads == PLACE_THREADS_REQUIRE &&
			    (n->min_threads < 2 || v % n->min_threads))
				shares[j].bad_threads = true;
		}
	}
	return true;
}

static double fit_score(const struct place_host *h, const struct place_state *s,
			const struct place_req *r, const struct place_opts *o,
			const struct place_choice *c, const struct share *shares)
{
	double sum = 0;

	for (size_t j = 0; j < c->nnodes; j++) {
		const struct place_node *n = &h->nodes[c->nodes[j]];
		const struct place_nstate *ns = &s->n[c->nodes[j]];
		double total = n->mem_total_kib > 0 ? (double)n->mem_total_kib : 1.0;
		double left_kib, f = 0;
		int slot = pool_slot(n, r->page_kib);

		if (r->pin == PLACE_PIN_DEDICATED)
			f += (double)(ns->free_cores - shares[j].cores) /
			     (double)(n->ncores ? n->ncores : 1);
		if (r->page_kib == VM_PAGE_NORMAL)
			left_kib = (double)ns->mem_kib - (double)shares[j].units;
		else
			left_kib = ((double)(slot >= 0 ? ns->pool_free[slot] : 0) -
				    (double)shares[j].units) *
				   (double)r->page_kib;
		f += (left_kib > 0 ? left_kib : 0) / total;
		if (o->spread)
			f = -f;
		if (n->cpu_free >= 0 && cpuset_count(&n->cpus))
			f += 0.25 * (1.0 - n->cpu_free / (double)cpuset_count(&n->cpus));
		sum += f;
	}
	return sum / (double)(c->nnodes ? c->nnodes : 1);
}

/* What node a could still give r, in vCPUs and in units (pages, or KiB of normal memory). */
void solver_node_cap(const struct place_host *h, const struct place_state *s,
		     const struct place_req *r, const struct place_opts *o, size_t a,
		     int64_t *ret_vcpus, int64_t *ret_units)
{
	const struct place_node *n = &h->nodes[a];
	const struct place_nstate *ns = &s->n[a];
	int64_t t = n->min_threads ? n->min_threads : 1;
	int slot = pool_slot(n, r->page_kib);

	*ret_vcpus = *ret_units = 0;
	if (!n->ncores || !allowed(r, a))
		return;
	if (r->pin == PLACE_PIN_SHARED && r->cells) /* any number of cells, each within the CPUs */
		*ret_vcpus = (r->vcpus + r->cells - 1) / r->cells <= cpuset_count(&n->cpus)
				     ? INT64_MAX / 4
				     : 0;
	else if (r->pin == PLACE_PIN_SHARED) /* not used up: one cell's vCPUs at most */
		*ret_vcpus = cpuset_count(&n->cpus);
	else
		*ret_vcpus = ns->free_cores * (r->threads == PLACE_THREADS_ISOLATE ? 1 : t);
	if (r->page_kib == VM_PAGE_NORMAL) {
		*ret_units = ns->mem_kib;
	} else if (slot >= 0) {
		*ret_units = ns->pool_free[slot];
		if (o->grow_pools && n->pools[slot].per_node)
			*ret_units += ns->mem_kib / (int64_t)r->page_kib;
	}
}

int64_t solver_need_units(const struct place_req *r)
{
	return (int64_t)(r->page_kib == VM_PAGE_NORMAL ? r->mem_kib : r->mem_kib / r->page_kib);
}

bool place_try(const struct place_host *h, const struct place_state *s, const struct place_req *r,
	       const struct place_opts *o, const size_t *nodes, size_t nnodes,
	       struct place_choice *ret)
{
	struct share shares[PLACE_MAX_SPAN];
	bool grows = false, fits = true;

	/* no memset of the whole choice: this is the solver's innermost call */
	ret->placed = false;
	ret->ncells = 0;
	ret->distance = 0;
	ret->score = 0;
	ret->nnodes = 0;
	if (nnodes == 0 || nnodes > PLACE_MAX_SPAN)
		return false;
	for (size_t j = 0; j < nnodes; j++) {
		size_t i = j;

		/* insertion: at most PLACE_MAX_SPAN nodes */
		for (; i > 0 && ret->nodes[i - 1] > nodes[j]; i--)
			ret->nodes[i] = ret->nodes[i - 1];
		ret->nodes[i] = nodes[j];
	}
	ret->nnodes = nnodes;
	for (size_t j = 0; j < nnodes; j++)
		if (ret->nodes[j] >= h->nnodes || (j && ret->nodes[j] == ret->nodes[j - 1]))
			return false;
	if (!split(h, r, ret->nodes, nnodes, ret, shares))
		return false;
	for (size_t j = 0; j < nnodes; j++) {
		uint64_t grow = 0;

		for (size_t i = j + 1; i < nnodes; i++)
			ret->distance += h->cost[ret->nodes[j] * h->nnodes + ret->nodes[i]];
		if (!share_fits(h, s, r, o, ret->nodes[j], &shares[j], &grow))
			fits = false;
		grows = grows || grow;
		/* the growth goes to the node's cells, first cells first */
		for (size_t c = 0; c < ret->ncells && grow; c++) {
			struct place_cell *pc = &ret->cells[c];

			if (pc->node_idx != ret->nodes[j])
				continue;
			pc->grow_pages = grow < pc->pages ? grow : pc->pages;
			grow -= pc->grow_pages;
		}
	}
	ret->placed = fits;
	ret->score = (double)(nnodes - 1) * SCORE_SPAN + (double)ret->distance * SCORE_DISTANCE +
		     (grows ? SCORE_GROW : 0) + (fits ? fit_score(h, s, r, o, ret, shares) : 0);
	return fits;
}

void place_apply(const struct place_host *h, struct place_state *s, const struct place_req *r,
		 const struct place_choice *c, int sign)
{
	for (size_t i = 0; i < c->ncells; i++) {
		const struct place_cell *pc = &c->cells[i];
		struct place_nstate *ns = &s->n[pc->node_idx];
		int slot = pool_slot(&h->nodes[pc->node_idx], r->page_kib);

		ns->free_cores -= sign * (int64_t)pc->cores;
		if (r->page_kib == VM_PAGE_NORMAL) {
			ns->mem_kib -= sign * (int64_t)pc->mem_kib;
			continue;
		}
		if (slot >= 0)
			ns->pool_free[slot] -= sign * (int64_t)(pc->pages - pc->grow_pages);
		ns->mem_kib -= sign * (int64_t)(pc->grow_pages * r->page_kib);
	}
}

int place_objective_cmp(const struct place_objective *a, const struct place_objective *b)
{
	if (a->placed != b->placed)
		return a->placed > b->placed ? -1 : 1;
	if (a->split != b->split)
		return a->split < b->split ? -1 : 1;
	if (a->distance != b->distance)
		return a->distance < b->distance ? -1 : 1;
	return 0;
}

struct place_objective place_objective_of(const struct place_choice *c, size_t n)
{
	struct place_objective obj = {0};

	for (size_t i = 0; i < n; i++) {
		if (!c[i].placed)
			continue;
		obj.placed++;
		obj.split += c[i].nnodes > 1;
		obj.distance += c[i].distance;
	}
	return obj;
}

/* --- the greedy choice --- */

void solver_init(struct solver *sv, const struct place_host *h, const struct place_opts *o)
{
	size_t n = h->nnodes;

	memset(sv, 0, sizeof(*sv));
	sv->h = h;
	sv->o = o;
	sv->nbr = xcalloc(n * n + 1, sizeof(*sv->nbr));
	sv->nnbr = xcalloc(n + 1, sizeof(*sv->nnbr));
	sv->cap_v = xcalloc(n + 1, sizeof(*sv->cap_v));
	sv->cap_u = xcalloc(n + 1, sizeof(*sv->cap_u));
	sv->sorted = xcalloc(n + 1, sizeof(*sv->sorted));
	for (size_t a = 0; a < n; a++) {
		size_t *row = sv->nbr + a * n, cnt = 0;

		for (size_t b = 0; b < n; b++) {
			size_t i;

			if (b == a || !h->nodes[b].ncores)
				continue;
			/* insertion by (cost, index): n is at most a few hundred */
			for (i = cnt; i > 0 && h->cost[a * n + row[i - 1]] > h->cost[a * n + b];
			     i--)
				row[i] = row[i - 1];
			row[i] = b;
			cnt++;
		}
		sv->nnbr[a] = cnt;
	}
}

void solver_release(struct solver *sv)
{
	free(sv->nbr);
	free(sv->nnbr);
	free(sv->cap_v);
	free(sv->cap_u);
	free(sv->sorted);
}

unsigned solver_max_span(const struct solver *sv, const struct place_req *r)
{
	unsigned k = sv->o->max_span && sv->o->max_span < PLACE_MAX_SPAN ? sv->o->max_span
									 : PLACE_MAX_SPAN;

	if (r->cells && r->cells < k)
		k = r->cells;
	if (r->vcpus < k)
		k = r->vcpus;
	return k;
}

bool solver_better(const struct place_choice *a, const struct place_choice *b)
{
	if (a->placed != b->placed)
		return a->placed;
	if (a->score != b->score)
		return a->score < b->score;
	for (size_t i = 0; i < a->nnodes && i < b->nnodes; i++)
		if (a->nodes[i] != b->nodes[i])
			return a->nodes[i] < b->nodes[i];
	return a->nnodes < b->nnodes;
}

bool solver_best_single(struct solver *sv, const struct place_state *s, const struct place_req *r,
			size_t skip, struct place_choice *ret)
{
	int64_t need = solver_need_units(r), v, u;
	struct place_choice c;
	bool found = false;

	for (size_t a = 0; a < sv->h->nnodes; a++) {
		if (a == skip)
			continue;
		solver_node_cap(sv->h, s, r, sv->o, a, &v, &u);
		sv->work++;
		if (v < (int64_t)r->vcpus || u < need)
			continue;
		sv->work += 8;
		if (place_try(sv->h, s, r, sv->o, &a, 1, &c) &&
		    (!found || solver_better(&c, ret))) {
			*ret = c;
			found = true;
		}
	}
	return found;
}

/* The smallest k whose k largest values of cap (n of them) reach need; kmax + 1 when none. */
static size_t top_k(int64_t *top, const int64_t *cap, size_t n, int64_t need, size_t kmax)
{
	size_t have = 0, k = 0;
	int64_t sum = 0;

	/* the kmax largest, by insertion: kmax is at most PLACE_MAX_SPAN */
	for (size_t a = 0; a < n; a++) {
		int64_t v = cap[a] > INT64_MAX / 16 ? INT64_MAX / 16 : cap[a];
		size_t i = have < kmax ? have++ : kmax;

		if (i == kmax && (kmax == 0 || v <= top[kmax - 1]))
			continue;
		if (i == kmax)
			i--;
		for (; i > 0 && top[i - 1] < v; i--)
			top[i] = top[i - 1];
		top[i] = v;
	}
	while (k < have && sum < need)
		sum += top[k++];
	return sum >= need ? k : kmax + 1;
}

/* Fill set with seed a and its k-1 nearest nodes (only those with room for a share: filtered). */
static bool nearest_set(const struct solver *sv, const struct place_req *r, size_t a, size_t k,
			bool filtered, size_t *set)
{
	const size_t *row = sv->nbr + a * sv->h->nnodes;
	int64_t share_v = (int64_t)(r->vcpus / k), share_u = solver_need_units(r) / (int64_t)k;
	size_t got = 1;

	set[0] = a;
	for (size_t i = 0; i < sv->nnbr[a] && got < k; i++)
		if (!filtered || (sv->cap_v[row[i]] >= share_v && sv->cap_u[row[i]] >= share_u))
			set[got++] = row[i];
	return got == k;
}

/* Whether node a could hold one cell's share of a k-node split (necessary, cheap). */
static bool share_room(const struct solver *sv, const struct place_req *r, size_t a, size_t k)
{
	return sv->h->nodes[a].ncores && sv->cap_v[a] >= (int64_t)(r->vcpus / k) &&
	       sv->cap_u[a] >= solver_need_units(r) / (int64_t)k;
}

/* Try set as a span for r; keep it in ret when it fits and is better. */
static void try_set(struct solver *sv, const struct place_state *s, const struct place_req *r,
		    const size_t *set, size_t k, struct place_choice *ret, bool *found)
{
	struct place_choice c;

	sv->work += k + 8;
	if (place_try(sv->h, s, r, sv->o, set, k, &c) && (!*found || solver_better(&c, ret))) {
		*ret = c;
		*found = true;
	}
}

/* Small hosts: every k-subset of the nodes with room for a share (combinations in order). */
static bool every_set(struct solver *sv, const struct place_state *s, const struct place_req *r,
		      size_t k, struct place_choice *ret)
{
	size_t cand[SPAN_ALL_NODES], m = 0, pick[PLACE_MAX_SPAN], set[PLACE_MAX_SPAN];
	bool found = false;

	for (size_t a = 0; a < sv->h->nnodes && m < SPAN_ALL_NODES; a++)
		if (share_room(sv, r, a, k))
			cand[m++] = a;
	if (m < k)
		return false;
	for (size_t i = 0; i < k; i++)
		pick[i] = i;
	for (;;) {
		size_t i = k;

		for (size_t j = 0; j < k; j++)
			set[j] = cand[pick[j]];
		try_set(sv, s, r, set, k, ret, &found);
		while (i > 0 && pick[i - 1] == m - k + i - 1)
			i--;
		if (i == 0)
			return found;
		pick[i - 1]++;
		for (size_t j = i; j < k; j++)
			pick[j] = pick[j - 1] + 1;
	}
}

/* Big hosts: around each node with room, its nearest nodes (all, or those with room). */
static bool nearest_sets(struct solver *sv, const struct place_state *s, const struct place_req *r,
			 size_t k, struct place_choice *ret)
{
	size_t set[PLACE_MAX_SPAN], prev[PLACE_MAX_SPAN];
	bool found = false;

	for (size_t a = 0; a < sv->h->nnodes; a++) {
		if (!share_room(sv, r, a, k))
			continue;
		for (int f = 0; f < 2; f++) {
			if (!nearest_set(sv, r, a, k, f, set) ||
			    (f && !memcmp(set, prev, k * sizeof(*set))))
				continue;
			memcpy(prev, set, k * sizeof(*set));
			try_set(sv, s, r, set, k, ret, &found);
		}
	}
	return found;
}

bool solver_best_span(struct solver *sv, const struct place_state *s, const struct place_req *r,
		      struct place_choice *ret)
{
	return solver_best_span_from(sv, s, r, 2, ret);
}

bool solver_best_span_from(struct solver *sv, const struct place_state *s,
			   const struct place_req *r, size_t kfrom, struct place_choice *ret)
{
	size_t n = sv->h->nnodes;
	unsigned kmax = solver_max_span(sv, r);
	size_t kmin, ku;

	if (kmax < 2)
		return false;
	for (size_t a = 0; a < n; a++)
		solver_node_cap(sv->h, s, r, sv->o, a, &sv->cap_v[a], &sv->cap_u[a]);
	sv->work += n;
	kmin = top_k(sv->sorted, sv->cap_v, n, (int64_t)r->vcpus, kmax);
	ku = top_k(sv->sorted, sv->cap_u, n, solver_need_units(r), kmax);
	kmin = ku > kmin ? ku : kmin;
	kmin = kmin < kfrom ? kfrom : kmin;
	kmin = kmin < 2 ? 2 : kmin;
	/* big hosts: the fewest nodes that could hold it, and one more */
	if (n > SPAN_ALL_NODES && kmax > kmin + 1)
		kmax = (unsigned)kmin + 1;
	for (size_t k = kmin; k <= kmax; k++)
		if (n <= SPAN_ALL_NODES ? every_set(sv, s, r, k, ret)
					: nearest_sets(sv, s, r, k, ret))
			return true;
	return false;
}

bool solver_choose(struct solver *sv, const struct place_state *s, const struct place_req *r,
		   struct place_choice *ret)
{
	if (solver_best_single(sv, s, r, SIZE_MAX, ret) || solver_best_span(sv, s, r, ret))
		return true;
	memset(ret, 0, sizeof(*ret));
	return false;
}

bool place_best(const struct place_host *h, const struct place_state *s, const struct place_req *r,
		const struct place_opts *o, struct place_choice *ret)
{
	struct solver sv;
	bool ok;

	solver_init(&sv, h, o);
	ok = solver_choose(&sv, s, r, ret);
	solver_release(&sv);
	return ok;
}

/* --- one VM: every candidate with its score --- */

void place_score_nodes(const struct place_host *h, const struct place_state *s,
		       const struct place_req *r, const struct place_opts *o, const size_t *nodes,
		       size_t nnodes, struct place_candidate *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->fits = place_try(h, s, r, o, nodes, nnodes, &ret->choice);
	if (!ret->fits && nnodes == 1)
		place_why(h, s, r, o, nodes[0], ret->why, sizeof(ret->why));
	else if (!ret->fits)
		(void)snprintf(ret->why, sizeof(ret->why), "the nodes cannot hold their shares");
}

static int cmp_candidate(const void *a, const void *b)
{
	const struct place_candidate *x = a, *y = b;

	if (x->fits != y->fits)
		return x->fits ? -1 : 1;
	return solver_better(&x->choice, &y->choice)   ? -1
	       : solver_better(&y->choice, &x->choice) ? 1
						       : 0;
}

static void add_candidate(struct place_candidate **v, size_t *n, const struct place_candidate *c)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].choice.nnodes == c->choice.nnodes &&
		    !memcmp((*v)[i].choice.nodes, c->choice.nodes,
			    c->choice.nnodes * sizeof(c->choice.nodes[0])))
			return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = *c;
}

void place_one(const struct place_host *h, const struct place_state *s, const struct place_req *r,
	       const struct place_opts *o, struct place_candidate **ret, size_t *ret_n)
{
	struct place_candidate *v = NULL, c;
	size_t n = 0, set[PLACE_MAX_SPAN];
	struct solver sv;
	bool found = false;

	solver_init(&sv, h, o);
	for (size_t a = 0; a < h->nnodes; a++) {
		place_score_nodes(h, s, r, o, &a, 1, &c);
		add_candidate(&v, &n, &c);
		found = found || c.fits;
	}
	for (size_t a = 0; a < h->nnodes; a++)
		solver_node_cap(h, s, r, o, a, &sv.cap_v[a], &sv.cap_u[a]);
	for (size_t k = 2; k <= solver_max_span(&sv, r) && !found; k++)
		for (size_t a = 0; a < h->nnodes; a++)
			for (int f = 0; f < 2 && h->nodes[a].ncores; f++) {
				if (!nearest_set(&sv, r, a, k, f, set))
					continue;
				place_score_nodes(h, s, r, o, set, k, &c);
				if (!c.fits)
					continue;
				add_candidate(&v, &n, &c);
				found = true;
			}
	solver_release(&sv);
	if (n)
		qsort(v, n, sizeof(*v), cmp_candidate);
	*ret = v;
	*ret_n = n;
}
