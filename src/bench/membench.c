/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'kvmtune bench memory': the run.  For each page kind and memory node a
 * buffer is mapped, bound with mbind, populated and checked with
 * move_pages; for each CPU node the thread is pinned there and the kernels
 * of memkern.c measure latency (median of short samples of dependent
 * loads, timed on the thread's CPU clock so that time spent preempted by
 * other tenants is left out) and streaming read bandwidth.
 */
#include "bench/membench.h"

#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench/membuf.h"
#include "bench/memkern.h"
#include "bench/mempages.h"
#include "core/host.h"
#include "core/model.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Loads per latency sample: a few milliseconds, shorter than a time slice. */
#define SAMPLE_LOADS 16384u
#define MIN_SAMPLES 5u
#define MAX_SAMPLES 2001u
#define CHASE_STRIDE 4096u
#define NAIVE_MAX_KIB (256u * 1024u)

static double now_s(clockid_t clk)
{
	struct timespec ts;

	(void)clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool stopped(const struct membench_opts *o)
{
	return o->stop && *o->stop;
}

static void progress(const struct membench_opts *o, double fraction, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void progress(const struct membench_opts *o, double fraction, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	o->progress(o->progress_data, fraction, what);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Pin the calling thread to the CPUs of node. */
static int pin_to_node(const struct host_model *m, int node)
{
	const struct numa_node *n = model_find_node(m, node);
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	if (!n)
		return -EINVAL;
	cpuset_foreach (cpu, &n->cpus)
		if (cpu < CPU_SETSIZE)
			CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

/* Latency samples until budget_s of wall time is spent (at least MIN_SAMPLES). */
static void measure_latency(const struct membench_opts *o, void *start, size_t nslots,
			    double budget_s, struct membench_cell *cell)
{
	double *ns = xcalloc(MAX_SAMPLES, sizeof(*ns));
	double t_end = now_s(CLOCK_MONOTONIC) + budget_s;
	unsigned n = 0;
	void *p;

	/* one pass (at most half a million loads) to settle caches and TLBs */
	p = memkern_chase_run(start, nslots < (1u << 19) ? nslots : (1u << 19));
	while (n < MAX_SAMPLES && !stopped(o) &&
	       (n < MIN_SAMPLES || now_s(CLOCK_MONOTONIC) < t_end)) {
		double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);

		p = memkern_chase_run(p, SAMPLE_LOADS);
		ns[n++] = (now_s(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e9 / SAMPLE_LOADS;
	}
	/* keep the chain's end observable so the loads stay */
	*(void *volatile *)&cell->sink = p;
	qsort(ns, n, sizeof(*ns), cmp_double);
	cell->samples = n;
	if (n) {
		cell->c.latency_ns = n % 2 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2;
		cell->c.p10_ns = ns[n / 10];
		cell->c.p90_ns = ns[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1];
	}
	free(ns);
}

/* Best of up to three streaming reads (at least one), in MB/s on the thread's CPU clock. */
static double measure_read(const struct membench_opts *o, const void *buf, size_t bytes,
			   double budget_s)
{
	double best = 0, t_end = now_s(CLOCK_MONOTONIC) + budget_s;
	volatile uint64_t sink = 0;

	for (int pass = 0; pass < 3 && !stopped(o); pass++) {
		double t0 = now_s(CLOCK_THREAD_CPUTIME_ID), dt;

		sink += memkern_read(buf, bytes);
		dt = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
		if (dt > 0 && (double)bytes / dt / 1e6 > best)
			best = (double)bytes / dt / 1e6;
		if (now_s(CLOCK_MONOTONIC) > t_end)
			break;
	}
	(void)sink;
	return best;
}

/* Whether node can be a CPU node (has CPUs) or a memory node (has memory). */
static bool node_has_cpus(const struct numa_node *n)
{
	return !cpuset_empty(&n->cpus);
}

static bool node_has_mem(const struct numa_node *n)
{
	return n->mem_total_kib != 0;
}

static bool wanted(const struct membench_opts *o, int node)
{
	if (!o->nodes)
		return true;
	for (size_t i = 0; i < o->nnodes; i++)
		if (o->nodes[i] == node)
			return true;
	return false;
}

static int check_nodes(const struct host_model *m, const struct membench_opts *o, struct diag *d)
{
	bool any_cpu = false, any_mem = false;

	for (size_t i = 0; i < o->nnodes; i++)
		if (!model_find_node(m, o->nodes[i]))
			return diag_set(d, EINVAL, "--nodes",
					"--nodes: node %d does not exist on this host",
					o->nodes[i]);
	for (size_t i = 0; i < m->nnodes; i++) {
		if (!wanted(o, m->nodes[i].node))
			continue;
		any_cpu |= node_has_cpus(&m->nodes[i]);
		any_mem |= node_has_mem(&m->nodes[i]);
	}
	if (!any_cpu || !any_mem)
		return diag_set(d, EINVAL, "--nodes",
				"--nodes: the nodes given have no %s to measure with",
				any_cpu ? "memory" : "CPUs");
	return 0;
}

static int check_page(const struct host_model *m, const struct membench_opts *o,
		      const struct memcost_page *p, struct diag *d)
{
	char name[16];

	memcost_page_name(p, name, sizeof(name));
	if (p->thp || p->size_kib == 4)
		return 0;
	if (!model_cpu_supports(m, p->size_kib) || !model_find_pool(m, p->size_kib))
		return diag_set(d, EINVAL, "--sizes", "--sizes: %s pages: this %s", name,
				model_cpu_supports(m, p->size_kib)
					? "kernel has no pool of them"
					: "CPU does not support them (no pdpe1gb for 1G)");
	if (o->buffer_kib % p->size_kib)
		return diag_set(d, EINVAL, "--mib",
				"--mib: %" PRIu64 " MiB is not a whole number of %s pages",
				o->buffer_kib / 1024, name);
	return 0;
}

int membench_check(const struct host_model *m, const struct membench_opts *o, struct diag *d)
{
	int64_t smallest = -1;
	int r = check_nodes(m, o, d);

	for (size_t i = 0; r >= 0 && i < o->npages; i++)
		r = check_page(m, o, &o->pages[i], d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->nnodes; i++)
		if (wanted(o, m->nodes[i].node) && m->nodes[i].mem_total_kib > 0 &&
		    (smallest < 0 || m->nodes[i].mem_total_kib < smallest))
			smallest = m->nodes[i].mem_total_kib;
	if (o->buffer_kib < 1024 || (smallest > 0 && o->buffer_kib > (uint64_t)smallest / 2))
		return diag_set(d, ERANGE, "--mib",
				"--mib %" PRIu64 ": expected 1 to %" PRId64
				" (half the smallest memory node's %" PRId64 " MiB)",
				o->buffer_kib / 1024, smallest > 0 ? smallest / 2048 : 0,
				smallest > 0 ? smallest / 1024 : 0);
	if (!(o->seconds >= 1 && o->seconds <= 86400))
		return diag_set(d, ERANGE, "--seconds", "--seconds: expected 1 to 86400");
	return 0;
}

struct run_ctx {
	struct host *h;
	const struct host_model *m;
	const struct membench_opts *o;
	struct membench_result *res;
	double t_start, deadline;
	size_t done;
	char owner[64];
};

static double time_left(const struct run_ctx *x)
{
	return x->deadline - now_s(CLOCK_MONOTONIC);
}

/* The cells still to measure, from cell i on (at least 1). */
static size_t cells_left(const struct run_ctx *x, size_t i)
{
	return x->res->ncells > i ? x->res->ncells - i : 1;
}

static void note_all(struct membench_cell *cells, size_t n, const char *note)
{
	for (size_t i = 0; i < n; i++)
		if (!cells[i].note[0])
			(void)snprintf(cells[i].note, sizeof(cells[i].note), "%s", note);
}

static int slit_of(const struct host_model *m, int from, int to)
{
	const struct numa_node *a = model_find_node(m, from);

	for (size_t i = 0; a && i < m->nnodes && i < a->ndistances; i++)
		if (m->nodes[i].node == to)
			return a->distances[i];
	return -1;
}

/* Lay out the cells: page kind, then memory node, then CPU node. */
static void plan_cells(const struct host_model *m, const struct membench_opts *o,
		       struct membench_result *res)
{
	size_t n = 0;

	res->cells = xcalloc(o->npages * m->nnodes * m->nnodes + 1, sizeof(*res->cells));
	for (size_t p = 0; p < o->npages; p++)
		for (size_t mi = 0; mi < m->nnodes; mi++) {
			if (!wanted(o, m->nodes[mi].node) || !node_has_mem(&m->nodes[mi]))
				continue;
			for (size_t ci = 0; ci < m->nnodes; ci++) {
				struct membench_cell *c = &res->cells[n];

				if (!wanted(o, m->nodes[ci].node) || !node_has_cpus(&m->nodes[ci]))
					continue;
				c->c.page = o->pages[p];
				c->c.cpu_node = m->nodes[ci].node;
				c->c.mem_node = m->nodes[mi].node;
				c->c.slit = slit_of(m, c->c.cpu_node, c->c.mem_node);
				n++;
			}
		}
	res->ncells = n;
}

/* Measure the cells of one buffer (same page kind and memory node). */
static void measure_group(struct run_ctx *x, const struct membuf *b, size_t first, size_t n)
{
	void *start = NULL;
	int nslots;

	nslots = memkern_chase_build(b->buf, b->bytes, CHASE_STRIDE, x->o->seed, &start);
	for (size_t i = first; i < first + n && !stopped(x->o); i++) {
		struct membench_cell *c = &x->res->cells[i];
		double budget = time_left(x) / (double)cells_left(x, i);
		char page[16];

		if (budget <= 0) {
			note_all(c, first + n - i, "not measured: --seconds ran out");
			break;
		}
		progress(x->o, (double)i / (double)x->res->ncells,
			 "%s pages, memory node %d, CPU node %d",
			 memcost_page_name(&c->c.page, page, sizeof(page)), c->c.mem_node,
			 c->c.cpu_node);
		if (pin_to_node(x->m, c->c.cpu_node) < 0) {
			(void)snprintf(c->note, sizeof(c->note),
				       "not measured: cannot run on node %d's CPUs", c->c.cpu_node);
			continue;
		}
		c->c.on_node = b->on_node;
		c->c.huge = b->huge;
		measure_latency(x->o, start, nslots > 0 ? (size_t)nslots : 0, budget * 0.8, c);
		c->c.read_mbps = measure_read(x->o, b->buf, b->bytes, budget * 0.2);
	}
}

static int run_group(struct run_ctx *x, size_t first, size_t n, struct diag *d)
{
	const struct membench_cell *c0 = &x->res->cells[first];
	const struct memcost_page *p = &c0->c.page;
	bool hugetlb = !p->thp && p->size_kib > 4;
	struct membuf b = {0};
	struct diag pd = {0};
	char note[200];
	int r;

	if (time_left(x) <= 0) {
		note_all(&x->res->cells[first], n, "not measured: --seconds ran out");
		return 0;
	}
	if (hugetlb) {
		r = mempages_take(x->h, x->owner, c0->c.mem_node, p->size_kib, x->o->buffer_kib, 30,
				  &pd);
		if (r < 0) {
			(void)snprintf(note, sizeof(note), "not measured: no pages: %s", pd.msg);
			/* refused (keep-free guard, lock held elsewhere, short pool): the
			 * other kinds and nodes can still be measured */
			note_all(&x->res->cells[first], n, note);
			return 0;
		}
	}
	r = membuf_alloc(x->h, p, c0->c.mem_node, (size_t)x->o->buffer_kib * 1024, &b, &pd);
	if (r < 0) {
		(void)snprintf(note, sizeof(note), "not measured: %s", pd.msg);
		note_all(&x->res->cells[first], n, note);
	} else {
		measure_group(x, &b, first, n);
	}
	membuf_free(&b);
	if (hugetlb) {
		r = mempages_give_back(x->h, x->owner, &pd);
		if (r < 0)
			return diag_set(d, r, pd.object,
					"%s (run 'kvmtune hugepages release --owner %s')", pd.msg,
					x->owner);
	}
	return 0;
}

/*
 * The naive check: an anonymous mapping as glibc's malloc makes one for a
 * large block (no madvise, default policy), first-touched from the first CPU
 * node.  Not through malloc itself: a sanitizer's allocator would be timed
 * with it.
 */
static void run_naive(struct run_ctx *x, int cpu_node, double budget_s)
{
	struct membench_naive *nv = &x->res->naive;
	size_t bytes = (size_t)x->o->buffer_kib * 1024, npages = bytes / 4096;
	uint64_t *words;
	double t_end, spent = 0;
	size_t idx;

	nv->cpu_node = -1;
	if (pin_to_node(x->m, cpu_node) < 0 || npages < 2) {
		(void)snprintf(nv->note, sizeof(nv->note), "not run: cannot run on node %d",
			       cpu_node);
		return;
	}
	progress(x->o, 0, "naive check on CPU node %d", cpu_node);
	words = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (words == MAP_FAILED) {
		(void)snprintf(nv->note, sizeof(nv->note), "not run: mmap: %s", strerror(errno));
		return;
	}
	idx = memkern_naive_build(words, npages, x->o->seed ^ 0x5eed);
	idx = memkern_naive_run(words, idx, npages); /* one pass to settle */
	t_end = now_s(CLOCK_MONOTONIC) + budget_s;
	do {
		double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);

		idx = memkern_naive_run(words, idx, npages);
		spent += now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
		nv->loads += npages;
	} while (!stopped(x->o) && now_s(CLOCK_MONOTONIC) < t_end);
	nv->cpu_node = idx < npages * 512 ? cpu_node : -1;
	nv->ns = spent * 1e9 / (double)nv->loads;
	(void)munmap(words, bytes);
}

static void group_bounds(const struct membench_result *res, size_t first, size_t *ret_n)
{
	size_t n = 1;

	while (first + n < res->ncells &&
	       memcost_page_equal(&res->cells[first + n].c.page, &res->cells[first].c.page) &&
	       res->cells[first + n].c.mem_node == res->cells[first].c.mem_node)
		n++;
	*ret_n = n;
}

int membench_run(struct host *h, const struct host_model *m, const struct membench_opts *o,
		 struct membench_result *ret, struct diag *d)
{
	struct run_ctx x = {.h = h, .m = m, .o = o, .res = ret};
	cpu_set_t saved;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (sched_getaffinity(0, sizeof(saved), &saved) < 0)
		return diag_set(d, errno, "sched_getaffinity", "sched_getaffinity: %s",
				strerror(errno));
	(void)snprintf(x.owner, sizeof(x.owner), "%s%d", MEMPAGES_OWNER_PREFIX, (int)getpid());
	x.t_start = now_s(CLOCK_MONOTONIC);
	x.deadline = x.t_start + o->seconds;
	plan_cells(m, o, ret);
	if (ret->ncells)
		run_naive(&x, ret->cells[0].c.cpu_node, o->seconds / (double)(ret->ncells + 1) / 2);
	for (size_t i = 0; i < ret->ncells && r >= 0;) {
		size_t n;

		group_bounds(ret, i, &n);
		if (stopped(o)) {
			note_all(&ret->cells[i], ret->ncells - i, "not measured: interrupted");
			break;
		}
		r = run_group(&x, i, n, d);
		i += n;
	}
	(void)sched_setaffinity(0, sizeof(saved), &saved);
	ret->elapsed_s = now_s(CLOCK_MONOTONIC) - x.t_start;
	ret->stopped = stopped(o);
	progress(o, 1, "done");
	if (r < 0)
		return r;
	return ret->stopped ? -EINTR : 0;
}

void membench_result_release(struct membench_result *r)
{
	free(r->cells);
	memset(r, 0, sizeof(*r));
}

void membench_to_costs(const struct membench_result *r, struct memcost *ret)
{
	for (size_t i = 0; i < r->ncells; i++)
		if (r->cells[i].samples)
			memcost_add(ret, &r->cells[i].c);
}
