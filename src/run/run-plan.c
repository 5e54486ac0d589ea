/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 'kvmtune run' without --nodes: the planner's choice for the VM on this host. */
#include "run/run-plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "place/env.h"
#include "place/host.h"
#include "place/plan.h"
#include "place/request.h"
#include "place/solve.h"
#include "place/why.h"
#include "run/run-place.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/*
 * The planner's host as 'kvmtune plan' builds it (the VM's own owner counts
 * as free), with a note per VM counted as used.  Host cores: plan's default
 * (1 per node).
 */
static int env_load(struct host *h, const struct host_model *m, const struct run_plan_opts *o,
		    struct place_env *e, struct diag *d)
{
	const char *replan[] = {o->owner};
	struct place_env_opts eo = {
		.replan = replan,
		.nreplan = o->owner ? 1 : 0,
		.keep_free_kib = o->keep_free_kib,
		.host_cores = 1,
		.note_used = true,
		.saved_costs = true,
	};

	return place_env_load(h, m, &eo, e, d);
}

/* What node idx alone says: how it fits, or its shortfall. */
static void node_line(const struct place_host *h, const struct place_state *s,
		      const struct place_req *r, const struct place_opts *o, size_t idx,
		      struct run_plan_line *ret)
{
	struct place_choice c;
	char ps[16], sz[32];

	ret->node = h->nodes[idx].node;
	if (!place_try(h, s, r, o, &idx, 1, &c)) {
		place_why(h, s, r, o, idx, ret->text, sizeof(ret->text));
		if (!ret->text[0])
			(void)snprintf(ret->text, sizeof(ret->text), "does not fit alone");
		return;
	}
	if (r->page_kib == VM_PAGE_NORMAL) {
		(void)snprintf(ret->text, sizeof(ret->text), "fits alone (%s of memory)",
			       format_size_kib(r->mem_kib, sz, sizeof(sz)));
		return;
	}
	format_pagesize(r->page_kib, ps, sizeof(ps));
	if (c.cells[0].grow_pages)
		(void)snprintf(ret->text, sizeof(ret->text),
			       "fits alone: %" PRIu64 " x %s, %" PRIu64
			       " more than its pool has free",
			       c.cells[0].pages, ps, c.cells[0].grow_pages);
	else
		(void)snprintf(ret->text, sizeof(ret->text),
			       "fits alone: %" PRIu64 " x %s, no more than its pool has free",
			       c.cells[0].pages, ps);
}

static void explain(const struct place_host *h, const struct place_req *r,
		    const struct place_opts *o, const struct place_vm_plan *v,
		    struct run_plan_result *ret)
{
	struct place_state s;

	place_state_init(&s, h);
	ret->lines = xcalloc(h->nnodes + 1, sizeof(*ret->lines));
	for (size_t i = 0; i < h->nnodes; i++)
		node_line(h, &s, r, o, i, &ret->lines[ret->nlines++]);
	place_state_release(&s);
	if (!v->choice.placed) {
		(void)snprintf(ret->reason, sizeof(ret->reason), "%s", v->fix);
		return;
	}
	for (size_t i = 0; i < v->choice.nnodes; i++)
		cpuset_set(&ret->nodes, (unsigned)h->nodes[v->choice.nodes[i]].node);
	if (v->choice.nnodes == 1)
		(void)snprintf(ret->reason, sizeof(ret->reason),
			       "one node whenever one fits; among those, the least pool growth, "
			       "then the tightest fit");
	else
		(void)snprintf(ret->reason, sizeof(ret->reason),
			       "no single node fits: the nearest set of %zu (distance %u), one "
			       "guest cell per node",
			       v->choice.nnodes, v->choice.distance);
}

int run_plan_nodes(struct host *h, const struct host_model *m, const struct run_place_req *req,
		   const struct run_plan_opts *o, struct run_plan_result *ret, struct diag *d)
{
	struct place_opts po = {.grow_pools = true};
	struct place_env e = {0};
	struct place_plan plan = {0};
	struct place_req r;
	int err;

	place_req_init(&r);
	(void)snprintf(r.name, sizeof(r.name), "%s", o->owner ? o->owner : "vm");
	r.vcpus = req->vcpus;
	r.mem_kib = req->mem_kib;
	r.page_kib = req->page_kib;
	r.pin = PLACE_PIN_SHARED; /* run pins vCPUs to their node's CPUs, not to cores */
	err = env_load(h, m, o, &e, d);
	if (err >= 0)
		err = place_req_resolve(&r, &e.ph, d);
	if (err < 0) {
		place_env_release(&e);
		return err;
	}
	place_plan_build(&e.ph, &r, 1, &po, &plan);
	ret->placed = plan.vms[0].choice.placed;
	explain(&e.ph, &plan.vms[0].req, &po, &plan.vms[0], ret);
	ret->notes = e.ph.notes;
	ret->nnotes = e.ph.nnotes;
	e.ph.notes = NULL;
	e.ph.nnotes = 0;
	place_plan_release(&plan);
	place_env_release(&e);
	return 0;
}

void run_plan_result_release(struct run_plan_result *r)
{
	cpuset_release(&r->nodes);
	free(r->lines);
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	memset(r, 0, sizeof(*r));
}
