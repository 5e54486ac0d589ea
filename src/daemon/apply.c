/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applying one move: for hugetlb pages the target node's pool grown first
 * (pool.c; when it cannot grow, nothing of the VM moves), then CPU affinity
 * (through the VM's own cgroup cpuset when it has one, cgplace.c: CPUs set,
 * memory nodes widened to include the target, and narrowed to it once every
 * page moved; else sched_setaffinity on every thread), then memory with
 * move_pages(2) in batches (mover.c), run on the target's CPUs, and the
 * source pools shrunk after by what was freed there.  The system calls go
 * through a seam (struct dm_sys) that the unit tests fake.
 */
#include <errno.h>
#include <numaif.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/host.h"
#include "core/model.h"
#include "core/numamaps.h"
#include "core/vmspec.h"
#include "daemon/cgplace.h"
#include "daemon/daemon.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Pages listed per move, at most (4 GiB of 4 KiB pages); the rest waits for a later tick. */
#define DM_MAX_PAGES (1u << 20)
#define DM_QUERY_CHUNK 4096

struct dm_moved *dm_apply_hold(struct daemon *dm, int pid, uint64_t hold_us)
{
	uint64_t now = dm_now_us();
	size_t out = 0;

	for (size_t i = 0; i < dm->nmoved; i++) /* forget what cooled down: the list stays small */
		if (dm->moved[i].pid != pid && now - dm->moved[i].at_us < dm->moved[i].hold_us)
			dm->moved[out++] = dm->moved[i];
	dm->moved = xreallocarray(dm->moved, out + 1, sizeof(*dm->moved));
	dm->moved[out] = (struct dm_moved){.pid = pid, .at_us = now, .hold_us = hold_us};
	dm->nmoved = out + 1;
	return &dm->moved[out];
}

void dm_apply_remember(struct daemon *dm, int pid)
{
	(void)dm_apply_hold(dm, pid, (uint64_t)dm->cfg.cooldown_s * 1000000u);
}

const char *dm_apply_held_why(const struct daemon *dm, int pid)
{
	uint64_t now = dm_now_us();

	for (size_t i = 0; i < dm->nmoved; i++)
		if (dm->moved[i].pid == pid && dm->moved[i].why[0] &&
		    now - dm->moved[i].at_us < dm->moved[i].hold_us)
			return dm->moved[i].why;
	return NULL;
}

const struct dm_placed *dm_apply_placed(const struct daemon *dm, int pid)
{
	for (size_t i = 0; i < dm->nplaced; i++)
		if (dm->placed[i].pid == pid)
			return &dm->placed[i];
	return NULL;
}

/* Note how pid's CPUs were placed; forget the VMs the last tick no longer saw. */
static void note_placed(struct daemon *dm, const struct dm_placed *p)
{
	size_t out = 0;

	for (size_t i = 0; i < dm->nplaced; i++) {
		bool seen = false;

		for (size_t k = 0; k < dm->nseen && !seen; k++)
			seen = dm->seen[k].pid == dm->placed[i].pid;
		if (seen && dm->placed[i].pid != p->pid)
			dm->placed[out++] = dm->placed[i];
	}
	dm->placed = xreallocarray(dm->placed, out + 1, sizeof(*dm->placed));
	dm->placed[out] = *p;
	dm->nplaced = out + 1;
}

static void action_release(struct daemon *dm);

void dm_apply_release(struct daemon *dm)
{
	action_release(dm);
	free(dm->moved);
	dm->moved = NULL;
	dm->nmoved = 0;
	free(dm->placed);
	dm->placed = NULL;
	dm->nplaced = 0;
	dm->nbackoff = 0;
}

static int real_move(void *ctx, int pid, size_t n, void *const *pages, int node, int *status)
{
	AUTOFREE int *nodes = xcalloc(n, sizeof(*nodes));
	long r;

	(void)ctx;
	for (size_t i = 0; i < n; i++)
		nodes[i] = node;
	r = move_pages(pid, (unsigned long)n, (void **)pages, nodes, status, MPOL_MF_MOVE_ALL);
	return r < 0 ? -errno : 0;
}

