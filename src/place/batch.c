/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A batch of VMs: greedy passes in several orders (largest share of the
 * host first, smallest first, by memory, by vCPUs, as given, and seeded
 * shuffles for small batches), a repair step that moves one VM to make room
 * for an unplaced or split one, then ruin and recreate: the VMs on one node
 * or a pair of nodes (and the unplaced ones that could go there) are taken
 * off and placed again in several orders, and the result is kept when the
 * objective improves.  All of it under a budget of work units counted, not
 * timed: the same input gives the same plan on every machine.
 */
#include <stdlib.h>
#include <string.h>

#include "core/vmspec.h"
#include "place/request.h"
#include "place/solve-internal.h"
#include "place/solve.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Work units (a fit check counts 8) the improvement may spend when the caller does not say. */
#define PLACE_WORK_BUDGET 4000000ULL
/* Seeded shuffled orders tried for batches of at most this many VMs. */
#define SHUFFLE_MAX_VMS 32
#define SHUFFLES 12
/* Unplaced VMs taken into one ruin-and-recreate step at most. */
#define RECREATE_MAX_UNPLACED 48
/* Random ruin-and-recreate steps for batches of at most SHUFFLE_MAX_VMS VMs. */
#define RANDOM_RUINS 1000
/* Seeded shuffles per ruin-and-recreate step of at most this many VMs. */
#define RECREATE_SHUFFLE_MAX 16
#define RECREATE_SHUFFLES 8

struct batch {
	struct solver sv;
	const struct place_req *reqs;
	size_t n;
	struct place_state s;	 /* with every current choice applied */
	struct place_choice *ch; /* current choices */
	struct place_objective obj;
	uint64_t budget;	  /* sv.work may grow to this */
	int64_t *caps_v, *caps_u; /* scratch: per node */
};

static bool spent(const struct batch *b)
{
	return b->sv.work >= b->budget;
}

/* --- orders --- */

enum order_key {
	ORDER_DOMINANT_DESC,
	ORDER_DOMINANT_ASC,
	ORDER_MEM_DESC,
	ORDER_VCPUS_DESC,
	ORDER_INPUT,
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

/* A VM's largest share of the host's free vCPU room or of the memory kind it uses. */
static double dominant(const struct place_host *h, const struct place_state *s,
		       const struct place_req *r, const struct place_opts *o)
{
	double v_sum = 0, u_sum = 0, share_v, share_u;
	int64_t v, u;

	for (size_t i = 0; i < h->nnodes; i++) {
		solver_node_cap(h, s, r, o, i, &v, &u);
		v_sum += r->pin == PLACE_PIN_SHARED ? 0 : (double)v;
		u_sum += (double)u;
	}
	share_v = r->pin == PLACE_PIN_SHARED ? 0 : r->vcpus / (v_sum > 0 ? v_sum : 1);
	share_u = (double)solver_need_units(r) / (u_sum > 0 ? u_sum : 1);
	return share_v > share_u ? share_v : share_u;
}

/* idx[0..m) sorted by key (request indexes). */
static void sort_by(struct batch *b, const struct place_state *s, size_t *idx, size_t m,
		    enum order_key key)
{
	struct keyed *k = xcalloc(m + 1, sizeof(*k));

