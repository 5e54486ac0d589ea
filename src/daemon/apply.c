/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applying one move: CPU affinity first (through the VM's own cgroup cpuset
 * when it has one, cgplace.c: CPUs set, memory nodes widened to include the
 * target, and narrowed to it once every page moved; else sched_setaffinity
 * on every thread), then memory
 * with move_pages(2) in batches (mover.c), hugetlb pages only when the target
 * node has free pages of that size: its pool is grown first through the
 * hugepages module's guarded apply under host_lock "hugepages", and the
 * source pools are shrunk after by what was freed there.
 */
#include <errno.h>
#include <numaif.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/host.h"
#include "core/hugepages-apply.h"
#include "core/hugepages-plan.h"
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

void dm_apply_remember(struct daemon *dm, int pid)
{
	uint64_t now = dm_now_us(), keep = (uint64_t)dm->cfg.cooldown_s * 1000000u;
	size_t out = 0;

	for (size_t i = 0; i < dm->nmoved; i++) /* forget what cooled down: the list stays small */
		if (dm->moved[i].pid != pid && now - dm->moved[i].at_us < keep)
			dm->moved[out++] = dm->moved[i];
	dm->moved = xreallocarray(dm->moved, out + 1, sizeof(*dm->moved));
	dm->moved[out] = (struct dm_moved){pid, now};
	dm->nmoved = out + 1;
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

static const struct mover_ops real_ops = {real_move, real_now};

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
		r = sched_setaffinity((pid_t)tid, setsz, set);
		if (r == 0)
			done++;
		else if (errno != ESRCH) {
			failed++;
			err = errno;
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

	if (move_pages(c->pid, (unsigned long)n, cand, NULL, status, 0) < 0)
		return -errno;
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

/* Change one node's pool of size_kib by delta pages, guarded, under the hugepages lock. */
static int resize_pool(struct daemon *dm, int node, uint64_t size_kib, int64_t delta,
		       struct diag *d)
{
	struct host_model m = {0};
	struct hp_mem mem = {0};
	struct hp_plan plan = {0};
	struct hp_result res[4];
	struct hp_apply_opts o = {.timeout_s = 5};
	const struct numa_node *n;
	const struct pool *p;
	int r, lock = host_lock(dm->h, "hugepages", 5000, d);

	if (lock < 0)
		return lock;
	r = host_model_load(dm->h, &m, d);
	if (r >= 0)
		r = hugepages_mem_load(dm->h, &m, &mem, d);
	n = r >= 0 ? model_find_node(&m, node) : NULL;
	p = n ? node_find_pool(n, size_kib) : NULL;
	if (r >= 0 && !p)
		r = diag_set(d, EINVAL, "hugepages", "node %d has no pool of %llu KiB", node,
			     (unsigned long long)size_kib);
	if (r >= 0 && delta > 0) {
		struct hp_ask ask = {size_kib, (uint64_t)(p->total + delta), "daemon"};
		int nodes[1] = {node};
		struct hp_request req = {&ask, 1, nodes, 1, dm->cfg.keep_free_kib};

		r = hugepages_decide(&m, &mem, &req, &plan, d); /* the keep-free guard */
	} else if (r >= 0) {
		int64_t shrink = -delta < p->free ? -delta : p->free;

		hp_plan_add(&plan, node, size_kib, p->total, p->total - shrink);
	}
	if (r >= 0 && plan.nchanges <= 4)
		r = hugepages_apply(dm->h, &plan, &o, res, d);
	if (r == 1 && delta > 0 && plan.nchanges == 1) {
		/* short: the kernel found no free contiguous memory for all of them; a pool
		 * grown part way would hold pages nobody uses: put it back */
		int64_t got = res[0].got_pages, before = res[0].before_pages;
		struct hp_plan back = {0};
		struct diag d2 = {0};

		hp_plan_add(&back, node, size_kib, got, before);
		if (got != before && hugepages_apply(dm->h, &back, &o, res, &d2) < 0)
			dm_log(dm, 3, "node %d: pool not put back to %lld: %s", node,
			       (long long)before, d2.msg);
		hp_plan_release(&back);
		r = diag_set(d, ENOMEM, "hugepages",
			     "the kernel gave %lld of %lld more pages (no free contiguous "
			     "memory); pool left at %lld",
			     (long long)(got - before), (long long)delta, (long long)before);
	}
	hp_plan_release(&plan);
	hugepages_mem_release(&mem);
	host_model_release(&m);
	close(lock);
	return r;
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

/* Memory jobs: normal pages, then the hugetlb pages of the VM's size (target pool grown first). */
static int plan_memory(struct daemon *dm, const struct rc_vm *v, const struct rc_move *m)
{
	struct dm_action *a = &dm->act;
	struct collect c = {dm, v->pid, m, VM_PAGE_NORMAL};
	struct diag d = {0};
	int r = list_pages(&c);

	if (r < 0)
		return r;
	add_job(dm, &c, m->nodes[0]);
	if (v->page_kib == VM_PAGE_NORMAL)
		return 0;
	if (!dm->cfg.move_hugetlb) {
		dm_log(dm, 6, "pid %d: hugetlb memory stays (move_hugetlb = no)", v->pid);
		return 0;
	}
	c = (struct collect){dm, v->pid, m, v->page_kib};
	c.nsrc = 1024;
	c.src = xcalloc(c.nsrc, sizeof(*c.src));
	r = list_pages(&c);
	if (r < 0) {
		free(c.src);
		return r;
	}
	if (c.npages && m->grow_pages) {
		r = resize_pool(dm, m->nodes[0], v->page_kib, (int64_t)m->grow_pages, &d);
		if (r < 0) {
			dm_log(dm, 4,
			       "pid %d: node %d's %llu KiB pool cannot grow by %llu: %s; "
			       "its hugetlb memory stays",
			       v->pid, m->nodes[0], (unsigned long long)v->page_kib,
			       (unsigned long long)m->grow_pages, d.msg);
			free(c.pages);
			free(c.src);
			return 0;
		}
	}
	free(a->src_pages);
	a->src_pages = c.src;
	a->nsrc = c.nsrc;
	a->huge_job = c.npages ? (int)a->njobs : -1;
	a->huge_kib = v->page_kib;
	add_job(dm, &c, m->nodes[0]);
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
	int c;

	if (cpuset_last(cpus) < 0 || cpuset_last(cpus) >= CPU_SETSIZE ||
	    sched_getaffinity(0, sizeof(a->own_cpus), &a->own_cpus) < 0)
		return;
	CPU_ZERO(&set);
	cpuset_foreach (c, cpus)
		CPU_SET((size_t)c, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == 0)
		a->own_saved = true;
	else
		dm_log(dm, 7, "the mover stays on its CPUs: %s", strerror(errno));
}

static void action_release(struct dm_action *a)
{
	if (a->own_saved)
		(void)sched_setaffinity(0, sizeof(a->own_cpus), &a->own_cpus);
	for (size_t i = 0; i < a->njobs; i++)
		move_job_release(&a->jobs[i]);
	free(a->src_pages);
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
		return set_affinity(dm, v->pid, &m->cpus);
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

		dm_log(dm, 6,
		       "pid %d: cgroup %s%s: %zu cpuset writes (CPUs set, memory nodes "
		       "widened to include the target)",
		       v->pid, dir, t.v1 ? " (v1)" : "", p.n);
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
	char sz[32];
	int r = 0;

	action_release(a);
	a->pid = v->pid;
	a->node = m->nodes[0];
	snprintf(a->name, sizeof(a->name), "%s", v->name);
	snprintf(a->reason, sizeof(a->reason), "%s", m->reason);
	dm_apply_remember(dm, v->pid);
	a->all_done = true;
	if (m->set_affinity)
		r = place_cpus(dm, v, m);
	if (r >= 0)
		r = plan_memory(dm, v, m);
	if (r < 0) {
		dm_log(dm, r == -ESRCH ? 6 : 3, "pid %d (%s): %s before the move to node %d",
		       v->pid, v->name, r == -ESRCH ? "ended" : strerror(-r), a->node);
		action_release(a);
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
		action_release(a);
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

			if (a->src_pages[n] &&
			    resize_pool(dm, (int)n, a->huge_kib, -(int64_t)a->src_pages[n], &d) < 0)
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
	wait = move_job_step(&a->jobs[a->cur], &real_ops, NULL);
	if (a->jobs[a->cur].state != MOVE_RUNNING) {
		job_done(dm, a->cur);
		if (a->jobs[a->cur].state == MOVE_VANISHED || ++a->cur >= a->njobs) {
			if (a->cur >= a->njobs)
				finish_cgroup(dm);
			action_release(a);
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
	action_release(a);
}
