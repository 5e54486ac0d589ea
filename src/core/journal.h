/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The undo journal: every command that changes the host records what it
 * changed (each value or file, its old and new value, the command, the time)
 * as one entry under JOURNAL_DIR below the root, written atomically under
 * the "journal" host lock.  Writers build an entry from their plans
 * (knob, hugepage and file plans) and record it; 'kvmtune undo' (undo.h)
 * reads entries back and reverts them.  Files' contents are kept byte for
 * byte (base64 in the JSON document).
 */
#ifndef KVMTUNE_CORE_JOURNAL_H
#define KVMTUNE_CORE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/knob-plan.h"

struct diag;
struct file_plan;
struct host;
struct hp_plan;
struct hp_result;

#define JOURNAL_DIR "/var/lib/kvmtune/journal"
/* How long a writer waits for another one to finish recording. */
#define JOURNAL_LOCK_TIMEOUT_MS 30000

enum journal_kind {
	JOURNAL_VALUE,	   /* a sysctl or sysfs value below the root */
	JOURNAL_POOL,	   /* a hugepage pool's nr_hugepages below the root */
	JOURNAL_FILE,	   /* a whole file below the root (absent before or after) */
	JOURNAL_USER_FILE, /* a file the admin named (a domain XML): an absolute path */
};

struct journal_change {
	enum journal_kind kind;
	char *path;
	/* values and pools: strings; files: bytes (NUL-terminated too) or NULL: absent */
	char *old;
	size_t old_len;
	char *new;
	size_t new_len;
	enum knob_match match; /* values */
	mode_t mode;	       /* files: the mode to restore a removed file with */
};

struct journal_entry {
	uint64_t id;	  /* 0 until recorded */
	int64_t time_s;	  /* when recorded (seconds since the epoch) */
	char *command;	  /* the command line that made the changes */
	int64_t undone_s; /* when undone, 0 if not */
	char *undone_by;  /* the undo command line, NULL if not undone */
	struct journal_change *changes;
	size_t nchanges;
};

/* Start an entry for command (copied). */
void journal_entry_init(struct journal_entry *e, const char *command);
void journal_entry_release(struct journal_entry *e);

void journal_add_value(struct journal_entry *e, const char *path, const char *old,
		       const char *new_value, enum knob_match match);
void journal_add_pool(struct journal_entry *e, const char *path, int64_t old_pages,
		      int64_t new_pages);
/* A file below the root (JOURNAL_FILE) or a user's file (JOURNAL_USER_FILE); NULL: absent. */
void journal_add_file(struct journal_entry *e, enum journal_kind kind, const char *path,
		      const char *old, size_t old_len, const char *new_content, size_t new_len,
		      mode_t mode);
/* The entries knob_plan_apply() wrote: their value before and as read back. */
void journal_add_knob_plan(struct journal_entry *e, const struct knob_plan *p);
/* The pools hugepages_apply() changed (results from that call): before and got. */
void journal_add_hp_plan(struct journal_entry *e, const struct hp_plan *p,
			 const struct hp_result *results);
/* The files file_plan_apply() wrote. */
void journal_add_file_plan(struct journal_entry *e, const struct file_plan *p);

/*
 * Record e: take the "journal" lock, give e the next id, and write it
 * atomically to JOURNAL_DIR/<id>.json through h's write functions (so a
 * test hook sees it).  An entry without changes is not written (id stays
 * 0).  -EAGAIN when the lock stays busy, other -errno of the writes.
 */
int journal_record(struct host *h, struct journal_entry *e, struct diag *d);

/*
 * Write e again under its id (marking it undone).  The caller holds the
 * "journal" lock.
 */
int journal_save(struct host *h, const struct journal_entry *e, struct diag *d);

/*
 * Every entry, oldest first (*ret allocated, release each and free it).  An
 * absent journal is empty.  An entry that does not parse fails with -EINVAL
 * and a diag naming its file; on the live host an entry that another user
 * could have written (not owned by us, or writable by group or others) fails
 * with -EPERM.
 */
int journal_list(struct host *h, struct journal_entry **ret, size_t *ret_n, struct diag *d);
void journal_list_free(struct journal_entry *v, size_t n);

/* Parse one entry's JSON text (hostile input: every field checked).  -EINVAL with a diag. */
int journal_entry_parse(const char *text, size_t len, struct journal_entry *ret, struct diag *d);
/* The entry as the JSON document stored on disk (caller frees). */
char *journal_entry_format(const struct journal_entry *e);

const char *journal_kind_name(enum journal_kind k);

#endif
