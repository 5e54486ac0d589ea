/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applying a hugepage plan: write each pool, read it back, fight
 * fragmentation (grow in steps, compact, optionally drop clean caches, retry
 * within a time limit), and roll every changed pool back on a hard error.
 */
#ifndef KVMTUNE_CORE_HUGEPAGES_APPLY_H
#define KVMTUNE_CORE_HUGEPAGES_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;
struct hp_change;
struct hp_plan;

enum hp_status {
	HP_PLANNED,	/* not applied (dry run, or not reached) */
	HP_UNCHANGED,	/* already at the asked size: nothing written */
	HP_MET,		/* read back as asked */
	HP_SHORT,	/* fewer pages than asked: the memory could not be found */
	HP_FAILED,	/* a write failed (hard error) */
	HP_ROLLED_BACK, /* changed, then restored to its old size */
	HP_ROLLBACK_FAILED,
};

/* The outcome of one plan entry. */
struct hp_result {
	enum hp_status status;
	int64_t before_pages; /* read just before the first write: what rollback restores */
	int64_t got_pages;    /* read back after the last write; old_pages when never written */
	unsigned compactions;
	bool dropped_caches;
	bool changed; /* a write left the pool at another size than before (maybe restored since) */
	char reason[200];    /* why short or failed, "" when met */
	char next_step[200]; /* what the admin can do about a shortfall */
};

/* Progress of a long operation, for the caller to show (core never prints). */
typedef void (*hp_progress_fn)(void *userdata, const struct hp_change *c, int64_t got_pages,
			       const char *what);

struct hp_apply_opts {
	unsigned timeout_s;  /* per plan, >= 1 */
	bool drop_caches;    /* allow writing /proc/sys/vm/drop_caches when stuck */
	unsigned step_parts; /* grow in this many steps (0: 8) */
	hp_progress_fn progress;
	void *progress_data;
};

/*
 * Apply plan; results must have plan->nchanges entries.  Returns 0 when
 * every pool reads back as asked, 1 when some pools are short (what was
 * obtained is kept; results say why and what to do), or -errno on a hard
 * error, after every pool already changed has been restored (results say
 * which; d names the failed write and, if a restore failed, that too).
 */
int hugepages_apply(struct host *h, const struct hp_plan *plan, const struct hp_apply_opts *o,
		    struct hp_result *results, struct diag *d);

/*
 * Restore every pool hugepages_apply() changed (results from that call) to
 * its size before it.  Returns -EIO when a pool could not be restored (its
 * result says why), else 0.
 */
int hugepages_rollback(struct host *h, const struct hp_plan *plan, struct hp_result *results);

/*
 * A boot-time fix for the short pools of one size, as kernel command line
 * words ("hugepagesz=1G hugepages=0:8,1:8"), into buf.  Returns false when
 * no pool of that size is short.
 */
bool hugepages_boot_hint(const struct hp_plan *plan, const struct hp_result *results,
			 uint64_t size_kib, char *buf, size_t bufsz);

const char *hp_status_name(enum hp_status s);

/* What an apply did to the host as a whole, for the report and the exit code. */
enum hp_outcome {
	HP_OUTCOME_MET,		    /* every pool as asked */
	HP_OUTCOME_PARTIAL,	    /* some pools short; what was got is kept */
	HP_OUTCOME_NOTHING_CHANGED, /* failed before any pool changed size */
	HP_OUTCOME_ROLLED_BACK,	    /* failed; every pool that changed was restored */
	HP_OUTCOME_ROLLBACK_FAILED, /* failed; some pool could not be restored */
};

/* The outcome of hugepages_apply() (r its return value, results its results). */
enum hp_outcome hugepages_outcome(const struct hp_plan *plan, const struct hp_result *results,
				  int r);
/* One line for it: "request met", "failed: nothing was changed", ... */
const char *hp_outcome_text(enum hp_outcome o);

#endif
