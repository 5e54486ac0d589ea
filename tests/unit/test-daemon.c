/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's pure parts: the configuration file (bad values rejected with
 * file:line), the batch mover through a fake mover seam (rate, stall budget,
 * a process that vanishes mid-move, a target node that goes short mid-move),
 * and one tick's decision (a pinned VM left alone, hysteresis, keep-free,
 * one VM at a time).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hugepages-plan.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/ksm.h"
#include "daemon/mover.h"
#include "daemon/reconcile.h"
#include "place/host.h"
#include "util/diag.h"
#include "util/xalloc.h"

#define GIB (1024ULL * 1024ULL)

/* ---- configuration ---- */

static int parse(const char *text, struct daemon_config *c, struct diag *d)
{
	char *copy = xstrdup(text);
	int r = daemon_config_parse(copy, "daemon.conf", c, d);

	free(copy);
	return r;
}

static void test_config_defaults(void **state)
{
	struct daemon_config c;
	struct diag d = {0};

	(void)state;
	assert_int_equal(parse("# nothing\n\n", &c, &d), 0);
	assert_int_equal(c.interval_ms, 5000);
	assert_int_equal(c.rate_mib_s, 256);
	assert_int_equal(c.max_pause_ms, 20);
	assert_int_equal(c.rescan_s, 30);
	assert_int_equal(c.min_mem_kib, 300 * 1024);
	assert_true(c.move_hugetlb);
	assert_false(c.dry_run);
	assert_int_equal(c.keep_free_kib, -1);
	assert_string_equal(c.socket_path, DAEMON_SOCKET_PATH);
}

static void test_config_values(void **state)
{
	struct daemon_config c;
	struct diag d = {0};

	(void)state;
	assert_int_equal(parse("interval_ms = 1000\n  rate_mib_s=64  \ndry_run = yes\r\n"
			       "scope = all\nmin_mem = 1G\nkeep_free = 2G\nmove_hugetlb = no\n"
			       "socket = /run/x.sock\n",
			       &c, &d),
			 0);
	assert_int_equal(c.interval_ms, 1000);
	assert_int_equal(c.rate_mib_s, 64);
	assert_true(c.dry_run);
	assert_int_equal(c.scope, DAEMON_SCOPE_ALL);
	assert_int_equal(c.min_mem_kib, GIB);
	assert_int_equal(c.keep_free_kib, 2 * GIB);
	assert_false(c.move_hugetlb);
	assert_string_equal(c.socket_path, "/run/x.sock");
}

