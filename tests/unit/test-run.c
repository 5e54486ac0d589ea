/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for 'kvmtune run' without QEMU: reading QEMU command lines
 * (run-argv) and the placement seam (run-place) on a synthetic host of
 * 3 nodes x 2 CPUs, node 2 without CPUs.
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

#include "core/model.h"
#include "core/vmspec.h"
#include "run/run-argv.h"
#include "run/run-place.h"
#include "util/diag.h"
#include "util/xalloc.h"

static int parse(const char *const *args, struct run_argv *a, struct diag *d)
{
	int n = 0;

	while (args[n])
		n++;
	return run_argv_parse(n, (char **)args, a, d);
}

static void test_argv_reads(void **state)
{
	static const char *const args[] = {
		"qemu",	      "-accel",	  "tcg",	 "-m",	  "size=2G",
		"-nographic", "-smp",	  "4,sockets=2", "-name", "guest=vm,,x,debug-threads=on",
		"-S",	      "disk.img", "-m",		 "1024",  NULL};
	struct run_argv a = {0};

	assert_int_equal(parse(args, &a, NULL), 0);
	assert_int_equal(a.mem_kib, 1048576); /* the last -m wins, as in QEMU; no unit is MiB */
	assert_int_equal(a.vcpus, 4);
	assert_string_equal(a.name, "vm,x");
	assert_true(a.paused);
	/* -m dropped, everything else kept in order */
	assert_int_equal(a.nrest, 10);
	assert_string_equal(a.rest[0], "qemu");
	assert_string_equal(a.rest[3], "-nographic");
	assert_string_equal(a.rest[9], "disk.img");
	run_argv_release(&a);
}

static void test_argv_smp_topology(void **state)
{
	static const char *const a1[] = {"qemu", "-smp", "sockets=2,cores=3,threads=2", NULL};
	static const char *const a2[] = {"qemu", "-smp", "cpus=3,maxcpus=8", NULL};
	static const char *const a3[] = {"qemu", "-name", "plain", "-m", "4g", NULL};
	struct run_argv a = {0};

	assert_int_equal(parse(a1, &a, NULL), 0);
	assert_int_equal(a.vcpus, 12);
	assert_int_equal(parse(a2, &a, NULL), 0);
	assert_int_equal(a.vcpus, 3);
	assert_int_equal(parse(a3, &a, NULL), 0);
	assert_string_equal(a.name, "plain");
	assert_int_equal(a.mem_kib, 4194304);
	run_argv_release(&a);
}

static void test_argv_refusals(void **state)
{
	static const char *const bad[][4] = {
		{"qemu", "-mem-path", "/dev/hugepages", NULL},
		{"qemu", "-mem-prealloc", NULL, NULL},
		{"qemu", "-numa", "node", NULL},
		{"qemu", "--object", "memory-backend-ram,id=m,size=1G", NULL},
		{"qemu", "-object", "{\"qom-type\":\"thread-context\",\"id\":\"t\"}", NULL},
		{"qemu", "-machine", "q35,memory-backend=m", NULL},
		{"qemu", "-daemonize", NULL, NULL},
		{"qemu", "-m", "1G,maxmem=4G", NULL},
		{"qemu", "-m", "1.5G", NULL},
		{"qemu", "-m", "0", NULL},
		{"qemu", "-m", "99999999999999999999", NULL},
		{"qemu", "-smp", "0", NULL},
		{"qemu", "-smp", "sockets=65536,cores=65536", NULL},
		{"qemu", "-smp", "cpus=2,bogus=1", NULL},
		{"qemu", "-m", NULL, NULL},
		{"", NULL, NULL, NULL},
	};
	struct run_argv a = {0};
	struct diag d = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &a, &d), -EINVAL);
	assert_int_equal(parse(bad[0], &a, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "'-mem-path /dev/hugepages' conflicts"));
}