	for (size_t i = 0; i < m; i++) {
		const struct place_req *r = &b->reqs[idx[i]];

		k[i].idx = idx[i];
		if (key == ORDER_DOMINANT_DESC || key == ORDER_DOMINANT_ASC) {
			k[i].key = dominant(b->sv.h, s, r, b->sv.o);
			b->sv.work += b->sv.h->nnodes;
			if (key == ORDER_DOMINANT_ASC)
				k[i].key = -k[i].key;
		} else if (key == ORDER_MEM_DESC) {
			k[i].key = (double)r->mem_kib;
		} else if (key == ORDER_VCPUS_DESC) {
			k[i].key = r->vcpus;
		}
	}
	qsort(k, m, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < m; i++)
		idx[i] = k[i].idx;
	free(k);
}

/* splitmix64, for seeded shuffles. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void shuffle(size_t *idx, size_t m, uint64_t seed)
{
	for (size_t i = m; i > 1; i--) {
		size_t j = (size_t)(next_rand(&seed) % i), t = idx[i - 1];

		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

/* --- greedy, repair --- */

/* Whether taking u off its node could leave room there for v (a cheap filter). */
static bool frees_enough(const struct place_req *rv, const struct place_req *ru,
			 const struct place_choice *cu, int64_t cap_v, int64_t cap_u)
{
	int64_t cores = 0, units = 0;

	for (size_t i = 0; i < cu->ncells; i++) {
		cores += cu->cells[i].cores;
		units += rv->page_kib == VM_PAGE_NORMAL ? (int64_t)cu->cells[i].mem_kib
							: (int64_t)cu->cells[i].pages;
	}
	if (ru->page_kib != rv->page_kib)
		units = 0;
	/* a freed core gives room to at most two vCPUs (one when isolated) */
	return cap_v + cores * (rv->threads == PLACE_THREADS_ISOLATE ? 1 : 2) >=
		       (int64_t)rv->vcpus &&
	       cap_u + units >= solver_need_units(rv);
}

/*
 * Make room for v on one node by moving one single-node VM u off it (to
 * another single node, or for an unplaced v also to a span); true when done.
 * caps_v/caps_u: what each node can give v now.
 */
static bool eject_one(struct batch *b, size_t v, bool allow_span, const int64_t *caps_v,
		      const int64_t *caps_u)
{
	const struct place_req *reqs = b->reqs;
	struct place_choice cv, cu, *ch = b->ch;

	for (size_t u = 0; u < b->n && !spent(b); u++) {
		size_t a;

		b->sv.work++;
		if (u == v || !ch[u].placed || ch[u].nnodes != 1)
			continue;
		a = ch[u].nodes[0];
		if (!frees_enough(&reqs[v], &reqs[u], &ch[u], caps_v[a], caps_u[a]))
			continue;
		b->sv.work += 8;
		place_apply(b->sv.h, &b->s, &reqs[u], &ch[u], -1);
		if (place_try(b->sv.h, &b->s, &reqs[v], b->sv.o, &a, 1, &cv)) {
			place_apply(b->sv.h, &b->s, &reqs[v], &cv, 1);
			if (solver_best_single(&b->sv, &b->s, &reqs[u], a, &cu) ||
			    (allow_span && solver_best_span(&b->sv, &b->s, &reqs[u], &cu))) {
				place_apply(b->sv.h, &b->s, &reqs[u], &cu, 1);
				ch[u] = cu;
				ch[v] = cv;
				return true;
			}
			place_apply(b->sv.h, &b->s, &reqs[v], &cv, -1);
		}
		place_apply(b->sv.h, &b->s, &reqs[u], &ch[u], 1);
	}
	return false;
}

/* An unplaced or split VM: on one node, directly or by moving one VM away. */
static void repair_one(struct batch *b, size_t v)
{
	bool was_split = b->ch[v].placed && b->ch[v].nnodes > 1;
	struct place_choice c;

	if (b->ch[v].placed && !was_split)
		return;
	if (was_split)
		place_apply(b->sv.h, &b->s, &b->reqs[v], &b->ch[v], -1);
	if (solver_best_single(&b->sv, &b->s, &b->reqs[v], SIZE_MAX, &c)) {
		place_apply(b->sv.h, &b->s, &b->reqs[v], &c, 1);
		b->ch[v] = c;
		return;
	}
	for (size_t a = 0; a < b->sv.h->nnodes; a++)
		solver_node_cap(b->sv.h, &b->s, &b->reqs[v], b->sv.o, a, &b->caps_v[a],
				&b->caps_u[a]);
	b->sv.work += b->sv.h->nnodes;
	if (eject_one(b, v, !was_split, b->caps_v, b->caps_u))
		return;
	if (was_split)
		place_apply(b->sv.h, &b->s, &b->reqs[v], &b->ch[v], 1);
	else if (solver_best_span(&b->sv, &b->s, &b->reqs[v], &c)) {
		place_apply(b->sv.h, &b->s, &b->reqs[v], &c, 1);
		b->ch[v] = c;
	}
}

/* One greedy pass over order from the initial state s0, then repair; into ch. */
static void run_order(struct batch *b, const struct place_state *s0, const size_t *order)
{
	place_state_release(&b->s);
	place_state_copy(&b->s, s0);
	for (size_t i = 0; i < b->n; i++) {
		size_t v = order[i];

		if (solver_choose(&b->sv, &b->s, &b->reqs[v], &b->ch[v]))
			place_apply(b->sv.h, &b->s, &b->reqs[v], &b->ch[v], 1);
	}
	for (size_t i = 0; i < b->n && !spent(b); i++)
		repair_one(b, order[i]);
	b->obj = place_objective_of(b->ch, b->n);
}

/* --- ruin and recreate --- */

static bool touches(const struct place_choice *c, const size_t *set, size_t k)
{
	for (size_t i = 0; c->placed && i < c->nnodes; i++)
		for (size_t j = 0; j < k; j++)
			if (c->nodes[i] == set[j])
				return true;
	return false;
}

/* The VMs on the ruined nodes, and unplaced ones that could use them. */
static size_t ruined(struct batch *b, const size_t *set, size_t k, size_t *out)
{
	size_t m = 0, unplaced = 0;

	for (size_t v = 0; v < b->n; v++)
		if (touches(&b->ch[v], set, k))
			out[m++] = v;
	for (size_t v = 0; v < b->n && unplaced < RECREATE_MAX_UNPLACED; v++) {
		int64_t cv, cu, need = solver_need_units(&b->reqs[v]);
		bool room = false;

		if (b->ch[v].placed)
			continue;
		for (size_t j = 0; j < k && !room; j++) {
			solver_node_cap(b->sv.h, &b->s, &b->reqs[v], b->sv.o, set[j], &cv, &cu);
			room = cv > 0 && cu >= need / PLACE_MAX_SPAN;
		}
		b->sv.work += k;
		if (room) {
			out[m++] = v;
			unplaced++;
		}
	}
	return m;
}

/* Place the removed VMs again in order from state s (changed); their choices into out. */
static struct place_objective recreate_mode(struct batch *b, struct place_state *s,
					    const size_t *order, size_t m, struct place_choice *out,
					    uint64_t span_first)
{
	struct place_objective obj = b->obj;

	for (size_t i = 0; i < m; i++) {
		const struct place_choice *old = &b->ch[order[i]];

		if (old->placed) {
			obj.placed--;
			obj.split -= old->nnodes > 1;
			obj.distance -= old->distance;
		}
	}
	for (size_t i = 0; i < m; i++) {
		struct place_choice *c = &out[i];
		const struct place_req *r = &b->reqs[order[i]];

		/* a span on purpose (and a wider one) can leave room for a VM that needs it */
		if (i < 64 && (span_first >> i & 1) &&
		    solver_best_span_from(&b->sv, s, r, 2 + (span_first >> (i / 2 + 32) & 3), c))
			;
		else if (!solver_choose(&b->sv, s, r, c))
			continue;
		place_apply(b->sv.h, s, &b->reqs[order[i]], c, 1);
		obj.placed++;
		obj.split += c->nnodes > 1;
		obj.distance += c->distance;
	}
	return obj;
}

static struct place_objective recreate(struct batch *b, struct place_state *s, const size_t *order,
				       size_t m, struct place_choice *out)
{
	return recreate_mode(b, s, order, m, out, 0);
}

/* One recreation variant: a keyed order (shuffled when key is ORDER_COUNT_), tightest or loosest
 * fit. */
struct variant {
	enum order_key key;
	bool spread;
	uint64_t seed;
};

/* Ruin the VMs touching set and recreate them; keep the best recreation if it is better. */
static bool ruin_recreate(struct batch *b, const size_t *set, size_t k, size_t *idx,
			  struct place_choice *cand, struct place_choice *best)
{
	static const enum order_key keys[] = {ORDER_DOMINANT_DESC, ORDER_DOMINANT_ASC,
					      ORDER_MEM_DESC, ORDER_VCPUS_DESC};
	size_t m = ruined(b, set, k, idx), *order = idx + b->n, nvar = 0;
	struct place_objective best_obj = b->obj, obj;
	const struct place_opts *opts = b->sv.o;
	struct place_opts flipped = *opts;
	struct variant var[2 * 4 + RECREATE_SHUFFLES];
	struct place_state base, s;
	bool improved = false;

