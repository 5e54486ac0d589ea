/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The decide step of 'kvmtune hugepages set': request parsing, validation
 * against the host model, the keep-free guard rail and the plan.
 */
#include "hugepages-plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuset.h"
#include "core/host.h"
#include "core/meminfo.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define MIN_KEEP_FREE_KIB (512ULL * 1024)

int hp_request_add(struct hp_request *req, const char *arg, struct diag *d)
{
	const char *eq = strchr(arg, '=');
	char size_text[32];
	uint64_t size_kib, count, total_kib;
	size_t n;
	int r;

	if (!eq)
		return diag_set(d, EINVAL, arg, "'%s': expected SIZE=COUNT, such as 2M=512", arg);
	n = (size_t)(eq - arg);
	if (n == 0 || n >= sizeof(size_text))
		return diag_set(d, EINVAL, arg, "'%s': expected a page size before '=', such as 2M",
				arg);
	memcpy(size_text, arg, n);
	size_text[n] = '\0';
	r = parse_size_kib(size_text, &size_kib);
	if (r < 0 || size_kib == 0)
		return diag_set(d, EINVAL, arg,
				"'%s': '%s' is not a page size (expected e.g. 2M, 1G, 2048kB)", arg,
				size_text);
	r = parse_u64(eq + 1, &count);
	if (r < 0)
		return diag_set(
			d, r, arg,
			"'%s': count '%s' is not a whole number of pages (expected 0 or more)", arg,
			eq + 1);
	if (!safe_mul_u64(count, size_kib, &total_kib) || total_kib > SIZE_MAX_KIB)
		return diag_set(d, ERANGE, arg,
				"'%s': %" PRIu64 " pages of %s is too large (over 4 EiB)", arg,
				count, size_text);
	for (size_t i = 0; i < req->nasks; i++)
		if (req->asks[i].size_kib == size_kib)
			return diag_set(d, EEXIST, arg,
					"'%s': page size %s was already given as '%s'", arg,
					size_text, req->asks[i].text);
	req->asks = xreallocarray(req->asks, req->nasks + 1, sizeof(*req->asks));
	req->asks[req->nasks] = (struct hp_ask){.size_kib = size_kib, .count_pages = count};
	(void)snprintf(req->asks[req->nasks].text, sizeof(req->asks[0].text), "%s", arg);
	req->nasks++;
	return 0;
}

int hp_request_set_nodes(struct hp_request *req, const char *list, struct diag *d)
{
	struct cpuset set = CPUSET_INIT;
	int node, r;

	r = cpuset_parse_list(list, &set, d);
	if (r < 0 || cpuset_empty(&set)) {
		cpuset_release(&set);
		return diag_set(d, EINVAL, "--node",
				"--node '%s': expected node numbers such as 0 or 0,1", list);
	}
	free(req->nodes);
	req->nodes = NULL;
	req->nnodes = 0;
	cpuset_foreach (node, &set) {
		req->nodes = xreallocarray(req->nodes, req->nnodes + 1, sizeof(int));
		req->nodes[req->nnodes++] = node;
	}
	cpuset_release(&set);
	return 0;
}

void hp_request_release(struct hp_request *req)
{
	free(req->asks);
	free(req->nodes);
	*req = (struct hp_request)HP_REQUEST_INIT;
}

void hugepages_pool_path(int node, uint64_t size_kib, char *buf, size_t bufsz)
{
	if (node < 0)
		(void)snprintf(buf, bufsz,
			       "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages",
			       size_kib);
	else
		(void)snprintf(buf, bufsz,
			       "/sys/devices/system/node/node%d/hugepages/hugepages-%" PRIu64
			       "kB/nr_hugepages",
			       node, size_kib);
}

static int64_t meminfo_or(const struct meminfo *mi, const char *key, int64_t fallback)
{
	uint64_t v;

	return meminfo_get(mi, key, &v) ? (int64_t)v : fallback;
}

/* avail = MemFree + FilePages - Shmem + SReclaimable (clean caches can be dropped). */
static int node_mem_load(struct host *h, const struct numa_node *n, struct hp_node_mem *ret,
			 struct diag *d)
{
	AUTOFREE char *path = xasprintf("/sys/devices/system/node/node%d/meminfo", n->node);
	AUTOFREE char *text = NULL;
	struct meminfo mi = MEMINFO_INIT;
	int64_t file, shmem, slab;
	int r;

