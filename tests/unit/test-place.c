/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the planner (src/place) on synthetic topologies that need
 * no fixture ("2 nodes x 8 cores, SMT2", with a memory-only node, ...): the
 * host view, requests, the solver and its pins, why/fix, capacity, one-VM
 * scores, and the batch against the exact optimum (bench/plan-exact.c) on
 * seeded small instances.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/hugepages-plan.h"
#include "core/memcost.h"
#include "core/model.h"
#include "core/topology.h"
#include "core/vmspec.h"
#include "place/capacity.h"
#include "place/export.h"
#include "place/host.h"
#include "place/plan.h"
#include "place/request.h"
#include "place/solve.h"
#include "plan-exact.h"
#include "plan-peers.h"
#include "util/diag.h"
#include "util/xalloc.h"

#define GIB (1024ULL * 1024)

/*
 * nnodes nodes of ncores cores with threads SMT threads each (CPU n and
 * n + total cores are siblings, as Linux numbers them), one L3 per node, the
 * last `cpuless` nodes without CPUs; mem_gib per node, free2m x 2M and free1g
 * x 1G pages per node; distances 10 local, 20 + 1 per hop otherwise.
 */
static void synth(struct host_model *m, size_t nnodes, unsigned ncores, unsigned threads,
		  size_t cpuless, unsigned mem_gib, int64_t free2m, int64_t free1g)
{
	size_t with_cpus = nnodes - cpuless;
	unsigned total = (unsigned)with_cpus * ncores;

	memset(m, 0, sizeof(*m));
	m->nnodes = nnodes;
	m->nodes = xcalloc(nnodes, sizeof(*m->nodes));
	m->numa_sysfs = true;
	m->default_hugepage_kib = 2048;
	m->ncpu_page_sizes = 2;
	m->cpu_page_sizes_kib = xcalloc(2, sizeof(uint64_t));
	m->cpu_page_sizes_kib[0] = 2048;
	m->cpu_page_sizes_kib[1] = GIB;
	m->npools = 2;
	m->pools = xcalloc(2, sizeof(*m->pools));
	m->pools[0] = (struct pool){2048, 0, 0, 0, 0, 0};
	m->pools[1] = (struct pool){GIB, 0, 0, 0, 0, 0};
	for (size_t i = 0; i < nnodes; i++) {
		struct numa_node *n = &m->nodes[i];

		n->node = (int)i;
		n->mem_total_kib = n->mem_free_kib = (int64_t)mem_gib * (int64_t)GIB;
		n->npools = 2;
		n->pools = xcalloc(2, sizeof(*n->pools));
		n->pools[0] = (struct pool){2048, free2m, free2m, 0, -1, -1};
		n->pools[1] = (struct pool){GIB, free1g, free1g, 0, -1, -1};
		n->ndistances = nnodes;
		n->distances = xcalloc(nnodes, sizeof(int));
		for (size_t j = 0; j < nnodes; j++)
			n->distances[j] = i == j ? 10 : 20 + (int)(i > j ? i - j : j - i);
		if (i >= with_cpus)
			continue;
		m->core_groups = xreallocarray(m->core_groups, m->ncore_groups + ncores,
					       sizeof(*m->core_groups));
		m->cache_groups = xreallocarray(m->cache_groups, m->ncache_groups + 1,
						sizeof(*m->cache_groups));
		memset(&m->cache_groups[m->ncache_groups], 0, sizeof(m->cache_groups[0]));
		for (unsigned c = 0; c < ncores; c++) {
			struct cpu_group *g = &m->core_groups[m->ncore_groups++];

			memset(g, 0, sizeof(*g));
			for (unsigned t = 0; t < threads; t++) {
				unsigned cpu = (unsigned)i * ncores + c + t * total;

				cpuset_set(&g->cpus, cpu);
				cpuset_set(&n->cpus, cpu);
				cpuset_set(&m->cpus_online, cpu);
				cpuset_set(&m->cache_groups[m->ncache_groups].cpus, cpu);
			}
		}
		m->ncache_groups++;
	}
}

