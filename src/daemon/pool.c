/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hugepage pools of a move: the target node's pool grown for the VM's
 * hugetlb pages before anything of it moves, the sources' shrunk after by
 * what the move freed there, each through the hugepages module's guarded
 * apply under host_lock "hugepages".  A grow the kernel cannot meet (no free
 * contiguous memory: fragmentation) is put back, the VM stays where it is,
 * and the next grow of that pool backs off: the cooldown, doubled after each
 * short grow up to DM_BACKOFF_MAX_S, tried at once when the node's free
 * memory rises by what the grow needed or its pool grows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/host.h"
#include "core/hugepages-apply.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "daemon/daemon.h"
#include "util/diag.h"
#include "util/parse-num.h"

#include "util/banned.h"

/* A node and its pool as resize_pool found them, and whether a grow came back short. */
struct pool_seen {
	int64_t free_kib, pool_pages;
	bool grew_short;
};

/* The plan for one node's pool n/p: a grow through the keep-free guard, a shrink of free pages. */
static int plan_resize(struct daemon *dm, const struct host_model *m, const struct hp_mem *mem,
		       const struct numa_node *n, const struct pool *p, int64_t delta,
		       struct hp_plan *ret, struct diag *d)
{
	if (delta > 0) {
		struct hp_ask ask = {p->size_kib, (uint64_t)(p->total + delta), "daemon"};
		int nodes[1] = {n->node};
		struct hp_request req = {&ask, 1, nodes, 1, dm->cfg.keep_free_kib};

		return hugepages_decide(m, mem, &req, ret, d); /* the keep-free guard */
	}
	hp_plan_add(ret, n->node, p->size_kib, p->total,
		    p->total - (-delta < p->free ? -delta : p->free));
	return 0;
}

/* A grow that came back short (res): the pool put back to its size before, and why in d. */
static int put_back(struct daemon *dm, int node, uint64_t size_kib, int64_t delta,
		    const struct hp_result *res, struct diag *d)
{
	int64_t got = res->got_pages, before = res->before_pages;
	struct hp_apply_opts o = {.timeout_s = 5};
	struct hp_plan back = {0};
	struct hp_result r2[1];
	struct diag d2 = {0};

	hp_plan_add(&back, node, size_kib, got, before);
	if (got != before && hugepages_apply(dm->h, &back, &o, r2, &d2) < 0)
		dm_log(dm, 3, "node %d: pool not put back to %lld: %s", node, (long long)before,
		       d2.msg);
	hp_plan_release(&back);
	return diag_set(d, ENOMEM, "hugepages",
			"the kernel gave %lld of %lld more pages (no free contiguous memory); "
			"pool left at %lld",
			(long long)(got - before), (long long)delta, (long long)before);
}

/*
 * Change one node's pool of size_kib by delta pages, guarded, under the
 * hugepages lock.  A grow that comes back short (the kernel found no free
 * contiguous memory for all of them) is put back, since a pool grown part
 * way would hold pages nobody uses: -ENOMEM, and ret_seen (may be NULL) says
 * so.  ret_seen gets the node's free memory and pool before.
 */
static int resize_pool(struct daemon *dm, int node, uint64_t size_kib, int64_t delta,
		       struct pool_seen *ret_seen, struct diag *d)
{
	struct host_model m = {0};
	struct hp_mem mem = {0};
	struct hp_plan plan = {0};
	struct hp_result res[4];
	struct hp_apply_opts o = {.timeout_s = 5};
	const struct numa_node *n = NULL;
	const struct pool *p = NULL;
	int r, lock = host_lock(dm->h, "hugepages", 5000, d);

	if (lock < 0)
		return lock;
	r = host_model_load(dm->h, &m, d);
	if (r >= 0)
		r = hugepages_mem_load(dm->h, &m, &mem, d);
	if (r >= 0)
		n = model_find_node(&m, node);
	if (n)
		p = node_find_pool(n, size_kib);
	if (r >= 0 && (!n || !p))
		r = diag_set(d, EINVAL, "hugepages", "node %d has no pool of %llu KiB", node,
			     (unsigned long long)size_kib);
	if (r >= 0 && n && p) {
		if (ret_seen)
			*ret_seen = (struct pool_seen){n->mem_free_kib, p->total, false};
		r = plan_resize(dm, &m, &mem, n, p, delta, &plan, d);
	}
	if (r >= 0 && plan.nchanges <= 4)
		r = hugepages_apply(dm->h, &plan, &o, res, d);
	if (r == 1 && delta > 0 && plan.nchanges == 1) {
		if (ret_seen)
			ret_seen->grew_short = true;
		r = put_back(dm, node, size_kib, delta, &res[0], d);
	}
	hp_plan_release(&plan);
	hugepages_mem_release(&mem);
	host_model_release(&m);
	close(lock);
	return r;
}

static struct dm_backoff *backoff_find(struct daemon *dm, int node, uint64_t page_kib)
{
	for (size_t i = 0; i < dm->nbackoff; i++)
		if (dm->backoff[i].node == node && dm->backoff[i].page_kib == page_kib)
			return &dm->backoff[i];
	return NULL;
}

