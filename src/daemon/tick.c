/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One tick: read (the host model, the planner's host with libvirt's defined
 * VMs counted, free CPU per node from /proc/stat deltas, the processes to
 * manage with their memory per node and page size from numa_maps, shared
 * with 'stat'), decide (reconcile.c, pure), start the apply of the one move
 * (apply.c) or log it in a dry run, and keep what it saw for --status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/host.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "core/procstat.h"
#include "core/vmspec.h"
#include "daemon/daemon.h"
#include "place/host.h"
#include "place/inventory.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* "cpuN user nice system idle iowait irq softirq steal ...": N and the first 8 (at least 4). */
static bool stat_cpu_line(char *line, uint32_t *cpu, uint64_t *v)
{
	char *save = NULL, *tok = strtok_r(line, " ", &save);
	int k = 0;

	if (!tok || strncmp(tok, "cpu", 3) != 0 || parse_u32(tok + 3, cpu) < 0 || *cpu > CPUSET_MAX)
		return false;
	while (k < 8 && (tok = strtok_r(NULL, " ", &save)))
		if (parse_u64(tok, &v[k++]) < 0 || v[k - 1] > (1ULL << 62))
			return false;
	return k >= 4;
}

/* /proc/stat per CPU: busy and total jiffies since the last tick, into each node's free CPUs. */
static void cpu_free_per_node(struct daemon *dm, struct place_host *ph)
{
	AUTOFREE char *text = NULL;
	AUTOFREE uint64_t *busy = NULL, *total = NULL;
	size_t len, ncpu = 0;
	char *line, *next;

	if (host_read(dm->h, "/proc/stat", &text, &len, NULL) < 0)
		return;
	for (line = text; line; line = next) {
		uint64_t v[8] = {0};
		uint32_t cpu;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!stat_cpu_line(line, &cpu, v))
			continue;
		if (cpu >= ncpu) {
			busy = xreallocarray(busy, cpu + 1, sizeof(*busy));
			total = xreallocarray(total, cpu + 1, sizeof(*total));
			memset(busy + ncpu, 0, (cpu + 1 - ncpu) * sizeof(*busy));
			memset(total + ncpu, 0, (cpu + 1 - ncpu) * sizeof(*total));
			ncpu = cpu + 1;
		}
		total[cpu] = 0;
		for (size_t k = 0; k < 8; k++)
			total[cpu] += v[k];
		busy[cpu] = total[cpu] - v[3] - v[4];
	}
	for (size_t i = 0; dm->ncpu && i < ph->nnodes; i++) {
		double free_cpus = 0;
		int c;

		cpuset_foreach (c, &ph->nodes[i].cpus) {
			size_t u = (size_t)c;
			uint64_t dt, db;

			if (u >= ncpu || u >= dm->ncpu || total[u] <= dm->cpu_total[u])
				continue;
			dt = total[u] - dm->cpu_total[u];
			db = busy[u] >= dm->cpu_busy[u] ? busy[u] - dm->cpu_busy[u] : 0;
			free_cpus += db >= dt ? 0.0 : 1.0 - (double)db / (double)dt;
		}
		place_host_set_cpu_free(ph, i, free_cpus);
	}
	free(dm->cpu_busy);
	free(dm->cpu_total);
	dm->cpu_busy = STEAL_PTR(busy);
	dm->cpu_total = STEAL_PTR(total);
	dm->ncpu = ncpu;
}

/* A "Key:   value kB" line of /proc/PID/status, or 0. */
static uint64_t status_kib(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	char num[24];
	size_t n = 0;
	uint64_t v;

	if (!p)
		return 0;
	for (p += strlen(key); *p == ' ' || *p == '\t'; p++)
		;
	while (p[n] >= '0' && p[n] <= '9' && n + 1 < sizeof(num))
		n++;
	memcpy(num, p, n);
	num[n] = '\0';
	if (parse_u64(num, &v) < 0 || strncmp(p + n, " kB", 3) != 0 || v > SIZE_MAX_KIB)
		return 0;
	return v;
}

