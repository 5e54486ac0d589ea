/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The planner's view of a host: built from the model, the guard and the existing VMs. */
#include "place/host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuset.h"
#include "core/hugepages-plan.h"
#include "core/memcost.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

void place_usage_release(struct place_usage *u)
{
	for (size_t i = 0; i < u->nvms; i++) {
		free(u->vms[i].name);
		cpuset_release(&u->vms[i].dedicated);
		free(u->vms[i].mem);
	}
	free(u->vms);
	u->vms = NULL;
	u->nvms = 0;
}

struct place_vm_use *place_usage_add(struct place_usage *u, const char *name)
{
	struct place_vm_use *v;

	u->vms = xreallocarray(u->vms, u->nvms + 1, sizeof(*u->vms));
	v = &u->vms[u->nvms++];
	memset(v, 0, sizeof(*v));
	v->name = xstrdup(name);
	return v;
}

void place_vm_use_add_mem(struct place_vm_use *v, int node, uint64_t page_kib, uint64_t want_kib,
			  uint64_t have_kib)
{
	struct place_mem_use *e = NULL;

	for (size_t i = 0; i < v->nmem && !e; i++)
		if (v->mem[i].node == node && v->mem[i].page_kib == page_kib)
			e = &v->mem[i];
	if (!e) {
		v->mem = xreallocarray(v->mem, v->nmem + 1, sizeof(*v->mem));
		e = &v->mem[v->nmem++];
		*e = (struct place_mem_use){node, page_kib, 0, 0};
	}
	if (!safe_add_u64(e->want_kib, want_kib, &e->want_kib))
		e->want_kib = UINT64_MAX;
	if (!safe_add_u64(e->have_kib, have_kib, &e->have_kib))
		e->have_kib = UINT64_MAX;
}

void place_host_note(struct place_host *h, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	h->notes = xreallocarray(h->notes, h->nnotes + 1, sizeof(*h->notes));
	h->notes[h->nnotes++] = s;
}

int place_host_node_idx(const struct place_host *h, int node)
{
	for (size_t i = 0; i < h->nnodes; i++)
		if (h->nodes[i].node == node)
			return (int)i;
	return -1;
}

struct place_pool *place_node_pool(struct place_node *n, uint64_t size_kib)
{
	for (size_t i = 0; i < n->npools; i++)
		if (n->pools[i].size_kib == size_kib)
			return &n->pools[i];
	return NULL;
}

const struct place_pool *place_node_pool_c(const struct place_node *n, uint64_t size_kib)
{
	return place_node_pool((struct place_node *)n, size_kib);
}

bool place_host_has_page_size(const struct place_host *h, uint64_t size_kib)
{
	for (size_t i = 0; i < h->npage_sizes; i++)
		if (h->page_sizes[i] == size_kib)
			return true;
	return false;
}

static int cmp_core(const void *a, const void *b)
{
	const struct place_core *x = a, *y = b;
	int fx = cpuset_next(&x->cpus, 0), fy = cpuset_next(&y->cpus, 0);

	if (x->node_idx != y->node_idx)
		return x->node_idx < y->node_idx ? -1 : 1;
	if (x->cache != y->cache)
		return x->cache < y->cache ? -1 : 1;
	return fx - fy;
}

static int cache_of(const struct host_model *m, int cpu)
{
	for (size_t i = 0; i < m->ncache_groups; i++)
		if (cpuset_isset(&m->cache_groups[i].cpus, (unsigned)cpu))
			return (int)i;
	return -1;
}

static void add_core(struct place_host *h, const struct host_model *m, const struct cpuset *cpus)
{
	int first = cpuset_next(cpus, 0), cpu;
	struct place_core *c;
	int node_idx = -1;

	for (size_t i = 0; i < h->nnodes && node_idx < 0; i++)
		if (cpuset_isset(&h->nodes[i].cpus, (unsigned)first))
			node_idx = (int)i;
	if (node_idx < 0)
		return; /* an offline or node-less CPU */
	h->cores = xreallocarray(h->cores, h->ncores + 1, sizeof(*h->cores));
	c = &h->cores[h->ncores++];
	memset(c, 0, sizeof(*c));
	c->node_idx = (size_t)node_idx;
	c->cache = cache_of(m, first);
	c->owner = PLACE_CORE_FREE;
	cpuset_foreach (cpu, cpus)
		if (cpuset_isset(&h->nodes[node_idx].cpus, (unsigned)cpu))
			cpuset_set(&c->cpus, (unsigned)cpu);
}

