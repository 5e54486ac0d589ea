/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * numad's -w answer: the node set for a VM of NCPUS vCPUs and MB of memory,
 * printed as numad prints it ("1", "0-2", "2-3,6"), from the planner (the
 * node with the most room left, as numad) on a fresh look at the host, or in
 * the daemon on its last tick's look with the advice it gave in the last
 * DM_ADVICE_HOLD_S seconds taken first.  Hugepage-aware: when the host's default
 * hugepage pools hold the memory, the VM is placed by their free pages (a
 * hugepage host's VMs use them), else by free memory after the keep-free
 * guard.  Answers within milliseconds (numad sleeps 2 s).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "daemon/daemon.h"
#include "place/env.h"
#include "place/host.h"
#include "place/request.h"
#include "place/solve.h"
#include "util/diag.h"
#include "util/sbuf.h"

#include "util/banned.h"

/* The default-size hugepages free on the whole host, in KiB. */
static uint64_t huge_free_kib(const struct place_host *ph)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < ph->nnodes; i++) {
		const struct place_pool *p =
			place_node_pool_c(&ph->nodes[i], ph->default_hugepage_kib);

		if (p && p->free_pages > 0)
			sum += (uint64_t)p->free_pages * ph->default_hugepage_kib;
	}
	return sum;
}

/* Node indexes of ph for a set of kernel nodes; the count, 0 when one is not in ph. */
static size_t node_indexes(const struct place_host *ph, const struct cpuset *nodes, size_t *idx,
			   size_t max)
{
	size_t n = 0;
	int node;

	cpuset_foreach (node, nodes) {
		size_t i = 0;

		while (i < ph->nnodes && ph->nodes[i].node != node)
			i++;
		if (i == ph->nnodes || n == max)
			return 0;
		idx[n++] = i;
	}
	return n;
}

static void request(struct place_req *r, unsigned ncpus, uint64_t kib, uint64_t page_kib)
{
	place_req_init(r);
	snprintf(r->name, sizeof(r->name), "numad-w");
	r->pin = PLACE_PIN_SHARED;
	r->vcpus = ncpus ? ncpus : 1;
	r->page_kib = page_kib;
	r->mem_kib = kib ? kib : 1024;
	if (page_kib != VM_PAGE_NORMAL && r->mem_kib % page_kib)
		r->mem_kib += page_kib - r->mem_kib % page_kib;
}

/* Take what the held advice will use from s (advice whose nodes are gone is skipped). */
static void take_held(const struct place_host *ph, struct place_state *s,
		      const struct dm_advice *held, size_t nheld)
{
	struct place_opts o = {0};

	if (!held)
		return;
	for (size_t k = 0; k < nheld; k++) {
		size_t idx[PLACE_MAX_SPAN],
			n = node_indexes(ph, &held[k].nodes, idx, PLACE_MAX_SPAN);
		struct place_choice c = {0};
		struct place_req r;

		request(&r, held[k].ncpus, held[k].kib, held[k].page_kib);
		if (n && place_req_resolve(&r, ph, NULL) >= 0 &&
		    place_try(ph, s, &r, &o, idx, n, &c))
			place_apply(ph, s, &r, &c, 1);
	}
}

static int pick(const struct place_host *ph, unsigned ncpus, uint64_t mem_kib, uint64_t page_kib,
		const struct dm_advice *held, size_t nheld, struct cpuset *ret, struct diag *d)
{
	/* as numad: the node(s) with the most room left, not the tightest fit */
	struct place_opts o = {.spread = true};
	struct place_state s = {0};
	struct place_candidate *c = NULL;
	struct place_req r;
	size_t nc = 0;
	int err;

	request(&r, ncpus, mem_kib, page_kib);
	err = place_req_resolve(&r, ph, d);
	if (err < 0)
		return err;
	place_state_init(&s, ph);
	take_held(ph, &s, held, nheld);
	place_one(ph, &s, &r, &o, &c, &nc);
	if (nc && c[0].fits)
		for (size_t i = 0; i < c[0].choice.nnodes; i++)
			cpuset_set(ret, (unsigned)ph->nodes[c[0].choice.nodes[i]].node);
	err = nc && c[0].fits
		      ? 0
		      : diag_set(d, ERANGE, "numad", "no node set holds %u CPUs and %llu MiB",
				 ncpus, (unsigned long long)(mem_kib / 1024));
	free(c);
	place_state_release(&s);
	return err;
}

