/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How many more VMs of a shape fit, per node and on the whole host. */
#include "place/capacity.h"

#include <stdlib.h>
#include <string.h>

#include "place/host.h"
#include "place/request.h"
#include "place/solve.h"
#include "place/why.h"
#include "util/xalloc.h"

#include "util/banned.h"

void place_capacity_count(const struct place_host *h, const struct place_req *r,
			  const struct place_opts *o, struct place_capacity *ret)
{
	struct place_state s0, s;
	struct place_choice c;

	memset(ret, 0, sizeof(*ret));
	ret->node_fits = xcalloc(h->nnodes + 1, sizeof(*ret->node_fits));
	ret->why = xcalloc(h->nnodes + 1, sizeof(*ret->why));
	place_state_init(&s0, h);
	for (size_t i = 0; i < h->nnodes; i++) {
		place_state_copy(&s, &s0);
		while (ret->node_fits[i] < PLACE_CAPACITY_MAX &&
		       place_try(h, &s, r, o, &i, 1, &c)) {
			place_apply(h, &s, r, &c, 1);
			ret->node_fits[i]++;
		}
		place_why(h, &s, r, o, i, ret->why[i], sizeof(ret->why[i]));
		place_state_release(&s);
	}
	while (ret->total < PLACE_CAPACITY_MAX && place_best(h, &s0, r, o, &c)) {
		place_apply(h, &s0, r, &c, 1);
		ret->total++;
		ret->split += c.nnodes > 1;
	}
	place_state_release(&s0);
}

void place_capacity_release(struct place_capacity *c)
{
	free(c->node_fits);
	free(c->why);
	memset(c, 0, sizeof(*c));
}
