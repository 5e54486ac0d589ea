/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plans that write configuration files (sysctl.d, systemd units, grub
 * drop-ins): each entry keeps the file's old content so that a failed apply
 * restores every file already written.  Writes are atomic (temp + rename)
 * through the host seam, so fixture roots work.
 */
#ifndef KVMTUNE_CORE_FILE_PLAN_H
#define KVMTUNE_CORE_FILE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct diag;
struct host;

struct file_change {
	char *path;
	char *old_content; /* NULL: the file is absent (filled by file_plan_load_old) */
	char *new_content;
	mode_t mode;
	char reason[160];
	bool written; /* set by file_plan_apply */
};

struct file_plan {
	struct file_change *v;
	size_t n;
};

/* Append path with new content (copied) and a reason. */
void file_plan_add(struct file_plan *p, const char *path, const char *content, mode_t mode,
		   const char *reason);
/* Whether the entry changes its file (content differs or the file is absent). */
bool file_change_needed(const struct file_change *c);
/* Read each file's current content (absent is fine).  -errno on other read errors. */
int file_plan_load_old(struct host *h, struct file_plan *p, struct diag *d);
/*
 * Write every changed file atomically (creating parent directories).  On a
 * failure, restores the files already written (old content, or removes them)
 * and returns the -errno of the failed write with d naming it.
 */
int file_plan_apply(struct host *h, struct file_plan *p, struct diag *d);
/*
 * Restore every file file_plan_apply() wrote (after a later step failed):
 * old content back, or removed when it was absent.  Best effort.
 */
void file_plan_rollback(struct host *h, struct file_plan *p);
void file_plan_release(struct file_plan *p);

#endif
