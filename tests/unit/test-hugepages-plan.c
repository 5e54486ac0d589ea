/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the decide step of 'hugepages set': request parsing,
 * validation and the keep-free guard, on real fixture trees (a 2-socket
 * Intel host with 2048 x 2M pages per node) and on synthetic memory numbers.
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

#include "core/host.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "util/diag.h"

#include "util/banned.h"

#define INTEL2 "machine-32intel64" /* hwloc's 32intel64-2p8co2t+8ve */

struct fx {
	struct host *h;
	struct host_model m;
	struct hp_mem mem;
};

static void fixture_path(const char *name, char *buf, size_t n)
{
	const char *src = getenv("KVMTUNE_SRC");

	/* a copy of the shared fixture's files kvmtune reads: a plain clone has it */
	(void)snprintf(buf, n, "%s/tests/data/%s", src ? src : ".", name);
}

static struct fx *fx_load(const char *name)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct diag d = {0};
	char root[512];

	assert_non_null(f);
	fixture_path(name, root, sizeof(root));
	if (host_open(root, &f->h, &d) < 0)
		fail_msg("cannot open fixture %s: %s", root, d.msg);
	assert_int_equal(host_model_load(f->h, &f->m, &d), 0);
	assert_int_equal(hugepages_mem_load(f->h, &f->m, &f->mem, &d), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	hugepages_mem_release(&f->mem);
	host_model_release(&f->m);
	host_free(f->h);
	free(f);
}

static void test_request_parse(void **state)
{
	struct hp_request req = HP_REQUEST_INIT;
	struct diag d = {0};

	(void)state;
	assert_int_equal(hp_request_add(&req, "2M=64", &d), 0);
	assert_int_equal(hp_request_add(&req, "1G=0", &d), 0);
	assert_int_equal(req.nasks, 2);
	assert_int_equal(req.asks[0].size_kib, 2048);
	assert_int_equal(req.asks[0].count_pages, 64);
	assert_int_equal(req.asks[1].size_kib, 1048576);
	assert_int_equal(req.asks[1].count_pages, 0);
	/* The same size in another spelling is a duplicate. */
	assert_int_equal(hp_request_add(&req, "2048kB=1", &d), -EEXIST);
	assert_non_null(strstr(d.msg, "already given as '2M=64'"));
	assert_int_equal(hp_request_add(&req, "2M=abc", &d), -EINVAL);
	assert_non_null(strstr(d.msg, "'abc'"));
	assert_int_equal(hp_request_add(&req, "4M=-1", &d), -EINVAL);
	assert_non_null(strstr(d.msg, "'-1'"));
	assert_int_equal(hp_request_add(&req, "4M=", &d), -EINVAL);
	assert_int_equal(hp_request_add(&req, "4M", &d), -EINVAL);
	assert_int_equal(hp_request_add(&req, "=4", &d), -EINVAL);
	assert_int_equal(hp_request_add(&req, "0=4", &d), -EINVAL);
	assert_int_equal(hp_request_add(&req, "2Q=4", &d), -EINVAL);
	assert_int_equal(hp_request_add(&req, "4M=99999999999999999999", &d), -ERANGE);
	assert_int_equal(req.nasks, 2);
	assert_int_equal(hp_request_set_nodes(&req, "0,1", &d), 0);
	assert_int_equal(req.nnodes, 2);
	assert_int_equal(req.nodes[1], 1);
	assert_int_equal(hp_request_set_nodes(&req, "one", &d), -EINVAL);
	assert_int_equal(hp_request_set_nodes(&req, "", &d), -EINVAL);
	hp_request_release(&req);
}