/* The list after key in /proc/PID/status into set. */
static int status_list(const char *text, const char *key, struct cpuset *set)
{
	const char *p = strstr(text, key);
	char list[4096];

	if (!p || sscanf(p + strlen(key), " %4095s", list) != 1)
		return -EINVAL;
	return cpuset_parse_list(list, set, NULL) < 0 ? -EINVAL : 0;
}

/*
 * From /proc/PID/status: resident plus hugetlb KiB, and the main thread's
 * allowed CPUs and memory nodes.
 */
static int read_status(struct host *h, int pid, uint64_t *ret_kib, struct cpuset *allowed,
		       struct cpuset *mems)
{
	AUTOFREE char *text = NULL;
	char path[64];
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (host_read_attr(h, path, &text, &len, NULL) < 0)
		return -ESRCH;
	*ret_kib = status_kib(text, "\nVmRSS:") + status_kib(text, "\nHugetlbPages:");
	if (status_list(text, "\nMems_allowed_list:", mems) < 0) /* older kernels, fixtures */
		cpuset_clear(mems);
	return status_list(text, "\nCpus_allowed_list:", allowed);
}

/* utime + stime and the start after boot of pid (clock ticks), from /proc/PID/stat. */
static int read_cpu_ticks(struct host *h, int pid, int64_t *ret_cpu, int64_t *ret_start)
{
	AUTOFREE char *text = NULL;
	char path[64];
	int64_t u, s;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (host_read_attr(h, path, &text, NULL, NULL) < 0 ||
	    procstat_stat_field(text, 14, &u) < 0 || procstat_stat_field(text, 15, &s) < 0 ||
	    procstat_stat_field(text, 22, ret_start) < 0 || u < 0 || s < 0 || *ret_start < 0 ||
	    u > INT64_MAX / 2 || s > INT64_MAX / 2)
		return -EINVAL;
	*ret_cpu = u + s;
	return 0;
}

/*
 * The CPUs pid used: since the last tick (prev, its entry then), else on
 * average since it started (the first tick that sees it); < 0 when not
 * known.  This tick's reading goes into ret (cpu_at_us 0 when none).
 */
static double vm_cpu_use(const struct daemon *dm, const struct dm_vm_cache *prev, int pid,
			 double uptime_s, uint64_t now, struct dm_vm_cache *ret)
{
	long hz = sysconf(_SC_CLK_TCK);
	int64_t cpu, start;
	double age_s;

	if (hz <= 0 || read_cpu_ticks(dm->h, pid, &cpu, &start) < 0)
		return -1;
	ret->start_ticks = start;
	ret->cpu_ticks = cpu;
	ret->cpu_at_us = now;
	if (prev && prev->start_ticks == start && now > prev->cpu_at_us && cpu >= prev->cpu_ticks)
		return (double)(cpu - prev->cpu_ticks) / (double)hz /
		       ((double)(now - prev->cpu_at_us) / 1e6);
	age_s = uptime_s - (double)start / (double)hz;
	return uptime_s >= 0 && age_s >= 1.0 ? (double)cpu / (double)hz / age_s : -1;
}

static bool cooling(const struct daemon *dm, int pid, uint64_t now)
{
	for (size_t i = 0; i < dm->nmoved; i++)
		if (dm->moved[i].pid == pid)
			return now - dm->moved[i].at_us < dm->moved[i].hold_us;
	return false;
}

/* The page size holding most of p's memory, and that memory per place_host node. */
static void vm_memory(const struct procstat_proc *p, const struct place_host *ph, struct rc_vm *v)
{
	const struct numamaps_usage *u = &p->usage;
	uint64_t normal = 0, best = 0;

	for (size_t n = 0; n < u->nnodes; n++)
		for (int c = NUMAMAPS_CAT_HEAP; c < NUMAMAPS_CAT_COUNT_; c++)
			normal += u->cat_kib[c] ? u->cat_kib[c][n] : 0;
	v->page_kib = VM_PAGE_NORMAL;
	best = normal;
	for (size_t k = 0; k < u->nhuge; k++) {
		uint64_t sum = 0;

		for (size_t n = 0; n < u->nnodes; n++)
			sum += u->huge[k].kib[n];
		if (sum > best) {
			best = sum;
			v->page_kib = u->huge[k].size_kib;
		}
	}
	v->total_kib = best;
	v->node_kib = xcalloc(ph->nnodes ? ph->nnodes : 1, sizeof(*v->node_kib));
	for (size_t i = 0; i < ph->nnodes; i++) {
		size_t n = (size_t)ph->nodes[i].node;

		if (n >= u->nnodes)
			continue;
		if (v->page_kib == VM_PAGE_NORMAL) {
			for (int c = NUMAMAPS_CAT_HEAP; c < NUMAMAPS_CAT_COUNT_; c++)
				v->node_kib[i] += u->cat_kib[c] ? u->cat_kib[c][n] : 0;
			continue;
		}
		for (size_t k = 0; k < u->nhuge; k++)
			if (u->huge[k].size_kib == v->page_kib)
				v->node_kib[i] += u->huge[k].kib[n];
	}
}

