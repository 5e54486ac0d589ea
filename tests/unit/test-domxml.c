/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the libvirt domain XML parser (units, nodesets, libvirt's defaults). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cpuset.h"
#include "core/domxml-write.h"
#include "core/domxml.h"
#include "core/vmspec.h"
#include "util/diag.h"

static int parse(const char *xml, struct vm_spec *vm, struct diag *d)
{
	vm_spec_init(vm);
	return domxml_parse(xml, strlen(xml), vm, d);
}

static void test_scale(void **state)
{
	uint64_t kib = 0;

	assert_int_equal(domxml_scale_kib("4", "GiB", &kib), 0);
	assert_int_equal(kib, 4194304);
	assert_int_equal(domxml_scale_kib("4", "G", &kib), 0);
	assert_int_equal(kib, 4194304);
	assert_int_equal(domxml_scale_kib("1", "GB", &kib), 0);
	assert_int_equal(kib, 976563); /* 10^9 bytes, rounded up to whole KiB */
	assert_int_equal(domxml_scale_kib("2048", NULL, &kib), 0);
	assert_int_equal(kib, 2048);
	assert_int_equal(domxml_scale_kib("1025", "bytes", &kib), 0);
	assert_int_equal(kib, 2);
	assert_int_equal(domxml_scale_kib("1", "KB", &kib), 0);
	assert_int_equal(kib, 1);
	assert_int_equal(domxml_scale_kib("1", "furlong", &kib), -EINVAL);
	assert_int_equal(domxml_scale_kib("1", "Gib", &kib), -EINVAL);
	assert_int_equal(domxml_scale_kib("-1", "KiB", &kib), -EINVAL);
	assert_int_equal(domxml_scale_kib("", "KiB", &kib), -EINVAL);
	assert_int_equal(domxml_scale_kib("9", "EiB", &kib), -ERANGE);
}

#define DOM(body) "<domain type='kvm'><name>t</name>" body "</domain>"

static void test_no_numa_alignment(void **state)
{
	struct vm_spec vm;

	assert_int_equal(parse(DOM("<memory unit='KiB'>219100</memory>"), &vm, NULL), 0);
	assert_int_equal(vm.mem_kib, 219136); /* libvirt rounds up to 1 MiB */
	assert_int_equal(vm.mem_declared_kib, 219100);
	assert_int_equal(vm.page_kib, VM_PAGE_NORMAL);
	assert_int_equal(vm.policy, VM_POLICY_NONE);
	vm_spec_release(&vm);
}

static void test_cells_sorted_and_pages(void **state)
{
	struct vm_spec vm;
	struct diag d = {0};

	assert_int_equal(
		parse(DOM("<memory unit='GiB'>3</memory>"
			  "<memoryBacking><hugepages><page size='1' unit='GiB' nodeset='1'/>"
			  "<page size='2048'/></hugepages><locked/><nosharepages/>"
			  "<source type='memfd'/><access mode='shared'/>"
			  "<allocation mode='immediate' threads='8'/></memoryBacking>"
			  "<vcpu placement='static'>4</vcpu>"
			  "<cpu><numa><cell id='1' cpus='2-3' memory='1' unit='GiB' "
			  "memAccess='private'/>"
			  "<cell id='0' cpus='0' memory='2' unit='GiB' discard='yes'/>"
			  "<cell id='2' memory='0' unit='GiB'/></numa></cpu>"),
		      &vm, &d),
		-EINVAL); /* cell 2 has no memory */
	assert_string_equal(d.object, "cell");
	vm_spec_release(&vm);

	assert_int_equal(
		parse(DOM("<memory unit='GiB'>3</memory>"
			  "<memoryBacking><hugepages><page size='1' unit='GiB' nodeset='1'/>"
			  "<page size='2048'/></hugepages><locked/><nosharepages/>"
			  "<source type='memfd'/><access mode='shared'/>"
			  "<allocation mode='immediate' threads='8'/></memoryBacking>"
			  "<vcpu placement='static'>4</vcpu>"
			  "<cpu><numa><cell id='1' cpus='2-3' memory='1' unit='GiB' "
			  "memAccess='private'/>"
			  "<cell id='0' cpus='0' memory='2' unit='GiB' "
			  "discard='yes'/></numa></cpu>"),
		      &vm, &d),
		0);
	assert_int_equal(vm.ncells, 2);
	assert_int_equal(vm.cells[0].id, 0);
	assert_int_equal(vm.cells[0].page_kib, 2048); /* the page without nodeset */
	assert_int_equal(vm.cells[1].page_kib, 1048576);
	/* vCPU 1 is in no cell: libvirt puts it into cell 0 */
	assert_true(cpuset_isset(&vm.cells[0].cpus, 1));
	assert_int_equal(vm.cells[1].share, VM_NO);
	assert_int_equal(vm.cells[0].discard, VM_YES);
	assert_true(vm.locked && vm.nosharepages && vm.prealloc);
	assert_int_equal(vm.prealloc_threads, 8);
	assert_int_equal(vm.source, VM_SOURCE_MEMFD);
	assert_int_equal(vm.share, VM_YES);
	assert_int_equal(vm.mem_kib, 3145728);
	vm_spec_release(&vm);
}

static void test_numatune(void **state)
{
	struct vm_spec vm;
	struct diag d = {0};

	/* libvirt nodeset syntax with exclusions; memnode for an existing cell */
	assert_int_equal(
		parse(DOM("<memory>2097152</memory><numatune><memory mode='interleave' "
			  "nodeset='0-3,^2'/><memnode cellid='1' mode='preferred' nodeset='3'/>"
			  "</numatune><cpu><numa><cell cpus='0' memory='1048576'/>"
			  "<cell cpus='1' memory='1048576'/></numa></cpu>"),
		      &vm, &d),
		0);
	assert_int_equal(vm.policy, VM_POLICY_INTERLEAVE);
	assert_int_equal(cpuset_count(&vm.host_nodes), 3);
	assert_false(cpuset_isset(&vm.host_nodes, 2));
	assert_true(vm.cells[1].has_memnode);
	assert_int_equal(vm.cells[1].policy, VM_POLICY_PREFERRED);
	vm_spec_release(&vm);

	/* memnode for a missing cell */
	assert_int_equal(parse(DOM("<memory>2097152</memory><numatune><memnode cellid='2' "
				   "nodeset='0'/></numatune><cpu><numa><cell cpus='0' "
				   "memory='2097152'/></numa></cpu>"),
			       &vm, &d),
			 -EINVAL);
	assert_string_equal(d.object, "memnode");
	assert_non_null(strstr(d.msg, "cellid '2'"));
	vm_spec_release(&vm);

	/* vcpu placement auto and no numatune: strict on the advisor's nodes */
	assert_int_equal(
		parse(DOM("<memory>1048576</memory><vcpu placement='auto'>2</vcpu>"), &vm, &d), 0);
	assert_int_equal(vm.policy, VM_POLICY_BIND);
	assert_int_equal(vm.placement, VM_PLACEMENT_AUTO);
	vm_spec_release(&vm);

	/* an empty nodeset after exclusions */
	assert_int_equal(parse(DOM("<memory>1048576</memory><numatune><memory nodeset='0,^0'/>"
				   "</numatune>"),
			       &vm, &d),
			 -EINVAL);
	assert_non_null(strstr(d.msg, "'0,^0'"));
	vm_spec_release(&vm);
}

static void test_errors(void **state)
{
	static const struct {
		const char *xml, *object, *needle;
	} cases[] = {
		{"<domain><memory>1", "domain", "malformed XML"},
		{"<vm/>", "domain", "not <domain>"},
		{DOM("<memory unit='parsec'>1</memory>"), "memory", "unknown unit 'parsec'"},
		{DOM("<memory>12x</memory>"), "memory", "'12x'"},
		{DOM("<memory>1048576</memory><memoryBacking><hugepages><page size='2048' "
		     "nodeset='1'/></hugepages></memoryBacking>"),
		 "page", "guest NUMA node 1 not found"},
		{DOM("<memory>1048576</memory><memoryBacking><source type='tape'/>"
		     "</memoryBacking>"),
		 "source", "'tape'"},
		{DOM("<memory>1048576</memory><numatune><memory mode='strict-ish' nodeset='0'/>"
		     "</numatune>"),
		 "numatune memory", "'strict-ish'"},
		{DOM("<memory>2097152</memory><cpu><numa><cell id='0' cpus='0' memory='1048576'/>"
		     "<cell id='2' cpus='1' memory='1048576'/></numa></cpu>"),
		 "cell", "numbered from 0"},
		{DOM("<memory>2097152</memory><cpu><numa><cell id='0' cpus='0' memory='2097152'>"
		     "<distances><sibling id='3' value='20'/></distances></cell></numa></cpu>"),
		 "sibling", "sibling id 3"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_spec vm;
		struct diag d = {0};

		print_message("case %zu\n", i);
		assert_int_equal(parse(cases[i].xml, &vm, &d), -EINVAL);
		assert_string_equal(d.object, cases[i].object);
		assert_non_null(strstr(d.msg, cases[i].needle));
		vm_spec_release(&vm);
	}
}

static void test_cputune(void **state)
{
	struct vm_spec vm, again;
	struct diag d = {0};
	char *frag = NULL, *doc = NULL;

	(void)state;
	assert_int_equal(
		parse(DOM("<memory unit='GiB'>1</memory><vcpu cpuset='0-7'>4</vcpu>"
			  "<iothreads>2</iothreads>"
			  "<cputune><shares>10</shares><vcpupin vcpu='0' cpuset='1'/>"
			  "<vcpupin vcpu='3' cpuset='2-3,^3'/><emulatorpin cpuset='0'/>"
			  "<iothreadpin iothread='2' cpuset='4'/></cputune>"
			  "<cpu><topology sockets='1' dies='1' cores='2' threads='2'/></cpu>"),
		      &vm, &d),
		0);
	assert_int_equal(vm.vcpus, 4);
	assert_int_equal(vm.iothreads, 2);
	assert_int_equal(vm.tune.nvcpupin, 4);
	assert_true(cpuset_isset(&vm.tune.vcpupin[0], 1));
	assert_true(cpuset_empty(&vm.tune.vcpupin[1]));
	assert_int_equal(cpuset_count(&vm.tune.vcpupin[3]), 1);
	assert_true(cpuset_isset(&vm.tune.emulatorpin, 0));
	assert_true(cpuset_isset(&vm.tune.iothreadpin[1], 4));
	assert_int_equal(vm.topology.threads, 2);
	/* the CPU fragments parse back to the same pins */
	assert_int_equal(domxml_fragments_flags(&vm, NULL, DOMXML_WRITE_CPU, &frag, &d), 0);
	assert_non_null(strstr(frag, "<vcpupin vcpu=\"3\" cpuset=\"2\"/>"));
	assert_non_null(strstr(frag, "<iothreadpin iothread=\"2\" cpuset=\"4\"/>"));
	doc = calloc(1, strlen(frag) + 64);
	assert_non_null(doc);
	strcat(doc, "<domain><name>t</name>");
	strcat(doc, frag);
	strcat(doc, "</domain>");
	vm_spec_init(&again);
	assert_int_equal(domxml_parse(doc, strlen(doc), &again, &d), 0);
	assert_int_equal(again.vcpus, 4);
	assert_true(cpuset_equal(&again.tune.vcpupin[3], &vm.tune.vcpupin[3]));
	assert_true(cpuset_equal(&again.tune.emulatorpin, &vm.tune.emulatorpin));
	assert_int_equal(again.topology.cores, 2);
	vm_spec_release(&again);
	vm_spec_release(&vm);
	free(frag);
	free(doc);
}

static void test_cputune_errors(void **state)
{
	static const char *const bad[] = {
		DOM("<memory>1024</memory><vcpu>2</vcpu><cputune><vcpupin vcpu='2' "
		    "cpuset='1'/></cputune>"),
		DOM("<memory>1024</memory><vcpu>2</vcpu><cputune><vcpupin vcpu='0' cpuset='1'/>"
		    "<vcpupin vcpu='0' cpuset='2'/></cputune>"),
		DOM("<memory>1024</memory><vcpu>2</vcpu><cputune><iothreadpin iothread='1' "
		    "cpuset='1'/></cputune>"),
		DOM("<memory>1024</memory><vcpu>2</vcpu><cputune><vcpupin vcpu='x' "
		    "cpuset='1'/></cputune>"),
		DOM("<memory>1024</memory><vcpu>2</vcpu><cputune><emulatorpin/></cputune>"),
		DOM("<memory>1024</memory><vcpu>4</vcpu><cpu><topology sockets='1' cores='3' "
		    "threads='1'/></cpu>"),
		DOM("<memory>1024</memory><vcpu>4</vcpu><cpu><topology sockets='4294967295' "
		    "dies='65536' cores='65536' threads='65536'/></cpu>"),
	};
	struct vm_spec vm;
	struct diag d = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &vm, &d), -EINVAL);
		vm_spec_release(&vm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_no_numa_alignment),
		cmocka_unit_test(test_cells_sorted_and_pages),
		cmocka_unit_test(test_numatune),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cputune),
		cmocka_unit_test(test_cputune_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
