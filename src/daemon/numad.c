/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * numad's -w answer: the node set for a VM of NCPUS vCPUs and MB of memory,
 * printed as numad prints it ("1", "0-2", "2-3,6"), from the planner on a
 * fresh look at the host.  Hugepage-aware: when the host's default
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
#include "place/host.h"
#include "place/inventory.h"
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

static int pick(const struct place_host *ph, unsigned ncpus, uint64_t mem_kib, uint64_t page_kib,
		struct cpuset *ret, struct diag *d)
{
	struct place_opts o = {0};
	struct place_state s = {0};
	struct place_candidate *c = NULL;
	struct place_req r;
	size_t nc = 0;
	int err;

	place_req_init(&r);
	snprintf(r.name, sizeof(r.name), "numad-w");
	r.pin = PLACE_PIN_SHARED;
	r.vcpus = ncpus ? ncpus : 1;
	r.page_kib = page_kib;
	r.mem_kib = mem_kib ? mem_kib : 1024;
	if (page_kib != VM_PAGE_NORMAL && r.mem_kib % page_kib)
		r.mem_kib += page_kib - r.mem_kib % page_kib;
	err = place_req_resolve(&r, ph, d);
	if (err < 0)
		return err;
	place_state_init(&s, ph);
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

int dm_advise(struct host *h, const struct daemon_config *cfg, unsigned ncpus, uint64_t mb,
	      char *ret, size_t retsz, struct diag *d)
{
	struct host_model m = {0};
	struct hp_mem mem = {0};
	struct place_host ph = {0};
	struct place_usage usage = {0};
	struct place_inventory_opts io = {.no_processes = true};
	struct place_host_opts ho = {cfg->keep_free_kib, 0};
	struct cpuset nodes = CPUSET_INIT;
	struct sbuf out = SBUF_INIT;
	uint64_t kib = mb * 1024;
	char **notes = NULL;
	size_t nnotes = 0;
	int r = host_model_load(h, &m, d);

	if (r >= 0)
		r = hugepages_mem_load(h, &m, &mem, d);
	if (r >= 0)
		r = place_inventory_load(h, &m, &io, &usage, &notes, &nnotes, d);
	if (r >= 0)
		r = place_host_build(&m, &mem, &usage, &ho, &ph, d);
	if (r >= 0 && ncpus > cpuset_count(&m.cpus_online))
		ncpus = cpuset_count(&m.cpus_online); /* numad answers too: all nodes */
	if (r >= 0) {
		/* no MB given (-w N): a small VM, on normal pages */
		bool huge = ph.default_hugepage_kib && kib && huge_free_kib(&ph) >= kib;

		r = pick(&ph, ncpus, kib, huge ? ph.default_hugepage_kib : VM_PAGE_NORMAL, &nodes,
			 d);
	}
	if (r >= 0) {
		cpuset_format_list(&nodes, &out);
		snprintf(ret, retsz, "%s\n", out.buf);
	}
	sbuf_release(&out);
	cpuset_release(&nodes);
	for (size_t i = 0; i < nnotes; i++)
		free(notes[i]);
	free(notes);
	place_usage_release(&usage);
	place_host_release(&ph);
	hugepages_mem_release(&mem);
	host_model_release(&m);
	return r;
}