/* Cores from hwloc's core groups; without them every online CPU is a core. */
static void build_cores(struct place_host *h, const struct host_model *m)
{
	struct cpuset seen = CPUSET_INIT, one = CPUSET_INIT;
	int cpu;

	for (size_t i = 0; i < m->ncore_groups; i++) {
		add_core(h, m, &m->core_groups[i].cpus);
		cpuset_or(&seen, &m->core_groups[i].cpus);
	}
	for (size_t i = 0; i < h->nnodes; i++)
		cpuset_foreach (cpu, &h->nodes[i].cpus) {
			if (cpuset_isset(&seen, (unsigned)cpu))
				continue;
			cpuset_clear(&one);
			cpuset_set(&one, (unsigned)cpu);
			add_core(h, m, &one);
		}
	cpuset_release(&seen);
	cpuset_release(&one);
	if (h->ncores)
		qsort(h->cores, h->ncores, sizeof(*h->cores), cmp_core);
	for (size_t i = 0; i < h->ncores; i++) {
		struct place_node *n = &h->nodes[h->cores[i].node_idx];
		unsigned t = cpuset_count(&h->cores[i].cpus);

		n->ncores++;
		if (!n->min_threads || t < n->min_threads)
			n->min_threads = t;
	}
}

static void build_nodes(struct place_host *h, const struct host_model *m, const struct hp_mem *mem,
			const struct place_host_opts *o)
{
	h->nodes = xcalloc(m->nnodes, sizeof(*h->nodes));
	h->nnodes = m->nnodes;
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct numa_node *mn = &m->nodes[i];
		struct place_node *n = &h->nodes[i];
		const struct hp_node_mem *nm = mem && i < mem->nnodes ? &mem->nodes[i] : NULL;
		int64_t avail = nm && nm->avail_kib >= 0 ? nm->avail_kib : mn->mem_free_kib;
		int64_t keep = 0;

		n->node = mn->node;
		n->cpu_free = -1;
		cpuset_copy(&n->cpus, &mn->cpus);
		cpuset_and(&n->cpus, &m->cpus_online);
		n->mem_total_kib = mn->mem_total_kib;
		if (nm && mem)
			keep = (int64_t)hugepages_keep_free_kib(mem, nm, o ? o->keep_free_kib : -1);
		n->mem_kib = avail > keep ? avail - keep : 0;
		for (size_t j = 0; j < mn->npools && n->npools < PLACE_MAX_POOLS; j++) {
			const struct pool *p = &mn->pools[j];

			if (!place_host_has_page_size(h, p->size_kib))
				continue;
			n->pools[n->npools++] =
				(struct place_pool){p->size_kib, p->total > 0 ? p->total : 0,
						    p->free > 0 ? p->free : 0, true};
		}
	}
}

static void build_cost(struct place_host *h, const struct host_model *m)
{
	h->cost = xcalloc(h->nnodes * h->nnodes, sizeof(*h->cost));
	for (size_t i = 0; i < h->nnodes; i++)
		for (size_t j = 0; j < h->nnodes; j++) {
			const struct numa_node *n = &m->nodes[i];
			int v = n->ndistances == m->nnodes ? n->distances[j] : (i == j ? 10 : 20);

			h->cost[i * h->nnodes + j] = v > 0 ? (uint32_t)v : (i == j ? 10 : 20);
		}
}

/* The node (index) with the most of a resource: free pages of page_kib, or memory. */
static int richest(const struct place_host *h, uint64_t page_kib)
{
	int best = -1;
	int64_t best_v = 0;

	for (size_t i = 0; i < h->nnodes; i++) {
		const struct place_pool *p = place_node_pool_c(&h->nodes[i], page_kib);
		int64_t v = page_kib ? (p ? p->free_pages : 0) : h->nodes[i].mem_kib;

		if (v > best_v) {
			best_v = v;
			best = (int)i;
		}
	}
	return best;
}

/* Take kib of unfaulted demand from one node; returns what could not be taken. */
static uint64_t take(struct place_node *n, uint64_t page_kib, uint64_t kib)
{
	struct place_pool *p = page_kib ? place_node_pool(n, page_kib) : NULL;
	uint64_t units, got;

	if (!page_kib) {
		got = kib < (uint64_t)n->mem_kib ? kib : (uint64_t)n->mem_kib;
		n->mem_kib -= (int64_t)got;
		return kib - got;
	}
	if (!p)
		return kib;
	units = kib / page_kib + (kib % page_kib != 0);
	got = units < (uint64_t)p->free_pages ? units : (uint64_t)p->free_pages;
	p->free_pages -= (int64_t)got;
	return got >= units ? 0 : (units - got) * page_kib;
}