	ret->node = n->node;
	ret->total_kib = n->mem_total_kib;
	ret->avail_kib = n->mem_free_kib;
	r = host_read(h, path, &text, NULL, d);
	if (r == -ENOENT) {
		diag_clear(d);
		return 0;
	}
	if (r >= 0)
		r = meminfo_parse(text, &mi, d);
	if (r < 0)
		return r;
	file = meminfo_or(&mi, "FilePages", 0);
	shmem = meminfo_or(&mi, "Shmem", 0);
	slab = meminfo_or(&mi, "SReclaimable", 0);
	if (ret->avail_kib >= 0)
		ret->avail_kib += (file > shmem ? file - shmem : 0) + slab;
	meminfo_release(&mi);
	return 0;
}

int hugepages_mem_load(struct host *h, const struct host_model *m, struct hp_mem *ret,
		       struct diag *d)
{
	struct hp_mem mem = {0};
	int r;

	mem.total_kib = m->mem_total_kib;
	mem.avail_kib = m->mem_available_kib >= 0 ? m->mem_available_kib : m->mem_free_kib;
	if (m->knobs[KNOB_MIN_FREE_KBYTES].present && m->knobs[KNOB_MIN_FREE_KBYTES].number > 0)
		mem.min_free_kib = m->knobs[KNOB_MIN_FREE_KBYTES].number;
	mem.nodes = xcalloc(m->nnodes ? m->nnodes : 1, sizeof(*mem.nodes));
	mem.nnodes = m->nnodes;
	for (size_t i = 0; i < m->nnodes; i++) {
		if (!m->numa_sysfs) {
			mem.nodes[i] = (struct hp_node_mem){m->nodes[i].node, mem.total_kib,
							    mem.avail_kib};
			continue;
		}
		r = node_mem_load(h, &m->nodes[i], &mem.nodes[i], d);
		if (r < 0) {
			hugepages_mem_release(&mem);
			return r;
		}
	}
	*ret = mem;
	return 0;
}

void hugepages_mem_release(struct hp_mem *mem)
{
	free(mem->nodes);
	mem->nodes = NULL;
	mem->nnodes = 0;
}

uint64_t hugepages_keep_free_kib(const struct hp_mem *mem, const struct hp_node_mem *n,
				 int64_t keep_free_kib)
{
	uint64_t keep, total = n->total_kib > 0 ? (uint64_t)n->total_kib : 0;

	if (keep_free_kib >= 0) {
		keep = (uint64_t)keep_free_kib;
	} else {
		keep = total / 20;
		if (keep < MIN_KEEP_FREE_KIB)
			keep = MIN_KEEP_FREE_KIB;
	}
	if (mem->min_free_kib > 0) {
		uint64_t share = (uint64_t)mem->min_free_kib, prod;

		/* by MemTotal; the whole of it when the product would overflow */
		if (mem->total_kib > 0 && total > 0 && total < (uint64_t)mem->total_kib &&
		    safe_mul_u64(share, total, &prod))
			share = prod / (uint64_t)mem->total_kib;
		if (!safe_add_u64(keep, share, &keep))
			keep = UINT64_MAX;
	}
	return keep;
}

static const struct hp_node_mem *mem_node(const struct hp_mem *mem, int node)
{
	for (size_t i = 0; i < mem->nnodes; i++)
		if (mem->nodes[i].node == node)
			return &mem->nodes[i];
	return NULL;
}

/* The size must be one the CPU supports and the kernel has a pool for. */
static int check_size(const struct host_model *m, const struct hp_ask *a, struct diag *d)
{
	char ps[16], sizes[128] = "";
	size_t len = 0;

	for (size_t i = 0; i < m->ncpu_page_sizes && len < sizeof(sizes) - 16; i++)
		len += (size_t)snprintf(sizes + len, sizeof(sizes) - len, "%s%s", i ? ", " : "",
					format_pagesize(m->cpu_page_sizes_kib[i], ps, sizeof(ps)));
	format_pagesize(a->size_kib, ps, sizeof(ps));
	if (!model_cpu_supports(m, a->size_kib))
		return diag_set(d, EINVAL, a->text,
				"'%s': this CPU has no %s pages (it supports: %s)", a->text, ps,
				len ? sizes : "no huge pages");
	if (!model_find_pool(m, a->size_kib))
		return diag_set(d, EINVAL, a->text,
				"'%s': the kernel has no %s pool (no '/sys/kernel/mm/hugepages/"
				"hugepages-%" PRIu64 "kB'): the kernel lacks hugetlb support or "
				"needs 'hugepagesz=%s' on its command line",
				a->text, ps, a->size_kib, ps);
	return 0;
}

