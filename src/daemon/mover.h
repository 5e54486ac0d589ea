/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Moving a process's pages to one node in batches, under a rate (MiB/s) and
 * a stall budget (the longest a single batch may take).  The batch logic is
 * pure: it calls a mover through struct mover_ops (move_pages(2) in the
 * daemon, a fake in the unit tests) and a clock, and returns how long to
 * wait before the next batch, so that the event loop stays responsive and a
 * SIGTERM ends a move between two batches, each of which is whole.
 */
#ifndef KVMTUNE_DAEMON_MOVER_H
#define KVMTUNE_DAEMON_MOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A batch costs a fixed part (the call, and the TLB shootdown that must reach
 * every CPU the process runs on) plus a part per page.  The job measures the
 * fixed part with a one-page probe batch (the first, then every
 * MOVE_PROBE_EVERY batches; the smallest of the last MOVE_PROBES counts) and
 * the part per page from the other batches (the smallest of their last
 * MOVE_PROBES).
 */
#define MOVE_PROBE_EVERY 32
/* Pages a full batch has at least (unless the rate allows fewer: 1 GiB pages). */
#define MOVE_MIN_BATCH 8
#define MOVE_PROBES 4

struct mover_ops {
	/*
	 * Move n pages of pid to node (move_pages(2) semantics): status[i] gets
	 * the node the page is on afterwards or -errno for that page.  Returns
	 * 0, or -errno for the whole call (-ESRCH: the process is gone).
	 */
	int (*move)(void *ctx, int pid, size_t n, void *const *pages, int node, int *status);
	uint64_t (*now_us)(void *ctx);
};

enum move_state {
	MOVE_RUNNING,
	MOVE_DONE,     /* every page handled */
	MOVE_VANISHED, /* the process ended (or its memory went away) mid-move */
	MOVE_SHORT,    /* the target node ran out of memory (or of pages of the size) */
	MOVE_FAILED,   /* another error of the whole call */
};

struct move_job {
	int pid;
	int node;	   /* target */
	uint64_t page_kib; /* size of every page of this job */
	void **pages;	   /* addresses, owned by the job */
	size_t npages;
	size_t next; /* first page not yet tried */
	/* budgets */
	uint64_t rate_kib_s;
	uint64_t max_pause_us;
	size_t batch_max; /* pages per batch allowed by rate x max pause */
	size_t batch;	  /* next batch size (from the cost model) */
	/* cost model */
	uint64_t probe_us[MOVE_PROBES]; /* the last one-page batches (0: none yet) */
	uint64_t probe_min_us;		/* smallest of them */
	uint64_t fixed_us;		/* what one call costs whatever its size (0: not known) */
	uint64_t page_ns[MOVE_PROBES];	/* the last full batches' cost per page, + 1 (0: none) */
	uint64_t target_us; /* what a batch may take: max pause, or 2 x fixed_us when more */
	/* outcome */
	enum move_state state;
	int err;	  /* the -errno behind VANISHED/SHORT/FAILED */
	size_t moved;	  /* now on the target */
	size_t not_moved; /* refused per page (busy, not present, short) */
	size_t batches;
	uint64_t started_us;
	uint64_t longest_batch_us;
};

/*
 * Start a job over pages (taken over; freed by move_job_release) with the
 * budgets.  The first batch is 1/16 of what rate x max pause allows.
 */
void move_job_init(struct move_job *j, int pid, int node, uint64_t page_kib, void **pages,
		   size_t npages, unsigned rate_mib_s, unsigned max_pause_ms);
void move_job_release(struct move_job *j);

/*
 * Run one batch.  Returns the microseconds to wait before the next one
 * (keeping the average at the rate), or 0 when the job is no longer
 * MOVE_RUNNING.  The next batch is as large as fits the pause budget by the
 * cost model, up to what the rate allows in that time.  When one call alone
 * costs more than the budget (a nested or overloaded machine: the shootdown
 * waits for CPUs that do not run), no batch size can meet it: batches may
 * then take twice the fixed cost, so that half of every pause moves pages
 * (move_job_budget_attainable() says so for the log).
 */
uint64_t move_job_step(struct move_job *j, const struct mover_ops *ops, void *ctx);

/* False when the measured fixed cost of one call exceeds the pause budget. */
bool move_job_budget_attainable(const struct move_job *j);

const char *move_state_name(enum move_state s);

#endif