static void account_mem(struct place_host *h, const struct place_vm_use *v,
			const struct place_mem_use *e)
{
	uint64_t pending = e->want_kib > e->have_kib ? e->want_kib - e->have_kib : 0;
	int idx = e->node >= 0 ? place_host_node_idx(h, e->node) : -1;
	char ps[16], sz[32];

	if (!pending)
		return;
	if (e->page_kib)
		format_pagesize(e->page_kib, ps, sizeof(ps));
	if (idx >= 0) {
		pending = take(&h->nodes[idx], e->page_kib, pending);
	} else {
		/* not bound: the kernel serves it where pages are free; most first */
		int from;

		while (pending && (from = richest(h, e->page_kib)) >= 0)
			pending = take(&h->nodes[from], e->page_kib, pending);
		place_host_note(
			h, "%s: %s not bound to a node, counted on the nodes with the most free",
			v->name, e->page_kib ? "hugepages" : "memory");
	}
	if (pending && idx >= 0)
		place_host_note(h, "%s: %s of %s it still needs are not free on node %d", v->name,
				format_size_kib(pending, sz, sizeof(sz)),
				e->page_kib ? ps : "normal memory", e->node);
	else if (pending)
		place_host_note(h, "%s: %s of %s it still needs are not free on any node", v->name,
				format_size_kib(pending, sz, sizeof(sz)),
				e->page_kib ? ps : "normal memory");
}

/* A VM planned again: the pages and memory it holds now are free for its new placement. */
static void give_back(struct place_host *h, const struct place_vm_use *v)
{
	for (size_t i = 0; i < v->nmem; i++) {
		const struct place_mem_use *e = &v->mem[i];
		int idx = e->node >= 0 ? place_host_node_idx(h, e->node) : -1;
		struct place_pool *p;

		if (idx < 0 || !e->have_kib)
			continue;
		if (!e->page_kib) {
			h->nodes[idx].mem_kib += (int64_t)e->have_kib;
			continue;
		}
		p = place_node_pool(&h->nodes[idx], e->page_kib);
		if (p)
			p->free_pages += (int64_t)(e->have_kib / e->page_kib);
	}
	place_host_note(h, "%s: placed again, what it holds now counts as free", v->name);
}

static void account_cpus(struct place_host *h, const struct place_vm_use *v)
{
	for (size_t c = 0; c < h->ncores; c++) {
		struct place_core *core = &h->cores[c];
		int cpu;

		if (core->owner == PLACE_CORE_TAKEN)
			continue;
		cpuset_foreach (cpu, &core->cpus)
			if (cpuset_isset(&v->dedicated, (unsigned)cpu)) {
				core->owner = PLACE_CORE_TAKEN;
				core->taken_by = xstrdup(v->name);
				break;
			}
	}
}

/* A node keeps per_node free cores, but always leaves one for VMs (a 1-core node keeps none). */
static void keep_host_cores(struct place_host *h, unsigned per_node)
{
	for (size_t i = 0; i < h->nnodes; i++) {
		unsigned kept = 0, keep = per_node;

		if (h->nodes[i].ncores && keep >= h->nodes[i].ncores)
			keep = h->nodes[i].ncores - 1;
		for (size_t c = 0; c < h->ncores && kept < keep; c++)
			if (h->cores[c].node_idx == i && h->cores[c].owner == PLACE_CORE_FREE) {
				h->cores[c].owner = PLACE_CORE_HOST;
				kept++;
			}
	}
	for (size_t c = 0; c < h->ncores; c++) {
		struct place_node *n = &h->nodes[h->cores[c].node_idx];

		if (h->cores[c].owner == PLACE_CORE_FREE)
			n->free_cores++;
		else if (h->cores[c].owner == PLACE_CORE_HOST)
			n->host_cores++;
	}
}

static void build_page_sizes(struct place_host *h, const struct host_model *m)
{
	h->page_sizes = xcalloc(m->ncpu_page_sizes + 1, sizeof(*h->page_sizes));
	for (size_t i = 0; i < m->ncpu_page_sizes; i++)
		if (model_find_pool(m, m->cpu_page_sizes_kib[i]))
			h->page_sizes[h->npage_sizes++] = m->cpu_page_sizes_kib[i];
	h->default_hugepage_kib = m->default_hugepage_kib;
}

int place_host_build(const struct host_model *m, const struct hp_mem *mem,
		     const struct place_usage *u, const struct place_host_opts *o,
		     struct place_host *ret, struct diag *d)
{
	struct place_host h = {0};

	if (!m->nnodes)
		return diag_set(d, EINVAL, "host", "the host model has no NUMA node");
	build_page_sizes(&h, m);
	build_nodes(&h, m, mem, o);
	build_cores(&h, m);
	build_cost(&h, m);
	for (size_t i = 0; u && i < u->nvms; i++) {
		if (u->vms[i].replanned) {
			give_back(&h, &u->vms[i]);
			continue;
		}
		for (size_t j = 0; j < u->vms[i].nmem; j++)
			account_mem(&h, &u->vms[i], &u->vms[i].mem[j]);
		account_cpus(&h, &u->vms[i]);
	}
	keep_host_cores(&h, o ? o->host_cores : 0);
	*ret = h;
	return 0;
}

