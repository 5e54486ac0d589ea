/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reverting one journal entry ('kvmtune undo'): every value, pool and file
 * it changed goes back to its old value, all or nothing, unless something
 * else changed one of them since (then nothing is done without force).
 */
#ifndef KVMTUNE_CORE_UNDO_H
#define KVMTUNE_CORE_UNDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/journal.h"

struct diag;
struct host;

enum undo_status {
	UNDO_PLANNED,	   /* not applied (dry run, or refused) */
	UNDO_CURRENT,	   /* already holds its old value: nothing to do */
	UNDO_REVERTED,	   /* now holds its old value again */
	UNDO_FAILED,	   /* could not be reverted (detail says why) */
	UNDO_ROLLED_BACK,  /* reverted, then put back when another change failed */
	UNDO_STILL_CHANGED /* reverting failed and so did putting it back */
};

/* One change of the entry: what it holds now and what became of it. */
struct undo_item {
	const struct journal_change *change; /* in report->entry */
	bool conflict;			     /* now is neither the journal's new nor its old */
	char now[160];			     /* values: the value; files: a summary */
	enum undo_status status;
	char detail[240];
};

struct undo_report {
	struct journal_entry entry; /* the entry undone (or to undo) */
	struct undo_item *items;    /* one per change, in the entry's order */
	size_t nitems;
	size_t nconflicts;
};

struct undo_opts {
	uint64_t id;	     /* 0: the latest entry not undone yet */
	bool force;	     /* revert even what changed since */
	bool dry_run;	     /* only check and report */
	const char *command; /* recorded as the entry's undoer */
	unsigned timeout_s;  /* for pools that must grow back */
};

/*
 * Undo one entry: lock as writers do ("hugepages", "profile", "journal"),
 * find it, compare what every path holds now with the entry's new values,
 * and revert all of them (newest change first), reading each back; on any
 * failure every reverted change is put back.  Then the entry is marked
 * undone.  Returns 0 when undone (or, dry run, when it could be), and:
 *   -ENOENT  no such entry, or nothing left to undo;
 *   -EALREADY the entry was undone before;
 *   -ESTALE  something changed a path since (items say which), nothing done;
 *   -EPERM   a user file outside the root of a captured tree, or an entry
 *            we do not trust (journal_list);
 *   other -errno of the writes, after everything was put back.
 * report is filled whenever the entry was found; release it either way.
 */
int undo_run(struct host *h, const struct undo_opts *o, struct undo_report *report, struct diag *d);
void undo_report_release(struct undo_report *r);

/*
 * Put back every change of an entry that its writer could not record in the
 * journal (so that nothing happens that undo cannot revert): each value,
 * pool and file to its old value, newest first, without checks.  -errno of
 * the first failure (the others are still tried).
 */
int undo_revert_unrecorded(struct host *h, const struct journal_entry *e, struct diag *d);
const char *undo_status_name(enum undo_status s);

#endif
