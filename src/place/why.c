/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shortfalls per node and the fix that would make a VM fit. */
#include "place/why.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/vmspec.h"
#include "place/host.h"
#include "place/request.h"
#include "place/solve.h"
#include "util/parse-num.h"
#include "util/sbuf.h"

#include "util/banned.h"

/* The single-node demand of r on node idx: cores, vCPUs of its largest cell, pages or KiB. */
struct demand {
	unsigned cores, max_cell_vcpus;
	uint64_t units;
	bool bad_threads;
};

static struct demand demand_on(const struct place_host *h, const struct place_state *s,
			       const struct place_req *r, const struct place_opts *o, size_t idx)
{
	struct place_choice c;
	struct demand dm = {0};
	unsigned t = h->nodes[idx].min_threads;

	(void)place_try(h, s, r, o, &idx, 1, &c);
	for (size_t i = 0; i < c.ncells; i++) {
		dm.cores += c.cells[i].cores;
		dm.units += r->page_kib != VM_PAGE_NORMAL ? c.cells[i].pages : c.cells[i].mem_kib;
		if (c.cells[i].vcpus > dm.max_cell_vcpus)
			dm.max_cell_vcpus = c.cells[i].vcpus;
		if (r->pin == PLACE_PIN_DEDICATED && r->threads == PLACE_THREADS_REQUIRE &&
		    (t < 2 || c.cells[i].vcpus % t))
			dm.bad_threads = true;
	}
	return dm;
}

