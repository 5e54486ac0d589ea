/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Verify and plan a profile against a host; apply it all or nothing, with its journal entry. */
#include "profile-plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/host.h"
#include "core/journal.h"
#include "core/meminfo.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define PROFILE_LOCK_TIMEOUT_MS 30000
#define KSM_DIR "/sys/kernel/mm/ksm/"

const char *pcheck_status_name(enum pcheck_status s)
{
	static const char *const names[] = {
		[PC_OK] = "ok",
		[PC_DIFFERS] = "differs",
		[PC_ABSENT] = "not-present",
		[PC_UNAVAILABLE] = "unavailable",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void profile_state_release(struct profile_state *st)
{
	knob_plan_release(&st->plan);
	free(st->v);
	memset(st, 0, sizeof(*st));
}

/* The wanted value of an INT tunable, given what it holds now. */
static int want_int(const struct profile_check *c, int64_t *ret_now, struct diag *d)
{
	int64_t now = 0, v = 0;

	if (parse_i64(c->now, &now) < 0) {
		AUTOFREE char *shown = str_escape(c->now, 40);

		return diag_set(d, EINVAL, c->in.path, "'%s' holds '%s', expected a number",
				c->in.path, shown);
	}
	(void)parse_i64(c->s->value, &v); /* canonical since the profile was loaded */
	*ret_now = now;
	return (int)(c->s->op == PROFILE_MIN && now >= v);
}

static int check_one(struct host *h, struct profile_check *c, struct diag *d)
{
	const struct tunable *t = c->s->t;
	AUTOFREE char *now = NULL;
	AUTOFREE char *choices = NULL;
	int64_t n = 0;
	int r;

	(void)snprintf(c->want, sizeof(c->want), "%s", c->s->value);
	r = knob_value_read(h, c->in.path, t->match, &now, d);
	if (r == -ENOENT || r == -ENOTDIR) {
		diag_clear(d);
		(void)snprintf(c->now, sizeof(c->now), "-");
		c->status = PC_ABSENT;
		return 0;
	}
	if (r < 0)
		return r;
	(void)snprintf(c->now, sizeof(c->now), "%s", now);
	if (t->kind == TUNABLE_INT) {
		r = want_int(c, &n, d);
		if (r < 0)
			return r;
		if (r > 0)
			(void)snprintf(c->want, sizeof(c->want), "%" PRId64, n);
	} else if (t->kind == TUNABLE_WORD) {
		choices = tunable_choices(h, t, &c->in);
		if (choices && !tunable_word_in(choices, c->want)) {
			c->status = PC_UNAVAILABLE;
			(void)snprintf(c->note, sizeof(c->note), "this host offers: %s", choices);
			return 0;
		}
	} else if (!tunable_resolve_latency(h, c->s->value, c->in.name, c->want, sizeof(c->want))) {
		c->status = PC_UNAVAILABLE;
		(void)snprintf(c->note, sizeof(c->note),
			       "no alternative of '%s' exists on %s (no such cpuidle state)",
			       c->s->value, c->in.name);
		return 0;
	}
	c->status = strcmp(c->now, c->want) == 0 ? PC_OK : PC_DIFFERS;
	return 0;
}

static int add_checks(struct host *h, const struct profile *p, const struct tunable *t,
		      struct profile_state *st, struct diag *d)
{
	struct tunable_instance *in = NULL;
	size_t n = 0;
	int r;

	if (!profile_find(p, t, -1) && t->scope != TUNABLE_BLOCK)
		return 0;
	r = tunable_instances(h, t, &in, &n, d);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		const struct profile_setting *s = profile_find(p, t, (int)in[i].cls);
		struct profile_check *c;

		if (!s)
			continue;
		st->v = xreallocarray(st->v, st->n + 1, sizeof(*st->v));
		c = &st->v[st->n++];
		memset(c, 0, sizeof(*c));
		c->s = s;
		c->in = in[i];
		r = check_one(h, c, d);
	}
	free(in);
	return r;
}

static void plan_entry(struct profile_state *st, struct profile_check *c)
{
	char name[128];

	if (c->in.name[0])
		(void)snprintf(name, sizeof(name), "%s %s", c->s->t->name, c->in.name);
	else
		(void)snprintf(name, sizeof(name), "%s", c->s->t->name);
	knob_plan_add(&st->plan, name, c->in.path, c->now, c->want, c->s->t->match, c->s->why);
	c->planned = true;
}

static struct profile_check *find_check(struct profile_state *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->v[i].s->t->name, name) == 0)
			return &st->v[i];
	return NULL;
}