static uint64_t real_now(void *ctx)
{
	(void)ctx;
	return dm_now_us();
}

static int real_query(void *ctx, int pid, size_t n, void *const *pages, int *status)
{
	(void)ctx;
	return move_pages(pid, (unsigned long)n, (void **)pages, NULL, status, 0) < 0 ? -errno : 0;
}

static int real_set_affinity(void *ctx, int tid, size_t setsz, const cpu_set_t *set)
{
	(void)ctx;
	return sched_setaffinity((pid_t)tid, setsz, set) < 0 ? -errno : 0;
}

static int real_get_affinity(void *ctx, int tid, size_t setsz, cpu_set_t *set)
{
	(void)ctx;
	return sched_getaffinity((pid_t)tid, setsz, set) < 0 ? -errno : 0;
}

static const struct dm_sys real_sys = {
	{real_move, real_now}, real_query, real_set_affinity, real_get_affinity};

static const struct dm_sys *sys(const struct daemon *dm)
{
	return dm->sys ? dm->sys : &real_sys;
}

/* Every thread of pid on cpus; -ESRCH when the process is gone. */
static int set_affinity(struct daemon *dm, int pid, const struct cpuset *cpus)
{
	char **tids = NULL, path[64];
	cpu_set_t *set;
	size_t setsz, done = 0, failed = 0;
	int c, r, err = 0;
	int last = cpuset_last(cpus);

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (host_list(dm->h, path, &tids, NULL, NULL) < 0 || last < 0)
		return -ESRCH;
	set = CPU_ALLOC((size_t)last + 1);
	setsz = CPU_ALLOC_SIZE((size_t)last + 1);
	CPU_ZERO_S(setsz, set);
	cpuset_foreach (c, cpus)
		CPU_SET_S((size_t)c, setsz, set);
	for (char **t = tids; *t; t++) {
		uint32_t tid;

		if (parse_u32(*t, &tid) < 0)
			continue;
		r = sys(dm)->set_affinity(dm->sys_ctx, (int)tid, setsz, set);
		if (r == 0)
			done++;
		else if (r != -ESRCH) {
			failed++;
			err = -r;
		}
	}
	CPU_FREE(set);
	host_names_free(tids);
	if (!done)
		return failed ? -err : -ESRCH;
	if (failed)
		dm_log(dm, 4, "pid %d: %zu threads kept their CPUs: %s", pid, failed,
		       strerror(err));
	return 0;
}

/* The mappings of pid: start and end addresses and whether writable, from /proc/PID/maps. */
struct vma {
	uint64_t start, end;
	bool writable;
};

static int read_vmas(struct host *h, int pid, struct vma **ret, size_t *ret_n)
{
	AUTOFREE char *text = NULL;
	struct vma *v = NULL;
	size_t len, n = 0;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	r = host_read(h, path, &text, &len, NULL);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	for (char *line = text; line && *line;) {
		char *next = strchr(line, '\n'), *end = NULL;
		unsigned long long a, b = 0;

		errno = 0;
		a = strtoull(line, &end, 16);
		if (!errno && end != line && *end == '-') {
			line = end + 1;
			b = strtoull(line, &end, 16);
		}
		if (!errno && end != line && *end == ' ' && b > a) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			/* "rw-p": the permissions follow the range */
			v[n++] = (struct vma){a, b, end[1] && end[2] == 'w'};
		}
		line = next ? next + 1 : NULL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

struct collect {
	struct daemon *dm;
	int pid;
	const struct rc_move *m;
	uint64_t page_kib; /* 0: normal pages (4 KiB) */
	struct vma *vmas;
	size_t nvmas;
	void **pages;
	size_t npages;
	uint64_t *src; /* pages per source node */
	size_t nsrc;
	size_t nmatched, nvmas_seen; /* for the debug log */
	uint64_t sparse_pages;	     /* resident in mappings too sparse to walk */
	uint64_t grown_pages;	     /* the target pool grew by these for them */
	struct numamaps_entry e;
};

static bool in_target(const struct rc_move *m, int node)
{
	for (size_t i = 0; i < m->nnodes; i++)
		if (m->nodes[i] == node)
			return true;
	return false;
}

/* Query where pages are; keep those present off the target set. */
static int keep_off_target(struct collect *c, void **cand, size_t n)
{
	AUTOFREE int *status = xcalloc(n, sizeof(*status));
	int r = sys(c->dm)->query(c->dm->sys_ctx, c->pid, n, cand, status);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n && c->npages < DM_MAX_PAGES; i++) {
		if (status[i] < 0 || in_target(c->m, status[i]))
			continue;
		c->pages[c->npages++] = cand[i];
		if ((size_t)status[i] < c->nsrc)
			c->src[status[i]]++;
	}
	return 0;
}

