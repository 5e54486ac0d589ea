/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The planner's host for plan, run and the daemon: one read of the host, options for what differs.
 */
#include "place/env.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hugepages-plan.h"
#include "core/memcost.h"
#include "core/model.h"
#include "place/host.h"
#include "place/inventory.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Every node idle: all its memory free, no pool read (an hwloc XML topology). */
static void idle_mem(const struct host_model *m, struct hp_mem *ret)
{
	ret->nnodes = m->nnodes;
	ret->nodes = xcalloc(m->nnodes + 1, sizeof(*ret->nodes));
	ret->total_kib = ret->avail_kib = m->mem_total_kib;
	for (size_t i = 0; i < m->nnodes; i++)
		ret->nodes[i] = (struct hp_node_mem){m->nodes[i].node, m->nodes[i].mem_total_kib,
						     m->nodes[i].mem_free_kib};
}

static void note_used(struct place_env *e)
{
	for (size_t i = 0; i < e->usage.nvms; i++) {
		const struct place_vm_use *v = &e->usage.vms[i];

		if (!v->replanned)
			place_host_note(&e->ph, "counted as used: %s (%s)", v->name,
					v->pid	     ? "running"
					: v->defined ? "defined"
						     : "reserved pages");
	}
}

/* The saved measured costs in place of SLIT; unusable ones leave SLIT with a note. */
static void saved_costs(struct host *h, struct place_env *e)
{
	struct memcost mc = {0};
	struct diag cd = {0};
	int r = memcost_load(h, &mc, &cd);

	if (r == -ENOENT)
		return;
	if (r >= 0)
		r = place_host_use_memcost(&e->ph, &mc, &cd);
	memcost_release(&mc);
	if (r >= 0)
		place_host_note(&e->ph,
				"costs between nodes: measured (%s; 10 x the 4K latency ratio to "
				"local memory), not SLIT",
				MEMCOST_PATH);
	else
		place_host_note(&e->ph, "measured costs not used (%s), SLIT distances: %s",
				MEMCOST_PATH, cd.msg);
}

int place_env_load(struct host *h, const struct host_model *m, const struct place_env_opts *o,
		   struct place_env *ret, struct diag *d)
{
	struct place_inventory_opts io = {o->domains_dir, o->no_processes, o->replan, o->nreplan};
	struct place_host_opts ho = {o->keep_free_kib, o->host_cores};
	char **notes = NULL;
	size_t nnotes = 0;
	int r = 0;

	if (!h && !o->idle)
		return diag_set(d, EINVAL, "place", "the planner's host needs a host to read");
	if (o->idle)
		idle_mem(m, &ret->mem);
	else
		r = hugepages_mem_load(h, m, &ret->mem, d);
	if (r >= 0 && h)
		r = place_inventory_load(h, m, &io, &ret->usage, &notes, &nnotes, d);
	if (r >= 0)
		r = place_host_build(m, &ret->mem, &ret->usage, &ho, &ret->ph, d);
	if (r >= 0 && o->note_used)
		note_used(ret);
	for (size_t i = 0; i < nnotes; i++) {
		if (r >= 0)
			place_host_note(&ret->ph, "%s", notes[i]);
		free(notes[i]);
	}
	free(notes);
	if (r >= 0 && h && o->saved_costs)
		saved_costs(h, ret);
	return r;
}

void place_env_release(struct place_env *e)
{
	hugepages_mem_release(&e->mem);
	place_usage_release(&e->usage);
	place_host_release(&e->ph);
	memset(e, 0, sizeof(*e));
}