void dm_vm_cache_release(struct dm_vm_cache *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rc_vm_release(&c[i].v);
	free(c);
}

/* dst = src, with its own copies (node_kib of nnodes). */
static void vm_copy(struct rc_vm *dst, const struct rc_vm *src, size_t nnodes)
{
	*dst = *src;
	dst->node_kib = xcalloc(nnodes ? nnodes : 1, sizeof(*dst->node_kib));
	if (src->node_kib)
		memcpy(dst->node_kib, src->node_kib, nnodes * sizeof(*dst->node_kib));
	dst->allowed = (struct cpuset){0};
	dst->mems = (struct cpuset){0};
	cpuset_copy(&dst->allowed, &src->allowed);
	cpuset_copy(&dst->mems, &src->mems);
}

static const struct dm_vm_cache *cache_find(const struct daemon *dm, int pid)
{
	for (size_t i = 0; i < dm->nvcache; i++)
		if (dm->vcache[i].v.pid == pid)
			return &dm->vcache[i];
	return NULL;
}

/*
 * Whether c (the last tick's entry) still stands for the VM whose status now
 * says kib, v->allowed and v->mems, cur being this tick's CPU reading: the
 * same process, read less than rescan_s ago, not moved since, settled or
 * pinned at the last tick (a VM that needs a move is read afresh: its reading
 * decides where it goes), its size within 1/32 and its CPUs and memory nodes
 * unchanged.
 */
static bool cache_fresh(const struct daemon *dm, const struct dm_vm_cache *c,
			const struct place_host *ph, const struct dm_vm_cache *cur, uint64_t kib,
			const struct rc_vm *v, uint64_t now)
{
	uint64_t diff = kib > c->kib ? kib - c->kib : c->kib - kib;
	bool steady = false;

	if (!cur->cpu_at_us || cur->start_ticks != c->start_ticks || c->nnodes != ph->nnodes ||
	    now - c->at_us >= (uint64_t)dm->cfg.rescan_s * 1000000u || diff > c->kib / 32 ||
	    !cpuset_equal(&v->allowed, &c->v.allowed) || !cpuset_equal(&v->mems, &c->v.mems))
		return false;
	for (size_t i = 0; i < dm->nmoved; i++)
		if (dm->moved[i].pid == v->pid && dm->moved[i].at_us >= c->at_us)
			return false;
	for (size_t i = 0; i < dm->nseen; i++)
		if (dm->seen[i].pid == v->pid)
			steady = dm->seen[i].verdict == RC_SETTLED ||
				 dm->seen[i].verdict == RC_PINNED ||
				 dm->seen[i].verdict == RC_SMALL;
	return steady;
}

/*
 * Read one process into v and this tick's entry for it into ret_cache
 * (zeroed by the caller); false to skip it (gone, not a VM, too small to
 * look at).
 */
