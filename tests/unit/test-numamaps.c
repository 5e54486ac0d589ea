/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the numa_maps parser and the per-node accounting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/numamaps.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

static int parse(const char *line, struct numamaps_entry *e, struct diag *d)
{
	return numamaps_parse_line(line, strlen(line), e, d);
}

static uint64_t node_pages(const struct numamaps_entry *e, int node)
{
	for (size_t i = 0; i < e->nnodes; i++)
		if (e->nodes[i].node == node)
			return e->nodes[i].pages;
	return 0;
}

static void test_anon_line(void **state)
{
	struct numamaps_entry e = NUMAMAPS_ENTRY_INIT;

	(void)state;
	assert_int_equal(parse("7f6e2bfff000 default anon=16385 dirty=16385 active=0 N0=16385 "
			       "kernelpagesize_kB=4",
			       &e, NULL),
			 0);
	assert_true(e.addr == 0x7f6e2bfff000ULL);
	assert_int_equal(e.policy, NUMAMAPS_POLICY_DEFAULT);
	assert_int_equal(e.anon, 16385);
	assert_int_equal(e.dirty, 16385);
	assert_int_equal(e.active, 0);
	assert_int_equal(e.kernelpagesize_kib, 4);
	assert_int_equal(e.nnodes, 1);
	assert_int_equal(node_pages(&e, 0), 16385);
	assert_null(e.file);
	assert_int_equal(numamaps_entry_cat(&e), NUMAMAPS_CAT_PRIVATE);
	numamaps_entry_release(&e);
}

static void test_file_heap_stack_lines(void **state)
{
	struct numamaps_entry e = NUMAMAPS_ENTRY_INIT;

	(void)state;
	assert_int_equal(parse("7fcf66496000 default file=/usr/lib/locale/C.utf8/LC_CTYPE "
			       "mapped=32 mapmax=7 N0=32 kernelpagesize_kB=4",
			       &e, NULL),
			 0);
	assert_int_equal(e.file_len, strlen("/usr/lib/locale/C.utf8/LC_CTYPE"));
	assert_memory_equal(e.file, "/usr/lib/locale/C.utf8/LC_CTYPE", e.file_len);
	assert_int_equal(e.mapped, 32);
	assert_int_equal(e.mapmax, 7);
	assert_int_equal(parse("557ac056b000 default heap anon=4 dirty=4 active=0 N0=4 "
			       "kernelpagesize_kB=4",
			       &e, NULL),
			 0);
	assert_int_equal(numamaps_entry_cat(&e), NUMAMAPS_CAT_HEAP);
	assert_int_equal(parse("7fff6999c000 default stack anon=3 dirty=3 N0=3 kernelpagesize_kB=4",
			       &e, NULL),
			 0);
	assert_int_equal(numamaps_entry_cat(&e), NUMAMAPS_CAT_STACK);
	/* kernels before 4.5 named thread stacks "stack:TID" */
	assert_int_equal(
		parse("7f0000001000 default stack:1234 anon=1 N1=1 kernelpagesize_kB=4", &e, NULL),
		0);
	assert_int_equal(numamaps_entry_cat(&e), NUMAMAPS_CAT_STACK);
	assert_int_equal(node_pages(&e, 1), 1);
	/* a mapping with no resident pages */
	assert_int_equal(parse("7fcf666e6000 default", &e, NULL), 0);
	assert_int_equal(e.nnodes, 0);
	assert_int_equal(e.kernelpagesize_kib, 0);
	numamaps_entry_release(&e);
}

static void test_huge_line(void **state)
{
	struct numamaps_entry e = NUMAMAPS_ENTRY_INIT;

	(void)state;
	assert_int_equal(parse("7f9d3fe00000 bind:0 file=/tmp/kt6-huge.ccAn/"
			       "qemu_back_mem.m0.8O9t6R\\040(deleted) huge anon=32 dirty=32 N0=32 "
			       "kernelpagesize_kB=2048",
			       &e, NULL),
			 0);
	assert_true(e.huge);
	assert_int_equal(e.policy, NUMAMAPS_POLICY_BIND);
	assert_true(cpuset_isset(&e.policy_nodes, 0));
	assert_int_equal(cpuset_count(&e.policy_nodes), 1);
	assert_int_equal(e.kernelpagesize_kib, 2048);
	assert_int_equal(node_pages(&e, 0), 32);
	assert_int_equal(numamaps_entry_cat(&e), NUMAMAPS_CAT_HUGE);
	numamaps_entry_release(&e);
}