/* The planner's host for m with the hugepages guard off (all free memory usable). */
static void host_of(const struct host_model *m, unsigned host_cores, struct place_host *ret)
{
	struct place_host_opts o = {0, host_cores};
	struct hp_mem mem = {0};

	mem.nnodes = m->nnodes;
	mem.nodes = xcalloc(m->nnodes, sizeof(*mem.nodes));
	for (size_t i = 0; i < m->nnodes; i++)
		mem.nodes[i] = (struct hp_node_mem){m->nodes[i].node, m->nodes[i].mem_total_kib,
						    m->nodes[i].mem_free_kib};
	memset(ret, 0, sizeof(*ret));
	assert_int_equal(place_host_build(m, &mem, NULL, &o, ret, NULL), 0);
	hugepages_mem_release(&mem);
}

static struct place_req req(const char *spec, const struct place_host *h)
{
	struct place_req r;
	struct diag d = {0};

	if (place_req_parse(spec, &r, &d) < 0)
		fail_msg("%s: %s", spec, d.msg);
	if (place_req_resolve(&r, h, &d) < 0)
		fail_msg("%s: %s", spec, d.msg);
	return r;
}

static void test_request_parse(void **state)
{
	struct place_req r, *v = NULL;
	struct diag d = {0};
	size_t n = 0;
	const char *json = "[{\"name\":\"a\",\"vcpus\":2,\"mem\":\"1G\"},"
			   "{\"name\":\"b\",\"vcpus\":\"4\",\"mem\":\"2G\",\"page\":\"none\"}]";
	const char *ctl;

	(void)state;
	assert_int_equal(place_req_parse("name=db,vcpus=8,mem=32G,page=1G,cells=2,pin=shared,"
					 "threads=isolate,iothreads=2",
					 &r, &d),
			 0);
	assert_string_equal(r.name, "db");
	assert_int_equal(r.vcpus, 8);
	assert_int_equal(r.mem_kib, 32 * GIB);
	assert_int_equal(r.page_kib, GIB);
	assert_int_equal(r.cells, 2);
	assert_int_equal(r.pin, PLACE_PIN_SHARED);
	assert_int_equal(r.threads, PLACE_THREADS_ISOLATE);
	assert_int_equal(r.iothreads, 2);
	assert_int_equal(place_req_parse("vcpus=0,mem=1G", &r, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "at least one vCPU"));
	assert_int_equal(place_req_parse("vcpus=1,mem=1000000000000000000000000000000", &r, &d),
			 -ERANGE);
	assert_non_null(strstr(d.msg, "too large"));
	assert_int_equal(place_req_parse("vcpus=1,mem=99999999T", &r, &d), -ERANGE);
	assert_int_equal(place_req_parse("vcpus=1", &r, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "'mem' is missing"));
	assert_int_equal(place_req_parse("vcpus=1,mem=1G,colour=red", &r, &d), -EINVAL);
	assert_int_equal(place_req_parse("vcpus=1,mem=1G,vcpus=2", &r, &d), -EINVAL);
	assert_int_equal(place_req_parse("vcpus=1,mem=1G,name=a b", &r, &d), -EINVAL);
	assert_int_equal(place_req_parse("vcpus=1,mem=1G,page=3M", &r, &d), -EINVAL);
	assert_int_equal(place_req_parse_shape("8c:32G:1G", &r, &d), 0);
	assert_int_equal(r.vcpus, 8);
	assert_int_equal(r.page_kib, GIB);
	assert_int_equal(place_req_parse_shape("8:32G", &r, &d), -EINVAL);
	/* control characters are refused, and shown escaped */
	assert_int_equal(place_req_parse("vcpus=1,mem=1G,name=\x1b[2J", &r, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "\\x1b[2J': control characters"));
	assert_null(strchr(d.msg, '\x1b'));
	assert_int_equal(place_req_parse_shape("8c:1G\n:2M", &r, &d), -EINVAL);
	assert_null(strchr(d.msg, '\n'));
	ctl = "[{\"vcpus\":1,\"mem\":\"1G\",\"n\\u0007\":1}]";
	assert_int_equal(place_req_parse_json(ctl, strlen(ctl), &v, &n, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "n\\x07': control characters"));
	assert_int_equal(place_req_parse_json(json, strlen(json), &v, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].name, "b");
	assert_int_equal(v[1].page_kib, VM_PAGE_NORMAL);
	free(v);
	assert_int_equal(place_req_parse_json("[{\"vcpus\":-1,\"mem\":\"1G\"}]", 27, &v, &n, &d),
			 -EINVAL);
	assert_int_equal(place_req_parse_json("{}", 2, &v, &n, &d), -EINVAL);
	assert_int_equal(place_req_parse_json("[1] x", 5, &v, &n, &d), -EINVAL);
}