static bool read_vm(struct daemon *dm, const struct host_model *m, const struct place_host *ph,
		    int pid, double uptime_s, struct rc_vm *v, struct dm_vm_cache *ret_cache)
{
	struct procstat_opts o = {.self_pid = getpid(),
				  .base_page_kib = 4,
				  .default_huge_kib = m->default_hugepage_kib};
	struct procstat_proc p = {0};
	const struct dm_vm_cache *c;
	uint64_t kib = 0, now = dm_now_us();

	if (pid == getpid())
		return false;
	if (read_status(dm->h, pid, &kib, &v->allowed, &v->mems) < 0)
		return false;
	if (dm->cfg.scope == DAEMON_SCOPE_ALL && kib < dm->cfg.min_mem_kib)
		return false;
	v->pid = pid;
	/* a VM of the last tick: its CPU time now (other processes' only once they are VMs) */
	c = cache_find(dm, pid);
	if (c) {
		v->cpu_use = vm_cpu_use(dm, c, pid, uptime_s, now, ret_cache);
		if (cache_fresh(dm, c, ph, ret_cache, kib, v, now)) {
			struct cpuset allowed = v->allowed, mems = v->mems;
			double use = v->cpu_use;

			vm_copy(v, &c->v, ph->nnodes); /* the same CPUs and nodes, as checked */
			cpuset_release(&allowed);
			cpuset_release(&mems);
			v->rss_kib = c->v.rss_kib ? kib : 0;
			v->cpu_use = use;
			v->cooling = cooling(dm, pid, now);
			vm_copy(&ret_cache->v, &c->v, ph->nnodes);
			ret_cache->at_us = c->at_us;
			ret_cache->kib = c->kib;
			ret_cache->nnodes = c->nnodes;
			dm->maps_reused++;
			return true;
		}
	}
	o.flags = PROCSTAT_VCPUS | PROCSTAT_AFFINITY |
		  (dm->cfg.scope == DAEMON_SCOPE_QEMU ? PROCSTAT_QEMU_ONLY : 0);
	if (procstat_read_proc(dm->h, m, pid, &o, &p, NULL) < 0)
		return false;
	if (p.name && strcmp(p.name, "kvmtune") == 0) { /* its own tools: short-lived, never VMs */
		procstat_proc_release(&p);
		return false;
	}
	snprintf(v->name, sizeof(v->name), "%s", p.vm_name ? p.vm_name : p.name);
	v->vcpus = p.nvcpus ? (unsigned)p.nvcpus : 1;
	for (size_t i = 0; i < p.nvcpus; i++)
		if (!cpuset_empty(&p.vcpus[i].allowed) &&
		    !cpuset_equal(&p.vcpus[i].allowed, &v->allowed))
			v->narrowed_vcpu = true;
	v->bind_policy = p.usage.policy_kib[NUMAMAPS_POLICY_BIND] ||
			 p.usage.policy_kib[NUMAMAPS_POLICY_PREFER] ||
			 p.usage.policy_kib[NUMAMAPS_POLICY_PREFER_MANY];
	v->rss_kib = p.qemu ? kib : 0;
	v->cooling = cooling(dm, pid, now);
	if (!c)
		v->cpu_use = vm_cpu_use(dm, NULL, pid, uptime_s, now, ret_cache);
	vm_memory(&p, ph, v);
	procstat_proc_release(&p);
	dm->maps_read++;
	if (ret_cache->cpu_at_us) { /* kept only when the process's start is known */
		vm_copy(&ret_cache->v, v, ph->nnodes);
		ret_cache->at_us = now;
		ret_cache->kib = kib;
		ret_cache->nnodes = ph->nnodes;
	}
	return true;
}

static int collect_vms(struct daemon *dm, const struct host_model *m, const struct place_host *ph,
		       struct rc_vm **ret, size_t *ret_n)
{
	char **names = NULL;
	struct rc_vm *vms = NULL;
	struct dm_vm_cache *cache = NULL;
	size_t n = 0, cap = 0;
	uint32_t pid;
	double uptime_s = procstat_uptime(dm->h);
	int r = host_list(dm->h, "/proc", &names, NULL, NULL);

	if (r < 0)
		return r;
	for (char **p = names; *p; p++) {
		if (parse_u32(*p, &pid) < 0 || pid == 0 || pid > INT32_MAX)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			vms = xreallocarray(vms, cap, sizeof(*vms));
			cache = xreallocarray(cache, cap, sizeof(*cache));
		}
		memset(&vms[n], 0, sizeof(vms[n]));
		memset(&cache[n], 0, sizeof(cache[n]));
		if (read_vm(dm, m, ph, (int)pid, uptime_s, &vms[n], &cache[n])) {
			n++;
		} else {
			rc_vm_release(&vms[n]);
			rc_vm_release(&cache[n].v);
		}
	}
	host_names_free(names);
	/* only the VMs of this tick: the list stays small */
	dm_vm_cache_release(dm->vcache, dm->nvcache);
	dm->vcache = cache;
	dm->nvcache = n;
	*ret = vms;
	*ret_n = n;
	return 0;
}