int dm_place_host_load(struct host *h, const struct daemon_config *cfg, struct host_model *m,
		       struct hp_mem *mem, struct place_host *ret, struct diag *d)
{
	/* defined VMs and reservations count; processes are the daemon's to move */
	struct place_env_opts o = {.no_processes = true, .keep_free_kib = cfg->keep_free_kib};
	struct place_env e = {0};
	int r = host_model_load(h, m, d);

	if (r >= 0)
		r = place_env_load(h, m, &o, &e, d);
	/* the caller owns the memory and the host, as before */
	*mem = e.mem;
	*ret = e.ph;
	e.mem = (struct hp_mem){0};
	e.ph = (struct place_host){0};
	place_env_release(&e);
	return r;
}

int dm_advise_host(struct host *h, const struct daemon_config *cfg, struct place_host *ret,
		   struct diag *d)
{
	struct host_model m = {0};
	struct hp_mem mem = {0};
	int r = dm_place_host_load(h, cfg, &m, &mem, ret, d);

	hugepages_mem_release(&mem);
	host_model_release(&m);
	return r;
}

int dm_advise_on(const struct place_host *ph, unsigned ncpus, uint64_t mb,
		 const struct dm_advice *held, size_t nheld, struct dm_advice *ret, struct diag *d)
{
	uint64_t kib = mb * 1024;
	unsigned online = 0;
	bool huge;

	for (size_t i = 0; i < ph->nnodes; i++)
		online += cpuset_count(&ph->nodes[i].cpus);
	if (online && ncpus > online)
		ncpus = online; /* numad answers too: all nodes */
	/* a hugepage host's VMs use its default pages when they hold the memory */
	huge = kib && ph->default_hugepage_kib && huge_free_kib(ph) >= kib;
	*ret = (struct dm_advice){.ncpus = ncpus,
				  .kib = kib,
				  .page_kib = huge ? ph->default_hugepage_kib : VM_PAGE_NORMAL,
				  .nodes = CPUSET_INIT};
	/* held advice whose VMs never started (or not yet) must not make every later
	 * answer fail: without room beside them all, the oldest count no longer */
	if (!held)
		nheld = 0;
	for (size_t k = 0;; k++) {
		int r = pick(ph, ncpus, kib, ret->page_kib, held ? held + k : NULL, nheld - k,
			     &ret->nodes, d);

		if (r != -ERANGE || k == nheld) {
			ret->dropped = r < 0 ? 0 : k;
			return r;
		}
	}
}

void dm_advice_text(const struct dm_advice *a, char *buf, size_t bufsz)
{
	struct sbuf out = SBUF_INIT;

	cpuset_format_list(&a->nodes, &out);
	snprintf(buf, bufsz, "%s\n", out.buf);
	sbuf_release(&out);
}

int dm_advise(struct host *h, const struct daemon_config *cfg, unsigned ncpus, uint64_t mb,
	      char *ret, size_t retsz, struct diag *d)
{
	struct place_host ph = {0};
	struct dm_advice a = {.nodes = CPUSET_INIT};
	int r = dm_advise_host(h, cfg, &ph, d);

	if (r >= 0)
		r = dm_advise_on(&ph, ncpus, mb, NULL, 0, &a, d);
	if (r >= 0)
		dm_advice_text(&a, ret, retsz);
	cpuset_release(&a.nodes);
	place_host_release(&ph);
	return r;
}