static int check_node(const struct host_model *m, const struct hp_request *req, int node,
		      struct diag *d)
{
	const struct numa_node *n = model_find_node(m, node);
	char nodes[64] = "";
	size_t len = 0;

	if (!n) {
		for (size_t i = 0; i < m->nnodes && len < sizeof(nodes) - 8; i++)
			len += (size_t)snprintf(nodes + len, sizeof(nodes) - len, "%s%d",
						i ? "," : "", m->nodes[i].node);
		return diag_set(d, EINVAL, "--node",
				"--node: node %d does not exist on this host (nodes: %s)", node,
				nodes);
	}
	if (n->mem_total_kib == 0)
		return diag_set(d, EINVAL, "--node",
				"--node: node %d has no memory, so it cannot hold hugepages", node);
	for (size_t i = 0; i < req->nasks; i++) {
		char ps[16];

		if (node_find_pool(n, req->asks[i].size_kib))
			continue;
		return diag_set(d, EINVAL, "--node",
				"--node: node %d has no per-node %s pool in sysfs, so it cannot be "
				"sized on its own; leave out --node",
				node, format_pagesize(req->asks[i].size_kib, ps, sizeof(ps)));
	}
	return 0;
}

void hp_plan_add(struct hp_plan *p, int node, uint64_t size_kib, int64_t old_pages,
		 int64_t new_pages)
{
	struct hp_change *c;
	char ps[16], sz[32], where[32];
	int64_t delta = new_pages - old_pages;

	p->changes = xreallocarray(p->changes, p->nchanges + 1, sizeof(*p->changes));
	c = &p->changes[p->nchanges++];
	memset(c, 0, sizeof(*c));
	c->node = node;
	c->size_kib = size_kib;
	c->old_pages = old_pages;
	c->new_pages = new_pages;
	hugepages_pool_path(node, size_kib, c->path, sizeof(c->path));
	format_pagesize(size_kib, ps, sizeof(ps));
	if (node < 0)
		(void)snprintf(where, sizeof(where), "the host");
	else
		(void)snprintf(where, sizeof(where), "node %d", node);
	format_size_kib((uint64_t)(delta < 0 ? -delta : delta) * size_kib, sz, sizeof(sz));
	if (delta == 0)
		(void)snprintf(c->reason, sizeof(c->reason), "%s pool of %s already holds %" PRId64,
			       ps, where, new_pages);
	else
		(void)snprintf(
			c->reason, sizeof(c->reason), "%s %s pool of %s by %" PRId64 " pages (%s)",
			delta > 0 ? "grow" : "shrink", ps, where, delta < 0 ? -delta : delta, sz);
}

/* Net growth in KiB on one node (or the host, node -1) over all asked sizes. */
static int64_t net_growth_kib(const struct hp_plan *p, int node)
{
	int64_t kib = 0;

	for (size_t i = 0; i < p->nchanges; i++)
		if (p->changes[i].node == node)
			kib += (p->changes[i].new_pages - p->changes[i].old_pages) *
			       (int64_t)p->changes[i].size_kib;
	return kib;
}

static int refuse(struct diag *d, const char *where, int64_t grow_kib, int64_t avail_kib,
		  uint64_t keep_kib)
{
	char g[32], a[32], k[32], can[32];
	int64_t room = avail_kib - (int64_t)keep_kib; /* both below 2^53: no overflow */

	return diag_set(d, ERANGE, where,
			"%s: the request needs %s more, but only %s is free or reclaimable and "
			"%s must stay free for the host (--keep-free), so at most %s can go to "
			"hugepages; nothing was changed",
			where, format_size_kib((uint64_t)grow_kib, g, sizeof(g)),
			format_size_kib((uint64_t)(avail_kib > 0 ? avail_kib : 0), a, sizeof(a)),
			format_size_kib(keep_kib, k, sizeof(k)),
			format_size_kib((uint64_t)(room > 0 ? room : 0), can, sizeof(can)));
}

static int unknown_mem(struct diag *d, const char *where)
{
	return diag_set(d, EINVAL, where,
			"%s: how much memory is free there is unknown (no meminfo), so its pool "
			"cannot grow safely; nothing was changed",
			where);
}

