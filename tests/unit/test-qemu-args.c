/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the QEMU memory argument builder on a synthetic 2-node host. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cpuset.h"
#include "core/model.h"
#include "core/qemu-args.h"
#include "core/vmspec.h"
#include "util/diag.h"
#include "util/xalloc.h"

/* 2 nodes x 2 CPUs, 2M pools everywhere, a 2M mount at /hp2M; 1G pool, no 1G mount. */
static void fake_host(struct host_model *m)
{
	memset(m, 0, sizeof(*m));
	m->nnodes = 2;
	m->nodes = xcalloc(2, sizeof(*m->nodes));
	for (int i = 0; i < 2; i++) {
		m->nodes[i].node = i;
		cpuset_set(&m->nodes[i].cpus, (unsigned)(2 * i));
		cpuset_set(&m->nodes[i].cpus, (unsigned)(2 * i + 1));
		m->nodes[i].mem_total_kib = 4194304;
	}
	m->npools = 2;
	m->pools = xcalloc(2, sizeof(*m->pools));
	m->pools[0].size_kib = 2048;
	m->pools[1].size_kib = 1048576;
	m->default_hugepage_kib = 2048;
	m->nmounts = 1;
	m->mounts = xcalloc(1, sizeof(*m->mounts));
	m->mounts[0].path = xstrdup("/hp2M");
	m->mounts[0].pagesize_kib = 2048;
}

static const char *find_arg(const struct qemu_mem_args *a, const char *opt, const char *needle)
{
	for (size_t i = 0; i + 1 < a->argc; i += 2)
		if (strcmp(a->argv[i], opt) == 0 && strstr(a->argv[i + 1], needle))
			return a->argv[i + 1];
	return NULL;
}

static bool any_arg(const struct qemu_mem_args *a, const char *opt)
{
	for (size_t i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], opt) == 0)
			return true;
	return false;
}

/* Seed 003: hugepages + host nodes without cells → a backend with host-nodes, no -mem-path. */
static void test_seed003(void **state)
{
	struct host_model m;
	struct vm_spec vm;
	struct qemu_mem_args a = {0};

	fake_host(&m);
	vm_spec_init(&vm);
	vm.mem_kib = 4194304;
	vm.page_kib = VM_PAGE_HOST_DEFAULT;
	vm.policy = VM_POLICY_BIND;
	cpuset_set(&vm.host_nodes, 1);
	assert_int_equal(qemu_args_build(&vm, &m, NULL, &a, NULL), 0);
	assert_false(any_arg(&a, "-mem-path"));
	assert_false(any_arg(&a, "-mem-prealloc"));
	assert_non_null(find_arg(&a, "-machine", "memory-backend=pc.ram"));
	assert_non_null(find_arg(&a, "-m", "size=4194304k"));
	assert_string_equal(
		find_arg(&a, "-object", "memory-backend-file"),
		"{\"qom-type\":\"memory-backend-file\",\"id\":\"pc.ram\",\"mem-path\":\"/hp2M\","
		"\"x-use-canonical-path-for-ramblock-id\":false,\"prealloc\":true,"
		"\"size\":4294967296,\"host-nodes\":[1],\"policy\":\"bind\","
		"\"prealloc-context\":\"tc-pc.ram\"}");
	assert_non_null(find_arg(&a, "-object", "\"node-affinity\":[1]"));
	qemu_mem_args_release(&a);
	vm_spec_release(&vm);
	host_model_release(&m);
}

