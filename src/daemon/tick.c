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

/* The first number of /proc/uptime (seconds since boot), < 0 when unreadable. */
static double read_uptime(struct host *h)
{
	AUTOFREE char *text = NULL;
	double v;

	if (host_read_attr(h, "/proc/uptime", &text, NULL, NULL) < 0)
		return -1;
	text[strcspn(text, " \n")] = '\0';
	return parse_double(text, &v) < 0 || v < 0 ? -1 : v;
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
 * The CPUs pid used: since the tick that last read it, else on average since
 * it started (the first tick that sees it); < 0 when not known.  *ret is this
 * reading (pid 0 when there is none), for the next tick.
 */
static double vm_cpu_use(const struct daemon *dm, int pid, double uptime_s, uint64_t now,
			 struct dm_cpu_sample *ret)
{
	long hz = sysconf(_SC_CLK_TCK);
	int64_t cpu, start;
	double age_s;

	*ret = (struct dm_cpu_sample){0};
	if (hz <= 0 || read_cpu_ticks(dm->h, pid, &cpu, &start) < 0)
		return -1;
	*ret = (struct dm_cpu_sample){pid, start, cpu, now};
	for (size_t i = 0; i < dm->ncpu_seen; i++) {
		const struct dm_cpu_sample *o = &dm->cpu_seen[i];

		if (o->pid == pid && o->start_ticks == start && now > o->at_us &&
		    cpu >= o->cpu_ticks)
			return (double)(cpu - o->cpu_ticks) / (double)hz /
			       ((double)(now - o->at_us) / 1e6);
	}
	age_s = uptime_s - (double)start / (double)hz;
	return uptime_s >= 0 && age_s >= 1.0 ? (double)cpu / (double)hz / age_s : -1;
}

static bool cooling(const struct daemon *dm, int pid, uint64_t now)
{
	for (size_t i = 0; i < dm->nmoved; i++)
		if (dm->moved[i].pid == pid)
			return now - dm->moved[i].at_us < (uint64_t)dm->cfg.cooldown_s * 1000000u;
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

/* Read one process into v; false to skip it (gone, not a VM, too small to look at). */
static bool read_vm(struct daemon *dm, const struct host_model *m, const struct place_host *ph,
		    int pid, double uptime_s, struct rc_vm *v, struct dm_cpu_sample *ret_cpu)
{
	struct procstat_opts o = {.self_pid = getpid(),
				  .base_page_kib = 4,
				  .default_huge_kib = m->default_hugepage_kib};
	struct procstat_proc p = {0};
	uint64_t kib = 0;

	if (pid == getpid())
		return false;
	if (read_status(dm->h, pid, &kib, &v->allowed, &v->mems) < 0)
		return false;
	if (dm->cfg.scope == DAEMON_SCOPE_ALL && kib < dm->cfg.min_mem_kib)
		return false;
	o.flags = PROCSTAT_VCPUS | PROCSTAT_AFFINITY |
		  (dm->cfg.scope == DAEMON_SCOPE_QEMU ? PROCSTAT_QEMU_ONLY : 0);
	if (procstat_read_proc(dm->h, m, pid, &o, &p, NULL) < 0)
		return false;
	if (p.name && strcmp(p.name, "kvmtune") == 0) { /* its own tools: short-lived, never VMs */
		procstat_proc_release(&p);
		return false;
	}
	v->pid = pid;
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
	v->cooling = cooling(dm, pid, dm_now_us());
	v->cpu_use = vm_cpu_use(dm, pid, uptime_s, dm_now_us(), ret_cpu);
	vm_memory(&p, ph, v);
	procstat_proc_release(&p);
	return true;
}

static int collect_vms(struct daemon *dm, const struct host_model *m, const struct place_host *ph,
		       struct rc_vm **ret, size_t *ret_n)
{
	char **names = NULL;
	struct rc_vm *vms = NULL;
	struct dm_cpu_sample *cpu = NULL;
	size_t n = 0, cap = 0;
	uint32_t pid;
	double uptime_s = read_uptime(dm->h);
	int r = host_list(dm->h, "/proc", &names, NULL, NULL);

	if (r < 0)
		return r;
	for (char **p = names; *p; p++) {
		if (parse_u32(*p, &pid) < 0 || pid == 0 || pid > INT32_MAX)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			vms = xreallocarray(vms, cap, sizeof(*vms));
			cpu = xreallocarray(cpu, cap, sizeof(*cpu));
		}
		memset(&vms[n], 0, sizeof(vms[n]));
		if (read_vm(dm, m, ph, (int)pid, uptime_s, &vms[n], &cpu[n]))
			n++;
		else
			rc_vm_release(&vms[n]);
	}
	host_names_free(names);
	free(dm->cpu_seen); /* only the VMs of this tick: the list stays small */
	dm->cpu_seen = cpu;
	dm->ncpu_seen = n;
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
	if (r >= 0)
		r = collect_vms(dm, &m, &ph, &vms, &n);
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
