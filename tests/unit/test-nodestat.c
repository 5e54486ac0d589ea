/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for stat's per-node tables (core/nodestat.c): meminfo rows over
 * every pool size, counters in base pages, unknown values kept unknown, a
 * host without NUMA in sysfs, malformed files.  A temporary root per test.
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
#include "core/model.h"
#include "core/nodestat.h"
#include "util/diag.h"

static char root[64];

static void put(const char *rel, const char *content)
{
	char path[512], cmd[600];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s%s", root, rel);
	(void)snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void rm(const char *rel)
{
	char path[512];

	(void)snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(remove(path), 0);
}

#define NODE "/sys/devices/system/node/node"
#define POOL2M "/hugepages/hugepages-2048kB/"
#define POOL1G "/hugepages/hugepages-1048576kB/"

static int setup(void **state)
{
	(void)state;
	(void)snprintf(root, sizeof(root), "/tmp/kvmtune-nodestat-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	put("/sys/devices/system/cpu/online", "0-1\n");
	put("/proc/meminfo", "MemTotal: 4000 kB\nHugepagesize: 2048 kB\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "4\n");
	put("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "1\n");
	for (int n = 0; n < 2; n++) {
		char p[128];

		(void)snprintf(p, sizeof(p), NODE "%d/cpulist", n);
		put(p, n ? "1\n" : "0\n");
		(void)snprintf(p, sizeof(p), NODE "%d/meminfo", n);
		put(p, n ? "Node 1 MemTotal: 2000 kB\nNode 1 HugePages_Total: 2\n"
			 : "Node 0 MemTotal: 2000 kB\nNode 0 MemFree: 1000 kB\n"
			   "Node 0 HugePages_Total: 2\n");
		(void)snprintf(p, sizeof(p), NODE "%d" POOL2M "nr_hugepages", n);
		put(p, "2\n");
		(void)snprintf(p, sizeof(p), NODE "%d" POOL2M "free_hugepages", n);
		put(p, "1\n");
		(void)snprintf(p, sizeof(p), NODE "%d" POOL2M "surplus_hugepages", n);
		put(p, "0\n");
	}
	put(NODE "0" POOL1G "nr_hugepages", "1\n");
	put(NODE "0" POOL1G "free_hugepages", "1\n");
	put(NODE "0" POOL1G "surplus_hugepages", "0\n");
	put(NODE "0/numastat", "numa_hit 100\nnuma_miss 0\nnuma_foreign 7\ninterleave_hit 1\n"
			       "local_node 99\nother_node 1\n");
	/* a kernel that lacks a line, and one more line we do not know */
	put(NODE "1/numastat", "numa_hit 5\nlocal_node 5\nother_node 0\nnuma_new 3\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static size_t row_of(const struct nodestat *s, const char *key)
{
	for (size_t k = 0; k < s->nrows; k++)
		if (strcmp(s->keys[k], key) == 0)
			return k;
	fail_msg("no row %s", key);
	return 0;
}

static void load(struct host **h, struct host_model *m)
{
	struct diag d = {0};

	assert_int_equal(host_open(root, h, &d), 0);
	assert_int_equal(host_model_load(*h, m, &d), 0);
}

static void test_meminfo(void **state)
{
	struct host_model m = {0};
	struct nodestat s = {0};
	struct diag d = {0};
	struct host *h = NULL;

	(void)state;
	/* node 0's 1 GiB pool has no surplus file: its surplus is unknown */
	rm(NODE "0" POOL1G "surplus_hugepages");
	load(&h, &m);
	assert_int_equal(nodestat_meminfo(h, &m, &s, &d), 0);
	assert_int_equal(s.unit_kib, 1);
	/* only rows some node has, in numastat's order */
	assert_string_equal(s.keys[0], "MemTotal");
	assert_string_equal(s.keys[1], "MemFree");
	assert_int_equal(nodestat_get(&s, 0, 1), 2000);
	/* node 1 has no MemFree line: unknown, not 0 */
	assert_int_equal(nodestat_get(&s, 1, 0), 1000);
	assert_int_equal(nodestat_get(&s, 1, 1), NODESTAT_UNKNOWN);
	/* every pool size counts: 2 x 2 MiB + 1 x 1 GiB on node 0 */
	assert_int_equal(nodestat_get(&s, row_of(&s, "HugePages_Total"), 0), 4096 + 1048576);
	assert_int_equal(nodestat_get(&s, row_of(&s, "HugePages_Free"), 1), 2048);
	assert_int_equal(nodestat_get(&s, row_of(&s, "HugePages_Surp"), 0), NODESTAT_UNKNOWN);
	assert_int_equal(nodestat_get(&s, row_of(&s, "HugePages_Surp"), 1), 0);
	nodestat_release(&s);
	host_model_release(&m);
	host_free(h);
}

static void test_counters(void **state)
{
	struct host_model m = {0};
	struct nodestat s = {0};
	struct diag d = {0};
	struct host *h = NULL;

	(void)state;
	load(&h, &m);
	assert_int_equal(nodestat_counters(h, &m, &s, &d), 0);
	assert_int_equal(s.nrows, 6);
	assert_int_equal(s.unit_kib, m.base_page_kib);
	assert_string_equal(s.keys[2], "numa_foreign");
	assert_int_equal(nodestat_get(&s, 2, 0), 7);
	assert_int_equal(nodestat_get(&s, 2, 1), NODESTAT_UNKNOWN);
	assert_int_equal(nodestat_get(&s, 0, 1), 5);
	assert_int_equal(nodestat_get(&s, 99, 0), NODESTAT_UNKNOWN);
	nodestat_release(&s);
	/* no numastat file at all: every value unknown, no error */
	rm(NODE "1/numastat");
	assert_int_equal(nodestat_counters(h, &m, &s, &d), 0);
	assert_int_equal(nodestat_get(&s, 0, 1), NODESTAT_UNKNOWN);
	nodestat_release(&s);
	/* a malformed number names the file */
	put(NODE "1/numastat", "numa_hit 12x\n");
	assert_int_equal(nodestat_counters(h, &m, &s, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "node1/numastat"));
	assert_non_null(strstr(d.msg, "12x"));
	host_model_release(&m);
	host_free(h);
}

/* No node directory: one node, read from /proc/meminfo; a page count in pages. */
static void test_no_numa(void **state)
{
	struct host_model m = {0};
	struct nodestat s = {0};
	struct diag d = {0};
	struct host *h = NULL;
	char cmd[128];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys/devices/system/node'", root);
	assert_int_equal(system(cmd), 0);
	put("/proc/meminfo", "MemTotal: 4000 kB\nHugePages_Total: 3\nHugepagesize: 2048 kB\n");
	rm("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
	rm("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages");
	load(&h, &m);
	assert_false(m.numa_sysfs);
	assert_int_equal(nodestat_meminfo(h, &m, &s, &d), 0);
	assert_int_equal(nodestat_get(&s, row_of(&s, "MemTotal"), 0), 4000);
	nodestat_release(&s);
	host_model_release(&m);
	host_free(h);
}

static void test_malformed_meminfo(void **state)
{
	struct host_model m = {0};
	struct nodestat s = {0};
	struct diag d = {0};
	struct host *h = NULL;

	(void)state;
	load(&h, &m);
	put(NODE "1/meminfo", "Node 1 MemTotal: lots\n");
	assert_int_equal(nodestat_meminfo(h, &m, &s, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "node1/meminfo"));
	host_model_release(&m);
	host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_meminfo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_numa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_meminfo, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