static int64_t ksm_count(struct host *h, const char *file)
{
	AUTOFREE char *path = xasprintf(KSM_DIR "%s", file);
	unsigned long long v;

	return host_read_u64(h, path, &v, NULL) < 0 || v > INT64_MAX ? 0 : (int64_t)v;
}

static int64_t mem_available_kib(struct host *h)
{
	AUTOFREE char *text = NULL;
	struct meminfo mi = MEMINFO_INIT;
	uint64_t v = 0;

	if (host_read(h, "/proc/meminfo", &text, NULL, NULL) < 0 ||
	    meminfo_parse(text, &mi, NULL) < 0)
		return -1;
	if (!meminfo_get(&mi, "MemAvailable", &v) && !meminfo_get(&mi, "MemFree", &v))
		v = 0;
	meminfo_release(&mi);
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/*
 * Unmerging copies every shared page back: pages_sharing pages of the base
 * page size.  Fills the warning; -ENOMEM when it exceeds MemAvailable.
 */
static int unmerge_cost(struct host *h, struct profile_state *st, struct diag *d)
{
	uint64_t sharing = (uint64_t)ksm_count(h, "pages_sharing"), kib;
	uint64_t page_kib = (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
	int64_t avail = mem_available_kib(h);
	char need[32], have[32];

	if (!safe_mul_u64(sharing, page_kib ? page_kib : 4, &kib))
		kib = UINT64_MAX;
	format_size_kib(kib, need, sizeof(need));
	format_size_kib(avail > 0 ? (uint64_t)avail : 0, have, sizeof(have));
	if (sharing)
		(void)snprintf(st->warning, sizeof(st->warning),
			       "unmerging KSM copies %" PRIu64 " shared pages back: %s of memory "
			       "(MemAvailable %s)",
			       sharing, need, have);
	if (avail >= 0 && kib > (uint64_t)avail)
		return diag_set(d, ENOMEM, KSM_DIR "pages_sharing",
				"unmerging KSM needs %s (pages_sharing %" PRIu64 " x %" PRIu64
				" KiB) but only %s is available: refusing",
				need, sharing, page_kib, have);
	return 0;
}

/*
 * KSM: merge_across_nodes changes only with no page shared, so the kernel
 * documents run=2 (unmerge all), set it, then run as before.  Any plan that
 * unmerges pages needs o->ksm_unmerge.
 */
static int plan_ksm(struct host *h, struct profile_state *st, const struct profile_opts *o,
		    struct diag *d)
{
	struct profile_check *run = find_check(st, "ksm.run");
	struct profile_check *merge = find_check(st, "ksm.merge_across_nodes");
	bool merge_change = merge && merge->status == PC_DIFFERS;
	bool run_change = run && run->status == PC_DIFFERS;
	int64_t sharing = ksm_count(h, "pages_sharing") + ksm_count(h, "pages_shared");
	const char *run_now = run ? run->now : NULL;
	bool run_to_2 = run_change && strcmp(run ? run->want : "", "2") == 0;
	AUTOFREE char *run_read = NULL;
	bool unmerge, added_unmerge;

	if (!merge_change && !run_change)
		return 0;
	if (!run_now && knob_value_read(h, KSM_DIR "run", KNOB_MATCH_EXACT, &run_read, NULL) >= 0)
		run_now = run_read;
	unmerge = (merge_change && (sharing > 0 || (run_now && strcmp(run_now, "1") == 0))) ||
		  (run_to_2 && sharing > 0);
	if (unmerge) {
		int r = unmerge_cost(h, st, d);

		if (!o->ksm_unmerge) {
			static const char note[] = "needs --ksm-unmerge (KSM must unmerge every "
						   "shared page first)";

			if (merge_change)
				(void)snprintf(merge->note, sizeof(merge->note), "%s", note);
			if (run_to_2)
				(void)snprintf(run->note, sizeof(run->note), "%s", note);
			else if (run_change)
				plan_entry(st, run);
			return 0;
		}
		if (r < 0)
			return r;
	}
	added_unmerge = merge_change && unmerge && run_now && strcmp(run_now, "2") != 0;
	if (added_unmerge)
		knob_plan_add(&st->plan, "ksm.run", KSM_DIR "run", run_now, "2", KNOB_MATCH_EXACT,
			      "unmerge every KSM page, so that merge_across_nodes can change");
	if (merge_change)
		plan_entry(st, merge);
	if (run_to_2 && added_unmerge)
		run->planned = true; /* the unmerge step is the profile's own run=2 */
	else if (run_change)
		plan_entry(st, run);
	else if (added_unmerge)
		knob_plan_add(&st->plan, "ksm.run", KSM_DIR "run", "2", run_now, KNOB_MATCH_EXACT,
			      "restart KSM as it was");
	return 0;
}

int profile_check(struct host *h, const struct profile *p, const struct profile_opts *o,
		  struct profile_state *ret, struct diag *d)
{
	struct profile_state st = {0};
	bool ksm_done = false;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < tunable_count; i++)
		r = add_checks(h, p, &tunable_table[i], &st, d);
	for (size_t i = 0; r >= 0 && i < st.n; i++) {
		struct profile_check *c = &st.v[i];

		st.ok += c->status == PC_OK;
		st.differs += c->status == PC_DIFFERS;
		st.absent += c->status == PC_ABSENT;
		st.unavailable += c->status == PC_UNAVAILABLE;
		if (strcmp(c->s->t->name, "ksm.run") == 0 ||
		    strcmp(c->s->t->name, "ksm.merge_across_nodes") == 0) {
			if (!ksm_done)
				r = plan_ksm(h, &st, o, d);
			ksm_done = true;
			continue;
		}
		if (c->status == PC_DIFFERS)
			plan_entry(&st, c);
	}
	if (r < 0) {
		profile_state_release(&st);
		return r;
	}
	*ret = st;
	return 0;
}

int profile_apply(struct host *h, const struct profile *p, const struct profile_opts *o,
		  const char *command, struct profile_state *st, struct file_plan *fp,
		  uint64_t *ret_journal_id, struct diag *d)
{
	AUTOCLOSE int lock = -1;
	struct journal_entry e;
	int r;

	*ret_journal_id = 0;
	lock = host_lock(h, "profile", PROFILE_LOCK_TIMEOUT_MS, d);
	if (lock < 0)
		return lock;
	r = profile_check(h, p, o, st, d);
	if (r < 0)
		return r;
	if (o->persist) {
		profile_persist_files(p, st, fp);
		r = file_plan_load_old(h, fp, d);
		if (r < 0)
			return r;
	}
	r = knob_plan_apply(h, &st->plan, d);
	if (r < 0)
		return r;
	if (o->persist) {
		r = file_plan_apply(h, fp, d);
		if (r < 0) {
			(void)knob_plan_rollback(h, &st->plan);
			return r;
		}
	}
	journal_entry_init(&e, command);
	journal_add_knob_plan(&e, &st->plan);
	journal_add_file_plan(&e, fp);
	r = journal_record(h, &e, d);
	*ret_journal_id = e.id;
	journal_entry_release(&e);
	if (r < 0) {
		file_plan_rollback(h, fp);
		(void)knob_plan_rollback(h, &st->plan);
	}
	return r;
}