/* Forget a pool's back-off: the VMs held for it wait only their cooldown. */
static void backoff_drop(struct daemon *dm, struct dm_backoff *b)
{
	for (size_t i = 0; i < dm->nmoved; i++) {
		struct dm_moved *v = &dm->moved[i];

		if (v->why[0] && v->held_node == b->node && v->held_page_kib == b->page_kib) {
			v->hold_us = (uint64_t)dm->cfg.cooldown_s * 1000000u;
			v->why[0] = '\0';
		}
	}
	*b = dm->backoff[--dm->nbackoff];
}

/* A short grow of node's pool: the wait before the next one (cooldown, doubled each time). */
static uint64_t backoff_short(struct daemon *dm, int node, uint64_t page_kib,
			      const struct pool_seen *ps, uint64_t need_kib, const char *why)
{
	struct dm_backoff *b = backoff_find(dm, node, page_kib);
	uint64_t wait_s = dm->cfg.cooldown_s ? dm->cfg.cooldown_s : 1;
	uint64_t max_s = wait_s > DM_BACKOFF_MAX_S ? wait_s : DM_BACKOFF_MAX_S;

	if (!b && dm->nbackoff == DM_BACKOFF_MAX)
		return wait_s * 1000000u; /* so many pools short at once: the cooldown */
	if (!b) {
		b = &dm->backoff[dm->nbackoff++];
		*b = (struct dm_backoff){.node = node, .page_kib = page_kib};
	}
	b->shorts++;
	for (unsigned k = 1; k < b->shorts && wait_s < max_s; k++)
		wait_s *= 2;
	if (wait_s > max_s)
		wait_s = max_s;
	b->until_us = dm_now_us() + wait_s * 1000000u;
	b->free_kib = ps->free_kib;
	b->pool_pages = ps->pool_pages;
	b->need_kib = need_kib;
	snprintf(b->why, sizeof(b->why), "%s", why);
	return wait_s * 1000000u;
}

void dm_pool_backoff_check(struct daemon *dm, const struct host_model *m)
{
	for (size_t i = 0; i < dm->nbackoff;) {
		struct dm_backoff *b = &dm->backoff[i];
		const struct numa_node *n = model_find_node(m, b->node);
		const struct pool *p = n ? node_find_pool(n, b->page_kib) : NULL;
		bool rose = n && n->mem_free_kib >= b->free_kib &&
			    (uint64_t)(n->mem_free_kib - b->free_kib) >= b->need_kib;
		bool grew = p && p->total > b->pool_pages;
		char pg[16];

		if (!rose && !grew) {
			i++;
			continue;
		}
		dm_log(dm, 6,
		       "node %d: %s since its %s pool grew short (%u time%s): it is tried again",
		       b->node, grew ? "the pool grew" : "free memory rose",
		       format_pagesize(b->page_kib, pg, sizeof(pg)), b->shorts,
		       b->shorts == 1 ? "" : "s");
		backoff_drop(dm, b); /* the last one takes its place */
	}
}

/*
 * Grow the target's pool for the VM's hugetlb pages.  0 when it grew; 1 when
 * the VM stays where it is, held and logged: the pool grew short and was put
 * back (the kernel found no free contiguous memory: fragmentation), it backs
 * off after earlier short grows, or the grow was refused.
 */
int dm_pool_grow(struct daemon *dm, const struct rc_vm *v, const struct rc_move *m)
{
	int node = m->nodes[0];
	struct dm_backoff *b = backoff_find(dm, node, v->page_kib);
	uint64_t now = dm_now_us(), hold_us, cool_us = (uint64_t)dm->cfg.cooldown_s * 1000000u;
	struct pool_seen ps = {0};
	struct diag d = {0};
	struct dm_moved *held;
	char pg[16], why[200];

	format_pagesize(v->page_kib, pg, sizeof(pg));
	if (b && now < b->until_us) {
		hold_us = b->until_us - now;
		snprintf(why, sizeof(why),
			 "node %d's %s pool grew short %u time%s (%s): next try in %llu s, or when "
			 "its free memory rises",
			 node, pg, b->shorts, b->shorts == 1 ? "" : "s", b->why,
			 (unsigned long long)(hold_us / 1000000));
	} else if (resize_pool(dm, node, v->page_kib, (int64_t)m->grow_pages, &ps, &d) >= 0) {
		if (b)
			backoff_drop(dm, b);
		return 0;
	} else if (!ps.grew_short) {
		dm_log(dm, 4, "pid %d (%s): node %d's %s pool cannot grow by %llu: %s; it stays",
		       v->pid, v->name, node, pg, (unsigned long long)m->grow_pages, d.msg);
		return 1;
	} else {
		hold_us = backoff_short(dm, node, v->page_kib, &ps, m->grow_pages * v->page_kib,
					d.msg);
		snprintf(why, sizeof(why),
			 "node %d's %s pool cannot grow by %llu: %s: next try in %llu s, or when "
			 "its free memory rises",
			 node, pg, (unsigned long long)m->grow_pages, d.msg,
			 (unsigned long long)(hold_us / 1000000));
	}
	dm_log(dm, 4, "pid %d (%s): %s; it stays where it is", v->pid, v->name, why);
	held = dm_apply_hold(dm, v->pid, hold_us > cool_us ? hold_us : cool_us);
	held->held_node = node;
	held->held_page_kib = v->page_kib;
	snprintf(held->why, sizeof(held->why), "stays: %s", why);
	return 1;
}

int dm_pool_resize(struct daemon *dm, int node, uint64_t size_kib, int64_t delta, struct diag *d)
{
	return resize_pool(dm, node, size_kib, delta, NULL, d);
}