static int check_guard(const struct hp_mem *mem, const struct hp_request *req,
		       const struct hp_plan *p, struct diag *d)
{
	char where[32];

	if (req->nnodes) {
		for (size_t i = 0; i < req->nnodes; i++) {
			const struct hp_node_mem *n = mem_node(mem, req->nodes[i]);
			int64_t grow = net_growth_kib(p, req->nodes[i]);
			uint64_t keep;

			if (grow <= 0)
				continue;
			(void)snprintf(where, sizeof(where), "node %d", req->nodes[i]);
			if (!n || n->avail_kib < 0) /* fail closed */
				return unknown_mem(d, where);
			keep = hugepages_keep_free_kib(mem, n, req->keep_free_kib);
			if (keep >= (uint64_t)n->avail_kib ||
			    (uint64_t)grow > (uint64_t)n->avail_kib - keep)
				return refuse(d, where, grow, n->avail_kib,
					      keep < SIZE_MAX_KIB ? keep : SIZE_MAX_KIB);
		}
		return 0;
	}
	/* Host-wide: the kernel spreads pages over the nodes; sum their room. */
	int64_t grow = net_growth_kib(p, -1);
	uint64_t avail = 0, keep = 0;

	if (grow <= 0)
		return 0;
	for (size_t i = 0; i < mem->nnodes; i++) {
		/* saturating sums: at 2^52 KiB each, only absurd node counts get there */
		if (mem->nodes[i].avail_kib >= 0 &&
		    !safe_add_u64(avail, (uint64_t)mem->nodes[i].avail_kib, &avail))
			avail = SIZE_MAX_KIB;
		if (!safe_add_u64(keep,
				  hugepages_keep_free_kib(mem, &mem->nodes[i], req->keep_free_kib),
				  &keep))
			keep = UINT64_MAX;
	}
	if (!mem->nnodes) {
		struct hp_node_mem all = {0, mem->total_kib, mem->avail_kib};

		if (mem->avail_kib < 0)
			return unknown_mem(d, "host");
		avail = (uint64_t)mem->avail_kib;
		keep = hugepages_keep_free_kib(mem, &all, req->keep_free_kib);
	}
	if (avail > SIZE_MAX_KIB)
		avail = SIZE_MAX_KIB;
	if (keep >= avail || (uint64_t)grow > avail - keep)
		return refuse(d, "host", grow, (int64_t)avail,
			      keep < SIZE_MAX_KIB ? keep : SIZE_MAX_KIB);
	return 0;
}

static int cmp_change(const void *a, const void *b)
{
	const struct hp_change *x = a, *y = b;
	int gx = x->new_pages > x->old_pages, gy = y->new_pages > y->old_pages;

	/* Shrinks (and no-ops) first so that their memory is free for the grows. */
	if (gx != gy)
		return gx - gy;
	if (x->node != y->node)
		return x->node - y->node;
	return x->size_kib < y->size_kib ? -1 : x->size_kib > y->size_kib;
}

int hugepages_decide(const struct host_model *m, const struct hp_mem *mem,
		     const struct hp_request *req, struct hp_plan *ret, struct diag *d)
{
	struct hp_plan p = {0};
	int r;

	if (!req->nasks)
		return diag_set(d, EINVAL, "set",
				"nothing to set: give SIZE=COUNT, such as 2M=512");
	for (size_t i = 0; i < req->nasks; i++) {
		r = check_size(m, &req->asks[i], d);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < req->nnodes; i++) {
		r = check_node(m, req, req->nodes[i], d);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < req->nasks; i++) {
		const struct hp_ask *a = &req->asks[i];

		if (!req->nnodes) {
			const struct pool *pl = model_find_pool(m, a->size_kib);

			hp_plan_add(&p, -1, a->size_kib, pl->total > 0 ? pl->total : 0,
				    (int64_t)a->count_pages);
			continue;
		}
		for (size_t j = 0; j < req->nnodes; j++) {
			const struct pool *pl =
				node_find_pool(model_find_node(m, req->nodes[j]), a->size_kib);

			hp_plan_add(&p, req->nodes[j], a->size_kib, pl->total > 0 ? pl->total : 0,
				    (int64_t)a->count_pages);
		}
	}
	r = check_guard(mem, req, &p, d);
	if (r < 0) {
		hp_plan_release(&p);
		return r;
	}
	qsort(p.changes, p.nchanges, sizeof(*p.changes), cmp_change);
	hp_plan_release(ret);
	*ret = p;
	return 0;
}

void hp_plan_release(struct hp_plan *plan)
{
	free(plan->changes);
	plan->changes = NULL;
	plan->nchanges = 0;
}