static void test_request_resolve(void **state)
{
	struct host_model m;
	struct place_host h;
	struct place_req r;
	struct diag d = {0};

	(void)state;
	synth(&m, 2, 4, 2, 0, 16, 1024, 4);
	host_of(&m, 1, &h);
	assert_int_equal(place_req_parse("name=big,vcpus=17,mem=1G", &r, &d), 0);
	assert_int_equal(place_req_resolve(&r, &h, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "16 online CPUs"));
	assert_int_equal(place_req_parse("name=p,vcpus=1,mem=1G,page=16G", &r, &d), 0);
	assert_int_equal(place_req_resolve(&r, &h, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "no 16G pages"));
	assert_int_equal(place_req_parse("name=p,vcpus=1,mem=1536M,page=1G", &r, &d), 0);
	assert_int_equal(place_req_resolve(&r, &h, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "whole number"));
	assert_int_equal(place_req_parse("name=p,vcpus=1,mem=2G", &r, &d), 0);
	assert_int_equal(place_req_resolve(&r, &h, &d), 0);
	assert_int_equal(r.page_kib, 2048); /* default: the host's default hugepage size */
	place_host_release(&h);
	host_model_release(&m);
}

/* Build a plan of the given specs on h. */
static void plan_of(struct place_host *h, const char *const *specs, size_t n,
		    const struct place_opts *o, struct place_plan *ret)
{
	struct place_req *r = xcalloc(n, sizeof(*r));

	for (size_t i = 0; i < n; i++)
		r[i] = req(specs[i], h);
	memset(ret, 0, sizeof(*ret));
	place_plan_build(h, r, n, o, ret);
	free(r);
}

/* Every dedicated vCPU on one CPU of a core only its VM holds, off the emulator's CPUs. */
static void check_pins(const struct place_host *h, const struct place_plan *p)
{
	for (size_t v = 0; v < p->nvms; v++) {
		const struct place_vm_plan *vp = &p->vms[v];

		if (!vp->choice.placed || vp->req.pin != PLACE_PIN_DEDICATED)
			continue;
		for (unsigned i = 0; i < vp->pins.nvcpus; i++) {
			int cpu = cpuset_next(&vp->pins.vcpu[i], 0);

			assert_int_equal(cpuset_count(&vp->pins.vcpu[i]), 1);
			assert_false(cpuset_isset(&vp->pins.emulator, (unsigned)cpu));
			for (size_t c = 0; c < h->ncores; c++)
				if (cpuset_isset(&h->cores[c].cpus, (unsigned)cpu))
					assert_int_equal(h->cores[c].owner, (int)v);
		}
	}
}

