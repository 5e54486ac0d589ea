/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The placement plan: solve, pin, and gather what every output shows. */
#include "place/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vmspec.h"
#include "place/why.h"
#include "util/xalloc.h"

#include "util/banned.h"

static void node_view(const struct place_host *h, const struct place_state *before,
		      const struct place_state *after, struct place_plan *p)
{
	p->nnodes = h->nnodes;
	p->nodes = xcalloc(h->nnodes + 1, sizeof(*p->nodes));
	for (size_t i = 0; i < h->nnodes; i++) {
		const struct place_node *n = &h->nodes[i];
		struct place_node_plan *np = &p->nodes[i];

		np->node = n->node;
		np->has_cpus = n->ncores > 0;
		np->ncores = n->ncores;
		np->host_cores = n->host_cores;
		np->free_cores_before = before->n[i].free_cores;
		np->free_cores_after = after->n[i].free_cores;
		np->mem_before_kib = before->n[i].mem_kib;
		np->mem_after_kib = after->n[i].mem_kib;
		np->npools = n->npools;
		for (size_t j = 0; j < n->npools; j++)
			np->pools[j] = (struct place_pool_plan){
				n->pools[j].size_kib, n->pools[j].total_pages,
				before->n[i].pool_free[j], after->n[i].pool_free[j], 0};
	}
	for (size_t v = 0; v < p->nvms; v++) {
		const struct place_vm_plan *vp = &p->vms[v];

		for (size_t c = 0; vp->choice.placed && c < vp->choice.ncells; c++) {
			const struct place_cell *cell = &vp->choice.cells[c];
			struct place_node_plan *np = &p->nodes[cell->node_idx];

			for (size_t j = 0; j < np->npools && cell->grow_pages; j++)
				if (np->pools[j].size_kib == vp->req.page_kib)
					np->pools[j].grow_pages += (int64_t)cell->grow_pages;
		}
	}
}

static void explain(const struct place_host *h, const struct place_state *after,
		    const struct place_opts *o, struct place_vm_plan *vp)
{
	vp->why = xcalloc(h->nnodes + 1, sizeof(*vp->why));
	for (size_t i = 0; i < h->nnodes; i++) {
		vp->why[vp->nwhy].node = h->nodes[i].node;
		place_why(h, after, &vp->req, o, i, vp->why[vp->nwhy].text,
			  sizeof(vp->why[0].text));
		if (!vp->why[vp->nwhy].text[0])
			(void)snprintf(vp->why[vp->nwhy].text, sizeof(vp->why[0].text),
				       "fits alone, but not beside the VMs placed before it");
		vp->nwhy++;
	}
	place_fix(h, after, &vp->req, o, vp->fix, sizeof(vp->fix));
}

void place_plan_build(struct place_host *h, const struct place_req *reqs, size_t n,
		      const struct place_opts *o, struct place_plan *ret)
{
	struct place_choice *ch = xcalloc(n + 1, sizeof(*ch));
	struct place_pins *pins = xcalloc(n + 1, sizeof(*pins));
	struct place_state before, after;
	struct place_plan p = {0};

	place_state_init(&before, h);
	place_batch_from(h, &before, reqs, n, o, ch);
	place_state_copy(&after, &before);
	for (size_t i = 0; i < n; i++)
		if (ch[i].placed)
			place_apply(h, &after, &reqs[i], &ch[i], 1);
	place_pins_assign(h, reqs, ch, n, pins);
	p.opts = *o;
	p.nvms = n;
	p.vms = xcalloc(n + 1, sizeof(*p.vms));
	for (size_t i = 0; i < n; i++) {
		p.vms[i].req = reqs[i];
		p.vms[i].choice = ch[i];
		p.vms[i].pins = pins[i];
		if (!ch[i].placed)
			explain(h, &after, o, &p.vms[i]);
	}
	p.objective = place_objective_of(ch, n);
	node_view(h, &before, &after, &p);
	place_state_release(&before);
	place_state_release(&after);
	free(ch);
	free(pins);
	*ret = p;
}

void place_plan_release(struct place_plan *p)
{
	for (size_t i = 0; i < p->nvms; i++) {
		place_pins_release(&p->vms[i].pins);
		free(p->vms[i].why);
	}
	free(p->vms);
	free(p->nodes);
	memset(p, 0, sizeof(*p));
}