static void add(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;

	if (sb->len)
		sbuf_adds(sb, "; ");
	va_start(ap, fmt);
	sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

static void why_cpus(const struct place_node *n, const struct place_nstate *ns,
		     const struct place_req *r, const struct demand *dm, struct sbuf *sb)
{
	int64_t shared = cpuset_count(&n->cpus);

	if (dm->bad_threads)
		add(sb, "no SMT sibling pairs for threads=require (%u thread%s per core)",
		    n->min_threads, n->min_threads == 1 ? "" : "s");
	if (r->pin == PLACE_PIN_DEDICATED && (int64_t)dm->cores > ns->free_cores)
		add(sb, "short of free cores: needs %u, %lld free (%u of %u kept for the host)",
		    dm->cores, (long long)ns->free_cores, n->host_cores, n->ncores);
	if (r->pin == PLACE_PIN_SHARED && dm->max_cell_vcpus > shared)
		add(sb, "too few CPUs for shared vCPUs: %u in one cell, the node has %lld",
		    dm->max_cell_vcpus, (long long)shared);
}

static void why_mem(const struct place_node *n, const struct place_nstate *ns,
		    const struct place_req *r, const struct place_opts *o, const struct demand *dm,
		    struct sbuf *sb)
{
	const struct place_pool *p = place_node_pool_c(n, r->page_kib);
	char ps[16], a[32], b[32];
	int64_t free_pages;
	uint64_t grow;

	if (n->mem_total_kib == 0) {
		add(sb, "no memory of its own (its CPUs use other nodes' memory)");
		return;
	}
	if (r->page_kib == VM_PAGE_NORMAL) {
		if ((int64_t)dm->units > ns->mem_kib)
			add(sb, "short of memory: needs %s, %s free beyond the keep-free guard",
			    format_size_kib(dm->units, a, sizeof(a)),
			    format_size_kib((uint64_t)ns->mem_kib, b, sizeof(b)));
		return;
	}
	format_pagesize(r->page_kib, ps, sizeof(ps));
	if (!p) {
		add(sb, "no %s pool on this node", ps);
		return;
	}
	free_pages = ns->pool_free[p - n->pools];
	if ((int64_t)dm->units <= free_pages)
		return;
	grow = dm->units - (uint64_t)free_pages;
	add(sb, "short of %s pages: needs %" PRIu64 ", %lld free", ps, dm->units,
	    (long long)free_pages);
	if (o->grow_pools && ns->mem_kib / (int64_t)r->page_kib < (int64_t)grow)
		add(sb, "growing the pool by %" PRIu64 " needs %s, %s free beyond the guard", grow,
		    format_size_kib(grow * r->page_kib, a, sizeof(a)),
		    format_size_kib((uint64_t)ns->mem_kib, b, sizeof(b)));
}

void place_why(const struct place_host *h, const struct place_state *s, const struct place_req *r,
	       const struct place_opts *o, size_t idx, char *buf, size_t bufsz)
{
	const struct place_node *n = &h->nodes[idx];
	struct sbuf sb = SBUF_INIT;
	struct demand dm;

	buf[0] = '\0';
	if (!n->ncores) {
		(void)snprintf(buf, bufsz, "memory-only node: no CPUs for vCPUs");
		return;
	}
	if (r->allowed_idx && (idx >= 64 || !(r->allowed_idx >> idx & 1))) {
		(void)snprintf(buf, bufsz, "not among the nodes it may use (nodes=)");
		return;
	}
	dm = demand_on(h, s, r, o, idx);
	why_cpus(n, &s->n[idx], r, &dm, &sb);
	why_mem(n, &s->n[idx], r, o, &dm, &sb);
	(void)snprintf(buf, bufsz, "%s", sb.buf);
	sbuf_release(&sb);
}

void place_fix(const struct place_host *h, const struct place_state *s, const struct place_req *r,
	       const struct place_opts *o, char *buf, size_t bufsz)
{
	uint64_t best_grow = UINT64_MAX;
	int best = -1, cores_node = -1;
	char ps[16];

	buf[0] = '\0';
	for (size_t i = 0; i < h->nnodes; i++) {
		const struct place_node *n = &h->nodes[i];
		const struct place_nstate *ns = &s->n[i];
		const struct place_pool *p = place_node_pool_c(n, r->page_kib);
		struct demand dm;
		bool cpus_ok;
		int64_t free_pages;

		if (!n->ncores || (r->allowed_idx && (i >= 64 || !(r->allowed_idx >> i & 1))))
			continue;
		dm = demand_on(h, s, r, o, i);
		cpus_ok = !dm.bad_threads &&
			  (r->pin == PLACE_PIN_SHARED
				   ? dm.max_cell_vcpus <=
					     (ns->free_cores + n->host_cores) * n->min_threads
				   : (int64_t)dm.cores <= ns->free_cores);
		free_pages = p ? ns->pool_free[p - n->pools] : 0;
		/* cores are the fix only where the memory is there and the node has enough */
		if (!cpus_ok && !dm.bad_threads && cores_node < 0 && dm.cores <= n->ncores &&
		    (r->page_kib == VM_PAGE_NORMAL ? (int64_t)dm.units <= ns->mem_kib
						   : (int64_t)dm.units <= free_pages))
			cores_node = (int)i;
		if (!cpus_ok || r->page_kib == VM_PAGE_NORMAL || !p || !p->per_node)
			continue;
		if ((int64_t)dm.units <= free_pages ||
		    ns->mem_kib / (int64_t)r->page_kib < (int64_t)dm.units - free_pages)
			continue;
		if (dm.units - (uint64_t)free_pages < best_grow) {
			best_grow = dm.units - (uint64_t)free_pages;
			best = (int)i;
		}
	}
	if (best >= 0) {
		const struct place_pool *p = place_node_pool_c(&h->nodes[best], r->page_kib);

		(void)snprintf(buf, bufsz,
			       "kvmtune hugepages set %s=%" PRIu64 " --node %d (grows the pool by "
			       "%" PRIu64 "; or plan with --grow-pools)",
			       format_pagesize(r->page_kib, ps, sizeof(ps)),
			       (uint64_t)p->total_pages + best_grow, h->nodes[best].node,
			       best_grow);
	} else if (cores_node >= 0) {
		(void)snprintf(
			buf, bufsz,
			"free cores on node %d (move a dedicated VM, or keep fewer host cores: "
			"--host-cores)",
			h->nodes[cores_node].node);
	}
}
