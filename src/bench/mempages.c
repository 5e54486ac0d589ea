/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hugetlb pages taken for a benchmark and given back, through the
 * reservation path of 'kvmtune hugepages reserve/release' under the
 * "hugepages" host lock.
 */
#include "bench/mempages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/host.h"
#include "core/hugepages-apply.h"
#include "core/hugepages-plan.h"
#include "core/hugepages-reserve.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* What one locked read -> decide -> apply needs. */
struct pages_state {
	struct host_model m;
	struct hp_mem mem;
	struct hp_resv_list l;
	struct hp_plan plan;
};

static void state_release(struct pages_state *s)
{
	hp_plan_release(&s->plan);
	hp_resv_release(&s->l);
	hugepages_mem_release(&s->mem);
	host_model_release(&s->m);
}

static int state_load(struct host *h, struct pages_state *s, struct diag *d)
{
	int r = host_model_load_flags(h, HOST_MODEL_NO_TOPOLOGY | HOST_MODEL_NO_PROCESSES, &s->m,
				      d);

	if (r >= 0)
		r = hugepages_mem_load(h, &s->m, &s->mem, d);
	if (r >= 0)
		r = hp_resv_load(h, &s->l, d);
	return r;
}

static int take_locked(struct host *h, struct pages_state *s, const char *owner, int node,
		       uint64_t page_kib, uint64_t size_kib, unsigned timeout_s, struct diag *d)
{
	struct hp_apply_opts ao = {.timeout_s = timeout_s ? timeout_s : 1};
	AUTOFREE struct hp_result *res = NULL;
	bool already = false;
	int r;

	r = state_load(h, s, d);
	if (r >= 0)
		r = hugepages_decide_reserve(&s->m, &s->mem, &s->l, owner, node, page_kib, size_kib,
					     -1, &s->plan, &already, d);
	if (r < 0 || already)
		return r;
	res = xcalloc(s->plan.nchanges + 1, sizeof(*res));
	r = hugepages_apply(h, &s->plan, &ao, res, d);
	if (r > 0) {
		(void)hugepages_rollback(h, &s->plan, res);
		for (size_t i = 0; i < s->plan.nchanges; i++)
			if (res[i].reason[0])
				return diag_set(d, ENOSPC, "hugepages", "node %d: %s", node,
						res[i].reason);
		return diag_set(d, ENOSPC, "hugepages", "node %d: too few free pages", node);
	}
	if (r < 0)
		return r;
	r = hp_resv_save_owner(h, &s->l, owner, d);
	if (r < 0)
		(void)hugepages_rollback(h, &s->plan, res);
	return r;
}

int mempages_take(struct host *h, const char *owner, int node, uint64_t page_kib, uint64_t size_kib,
		  unsigned timeout_s, struct diag *d)
{
	struct pages_state s = {0};
	AUTOCLOSE int lock = host_lock(h, "hugepages", MEMPAGES_LOCK_MS, d);
	int r;

	if (lock < 0)
		return lock;
	r = take_locked(h, &s, owner, node, page_kib, size_kib, timeout_s, d);
	state_release(&s);
	return r;
}

static int give_back_locked(struct host *h, const char *owner, struct diag *d)
{
	struct pages_state s = {0};
	AUTOFREE struct hp_result *res = NULL;
	struct hp_apply_opts ao = {.timeout_s = 10};
	int64_t kept = 0;
	int r;

	r = state_load(h, &s, d);
	if (r >= 0)
		r = hugepages_decide_release(&s.m, &s.l, owner, &s.plan, &kept, d);
	if (r >= 0 && s.plan.nchanges) {
		res = xcalloc(s.plan.nchanges, sizeof(*res));
		r = hugepages_apply(h, &s.plan, &ao, res, d);
	}
	if (r >= 0)
		r = hp_resv_save_owner(h, &s.l, owner, d);
	state_release(&s);
	return r < 0 ? r : 0;
}

int mempages_give_back(struct host *h, const char *owner, struct diag *d)
{
	AUTOCLOSE int lock = host_lock(h, "hugepages", MEMPAGES_LOCK_MS, d);

	if (lock < 0)
		return lock;
	return give_back_locked(h, owner, d);
}

int mempages_reap(struct host *h, size_t *ret_reaped, struct diag *d)
{
	struct hp_resv_list l = {0};
	AUTOCLOSE int lock = host_lock(h, "hugepages", MEMPAGES_LOCK_MS, d);
	size_t reaped = 0;
	int r;

	if (lock < 0)
		return lock;
	r = hp_resv_load(h, &l, d);
	for (size_t i = 0; r >= 0 && i < l.n; i++) {
		const char *owner = l.v[i].owner, *pid_text;
		char proc[64];
		int pid;

		if (strncmp(owner, MEMPAGES_OWNER_PREFIX, strlen(MEMPAGES_OWNER_PREFIX)) != 0)
			continue;
		pid_text = owner + strlen(MEMPAGES_OWNER_PREFIX);
		(void)snprintf(proc, sizeof(proc), "/proc/%s", pid_text);
		if (parse_int(pid_text, &pid) < 0 || pid <= 0 || host_exists(h, proc))
			continue;
		/* the same owner may hold several pools: reap it once */
		if (i > 0 && strcmp(l.v[i - 1].owner, owner) == 0)
			continue;
		r = give_back_locked(h, owner, d);
		reaped += r >= 0;
	}
	hp_resv_release(&l);
	if (r >= 0 && ret_reaped)
		*ret_reaped = reaped;
	return r < 0 ? r : 0;
}
