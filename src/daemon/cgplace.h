/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPU (and memory node) placement through a VM's cgroup cpuset, cgroup v1 or
 * v2: read the cpuset subtree of the process's own unit (a libvirt machine
 * scope and its emulator/vcpuN children), decide the writes (pure), apply
 * them through the host seam with read-back, and roll all of them back when
 * one fails.
 *
 * Order of writes: the kernel (v1) refuses a child wider than its parent and
 * a parent narrower than a child, so every move goes in two passes: widen
 * (parents first) each group to old | new, then narrow (children first) to
 * new.  Every intermediate state is one the kernel accepts, and so is the
 * same list undone in reverse.
 *
 * Memory nodes: writing cpuset.mems migrates the pages outside it at once
 * (v2 always, v1 with cpuset.memory_migrate), the stall the daemon avoids by
 * moving pages in rate-limited batches itself.  So a move first only widens
 * mems to include the target (nothing to migrate), the mover moves the pages,
 * and only when the move ran to its end with at most 1 % of its pages
 * refused (busy) are mems narrowed to the target (the kernel migrates those
 * few; new allocations land there from then on).  A move that ends early
 * (the VM vanished, SIGTERM, the target short) keeps the widened mems: a
 * consistent state, nothing half-applied.
 */
#ifndef KVMTUNE_DAEMON_CGPLACE_H
#define KVMTUNE_DAEMON_CGPLACE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cpuset.h"

struct diag;
struct host;

#define CGP_MAX_GROUPS 256

/* One cgroup of the subtree, as read: v2 leaves a value empty to inherit the parent's. */
struct cgp_group {
	char *dir;  /* host path */
	int parent; /* index in the tree, -1 for the unit itself */
	struct cpuset cpus, mems;
};

/* The unit's cpuset subtree, parents before children. */
struct cgp_tree {
	bool v1;
	struct cgp_group *groups;
	size_t n;
};

/* One write: path gets new, had old (restored on rollback). */
struct cgp_step {
	char *path;
	char *old_val, *new_val;
};

struct cgp_plan {
	struct cgp_step *steps;
	size_t n;
};

/*
 * Read pid's cpuset subtree.  -ENOENT (d says why) when there is none to use:
 * pid in the root cgroup, sharing its cgroup with other processes, or in a
 * cgroup without the cpuset controller; the caller falls back to
 * sched_setaffinity.
 */
int cgp_read(struct host *h, int pid, struct cgp_tree *ret, struct diag *d);
void cgp_tree_release(struct cgp_tree *t);

/*
 * The writes that put the subtree's CPUs on cpus and widen its memory nodes
 * to include nodes (see the order above).  A group holding explicit CPUs
 * that are neither its parent's nor a superset of them was narrowed by
 * someone else (an admin's or libvirt's pin): -EPERM naming it, no plan.
 */
int cgp_decide_start(const struct cgp_tree *t, const struct cpuset *cpus,
		     const struct cpuset *nodes, struct cgp_plan *ret, struct diag *d);
/* The writes that narrow the subtree's memory nodes to nodes, children first. */
void cgp_decide_finish(const struct cgp_tree *t, const struct cpuset *nodes, struct cgp_plan *ret);

/*
 * Write each step in order and read it back (the same set must come back);
 * on the first failure undo the steps written, in reverse order, and return
 * its -errno with d naming the file, the value and the reason.
 */
int cgp_apply(struct host *h, const struct cgp_plan *p, struct diag *d);
void cgp_plan_release(struct cgp_plan *p);

#endif