	if (!m)
		return false;
	flipped.spread = !opts->spread;
	for (size_t i = 0; i < 4; i++) {
		var[nvar++] = (struct variant){keys[i], false, 0};
		var[nvar++] = (struct variant){keys[i], true, 0};
	}
	/* small neighbourhoods also get seeded shuffles: cheap, and they find swaps */
	for (size_t i = 0; m <= RECREATE_SHUFFLE_MAX && i < RECREATE_SHUFFLES; i++)
		var[nvar++] = (struct variant){ORDER_COUNT_, false, 0x72756e65ULL * (i + 1) + m};
	place_state_copy(&base, &b->s);
	for (size_t i = 0; i < m; i++)
		if (b->ch[idx[i]].placed)
			place_apply(b->sv.h, &base, &b->reqs[idx[i]], &b->ch[idx[i]], -1);
	for (size_t v = 0; v < nvar && !spent(b); v++) {
		memcpy(order, idx, m * sizeof(*idx));
		if (var[v].key == ORDER_COUNT_)
			shuffle(order, m, var[v].seed);
		else
			sort_by(b, &base, order, m, var[v].key);
		place_state_copy(&s, &base);
		b->sv.o = var[v].spread ? &flipped : opts;
		obj = recreate(b, &s, order, m, cand);
		b->sv.o = opts;
		place_state_release(&s);
		if (place_objective_cmp(&obj, &best_obj) < 0) {
			best_obj = obj;
			for (size_t i = 0; i < m; i++)
				best[order[i]] = cand[i];
			improved = true;
		}
	}
	if (improved) {
		place_state_release(&b->s);
		b->s = base;
		for (size_t i = 0; i < m; i++) {
			b->ch[idx[i]] = best[idx[i]];
			if (b->ch[idx[i]].placed)
				place_apply(b->sv.h, &b->s, &b->reqs[idx[i]], &b->ch[idx[i]], 1);
		}
		b->obj = best_obj;
	} else {
		place_state_release(&base);
	}
	return improved;
}

/*
 * An unplaced VM v in place of a placed one u that then goes elsewhere (a
 * single node or a span): one more VM placed, whatever the splits.
 */
static bool insert_unplaced(struct batch *b)
{
	struct place_choice cv, cu;
	bool improved = false;

	for (size_t v = 0; v < b->n && !spent(b); v++) {
		if (b->ch[v].placed)
			continue;
		for (size_t u = 0; u < b->n && !spent(b); u++) {
			if (!b->ch[u].placed)
				continue;
			place_apply(b->sv.h, &b->s, &b->reqs[u], &b->ch[u], -1);
			if (solver_choose(&b->sv, &b->s, &b->reqs[v], &cv)) {
				place_apply(b->sv.h, &b->s, &b->reqs[v], &cv, 1);
				if (solver_choose(&b->sv, &b->s, &b->reqs[u], &cu)) {
					place_apply(b->sv.h, &b->s, &b->reqs[u], &cu, 1);
					b->ch[u] = cu;
					b->ch[v] = cv;
					b->obj = place_objective_of(b->ch, b->n);
					improved = true;
					break;
				}
				place_apply(b->sv.h, &b->s, &b->reqs[v], &cv, -1);
			}
			place_apply(b->sv.h, &b->s, &b->reqs[u], &b->ch[u], 1);
		}
	}
	return improved;
}

/*
 * Random ruins for small batches: a few placed VMs drawn with a seeded
 * generator, with every unplaced one, recreated in a shuffled order, tightest
 * or loosest fit; kept when not worse (plateau moves diversify), the best
 * seen is what counts.
 */
static void random_ruins(struct batch *b, struct place_choice *best_ch,
			 struct place_objective *best_obj)
{
	size_t *idx = xcalloc(b->n + 1, sizeof(*idx));
	struct place_choice *cand = xcalloc(b->n + 1, sizeof(*cand));
	const struct place_opts *opts = b->sv.o;
	struct place_opts flipped = *opts;
	uint64_t seed = 0x706c616eULL + b->n;