void place_host_release(struct place_host *h)
{
	for (size_t i = 0; i < h->nnodes; i++)
		cpuset_release(&h->nodes[i].cpus);
	free(h->nodes);
	for (size_t i = 0; i < h->ncores; i++) {
		cpuset_release(&h->cores[i].cpus);
		free(h->cores[i].taken_by);
	}
	free(h->cores);
	free(h->cost);
	free(h->page_sizes);
	for (size_t i = 0; i < h->nnotes; i++)
		free(h->notes[i]);
	free(h->notes);
	memset(h, 0, sizeof(*h));
}

int place_host_set_cost(struct place_host *h, const uint32_t *cost, size_t n, struct diag *d)
{
	if (n != h->nnodes)
		return diag_set(d, EINVAL, "cost", "cost matrix: %zu rows for %zu nodes", n,
				h->nnodes);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (cost[i * n + j] < cost[i * n + i])
				return diag_set(d, EINVAL, "cost",
						"cost matrix: node %d to node %d (%u) is cheaper "
						"than local (%u)",
						h->nodes[i].node, h->nodes[j].node, cost[i * n + j],
						cost[i * n + i]);
	memcpy(h->cost, cost, n * n * sizeof(*cost));
	return 0;
}

int place_host_use_memcost(struct place_host *h, const struct memcost *mc, struct diag *d)
{
	const struct memcost_page p4k = {.size_kib = 4};
	size_t n = h->nnodes;
	AUTOFREE uint32_t *cost = xcalloc(n * n + 1, sizeof(*cost));

	memcpy(cost, h->cost, n * n * sizeof(*cost));
	for (size_t i = 0; i < n; i++) {
		const struct place_node *a = &h->nodes[i];

		if (cpuset_empty(&a->cpus) || a->mem_total_kib <= 0)
			continue; /* no vCPUs here, or no local memory to compare with */
		for (size_t j = 0; j < n; j++) {
			double ratio;

			if (h->nodes[j].mem_total_kib <= 0)
				continue;
			ratio = memcost_node_ratio(mc, &p4k, a->node, h->nodes[j].node);
			if (ratio < 0)
				return diag_set(
					d, ENODATA, "memory-costs",
					"the 4K latency from CPU node %d to node %d, or to its own "
					"memory, was not measured",
					a->node, h->nodes[j].node);
			/* noise never makes remote memory cheaper than local; 100x is absurd */
			ratio = ratio < 1.0 ? 1.0 : ratio > 100.0 ? 100.0 : ratio;
			cost[i * n + j] = (uint32_t)(10.0 * ratio + 0.5);
		}
	}
	return place_host_set_cost(h, cost, n, d);
}

void place_host_set_cpu_free(struct place_host *h, size_t node_idx, double cpus)
{
	if (node_idx < h->nnodes)
		h->nodes[node_idx].cpu_free = cpus;
}

void place_host_copy(struct place_host *dst, const struct place_host *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->nnodes = src->nnodes;
	dst->nodes = xcalloc(src->nnodes + 1, sizeof(*dst->nodes));
	for (size_t i = 0; i < src->nnodes; i++) {
		dst->nodes[i] = src->nodes[i];
		memset(&dst->nodes[i].cpus, 0, sizeof(dst->nodes[i].cpus));
		cpuset_copy(&dst->nodes[i].cpus, &src->nodes[i].cpus);
	}
	dst->ncores = src->ncores;
	dst->cores = xcalloc(src->ncores + 1, sizeof(*dst->cores));
	for (size_t i = 0; i < src->ncores; i++) {
		dst->cores[i] = src->cores[i];
		memset(&dst->cores[i].cpus, 0, sizeof(dst->cores[i].cpus));
		cpuset_copy(&dst->cores[i].cpus, &src->cores[i].cpus);
		dst->cores[i].taken_by =
			src->cores[i].taken_by ? xstrdup(src->cores[i].taken_by) : NULL;
	}
	dst->cost = xcalloc(src->nnodes * src->nnodes + 1, sizeof(*dst->cost));
	memcpy(dst->cost, src->cost, src->nnodes * src->nnodes * sizeof(*dst->cost));
	dst->npage_sizes = src->npage_sizes;
	dst->page_sizes = xcalloc(src->npage_sizes + 1, sizeof(*dst->page_sizes));
	memcpy(dst->page_sizes, src->page_sizes, src->npage_sizes * sizeof(*dst->page_sizes));
	dst->default_hugepage_kib = src->default_hugepage_kib;
	for (size_t i = 0; i < src->nnotes; i++)
		place_host_note(dst, "%s", src->notes[i]);
}