static int collect_line(struct collect *c, const char *text, size_t len)
{
	uint64_t page_kib, end = 0, step, resident = 0;
	void *cand[DM_QUERY_CHUNK];
	bool off = false;
	size_t n = 0;
	int r;

	if (numamaps_parse_line(text, len, &c->e, NULL) < 0)
		return 0;
	page_kib = c->e.kernelpagesize_kib ? c->e.kernelpagesize_kib : 4;
	if (c->e.huge != (c->page_kib != VM_PAGE_NORMAL) ||
	    (c->page_kib != VM_PAGE_NORMAL && page_kib != c->page_kib) ||
	    (c->page_kib == VM_PAGE_NORMAL && page_kib != 4))
		return 0;
	for (size_t i = 0; i < c->e.nnodes; i++)
		off = off || (c->e.nodes[i].pages && !in_target(c->m, c->e.nodes[i].node));
	/*
	 * Only writable mappings: guest RAM, heaps and stacks are; the text and
	 * read-only data of binaries are not, are shared with other processes
	 * (not movable by move_pages without MPOL_MF_MOVE_ALL) and small.
	 */
	for (size_t i = 0; i < c->nvmas; i++)
		if (c->vmas[i].start == c->e.addr && c->vmas[i].writable)
			end = c->vmas[i].end;
	c->nvmas_seen++;
	if (!off || !end)
		return 0;
	step = page_kib * 1024;
	/*
	 * Only mappings at least a quarter resident are walked page by page: a
	 * sparse one (ASan's shadow, a reserved range) would cost a query per
	 * absent page.  Its few pages stay where they are.
	 */
	for (size_t i = 0; i < c->e.nnodes; i++)
		resident += c->e.nodes[i].pages;
	if ((end - c->e.addr) / step > resident * 4 + 1024) {
		c->sparse_pages += resident;
		return 0;
	}
	c->nmatched++;
	for (uint64_t a = c->e.addr; a < end && c->npages < DM_MAX_PAGES; a += step) {
		cand[n++] = (void *)(uintptr_t)a;
		if (n == DM_QUERY_CHUNK || a + step >= end) {
			r = keep_off_target(c, cand, n);
			if (r < 0)
				return r;
			n = 0;
		}
	}
	return 0;
}

/* host_read_lines hands over several complete lines at a time. */
static int collect_lines(void *ctx, const char *text, size_t len)
{
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;
		int r = n ? collect_line(ctx, text, n) : 0;

		if (r < 0)
			return r;
		len -= nl ? n + 1 : n;
		text += nl ? n + 1 : n;
	}
	return 0;
}

/* The pages of one size of pid that are off the target set. */
static int list_pages(struct collect *c)
{
	char path[64], buf[8192];
	int r;

	r = read_vmas(c->dm->h, c->pid, &c->vmas, &c->nvmas);
	if (r < 0)
		return r;
	c->nvmas_seen = 0;
	c->pages = xcalloc(DM_MAX_PAGES, sizeof(*c->pages));
	snprintf(path, sizeof(path), "/proc/%d/numa_maps", c->pid);
	r = host_read_lines(c->dm->h, path, buf, sizeof(buf), collect_lines, c, NULL, NULL);
	numamaps_entry_release(&c->e);
	free(c->vmas);
	c->vmas = NULL;
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	c->pages = xreallocarray(c->pages, c->npages ? c->npages : 1, sizeof(*c->pages));
	dm_log(c->dm, 7,
	       "pid %d: %zu pages of %llu KiB off the target in %zu of %zu mappings (%llu pages "
	       "left in sparse mappings)",
	       c->pid, c->npages, (unsigned long long)(c->page_kib ? c->page_kib : 4), c->nmatched,
	       c->nvmas_seen, (unsigned long long)c->sparse_pages);
	return 0;
}