static void test_policies(void **state)
{
	static const struct {
		const char *line;
		enum numamaps_policy policy;
		const char *nodes; /* members as "0,1" */
	} cases[] = {
		{"1000 default N0=1", NUMAMAPS_POLICY_DEFAULT, ""},
		{"1000 local N0=1", NUMAMAPS_POLICY_LOCAL, ""},
		{"1000 bind:0-1 N0=1", NUMAMAPS_POLICY_BIND, "0,1"},
		{"1000 bind=static:1 N1=1", NUMAMAPS_POLICY_BIND, "1"},
		{"1000 prefer:1 N1=1", NUMAMAPS_POLICY_PREFER, "1"},
		{"1000 preferred N0=1", NUMAMAPS_POLICY_PREFER, ""},
		{"1000 interleave:0-3 N0=1 N1=1 N2=1 N3=1", NUMAMAPS_POLICY_INTERLEAVE, "0,1,2,3"},
		{"1000 interleave=relative:0,2 N0=1", NUMAMAPS_POLICY_INTERLEAVE, "0,2"},
		{"1000 weighted interleave:0-1 N0=1", NUMAMAPS_POLICY_WEIGHTED_INTERLEAVE, "0,1"},
		{"1000 prefer (many):2-3 N2=1", NUMAMAPS_POLICY_PREFER_MANY, "2,3"},
	};
	struct numamaps_entry e = NUMAMAPS_ENTRY_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *list;

		assert_int_equal(parse(cases[i].line, &e, NULL), 0);
		assert_int_equal(e.policy, cases[i].policy);
		list = cpuset_to_list(&e.policy_nodes);
		{
			/* compare as members: "0-3" vs "0,1,2,3" */
			struct cpuset want = CPUSET_INIT;

			assert_int_equal(cpuset_parse_list(cases[i].nodes, &want, NULL), 0);
			if (!cpuset_equal(&want, &e.policy_nodes))
				fail_msg("%s: nodes %s, want %s", cases[i].line, list,
					 cases[i].nodes);
			cpuset_release(&want);
		}
		free(list);
		assert_int_equal(e.nnodes >= 1, 1);
	}
	numamaps_entry_release(&e);
}

static void test_unknown_fields_ignored(void **state)
{
	struct numamaps_entry e = NUMAMAPS_ENTRY_INIT;

	(void)state;
	assert_int_equal(
		parse("1000 default anon=1 newfield=7 shiny N0=1 kernelpagesize_kB=4", &e, NULL),
		0);
	assert_int_equal(node_pages(&e, 0), 1);
	assert_false(e.huge || e.heap || e.stack);
	numamaps_entry_release(&e);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"zzzz default N0=1",
		"12345678901234567 default",
		"7f00 bogus N0=1",
		"7f00",
		"7f00 bind:x N0=1",
		"7f00 bind: N0=1",
		"7f00 bind= N0=1",
		"7f00 default N0=",
		"7f00 default N0=abc",
		"7f00 default N=3",
		"7f00 default N0x=3",
		"7f00 default N99999999=1",
		"7f00 default anon=-1",
		"7f00 default kernelpagesize_kB=4k",
		"7f00 default dirty=",
	};
	struct numamaps_entry e = NUMAMAPS_ENTRY_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag d = {0};

		if (parse(bad[i], &e, &d) != -EINVAL)
			fail_msg("accepted malformed line '%s'", bad[i]);
		assert_int_equal(d.err, EINVAL);
		assert_true(d.msg[0] != '\0');
	}
	numamaps_entry_release(&e);
}

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

static void usage_of(const char *path, struct numamaps_usage *u, uint64_t default_huge_kib)
{
	size_t len;
	char *text = slurp(path, &len);

	assert_int_equal(numamaps_usage_parse(u, text, len, 4, default_huge_kib, NULL), 0);
	free(text);
}

/* MB with two decimals as numastat prints them. */
static void assert_mb(uint64_t kib, const char *want)
{
	char got[32];

	snprintf(got, sizeof(got), "%.2f", (double)kib / 1024.0);
	assert_string_equal(got, want);
}

