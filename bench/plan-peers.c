/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Baselines for bench/plan: Nova-like first fit and numad's most-free-memory rule. */
#include "plan-peers.h"

#include <stdlib.h>
#include <string.h>

#include "core/vmspec.h"
#include "place/request.h"
#include "util/xalloc.h"

static void count(struct place_objective *obj, const struct place_choice *c)
{
	obj->placed++;
	obj->split += c->nnodes > 1;
	obj->distance += c->distance;
}

/* The first set of k distinct nodes (lexicographic) that holds r. */
static bool first_set(const struct place_host *h, const struct place_state *s,
		      const struct place_req *r, const struct place_opts *o, size_t k, size_t *set,
		      size_t depth, size_t from, struct place_choice *ret)
{
	if (depth == k)
		return place_try(h, s, r, o, set, k, ret);
	for (size_t i = from; i < h->nnodes; i++) {
		if (!h->nodes[i].ncores)
			continue;
		set[depth] = i;
		if (first_set(h, s, r, o, k, set, depth + 1, i + 1, ret))
			return true;
	}
	return false;
}

struct place_objective peer_first_fit(const struct place_host *h, const struct place_req *reqs,
				      size_t n, const struct place_opts *o)
{
	struct place_objective obj = {0};
	struct place_state s;
	size_t set[PLACE_MAX_SPAN];
	struct place_choice c;

	place_state_init(&s, h);
	for (size_t v = 0; v < n; v++) {
		size_t k = reqs[v].cells ? reqs[v].cells : 1;

		if (k <= PLACE_MAX_SPAN && first_set(h, &s, &reqs[v], o, k, set, 0, 0, &c)) {
			place_apply(h, &s, &reqs[v], &c, 1);
			count(&obj, &c);
		}
	}
	place_state_release(&s);
	return obj;
}

struct numad_node {
	size_t idx;
	int64_t free_kib;
};

static int cmp_numad(const void *a, const void *b)
{
	const struct numad_node *x = a, *y = b;

	if (x->free_kib != y->free_kib)
		return x->free_kib > y->free_kib ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

struct place_objective peer_numad(const struct place_host *h, const struct place_req *reqs,
				  size_t n, const struct place_opts *o,
				  const int64_t *numad_free_kib)
{
	struct numad_node *view = xcalloc(h->nnodes + 1, sizeof(*view));
	struct place_objective obj = {0};
	struct place_state s;
	struct place_choice c;

	place_state_init(&s, h);
	for (size_t i = 0; i < h->nnodes; i++)
		view[i] = (struct numad_node){i, numad_free_kib[i]};
	for (size_t v = 0; v < n; v++) {
		const struct place_req *r = &reqs[v];
		struct numad_node sorted[64];
		size_t set[PLACE_MAX_SPAN], k = 0, m = 0;
		int64_t got = 0;

		for (size_t i = 0; i < h->nnodes && m < 64; i++)
			if (h->nodes[view[i].idx].ncores)
				sorted[m++] = view[i];
		qsort(sorted, m, sizeof(*sorted), cmp_numad);
		/* the most free nodes until they cover the memory (numad -w NCPUS:MB) */
		for (size_t i = 0; i < m && k < PLACE_MAX_SPAN && got < (int64_t)r->mem_kib; i++) {
			set[k++] = sorted[i].idx;
			got += sorted[i].free_kib;
		}
		if (r->cells && k > r->cells)
			k = r->cells;
		if (k && place_try(h, &s, r, o, set, k, &c)) {
			place_apply(h, &s, r, &c, 1);
			count(&obj, &c);
			/* only normal memory leaves MemFree: pool pages were never in it */
			for (size_t i = 0; i < c.ncells && r->page_kib == VM_PAGE_NORMAL; i++)
				for (size_t j = 0; j < h->nnodes; j++)
					if (view[j].idx == c.cells[i].node_idx)
						view[j].free_kib -= (int64_t)c.cells[i].mem_kib;
		}
	}
	place_state_release(&s);
	free(view);
	return obj;
}