	flipped.spread = !opts->spread;
	for (unsigned it = 0; it < RANDOM_RUINS && !spent(b); it++) {
		/* mostly a few VMs; one step in four rebuilds the whole batch */
		size_t m = 0,
		       want = next_rand(&seed) % 4 == 0 ? b->n : 2 + (size_t)(next_rand(&seed) % 4);
		struct place_objective obj = b->obj;
		uint64_t span_first;
		struct place_state s;

		for (size_t v = 0; v < b->n; v++)
			if (!b->ch[v].placed || (next_rand(&seed) % b->n < want && b->ch[v].placed))
				idx[m++] = v;
		shuffle(idx, m, next_rand(&seed));
		place_state_copy(&s, &b->s);
		for (size_t i = 0; i < m; i++)
			if (b->ch[idx[i]].placed)
				place_apply(b->sv.h, &s, &b->reqs[idx[i]], &b->ch[idx[i]], -1);
		b->sv.o = next_rand(&seed) & 1 ? &flipped : opts;
		/* one step in four spans some VMs on purpose */
		span_first = next_rand(&seed) % 4 == 0 ? next_rand(&seed) & next_rand(&seed) : 0;
		obj = recreate_mode(b, &s, idx, m, cand, span_first);
		b->sv.o = opts;
		if (place_objective_cmp(&obj, &b->obj) <= 0) {
			place_state_release(&b->s);
			b->s = s;
			for (size_t i = 0; i < m; i++)
				b->ch[idx[i]] = cand[i];
			b->obj = obj;
			if (place_objective_cmp(&obj, best_obj) < 0) {
				*best_obj = obj;
				memcpy(best_ch, b->ch, b->n * sizeof(*best_ch));
			}
		} else {
			place_state_release(&s);
		}
	}
	free(idx);
	free(cand);
}

/*
 * Small batches: an unplaced VM v in place of two placed ones u and w, which
 * then go elsewhere (single nodes or spans).
 */
static bool insert_unplaced2(struct batch *b)
{
	struct place_choice cv, cu, cw;

	for (size_t v = 0; v < b->n && !spent(b); v++) {
		if (b->ch[v].placed)
			continue;
		for (size_t u = 0; u < b->n && !spent(b); u++) {
			if (!b->ch[u].placed)
				continue;
			place_apply(b->sv.h, &b->s, &b->reqs[u], &b->ch[u], -1);
			for (size_t w = u + 1; w < b->n && !spent(b); w++) {
				bool done = false;

				if (!b->ch[w].placed)
					continue;
				place_apply(b->sv.h, &b->s, &b->reqs[w], &b->ch[w], -1);
				if (solver_choose(&b->sv, &b->s, &b->reqs[v], &cv)) {
					place_apply(b->sv.h, &b->s, &b->reqs[v], &cv, 1);
					if (solver_choose(&b->sv, &b->s, &b->reqs[u], &cu)) {
						place_apply(b->sv.h, &b->s, &b->reqs[u], &cu, 1);
						if (solver_choose(&b->sv, &b->s, &b->reqs[w],
								  &cw)) {
							place_apply(b->sv.h, &b->s, &b->reqs[w],
								    &cw, 1);
							done = true;
						} else {
							place_apply(b->sv.h, &b->s, &b->reqs[u],
								    &cu, -1);
						}
					}
					if (!done)
						place_apply(b->sv.h, &b->s, &b->reqs[v], &cv, -1);
				}
				if (done) {
					b->ch[v] = cv;
					b->ch[u] = cu;
					b->ch[w] = cw;
					b->obj = place_objective_of(b->ch, b->n);
					return true;
				}
				place_apply(b->sv.h, &b->s, &b->reqs[w], &b->ch[w], 1);
			}
			place_apply(b->sv.h, &b->s, &b->reqs[u], &b->ch[u], 1);
		}
	}
	return false;
}

/* Rounds over every node, then pairs of nodes (all pairs on small hosts, else nearest). */
static void improve(struct batch *b)
{
	size_t n = b->sv.h->nnodes, set[2];
	size_t *idx = xcalloc(2 * b->n + 1, sizeof(*idx));
	struct place_choice *cand = xcalloc(b->n + 1, sizeof(*cand));
	struct place_choice *best = xcalloc(b->n + 1, sizeof(*best));
	bool improved = true;

	for (int round = 0; round < 4 && improved && !spent(b); round++) {
		improved = false;
		for (size_t a = 0; a < n && !spent(b); a++) {
			if (!b->sv.h->nodes[a].ncores)
				continue;
			set[0] = a;
			improved |= ruin_recreate(b, set, 1, idx, cand, best);
			for (size_t j = 0; j < b->sv.nnbr[a] && !spent(b); j++) {
				set[1] = b->sv.nbr[a * n + j];
				if (n > 12 && j > 0)
					break; /* big hosts: the nearest neighbour only */
				if (set[1] < a && n <= 12)
					continue; /* each pair once */
				improved |= ruin_recreate(b, set, 2, idx, cand, best);
			}
		}
		improved |= insert_unplaced(b);
		if (b->n <= SHUFFLE_MAX_VMS)
			improved |= insert_unplaced2(b);
	}
	free(idx);
	free(cand);
	free(best);
}

/* Whether the batch asks for more than the host has (its dominant shares add up to more). */
static bool overload(struct batch *b, const struct place_state *s)
{
	double sum = 0;

	for (size_t i = 0; i < b->n && sum <= 1.0; i++) {
		sum += dominant(b->sv.h, s, &b->reqs[i], b->sv.o);
		b->sv.work += b->sv.h->nnodes;
	}
	return sum > 1.0;
}

/* Restart b from choices ch (objective obj) on state s and improve them. */
static void improve_from(struct batch *b, const struct place_state *s,
			 const struct place_choice *ch, struct place_objective obj)
{
	memcpy(b->ch, ch, b->n * sizeof(*b->ch));
	place_state_release(&b->s);
	place_state_copy(&b->s, s);
	for (size_t i = 0; i < b->n; i++)
		if (b->ch[i].placed)
			place_apply(b->sv.h, &b->s, &b->reqs[i], &b->ch[i], 1);
	b->obj = obj;
	improve(b);
}

void place_batch_from(const struct place_host *h, const struct place_state *s,
		      const struct place_req *reqs, size_t n, const struct place_opts *o,
		      struct place_choice *ret)
{
	struct place_choice *best_ch = xcalloc(n + 1, sizeof(*best_ch));
	size_t *order = xcalloc(n + 1, sizeof(*order));
	size_t norders = ORDER_COUNT_ + (n <= SHUFFLE_MAX_VMS ? SHUFFLES : 0);
	struct place_objective best = {0};
	struct batch b = {0};
	bool overloaded;

