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
#include "place/why.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Fit checks one repair phase may spend when the caller does not say. */
#define PLACE_REPAIR_STEPS 2000000ULL

/* Score weights: spans, then distance, then pool growth, then fit (see place_one). */
#define SCORE_SPAN 1e9
#define SCORE_DISTANCE 1e4
#define SCORE_GROW 1e3

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
	if (!n->ncores || sh->bad_threads)
		return false;
	if ((int64_t)sh->cores > ns->free_cores)
		return false;
	if (sh->shared_vcpus > (unsigned)(ns->free_cores + n->host_cores) * n->min_threads)
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

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
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

			*pc = (struct place_cell){nodes[j], vcpu, v, u * unit, 0, 0, 0};
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

bool place_try(const struct place_host *h, const struct place_state *s, const struct place_req *r,
	       const struct place_opts *o, const size_t *nodes, size_t nnodes,
	       struct place_choice *ret)
{
	struct share shares[PLACE_MAX_SPAN];
	bool grows = false, fits = true;

	memset(ret, 0, sizeof(*ret));
	if (nnodes == 0 || nnodes > PLACE_MAX_SPAN)
		return false;
	memcpy(ret->nodes, nodes, nnodes * sizeof(*nodes));
	ret->nnodes = nnodes;
	qsort(ret->nodes, nnodes, sizeof(*ret->nodes), cmp_size);
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
		     (grows ? SCORE_GROW : 0) + fit_score(h, s, r, o, ret, shares);
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

struct solver {
	const struct place_host *h;
	const struct place_opts *o;
	size_t *nbr;  /* per node: the other nodes with CPUs, nearest first (nnodes each) */
	size_t *nnbr; /* how many per node */
	uint64_t steps;
};

static void solver_init(struct solver *sv, const struct place_host *h, const struct place_opts *o)
{
	size_t n = h->nnodes;

	sv->h = h;
	sv->o = o;
	sv->steps = o->repair_steps ? o->repair_steps : PLACE_REPAIR_STEPS;
	sv->nbr = xcalloc(n * n + 1, sizeof(*sv->nbr));
	sv->nnbr = xcalloc(n + 1, sizeof(*sv->nnbr));
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

static void solver_release(struct solver *sv)
{
	free(sv->nbr);
	free(sv->nnbr);
}

static unsigned max_span(const struct solver *sv, const struct place_req *r)
{
	unsigned k = sv->o->max_span && sv->o->max_span < PLACE_MAX_SPAN ? sv->o->max_span
									 : PLACE_MAX_SPAN;

	if (r->cells && r->cells < k)
		k = r->cells;
	if (r->vcpus < k)
		k = r->vcpus;
	return k;
}

/* Better: fits, then lower score, then the lower node list. */
static bool better(const struct place_choice *a, const struct place_choice *b)
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

static bool best_single(const struct solver *sv, const struct place_state *s,
			const struct place_req *r, size_t skip, struct place_choice *ret)
{
	struct place_choice c;
	bool found = false;

	for (size_t a = 0; a < sv->h->nnodes; a++) {
		if (a == skip || !sv->h->nodes[a].ncores)
			continue;
		if (place_try(sv->h, s, r, sv->o, &a, 1, &c) && (!found || better(&c, ret))) {
			*ret = c;
			found = true;
		}
	}
	return found;
}

/* Whether node b alone could take one cell's share of a k-node split (a cheap filter). */
static bool viable(const struct solver *sv, const struct place_state *s, const struct place_req *r,
		   size_t b, size_t k)
{
	struct place_choice c;
	struct place_req part = *r;

	part.vcpus = r->vcpus / (unsigned)k ? r->vcpus / (unsigned)k : 1;
	part.mem_kib = r->mem_kib / k;
	if (r->page_kib != VM_PAGE_NORMAL)
		part.mem_kib -= part.mem_kib % r->page_kib;
	else
		part.mem_kib -= part.mem_kib % 1024;
	part.cells = 0;
	return part.mem_kib && place_try(sv->h, s, &part, sv->o, &b, 1, &c);
}

/* The nearest k-node set around seed a (filtered: only viable nodes), into set. */
static bool nearest_set(const struct solver *sv, const struct place_state *s,
			const struct place_req *r, size_t a, size_t k, bool filtered, size_t *set)
{
	const size_t *row = sv->nbr + a * sv->h->nnodes;
	size_t got = 1;

	set[0] = a;
	for (size_t i = 0; i < sv->nnbr[a] && got < k; i++)
		if (!filtered || viable(sv, s, r, row[i], k))
			set[got++] = row[i];
	return got == k;
}

static bool best_span(const struct solver *sv, const struct place_state *s,
		      const struct place_req *r, struct place_choice *ret)
{
	unsigned kmax = max_span(sv, r);
	size_t set[PLACE_MAX_SPAN];
	struct place_choice c;

	for (size_t k = 2; k <= kmax; k++) {
		bool found = false;

		for (size_t a = 0; a < sv->h->nnodes; a++) {
			if (!sv->h->nodes[a].ncores)
				continue;
			for (int f = 0; f < 2; f++)
				if (nearest_set(sv, s, r, a, k, f, set) &&
				    place_try(sv->h, s, r, sv->o, set, k, &c) &&
				    (!found || better(&c, ret))) {
					*ret = c;
					found = true;
				}
		}
		if (found)
			return true;
	}
	return false;
}

static bool choose(const struct solver *sv, const struct place_state *s, const struct place_req *r,
		   struct place_choice *ret)
{
	if (best_single(sv, s, r, SIZE_MAX, ret) || best_span(sv, s, r, ret))
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
	ok = choose(&sv, s, r, ret);
	solver_release(&sv);
	return ok;
}

/* --- repair: move one single-node VM away to make room --- */

/* Make room on node a for v by moving one single-node VM u elsewhere; true when done. */
static bool eject_one(struct solver *sv, struct place_state *s, const struct place_req *reqs,
		      size_t n, struct place_choice *ch, size_t v, size_t a, bool allow_span)
{
	struct place_choice cv, cu;

	for (size_t u = 0; u < n && sv->steps; u++) {
		if (u == v || !ch[u].placed || ch[u].nnodes != 1 || ch[u].nodes[0] != a)
			continue;
		sv->steps--;
		place_apply(sv->h, s, &reqs[u], &ch[u], -1);
		if (place_try(sv->h, s, &reqs[v], sv->o, &a, 1, &cv)) {
			place_apply(sv->h, s, &reqs[v], &cv, 1);
			if (best_single(sv, s, &reqs[u], a, &cu) ||
			    (allow_span && best_span(sv, s, &reqs[u], &cu))) {
				place_apply(sv->h, s, &reqs[u], &cu, 1);
				ch[u] = cu;
				ch[v] = cv;
				return true;
			}
			place_apply(sv->h, s, &reqs[v], &cv, -1);
		}
		place_apply(sv->h, s, &reqs[u], &ch[u], 1);
	}
	return false;
}

static void repair_one(struct solver *sv, struct place_state *s, const struct place_req *reqs,
		       size_t n, struct place_choice *ch, size_t v)
{
	bool was_split = ch[v].placed && ch[v].nnodes > 1;
	struct place_choice c;

	if (ch[v].placed && !was_split)
		return;
	if (was_split)
		place_apply(sv->h, s, &reqs[v], &ch[v], -1);
	if (best_single(sv, s, &reqs[v], SIZE_MAX, &c)) {
		place_apply(sv->h, s, &reqs[v], &c, 1);
		ch[v] = c;
		return;
	}
	for (size_t a = 0; a < sv->h->nnodes && sv->steps; a++)
		if (sv->h->nodes[a].ncores && eject_one(sv, s, reqs, n, ch, v, a, !was_split))
			return;
	if (was_split)
		place_apply(sv->h, s, &reqs[v], &ch[v], 1);
	else if (best_span(sv, s, &reqs[v], &c)) {
		place_apply(sv->h, s, &reqs[v], &c, 1);
		ch[v] = c;
	}
}

/* --- the batch --- */

enum order_key {
	ORDER_DOMINANT_DESC,
	ORDER_MEM_DESC,
	ORDER_VCPUS_DESC,
	ORDER_INPUT,
	ORDER_DOMINANT_ASC,
	ORDER_COUNT_,
};

struct keyed {
	size_t idx;
	double key;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A VM's largest share of the host's free cores or of the memory kind it uses. */
static double dominant(const struct place_host *h, const struct place_state *s,
		       const struct place_req *r)
{
	double cores = 0, mem = 0, need_cores = 0;

	for (size_t i = 0; i < h->nnodes; i++) {
		int slot = pool_slot(&h->nodes[i], r->page_kib);

		cores += (double)s->n[i].free_cores;
		if (r->page_kib == VM_PAGE_NORMAL)
			mem += (double)s->n[i].mem_kib;
		else if (slot >= 0)
			mem += (double)s->n[i].pool_free[slot] * (double)r->page_kib;
	}
	if (r->pin == PLACE_PIN_DEDICATED)
		need_cores = r->threads == PLACE_THREADS_ISOLATE ? r->vcpus : (r->vcpus + 1) / 2;
	need_cores /= cores > 0 ? cores : 1;
	mem = (double)r->mem_kib / (mem > 0 ? mem : 1);
	return need_cores > mem ? need_cores : mem;
}

static void make_order(const struct place_host *h, const struct place_state *s,
		       const struct place_req *reqs, size_t n, enum order_key key, size_t *order)
{
	struct keyed *k = xcalloc(n + 1, sizeof(*k));

	for (size_t i = 0; i < n; i++) {
		k[i].idx = i;
		switch (key) {
		case ORDER_DOMINANT_DESC:
			k[i].key = dominant(h, s, &reqs[i]);
			break;
		case ORDER_DOMINANT_ASC:
			k[i].key = -dominant(h, s, &reqs[i]);
			break;
		case ORDER_MEM_DESC:
			k[i].key = (double)reqs[i].mem_kib;
			break;
		case ORDER_VCPUS_DESC:
			k[i].key = reqs[i].vcpus;
			break;
		default:
			k[i].key = 0;
		}
	}
	qsort(k, n, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < n; i++)
		order[i] = k[i].idx;
	free(k);
}

static void run_order(struct solver *sv, const struct place_state *s0, const struct place_req *reqs,
		      size_t n, const size_t *order, struct place_choice *ch)
{
	struct place_state s;

	place_state_copy(&s, s0);
	for (size_t i = 0; i < n; i++) {
		size_t v = order[i];

		if (choose(sv, &s, &reqs[v], &ch[v]))
			place_apply(sv->h, &s, &reqs[v], &ch[v], 1);
	}
	for (size_t i = 0; i < n; i++)
		repair_one(sv, &s, reqs, n, ch, order[i]);
	place_state_release(&s);
}

void place_batch_from(const struct place_host *h, const struct place_state *s,
		      const struct place_req *reqs, size_t n, const struct place_opts *o,
		      struct place_choice *ret)
{
	struct place_choice *cur = xcalloc(n + 1, sizeof(*cur));
	size_t *order = xcalloc(n + 1, sizeof(*order));
	struct place_objective best = {0}, obj;
	struct solver sv;

	solver_init(&sv, h, o);
	for (int key = 0; key < ORDER_COUNT_; key++) {
		uint64_t budget = sv.steps;

		memset(cur, 0, (n + 1) * sizeof(*cur));
		make_order(h, s, reqs, n, (enum order_key)key, order);
		run_order(&sv, s, reqs, n, order, cur);
		sv.steps = budget; /* each order gets the same repair budget */
		obj = place_objective_of(cur, n);
		if (key == 0 || place_objective_cmp(&obj, &best) < 0) {
			best = obj;
			memcpy(ret, cur, n * sizeof(*ret));
		}
	}
	solver_release(&sv);
	free(order);
	free(cur);
}

void place_batch(const struct place_host *h, const struct place_req *reqs, size_t n,
		 const struct place_opts *o, struct place_choice *ret)
{
	struct place_state s;

	place_state_init(&s, h);
	place_batch_from(h, &s, reqs, n, o, ret);
	place_state_release(&s);
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
	return better(&x->choice, &y->choice) ? -1 : better(&y->choice, &x->choice) ? 1 : 0;
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
	for (size_t k = 2; k <= max_span(&sv, r) && !found; k++)
		for (size_t a = 0; a < h->nnodes; a++)
			for (int f = 0; f < 2 && h->nodes[a].ncores; f++) {
				if (!nearest_set(&sv, s, r, a, k, f, set))
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