static void test_decide_per_node(void **state)
{
	struct fx *f = fx_load(INTEL2);
	struct hp_request req = HP_REQUEST_INIT;
	struct hp_plan plan = {0};
	struct diag d = {0};

	(void)state;
	assert_int_equal(hp_request_add(&req, "2M=4096", &d), 0);
	assert_int_equal(hp_request_add(&req, "1G=0", &d), 0);
	assert_int_equal(hp_request_set_nodes(&req, "1", &d), 0);
	assert_int_equal(hugepages_decide(&f->m, &f->mem, &req, &plan, &d), 0);
	assert_int_equal(plan.nchanges, 2);
	/* The unchanged 1G pool sorts before the grow. */
	assert_int_equal(plan.changes[0].size_kib, 1048576);
	assert_int_equal(plan.changes[0].old_pages, 0);
	assert_int_equal(plan.changes[0].new_pages, 0);
	assert_int_equal(plan.changes[1].node, 1);
	assert_int_equal(plan.changes[1].old_pages, 2048);
	assert_int_equal(plan.changes[1].new_pages, 4096);
	assert_string_equal(
		plan.changes[1].path,
		"/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages");
	assert_string_equal(plan.changes[1].reason, "grow 2M pool of node 1 by 2048 pages (4 GiB)");
	hp_plan_release(&plan);
	hp_request_release(&req);
	fx_free(f);
}