static void keep_seen(struct daemon *dm, const struct rc_vm *vms, size_t n)
{
	free(dm->seen);
	dm->seen = xcalloc(n ? n : 1, sizeof(*dm->seen));
	dm->nseen = n;
	for (size_t i = 0; i < n; i++) {
		struct dm_seen *s = &dm->seen[i];
		s->pid = vms[i].pid;
		snprintf(s->name, sizeof(s->name), "%s", vms[i].name);
		s->total_kib = vms[i].total_kib;
		s->page_kib = vms[i].page_kib;
		s->verdict = vms[i].verdict;
		snprintf(s->why, sizeof(s->why), "%s", vms[i].why);
		s->local_pct = vms[i].local_pct;
	}
}

/* The model, the planner's host (defined VMs counted) and free CPU per node. */
static int read_host(struct daemon *dm, struct host_model *m, struct hp_mem *mem,
		     struct place_host *ph, struct diag *d)
{
	int r = dm_place_host_load(dm->h, &dm->cfg, m, mem, ph, d);

	if (r >= 0)
		cpu_free_per_node(dm, ph);
	return r;
}

void dm_tick(struct daemon *dm)
{
	struct host_model m = {0};
	struct hp_mem mem = {0};
	struct place_host ph = {0};
	struct rc_vm *vms = NULL;
	struct rc_move mv = {0};
	struct diag d = {0};
	size_t n = 0;
	int r;

	dm->ticks++;
	/* while a move runs nothing is decided (one at a time) and reading every process's
	 * numa_maps would compete with it: the status keeps the last tick's view */
	if (dm->act.active)
		return;
	r = read_host(dm, &m, &mem, &ph, &d);
	if (r >= 0) {
		dm_pool_backoff_check(dm, &m);
		r = collect_vms(dm, &m, &ph, &vms, &n);
	}
	if (r < 0) {
		dm_log(dm, 3, "tick %llu: reading the host failed: %s",
		       (unsigned long long)dm->ticks, d.msg[0] ? d.msg : strerror(-r));
	} else if (rc_decide(&ph, &dm->cfg, vms, n, &mv)) {
		const struct rc_vm *v = &vms[mv.vm];
		char cpus[128] = "", sz[32];
		AUTOFREE char *list = cpuset_to_list(&mv.cpus);

		snprintf(cpus, sizeof(cpus), "%s", list ? list : "");
		if (dm_dry_run(dm)) {
			dm_log(dm, 6,
			       "would move pid %d (%s) to node %d (CPUs %s, %s of memory): %s",
			       v->pid, v->name, mv.nodes[0], cpus,
			       format_size_kib(mv.move_kib, sz, sizeof(sz)), mv.reason);
			dm_apply_remember(dm, v->pid);
		} else {
			(void)dm_apply_start(dm, v, &mv);
		}
	}
	if (dm->cfg.ksm && r >= 0 &&
	    (!dm->ksm_set ||
	     dm_now_us() - dm->ksm_last_us >= (uint64_t)dm->cfg.ksm_interval_s * 1000000u)) {
		uint64_t committed = 0;

		for (size_t i = 0; i < n; i++)
			committed += vms[i].rss_kib;
		dm->ksm_last_us = dm_now_us();
		dm_ksm_round(dm, committed);
	}
	keep_seen(dm, vms, n);
	for (size_t i = 0; i < n; i++)
		rc_vm_release(&vms[i]);
	free(vms);
	cpuset_release(&mv.cpus);
	if (r >= 0) { /* kept for advice (numad -w) until the next tick */
		place_host_release(&dm->last_ph);
		dm->last_ph = ph;
		dm->last_ph_us = dm_now_us();
	} else {
		place_host_release(&ph);
	}
	hugepages_mem_release(&mem);
	host_model_release(&m);
}