static void add_job(struct daemon *dm, struct collect *c, int node)
{
	struct dm_action *a = &dm->act;

	if (!c->npages) {
		free(c->pages);
		return;
	}
	move_job_init(&a->jobs[a->njobs++], c->pid, node, c->page_kib ? c->page_kib : 4, c->pages,
		      c->npages, dm->cfg.rate_mib_s, dm->cfg.max_pause_ms);
}

/*
 * The hugetlb pages of the VM's size off the target (hc), with the target's
 * pool grown for them first.  1: the VM stays where it is (nothing changed).
 */
static int list_hugetlb(struct daemon *dm, const struct rc_vm *v, const struct rc_move *m,
			struct collect *hc)
{
	int r;

	*hc = (struct collect){dm, v->pid, m, v->page_kib};
	if (v->page_kib == VM_PAGE_NORMAL)
		return 0;
	if (!dm->cfg.move_hugetlb) {
		dm_log(dm, 6, "pid %d: hugetlb memory stays (move_hugetlb = no)", v->pid);
		return 0;
	}
	hc->nsrc = 1024;
	hc->src = xcalloc(hc->nsrc, sizeof(*hc->src));
	r = list_pages(hc);
	if (r >= 0 && hc->npages && m->grow_pages) {
		r = dm_pool_grow(dm, v, m);
		hc->grown_pages = r == 0 ? m->grow_pages : 0;
	}
	if (r != 0) {
		free(hc->pages);
		free(hc->src);
		*hc = (struct collect){0};
	}
	return r;
}

/* Memory jobs: normal pages, then the hugetlb pages listed before (hc, taken over). */
/* Free pages of node's pool of size_kib pages, UINT64_MAX when unreadable. */
static uint64_t pool_free(struct daemon *dm, int node, uint64_t size_kib)
{
	char path[128];
	unsigned long long v;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/hugepages/hugepages-%llukB/free_hugepages", node,
		 (unsigned long long)size_kib);
	return host_read_u64(dm->h, path, &v, NULL) < 0 ? UINT64_MAX : (uint64_t)v;
}

static int plan_memory(struct daemon *dm, const struct rc_vm *v, const struct rc_move *m,
		       struct collect *hc)
{
	struct dm_action *a = &dm->act;
	struct collect c = {dm, v->pid, m, VM_PAGE_NORMAL};
	int r = list_pages(&c);

	if (r < 0) {
		free(c.pages);
		return r;
	}
	add_job(dm, &c, m->nodes[0]);
	if (!hc->src) /* no hugetlb pages to move */
		return 0;
	free(a->src_pages);
	a->src_pages = STEAL_PTR(hc->src);
	a->nsrc = hc->nsrc;
	free(a->src_free);
	a->src_free = xcalloc(a->nsrc ? a->nsrc : 1, sizeof(*a->src_free));
	for (size_t n = 0; n < a->nsrc; n++)
		a->src_free[n] = a->src_pages[n] ? pool_free(dm, (int)n, v->page_kib) : UINT64_MAX;
	a->huge_job = hc->npages ? (int)a->njobs : -1;
	a->huge_kib = v->page_kib;
	a->grown_pages = hc->grown_pages;
	add_job(dm, hc, m->nodes[0]);
	hc->pages = NULL;
	hc->grown_pages = 0;
	return 0;
}

/*
 * Run the move itself on the target CPUs: move_pages copies on the calling
 * CPU, so the copies write local memory, and the TLB shootdown of each batch
 * has no other CPU to wait for when the VM's threads are confined there
 * (the daemon runs while they are preempted).  Undone by action_release.
 */