static void test_single_node_pins(void **state)
{
	static const char *const specs[] = {
		"name=a,vcpus=4,mem=4G,page=2M",
		"name=b,vcpus=3,mem=2G,page=2M,threads=isolate,iothreads=1",
	};
	struct place_opts o = {0};
	struct place_plan p;
	struct host_model m;
	struct place_host h;

	(void)state;
	/* 2 nodes x 8 cores, SMT2: CPUs 0-7,16-23 on node 0, 8-15,24-31 on node 1 */
	synth(&m, 2, 8, 2, 0, 32, 4096, 0);
	host_of(&m, 1, &h);
	plan_of(&h, specs, 2, &o, &p);
	assert_int_equal(p.objective.placed, 2);
	assert_int_equal(p.objective.split, 0);
	/* a: 4 vCPUs on 2 whole cores, pairs on SMT siblings */
	assert_int_equal(p.vms[0].choice.cells[0].cores, 2);
	assert_int_equal(cpuset_next(&p.vms[0].pins.vcpu[1], 0) -
				 cpuset_next(&p.vms[0].pins.vcpu[0], 0),
			 16);
	assert_int_equal(p.vms[0].pins.guest_threads, 2);
	/* b: isolate, one vCPU per core, 3 cores */
	assert_int_equal(p.vms[1].choice.cells[0].cores, 3);
	assert_int_equal(p.vms[1].pins.guest_threads, 1);
	/* the emulator and I/O threads on the node's host core (the lowest: CPUs n, n+16) */
	assert_int_equal(cpuset_count(&p.vms[1].pins.emulator), 2);
	assert_true(cpuset_equal(&p.vms[1].pins.iothreads, &p.vms[1].pins.emulator));
	check_pins(&h, &p);
	place_plan_release(&p);
	place_host_release(&h);
	host_model_release(&m);
}

static void test_dedicated_never_share_cores(void **state)
{
	static const char *const specs[] = {
		"name=a,vcpus=3,mem=1G,page=2M",
		"name=b,vcpus=3,mem=1G,page=2M",
		"name=c,vcpus=1,mem=1G,page=2M",
		"name=d,vcpus=1,mem=1G,page=2M",
	};
	struct place_opts o = {0};
	struct place_plan p;
	struct host_model m;
	struct place_host h;

	(void)state;
	/* one node of 4 cores, 1 kept: 3 cores for 2 + 2 + 1 + 1 cores: two VMs must wait */
	synth(&m, 1, 4, 2, 0, 32, 4096, 0);
	host_of(&m, 1, &h);
	plan_of(&h, specs, 4, &o, &p);
	assert_int_equal(p.objective.placed, 2);
	check_pins(&h, &p);
	for (size_t v = 0; v < 4; v++)
		if (!p.vms[v].choice.placed) {
			assert_non_null(strstr(p.vms[v].why[0].text, "short of free cores"));
			assert_non_null(strstr(p.vms[v].fix, "free cores on node 0"));
		}
	place_plan_release(&p);
	place_host_release(&h);
	host_model_release(&m);
}

static void test_span_nearest_and_memory_only(void **state)
{
	static const char *const specs[] = {"name=wide,vcpus=12,mem=8G,page=2M"};
	struct place_opts o = {0};
	struct place_plan p;
	struct host_model m;
	struct place_host h;

	(void)state;
	/* 4 nodes of 4 cores (SMT2) and a 5th, memory-only node with plenty of pages */
	synth(&m, 5, 4, 2, 1, 16, 4096, 0);
	m.nodes[4].pools[0].free = 100000;
	host_of(&m, 1, &h);
	assert_int_equal(h.nodes[4].ncores, 0);
	plan_of(&h, specs, 1, &o, &p);
	assert_true(p.vms[0].choice.placed);
	/* 12 vCPUs = 6 cores: two nodes of 3 free cores each, neighbours (distance 21) */
	assert_int_equal(p.vms[0].choice.nnodes, 2);
	assert_int_equal(p.vms[0].choice.distance, 21);
	assert_int_equal(p.vms[0].choice.ncells, 2);
	for (size_t i = 0; i < p.vms[0].choice.nnodes; i++)
		assert_int_not_equal(p.vms[0].choice.nodes[i], 4);
	check_pins(&h, &p);
	place_plan_release(&p);
	place_host_release(&h);
	host_model_release(&m);
}