static void test_config_bad(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"interval_ms = 5x\n",
		 "daemon.conf:1: interval_ms: '5x' is not valid (expected 100..3600000 ms)"},
		{"\n\ninterval_ms = 10\n", "daemon.conf:3: interval_ms: '10' is not valid"},
		{"rate_mib_s = 0\n",
		 "daemon.conf:1: rate_mib_s: '0' is not valid (expected 1..100000 MiB/s)"},
		{"max_pause_ms = -1\n", "daemon.conf:1: max_pause_ms: '-1' is not valid"},
		{"min_mem = 1000000000000000000000000000000\n", "daemon.conf:1: min_mem:"},
		{"dry_run = maybe\n",
		 "daemon.conf:1: dry_run: 'maybe' is not valid (expected yes or no)"},
		{"scope = some\n",
		 "daemon.conf:1: scope: 'some' is not valid (expected qemu or all)"},
		{"socket = relative.sock\n", "daemon.conf:1: socket: 'relative.sock' is not valid"},
		{"frobnicate = 1\n", "daemon.conf:1: unknown key 'frobnicate'"},
		{"rate_mib_s = 5\nrate_mib_s = 6\n",
		 "daemon.conf:2: rate_mib_s: '6' is not valid (expected each key once)"},
		{"just words\n",
		 "daemon.conf:1: just words: 'just words' is not valid (expected key = value)"},
		{"min_locality_pct = 101\n", "daemon.conf:1: min_locality_pct: '101' is not valid"},
		{"rescan_s = 3601\n",
		 "daemon.conf:1: rescan_s: '3601' is not valid (expected 0..3600 seconds)"},
		{"ksm = yes\nksm = no\n",
		 "daemon.conf:2: ksm: 'no' is not valid (expected each key once)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct daemon_config c;
		struct diag d = {0};

		daemon_config_defaults(&c);
		c.interval_ms = 7;
		assert_int_equal(parse(cases[i].text, &c, &d), -EINVAL);
		if (strncmp(d.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: '%s' does not start with '%s'", i, d.msg, cases[i].msg);
		assert_int_equal(c.interval_ms, 7); /* nothing half-parsed reaches the caller */
	}
}

/* ---- the batch mover, through a fake ---- */

struct fake {
	uint64_t now_us;
	uint64_t us_per_page; /* a batch takes this per page */
	uint64_t fixed_us;    /* and this per call */
	size_t delay_every;   /* every n-th call is delayed (a CPU not scheduled) */
	uint64_t delay_us;
	size_t calls;
	size_t vanish_at;   /* this call (1-based) finds the process gone; 0 never */
	size_t short_after; /* pages the target takes in all before it is full; 0 unlimited */
	size_t taken;
	size_t busy_every; /* every n-th page is busy (-EBUSY); 0 never */
	size_t largest_batch;
	size_t seen;
};

static int fake_move(void *ctx, int pid, size_t n, void *const *pages, int node, int *status)
{
	struct fake *f = ctx;

	(void)pid;
	(void)pages;
	f->calls++;
	if (n > f->largest_batch)
		f->largest_batch = n;
	if (f->vanish_at && f->calls == f->vanish_at)
		return -ESRCH;
	f->now_us += f->fixed_us + f->us_per_page * n;
	if (f->delay_every && f->calls % f->delay_every == 0)
		f->now_us += f->delay_us;
	for (size_t i = 0; i < n; i++) {
		if (f->busy_every && ++f->seen % f->busy_every == 0)
			status[i] = -EBUSY;
		else if (f->short_after && f->taken >= f->short_after)
			status[i] = -ENOMEM;
		else {
			status[i] = node;
			f->taken++;
		}
	}
	return 0;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now_us;
}

static const struct mover_ops fake_ops = {fake_move, fake_now};

static void run(struct move_job *j, struct fake *f)
{
	for (int guard = 0; j->state == MOVE_RUNNING && guard < 100000; guard++)
		f->now_us += move_job_step(j, &fake_ops, f);
}

static void **pages(size_t n)
{
	void **p = xcalloc(n, sizeof(*p));

	for (size_t i = 0; i < n; i++)
		p[i] = (void *)(uintptr_t)(0x10000000 + i * 4096);
	return p;
}

static void test_mover_rate(void **state)
{
	struct fake f = {.now_us = 1000, .us_per_page = 1};
	struct move_job j;

	(void)state;
	/* 100 MiB of 4 KiB pages at 64 MiB/s with 20 ms batches */
	move_job_init(&j, 42, 1, 4, pages(25600), 25600, 64, 20);
	assert_int_equal(j.batch_max, 64 * 1024 * 20 / 1000 / 4);
	run(&j, &f);
	assert_int_equal(j.state, MOVE_DONE);
	assert_int_equal(j.moved, 25600);
	assert_int_equal(j.not_moved, 0);
	/* the rate held: 100 MiB at 64 MiB/s takes >= 1.5 s (the last batch is not waited for) */
	assert_true(f.now_us - 1000 >= 1500000);
	assert_true(f.now_us - 1000 < 1700000);
	assert_true(f.largest_batch <= j.batch_max);
	move_job_release(&j);
}

static void test_mover_stall_budget(void **state)
{
	struct fake f = {.now_us = 0, .us_per_page = 100}; /* slow: 100 us per page */
	struct move_job j;

	(void)state;
	move_job_init(&j, 42, 0, 4, pages(4000), 4000, 1024, 10);
	run(&j, &f);
	assert_int_equal(j.state, MOVE_DONE);
	assert_int_equal(j.moved, 4000);
	/* the batch shrank until one batch fits the 10 ms budget: 100 pages at most, after the
	 * first */
	if (j.batch * 100 > 10000)
		fail_msg("batch %zu, longest %llu us, batches %zu", j.batch,
			 (unsigned long long)j.longest_batch_us, j.batches);
	assert_true(j.batches > 40);
	move_job_release(&j);
}

/* Real hardware: a call costs little beyond its pages; the budget holds, the rate caps batches. */
static void test_mover_linear_cost(void **state)
{
	struct fake f = {.now_us = 0, .us_per_page = 5, .fixed_us = 50};
	struct move_job j;

	(void)state;
	move_job_init(&j, 42, 1, 4, pages(100000), 100000, 256, 20);
	run(&j, &f);
	assert_int_equal(j.state, MOVE_DONE);
	assert_int_equal(j.moved, 100000);
	assert_true(move_job_budget_attainable(&j));
	assert_true(j.longest_batch_us <= 20000);
	assert_int_equal(f.largest_batch, j.batch_max); /* the rate, not the budget, limits */
	move_job_release(&j);
}

/*
 * A nested or overloaded machine: every call waits ~300 ms for a TLB shootdown
 * whatever its size (measured in a TCG guest with a busy thread: 1 page 18 ms
 * to 4096 pages 430 ms a call).  Shrinking batches cannot meet a 20 ms budget
 * and only slows the move (16-page batches: 100000 pages in half an hour);
 * batches of twice the fixed cost move it in seconds.
 */
static void test_mover_fixed_cost(void **state)
{
	struct fake f = {.now_us = 0, .us_per_page = 40, .fixed_us = 300000};
	struct move_job j;

	(void)state;
	move_job_init(&j, 42, 1, 4, pages(100000), 100000, 256, 20);
	run(&j, &f);
	assert_int_equal(j.state, MOVE_DONE);
	assert_int_equal(j.moved, 100000);
	assert_false(move_job_budget_attainable(&j));
	assert_int_equal(j.fixed_us, 300000); /* the probe less its one page */
	assert_true(f.largest_batch >= 5000);
	/* no batch above twice the fixed cost (with the estimate's overshoot) */
	if (j.longest_batch_us > 750000 || f.now_us > 15000000)
		fail_msg("longest %llu us, all %llu us, %zu batches",
			 (unsigned long long)j.longest_batch_us, (unsigned long long)f.now_us,
			 j.batches);
	move_job_release(&j);
}

/* An overloaded host delays every third call by 3 s: the estimates must not take the delays for
 * cost per page and shrink the batches (more calls, more delays). */
static void test_mover_noisy_cost(void **state)
{
	struct fake f = {
		.us_per_page = 40, .fixed_us = 200000, .delay_every = 3, .delay_us = 3000000};
	struct move_job j;

	(void)state;
	move_job_init(&j, 42, 1, 4, pages(100000), 100000, 256, 20);
	run(&j, &f);
	assert_int_equal(j.state, MOVE_DONE);
	assert_int_equal(j.moved, 100000);
	if (f.largest_batch < 4000 || f.now_us > 60000000)
		fail_msg("largest batch %zu, all %llu us, %zu batches", f.largest_batch,
			 (unsigned long long)f.now_us, j.batches);
	move_job_release(&j);
}

/* A few pages, and the first full batch hit by a 2 s delay: the batch must not stick at one page
 * (a one-page batch measures no cost per page, so it would never grow again). */
static void test_mover_small_job_delayed(void **state)
{
	struct fake f = {
		.us_per_page = 40, .fixed_us = 120000, .delay_every = 2, .delay_us = 2000000};
	struct move_job j;

	(void)state;
	move_job_init(&j, 42, 1, 4, pages(515), 515, 256, 20);
	run(&j, &f);
	assert_int_equal(j.state, MOVE_DONE);
	assert_int_equal(j.moved, 515);
	if (j.batches > 40)
		fail_msg("%zu batches for 515 pages", j.batches);
	move_job_release(&j);
}

static void test_mover_vanished(void **state)
{
	struct fake f = {.us_per_page = 1, .vanish_at = 3};
	struct move_job j;

	(void)state;
	move_job_init(&j, 42, 1, 4, pages(10000), 10000, 64, 4); /* 65 pages a batch */
	run(&j, &f);
	assert_int_equal(j.state, MOVE_VANISHED);
	assert_int_equal(j.err, -ESRCH);
	assert_int_equal(j.moved,
			 1 + MOVE_MIN_BATCH); /* a one-page probe, then the smallest batch */
	assert_int_equal(j.moved + j.not_moved, 10000);
	assert_int_equal(f.calls, 3); /* nothing tried after it was gone */
	move_job_release(&j);
}

static void test_mover_target_short(void **state)
{
	struct fake f = {.us_per_page = 1, .short_after = 100};
	struct move_job j;

	(void)state;
	/* 2 MiB pages: 8 a batch at 256 MiB/s x 64 ms; the node holds 100 more */
	move_job_init(&j, 42, 1, 2048, pages(500), 500, 256, 64);
	assert_int_equal(j.batch_max, 8);
	run(&j, &f);
	assert_int_equal(j.state, MOVE_SHORT);
	assert_int_equal(j.err, -ENOMEM);
	assert_int_equal(j.moved, 100);
	assert_int_equal(j.moved + j.not_moved, 500);
	assert_int_equal(f.calls, 14); /* a one-page probe, 4, then 8 a batch: stopped at the
					  first batch that found the node full */
	move_job_release(&j);
}

static void test_mover_busy_pages(void **state)
{
	struct fake f = {.us_per_page = 1, .busy_every = 10};
	struct move_job j;

	(void)state;
	move_job_init(&j, 42, 1, 4, pages(1000), 1000, 1024, 20);
	run(&j, &f);
	assert_int_equal(j.state, MOVE_DONE);
	assert_int_equal(j.not_moved, 100);
	assert_int_equal(j.moved, 900);
	move_job_release(&j);
}

static void test_mover_one_gib_page(void **state)
{
	struct fake f = {.us_per_page = 1};
	struct move_job j;

	(void)state;
	move_job_init(&j, 42, 1, GIB, pages(3), 3, 256, 20); /* budget below one page: 1 a batch */
	assert_int_equal(j.batch_max, 1);
	run(&j, &f);
	assert_int_equal(j.state, MOVE_DONE);
	assert_int_equal(j.batches, 3);
	move_job_release(&j);
}

/* ---- one tick's decision ---- */

/* nn nodes of cpn CPUs each, 8 GiB each, 64 free 2 MiB pages each; keep-free off. */
static void some_nodes(struct place_host *ph, int nn, unsigned cpn)
{
	struct host_model m = {0};
	struct hp_mem mem = {0};
	struct place_host_opts o = {0, 0};

	m.nnodes = (size_t)nn;
	m.nodes = xcalloc((size_t)nn, sizeof(*m.nodes));
	m.numa_sysfs = true;
	m.default_hugepage_kib = 2048;
	m.ncpu_page_sizes = 1;
	m.cpu_page_sizes_kib = xcalloc(1, sizeof(uint64_t));
	m.cpu_page_sizes_kib[0] = 2048;
	m.npools = 1;
	m.pools = xcalloc(1, sizeof(*m.pools));
	m.pools[0] = (struct pool){2048, 64 * nn, 64 * nn, 0, 0, 0};
	m.ncore_groups = (size_t)nn * cpn;
	m.core_groups = xcalloc(m.ncore_groups, sizeof(*m.core_groups));
	mem.nnodes = (size_t)nn;
	mem.nodes = xcalloc((size_t)nn, sizeof(*mem.nodes));
	for (int i = 0; i < nn; i++) {
		struct numa_node *n = &m.nodes[i];

		n->node = i;
		n->mem_total_kib = n->mem_free_kib = (int64_t)(8 * GIB);
		n->npools = 1;
		n->pools = xcalloc(1, sizeof(*n->pools));
		n->pools[0] = (struct pool){2048, 64, 64, 0, -1, -1};
		n->ndistances = (size_t)nn;
		n->distances = xcalloc((size_t)nn, sizeof(int));
		for (int k = 0; k < nn; k++)
			n->distances[k] = k == i ? 10 : 20;
		for (unsigned c = 0; c < cpn; c++) {
			unsigned cpu = (unsigned)i * cpn + c;

			cpuset_set(&n->cpus, cpu);
			cpuset_set(&m.cpus_online, cpu);
			cpuset_set(&m.core_groups[cpu].cpus, cpu);
		}
		mem.nodes[i] = (struct hp_node_mem){i, n->mem_total_kib, n->mem_free_kib};
	}
	memset(ph, 0, sizeof(*ph));
	assert_int_equal(place_host_build(&m, &mem, NULL, &o, ph, NULL), 0);
	hugepages_mem_release(&mem);
	host_model_release(&m);
}

/* Two nodes of two CPUs (0-1, 2-3). */
static void two_nodes(struct place_host *ph)
{
	some_nodes(ph, 2, 2);
}

static void vm(struct rc_vm *v, int pid, const char *cpus, uint64_t page_kib, uint64_t kib0,
	       uint64_t kib1)
{
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	snprintf(v->name, sizeof(v->name), "vm%d", pid);
	v->vcpus = 2;
	v->page_kib = page_kib;
	v->total_kib = kib0 + kib1;
	v->node_kib = xcalloc(2, sizeof(uint64_t));
	v->node_kib[0] = kib0;
	v->node_kib[1] = kib1;
	assert_int_equal(cpuset_parse_list(cpus, &v->allowed, NULL), 0);
}

static void test_decide_pinned_left_alone(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v[5];
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	two_nodes(&ph);
	vm(&v[0], 10, "1", VM_PAGE_NORMAL, GIB / 2, GIB / 2);	/* pinned to one CPU */
	vm(&v[1], 11, "0-2", VM_PAGE_NORMAL, GIB / 2, GIB / 2); /* a node and a half */
	vm(&v[2], 12, "0-3", VM_PAGE_NORMAL, GIB / 2, GIB / 2); /* free, but a bind policy */
	v[2].bind_policy = true;
	/* free CPUs, its cgroup's cpuset.mems narrowed to node 0 (libvirt's strict numatune) */
	vm(&v[3], 13, "0-3", VM_PAGE_NORMAL, GIB / 2, GIB / 2);
	assert_int_equal(cpuset_parse_list("0", &v[3].mems, NULL), 0);
	/* confined to node 1's CPUs (a cgroup cpuset), memory held to node 0 */
	vm(&v[4], 14, "2-3", VM_PAGE_NORMAL, GIB / 2, GIB / 2);
	assert_int_equal(cpuset_parse_list("0", &v[4].mems, NULL), 0);
	assert_false(rc_decide(&ph, &cfg, v, 5, &m));
	for (int i = 0; i < 5; i++) {
		assert_int_equal(v[i].verdict, RC_PINNED);
		assert_non_null(strstr(v[i].why, "left alone"));
	}
	assert_non_null(strstr(v[4].why, "memory nodes"));
	for (int i = 0; i < 5; i++)
		rc_vm_release(&v[i]);
	place_host_release(&ph);
}

/* A VM the daemon placed through its cgroup (CPUs and mems on node 1) is not pinned. */
static void test_decide_cgroup_placed(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v[2];
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	two_nodes(&ph);
	vm(&v[0], 10, "2-3", VM_PAGE_NORMAL, 0, GIB / 2); /* mems narrowed after the move */
	assert_int_equal(cpuset_parse_list("1", &v[0].mems, NULL), 0);
	vm(&v[1], 11, "2-3", VM_PAGE_NORMAL, GIB / 4, GIB / 4); /* mid-move: mems widened */
	assert_int_equal(cpuset_parse_list("0-1", &v[1].mems, NULL), 0);
	assert_true(rc_decide(&ph, &cfg, v, 2, &m));
	assert_int_equal(v[0].verdict, RC_SETTLED);
	assert_int_equal(v[1].verdict, RC_MOVE);
	assert_int_equal(m.vm, 1);
	assert_int_equal(m.nodes[0], 1);
	assert_false(m.set_affinity);
	cpuset_release(&m.cpus);
	for (int i = 0; i < 2; i++)
		rc_vm_release(&v[i]);
	place_host_release(&ph);
}

static void test_decide_free_vm(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v[1];
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	two_nodes(&ph);
	/* 400 MiB spread 30/70, threads anywhere: to node 1, where most of it is */
	vm(&v[0], 10, "0-3", VM_PAGE_NORMAL, 120 * 1024, 280 * 1024);
	assert_true(rc_decide(&ph, &cfg, v, 1, &m));
	assert_int_equal(m.vm, 0);
	assert_int_equal(m.nnodes, 1);
	assert_int_equal(m.nodes[0], 1);
	assert_true(m.set_affinity);
	assert_int_equal(m.move_kib, 120 * 1024);
	assert_int_equal(v[0].verdict, RC_MOVE);
	rc_vm_release(&v[0]);
	cpuset_release(&m.cpus);
	place_host_release(&ph);
}

static void test_decide_hysteresis(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v[3];
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	two_nodes(&ph);
	vm(&v[0], 10, "2-3", VM_PAGE_NORMAL, 40 * 1024, 360 * 1024); /* 90 % on node 1: settled */
	vm(&v[1], 11, "0-3", VM_PAGE_NORMAL, 200 * 1024, 200 * 1024);
	v[1].cooling = true;				  /* moved a moment ago */
	vm(&v[2], 12, "0-3", VM_PAGE_NORMAL, 1024, 1024); /* 2 MiB: below min_mem */
	assert_false(rc_decide(&ph, &cfg, v, 3, &m));
	assert_int_equal(v[0].verdict, RC_SETTLED);
	assert_int_equal(v[0].local_pct, 90);
	assert_int_equal(v[1].verdict, RC_COOLING);
	assert_int_equal(v[2].verdict, RC_SMALL);
	/* below the threshold it is brought home, without touching its CPUs */
	v[0].node_kib[0] = 80 * 1024;
	v[0].node_kib[1] = 320 * 1024;
	assert_true(rc_decide(&ph, &cfg, v, 3, &m));
	assert_int_equal(m.vm, 0);
	assert_false(m.set_affinity);
	assert_int_equal(m.nodes[0], 1);
	assert_int_equal(m.move_kib, 80 * 1024);
	for (int i = 0; i < 3; i++)
		rc_vm_release(&v[i]);
	cpuset_release(&m.cpus);
	place_host_release(&ph);
}

static void test_decide_one_at_a_time(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v[2];
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	two_nodes(&ph);
	vm(&v[0], 10, "0-3", VM_PAGE_NORMAL, 200 * 1024, 200 * 1024);
	vm(&v[1], 11, "0-3", VM_PAGE_NORMAL, 400 * 1024, 200 * 1024);
	assert_true(rc_decide(&ph, &cfg, v, 2, &m));
	assert_int_equal(m.vm, 1); /* as much to move: the larger first */
	assert_int_equal(v[0].verdict, RC_WAITING);
	assert_int_equal(v[1].verdict, RC_MOVE);
	for (int i = 0; i < 2; i++)
		rc_vm_release(&v[i]);
	cpuset_release(&m.cpus);
	place_host_release(&ph);
}

/* Shortest move first: the VM whose memory is nearly all on one node only needs its affinity. */
static void test_decide_least_to_move_first(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v[2];
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	two_nodes(&ph);
	vm(&v[0], 10, "0-3", VM_PAGE_NORMAL, 300 * 1024, 300 * 1024); /* 300 MiB to move */
	vm(&v[1], 11, "0-3", VM_PAGE_NORMAL, 390 * 1024, 10 * 1024);  /* 10 MiB to move */
	assert_true(rc_decide(&ph, &cfg, v, 2, &m));
	assert_int_equal(m.vm, 1);
	assert_int_equal(m.move_kib, 10 * 1024);
	assert_int_equal(v[0].verdict, RC_WAITING);
	cpuset_release(&m.cpus);
	/* the one with 300 MiB away is busy, the other idle: the busy one first (the bench's
	 * busy processes waited behind paused VMs and crossed 95 % last) */
	v[0].cpu_use = 1.0;
	v[1].node_kib[0] = 300 * 1024; /* 100 MiB to move */
	v[1].node_kib[1] = 100 * 1024;
	assert_true(rc_decide(&ph, &cfg, v, 2, &m));
	assert_int_equal(m.vm, 0);
	cpuset_release(&m.cpus);
	/* unless the idle one's move is twenty times smaller */
	v[1].node_kib[0] = 390 * 1024;
	v[1].node_kib[1] = 10 * 1024;
	assert_true(rc_decide(&ph, &cfg, v, 2, &m));
	assert_int_equal(m.vm, 1);
	for (int i = 0; i < 2; i++)
		rc_vm_release(&v[i]);
	cpuset_release(&m.cpus);
	place_host_release(&ph);
}

/* A one-thread process whose hugepages no single node can hold (pools full, no memory to grow
 * them): its threads go to the node set that holds its pages (in the bench: 2 x 1 GiB pages on
 * two nodes was "no fit", the planner giving each node of a set a vCPU). */
static void test_decide_free_vm_spans(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v;
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	cfg.min_mem_kib = 0;
	two_nodes(&ph);
	for (size_t i = 0; i < ph.nnodes; i++) {
		ph.nodes[i].mem_kib = 0; /* nothing to grow a pool with */
		ph.nodes[i].pools[0].free_pages = 0;
	}
	vm(&v, 10, "0-3", 2048, 64 * 2048, 64 * 2048); /* every page of both pools */
	v.vcpus = 1;
	assert_true(rc_decide(&ph, &cfg, &v, 1, &m));
	assert_int_equal(m.nnodes, 2);
	assert_int_equal(m.move_kib, 0);
	rc_vm_release(&v);
	cpuset_release(&m.cpus);
	place_host_release(&ph);
}

/*
 * A busy free VM goes where its threads have CPU time, not beside another
 * busy VM because a little more of its memory is there (the bench: two busy
 * processes ended on one node's CPU while other nodes' CPUs held paused VMs).
 */
static void test_decide_busy_vm_needs_cpu(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v[3];
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	two_nodes(&ph); /* 2 CPUs a node */
	/* a VM placed on node 1 (CPUs 2-3) using both its CPUs, all its memory there */
	vm(&v[0], 10, "2-3", VM_PAGE_NORMAL, 0, 400 * 1024);
	v[0].cpu_use = 2.0;
	/* a busy free VM, most of its memory on node 1 */
	vm(&v[1], 11, "0-3", VM_PAGE_NORMAL, 120 * 1024, 280 * 1024);
	v[1].cpu_use = 1.0;
	assert_true(rc_decide(&ph, &cfg, v, 2, &m));
	assert_int_equal(m.vm, 1);
	assert_int_equal(m.nnodes, 1);
	assert_int_equal(m.nodes[0], 0);
	assert_int_equal(m.move_kib, 280 * 1024);
	assert_non_null(strstr(m.reason, "it uses 1.0 CPUs, other VMs 0.0 of the 2 there"));
	cpuset_release(&m.cpus);

	/* the other VM uses half a CPU: node 1 has room, and most of its memory */
	v[0].cpu_use = 0.5;
	assert_true(rc_decide(&ph, &cfg, v, 2, &m));
	assert_int_equal(m.nodes[0], 1);
	assert_non_null(strstr(m.reason, "other VMs 0.5 of the 2 there"));
	cpuset_release(&m.cpus);

	/* every node's CPUs full: where it is short of the least CPU, then its memory */
	v[0].cpu_use = 2.0;
	vm(&v[2], 12, "0-1", VM_PAGE_NORMAL, 400 * 1024, 0);
	v[2].cpu_use = 1.5;
	assert_true(rc_decide(&ph, &cfg, v, 3, &m));
	assert_int_equal(m.vm, 1);
	assert_int_equal(m.nodes[0], 0);
	cpuset_release(&m.cpus);
	v[2].cpu_use = 2.0; /* short by as much on both: its memory decides */
	assert_true(rc_decide(&ph, &cfg, v, 3, &m));
	assert_int_equal(m.nodes[0], 1);
	cpuset_release(&m.cpus);

	/* use not known (its first tick, unreadable stat): memory decides, no CPU text */
	v[1].cpu_use = -1;
	assert_true(rc_decide(&ph, &cfg, v, 3, &m));
	assert_int_equal(m.nodes[0], 1);
	assert_null(strstr(m.reason, "CPUs"));
	cpuset_release(&m.cpus);
	for (int i = 0; i < 3; i++)
		rc_vm_release(&v[i]);
	place_host_release(&ph);
}

/* A VM keeping more CPUs busy than a node has spans nodes; one that shares a node's CPUs fits one.
 */
static void test_decide_busy_vm_spans(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v;
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	two_nodes(&ph); /* 2 CPUs a node */
	vm(&v, 10, "0-3", VM_PAGE_NORMAL, 120 * 1024, 280 * 1024);
	v.vcpus = 4;
	v.cpu_use = 3.8;
	assert_true(rc_decide(&ph, &cfg, &v, 1, &m));
	assert_int_equal(m.nnodes, 2);
	assert_int_equal(m.move_kib, 0);
	cpuset_release(&m.cpus);
	v.cpu_use = 1.5; /* four vCPUs mostly idle: one node */
	assert_true(rc_decide(&ph, &cfg, &v, 1, &m));
	assert_int_equal(m.nnodes, 1);
	assert_int_equal(m.nodes[0], 1);
	cpuset_release(&m.cpus);
	rc_vm_release(&v);
	place_host_release(&ph);
}

/* Four nodes of one CPU: a process whose 2 MiB pages (32 on node 0, 32 on node 1) no single node
 * can hold spans the two nodes that hold them, not all four (the 1 GiB bench: a process of two
 * 1 GiB pages on nodes 0 and 1 was confined to CPUs 0-3). */
static void test_decide_free_vm_spans_least(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v;
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	cfg.min_mem_kib = 0;
	some_nodes(&ph, 4, 1);
	for (size_t i = 0; i < ph.nnodes; i++) {
		ph.nodes[i].mem_kib = 0; /* nothing to grow a pool with */
		ph.nodes[i].pools[0].free_pages = i < 2 ? 0 : 40;
	}
	memset(&v, 0, sizeof(v));
	v.pid = 10;
	snprintf(v.name, sizeof(v.name), "vm10");
	v.vcpus = 1;
	v.cpu_use = 1.0;
	v.page_kib = 2048;
	v.total_kib = 64 * 2048;
	v.node_kib = xcalloc(4, sizeof(uint64_t));
	v.node_kib[0] = v.node_kib[1] = 32 * 2048;
	assert_int_equal(cpuset_parse_list("0-3", &v.allowed, NULL), 0);
	assert_true(rc_decide(&ph, &cfg, &v, 1, &m));
	assert_int_equal(m.nnodes, 2);
	assert_int_equal(m.nodes[0], 0);
	assert_int_equal(m.nodes[1], 1);
	assert_int_equal(m.move_kib, 0);
	rc_vm_release(&v);
	cpuset_release(&m.cpus);
	place_host_release(&ph);
}

/* numad -w through the daemon: the advice held counts, so back-to-back VMs spread over nodes. */
static void test_advice_spreads(void **state)
{
	struct place_host ph;
	struct dm_advice a[3];
	struct diag d = {0};

	(void)state;
	two_nodes(&ph); /* 64 free 2 MiB pages a node */
	assert_int_equal(dm_advise_on(&ph, 2, 100, NULL, 0, &a[0], &d), 0);
	assert_int_equal(a[0].page_kib, 2048);
	assert_int_equal(cpuset_count(&a[0].nodes), 1);
	/* the same request again, with the first one held: the other node */
	assert_int_equal(dm_advise_on(&ph, 2, 100, a, 1, &a[1], &d), 0);
	assert_int_equal(cpuset_count(&a[1].nodes), 1);
	assert_false(cpuset_equal(&a[0].nodes, &a[1].nodes));
	/* without what is held, the same answer as the first */
	assert_int_equal(dm_advise_on(&ph, 2, 100, NULL, 0, &a[2], &d), 0);
	assert_true(cpuset_equal(&a[0].nodes, &a[2].nodes));
	assert_int_equal(a[2].dropped, 0);
	cpuset_release(&a[2].nodes);
	/* a third with two held: no node has room beside both (128 MiB a node), so the
	 * oldest counts no longer and the answer is its node (the guest bench: 75 of 100
	 * answers were errors once 16 held answers filled the nodes) */
	assert_int_equal(dm_advise_on(&ph, 2, 100, a, 2, &a[2], &d), 0);
	assert_int_equal(a[2].dropped, 1);
	assert_true(cpuset_equal(&a[2].nodes, &a[0].nodes));
	cpuset_release(&a[2].nodes);
	/* what no node set holds even alone (100 GB) is still an error */
	assert_int_equal(dm_advise_on(&ph, 2, 100000, a, 2, &a[2], &d), -ERANGE);
	for (int i = 0; i < 3; i++)
		cpuset_release(&a[i].nodes);
	place_host_release(&ph);
}

static void test_decide_hugetlb_and_keep_free(void **state)
{
	struct daemon_config cfg;
	struct place_host ph;
	struct rc_vm v[1];
	struct rc_move m = {0};

	(void)state;
	daemon_config_defaults(&cfg);
	two_nodes(&ph);
	/* 2 MiB pages, 200 on node 0 and 20 on node 1, confined to node 1: node 1 has 64
	 * free and can grow from its free memory */
	vm(&v[0], 10, "2-3", 2048, 200 * 2048, 20 * 2048);
	if (!rc_decide(&ph, &cfg, v, 1, &m))
		fail_msg("%s: %s", rc_verdict_name(v[0].verdict), v[0].why);
	assert_int_equal(m.nodes[0], 1);
	assert_int_equal(m.grow_pages, 200 - 64);
	cpuset_release(&m.cpus);
	/* a node whose memory is all below its keep-free guard takes nothing */
	ph.nodes[1].mem_kib = 0;
	ph.nodes[1].pools[0].free_pages = 10;
	memset(&m, 0, sizeof(m));
	assert_false(rc_decide(&ph, &cfg, v, 1, &m));
	assert_int_equal(v[0].verdict, RC_NO_FIT);
	assert_non_null(strstr(v[0].why, "keep-free"));
	rc_vm_release(&v[0]);
	cpuset_release(&m.cpus);
	place_host_release(&ph);
}

/* ---- the KSM governor: ksmtuned's rule ---- */

static void test_ksm_governor(void **state)
{
	struct ksm_input in = {16 * GIB, 10 * GIB, 2 * GIB};
	struct ksm_setting s = {0};

	(void)state;
	s = ksm_decide(&in, &s); /* 2 GiB committed + 3.2 GiB threshold < 16 GiB, free > thres */
	assert_false(s.run);
	assert_int_equal(s.sleep_ms, 10);
	in.committed_kib = 14 * GIB; /* committed: run; free above the threshold: decay */
	in.free_kib = 4 * GIB;
	s = ksm_decide(&in, &s);
	assert_true(s.run);
	assert_int_equal(s.pages_to_scan, KSM_NPAGES_MIN);
	in.free_kib = GIB; /* below the threshold: boost, up to the maximum */
	s = ksm_decide(&in, &s);
	assert_int_equal(s.pages_to_scan, KSM_NPAGES_MIN + KSM_NPAGES_BOOST);
	for (int i = 0; i < 10; i++)
		s = ksm_decide(&in, &s);
	assert_int_equal(s.pages_to_scan, KSM_NPAGES_MAX);
	in.free_kib = 4 * GIB;
	s = ksm_decide(&in, &s);
	assert_int_equal(s.pages_to_scan, KSM_NPAGES_MAX - KSM_NPAGES_DECAY);
	/* a 4 GiB host: the threshold is the 2048 MiB floor; it sleeps 10 x 16/4 ms */
	in = (struct ksm_input){4 * GIB, 3 * GIB, 0};
	s = ksm_decide(&in, &(struct ksm_setting){0});
	assert_false(s.run);
	assert_int_equal(s.sleep_ms, 40);
	in.free_kib = 2 * GIB - 1;
	s = ksm_decide(&in, &s);
	assert_true(s.run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_mover_rate),
		cmocka_unit_test(test_mover_stall_budget),
		cmocka_unit_test(test_mover_linear_cost),
		cmocka_unit_test(test_mover_fixed_cost),
		cmocka_unit_test(test_mover_noisy_cost),
		cmocka_unit_test(test_mover_small_job_delayed),
		cmocka_unit_test(test_mover_vanished),
		cmocka_unit_test(test_mover_target_short),
		cmocka_unit_test(test_mover_busy_pages),
		cmocka_unit_test(test_mover_one_gib_page),
		cmocka_unit_test(test_decide_pinned_left_alone),
		cmocka_unit_test(test_decide_cgroup_placed),
		cmocka_unit_test(test_decide_free_vm),
		cmocka_unit_test(test_decide_hysteresis),
		cmocka_unit_test(test_decide_one_at_a_time),
		cmocka_unit_test(test_decide_least_to_move_first),
		cmocka_unit_test(test_decide_free_vm_spans),
		cmocka_unit_test(test_decide_free_vm_spans_least),
		cmocka_unit_test(test_decide_busy_vm_needs_cpu),
		cmocka_unit_test(test_decide_busy_vm_spans),
		cmocka_unit_test(test_advice_spreads),
		cmocka_unit_test(test_decide_hugetlb_and_keep_free),
		cmocka_unit_test(test_ksm_governor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