static void test_decide_host_wide_shrinks_first(void **state)
{
	struct fx *f = fx_load(INTEL2);
	struct hp_request req = HP_REQUEST_INIT;
	struct hp_plan plan = {0};
	struct diag d = {0};

	(void)state;
	assert_int_equal(hp_request_add(&req, "1G=4", &d), 0);
	assert_int_equal(hp_request_add(&req, "2M=1024", &d), 0);
	assert_int_equal(hugepages_decide(&f->m, &f->mem, &req, &plan, &d), 0);
	assert_int_equal(plan.nchanges, 2);
	assert_int_equal(plan.changes[0].size_kib, 2048);
	assert_int_equal(plan.changes[0].node, -1);
	assert_int_equal(plan.changes[0].old_pages, 4096);
	assert_int_equal(plan.changes[0].new_pages, 1024);
	assert_string_equal(plan.changes[0].path,
			    "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
	assert_int_equal(plan.changes[1].size_kib, 1048576);
	assert_int_equal(plan.changes[1].new_pages, 4);
	hp_plan_release(&plan);
	hp_request_release(&req);
	fx_free(f);
}

static void expect_refusal(struct fx *f, const char *ask, const char *nodes, int err,
			   const char *needle)
{
	struct hp_request req = HP_REQUEST_INIT;
	struct hp_plan plan = {0};
	struct diag d = {0};

	assert_int_equal(hp_request_add(&req, ask, &d), 0);
	if (nodes)
		assert_int_equal(hp_request_set_nodes(&req, nodes, &d), 0);
	assert_int_equal(hugepages_decide(&f->m, &f->mem, &req, &plan, &d), err);
	if (!strstr(d.msg, needle))
		fail_msg("message '%s' lacks '%s'", d.msg, needle);
	assert_int_equal(plan.nchanges, 0);
	hp_request_release(&req);
}

static void test_decide_bad_input(void **state)
{
	struct fx *f = fx_load(INTEL2);

	(void)state;
	expect_refusal(f, "3M=1", NULL, -EINVAL, "this CPU has no 3M pages (it supports: 2M, 1G)");
	expect_refusal(f, "2M=1", "7", -EINVAL, "node 7 does not exist on this host (nodes: 0,1)");
	expect_refusal(f, "2M=1", "0,7", -EINVAL, "node 7 does not exist");
	/* A CPU without pdpe1gb: the size is refused before anything else. */
	f->m.ncpu_page_sizes = 1;
	expect_refusal(f, "1G=1", NULL, -EINVAL, "this CPU has no 1G pages (it supports: 2M)");
	fx_free(f);
}

static void test_decide_guard(void **state)
{
	struct fx *f = fx_load(INTEL2);
	const struct hp_node_mem *n1 = &f->mem.nodes[1];
	struct hp_request req = HP_REQUEST_INIT;
	struct hp_plan plan = {0};
	struct diag d = {0};
	uint64_t keep, room_pages;
	char ask[64];

	(void)state;
	/* Node 1 of the fixture: MemTotal 49519964 kB; 5% is above 512 MiB. */
	assert_int_equal(n1->node, 1);
	assert_true(n1->total_kib > 0);
	keep = hugepages_keep_free_kib(&f->mem, n1, -1);
	assert_int_equal(keep, (uint64_t)n1->total_kib / 20);
	assert_int_equal(hugepages_keep_free_kib(&f->mem, n1, 1024), 1024);
	/* Exactly at the limit is allowed, one page more is refused. */
	room_pages = ((uint64_t)n1->avail_kib - keep) / 2048;
	(void)snprintf(ask, sizeof(ask), "2M=%llu", (unsigned long long)(2048 + room_pages));
	assert_int_equal(hp_request_add(&req, ask, &d), 0);
	assert_int_equal(hp_request_set_nodes(&req, "1", &d), 0);
	assert_int_equal(hugepages_decide(&f->m, &f->mem, &req, &plan, &d), 0);
	hp_request_release(&req);
	hp_plan_release(&plan);
	(void)snprintf(ask, sizeof(ask), "2M=%llu", (unsigned long long)(2048 + room_pages + 1));
	expect_refusal(f, ask, "1", -ERANGE, "node 1: the request needs");
	/* A larger --keep-free refuses a small grow. */
	req = (struct hp_request)HP_REQUEST_INIT;
	assert_int_equal(hp_request_add(&req, "2M=2049", &d), 0);
	assert_int_equal(hp_request_set_nodes(&req, "1", &d), 0);
	req.keep_free_kib = n1->avail_kib;
	assert_int_equal(hugepages_decide(&f->m, &f->mem, &req, &plan, &d), -ERANGE);
	assert_non_null(strstr(d.msg, "nothing was changed"));
	/* Shrinking is never refused. */
	req.asks[0].count_pages = 0;
	assert_int_equal(hugepages_decide(&f->m, &f->mem, &req, &plan, &d), 0);
	hp_plan_release(&plan);
	hp_request_release(&req);
	fx_free(f);
}

static void test_guard_host_wide_and_min_free(void **state)
{
	struct hp_node_mem nodes[2] = {{0, 8388608, 4194304}, {1, 8388608, 1048576}};
	struct hp_mem mem = {nodes, 2, 16777216, 5242880, 65536};
	struct hp_request req = HP_REQUEST_INIT;
	struct hp_plan plan = {0};
	struct host_model m = {0};
	struct pool gp = {2048, 0, 0, 0, 0, 0};
	struct numa_node mn[2] = {{.node = 0}, {.node = 1}};
	uint64_t sizes[] = {2048};
	struct diag d = {0};
	char ask[64];
	uint64_t keep0, room;

	(void)state;
	m.nodes = mn;
	m.nnodes = 2;
	m.pools = &gp;
	m.npools = 1;
	m.cpu_page_sizes_kib = sizes;
	m.ncpu_page_sizes = 1;
	/* 8 GiB node: max(409.6 MiB, 512 MiB) + half of min_free_kbytes. */
	keep0 = hugepages_keep_free_kib(&mem, &nodes[0], -1);
	assert_int_equal(keep0, 524288 + 32768);
	/* Host-wide: the rooms of both nodes add up. */
	room = (4194304 - keep0) + (1048576 - keep0);
	(void)snprintf(ask, sizeof(ask), "2M=%llu", (unsigned long long)(room / 2048));
	assert_int_equal(hp_request_add(&req, ask, &d), 0);
	assert_int_equal(hugepages_decide(&m, &mem, &req, &plan, &d), 0);
	assert_int_equal(plan.nchanges, 1);
	assert_int_equal(plan.changes[0].node, -1);
	req.asks[0].count_pages = room / 2048 + 1;
	assert_int_equal(hugepages_decide(&m, &mem, &req, &plan, &d), -ERANGE);
	assert_non_null(strstr(d.msg, "host: the request needs"));
	hp_plan_release(&plan);
	hp_request_release(&req);
}

static void test_no_per_node_pool(void **state)
{
	struct fx *f = fx_load(INTEL2);

	(void)state;
	/* Pretend node 0 has no per-node pool directory (older kernels). */
	f->m.nodes[0].npools = 0;
	expect_refusal(f, "2M=1", "0", -EINVAL, "node 0 has no per-node 2M pool");
	f->m.nodes[1].mem_total_kib = 0;
	expect_refusal(f, "2M=1", "1", -EINVAL, "node 1 has no memory");
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_parse),
		cmocka_unit_test(test_decide_per_node),
		cmocka_unit_test(test_decide_host_wide_shrinks_first),
		cmocka_unit_test(test_decide_bad_input),
		cmocka_unit_test(test_decide_guard),
		cmocka_unit_test(test_guard_host_wide_and_min_free),
		cmocka_unit_test(test_no_per_node_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