	solver_init(&b.sv, h, o);
	b.reqs = reqs;
	b.n = n;
	b.ch = xcalloc(n + 1, sizeof(*b.ch));
	b.caps_v = xcalloc(h->nnodes + 1, sizeof(*b.caps_v));
	b.caps_u = xcalloc(h->nnodes + 1, sizeof(*b.caps_u));
	b.budget = o->work_budget ? o->work_budget : PLACE_WORK_BUDGET;
	place_state_copy(&b.s, s);
	overloaded = overload(&b, s);
	/* the first order always runs; the others while the budget lasts */
	for (size_t k = 0; k < norders && (k == 0 || !spent(&b)); k++) {
		enum order_key key = (enum order_key)k;

		/* more asked than there is: small VMs first, the count is what matters */
		if (overloaded && k <= ORDER_DOMINANT_ASC)
			key = k == 0 ? ORDER_DOMINANT_ASC : ORDER_DOMINANT_DESC;
		for (size_t i = 0; i < n; i++)
			order[i] = i;
		if (k < ORDER_COUNT_)
			sort_by(&b, s, order, n, key);
		else
			shuffle(order, n, 0x6b766d74756e65ULL + k);
		run_order(&b, s, order);
		if (k == 0 || place_objective_cmp(&b.obj, &best) < 0) {
			best = b.obj;
			memcpy(best_ch, b.ch, n * sizeof(*best_ch));
		}
	}
	/* improve the best start */
	improve_from(&b, s, best_ch, best);
	best = b.obj;
	memcpy(best_ch, b.ch, n * sizeof(*best_ch));
	if (n <= SHUFFLE_MAX_VMS) {
		random_ruins(&b, best_ch, &best);
		improve_from(&b, s, best_ch, best);
	}
	memcpy(ret, b.ch, n * sizeof(*ret));
	place_state_release(&b.s);
	solver_release(&b.sv);
	free(b.ch);
	free(b.caps_v);
	free(b.caps_u);
	free(best_ch);
	free(order);
}

void place_batch(const struct place_host *h, const struct place_req *reqs, size_t n,
		 const struct place_opts *o, struct place_choice *ret)
{
	struct place_state s;

	place_state_init(&s, h);
	place_batch_from(h, &s, reqs, n, o, ret);
	place_state_release(&s);
}