/* 3 nodes: 0 and 1 with 2 CPUs each, 2 with none; 2M default pages. */
static void fake_host(struct host_model *m)
{
	memset(m, 0, sizeof(*m));
	m->nnodes = 3;
	m->nodes = xcalloc(3, sizeof(*m->nodes));
	for (int i = 0; i < 3; i++) {
		m->nodes[i].node = i;
		m->nodes[i].mem_total_kib = 4194304;
		if (i < 2) {
			cpuset_set(&m->nodes[i].cpus, (unsigned)(2 * i));
			cpuset_set(&m->nodes[i].cpus, (unsigned)(2 * i + 1));
		}
	}
	m->default_hugepage_kib = 2048;
}

static void test_place(void **state)
{
	struct cpuset nodes = CPUSET_INIT;
	struct run_place_req req = {
		.nodes = &nodes, .mem_kib = 6144 + 2048, .page_kib = 2048, .vcpus = 5};
	struct host_model m;
	struct vm_spec vm;
	struct run_pins p = {0};
	char *s;

	fake_host(&m);
	vm_spec_init(&vm);
	cpuset_set(&nodes, 0);
	cpuset_set(&nodes, 1);
	cpuset_set(&nodes, 2);
	assert_int_equal(run_place(&m, &req, &vm, &p, NULL), 0);
	assert_int_equal(vm.ncells, 3);
	/* 4 pages over 3 cells: 2, 1, 1; 5 vCPUs: 0-1, 2-3, 4 */
	assert_int_equal(vm.cells[0].mem_kib, 4096);
	assert_int_equal(vm.cells[1].mem_kib, 2048);
	assert_int_equal(vm.cells[2].mem_kib, 2048);
	s = cpuset_to_list(&vm.cells[1].cpus);
	assert_string_equal(s, "2-3");
	free(s);
	assert_true(cpuset_isset(&vm.cells[2].host_nodes, 2));
	assert_int_equal(p.nvcpus, 5);
	s = cpuset_to_list(&p.vcpus[2]);
	assert_string_equal(s, "2-3"); /* vCPU 2: cell 1 on node 1 */
	free(s);
	s = cpuset_to_list(&p.vcpus[4]);
	assert_string_equal(s, "0-3"); /* vCPU 4: cell 2 on the CPU-less node 2: all chosen CPUs */
	free(s);
	assert_int_equal(p.vcpu_nodes[4], 2);
	s = cpuset_to_list(&p.emulator);
	assert_string_equal(s, "0-3");
	free(s);
	run_pins_release(&p);
	vm_spec_release(&vm);
	cpuset_release(&nodes);
	host_model_release(&m);
}

static void test_place_refusals(void **state)
{
	struct cpuset nodes = CPUSET_INIT;
	struct run_place_req req = {.nodes = &nodes, .mem_kib = 2048, .page_kib = 2048, .vcpus = 1};
	struct host_model m;
	struct vm_spec vm;
	struct run_pins p = {0};
	struct diag d = {0};

	fake_host(&m);
	vm_spec_init(&vm);
	assert_int_equal(run_place(&m, &req, &vm, &p, &d),
			 -EINVAL); /* no nodes (run asks the planner first) */
	assert_non_null(strstr(d.msg, "no host nodes"));
	cpuset_set(&nodes, 5);
	assert_int_equal(run_place(&m, &req, &vm, &p, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "no NUMA node 5"));
	cpuset_clear(&nodes);
	cpuset_set(&nodes, 0);
	cpuset_set(&nodes, 1);
	assert_int_equal(run_place(&m, &req, &vm, &p, &d), -EINVAL); /* 1 page, 2 nodes */
	req.mem_kib = 3072;
	assert_int_equal(run_place(&m, &req, &vm, &p, &d), -EINVAL); /* not whole pages */
	vm_spec_release(&vm);
	cpuset_release(&nodes);
	host_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_reads),     cmocka_unit_test(test_argv_smp_topology),
		cmocka_unit_test(test_argv_refusals),  cmocka_unit_test(test_place),
		cmocka_unit_test(test_place_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
