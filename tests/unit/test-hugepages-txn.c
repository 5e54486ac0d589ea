/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for a VM's hugepage needs per pool (hugepages-txn.c), on synthetic backends. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hugepages-txn.h"
#include "core/qemu-args.h"
#include "util/diag.h"

static int64_t need(const struct hp_needs *n, int node, uint64_t page_kib)
{
	for (size_t i = 0; i < n->n; i++)
		if (n->v[i].node == node && n->v[i].page_kib == page_kib)
			return n->v[i].pages;
	return -1;
}

static void test_split(void **state)
{
	struct qbackend b[5] = {0};
	struct qemu_mem_args a = {0};
	struct hp_needs n = {0};

	/* 10 x 2M bound to nodes 0-2: 4, 3, 3 */
	b[0] = (struct qbackend){.size_kib = 20480, .page_kib = 2048, .policy = VM_POLICY_BIND};
	cpuset_set(&b[0].host_nodes, 0);
	cpuset_set(&b[0].host_nodes, 1);
	cpuset_set(&b[0].host_nodes, 2);
	/* 3 MiB on 2M pages preferred on 1 (then 2): 2 pages on node 1 */
	b[1] = (struct qbackend){.size_kib = 3072, .page_kib = 2048, .policy = VM_POLICY_PREFERRED};
	cpuset_set(&b[1].host_nodes, 1);
	cpuset_set(&b[1].host_nodes, 2);
	/* no nodes: the host-wide pool */
	b[2] = (struct qbackend){.size_kib = 2097152, .page_kib = 1048576};
	/* normal pages need nothing */
	b[3] = (struct qbackend){.size_kib = 4096, .page_kib = 0, .policy = VM_POLICY_BIND};
	cpuset_set(&b[3].host_nodes, 0);
	/* one page over one node of 3 listed: only the first gets it */
	b[4] = (struct qbackend){
		.size_kib = 1048576, .page_kib = 1048576, .policy = VM_POLICY_INTERLEAVE};
	cpuset_set(&b[4].host_nodes, 3);
	cpuset_set(&b[4].host_nodes, 5);
	a.backends = b;
	a.nbackends = 5;
	assert_int_equal(hp_needs_from_backends(&a, &n, NULL), 0);
	assert_int_equal(need(&n, 0, 2048), 4);
	assert_int_equal(need(&n, 1, 2048), 3 + 2);
	assert_int_equal(need(&n, 2, 2048), 3);
	assert_int_equal(need(&n, -1, 1048576), 2);
	assert_int_equal(need(&n, 3, 1048576), 1);
	assert_int_equal(need(&n, 5, 1048576), -1);
	assert_int_equal(n.n, 5);
	hp_needs_release(&n);
	for (size_t i = 0; i < 5; i++)
		cpuset_release(&b[i].host_nodes);
}

static void test_overflow(void **state)
{
	struct hp_needs n = {0};
	struct diag d = {0};

	assert_int_equal(hp_needs_add(&n, 0, 1, UINT64_MAX / 2, &d), -ERANGE);
	assert_int_equal(hp_needs_add(&n, 0, 4, UINT64_C(1) << 63, &d), 0);
	assert_int_equal(hp_needs_add(&n, 0, 4, UINT64_C(1) << 63, &d), -ERANGE);
	assert_non_null(strstr(d.msg, "too large"));
	hp_needs_release(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
