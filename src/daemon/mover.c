/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Batches of page moves under a rate and a stall budget (pure: the mover is a seam). */
#include <errno.h>
#include <stdlib.h>

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
	per_pause_kib = sat_mul_u64(j->rate_kib_s, max_pause_ms ? max_pause_ms : 1) / 1000;
	j->batch_max = (size_t)(per_pause_kib / j->page_kib);
	if (j->batch_max == 0)
		j->batch_max = 1; /* a 1 GiB page is one batch whatever the budget */
	/* start small (the speed of this move is unknown) and double while under the budget */
	j->batch = j->batch_max / 16 ? j->batch_max / 16 : 1;
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

uint64_t move_job_step(struct move_job *j, const struct mover_ops *ops, void *ctx)
{
	AUTOFREE int *status = NULL;
	uint64_t t0, t1, took, due_us, done_kib;
	size_t n;
	int r;

	if (j->state != MOVE_RUNNING)
		return 0;
	n = j->npages - j->next;
	if (n > j->batch)
		n = j->batch;
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
	if (took > j->max_pause_us && j->batch > 1) { /* scaled to fit the budget, with a margin */
		size_t floor = j->batch_max < MOVE_MIN_BATCH ? j->batch_max : MOVE_MIN_BATCH;

		j->batch = (size_t)((uint64_t)j->batch * (j->max_pause_us * 4 / 5) / took);
		/* a call's fixed cost does not shrink with it: never below a floor */
		if (j->batch < floor)
			j->batch = floor;
	} else if (took * 2 < j->max_pause_us && j->batch < j->batch_max)
		j->batch = j->batch * 2 > j->batch_max ? j->batch_max : j->batch * 2;
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
