/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Placement through a VM's cgroup cpuset (see cgplace.h): read the subtree,
 * decide the writes in an order the kernel accepts, apply with read-back and
 * roll back.
 */
#include "daemon/cgplace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cgstat.h"
#include "core/host.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define CGP_MAX_DEPTH 16

/* Read dir's cpuset.<name> ("cpus", "mems") into set. */
static int read_list(struct host *h, const char *dir, const char *name, struct cpuset *set,
		     struct diag *d)
{
	AUTOFREE char *path = xasprintf("%s/cpuset.%s", dir, name);
	AUTOFREE char *text = NULL;
	int r = host_read_attr(h, path, &text, NULL, d);

	if (r < 0)
		return r;
	r = cpuset_parse_list(text, set, d);
	return r < 0 ? diag_set(d, EINVAL, path, "'%s': not a CPU or node list", path) : 0;
}

static int add_group(struct host *h, struct cgp_tree *t, char *dir, int parent, int depth,
		     struct diag *d)
{
	struct cgp_group *g;
	char **names = NULL;
	size_t me = t->n;
	int r;

	if (t->n >= CGP_MAX_GROUPS || depth > CGP_MAX_DEPTH) {
		free(dir);
		return diag_set(d, E2BIG, "cgroup", "cgroup subtree too large (over %d groups)",
				CGP_MAX_GROUPS);
	}
	t->groups = xreallocarray(t->groups, t->n + 1, sizeof(*t->groups));
	g = &t->groups[t->n++];
	*g = (struct cgp_group){dir, parent, CPUSET_INIT, CPUSET_INIT};
	r = read_list(h, dir, "cpus", &g->cpus, d);
	if (r >= 0)
		r = read_list(h, dir, "mems", &g->mems, d);
	if (r >= 0)
		r = host_list_dirs(h, dir, &names, NULL, d);
	for (char **n = names; r >= 0 && n && *n; n++) {
		char *sub = xasprintf("%s/%s", t->groups[me].dir, *n);
		AUTOFREE char *probe = xasprintf("%s/cpuset.cpus", sub);

		if (host_exists(h, probe)) /* v2: a child without the controller follows us */
			r = add_group(h, t, sub, (int)me, depth + 1, d);
		else
			free(sub);
	}
	host_names_free(names);
	return r;
}

int cgp_read(struct host *h, int pid, struct cgp_tree *ret, struct diag *d)
{
	struct cgstat_mounts cm = {0};
	struct cgp_tree t = {0};
	AUTOFREE char *probe = NULL;
	char *dir = NULL;
	int r = cgstat_mounts_load(h, &cm, d);

	if (r >= 0)
		r = cgstat_find_unit(h, &cm, pid, "cpuset", &dir, &t.v1, d);
	cgstat_mounts_release(&cm);
	if (r < 0) /* whatever kept us from the cgroup, the caller falls back */
		return r == -ENOENT ? r : diag_set(d, ENOENT, "cgroup", "%s", d ? d->msg : "");
	probe = xasprintf("%s/cpuset.cpus", dir);
	if (!host_exists(h, probe)) {
		r = diag_set(d, ENOENT, dir, "cgroup '%s' has no cpuset controller", dir);
		free(dir);
		return r;
	}
	r = add_group(h, &t, dir, -1, 0, d);
	if (r < 0) {
		cgp_tree_release(&t);
		return r;
	}
	*ret = t;
	return 0;
}

void cgp_tree_release(struct cgp_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->groups[i].dir);
		cpuset_release(&t->groups[i].cpus);
		cpuset_release(&t->groups[i].mems);
	}
	free(t->groups);
	*t = (struct cgp_tree){0};
}

static void add_step(struct cgp_plan *p, const char *dir, const char *file,
		     const struct cpuset *old, const struct cpuset *new)
{
	struct cgp_step *s;

	p->steps = xreallocarray(p->steps, p->n + 1, sizeof(*p->steps));
	s = &p->steps[p->n++];
	s->path = xasprintf("%s/cpuset.%s", dir, file);
	s->old_val = cpuset_to_list(old);
	s->new_val = cpuset_to_list(new);
}

/* The nearest explicit CPUs above group i (NULL: all inherited). */
static const struct cpuset *parent_cpus(const struct cgp_tree *t, size_t i)
{
	for (int p = t->groups[i].parent; p >= 0; p = t->groups[p].parent)
		if (!cpuset_empty(&t->groups[p].cpus))
			return &t->groups[p].cpus;
	return NULL;
}

