/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Batches of page moves under a rate and a stall budget (pure: the mover is a seam). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/mover.h"
#include "util/cleanup.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

void move_job_init(struct move_job *j, int pid, int node, uint64_t page_kib, void **pages,
		   size_t npages, unsigned rate_mib_s, unsigned max_pause_ms)
{
	uint64_t per_pause_kib;

	*j = (struct move_job){.pid = pid,
			       .node = node,
			       .page_kib = page_kib ? page_kib : 4,
			       .pages = pages,
			       .npages = npages};
	j->rate_kib_s = (uint64_t)(rate_mib_s ? rate_mib_s : 1) * 1024;
	j->max_pause_us = (uint64_t)(max_pause_ms ? max_pause_ms : 1) * 1000;
	j->target_us = j->max_pause_us;
	per_pause_kib = sat_mul_u64(j->rate_kib_s, max_pause_ms ? max_pause_ms : 1) / 1000;
	j->batch_max = (size_t)(per_pause_kib / j->page_kib);
	if (j->batch_max == 0)
		j->batch_max = 1; /* a 1 GiB page is one batch whatever the budget */
	/* the first batch is a one-page probe; then the cost model sizes them */
	j->batch = 1;
	j->state = npages ? MOVE_RUNNING : MOVE_DONE;
}

void move_job_release(struct move_job *j)
{
	free(j->pages);
	j->pages = NULL;
	j->npages = j->next = 0;
}

const char *move_state_name(enum move_state s)
{
	switch (s) {
	case MOVE_RUNNING:
		return "running";
	case MOVE_DONE:
		return "done";
	case MOVE_VANISHED:
		return "vanished";
	case MOVE_SHORT:
		return "target short";
	case MOVE_FAILED:
		return "failed";
	}
	return "?";
}

/* Count a batch's per-page results; true when the target ran short. */
static bool tally(struct move_job *j, const int *status, size_t n)
{
	bool short_seen = false;

	for (size_t i = 0; i < n; i++) {
		if (status[i] == j->node)
			j->moved++;
		else {
			j->not_moved++;
			if (status[i] == -ENOMEM || status[i] == -ENOSPC)
				short_seen = true;
		}
	}
	return short_seen;
}

static void end_job(struct move_job *j, enum move_state s, int err)
{
	j->state = s;
	j->err = err;
	/* what was never tried counts as not moved */
	j->not_moved += j->npages - j->next;
	j->next = j->npages;
}

/*
 * Update the cost model from a batch of n pages that took took_us, and size
 * the next batch.  A probe moves one page: t1 = fixed + per page; a batch of
 * n: tn = fixed + n x per page; so per page = (tn - t1) / (n - 1).  Delays
 * only ever add time (a CPU not scheduled, an interrupt), so the smallest
 * recent observations are the truest: t1 is the smallest of the last probes,
 * the cost per page the smallest of the last full batches'.
 */
static void learn(struct move_job *j, size_t n, bool probe, uint64_t took_us)
{
	uint64_t cap, fit, page_ns = UINT64_MAX, fixed;

	if (probe) {
		memmove(j->probe_us + 1, j->probe_us, sizeof(j->probe_us) - sizeof(j->probe_us[0]));
		j->probe_us[0] = took_us ? took_us : 1;
		j->probe_min_us = UINT64_MAX;
		for (size_t i = 0; i < MOVE_PROBES; i++)
			if (j->probe_us[i] && j->probe_us[i] < j->probe_min_us)
				j->probe_min_us = j->probe_us[i];
	} else if (n > 1) {
		uint64_t over = took_us > j->probe_min_us ? took_us - j->probe_min_us : 0;

		memmove(j->page_ns + 1, j->page_ns, sizeof(j->page_ns) - sizeof(j->page_ns[0]));
		j->page_ns[0] = sat_mul_u64(over, 1000) / (n - 1) + 1; /* 0: none yet */
	}
	for (size_t i = 0; i < MOVE_PROBES; i++)
		if (j->page_ns[i] && j->page_ns[i] < page_ns)
			page_ns = j->page_ns[i];
	fixed = j->probe_min_us;
	if (page_ns != UINT64_MAX)
		fixed = fixed > page_ns / 1000 ? fixed - page_ns / 1000 : 0;
	j->fixed_us = fixed;
	/* the budget, unless one call alone costs more: then twice that */
	j->target_us = fixed > j->max_pause_us ? sat_mul_u64(fixed, 2) : j->max_pause_us;
	cap = sat_mul_u64(j->rate_kib_s, j->target_us) / 1000000 / j->page_kib;
	if (cap == 0)
		cap = 1;
	if (page_ns == UINT64_MAX || page_ns <= 1) /* none yet, or no cost per page seen: grow */
		fit = sat_mul_u64(j->batch, 4);
	else if (j->target_us > fixed)
		fit = sat_mul_u64(j->target_us - fixed, 1000) / page_ns;
	else
		fit = 1;
	/* never below a few pages: they cost about what one does, and only batches of more
	 * than one page measure the cost per page (a batch of 1 would never grow again) */
	if (fit < MOVE_MIN_BATCH)
		fit = MOVE_MIN_BATCH;
	if (fit > cap)
		fit = cap;
	j->batch = (size_t)fit;
}

bool move_job_budget_attainable(const struct move_job *j)
{
	return j->fixed_us == 0 || j->fixed_us <= j->max_pause_us;
}

uint64_t move_job_step(struct move_job *j, const struct mover_ops *ops, void *ctx)
{
	AUTOFREE int *status = NULL;
	uint64_t t0, t1, took, due_us, done_kib;
	bool probe;
	size_t n;
	int r;

	if (j->state != MOVE_RUNNING)
		return 0;
	probe = j->batches % MOVE_PROBE_EVERY == 0;
	n = j->npages - j->next;
	if (n > (probe ? 1 : j->batch))
		n = probe ? 1 : j->batch;
	status = xcalloc(n, sizeof(*status));
	t0 = ops->now_us(ctx);
	if (j->batches == 0)
		j->started_us = t0;
	r = ops->move(ctx, j->pid, n, j->pages + j->next, j->node, status);
	t1 = ops->now_us(ctx);
	took = t1 > t0 ? t1 - t0 : 0;
	j->batches++;
	if (took > j->longest_batch_us)
		j->longest_batch_us = took;
	if (r == -ESRCH || r == -ENOENT) {
		end_job(j, MOVE_VANISHED, r);
		return 0;
	}
	if (r == -ENOMEM || r == -ENOSPC) {
		end_job(j, MOVE_SHORT, r);
		return 0;
	}
	if (r < 0) {
		end_job(j, MOVE_FAILED, r);
		return 0;
	}
	j->next += n;
	if (tally(j, status, n)) {
		end_job(j, MOVE_SHORT, -ENOMEM);
		return 0;
	}
	learn(j, n, probe, took);
	if (j->next >= j->npages) {
		j->state = MOVE_DONE;
		return 0;
	}
	/* keep the average rate: the next batch starts when the bytes so far are due */
	done_kib = sat_mul_u64(j->next, j->page_kib);
	due_us = sat_mul_u64(done_kib, 1000000) / j->rate_kib_s;
	if (j->started_us + due_us > t1)
		return j->started_us + due_us - t1;
	return 1;
}