static void move_beside(struct daemon *dm, struct dm_action *a, const struct cpuset *cpus)
{
	cpu_set_t set;
	int c, r;

	if (cpuset_last(cpus) < 0 || cpuset_last(cpus) >= CPU_SETSIZE ||
	    sys(dm)->get_affinity(dm->sys_ctx, 0, sizeof(a->own_cpus), &a->own_cpus) < 0)
		return;
	CPU_ZERO(&set);
	cpuset_foreach (c, cpus)
		CPU_SET((size_t)c, &set);
	r = sys(dm)->set_affinity(dm->sys_ctx, 0, sizeof(set), &set);
	if (r == 0)
		a->own_saved = true;
	else
		dm_log(dm, 7, "the mover stays on its CPUs: %s", strerror(-r));
}

static void action_release(struct daemon *dm)
{
	struct dm_action *a = &dm->act;

	if (a->own_saved)
		(void)sys(dm)->set_affinity(dm->sys_ctx, 0, sizeof(a->own_cpus), &a->own_cpus);
	if (a->grown_pages) { /* a move that ended early gives back what it did not use */
		uint64_t used = a->huge_job >= 0 ? a->jobs[a->huge_job].moved : 0;
		struct diag d = {0};

		if (used < a->grown_pages &&
		    dm_pool_resize(dm, a->node, a->huge_kib, -(int64_t)(a->grown_pages - used),
				   &d) < 0)
			dm_log(dm, 4, "node %d: pool not given back: %s", a->node, d.msg);
		else if (used < a->grown_pages)
			dm_log(dm, 6,
			       "node %d: the %llu pages the move grew its pool by and did not "
			       "use were given back",
			       a->node, (unsigned long long)(a->grown_pages - used));
	}
	for (size_t i = 0; i < a->njobs; i++)
		move_job_release(&a->jobs[i]);
	free(a->src_pages);
	free(a->src_free);
	cpuset_release(&a->cg_nodes);
	*a = (struct dm_action){.huge_job = -1};
}

/* The CPUs of the move through pid's cgroup cpuset, else sched_setaffinity on every thread. */
static int place_cpus(struct daemon *dm, const struct rc_vm *v, const struct rc_move *m)
{
	struct cgp_tree t = {0};
	struct cgp_plan p = {0};
	struct diag d = {0};
	int r = cgp_read(dm->h, v->pid, &t, &d);

	if (r == -ENOENT) {
		dm_log(dm, 7, "pid %d: no cpuset of its own (%s): sched_setaffinity", v->pid,
		       d.msg);
		r = set_affinity(dm, v->pid, &m->cpus);
		if (r >= 0)
			note_placed(dm, &(struct dm_placed){.pid = v->pid,
							    .method = DM_METHOD_AFFINITY});
		return r;
	}
	cpuset_clear(&dm->act.cg_nodes);
	for (size_t i = 0; i < m->nnodes; i++)
		cpuset_set(&dm->act.cg_nodes, (unsigned)m->nodes[i]);
	if (r >= 0)
		r = cgp_decide_start(&t, &m->cpus, &dm->act.cg_nodes, &p, &d);
	if (r >= 0)
		r = cgp_apply(dm->h, &p, &d);
	if (r >= 0) {
		AUTOFREE char *dir = str_escape(t.groups[0].dir, 200);
		struct dm_placed pl = {.pid = v->pid, .method = DM_METHOD_CGROUP, .v1 = t.v1};

		snprintf(pl.cgroup, sizeof(pl.cgroup), "%s", t.groups[0].dir);

		dm_log(dm, 6,
		       "pid %d: cgroup %s%s: %zu cpuset writes (CPUs set, memory nodes "
		       "widened to include the target)",
		       v->pid, dir, t.v1 ? " (v1)" : "", p.n);
		note_placed(dm, &pl);
	} else
		dm_log(dm, 3, "pid %d: cgroup cpuset not changed (every write undone): %s", v->pid,
		       d.msg);
	dm->act.cgroup = r >= 0;
	cgp_plan_release(&p);
	cgp_tree_release(&t);
	return r < 0 ? r : 0;
}