static void test_cells(void **state)
{
	struct host_model m;
	struct vm_spec vm;
	struct qemu_mem_args a = {0};
	struct vm_cell *c;

	fake_host(&m);
	vm_spec_init(&vm);
	vm.mem_kib = 3145728;
	vm.locked = true;
	vm.policy = VM_POLICY_RESTRICTIVE;
	cpuset_set(&vm.host_nodes, 0);
	c = vm_spec_add_cell(&vm, 0);
	c->mem_kib = 2097152;
	cpuset_set(&c->cpus, 0);
	cpuset_set(&c->cpus, 2);
	cpuset_set(&c->cpus, 3);
	c = vm_spec_add_cell(&vm, 1);
	c->mem_kib = 1048576;
	c->share = VM_YES;
	assert_int_equal(qemu_args_build(&vm, &m, NULL, &a, NULL), 0);
	assert_non_null(find_arg(&a, "-overcommit", "mem-lock=on"));
	assert_non_null(find_arg(&a, "-numa", "node,nodeid=0,cpus=0,cpus=2-3,memdev=ram-node0"));
	assert_non_null(find_arg(&a, "-numa", "node,nodeid=1,memdev=ram-node1"));
	/* restrictive: cgroup only, never host-nodes */
	assert_null(find_arg(&a, "-object", "host-nodes"));
	assert_non_null(find_arg(&a, "-object",
				 "{\"qom-type\":\"memory-backend-ram\",\"id\":\"ram-node0\","
				 "\"size\":2147483648}"));
	/* shared memory needs a file: /dev/shm by default */
	assert_non_null(find_arg(&a, "-object", "\"mem-path\":\"/dev/shm\",\"share\":true"));
	assert_null(find_arg(&a, "-machine", "memory-backend"));
	qemu_mem_args_release(&a);
	vm_spec_release(&vm);
	host_model_release(&m);
}

static void test_memfd_and_policies(void **state)
{
	static const struct {
		enum vm_policy p;
		const char *name;
	} pols[] = {{VM_POLICY_BIND, "bind"},
		    {VM_POLICY_PREFERRED, "preferred"},
		    {VM_POLICY_INTERLEAVE, "interleave"}};
	struct host_model m;

	fake_host(&m);
	for (size_t i = 0; i < 3; i++) {
		struct vm_spec vm;
		struct qemu_mem_args a = {0};
		char want[64];

		vm_spec_init(&vm);
		vm.mem_kib = 1048576;
		vm.page_kib = 2048;
		vm.source = VM_SOURCE_MEMFD;
		vm.prealloc_threads = 2;
		vm.policy = pols[i].p;
		cpuset_set(&vm.host_nodes, 0);
		cpuset_set(&vm.host_nodes, 1);
		assert_int_equal(qemu_args_build(&vm, &m, NULL, &a, NULL), 0);
		(void)snprintf(want, sizeof(want), "\"host-nodes\":[0,1],\"policy\":\"%s\"",
			       pols[i].name);
		assert_non_null(find_arg(&a, "-object", want));
		assert_non_null(
			find_arg(&a, "-object", "\"hugetlb\":true,\"hugetlbsize\":2097152"));
		assert_non_null(find_arg(&a, "-object", "\"prealloc-threads\":2"));
		assert_null(find_arg(&a, "-object", "mem-path"));
		qemu_mem_args_release(&a);
		vm_spec_release(&vm);
	}
	host_model_release(&m);
}

static void test_refusals(void **state)
{
	struct host_model m;
	struct vm_spec vm;
	struct qemu_mem_args a = {0};
	struct diag d = {0};

	fake_host(&m);
	vm_spec_init(&vm);
	vm.mem_kib = 1048576 + 1024; /* not a multiple of 2M */
	vm.page_kib = 2048;
	assert_int_equal(qemu_args_build(&vm, &m, NULL, &a, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "not a multiple of the page size 2M"));

	vm.mem_kib = 1048576;
	vm.page_kib = 1048576; /* pool but no mount */
	assert_int_equal(qemu_args_build(&vm, &m, NULL, &a, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "no hugetlbfs mount for 1G"));

	vm.page_kib = 1048576;
	vm.source = VM_SOURCE_MEMFD; /* memfd needs no mount */
	assert_int_equal(qemu_args_build(&vm, &m, NULL, &a, &d), 0);
	qemu_mem_args_release(&a);

	vm.page_kib = 16384; /* no such pool */
	assert_int_equal(qemu_args_build(&vm, &m, NULL, &a, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "no 16M hugepages"));

	vm.page_kib = VM_PAGE_NORMAL;
	vm.policy = VM_POLICY_BIND;
	cpuset_set(&vm.host_nodes, 7);
	assert_int_equal(qemu_args_build(&vm, &m, NULL, &a, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "NUMA node 7 is unavailable"));
	vm_spec_release(&vm);
	host_model_release(&m);
}