static void test_usage_python_sample(void **state)
{
	/* numastat-p.txt of the same capture: Huge 4.00 Heap 1.51 Stack 0.06 Private 75.67 */
	struct numamaps_usage u = NUMAMAPS_USAGE_INIT;

	(void)state;
	usage_of(TEST_DATA_DIR "/numamaps/numa_maps.python-hugetlb-memfd.txt", &u, 2048);
	assert_int_equal(u.nnodes, 1);
	assert_int_equal(u.cat_kib[NUMAMAPS_CAT_HUGE][0], 4096);
	assert_int_equal(u.cat_kib[NUMAMAPS_CAT_HEAP][0], 387 * 4);
	assert_int_equal(u.cat_kib[NUMAMAPS_CAT_STACK][0], 16 * 4);
	assert_mb(u.cat_kib[NUMAMAPS_CAT_PRIVATE][0], "75.67");
	assert_mb(numamaps_usage_total_kib(&u, -1), "81.25");
	assert_int_equal(u.nhuge, 1);
	assert_int_equal(u.huge[0].size_kib, 2048);
	assert_int_equal(u.huge[0].kib[0], 4096);
	numamaps_usage_release(&u);
}

static void test_usage_memhold_and_qemu(void **state)
{
	struct numamaps_usage u = NUMAMAPS_USAGE_INIT;

	(void)state;
	/* numastat-p.memhold: 4.00 0.51 0.01 17.56 total 22.08 */
	usage_of(TEST_DATA_DIR "/numamaps/numa_maps.memhold", &u, 2048);
	assert_mb(u.cat_kib[NUMAMAPS_CAT_HUGE][0], "4.00");
	assert_mb(u.cat_kib[NUMAMAPS_CAT_HEAP][0], "0.51");
	assert_mb(u.cat_kib[NUMAMAPS_CAT_STACK][0], "0.01");
	assert_mb(u.cat_kib[NUMAMAPS_CAT_PRIVATE][0], "17.56");
	assert_mb(numamaps_usage_total_kib(&u, -1), "22.08");
	numamaps_usage_release(&u);

	/* numastat-p.qemu: 64.00 4.30 0.01 31.95 total 100.26; the backend is bind:0 */
	usage_of(TEST_DATA_DIR "/numamaps/numa_maps.qemu", &u, 2048);
	assert_int_equal(u.cat_kib[NUMAMAPS_CAT_HUGE][0], 65536);
	assert_mb(u.cat_kib[NUMAMAPS_CAT_HEAP][0], "4.30");
	assert_mb(u.cat_kib[NUMAMAPS_CAT_PRIVATE][0], "31.95");
	assert_mb(numamaps_usage_total_kib(&u, -1), "100.26");
	assert_int_equal(u.policy_kib[NUMAMAPS_POLICY_BIND], 65536);
	assert_true(cpuset_isset(&u.policy_nodes[NUMAMAPS_POLICY_BIND], 0));
	assert_true(cpuset_empty(&u.policy_nodes[NUMAMAPS_POLICY_DEFAULT]));
	numamaps_usage_release(&u);
}

static void test_usage_policies_samples(void **state)
{
	static const struct {
		const char *file;
		enum numamaps_policy policy;
	} cases[] = {
		{"numa_maps.bind", NUMAMAPS_POLICY_BIND},
		{"numa_maps.interleave", NUMAMAPS_POLICY_INTERLEAVE},
		{"numa_maps.prefer", NUMAMAPS_POLICY_PREFER},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct numamaps_usage u = NUMAMAPS_USAGE_INIT;
		char path[256];

		snprintf(path, sizeof(path), TEST_DATA_DIR "/numamaps/%s", cases[i].file);
		usage_of(path, &u, 2048);
		/* every mapping of a numactl-started process carries the policy */
		assert_int_equal(u.policy_kib[cases[i].policy], numamaps_usage_total_kib(&u, -1));
		assert_true(u.policy_kib[cases[i].policy] >= 4096);
		assert_true(cpuset_isset(&u.policy_nodes[cases[i].policy], 0));
		numamaps_usage_release(&u);
	}
}