/* After the last job: narrow the cgroup's memory nodes to the target when (nearly) every page
 * moved. */
static void finish_cgroup(struct daemon *dm)
{
	struct dm_action *a = &dm->act;
	struct cgp_tree t = {0};
	struct cgp_plan p = {0};
	struct diag d = {0};
	int r;

	if (!a->cgroup)
		return;
	/*
	 * A few pages refused one by one (busy at that moment) are left for the
	 * kernel to migrate when mems narrow: a bounded stall.  More than 1 %, or
	 * a job that ended early, keep the widened mems.
	 */
	if (!a->all_done || a->cg_left > a->cg_moved / 100) {
		dm_log(dm, 5,
		       "pid %d: %zu pages left behind: its cgroup keeps the widened memory nodes",
		       a->pid, a->cg_left);
		return;
	}
	r = cgp_read(dm->h, a->pid, &t, &d);
	if (r >= 0) {
		cgp_decide_finish(&t, &a->cg_nodes, &p);
		r = cgp_apply(dm->h, &p, &d);
	}
	if (r >= 0)
		dm_log(dm, 6, "pid %d: cgroup memory nodes narrowed to the target (%zu writes)",
		       a->pid, p.n);
	else
		dm_log(dm, 4, "pid %d: cgroup memory nodes not narrowed: %s", a->pid, d.msg);
	cgp_plan_release(&p);
	cgp_tree_release(&t);
}

int dm_apply_start(struct daemon *dm, const struct rc_vm *v, const struct rc_move *m)
{
	struct dm_action *a = &dm->act;
	AUTOFREE char *cpus = cpuset_to_list(&m->cpus);
	struct collect hc;
	char sz[32];
	int r;

	action_release(dm);
	a->pid = v->pid;
	a->node = m->nodes[0];
	snprintf(a->name, sizeof(a->name), "%s", v->name);
	snprintf(a->reason, sizeof(a->reason), "%s", m->reason);
	dm_apply_remember(dm, v->pid);
	a->all_done = true;
	/* the target pool first: when it cannot take the hugetlb pages, nothing moves */
	r = list_hugetlb(dm, v, m, &hc);
	if (r == 1) {
		action_release(dm);
		return 0;
	}
	if (r >= 0 && m->set_affinity)
		r = place_cpus(dm, v, m);
	if (r >= 0)
		r = plan_memory(dm, v, m, &hc);
	if (r < 0) {
		struct diag d = {0};

		dm_log(dm, r == -ESRCH ? 6 : 3, "pid %d (%s): %s before the move to node %d",
		       v->pid, v->name, r == -ESRCH ? "ended" : strerror(-r), a->node);
		if (hc.grown_pages &&
		    dm_pool_resize(dm, a->node, v->page_kib, -(int64_t)hc.grown_pages, &d) < 0)
			dm_log(dm, 4, "node %d: pool not given back: %s", a->node, d.msg);
		free(hc.pages);
		free(hc.src);
		action_release(dm);
		return r;
	}
	dm->moves++;
	dm_log(dm, 6, "moving pid %d (%s) to node %d: CPUs %s%s, %s of memory in %zu jobs: %s",
	       v->pid, v->name, a->node, cpus ? cpus : "", m->set_affinity ? "" : " (already)",
	       format_size_kib(m->move_kib, sz, sizeof(sz)), a->njobs, m->reason);
	a->active = a->njobs > 0;
	a->next_us = dm_now_us();
	if (!a->active) { /* its CPUs were all it needed */
		finish_cgroup(dm);
		action_release(dm);
	} else {
		move_beside(dm, a, &m->cpus);
	}
	return 0;
}

