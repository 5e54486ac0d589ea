/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A profile against a host: read every tunable it sets on each instance
 * (block device, CPU), compare with what the profile wants (verify), plan
 * the writes (diff), and apply them through the guarded knob plan, with
 * KSM's merge_across_nodes changed by the kernel's documented sequence only
 * when the admin allows unmerging.  --persist files and the journal entry
 * are part of the same all-or-nothing apply.
 */
#ifndef KVMTUNE_PROFILE_PROFILE_PLAN_H
#define KVMTUNE_PROFILE_PROFILE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/file-plan.h"
#include "core/knob-plan.h"
#include "profile/profile.h"
#include "profile/tunables.h"

struct diag;
struct host;

enum pcheck_status {
	PC_OK,		/* holds the wanted value */
	PC_DIFFERS,	/* holds another value */
	PC_ABSENT,	/* this host has no such file: not present, not a failure */
	PC_UNAVAILABLE, /* the host does not offer the wanted value (note says what it offers) */
};

/* One tunable instance the profile sets. */
struct profile_check {
	const struct profile_setting *s;
	struct tunable_instance in;
	char now[128];
	char want[128];
	enum pcheck_status status;
	char note[320]; /* what the host offers, or why a difference is not planned */
	bool planned;	/* the plan writes it */
};

struct profile_state {
	struct profile_check *v; /* in tunable table order, then instance order */
	size_t n;
	size_t ok, differs, absent, unavailable;
	struct knob_plan plan;
	char warning[400]; /* KSM: the memory unmerging needs */
};

struct profile_opts {
	bool ksm_unmerge; /* allow plans that unmerge KSM pages (run=2, merge_across_nodes) */
	bool persist;	  /* also write sysctl.d, tmpfiles.d and udev rules */
};

/*
 * Read and compare (no writes).  Fills ret (release with
 * profile_state_release()) with a check per instance and the plan.  -EINVAL
 * for a host file with unexpected content (d names it); -ENOMEM when
 * unmerging KSM was allowed but needs more memory than is available.
 */
int profile_check(struct host *h, const struct profile *p, const struct profile_opts *o,
		  struct profile_state *ret, struct diag *d);
void profile_state_release(struct profile_state *st);
const char *pcheck_status_name(enum pcheck_status s);

#define PROFILE_SYSCTL_FILE "/etc/sysctl.d/80-kvmtune-profile.conf"
#define PROFILE_TMPFILES_FILE "/etc/tmpfiles.d/80-kvmtune-profile.conf"
#define PROFILE_UDEV_FILE "/etc/udev/rules.d/80-kvmtune-profile.rules"

/* Append the --persist files for p (values as st resolved them) to fp. */
void profile_persist_files(const struct profile *p, const struct profile_state *st,
			   struct file_plan *fp);

/*
 * Apply under the "profile" lock: check (into st), write the plan, with
 * o->persist the files (into fp), and record both in the journal as
 * command; *ret_journal_id gets the entry's id (0: nothing changed).  Any
 * failure, the journal's included, restores every value and file written
 * and returns its -errno (st and fp say what happened to each).
 */
int profile_apply(struct host *h, const struct profile *p, const struct profile_opts *o,
		  const char *command, struct profile_state *st, struct file_plan *fp,
		  uint64_t *ret_journal_id, struct diag *d);

#endif