static void test_shell_quote(void **state)
{
	char *q = qemu_shell_quote("size=4194304k");

	assert_string_equal(q, "size=4194304k");
	free(q);
	q = qemu_shell_quote("{\"a\":\"it's\"}");
	assert_string_equal(q, "'{\"a\":\"it'\\''s\"}'");
	free(q);
	q = qemu_shell_quote("");
	assert_string_equal(q, "''");
	free(q);
	/* control characters never reach the terminal: $'...' with \xHH */
	q = qemu_shell_quote("a\033[2J'\\\n\x7f");
	assert_string_equal(q, "$'a\\x1b[2J\\'\\\\\\x0a\\x7f'");
	free(q);
}

/* QEMU 5.2: key=value objects with on/off, one key per range, commas doubled. */
static void test_keyval(void **state)
{
	struct qobject o = {0};
	struct qprop p[3] = {0};
	char *s;

	o.qom_type = (char *)"memory-backend-file";
	o.id = (char *)"ram,node0";
	p[0].key = "mem-path";
	p[0].kind = QPROP_STR;
	p[0].str = (char *)"/dev/hp,x";
	p[1].key = "prealloc";
	p[1].kind = QPROP_BOOL;
	p[1].b = true;
	p[2].key = "host-nodes";
	p[2].kind = QPROP_LIST;
	cpuset_set(&p[2].list, 0);
	cpuset_set(&p[2].list, 1);
	cpuset_set(&p[2].list, 3);
	o.props = p;
	o.nprops = 3;
	s = qobject_to_keyval(&o);
	assert_string_equal(s, "memory-backend-file,id=ram,,node0,mem-path=/dev/hp,,x,prealloc=on,"
			       "host-nodes=0-1,host-nodes=3");
	free(s);
	cpuset_release(&p[2].list);
}

/* Before 5.2 a VM without cells: -mem-prealloc -mem-path, or refused when a policy would be lost.
 */
static void test_legacy(void **state)
{
	struct qemu_version v = {5, 1, 0};
	struct qemu_args_opts opts = {0};
	struct qemu_caps caps;
	struct host_model m;
	struct vm_spec vm;
	struct qemu_mem_args a = {0};
	struct diag d = {0};

	assert_int_equal(qemu_caps_for(&v, &caps, NULL), 0);
	opts.caps = &caps;
	fake_host(&m);
	vm_spec_init(&vm);
	vm.mem_kib = 1048576;
	vm.page_kib = 2048;
	assert_int_equal(qemu_args_build(&vm, &m, &opts, &a, NULL), 0);
	assert_int_equal(a.argc, 5);
	assert_string_equal(a.argv[2], "-mem-prealloc");
	assert_string_equal(a.argv[3], "-mem-path");
	assert_string_equal(a.argv[4], "/hp2M");
	assert_string_equal(a.backends[0].type, "mem-path");
	qemu_mem_args_release(&a);
	vm.policy = VM_POLICY_BIND;
	cpuset_set(&vm.host_nodes, 1);
	assert_int_equal(qemu_args_build(&vm, &m, &opts, &a, &d), -EDOM);
	assert_non_null(strstr(d.msg, "QEMU 5.1.0 has no -machine memory-backend="));
	vm_spec_release(&vm);
	host_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed003),
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_memfd_and_policies),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_shell_quote),
		cmocka_unit_test(test_keyval),
		cmocka_unit_test(test_legacy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