static void test_pages_not_memfree(void **state)
{
	static const char *const specs[] = {"name=db,vcpus=2,mem=8G,page=1G"};
	struct place_opts o = {0};
	struct place_plan p;
	struct host_model m;
	struct place_host h;

	(void)state;
	/* plenty of free memory, but only 2 x 1G pages per node */
	synth(&m, 2, 4, 2, 0, 64, 1024, 2);
	host_of(&m, 1, &h);
	plan_of(&h, specs, 1, &o, &p);
	assert_false(p.vms[0].choice.placed);
	assert_non_null(strstr(p.vms[0].why[0].text, "short of 1G pages: needs 8, 2 free"));
	assert_non_null(strstr(p.vms[0].fix, "kvmtune hugepages set 1G=8 --node"));
	place_plan_release(&p);
	/* the same with --grow-pools: fits by growing one node's pool */
	o.grow_pools = true;
	plan_of(&h, specs, 1, &o, &p);
	assert_true(p.vms[0].choice.placed);
	assert_int_equal(p.vms[0].choice.nnodes, 1);
	assert_int_equal(p.vms[0].choice.cells[0].grow_pages, 6);
	{
		char *cmds = place_export_pool_commands(&p);

		assert_non_null(strstr(cmds, "kvmtune hugepages set 1G=8 --node"));
		free(cmds);
	}
	place_plan_release(&p);
	place_host_release(&h);
	host_model_release(&m);
}

static void test_threads_require(void **state)
{
	static const char *const specs[] = {"name=r,vcpus=2,mem=1G,page=2M,threads=require"};
	struct place_opts o = {0};
	struct place_plan p;
	struct host_model m;
	struct place_host h;

	(void)state;
	synth(&m, 1, 4, 1, 0, 16, 1024, 0); /* no SMT */
	host_of(&m, 1, &h);
	plan_of(&h, specs, 1, &o, &p);
	assert_false(p.vms[0].choice.placed);
	assert_non_null(strstr(p.vms[0].why[0].text, "no SMT sibling pairs"));
	place_plan_release(&p);
	place_host_release(&h);
	host_model_release(&m);
}

static void test_usage_counts(void **state)
{
	struct place_host_opts ho = {0, 1};
	struct place_usage u = {0};
	struct place_vm_use *v;
	struct host_model m;
	struct place_host h;
	struct hp_mem mem = {0};

	(void)state;
	synth(&m, 2, 4, 2, 0, 16, 1000, 0);
	mem.nnodes = 2;
	mem.nodes = xcalloc(2, sizeof(*mem.nodes));
	mem.nodes[0] = (struct hp_node_mem){0, 16 * (int64_t)GIB, 16 * (int64_t)GIB};
	mem.nodes[1] = (struct hp_node_mem){1, 16 * (int64_t)GIB, 16 * (int64_t)GIB};
	/* defined, bound to node 1, not running: all 400 of its pages are still to come */
	v = place_usage_add(&u, "db");
	place_vm_use_add_mem(v, 1, 2048, 400 * 2048, 0);
	/* running on node 0 with 300 of its 500 pages faulted; vCPU pinned to CPU 2 */
	v = place_usage_add(&u, "web");
	place_vm_use_add_mem(v, 0, 2048, 500 * 2048, 300 * 2048);
	cpuset_set(&v->dedicated, 2);
	assert_int_equal(place_host_build(&m, &mem, &u, &ho, &h, NULL), 0);
	assert_int_equal(h.nodes[1].pools[0].free_pages, 600);
	assert_int_equal(h.nodes[0].pools[0].free_pages, 800);
	/* CPU 2's core is taken, CPU 0's kept for the host: 2 of 4 cores free */
	assert_int_equal(h.nodes[0].free_cores, 2);
	assert_int_equal(h.nodes[0].host_cores, 1);
	place_host_release(&h);
	/* planned again, web gives back what it holds */
	u.vms[1].replanned = true;
	assert_int_equal(place_host_build(&m, &mem, &u, &ho, &h, NULL), 0);
	assert_int_equal(h.nodes[0].pools[0].free_pages, 1300);
	assert_int_equal(h.nodes[0].free_cores, 3);
	place_host_release(&h);
	place_usage_release(&u);
	hugepages_mem_release(&mem);
	host_model_release(&m);
}

