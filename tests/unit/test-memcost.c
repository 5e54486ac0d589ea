/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the saved memory costs (core/memcost), the bench kernels' cycle and top's
 * arithmetic. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/memkern.h"
#include "core/kvmstat.h"
#include "core/memcost.h"
#include "core/vmtop.h"
#include "util/diag.h"
#include "util/sbuf.h"

static const char sample[] =
	"# comment\n"
	"format 1\n"
	"time 1796111045\n"
	"kernel 6.1.0-57-amd64\n"
	"buffer_kib 16384\n"
	"\n"
	"cell page 4K cpu_node 0 mem_node 0 latency_ns 300.0 p10_ns 290.0 p90_ns "
	"310.0 read_mbps 9000 on_node 1.000 huge 0.000 slit 10\n"
	"cell page 4K cpu_node 0 mem_node 1 latency_ns 480.0 p10_ns 470.0 p90_ns "
	"500.0 read_mbps 6000 on_node 1.000 huge 0.000 slit 21\n"
	"cell page THP cpu_node 0 mem_node 0 latency_ns 250.5 p10_ns 240.0 p90_ns "
	"260.0 read_mbps 9500 on_node 1.000 huge 0.960 slit 10\n"
	"cell page 1G cpu_node 1 mem_node 1 latency_ns 200.0 p10_ns 190.0 p90_ns "
	"210.0 read_mbps 9900 on_node 1.000 huge 1.000\n";

static void test_parse_and_lookup(void **state)
{
	struct memcost c = {0};
	struct memcost_page p4k = {.size_kib = 4}, thp = {.size_kib = 4, .thp = true},
			    p1g = {.size_kib = 1048576};
	const struct memcost_cell *x;

	assert_int_equal(memcost_parse(sample, strlen(sample), &c, NULL), 0);
	assert_int_equal(c.ncells, 4);
	assert_int_equal(c.time, 1796111045);
	assert_string_equal(c.kernel, "6.1.0-57-amd64");
	assert_int_equal(c.buffer_kib, 16384);
	x = memcost_find(&c, &thp, 0, 0);
	assert_non_null(x);
	assert_true(x->latency_ns == 250.5 && x->huge == 0.96 && x->slit == 10);
	x = memcost_find(&c, &p1g, 1, 1);
	assert_non_null(x);
	assert_int_equal(x->slit, -1); /* slit is optional */
	assert_null(memcost_find(&c, &p1g, 0, 0));
	/* the planner's number: 480 / 300 */
	assert_true(memcost_node_ratio(&c, &p4k, 0, 1) == 1.6);
	assert_true(memcost_node_ratio(&c, &p4k, 1, 0) == -1);
	memcost_release(&c);
}

static void test_roundtrip(void **state)
{
	struct memcost a = {0}, b = {0};
	struct sbuf out = SBUF_INIT;

	assert_int_equal(memcost_parse(sample, strlen(sample), &a, NULL), 0);
	memcost_format(&a, &out);
	assert_int_equal(memcost_parse(out.buf, out.len, &b, NULL), 0);
	assert_int_equal(b.ncells, a.ncells);
	for (size_t i = 0; i < a.ncells; i++) {
		assert_true(memcost_page_equal(&a.cells[i].page, &b.cells[i].page));
		assert_true(a.cells[i].latency_ns == b.cells[i].latency_ns);
		assert_int_equal(a.cells[i].slit, b.cells[i].slit);
	}
	sbuf_release(&out);
	memcost_release(&a);
	memcost_release(&b);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"time 1\n",			       /* no format first */
		"format 1\ncell page 4K\n",	       /* missing keys */
		"format 1\ncell page 3M cpu_node 0\n", /* odd pairs */
		"format 1\nbogus 1\n",		       /* unknown record */
		"format 1\ntime -5\n",		       /* negative time */
		"format 1\ncell page 4K cpu_node 0 mem_node 0 latency_ns nan p10_ns 1 p90_ns 1 "
		"read_mbps 1 on_node 1 huge 0\n", /* nan */
		"format 1\ncell page 4K cpu_node 0 mem_node 0 latency_ns 1 p10_ns 1 p90_ns 1 "
		"read_mbps 1 on_node 1.5 huge 0\n", /* share above 1 */
		"format 1\ncell page 4K cpu_node -1 mem_node 0 latency_ns 1 p10_ns 1 p90_ns 1 "
		"read_mbps 1 on_node 1 huge 0\n", /* negative node */
		"format 1\ncell page 4K cpu_node 0 mem_node 0 latency_ns 1e300 p10_ns 1 p90_ns 1 "
		"read_mbps 1 on_node 1 huge 0\n", /* absurd */
		"format 1\ncell page 4K cpu_node 0 mem_node 0 latency_ns 1 latency_ns 1\n", /* twice
											     */
		"", /* empty */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct memcost c = {0};
		struct diag d = {0};

		assert_true(memcost_parse(bad[i], strlen(bad[i]), &c, &d) < 0);
		assert_true(d.msg[0]);
		assert_int_equal(c.ncells, 0);
	}
	{
		struct memcost c = {0};

		assert_int_equal(memcost_parse("format 2\n", 9, &c, NULL), -ENOTSUP);
		assert_int_equal(memcost_parse("format 1\n\0x", 11, &c, NULL), -EINVAL);
	}
}

