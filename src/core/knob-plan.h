/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plans that write kernel values (sysctls and sysfs attributes): each entry
 * holds the path, the value before, the value to write and why.  Applying
 * writes them in order, reads each one back, and on any failure restores
 * every value already written, newest first.  The same path may appear more
 * than once (KSM: run=2, merge_across_nodes, run=1).
 */
#ifndef KVMTUNE_CORE_KNOB_PLAN_H
#define KVMTUNE_CORE_KNOB_PLAN_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct host;

/* How a value read back is compared with the value written. */
enum knob_match {
	KNOB_MATCH_EXACT,   /* the file holds the value (surrounding blanks ignored) */
	KNOB_MATCH_BRACKET, /* "a [b] c": the bracketed word is the value */
};

enum knob_change_status {
	KC_PLANNED,	    /* not applied (dry run, or not reached) */
	KC_UNCHANGED,	    /* already held the value: nothing written */
	KC_WRITTEN,	    /* written and read back as asked */
	KC_FAILED,	    /* the write failed or read back otherwise */
	KC_ROLLED_BACK,	    /* written, then restored to its value before */
	KC_ROLLBACK_FAILED, /* could not be restored: problem says why */
};

struct knob_change {
	char *name; /* as the admin knows it: "vm.swappiness", "block.scheduler vda" */
	char *path;
	char *old; /* the value when the plan was made */
	char *new;
	char *reason;
	enum knob_match match;
	/* filled by knob_plan_apply() */
	enum knob_change_status status;
	char *before; /* read just before the write: what a rollback restores */
	char *got;    /* read back after the last write */
	char problem[240];
};

struct knob_plan {
	struct knob_change *v;
	size_t n;
};

/* Append an entry (every string is copied; reason may be NULL). */
void knob_plan_add(struct knob_plan *p, const char *name, const char *path, const char *old,
		   const char *new_value, enum knob_match match, const char *reason);
/* Entries that would write something (old differs from new). */
size_t knob_plan_count_changes(const struct knob_plan *p);
void knob_plan_release(struct knob_plan *p);

/*
 * Read path through h and normalise it for comparison: blanks trimmed; for
 * KNOB_MATCH_BRACKET the bracketed word (a file without brackets, as in a
 * captured tree after a write, is taken whole).  *ret is allocated.  -ENOENT
 * when absent, -EINVAL (d names the file) for bracket text without exactly
 * one bracketed word.
 */
int knob_value_read(struct host *h, const char *path, enum knob_match match, char **ret,
		    struct diag *d);

/*
 * Write every entry in order through h's write functions.  Each entry's
 * value is read first (kept as before); one that already holds the new value
 * is left alone.  A write is read back; a failed write that reads back as
 * asked counts as done (verify on failure).  On the first failure every
 * entry written so far is restored, newest first, and the -errno of the
 * failure is returned with d naming the file, the value and the reason;
 * entry statuses say what happened to each.  0 when all entries hold their
 * new values.
 */
int knob_plan_apply(struct host *h, struct knob_plan *p, struct diag *d);

/*
 * Restore every entry knob_plan_apply() wrote (statuses from that call),
 * newest first.  -EIO when one could not be restored (its problem says why).
 */
int knob_plan_rollback(struct host *h, struct knob_plan *p);

const char *knob_change_status_name(enum knob_change_status s);

#endif
