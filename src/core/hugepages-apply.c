/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The apply step of 'kvmtune hugepages set'.  The kernel allocates pool
 * pages one by one and stops at the first one it cannot find, so on a
 * fragmented host one write gives fewer pages than asked (the Debian hugepages guide: 828 of
 * 1024).  We grow in steps, compact when progress stops, optionally drop
 * clean caches, retry until the time limit, and stop when nothing helps.
 */
#include "hugepages-apply.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/host.h"
#include "core/hugepages-plan.h"
#include "util/diag.h"
#include "util/parse-num.h"

#include "util/banned.h"

const char *hp_status_name(enum hp_status s)
{
	static const char *const names[] = {
		[HP_PLANNED] = "planned",
		[HP_UNCHANGED] = "unchanged",
		[HP_MET] = "met",
		[HP_SHORT] = "short",
		[HP_FAILED] = "failed",
		[HP_ROLLED_BACK] = "rolled-back",
		[HP_ROLLBACK_FAILED] = "rollback-failed",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static int64_t now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_pages(struct host *h, const char *path, int64_t *ret, struct diag *d)
{
	unsigned long long v;
	int r = host_read_u64(h, path, &v, d);

	if (r < 0)
		return r;
	*ret = (int64_t)v;
	return 0;
}

/*
 * Write pages to path and read the pool back into *ret_got.  A failed write
 * whose read-back shows the asked value counts as done (verify on failure).
 */
static int write_pages(struct host *h, const char *path, int64_t pages, int64_t *ret_got,
		       struct diag *d)
{
	char value[32];
	struct diag rd = {0};
	int64_t got;
	int r, rr;

	(void)snprintf(value, sizeof(value), "%" PRId64, pages);
	r = host_write(h, path, value, d);
	rr = read_pages(h, path, &got, r < 0 ? &rd : d);
	if (r < 0) {
		if (rr >= 0) {
			*ret_got = got;
			if (got == pages) {
				diag_clear(d);
				return 0;
			}
		}
		return r;
	}
	if (rr < 0)
		return rr;
	*ret_got = got;
	return 0;
}

static void progress(const struct hp_apply_opts *o, const struct hp_change *c, int64_t got,
		     const char *what)
{
	if (o->progress)
		o->progress(o->progress_data, c, got, what);
}

/* Compact the node's memory (or all of it); false when the kernel offers no way. */
static bool compact(struct host *h, int node, const struct hp_apply_opts *o,
		    const struct hp_change *c, int64_t got, struct hp_result *res)
{
	char path[96];

	if (node >= 0)
		(void)snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/compact", node);
	else
		(void)snprintf(path, sizeof(path), "/proc/sys/vm/compact_memory");
	progress(o, c, got, "no progress: compacting memory");
	if (host_write(h, path, "1", NULL) < 0)
		return false;
	res->compactions++;
	return true;
}

static bool drop_caches(struct host *h, const struct hp_apply_opts *o, const struct hp_change *c,
			int64_t got, struct hp_result *res)
{
	progress(o, c, got, "still no progress: dropping clean caches");
	if (host_write(h, "/proc/sys/vm/drop_caches", "3", NULL) < 0)
		return false;
	res->dropped_caches = true;
	return true;
}

static void short_reason(const struct hp_change *c, struct hp_result *res, bool timed_out,
			 unsigned timeout_s)
{
	char ps[16], what[96];

	format_pagesize(c->size_kib, ps, sizeof(ps));
	if (res->compactions && res->dropped_caches)
		(void)snprintf(what, sizeof(what), "after compaction and dropping clean caches");
	else if (res->compactions)
		(void)snprintf(what, sizeof(what), "after compaction");
	else
		(void)snprintf(what, sizeof(what), "and memory compaction is not available");
	if (timed_out)
		(void)snprintf(res->reason, sizeof(res->reason),
			       "got %" PRId64 " of %" PRId64
			       " pages: stopped at the time limit (%u s)",
			       res->got_pages, c->new_pages, timeout_s);
	else
		(void)snprintf(res->reason, sizeof(res->reason),
			       "got %" PRId64 " of %" PRId64
			       " pages: memory is fragmented, no free %s block was left %s",
			       res->got_pages, c->new_pages, ps, what);
}

/* Returns 0 when met, 1 when short, -errno on a hard error. */
static int grow_pool(struct host *h, const struct hp_change *c, const struct hp_apply_opts *o,
		     int64_t deadline_ms, struct hp_result *res, struct diag *d)
{
	int64_t cur = res->got_pages, step;
	unsigned parts = o->step_parts ? o->step_parts : 8;
	int stuck = 0; /* measures taken since the last progress */
	bool can_compact = true, timed_out = false;

	step = (c->new_pages - cur + (int64_t)parts - 1) / (int64_t)parts;
	if (step < 1)
		step = 1;
	while (cur < c->new_pages) {
		int64_t want = cur + step < c->new_pages ? cur + step : c->new_pages, got = cur;
		int r;

		if (now_ms() > deadline_ms) {
			timed_out = true;
			break;
		}
		r = write_pages(h, c->path, want, &got, d);
		res->got_pages = got;
		res->changed = res->changed || got != res->before_pages;
		if (r < 0)
			return r;
		if (got > cur) {
			cur = got;
			stuck = 0;
			progress(o, c, got, "growing");
			continue;
		}
		cur = got;
		if (stuck == 0 && can_compact) {
			can_compact = compact(h, c->node, o, c, got, res);
			stuck = 1;
			if (can_compact)
				continue;
		}
		if (stuck == 1 && o->drop_caches && drop_caches(h, o, c, got, res)) {
			if (can_compact)
				(void)compact(h, c->node, o, c, got, res);
			stuck = 2;
			continue;
		}
		break;
	}
	if (res->got_pages >= c->new_pages) {
		res->status = HP_MET;
		return 0;
	}
	res->status = HP_SHORT;
	short_reason(c, res, timed_out, o->timeout_s);
	return 1;
}

static int shrink_pool(struct host *h, const struct hp_change *c, struct hp_result *res,
		       struct diag *d)
{
	int r = write_pages(h, c->path, c->new_pages, &res->got_pages, d);

	res->changed = res->changed || res->got_pages != res->before_pages;
	if (r < 0)
		return r;
	if (res->got_pages == c->new_pages) {
		res->status = HP_MET;
		return 0;
	}
	res->status = HP_SHORT;
	(void)snprintf(res->reason, sizeof(res->reason),
		       "pool reads back %" PRId64 " after writing %" PRId64
		       " (pages in use stay until released)",
		       res->got_pages, c->new_pages);
	return 1;
}

bool hugepages_boot_hint(const struct hp_plan *plan, const struct hp_result *results,
			 uint64_t size_kib, char *buf, size_t bufsz)
{
	char ps[16];
	size_t len;
	bool any = false, per_node = false;

	for (size_t i = 0; i < plan->nchanges; i++) {
		if (plan->changes[i].size_kib != size_kib)
			continue;
		any = any || results[i].status == HP_SHORT;
		per_node = per_node || plan->changes[i].node >= 0;
	}
	if (!any)
		return false;
	len = (size_t)snprintf(
		buf, bufsz, "hugepagesz=%s hugepages=", format_pagesize(size_kib, ps, sizeof(ps)));
	for (size_t i = 0, n = 0; i < plan->nchanges && len < bufsz; i++) {
		const struct hp_change *c = &plan->changes[i];

		if (c->size_kib != size_kib)
			continue;
		if (per_node)
			len += (size_t)snprintf(buf + len, bufsz - len, "%s%d:%" PRId64,
						n++ ? "," : "", c->node, c->new_pages);
		else
			len += (size_t)snprintf(buf + len, bufsz - len, "%" PRId64, c->new_pages);
	}
	return true;
}

static void fill_next_steps(const struct hp_plan *plan, const struct hp_apply_opts *o,
			    struct hp_result *results)
{
	for (size_t i = 0; i < plan->nchanges; i++) {
		char hint[160];

		if (results[i].status != HP_SHORT)
			continue;
		if (plan->changes[i].new_pages < results[i].before_pages) {
			(void)snprintf(results[i].next_step, sizeof(results[i].next_step),
				       "stop the processes (VMs) using these pages, then retry");
			continue;
		}
		if (!hugepages_boot_hint(plan, results, plan->changes[i].size_kib, hint,
					 sizeof(hint)))
			continue;
		(void)snprintf(results[i].next_step, sizeof(results[i].next_step),
			       "%sboot with '%s' to reserve the pages before memory fragments",
			       o->drop_caches ? "" : "retry with --drop-caches, or ", hint);
	}
}

/* Restore every pool from plan entry last down to the first to its size before apply. */
static void rollback_pools(struct host *h, const struct hp_plan *plan, size_t last,
			   struct hp_result *results)
{
	for (size_t j = last + 1; j-- > 0;) {
		const struct hp_change *c = &plan->changes[j];
		struct hp_result *res = &results[j];
		struct diag rd = {0};
		int64_t got = res->got_pages;
		int r;

		if (res->status == HP_PLANNED || res->status == HP_UNCHANGED)
			continue;
		if (res->status == HP_FAILED && got == res->before_pages)
			continue;
		r = write_pages(h, c->path, res->before_pages, &got, &rd);
		res->got_pages = got;
		if (r >= 0 && got == res->before_pages) {
			if (res->status != HP_FAILED)
				res->status = HP_ROLLED_BACK;
			continue;
		}
		res->status = HP_ROLLBACK_FAILED;
		(void)snprintf(res->reason, sizeof(res->reason),
			       "could not restore %" PRId64 " pages, pool holds %" PRId64 ": %s",
			       res->before_pages, got,
			       rd.msg[0] ? rd.msg : "memory was taken meanwhile");
	}
}

int hugepages_rollback(struct host *h, const struct hp_plan *plan, struct hp_result *results)
{
	if (!plan->nchanges)
		return 0;
	rollback_pools(h, plan, plan->nchanges - 1, results);
	for (size_t i = 0; i < plan->nchanges; i++)
		if (results[i].status == HP_ROLLBACK_FAILED)
			return -EIO;
	return 0;
}

int hugepages_apply(struct host *h, const struct hp_plan *plan, const struct hp_apply_opts *o,
		    struct hp_result *results, struct diag *d)
{
	int64_t deadline_ms = now_ms() + (int64_t)(o->timeout_s ? o->timeout_s : 1) * 1000;
	bool any_short = false;
	size_t i;
	int r = 0;

	for (i = 0; i < plan->nchanges; i++)
		results[i] = (struct hp_result){.status = HP_PLANNED,
						.got_pages = plan->changes[i].old_pages,
						.before_pages = plan->changes[i].old_pages};
	for (i = 0; i < plan->nchanges; i++) {
		const struct hp_change *c = &plan->changes[i];
		struct hp_result *res = &results[i];

		/* The pool as it is now: restore this, not the model's older view. */
		r = read_pages(h, c->path, &res->before_pages, d);
		if (r < 0)
			goto rollback;
		res->got_pages = res->before_pages;
		if (res->before_pages == c->new_pages) {
			res->status = HP_UNCHANGED;
			continue;
		}
		if (c->new_pages > res->before_pages)
			r = grow_pool(h, c, o, deadline_ms, res, d);
		else
			r = shrink_pool(h, c, res, d);
		if (r < 0)
			goto rollback;
		any_short = any_short || r > 0;
	}
	fill_next_steps(plan, o, results);
	return any_short ? 1 : 0;

rollback:
	results[i].status = HP_FAILED;
	(void)snprintf(results[i].reason, sizeof(results[i].reason), "%s",
		       d && d->msg[0] ? d->msg : strerror(-r));
	rollback_pools(h, plan, i, results);
	return r;
}

enum hp_outcome hugepages_outcome(const struct hp_plan *plan, const struct hp_result *results,
				  int r)
{
	bool changed = false;

	if (r >= 0)
		return r == 0 ? HP_OUTCOME_MET : HP_OUTCOME_PARTIAL;
	for (size_t i = 0; i < plan->nchanges; i++) {
		if (results[i].status == HP_ROLLBACK_FAILED)
			return HP_OUTCOME_ROLLBACK_FAILED;
		changed = changed || results[i].changed;
	}
	return changed ? HP_OUTCOME_ROLLED_BACK : HP_OUTCOME_NOTHING_CHANGED;
}

const char *hp_outcome_text(enum hp_outcome o)
{
	switch (o) {
	case HP_OUTCOME_MET:
		return "request met";
	case HP_OUTCOME_PARTIAL:
		return "request partly met: see the shortfall above";
	case HP_OUTCOME_NOTHING_CHANGED:
		return "failed: nothing was changed";
	case HP_OUTCOME_ROLLED_BACK:
		return "failed: every changed pool was restored (see status)";
	default:
		return "failed: some pools could not be restored (see status and the problems "
		       "above)";
	}
}