static void test_page_names(void **state)
{
	struct memcost_page p;
	char buf[16];

	assert_int_equal(memcost_page_parse("THP", &p), 0);
	assert_string_equal(memcost_page_name(&p, buf, sizeof(buf)), "THP");
	assert_int_equal(memcost_page_parse("2M", &p), 0);
	assert_int_equal(p.size_kib, 2048);
	assert_string_equal(memcost_page_name(&p, buf, sizeof(buf)), "2M");
	assert_int_equal(memcost_page_parse("1G", &p), 0);
	assert_int_equal(p.size_kib, 1048576);
	assert_int_equal(memcost_page_parse("3M", &p), -EINVAL);
	assert_int_equal(memcost_page_parse("2K", &p), -EINVAL);
	assert_int_equal(memcost_page_parse("32G", &p), -EINVAL);
	assert_int_equal(memcost_page_parse("", &p), -EINVAL);
}

/* The chase is one cycle through every slot, one slot per stride. */
static void test_chase_cycle(void **state)
{
	size_t stride = 4096, n = 64, seen = 0;
	char *buf = aligned_alloc(4096, n * stride);
	void *start = NULL, *p;

	assert_non_null(buf);
	memset(buf, 0, n * stride);
	assert_int_equal(memkern_chase_build(buf, n * stride, stride, 42, &start), (int)n);
	p = start;
	do {
		size_t off = (size_t)((char *)p - buf);

		assert_true(off < n * stride && off % MEMKERN_LINE_BYTES == 0);
		p = *(void **)p;
		seen++;
	} while (p != start && seen <= n);
	assert_int_equal(seen, n);
	/* 16 loads from start come back to the 16th slot of the cycle */
	p = start;
	for (int i = 0; i < 16; i++)
		p = *(void **)p;
	assert_ptr_equal(memkern_chase_run(start, 16), p);
	assert_int_equal(memkern_chase_build(buf, stride, stride, 1, &start), -EINVAL);
	assert_int_equal(memkern_chase_build(buf, n * stride, 100, 1, &start), -EINVAL);
	free(buf);
}

static void test_naive_cycle(void **state)
{
	size_t npages = 32, idx, seen = 0;
	uint64_t *w = calloc(npages, 4096);

	assert_non_null(w);
	idx = memkern_naive_build(w, npages, 7);
	for (size_t i = idx;;) {
		i = (size_t)w[i];
		seen++;
		if (i == idx || seen > npages)
			break;
	}
	assert_int_equal(seen, npages);
	assert_int_equal(memkern_naive_run(w, idx, npages), idx);
	free(w);
}

static void test_kvm_dirnames(void **state)
{
	int pid = 0, fd = 0;

	assert_int_equal(kvmstat_parse_dirname("1234-12", &pid, &fd), 0);
	assert_int_equal(pid, 1234);
	assert_int_equal(fd, 12);
	assert_int_equal(kvmstat_parse_dirname("1234", &pid, &fd), -EINVAL);
	assert_int_equal(kvmstat_parse_dirname("-12", &pid, &fd), -EINVAL);
	assert_int_equal(kvmstat_parse_dirname("0-1", &pid, &fd), -EINVAL);
	assert_int_equal(kvmstat_parse_dirname("12-x", &pid, &fd), -EINVAL);
	assert_int_equal(kvmstat_parse_dirname("vcpu0", &pid, &fd), -EINVAL);
}

static void usage_of(struct numamaps_usage *u, uint64_t n0, uint64_t n1)
{
	memset(u, 0, sizeof(*u));
	u->nnodes = 2;
	for (int c = 0; c < NUMAMAPS_CAT_COUNT_; c++)
		u->cat_kib[c] = calloc(2, sizeof(uint64_t));
	u->cat_kib[NUMAMAPS_CAT_PRIVATE][0] = n0;
	u->cat_kib[NUMAMAPS_CAT_PRIVATE][1] = n1;
}

static void test_moved(void **state)
{
	struct numamaps_usage a, b;

	/* 100 MiB moved from node 0 to node 1 */
	usage_of(&a, 1000, 0);
	usage_of(&b, 900, 100);
	assert_int_equal(vmtop_moved_kib(&a, &b), 100);
	numamaps_usage_release(&b);
	/* grew by 50 on node 1 only: nothing moved */
	usage_of(&b, 1000, 50);
	assert_int_equal(vmtop_moved_kib(&a, &b), 0);
	numamaps_usage_release(&b);
	/* 30 moved and 20 freed on node 0 */
	usage_of(&b, 950, 30);
	assert_int_equal(vmtop_moved_kib(&a, &b), 30);
	numamaps_usage_release(&a);
	numamaps_usage_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_lookup), cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_malformed),	 cmocka_unit_test(test_page_names),
		cmocka_unit_test(test_chase_cycle),	 cmocka_unit_test(test_naive_cycle),
		cmocka_unit_test(test_kvm_dirnames),	 cmocka_unit_test(test_moved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