/* Account a finished job and log its outcome. */
static void job_done(struct daemon *dm, size_t i)
{
	struct dm_action *a = &dm->act;
	struct move_job *j = &a->jobs[i];
	char sz[32], pg[16];

	dm->moved_kib += j->moved * j->page_kib;
	dm->pages_not_moved += j->not_moved;
	a->all_done = a->all_done && j->state == MOVE_DONE;
	a->cg_moved += j->moved;
	a->cg_left += j->not_moved;
	if ((int)i == a->huge_job)
		dm->huge_pages_moved += j->moved;
	dm_log(dm, j->state == MOVE_DONE ? 6 : 4,
	       "pid %d (%s): %s pages to node %d %s: %zu moved (%s), %zu not moved, %zu batches, "
	       "longest %llu ms",
	       a->pid, a->name, format_pagesize(j->page_kib, pg, sizeof(pg)), a->node,
	       move_state_name(j->state), j->moved,
	       format_size_kib(j->moved * j->page_kib, sz, sizeof(sz)), j->not_moved, j->batches,
	       (unsigned long long)(j->longest_batch_us / 1000));
	if (!move_job_budget_attainable(j) && (j->batches <= 1 || j->page_kib >= 1024ULL * 1024))
		dm_log(dm, 4,
		       "pid %d (%s): max_pause_ms = %llu cannot be met for %s pages: one page is "
		       "the smallest batch, and it took %llu ms",
		       a->pid, a->name, (unsigned long long)(j->max_pause_us / 1000), pg,
		       (unsigned long long)(j->longest_batch_us / 1000));
	else if (!move_job_budget_attainable(j))
		dm_log(dm, 4,
		       "pid %d (%s): max_pause_ms = %llu cannot be met here: one move_pages call "
		       "alone took %llu ms (the TLB shootdown waits for every CPU the process "
		       "runs on); batches took up to twice that",
		       a->pid, a->name, (unsigned long long)(j->max_pause_us / 1000),
		       (unsigned long long)(j->fixed_us / 1000));
	if ((int)i == a->huge_job && j->moved) { /* give back what the sources freed */
		for (size_t n = 0; n < a->nsrc; n++) {
			struct diag d = {0};
			uint64_t now, freed;

			if (!a->src_pages[n])
				continue;
			/* what the move freed there (a move that ended early freed fewer
			 * than it listed), never the free pages the pool had before */
			now = pool_free(dm, (int)n, a->huge_kib);
			if (now == UINT64_MAX || a->src_free[n] == UINT64_MAX) {
				dm_log(dm, 4,
				       "node %zu: pool not shrunk after the move: its free "
				       "pages cannot be read",
				       n);
				continue;
			}
			freed = now > a->src_free[n] ? now - a->src_free[n] : 0;
			if (freed > a->src_pages[n])
				freed = a->src_pages[n];
			if (freed &&
			    dm_pool_resize(dm, (int)n, a->huge_kib, -(int64_t)freed, &d) < 0)
				dm_log(dm, 4, "node %zu: pool not shrunk after the move: %s", n,
				       d.msg);
		}
	}
}

int dm_apply_step(struct daemon *dm)
{
	struct dm_action *a = &dm->act;
	uint64_t now = dm_now_us(), wait;

	if (!a->active)
		return -1;
	if (now < a->next_us)
		return (int)((a->next_us - now + 999) / 1000);
	wait = move_job_step(&a->jobs[a->cur], &sys(dm)->mover, dm->sys_ctx);
	if (a->jobs[a->cur].state != MOVE_RUNNING) {
		job_done(dm, a->cur);
		if (a->jobs[a->cur].state == MOVE_VANISHED || ++a->cur >= a->njobs) {
			if (a->cur >= a->njobs)
				finish_cgroup(dm);
			action_release(dm);
			return -1;
		}
		wait = 0;
	}
	a->next_us = dm_now_us() + wait;
	return (int)((wait + 999) / 1000);
}

void dm_apply_abandon(struct daemon *dm)
{
	struct dm_action *a = &dm->act;
	struct move_job *j = &a->jobs[a->cur];

	if (!a->active)
		return;
	dm_log(dm, 5,
	       "pid %d (%s): stopped between batches, %zu of %zu pages of this job moved; "
	       "every batch was whole",
	       a->pid, a->name, j->moved, j->npages);
	job_done(dm, a->cur);
	action_release(dm);
}