static void test_one_scores_and_capacity(void **state)
{
	struct place_opts o = {0};
	struct place_candidate *c = NULL;
	struct place_capacity cap = {0};
	struct place_state s;
	struct host_model m;
	struct place_host h;
	struct place_req r;
	size_t n = 0;

	(void)state;
	synth(&m, 2, 8, 2, 0, 32, 4096, 0);
	m.nodes[1].pools[0].free = 1024;
	host_of(&m, 1, &h);
	place_host_set_cpu_free(&h, 0, 16);
	r = req("name=one,vcpus=4,mem=4G,page=2M", &h);
	place_state_init(&s, &h);
	place_one(&h, &s, &r, &o, &c, &n);
	assert_int_equal(n, 2);
	/* node 0 has the pages (2048 needed); node 1 only 1024: it does not fit there */
	assert_true(c[0].fits);
	assert_int_equal(c[0].choice.nodes[0], 0);
	assert_false(c[1].fits);
	assert_non_null(strstr(c[1].why, "short of 2M pages"));
	free(c);
	place_capacity_count(&h, &r, &o, &cap);
	assert_int_equal(cap.node_fits[0], 2); /* 4096 pages / 2048 */
	assert_int_equal(cap.node_fits[1], 0);
	assert_int_equal(cap.total, 2);
	place_capacity_release(&cap);
	place_state_release(&s);
	place_host_release(&h);
	host_model_release(&m);
}

static void test_cost_matrix(void **state)
{
	struct host_model m;
	struct place_host h;
	struct diag d = {0};
	uint32_t bad[4] = {10, 5, 20, 10}, good[4] = {10, 30, 30, 10};

	(void)state;
	synth(&m, 2, 2, 1, 0, 8, 0, 0);
	host_of(&m, 0, &h);
	assert_int_equal(place_host_set_cost(&h, bad, 2, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "cheaper than local"));
	assert_int_equal(place_host_set_cost(&h, good, 2, &d), 0);
	assert_int_equal(h.cost[1], 30);
	place_host_release(&h);
	host_model_release(&m);
}

static void test_measured_costs(void **state)
{
	struct host_model m;
	struct place_host h;
	struct memcost mc = {0};
	struct diag d = {0};
	/* CPU node, memory node, 4K latency ns: node 2 has no CPUs */
	static const int cells[][3] = {{0, 0, 100}, {0, 1, 160}, {0, 2, 300},
				       {1, 1, 110}, {1, 2, 330}, {1, 0, 90}};

	(void)state;
	synth(&m, 3, 2, 1, 1, 8, 0, 0);
	host_of(&m, 0, &h);
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		struct memcost_cell c = {.page = {.size_kib = 4},
					 .cpu_node = cells[i][0],
					 .mem_node = cells[i][1],
					 .latency_ns = cells[i][2]};

		if (i == 5) { /* without node 1 -> 0: refused, the SLIT costs kept */
			assert_int_equal(place_host_use_memcost(&h, &mc, &d), -ENODATA);
			assert_non_null(strstr(d.msg, "CPU node 1 to node 0"));
			assert_int_equal(h.cost[1 * 3 + 2], 21);
		}
		memcost_add(&mc, &c);
	}
	assert_int_equal(place_host_use_memcost(&h, &mc, &d), 0);
	assert_int_equal(h.cost[0 * 3 + 1], 16);
	assert_int_equal(h.cost[0 * 3 + 2], 30);
	assert_int_equal(h.cost[1 * 3 + 2], 30);
	assert_int_equal(h.cost[1 * 3 + 0], 10); /* faster than local: taken as local */
	assert_int_equal(h.cost[2 * 3 + 0], 22); /* no CPUs on node 2: SLIT */
	memcost_release(&mc);
	place_host_release(&h);
	host_model_release(&m);
}

/* A small random batch on h: shares of a node, mixed pages and pins. */
static size_t random_batch(uint64_t *seed, const struct place_host *h, struct place_req *r)
{
	static const char *const pages[] = {"2M", "2M", "1G", "none"};
	size_t n = 3 + (size_t)(*seed % 8);

	for (size_t i = 0; i < n; i++) {
		char spec[128];

		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		(void)snprintf(spec, sizeof(spec), "name=v%zu,vcpus=%u,mem=%uG,page=%s,pin=%s", i,
			       1 + (unsigned)(*seed >> 33) % 6, 1 + (unsigned)(*seed >> 40) % 6,
			       pages[(*seed >> 50) % 4],
			       (*seed >> 60) % 4 ? "dedicated" : "shared");
		r[i] = req(spec, h);
	}
	return n;
}