static void test_each_huge_mapping_at_its_own_size(void **state)
{
	/*
	 * numactl issue 147: numastat <= 2.0.16 multiplies every huge line by the
	 * default hugepage size.  A 1 GiB page on a host whose default is 2 MiB
	 * is 1024 MiB, not 2 MiB.
	 */
	static const char text[] =
		"7f0000000000 bind:1 file=/dev/hugepages1G/vm huge dirty=1 N1=1 "
		"kernelpagesize_kB=1048576\n"
		"7f8000000000 default file=/dev/hugepages/x huge dirty=3 N0=2 N1=1 "
		"kernelpagesize_kB=2048\n"
		"7f9000000000 default anon=5 N0=2 N3=3 kernelpagesize_kB=4\n"
		"garbage line\n"
		"7fa000000000 default huge N0=1\n";
	struct numamaps_usage u = NUMAMAPS_USAGE_INIT;
	struct diag d = {0};

	(void)state;
	assert_int_equal(numamaps_usage_parse(&u, text, strlen(text), 4, 2048, &d), 1);
	assert_int_equal(u.bad_lines, 1);
	assert_true(strstr(d.msg, "garbage") != NULL);
	assert_int_equal(u.nnodes, 4);
	/* node 1: one 1 GiB page + one 2 MiB page */
	assert_int_equal(u.cat_kib[NUMAMAPS_CAT_HUGE][1], 1048576 + 2048);
	/* node 0: two 2 MiB pages + one page of a line without kernelpagesize_kB (default) */
	assert_int_equal(u.cat_kib[NUMAMAPS_CAT_HUGE][0], 3 * 2048);
	assert_int_equal(u.cat_kib[NUMAMAPS_CAT_PRIVATE][3], 12);
	assert_int_equal(u.cat_kib[NUMAMAPS_CAT_PRIVATE][2], 0);
	assert_int_equal(u.nhuge, 2);
	assert_int_equal(u.huge[0].size_kib, 2048);
	assert_int_equal(u.huge[1].size_kib, 1048576);
	assert_int_equal(u.huge[1].kib[1], 1048576);
	assert_int_equal(u.huge[1].kib[0], 0);
	assert_int_equal(numamaps_usage_node_kib(&u, -1, 1), 1048576 + 2048);
	assert_int_equal(numamaps_usage_node_kib(&u, -1, 7), 0);
	assert_int_equal(u.policy_kib[NUMAMAPS_POLICY_BIND], 1048576);
	assert_int_equal(cpuset_count(&u.policy_nodes[NUMAMAPS_POLICY_BIND]), 1);
	assert_true(cpuset_isset(&u.policy_nodes[NUMAMAPS_POLICY_BIND], 1));
	numamaps_usage_release(&u);
}

/* Page counts whose KiB would pass 2^63 are refused, never wrapped or shown negative. */
static void test_overflowing_counts(void **state)
{
	static const char text[] =
		"7f0000000000 default anon=1 N0=1 kernelpagesize_kB=4\n"
		/* 2^62 pages of 4 KiB: 2^64 KiB */
		"7f1000000000 default anon=1 N0=4611686018427387904 kernelpagesize_kB=4\n"
		/* each fits, their sum does not */
		"7f2000000000 default anon=1 N1=1152921504606846976 kernelpagesize_kB=4\n"
		"7f3000000000 default anon=1 N1=1152921504606846976 kernelpagesize_kB=4\n"
		"7f4000000000 default anon=1 N0=18446744073709551615\n";
	struct numamaps_usage u = NUMAMAPS_USAGE_INIT;
	struct diag d = {0};

	(void)state;
	assert_int_equal(numamaps_usage_parse(&u, text, strlen(text), 4, 2048, &d), 3);
	assert_non_null(strstr(d.msg, "too large"));
	assert_int_equal(u.lines, 2);
	assert_int_equal(numamaps_usage_node_kib(&u, -1, 0), 4);
	assert_int_equal(numamaps_usage_node_kib(&u, -1, 1), 4 * 1152921504606846976ULL);
	assert_true(numamaps_usage_total_kib(&u, -1) <= INT64_MAX);
	numamaps_usage_release(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anon_line),
		cmocka_unit_test(test_file_heap_stack_lines),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_unknown_fields_ignored),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_usage_python_sample),
		cmocka_unit_test(test_usage_memhold_and_qemu),
		cmocka_unit_test(test_usage_policies_samples),
		cmocka_unit_test(test_each_huge_mapping_at_its_own_size),
		cmocka_unit_test(test_overflowing_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
