/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding processes, reading their per-node memory, vCPU threads and VM names. */
#include "core/procstat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cgstat.h"
#include "core/host.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

void procstat_proc_release(struct procstat_proc *p)
{
	free(p->name);
	free(p->cmdline);
	free(p->vm_name);
	free(p->cgroup);
	numamaps_usage_release(&p->usage);
	for (size_t i = 0; i < p->nvcpus; i++)
		cpuset_release(&p->vcpus[i].allowed);
	free(p->vcpus);
	cpuset_release(&p->vcpu_cpus);
	cpuset_release(&p->vcpu_nodes);
	memset(p, 0, sizeof(*p));
}

void procstat_release(struct procstat *s)
{
	for (size_t i = 0; i < s->nprocs; i++)
		procstat_proc_release(&s->procs[i]);
	free(s->procs);
	s->procs = NULL;
	s->nprocs = 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Read a /proc file of pid; errors are not reported (the process may be gone). */
static int read_pid_file(struct host *h, int pid, const char *file, char **ret, size_t *ret_len)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	/* comm, cmdline come in one go (numa_maps: read_numa_maps) */
	return host_read_attr(h, path, ret, ret_len, NULL);
}

static char *chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

/* argv as one string, arguments joined by single spaces. */
static char *join_argv(const char *argv, size_t len)
{
	char *s = xmalloc(len + 1);

	memcpy(s, argv, len);
	s[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	return chomp(s);
}

static const char *argv_next(const char *arg, const char *end)
{
	const char *nul = memchr(arg, '\0', (size_t)(end - arg));

	return nul ? nul + 1 : end;
}

bool procstat_is_qemu(const char *name, const char *argv, size_t len)
{
	const char *base;
	size_t n;

	if (name && (strncmp(name, "qemu", 4) == 0 || strcmp(name, "kvm") == 0))
		return true;
	if (!len)
		return false;
	n = strnlen(argv, len);
	base = memrchr(argv, '/', n);
	base = base ? base + 1 : argv;
	return strncmp(base, "qemu", 4) == 0;
}

/* The guest name in a -name option value: "guest=NAME,..." or "NAME,...". */
static char *name_from_opts(const char *v)
{
	char *opt = xmalloc(strlen(v) + 1);
	const char *p = v;
	bool first = true;

	while (*p) {
		size_t l = 0;

		/* one option up to an unescaped comma (",," is a literal comma) */
		while (*p && !(*p == ',' && p[1] != ',')) {
			if (*p == ',')
				p++;
			opt[l++] = *p++;
		}
		opt[l] = '\0';
		if (*p == ',')
			p++;
		if (first && l && !memchr(opt, '=', l))
			return opt; /* the implied "guest" key */
		if (l > 6 && strncmp(opt, "guest=", 6) == 0) {
			memmove(opt, opt + 6, l - 5);
			return opt;
		}
		first = false;
	}
	free(opt);
	return NULL;
}

char *procstat_qemu_name(const char *argv, size_t len)
{
	const char *end = argv + len, *a;

	for (a = argv; a < end; a = argv_next(a, end)) {
		const char *v;

		if (strcmp(a, "-name") != 0 && strcmp(a, "--name") != 0)
			continue;
		v = argv_next(a, end);
		if (v >= end)
			return NULL;
		return name_from_opts(v);
	}
	return NULL;
}

double procstat_uptime(struct host *h)
{
	AUTOFREE char *text = NULL;
	double v;

	if (host_read_attr(h, "/proc/uptime", &text, NULL, NULL) < 0)
		return -1;
	text[strcspn(text, " \n")] = '\0';
	return parse_double(text, &v) < 0 || !(v >= 0) ? -1 : v;
}

int procstat_stat_field(const char *stat, int field, int64_t *ret)
{
	const char *p = strrchr(stat, ')');
	int at = 2;

	if (!p || field < 3)
		return -EINVAL;
	p++;
	while (*p) {
		char buf[32];
		size_t n;

		while (*p == ' ')
			p++;
		at++;
		n = strcspn(p, " \n");
		if (at == field) {
			if (n == 0 || n >= sizeof(buf))
				return -EINVAL;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return parse_i64(buf, ret);
		}
		if (!n)
			break;
		p += n;
	}
	return -EINVAL;
}

#define STAT_NUM_THREADS 20
#define STAT_PROCESSOR 39

/* Field 39 (processor): the CPU the task last ran on, or -1. */
static int stat_processor(const char *stat)
{
	int64_t cpu;

	if (procstat_stat_field(stat, STAT_PROCESSOR, &cpu) < 0 || cpu < 0 || cpu > CPUSET_MAX)
		return -1;
	return (int)cpu;
}

static int cpu_node(const struct host_model *m, int cpu)
{
	if (!m || cpu < 0)
		return -1;
	for (size_t i = 0; i < m->nnodes; i++)
		if (cpuset_isset(&m->nodes[i].cpus, (unsigned)cpu))
			return m->nodes[i].node;
	return -1;
}

/* "CPU 3/KVM", "CPU 0/TCG": the vCPU index, or -1. */
static int vcpu_index(const char *comm)
{
	char buf[16];
	const char *slash;
	uint32_t idx;

	if (strncmp(comm, "CPU ", 4) != 0)
		return -1;
	slash = strchr(comm + 4, '/');
	if (!slash || slash == comm + 4 || (size_t)(slash - comm - 4) >= sizeof(buf))
		return -1;
	memcpy(buf, comm + 4, (size_t)(slash - comm - 4));
	buf[slash - comm - 4] = '\0';
	return parse_u32(buf, &idx) < 0 ? -1 : (int)idx;
}

/* Record that one of p's threads last ran on cpu (and so on its node). */
static int record_cpu(const struct host_model *m, struct procstat_proc *p, int cpu)
{
	int node = cpu_node(m, cpu);

	if (cpu >= 0)
		cpuset_set(&p->vcpu_cpus, (unsigned)cpu);
	if (node >= 0)
		cpuset_set(&p->vcpu_nodes, (unsigned)node);
	return node;
}

/* The CPUs a thread may run on ("Cpus_allowed_list:" of its status); empty if unreadable. */
static void thread_allowed(struct host *h, int pid, const char *tid, struct cpuset *ret)
{
	AUTOFREE char *status = NULL;
	char path[128];
	char *line, *nl;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/status", pid, tid);
	if (host_read_attr(h, path, &status, NULL, NULL) < 0)
		return;
	line = strstr(status, "\nCpus_allowed_list:");
	if (!line)
		return;
	line += strlen("\nCpus_allowed_list:");
	nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	if (cpuset_parse_list(line, ret, NULL) < 0)
		cpuset_clear(ret);
}

/* The CPU a thread last ran on and its node; records it in p's sets. */
static struct procstat_vcpu thread_cpu(struct host *h, const struct host_model *m,
				       struct procstat_proc *p, const char *tid, int idx)
{
	AUTOFREE char *stat = NULL;
	struct procstat_vcpu v = {0};
	char path[128];

	snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", p->pid, tid);
	v.tid = (int)strtol(tid, NULL, 10);
	v.index = idx;
	v.cpu = host_read_attr(h, path, &stat, NULL, NULL) < 0 ? -1 : stat_processor(stat);
	v.node = record_cpu(m, p, v.cpu);
	return v;
}

/*
 * A process of one thread: /proc/PID/stat says where it ran, which spares
 * listing task/ and reading the thread's own stat (a watch over many small
 * processes pays that per process and sample).  False when it has several
 * threads or its stat cannot be read: then the threads are listed.
 */
static bool single_thread_cpu(struct host *h, const struct host_model *m, struct procstat_proc *p)
{
	AUTOFREE char *stat = NULL;
	char path[64];
	int64_t threads;

	snprintf(path, sizeof(path), "/proc/%d/stat", p->pid);
	if (host_read_attr(h, path, &stat, NULL, NULL) < 0 ||
	    procstat_stat_field(stat, STAT_NUM_THREADS, &threads) < 0 || threads != 1)
		return false;
	(void)record_cpu(m, p, stat_processor(stat));
	return true;
}

/*
 * The CPU (and node) each thread last ran on: for QEMU its vCPU threads
 * ("CPU n/KVM", listed in p->vcpus); for other processes, and for a QEMU
 * without named vCPU threads (no debug-threads=on), every thread.
 */
static void read_threads(struct host *h, const struct host_model *m, struct procstat_proc *p,
			 bool affinity)
{
	char **tids = NULL;
	char path[128];

	if (!p->qemu && single_thread_cpu(h, m, p))
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	if (host_list(h, path, &tids, NULL, NULL) < 0)
		return;
	for (char **t = tids; p->qemu && *t; t++) {
		AUTOFREE char *comm = NULL;
		int idx;

		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", p->pid, *t);
		if (!all_digits(*t) || host_read_attr(h, path, &comm, NULL, NULL) < 0)
			continue;
		idx = vcpu_index(chomp(comm));
		if (idx < 0)
			continue;
		p->vcpus = xreallocarray(p->vcpus, p->nvcpus + 1, sizeof(*p->vcpus));
		p->vcpus[p->nvcpus] = thread_cpu(h, m, p, *t, idx);
		if (affinity)
			thread_allowed(h, p->pid, *t, &p->vcpus[p->nvcpus].allowed);
		p->nvcpus++;
	}
	for (char **t = tids; !p->nvcpus && *t; t++)
		if (all_digits(*t))
			(void)thread_cpu(h, m, p, *t, -1);
	host_names_free(tids);
}

static void model_huge_sizes(const struct host_model *m, uint64_t **ret, size_t *ret_n)
{
	*ret = NULL;
	*ret_n = 0;
	if (!m || !m->npools)
		return;
	*ret = xcalloc(m->npools, sizeof(uint64_t));
	for (size_t i = 0; i < m->npools; i++)
		(*ret)[i] = m->pools[i].size_kib;
	*ret_n = m->npools;
}

/* Try the cgroup fast path; 0 when it filled p->usage. */
static int read_cgroup_usage(struct host *h, const struct host_model *m,
			     const struct procstat_opts *opts, struct procstat_proc *p)
{
	struct cgstat_mounts own = {0};
	const struct cgstat_mounts *cm = opts->cgroups;
	struct cgstat_dirs dirs = {0};
	AUTOFREE uint64_t *sizes = NULL;
	struct numamaps_usage u = NUMAMAPS_USAGE_INIT;
	size_t nsizes;
	int r;

	if (!cm) {
		r = cgstat_mounts_load(h, &own, NULL);
		if (r < 0)
			return r;
		cm = &own;
	}
	r = cgstat_find(h, cm, p->pid, &dirs, NULL);
	cgstat_mounts_release(&own);
	if (r < 0)
		return r;
	model_huge_sizes(m, &sizes, &nsizes);
	r = cgstat_read(h, &dirs, opts->base_page_kib, sizes, nsizes, &u, NULL);
	if (r < 0) {
		numamaps_usage_release(&u);
		cgstat_dirs_release(&dirs);
		return r;
	}
	p->usage = u;
	p->source = PROCSTAT_SOURCE_CGROUP;
	p->cgroup = STEAL_PTR(dirs.memory);
	cgstat_dirs_release(&dirs);
	return 0;
}

static int gone(struct procstat_proc *p, int pid, struct diag *d)
{
	procstat_proc_release(p);
	return diag_set(d, ESRCH, "/proc", "process %d is a kernel thread or has exited", pid);
}

struct maps_ctx {
	struct numamaps_usage *u;
	const struct procstat_opts *opts;
};

static int add_maps_lines(void *ctx, const char *text, size_t len)
{
	struct maps_ctx *c = ctx;

	(void)numamaps_usage_parse(c->u, text, len, c->opts->base_page_kib,
				   c->opts->default_huge_kib, NULL);
	return 0;
}

/* Sum /proc/PID/numa_maps into u, parsed as it is read (a QEMU's is tens of KiB). */
static int read_numa_maps(struct host *h, int pid, const struct procstat_opts *opts,
			  struct numamaps_usage *u, size_t *ret_len)
{
	struct maps_ctx ctx = {u, opts};
	char path[64], buf[16384];

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	return host_read_lines(h, path, buf, sizeof(buf), add_maps_lines, &ctx, ret_len, NULL);
}

/*
 * Reads comm, then numa_maps (or the cgroup files); the command line only
 * for QEMU (its -name) or when numa_maps is empty (a kernel thread has no
 * command line): two or three files per process, as numastat reads two.
 */
int procstat_read_proc(struct host *h, const struct host_model *m, int pid,
		       const struct procstat_opts *opts, struct procstat_proc *ret, struct diag *d)
{
	AUTOFREE char *comm = NULL, *argv = NULL;
	struct procstat_proc p = {0};
	size_t argv_len = 0, maps_len = 0;
	int r;

	r = read_pid_file(h, pid, "comm", &comm, NULL);
	if (r < 0)
		return diag_set(d, ESRCH, "/proc", "no process %d", pid);
	p.pid = pid;
	p.name = str_escape(chomp(comm), 64); /* display only: control characters escaped */
	p.qemu = procstat_is_qemu(p.name, NULL, 0);
	if ((opts->flags & PROCSTAT_QEMU_ONLY) && !p.qemu) {
		procstat_proc_release(&p);
		return -ESRCH; /* not an error the caller reports */
	}
	if (p.qemu) {
		if (read_pid_file(h, pid, "cmdline", &argv, &argv_len) < 0 || argv_len == 0)
			return gone(&p, pid, d);
		p.cmdline = join_argv(argv, argv_len);
		p.vm_name = procstat_qemu_name(argv, argv_len);
		if (p.vm_name && !str_is_printable(p.vm_name)) {
			char *shown = str_escape(p.vm_name, 256);

			free(p.vm_name);
			p.vm_name = shown;
		}
	}
	if (!(opts->flags & PROCSTAT_CGROUP) || read_cgroup_usage(h, m, opts, &p) < 0) {
		r = read_numa_maps(h, pid, opts, &p.usage, &maps_len);
		if (r < 0) {
			procstat_proc_release(&p);
			if (r == -ENOENT || r == -ESRCH)
				return diag_set(d, ESRCH, "/proc", "no process %d", pid);
			return diag_set(d, r, "numa_maps", "cannot read '/proc/%d/numa_maps': %s",
					pid, strerror(-r));
		}
		if (!maps_len && !p.cmdline &&
		    (read_pid_file(h, pid, "cmdline", &argv, &argv_len) < 0 || !argv_len))
			return gone(&p, pid, d);
	}
	/* numastat's tables need no threads: reading each one's comm and stat costs a QEMU
	 * several more files. */
	if ((p.qemu && (opts->flags & PROCSTAT_VCPUS)) || (opts->flags & PROCSTAT_THREADS))
		read_threads(h, m, &p, opts->flags & PROCSTAT_AFFINITY);
	*ret = p;
	return 0;
}

/* "Name cmdline" as numastat builds it for pattern matching. */
static bool pid_matches(struct host *h, int pid, const char *pattern)
{
	AUTOFREE char *comm = NULL, *argv = NULL, *hay = NULL;
	size_t len = 0;

	if (read_pid_file(h, pid, "comm", &comm, NULL) < 0 ||
	    read_pid_file(h, pid, "cmdline", &argv, &len) < 0 || len == 0)
		return false; /* gone, unreadable, or a kernel thread */
	for (size_t i = 0; i < len; i++)
		if (argv[i] == '\0')
			argv[i] = ' ';
	hay = xasprintf("%s %s", chomp(comm), argv);
	return strstr(hay, pattern) != NULL;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void add_pid(int **pids, size_t *n, int pid)
{
	*pids = xreallocarray(*pids, *n + 1, sizeof(int));
	(*pids)[(*n)++] = pid;
}

/* Resolve selectors to a sorted list of PIDs without duplicates. */
static int resolve_pids(struct host *h, char *const *sel, size_t nsel,
			const struct procstat_opts *opts, int **ret, size_t *ret_n, struct diag *d)
{
	char **names = NULL;
	AUTOFREE int *pids = NULL;
	size_t n = 0, out = 0;
	bool need_list = opts->flags & PROCSTAT_ALL;
	int r;

	for (size_t s = 0; s < nsel; s++)
		need_list = need_list || !all_digits(sel[s]);
	if (need_list) {
		r = host_list(h, "/proc", &names, NULL, d);
		if (r < 0)
			return r;
	}
	for (size_t s = 0; s < nsel; s++) {
		size_t before = n;
		uint32_t pid;

		if (all_digits(sel[s])) {
			if (parse_u32(sel[s], &pid) < 0 || pid == 0 || pid > INT32_MAX) {
				host_names_free(names);
				return diag_set(d, ESRCH, sel[s], "no process %s", sel[s]);
			}
			add_pid(&pids, &n, (int)pid);
			continue; /* existence is checked when it is read */
		}
		for (char **p = names; p && *p; p++)
			if (all_digits(*p) && parse_u32(*p, &pid) == 0 &&
			    (int)pid != opts->self_pid && pid_matches(h, (int)pid, sel[s]))
				add_pid(&pids, &n, (int)pid);
		if (n == before) {
			host_names_free(names);
			return diag_set(d, ESRCH, sel[s], "no process matches '%s'", sel[s]);
		}
	}
	if (opts->flags & PROCSTAT_ALL) {
		uint32_t pid;

		for (char **p = names; *p; p++)
			if (all_digits(*p) && parse_u32(*p, &pid) == 0 &&
			    (int)pid != opts->self_pid)
				add_pid(&pids, &n, (int)pid);
	}
	host_names_free(names);
	if (n)
		qsort(pids, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++)
		if (out == 0 || pids[out - 1] != pids[i])
			pids[out++] = pids[i];
	*ret = STEAL_PTR(pids);
	*ret_n = out;
	return 0;
}

int procstat_collect(struct host *h, const struct host_model *m, char *const *selectors,
		     size_t nselectors, const struct procstat_opts *opts, struct procstat *ret,
		     struct diag *d)
{
	AUTOFREE int *pids = NULL;
	struct cgstat_mounts cm = {0};
	struct procstat_opts o = *opts;
	struct procstat s = {0};
	size_t npids = 0;
	int r;

	r = resolve_pids(h, selectors, nselectors, opts, &pids, &npids, d);
	if (r < 0)
		return r;
	/* the cgroup mounts once for all processes, not once per VM */
	if ((opts->flags & PROCSTAT_CGROUP) && !opts->cgroups &&
	    cgstat_mounts_load(h, &cm, NULL) >= 0)
		o.cgroups = &cm;
	s.procs = xcalloc(npids ? npids : 1, sizeof(*s.procs));
	for (size_t i = 0; i < npids; i++) {
		struct diag pd = {0};
		bool explicit = false;
		char buf[16];

		r = procstat_read_proc(h, m, pids[i], &o, &s.procs[s.nprocs], &pd);
		if (r >= 0) {
			s.nprocs++;
			continue;
		}
		snprintf(buf, sizeof(buf), "%d", pids[i]);
		for (size_t k = 0; k < nselectors; k++)
			if (strcmp(selectors[k], buf) == 0)
				explicit = true;
		/* a PID asked for by number must exist (and be a VM with --vms) */
		if (explicit) {
			if (r == -ESRCH && (opts->flags & PROCSTAT_QEMU_ONLY) && !pd.msg[0])
				diag_set(&pd, ESRCH, buf, "process %d is not a QEMU process",
					 pids[i]);
			if (d)
				*d = pd;
			procstat_release(&s);
			cgstat_mounts_release(&cm);
			return -ESRCH;
		}
	}
	cgstat_mounts_release(&cm);
	*ret = s;
	return 0;
}

uint64_t procstat_huge_kib(const struct procstat_proc *p)
{
	return numamaps_usage_total_kib(&p->usage, NUMAMAPS_CAT_HUGE);
}

double procstat_locality(const struct procstat_proc *p)
{
	uint64_t total = numamaps_usage_total_kib(&p->usage, -1), local = 0;
	int node;

	if (!total || cpuset_empty(&p->vcpu_nodes))
		return -1;
	cpuset_foreach (node, &p->vcpu_nodes)
		local += numamaps_usage_node_kib(&p->usage, -1, node);
	return (double)local / (double)total;
}

unsigned procstat_vm_flags(const struct procstat_proc *p)
{
	uint64_t total = numamaps_usage_total_kib(&p->usage, -1);
	double loc = procstat_locality(p);
	unsigned holding = 0, flags = 0;

	for (size_t n = 0; total && n < p->usage.nnodes; n++)
		if ((double)numamaps_usage_node_kib(&p->usage, -1, (int)n) >=
		    PROCSTAT_SPREAD_MIN_SHARE * (double)total)
			holding++;
	if (holding > 1)
		flags |= PROCSTAT_VM_SPREAD;
	if (loc >= 0 && loc < PROCSTAT_AWAY_MAX_LOCALITY)
		flags |= PROCSTAT_VM_VCPUS_AWAY;
	if (!procstat_huge_kib(p))
		flags |= PROCSTAT_VM_NO_HUGEPAGES;
	if (!p->nvcpus)
		flags |= PROCSTAT_VM_NO_VCPU_NAMES;
	return flags;
}

const char *procstat_vm_flag_name(unsigned flag)
{
	switch (flag) {
	case PROCSTAT_VM_SPREAD:
		return "spread";
	case PROCSTAT_VM_VCPUS_AWAY:
		return "vcpus-away";
	case PROCSTAT_VM_NO_HUGEPAGES:
		return "no-hugepages";
	case PROCSTAT_VM_NO_VCPU_NAMES:
		return "no-vcpu-names";
	default:
		return NULL;
	}
}
