/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'kvmtune bench memory': measure what a memory access costs on this host
 * for every (CPU node, memory node) pair and every page kind the host
 * offers (4 KiB, THP, hugetlb 2 MiB / 1 GiB).  The measuring thread is
 * pinned to the CPU node's CPUs (sched_setaffinity), the buffer bound to
 * the memory node (mbind) and its placement verified (move_pages); hugetlb
 * pages are taken for the run through the guarded reservation path and
 * given back on every way out (see mempages.h).  Never prints: progress
 * goes to a callback.
 */
#ifndef KVMTUNE_BENCH_MEMBENCH_H
#define KVMTUNE_BENCH_MEMBENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/memcost.h"

struct diag;
struct host;
struct host_model;

/* Progress of a run, for the caller to show (fraction 0..1 of the planned cells). */
typedef void (*membench_progress_fn)(void *userdata, double fraction, const char *what);

struct membench_opts {
	const int *nodes; /* --nodes; NULL: every node (CPU nodes x memory nodes) */
	size_t nnodes;
	const struct memcost_page *pages; /* the page kinds, in the order to measure */
	size_t npages;
	uint64_t buffer_kib; /* per buffer, a multiple of the largest page size */
	double seconds;	     /* the whole run's budget */
	uint64_t seed;
	membench_progress_fn progress;
	void *progress_data;
	volatile sig_atomic_t *stop; /* set (by a signal handler) to end early; may be NULL */
};

/* One measured (or skipped) cell. */
struct membench_cell {
	struct memcost_cell c;
	unsigned samples; /* latency samples behind the median; 0: not measured */
	char note[200];	  /* why not measured, or what differed from the ask */
	void *sink;	  /* where the chase stopped (keeps its loads from being optimised out) */
};

struct membench_naive {
	int cpu_node;	/* where it ran (first-touch memory: the same node), -1: not run */
	double ns;	/* mean over whole passes */
	uint64_t loads; /* loads timed */
	char note[200];
};

struct membench_result {
	struct membench_cell *cells; /* page kind, then memory node, then CPU node */
	size_t ncells;
	struct membench_naive naive;
	double elapsed_s;
	bool stopped; /* ended early by opts.stop */
};

/*
 * Check the request against the model: nodes that exist (CPU nodes must have
 * CPUs, memory nodes memory), page sizes the CPU and kernel offer, a buffer
 * that is a whole number of the largest page and at most half the smallest
 * memory node.  -EINVAL/-ERANGE with a diag naming the option.
 */
int membench_check(const struct host_model *m, const struct membench_opts *o, struct diag *d);

/*
 * Run the measurement on the live host h described by m.  Cells that
 * could not be measured (no hugetlb pages to be had, time ran out) are
 * kept with samples 0 and a note.  Returns 0, or -EINTR when opts.stop
 * ended it (what was measured is kept), or -errno on a failure that ends
 * the whole run; every hugetlb page taken is given back before returning.
 * Release ret with membench_result_release().
 */
int membench_run(struct host *h, const struct host_model *m, const struct membench_opts *o,
		 struct membench_result *ret, struct diag *d);
void membench_result_release(struct membench_result *r);

/* The measured cells as saved costs (time, kernel and buffer filled in by the caller). */
void membench_to_costs(const struct membench_result *r, struct memcost *ret);

#endif