/* Pass 1, parents first: each explicit value widened to include want. */
static void widen(const struct cgp_tree *t, struct cpuset *cur, const char *file,
		  const struct cpuset *want, struct cgp_plan *p)
{
	for (size_t i = 0; i < t->n; i++) {
		struct cpuset w = CPUSET_INIT;

		if (cpuset_empty(&cur[i]) || cpuset_subset(want, &cur[i]))
			continue;
		cpuset_copy(&w, &cur[i]);
		cpuset_or(&w, want);
		add_step(p, t->groups[i].dir, file, &cur[i], &w);
		cpuset_copy(&cur[i], &w);
		cpuset_release(&w);
	}
}

/* Pass 2, children first: each explicit value (and the unit's) set to want. */
static void narrow(const struct cgp_tree *t, struct cpuset *cur, const char *file,
		   const struct cpuset *want, struct cgp_plan *p)
{
	for (size_t k = t->n; k-- > 0;) {
		if ((k && cpuset_empty(&cur[k])) || cpuset_equal(&cur[k], want))
			continue;
		add_step(p, t->groups[k].dir, file, &cur[k], want);
		cpuset_copy(&cur[k], want);
	}
}

static struct cpuset *copy_values(const struct cgp_tree *t, bool mems)
{
	struct cpuset *cur = xcalloc(t->n ? t->n : 1, sizeof(*cur));

	for (size_t i = 0; i < t->n; i++)
		cpuset_copy(&cur[i], mems ? &t->groups[i].mems : &t->groups[i].cpus);
	return cur;
}

static void free_values(struct cpuset *cur, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cpuset_release(&cur[i]);
	free(cur);
}

int cgp_decide_start(const struct cgp_tree *t, const struct cpuset *cpus,
		     const struct cpuset *nodes, struct cgp_plan *ret, struct diag *d)
{
	struct cgp_plan p = {0};
	struct cpuset *cur;

	for (size_t i = 1; i < t->n; i++) {
		const struct cpuset *above = parent_cpus(t, i);

		if (!cpuset_empty(&t->groups[i].cpus) && above &&
		    !cpuset_subset(above, &t->groups[i].cpus)) {
			AUTOFREE char *own = cpuset_to_list(&t->groups[i].cpus);

			return diag_set(d, EPERM, t->groups[i].dir,
					"cgroup '%s' is narrowed to CPUs %s: pinned by its owner",
					t->groups[i].dir, own);
		}
	}
	cur = copy_values(t, true);
	widen(t, cur, "mems", nodes, &p);
	free_values(cur, t->n);
	cur = copy_values(t, false);
	widen(t, cur, "cpus", cpus, &p);
	narrow(t, cur, "cpus", cpus, &p);
	free_values(cur, t->n);
	*ret = p;
	return 0;
}

void cgp_decide_finish(const struct cgp_tree *t, const struct cpuset *nodes, struct cgp_plan *ret)
{
	struct cgp_plan p = {0};
	struct cpuset *cur = copy_values(t, true);

	narrow(t, cur, "mems", nodes, &p);
	free_values(cur, t->n);
	*ret = p;
}

/* Write value (an empty list as "\n": v2's "inherit") and read the same set back. */
static int write_checked(struct host *h, const char *path, const char *value, struct diag *d)
{
	AUTOFREE char *back = NULL;
	struct cpuset want = CPUSET_INIT, got = CPUSET_INIT;
	int r = host_write(h, path, *value ? value : "\n", d);

	if (r >= 0)
		r = host_read_attr(h, path, &back, NULL, d);
	if (r >= 0 && (cpuset_parse_list(value, &want, NULL) < 0 ||
		       cpuset_parse_list(back, &got, NULL) < 0 || !cpuset_equal(&want, &got))) {
		AUTOFREE char *shown = str_escape(back, 64);

		r = diag_set(d, EIO, path, "wrote '%s' to '%s' but it reads back '%s'", value, path,
			     shown);
	}
	cpuset_release(&want);
	cpuset_release(&got);
	return r;
}

int cgp_apply(struct host *h, const struct cgp_plan *p, struct diag *d)
{
	size_t done;
	int r = 0;

	for (done = 0; done < p->n; done++) {
		r = write_checked(h, p->steps[done].path, p->steps[done].new_val, d);
		if (r < 0)
			break;
	}
	if (r >= 0)
		return 0;
	/* the failed step may have half-happened (read back differs): undo it too */
	for (size_t k = done + 1; k-- > 0;) {
		struct diag ud = {0};

		char first[sizeof(d->msg)];

		if (write_checked(h, p->steps[k].path, p->steps[k].old_val, &ud) < 0 && k < done &&
		    d) {
			snprintf(first, sizeof(first), "%s", d->msg);
			diag_set(d, -r, p->steps[done].path, "%.200s; rolling back: %.200s", first,
				 ud.msg);
		}
	}
	return r;
}

void cgp_plan_release(struct cgp_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->steps[i].path);
		free(p->steps[i].old_val);
		free(p->steps[i].new_val);
	}
	free(p->steps);
	*p = (struct cgp_plan){0};
}