static void test_batch_vs_exact(void **state)
{
	struct place_opts o = {0};
	struct host_model m;
	struct place_host h;
	struct place_req r[12];
	struct place_choice ch[12];
	uint64_t seed = 42;
	unsigned optimal = 0, runs = 40;

	(void)state;
	/* 4 nodes x 3 cores (SMT2), 6 GiB of 2M pages and 3 x 1G per node: tight */
	synth(&m, 4, 3, 2, 0, 8, 3072, 3);
	host_of(&m, 1, &h);
	for (unsigned k = 0; k < runs; k++) {
		size_t n = random_batch(&seed, &h, r);
		struct place_objective mine, ff, best;

		place_batch(&h, r, n, &o, ch);
		mine = place_objective_of(ch, n);
		ff = peer_first_fit(&h, r, n, &o);
		assert_true(exact_solve(&h, r, n, &o, NULL, 50000000, &best));
		/* never better than the optimum, never worse than first fit */
		assert_true(place_objective_cmp(&best, &mine) <= 0);
		assert_true(place_objective_cmp(&mine, &ff) <= 0);
		optimal += place_objective_cmp(&mine, &best) == 0;
		/* deterministic: the same nodes and cells again */
		{
			struct place_choice again[12];

			place_batch(&h, r, n, &o, again);
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(ch[i].placed, again[i].placed);
				assert_int_equal(ch[i].nnodes, again[i].nnodes);
				assert_memory_equal(ch[i].nodes, again[i].nodes,
						    ch[i].nnodes * sizeof(ch[i].nodes[0]));
				assert_int_equal(ch[i].ncells, again[i].ncells);
				for (size_t c = 0; c < ch[i].ncells; c++) {
					assert_int_equal(ch[i].cells[c].node_idx,
							 again[i].cells[c].node_idx);
					assert_int_equal(ch[i].cells[c].pages,
							 again[i].cells[c].pages);
					assert_int_equal(ch[i].cells[c].vcpus,
							 again[i].cells[c].vcpus);
				}
			}
		}
	}
	print_message("kvmtune optimal on %u of %u instances\n", optimal, runs);
	assert_true(optimal * 100 >= runs * 95);
	place_host_release(&h);
	host_model_release(&m);
}

static void test_xml_topology(void **state)
{
	char path[512];
	const char *src = getenv("KVMTUNE_SRC");
	struct host_model m = {0};
	struct diag d = {0};

	(void)state;
	(void)snprintf(path, sizeof(path),
		       "%s/../shared/fixtures/hwloc-xml/8intel64-fakeKNL-A2A-hybrid."
		       "rootattachednumas.xml",
		       src ? src : ".");
	if (access(path, R_OK) != 0)
		skip();
	assert_int_equal(topology_load_xml(path, &m, &d), 0);
	assert_int_equal(m.nnodes, 2);
	/* MCDRAM shares the DDR node's CPUs in hwloc; in the model it is CPU-less */
	assert_false(cpuset_empty(&m.nodes[0].cpus));
	assert_true(cpuset_empty(&m.nodes[1].cpus));
	assert_true(m.nodes[1].mem_total_kib > 0);
	host_model_release(&m);
	assert_int_equal(topology_load_xml("/nonexistent.xml", &m, &d), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_parse),
		cmocka_unit_test(test_request_resolve),
		cmocka_unit_test(test_single_node_pins),
		cmocka_unit_test(test_dedicated_never_share_cores),
		cmocka_unit_test(test_span_nearest_and_memory_only),
		cmocka_unit_test(test_pages_not_memfree),
		cmocka_unit_test(test_threads_require),
		cmocka_unit_test(test_usage_counts),
		cmocka_unit_test(test_one_scores_and_capacity),
		cmocka_unit_test(test_cost_matrix),
		cmocka_unit_test(test_measured_costs),
		cmocka_unit_test(test_batch_vs_exact),
		cmocka_unit_test(test_xml_topology),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
